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
    LogGroupName,
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
from .notices import AdvanceNoticeConfig


class CloudWatchOutputConfig(ConfigModel):
    """Run Command output in CloudWatch Logs: a log group per region, created by the stack."""

    log_group: Annotated[LogGroupName, Public()] | None = None
    """Also (or, with ``s3Bucket: none``, only) stream every task's output to this CloudWatch Logs group, created by
    the stack in every region of the stack (it must not exist yet); the instance role may write to exactly this
    group."""
    retention_days: Annotated[int, BeforeValidator(not_a_boolean), AfterValidator(check_log_retention)] = (
        defaults.RETENTION_DAYS
    )
    """Days CloudWatch Logs keeps the output: one of the values ``PutRetentionPolicy`` accepts (1, 3, 5, 7, 14, 30,
    60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."""
    kms_key_arn: KmsKeyArn | None = None
    """A customer managed key (key ARN) to encrypt the log group with, in a one-region stack (the key must be in the
    log group's region: with several ``regions`` it is an error); its key policy must allow CloudWatch Logs
    (``logs.<region>.amazonaws.com``) to use it, as [Encrypt log data in CloudWatch Logs using AWS
    KMS](https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html) shows; the instances
    need no permission on it. Default: CloudWatch Logs' own encryption."""


class LoggingConfig(ConfigModel):
    """Where Run Command writes patching output."""

    s3_bucket: Annotated[
        str,
        StringConstraints(pattern=r"^(create|none|[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$"),
        AfterValidator(check_bucket_name),
    ] = "create"
    """``create`` (a private, encrypted bucket), ``none`` or an existing bucket name."""
    s3_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$")] = (
        defaults.LOG_PREFIX
    )
    """Key prefix; each window task writes below ``<s3Prefix>/<customer>/<window>/``."""
    retention_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    """Only with ``s3Bucket: create``: output is deleted ``retentionDays`` days after it was written, and every trace
    of it (the noncurrent version and the delete marker of the versioned bucket) one day later, so nothing is kept
    longer than about ``retentionDays`` + 1 days (S3 counts lifecycle days to the next midnight UTC)."""
    kms_key_arn: KmsKeyArn | None = None
    """An existing ``s3Bucket``'s default encryption key (SSE-KMS with a customer managed key, by key ARN, in the
    bucket's region): the instance role may ``kms:GenerateDataKey`` and ``kms:Decrypt`` (a multipart upload needs
    it) on exactly this key, and only through S3 in the key's region (``kms:ViaService:
    s3.<region>.amazonaws.com``; [Using server-side encryption with AWS KMS keys
    (SSE-KMS)](https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html),
    [kms:ViaService](https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service)).
    The key policy must allow the account's IAM policies (the default key policy does). Not with ``s3Bucket:
    create`` (SSE-S3)."""
    cloud_watch: CloudWatchOutputConfig | None = None
    """Also (or, with ``s3Bucket: none``, only) send the output to CloudWatch Logs."""

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
    """An SNS topic created with these e-mail subscriptions; give exactly one of ``emails`` or ``snsTopicArn``."""
    sns_topic_arn: SnsTopicArn | None = None
    """An existing SNS topic, instead of ``emails``."""
    events: Annotated[list[NotificationEvent], Field(min_length=1)] = list(defaults.NOTIFICATION_EVENTS)
    """The statuses that send a message: ``All``, ``InProgress``, ``Success``, ``TimedOut`` (execution or delivery
    timed out), ``Cancelled`` (what the cutoff's ``CANCEL_TASK`` leaves), ``Failed``."""
    notification_type: NotificationType = defaults.NOTIFICATION_TYPE
    """``Invocation``: one message per instance whose status is one of ``events``. ``Command``: one message per
    command, when the *command's* status is one of them. A command whose failed instances stay under ``maxErrors``
    ends ``Success``, so with ``Command`` those failures are never mailed."""
    advance_notice: AdvanceNoticeConfig | None = None
    """``{hours: 24}``: before each occurrence of each install window, a message to the topic with the window's
    start and end in its time zone, the nodes it will patch, whether they may reboot and whether a change freeze
    applies (``patching notice`` prints it)."""
    summary: bool = False
    """``true``: after each run of each window, one message to the topic: the nodes patched, failed, cancelled at
    the cutoff, pending reboot and skipped (stopped or offline)."""

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
    """``Linux`` or ``Windows`` (selects the automation document template)."""
    source_ami_id: Annotated[str, StringConstraints(pattern=r"^ami-[0-9a-f]{8,17}$")] | None = None
    """A fixed source AMI id; give exactly one of ``sourceAmiId`` or ``sourceAmiParameter``."""
    source_ami_parameter: Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9_.\-/]{1,2047}$")] | None = None
    """An SSM parameter path holding the source AMI id, resolved at build time."""
    instance_type: Annotated[str, AfterValidator(check_instance_type)] = "t3.medium"
    """Build instance type."""
    subnet_id: (
        Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$"), Secretable("subnet-00000000000000000")]
        | None
    ) = None
    """Subnet of the build instance; without it the build uses a default subnet of the default VPC (the build stops
    before launching if there is none)."""
    security_group_ids: (
        Annotated[
            list[Annotated[str, StringConstraints(pattern=r"^sg-[0-9a-f]{8,17}$"), Secretable("sg-00000000000000000")]],
            Field(min_length=1, max_length=5),
        ]
        | None
    ) = None
    """Up to 5 ``sg-`` ids for the build instance (in the subnet's VPC); without them the VPC's default security
    group, which accounts hardened per Security Hub EC2.2 close. They must allow outbound HTTPS to Systems Manager
    (or its VPC endpoints); the automation role may launch into exactly these groups."""
    associate_public_ip_address: bool | None = None
    """``true``/``false``: a public IPv4 address for the build instance; unset follows the subnet's setting (a subnet
    without NAT or VPC endpoints needs ``true`` to reach Systems Manager)."""
    patch_group: Annotated[PatchGroupName, Public()]
    """Patch group of the build instance: it is tagged with it, so its baseline applies."""
    schedule: str | None = None
    """Optional AWS cron()/rate()/at() expression for scheduled rebuilds."""
    timezone: str = "UTC"
    """IANA time zone of the schedule."""
    keep_latest: Annotated[int, Field(ge=1, le=50)] = 3
    """AMIs of this pipeline to keep: older ones are deregistered and their snapshots deleted (never the one the AMI
    id parameter names)."""
    kms_key_arn: KmsKeyArn | None = None
    """Customer managed KMS key of the encrypted build volumes and image snapshots (default: the account's EBS default
    key); the automation role gets the permissions EC2 needs on exactly this key, through EC2 only. **If the
    account encrypts EBS by default with a customer managed key, set ``kmsKeyArn`` to that key**: without it the
    role may not use the key and every build fails at launch (see [Encryption keys](#encryption-keys))."""
    region: Region | None = None
    """The one region of ``patching:regions`` the pipeline builds in (a source AMI id, a subnet and a key are
    regional, and a ``kmsKeyArn`` of another region is an error; a ``sourceAmiParameter`` pipeline can be in any)."""

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
    """Managed policies also attached to the instance role (at most 9: IAM's default quota is 10 per role, and
    ``AmazonSSMManagedInstanceCore`` is one); for what runs on the nodes, e.g. patch hooks (see
    [Roles](#roles-and-what-each-may-do))."""
    statements: Annotated[list[PolicyStatementConfig], Field(min_length=1)] | None = None
    """IAM statements (``Sid``, ``Effect``, ``Action``/``NotAction``, ``Resource``/``NotResource``, ``Condition``,
    written as in a policy document) of an inline policy of the instance role; each is checked as IAM JSON
    (``service:Action``, an ARN or ``*``), and, as the policy pack does, no wildcard grant: no ``*``/``service:*``
    action, no ``Allow`` with ``NotAction``/``NotResource``, ``Resource: "*"`` only for actions IAM cannot scope to
    a resource."""

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
