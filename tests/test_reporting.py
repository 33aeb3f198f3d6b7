"""PatchReporting: a hardened log bucket, SNS, and least-privilege writers and publishers."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from aws_shapes import problems
from conftest import MINIMAL, run_config
from patching_components import PatchReporting
from tests.engine import run_program


@pytest.fixture(scope="module")
def acme(example_runs):
    return example_runs["Pulumi.acme.yaml"]


def only(run, type_):
    (resource,) = run.of_type(type_)
    return resource


def test_created_bucket_is_private_encrypted_versioned_and_expires(acme):
    bucket = only(acme, "aws:s3/bucket:Bucket")
    assert bucket.parent.endswith("PatchReporting::acme")
    assert not bucket.inputs.get("forceDestroy")  # logs are evidence: never silently emptied
    block = only(acme, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs
    assert block == {
        "bucket": bucket.id,
        "blockPublicAcls": True,
        "blockPublicPolicy": True,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": True,
    }
    ownership = only(acme, "aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs
    assert ownership["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    sse = only(acme, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    (rule,) = sse.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    versioning = only(acme, "aws:s3/bucketVersioning:BucketVersioning").inputs
    assert versioning["versioningConfiguration"] == {"status": "Enabled"}
    lifecycle, markers = only(acme, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    assert lifecycle["status"] == markers["status"] == "Enabled"
    assert lifecycle["expiration"] == {"days": 180}
    assert lifecycle["noncurrentVersionExpiration"] == {"noncurrentDays": 1}
    assert markers["expiration"] == {"expiredObjectDeleteMarker": True}
    assert (
        problems(
            "s3",
            "PutBucketLifecycleConfiguration",
            {
                "Bucket": bucket.id,
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "ID": lifecycle["id"],
                            "Status": lifecycle["status"],
                            "Filter": {"Prefix": lifecycle["filter"]["prefix"]},
                            "Expiration": {"Days": lifecycle["expiration"]["days"]},
                            "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                        },
                        {
                            "ID": markers["id"],
                            "Status": markers["status"],
                            "Filter": {"Prefix": ""},
                            "Expiration": {"ExpiredObjectDeleteMarker": True},
                        },
                    ]
                },
            },
        )
        == []
    )


def _last_day_held(rules: list[dict], written: datetime) -> datetime:
    """When the last trace of one object written at ``written`` leaves a versioned bucket, as the S3 User
    Guide describes lifecycle expiry ("Expiring objects"; "Lifecycle configuration elements": a day count
    is added to the start and rounded up to the next midnight UTC): expiring the current version adds a
    delete marker and makes the version noncurrent; a noncurrent version expires NoncurrentDays after
    it became noncurrent; a delete marker left as the only version (an expired object delete marker)
    is removed by the Expiration action. Without a noncurrent rule, the version stays."""

    def after(start: datetime, days: int) -> datetime:
        moment = start + timedelta(days=days)
        midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        return midnight if midnight == moment else midnight + timedelta(days=1)

    current_days = next(r["expiration"]["days"] for r in rules if "days" in r.get("expiration", {}))
    noncurrent = [
        r["noncurrentVersionExpiration"]["noncurrentDays"] for r in rules if "noncurrentVersionExpiration" in r
    ]
    if not noncurrent:
        return datetime.max.replace(tzinfo=UTC)  # the noncurrent version is kept forever
    return after(after(written, current_days), noncurrent[0])  # then the lone delete marker goes


@pytest.mark.parametrize("retention", [1, 30, 90, 3650])
def test_retention_days_means_what_it_says_on_the_versioned_bucket(retention):
    run = run_program(
        {}, stack="alone", program=lambda: PatchReporting("ops", {"s3_bucket": "create", "retention_days": retention})
    )
    rules = only(run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    written = datetime(2026, 3, 1, 14, 30, tzinfo=UTC)
    held = _last_day_held(rules, written) - written
    # Gone within retentionDays + 1 (+ S3's rounding to midnight), never the 2 x retentionDays of equal counts.
    assert timedelta(days=retention) < held <= timedelta(days=retention + 2)
    doubled = [{**rules[0], "noncurrentVersionExpiration": {"noncurrentDays": retention}}, rules[1]]
    assert _last_day_held(doubled, written) - written > timedelta(days=2 * retention)  # what earlier releases did
    # Delete markers left alone are removed (also by the explicit rule), unfinished uploads after a day.
    assert rules[1]["expiration"] == {"expiredObjectDeleteMarker": True}
    assert rules[0]["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 1}


def test_bucket_policy_denies_plain_http(acme):
    bucket = only(acme, "aws:s3/bucket:Bucket")
    policy = json.loads(only(acme, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    # acme also syncs compliance data: the rest of its policy is the data sync's (tested below).
    (statement,) = [s for s in policy["Statement"] if s["Sid"] == "DenyInsecureTransport"]
    assert {s["Sid"] for s in policy["Statement"]} == {
        "DenyInsecureTransport",
        "SSMBucketPermissionsCheck",
        "SSMBucketDelivery",
    }
    arn = f"arn:aws:s3:::{bucket.id}"
    assert statement == {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def test_instances_may_write_exactly_the_customer_prefix(acme):
    bucket = only(acme, "aws:s3/bucket:Bucket")
    policy = json.loads(acme.named("acme-instance-patch-logs").inputs["policy"])
    (statement,) = policy["Statement"]
    assert statement["Action"] == "s3:PutObject"
    assert statement["Resource"] == [f"arn:aws:s3:::{bucket.id}/patching/acme/*"]
    assert acme.outputs["logBucket"] == bucket.id


def test_existing_bucket_is_used_not_created(example_runs):
    run = example_runs["Pulumi.globex.yaml"]
    assert run.of_type("aws:s3/bucket:Bucket") == []
    policy = json.loads(run.named("globex-instance-patch-logs").inputs["policy"])
    assert policy["Statement"][0]["Resource"] == ["arn:aws:s3:::globex-central-ops-logs/ssm/patching/globex/*"]
    assert run.outputs["logBucket"] == "globex-central-ops-logs"


def test_email_topic_is_encrypted_with_one_subscription_per_address(acme):
    topic = only(acme, "aws:sns/topic:Topic")
    assert topic.inputs["kmsMasterKeyId"] == "alias/aws/sns"
    assert (
        problems("sns", "CreateTopic", {"Name": "acme-alerts", "Attributes": {"KmsMasterKeyId": "alias/aws/sns"}}) == []
    )
    subscriptions = acme.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert sorted((s.inputs["protocol"], s.inputs["endpoint"]) for s in subscriptions) == [
        ("email", "oncall@msp.example"),
        ("email", "ops@acme.example"),
    ]
    # No address in a URN (URNs are never secret); the names earlier releases used are aliases,
    # so an upgrade keeps every confirmed subscription instead of replacing it.
    assert all("@" not in s.urn and re.fullmatch(r"acme-alerts-[0-9a-f]{16}", s.name) for s in subscriptions)
    assert sorted(name for s in subscriptions for name in s.alias_names) == [
        "acme-alerts-oncall@msp.example",
        "acme-alerts-ops@acme.example",
    ]
    arn = "arn:aws:sns:eu-west-1:123456789012:acme-alerts-mock"
    assert {s.inputs["topic"] for s in subscriptions} == {arn}
    assert acme.outputs["notificationTopicArn"] == arn


def test_publisher_role_may_only_publish_to_the_topic(example_runs):
    run = example_runs["Pulumi.globex.yaml"]
    trust = json.loads(run.named("globex-notify", "aws:iam/role:Role").inputs["assumeRolePolicy"])
    (statement,) = trust["Statement"]
    assert statement["Principal"] == {"Service": "ssm.amazonaws.com"}
    assert "Condition" not in statement  # as AWS documents it (tests/test_iam_trust.py)
    (publish,) = json.loads(run.named("globex-notify-publish").inputs["policy"])["Statement"]
    assert publish["Action"] == "sns:Publish"
    assert publish["Resource"] == "arn:aws:sns:us-east-1:111122223333:globex-ops-alerts"


def test_no_reporting_resources_without_logging_or_notifications():
    run = run_config(MINIMAL)  # (initech, which had neither, now sends notices)
    assert not [r for r in run.resources if r.type.endswith("PatchReporting")]
    assert "logBucket" not in run.outputs and "notificationTopicArn" not in run.outputs


def test_logging_none_builds_no_bucket_and_no_write_permission():
    run = run_config({**MINIMAL, "logging": {"s3Bucket": "none"}})
    assert run.of_type("aws:s3/bucket:Bucket") == []
    assert not [r for r in run.resources if r.name.endswith("patch-logs")]


def test_component_alone_default_retention():
    run = run_program({}, stack="alone", program=lambda: PatchReporting("ops", {"s3_bucket": "create"}))
    rule, _ = only(run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs["rules"]
    assert rule["expiration"] == {"days": 90}
    assert run.of_type("aws:sns/topic:Topic") == []


SYNC = "aws:ssm/resourceDataSync:ResourceDataSync"


def test_data_sync_lands_compliance_in_the_customers_prefix_with_the_policy_aws_documents():
    from aws_requests import api_calls

    run = run_config({**MINIMAL, "logging": {"s3Bucket": "create"}, "compliance": {"dataSync": True}}, stack="acme")
    (sync,) = run.of_type(SYNC)
    assert sync.inputs["name"] == "acme-patch-compliance"
    assert sync.inputs["s3Destination"] == {
        "bucketName": "acme-logs-mock",
        "prefix": "patching/acme/sync",
        "region": "eu-west-1",
        "syncFormat": "JsonSerDe",
    }
    assert [p for service, op, request in api_calls(sync) for p in problems(service, op, request)] == []
    policy = json.loads(run.named("acme-logs", "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["SSMBucketPermissionsCheck"] == {
        "Sid": "SSMBucketPermissionsCheck",
        "Effect": "Allow",
        "Principal": {"Service": "ssm.amazonaws.com"},
        "Action": "s3:GetBucketAcl",
        "Resource": "arn:aws:s3:::acme-logs-mock",
    }
    assert statements["SSMBucketDelivery"] == {
        "Sid": "SSMBucketDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "ssm.amazonaws.com"},
        "Action": "s3:PutObject",
        # Only below this customer's sync prefix, only for this account's syncs.
        "Resource": "arn:aws:s3:::acme-logs-mock/patching/acme/sync/*/accountid=123456789012/*",
        "Condition": {
            "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": "123456789012"},
            "ArnLike": {"aws:SourceArn": "arn:aws:ssm:*:123456789012:resource-data-sync/*"},
        },
    }
    assert "DenyInsecureTransport" in statements


def test_no_data_sync_unless_asked_and_never_without_a_bucket():
    from patching_components.config import ConfigError, validate

    assert run_config({**MINIMAL, "logging": {"s3Bucket": "create"}}).of_type(SYNC) == []
    with pytest.raises(ConfigError) as info:
        validate({**MINIMAL, "compliance": {"dataSync": True}}, "stacks/Pulumi.acme.yaml")
    assert info.value.lines() == [
        "stacks/Pulumi.acme.yaml: patching:compliance.dataSync: writes to the log bucket: set logging.s3Bucket"
    ]
    existing = run_config(
        {**MINIMAL, "logging": {"s3Bucket": "central-logs"}, "compliance": {"dataSync": True}}, stack="acme"
    )
    assert existing.of_type(SYNC)[0].inputs["s3Destination"]["bucketName"] == "central-logs"


def test_component_alone_creates_the_cloudwatch_log_group_with_its_retention():
    from aws_requests import api_calls

    run = run_program(
        {},
        stack="alone",
        program=lambda: PatchReporting(
            "ops", {"cloudwatch_log_group": "/patching/ops", "cloudwatch_retention_days": 7}
        ),
    )
    (group,) = run.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert (group.inputs["name"], group.inputs["retentionInDays"]) == ("/patching/ops", 7)
    calls = api_calls(group)
    assert [(service, operation) for service, operation, _ in calls] == [
        ("logs", "CreateLogGroup"),
        ("logs", "PutRetentionPolicy"),
    ]
    assert all(problems(service, operation, request) == [] for service, operation, request in calls)
    assert run.of_type("aws:s3/bucket:Bucket") == []
