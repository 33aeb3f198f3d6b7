"""Catch-up for missed windows (maintenanceWindows.<k>.catchUp): the decision over its whole truth table,
the runbook and rule the globex example builds, and its roles judged by what they allow.

The runbook's paths (every AWS call failing in turn) are in tests/test_catch_up_sim.py."""

import inspect
import json
from datetime import UTC, datetime, timedelta
from itertools import product

import pytest
import yaml
from iam_model import Request, allowed, granted_actions

from conftest import ROOT, run_stack
from patching_components.aws import catch_up
from patching_components.aws.automation_doc import document_issues
from patching_components.aws.catch_up import decide

GLOBEX = ROOT / "stacks" / "Pulumi.globex.yaml"
ACCOUNT, REGION = "123456789012", "us-east-1"
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)  # the clock, frozen
MAX_AGE = 35

# -- the decision, its whole truth table ----------------------------------------------------------

# What may stop a catch-up: (window enabled, circuit breaker tag on it, calendar state, a patch command already
# running on the node) -> may it patch. None: the runbook has no calendar. Written by hand from the issue: only
# an enabled window, no breaker, no CLOSED calendar and no patch command running let it patch.
GATES = {
    (True, False, None, False): True,
    (True, False, None, True): False,
    (True, False, "OPEN", False): True,
    (True, False, "OPEN", True): False,
    (True, False, "CLOSED", False): False,
    (True, False, "CLOSED", True): False,
    (True, True, None, False): False,
    (True, True, None, True): False,
    (True, True, "OPEN", False): False,
    (True, True, "OPEN", True): False,
    (True, True, "CLOSED", False): False,
    (True, True, "CLOSED", True): False,
    (False, False, None, False): False,
    (False, False, None, True): False,
    (False, False, "OPEN", False): False,
    (False, False, "OPEN", True): False,
    (False, False, "CLOSED", False): False,
    (False, False, "CLOSED", True): False,
    (False, True, None, False): False,
    (False, True, None, True): False,
    (False, True, "OPEN", False): False,
    (False, True, "OPEN", True): False,
    (False, True, "CLOSED", False): False,
    (False, True, "CLOSED", True): False,
}
# The node's patch state: (last operation, days since it ended, missing + failed) -> due, hand-computed
# against maxAgeDays 35 (due when it ended MORE than 35 days ago).
STATES = {
    "never patched": ((None, None, 0), True),
    "install 36 days ago": (("Install", 36, 0), True),
    "install 35 days and 1 second ago": (("Install", 35 + 1 / 86400, 0), True),
    "install exactly 35 days ago": (("Install", 35, 0), False),
    "install 10 days ago": (("Install", 10, 0), False),
    "install 10 days ago, 3 failed": (("Install", 10, 3), False),  # the window's own run; not a missed one
    "install today": (("Install", 0, 0), False),
    "scan 36 days ago, nothing missing": (("Scan", 36, 0), True),  # too old to know
    "scan 2 days ago, nothing missing": (("Scan", 2, 0), False),
    "scan 2 days ago, 4 missing": (("Scan", 2, 4), True),
    "scan exactly 35 days ago, 1 missing": (("Scan", 35, 1), True),
}


def state(case):
    (operation, days, missing), _ = STATES[case]
    end = None if days is None else NOW - timedelta(days=days)
    return {"last_operation": operation, "last_operation_end": end, "missing_count": missing}


@pytest.mark.parametrize(("gate", "case"), list(product(GATES, STATES)), ids=str)
def test_the_decision_over_its_whole_truth_table(gate, case):
    enabled, breaker, calendar, running = gate
    tags = {"Customer": "globex", **({catch_up.BREAKER_TAG: "globex-errors"} if breaker else {})}
    due, reason = decide(
        window_enabled=enabled,
        window_tags=tags,
        calendar_state=calendar,
        command_running=running,
        now=NOW,
        max_age_days=MAX_AGE,
        **state(case),
    )
    assert due is (GATES[gate] and STATES[case][1]), reason
    assert reason  # every outcome says why, in the run's output


def test_the_reason_names_what_stopped_it():
    open_gate = {
        "window_enabled": True,
        "window_tags": {},
        "calendar_state": "OPEN",
        "command_running": False,
        "now": NOW,
        "max_age_days": 35,
    }
    never = state("never patched")
    assert decide(**{**open_gate, "window_enabled": False}, **never)[1] == "the window is disabled: not patched"
    breaker = decide(**{**open_gate, "window_tags": {"PatchingCircuitBreaker": "globex-errors"}}, **never)[1]
    assert breaker == "the circuit breaker has tripped (globex-errors): not patched"
    assert "CLOSED" in decide(**{**open_gate, "calendar_state": "CLOSED"}, **never)[1]
    running = decide(**{**open_gate, "command_running": True}, **never)[1]
    assert running == "a patch command is already running on the node: not patched twice"
    assert decide(**open_gate, **state("install 36 days ago")) == (
        True,
        "last install ended 2026-10-29T12:00:00+00:00 (36 days ago; maxAgeDays 35): patched now",
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"calendar_state": "UNKNOWN"}, "unexpected calendar state 'UNKNOWN'"),
        ({"last_operation": "Reboot"}, "unexpected patch operation 'Reboot'"),
        ({"last_operation": "Install", "last_operation_end": None}, "needs both"),
        ({"now": NOW.replace(tzinfo=None)}, "zone"),
        ({"last_operation_end": datetime(2026, 1, 1)}, "zone"),
    ],
)
def test_what_it_cannot_judge_fails_the_run(change, message):
    """Fail closed: the run fails and nothing is sent (the runbook's decide step raises)."""
    arguments = {
        "window_enabled": True,
        "window_tags": {},
        "calendar_state": None,
        "command_running": False,
        "now": NOW,
        "max_age_days": 35,
        **state("install 36 days ago"),
        **change,
    }
    with pytest.raises(ValueError, match=message):
        decide(**arguments)


# -- what globex builds ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run():
    return run_stack(GLOBEX)


def runbook(run):
    (document,) = [
        d for d in run.of_type("aws:ssm/document:Document") if d.name == "globex-tue-install-catch-up-runbook"
    ]
    return yaml.safe_load(document.inputs["content"]), document


def test_one_runbook_for_the_one_catch_up_window(run):
    names = sorted(d.inputs["name"] for d in run.of_type("aws:ssm/document:Document") if "catch-up" in d.name)
    assert names == ["globex-tue-install-catch-up"]  # sat-install has no catchUp, nightly-scan scans
    document, resource = runbook(run)
    assert document_issues(document) == []
    assert resource.inputs["documentType"] == "Automation" and resource.inputs["tags"]["Customer"] == "globex"


def test_the_runbook_embeds_the_decision_module_as_it_is(run):
    document, _ = runbook(run)
    (step,) = [s for s in document["mainSteps"] if s["name"] == "decide"]
    assert inspect.getsource(catch_up) in step["inputs"]["Script"]
    compile(step["inputs"]["Script"], "decide", "exec")  # one valid script


def test_the_runbook_defaults_to_the_windows_groups_calendar_and_max_age(run):
    document, _ = runbook(run)
    parameters = {k: v.get("default") for k, v in document["parameters"].items()}
    (window,) = [
        w for w in run.of_type("aws:ssm/maintenanceWindow:MaintenanceWindow") if w.name == "globex-tue-install"
    ]
    assert parameters == {
        "AutomationAssumeRole": f"arn:aws:iam::{ACCOUNT}:role/globex-catch-up-mock",
        "InstanceId": None,  # from the event
        "WindowId": window.id,
        "PatchGroupTagKey": "PatchGroup",
        "PatchGroups": ["globex-api", "globex-web"],  # the stack's groups of tue-install
        "CalendarNames": ["globex-change-freezes", "globex-tue-install-approvals"],  # tue-install is approval-gated
        "MaxAgeDays": 35,
        "NotificationTopicArn": "arn:aws:sns:us-east-1:111122223333:globex-ops-alerts",
    }


def test_the_node_gets_the_windows_own_command(run):
    """The patch step sends what tue-install's task sends (read from the task the program registered)."""
    document, _ = runbook(run)
    (patch,) = [s for s in document["mainSteps"] if s["name"] == "patch"]
    (task,) = [
        t
        for t in run.of_type("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask")
        if t.name == "globex-tue-install-patch"
    ]
    command = task.inputs["taskInvocationParameters"]["runCommandParameters"]
    inputs = patch["inputs"]
    assert inputs["DocumentName"] == task.inputs["taskArn"] == "AWS-RunPatchBaselineWithHooks"
    assert inputs["Parameters"] == {p["name"]: p["values"] for p in command["parameters"]}
    assert inputs["Parameters"]["PreInstallHookDocName"] == ["Globex-DrainFromTargetGroup"]  # globex's hooks
    assert inputs["InstanceIds"] == ["{{ InstanceId }}"]
    assert inputs["TimeoutSeconds"] == command["timeoutSeconds"]
    assert inputs["OutputS3BucketName"] == command["outputS3Bucket"] == "globex-central-ops-logs"
    assert inputs["OutputS3KeyPrefix"] == command["outputS3KeyPrefix"]
    notification = command["notificationConfig"]
    assert inputs["NotificationConfig"] == {
        "NotificationArn": notification["notificationArn"],
        "NotificationEvents": notification["notificationEvents"],
        "NotificationType": notification["notificationType"],
    }
    assert inputs["ServiceRoleArn"] == command["serviceRoleArn"]
    assert "CloudWatchOutputConfig" not in inputs and "cloudwatchConfig" not in command


def test_eventbridge_starts_it_with_the_instance_of_each_running_event(run):
    (rule,) = [r for r in run.of_type("aws:cloudwatch/eventRule:EventRule") if "catch-up" in r.name]
    pattern = json.loads(rule.inputs["eventPattern"])
    # AWS's example event ("State change events for Amazon EC2 instances"), entering running, and pending.
    event = {
        "source": "aws.ec2",
        "detail-type": "EC2 Instance State-change Notification",
        "detail": {"instance-id": "i-1234567890abcdef0", "state": "running"},
    }

    def matches(e):
        return (
            e["source"] in pattern["source"]
            and e["detail-type"] in pattern["detail-type"]
            and e["detail"]["state"] in pattern["detail"]["state"]
        )

    assert matches(event) and not matches({**event, "detail": {**event["detail"], "state": "pending"}})
    (target,) = [t for t in run.of_type("aws:cloudwatch/eventTarget:EventTarget") if "catch-up" in t.name]
    definition = f"arn:aws:ssm:{REGION}:{ACCOUNT}:automation-definition/globex-tue-install-catch-up:$DEFAULT"
    assert target.inputs["arn"] == definition
    assert target.inputs["roleArn"].endswith(":role/globex-catch-up-events-mock")
    transformer = target.inputs["inputTransformer"]
    assert transformer["inputPaths"] == {"instance": "$.detail.instance-id"}
    # EventBridge substitutes <instance> in the template: the runbook's parameters, values as lists.
    rendered = transformer["inputTemplate"].replace("<instance>", event["detail"]["instance-id"])
    assert json.loads(rendered) == {
        "InstanceId": ["i-1234567890abcdef0"],
        "AutomationAssumeRole": [f"arn:aws:iam::{ACCOUNT}:role/globex-catch-up-mock"],
    }


# -- its roles ---------------------------------------------------------------------------------------


def policy(run, name):
    return [run.named(name, "aws:iam/rolePolicy:RolePolicy").inputs["policy"]]


def test_the_catch_up_role_is_granted_exactly_the_calls_of_its_runbook(run):
    from runbook_sim import step_calls

    document, _ = runbook(run)
    calls = {f"{service}:{api}" for step in document["mainSteps"] for service, api in step_calls(step)}
    assert calls == {
        "ec2:DescribeInstances",
        "ssm:DescribeInstanceInformation",
        "ssm:GetMaintenanceWindow",
        "ssm:ListTagsForResource",
        "ssm:GetCalendarState",
        "ssm:ListCommands",
        "ssm:DescribeInstancePatchStates",
        "ssm:SendCommand",
        "ec2:CreateTags",
        "sns:Publish",
    }
    # aws:runCommand follows the command it sent (ListCommandInvocations: "aws:runCommand" runs under the
    # runbook's role), and the command is sent with the window's notification role.
    extra = {"ssm:ListCommandInvocations", "iam:PassRole"}
    assert granted_actions(policy(run, "globex-tue-install-catch-up-runbook")) == calls | extra


def test_the_catch_up_role_acts_on_this_windows_nodes_and_this_customers_resources_only(run):
    granted = policy(run, "globex-tue-install-catch-up-runbook")
    instance = f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-0123456789abcdef0"
    web, workers = {"ssm:resourceTag/PatchGroup": "globex-web"}, {"ssm:resourceTag/PatchGroup": "globex-workers"}
    acme = {"ssm:resourceTag/PatchGroup": "acme-web"}
    hooks = f"arn:aws:ssm:{REGION}::document/AWS-RunPatchBaselineWithHooks"
    for action in ("ssm:SendCommand", "ssm:DescribeInstancePatchStates"):
        assert allowed(granted, Request(action, instance, web))
        assert not allowed(granted, Request(action, instance, workers))  # sat-install's group
        assert not allowed(granted, Request(action, instance, acme))  # another customer's node
        assert not allowed(granted, Request(action, instance))  # untagged
    assert allowed(granted, Request("ssm:SendCommand", hooks))
    assert not allowed(
        granted, Request("ssm:SendCommand", hooks.replace("AWS-RunPatchBaselineWithHooks", "AWS-RunShellScript"))
    )
    other_region = instance.replace(REGION, "eu-west-1")
    assert not allowed(granted, Request("ssm:SendCommand", other_region, web))
    # Its mark, only its mark, only on the window's nodes.
    mark = {"aws:ResourceTag/PatchGroup": "globex-api", "aws:TagKeys": ["PatchingCaughtUp"]}
    assert allowed(granted, Request("ec2:CreateTags", instance, mark))
    assert not allowed(granted, Request("ec2:CreateTags", instance, {**mark, "aws:TagKeys": ["PatchGroup"]}))
    assert not allowed(granted, Request("ec2:CreateTags", instance, {**mark, "aws:ResourceTag/PatchGroup": "acme-web"}))
    window = f"arn:aws:ssm:{REGION}:{ACCOUNT}:maintenancewindow/mw-0a"
    for action in ("ssm:GetMaintenanceWindow", "ssm:ListTagsForResource"):
        assert allowed(granted, Request(action, window, {"aws:ResourceTag/Customer": "globex"}))
        assert not allowed(granted, Request(action, window, {"aws:ResourceTag/Customer": "acme"}))
    assert not allowed(granted, Request("ssm:UpdateMaintenanceWindow", window, {"aws:ResourceTag/Customer": "globex"}))
    calendar = f"arn:aws:ssm:{REGION}:{ACCOUNT}:document/globex-change-freezes"
    assert allowed(granted, Request("ssm:GetCalendarState", calendar))
    assert not allowed(granted, Request("ssm:GetCalendarState", calendar.replace("globex", "acme")))
    topic = "arn:aws:sns:us-east-1:111122223333:globex-ops-alerts"
    assert allowed(granted, Request("sns:Publish", topic))
    assert not allowed(granted, Request("sns:Publish", topic.replace("globex", "acme")))
    notify = f"arn:aws:iam::{ACCOUNT}:role/globex-notify-mock"
    assert allowed(granted, Request("iam:PassRole", notify, {"iam:PassedToService": "ssm.amazonaws.com"}))
    assert not allowed(granted, Request("iam:PassRole", notify, {"iam:PassedToService": "ec2.amazonaws.com"}))
    read = {"aws:RequestedRegion": REGION}
    assert allowed(granted, Request("ec2:DescribeInstances", "*", read))
    assert not allowed(granted, Request("ec2:DescribeInstances", "*", {"aws:RequestedRegion": "eu-west-1"}))


def test_the_events_role_may_only_start_this_runbook_as_the_catch_up_role(run):
    granted = policy(run, "globex-tue-install-catch-up-events")
    definition = f"arn:aws:ssm:{REGION}:{ACCOUNT}:automation-definition/globex-tue-install-catch-up:$DEFAULT"
    role = f"arn:aws:iam::{ACCOUNT}:role/globex-catch-up-mock"
    assert allowed(granted, Request("ssm:StartAutomationExecution", definition))
    assert not allowed(granted, Request("ssm:StartAutomationExecution", definition.replace("tue-install", "x")))
    assert allowed(granted, Request("iam:PassRole", role, {"iam:PassedToService": "ssm.amazonaws.com"}))
    assert not allowed(
        granted,
        Request("iam:PassRole", role.replace("catch-up", "freeze-guard"), {"iam:PassedToService": "ssm.amazonaws.com"}),
    )
    trust = json.loads(run.named("globex-catch-up", "aws:iam/role:Role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "ssm.amazonaws.com"}
    assert trust["Statement"][0]["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    events = json.loads(run.named("globex-catch-up-events", "aws:iam/role:Role").inputs["assumeRolePolicy"])
    assert events["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}


def test_the_component_refuses_a_window_it_cannot_catch_up_before_registering_anything():
    from patching_components import WindowCatchUp
    from patching_components.errors import ConfigError
    from tests.engine import run_program

    args = {
        "schedule": "rate(1 day)",
        "duration_hours": 2,
        "cutoff_hours": 1,
        "operation": "Install",
        "customer": "acme",
        "window_id": "mw-0123456789abcdef0",
        "patch_groups": ["acme-web"],
        "role_arn": "arn:aws:iam::123456789012:role/acme-catch-up",
        "role_name": "acme-catch-up",
        "events_role_arn": "arn:aws:iam::123456789012:role/acme-catch-up-events",
        "events_role_name": "acme-catch-up-events",
    }
    with pytest.raises(ConfigError, match="catch_up: a catch-up needs operation: Install"):
        WindowCatchUp("w", args)
    with pytest.raises(ConfigError, match=r"catch_up.max_age_days"):
        WindowCatchUp("w", {**args, "catch_up": {"max_age_days": 0}})
    run = run_program({}, stack="args", program=lambda: WindowCatchUp("w", {**args, "catch_up": {"max_age_days": 8}}))
    assert sorted(r.name for r in run.resources) == [
        "w",
        "w-events",
        "w-runbook",
        "w-runbook",
        "w-start",
        "w-start",
    ]


def test_the_command_streams_to_cloudwatch_and_notifies_only_as_the_window_does():
    from patching_components.components.catch_up import patch_command
    from patching_components.config import MaintenanceWindowConfig

    window = MaintenanceWindowConfig.model_validate(
        {
            "schedule": "cron(0 2 ? * SUN *)",
            "durationHours": 4,
            "cutoffHours": 1,
            "operation": "Install",
            "rebootOption": "NoReboot",
            "catchUp": {"maxAgeDays": 8},
        }
    )
    command = patch_command(window, "acme-weekly-catch-up", {"cloudwatch_log_group_name": "/patching/acme"})
    # No hooks: AWS-RunPatchBaseline; the window's reboot option; (4 - 1) h - 15 min of delivery timeout.
    assert command == {
        "DocumentName": "AWS-RunPatchBaseline",
        "InstanceIds": ["{{ InstanceId }}"],
        "Parameters": {"Operation": ["Install"], "RebootOption": ["NoReboot"]},
        "Comment": "catch-up Install (acme-weekly-catch-up)",
        "TimeoutSeconds": (3 * 60 - 15) * 60,
        "CloudWatchOutputConfig": {"CloudWatchLogGroupName": "/patching/acme", "CloudWatchOutputEnabled": True},
    }


def test_scan_only_builds_no_catch_up():
    from patching_components.components.customer import _catch_up_windows
    from patching_components.config import load_stack_file
    from patching_components.iam_policies import catch_up_policy_issues

    config = load_stack_file(GLOBEX)
    assert _catch_up_windows(config) == ["tue-install"]
    scan_only = config.model_copy(update={"mode": "scan-only"})
    assert _catch_up_windows(scan_only) == []
    assert catch_up_policy_issues(scan_only) == []
