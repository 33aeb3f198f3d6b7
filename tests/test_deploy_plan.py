"""tests/deploy_plan.py creates a stack's plan in the AWS stand-in, as the plan names it."""

from __future__ import annotations

import boto3

from conftest import ROOT
from tests.deploy_plan import deploy

ACME = ROOT / "stacks" / "Pulumi.acme.yaml"


def test_acme_is_deployed_as_planned(aws):
    done = deploy(ACME, aws, unconfirmed={"oncall@msp.example"})
    ssm = boto3.client("ssm", region_name="eu-west-1")
    windows = {w["Name"]: w for w in ssm.describe_maintenance_windows()["WindowIdentities"]}
    assert sorted(windows) == [
        "acme-daily-scan",
        "acme-dev-install",
        "acme-golden-ami-al2023-base-schedule",
        "acme-weekly-install",
    ]
    weekly = windows["acme-weekly-install"]
    assert (weekly["Schedule"], weekly["Duration"], weekly["Cutoff"]) == ("cron(0 2 ? * SUN *)", 4, 1)
    (target,) = ssm.describe_maintenance_window_targets(WindowId=weekly["WindowId"])["Targets"]
    assert target["Targets"] == [{"Key": "tag:Patch Group", "Values": ["acme-web"]}]
    tasks = ssm.describe_maintenance_window_tasks(WindowId=weekly["WindowId"])["Tasks"]
    # prod's ring: its promotion runs first (priority 0), then the patch task
    (promotion,) = [t for t in tasks if t["Type"] == "AUTOMATION"]
    assert (promotion["TaskArn"], promotion["Priority"]) == ("acme-ring-prod-promotion", 0)
    (task,) = [t for t in tasks if t["Type"] == "RUN_COMMAND"]
    assert (task["TaskArn"], task["Targets"]) == (
        "AWS-RunPatchBaseline",
        [{"Key": "WindowTargetIds", "Values": [target["WindowTargetId"]]}],
    )
    got = ssm.get_maintenance_window_task(WindowId=weekly["WindowId"], WindowTaskId=task["WindowTaskId"])
    command = got["TaskInvocationParameters"]["RunCommand"]
    override = command["Parameters"].pop("BaselineOverride")
    assert command["Parameters"] == {"Operation": ["Install"], "RebootOption": ["RebootIfNeeded"]}
    assert override[0].startswith("s3://acme-logs-") and override[0].endswith("/patching/acme.rings/prod.json")
    topic_arn = command["NotificationConfig"]["NotificationArn"]
    assert topic_arn.startswith("arn:aws:sns:eu-west-1:123456789012:acme-alerts-")
    (baseline,) = ssm.describe_patch_baselines(Filters=[{"Key": "OWNER", "Values": ["Self"]}])["BaselineIdentities"]
    assert (baseline["BaselineName"], baseline["OperatingSystem"]) == ("acme-al2023", "AMAZON_LINUX_2023")
    mappings = ssm.describe_patch_groups()["Mappings"]
    assert sorted((m["PatchGroup"], m["BaselineIdentity"]["BaselineId"]) for m in mappings) == [
        ("acme-dev", baseline["BaselineId"]),
        ("acme-web", baseline["BaselineId"]),
    ]
    default = ssm.get_default_patch_baseline(OperatingSystem="AMAZON_LINUX_2023")
    assert default["BaselineId"] == baseline["BaselineId"]
    subscriptions = boto3.client("sns", region_name="eu-west-1").list_subscriptions_by_topic(TopicArn=topic_arn)
    assert sorted(
        (s["Endpoint"], s["SubscriptionArn"] == "PendingConfirmation") for s in subscriptions["Subscriptions"]
    ) == [
        ("oncall@msp.example", True),
        ("ops@acme.example", False),
    ]
    assert done.account == "123456789012"


def test_part_of_a_plan(aws):
    deploy(ACME, aws, include=lambda r: r.type.endswith("MaintenanceWindow") and "daily" in r.name)
    ssm = boto3.client("ssm", region_name="eu-west-1")
    assert [w["Name"] for w in ssm.describe_maintenance_windows()["WindowIdentities"]] == ["acme-daily-scan"]
    assert ssm.describe_patch_baselines(Filters=[{"Key": "OWNER", "Values": ["Self"]}])["BaselineIdentities"] == []
