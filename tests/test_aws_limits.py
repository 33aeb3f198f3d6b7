"""What validate accepts, AWS accepts: our limits agree with botocore's models, and each rule
that AWS would enforce at deploy time is an error (with key path) before it."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import botocore.session
import pytest
import time_machine

from conftest import EXAMPLE_STACKS
from patching_components import layout
from patching_components.aws import limits as aws_limits
from patching_components.aws import schedule
from patching_components.checks import refuse_unbuildable
from patching_components.config import ConfigError, validate
from tests.engine import run_program

MODELS = botocore.session.get_session()
SSM = MODELS.get_service_model("ssm")


def shape(service, name):
    return MODELS.get_service_model(service).shape_for(name)


def test_limits_are_botocores():
    for name in ("MaxConcurrency", "MaxErrors"):
        assert SSM.shape_for(name).metadata["max"] == aws_limits.MAX_RATE_CONTROL_LENGTH
    run_command = SSM.operation_model("RegisterTaskWithMaintenanceWindow").input_shape
    prefix = run_command.members["TaskInvocationParameters"].members["RunCommand"].members["OutputS3KeyPrefix"]
    assert prefix.metadata["max"] == aws_limits.MAX_OUTPUT_S3_KEY_PREFIX
    assert SSM.shape_for("PatchSourceName").metadata["pattern"] == r"^[a-zA-Z0-9_\-.]{3,50}$"
    assert aws_limits.PATCH_SOURCE_NAME_LENGTHS == (3, 50)
    assert SSM.shape_for("MaintenanceWindowSchedule").metadata["max"] == schedule.MAX_LENGTH
    assert SSM.shape_for("ResourceDataSyncS3Prefix").metadata["max"] == aws_limits.MAX_DATA_SYNC_S3_PREFIX
    create_log_group = MODELS.get_service_model("logs").operation_model("CreateLogGroup").documentation
    assert f"can't start with the string <code>{aws_limits.RESERVED_LOG_GROUP_PREFIX}</code>" in create_log_group


def test_shipped_instance_types_are_ec2s():
    # A type EC2 retired from its model must not stay valid here; new ones come with a regeneration
    # (python -m patching_components.aws.limits).
    ec2 = set(shape("ec2", "InstanceType").enum)
    assert aws_limits.instance_types() <= ec2
    assert len(aws_limits.instance_types()) >= 0.95 * len(ec2)


def test_shipped_regions_are_botocores_with_their_partitions():
    import botocore.loaders

    partitions = botocore.loaders.create_loader().load_data("endpoints")["partitions"]
    regions = {region: p["partition"] for p in partitions for region in p["regions"]}
    # Every shipped region is botocore's, in the same partition; a region AWS opens after the list was
    # generated is missing until it is regenerated (a newer botocore must not fail CI for it).
    assert {r: regions.get(r) for r in aws_limits.regions()} == aws_limits.regions()
    assert len(aws_limits.regions()) >= len(regions) - 3
    assert aws_limits.regions()["eu-west-1"] == "aws" and aws_limits.regions()["us-gov-west-1"] == "aws-us-gov"


ACME = {
    "customer": "acme",
    "tags": {"Owner": "ops"},
    "baselines": {"al2023": {"operatingSystem": "AMAZON_LINUX_2023"}},
    "maintenanceWindows": {
        "nightly": {
            "schedule": "cron(0 2 ? * SUN *)",
            "durationHours": 3,
            "cutoffHours": 1,
            "operation": "Install",
        }
    },
    "patchGroups": {"acme-web": {"baselines": ["al2023"], "maintenanceWindows": ["nightly"]}},
    "logging": {"s3Bucket": "create"},
    "notifications": {"emails": ["ops@acme.example"]},
    "goldenAmis": {
        "web": {"platform": "Linux", "sourceAmiId": "ami-0123456789abcdef0", "patchGroup": "acme-web"},
    },
}


def with_change(path, value):
    raw = copy.deepcopy(ACME)
    parent = raw
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return raw


def errors(raw):
    """Every error `patching validate` gives: the config's, then what would be built (names, regions)."""
    with pytest.raises(ConfigError) as info:
        refuse_unbuildable(validate(raw, "stacks/Pulumi.acme.yaml"), "stacks/Pulumi.acme.yaml")
    return [f"{issue.key_path()}: {issue.message}" for issue in info.value.issues]


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (
            ("maintenanceWindows", "nightly", "maxConcurrency"),
            "10000000",
            "patching:maintenanceWindows.nightly.maxConcurrency: String should have at most 7 characters",
        ),
        (("maintenanceWindows", "nightly", "maxErrors"), "12345678", "maxErrors: String should have at most 7"),
        (("logging", "s3Prefix"), "p" * 490, "patching:logging.s3Prefix: window 'nightly' writes to"),
        (
            ("logging", "cloudWatch"),
            {"logGroup": "aws/patching/acme"},
            "patching:logging.cloudWatch.logGroup: CloudWatch Logs refuses log group names starting with 'aws/': "
            "write '/aws/patching/acme'",
        ),
        (
            ("baselines", "al2023", "sources"),
            {"ab": {"products": ["AmazonLinux2023"], "configuration": "[x]"}},
            "invalid name 'ab': lower-case letters, digits and '-', 3 to 40 characters",
        ),
        (("tags",), {"customer": "x"}, "patching:tags.customer: tag 'customer' is set by patching-components"),
        (("tags",), {"Owner": "a", "owner": "b"}, "patching:tags.owner: tag 'owner' repeats 'Owner'"),
        (("logging", "s3Bucket"), "xn--logs", "'xn--logs': S3 reserves bucket names starting with 'xn--'"),
        (("logging", "s3Bucket"), "sthree-logs", "S3 reserves bucket names starting with 'sthree-'"),
        (("logging", "s3Bucket"), "logs-s3alias", "S3 reserves bucket names ending with '-s3alias'"),
        (("logging", "s3Bucket"), "logs--ol-s3", "ending with '--ol-s3'"),
        (("logging", "s3Bucket"), "my..logs", "two adjacent periods"),
        (("logging", "s3Bucket"), "192.168.10.20", "formatted as an IP address"),
        (("customer",), "xn--acme", "patching:customer: names the log bucket 'xn--acme-logs-...'"),
        (("notifications", "emails"), ["ops@@acme.example"], "not an e-mail address SNS can subscribe"),
        (("notifications", "emails"), ["ops@acme"], "not an e-mail address SNS can subscribe"),
        (
            ("notifications", "emails"),
            ["ops@acme.example", "OPS@acme.example"],
            "patching:notifications.emails[1]: 'OPS@acme.example' is listed twice",
        ),
        (("goldenAmis", "web", "instanceType"), "t3.notatype", "'t3.notatype' is not an EC2 instance type"),
        (("goldenAmis", "web", "instanceType"), "t3.mediun", "did you mean 't3.medium'?"),
        (("maintenanceWindows", "nightly", "timezone"), "localtime", "'localtime' is not an IANA time zone"),
        (("maintenanceWindows", "nightly", "timezone"), "Factory", "'Factory' is not an IANA time zone"),
        (("maintenanceWindows", "nightly", "schedule"), "cron(0 2 ? * SUN *)\n", "invalid schedule"),
        (("maintenanceWindows", "nightly", "schedule"), "cron(0 ٢ ? * SUN *)", "invalid schedule"),
        (("maintenanceWindows", "nightly", "schedule"), f"cron(0 2 ? * SUN *{' ' * 250})", "at most 256"),
        (("maintenanceWindows", "nightly", "schedule"), "cron(0/0 0/0 ? 1,2 5 *)", "its six fields are minute"),
        (
            ("maintenanceWindows", "nightly", "schedule"),
            "cron(0 0 30 2 ? *)",
            "patching:maintenanceWindows.nightly.schedule: never opens: cron(0 0 30 2 ? *) names no date",
        ),
        (("maintenanceWindows", "nightly", "schedule"), "rate(0001 day)", "write the count without leading zeros"),
    ],
)
@time_machine.travel(datetime(2026, 12, 1, 12, tzinfo=UTC), tick=False)
def test_what_aws_would_reject_is_an_error(path, value, expected):
    found = errors(with_change(path, value))
    assert any(expected in line for line in found), found


@time_machine.travel(datetime(2026, 12, 1, 12, tzinfo=UTC), tick=False)
@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("maintenanceWindows", "nightly", "schedule"), "at(2027-01-31T02:00:00)"),
        (("maintenanceWindows", "nightly", "schedule"), "cron(0 2 ? * SUN 2026-2027)"),
        # Passed: a warning (tests/test_config.py), not an error: AWS takes them.
        (("maintenanceWindows", "nightly", "schedule"), "cron(0 2 ? * SUN 2025)"),
        (("maintenanceWindows", "nightly", "schedule"), "at(2026-11-30T02:00:00)"),
        (("goldenAmis", "web", "schedule"), "cron(0 2 ? * SUN 2025)"),
        (("maintenanceWindows", "nightly", "maxConcurrency"), "100%"),
        (("maintenanceWindows", "nightly", "maxErrors"), "9999999"),
        (("logging", "s3Prefix"), "p" * 480),
        (("goldenAmis", "web", "instanceType"), "m7i.large"),
        (("notifications", "emails"), ["Ops.Team+patching@acme.example"]),
    ],
)
def test_and_what_aws_accepts_is_accepted(path, value):
    validate(with_change(path, value), "stacks/Pulumi.acme.yaml")


@time_machine.travel(datetime(2026, 12, 1, 12, tzinfo=UTC), tick=False)
def test_the_data_syncs_prefix_is_held_to_its_own_limit():
    """ResourceDataSyncS3Prefix takes 256 characters (botocore, above): '<s3Prefix>/acme/sync' is 10 more."""

    def with_sync(prefix_length):
        raw = with_change(("logging", "s3Prefix"), "p" * prefix_length)
        raw["compliance"] = {"dataSync": True}
        return raw

    assert len(layout.data_sync_prefix(layout.log_prefix(validate(with_sync(246), "x")))) == 256
    assert errors(with_sync(247)) == [
        "patching:logging.s3Prefix: the compliance data sync writes to 'ppppppppppppppppppppppppppppppppppppppp"
        "p...' (257 characters); AWS takes at most 256: shorten s3Prefix"
    ]


def test_the_sent_log_prefix_is_the_one_checked():
    config = validate(with_change(("logging", "s3Prefix"), "p" * 480), "x")
    assert len(layout.window_log_prefix(config, "nightly")) == 480 + len("/acme/nightly") <= 500


def every_request_problem(run) -> list[str]:
    """Every create call the provider would make for a run, checked against botocore's models."""
    from aws_requests import api_calls

    from aws_shapes import problems

    return [
        f"{resource.name} {operation}: {problem}"
        for resource in run.resources
        if resource.custom
        for service, operation, request in api_calls(resource)
        for problem in problems(service, operation, request)
    ]


@pytest.mark.parametrize("path", EXAMPLE_STACKS, ids=lambda p: p.name)
def test_every_request_of_every_example_satisfies_botocores_models(example_runs, path):
    assert every_request_problem(example_runs[path.name]) == []


def pipelines(count, **settings):
    return {
        f"web{i}": {"platform": "Linux", "sourceAmiId": "ami-0123456789abcdef0", "patchGroup": "acme-web", **settings}
        for i in range(count)
    }


def inline_sizes(run) -> dict[str, int]:
    """Characters (no whitespace) of inline policy per role, as the program renders them."""
    import re

    sizes: dict[str, int] = {}
    for policy in run.of_type("aws:iam/rolePolicy:RolePolicy"):
        sizes[policy.inputs["role"]] = sizes.get(policy.inputs["role"], 0) + len(
            re.sub(r"\s", "", policy.inputs["policy"])
        )
    return sizes


def test_roles_iam_would_refuse_are_an_error_and_the_largest_accepted_fits():
    kms = "arn:aws:kms:eu-west-1:111122223333:key/" + "k" * 36
    accepted = 0
    for count in range(1, 8):
        try:
            refuse_unbuildable(validate({**ACME, "goldenAmis": pipelines(count, kmsKeyArn=kms)}, "x"), "x")
        except ConfigError as exc:
            (issue,) = exc.issues
            assert issue.key_path() == "patching:goldenAmis"
            assert "the automation role's inline policies would be up to" in issue.message
            assert "IAM allows 10,240 per role" in issue.message
            break
        accepted = count
    assert 2 <= accepted < 7

    # The oracle: what the program renders, in the longest partition and region AWS has.
    def automation_size(count):
        # The key of the region the pipelines build in (a KMS key is regional), as long as eu-west-1's.
        key = kms.replace("eu-west-1", "ap-southeast-2")[: len(kms)]
        config = {f"patching:{k}": v for k, v in {**ACME, "goldenAmis": pipelines(count, kmsKeyArn=key)}.items()}
        run = run_program({**config, "aws:region": "ap-southeast-2"}, stack="acme", partition="aws-us-gov")
        return max(inline_sizes(run).values())

    largest, one_less = automation_size(accepted), automation_size(accepted - 1)
    assert largest <= aws_limits.MAX_INLINE_POLICIES_PER_ROLE  # accepted: IAM takes it
    assert largest + (largest - one_less) > aws_limits.MAX_INLINE_POLICIES_PER_ROLE  # refused: IAM would too
