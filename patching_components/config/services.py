"""The sections of a stack file that use other AWS services: logging (S3, CloudWatch Logs),
notifications (SNS), golden AMI pipelines (EC2 image builds) and the instance role's extra
permissions (IAM)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from ..aws.iam_grants import wildcard_grants
from . import defaults
from .base import ConfigModel, Public, Secretable, raise_issues
from .fields import (
    MAX_MANAGED_POLICIES_PER_ROLE,
    ConditionValues,
    Email,
    IamActions,
    IamResources,
    KmsKeyArn,
    ManagedPolicyArn,
    NotificationEvent,
    NotificationType,
    PatchGroupName,
    Region,
    SnsTopicArn,
    check_bucket_name,
    check_instance_type,
    check_log_retention,
    check_schedule,
    check_timezone,
    not_a_boolean,
    opens_issues,
)


class CloudWatchOutputConfig(ConfigModel):
    """Run Command output in CloudWatch Logs: a log group per region, created by the stack."""

    log_group: Annotated[str, StringConstraints(pattern=r"^[.\-_/#A-Za-z0-9]{1,512}$"), Public()] | None = None
    """Name of the log group the stack creates in every region (default ``/patching/<customer>``); the
    instance role may write to exactly this group. Must not exist yet."""
    retention_days: Annotated[int, BeforeValidator(not_a_boolean), AfterValidator(check_log_retention)] = (
        defaults.RETENTION_DAYS
    )
    """Days CloudWatch Logs keeps the output: one of the periods it accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."""
    kms_key_arn: KmsKeyArn | None = None
    """A customer managed KMS key (key ARN) to encrypt the log group with, in the stack's one region; its key
    policy must allow CloudWatch Logs (logs.<region>.amazonaws.com) to use it. Default: CloudWatch Logs' own."""


class LoggingConfig(ConfigModel):
    """Where Run Command writes patching output."""

    s3_bucket: Annotated[
        str,
        StringConstraints(pattern=r"^(create|none|[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$"),
        AfterValidator(check_bucket_name),
    ] = "create"
    """'create' (a private, encrypted bucket), an existing bucket name, or 'none'."""
    s3_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$")] = (
        defaults.LOG_PREFIX
    )
    """Key prefix; each window task writes below <prefix>/<window>/."""
    retention_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    """Days after which log objects expire (created bucket only; default 90). The bucket is versioned: each
    object's last version is gone one day later, so output is kept retentionDays (+1) days."""
    kms_key_arn: KmsKeyArn | None = None
    """The customer managed KMS key (key ARN) an existing s3Bucket encrypts with by default (SSE-KMS): the
    instance role may use exactly this key, through S3 only, to write the output. In the bucket's region."""
    cloud_watch: CloudWatchOutputConfig | None = None
    """Also (or, with s3Bucket: none, only) send the output to CloudWatch Logs."""

    @model_validator(mode="after")
    def _retention_needs_own_bucket(self) -> LoggingConfig:
        issues: list[tuple[tuple[str | int, ...], str]] = []
        if self.retention_days is not None and self.s3_bucket != "create":
            issues.append(
                (
                    ("retentionDays",),
                    "retentionDays applies only with s3Bucket: create (the lifecycle of an existing bucket is its "
                    "owner's)",
                )
            )
        if self.kms_key_arn is not None and self.s3_bucket in ("create", "none"):
            issues.append(
                (
                    ("kmsKeyArn",),
                    "kmsKeyArn is the key of an existing bucket's default encryption: give s3Bucket the bucket's "
                    "name (a created bucket uses SSE-S3; with none nothing is written to S3)",
                )
            )
        raise_issues(issues)
        return self

    @property
    def enabled(self) -> bool:
        return self.s3_bucket != "none"


class NotificationsConfig(ConfigModel):
    """Run Command notifications for patch tasks."""

    emails: Annotated[list[Email], Field(min_length=1)] | None = None
    """Creates an SNS topic with these email subscriptions."""
    sns_topic_arn: SnsTopicArn | None = None
    """Use an existing topic instead."""
    events: Annotated[list[NotificationEvent], Field(min_length=1)] = list(defaults.NOTIFICATION_EVENTS)
    """Command status changes that notify."""
    notification_type: NotificationType = defaults.NOTIFICATION_TYPE
    """Notify per command (Command) or per instance (Invocation)."""

    @model_validator(mode="after")
    def _one_target(self) -> NotificationsConfig:
        if (self.emails is None) == (self.sns_topic_arn is None):
            raise ValueError("give exactly one of emails or snsTopicArn")
        # One subscription per address: its resource is named after it (and mailboxes ignore case).
        seen = [email.lower() for email in self.emails or []]
        raise_issues(
            [
                (("emails", i), f"{email!r} is listed twice")
                for i, email in enumerate(self.emails or [])
                if seen.index(email.lower()) != i
            ]
        )
        return self


class GoldenAmiConfig(ConfigModel):
    """A pipeline that builds a security-patched AMI from a source AMI."""

    platform: Literal["Linux", "Windows"]
    """Linux or Windows (selects the automation document template)."""
    source_ami_id: Annotated[str, StringConstraints(pattern=r"^ami-[0-9a-f]{8,17}$")] | None = None
    """A fixed source AMI id."""
    source_ami_parameter: Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9_.\-/]{1,2047}$")] | None = None
    """An SSM parameter holding the source AMI id, resolved when the build runs."""
    instance_type: Annotated[str, AfterValidator(check_instance_type)] = "t3.medium"
    """Build instance type."""
    subnet_id: (
        Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$"), Secretable("subnet-00000000000000000")]
        | None
    ) = None
    """Subnet for the build instance; without it AWS needs a default VPC."""
    security_group_ids: (
        Annotated[
            list[Annotated[str, StringConstraints(pattern=r"^sg-[0-9a-f]{8,17}$"), Secretable("sg-00000000000000000")]],
            Field(min_length=1, max_length=5),
        ]
        | None
    ) = None
    """Security groups of the build instance (sg- ids, in the subnet's VPC; at most 5). Without them the
    VPC's default security group: closed in accounts hardened per Security Hub EC2.2, where the instance
    never reaches Systems Manager. It needs outbound HTTPS to Systems Manager (or VPC endpoints)."""
    associate_public_ip_address: bool | None = None
    """A public IPv4 address for the build instance (true/false); unset follows the subnet's setting. A
    subnet without a NAT gateway or VPC endpoints needs one to reach Systems Manager."""
    patch_group: Annotated[PatchGroupName, Public()]
    """Patch group whose baseline the build instance is patched with."""
    schedule: str | None = None
    """Optional AWS cron()/rate()/at() expression for scheduled rebuilds."""
    timezone: str = "UTC"
    """IANA time zone of the schedule."""
    keep_latest: Annotated[int, Field(ge=1, le=50)] = 3
    """AMIs of this pipeline to keep; older ones are deregistered with their snapshots."""
    kms_key_arn: KmsKeyArn | None = None
    """Customer managed KMS key of the encrypted build volumes and image snapshots (default: the
    account's EBS default key); the automation role gets exactly the grants EC2 needs on it."""
    region: Region | None = None
    """The one region of patching:regions the pipeline builds in (default: the primary region): a
    source AMI id, a subnet and a KMS key are regional."""

    _schedule = field_validator("schedule")(check_schedule)
    _timezone = field_validator("timezone")(check_timezone)

    @model_validator(mode="after")
    def _one_source(self) -> GoldenAmiConfig:
        if (self.source_ami_id is None) == (self.source_ami_parameter is None):
            raise ValueError("give exactly one of sourceAmiId or sourceAmiParameter")
        raise_issues(opens_issues(self.schedule, self.timezone))
        return self


class PolicyStatementConfig(ConfigModel):
    """An IAM policy statement, written as in a policy document (Sid, Effect, Action, Resource, Condition)."""

    sid: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]+$")] | None = Field(None, alias="Sid")
    """Optional statement id: letters and digits."""
    effect: Literal["Allow", "Deny"] = Field(alias="Effect")
    """Allow or Deny."""
    action: IamActions | None = Field(None, alias="Action")
    """``service:Action`` (wildcards allowed), or a list of them."""
    not_action: IamActions | None = Field(None, alias="NotAction")
    """Instead of Action: every action but these."""
    resource: IamResources | None = Field(None, alias="Resource")
    """An ARN (wildcards allowed) or ``*``, or a list of them."""
    not_resource: IamResources | None = Field(None, alias="NotResource")
    """Instead of Resource: every resource but these."""
    condition: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z:]+$")], dict[str, ConditionValues]] | None = (
        Field(None, alias="Condition")
    )
    """``{operator: {condition key: value or values}}``, e.g. ``{StringEquals: {aws:RequestedRegion: eu-west-1}}``."""

    @model_validator(mode="after")
    def _one_each(self) -> PolicyStatementConfig:
        issues: list[tuple[tuple[str | int, ...], str]] = []
        for plain, negated in (("Action", "NotAction"), ("Resource", "NotResource")):
            given = [
                k
                for k, v in ((plain, getattr(self, plain.lower())), (negated, getattr(self, "not_" + plain.lower())))
                if v
            ]
            if len(given) != 1:
                issues.append(((plain,), f"a statement takes exactly one of {plain} or {negated}"))
        raise_issues(issues)
        return self

    def document(self) -> dict[str, Any]:
        """The statement as IAM reads it."""
        return self.model_dump(by_alias=True, exclude_none=True)


class InstanceRoleConfig(ConfigModel):
    """What the instance role may do besides Patch Manager's needs (hooks run on the nodes under it)."""

    managed_policy_arns: Annotated[list[ManagedPolicyArn], Field(max_length=MAX_MANAGED_POLICIES_PER_ROLE - 1)] = []
    """Managed policies attached to the instance role (at most 9: IAM's default quota is 10 per role, and
    AmazonSSMManagedInstanceCore is one)."""
    statements: Annotated[list[PolicyStatementConfig], Field(min_length=1)] | None = None
    """IAM statements of an inline policy of the instance role (Sid, Effect, Action, Resource, Condition)."""

    @model_validator(mode="after")
    def _no_duplicates(self) -> InstanceRoleConfig:
        arns = self.managed_policy_arns
        issues: list[tuple[tuple[str | int, ...], str]] = [
            (("managedPolicyArns", i), f"{arn!r} is listed twice") for i, arn in enumerate(arns) if arns.index(arn) != i
        ]
        # The patching standard (policy pack) refuses wildcard grants in inline policies: so does validate.
        for i, statement in enumerate(self.statements or []):
            # Actions quoted: an error about a secret leaves out what it quotes of it (config.secrets.redact).
            for problem in wildcard_grants({"Statement": [statement.document()]}, show=repr):
                issues.append(
                    (
                        ("statements", i),
                        f"the statement {problem.split(' ', 2)[2]}: name the actions and the resources "
                        "it needs (Resource '*' only for actions IAM cannot scope to a resource)",
                    )
                )
        raise_issues(issues)
        return self
