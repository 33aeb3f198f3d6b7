"""README's configuration reference is the model's: rendered from each field's description,
type and default, and compared with README (python -m patching_components.config.reference)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from patching_components.config import StackConfig, reference
from patching_components.config.sections import MaintenanceWindowConfig

README = Path(__file__).resolve().parent.parent / "README.md"


def row(block: str, key: str) -> list[str]:
    """A row of a rendered table as its three cells."""
    (line,) = [line for line in reference.render(block).splitlines() if line.startswith(f"| `{key}` |")]
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]]


def test_readme_is_the_rendering():
    readme = README.read_text()
    assert reference.with_reference(readme) == readme, (
        "README's configuration reference differs from the model: run python -m patching_components.config.reference"
    )


def test_a_changed_table_is_found_and_the_prose_is_kept():
    readme = README.read_text()
    edited = readme.replace("| `durationHours` | required |", "| `durationHours` | `4` |", 1)
    assert edited != readme
    assert reference.with_reference(edited) == readme
    assert reference.main(["--check", str(README)]) == 0


def test_check_fails_on_a_stale_readme(tmp_path, capsys):
    stale = tmp_path / "README.md"
    stale.write_text(README.read_text().replace("Scan and install windows", "Windows", 1))
    assert reference.main(["--check", str(stale)]) == 1
    assert "differs from the model" in capsys.readouterr().err
    assert reference.main([str(stale)]) == 0
    assert stale.read_text() == README.read_text()


def test_a_readme_without_a_block_is_refused():
    with pytest.raises(ValueError, match="no config-reference block for"):
        reference.with_reference("# README\n")


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
    # One text for README, the editor's hover (JSON Schema) and the components' docstrings.
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
