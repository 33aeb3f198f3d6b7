"""``python -m docgen [--check]``: see docgen/__init__.py."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from . import blocks, calendar_svg, report_html

ROOT = Path(__file__).resolve().parent.parent
CALENDAR_SVG = ROOT / "docs" / "assets" / "calendar.svg"
REPORT_HTML = ROOT / "docs" / "assets" / "report-example.html"

ASSETS: dict[Path, Callable[[], str]] = {CALENDAR_SVG: calendar_svg.render, REPORT_HTML: report_html.render}
"""The pictures: file -> its rendering."""


def main(argv: list[str] | None = None) -> int:
    check = "--check" in (sys.argv[1:] if argv is None else argv)
    return references(check) | assets(check) | code_blocks(check)


def references(check: bool) -> int:
    """The CLI and configuration references: each module writes (or checks) its own file, at its own path
    from the repository root."""
    from patching_components.config import reference
    from patching_components.tools import cli_reference

    os.chdir(ROOT)
    return cli_reference.main(["--check"] if check else []) | reference.main(["--check"] if check else [])


def assets(check: bool) -> int:
    """The pictures of ASSETS: written, or (``check``) compared, naming each that differs."""
    failed = 0
    for path, render in ASSETS.items():
        text = render()
        if check:
            if not path.exists() or path.read_text() != text:
                print(f"{os.path.relpath(path, ROOT)} differs from what the code draws today; run python -m docgen")
                failed = 1
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {os.path.relpath(path, ROOT)}")
    return failed


def code_blocks(check: bool) -> int:
    """The blocks of docgen.blocks: written, or (``check``) compared, naming each that differs."""
    differing = blocks.rewrite(ROOT, check)
    for where in differing:
        print(f"{where} differs from what the code produces today; run python -m docgen" if check else f"wrote {where}")
    return int(check and bool(differing))


if __name__ == "__main__":
    raise SystemExit(main())
