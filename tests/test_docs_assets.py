"""The documentation's pictures are what the code produces today (python -m docgen regenerates them)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import docgen.__main__ as docgen
from conftest import ROOT
from docgen import calendar_svg, report_html

SVG = "{http://www.w3.org/2000/svg}"


def test_the_calendar_picture_is_a_fresh_drawing():
    assert docgen.CALENDAR_SVG.read_text() == calendar_svg.render(), "run python -m docgen"


def test_the_report_example_is_a_fresh_report():
    # Nothing is normalised: the fixture's responses are hand-written (no random ids) and the clock is
    # frozen at the fixture's NOW, so two renderings are the same bytes.
    assert docgen.REPORT_HTML.read_text() == report_html.render(), "run python -m docgen"


def test_the_report_example_is_the_report_tests_account():
    page = docgen.REPORT_HTML.read_text()
    # From tests/report_fixture.py's account, by hand: acme in eu-west-1 read at 2026-12-01 09:00Z.
    assert "Stack <code>acme</code>, eu-west-1; read 2026-12-01 09:00Z," in page
    assert "<title>1 compliant</title>" in page and "<title>3 deployment gaps</title>" in page
    assert str(ROOT) not in page  # the stack is named by its path in the repository


def bars(svg: str) -> dict[str, ET.Element]:
    """Each drawn opening's tooltip -> its shape (the first piece of one cut at midnight)."""
    found: dict[str, ET.Element] = {}
    for parent in ET.fromstring(svg).iter():
        title = parent.find(f"{SVG}title")
        if title is not None and parent.tag in (f"{SVG}rect", f"{SVG}g") and title.text not in found:
            found[title.text] = parent if parent.tag == f"{SVG}rect" else parent.find(f"{SVG}rect")
    return found


def test_the_calendar_picture_places_and_marks_the_windows():
    drawn = bars(docgen.CALENDAR_SVG.read_text())
    # The lines `patching calendar stacks/Pulumi.{acme,globex,initech}.yaml --start 2027-11-01 --weeks 4` prints
    # for them (without the UTC column).
    install = drawn[
        "Sun 2027-11-07 02:00 GMT - 06:00 eu-west-1 acme Install weekly-install acme-web ring prod: cut-off al2023 "
        "2027-10-26 (ring dev's install of 2027-11-02 04:00 GMT)"
    ]
    # By hand: 7 November is column 6 (of 44 px, from x=52), acme lane 0 (4 px in, 1 px margin); 02:00-06:00 UTC is
    # 2 to 6 hours (18 px each) below the top (y=64): x = 52 + 6*44 + 4 + 1, y = 64 + 2*18, height 4*18.
    assert {k: install.get(k) for k in ("x", "y", "width", "height", "fill")} == {
        "x": "321",
        "y": "100",
        "width": "10",
        "height": "72",
        "fill": "#0072B2",
    }
    awaiting = drawn[
        "Thu 2027-11-11 03:00 EST - 07:00 us-east-1 globex Install tue-install globex-api, globex-web AWAITING APPROVAL"
    ]
    assert awaiting.get("fill") == "#ffffff" and awaiting.get("stroke") == "#D55E00"  # an outline, globex's colour
    skipped = drawn[
        "Sat 2027-11-27 22:00 EST - Sun 04:00 us-east-1 globex Install sat-install globex-fileservers, globex-workers "
        "SKIPPED: change freeze black-friday"
    ]
    assert skipped.get("fill") == "none" and skipped.get("stroke-dasharray") == "3 2"
    freeze = drawn["Thu 2027-11-25 00:00 EST - 2027-11-30 06:00 us-east-1 globex Freeze black-friday"]
    assert freeze.get("fill") == "url(#freeze)"
    build = drawn["Mon 2027-11-01 04:00 GMT - 06:00 eu-west-1 acme Build al2023-base acme-web"]
    assert build.get("stroke-dasharray") == "1 2"
    scan = drawn["Mon 2027-11-01 06:00 CET - 08:00 eu-central-1 initech Scan weekly-scan initech-erp, initech-tools"]
    assert scan.get("fill") == "#009E73" and scan.get("fill-opacity") == "0.3"


def test_check_finds_a_stale_picture(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "calendar.svg"
    stale.write_text(docgen.CALENDAR_SVG.read_text().replace("#0072B2", "#000000"))
    monkeypatch.setattr(docgen, "ASSETS", {stale: calendar_svg.render})
    assert docgen.assets(check=True) == 1
    assert "calendar.svg differs from what the code draws today; run python -m docgen" in capsys.readouterr().out
    assert docgen.assets(check=False) == 0
    assert docgen.assets(check=True) == 0
    assert stale.read_text() == docgen.CALENDAR_SVG.read_text()


def test_ci_builds_the_site_strictly_before_the_tests_and_git_ignores_it():
    import tomllib

    commands = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if not line.startswith("#")]
    build = commands.index('"$venv/bin/mkdocs" build --strict --site-dir .ci/site')
    assert build < commands.index('"$venv/bin/pytest"')  # a broken page fails before minutes of tests
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert ".ci/site/" in ignored and "site/" in ignored
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert extras["docs"] == ["mkdocs>=1.6,<2", "mkdocs-material>=9.5,<10"]
    assert "patching-components[report,docs]" in extras["test"]  # .ci/run installs the test extra


def test_a_code_block_follows_the_code(tmp_path):
    from docgen import blocks

    page = tmp_path / "docs" / "report.md"
    page.parent.mkdir()
    shown = (ROOT / "docs" / "report.md").read_text()
    page.write_text(shown.replace('"inspector2:ListCoverage",\n', "", 1))
    assert blocks.rewrite(tmp_path, check=True) == ["docs/report.md (report policy)"]
    assert blocks.rewrite(tmp_path, check=False) == ["docs/report.md (report policy)"]
    assert page.read_text() == shown
    page.write_text("no marker here\n")
    assert blocks.rewrite(tmp_path, check=True) == ["docs/report.md: no <!-- report policy --> block"]
