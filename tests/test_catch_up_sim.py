"""The catch-up runbook globex ships, run step by step along every path (tests/runbook_sim.py) against moto:
each AWS call of each step failing, timing out, losing its response, the run cancelled while a step runs,
the command ending each other way. After each path: the command was sent once exactly when the node is due
and nothing forbids it, a node out of scope or not due is left alone with nothing sent, and a run that could
not see, reach or finish something ended Failed after telling the customer's topic.

Expected statuses are written from AWS's rules (a retried read succeeds on its second attempt; onFailure
goes to notifyFailure and endFailed, which fails), not read from the runner. The full matrix is slow; a
representative subset runs by default."""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import yaml
from moto import mock_aws
from runbook_sim import ACCOUNT, REGION, Fault, Runner, fault_matrix, set_window_enabled

from conftest import ROOT, example_run

CUSTOMER = "globex"


def shipped() -> dict:
    run = example_run(ROOT / "stacks" / "Pulumi.globex.yaml")
    (document,) = [
        d for d in run.of_type("aws:ssm/document:Document") if d.name == "globex-tue-install-catch-up-runbook"
    ]
    return yaml.safe_load(document.inputs["content"])


CATCH_UP = shipped()


@pytest.fixture(scope="module")
def aws():
    previous = os.environ.get("MOTO_EC2_LOAD_DEFAULT_AMIS")
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        image = ec2.register_image(
            Name="sim-node",
            RootDeviceName="/dev/xvda",
            BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}],
        )["ImageId"]
        topic = boto3.client("sns", region_name=REGION).create_topic(Name="sim-catch-up-alerts")["TopicArn"]
        yield {"image": image, "topic": topic}
    if previous is None:
        os.environ.pop("MOTO_EC2_LOAD_DEFAULT_AMIS")
    else:
        os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = previous


class CatchUpRunner(Runner):
    """The runner, with every SendCommand request kept (also one whose response is lost)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.sent: list[dict] = []
        self.calls: list[tuple[str, str, dict]] = []
        self.executing: list[dict] = []
        """Commands still running (ListCommands), e.g. the window's own, sent as the node started."""
        """Every AWS call of the run, as the step made it (the fixture layer's overlays included)."""

    def _ssm_SendCommand(self, **request):
        self.sent.append(request)
        return super()._ssm_SendCommand(**request)

    def _ssm_ListCommands(self, InstanceId, Filters):
        """The layer's commands still executing on the node (moto ignores the ExecutionStage filter;
        ListCommands, https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_ListCommands.html:
        ExecutionStage Executing lists "command executions that are currently still running")."""
        assert Filters == [{"key": "ExecutionStage", "value": "Executing"}]
        return {"Commands": [c for c in self.executing if InstanceId in c["InstanceIds"]]}

    def call(self, service, api, params):
        self.calls.append((service, api, dict(params)))
        return super().call(service, api, params)


_paths = itertools.count()


class Path:
    """A window of the customer and one node that has just started (running: moto's new instance)."""

    def __init__(self, aws, group="globex-web", running=True):
        n = next(_paths)
        self.ssm = boto3.client("ssm", region_name=REGION)
        self.ec2 = boto3.client("ec2", region_name=REGION)
        self.topic = aws["topic"]
        self.window = self.ssm.create_maintenance_window(
            Name=f"sim-catch-up-{n}",
            Schedule="cron(0 3 ? * TUE#2 *)",
            Duration=4,
            Cutoff=1,
            AllowUnassociatedTargets=False,
            Tags=[{"Key": "Customer", "Value": CUSTOMER}],
        )["WindowId"]
        tags = [{"Key": "PatchGroup", "Value": group}] if group else []
        (instance,) = self.ec2.run_instances(
            ImageId=aws["image"],
            MinCount=1,
            MaxCount=1,
            InstanceType="t3.micro",
            TagSpecifications=[{"ResourceType": "instance", "Tags": tags}] if tags else [],
        )["Instances"]
        self.instance = instance["InstanceId"]
        if not running:  # stopped again before its agent came online: never managed
            self.ec2.stop_instances(InstanceIds=[self.instance])
        self.patch_state: dict | None = None

    def last(self, operation, days_ago, missing=0):
        end = datetime.now(UTC) - timedelta(days=days_ago)
        self.patch_state = {
            "InstanceId": self.instance,
            "PatchGroup": "globex-web",
            "BaselineId": "pb-0123456789abcdef0",
            "Operation": operation,
            "OperationStartTime": end - timedelta(minutes=20),
            "OperationEndTime": end,
            "MissingCount": missing,
            "FailedCount": 0,
        }

    def run(self, fault=None, calendar="OPEN", topic=True, calendars=("globex-change-freezes",), executing=()):
        runner = CatchUpRunner(
            CATCH_UP,
            {
                "InstanceId": self.instance,
                "WindowId": self.window,
                "CalendarNames": list(calendars),
                "NotificationTopicArn": self.topic if topic else "",
            },
            execution_id=f"catch-up-{next(_paths)}",
            fault=fault,
            calendar_state=calendar,
        )
        if self.patch_state is not None:
            runner.patch_states[self.instance] = self.patch_state
        runner.executing = [
            {"CommandId": f"cmd-{n}", "DocumentName": d, "InstanceIds": [self.instance], "Status": "InProgress"}
            for n, d in enumerate(executing)
        ]
        self.runner = runner
        return runner.run()

    def mark(self):
        (reservation,) = self.ec2.describe_instances(InstanceIds=[self.instance])["Reservations"]
        tags = {t["Key"]: t["Value"] for t in reservation["Instances"][0].get("Tags", [])}
        return tags.get("PatchingCaughtUp")

    def published(self):
        from moto.sns.models import sns_backends

        sent = sns_backends[ACCOUNT][REGION].topics[self.topic].sent_notifications
        return [(subject, message) for (_, message, subject, *_) in sent if self.instance in message]


def caught_up(path, result):
    """The node was sent the window's command once and marked; nobody was told of a failure."""
    assert result.status == "Success", (result.history, result.failures)
    assert len(path.runner.sent) == 1
    (request,) = path.runner.sent
    assert request["InstanceIds"] == [path.instance]
    assert request["DocumentName"] == "AWS-RunPatchBaselineWithHooks"
    assert path.mark() is not None and path.mark() == result.outputs["decide"]["DecidedAt"]
    assert path.published() == []


def left_alone(path, result):
    assert result.status == "Success", (result.history, result.failures)
    assert result.history[-1] == ("nothingToDo", "Success")
    assert path.runner.sent == [] and path.mark() is None and path.published() == []


def failed_and_told(path, result):
    assert result.status in ("Failed", "TimedOut"), (result.history, result.failures)
    assert result.history[-2:] == [("notifyFailure", "Success"), ("endFailed", "Failed")], result.history
    ((subject, message),) = path.published()
    assert subject == "Catch-up patching failed: a node may have missed its patches"
    assert path.window in message and "catch-up-" in message  # the window, and the execution to look up
    assert path.mark() is None


# -- the paths, each on its own node -------------------------------------------------------------------


def test_a_node_never_patched_gets_the_windows_command_and_is_marked(aws):
    path = Path(aws)
    result = path.run()
    caught_up(path, result)
    (request,) = path.runner.sent
    assert request["Parameters"]["Operation"] == ["Install"]
    assert request["Parameters"]["PreInstallHookDocName"] == ["Globex-DrainFromTargetGroup"]
    assert request["OutputS3BucketName"] == "globex-central-ops-logs"
    assert request["Comment"] == "catch-up Install (globex-tue-install-catch-up)"
    assert result.outputs["decide"]["Reason"] == "no patch state: never patched, patched now"


@pytest.mark.slow  # moto end to end: .ci/run runs it with -m slow
def test_a_node_whose_last_install_is_older_than_max_age_is_patched(aws):
    path = Path(aws)
    path.last("Install", 40)
    caught_up(path, path.run())


def test_a_node_installed_recently_is_left_alone(aws):
    path = Path(aws)
    path.last("Install", 3)
    result = path.run()
    left_alone(path, result)
    assert result.outputs["decide"]["Due"] is False


def test_a_node_of_no_group_of_the_window_is_not_in_scope(aws):
    for group in ("globex-workers", None):  # sat-install's group; no patch group at all
        path = Path(aws, group=group)
        result = path.run()
        left_alone(path, result)
        assert [step for step, _ in result.history] == ["readInstance", "checkScope", "nothingToDo"]


@pytest.mark.parametrize("what", ["disabled", "breaker", "freeze"])
def test_a_disabled_window_a_tripped_breaker_or_a_closed_calendar_forbids_it(aws, what):
    path = Path(aws)
    calendar = "OPEN"
    if what == "disabled":
        set_window_enabled(path.window, False)
    elif what == "breaker":
        path.ssm.add_tags_to_resource(
            ResourceType="MaintenanceWindow",
            ResourceId=path.window,
            Tags=[{"Key": "PatchingCircuitBreaker", "Value": "globex-errors"}],
        )
    else:
        calendar = "CLOSED"
    left_alone(path, path.run(calendar=calendar))


@pytest.mark.slow  # moto end to end: .ci/run runs it with -m slow
def test_a_patch_command_already_running_on_the_node_is_not_doubled(aws):
    """Its window opened as it started, or EventBridge delivered the event twice: no second install."""
    path = Path(aws)
    result = path.run(executing=["AWS-RunPatchBaselineWithHooks"])
    left_alone(path, result)
    assert "already running" in result.outputs["decide"]["Reason"]
    other = Path(aws)  # another document running (an inventory run): patched
    caught_up(other, other.run(executing=["AWS-GatherSoftwareInventory"]))


def test_without_calendars_it_reads_none(aws):
    path = Path(aws)
    result = path.run(calendar="CLOSED", calendars=())  # the runner's calendar would say CLOSED: never asked
    caught_up(path, result)


def test_a_node_ssm_never_manages_fails_the_run_and_tells_the_topic(aws):
    path = Path(aws, running=False)
    result = path.run()
    failed_and_told(path, result)
    assert path.runner.sent == []


@pytest.mark.slow  # moto end to end: .ci/run runs it with -m slow
def test_a_failed_publish_still_ends_failed(aws):
    path = Path(aws, running=False)
    result = path.run(fault=Fault("notifyFailure", "Publish", "error"))
    assert result.status == "Failed"
    assert result.history[-2:] == [("notifyFailure", "Failed"), ("endFailed", "Failed")]


@pytest.mark.slow  # moto end to end: .ci/run runs it with -m slow
def test_without_a_topic_a_failed_run_still_ends_failed(aws):
    path = Path(aws, running=False)
    result = path.run(topic=False)
    assert result.status == "Failed" and result.outputs["notifyFailure"]["Published"] is False


@pytest.mark.slow  # moto end to end: .ci/run runs it with -m slow
def test_every_request_the_runbook_makes_has_the_shape_botocore_knows(aws):
    """The calls a run makes, checked against botocore's models (types, required members, enums, patterns):
    also those the fixture layer answers (SendCommand, DescribeInstanceInformation, GetCalendarState ...)."""
    from aws_shapes import problems

    path = Path(aws)
    assert path.run().status == "Success"
    failed = Path(aws, running=False)
    assert failed.run().status == "Failed"
    calls = path.runner.calls + failed.runner.calls
    assert {api for _, api, _ in calls} == {
        "DescribeInstances",
        "DescribeInstanceInformation",
        "GetMaintenanceWindow",
        "ListTagsForResource",
        "GetCalendarState",
        "ListCommands",
        "DescribeInstancePatchStates",
        "SendCommand",
        "CreateTags",
        "Publish",
    }
    for service, api, params in calls:
        assert problems(service, api, params) == [], (api, params)


# -- every fault of every step -----------------------------------------------------------------------

RETRIED = {"readInstance", "decide", "markCaughtUp"}
"""Steps with maxAttempts > 1: the runner fails the first call of the API only, the next attempt succeeds."""
FAILURE_ONLY = {"nothingToDo", "notifyFailure", "endFailed"}
"""Steps a due node's run that succeeds never reaches: a fault there is not met."""


def expected(fault: Fault) -> str:
    if fault.step in FAILURE_ONLY:
        return "Success"  # not reached
    if fault.kind == "cancel":
        return "Cancelled"
    if fault.step in RETRIED:
        return "Success"
    return "Failed"  # waitUntilManaged, patch: onFailure -> notifyFailure -> endFailed


REPRESENTATIVE = {
    "decide:GetCalendarState:error",
    "patch:SendCommand:lost",
    "patch:SendCommand:command:Failed",
}
PATHS = [
    pytest.param(fault, id=str(fault), marks=() if str(fault) in REPRESENTATIVE else pytest.mark.slow)
    for fault in fault_matrix(CATCH_UP)
]


def test_the_matrix_covers_every_step_and_every_call():
    faults = {str(p.values[0]) for p in PATHS}
    assert REPRESENTATIVE <= faults
    steps = {p.values[0].step for p in PATHS}
    assert steps == {s["name"] for s in CATCH_UP["mainSteps"]}


@pytest.mark.parametrize("fault", PATHS)
def test_every_path_patches_once_or_fails_closed(aws, fault):
    path = Path(aws)  # a node never patched: due
    result = path.run(fault)
    assert result.injected is (fault.step not in FAILURE_ONLY)
    want = expected(fault)
    assert result.status == want, (result.history, result.failures)
    if want == "Success":
        caught_up(path, result)
        return
    if want == "Cancelled":
        assert path.published() == []  # a cancelled run was stopped by someone: no alarm
        return
    failed_and_told(path, result)
    lost_send = (fault.step == "patch" and fault.kind in ("lost",)) or fault.kind.startswith("command:")
    assert len(path.runner.sent) == (1 if lost_send else 0)  # never a second command


# -- a golden AMI build instance (review of 2026-12-05) ------------------------------------------------


def golden_build_tags(instance_group: str) -> list[dict]:
    """The tags globex's golden AMI runbook puts on its build instance at launch (launchBuildInstance's
    TagSpecifications, read from the shipped document), with the values a build of win2022-fileserver has."""
    run = example_run(ROOT / "stacks" / "Pulumi.globex.yaml")
    (document,) = [d for d in run.of_type("aws:ssm/document:Document") if d.name == "globex-golden-win2022-fileserver"]
    steps = yaml.safe_load(document.inputs["content"])["mainSteps"]
    (launch,) = [s for s in steps if s["name"] == "launchBuildInstance"]
    (spec,) = [t for t in launch["inputs"]["InputPayload"]["TagSpecifications"] if t["ResourceType"] == "instance"]
    values = {
        "{{ PatchGroupTagKey }}": "PatchGroup",
        "{{ PatchGroup }}": instance_group,
        "{{ automation:EXECUTION_ID }}": "0a1b2c3d-0000-4000-8000-00000000golden",
    }
    return [{"Key": values.get(t["Key"], t["Key"]), "Value": values.get(t["Value"], t["Value"])} for t in spec["Tags"]]


def test_a_golden_ami_build_instance_of_the_windows_group_is_skipped(aws):
    """The golden AMI runbook tags its build instance with the pipeline's patch group; when that group is one of an
    install window with catchUp (the review's globex moved globex-fileservers onto tue-install; here globex-web, a
    group of tue-install), the catch-up must not patch it (the pipeline installs, then Sysprep and image) nor mark
    it."""
    path = Path(aws, group="globex-web")
    path.ec2.create_tags(Resources=[path.instance], Tags=golden_build_tags("globex-web"))
    result = path.run()
    left_alone(path, result)
    assert [step for step, _ in result.history] == ["readInstance", "checkScope", "nothingToDo"]
    assert result.outputs["readInstance"]["Reason"] == (
        "skipped: golden AMI build instance (GoldenAmiBuild 0a1b2c3d-0000-4000-8000-00000000golden)"
    )
    # the same node without the build tag is the window's: caught up
    other = Path(aws, group="globex-web")
    caught_up(other, other.run())
    assert other.runner.outputs["readInstance"]["Reason"] == "in scope"
