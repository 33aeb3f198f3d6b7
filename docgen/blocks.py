"""Code blocks inside hand-written pages that show what the code produces: each follows its
``<!-- name -->`` marker line and is rewritten from the code (the page's prose stays as written)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path


def _report_policy() -> str:
    from patching_components.iam_policies import report_policy_document

    return json.dumps(report_policy_document(), indent=2) + "\n"


BLOCKS: dict[tuple[str, str], tuple[str, Callable[[], str]]] = {
    ("docs/report.md", "report policy"): ("json", _report_policy),
}
"""(page, marker) -> (the fence's language, the block's text)."""


def rewrite(root: Path, check: bool) -> list[str]:
    """Rewrite (or, ``check``, compare) every block; the pages that differ (or lack their marker)."""
    differing = []
    for (page, marker), (language, render) in BLOCKS.items():
        path = root / page
        text = path.read_text()
        pattern = re.compile(rf"(<!-- {re.escape(marker)} -->\n```{language}\n)(.*?)(```)", re.S)
        match = pattern.search(text)
        if not match:
            differing.append(f"{page}: no <!-- {marker} --> block")
            continue
        new = text[: match.start(2)] + render() + text[match.end(2) :]
        if new != text:
            differing.append(f"{page} ({marker})")
            if not check:
                path.write_text(new)
    return differing
