"""Stacks with Pulumi secrets (``pulumi config set --secret``): accepted where a setting may be
secret, checked as far as offline can, and kept secret in what the program builds."""

from __future__ import annotations

import json

import pytest

from conftest import ROOT
from patching_components.checks import check_stack
from patching_components.config import ConfigError
from patching_components.tools.cli import main
from tests.engine import run_program, run_stack_file

ACME = (ROOT / "stacks" / "Pulumi.acme.yaml").read_text()
SECRET_EMAIL = ACME.replace(
    "    emails: [ops@acme.example, oncall@msp.example]", "    emails: [ops@acme.example, {secure: v1:AAAABBBBCCCC}]"
).replace('    CostCenter: "4711"', "    CostCenter: {secure: v1:DDDDEEEE}")


def write(tmp_path, text):
    path = tmp_path / "Pulumi.acme.yaml"
    path.write_text(text)
    return path


def test_secret_values_validate_with_a_note_naming_what_was_not_checked(tmp_path):
    assert SECRET_EMAIL != ACME
    path = write(tmp_path, SECRET_EMAIL)
    checked = check_stack(path)
    notes = [f"{w.line}: {w.key_path()}: {w.message}" for w in checked.warnings]
    assert notes == [
        "7: patching:tags.CostCenter: is a secret: checked as text only here; the program checks its value",
        "53: patching:notifications.emails[1]: is a secret: checked as text only here; the program checks its value",
    ]


def test_what_the_program_builds_from_a_secret_stays_secret(tmp_path):
    run = run_stack_file(write(tmp_path, SECRET_EMAIL))
    subscriptions = run.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert len(subscriptions) == 2 and all(s.secret_inputs == ["endpoint"] for s in subscriptions)
    tagged = [r for r in run.resources if r.custom and "tags" in r.inputs]
    assert tagged and all("tags" in r.secret_inputs for r in tagged)
    # Nothing else: a baseline's rules and a window's schedule are as public as before.
    baseline = run.named("acme-al2023", "aws:ssm/patchBaseline:PatchBaseline")
    assert baseline.secret_inputs == ["tags"]
    assert all("secret" not in r.urn for r in run.resources)  # URNs are never secret


def test_the_cli_hands_the_plain_value_and_the_program_keeps_it_secret():
    """As `pulumi up` runs it: plain values, the key marked secret by the engine."""
    from patching_components.tools.engine import stack_file_config

    config = stack_file_config(ROOT / "stacks" / "Pulumi.acme.yaml")
    run = run_program(config, stack="acme", secret_keys=["patching:notifications"])
    endpoints = {
        s.inputs["endpoint"]: s.secret_inputs for s in run.of_type("aws:sns/topicSubscription:TopicSubscription")
    }
    assert endpoints == {"ops@acme.example": ["endpoint"], "oncall@msp.example": ["endpoint"]}
    public = run_program(config, stack="acme")
    assert {r.urn for r in run.resources} == {r.urn for r in public.resources}
    assert all(not r.secret_inputs for r in public.resources)


def test_plan_masks_secrets(tmp_path, capsys):
    path = write(tmp_path, SECRET_EMAIL)
    assert main(["plan", "--format", "json", str(path)]) == 0
    plan = json.loads(capsys.readouterr().out)
    endpoints = [r["inputs"]["endpoint"] for r in plan if r["type"] == "aws:sns/topicSubscription:TopicSubscription"]
    assert endpoints == ["[secret]", "[secret]"]


def test_a_whole_optional_key_may_be_secret(tmp_path):
    text = ACME[: ACME.index("  patching:notifications:")] + "  patching:notifications: {secure: v1:FFFF}\n"
    text += ACME[ACME.index("  patching:goldenAmis:") :]
    checked = check_stack(write(tmp_path, text))
    assert [w.message for w in checked.warnings] == [
        "is a secret as a whole: not checked offline (the program checks it)"
    ]
    assert checked.config.notifications is None  # offline, it is not there


@pytest.mark.parametrize(
    ("old", "new", "key_path"),
    [
        ("schedule: cron(0 2 ? * SUN *)", "schedule: {secure: v1:AAAA}", "maintenanceWindows.weekly-install.schedule"),
        ("      approveAfterDays: 7", "      approveAfterDays: {secure: v1:AAAA}", "baselines.al2023.approveAfterDays"),
        (
            "      timezone: Europe/London\n      durationHours: 2",
            "      timezone: {secure: v1:AAAA}\n      durationHours: 2",
            "maintenanceWindows.daily-scan.timezone",
        ),
        ("      operation: Scan", "      operation: {secure: v1:AAAA}", "maintenanceWindows.daily-scan.operation"),
        ("    s3Bucket: create", "    s3Bucket: {secure: v1:AAAA}", "logging.s3Bucket"),
        (
            "      instanceType: t3.small",
            "      instanceType: {secure: v1:AAAA}",
            "goldenAmis.al2023-base.instanceType",
        ),
    ],
)
def test_any_text_setting_may_be_secret(tmp_path, old, new, key_path):
    """Its own rules and the standard's are skipped (noted); the stand-in satisfies the rest."""
    assert old in ACME
    path = write(tmp_path, ACME.replace(old, new, 1))
    checked = check_stack(path)
    assert [w.key_path() for w in checked.warnings if "is a secret" in w.message] == [f"patching:{key_path}"]
    run_stack_file(path)  # and the program builds it


def test_a_secret_schedule_stays_secret_in_what_the_program_builds():
    from patching_components.tools.engine import stack_file_config

    config = stack_file_config(ROOT / "stacks" / "Pulumi.acme.yaml")
    run = run_program(config, stack="acme", secret_keys=["patching:maintenanceWindows"])
    window = run.named("acme-weekly-install", "aws:ssm/maintenanceWindow:MaintenanceWindow")
    assert "schedule" in window.secret_inputs and "scheduleTimezone" in window.secret_inputs
    assert "duration" not in window.secret_inputs  # numbers and fixed choices are not secret text


@pytest.mark.parametrize(
    ("old", "new", "key_path", "why"),
    [
        ("patching:customer: acme", "patching:customer: {secure: v1:AAAA}", "patching:customer", "names resources"),
        (
            "      patchGroup: acme-web",
            "      patchGroup: {secure: v1:AAAA}",
            "patching:goldenAmis.al2023-base.patchGroup",
            "names resources",
        ),
        (
            "      baselines: [al2023]",
            "      baselines: [{secure: v1:AAAA}]",
            "patching:patchGroups.acme-web.baselines[0]",
            "names resources",
        ),
        (
            "      default: true",
            "      default: {secure: v1:AAAA}",
            "patching:baselines.al2023.default",
            "a secret is text",
        ),
        # A number may be secret text elsewhere, but one secret makes all of patching:rings secret, and rings
        # name resources (found by tests/test_fuzz.py: validate said ok, the program refused).
        ("      soakDays: 4 ", "      soakDays: {secure: v1:AAAA} ", "patching:rings", "names resources"),
    ],
)
def test_a_secret_where_none_can_be_is_one_clear_error_in_validate_and_the_program(tmp_path, old, new, key_path, why):
    assert old in ACME
    path = write(tmp_path, ACME.replace(old, new, 1))
    with pytest.raises(ConfigError) as info:
        check_stack(path)
    (line,) = info.value.lines()
    assert f": {key_path}: cannot be a secret: " in line and why in line
    from patching_components.tools.engine import ProgramError

    with pytest.raises(ProgramError) as program:
        run_stack_file(path)
    # The engine marks the whole top-level key secret: the program names that key (or the setting).
    assert key_path.split(".")[0] in str(program.value) and program.value.resources == []


def test_the_program_refuses_a_secret_key_that_holds_no_setting_that_may_be_secret():
    from patching_components.tools.engine import ProgramError, stack_file_config

    config = stack_file_config(ROOT / "stacks" / "Pulumi.acme.yaml")
    with pytest.raises(ProgramError) as info:
        run_program(config, stack="acme", secret_keys=["patching:customer"])
    assert "patching:customer: cannot be a secret" in str(info.value)
    assert info.value.resources == []


def test_the_editor_schema_takes_a_secret_where_the_model_does():
    import jsonschema

    from patching_components.config import read_stack_yaml
    from patching_components.tools.schema import stack_file_schema

    schema = stack_file_schema()
    jsonschema.validate(read_stack_yaml(SECRET_EMAIL), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            read_stack_yaml(ACME.replace("patching:customer: acme", "patching:customer: {secure: x}")), schema
        )


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("patchGroups", "it names resources, and URNs and AWS names are never secret"),
        ("regions", "it names resources, and URNs and AWS names are never secret"),  # a list of region names
        ("compliance", "a secret is text, and this setting takes none"),  # dataSync: a boolean
        ("strictTrustConditions", "a secret is text, and this setting takes none"),  # a boolean
    ],
)
def test_a_whole_key_that_may_hold_no_secret_is_refused_alike_by_validate_and_the_program(tmp_path, key, why):
    """`pulumi config set --secret patching:<key> ...`: validate refuses it with the program's one line
    (it used to note "not checked offline" and pass, or report what followed from the key's absence)."""
    start = ACME.index("  patching:patchGroups:")
    end = ACME.index("  patching:logging:")
    text = ACME[:start] + ACME[end:] if key == "patchGroups" else ACME
    if key == "compliance":
        old = "  patching:compliance:\n    dataSync: true"
        text = text.replace(old, "  patching:compliance: {secure: v1:AAAA}\n  #")
    else:
        text = text.replace("  patching:tags:", f"  patching:{key}: {{secure: v1:AAAA}}\n  patching:tags:", 1)
    assert text.count("secure: v1:AAAA") == 1
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        check_stack(path)
    (line,) = info.value.lines()
    assert line.endswith(f": patching:{key}: cannot be a secret: {why}")
    from patching_components.tools.engine import ProgramError

    with pytest.raises(ProgramError) as program:
        run_stack_file(path)
    assert f"patching:{key}: cannot be a secret: {why}" in str(program.value)
    assert program.value.resources == []
