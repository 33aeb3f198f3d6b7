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
