"""The golden AMI runbook's scripts, run as Automation runs them, against botocore's Stubber:
every request and response is checked against the real EC2 and SSM models."""

from __future__ import annotations

import time

import boto3
import botocore.exceptions
import botocore.session
import pytest
from botocore.stub import Stubber

from patching_components.components.golden_ami import template

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


@pytest.fixture
def sleeps(monkeypatch):
    """The scripts' pauses, recorded instead of slept."""
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    return slept


def run(name: str, events: dict, platform: str = "Linux"):
    namespace: dict = {}
    exec(compile(script_step(name, platform)["inputs"]["Script"], name, "exec"), namespace)
    return namespace["handler"](events, None)


MINE = [
    {"Name": "tag:GoldenAmiBuild", "Values": [EXECUTION]},
    {"Name": "tag:GoldenAmiPipeline", "Values": [PIPELINE]},
]
LIVE = {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}
PARAMETER = "/patching/acme/golden-ami/base"
CLEAN_UP = {"ExecutionId": EXECUTION, "PipelineName": PIPELINE, "AmiIdParameterName": PARAMETER}


def image(image_id, *snapshots, created="2026-12-01T00:00:00.000Z"):
    mappings = [{"DeviceName": f"/dev/sd{chr(97 + i)}", "Ebs": {"SnapshotId": s}} for i, s in enumerate(snapshots)]
    return {"ImageId": image_id, "State": "available", "CreationDate": created, "BlockDeviceMappings": mappings}


def published(ssm, value):
    if value is None:
        ssm.add_client_error("get_parameter", "ParameterNotFound", expected_params={"Name": PARAMETER})
    else:
        ssm.add_response(
            "get_parameter", {"Parameter": {"Name": PARAMETER, "Value": value, "Type": "String"}}, {"Name": PARAMETER}
        )


def test_the_clean_up_removes_everything_this_execution_made(aws, sleeps):
    ec2 = aws["ec2"]
    ec2.add_response(
        "describe_instances",
        {"Reservations": [{"Instances": [{"InstanceId": "i-0123456789abcdef0"}]}]},
        {"Filters": [*MINE, LIVE]},
    )
    ec2.add_response("terminate_instances", {}, {"InstanceIds": ["i-0123456789abcdef0"]})
    published(aws["ssm"], "ami-0ffffffffffffffff")  # an earlier build's image
    ec2.add_response(
        "describe_images",
        {"Images": [image("ami-0123456789abcdef0", "snap-0aaaaaaaaaaaaaaaa")]},
        {"Owners": ["self"], "Filters": MINE},
    )
    # Deregistered without DeleteAssociatedSnapshots (botocore >= mid-2025 only), then its snapshot by id.
    ec2.add_response("deregister_image", {"Return": True}, {"ImageId": "ami-0123456789abcdef0"})
    # That snapshot, and one left by a CreateImage that never registered.
    ec2.add_response(
        "describe_snapshots",
        {"Snapshots": [{"SnapshotId": "snap-0aaaaaaaaaaaaaaaa"}, {"SnapshotId": "snap-0bbbbbbbbbbbbbbbb"}]},
        {"OwnerIds": ["self"], "Filters": MINE},
    )
    ec2.add_client_error(
        "delete_snapshot", "InvalidSnapshot.InUse", expected_params={"SnapshotId": "snap-0aaaaaaaaaaaaaaaa"}
    )
    ec2.add_response("delete_snapshot", {}, {"SnapshotId": "snap-0aaaaaaaaaaaaaaaa"})  # retried: gone now
    ec2.add_client_error(
        "delete_snapshot", "InvalidSnapshot.NotFound", expected_params={"SnapshotId": "snap-0bbbbbbbbbbbbbbbb"}
    )
    assert run("cleanUpAfterFailure", CLEAN_UP) == {
        "TerminatedInstances": ["i-0123456789abcdef0"],
        "DeregisteredImages": ["ami-0123456789abcdef0"],
        "DeletedSnapshots": ["snap-0aaaaaaaaaaaaaaaa", "snap-0bbbbbbbbbbbbbbbb"],
        "KeptPublishedImage": None,
    }


def test_the_clean_up_keeps_the_image_a_publish_that_took_effect_names(aws):
    """PutParameter took effect but its step failed: the parameter names this build's image, which stays
    with its snapshots."""
    ec2 = aws["ec2"]
    ec2.add_response("describe_instances", {"Reservations": []}, {"Filters": [*MINE, LIVE]})
    published(aws["ssm"], "ami-0123456789abcdef0")
    ec2.add_response(
        "describe_images",
        {"Images": [image("ami-0123456789abcdef0", "snap-0aaaaaaaaaaaaaaaa")]},
        {"Owners": ["self"], "Filters": MINE},
    )
    ec2.add_response(
        "describe_snapshots",
        {"Snapshots": [{"SnapshotId": "snap-0aaaaaaaaaaaaaaaa"}]},
        {"OwnerIds": ["self"], "Filters": MINE},
    )
    assert run("cleanUpAfterFailure", CLEAN_UP) == {
        "TerminatedInstances": [],
        "DeregisteredImages": [],
        "DeletedSnapshots": [],
        "KeptPublishedImage": "ami-0123456789abcdef0",
    }


def test_the_clean_up_after_a_failed_launch_has_nothing_to_remove(aws):
    ec2 = aws["ec2"]
    ec2.add_response("describe_instances", {"Reservations": []}, {"Filters": [*MINE, LIVE]})
    published(aws["ssm"], None)  # the first build
    ec2.add_response("describe_images", {"Images": []}, {"Owners": ["self"], "Filters": MINE})
    ec2.add_response("describe_snapshots", {"Snapshots": []}, {"OwnerIds": ["self"], "Filters": MINE})
    assert run("cleanUpAfterFailure", CLEAN_UP) == {
        "TerminatedInstances": [],
        "DeregisteredImages": [],
        "DeletedSnapshots": [],
        "KeptPublishedImage": None,
    }


def test_the_clean_up_fails_loudly_when_a_snapshot_stays_in_use(aws, sleeps):
    """A snapshot still in use after the bounded retries must fail the step (it is retried), not be forgotten."""
    ec2 = aws["ec2"]
    ec2.add_response("describe_instances", {"Reservations": []}, {"Filters": [*MINE, LIVE]})
    published(aws["ssm"], None)
    ec2.add_response("describe_images", {"Images": []}, {"Owners": ["self"], "Filters": MINE})
    ec2.add_response(
        "describe_snapshots",
        {"Snapshots": [{"SnapshotId": "snap-0aaaaaaaaaaaaaaaa"}]},
        {"OwnerIds": ["self"], "Filters": MINE},
    )
    for _ in range(10):
        ec2.add_client_error("delete_snapshot", "InvalidSnapshot.InUse")
    with pytest.raises(botocore.exceptions.ClientError, match=r"InvalidSnapshot\.InUse"):
        run("cleanUpAfterFailure", CLEAN_UP)
    assert script_step("cleanUpAfterFailure")["maxAttempts"] == 3
    assert script_step("cleanUpAfterFailure")["nextStep"] == "buildFailed"


def test_after_cleaning_up_the_run_fails():
    with pytest.raises(RuntimeError, match="build failed"):
        run("buildFailed", {"PipelineName": PIPELINE})
    assert script_step("buildFailed")["onFailure"] == "Abort" and script_step("buildFailed")["isEnd"]


LAUNCH = {
    "ClientToken": EXECUTION,
    "ImageId": "ami-0123456789abcdef0",
    "InstanceType": "t3.small",
    "IamInstanceProfileName": "acme-instance",
    "NetworkInterfaces": [{"DeviceIndex": 0, "SubnetId": "subnet-0a1b2c3d4e5f60718", "DeleteOnTermination": True}],
    "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": True, "DeleteOnTermination": True}}],
    "TagSpecifications": [
        {"ResourceType": t, "Tags": [{"Key": "GoldenAmiBuild", "Value": EXECUTION}]} for t in ("instance", "volume")
    ],
}
LAUNCH_REQUEST = {
    **{k: v for k, v in LAUNCH.items() if k != "IamInstanceProfileName"},
    "MinCount": 1,
    "MaxCount": 1,
    "IamInstanceProfile": {"Name": "acme-instance"},
    "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
}
NEW_PROFILE = (
    "Value (acme-instance) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name"
)


def test_the_launch_waits_for_a_new_instance_profile_with_the_same_client_token(aws, sleeps):
    """IAM is eventually consistent: the first build's launch is repeated, always with the execution's
    ClientToken (EC2 then returns the one instance it launched, never a second)."""
    ec2 = aws["ec2"]
    for _ in range(3):
        ec2.add_client_error("run_instances", "InvalidParameterValue", NEW_PROFILE, expected_params=LAUNCH_REQUEST)
    ec2.add_response("run_instances", {"Instances": [{"InstanceId": "i-0123456789abcdef0"}]}, LAUNCH_REQUEST)
    assert run("launchBuildInstance", LAUNCH) == {"InstanceId": "i-0123456789abcdef0"}
    assert sleeps == [10, 10, 10]


def test_the_launch_gives_up_after_two_minutes(aws, sleeps):
    for _ in range(12):
        aws["ec2"].add_client_error("run_instances", "InvalidParameterValue", NEW_PROFILE)
    with pytest.raises(botocore.exceptions.ClientError, match="Invalid IAM Instance Profile"):
        run("launchBuildInstance", LAUNCH)
    assert sum(sleeps) == 110


@pytest.mark.parametrize(
    ("code", "message"),
    [("InsufficientInstanceCapacity", "no capacity"), ("InvalidParameterValue", "Invalid value for InstanceType")],
)
def test_the_launch_repeats_nothing_else(aws, sleeps, code, message):
    aws["ec2"].add_client_error("run_instances", code, message)
    with pytest.raises(botocore.exceptions.ClientError, match=code):
        run("launchBuildInstance", LAUNCH)
    assert sleeps == []


NO_NETWORK_SETTINGS = {"SecurityGroupIds": [], "AssociatePublicIpAddress": ""}
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
    result = run("prepareBuild", {**events, **NO_NETWORK_SETTINGS, "KmsKeyId": ""})
    assert result == {
        "ImageId": "ami-0123456789abcdef0",
        # No security group and no public-IP choice: the subnet's VPC's default group and the subnet's setting.
        "NetworkInterfaces": [{"DeviceIndex": 0, "SubnetId": "subnet-0a1b2c3d4e5f60718", "DeleteOnTermination": True}],
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": True, "DeleteOnTermination": True}}],
    }


@pytest.mark.parametrize(("public", "expected"), [("true", True), ("false", False)])
def test_prepare_puts_the_security_groups_and_the_public_ip_choice_on_the_interface(aws, public, expected):
    aws["ec2"].add_response("describe_images", {"Images": [IMAGE]}, {"ImageIds": ["ami-0123456789abcdef0"]})
    events = {
        "SourceAmiId": "ami-0123456789abcdef0",
        "SourceAmiParameter": "",
        "SubnetId": "subnet-0a1b2c3d4e5f60718",
        "SecurityGroupIds": ["sg-0123456789abcdef0", "sg-0fedcba9876543210"],
        "AssociatePublicIpAddress": public,
        "KmsKeyId": "",
    }
    (interface,) = run("prepareBuild", events)["NetworkInterfaces"]
    assert interface == {
        "DeviceIndex": 0,
        "SubnetId": "subnet-0a1b2c3d4e5f60718",
        "DeleteOnTermination": True,
        "Groups": ["sg-0123456789abcdef0", "sg-0fedcba9876543210"],
        "AssociatePublicIpAddress": expected,
    }
    # The launch sends it as it is: a request EC2's model accepts.
    request = {**LAUNCH_REQUEST, "NetworkInterfaces": [interface]}
    aws["ec2"].add_response("run_instances", {"Instances": [{"InstanceId": "i-0123456789abcdef0"}]}, request)
    assert run("launchBuildInstance", {**LAUNCH, "NetworkInterfaces": [interface]})["InstanceId"]


def test_prepare_waits_for_the_roles_new_policy(aws, sleeps):
    """The first build starts seconds after the role's policy is attached: reads denied meanwhile are repeated."""
    aws["ec2"].add_client_error("describe_images", "UnauthorizedOperation", "You are not authorized")
    aws["ec2"].add_response("describe_images", {"Images": [IMAGE]}, {"ImageIds": ["ami-0123456789abcdef0"]})
    events = {"SourceAmiId": "ami-0123456789abcdef0", "SourceAmiParameter": "", "SubnetId": "subnet-0a1b2c3d4e5f60718"}
    assert run("prepareBuild", {**events, **NO_NETWORK_SETTINGS, "KmsKeyId": ""})["ImageId"] == "ami-0123456789abcdef0"
    assert sleeps == [10]


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
    result = run("prepareBuild", {**events, **NO_NETWORK_SETTINGS})
    assert result["NetworkInterfaces"][0]["SubnetId"] == "subnet-0aaaaaaaaaaaaaaaa"
    assert result["BlockDeviceMappings"][0]["Ebs"] == {"Encrypted": True, "DeleteOnTermination": True, "KmsKeyId": key}


def test_prepare_without_subnet_or_default_vpc_stops_before_launching(aws):
    aws["ec2"].add_response("describe_images", {"Images": [IMAGE]}, {"ImageIds": ["ami-0123456789abcdef0"]})
    aws["ec2"].add_response(
        "describe_subnets", {"Subnets": []}, {"Filters": [{"Name": "default-for-az", "Values": ["true"]}]}
    )
    events = {"SourceAmiId": "ami-0123456789abcdef0", "SourceAmiParameter": "", "SubnetId": "", "KmsKeyId": ""}
    events |= NO_NETWORK_SETTINGS
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


def test_pruning_keeps_the_newest_and_the_published_and_deletes_the_snapshots_of_the_rest(aws, sleeps):
    images = [
        image(f"ami-0{i}123456789abcdef", f"snap-0{i}aaaaaaaaaaaaaaa", created=f"2026-0{i}-01T00:00:00.000Z")
        for i in range(1, 6)
    ]
    filters = [
        {"Name": "tag:GoldenAmiPipeline", "Values": [PIPELINE]},
        {"Name": "tag:Customer", "Values": ["acme"]},
    ]
    # Read first: the parameter names the oldest image (a publish of this build has not taken effect,
    # or someone pinned it): it stays, whatever KeepLatest says.
    published(aws["ssm"], "ami-01123456789abcdef")
    aws["ec2"].add_response("describe_images", {"Images": images}, {"Owners": ["self"], "Filters": filters})
    aws["ec2"].add_response("deregister_image", {"Return": True}, {"ImageId": "ami-02123456789abcdef"})
    aws["ec2"].add_client_error(
        "delete_snapshot", "InvalidSnapshot.InUse", expected_params={"SnapshotId": "snap-02aaaaaaaaaaaaaaa"}
    )
    aws["ec2"].add_response("delete_snapshot", {}, {"SnapshotId": "snap-02aaaaaaaaaaaaaaa"})
    # Then the pipeline's snapshots no image uses (left by a pruning that stopped half-way) go too.
    remaining = [i for i in images if i["ImageId"] != "ami-02123456789abcdef"]
    aws["ec2"].add_response("describe_images", {"Images": remaining}, {"Owners": ["self"], "Filters": filters})
    tagged = [f"snap-0{i}aaaaaaaaaaaaaaa" for i in (1, 3, 4, 5)] + ["snap-0orphanaaaaaaaaa"]
    aws["ec2"].add_response(
        "describe_snapshots",
        {"Snapshots": [{"SnapshotId": s} for s in tagged]},
        {"OwnerIds": ["self"], "Filters": filters},
    )
    aws["ec2"].add_response("delete_snapshot", {}, {"SnapshotId": "snap-0orphanaaaaaaaaa"})
    events = {
        "PipelineName": PIPELINE,
        "Customer": "acme",
        "KeepLatest": "3",
        "NewImageId": "ami-05123456789abcdef",
        "AmiIdParameterName": PARAMETER,
    }
    assert run("deregisterOldImages", events) == {
        "Deregistered": ["ami-02123456789abcdef"],
        "DeletedSnapshots": ["snap-02aaaaaaaaaaaaaaa", "snap-0orphanaaaaaaaaa"],
    }
    assert sleeps == [15]
