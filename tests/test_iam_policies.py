"""Every policy the stacks render: linted by parliament (AWS IAM policy linter), and the
maintenance window and notification roles judged by what they allow (tests/iam_model.py)."""

from __future__ import annotations

import json
from fnmatch import fnmatchcase

import pytest
import yaml
from iam_model import Request, allowed, statements
from parliament import analyze_policy_string
from test_golden_ami_iam import KMS_STACK
from test_iam_instance import EXTRAS

from conftest import EXAMPLE_STACKS, example_run, run_config

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
TASK = "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"
ACCOUNT = "123456789012"

# parliament judges one statement at a time; these actions touch several resource types,
# granted in several statements because each needs its own condition (AWS's documented
# pattern: the new instance by request tag, the source image and subnet without).
# tests/test_golden_ami_iam.py shows the whole request is allowed.
SPLIT_ACROSS_STATEMENTS = {"ec2:RunInstances", "ec2:CreateImage", "ssm:SendCommand", "ssm:DescribeInstancePatchStates"}


def ignored(finding, policy: dict) -> bool:
    """parliament's false positives here, each with its reason."""
    if finding.issue == "PERMISSIONS_MANAGEMENT_ACTIONS":
        # iam:PassRole is how a role hands the instance/notification/automation role on: every
        # grant names one role and the service it may go to. kms:CreateGrant is what EC2 needs
        # for encrypted volumes on a customer key: only for AWS resources, on that one key.
        guards = {
            "iam:PassRole": ("StringEquals", "iam:PassedToService"),
            "kms:CreateGrant": ("Bool", "kms:GrantIsForAWSResource"),
        }
        flagged = {
            a for s in policy["Statement"] for a in _list(s["Action"]) if a.lower() in finding.location["actions"]
        }
        return flagged <= set(guards) and all(
            isinstance(s["Resource"], str)
            and "*" not in s["Resource"]
            and guards[a][1] in s.get("Condition", {}).get(guards[a][0], {})
            for s in policy["Statement"]
            for a in _list(s["Action"])
            if a in flagged
        )
    if finding.issue == "RESOURCE_MISMATCH":
        mismatched = finding.detail
        actions = {m["action"] for m in mismatched}
        if actions <= SPLIT_ACROSS_STATEMENTS:
            return True
        # Public parameters (/aws/service/...) have ARNs without an account: AWS's format for them.
        return actions == {"ssm:GetParameter"} and any(
            fnmatchcase(str(s["Resource"]), "*arn:aws*:ssm:*::parameter/aws/service/*")
            for s in policy["Statement"]
            if s["Action"] == "ssm:GetParameter"
        )
    return False


def _list(value):
    return value if isinstance(value, list) else [value]


def all_runs():
    runs = {path.name: example_run(path) for path in EXAMPLE_STACKS}
    runs["kms-stack"] = run_config({**KMS_STACK, "aws:region": "eu-west-1"})
    # The instance role with a drain hook's statements, an encrypted log bucket and CloudWatch output.
    runs["instance-extras"] = run_config(EXTRAS, stack="acme")
    return runs


RUNS = all_runs()


@pytest.mark.parametrize("name", sorted(RUNS))
def test_parliament_finds_nothing_in_any_policy(name):
    found = []
    for resource in RUNS[name].of_type(ROLE_POLICY):
        policy = json.loads(resource.inputs["policy"])
        analysis = analyze_policy_string(resource.inputs["policy"], include_community_auditors=True)
        found += [f"{resource.name}: {f.issue} {f.detail}" for f in analysis.findings if not ignored(f, policy)]
    assert found == []


def test_parliament_would_report_a_wildcard_grant():
    """The filter above hides false positives, not real ones."""
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ssm:*", "Resource": "*"}]}
    findings = analyze_policy_string(json.dumps(policy), include_community_auditors=True).findings
    assert [f for f in findings if not ignored(f, policy)]


def role_policies(run, role_name: str) -> list[str]:
    return [r.inputs["policy"] for r in run.of_type(ROLE_POLICY) if r.inputs["role"] == role_name]


def trusted(trust: str, service: str, context: dict) -> bool:
    """Would this trust policy let ``service`` assume the role in this request context?"""
    return allowed(
        [
            {
                "Statement": [
                    {**s, "Resource": "*"}
                    for s in statements([trust])
                    if service in (s["Principal"].get("Service") if isinstance(s["Principal"], dict) else [])
                ]
                or [{"Effect": "Deny", "Action": "*", "Resource": "*"}]
            }
        ],
        Request("sts:AssumeRole", "*", context),
    )


@pytest.mark.parametrize("path", EXAMPLE_STACKS, ids=lambda p: p.name)
def test_maintenance_window_tasks_may_patch_exactly_their_groups(path):
    config = yaml.safe_load(path.read_text())["config"]
    customer, region = config["patching:customer"], config["aws:region"]
    tag_key = config.get("patching:patchGroupTagKey", "Patch Group")
    run = RUNS[path.name]
    role = run.named(f"{customer}-maintenance-window", ROLE)
    policies = role_policies(run, f"{customer}-maintenance-window-mock")
    # AWS documents no source condition for the window service (tests/test_iam_trust.py): trusted without one.
    assert trusted(role.inputs["assumeRolePolicy"], "ssm.amazonaws.com", {})

    instance = f"arn:aws:ec2:{region}:{ACCOUNT}:instance/i-0123456789abcdef0"
    for task in run.of_type(TASK):
        if task.inputs["taskType"] != "RUN_COMMAND":
            continue
        document = f"arn:aws:ssm:{region}::document/{task.inputs['taskArn']}"
        assert allowed(policies, Request("ssm:SendCommand", document)), task.name
        for group in config["patching:patchGroups"]:
            tagged = {f"ssm:resourceTag/{tag_key}": group, f"aws:ResourceTag/{tag_key}": group}
            assert allowed(policies, Request("ssm:SendCommand", instance, tagged)), (task.name, group)
        for action in ("ssm:CancelCommand", "ssm:ListCommands", "ssm:ListCommandInvocations", "tag:GetResources"):
            assert allowed(policies, Request(action, "*")), action
    # Not another customer's instances, not other documents.
    other = {f"ssm:resourceTag/{tag_key}": "other-customer-web"}
    assert not allowed(policies, Request("ssm:SendCommand", instance, other))
    assert not allowed(policies, Request("ssm:SendCommand", instance))
    assert not allowed(policies, Request("ssm:SendCommand", f"arn:aws:ssm:{region}::document/AWS-RunShellScript"))


@pytest.mark.parametrize("path", [p for p in EXAMPLE_STACKS if "notifications" in p.read_text()], ids=lambda p: p.name)
def test_notifications_reach_sns_through_the_documented_role_chain(path):
    """The task runs as the maintenance window role, which passes the notification role to
    Run Command, which assumes it (trusted by SSM for this account) to publish to the topic."""
    config = yaml.safe_load(path.read_text())["config"]
    customer = config["patching:customer"]
    run = RUNS[path.name]
    notify = run.named(f"{customer}-notify", ROLE)
    notify_arn = f"arn:aws:iam::{ACCOUNT}:role/{customer}-notify-mock"
    window_policies = role_policies(run, f"{customer}-maintenance-window-mock")
    for task in run.of_type(TASK):
        parameters = task.inputs["taskInvocationParameters"].get("runCommandParameters")
        if not parameters:
            continue
        assert parameters["serviceRoleArn"] == notify_arn
        topic = parameters["notificationConfig"]["notificationArn"]
        passed = Request("iam:PassRole", notify_arn, {"iam:PassedToService": "ssm.amazonaws.com"})
        assert allowed(window_policies, passed)
        assert allowed(role_policies(run, f"{customer}-notify-mock"), Request("sns:Publish", topic))
    assert trusted(notify.inputs["assumeRolePolicy"], "ssm.amazonaws.com", {})
    other_role = Request(
        "iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/admin", {"iam:PassedToService": "ssm.amazonaws.com"}
    )
    assert not allowed(window_policies, other_role)


def test_a_scheduled_golden_ami_build_may_start_exactly_its_runbook():
    run = RUNS["Pulumi.acme.yaml"]
    policies = role_policies(run, "acme-maintenance-window-mock")
    (task,) = [t for t in run.of_type(TASK) if t.inputs["taskType"] == "AUTOMATION" and "golden" in t.name]
    assert task.inputs["serviceRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/acme-maintenance-window-mock"
    definition = f"arn:aws:ssm:eu-west-1:{ACCOUNT}:automation-definition/{task.inputs['taskArn']}:$DEFAULT"
    assert allowed(policies, Request("ssm:StartAutomationExecution", definition))
    automation_role = run.outputs["automationRoleArn"]
    assert allowed(policies, Request("iam:PassRole", automation_role, {"iam:PassedToService": "ssm.amazonaws.com"}))
    other = f"arn:aws:ssm:eu-west-1:{ACCOUNT}:automation-definition/AWS-DeleteImage:$DEFAULT"
    assert not allowed(policies, Request("ssm:StartAutomationExecution", other))


def test_a_fleet_too_large_to_name_keeps_the_policy_within_iams_limit():
    """IAM allows 10,240 characters of inline policy per role: past the budget, the role may patch
    any instance with a patch group tag, and validate and the program say so."""

    baselines = {"al2023": {"operatingSystem": "AMAZON_LINUX_2023"}}
    # 700 names of 13 characters, quoted and comma-separated: 11,200 characters, past IAM's 10,240 on their own.
    groups = {f"acme-app-{i:04d}": {"baselines": ["al2023"]} for i in range(700)}
    run = run_config({"customer": "acme", "baselines": baselines, "patchGroups": groups})
    (policy,) = [r.inputs["policy"] for r in run.of_type(ROLE_POLICY) if r.name == "acme-maintenance-window-tasks"]
    assert len("".join(policy.split())) < 10_240
    (warning,) = [w for w in run.warnings if "too many to name" in w]
    assert warning.startswith("PatchingIam 'acme': 700 patch groups are too many to name")
    instance = f"arn:aws:ec2:eu-west-1:{ACCOUNT}:instance/i-0123456789abcdef0"
    tagged = Request("ssm:SendCommand", instance, {"ssm:resourceTag/Patch Group": "acme-app-0001"})
    assert allowed([policy], tagged)
    assert not allowed([policy], Request("ssm:SendCommand", instance))  # never an instance outside patching

    few = run_config(
        {"customer": "acme", "baselines": baselines, "patchGroups": {"acme-web": {"baselines": ["al2023"]}}}
    )
    (policy,) = [r.inputs["policy"] for r in few.of_type(ROLE_POLICY) if r.name == "acme-maintenance-window-tasks"]
    assert not allowed([policy], tagged)  # named: only this customer's groups
    assert not [w for w in few.warnings if "too many to name" in w]
