"""The stack config model (namespace ``patching``) and its validation.

One model serves the Pulumi program (values from ``pulumi.Config``), the
offline ``patching`` commands (values read from the stack file) and the JSON
Schema. Structural rules (types, ranges, patterns, unknown keys) are pydantic's;
the per-OS filter rules come from :mod:`os_rules`; references between maps are
checked on the raw mapping so they are reported even when other parts of the
file are broken. Every problem becomes an :class:`Issue` with the full key path,
and :class:`ConfigError` carries all of them at once.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import typing
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic_core import InitErrorDetails, PydanticCustomError

from . import defaults, os_rules, run_patch_baseline
from .errors import NAMESPACE, ConfigError, Issue, StackFileError, format_key_path
from .os_rules import MAX_GROUPS_PER_WINDOW
from .schedule import ScheduleError, parse_schedule

__all__ = ["NAMESPACE", "ConfigError", "Issue", "StackConfig", "StackFileError", "format_key_path"]
M = TypeVar("M", bound=BaseModel)

# ---------------------------------------------------------------------------
# Field types

KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"
Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
"""Logical id of a baseline, window, golden AMI or source: it names Pulumi resources."""
KEY_RULE = "lower-case letters, digits and '-', at most 40 characters, starting with a letter or digit"

# AWS: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$, 1-256 characters (pydantic's regex engine knows \p{..}).
PatchGroupName = Annotated[
    str, StringConstraints(min_length=1, max_length=256, pattern=r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$")
]
PatchId = Annotated[str, StringConstraints(min_length=1, max_length=100)]
FilterValue = Annotated[str, StringConstraints(min_length=1, max_length=os_rules.MAX_FILTER_VALUE_LENGTH)]
FilterValues = Annotated[list[FilterValue], Field(min_length=1, max_length=os_rules.MAX_FILTER_VALUES)]
TagKey = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$")]
TagValue = Annotated[str, StringConstraints(max_length=256, pattern=r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$")]
DocumentName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9_\-.:/]{3,128}$")]
ResourceName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9_\-.]{3,128}$")]
"""A patch baseline's or maintenance window's name in AWS."""
CustomerId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,30}$")]
Tags = Annotated[dict[TagKey, TagValue], Field(max_length=40)]
# A count ("10") or a percentage ("10%"), as MaxConcurrency/MaxErrors take them.
Concurrency = Annotated[str, StringConstraints(pattern=r"^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$")]
ErrorThreshold = Annotated[str, StringConstraints(pattern=r"^([0]|[1-9][0-9]*|[0-9]%|[1-9][0-9]%|100%)$")]

OperatingSystem = Literal[os_rules.OPERATING_SYSTEMS]  # type: ignore[valid-type]
ComplianceLevel = Literal[os_rules.COMPLIANCE_LEVELS]  # type: ignore[valid-type]
RejectedPatchesAction = Literal[os_rules.REJECTED_PATCHES_ACTIONS]  # type: ignore[valid-type]
PatchGroupTagKey = Literal[os_rules.PATCH_GROUP_TAG_KEYS]  # type: ignore[valid-type]
NotificationEvent = Literal["All", "InProgress", "Success", "TimedOut", "Cancelled", "Failed"]
NotificationType = Literal["Command", "Invocation"]
RESERVED_TAG_KEYS = ("Customer", "ManagedBy")


def _check_schedule(value: str | None) -> str | None:
    if value is not None:
        try:
            parse_schedule(value)
        except ScheduleError as exc:
            raise ValueError(str(exc)) from None
    return value


@functools.cache
def _timezones() -> frozenset[str]:
    import zoneinfo

    return frozenset(zoneinfo.available_timezones())


def _check_timezone(value: str) -> str:
    if value not in _timezones():
        close = difflib.get_close_matches(value, _timezones(), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{value!r} is not an IANA time zone name (e.g. Europe/London, UTC){hint}")
    return value


def _count_or_string(value: Any) -> Any:
    # `maxErrors: 1` in YAML is an int; AWS takes the string "1".
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        frozen=True,
        # Field docstrings become descriptions: in `patching schema` (editor
        # hovers) and in the provider schema of CustomerPatching (config_args).
        use_attribute_docstrings=True,
    )


def _raise_issues(issues: list[tuple[tuple[str | int, ...], str]]) -> None:
    """Raise several located errors from one validator (pydantic nests their locations)."""
    if issues:
        raise ValidationError.from_exception_data(
            "patching",
            [
                InitErrorDetails(
                    type=PydanticCustomError("patching", "{message}", {"message": message}),
                    loc=loc,
                    input=None,
                )
                for loc, message in issues
            ],
        )


# ---------------------------------------------------------------------------
# Baselines


class PatchSourceConfig(_Model):
    """A custom Linux package repository (baseline ``Sources``)."""

    products: Annotated[list[FilterValue], Field(min_length=1, max_length=20)]
    """OS versions the repository applies to, e.g. ``AmazonLinux2023``."""
    configuration: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    """The repository configuration (yum .repo / apt sources.list / zypper text)."""


class BaselineConfig(_Model):
    """A security-only patch baseline for one operating system."""

    operating_system: OperatingSystem
    """The OS the baseline applies to; changing it replaces the baseline."""
    description: Annotated[str, StringConstraints(min_length=1, max_length=1024)] | None = None
    """Shown in the console; a default naming the customer is used otherwise."""
    approve_after_days: Annotated[int, Field(ge=0, le=os_rules.MAX_APPROVE_AFTER_DAYS)] | None = None
    """Days after release before a matching patch is approved (default 7; not for Ubuntu/Debian)."""
    approve_until_date: date | None = None
    """Approve patches released on or before this date (YYYY-MM-DD) instead of a delay."""
    classifications: FilterValues | None = None
    """CLASSIFICATION filter values; default is the OS family's security classifications."""
    severities: FilterValues | None = None
    """SEVERITY (Linux) or MSRC_SEVERITY (Windows) values; default Critical, Important."""
    priorities: FilterValues | None = None
    """PRIORITY, the package Priority field (Ubuntu/Debian); default all five (security-only is the repository)."""
    products: FilterValues | None = None
    """PRODUCT filter values; default all products of the OS."""
    compliance_level: ComplianceLevel = "CRITICAL"
    """Compliance severity reported for missing approved patches."""
    enable_non_security: bool = False
    """Linux only: also install non-security updates matched by the rule."""
    approved_patches: Annotated[list[PatchId], Field(max_length=os_rules.MAX_PATCH_LIST)] = []
    """Patches approved regardless of the rule (at most 50)."""
    rejected_patches: Annotated[list[PatchId], Field(max_length=os_rules.MAX_PATCH_LIST)] = []
    """Patches never approved (at most 50)."""
    rejected_patches_action: RejectedPatchesAction = "ALLOW_AS_DEPENDENCY"
    """ALLOW_AS_DEPENDENCY (default) or BLOCK."""
    sources: Annotated[dict[Key, PatchSourceConfig], Field(max_length=os_rules.MAX_SOURCES)] = {}
    """Linux only: custom repositories, keyed by a stable name."""
    default: bool = False
    """Also register as the account/region default baseline for this OS."""

    @model_validator(mode="after")
    def _check_os_rules(self) -> BaselineConfig:
        family = os_rules.family_of(self.operating_system)
        os_name = self.operating_system
        issues: list[tuple[tuple[str | int, ...], str]] = []
        for name in os_rules.FILTER_FIELDS:
            values = getattr(self, name)
            if values is None:
                continue
            spec = family.fields.get(name)
            if spec is None:
                issues.append(
                    (
                        (to_camel(name),),
                        f"{to_camel(name)} does not apply to {os_name}; "
                        f"{family.name} baselines accept: {', '.join(to_camel(f) for f in family.fields)}",
                    )
                )
                continue
            for index, value in enumerate(values):
                if spec.allowed is not None and value not in spec.allowed:
                    issues.append(
                        (
                            (to_camel(name), index),
                            f"{value!r} is not a {spec.filter_key} value for {os_name}; "
                            f"allowed: {', '.join(spec.allowed)}",
                        )
                    )
                elif value in values[:index]:
                    issues.append(((to_camel(name), index), f"{value!r} is listed twice"))
        if self.approve_after_days is not None and self.approve_until_date is not None:
            issues.append((("approveUntilDate",), "give approveAfterDays or approveUntilDate, not both"))
        if not family.supports_approval_delay:
            for key, value in (
                ("approveAfterDays", self.approve_after_days),
                ("approveUntilDate", self.approve_until_date),
            ):
                if value is not None:
                    issues.append(
                        (
                            (key,),
                            f"{os_name} does not support {key}: its patches are approved on release; remove the key",
                        )
                    )
        if not family.linux:
            if self.enable_non_security:
                issues.append((("enableNonSecurity",), f"enableNonSecurity applies to Linux only, not {os_name}"))
            if self.sources:
                issues.append((("sources",), f"sources apply to Linux only, not {os_name}"))
        if len(os_rules.approval_filters(os_name, self.filter_values())) > os_rules.MAX_FILTERS_PER_RULE:
            issues.append(((), f"an approval rule takes at most {os_rules.MAX_FILTERS_PER_RULE} filters"))
        _raise_issues(issues)
        return self

    def filter_values(self) -> dict[str, list[str] | None]:
        return {name: getattr(self, name) for name in os_rules.FILTER_FIELDS}

    @property
    def effective_approve_after_days(self) -> int | None:
        """The delay AWS receives: the configured one, else 7 where the OS supports a delay."""
        if self.approve_after_days is not None or self.approve_until_date is not None:
            return self.approve_after_days
        if os_rules.family_of(self.operating_system).supports_approval_delay:
            return os_rules.DEFAULT_APPROVE_AFTER_DAYS
        return None


# ---------------------------------------------------------------------------
# Maintenance windows


class HooksConfig(_Model):
    """SSM documents run around the install (switches to AWS-RunPatchBaselineWithHooks)."""

    pre_install: DocumentName | None = None
    """Runs before patches are installed (e.g. drain from the load balancer)."""
    post_install: DocumentName | None = None
    """Runs after install and reboot (e.g. a health check)."""
    on_exit: DocumentName | None = None
    """Runs at the end, whatever the outcome."""

    @model_validator(mode="after")
    def _not_empty(self) -> HooksConfig:
        if not (self.pre_install or self.post_install or self.on_exit):
            raise ValueError("hooks needs at least one of preInstall, postInstall, onExit")
        return self


class MaintenanceWindowConfig(_Model):
    """A maintenance window that scans or installs patches on its patch groups."""

    schedule: str
    """AWS cron() or rate() expression, e.g. ``cron(0 2 ? * SUN *)``."""
    timezone: str = "UTC"
    """IANA time zone the schedule is read in (e.g. Europe/London)."""
    schedule_offset: Annotated[int, Field(ge=1, le=6)] | None = None
    """Days to wait after the cron date (1-6; cron only), e.g. 'second Tuesday + 2'."""
    duration_hours: Annotated[int, Field(ge=1, le=24)]
    """Length of the window in hours (1-24)."""
    cutoff_hours: Annotated[int, Field(ge=0, le=23)]
    """Hours before the end after which no new task starts (0-23, < durationHours)."""
    cutoff_behavior: Literal[run_patch_baseline.CUTOFF_BEHAVIORS] = "CANCEL_TASK"  # type: ignore[valid-type]
    """At the cutoff, CANCEL_TASK stops starting new installs and reboots; CONTINUE_TASK lets them run on."""
    operation: Literal["Scan", "Install"]
    """Scan reports compliance; Install installs approved patches."""
    reboot_option: Literal["RebootIfNeeded", "NoReboot"] = "RebootIfNeeded"
    """Install only. NoReboot leaves nodes non-compliant until rebooted and rescanned."""
    max_concurrency: Concurrency = "10%"
    """How many targets run at once: a count or a percentage."""
    max_errors: ErrorThreshold = "1"
    """Errors after which the task stops: a count or a percentage."""
    hooks: HooksConfig | None = None
    """Install only: lifecycle hook documents (AWS-RunPatchBaselineWithHooks)."""
    description: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    """Shown in the console."""

    _coerce = field_validator("max_concurrency", "max_errors", mode="before")(_count_or_string)

    _schedule = field_validator("schedule")(_check_schedule)
    _timezone = field_validator("timezone")(_check_timezone)

    @model_validator(mode="after")
    def _window_rules(self) -> MaintenanceWindowConfig:
        issues: list[tuple[tuple[str | int, ...], str]] = []
        if self.cutoff_hours >= self.duration_hours:
            issues.append(
                (
                    ("cutoffHours",),
                    f"cutoffHours ({self.cutoff_hours}) must be less than durationHours ({self.duration_hours})",
                )
            )
        if self.schedule_offset is not None and not self.schedule.startswith("cron("):
            issues.append((("scheduleOffset",), "scheduleOffset works with cron() schedules only"))
        if self.operation == "Scan":
            if self.hooks is not None:
                issues.append((("hooks",), "hooks run around an install; remove them or use operation: Install"))
            if "reboot_option" in self.model_fields_set:
                issues.append((("rebootOption",), "rebootOption applies to operation: Install only"))
        _raise_issues(issues)
        return self


# ---------------------------------------------------------------------------
# Patch groups, reporting, golden AMIs


class PatchGroupConfig(_Model):
    """Instances tagged with this group (the map key) get these baselines and windows."""

    baselines: list[Key] = []
    """Baseline keys, at most one per operating system."""
    maintenance_windows: list[Key] = []
    """Window keys whose tasks target this group."""


S3_BUCKET_RULE = "'create', 'none' or an existing bucket name (3-63 lower-case letters, digits, '.', '-')"


class LoggingConfig(_Model):
    """Where Run Command writes patching output."""

    s3_bucket: Annotated[str, StringConstraints(pattern=r"^(create|none|[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$")] = "create"
    """'create' (a private, encrypted bucket), an existing bucket name, or 'none'."""
    s3_prefix: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*$")] = (
        defaults.LOG_PREFIX
    )
    """Key prefix; each window task writes below <prefix>/<window>/."""
    retention_days: Annotated[int, Field(ge=1, le=3650)] | None = None
    """Days before log objects expire (created bucket only; default 90)."""

    @model_validator(mode="after")
    def _retention_needs_own_bucket(self) -> LoggingConfig:
        if self.retention_days is not None and self.s3_bucket != "create":
            raise ValueError(
                "retentionDays applies only with s3Bucket: create (the lifecycle of an existing bucket is its owner's)"
            )
        return self

    @property
    def enabled(self) -> bool:
        return self.s3_bucket != "none"


Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
SnsTopicArn = Annotated[
    str, StringConstraints(pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")
]


class NotificationsConfig(_Model):
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
        return self


class GoldenAmiConfig(_Model):
    """A pipeline that builds a security-patched AMI from a source AMI."""

    platform: Literal["Linux", "Windows"]
    """Linux or Windows (selects the automation document template)."""
    source_ami_id: Annotated[str, StringConstraints(pattern=r"^ami-[0-9a-f]{8,17}$")] | None = None
    """A fixed source AMI id."""
    source_ami_parameter: Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9_.\-/]{1,2047}$")] | None = None
    """An SSM parameter holding the source AMI id, resolved when the build runs."""
    instance_type: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")] = "t3.medium"
    """Build instance type."""
    subnet_id: Annotated[str, StringConstraints(pattern=r"^subnet-[0-9a-f]{8,17}$")] | None = None
    """Subnet for the build instance; without it AWS needs a default VPC."""
    patch_group: PatchGroupName
    """Patch group whose baseline the build instance is patched with."""
    schedule: str | None = None
    """Optional AWS cron()/rate() expression for scheduled rebuilds."""
    timezone: str = "UTC"
    """IANA time zone of the schedule."""
    keep_latest: Annotated[int, Field(ge=1, le=50)] = 3
    """AMIs of this pipeline to keep; older ones are deregistered with their snapshots."""
    kms_key_arn: (
        Annotated[str, StringConstraints(pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]{1,64}$")]
        | None
    ) = None
    """Customer managed KMS key of the encrypted build volumes and image snapshots (default: the
    account's EBS default key); the automation role gets exactly the grants EC2 needs on it."""

    _schedule = field_validator("schedule")(_check_schedule)
    _timezone = field_validator("timezone")(_check_timezone)

    @model_validator(mode="after")
    def _one_source(self) -> GoldenAmiConfig:
        if (self.source_ami_id is None) == (self.source_ami_parameter is None):
            raise ValueError("give exactly one of sourceAmiId or sourceAmiParameter")
        return self


# ---------------------------------------------------------------------------
# The whole stack


class StackConfig(_Model):
    """Everything under the ``patching:`` namespace of one customer stack."""

    customer: CustomerId
    """Customer id used in names and tags: ^[a-z][a-z0-9-]{1,30}$."""
    mode: Literal["install", "scan-only", "disabled"] = "install"
    """install (default), scan-only (every task scans) or disabled (nothing is built)."""
    patch_group_tag_key: PatchGroupTagKey = defaults.PATCH_GROUP_TAG_KEY
    """Instance tag key that names the patch group."""
    tags: Tags = {}
    """Tags added to every taggable resource (besides Customer and ManagedBy)."""
    baselines: dict[Key, BaselineConfig] = {}
    """Security-only baselines, one OS each."""
    maintenance_windows: dict[Key, MaintenanceWindowConfig] = {}
    """Scan and install windows."""
    patch_groups: dict[PatchGroupName, PatchGroupConfig] = {}
    """Patch groups keyed by the literal tag value on the instances."""
    logging: LoggingConfig | None = None
    """Run Command output to S3."""
    notifications: NotificationsConfig | None = None
    """Run Command notifications through SNS."""
    golden_amis: dict[Key, GoldenAmiConfig] = {}
    """Golden AMI pipelines."""

    @field_validator("customer")
    @classmethod
    def _not_an_aws_prefix(cls, customer: str) -> str:
        # The customer starts SSM document names, and AWS reserves these prefixes for its own.
        if customer.startswith(("aws", "amazon", "amzn")):
            raise ValueError(f"{customer!r} starts with a prefix AWS reserves for its documents (aws, amazon, amzn)")
        return customer

    @field_validator("tags")
    @classmethod
    def _no_reserved_tags(cls, tags: dict[str, str]) -> dict[str, str]:
        issues: list[tuple[tuple[str | int, ...], str]] = [
            ((key,), f"tag {key!r} is set by patching-components; reserved: {', '.join(RESERVED_TAG_KEYS)}")
            for key in tags
            if key in RESERVED_TAG_KEYS
        ]
        issues += [
            ((key,), "tag keys starting with 'aws:' are reserved by AWS")
            for key in tags
            if key.lower().startswith("aws:")
        ]
        _raise_issues(issues)
        return tags

    def groups_by_baseline(self) -> dict[str, list[str]]:
        """The patch groups each baseline is registered to (patchGroups.<group>.baselines, inverted)."""
        return {key: [g for g, c in self.patch_groups.items() if key in c.baselines] for key in self.baselines}

    def groups_by_window(self) -> dict[str, list[str]]:
        """The patch groups each window targets (patchGroups.<group>.maintenanceWindows, inverted)."""
        return {
            key: [g for g, c in self.patch_groups.items() if key in c.maintenance_windows]
            for key in self.maintenance_windows
        }

    def window_as_built(self, key: str) -> MaintenanceWindowConfig:
        """The window as it is built: ``mode: scan-only`` turns an install into a scan (no hooks)."""
        window = self.maintenance_windows[key]
        if self.mode == "scan-only" and window.operation == "Install":
            return window.model_copy(update={"operation": "Scan", "hooks": None})
        return window

    @model_validator(mode="after")
    def _references_hold(self) -> StackConfig:
        # The same checks validate() runs on the raw mapping (where they also report
        # references of a file broken elsewhere), here so that a StackConfig built in
        # Python is valid by construction: no patch group names a missing baseline.
        issues = reference_issues(self.model_dump(by_alias=True, include=_REFERENCED))
        _raise_issues([(issue.path, issue.message) for issue in issues])
        return self


_REFERENCED = {"mode", "baselines", "maintenance_windows", "patch_groups", "golden_amis"}
TOP_LEVEL_KEYS: tuple[str, ...] = tuple(f.alias or name for name, f in StackConfig.model_fields.items())


# ---------------------------------------------------------------------------
# Cross references, checked on the raw mapping


def _as_map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _unknown(kind: str, name: Any, known: Iterable[str]) -> str:
    known = sorted(known)
    close = difflib.get_close_matches(str(name), known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    defined = ", ".join(known) if known else "none"
    return f"unknown {kind} {name!r}{hint} (defined: {defined})"


def reference_issues(raw: Mapping[str, Any]) -> list[Issue]:
    """References between the maps, readable even when other parts are malformed."""
    issues: list[Issue] = []
    baselines = _as_map(raw.get("baselines"))
    windows = _as_map(raw.get("maintenanceWindows"))
    groups = _as_map(raw.get("patchGroups"))
    os_of = {key: _as_map(b).get("operatingSystem") for key, b in baselines.items()}

    if raw.get("mode", "install") != "disabled" and isinstance(raw.get("baselines", {}), Mapping) and not baselines:
        issues.append(Issue(("baselines",), "at least one baseline is required (or set mode: disabled)"))

    first_default: dict[Any, str] = {}
    for key, baseline in baselines.items():
        if _as_map(baseline).get("default") is True:
            os_name = os_of[key]
            if os_name in first_default:
                issues.append(
                    Issue(
                        ("baselines", key, "default"),
                        f"{first_default[os_name]!r} is already the default {os_name} baseline; "
                        "an account/region has one default per operating system",
                    )
                )
            else:
                first_default[os_name] = key

    window_users: Counter[str] = Counter()
    for group, group_cfg in groups.items():
        group_cfg = _as_map(group_cfg)
        seen_os: dict[Any, str] = {}
        names = group_cfg.get("baselines", [])
        for index, name in enumerate(names if isinstance(names, list) else []):
            path = ("patchGroups", group, "baselines", index)
            if name not in baselines:
                issues.append(Issue(path, _unknown("baseline", name, baselines)))
            elif names.index(name) != index:
                issues.append(Issue(path, f"baseline {name!r} is listed twice"))
            elif os_of[name] in seen_os:
                issues.append(
                    Issue(
                        path,
                        f"{name!r} and {seen_os[os_of[name]]!r} are both {os_of[name]} baselines; "
                        "a patch group takes at most one baseline per operating system",
                    )
                )
            else:
                seen_os[os_of[name]] = name
        names = group_cfg.get("maintenanceWindows", [])
        for index, name in enumerate(names if isinstance(names, list) else []):
            path = ("patchGroups", group, "maintenanceWindows", index)
            if name not in windows:
                issues.append(Issue(path, _unknown("maintenance window", name, windows)))
            elif names.index(name) != index:
                issues.append(Issue(path, f"maintenance window {name!r} is listed twice"))
            else:
                window_users[name] += 1

    for name in windows:
        if window_users[name] > MAX_GROUPS_PER_WINDOW:
            issues.append(
                Issue(
                    ("maintenanceWindows", name),
                    f"{window_users[name]} patch groups use this window; a window targets at most "
                    f"{MAX_GROUPS_PER_WINDOW} (split it into several windows)",
                )
            )
        if not window_users[name]:
            issues.append(
                Issue(
                    ("maintenanceWindows", name),
                    "no patch group uses this window, so it would target nothing; "
                    "add it to a patch group's maintenanceWindows or remove it",
                )
            )

    for key, ami in _as_map(raw.get("goldenAmis")).items():
        settings = _as_map(ami)
        ami_group = settings.get("patchGroup")
        if ami_group is None:
            continue
        if ami_group not in groups:
            issues.append(Issue(("goldenAmis", key, "patchGroup"), _unknown("patch group", ami_group, groups)))
            continue
        group_os = {os_of.get(b) for b in _as_map(groups[ami_group]).get("baselines", []) or [] if b in os_of}
        platform = settings.get("platform")
        wanted = {"WINDOWS"} if platform == "Windows" else set(os_rules.OPERATING_SYSTEMS) - {"WINDOWS", "MACOS"}
        if platform in ("Linux", "Windows") and group_os and not group_os & wanted:
            issues.append(
                Issue(
                    ("goldenAmis", key, "patchGroup"),
                    f"patch group {ami_group!r} has no {platform} baseline "
                    f"(its baselines are for {', '.join(sorted(map(str, group_os)))})",
                )
            )
    return issues


# ---------------------------------------------------------------------------
# Turning pydantic's errors into issues


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated/Optional so the walk reaches the model, dict or list inside."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin is Union or str(origin) == "<class 'types.UnionType'>":
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0]
        else:
            return annotation


def _keys_at(root: type[BaseModel], path: tuple[str | int, ...]) -> list[str]:
    """The keys a model accepts at a (parent) path, for 'unknown key' messages."""
    current: Any = root
    steps = list(path)
    while steps:
        current = _unwrap(current)
        origin = typing.get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            step = steps.pop(0)
            field = next((f for f in current.model_fields.values() if f.alias == step), None)
            if field is None:
                return []
            current = field.annotation
        elif origin in (dict, list):
            steps.pop(0)
            current = typing.get_args(current)[-1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias for f in current.model_fields.values() if f.alias]
    return []


def _issue_from_pydantic(error: Mapping[str, Any], root: type[BaseModel] | None = None) -> Issue:
    loc = tuple(error["loc"])
    kind = error["type"]
    # Dict-key errors come as (..., key, "[key]"): report them on the key itself.
    if loc and loc[-1] == "[key]":
        loc = loc[:-1]
        rule = KEY_RULE if error.get("ctx", {}).get("pattern") == KEY_PATTERN else error["msg"]
        return Issue(loc, f"invalid name {loc[-1]!r}: {rule}")
    if kind == "extra_forbidden":
        allowed = _keys_at(root or StackConfig, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return Issue(loc, f"unknown key {loc[-1]!r}{hint} (allowed: {', '.join(allowed)})")
    if kind == "missing":
        return Issue(loc, "required key is missing")
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if kind == "string_pattern_mismatch":
        message = f"{error['input']!r} does not match {error['ctx']['pattern']}"
    elif kind not in ("patching", "value_error") and isinstance(error.get("input"), (str, int, float)):
        message = f"{message} (got {error['input']!r})"
    return Issue(loc, message)


# ---------------------------------------------------------------------------
# Entry points


def validate(raw: Mapping[str, Any], source: str) -> StackConfig:
    """Validate the namespace's values (camelCase keys, without ``patching:``).

    Raises ConfigError with every issue of the mapping; ``source`` names where
    the values came from (a stack file) in each message.
    """
    issues: list[Issue] = []
    config = None
    try:
        config = StackConfig.model_validate(raw)
    except ValidationError as exc:
        issues += [_issue_from_pydantic(e) for e in exc.errors(include_url=False)]
    # Also on the raw mapping, so they are reported when other parts are broken;
    # the model's own check reports the same ones when the rest is valid.
    issues += [i for i in reference_issues(raw) if i not in issues]
    if issues:
        raise ConfigError(source, issues)
    assert config is not None
    return config


def validate_part(model: type[M], raw: Mapping[str, Any], source: str) -> M:
    """Validate one part (a baseline, a window ...) given to a component directly."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        issues = [_issue_from_pydantic(e, model) for e in exc.errors(include_url=False)]
        raise ConfigError(source, issues, namespace=None) from None


def split_namespace(values: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Pick the ``patching:`` keys of a whole stack config map.

    Unknown keys of our namespace are errors here (pydantic never sees them
    with their namespace); other namespaces (``aws:region``) are left alone.
    """
    raw: dict[str, Any] = {}
    issues: list[Issue] = []
    namespaces = {str(k).partition(":")[0] for k in values if ":" in str(k)}
    if NAMESPACE not in namespaces:
        close = difflib.get_close_matches(NAMESPACE, sorted(namespaces), n=1)
        hint = f"; did you mean {NAMESPACE}: instead of {close[0]}:?" if close else ""
        found = f" (namespaces found: {', '.join(sorted(namespaces))})" if namespaces else " (the config map is empty)"
        raise ConfigError(source, [Issue((), f"no {NAMESPACE}:* keys{found}{hint}")])
    for full_key, value in values.items():
        namespace, sep, key = str(full_key).partition(":")
        if not sep or namespace != NAMESPACE:
            continue
        if key not in TOP_LEVEL_KEYS:
            close = difflib.get_close_matches(key, TOP_LEVEL_KEYS, n=1)
            hint = f"; did you mean {NAMESPACE}:{close[0]}?" if close else ""
            issues.append(Issue((key,), f"unknown key{hint} (allowed: {', '.join(TOP_LEVEL_KEYS)})"))
            continue
        raw[key] = value
    if "customer" not in raw:
        issues.append(Issue(("customer",), "required key is missing (^[a-z][a-z0-9-]{1,30}$, e.g. acme)"))
    if issues:
        # Report the rest of the file too, not only the namespace problems.
        try:
            validate(raw, source)
        except ConfigError as exc:
            issues += [i for i in exc.issues if i.path != ("customer",)]
        raise ConfigError(source, issues)
    return raw


def stack_file_for(stack: str) -> str:
    """How messages name a stack's file (Pulumi.yaml sets stackConfigDir: stacks)."""
    return f"stacks/Pulumi.{stack}.yaml"


@functools.cache
def _stack_loader() -> type:
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it

    class StackLoader(base):  # type: ignore[misc, valid-type]
        pass

    StackLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    return StackLoader


def read_stack_yaml(text: str) -> Any:
    """Parse stack-file YAML the way the Pulumi CLI hands values to programs:
    dates stay text (``2026-12-01``), so an impossible date is a config error, not a crash."""
    import yaml

    return yaml.load(text, Loader=_stack_loader())


def load_stack_file(path: str | Path) -> StackConfig:
    """Read and validate a ``Pulumi.<stack>.yaml`` offline (no Pulumi CLI)."""
    import yaml

    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StackFileError(source, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StackFileError(source, f"cannot read it: {exc}") from None
    try:
        document = read_stack_yaml(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}" if where else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise StackFileError(source, f"not valid YAML{at}: {problem}") from None
    if not isinstance(document, Mapping) or not isinstance(document.get("config"), Mapping):
        raise StackFileError(source, "not a Pulumi stack file: it needs a top-level 'config:' mapping")
    try:
        return validate(split_namespace(document["config"], source), source)
    except ConfigError as exc:
        raise ConfigError(source, with_lines(exc.issues, text)) from None


def with_lines(issues: list[Issue], text: str) -> list[Issue]:
    """The issues with the stack-file line of their key path (the deepest key that exists)."""
    import yaml

    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return issues

    def child(node: Any, step: str | int) -> Any:
        if isinstance(node, yaml.MappingNode):
            return next((v for k, v in node.value if k.value == step), None)
        if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            return node.value[step]
        return None

    def key_line(node: Any, step: str | int) -> int | None:
        if isinstance(node, yaml.MappingNode):
            return next((k.start_mark.line + 1 for k, _ in node.value if k.value == step), None)
        return None

    config = child(root, "config")
    located = []
    for issue in issues:
        line, node = None, config
        for index, step in enumerate(issue.path):
            key = f"{NAMESPACE}:{step}" if index == 0 else step
            found = key_line(node, key)
            if found is None and child(node, key) is None:
                # A missing key: point at the map it belongs in.
                line = line or (node.start_mark.line + 1 if node is not None else None)
                break
            line = found or line
            node = child(node, key)
            if isinstance(step, int):
                line = node.start_mark.line + 1
        located.append(dataclasses.replace(issue, line=line))
    return located


def load_pulumi_config() -> StackConfig:
    """Read the namespace through ``pulumi.Config`` inside a running Pulumi program."""
    import pulumi
    from pulumi.runtime import config as runtime_config

    source = stack_file_for(pulumi.get_stack())
    # pulumi.Config reads one known key at a time; to report misspelt keys we
    # also need the names present, which the engine hands over in these maps.
    present = {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}
    cfg = pulumi.Config(NAMESPACE)
    values: dict[str, Any] = {key: None for key in present}
    for key in TOP_LEVEL_KEYS:
        full = f"{NAMESPACE}:{key}"
        if full in present:
            text = cfg.get(key)
            values[full] = _decode(text)
    return validate(split_namespace(values, source), source)


def _decode(text: str | None) -> Any:
    """Pulumi passes objects and lists as JSON text, scalars as plain text."""
    import json

    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text
