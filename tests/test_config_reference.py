"""The configuration reference (docs/reference/configuration.md) is the model's: rendered from each
field's description, type and default, and compared with the page
(python -m patching_components.config.reference)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from patching_components.config import StackConfig, reference
from patching_components.config.sections import MaintenanceWindowConfig

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "reference" / "configuration.md"


def row(block: str, key: str) -> list[str]:
    """A row of a rendered table as its three cells."""
    (line,) = [line for line in reference.render(block).splitlines() if line.startswith(f"| `{key}` |")]
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]


def test_the_page_is_the_rendering():
    page = PAGE.read_text()
    assert reference.with_reference(page) == page, (
        "docs/reference/configuration.md differs from the model: run python -m patching_components.config.reference"
    )


def test_the_default_file_is_the_page(monkeypatch, capsys):
    # No file argument: the command reads and checks docs/reference/configuration.md of the current directory.
    assert reference.REFERENCE == Path("docs/reference/configuration.md")
    monkeypatch.chdir(ROOT)
    assert reference.main(["--check"]) == 0
    assert capsys.readouterr().err == ""


def test_a_changed_table_is_found_and_the_prose_is_kept():
    page = PAGE.read_text()
    edited = page.replace("| `durationHours` | required |", "| `durationHours` | `4` |", 1)
    assert edited != page
    assert reference.with_reference(edited) == page
    assert reference.main(["--check", str(PAGE)]) == 0


def test_check_fails_on_a_stale_page(tmp_path, capsys):
    stale = tmp_path / "configuration.md"
    stale.write_text(PAGE.read_text().replace("Scan and install windows", "Windows", 1))
    assert reference.main(["--check", str(stale)]) == 1
    assert "differs from the model" in capsys.readouterr().err
    assert reference.main([str(stale)]) == 0
    assert stale.read_text() == PAGE.read_text()


def test_a_page_without_a_block_is_refused():
    with pytest.raises(ValueError, match="no config-reference block for"):
        reference.with_reference("# Configuration reference\n")


def test_a_descriptions_link_to_a_section_points_at_its_page():
    # The descriptions link sections by anchor (the components' docstrings carry the same text); on
    # the reference page each link goes to the page that has the heading, checked by mkdocs --strict.
    cell = row("patching", "instanceRole.managedPolicyArns")[2]
    assert "[Roles](../configuration.md#roles-and-what-each-may-do)" in cell
    assert "](#" not in PAGE.read_text()


def test_a_link_to_an_unknown_section_is_refused():
    # A table cell is rendered from a description by reference._text; a new anchor needs its page.
    assert reference._text("see [Rings](#patch-rings)", str) == "see [Rings](../rings-and-approvals.md#patch-rings)"
    with pytest.raises(ValueError, match=r"#nowhere: add its page to reference\.ANCHOR_PAGES"):
        reference._text("see [Nowhere](#nowhere)", str)


@pytest.mark.parametrize(
    ("block", "key", "default"),
    [
        # Hand-written from the stack-file contract (DESIGN.md) and AWS's defaults.
        ("patching", "customer", "required"),
        ("patching", "mode", "`install`"),
        ("patching", "patchGroupTagKey", "`Patch Group`"),
        ("patching", "regions", "`[aws:region]`"),
        ("patching", "instanceRole.managedPolicyArns", "`[]`"),
        ("baselines", "approveAfterDays", "`7`"),
        ("baselines", "complianceLevel", "`CRITICAL`"),
        ("baselines", "rejectedPatchesAction", "`ALLOW_AS_DEPENDENCY`"),
        ("baselines", "enableNonSecurity", "`false`"),
        ("maintenanceWindows", "durationHours", "required"),
        ("maintenanceWindows", "timezone", "`UTC`"),
        ("maintenanceWindows", "cutoffBehavior", "`CANCEL_TASK`"),
        ("maintenanceWindows", "maxConcurrency", "`10%`"),
        ("maintenanceWindows", "minutesPerNode", "`15` (Install), `5` (Scan)"),
        ("logging-notifications-goldenAmis", "logging.s3Bucket", "`create`"),
        ("logging-notifications-goldenAmis", "logging.retentionDays", "`90`"),
        ("logging-notifications-goldenAmis", "notifications.events", "`[Failed, TimedOut, Cancelled]`"),
        ("logging-notifications-goldenAmis", "goldenAmis.<key>.instanceType", "`t3.medium`"),
        ("logging-notifications-goldenAmis", "compliance.dataSync", "`false`"),
    ],
)
def test_defaults(block, key, default):
    assert row(block, key)[1] == default


def keys(block: str) -> set[str]:
    return {re.match(r"\| `([^`]+)`", line)[1] for line in reference.render(block).splitlines()[2:]}


def test_every_setting_has_a_row():
    assert {f.alias for f in StackConfig.model_fields.values()} - {"instanceRole"} <= keys("patching")
    assert keys("maintenanceWindows") == {f.alias for f in MaintenanceWindowConfig.model_fields.values()}


def test_the_meaning_is_the_json_schemas_description():
    # One text for the docs, the editor's hover (JSON Schema) and the components' docstrings.
    schema = MaintenanceWindowConfig.model_json_schema(by_alias=True)
    description = " ".join(schema["properties"]["cutoffHours"]["description"].split()).replace("``", "`")
    assert row("maintenanceWindows", "cutoffHours")[2] == description


def test_allowed_values_are_added_where_the_text_lacks_them():
    meaning = row("baselines", "complianceLevel")[2]
    assert meaning.endswith("One of `CRITICAL`, `HIGH`, `MEDIUM`, `LOW`, `INFORMATIONAL`, `UNSPECIFIED`.")
    # operation names both values itself: nothing added.
    assert "One of" not in row("maintenanceWindows", "operation")[2]


def test_a_pipe_in_a_description_does_not_split_the_cell():
    assert "`rate(N minutes\\|hours\\|days)`" in row("maintenanceWindows", "schedule")[2]
