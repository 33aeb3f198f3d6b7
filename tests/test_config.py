"""The stack config model: defaults, per-OS rules, schedules, error reporting."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import EXAMPLE_STACKS
from patching_components import os_rules
from patching_components.config import ConfigError, load_stack_file, validate
from patching_components.schedule import ScheduleError, parse_schedule


def base(**baseline):
    return {
        "customer": "acme",
        "baselines": {"b": {"operatingSystem": "AMAZON_LINUX_2023", **baseline}},
        "patchGroups": {"g": {"baselines": ["b"]}},
    }


def messages(raw):
    with pytest.raises(ConfigError) as info:
        validate(raw, "stacks/Pulumi.test.yaml")
    return info.value.lines()


@pytest.mark.parametrize("path", EXAMPLE_STACKS, ids=lambda p: p.name)
def test_example_stacks_are_valid(path):
    config = load_stack_file(path)
    assert config.customer == path.name.split(".")[1]


def test_defaults_are_security_only_and_safe():
    config = validate(base(), "x")
    baseline = config.baselines["b"]
    assert config.mode == "install"
    assert config.patch_group_tag_key == "Patch Group"
    assert baseline.compliance_level == "CRITICAL"
    assert baseline.enable_non_security is False
    assert baseline.rejected_patches_action == "ALLOW_AS_DEPENDENCY"
    assert baseline.effective_approve_after_days == 7


def test_ubuntu_gets_no_approval_delay():
    raw = base()
    raw["baselines"]["b"] = {"operatingSystem": "UBUNTU"}
    assert validate(raw, "x").baselines["b"].effective_approve_after_days is None


def test_approve_until_date_replaces_the_default_delay():
    baseline = validate(base(approveUntilDate="2026-12-01"), "x").baselines["b"]
    assert baseline.effective_approve_after_days is None
    assert baseline.approve_until_date.isoformat() == "2026-12-01"


def test_every_error_names_file_and_key_path():
    raw = base(severities=["Critical", "Huge"], complianceLevel="SEVERE")
    raw["maintenanceWindows"] = {
        "w": {"schedule": "cron(0 2 * * *)", "durationHours": 2, "cutoffHours": 1, "operation": "Scan"}
    }
    raw["patchGroups"]["g"]["maintenanceWindows"] = ["w"]
    lines = messages(raw)
    assert any(
        line.startswith("stacks/Pulumi.test.yaml: patching:baselines.b.complianceLevel: Input should be 'CRITICAL'")
        for line in lines
    ), lines
    assert any("patching:maintenanceWindows.w.schedule: invalid AWS cron expression" in line for line in lines)


def test_os_rule_errors_are_all_reported():
    lines = messages(base(severities=["Huge", "Critical", "Tiny"], classifications=["Security", "Security"]))
    assert [line.split(": ", 2)[1] for line in lines] == [
        "patching:baselines.b.classifications[1]",
        "patching:baselines.b.severities[0]",
        "patching:baselines.b.severities[2]",
    ]


def test_maxerrors_accepts_a_yaml_number():
    raw = base()
    raw["maintenanceWindows"] = {
        "w": {"schedule": "rate(1 day)", "durationHours": 2, "cutoffHours": 1, "operation": "Install", "maxErrors": 1}
    }
    raw["patchGroups"]["g"]["maintenanceWindows"] = ["w"]
    assert validate(raw, "x").maintenance_windows["w"].max_errors == "1"


def test_patch_group_names_follow_the_aws_pattern():
    raw = base()
    raw["patchGroups"] = {"web servers/eu": {"baselines": ["b"]}, "bad#name": {"baselines": ["b"]}}
    lines = messages(raw)
    assert len(lines) == 1 and "patching:patchGroups['bad#name']: invalid name 'bad#name'" in lines[0]


def test_disabled_mode_needs_no_baselines():
    assert validate({"customer": "acme", "mode": "disabled"}, "x").mode == "disabled"


@settings(max_examples=60, deadline=None)
@given(data=st.data(), os_name=st.sampled_from(os_rules.OPERATING_SYSTEMS))
def test_any_allowed_values_validate_and_others_fail(data, os_name):
    family = os_rules.family_of(os_name)
    field = data.draw(st.sampled_from([f for f, spec in family.fields.items() if spec.allowed]))
    allowed = family.fields[field].allowed
    values = data.draw(st.lists(st.sampled_from(allowed), min_size=1, unique=True))
    raw = base(**{field: values})
    raw["baselines"]["b"]["operatingSystem"] = os_name
    if os_name in os_rules.NO_UPDATE_NOTICES:  # CentOS: a rule without it approves nothing, an error
        raw["baselines"]["b"]["enableNonSecurity"] = True
    config = validate(raw, "x")
    assert getattr(config.baselines["b"], field) == values

    wrong = data.draw(st.text(alphabet="abcdefghXYZ", min_size=1, max_size=8).filter(lambda v: v not in allowed))
    raw["baselines"]["b"][field] = [*values, wrong]
    (line,) = messages(raw)
    assert f"patching:baselines.b.{field}[{len(values)}]: {wrong!r} is not a" in line
    assert f"allowed: {', '.join(allowed)}" in line


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 4 ? * MON#1 *)",
        "cron(0 1 * * ? *)",
        "cron(0 3 L * ? *)",
        "cron(0 3 15W * ? *)",
        "cron(0 3 ? * 6L *)",
        "cron(0/15 * ? * MON-FRI 2026-2030)",
        "rate(1 day)",
        "rate(12 hours)",
        "rate(30 minutes)",
    ],
)
def test_aws_schedules_accepted(expression):
    assert parse_schedule(expression).kind == expression.split("(")[0]


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("cron(0 2 * * *)", "6 required, 5 provided"),
        ("cron(0 2 * * SUN *)", "One must be a question mark"),
        ("cron(0 2 ? * SUN#6 *)", "Invalid day-of-week"),
        ("cron(60 2 ? * SUN *)", "Invalid minute value '60'"),
        ("rate(1 days)", "write rate(1 day)"),
        ("rate(2 weeks)", "expected rate(N minutes|hours|days)"),
        ("0 2 * * *", "expected an AWS expression such as"),
    ],
)
def test_non_aws_schedules_rejected(expression, fragment):
    with pytest.raises(ScheduleError, match=None) as info:
        parse_schedule(expression)
    assert fragment in str(info.value)


def test_a_stack_config_built_in_python_is_valid_by_construction():
    """Cross-references run inside the model: no StackConfig names a missing baseline or window."""
    from pydantic import ValidationError

    from patching_components import CustomerPatching
    from patching_components.config import StackConfig
    from patching_components.mock_engine import ProgramError
    from tests.engine import run_program

    raw = {
        "customer": "acme",
        "baselines": {"al2023": {"operatingSystem": "AMAZON_LINUX_2023"}},
        "patchGroups": {"acme-web": {"baselines": ["al2023", "ubuntu"], "maintenanceWindows": ["nightly"]}},
    }
    with pytest.raises(ValidationError) as info:
        StackConfig.model_validate(raw)
    assert [(e["loc"], e["msg"]) for e in info.value.errors()] == [
        (("patchGroups", "acme-web", "baselines", 1), "unknown baseline 'ubuntu' (defined: al2023)"),
        (("patchGroups", "acme-web", "maintenanceWindows", 0), "unknown maintenance window 'nightly' (defined: none)"),
    ]
    with pytest.raises(ProgramError) as failed:
        run_program({}, stack="hand-built", program=lambda: CustomerPatching("acme", raw))
    assert failed.value.resources == []
    assert "patching:patchGroups.acme-web.baselines[1]: unknown baseline 'ubuntu'" in str(failed.value)
