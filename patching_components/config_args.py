"""The stack config as TypedDicts: ``CustomerPatching``'s args.

GENERATED from the config model (patching_components.config) by
``python -m patching_components._typegen``: do not edit. Keys are the stack
file's (camelCase); values are plain, they are validated before anything
is registered."""

from typing import Required, TypedDict


class PatchSourceSettings(TypedDict, total=False):
    """A custom Linux package repository (baseline ``Sources``)."""

    products: Required[list[str]]
    """OS versions the repository applies to, e.g. ``AmazonLinux2023``."""

    configuration: Required[str]
    """The repository configuration (yum .repo / apt sources.list / zypper text)."""


class BaselineSettings(TypedDict, total=False):
    """A security-only patch baseline for one operating system."""

    operatingSystem: Required[str]
    """The OS the baseline applies to; changing it replaces the baseline. One of: AMAZON_LINUX, AMAZON_LINUX_2,
    AMAZON_LINUX_2022, AMAZON_LINUX_2023, REDHAT_ENTERPRISE_LINUX, CENTOS, ORACLE_LINUX, ROCKY_LINUX, ALMA_LINUX,
    SUSE, UBUNTU, DEBIAN, RASPBIAN, WINDOWS, MACOS."""

    description: str
    """Shown in the console; a default naming the customer is used otherwise."""

    approveAfterDays: int
    """Days after release before a matching patch is approved (default 7; not for Ubuntu/Debian)."""

    approveUntilDate: str
    """Approve patches released on or before this date (YYYY-MM-DD) instead of a delay."""

    classifications: list[str]
    """CLASSIFICATION filter values; default is the OS family's security classifications."""

    severities: list[str]
    """SEVERITY (Linux) or MSRC_SEVERITY (Windows) values; default Critical, Important."""

    priorities: list[str]
    """PRIORITY, the package Priority field (Ubuntu/Debian); default all five (security-only is the repository)."""

    products: list[str]
    """PRODUCT filter values; default all products of the OS."""

    complianceLevel: str
    """Compliance severity reported for missing approved patches. One of: CRITICAL, HIGH, MEDIUM, LOW,
    INFORMATIONAL, UNSPECIFIED. Default: CRITICAL."""

    enableNonSecurity: bool
    """Linux only: also install non-security updates matched by the rule. Default: false."""

    approvedPatches: list[str]
    """Patches approved regardless of the rule (at most 50)."""

    rejectedPatches: list[str]
    """Patches never approved (at most 50)."""

    rejectedPatchesAction: str
    """ALLOW_AS_DEPENDENCY (default) or BLOCK."""

    sources: dict[str, PatchSourceSettings]
    """Linux only: custom repositories, keyed by a stable name."""

    default: bool
    """Also register as the account/region default baseline for this OS."""


class HooksSettings(TypedDict, total=False):
    """SSM documents run around the install (switches to AWS-RunPatchBaselineWithHooks)."""

    preInstall: str
    """Runs before patches are installed (e.g. drain from the load balancer)."""

    postInstall: str
    """Runs after install and reboot (e.g. a health check)."""

    onExit: str
    """Runs at the end, whatever the outcome."""


class MaintenanceWindowSettings(TypedDict, total=False):
    """A maintenance window that scans or installs patches on its patch groups."""

    schedule: Required[str]
    """AWS cron() or rate() expression, e.g. ``cron(0 2 ? * SUN *)``."""

    timezone: str
    """IANA time zone the schedule is read in (e.g. Europe/London). Default: UTC."""

    scheduleOffset: int
    """Days to wait after the cron date (1-6; cron only), e.g. 'second Tuesday + 2'."""

    durationHours: Required[int]
    """Length of the window in hours (1-24)."""

    cutoffHours: Required[int]
    """Hours before the end after which no new task starts (0-23, < durationHours)."""

    cutoffBehavior: str
    """At the cutoff, CANCEL_TASK stops starting new installs and reboots; CONTINUE_TASK lets them run on. Default:
    CANCEL_TASK."""

    operation: Required[str]
    """Scan reports compliance; Install installs approved patches."""

    rebootOption: str
    """Install only. NoReboot leaves nodes non-compliant until rebooted and rescanned. Default: RebootIfNeeded."""

    maxConcurrency: str
    """How many targets run at once: a count or a percentage. Default: 10%."""

    maxErrors: str
    """Errors after which the task stops: a count or a percentage. Default: 1."""

    hooks: HooksSettings
    """Install only: lifecycle hook documents (AWS-RunPatchBaselineWithHooks)."""

    description: str
    """Shown in the console."""


class PatchGroupSettings(TypedDict, total=False):
    """Instances tagged with this group (the map key) get these baselines and windows."""

    baselines: list[str]
    """Baseline keys, at most one per operating system."""

    maintenanceWindows: list[str]
    """Window keys whose tasks target this group."""


class LoggingSettings(TypedDict, total=False):
    """Where Run Command writes patching output."""

    s3Bucket: str
    """'create' (a private, encrypted bucket), an existing bucket name, or 'none'. Default: create."""

    s3Prefix: str
    """Key prefix; each window task writes below <prefix>/<window>/. Default: patching."""

    retentionDays: int
    """Days before log objects expire (created bucket only; default 90)."""


class NotificationsSettings(TypedDict, total=False):
    """Run Command notifications for patch tasks."""

    emails: list[str]
    """Creates an SNS topic with these email subscriptions."""

    snsTopicArn: str
    """Use an existing topic instead."""

    events: list[str]
    """Command status changes that notify. Each one of: All, InProgress, Success, TimedOut, Cancelled, Failed.
    Default: ['Failed', 'TimedOut']."""

    notificationType: str
    """Notify per command (Command) or per instance (Invocation). Default: Command."""


class GoldenAmiSettings(TypedDict, total=False):
    """A pipeline that builds a security-patched AMI from a source AMI."""

    platform: Required[str]
    """Linux or Windows (selects the automation document template)."""

    sourceAmiId: str
    """A fixed source AMI id."""

    sourceAmiParameter: str
    """An SSM parameter holding the source AMI id, resolved when the build runs."""

    instanceType: str
    """Build instance type. Default: t3.medium."""

    subnetId: str
    """Subnet for the build instance; without it AWS needs a default VPC."""

    patchGroup: Required[str]
    """Patch group whose baseline the build instance is patched with."""

    schedule: str
    """Optional AWS cron()/rate() expression for scheduled rebuilds."""

    timezone: str
    """IANA time zone of the schedule. Default: UTC."""

    keepLatest: int
    """AMIs of this pipeline to keep; older ones are deregistered with their snapshots. Default: 3."""

    kmsKeyArn: str
    """Customer managed KMS key of the encrypted build volumes and image snapshots (default: the account's EBS
    default key); the automation role gets exactly the grants EC2 needs on it."""


class CustomerPatchingArgs(TypedDict, total=False):
    """Everything under the ``patching:`` namespace of one customer stack."""

    customer: Required[str]
    """Customer id used in names and tags: ^[a-z][a-z0-9-]{1,30}$."""

    mode: str
    """install (default), scan-only (every task scans) or disabled (nothing is built)."""

    patchGroupTagKey: str
    """Instance tag key that names the patch group. One of: Patch Group, PatchGroup. Default: Patch Group."""

    tags: dict[str, str]
    """Tags added to every taggable resource (besides Customer and ManagedBy)."""

    baselines: dict[str, BaselineSettings]
    """Security-only baselines, one OS each."""

    maintenanceWindows: dict[str, MaintenanceWindowSettings]
    """Scan and install windows."""

    patchGroups: dict[str, PatchGroupSettings]
    """Patch groups keyed by the literal tag value on the instances."""

    logging: LoggingSettings
    """Run Command output to S3."""

    notifications: NotificationsSettings
    """Run Command notifications through SNS."""

    goldenAmis: dict[str, GoldenAmiSettings]
    """Golden AMI pipelines."""
