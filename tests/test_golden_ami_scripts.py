"""The golden AMI runbook's scripts, run as Automation runs them, against botocore's Stubber:
every request and response is checked against the real EC2 and SSM models."""

from __future__ import annotations

import boto3
import botocore.exceptions
import botocore.session
import pytest
from botocore.stub import Stubber

from patching_components.golden_ami import template

EXECUTION = "0e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7"
PIPELINE = "acme-golden-ami-base"


def script_step(name: str, platform: str = "Linux"):
    (step,) = [s for s in template(platform)["mainSteps"] if s["name"] == name]
    return step


@pytest.fixture
def aws(monkeypatch):
    """Stubbed ec2 and ssm clients that the scripts' boto3.client(...) returns."""
    session = botocore.session.get_session()
    clients = {
        service: session.create_client(
            service, region_name="eu-west-1", aws_access_key_id="testing", aws_secret_access_key="testing"
        )
        for service in ("ec2", "ssm")
    }
    stubs = {service: Stubber(client) for service, client in clients.items()}
    monkeypatch.setattr(boto3, "client", lambda service, *a, **k: clients[service])
    for stub in stubs.values():
        stub.activate()
    yield stubs
    for stub in stubs.values():
        stub.assert_no_pending_responses()


def run(name: str, events: dict, platform: str = "Linux"):
    namespace: dict = {}
    exec(compile(script_step(name, platform)["inputs"]["Script"], name, "exec"), namespace)
    return namespace["handler"](events, None)


MINE = [
    {"Name": "tag:GoldenAmiBuild", "Values": [EXECUTION]},
    {"Name": "tag:GoldenAmiPipeline", "Values": [PIPELINE]},
]
LIVE = {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}


def test_the_clean_up_removes_everything_this_execution_made(aws):
    ec2 = aws["ec2"]
    ec2.add_response(
        "describe_instances",
        {"Reservations": [{"Instances": [{"InstanceId": "i-0123456789abcdef0"}]}]},
        {"Filters": [*MINE, LIVE]},
    )
    ec2.add_response("terminate_instances", {}, {"InstanceIds": ["i-0123456789abcdef0"]})
    ec2.add_response(
        "describe_images", {"Images": [{"ImageId": "ami-0123456789abcdef0"}]}, {"Owners": ["self"], "Filters": MINE}
    )
    ec2.add_response(
        "deregister_image", {"Return": True}, {"ImageId": "ami-0123456789abcdef0", "DeleteAssociatedSnapshots": True}
    )
    # One snapshot left by a CreateImage that never registered, one already gone with its image.
    ec2.add_response(
        "describe_snapshots",
        {"Snapshots": [{"SnapshotId": "snap-0aaaaaaaaaaaaaaaa"}, {"SnapshotId": "snap-0bbbbbbbbbbbbbbbb"}]},
        {"OwnerIds": ["self"], "Filters": MINE},
    )
    ec2.add_response("delete_snapshot", {}, {"SnapshotId": "snap-0aaaaaaaaaaaaaaaa"})
    ec2.add_client_error(
        "delete_snapshot", "InvalidSnapshot.NotFound", expected_params={"SnapshotId": "snap-0bbbbbbbbbbbbbbbb"}
    )
    result = run("cleanUpAfterFailure", {"ExecutionId": EXECUTION, "PipelineName": PIPELINE})
    assert result == {
        "TerminatedInstances": ["i-0123456789abcdef0"],
        "DeregisteredImages": ["ami-0123456789abcdef0"],
        "DeletedSnapshots": ["snap-0aaaaaaaaaaaaaaaa", "snap-0bbbbbbbbbbbbbbbb"],
    }


def test_the_clean_up_after_a_failed_launch_has_nothing_to_remove(aws):
    ec2 = aws["ec2"]
    ec2.add_response("describe_instances", {"Reservations": []}, {"Filters": [*MINE, LIVE]})
    ec2.add_response("describe_images", {"Images": []}, {"Owners": ["self"], "Filters": MINE})
    ec2.add_response("describe_snapshots", {"Snapshots": []}, {"OwnerIds": ["self"], "Filters": MINE})
    result = run("cleanUpAfterFailure", {"ExecutionId": EXECUTION, "PipelineName": PIPELINE})
    assert result == {"TerminatedInstances": [], "DeregisteredImages": [], "DeletedSnapshots": []}


def test_the_clean_up_fails_loudly_when_a_snapshot_cannot_go(aws):
    """A snapshot still in use must fail the step (it is retried), not be forgotten."""
    ec2 = aws["ec2"]
    ec2.add_response("describe_instances", {"Reservations": []}, {"Filters": [*MINE, LIVE]})
    ec2.add_response("describe_images", {"Images": []}, {"Owners": ["self"], "Filters": MINE})
    ec2.add_response(
        "describe_snapshots",
        {"Snapshots": [{"SnapshotId": "snap-0aaaaaaaaaaaaaaaa"}]},
        {"OwnerIds": ["self"], "Filters": MINE},
    )
    ec2.add_client_error("delete_snapshot", "InvalidSnapshot.InUse")
    with pytest.raises(botocore.exceptions.ClientError, match=r"InvalidSnapshot\.InUse"):
        run("cleanUpAfterFailure", {"ExecutionId": EXECUTION, "PipelineName": PIPELINE})
    assert script_step("cleanUpAfterFailure")["maxAttempts"] == 3


IMAGE = {
    "ImageId": "ami-0123456789abcdef0",
    "BlockDeviceMappings": [
        {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "snap-0aaaaaaaaaaaaaaaa", "VolumeSize": 8}},
        {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"},
    ],
}


def test_prepare_reads_the_source_parameter_now_and_encrypts_every_ebs_volume(aws):
    aws["ssm"].add_response(
        "get_parameter",
        {"Parameter": {"Name": "/aws/service/al2023", "Value": "ami-0123456789abcdef0", "Type": "String"}},
        {"Name": "/aws/service/al2023"},
    )
    aws["ec2"].add_response("describe_images", {"Images": [IMAGE]}, {"ImageIds": ["ami-0123456789abcdef0"]})
    events = {"SourceAmiId": "", "SourceAmiParameter": "/aws/service/al2023", "SubnetId": "subnet-0a1b2c3d4e5f60718"}
    result = run("prepareBuild", {**events, "KmsKeyId": ""})
    assert result == {
        "ImageId": "ami-0123456789abcdef0",
        "SubnetId": "subnet-0a1b2c3d4e5f60718",
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": True, "DeleteOnTermination": True}}],
    }


def test_prepare_picks_a_default_subnet_and_the_customer_key(aws):
    key = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    aws["ec2"].add_response("describe_images", {"Images": [IMAGE]}, {"ImageIds": ["ami-0123456789abcdef0"]})
    aws["ec2"].add_response(
        "describe_subnets",
        {
            "Subnets": [
                {"SubnetId": "subnet-0bbbbbbbbbbbbbbbb", "AvailabilityZone": "eu-west-1b"},
                {"SubnetId": "subnet-0aaaaaaaaaaaaaaaa", "AvailabilityZone": "eu-west-1a"},
            ]
        },
        {"Filters": [{"Name": "default-for-az", "Values": ["true"]}]},
    )
    events = {"SourceAmiId": "ami-0123456789abcdef0", "SourceAmiParameter": "", "SubnetId": "", "KmsKeyId": key}
    result = run("prepareBuild", events)
    assert result["SubnetId"] == "subnet-0aaaaaaaaaaaaaaaa"
    assert result["BlockDeviceMappings"][0]["Ebs"] == {"Encrypted": True, "DeleteOnTermination": True, "KmsKeyId": key}


def test_prepare_without_subnet_or_default_vpc_stops_before_launching(aws):
    aws["ec2"].add_response("describe_images", {"Images": [IMAGE]}, {"ImageIds": ["ami-0123456789abcdef0"]})
    aws["ec2"].add_response(
        "describe_subnets", {"Subnets": []}, {"Filters": [{"Name": "default-for-az", "Values": ["true"]}]}
    )
    events = {"SourceAmiId": "ami-0123456789abcdef0", "SourceAmiParameter": "", "SubnetId": "", "KmsKeyId": ""}
    with pytest.raises(ValueError, match="no default VPC: set the pipeline's subnetId"):
        run("prepareBuild", events)
    assert script_step("prepareBuild")["onFailure"] == "Abort"  # nothing launched yet


@pytest.mark.parametrize(
    ("state", "passes"),
    [
        ({"Operation": "Install", "MissingCount": 0, "FailedCount": 0, "InstalledPendingRebootCount": 0}, True),
        ({"Operation": "Install", "MissingCount": 2, "FailedCount": 0}, False),
        ({"Operation": "Install", "FailedCount": 1}, False),
        ({"Operation": "Install", "InstalledPendingRebootCount": 1}, False),
        ({"Operation": "Scan", "MissingCount": 0}, False),
    ],
)
def test_an_image_is_made_only_of_a_fully_patched_instance(aws, state, passes):
    base = {"InstanceId": "i-0123456789abcdef0", "PatchGroup": "acme-web", "BaselineId": "pb-0123456789abcdef0"}
    when = {"OperationStartTime": "2026-12-01T02:00:00Z", "OperationEndTime": "2026-12-01T02:30:00Z"}
    aws["ssm"].add_response(
        "describe_instance_patch_states",
        {"InstancePatchStates": [{**base, **when, **state}]},
        {"InstanceIds": ["i-0123456789abcdef0"]},
    )
    if passes:
        assert run("verifyNoMissingPatches", {"InstanceId": "i-0123456789abcdef0"}) == {
            "MissingCount": 0,
            "FailedCount": 0,
            "InstalledPendingRebootCount": 0,
        }
    else:
        with pytest.raises(RuntimeError, match="not fully patched"):
            run("verifyNoMissingPatches", {"InstanceId": "i-0123456789abcdef0"})


def test_pruning_keeps_the_newest_and_deletes_the_snapshots_of_the_rest(aws):
    images = [
        {"ImageId": f"ami-0{i}123456789abcdef", "CreationDate": f"2026-0{i}-01T00:00:00.000Z"} for i in range(1, 6)
    ]
    filters = [
        {"Name": "tag:GoldenAmiPipeline", "Values": [PIPELINE]},
        {"Name": "tag:Customer", "Values": ["acme"]},
    ]
    aws["ec2"].add_response("describe_images", {"Images": images}, {"Owners": ["self"], "Filters": filters})
    for old in ("ami-02123456789abcdef", "ami-01123456789abcdef"):
        aws["ec2"].add_response(
            "deregister_image", {"Return": True}, {"ImageId": old, "DeleteAssociatedSnapshots": True}
        )
    events = {"PipelineName": PIPELINE, "Customer": "acme", "KeepLatest": "3", "NewImageId": "ami-05123456789abcdef"}
    assert run("deregisterOldImages", events) == {"Deregistered": ["ami-02123456789abcdef", "ami-01123456789abcdef"]}
