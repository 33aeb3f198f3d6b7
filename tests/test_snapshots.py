"""Pre-patch snapshots (maintenanceWindows.<k>.snapshotBeforeInstall): what the plan registers (the task,
its order of steps and its settings), what the snapshot role may do (tests/iam_model.py), and what
validate says. The runbook's paths are tests/test_snapshot_sim.py; `patching rollback` is
tests/test_rollback.py.

Expected values come from AWS's pages (cited in docs/aws-behaviour.md, "Pre-patch snapshots") and from
the example stack, never from the code under test."""

from __future__ import annotations

import json

import pytest
import yaml
from iam_model import Request, allowed, granted_actions

from conftest import ROOT, run_config
from patching_components.aws.automation_doc import document_issues
from patching_components.config import load_stack_file

ACCOUNT, REGION = "123456789012", "eu-central-1"
TASK = "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"
DOCUMENT = "aws:ssm/document:Document"
POLICY = "aws:iam/rolePolicy:RolePolicy"


def initech_installing() -> dict:
    """The initech example stack as it will be once the customer signs off (mode: install), with a topic
    and a log bucket so that the install step carries output and notifications."""
    stack = yaml.safe_load((ROOT / "stacks" / "Pulumi.initech.yaml").read_text())["config"]
    stack["patching:mode"] = "install"
    stack["patching:notifications"] = {"emails": ["ops@initech.example"]}
    stack["patching:logging"] = {"s3Bucket": "create"}
    return stack


@pytest.fixture(scope="module")
def run():
    return run_config(initech_installing(), stack="initech")


@pytest.fixture(scope="module")
def runbook(run) -> dict:
    return yaml.safe_load(run.named("initech-monthly-install-snapshot-install", DOCUMENT).inputs["content"])


def test_the_example_stack_keeps_snapshots_for_14_days_on_its_install_window():
    config = load_stack_file(ROOT / "stacks" / "Pulumi.initech.yaml")
    windows = config.maintenance_windows
    assert windows["monthly-install"].snapshot_before_install.retain_days == 14
    assert windows["weekly-scan"].snapshot_before_install is None


def test_retain_days_defaults_to_seven():
    from patching_components.config.snapshots import SnapshotBeforeInstallConfig

    assert SnapshotBeforeInstallConfig().retain_days == 7


def test_scan_only_builds_no_snapshot_task_nothing_is_installed():
    stack = yaml.safe_load((ROOT / "stacks" / "Pulumi.initech.yaml").read_text())["config"]  # mode: scan-only
    scan_only = run_config(stack, stack="initech")
    assert not [r for r in scan_only.resources if "snapshot" in r.name]
    assert {t.inputs["taskType"] for t in scan_only.of_type(TASK)} == {"RUN_COMMAND"}


def test_the_install_task_runs_the_snapshot_runbook_per_node_with_the_windows_settings(run):
    task = run.named("initech-monthly-install-patch", TASK).inputs
    # The task keeps its name, priority, targets, rate control and cutoff: only what it runs changes.
    assert task["name"] == "initech-monthly-install-patch"
    assert task["taskType"] == "AUTOMATION"
    assert task["taskArn"] == "initech-monthly-install-snapshot-install"
    assert task["priority"] == 1
    assert (task["maxConcurrency"], task["maxErrors"], task["cutoffBehavior"]) == ("10%", "1", "CANCEL_TASK")
    target = run.named("initech-monthly-install-targets").inputs
    assert target["targets"] == [{"key": "tag:Patch Group", "values": ["initech-erp", "initech-tools"]}]
    assert task["serviceRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/initech-maintenance-window-mock"
    # One execution per target node: the pseudo parameters AWS documents for Automation tasks.
    parameters = {
        p["name"]: p["values"] for p in task["taskInvocationParameters"]["automationParameters"]["parameters"]
    }
    assert parameters == {
        "AutomationAssumeRole": [f"arn:aws:iam::{ACCOUNT}:role/initech-snapshots-mock"],
        "InstanceId": ["{{RESOURCE_ID}}"],
        "WindowExecutionId": ["{{WINDOW_EXECUTION_ID}}"],
    }


def test_the_runbook_snapshots_first_and_installs_only_after_the_snapshot_succeeded(runbook):
    steps = [s["name"] for s in runbook["mainSteps"]]
    assert steps == [
        "snapshotVolumes",
        "installPatches",
        "checkSnapshots",
        "deleteExpiredSnapshots",
        "notifyFailure",
        "endFailed",
    ]
    snapshot, install = runbook["mainSteps"][0], runbook["mainSteps"][1]
    # A failed snapshot never falls through to the install: its failure goes to the notice and the Failed end.
    assert snapshot["onFailure"] == "step:notifyFailure" and "nextStep" not in snapshot
    assert "isCritical" not in snapshot and int(snapshot.get("maxAttempts", 1)) == 1
    assert install["action"] == "aws:runCommand"
    assert document_issues(runbook) == []


def test_the_install_step_sends_what_the_run_command_task_would_have_sent(run, runbook):
    install = runbook["mainSteps"][1]["inputs"]
    assert install == {
        "InstanceIds": ["{{ InstanceId }}"],
        "DocumentName": "AWS-RunPatchBaseline",
        "Parameters": {"Operation": ["Install"], "RebootOption": ["RebootIfNeeded"]},
        "Comment": "Install (initech-monthly-install)",
        "OutputS3BucketName": "initech-logs-mock",
        "OutputS3KeyPrefix": "patching/initech/monthly-install",
        # duration 4 h, cutoff 1 h: 180 minutes to the cutoff, less Install's default 15 minutes per node
        "TimeoutSeconds": (180 - 15) * 60,
        "ServiceRoleArn": f"arn:aws:iam::{ACCOUNT}:role/initech-notify-mock",
        "NotificationConfig": {
            "NotificationArn": f"arn:aws:sns:{REGION}:{ACCOUNT}:initech-alerts-mock",
            "NotificationEvents": ["Failed", "TimedOut", "Cancelled"],
            "NotificationType": "Invocation",
        },
    }
    assert runbook["mainSteps"][1]["timeoutSeconds"] == 4 * 3600  # never longer than the window is open
    defaults = {k: v.get("default") for k, v in runbook["parameters"].items()}
    assert defaults["RetainDays"] == 14
    assert defaults["Customer"] == "initech"
    assert defaults["WindowName"] == "initech-monthly-install"
    assert defaults["NotificationTopicArn"] == f"arn:aws:sns:{REGION}:{ACCOUNT}:initech-alerts-mock"


def test_windows_without_the_setting_keep_their_run_command_task(run):
    scan = run.named("initech-weekly-scan-patch", TASK).inputs
    assert scan["taskType"] == "RUN_COMMAND" and scan["taskArn"] == "AWS-RunPatchBaseline"


def test_the_window_role_may_start_exactly_this_runbook_with_exactly_the_snapshot_role(run):
    policy = [run.named("initech-monthly-install-snapshot-install", POLICY).inputs["policy"]]
    definition = (
        f"arn:aws:ssm:{REGION}:{ACCOUNT}:automation-definition/initech-monthly-install-snapshot-install:$DEFAULT"
    )
    role = f"arn:aws:iam::{ACCOUNT}:role/initech-snapshots-mock"
    assert allowed(policy, Request("ssm:StartAutomationExecution", definition))
    assert not allowed(policy, Request("ssm:StartAutomationExecution", definition.replace("monthly", "other")))
    assert allowed(policy, Request("iam:PassRole", role, {"iam:PassedToService": "ssm.amazonaws.com"}))
    assert not allowed(
        policy,
        Request("iam:PassRole", role.replace("snapshots", "automation"), {"iam:PassedToService": "ssm.amazonaws.com"}),
    )


# -- the snapshot role -----------------------------------------------------------------------------

INSTANCE = f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-0123456789abcdef0"
VOLUME = f"arn:aws:ec2:{REGION}:{ACCOUNT}:volume/vol-0123456789abcdef0"
SNAPSHOT = f"arn:aws:ec2:{REGION}::snapshot/snap-0123456789abcdef0"
OURS = {"aws:RequestTag/Customer": "initech"}


@pytest.fixture(scope="module")
def snapshot_policies(run):
    role = "initech-snapshots-mock"
    return [r.inputs["policy"] for r in run.of_type(POLICY) if r.inputs["role"] == role]


def test_the_snapshot_role_is_granted_exactly_the_calls_of_its_runbook(runbook, snapshot_policies):
    from runbook_sim import step_calls

    calls = {f"{service}:{api}" for step in runbook["mainSteps"] for service, api in step_calls(step)}
    assert calls == {
        "ec2:DescribeInstances",
        "ec2:CreateSnapshots",
        "ssm:SendCommand",
        "ec2:DescribeSnapshots",
        "ec2:DeleteSnapshot",
        "sns:Publish",
    }
    # Besides the calls: tagging at creation (CreateSnapshots with TagSpecifications needs ec2:CreateTags),
    # following the command (aws:runCommand), handing Run Command the notification role.
    extra = {
        "ec2:CreateTags",
        "ssm:ListCommands",
        "ssm:ListCommandInvocations",
        "ssm:GetCommandInvocation",
        "iam:PassRole",
    }
    assert granted_actions(snapshot_policies) == calls | extra


def test_the_snapshot_role_snapshots_only_this_customers_patch_group_nodes(snapshot_policies):
    erp = {"aws:ResourceTag/Patch Group": "initech-erp", **OURS}
    other = {"aws:ResourceTag/Patch Group": "acme-web", **OURS}
    assert allowed(snapshot_policies, Request("ec2:CreateSnapshots", INSTANCE, erp))
    assert allowed(snapshot_policies, Request("ec2:CreateSnapshots", VOLUME, erp))
    assert allowed(snapshot_policies, Request("ec2:CreateSnapshots", SNAPSHOT, erp))
    assert not allowed(snapshot_policies, Request("ec2:CreateSnapshots", INSTANCE, other))  # another customer's node
    assert not allowed(snapshot_policies, Request("ec2:CreateSnapshots", INSTANCE, OURS))  # a node in no group
    # Every snapshot carries this customer's tag from its creation, or none is made.
    assert not allowed(snapshot_policies, Request("ec2:CreateSnapshots", SNAPSHOT, {"aws:RequestTag/Customer": "acme"}))
    assert not allowed(snapshot_policies, Request("ec2:CreateSnapshots", SNAPSHOT))


def test_the_snapshot_role_tags_only_when_creating_snapshots(snapshot_policies):
    creating = {"ec2:CreateAction": "CreateSnapshots", **OURS}
    assert allowed(snapshot_policies, Request("ec2:CreateTags", SNAPSHOT, creating))
    assert not allowed(snapshot_policies, Request("ec2:CreateTags", SNAPSHOT, OURS))  # retagging later
    assert not allowed(
        snapshot_policies,
        Request("ec2:CreateTags", SNAPSHOT, {"ec2:CreateAction": "CreateSnapshots", "aws:RequestTag/Customer": "acme"}),
    )
    assert not allowed(snapshot_policies, Request("ec2:CreateTags", INSTANCE, creating))


def test_the_snapshot_role_deletes_only_this_customers_tagged_snapshots(snapshot_policies):
    ours = {"aws:ResourceTag/Customer": "initech", "aws:ResourceTag/PatchingWindow": "monthly-install"}
    assert allowed(snapshot_policies, Request("ec2:DeleteSnapshot", SNAPSHOT, ours))
    # The customer's own backup with a Customer cost tag is not a pre-patch snapshot: never deleted.
    assert not allowed(
        snapshot_policies, Request("ec2:DeleteSnapshot", SNAPSHOT, {"aws:ResourceTag/Customer": "initech"})
    )
    assert not allowed(snapshot_policies, Request("ec2:DeleteSnapshot", SNAPSHOT, {"aws:ResourceTag/Customer": "acme"}))
    assert not allowed(snapshot_policies, Request("ec2:DeleteSnapshot", SNAPSHOT))  # untagged: someone else's
    assert not allowed(snapshot_policies, Request("ec2:DeleteVolume", VOLUME, {"aws:ResourceTag/Customer": "initech"}))


def test_the_snapshot_role_patches_only_this_customers_nodes_with_the_patch_documents(snapshot_policies):
    erp = {"ssm:resourceTag/Patch Group": "initech-erp"}
    document = "arn:aws:ssm:eu-central-1::document/AWS-RunPatchBaseline"
    assert allowed(snapshot_policies, Request("ssm:SendCommand", INSTANCE, erp))
    assert allowed(snapshot_policies, Request("ssm:SendCommand", document))
    assert not allowed(
        snapshot_policies, Request("ssm:SendCommand", INSTANCE, {"ssm:resourceTag/Patch Group": "acme-web"})
    )
    assert not allowed(
        snapshot_policies, Request("ssm:SendCommand", "arn:aws:ssm:eu-central-1::document/AWS-RunShellScript")
    )


def test_the_snapshot_role_trusts_only_this_accounts_automation(run):
    trust = json.loads(run.named("initech-snapshots", "aws:iam/role:Role").inputs["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "ssm.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}


def test_a_failed_run_may_tell_the_regions_topic_only(run):
    policy = [run.named("initech-monthly-install-snapshot-notify", POLICY).inputs["policy"]]
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:initech-alerts-mock"
    assert allowed(policy, Request("sns:Publish", topic))
    assert not allowed(policy, Request("sns:Publish", topic.replace("initech", "acme")))


def test_the_runbook_passes_aws_document_schema(runbook):
    """AWS's JSON Schema for SSM documents (tests/test_ssm_document_schema.py; the example stacks do not
    build this runbook: initech is scan-only until the customer signs off)."""
    import jsonschema
    from test_ssm_document_schema import SCHEMA, stale_rule

    if not SCHEMA.is_file():
        pytest.skip(f"no {SCHEMA}: npm install --prefix .ci aws-ssm-document-language-service")
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    errors = [e for e in validator.iter_errors(runbook) if not stale_rule(e)]
    assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == []


def test_validate_refuses_more_snapshot_windows_than_the_window_roles_policies_can_hold():
    """Each snapshot window adds a policy (start its runbook, pass the snapshot role) to the maintenance window
    role in each region; IAM allows 10,240 characters of inline policy per role (IAM quotas)."""
    from patching_components.checks import built_artifact_issues
    from patching_components.config import validate

    def stack(windows: int) -> dict:
        install = {"schedule": "cron(0 2 ? * SUN *)", "durationHours": 4, "cutoffHours": 1, "operation": "Install"}
        keys = [f"install-window-number-{i:02d}" for i in range(windows)]
        return {
            "customer": "initech",
            "baselines": {"sles15": {"operatingSystem": "SUSE", "approveAfterDays": 7}},
            "maintenanceWindows": {k: {**install, "snapshotBeforeInstall": {}} for k in keys},
            "patchGroups": {"initech-erp": {"baselines": ["sles15"], "maintenanceWindows": keys}},
        }

    assert built_artifact_issues(validate(stack(2), "test")) == []
    issues = built_artifact_issues(validate(stack(20), "test"))
    assert [i.path for i in issues] == [("patchGroups",)]
    assert "maintenance window role's inline policies" in issues[0].message


# -- PatchWindow used alone --------------------------------------------------------------------------------

ALONE = {
    "schedule": "cron(0 3 ? * WED *)",
    "duration_hours": 3,
    "cutoff_hours": 1,
    "operation": "Install",
    "snapshot_before_install": {"retain_days": 3},
    "patch_groups": ["web"],
}


def test_window_alone_without_the_snapshot_role_registers_nothing():
    from patching_components import PatchWindow
    from patching_components.tools.engine import ProgramError
    from tests.engine import run_program

    with pytest.raises(ProgramError) as info:
        run_program({}, stack="alone", program=lambda: PatchWindow("fleet-install", ALONE))
    assert "snapshot_before_install needs customer and snapshot_role_arn" in str(info.value.error)
    assert info.value.resources == []


def test_window_alone_registers_a_valid_automation_task_request():
    from aws_requests import api_calls

    from aws_shapes import problems
    from patching_components import PatchWindow
    from tests.engine import run_program

    role = f"arn:aws:iam::{ACCOUNT}:role/fleet-snapshots"

    def program():
        PatchWindow("fleet-install", {**ALONE, "customer": "fleet", "snapshot_role_arn": role})

    run = run_program({}, stack="alone", program=program)
    task = run.named("fleet-install-patch", TASK)
    ((service, operation, request),) = api_calls(task)
    assert (service, operation) == ("ssm", "RegisterTaskWithMaintenanceWindow")
    assert problems(service, operation, request) == []
    assert request["TaskType"] == "AUTOMATION" and request["TaskArn"] == "fleet-install-snapshot-install"
    assert request["TaskInvocationParameters"]["Automation"]["Parameters"]["AutomationAssumeRole"] == [role]
    document = yaml.safe_load(run.named("fleet-install-snapshot-install", DOCUMENT).inputs["content"])
    assert document["parameters"]["RetainDays"]["default"] == 3
    assert document["parameters"]["NotificationTopicArn"]["default"] == ""  # no topic: nobody to tell


def test_each_region_has_its_runbook_and_the_snapshot_role_is_built_once():
    stack = initech_installing()
    stack["patching:regions"] = ["eu-central-1", "eu-west-1"]
    run = run_config(stack, stack="initech")
    documents = sorted(r.inputs["name"] for r in run.of_type(DOCUMENT) if "snapshot-install" in r.name)
    assert documents == [
        "initech-eu-west-1-monthly-install-snapshot-install",
        "initech-monthly-install-snapshot-install",
    ]
    assert [r.name for r in run.of_type("aws:iam/role:Role") if "snapshots" in r.name] == ["initech-snapshots"]
    tasks = {r.name: r.inputs for r in run.of_type(TASK) if "monthly-install" in r.name}
    assert {t["taskType"] for t in tasks.values()} == {"AUTOMATION"}
    assert tasks["initech-eu-west-1-monthly-install-patch"]["taskArn"] == documents[0]
