"""PatchReporting: where Run Command output and notifications of patch tasks go."""

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from .. import layout
from ..config import defaults
from ..errors import Issue
from ._base import TYPE_PREFIX, child, json_document, lookup, register_declared_outputs
from ._check_args import check_args, field_type
from .args import PatchReportingArgs
from .iam import ssm_service_role


def data_sync_statements(
    bucket_arn: pulumi.Input[str], prefix: str, partition: pulumi.Input[str], account_id: pulumi.Input[str]
) -> list[dict]:
    """The bucket policy AWS documents for a Resource Data Sync ("Configuring resource data sync
    for Inventory"): Systems Manager checks the bucket's ACL and writes below the prefix, for
    syncs of this account only (aws:SourceAccount, aws:SourceArn: the confused-deputy guard)."""
    service = {"Service": "ssm.amazonaws.com"}
    return [
        {
            "Sid": "SSMBucketPermissionsCheck",
            "Effect": "Allow",
            "Principal": service,
            "Action": "s3:GetBucketAcl",
            "Resource": bucket_arn,
        },
        {
            "Sid": "SSMBucketDelivery",
            "Effect": "Allow",
            "Principal": service,
            "Action": "s3:PutObject",
            "Resource": pulumi.Output.concat(bucket_arn, "/", prefix, "/*/accountid=", account_id, "/*"),
            "Condition": {
                "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": account_id},
                "ArnLike": {
                    "aws:SourceArn": pulumi.Output.concat(
                        "arn:", partition, ":ssm:*:", account_id, ":resource-data-sync/*"
                    )
                },
            },
        },
    ]


NONCURRENT_DAYS = 1
"""Days a version is kept once it is no longer current (overwritten, or expired into a delete marker)."""


def lifecycle_rules(retention_days: int) -> list[Any]:
    """The created bucket's lifecycle: output is gone about ``retention_days`` + 1 days after it was
    written. On a versioned bucket, expiring the current version only adds a delete marker and the
    noncurrent-version clock starts then ("Expiring objects", S3 User Guide): equal day counts
    would keep the data about twice as long. So the noncurrent version goes a day later, the
    delete marker left alone goes with it, and unfinished uploads after a day."""
    return [
        {
            "id": "expire-patching-output",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "expiration": {"days": retention_days},
            "noncurrent_version_expiration": {"noncurrent_days": NONCURRENT_DAYS},
            "abort_incomplete_multipart_upload": {"days_after_initiation": 1},
        },
        {
            # S3 refuses ExpiredObjectDeleteMarker beside Days in one Expiration: a rule of its own.
            "id": "remove-expired-delete-markers",
            "status": "Enabled",
            "filter": {"prefix": ""},
            "expiration": {"expired_object_delete_marker": True},
        },
    ]


class PatchReportingPlumbing(TypedDict, total=False):
    """PatchReporting's args (no config model's settings: each is checked with the stack file's type of it)."""

    s3_bucket: pulumi.Input[str]
    """'create' for a private, encrypted, TLS-only bucket; or an existing bucket name (also another
    region's PatchReporting's bucket_name); omit for no S3 output."""
    s3_bucket_region: pulumi.Input[str]
    """Region of an existing s3_bucket, where the data sync writes (default: this provider's region)."""
    s3_key_prefix: str
    """Prefix the tasks write below (each window adds its own sub-prefix). Default 'patching'."""
    retention_days: int
    """Days after which log objects expire, created bucket only (default 90): every version is gone a
    day later (see lifecycle_rules)."""
    emails: Sequence[str]
    """Creates an encrypted SNS topic with these email subscriptions."""
    sns_topic_arn: pulumi.Input[str]
    """Use an existing topic instead of creating one."""
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """Tags for the bucket, topic and role."""
    permissions_boundary: str
    """Managed policy ARN set as the permissions boundary of the notification role."""
    notification_role_name: pulumi.Input[str]
    """Publish with this existing role (another region's PatchReporting's): it is allowed to publish
    to this topic too, and no role is created. Give notification_role_arn with it."""
    notification_role_arn: pulumi.Input[str]
    """ARN of notification_role_name."""
    cloudwatch_log_group: str
    """Creates this CloudWatch log group for the tasks' Run Command output (see PatchWindow's
    cloudwatch_log_group_name), kept cloudwatch_retention_days."""
    cloudwatch_retention_days: int
    """Days CloudWatch Logs keeps the output (default 90; one of the periods CloudWatch Logs accepts)."""
    cloudwatch_kms_key_arn: pulumi.Input[str]
    """Customer managed KMS key of the log group (its key policy must allow logs.<region>.amazonaws.com)."""
    strict_trust_conditions: bool
    """Also require ``aws:SourceAccount``/``aws:SourceArn`` in the notification role's trust. AWS documents no
    condition for that role: a key Run Command does not send drops every notification. Off by default; verify
    with one canary run."""
    data_sync: bool
    """A Resource Data Sync of the region's inventory and patch compliance into the bucket, below
    ``<s3_key_prefix>/sync`` (needs ``s3_bucket``; a created bucket gets the policy AWS documents
    for it, an existing one needs it from its owner)."""


class PatchReporting(pulumi.ComponentResource):
    """The log bucket (or an existing one), the notification topic (or an existing one)
    and the role Run Command assumes to publish to that topic."""

    bucket_name: pulumi.Output[str] | None
    """Bucket the tasks write output to (None without S3 output)."""
    log_objects_arn: pulumi.Output[str] | None
    """ARN pattern of the log objects (bucket/prefix/*): what instances may write."""
    key_prefix: pulumi.Output[str] | None
    """The key prefix below which the tasks write."""
    topic_arn: pulumi.Output[str] | None
    """SNS topic for notifications (None without notifications)."""
    notification_role_arn: pulumi.Output[str] | None
    """Role Run Command assumes to publish to the topic."""
    notification_role_name: pulumi.Output[str] | None
    """Name of that role."""
    log_group_name: pulumi.Output[str] | None
    """CloudWatch log group of the Run Command output (None without cloudwatch_log_group)."""

    def __init__(self, name: str, args: PatchReportingArgs, opts: pulumi.ResourceOptions | None = None):
        _, args = check_args("PatchReporting", name, args, PatchReportingArgs, types=_types, rules=_rules)
        super().__init__(f"{TYPE_PREFIX}PatchReporting", name, None, opts)
        tags = args.get("tags")
        partition = lookup(self, "partition")
        account_id = lookup(self, "account_id")

        self.bucket_name = self.log_objects_arn = self.key_prefix = None
        bucket_setting = args.get("s3_bucket")
        if bucket_setting:
            prefix = args.get("s3_key_prefix", defaults.LOG_PREFIX).strip("/")
            sync_prefix = layout.data_sync_prefix(prefix) if args.get("data_sync") else None
            if bucket_setting == "create":
                retention = args.get("retention_days", defaults.RETENTION_DAYS)
                bucket_name = self._log_bucket(name, retention, tags, sync_prefix, partition, account_id)
            else:
                bucket_name = pulumi.Output.from_input(bucket_setting)
            self.bucket_name = bucket_name
            self.key_prefix = pulumi.Output.from_input(prefix)
            self.log_objects_arn = pulumi.Output.concat("arn:", partition, ":s3:::", bucket_name, "/", prefix, "/*")
            if sync_prefix is not None:
                aws.ssm.ResourceDataSync(
                    f"{name}-sync",
                    name=f"{name}-patch-compliance",
                    s3_destination={
                        "bucket_name": bucket_name,
                        "prefix": sync_prefix,
                        "region": args.get("s3_bucket_region") or lookup(self, "region"),
                        "sync_format": "JsonSerDe",
                    },
                    opts=child(self),
                )

        self.log_group_name = None
        if args.get("cloudwatch_log_group"):
            group = aws.cloudwatch.LogGroup(
                f"{name}-output",
                name=args["cloudwatch_log_group"],
                retention_in_days=args.get("cloudwatch_retention_days", defaults.RETENTION_DAYS),
                kms_key_id=args.get("cloudwatch_kms_key_arn"),
                tags=tags,
                opts=child(self),
            )
            self.log_group_name = group.name

        self.topic_arn = self.notification_role_arn = self.notification_role_name = None
        if args.get("emails"):
            topic = aws.sns.Topic(
                f"{name}-alerts",
                # SSE with the AWS managed key: Run Command publishes through our role, in-account.
                kms_master_key_id="alias/aws/sns",
                tags=tags,
                opts=child(self),
            )
            for email in args["emails"]:
                aws.sns.TopicSubscription(
                    layout.subscription_name(name, email),
                    topic=topic.arn,
                    protocol="email",
                    endpoint=email,
                    # Earlier releases named them by the address: the alias keeps those subscriptions.
                    opts=child(self, aliases=[pulumi.Alias(name=f"{name}-alerts-{email}")]),
                )
            self.topic_arn = topic.arn
        elif args.get("sns_topic_arn") is not None:
            self.topic_arn = pulumi.Output.from_input(args["sns_topic_arn"])
        if self.topic_arn is not None:
            if args.get("notification_role_name") is not None:
                self.notification_role_name = pulumi.Output.from_input(args["notification_role_name"])
                self.notification_role_arn = pulumi.Output.from_input(args["notification_role_arn"])
            else:
                role = ssm_service_role(
                    self,
                    f"{name}-notify",
                    "Run Command: publish patch task notifications",
                    partition,
                    account_id,
                    args.get("permissions_boundary"),
                    tags,
                    "strict-notification" if args.get("strict_trust_conditions") else "notification",
                )
                self.notification_role_name, self.notification_role_arn = role.name, role.arn
            self._allow_publishing(name, self.notification_role_name, self.topic_arn)

        register_declared_outputs(self)

    def _log_bucket(
        self, name: str, retention_days: int, tags, sync_prefix, partition, account_id
    ) -> pulumi.Output[str]:
        bucket = aws.s3.Bucket(f"{name}-logs", tags=tags, opts=child(self))
        aws.s3.BucketOwnershipControls(
            f"{name}-logs",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},  # no ACLs: the bucket policy decides
            opts=child(self),
        )
        aws.s3.BucketPublicAccessBlock(
            f"{name}-logs",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child(self),
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-logs",
            bucket=bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
            opts=child(self),
        )
        # Versioned: every instance may PutObject below the prefix, so one node could
        # overwrite another's output; the overwritten version is kept for a day (NONCURRENT_DAYS).
        aws.s3.BucketVersioning(
            f"{name}-logs",
            bucket=bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child(self),
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-logs",
            bucket=bucket.id,
            rules=lifecycle_rules(retention_days),
            opts=child(self),
        )
        aws.s3.BucketPolicy(
            f"{name}-logs",
            bucket=bucket.id,
            policy=json_document(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "DenyInsecureTransport",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        },
                        *(data_sync_statements(bucket.arn, sync_prefix, partition, account_id) if sync_prefix else []),
                    ],
                }
            ),
            opts=child(self),
        )
        return bucket.bucket

    def _allow_publishing(self, name: str, role_name: pulumi.Input[str], topic_arn: pulumi.Input[str]) -> None:
        aws.iam.RolePolicy(
            f"{name}-notify-publish",
            role=role_name,
            policy=json_document(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "PublishPatchNotifications",
                            "Effect": "Allow",
                            "Action": "sns:Publish",
                            "Resource": topic_arn,
                        }
                    ],
                }
            ),
            opts=child(self),
        )


def _types(config: Any) -> dict[str, Any]:
    """The types of the args' plain values, as the stack file has them."""
    from typing import Annotated

    from pydantic import Field

    return {
        "s3_bucket": field_type(config.LoggingConfig, "s3_bucket"),
        "s3_key_prefix": field_type(config.LoggingConfig, "s3_prefix"),
        "retention_days": field_type(config.LoggingConfig, "retention_days"),
        "emails": Annotated[list[config.Email], Field(min_length=1)],
        "sns_topic_arn": config.SnsTopicArn,
        "tags": config.Tags,
        "permissions_boundary": config.PermissionsBoundaryArn,
        "data_sync": field_type(config.ComplianceConfig, "data_sync"),
        "strict_trust_conditions": field_type(config.StackConfig, "strict_trust_conditions"),
        "cloudwatch_log_group": field_type(config.CloudWatchOutputConfig, "log_group"),
        "cloudwatch_retention_days": field_type(config.CloudWatchOutputConfig, "retention_days"),
        "cloudwatch_kms_key_arn": config.KmsKeyArn,
    }


def _rules(args: Mapping[str, Any]) -> list[Issue]:
    """What goes together (the stack file says the same in its own sections)."""
    issues = []
    if args.get("data_sync") and not args.get("s3_bucket"):
        issues.append(Issue(("data_sync",), "writes to the log bucket: give s3_bucket"))
    if (args.get("notification_role_name") is None) != (args.get("notification_role_arn") is None):
        issues.append(
            Issue(("notification_role_name",), "give notification_role_name and notification_role_arn together")
        )
    if args.get("emails") and args.get("sns_topic_arn") is not None:
        issues.append(Issue(("emails",), "give emails or sns_topic_arn, not both"))
    return issues
