"""Components called from Python: bad arguments fail before anything is registered, named
as the caller wrote them, judged with the same types as the stack file."""

from __future__ import annotations

import pytest

from patching_components import GoldenAmiPipeline, PatchingIam, PatchReporting, PatchWindow, SecurityBaseline
from patching_components.config import ConfigError
from patching_components.tools.engine import ProgramError
from tests.engine import run_program

WINDOW = {"schedule": "rate(1 day)", "duration_hours": 2, "cutoff_hours": 1, "operation": "Scan"}
AL2023 = {"operating_system": "AMAZON_LINUX_2023"}


def errors(build) -> list[str]:
    with pytest.raises(ProgramError) as info:
        run_program({}, stack="args", program=build)
    assert isinstance(info.value.error, ConfigError)
    assert info.value.resources == []  # not even the component
    return info.value.error.lines()


def test_a_string_where_a_list_of_patch_groups_belongs():
    """It used to register one patch group per letter."""
    assert errors(lambda: SecurityBaseline("b", {**AL2023, "patch_groups": "rhel-prod"})) == [
        "SecurityBaseline 'b': patch_groups: Input should be a valid list (got 'rhel-prod')"
    ]


def test_a_misspelt_tag_key_names_the_allowed_ones():
    """It used to target a tag no instance has."""
    lines = errors(lambda: PatchWindow("w", {**WINDOW, "patch_groups": ["web"], "patch_group_tag_key": "Patchgroup"}))
    assert lines == [
        "PatchWindow 'w': patch_group_tag_key: Input should be 'Patch Group' or 'PatchGroup' (got 'Patchgroup')"
    ]


def test_an_unknown_argument_gets_a_did_you_mean_in_the_callers_spelling():
    (line,) = errors(lambda: SecurityBaseline("b", {**AL2023, "patchGroups": ["web"]}))
    assert line.startswith(
        "SecurityBaseline 'b': patchGroups: unknown argument; did you mean 'patch_groups'? (allowed: "
    )
    assert "approve_after_days" in line and "approveAfterDays" not in line


def test_patch_group_names_follow_awss_pattern():
    (line,) = errors(lambda: SecurityBaseline("b", {**AL2023, "patch_groups": ["web", "db;drop"]}))
    assert line.startswith("SecurityBaseline 'b': patch_groups[1]: 'db;drop' does not match ")


def test_reporting_checks_its_values():
    lines = errors(lambda: PatchReporting("r", {"s3_bucket": "Bad_Bucket", "emails": ["not-an-address"]}))
    assert [line.split(": ", 2)[1] for line in lines] == ["s3_bucket", "emails[0]"]
    both = errors(
        lambda: PatchReporting(
            "r", {"emails": ["ops@acme.example"], "sns_topic_arn": "arn:aws:sns:eu-west-1:123456789012:t"}
        )
    )
    assert both == ["PatchReporting 'r': emails: give emails or sns_topic_arn, not both"]


def test_iam_checks_its_values():
    assert errors(lambda: PatchingIam("i", {"patch_groups": "web"})) == [
        "PatchingIam 'i': patch_groups: Input should be a valid list (got 'web')"
    ]


def test_outputs_are_taken_as_they_come():
    """Values known only at deploy time (another resource's outputs) are not judged offline."""
    import pulumi

    def program():
        SecurityBaseline("b", {**AL2023, "baseline_name": pulumi.Output.from_input("x").apply(lambda v: v * 5)})

    run = run_program({}, stack="args", program=program)
    assert run.named("b", "aws:ssm/patchBaseline:PatchBaseline").inputs["name"] == "xxxxx"


def test_args_that_are_not_a_dict():
    assert errors(lambda: GoldenAmiPipeline("g", ["Linux"])) == ["GoldenAmiPipeline 'g': args must be a dict, got list"]


def test_a_retention_cloudwatch_logs_does_not_offer():
    (line,) = errors(lambda: PatchReporting("r", {"cloudwatch_log_group": "/p/r", "cloudwatch_retention_days": 10}))
    assert line.startswith("PatchReporting 'r': cloudwatch_retention_days: CloudWatch Logs keeps logs for one of 1, 3")


def test_instance_statements_are_checked_as_iam_statements():
    statements = [{"Effect": "Allow", "Action": "DeregisterTargets", "Resource": "*"}]
    (line,) = errors(lambda: PatchingIam("i", {"instance_statements": statements}))
    assert line.startswith(
        "PatchingIam 'i': instance_statements[0].Action[0]: 'DeregisterTargets' is not an IAM action"
    )


# ---------------------------------------------------------------------------
# One style (issue 27, item 3): CustomerPatching's args are snake_case like every component's

# One customer twice, written by hand: as a stack file says it (camelCase, what `pulumi up` reads)
# and as a Python program gives it to CustomerPatching (snake_case). Tag keys and map keys are
# values, not settings: they are the same in both.
STACK_FILE_KEYS = {
    "customer": "acme",
    "tags": {"CostCenter": "ops"},
    "patchGroupTagKey": "PatchGroup",
    "instanceRole": {
        "statements": [{"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}],
    },
    "baselines": {"al2023": {"operatingSystem": "AMAZON_LINUX_2023", "approveAfterDays": 3}},
    "maintenanceWindows": {
        "nightly": {
            "schedule": "cron(0 2 ? * SUN *)",
            "timezone": "Europe/London",
            "durationHours": 4,
            "cutoffHours": 1,
            "operation": "Install",
            "rebootOption": "NoReboot",
            "hooks": {"preInstall": "Acme-Drain"},
        }
    },
    "patchGroups": {"acme-web": {"baselines": ["al2023"], "maintenanceWindows": ["nightly"]}},
    "logging": {"s3Bucket": "create", "retentionDays": 30, "cloudWatch": {"retentionDays": 14}},
    "notifications": {"emails": ["ops@acme.example"], "notificationType": "Command"},
    "compliance": {"dataSync": True},
    "goldenAmis": {
        "base": {"platform": "Linux", "sourceAmiId": "ami-0123456789abcdef0", "patchGroup": "acme-web", "keepLatest": 2}
    },
    "changeFreezes": {"black-friday": {"start": "2026-11-26", "end": "2026-12-01", "timezone": "America/New_York"}},
}
PYTHON_ARGS = {
    "customer": "acme",
    "tags": {"CostCenter": "ops"},
    "patch_group_tag_key": "PatchGroup",
    "instance_role": {
        "statements": [{"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"}],
    },
    "baselines": {"al2023": {"operating_system": "AMAZON_LINUX_2023", "approve_after_days": 3}},
    "maintenance_windows": {
        "nightly": {
            "schedule": "cron(0 2 ? * SUN *)",
            "timezone": "Europe/London",
            "duration_hours": 4,
            "cutoff_hours": 1,
            "operation": "Install",
            "reboot_option": "NoReboot",
            "hooks": {"pre_install": "Acme-Drain"},
        }
    },
    "patch_groups": {"acme-web": {"baselines": ["al2023"], "maintenance_windows": ["nightly"]}},
    "logging": {"s3_bucket": "create", "retention_days": 30, "cloud_watch": {"retention_days": 14}},
    "notifications": {"emails": ["ops@acme.example"], "notification_type": "Command"},
    "compliance": {"data_sync": True},
    "golden_amis": {
        "base": {
            "platform": "Linux",
            "source_ami_id": "ami-0123456789abcdef0",
            "patch_group": "acme-web",
            "keep_latest": 2,
        }
    },
    "change_freezes": {"black-friday": {"start": "2026-11-26", "end": "2026-12-01", "timezone": "America/New_York"}},
}


def canonical(run) -> list[str]:
    import json

    return sorted(json.dumps([r.type, r.name, r.parent, r.inputs], sort_keys=True) for r in run.resources)


def test_customer_patching_takes_snake_case_args_and_builds_what_the_stack_file_builds():
    from patching_components import CustomerPatching

    from_stack_file = run_program({f"patching:{k}": v for k, v in STACK_FILE_KEYS.items()}, stack="acme")
    from_python = run_program({}, stack="acme", program=lambda: CustomerPatching("acme", PYTHON_ARGS))
    assert len(from_python.resources) > 40  # every section of the stack is built
    assert canonical(from_python) == canonical(from_stack_file)
    (task,) = from_python.of_type("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask")
    assert task.inputs["taskArn"] == "AWS-RunPatchBaselineWithHooks"  # the nested hooks arrived


def test_a_validated_stack_config_is_taken_as_it_is():
    from patching_components import CustomerPatching
    from patching_components.config import validate

    config = validate(STACK_FILE_KEYS, "acme")
    from_config = run_program({}, stack="acme", program=lambda: CustomerPatching("acme", config))
    from_python = run_program({}, stack="acme", program=lambda: CustomerPatching("acme", PYTHON_ARGS))
    assert canonical(from_config) == canonical(from_python)


def test_args_are_checked_once(monkeypatch):
    """CustomerPatching checks its args once, with the stack config model; the components it builds
    from that model check nothing again, and a StackConfig is not checked again at all."""
    from patching_components import CustomerPatching
    from patching_components.components import _check_args
    from patching_components.config import validate

    checked: list[str] = []
    real = _check_args._validated

    def counting(annotation, value, path, issues):
        checked.append(getattr(annotation, "__name__", str(annotation)))
        return real(annotation, value, path, issues)

    monkeypatch.setattr(_check_args, "_validated", counting)
    run_program({}, stack="acme", program=lambda: CustomerPatching("acme", PYTHON_ARGS))
    assert checked == ["StackConfig"]
    checked.clear()
    config = validate(STACK_FILE_KEYS, "acme")
    run_program({}, stack="acme", program=lambda: CustomerPatching("acme", config))
    assert checked == []
    # A component alone checks each plain plumbing value it is given, then its settings: once each.
    run_program({}, stack="alone", program=lambda: SecurityBaseline("b", {**AL2023, "patch_groups": ["web"]}))
    assert checked == ["list", "BaselineConfig"]  # patch_groups, then BaselineConfig's settings


def test_camel_case_args_are_refused_naming_their_snake_case_keys():
    """The stack file's spelling was CustomerPatching's before issue 27: refused, with the key to write."""
    from patching_components import CustomerPatching

    args = {
        "customer": "acme",
        "baselines": {"al2023": {"operatingSystem": "AMAZON_LINUX_2023"}},
        "patchGroups": {"acme-web": {"baselines": ["al2023"]}},
    }
    snake = "(args are snake_case, as Python writes them)"
    assert errors(lambda: CustomerPatching("acme", args)) == [
        f"CustomerPatching 'acme': patchGroups: unknown argument; did you mean 'patch_groups'? {snake}",
        f"CustomerPatching 'acme': baselines.al2023.operatingSystem: unknown key; did you mean 'operating_system'? "
        f"{snake}",
        "CustomerPatching 'acme': a map of a stack file's patching: keys (camelCase): give CustomerPatching "
        "patching_components.config.validate(map, source) instead, the StackConfig of that map",
    ]
    (line,) = errors(lambda: PatchWindow("w", {**WINDOW, "patch_groups": ["web"], "durationHours": 2}))
    assert line == f"PatchWindow 'w': durationHours: unknown argument; did you mean 'duration_hours'? {snake}"


def test_a_refused_camel_case_key_is_still_checked_as_what_it_means():
    """Every problem at once: the value of a misspelt key is judged too, under its snake_case name."""
    from patching_components import CustomerPatching

    lines = errors(
        lambda: CustomerPatching(
            "acme", {"customer": "acme", "baselines": {"al2023": {"operatingSystem": "AMAZON_LINUX_2030"}}}
        )
    )
    assert [line.split(": ", 2)[1] for line in lines] == [
        "baselines.al2023.operatingSystem",
        "baselines.al2023.operating_system",
        "a map of a stack file's patching",
    ]
    assert "'AMAZON_LINUX_2030'" in lines[1] and "required key is missing" not in "".join(lines)


def test_errors_inside_the_settings_name_the_snake_case_path_and_keys():
    from patching_components import CustomerPatching

    window = {"schedule": "rate(1 day)", "duration_hours": 2, "cutoff_hours": 2, "operation": "Scan"}
    lines = errors(
        lambda: CustomerPatching(
            "acme",
            {
                "customer": "acme",
                "maintenance_windows": {"w": window},
                "logging": {"s3_bucket": "create", "cloud_watch": {"retention_dayz": 14}},
            },
        )
    )
    assert lines[0] == (
        "CustomerPatching 'acme': logging.cloud_watch.retention_dayz: unknown key; did you mean 'retention_days'? "
        "(allowed: log_group, retention_days, kms_key_arn)"
    )
    assert lines[1] == (
        "CustomerPatching 'acme': maintenance_windows.w.cutoff_hours: "
        "cutoff_hours (2) must be less than duration_hours (2)"
    )
    # and the stack file's other rules, in its spelling too (no baseline; a window no group uses)
    assert [line.split(": ", 2)[1] for line in lines[2:]] == ["baselines", "maintenance_windows.w"]
    assert "add it to a patch group's maintenance_windows" in lines[3]


def test_a_baselines_sources_are_a_map_keyed_by_name_as_in_the_stack_file():
    source = {"products": ["AmazonLinux2023"], "configuration": "[corp]\nbaseurl=https://repo.example"}

    def program():
        SecurityBaseline("b", {**AL2023, "sources": {"corp": source}})

    run = run_program({}, stack="args", program=program)
    assert run.named("b", "aws:ssm/patchBaseline:PatchBaseline").inputs["sources"] == [{"name": "corp", **source}]
    (line,) = errors(lambda: SecurityBaseline("b", {**AL2023, "sources": {"corp": {**source, "product": []}}}))
    assert line.startswith("SecurityBaseline 'b': sources.corp.product: unknown key; did you mean 'products'?")


def test_a_component_reports_every_problem_of_its_args_at_once():
    lines = errors(
        lambda: PatchReporting(
            "r",
            {
                "data_sync": True,
                "emails": ["ops@acme.example"],
                "sns_topic_arn": "arn:aws:sns:eu-west-1:123456789012:t",
                "retention_dayz": 3,
            },
        )
    )
    assert [line.split(": ", 2)[1] for line in lines] == ["retention_dayz", "data_sync", "emails"]


def test_the_freeze_guard_reads_its_freezes_in_their_own_time_zone():
    """Given as dicts, the freezes are checked once (as the stack file's) and the calendar has the
    instants: midnight in New York on 26 November 2026 is 05:00 UTC (EST, UTC-5)."""
    from patching_components import ChangeFreezeGuard

    args = {
        "customer": "acme",
        "freezes": {"black-friday": {"start": "2026-11-26", "end": "2026-12-01", "timezone": "America/New_York"}},
        "window_ids": ["mw-0123456789abcdef0"],
        "guard_role_arn": "arn:aws:iam::123456789012:role/g",
        "guard_role_name": "g",
        "events_role_arn": "arn:aws:iam::123456789012:role/e",
        "events_role_name": "e",
    }
    run = run_program({}, stack="args", program=lambda: ChangeFreezeGuard("acme", args))
    content = run.named("acme-calendar").inputs["content"]
    assert "DTSTART:20261126T050000Z" in content and "DTEND:20261201T050000Z" in content
    bad = {**args, "freezes": {"black-friday": {"start": "2026-11-26", "end": "2026-11-25"}}}
    assert errors(lambda: ChangeFreezeGuard("acme", bad)) == [
        "ChangeFreezeGuard 'acme': freezes.black-friday.end: end (2026-11-25) must be after start (2026-11-26)"
    ]


def test_the_readmes_customer_patching_example_runs():
    import re

    from docs_pages import docs_text

    blocks = re.findall(r"```python\n(.*?)```", docs_text("own-program.md"), re.S)
    (code,) = [b for b in blocks if "CustomerPatching(\n" in b]
    run = run_program({}, stack="readme", program=lambda: exec(code, {}))
    (baseline,) = run.of_type("aws:ssm/patchBaseline:PatchBaseline")
    assert baseline.inputs["approvalRules"][0]["approveAfterDays"] == 7
    (task,) = run.of_type("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask")
    assert task.inputs["taskInvocationParameters"]["runCommandParameters"]["parameters"][0] == {
        "name": "Operation",
        "values": ["Install"],
    }
