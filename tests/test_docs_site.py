"""The documentation site's shape: every page under docs/ is in mkdocs.yml's nav (and every nav entry
is a page), README stays a short front page with the two Quick start commands, and every relative
link of README and of the pages reaches a file (and a heading, where it names one). The full check
is `mkdocs build --strict` in .ci/run; these run in the default test run, in milliseconds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from docs_pages import DOCS, README, ROOT

# The two Quick start commands, exactly as CI runs the second (.ci/run) and users paste the first.
QUICK_START = [
    "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/patching plan stacks/Pulumi.acme.yaml",
    'python3 -m venv .venv && .venv/bin/pip install -q -e ".[test]" && .venv/bin/pytest',
]


# Built on the branch docs-tools (generated CLI reference, pictures): linked from here, absent until
# both branches are merged. Empty this set after the merge: then a missing one fails.
def nav_pages(nav: object) -> list[str]:
    """Every page a mkdocs nav names, in order."""
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [page for item in nav for page in nav_pages(item)]
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in nav_pages(value)]
    raise AssertionError(f"unexpected nav entry {nav!r}")


NAV = nav_pages(yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"])
PAGES = sorted(path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md"))


def test_every_page_is_in_the_nav():
    assert PAGES, "no pages under docs/"
    assert sorted(set(PAGES) - set(NAV)) == []


def test_every_nav_entry_is_a_page():
    missing = [page for page in NAV if not (DOCS / page).is_file()]
    assert missing == []


def test_the_site_config_is_offline_and_strict():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    assert config["theme"] == {**config["theme"], "name": "material", "font": False}
    assert config["plugins"] == ["search"]  # no social cards (they fetch fonts), no plugin needing the network
    assert config["strict"] is True
    assert set(config["validation"]["links"].values()) == {"warn"}  # --strict turns each warning into a failure


def test_readme_is_short_and_keeps_the_quick_start():
    readme = README.read_text()
    assert len(readme.splitlines()) <= 200
    for command in QUICK_START:
        assert f"```bash\n{command}\n```" in readme


# -- links ----------------------------------------------------------------------------------------------

_FENCE = re.compile(r"^(`{3,}|~{3,}).*?^\1\s*$", re.S | re.M)
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """A heading's anchor as GitHub and mkdocs' toc both make it from plain words: lower case, the
    characters other than letters, digits, '-', '_' and spaces dropped, spaces as '-'."""
    text = re.sub(r"\s*\{#([\w-]+)\}\s*$", "", heading)  # an explicit {#id} (attr_list) is its own anchor
    if text != heading:
        return re.search(r"\{#([\w-]+)\}", heading)[1]
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = _FENCE.sub("", path.read_text())
    return {slug(line.lstrip("#")) for line in text.splitlines() if re.match(r"#{1,6} ", line)}


def relative_links(path: Path) -> list[str]:
    text = _FENCE.sub("", path.read_text())
    text = re.sub(r"`[^`\n]*`", "", text)  # code spans show link syntax, they are not links
    targets = [m[1] or m[2] for m in _LINK.finditer(text)]
    return [t for t in targets if not re.match(r"[a-z]+:", t)]


def test_the_slug_is_githubs_and_mkdocs():
    # Hand-written from the headings' anchors on the built site (toc extension) and on GitHub.
    assert slug(" The cutoff: what AWS does when patch night runs long") == (
        "the-cutoff-what-aws-does-when-patch-night-runs-long"
    )
    assert slug(" Approval gates: install only on approved nights") == "approval-gates-install-only-on-approved-nights"
    assert slug(" `baselines.<key>` {#baselines}") == "baselines"


@pytest.mark.parametrize("source", [README, *sorted(DOCS.rglob("*.md"))], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_reaches_its_file_and_heading(source):
    broken = []
    for link in relative_links(source):
        target, _, anchor = link.partition("#")
        path = (source.parent / target).resolve() if target else source
        if not path.exists():
            broken.append(f"{link}: no file {path.relative_to(ROOT)}")
        elif anchor and path.suffix == ".md" and anchor not in anchors(path):
            broken.append(f"{link}: no heading #{anchor} in {path.relative_to(ROOT)}")
    assert broken == [], f"{source.relative_to(ROOT)}"


def test_a_broken_link_is_found(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n[a](other.md) [b](#title) [c](#nope) `[d](code.md)`\n```\n[e](fenced.md)\n```\n")
    assert relative_links(page) == ["other.md", "#title", "#nope"]
    assert anchors(page) == {"title"}
