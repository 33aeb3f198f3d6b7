"""The AWS stand-in (tests/moto_aws.py) behaves as AWS does where the end-to-end tests rely on it."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

ACCOUNT, OTHER = "123456789012", "222233334444"


def _state(n: int) -> dict[str, Any]:
    return {
        "_PatchGroup": "web",
        "InstanceId": f"i-{n:017x}",
        "PatchGroup": "web",
        "BaselineId": "pb-0123456789abcdef0",
        "OperationStartTime": 1_700_000_000,
        "OperationEndTime": 1_700_000_100,
        "Operation": "Scan",
    }


def test_moto_keeps_state_and_the_layer_pages_as_aws(aws):
    ssm = boto3.client("ssm", region_name="eu-west-1")
    ssm.create_maintenance_window(
        Name="acme-weekly", Schedule="cron(0 2 ? * SUN *)", Duration=2, Cutoff=1, AllowUnassociatedTargets=False
    )
    assert [w["Name"] for w in ssm.describe_maintenance_windows()["WindowIdentities"]] == ["acme-weekly"]
    aws.layer.seed(
        "DescribeInstancePatchStatesForPatchGroup", map(_state, range(150)), account=ACCOUNT, region="eu-west-1"
    )
    pages = ssm.get_paginator("describe_instance_patch_states_for_patch_group").paginate(
        PatchGroup="web", PaginationConfig={"PageSize": 100}
    )
    assert [len(page["InstancePatchStates"]) for page in pages] == [100, 50]
    assert aws.layer.calls["DescribeInstancePatchStatesForPatchGroup"] == 2
    # AWS's limit for this call is 100 (botocore's model): more is a ValidationException.
    with pytest.raises(ClientError, match="ValidationException"):
        ssm.describe_instance_patch_states_for_patch_group(PatchGroup="web", MaxResults=101)
    # Another region sees nothing.
    west2 = boto3.client("ssm", region_name="us-west-2")
    assert west2.describe_instance_patch_states_for_patch_group(PatchGroup="web")["InstancePatchStates"] == []


def test_an_assumed_role_reads_its_own_account(aws):
    aws.layer.seed("DescribeInstancePatchStatesForPatchGroup", [_state(1)], account=ACCOUNT, region="eu-west-1")
    creds = boto3.client("sts").assume_role(RoleArn=f"arn:aws:iam::{OTHER}:role/patching-report", RoleSessionName="t1")[
        "Credentials"
    ]
    session = boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="eu-west-1",
    )
    assert session.client("sts").get_caller_identity()["Account"] == OTHER
    assert (
        session.client("ssm").describe_instance_patch_states_for_patch_group(PatchGroup="web")["InstancePatchStates"]
        == []
    )
    assert session.client("ssm").describe_maintenance_windows()["WindowIdentities"] == []


def test_seeded_items_must_have_the_shape_aws_sends(aws):
    with pytest.raises(AssertionError, match="not members"):
        aws.layer.seed(
            "DescribeInstanceInformation", [{"InstanceId": "i-1", "Tags": []}], account=ACCOUNT, region="eu-west-1"
        )
    with pytest.raises(AssertionError, match="is not one of"):
        aws.layer.seed(
            "DescribeInstanceInformation",
            [{"InstanceId": "i-1", "PingStatus": "Sleeping"}],
            account=ACCOUNT,
            region="eu-west-1",
        )


@pytest.mark.slow  # the stand-in: seconds
def test_the_layers_list_coverage_pages_filters_and_refuses_as_aws(aws):
    """Inspector's ListCoverage (moto 5 lacks it): pages of at most maxResults (1-200, API_ListCoverage.html), the
    string filters applied, and an item that is not a CoveredResource refused when seeded."""
    from tests.moto_aws import seed_coverage

    def covered(n: int, code: str = "ACTIVE", account: str = ACCOUNT) -> dict[str, Any]:
        return {
            "resourceType": "AWS_EC2_INSTANCE",
            "resourceId": f"i-{n:017x}",
            "accountId": account,
            "scanStatus": {"statusCode": code, "reason": "SUCCESSFUL" if code == "ACTIVE" else "EC2_INSTANCE_STOPPED"},
        }

    seed_coverage(aws.layer, [covered(n) for n in range(250)], account=ACCOUNT, region="eu-west-1")
    seed_coverage(aws.layer, [covered(999, "INACTIVE")], account=ACCOUNT, region="eu-west-1")
    seed_coverage(aws.layer, [covered(7)], account=ACCOUNT, region="us-east-1")  # another region: not listed
    inspector = boto3.client("inspector2", region_name="eu-west-1")
    pages = inspector.get_paginator("list_coverage").paginate(
        filterCriteria={"resourceType": [{"comparison": "EQUALS", "value": "AWS_EC2_INSTANCE"}]},
        PaginationConfig={"PageSize": 200},
    )
    assert [len(page["coveredResources"]) for page in pages] == [200, 51]
    assert aws.layer.calls["ListCoverage"] == 2
    inactive = inspector.list_coverage(
        filterCriteria={"scanStatusCode": [{"comparison": "NOT_EQUALS", "value": "ACTIVE"}]}
    )
    assert [r["resourceId"] for r in inactive["coveredResources"]] == [f"i-{999:017x}"]
    with pytest.raises(ClientError) as refused:
        inspector.list_coverage(filterCriteria={"lambdaFunctionName": [{"comparison": "EQUALS", "value": "f"}]})
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(AssertionError):
        seed_coverage(aws.layer, [{"resourceId": "i-0123456789abcdef0", "scanned": True}], account=ACCOUNT, region="x")
