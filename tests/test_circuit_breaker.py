"""The circuit breaker (issue #23): stopOnAlarms in the stack file, what the program builds for it, its runbook
along every path (tests/runbook_sim.py against moto, every AWS call failing in turn) and its roles (tests/iam_model.py).

Expected values come from AWS's documentation: botocore's model for the limits, "Alarm events and EventBridge"
(CloudWatch User Guide) for the event, "Transforming target input" (EventBridge User Guide) for the target's input,
"CancelMaintenanceWindowExecution" (SSM API Reference) for what a cancel does."""

from __future__ import annotations

import itertools
import json

import boto3
import botocore.session
import pytest
import yaml
from iam_model import Request, allowed
from moto import mock_aws
from runbook_sim import (
    ACCOUNT,
    CANCELLED_COMMANDS,
    CATCH_UP_COMMANDS,
    CATCH_UP_RUNS,
    REGION,
    STOPPED_AUTOMATIONS,
    TASK_INVOCATIONS,
    WINDOW_EXECUTIONS,
    Fault,
    Runner,
    fault_matrix,
    seed_catch_up_run,
    seed_running_command,
    seed_window_execution,
    set_window_enabled,
    window_enabled,
)

from conftest import ROOT, example_run
from patching_components.aws import alarms
from patching_components.config import ConfigError, validate

ACME = ROOT / "stacks" / "Pulumi.acme.yaml"
TAG, FREEZE_TAG = "PatchingCircuitBreaker", "PatchingFreezeGuard"
ALARM = "acme-web-5xx-errors"


@pytest.fixture(scope="module")
def run():
    return example_run(ACME)


def breaker_document(run) -> dict:
    (document,) = [d for d in run.of_type("aws:ssm/document:Document") if d.name == "acme-breaker"]
    return yaml.safe_load(document.inputs["content"])


# -- the stack file ---------------------------------------------------------------------------------


def test_the_limits_are_awss():
    session = botocore.session.get_session()
    ssm, cloudwatch = session.get_service_model("ssm"), session.get_service_model("cloudwatch")
    for operation in ("SendCommand", "RegisterTaskWithMaintenanceWindow"):
        shape = ssm.operation_model(operation).input_shape.members["AlarmConfiguration"]
        assert shape.members["Alarms"].metadata["max"] == alarms.MAX_ALARMS == 1
    name = cloudwatch.operation_model("PutMetricAlarm").input_shape.members["AlarmName"].metadata
    assert (name["min"], name["max"]) == alarms.ALARM_NAME_LENGTHS == (1, 255)
    assert ssm.shape_for("Alarm").members["Name"].metadata["max"] == 255


def _window(**extra):
    window = {"schedule": "cron(0 2 ? * SUN *)", "durationHours": 4, "cutoffHours": 1, "operation": "Install"}
    return {**window, **extra}


def _stack(window):
    return {
        "customer": "acme",
        "baselines": {"al2023": {"operatingSystem": "AMAZON_LINUX_2023"}},
        "maintenanceWindows": {"sunday": window},
        "patchGroups": {"web": {"baselines": ["al2023"], "maintenanceWindows": ["sunday"]}},
    }


@pytest.mark.parametrize(
    ("alarm_names", "message"),
    [
        (["x" * 256], "stopOnAlarms[0]: an alarm name has 1-255 characters (this one: 256)"),
        ([""], "stopOnAlarms[0]: an alarm name has 1-255 characters (this one: 0)"),
        (["web\n5xx"], "stopOnAlarms[0]: an alarm name has no control characters"),
        (["a", "b"], "stopOnAlarms: AWS takes at most 1 alarm per task"),
    ],
)
def test_alarm_names_are_checked_with_cloudwatchs_rules(alarm_names, message):
    with pytest.raises(ConfigError) as info:
        validate(_stack(_window(stopOnAlarms=alarm_names)), "x")
    assert any(message in line for line in info.value.lines()), info.value.lines()


def test_a_name_cloudwatch_takes_is_taken():
    config = validate(_stack(_window(stopOnAlarms=["x" * 255])), "x")
    assert config.maintenance_windows["sunday"].stop_on_alarms == ["x" * 255]
    composite = "acme (web) 5xx | latency"  # any printable characters: CloudWatch has no pattern
    assert validate(_stack(_window(stopOnAlarms=[composite])), "x").maintenance_windows["sunday"].stop_on_alarms


def test_the_tag_value_is_one_systems_manager_takes():
    # AWS's Tag.Value: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$, at most 256 (botocore's model).
    assert alarms.tag_value("acme (web) 5xx | latency") == "acme _web_ 5xx _ latency"
    assert alarms.tag_value("Zürich-5xx:p99/=+@_.") == "Zürich-5xx:p99/=+@_."
    assert len(alarms.tag_value("x" * 255)) == 255


# -- what is built ----------------------------------------------------------------------------------


def test_the_rule_matches_the_alarm_going_to_alarm_and_passes_its_name(run):
    (rule,) = run.of_type("aws:cloudwatch/eventRule:EventRule")
    assert json.loads(rule.inputs["eventPattern"]) == {
        "source": ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        "resources": [f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{ALARM}"],
        "detail": {"state": {"value": ["ALARM"]}},
    }
    (target,) = run.of_type("aws:cloudwatch/eventTarget:EventTarget")
    assert target.inputs["arn"] == f"arn:aws:ssm:{REGION}:{ACCOUNT}:automation-definition/acme-circuit-breaker:$DEFAULT"
    assert target.inputs["roleArn"].endswith(":role/acme-breaker-events-mock")
    transformer = target.inputs["inputTransformer"]
    assert transformer["inputPaths"] == {"alarm": "$.detail.alarmName"}
    # What EventBridge sends for the AWS example event's alarmName: the variable keeps its JSON quotes.
    rendered = transformer["inputTemplate"].replace("<alarm>", json.dumps(ALARM))
    assert json.loads(rendered) == {
        "AutomationAssumeRole": [f"arn:aws:iam::{ACCOUNT}:role/acme-circuit-breaker-mock"],
        "AlarmName": [ALARM],
    }


def test_the_runbook_defaults_to_every_window_of_the_region_and_the_topic(run):
    parameters = breaker_document(run)["parameters"]
    windows = run.of_type("aws:ssm/maintenanceWindow:MaintenanceWindow")
    assert (
        len(parameters["WindowIds"]["default"]) == len(windows) == 4
    )  # scan, dev and prod installs, golden AMI rebuild
    assert parameters["NotificationTopicArn"]["default"].startswith(f"arn:aws:sns:{REGION}:{ACCOUNT}:")
    assert parameters["AlarmName"]["default"] == ""


def test_pulumi_up_never_enables_a_window_the_breaker_disabled(run):
    windows = run.of_type("aws:ssm/maintenanceWindow:MaintenanceWindow")
    assert windows and all(w.ignore_changes == ["enabled"] for w in windows)


def test_no_breaker_without_stop_alarms():
    initech = example_run(ROOT / "stacks" / "Pulumi.initech.yaml")
    assert not [r for r in initech.resources if "CircuitBreaker" in r.type]
    assert not [r for r in initech.resources if r.name.endswith(("-circuit-breaker", "-breaker-events"))]


# -- the roles --------------------------------------------------------------------------------------


def _policy(run, name):
    (policy,) = [p for p in run.of_type("aws:iam/rolePolicy:RolePolicy") if p.name == name]
    return json.loads(policy.inputs["policy"])


WINDOW = f"arn:aws:ssm:{REGION}:{ACCOUNT}:maintenancewindow/mw-0123456789abcdef0"
ACME_WINDOW = {"aws:ResourceTag/Customer": "acme"}
OTHER_WINDOW = {"aws:ResourceTag/Customer": "globex"}
RUNBOOK_CALLS = (
    "ssm:GetMaintenanceWindow",
    "ssm:ListTagsForResource",
    "ssm:UpdateMaintenanceWindow",
    "ssm:DescribeMaintenanceWindowExecutions",
    "ssm:CancelMaintenanceWindowExecution",
)


def test_the_breaker_role_stops_this_customers_windows_and_no_one_elses(run):
    policy = [_policy(run, "acme-breaker")]
    for action in RUNBOOK_CALLS:
        assert allowed(policy, Request(action, WINDOW, ACME_WINDOW)), action
        assert not allowed(policy, Request(action, WINDOW, OTHER_WINDOW)), action
        assert not allowed(policy, Request(action, WINDOW.replace(REGION, "us-east-1"), ACME_WINDOW)), action
    mark = {**ACME_WINDOW, "aws:TagKeys": [TAG]}
    assert allowed(policy, Request("ssm:AddTagsToResource", WINDOW, mark))
    assert not allowed(policy, Request("ssm:AddTagsToResource", WINDOW, {**OTHER_WINDOW, "aws:TagKeys": [TAG]}))
    for keys in (["Customer"], [FREEZE_TAG], [TAG, "Customer"]):  # never the tag that scopes it, nor the guard's
        assert not allowed(policy, Request("ssm:AddTagsToResource", WINDOW, {**ACME_WINDOW, "aws:TagKeys": keys}))
    # Only an operator undoes a trip: no untagging, nothing else of SSM.
    assert not allowed(policy, Request("ssm:RemoveTagsFromResource", WINDOW, {**ACME_WINDOW, "aws:TagKeys": [TAG]}))
    assert not allowed(policy, Request("ssm:SendCommand", "*", {}))
    topic = breaker_document(run)["parameters"]["NotificationTopicArn"]["default"]
    assert allowed(policy, Request("sns:Publish", topic))
    assert not allowed(policy, Request("sns:Publish", topic + "-other"))


def test_the_breaker_role_may_cancel_running_commands_in_its_region_only(run):
    """IAM's action table gives CancelCommand and the two task listings no resource type and no condition key of
    their own (parliament's copy of it, checked below): "*" is all IAM offers, limited here to the breaker's region
    (aws:RequestedRegion). Which commands it cancels is the runbook's: only those it finds through this customer's
    windows, whose executions the tag-scoped statement alone lets it list (tested above)."""
    policy = [_policy(run, "acme-breaker")]
    here, there = {"aws:RequestedRegion": REGION}, {"aws:RequestedRegion": "us-east-1"}
    for action in (
        "ssm:CancelCommand",
        "ssm:DescribeMaintenanceWindowExecutionTasks",
        "ssm:DescribeMaintenanceWindowExecutionTaskInvocations",
    ):
        assert allowed(policy, Request(action, "*", here)), action
        assert not allowed(policy, Request(action, "*", there)), action
    # it may cancel, never run, anything: no SendCommand, no StartAutomationExecution, on any resource
    for action in ("ssm:SendCommand", "ssm:StartAutomationExecution"):
        assert not allowed(policy, Request(action, "*", here)), action
    # still nobody else's windows: the executions (and so the commands) of another customer cannot be listed
    assert not allowed(policy, Request("ssm:DescribeMaintenanceWindowExecutions", WINDOW, {**OTHER_WINDOW, **here}))


def test_iam_gives_the_command_calls_no_resource_type():
    import importlib.resources

    definition = json.loads(importlib.resources.files("parliament").joinpath("iam_definition.json").read_text())
    (ssm,) = [service for service in definition if service["prefix"] == "ssm"]
    types = {p["privilege"]: {r["resource_type"] for r in p["resource_types"]} for p in ssm["privileges"]}
    for action in ("CancelCommand", "DescribeMaintenanceWindowExecutionTasks"):
        assert types[action] == {""}, action
    assert types["DescribeMaintenanceWindowExecutionTaskInvocations"] == {""}


def test_the_breaker_role_grants_exactly_its_runbooks_calls(run):
    from iam_model import granted_actions
    from runbook_sim import step_calls

    document = breaker_document(run)
    calls = {f"{service}:{api}" for step in document["mainSteps"] for service, api in step_calls(step)}
    assert calls == {
        *(f"ssm:{a}" for a in ("GetMaintenanceWindow", "ListTagsForResource", "AddTagsToResource")),
        *(f"ssm:{a}" for a in ("UpdateMaintenanceWindow", "DescribeMaintenanceWindowExecutions")),
        "ssm:CancelMaintenanceWindowExecution",
        "ssm:DescribeMaintenanceWindowExecutionTasks",
        "ssm:DescribeMaintenanceWindowExecutionTaskInvocations",
        "ssm:CancelCommand",
        "ssm:StopAutomationExecution",
        "ssm:DescribeAutomationExecutions",
        "ssm:DescribeAutomationStepExecutions",
    }
    # + sns:Publish: the notify steps publish through boto3.client("sns").publish(...), which step_calls does not read
    granted = granted_actions([_policy(run, "acme-breaker")])
    assert {a.lower() for a in granted} == {a.lower() for a in calls | {"sns:Publish"}}


def test_eventbridge_may_start_the_breaker_only_as_the_breaker_role(run):
    policy = [_policy(run, "acme-breaker-events")]
    definition = f"arn:aws:ssm:{REGION}:{ACCOUNT}:automation-definition/acme-circuit-breaker:$DEFAULT"
    role = f"arn:aws:iam::{ACCOUNT}:role/acme-circuit-breaker-mock"
    assert allowed(policy, Request("ssm:StartAutomationExecution", definition))
    assert not allowed(policy, Request("ssm:StartAutomationExecution", definition.replace("circuit-breaker", "x")))
    assert allowed(policy, Request("iam:PassRole", role, {"iam:PassedToService": "ssm.amazonaws.com"}))
    assert not allowed(policy, Request("iam:PassRole", role, {"iam:PassedToService": "ec2.amazonaws.com"}))
    assert not allowed(policy, Request("iam:PassRole", role.replace("circuit-breaker", "automation")))


def test_the_roles_trust_as_aws_documents(run):
    breaker = json.loads(run.named("acme-circuit-breaker", "aws:iam/role:Role").inputs["assumeRolePolicy"])
    (statement,) = breaker["Statement"]
    assert statement["Principal"] == {"Service": "ssm.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == f"arn:aws:ssm:*:{ACCOUNT}:automation-execution/*"
    events = json.loads(run.named("acme-breaker-events", "aws:iam/role:Role").inputs["assumeRolePolicy"])
    assert events["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}


# -- the runbook, path by path ----------------------------------------------------------------------

_paths = itertools.count()


@pytest.fixture(scope="module")
def sim():
    with mock_aws():
        yield boto3.client("sns", region_name=REGION).create_topic(Name="sim-breaker-alerts")["TopicArn"]


def _catch_up_runbook():
    """globex's catch-up runbook as shipped (its real steps: a seeded run is at one of them)."""
    run = example_run(ROOT / "stacks" / "Pulumi.globex.yaml")
    (document,) = [d for d in run.of_type("aws:ssm/document:Document") if d.name.endswith("-catch-up-runbook")]
    return yaml.safe_load(document.inputs["content"])


CATCH_UP = _catch_up_runbook()


class BreakerPath:
    """The customer's windows: two enabled (the install one running), one disabled by hand, one the freeze guard
    disabled, one approval-gated (disabled until the guard opens it for an approved opening, untagged); when
    ``broken``, one deleted and one the breaker role may not touch. And a catch-up run of the customer's catch-up
    runbook (started by EventBridge when a node started, not by a window) patching its node, beside a run of another
    customer's catch-up runbook and one of a runbook whose name only starts with the customer's."""

    def __init__(self, document, broken=False):
        n = next(_paths)
        self.document = document
        self.ssm = boto3.client("ssm", region_name=REGION)

        def window(name):
            return self.ssm.create_maintenance_window(
                Name=f"brk-{n}-{name}",
                Schedule="cron(0 2 ? * SUN *)",
                Duration=4,
                Cutoff=1,
                AllowUnassociatedTargets=False,
                Tags=[{"Key": "Customer", "Value": "acme"}],
            )["WindowId"]

        self.enabled = [window("scan"), window("install")]
        self.running = f"{n:08x}-0000-4000-8000-000000000001"
        seed_window_execution(self.enabled[1], self.running, "IN_PROGRESS")
        seed_window_execution(self.enabled[1], f"{n:08x}-0000-4000-8000-000000000000", "SUCCESS")
        # its patch task is running: AWS-RunPatchBaseline's command is in flight on the nodes
        self.task = f"{n:08x}-0000-4000-8000-0000000000a1"
        self.command = f"{n:08x}-0000-4000-8000-0000000000c1"
        seed_running_command(self.running, self.task, self.command)
        # and a snapshotBeforeInstall install task: an AUTOMATION task, one Automation execution per node (snapshot,
        # AWS-RunPatchBaseline, reboot) that CancelMaintenanceWindowExecution lets run on
        self.automation_task = f"{n:08x}-0000-4000-8000-0000000000a5"
        self.automation = f"{n:08x}-0000-4000-8000-0000000000b1"
        seed_running_command(self.running, self.automation_task, self.automation, task_type="AUTOMATION")
        self.by_hand = window("paused")
        set_window_enabled(self.by_hand, False)
        self.frozen = window("frozen")
        set_window_enabled(self.frozen, False)
        self.ssm.add_tags_to_resource(
            ResourceType="MaintenanceWindow", ResourceId=self.frozen, Tags=[{"Key": FREEZE_TAG, "Value": "x"}]
        )
        self.gated = window("gated")
        set_window_enabled(self.gated, False)
        self.deleted, self.denied = [], frozenset()
        if broken:
            gone, locked = window("gone"), window("locked")
            self.ssm.delete_maintenance_window(WindowId=gone)
            self.deleted, self.denied = [gone], frozenset({locked})
        self.windows = [*self.enabled, self.by_hand, self.frozen, self.gated, *self.deleted, *self.denied]
        # its decide step passed before the trip: the patch step's command runs on the node
        self.catch_up = f"acme-brk{n}-sunday-catch-up"
        self.catch_up_run = f"{n:08x}-0000-4000-8000-0000000000f1"
        seed_catch_up_run(CATCH_UP, self.catch_up, self.catch_up_run, at="patch")
        self.not_ours = [f"{n:08x}-0000-4000-8000-0000000000f8", f"{n:08x}-0000-4000-8000-0000000000f9"]
        seed_catch_up_run(CATCH_UP, f"globex-brk{n}-sunday-catch-up", self.not_ours[0], at="patch")
        seed_catch_up_run(CATCH_UP, f"{self.catch_up}-2", self.not_ours[1], at="patch")

    def run(self, fault=None, topic="", alarm=ALARM):
        parameters = {
            "WindowIds": self.windows,
            "GatedWindowIds": [self.gated],
            "NotificationTopicArn": topic,
            "AlarmName": alarm,
            "CatchUpDocumentNames": [self.catch_up],
        }
        return Runner(
            self.document, parameters, execution_id=f"breaker-{next(_paths)}", fault=fault, denied=self.denied
        ).run()

    def state(self, window_id):
        from moto.ssm.models import ssm_backends

        enabled = window_enabled(ssm_backends[ACCOUNT][REGION].windows[window_id])
        tags = self.ssm.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=window_id)["TagList"]
        return enabled, {t["Key"]: t["Value"] for t in tags}.get(TAG)

    def execution(self):
        (found,) = [e for e in WINDOW_EXECUTIONS[self.enabled[1]] if e["WindowExecutionId"] == self.running]
        return found["Status"]

    def command_status(self):
        """The status of the running patch command's invocation: CANCELLING once CancelCommand was sent."""
        (invocation,) = TASK_INVOCATIONS[(self.running, self.task)]
        return invocation["Status"]

    def automation_status(self):
        """The status of the running Automation task's invocation: CANCELLING once StopAutomationExecution (Cancel)
        was sent for its Automation execution."""
        (invocation,) = TASK_INVOCATIONS[(self.running, self.automation_task)]
        return invocation["Status"]

    def catch_up_status(self, run_id=None):
        """(the catch-up run's status, its patch command's): (Cancelling, Cancelling) once both were cancelled."""
        run_id = run_id or self.catch_up_run
        return CATCH_UP_RUNS[run_id]["AutomationExecutionStatus"], CATCH_UP_COMMANDS[f"cmd-{run_id}"]

    def others_untouched(self):
        return all(self.catch_up_status(r) == ("InProgress", "InProgress") for r in self.not_ours)


def _sent(topic):
    from moto.sns.models import sns_backends

    return [
        (subject, message) for _, message, subject, *_ in sns_backends[ACCOUNT][REGION].topics[topic].sent_notifications
    ]


def test_a_trip_disables_tags_cancels_and_tells_the_topic(sim, run):
    path = BreakerPath(breaker_document(run))
    before = len(_sent(sim))
    result = path.run(topic=sim)
    assert result.status == "Success", (result.history, result.failures)
    assert [path.state(w) for w in path.enabled] == [(False, ALARM), (False, ALARM)]
    assert path.state(path.frozen) == (False, ALARM)  # the guard may not enable it after the freeze either
    assert path.state(path.by_hand) == (False, None)  # disabled by hand: resume must not enable it
    # Approval-gated: disabled now, but the guard would enable it for the next approved opening: tagged, so it
    # does not (and resume hands it back to the guard).
    assert path.state(path.gated) == (False, ALARM)
    assert path.execution() == "CANCELLING"
    assert [e["Status"] for e in WINDOW_EXECUTIONS[path.enabled[1]]] == ["CANCELLING", "SUCCESS"]
    # the command already running goes on after CancelMaintenanceWindowExecution: the breaker cancels it itself
    assert path.command_status() == "CANCELLING" and CANCELLED_COMMANDS.count(path.command) == 1
    assert result.outputs["cancelExecutions"]["CommandsCancelled"] == [
        f"{path.enabled[1]}: {path.command}",
        f"{path.catch_up}: cmd-{path.catch_up_run}",  # the catch-up run's (below)
    ]
    ((subject, message),) = _sent(sim)[before:]
    assert subject == "Patching stopped: circuit breaker tripped"
    assert f"Alarm {ALARM} went to ALARM" in message and "patching resume STACK" in message
    assert path.running in message
    assert f"Run Command commands already running, cancelled: {path.enabled[1]}: {path.command}" in message
    # the snapshotBeforeInstall Automation already running is cancelled too, and the topic told
    assert path.automation_status() == "CANCELLING"
    assert STOPPED_AUTOMATIONS.count((path.automation, "Cancel")) == 1
    assert result.outputs["cancelExecutions"]["AutomationsCancelled"] == [f"{path.enabled[1]}: {path.automation}"]
    assert f"Automation executions already running (snapshot, patch, reboot), cancelled: {path.enabled[1]}: " in message


def test_an_alarm_name_the_tag_cannot_hold_is_written_as_a_valid_tag_value(sim, run):
    path = BreakerPath(breaker_document(run))
    assert path.run(alarm="acme (web) 5xx").status == "Success"
    assert path.state(path.enabled[0]) == (False, "acme _web_ 5xx")


def test_a_deleted_and_a_denied_window_do_not_stop_the_others_and_the_run_fails_and_tells(sim, run):
    path = BreakerPath(breaker_document(run), broken=True)
    before = len(_sent(sim))
    result = path.run(topic=sim)
    assert result.status == "Failed"
    assert [path.state(w) for w in path.enabled] == [(False, ALARM), (False, ALARM)]
    assert path.execution() == "CANCELLING"
    failed = result.outputs["disableWindows"]["Failed"]
    assert [f.split(":")[0] for f in failed] == [*path.deleted, *path.denied]
    assert result.history[-2:] == [("notifyFailure", "Success"), ("endFailed", "Failed")]
    subjects = [s for s, _ in _sent(sim)[before:]]
    assert subjects == [
        "Patching stopped: circuit breaker tripped (with failures)",
        "Circuit breaker failed: patching may not have stopped",
    ]


def expected_status(fault: Fault) -> str:
    if fault.kind == "cancel":
        return "Cancelled"
    if fault.step == "notifyTrip":
        return "Success"  # retried (maxAttempts 3): the fault hits the first attempt only
    return "Failed"  # a window not stopped (listed, the others stopped) or a step timed out: notifyFailure, endFailed


FAILURE_ONLY_STEPS = ("cancelAfterFailure", "notifyFailure", "endFailed")
REPRESENTATIVE = {
    "cancelExecutions:DescribeAutomationExecutions:error",
    "disableWindows:UpdateMaintenanceWindow:lost",
    "disableWindows:-:cancel",
    "cancelExecutions:CancelMaintenanceWindowExecution:error",
    "notifyTrip:Publish:error",
}


def _paths_of(document):
    return [
        pytest.param(fault, id=str(fault), marks=() if str(fault) in REPRESENTATIVE else pytest.mark.slow)
        for fault in fault_matrix(document)
    ]


@pytest.mark.parametrize("fault", _paths_of(breaker_document(example_run(ACME))))
def test_every_path_stops_what_it_can_and_a_failure_reaches_the_topic(sim, run, fault):
    path = BreakerPath(breaker_document(run))
    before = len(_sent(sim))
    result = path.run(fault, topic=sim)
    if fault.step in FAILURE_ONLY_STEPS:  # not met on a run that succeeds
        assert not result.injected and result.status == "Success"
        return
    assert result.injected, fault
    assert result.status == expected_status(fault), (result.history, result.failures)
    assert path.state(path.by_hand) == (False, None)
    stopped = [w for w in path.enabled if path.state(w) == (False, ALARM)]
    if fault.step == "disableWindows" and fault.kind in ("error", "lost"):
        # Only the window whose call failed is missed (listed); the other one is stopped.
        ((missed, _),) = [f.split(":", 1) for f in result.outputs["disableWindows"]["Failed"]]
        assert stopped in ([w for w in path.enabled if w != missed], path.enabled)
    elif fault.step != "disableWindows":
        assert stopped == path.enabled  # disabled before the fault
    catch_up_calls = ("DescribeAutomationExecutions", "DescribeAutomationStepExecutions")
    command_calls = (
        "DescribeMaintenanceWindowExecutionTasks",
        "DescribeMaintenanceWindowExecutionTaskInvocations",
        "CancelCommand",
        "StopAutomationExecution",
    )
    if fault.kind == "cancel" and fault.step in ("disableWindows", "cancelExecutions"):
        pass  # an operator stopped the run before it cancelled anything
    elif fault.step == "cancelExecutions" and fault.api in catch_up_calls:
        # the windows come first: all stopped; the catch-up run (listing) or its command (its steps) is not
        assert path.execution() == "CANCELLING"
        assert path.command_status() == path.automation_status() == "CANCELLING"
        assert result.status == "Failed"
    elif fault.step == "cancelExecutions" and fault.api in command_calls:
        # The execution was cancelled first. Its tasks, in order: the Run Command one, then the Automation one; each
        # is stopped unless the fault kept it running (a lost response: it took effect; a timeout ends the step).
        assert path.execution() == "CANCELLING"
        if fault.api == "DescribeMaintenanceWindowExecutionTasks":
            command = automation = fault.kind == "lost"
        elif fault.api == "StopAutomationExecution":
            command, automation = True, fault.kind == "lost"
        else:  # the Run Command task's listing or cancel: the Automation task is still stopped (unless timed out)
            command, automation = fault.kind == "lost" and fault.api == "CancelCommand", fault.kind != "timeout"
        if fault.api == "DescribeMaintenanceWindowExecutionTasks" and fault.kind == "lost":
            command = automation = False  # the listing took effect but the step never read it
        assert path.command_status() == ("CANCELLING" if command else "IN_PROGRESS")
        assert path.automation_status() == ("CANCELLING" if automation else "IN_PROGRESS")
        assert result.status == "Failed"  # a command or Automation it could not (be sure to) cancel: Failed, told
    elif fault.step == "cancelExecutions" and (
        fault.kind == "timeout" or fault.api != "DescribeMaintenanceWindowExecutions"
    ):
        assert path.execution() == ("CANCELLING" if fault.kind == "lost" else "IN_PROGRESS")
        # an execution it could not cancel: its running command is cancelled all the same (a timeout ends the step)
        assert path.command_status() == ("IN_PROGRESS" if fault.kind == "timeout" else "CANCELLING")
        assert path.automation_status() == path.command_status()
    else:  # cancelled by cancelExecutions (the fault hit the other window) or by cancelAfterFailure
        assert path.execution() == "CANCELLING"
        if fault.step != "cancelExecutions" or fault.kind != "cancel":
            assert path.command_status() == "CANCELLING"
            assert path.automation_status() == "CANCELLING"
    # The catch-up run: cancelled with its command, unless the fault came first
    if fault.kind == "cancel" and fault.step in ("disableWindows", "cancelExecutions"):
        pass
    elif fault.step == "cancelExecutions" and fault.api == "DescribeAutomationExecutions":
        assert path.catch_up_status() == ("InProgress", "InProgress")
    elif fault.step == "cancelExecutions" and fault.api == "DescribeAutomationStepExecutions":
        assert path.catch_up_status() == ("Cancelling", "InProgress")
    elif fault.step == "cancelExecutions" and fault.kind == "timeout":  # ended the step among the windows
        assert path.catch_up_status() == ("InProgress", "InProgress")
    else:
        assert path.catch_up_status() == ("Cancelling", "Cancelling"), (fault, result.history)
    assert path.others_untouched()
    subjects = [s for s, _ in _sent(sim)[before:]]
    if result.status == "Failed":
        assert subjects[-1] == "Circuit breaker failed: patching may not have stopped", result.history
        assert result.history[-1] == ("endFailed", "Failed")


def test_a_breaker_role_iam_would_refuse_is_an_error_at_validate():
    from patching_components.checks import built_artifact_issues

    regions = ["eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "eu-south-1", "us-east-1"]
    regions += ["us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ap-southeast-2"]
    # With a topic (of up to 256 characters) each region's policy is over 1,000 characters, IAM's limit 10,240 a role.
    raw = {**_stack(_window(stopOnAlarms=["acme-web-5xx"])), "notifications": {"emails": ["ops@acme.example"]}}
    config = validate({**raw, "regions": regions[:2]}, "x")
    assert built_artifact_issues(config) == []
    issues = built_artifact_issues(validate({**raw, "regions": regions}, "x"))
    assert [i.message.split(":")[0] for i in issues] == ["stopOnAlarms in 12 regions"]
    assert "IAM allows 10,240 per role" in issues[0].message


def test_a_second_trip_keeps_the_windows_stopped_and_says_so(sim, run):
    path = BreakerPath(breaker_document(run))
    assert path.run().status == "Success"
    again = path.run(alarm="acme-web-latency")
    assert again.status == "Success"
    assert again.outputs["disableWindows"]["Disabled"] == [*path.enabled, path.frozen, path.gated]
    assert again.outputs["disableWindows"]["LeftDisabled"] == [path.by_hand]
    assert [path.state(w) for w in path.enabled] == [(False, "acme-web-latency"), (False, "acme-web-latency")]


# -- the commands already running (review of #23/#24: CancelMaintenanceWindowExecution lets a running task finish) --


def test_every_running_command_of_the_executions_it_stops_is_cancelled_and_nothing_else(sim, run):
    """Two Run Command tasks running (one with two commands, one already finished), an Automation task (its runs
    are not Run Command commands: left to the execution's cancel), and an execution an earlier trip left CANCELLING
    whose command still runs: every in-flight command is cancelled, the finished one is not, and the CANCELLING
    execution is not cancelled again."""
    path = BreakerPath(breaker_document(run))
    n = path.running[:8]
    second = f"{n}-0000-4000-8000-0000000000c2"
    seed_running_command(path.running, path.task, second)
    done_task, done = f"{n}-0000-4000-8000-0000000000a2", f"{n}-0000-4000-8000-0000000000c3"
    seed_running_command(path.running, done_task, done, status="SUCCESS")
    automation = f"{n}-0000-4000-8000-0000000000c4"
    seed_running_command(path.running, f"{n}-0000-4000-8000-0000000000a3", automation, task_type="AUTOMATION")
    earlier, leftover = f"{n}-0000-4000-8000-0000000000e1", f"{n}-0000-4000-8000-0000000000c5"
    seed_window_execution(path.enabled[0], earlier, "CANCELLING")
    seed_running_command(earlier, f"{n}-0000-4000-8000-0000000000a4", leftover)
    result = path.run(topic=sim)
    assert result.status == "Success", (result.history, result.failures)
    out = result.outputs["cancelExecutions"]
    assert out["Cancelled"] == [f"{path.enabled[1]}: {path.running}"]  # not the CANCELLING one again
    assert sorted(out["CommandsCancelled"]) == sorted(
        [
            f"{path.enabled[0]}: {leftover}",
            f"{path.enabled[1]}: {path.command}",
            f"{path.enabled[1]}: {second}",
            f"{path.catch_up}: cmd-{path.catch_up_run}",
        ]
    )
    for command in (done, automation):
        assert command not in CANCELLED_COMMANDS
    assert [i["Status"] for i in TASK_INVOCATIONS[(path.running, path.task)]] == ["CANCELLING", "CANCELLING"]


def test_a_command_it_cannot_cancel_fails_the_run_and_the_topic_is_told_which(sim, run):
    path = BreakerPath(breaker_document(run))
    locked = f"{path.running[:8]}-0000-4000-8000-0000000000c9"
    seed_running_command(path.running, path.task, locked)
    before = len(_sent(sim))
    result = Runner(
        path.document,
        {"WindowIds": path.windows, "GatedWindowIds": [path.gated], "NotificationTopicArn": sim, "AlarmName": ALARM},
        execution_id="breaker-locked",
        denied=frozenset({locked}),
    ).run()
    assert result.status == "Failed"
    assert result.history[-2:] == [("notifyFailure", "Success"), ("endFailed", "Failed")]
    # the other command of the task is still cancelled; the denied one runs on, and is named
    assert [i["Status"] for i in TASK_INVOCATIONS[(path.running, path.task)]] == ["CANCELLING", "IN_PROGRESS"]
    (failed,) = result.outputs["cancelExecutions"]["Failed"]
    assert failed.startswith(f"{path.enabled[1]}: command {locked} of {path.running} not cancelled")
    (trip, failure) = _sent(sim)[before:]
    assert trip[0] == "Patching stopped: circuit breaker tripped (with failures)"
    assert f"NOT STOPPED, check these now: {path.enabled[1]}: command {locked}" in trip[1]
    assert failure[0] == "Circuit breaker failed: patching may not have stopped"


# -- the Automation tasks already running (review: a snapshotBeforeInstall install task is an AUTOMATION task) ------

AUTOMATION_EXECUTION = f"arn:aws:ssm:{REGION}:{ACCOUNT}:automation-execution/0a1b2c3d-0000-4000-8000-0000000000b1"


def test_the_breaker_role_may_stop_this_regions_automation_executions_and_nothing_more(run):
    """The Service Authorization Reference gives StopAutomationExecution the automation-execution resource type
    (arn:${Partition}:ssm:${Region}:${Account}:automation-execution/${AutomationExecutionId})."""
    policy = [_policy(run, "acme-breaker")]
    assert allowed(policy, Request("ssm:StopAutomationExecution", AUTOMATION_EXECUTION))
    assert not allowed(
        policy, Request("ssm:StopAutomationExecution", AUTOMATION_EXECUTION.replace(REGION, "us-east-1"))
    )
    assert not allowed(
        policy, Request("ssm:StopAutomationExecution", AUTOMATION_EXECUTION.replace(ACCOUNT, "210987654321"))
    )
    # never start one, nor signal or change one
    definition = f"arn:aws:ssm:{REGION}:{ACCOUNT}:automation-definition/acme-snapshot-install:$DEFAULT"
    assert not allowed(policy, Request("ssm:StartAutomationExecution", definition))
    for action in ("ssm:SendAutomationSignal", "ssm:StartChangeRequestExecution"):
        assert not allowed(policy, Request(action, AUTOMATION_EXECUTION)), action


def test_iam_gives_stop_automation_execution_the_automation_execution_resource_type():
    import importlib.resources

    definition = json.loads(importlib.resources.files("parliament").joinpath("iam_definition.json").read_text())
    (ssm,) = [service for service in definition if service["prefix"] == "ssm"]
    types = {p["privilege"]: {r["resource_type"] for r in p["resource_types"]} for p in ssm["privileges"]}
    # (the "" row carries only the action's condition keys: aws:ResourceTag, which these executions do not carry)
    assert types["StopAutomationExecution"] - {""} == {"automation-execution*"}
    (arn,) = [r["arn"] for r in ssm["resources"] if r["resource"] == "automation-execution"]
    assert arn == "arn:${Partition}:ssm:${Region}:${Account}:automation-execution/${AutomationExecutionId}"


def test_a_cancelling_invocation_is_stopped_again_and_a_finished_one_is_not(sim, run):
    """After CancelMaintenanceWindowExecution AWS may show a running invocation CANCELLING while its command or
    Automation still runs: the breaker cancels those too; a finished or cancelled one is left alone."""
    path = BreakerPath(breaker_document(run))
    n = path.running[:8]
    cancelling_command = f"{n}-0000-4000-8000-0000000000d1"
    seed_running_command(path.running, path.task, cancelling_command, status="CANCELLING")
    pending_automation = f"{n}-0000-4000-8000-0000000000d2"
    seed_running_command(
        path.running, path.automation_task, pending_automation, task_type="AUTOMATION", status="PENDING"
    )
    cancelling_automation = f"{n}-0000-4000-8000-0000000000d3"
    seed_running_command(
        path.running, path.automation_task, cancelling_automation, task_type="AUTOMATION", status="CANCELLING"
    )
    finished = f"{n}-0000-4000-8000-0000000000d4"
    seed_running_command(path.running, path.automation_task, finished, task_type="AUTOMATION", status="CANCELLED")
    result = path.run(topic=sim)
    assert result.status == "Success", (result.history, result.failures)
    out = result.outputs["cancelExecutions"]
    w = path.enabled[1]
    catch_up = f"{path.catch_up}: cmd-{path.catch_up_run}"
    assert sorted(out["CommandsCancelled"]) == sorted([f"{w}: {path.command}", f"{w}: {cancelling_command}", catch_up])
    assert sorted(out["AutomationsCancelled"]) == sorted(
        [f"{w}: {a}" for a in (path.automation, pending_automation, cancelling_automation)]
    )
    assert (finished, "Cancel") not in STOPPED_AUTOMATIONS
    statuses = [i["Status"] for i in TASK_INVOCATIONS[(path.running, path.automation_task)]]
    assert statuses == ["CANCELLING", "CANCELLING", "CANCELLING", "CANCELLED"]


def test_an_automation_it_cannot_stop_fails_the_run_and_the_topic_is_told_which(sim, run):
    path = BreakerPath(breaker_document(run))
    locked = f"{path.running[:8]}-0000-4000-8000-0000000000b9"
    seed_running_command(path.running, path.automation_task, locked, task_type="AUTOMATION")
    before = len(_sent(sim))
    result = Runner(
        path.document,
        {"WindowIds": path.windows, "GatedWindowIds": [path.gated], "NotificationTopicArn": sim, "AlarmName": ALARM},
        execution_id="breaker-locked-automation",
        denied=frozenset({locked}),
    ).run()
    assert result.status == "Failed"
    assert result.history[-2:] == [("notifyFailure", "Success"), ("endFailed", "Failed")]
    # the other Automation of the task and the Run Command command are still cancelled; the denied one is named
    statuses = [i["Status"] for i in TASK_INVOCATIONS[(path.running, path.automation_task)]]
    assert statuses == ["CANCELLING", "IN_PROGRESS"] and path.command_status() == "CANCELLING"
    (failed,) = result.outputs["cancelExecutions"]["Failed"]
    assert failed.startswith(f"{path.enabled[1]}: automation execution {locked} of {path.running} not cancelled")
    (trip, failure) = _sent(sim)[before:]
    assert trip[0] == "Patching stopped: circuit breaker tripped (with failures)"
    assert f"NOT STOPPED, check these now: {path.enabled[1]}: automation execution {locked}" in trip[1]
    assert failure[0] == "Circuit breaker failed: patching may not have stopped"


# -- catch-up runs (review of 2026-12-05: EventBridge starts them, not a window; the breaker must stop them too) -------


def test_a_catch_up_run_patching_its_node_is_cancelled_with_its_command_and_the_topic_told(sim, run):
    """A catch-up run whose decide step passed before the trip is at its patch step (aws:runCommand): the breaker
    cancels the run (no further step: no mark, no second command) and the command it sent. Another customer's
    catch-up run, and a run of a runbook whose name only starts with this one's, are left alone."""
    path = BreakerPath(breaker_document(run))
    before = len(_sent(sim))
    result = path.run(topic=sim)
    assert result.status == "Success", (result.history, result.failures)
    assert path.catch_up_status() == ("Cancelling", "Cancelling")
    assert (path.catch_up_run, "Cancel") in STOPPED_AUTOMATIONS
    assert path.others_untouched()
    out = result.outputs["cancelExecutions"]
    assert out["CatchUpsCancelled"] == [f"{path.catch_up}: {path.catch_up_run}"]
    assert f"{path.catch_up}: cmd-{path.catch_up_run}" in out["CommandsCancelled"]
    ((subject, message),) = _sent(sim)[before:]
    assert subject == "Patching stopped: circuit breaker tripped"
    line = "Catch-up runs already going (patch, reboot of a node that started), cancelled: "
    assert f"{line}{path.catch_up}: {path.catch_up_run}" in message


def test_a_catch_up_run_not_yet_patching_is_cancelled_and_one_an_earlier_trip_left_cancelling_loses_its_command(
    sim, run
):
    path = BreakerPath(breaker_document(run))
    n = path.running[:8]
    deciding = f"{n}-0000-4000-8000-0000000000f2"  # at decide: no command sent yet
    seed_catch_up_run(CATCH_UP, path.catch_up, deciding, at="decide")
    left = f"{n}-0000-4000-8000-0000000000f3"  # cancelled by an earlier trip; its command still runs
    seed_catch_up_run(CATCH_UP, path.catch_up, left, at="patch", status="Cancelling")
    done = f"{n}-0000-4000-8000-0000000000f4"  # patched, now marking: its command ended Success
    seed_catch_up_run(CATCH_UP, path.catch_up, done, at="markCaughtUp")
    result = path.run(topic=sim)
    assert result.status == "Success", (result.history, result.failures)
    assert CATCH_UP_RUNS[deciding]["AutomationExecutionStatus"] == "Cancelling"
    assert CATCH_UP_RUNS[left]["AutomationExecutionStatus"] == "Cancelling"
    assert (left, "Cancel") not in STOPPED_AUTOMATIONS  # not stopped twice
    assert CATCH_UP_COMMANDS[f"cmd-{left}"] == "Cancelling"
    assert CATCH_UP_RUNS[done]["AutomationExecutionStatus"] == "Cancelling"
    assert f"cmd-{done}" not in CANCELLED_COMMANDS  # an ended command is not cancelled (nor called a failure)
    out = result.outputs["cancelExecutions"]
    stopped = (path.catch_up_run, deciding, done)
    assert sorted(out["CatchUpsCancelled"]) == sorted(f"{path.catch_up}: {r}" for r in stopped)


def test_a_patch_step_that_names_no_command_yet_fails_the_run_and_is_named(sim, run):
    """AWS documents an aws:runCommand step's CommandId output, not that it is there before the step ends: a step
    in progress without one may have a command running, which the breaker cannot cancel, so it says so."""
    path = BreakerPath(breaker_document(run))
    (patch,) = [s for s in CATCH_UP_RUNS[path.catch_up_run]["StepExecutions"] if s["Action"] == "aws:runCommand"]
    del patch["Outputs"]
    result = path.run(topic=sim)
    assert result.status == "Failed"
    assert path.catch_up_status() == ("Cancelling", "InProgress")  # the run cancelled; its command not found
    assert result.outputs["cancelExecutions"]["Failed"] == [
        f"catch-up {path.catch_up}: {path.catch_up_run}: step patch is InProgress and names no command: its patch "
        "command may still run, cancel it by hand"
    ]


@pytest.mark.parametrize("locked", ["run", "command"])
def test_a_catch_up_run_it_cannot_stop_fails_the_run_and_is_named(sim, run, locked):
    path = BreakerPath(breaker_document(run))
    denied = path.catch_up_run if locked == "run" else f"cmd-{path.catch_up_run}"
    before = len(_sent(sim))
    result = Runner(
        path.document,
        {
            "WindowIds": path.windows,
            "GatedWindowIds": [path.gated],
            "NotificationTopicArn": sim,
            "AlarmName": ALARM,
            "CatchUpDocumentNames": [path.catch_up],
        },
        execution_id=f"breaker-locked-catch-up-{locked}",
        denied=frozenset({denied}),
    ).run()
    assert result.status == "Failed"
    assert result.history[-2:] == [("notifyFailure", "Success"), ("endFailed", "Failed")]
    assert path.execution() == "CANCELLING" and path.command_status() == "CANCELLING"  # the windows still stopped
    failed = result.outputs["cancelExecutions"]["Failed"]
    if locked == "run":
        assert path.catch_up_status() == ("InProgress", "InProgress")
        assert failed[0].startswith(f"catch-up {path.catch_up}: automation execution {path.catch_up_run} not cancelled")
    else:
        assert path.catch_up_status() == ("Cancelling", "InProgress")
        (only,) = failed
        assert only.startswith(f"catch-up {path.catch_up}: command cmd-{path.catch_up_run} of {path.catch_up_run}")
    (trip, failure) = _sent(sim)[before:]
    assert trip[0] == "Patching stopped: circuit breaker tripped (with failures)"
    assert f"NOT STOPPED, check these now: catch-up {path.catch_up}: " in trip[1] and path.catch_up_run in trip[1]
    assert failure[0] == "Circuit breaker failed: patching may not have stopped"


def test_the_breaker_role_may_list_and_stop_catch_up_runs_in_its_region_only(run):
    """DescribeAutomationExecutions has no resource type (Resource "*", limited to the region);
    DescribeAutomationStepExecutions and StopAutomationExecution take automation-execution (Service Authorization
    Reference, parliament's copy below)."""
    policy = [_policy(run, "acme-breaker")]
    here, there = {"aws:RequestedRegion": REGION}, {"aws:RequestedRegion": "us-east-1"}
    assert allowed(policy, Request("ssm:DescribeAutomationExecutions", "*", here))
    assert not allowed(policy, Request("ssm:DescribeAutomationExecutions", "*", there))
    for action in ("ssm:DescribeAutomationStepExecutions", "ssm:StopAutomationExecution"):
        assert allowed(policy, Request(action, AUTOMATION_EXECUTION)), action
        assert not allowed(policy, Request(action, AUTOMATION_EXECUTION.replace(REGION, "us-east-1"))), action
        assert not allowed(policy, Request(action, AUTOMATION_EXECUTION.replace(ACCOUNT, "210987654321"))), action
    # reading a run's details or signalling it is not needed
    for action in ("ssm:GetAutomationExecution", "ssm:SendAutomationSignal"):
        assert not allowed(policy, Request(action, AUTOMATION_EXECUTION, here)), action


def test_iam_gives_the_catch_up_calls_these_resource_types():
    import importlib.resources

    definition = json.loads(importlib.resources.files("parliament").joinpath("iam_definition.json").read_text())
    (ssm,) = [service for service in definition if service["prefix"] == "ssm"]
    types = {p["privilege"]: {r["resource_type"] for r in p["resource_types"]} for p in ssm["privileges"]}
    assert types["DescribeAutomationExecutions"] == {""}
    assert types["DescribeAutomationStepExecutions"] == {"automation-execution*"}


def test_the_breaker_is_given_the_catch_up_runbooks_of_its_region():
    """A stack with both catchUp and stopOnAlarms (globex with a stop alarm): the breaker's CatchUpDocumentNames
    default to the catch-up runbooks the stack builds in that region, by their real names."""
    import datetime

    from conftest import run_config

    def plain(value):  # the freezes' dates as the stack file writes them (YAML reads them as dates)
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value.isoformat() if isinstance(value, datetime.date) else value

    stack = plain(yaml.safe_load((ROOT / "stacks" / "Pulumi.globex.yaml").read_text())["config"])
    stack["patching:maintenanceWindows"]["tue-install"]["stopOnAlarms"] = ["globex-5xx"]
    globex = run_config(stack, stack="globex")
    documents = globex.of_type("aws:ssm/document:Document")
    (breaker,) = [d for d in documents if d.inputs["name"].endswith("-circuit-breaker")]
    catch_ups = sorted(d.inputs["name"] for d in documents if d.inputs["name"].endswith("-catch-up"))
    assert catch_ups == ["globex-tue-install-catch-up"]
    parameters = yaml.safe_load(breaker.inputs["content"])["parameters"]
    assert parameters["CatchUpDocumentNames"]["default"] == catch_ups
