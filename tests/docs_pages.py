"""The documentation as the tests read it: README.md and the pages of the MkDocs site under docs/.

Tests that check a block the docs show against real output read it from the page it lives on
(``docs_text("cli.md")``), or from every page (``ALL_DOCS``) when it may move between pages.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"

ALL_DOCS: tuple[Path, ...] = (README, *sorted(DOCS.rglob("*.md")))
"""README.md and every Markdown page under docs/ (generated references included)."""


def docs_text(*pages: str) -> str:
    """The text of the named pages under docs/ (``"report.md"``, ``"reference/configuration.md"``),
    or of README and every page when none is named, joined by blank lines."""
    paths = [DOCS / page for page in pages] if pages else list(ALL_DOCS)
    return "\n\n".join(path.read_text() for path in paths)
