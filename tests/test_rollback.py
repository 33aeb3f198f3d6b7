"""`patching rollback` against botocore's Stubber (the exact requests, checked against EC2's model) and end
to end against the AWS stand-in (tests/moto_aws.py: moto for DescribeInstances/DescribeSnapshots, the
fixture layer for CreateReplaceRootVolumeTask, which moto lacks).

The snapshots are shaped as documents/snapshot-install.yaml tags them (tests/test_snapshot_sim.py checks
the runbook does): Customer, PatchingInstance, PatchingWindow, PatchingWindowExecution, PatchingRootVolume."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import yaml
from aws_stubs import StubbedAccount, use_account

from conftest import ROOT, STAND_IN_ACCOUNT
from patching_components.tools import cli

REGION = "eu-central-1"
NODE, ROOT_VOLUME, DATA_VOLUME = "i-0a1b2c3d4e5f60718", "vol-0aaaaaaaaaaaaaaa1", "vol-0bbbbbbbbbbbbbbb2"


@pytest.fixture
def stack(tmp_path):
    """The initech example, installing (mode: install)."""
    config = yaml.safe_load((ROOT / "stacks" / "Pulumi.initech.yaml").read_text())
    config["config"]["patching:mode"] = "install"
    config["config"]["aws:allowedAccountIds"] = [STAND_IN_ACCOUNT]  # the stand-in's, not initech's own
    path = tmp_path / "Pulumi.initech.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def instance(group="initech-erp", state="running"):
    return {
        "Reservations": [
            {
                "Instances": [
                    {
                        "InstanceId": NODE,
                        "State": {"Name": state},
                        "RootDeviceName": "/dev/sda1",
                        "BlockDeviceMappings": [
                            {"DeviceName": "/dev/sda1", "Ebs": {"VolumeId": ROOT_VOLUME}},
                            {"DeviceName": "/dev/sdf", "Ebs": {"VolumeId": DATA_VOLUME}},
                        ],
                        "Tags": [{"Key": "Patch Group", "Value": group}],
                    }
                ]
            }
        ]
    }


def snapshot(snapshot_id, volume, execution, day, state="completed"):
    tags = {
        "Customer": "initech",
        "PatchingWindow": "initech-monthly-install",
        "PatchingWindowExecution": execution,
        "PatchingInstance": NODE,
        "PatchingRootVolume": ROOT_VOLUME,
    }
    return {
        "SnapshotId": snapshot_id,
        "VolumeId": volume,
        "State": state,
        "StartTime": datetime(2026, 11, day, 1, 2, 3, tzinfo=UTC),
        "Tags": [{"Key": k, "Value": v} for k, v in tags.items()],
    }


OLDER = snapshot("snap-0000000000000aaa1", ROOT_VOLUME, "exec-0001", 7)
NEWER = snapshot("snap-0000000000000bbb2", ROOT_VOLUME, "exec-0002", 14)
NEWER_DATA = snapshot("snap-0000000000000bbb3", DATA_VOLUME, "exec-0002", 14)
FILTERS = [{"Name": "tag:Customer", "Values": ["initech"]}, {"Name": "tag:PatchingInstance", "Values": [NODE]}]
DESCRIBE_INSTANCE = ("describe_instances", {"InstanceIds": [NODE]}, instance())


def use(monkeypatch, calls):
    account = StubbedAccount({"ec2": calls}, REGION)
    use_account(monkeypatch, account)
    return account


def describe(snapshots, filters=FILTERS):
    return ("describe_snapshots", {"OwnerIds": ["self"], "Filters": filters}, {"Snapshots": snapshots})


def test_dry_run_names_the_newest_root_snapshot_and_sends_nothing(monkeypatch, capsys, stack):
    account = use(monkeypatch, [DESCRIBE_INSTANCE, describe([OLDER, NEWER_DATA, NEWER])])
    assert cli.main(["rollback", str(stack), "--instance", NODE, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"replace root volume {ROOT_VOLUME} (/dev/sda1) with a new volume restored from {NEWER['SnapshotId']}" in out
    assert "taken 2026-11-14T01:02:03+00:00 by window initech-monthly-install, execution exec-0002" in out
    assert f"{ROOT_VOLUME} is kept, detached (DeleteReplacedRootVolume=false)" in out
    request = json.loads(out[out.index("{") :])
    assert request == {
        "region": REGION,
        "CreateReplaceRootVolumeTask": {
            "InstanceId": NODE,
            "SnapshotId": NEWER["SnapshotId"],
            "DeleteReplacedRootVolume": False,
        },
    }
    account.assert_all_called()
    assert "ec2:CreateReplaceRootVolumeTask" not in account.called


def test_yes_replaces_the_root_volume_from_the_named_executions_snapshot(monkeypatch, capsys, stack):
    by_execution = [*FILTERS, {"Name": "tag:PatchingWindowExecution", "Values": ["exec-0001"]}]
    task = {"ReplaceRootVolumeTaskId": "replacevol-0123456789abcdef0", "InstanceId": NODE, "TaskState": "pending"}
    request = {"InstanceId": NODE, "SnapshotId": OLDER["SnapshotId"], "DeleteReplacedRootVolume": False}
    account = use(
        monkeypatch,
        [
            DESCRIBE_INSTANCE,
            describe([OLDER], by_execution),
            ("create_replace_root_volume_task", request, {"ReplaceRootVolumeTask": task}),
        ],
    )
    assert cli.main(["rollback", str(stack), "--instance", NODE, "--execution", "exec-0001", "--yes"]) == 0
    out = capsys.readouterr().out
    assert f"{REGION}: replace root volume task replacevol-0123456789abcdef0 (pending)" in out
    assert (
        "aws ec2 describe-replace-root-volume-tasks --replace-root-volume-task-ids replacevol-0123456789abcdef0" in out
    )
    account.assert_all_called()


def test_no_matching_snapshot_is_one_line_and_exit_2(monkeypatch, capsys, stack):
    use(monkeypatch, [DESCRIBE_INSTANCE, describe([NEWER_DATA])])  # only a data volume's snapshot
    assert cli.main(["rollback", str(stack), "--instance", NODE, "--yes"]) == 2
    err = capsys.readouterr().err
    assert err == f"patching: no completed pre-patch snapshot of {NODE}'s root volume\n"


def test_a_snapshot_still_pending_is_not_used(monkeypatch, capsys, stack):
    pending = snapshot("snap-0000000000000ccc4", ROOT_VOLUME, "exec-0003", 21, state="pending")
    use(monkeypatch, [DESCRIBE_INSTANCE, describe([pending])])
    assert cli.main(["rollback", str(stack), "--instance", NODE, "--yes"]) == 2
    assert "snap-0000000000000ccc4, execution exec-0003) is pending: wait" in capsys.readouterr().err


def test_an_older_snapshot_is_not_used_silently_while_the_newest_is_pending(monkeypatch, capsys, stack):
    pending = snapshot("snap-0000000000000ccc4", ROOT_VOLUME, "exec-0003", 21, state="pending")
    account = use(monkeypatch, [DESCRIBE_INSTANCE, describe([OLDER, pending])])
    assert cli.main(["rollback", str(stack), "--instance", NODE, "--yes"]) == 2
    err = capsys.readouterr().err
    assert "newest pre-patch snapshot" in err and "snap-0000000000000ccc4" in err and "--execution" in err
    assert "ec2:CreateReplaceRootVolumeTask" not in account.called


def test_a_node_of_another_customer_is_refused_before_any_snapshot_is_read(monkeypatch, capsys, stack):
    account = use(monkeypatch, [("describe_instances", {"InstanceIds": [NODE]}, instance(group="acme-web"))])
    assert cli.main(["rollback", str(stack), "--instance", NODE, "--yes"]) == 2
    assert "not in one of initech's patch groups (Patch Group: acme-web)" in capsys.readouterr().err
    assert account.called == ["ec2:DescribeInstances"]


def test_a_stopped_node_is_refused(monkeypatch, capsys, stack):
    use(monkeypatch, [("describe_instances", {"InstanceIds": [NODE]}, instance(state="stopped"))])
    assert cli.main(["rollback", str(stack), "--instance", NODE, "--yes"]) == 2
    assert "is stopped: EC2 replaces the root volume of a running instance only" in capsys.readouterr().err


def test_without_a_terminal_it_needs_yes(monkeypatch, capsys, stack):
    account = use(monkeypatch, [DESCRIBE_INSTANCE, describe([NEWER])])
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert cli.main(["rollback", str(stack), "--instance", NODE]) == 2
    assert "pass --yes" in capsys.readouterr().err
    assert "ec2:CreateReplaceRootVolumeTask" not in account.called


def test_a_wrong_typed_answer_sends_nothing(monkeypatch, capsys, stack):
    account = use(monkeypatch, [DESCRIBE_INSTANCE, describe([NEWER])])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "yes")  # not the instance id
    assert cli.main(["rollback", str(stack), "--instance", NODE]) == 1
    assert "nothing sent" in capsys.readouterr().out
    assert "ec2:CreateReplaceRootVolumeTask" not in account.called


# -- end to end against the AWS stand-in -----------------------------------------------------------------


def _pre_patch_snapshots(ec2, instance_id: str, root_volume: str, execution: str) -> list[str]:
    """What documents/snapshot-install.yaml's snapshotVolumes makes of a node: one CreateSnapshots set,
    tagged at creation as the runbook tags it."""
    tags = {
        "Customer": "initech",
        "PatchingWindow": "initech-monthly-install",
        "PatchingWindowExecution": execution,
        "PatchingInstance": instance_id,
        "PatchingRootVolume": root_volume,
        "PatchingAutomationExecution": f"auto-{execution}",
    }
    made = ec2.create_snapshots(
        InstanceSpecification={"InstanceId": instance_id, "ExcludeBootVolume": False},
        TagSpecifications=[{"ResourceType": "snapshot", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}],
    )["Snapshots"]
    return [s["SnapshotId"] for s in made]


@pytest.mark.slow  # fast: test_yes_replaces_the_root_volume_from_the_named_executions_snapshot (Stubber)
def test_rollback_end_to_end_replaces_the_root_volume_from_its_own_snapshot(aws, capsys, stack):
    import boto3

    ec2 = boto3.client("ec2", region_name=REGION)
    image = ec2.register_image(
        Name="sles15",
        RootDeviceName="/dev/sda1",
        BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8}}],
    )["ImageId"]
    (node,) = ec2.run_instances(
        ImageId=image,
        MinCount=1,
        MaxCount=1,
        BlockDeviceMappings=[
            {"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8}},
            {"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 20}},
        ],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Patch Group", "Value": "initech-erp"}]}],
    )["Instances"]
    (reservation,) = ec2.describe_instances(InstanceIds=[node["InstanceId"]])["Reservations"]
    mappings = {m["DeviceName"]: m["Ebs"]["VolumeId"] for m in reservation["Instances"][0]["BlockDeviceMappings"]}
    made = _pre_patch_snapshots(ec2, node["InstanceId"], mappings["/dev/sda1"], "exec-e2e")
    (root_snapshot,) = [
        s["SnapshotId"]
        for s in ec2.describe_snapshots(SnapshotIds=made)["Snapshots"]
        if s["VolumeId"] == mappings["/dev/sda1"]
    ]
    assert cli.main(["rollback", str(stack), "--instance", node["InstanceId"], "--yes"]) == 0
    out = capsys.readouterr().out
    assert f"restored from {root_snapshot}" in out
    ((sent,),) = [v for k, v in aws.layer.items.items() if k[2] == "CreateReplaceRootVolumeTask"]
    assert {k: sent["request"][k] for k in ("InstanceId", "SnapshotId", "DeleteReplacedRootVolume")} == {
        "InstanceId": node["InstanceId"],
        "SnapshotId": root_snapshot,
        "DeleteReplacedRootVolume": "false",
    }
    # Without a snapshot of that execution: one line, exit 2, nothing sent.
    assert (
        cli.main(["rollback", str(stack), "--instance", node["InstanceId"], "--execution", "exec-none", "--yes"]) == 2
    )
    assert capsys.readouterr().err.count("\n") == 1
    assert aws.layer.calls["CreateReplaceRootVolumeTask"] == 1
