"""The snapshot-then-install runbook (documents/snapshot-install.yaml, as PatchWindow renders it for the
initech example once it installs) run step by step along every path with tests/runbook_sim.py against
moto: each AWS call of each step failing, timing out or losing its response, the execution cancelled
while each step runs, the install command ending each other way.

What must hold on every path (the issue's rule and the project's): the install never starts on a node
whose snapshot request did not succeed; a run that did not do everything ends Failed or Cancelled
(never Success) and, when the stack has a topic, tells it; only this window's snapshots older than
retainDays are deleted, never another window's or another customer's. Expected statuses are written
here from AWS's rules ("Automation actions", onFailure / maxAttempts), not read from the runner. The
full matrix is marked slow; a representative subset runs by default."""

from __future__ import annotations

import itertools
import os
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import yaml
from moto import mock_aws
from runbook_sim import ACCOUNT, KINDS, REGION, Fault, Runner, fault_matrix
from test_snapshots import initech_installing

from conftest import run_config

DOCUMENT = "aws:ssm/document:Document"


def _runbook() -> dict:
    run = run_config(initech_installing(), stack="initech")
    return yaml.safe_load(run.named("initech-monthly-install-snapshot-install", DOCUMENT).inputs["content"])


RUNBOOK = _runbook()
RETAIN_DAYS = 14  # the initech example's retainDays
_paths = itertools.count()


@pytest.fixture(scope="module")
def aws():
    previous = os.environ.get("MOTO_EC2_LOAD_DEFAULT_AMIS")
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        image = ec2.register_image(
            Name="sim-sles15",
            RootDeviceName="/dev/sda1",
            BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8}}],
        )["ImageId"]
        topic = boto3.client("sns", region_name=REGION).create_topic(Name="sim-initech-alerts")["TopicArn"]
        yield {"image": image, "topic": topic}
    if previous is None:
        os.environ.pop("MOTO_EC2_LOAD_DEFAULT_AMIS")
    else:
        os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = previous


def _tags(resource: dict) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


class SnapshotPath:
    """One node of the window (root + one data volume) and, from earlier runs, four snapshots: one of
    this window past retainDays (to delete), one of this window within it, one of another window and
    one of another customer, both past it (to keep). Each path has a window name of its own."""

    def __init__(self, aws):
        n = next(_paths)
        self.ec2 = boto3.client("ec2", region_name=REGION)
        self.window = f"initech-sim{n}-monthly-install"
        self.topic = aws["topic"]
        (instance,) = self.ec2.run_instances(
            ImageId=aws["image"],
            MinCount=1,
            MaxCount=1,
            BlockDeviceMappings=[
                {"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8}},
                {"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 20}},
            ],
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Patch Group", "Value": "initech-erp"}]}],
        )["Instances"]
        self.instance = instance["InstanceId"]
        now = datetime.now(UTC)
        self.expired = self._old_snapshot(
            {"Customer": "initech", "PatchingWindow": self.window}, now - timedelta(days=RETAIN_DAYS + 1)
        )
        self.kept = [
            self._old_snapshot(
                {"Customer": "initech", "PatchingWindow": self.window}, now - timedelta(days=RETAIN_DAYS - 1)
            ),
            self._old_snapshot(
                {"Customer": "initech", "PatchingWindow": f"{self.window}-other"}, now - timedelta(days=90)
            ),
            self._old_snapshot({"Customer": "acme", "PatchingWindow": self.window}, now - timedelta(days=90)),
        ]

    def _old_snapshot(self, tags: dict[str, str], taken: datetime) -> str:
        from moto.ec2.models import ec2_backends

        volume = self.ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1)["VolumeId"]
        snapshot = self.ec2.create_snapshot(
            VolumeId=volume,
            TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}],
        )["SnapshotId"]
        ec2_backends[ACCOUNT][REGION].snapshots[snapshot].start_time = taken.replace(tzinfo=None)
        return snapshot

    def run(self, fault: Fault | None = None, runner: type[Runner] = Runner):
        self.execution = f"snap-{next(_paths)}"
        return runner(
            RUNBOOK,
            {
                "InstanceId": self.instance,
                "WindowExecutionId": f"window-exec-{self.execution}",
                "WindowName": self.window,
                "NotificationTopicArn": self.topic,
            },
            execution_id=self.execution,
            fault=fault,
        ).run()

    def snapshots(self) -> list[dict]:
        """The pre-patch snapshots this run made of the node."""
        found = self.ec2.describe_snapshots(
            OwnerIds=["self"], Filters=[{"Name": "tag:PatchingInstance", "Values": [self.instance]}]
        )["Snapshots"]
        return [s for s in found if _tags(s).get("PatchingAutomationExecution") == self.execution]

    def exists(self, snapshot_id: str) -> bool:
        return bool(
            self.ec2.describe_snapshots(Filters=[{"Name": "snapshot-id", "Values": [snapshot_id]}])["Snapshots"]
        )

    def root_volume(self) -> str:
        (reservation,) = self.ec2.describe_instances(InstanceIds=[self.instance])["Reservations"]
        (instance,) = reservation["Instances"]
        return next(m["Ebs"]["VolumeId"] for m in instance["BlockDeviceMappings"] if m["DeviceName"] == "/dev/sda1")


def _notifications(topic: str) -> list:
    from moto.sns.models import sns_backends

    return list(sns_backends[ACCOUNT][REGION].topics[topic].sent_notifications)


def test_a_clean_run_snapshots_every_volume_then_installs_then_expires_this_windows_old_snapshots(aws):
    path = SnapshotPath(aws)
    execution = path.run()
    assert execution.status == "Success", execution.failures
    assert [s for s, _ in execution.history] == [
        "snapshotVolumes",
        "installPatches",
        "checkSnapshots",
        "deleteExpiredSnapshots",
    ]
    made = path.snapshots()
    assert len(made) == 2  # the root and the data volume: one crash-consistent set
    for snapshot in made:
        assert _tags(snapshot) == {
            "Customer": "initech",
            "PatchingWindow": path.window,
            "PatchingWindowExecution": f"window-exec-{path.execution}",
            "PatchingInstance": path.instance,
            "PatchingRootVolume": path.root_volume(),
            "PatchingAutomationExecution": path.execution,
        }
    assert path.root_volume() in {s["VolumeId"] for s in made}  # rollback finds the root's snapshot
    assert not path.exists(path.expired)
    assert all(path.exists(s) for s in path.kept)
    assert execution.outputs["deleteExpiredSnapshots"]["Deleted"] == [path.expired]


def test_a_failed_snapshot_stops_that_nodes_install_and_tells_the_topic(aws):
    path = SnapshotPath(aws)
    before = len(_notifications(path.topic))
    execution = path.run(Fault("snapshotVolumes", "CreateSnapshots", "error"))
    assert execution.status == "Failed"
    assert execution.ran("installPatches") == []  # never sent to the node
    assert execution.history[-2:] == [("notifyFailure", "Success"), ("endFailed", "Failed")]
    assert path.snapshots() == []
    assert all(path.exists(s) for s in [path.expired, *path.kept])  # nothing expired on a failed run
    ((_, message, subject, *_),) = _notifications(path.topic)[before:]
    assert subject == "Pre-patch snapshot or install failed"
    assert path.instance in message and "NOT patched" in message


def test_a_node_without_ebs_volumes_is_not_patched(aws):
    class NoVolumes(Runner):
        def _ec2_CreateSnapshots(self, **request):  # an instance-store node: EC2 returns no snapshot
            return {"Snapshots": []}

    path = SnapshotPath(aws)
    execution = path.run(runner=NoVolumes)
    assert execution.status == "Failed"
    assert execution.ran("installPatches") == []
    assert "no EBS volume" in execution.failures["snapshotVolumes"]


def test_a_snapshot_that_fails_after_the_install_started_fails_the_run(aws):
    class SnapshotError(Runner):
        """EBS completes snapshots in the background; one ends 'error' (DescribeSnapshots State)."""

        def _ec2_DescribeSnapshots(self, **request):
            response = self.clients["ec2"].describe_snapshots(**request)
            if "SnapshotIds" in request:
                response["Snapshots"][0]["State"] = "error"
            return response

    path = SnapshotPath(aws)
    execution = path.run(runner=SnapshotError)
    assert execution.ran("installPatches") == ["Success"]
    assert execution.ran("checkSnapshots") == ["Failed", "Failed", "Failed"]
    assert execution.status == "Failed" and "deleteExpiredSnapshots" not in execution.outputs
    assert path.exists(path.expired)  # no expiry without a good restore point


# -- every path ---------------------------------------------------------------------------------

ALL = fault_matrix(RUNBOOK)
REPRESENTATIVE = {
    # The default run: a snapshot request that took effect but whose answer was lost (the install must
    # still not start), and an expiry whose answer was lost; the slow run has every path.
    "snapshotVolumes:CreateSnapshots:lost",
    "deleteExpiredSnapshots:DeleteSnapshot:lost",
}
RETRIED = {"checkSnapshots"}
"""Steps with maxAttempts: a first call that fails is repeated (runbook_sim fails only the first)."""


def expected_status(fault: Fault) -> str:
    if fault.kind == "cancel":
        return "Cancelled"
    if fault.step in RETRIED and fault.kind in KINDS:
        return "Success"
    return "Failed"


def test_the_matrix_covers_every_step_and_every_call():
    assert {f.step for f in ALL} == {s["name"] for s in RUNBOOK["mainSteps"]}
    faulted = {(f.step, f.api) for f in ALL}
    assert ("snapshotVolumes", "CreateSnapshots") in faulted and ("deleteExpiredSnapshots", "DeleteSnapshot") in faulted
    assert {str(f) for f in ALL} >= REPRESENTATIVE


@pytest.mark.parametrize(
    "fault", [pytest.param(f, id=str(f), marks=() if str(f) in REPRESENTATIVE else pytest.mark.slow) for f in ALL]
)
def test_every_path_never_installs_without_a_snapshot_and_never_ends_success_unfinished(aws, fault):
    path = SnapshotPath(aws)
    before = len(_notifications(path.topic))
    execution = path.run(fault)
    if not execution.injected:  # a step only a failure reaches, on a run that did not fail
        assert execution.status == "Success", execution.failures
        return
    assert execution.status == expected_status(fault), (execution.history, execution.failures)
    snapshotted = execution.ran("snapshotVolumes") == ["Success"]
    if not snapshotted:
        assert execution.ran("installPatches") == [], execution.history
    if execution.status == "Success":
        assert len(path.snapshots()) == 2 and not path.exists(path.expired)
    if execution.status == "Failed" and fault.step != "notifyFailure":
        assert len(_notifications(path.topic)) == before + 1  # the customer hears of it
    if execution.status != "Success" and fault.step != "deleteExpiredSnapshots":
        assert path.exists(path.expired)  # nothing expired unless the run got that far
    assert all(path.exists(s) for s in path.kept)


def test_a_hybrid_node_has_no_ebs_volume_and_is_not_patched(aws):
    execution = Runner(
        RUNBOOK,
        {"InstanceId": "mi-0123456789abcdef0", "WindowName": "initech-sim-hybrid", "NotificationTopicArn": ""},
        execution_id=f"snap-{next(_paths)}",
    ).run()
    assert execution.status == "Failed"
    assert execution.ran("snapshotVolumes") == ["Failed"] and execution.ran("installPatches") == []
    assert execution.outputs["notifyFailure"]["Published"] is False  # no topic: nobody to tell, still Failed


# -- a restore point is never expired before the next one completed (review of 2026-12-05) -------------


def _set_state(snapshot_ids, state):
    """A snapshot's State as DescribeSnapshots reports it (pending | completed | error | ..., "Snapshot", EC2 API
    Reference); moto completes every snapshot at once."""
    from moto.ec2.models import ec2_backends

    for snapshot_id in snapshot_ids:
        ec2_backends[ACCOUNT][REGION].snapshots[snapshot_id].status = state


class PendingSnapshots(Runner):
    """EBS accepted the CreateSnapshots request and copies the blocks in the background: the set stays pending
    through the whole run (install, check, expiry)."""

    def _ec2_CreateSnapshots(self, **request):
        response = self.clients["ec2"].create_snapshots(**request)
        _set_state([s["SnapshotId"] for s in response["Snapshots"]], "pending")
        return {**response, "Snapshots": [{**s, "State": "pending"} for s in response["Snapshots"]]}


def _last_weeks_set(path, taken):
    """The node's previous run: its completed set, past retainDays, tagged as the runbook tags it."""
    tags = {"PatchingInstance": path.instance, "PatchingAutomationExecution": "snap-last-week"}
    path.ec2.create_tags(Resources=[path.expired], Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
    second = path._old_snapshot({"Customer": "initech", "PatchingWindow": path.window, **tags}, taken)
    return [path.expired, second]


def test_a_pending_set_that_later_fails_leaves_the_node_its_last_restore_point(aws):
    path = SnapshotPath(aws)
    last_week = _last_weeks_set(path, datetime.now(UTC) - timedelta(days=RETAIN_DAYS + 1))
    execution = path.run(runner=PendingSnapshots)
    assert execution.status == "Success", execution.failures  # pending is no failure (yet)
    assert {s["State"] for s in path.snapshots()} == {"pending"}
    out = execution.outputs["deleteExpiredSnapshots"]
    assert out["Deleted"] == [] and sorted(out["KeptAsRestorePoint"]) == sorted(last_week)
    # EBS then fails the new set: last week's is still there to roll back to
    _set_state([s["SnapshotId"] for s in path.snapshots()], "error")
    assert all(path.exists(s) for s in last_week)
    # the next run's set completes: now last week's set expires as retainDays says
    execution = path.run()
    assert execution.status == "Success", execution.failures
    assert sorted(execution.outputs["deleteExpiredSnapshots"]["Deleted"]) == sorted(last_week)
    assert execution.outputs["deleteExpiredSnapshots"]["KeptAsRestorePoint"] == []
    assert not any(path.exists(s) for s in last_week) and all(path.exists(s) for s in path.kept)


def test_another_nodes_restore_point_is_kept_while_its_newest_set_is_pending(aws):
    """A parallel run of the window for another node: its set is pending, its previous set expired."""
    path = SnapshotPath(aws)
    old = datetime.now(UTC) - timedelta(days=RETAIN_DAYS + 3)
    other = {"Customer": "initech", "PatchingWindow": path.window, "PatchingInstance": "i-0ther00000000000"}
    restore = path._old_snapshot({**other, "PatchingAutomationExecution": "snap-other-old"}, old)
    older = path._old_snapshot({**other, "PatchingAutomationExecution": "snap-other-older"}, old - timedelta(days=7))
    running = path._old_snapshot({**other, "PatchingAutomationExecution": "snap-other-now"}, datetime.now(UTC))
    _set_state([running], "pending")
    execution = path.run()
    assert execution.status == "Success", execution.failures
    out = execution.outputs["deleteExpiredSnapshots"]
    assert sorted(out["Deleted"]) == sorted([path.expired, older])  # this node's set completed; the other's older one
    assert out["KeptAsRestorePoint"] == [restore]
    assert path.exists(restore) and path.exists(running)


def test_another_nodes_only_restore_point_outlives_this_nodes_run(aws):
    """Rate control runs the window's nodes in turn: node B's last set (a month old, completed) is all it has until
    its own run of this execution; node A's run, which expires the window's old snapshots, leaves it."""
    path = SnapshotPath(aws)
    other = {"Customer": "initech", "PatchingWindow": path.window, "PatchingInstance": "i-0bbbbbbbbbbbbbbbb"}
    b_set = path._old_snapshot(
        {**other, "PatchingAutomationExecution": "last-month"}, datetime.now(UTC) - timedelta(days=30)
    )
    execution = path.run()
    assert execution.status == "Success", execution.failures
    assert execution.outputs["deleteExpiredSnapshots"] == {"Deleted": [path.expired], "KeptAsRestorePoint": [b_set]}
    assert path.exists(b_set)


def test_the_runs_own_set_not_listed_yet_counts_as_not_completed(aws):
    """DescribeSnapshots may not show a snapshot created a moment ago: the node's last restore point stays."""

    class NotListedYet(Runner):
        def _ec2_DescribeSnapshots(self, **request):
            response = self.clients["ec2"].describe_snapshots(**request)
            if "Filters" in request:  # the expiry's listing
                mine = set(self.outputs["snapshotVolumes"]["SnapshotIds"])
                response["Snapshots"] = [s for s in response["Snapshots"] if s["SnapshotId"] not in mine]
            return response

    path = SnapshotPath(aws)
    last_week = _last_weeks_set(path, datetime.now(UTC) - timedelta(days=RETAIN_DAYS + 1))
    execution = path.run(runner=NotListedYet)
    assert execution.status == "Success", execution.failures
    assert execution.outputs["deleteExpiredSnapshots"]["Deleted"] == []
    assert all(path.exists(s) for s in last_week)
