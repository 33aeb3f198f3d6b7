"""The stack config model (namespace ``patching``): every setting's shape, allowed values,
defaults, docs and AWS limits, in pydantic models. A StackConfig is valid by
construction: its cross-references are checked inside it (see references)."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import InitErrorDetails, PydanticCustomError

from ..aws import limits as aws_limits
from ..aws import os_rules, run_patch_baseline
from ..aws.schedule import ScheduleError, never_matches, parse_schedule, timezone_hint
from ..errors import cut
from . import defaults
from .references import reference_issues

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Secretable:
    """What stands in offline for a Pulumi secret (``{secure: ...}``) at this setting, where the
    generic stand-ins (see config.secrets) would not pass its rules: an e-mail address, an ARN.
    ``{n}`` numbers it, so that two secrets are two different values."""

    placeholder: str


@dataclass(frozen=True)
class Public:
    """Marks text that is never a secret: it names resources or refers to a key, and URNs and
    AWS names are public (``customer``, a patch group's baselines and windows)."""

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        schema = handler(core_schema)
        if isinstance(schema, dict) and schema.get("anyOf", [None])[-1] == SECURE_VALUE_SCHEMA:
            return schema["anyOf"][0]  # no secure form for a name
        return schema


class SecretsJsonSchema(GenerateJsonSchema):
    """The JSON Schema editors check stack files with: wherever text goes, a Pulumi secret may."""

    def str_schema(self, schema: Any) -> Any:
        return {"anyOf": [super().str_schema(schema), SECURE_VALUE_SCHEMA]}

    def literal_schema(self, schema: Any) -> Any:
        result = super().literal_schema(schema)
        if all(isinstance(value, str) for value in schema["expected"]):
            return {"anyOf": [result, SECURE_VALUE_SCHEMA]}
        return result


SECURE_VALUE_SCHEMA = {
    "type": "object",
    "properties": {"secure": {"type": "string"}},
    "required": ["secure"],
    "additionalProperties": False,
    "description": "A Pulumi secret (pulumi config set --secret)",
}

_ACCOUNT = "0" * 12  # placeholders' account (no account id is written in the source)
# Booleans are true or false only: YAML 1.1's yes/no/on/off are text to the Pulumi CLI,
# and pydantic's lax mode would read them (and "1", "t") as booleans.

# ---------------------------------------------------------------------------
# Field types

KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{0,39}$"
Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
"""Logical id of a baseline, window, golden AMI or source: it names Pulumi resources."""
KEY_RULE = "lower-case letters, digits and '-', at most 40 characters, starting with a letter or digit"
SOURCE_KEY_PATTERN = rf"^[a-z0-9][a-z0-9-]{{{aws_limits.PATCH_SOURCE_NAME_LENGTHS[0] - 1},39}}$"
SourceKey = Annotated[str, StringConstraints(pattern=SOURCE_KEY_PATTERN)]
"""A patch source's key: its name in AWS, which takes at least 3 characters."""
KEY_RULES = {
    KEY_PATTERN: KEY_RULE,
    SOURCE_KEY_PATTERN: KEY_RULE.replace("at most 40", f"{aws_limits.PATCH_SOURCE_NAME_LENGTHS[0]} to 40"),
}


def _utf16_at_most(limit: int) -> AfterValidator:
    """AWS's maximum length counted in UTF-16 code units (see aws_limits.UTF16_LENGTH_FIELDS)."""

    def check(value: str) -> str:
        units = aws_limits.utf16_length(value)
        if units > limit:
            raise ValueError(
                f"{cut(value)} is {units} UTF-16 code units long (characters beyond U+FFFF count 2); "
                f"AWS takes at most {limit}"
            )
        return value

    return AfterValidator(check)


# AWS: ^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$, 1-256 characters (pydantic's regex engine knows \p{..}).
PatchGroupName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=256, pattern=r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$"),
    _utf16_at_most(256),
]
PatchId = Annotated[str, StringConstraints(min_length=1, max_length=100)]
FilterValue = Annotated[str, StringConstraints(min_length=1, max_length=os_rules.MAX_FILTER_VALUE_LENGTH)]
FilterValues = Annotated[list[FilterValue], Field(min_length=1, max_length=os_rules.MAX_FILTER_VALUES)]
TagKey = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, pattern=r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$"),
    _utf16_at_most(128),
]
TagValue = Annotated[
    str, StringConstraints(max_length=256, pattern=r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$"), _utf16_at_most(256)
]
DocumentName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9_\-.:/]{3,128}$")]
ResourceName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9_\-.]{3,128}$")]
"""A patch baseline's or maintenance window's name in AWS."""
CustomerId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,30}$"), Public()]
Tags = Annotated[dict[TagKey, TagValue], Field(max_length=40)]
# CreateRole's PermissionsBoundary (botocore: arnType, 20-2048 characters): a managed policy.
PermissionsBoundaryArn = Annotated[
    str,
    StringConstraints(
        pattern=r"^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/[A-Za-z0-9+=,.@_/-]{1,1024}$",
        min_length=20,
        max_length=2048,
    ),
    Secretable(f"arn:aws:iam::{_ACCOUNT}:policy/secret"),
]
# A count ("10") or a percentage ("10%"), as MaxConcurrency/MaxErrors take them.
Concurrency = Annotated[
    str,
    StringConstraints(
        pattern=r"^([1-9][0-9]*|[1-9][0-9]%|[1-9]%|100%)$", max_length=aws_limits.MAX_RATE_CONTROL_LENGTH
    ),
]
ErrorThreshold = Annotated[
    str,
    StringConstraints(
        pattern=r"^([0]|[1-9][0-9]*|[0-9]%|[1-9][0-9]%|100%)$", max_length=aws_limits.MAX_RATE_CONTROL_LENGTH
    ),
]

OperatingSystem = Literal[os_rules.OPERATING_SYSTEMS]  # type: ignore[valid-type]
ComplianceLevel = Literal[os_rules.COMPLIANCE_LEVELS]  # type: ignore[valid-type]
RejectedPatchesAction = Literal[os_rules.REJECTED_PATCHES_ACTIONS]  # type: ignore[valid-type]
PatchGroupTagKey = Literal[os_rules.PATCH_GROUP_TAG_KEYS]  # type: ignore[valid-type]
NotificationEvent = Literal["All", "InProgress", "Success", "TimedOut", "Cancelled", "Failed"]
NotificationType = Literal["Command", "Invocation"]
RESERVED_TAG_KEYS = (defaults.CUSTOMER_TAG, "ManagedBy")


def _check_schedule(value: str | None) -> str | None:
    if value is not None:
        try:
            parse_schedule(value)
        except ScheduleError as exc:
            raise ValueError(str(exc)) from None
    return value


# In tzdata but not time zones AWS takes: the host's zone file and tzdata's placeholder.
_NOT_TIMEZONES = frozenset({"localtime", "Factory", "posixrules"})


@functools.cache
def _timezones() -> frozenset[str]:
    import zoneinfo

    return frozenset(zoneinfo.available_timezones()) - _NOT_TIMEZONES


def _opens_issues(schedule: str | None, timezone: str) -> list[tuple[tuple[str | int, ...], str]]:
    """A cron expression that names no date at all (30 February) never opened: an error. One whose
    dates have passed (an at(), a cron with a year) is only a warning (see checks.schedule_warnings):
    it was right once, and one expired window must not block every stack's CI."""
    if schedule is None:
        return []
    why = never_matches(parse_schedule(schedule))
    return [(("schedule",), f"never opens: {why}; give a date that exists (e.g. cron(0 0 L 2 ? *))")] if why else []


def _one_of(value: str, known: Iterable[str], what: str) -> str:
    """``value`` if it is one of ``known``, else an error naming the closest one."""
    if value not in known:
        close = difflib.get_close_matches(value, sorted(known), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(f"{value!r} is not {what}{hint}")
    return value


def _check_timezone(value: str) -> str:
    if value not in _timezones() and (hint := timezone_hint(value)):
        raise ValueError(hint)  # CST is not tzdata's closest name UCT: a table says what people mean
    return _one_of(value, _timezones(), "an IANA time zone name (e.g. Europe/London, UTC)")


def _bucket_name(value: str) -> str:
    problem = aws_limits.bucket_name_problem(value) if value not in ("create", "none") else None
    if problem:
        raise ValueError(f"{value!r}: {problem}")
    return value


def _instance_type(value: str) -> str:
    return _one_of(value, aws_limits.instance_types(), "an EC2 instance type")


def _region(value: str) -> str:
    return _one_of(value, aws_limits.regions(), "an AWS region (e.g. eu-west-1, us-east-1)")


# A region names the resources built in it (they are public: URNs are never secret).
Region = Annotated[str, AfterValidator(_region), Public()]
Regions = Annotated[list[Region], Field(min_length=1)]


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

    @model_validator(mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, data: Any) -> Any:
        # pydantic's lax mode reads true as 1: `retentionDays: true` would delete logs after a day.
        if isinstance(data, dict):
            _raise_issues(
                [
                    ((str(field.alias),), f"{str(data[field.alias]).lower()} is a boolean: give {allowed}")
                    for field in cls.model_fields.values()
                    if field.alias in data
                    and isinstance(data[field.alias], bool)
                    and (allowed := whole_number_rule(field.annotation, field.metadata))
                ]
            )
        return data


def whole_number_rule(annotation: Any, metadata: Iterable[Any] = ()) -> str | None:
    """'a whole number 1-3650' for an int setting (through Optional and Annotated), else None."""
    import typing

    metadata = list(metadata)
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            metadata += list(typing.get_args(annotation)[1:])
            annotation = typing.get_args(annotation)[0]
        elif origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return None
            annotation = options[0]
        else:
            break
    if annotation is not int:
        return None
    for item in list(metadata):
        metadata += list(getattr(item, "metadata", []) or [])
    low = next((m.ge for m in metadata if hasattr(m, "ge")), None)
    high = next((m.le for m in metadata if hasattr(m, "le")), None)
    if low is not None and high is not None:
        return f"a whole number {low}-{high}"
    return "a whole number"


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
    products: (
        Annotated[
            list[Annotated[FilterValue, Secretable("*")]],  # a secret's stand-in: every release
            Field(min_length=1, max_length=os_rules.MAX_FILTER_VALUES),
        ]
        | None
    ) = None
    """PRODUCT filter values, the node's own release as AWS names it (e.g. ``RedhatEnterpriseLinux9.6``, or
    ``*``); default all products of the OS."""
    compliance_level: ComplianceLevel = "CRITICAL"
    """Compliance severity reported for missing approved patches."""
    enable_non_security: StrictBool = False
    """Linux only: also install non-security updates matched by the rule."""
    approved_patches: Annotated[list[PatchId], Field(max_length=os_rules.MAX_PATCH_LIST)] = []
    """Patches approved regardless of the rule (at most 50)."""
    rejected_patches: Annotated[list[PatchId], Field(max_length=os_rules.MAX_PATCH_LIST)] = []
    """Patches never approved (at most 50)."""
    approved_patches_enable_non_security: StrictBool = False
    """Linux only: also install the approvedPatches that are not security updates (AWS's default, false,
    installs only the listed security updates)."""
    rejected_patches_action: RejectedPatchesAction = "ALLOW_AS_DEPENDENCY"
    """ALLOW_AS_DEPENDENCY (default) or BLOCK."""
    available_security_updates_compliance_status: (
        Literal[os_rules.AVAILABLE_SECURITY_UPDATES_STATUSES] | None  # type: ignore[valid-type]
    ) = None
    """Windows only: NON_COMPLIANT (default) makes a node with a security update the baseline does not (yet)
    approve NON_COMPLIANT; COMPLIANT keeps it green."""
    sources: Annotated[dict[SourceKey, PatchSourceConfig], Field(max_length=os_rules.MAX_SOURCES)] = {}
    """Linux only: custom repositories, keyed by a stable name."""
    default: StrictBool = False
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
        issues += self._product_issues()
        if self.available_security_updates_compliance_status is not None and (
            os_name not in os_rules.WINDOWS_ONLY_COMPLIANCE_STATUS
        ):
            issues.append(
                (
                    ("availableSecurityUpdatesComplianceStatus",),
                    f"availableSecurityUpdatesComplianceStatus applies to WINDOWS baselines only, not {os_name} "
                    "(AWS reports available security updates for Windows Server nodes only); remove the key",
                )
            )
        if os_name in os_rules.NO_UPDATE_NOTICES and not self.enable_non_security and not self.sources:
            from ..standard import NO_UPDATE_NOTICES_REASON

            issues.append((("enableNonSecurity",), NO_UPDATE_NOTICES_REASON.format(os=os_name)))
        if not family.linux:
            if self.approved_patches_enable_non_security:
                issues.append(
                    (
                        ("approvedPatchesEnableNonSecurity",),
                        f"approvedPatchesEnableNonSecurity applies to Linux only, not {os_name}; remove the key",
                    )
                )
            if self.enable_non_security:
                issues.append((("enableNonSecurity",), f"enableNonSecurity applies to Linux only, not {os_name}"))
            if self.sources:
                issues.append((("sources",), f"sources apply to Linux only, not {os_name}"))
        if (
            len(os_rules.approval_filters(os_name, self.filter_values(), self.enable_non_security))
            > os_rules.MAX_FILTERS_PER_RULE
        ):
            issues.append(((), f"an approval rule takes at most {os_rules.MAX_FILTERS_PER_RULE} filters"))
        _raise_issues(issues)
        return self

    def _product_issues(self) -> list[tuple[tuple[str | int, ...], str]]:
        """PRODUCT values AWS lists for the OS (data/patch-products.json), with a "did you mean"."""
        os_name = self.operating_system
        known = os_rules.products_of(os_name).names
        issues: list[tuple[tuple[str | int, ...], str]] = []
        for index, product in enumerate(self.products or []):
            if os_rules.product_known(os_name, product):
                continue
            try:
                _one_of(product, known, f"a PRODUCT value AWS lists for {os_name}")
            except ValueError as exc:
                issues.append(
                    (
                        ("products", index),
                        f"{exc} (AWS's names look like {known[-1]!r}; list of {os_rules.product_list_date()}, "
                        f"aws ssm describe-patch-properties --operating-system {os_name} --property PRODUCT "
                        "shows today's); remove products or use '*' to cover every release",
                    )
                )
        return issues

    @property
    def effective_available_security_updates_compliance_status(self) -> str | None:
        """What AWS receives: the configured status, NON_COMPLIANT on Windows, nothing elsewhere."""
        if self.operating_system not in os_rules.WINDOWS_ONLY_COMPLIANCE_STATUS:
            return None
        return self.available_security_updates_compliance_status or os_rules.DEFAULT_AVAILABLE_SECURITY_UPDATES_STATUS

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
    """AWS cron(), rate() or one-time at() expression, e.g. ``cron(0 2 ? * SUN *)``; a schedule that never
    opens again (checked in ``timezone``) is a warning."""
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
    minutes_per_node: Annotated[int, Field(strict=True, ge=1, le=1440)] | None = None
    """Minutes one node's patch task takes, reboot included (default 15 for Install, 5 for Scan: an
    assumption, measure yours). No node starts later than this before the cutoff (the task's delivery
    timeout), and validate warns when the rate control cannot work through the targets before the cutoff."""
    hooks: HooksConfig | None = None
    """Install only: lifecycle hook documents (AWS-RunPatchBaselineWithHooks)."""
    description: Annotated[str, StringConstraints(min_length=1, max_length=128), _utf16_at_most(128)] | None = None
    """Shown in the console (at most 128 UTF-16 code units)."""
    regions: Regions | None = None
    """Regions of patching:regions this window is built in (default: all), for fleets whose regions
    patch at different times."""

    _coerce = field_validator("max_concurrency", "max_errors", mode="before")(_count_or_string)

    @property
    def node_minutes(self) -> int:
        """minutesPerNode, or the default of the operation."""
        return self.minutes_per_node or defaults.MINUTES_PER_NODE[self.operation]

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
        issues += _opens_issues(self.schedule, self.timezone)
        before_cutoff = (self.duration_hours - self.cutoff_hours) * 60
        if 0 < before_cutoff <= self.node_minutes:
            issues.append(
                (
                    ("minutesPerNode",),
                    f"minutesPerNode ({self.node_minutes}) leaves no node time to finish: the cutoff comes "
                    f"{before_cutoff} minutes after the window opens; lengthen durationHours or lower cutoffHours",
                )
            )
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

    baselines: list[Annotated[Key, Public()]] = []
    """Baseline keys, at most one per operating system."""
    maintenance_windows: list[Annotated[Key, Public()]] = []
    """Window keys whose tasks target this group."""


S3_BUCKET_RULE = "'create', 'none' or an existing bucket name (3-63 lower-case letters, digits, '.', '-')"


KmsKeyArn = Annotated[
    str,
    StringConstraints(pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]{1,64}$"),
    Secretable(f"arn:aws:kms:us-east-1:{_ACCOUNT}:key/secret"),
]
"""A customer managed KMS key, by key ARN (an alias ARN cannot be scoped in IAM)."""

# CloudWatch Logs' PutRetentionPolicy: the only retention periods it accepts (days).
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)


def _not_a_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"{str(value).lower()} is a boolean; give a number of days")
    return value


def _log_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        longer = next((d for d in LOG_RETENTION_DAYS if d > value), LOG_RETENTION_DAYS[-1])
        raise ValueError(
            f"CloudWatch Logs keeps logs for one of {', '.join(map(str, LOG_RETENTION_DAYS))} days; "
            f"{value} is not one of them (the next longer is {longer})"
        )
    return value


class CloudWatchOutputConfig(_Model):
    """Run Command output in CloudWatch Logs: a log group per region, created by the stack."""

    log_group: Annotated[str, StringConstraints(pattern=r"^[.\-_/#A-Za-z0-9]{1,512}$"), Public()] | None = None
    """Name of the log group the stack creates in every region (default ``/patching/<customer>``); the
    instance role may write to exactly this group. Must not exist yet."""
    retention_days: Annotated[int, BeforeValidator(_not_a_boolean), AfterValidator(_log_retention)] = (
        defaults.RETENTION_DAYS
    )
    """Days CloudWatch Logs keeps the output: one of the periods it accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."""
    kms_key_arn: KmsKeyArn | None = None
    """A customer managed KMS key (key ARN) to encrypt the log group with, in the stack's one region; its key
    policy must allow CloudWatch Logs (logs.<region>.amazonaws.com) to use it. Default: CloudWatch Logs' own."""


class LoggingConfig(_Model):
    """Where Run Command writes patching output."""

    s3_bucket: Annotated[
        str,
        StringConstraints(pattern=r"^(create|none|[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$"),
        AfterValidator(_bucket_name),
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
        _raise_issues(issues)
        return self

    @property
    def enabled(self) -> bool:
        return self.s3_bucket != "none"


def _email(value: str) -> str:
    import email_validator

    try:
        email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise ValueError(f"{value!r} is not an e-mail address SNS can subscribe: {exc}") from None
    return value  # as written: normalising it would rename its subscription


Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_email), Secretable("secret-{n}@example.com")]
SnsTopicArn = Annotated[
    str,
    StringConstraints(pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$"),
    Secretable(f"arn:aws:sns:us-east-1:{_ACCOUNT}:secret"),
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
        # One subscription per address: its resource is named after it (and mailboxes ignore case).
        seen = [email.lower() for email in self.emails or []]
        _raise_issues(
            [
                (("emails", i), f"{email!r} is listed twice")
                for i, email in enumerate(self.emails or [])
                if seen.index(email.lower()) != i
            ]
        )
        return self


class GoldenAmiConfig(_Model):
    """A pipeline that builds a security-patched AMI from a source AMI."""

    platform: Literal["Linux", "Windows"]
    """Linux or Windows (selects the automation document template)."""
    source_ami_id: Annotated[str, StringConstraints(pattern=r"^ami-[0-9a-f]{8,17}$")] | None = None
    """A fixed source AMI id."""
    source_ami_parameter: Annotated[str, StringConstraints(pattern=r"^/[A-Za-z0-9_.\-/]{1,2047}$")] | None = None
    """An SSM parameter holding the source AMI id, resolved when the build runs."""
    instance_type: Annotated[str, AfterValidator(_instance_type)] = "t3.medium"
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
    kms_key_arn: (
        Annotated[
            str,
            StringConstraints(pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]{1,64}$"),
            Secretable(f"arn:aws:kms:us-east-1:{_ACCOUNT}:key/secret"),
        ]
        | None
    ) = None
    """Customer managed KMS key of the encrypted build volumes and image snapshots (default: the
    account's EBS default key); the automation role gets exactly the grants EC2 needs on it."""
    region: Region | None = None
    """The one region of patching:regions the pipeline builds in (default: the primary region): a
    source AMI id, a subnet and a KMS key are regional."""

    _schedule = field_validator("schedule")(_check_schedule)
    _timezone = field_validator("timezone")(_check_timezone)

    @model_validator(mode="after")
    def _one_source(self) -> GoldenAmiConfig:
        if (self.source_ami_id is None) == (self.source_ami_parameter is None):
            raise ValueError("give exactly one of sourceAmiId or sourceAmiParameter")
        _raise_issues(_opens_issues(self.schedule, self.timezone))
        return self


# ---------------------------------------------------------------------------
# The instance role's extra permissions (hooks run on the node under it)

MAX_MANAGED_POLICIES_PER_ROLE = 10
"""IAM's default quota of managed policies attached to a role (AmazonSSMManagedInstanceCore is one)."""


def _iam_action(value: str) -> str:
    if not re.fullmatch(r"\*|[a-z0-9-]+:[A-Za-z0-9*?]+", value):
        raise ValueError(
            f"{value!r} is not an IAM action: write service:Action (wildcards * and ? allowed), "
            "e.g. elasticloadbalancing:DeregisterTargets"
        )
    return value


def _iam_resource(value: str) -> str:
    if value != "*" and not re.fullmatch(r"arn:[^:\s]+:[^:\s]*:[^:\s]*:[^:\s]*:\S+", value):
        raise ValueError(
            f"{value!r} is not a resource IAM matches: give an ARN (arn:partition:service:region:account:resource, "
            "wildcards allowed) or *"
        )
    return value


# Offline stand-ins (Secretable) no rule refuses: an action IAM cannot scope (policies.NO_RESOURCE_LEVEL_ACTIONS),
# so Resource '*' beside it is no wildcard grant; an ARN of no service's.
IamAction = Annotated[
    str, StringConstraints(max_length=128), AfterValidator(_iam_action), Secretable("logs:DescribeLogGroups")
]
IamResource = Annotated[
    str, StringConstraints(max_length=2048), AfterValidator(_iam_resource), Secretable("arn:aws:secret:::secret-{n}")
]
ManagedPolicyArn = Annotated[
    str,
    StringConstraints(
        pattern=r"^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/[A-Za-z0-9+=,.@_/-]{1,1024}$",
        min_length=20,
        max_length=2048,
    ),
    Secretable(f"arn:aws:iam::{_ACCOUNT}:policy/secret"),
]


def _condition_values(value: Any) -> Any:
    """A condition key's value or values, as the strings IAM compares (true, 3600, ...)."""
    values = value if isinstance(value, list) else [value]
    return [str(v).lower() if isinstance(v, bool) else str(v) if isinstance(v, int) else v for v in values]


ConditionValues = Annotated[
    list[str],
    Field(min_length=1),
    BeforeValidator(_condition_values, json_schema_input_type=str | bool | int | list[str]),
]


def _one_or_more(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


# IAM takes one value or a list where a statement lists actions or resources.
IamActions = Annotated[
    list[IamAction], Field(min_length=1), BeforeValidator(_one_or_more, json_schema_input_type=str | list[str])
]
IamResources = Annotated[
    list[IamResource], Field(min_length=1), BeforeValidator(_one_or_more, json_schema_input_type=str | list[str])
]


class PolicyStatementConfig(_Model):
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
        _raise_issues(issues)
        return self

    def document(self) -> dict[str, Any]:
        """The statement as IAM reads it."""
        return self.model_dump(by_alias=True, exclude_none=True)


class InstanceRoleConfig(_Model):
    """What the instance role may do besides Patch Manager's needs (hooks run on the nodes under it)."""

    managed_policy_arns: Annotated[list[ManagedPolicyArn], Field(max_length=MAX_MANAGED_POLICIES_PER_ROLE - 1)] = []
    """Managed policies attached to the instance role (at most 9: IAM's default quota is 10 per role, and
    AmazonSSMManagedInstanceCore is one)."""
    statements: Annotated[list[PolicyStatementConfig], Field(min_length=1)] | None = None
    """IAM statements of an inline policy of the instance role (Sid, Effect, Action, Resource, Condition)."""

    @model_validator(mode="after")
    def _no_duplicates(self) -> InstanceRoleConfig:
        from ..iam_policies import wildcard_grants  # the policies read the model: import when used

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
        _raise_issues(issues)
        return self


# ---------------------------------------------------------------------------
# The whole stack


def _local_time(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not an ISO 8601 date or date-time (e.g. 2026-11-26 or 2026-11-26T18:00)"
        ) from None
    if moment.tzinfo is not None:
        raise ValueError(f"{value!r} has a UTC offset; give the local time and set timezone")
    if not FREEZE_YEARS[0] <= moment.year <= FREEZE_YEARS[1]:
        # AWS documents no range for a Change Calendar event; a freeze until 9999 would stop all
        # patching for good: the years AWS's schedules take (cron: 1970-2199) are the safe ones.
        raise ValueError(
            f"{value!r}: the year must be {FREEZE_YEARS[0]}-{FREEZE_YEARS[1]} (the years AWS schedules take)"
        )
    return value


FREEZE_YEARS = (1970, 2199)


FreezeTime = Annotated[str, AfterValidator(_local_time)]


class ChangeFreezeConfig(_Model):
    """A period in which no patch window and no golden AMI build starts."""

    start: Annotated[FreezeTime, Secretable("1970-01-01")]
    """ISO 8601 date or date-time, local to timezone (a date: its midnight)."""
    end: FreezeTime
    """ISO 8601 date or date-time after start, local to timezone (a date: its midnight, so the day itself is
    not frozen)."""
    timezone: str = "UTC"
    """IANA time zone of start and end."""

    _timezone = field_validator("timezone")(_check_timezone)

    def interval(self) -> tuple[datetime, datetime]:
        """Start and end as aware instants."""
        zone = ZoneInfo(self.timezone)
        return (
            datetime.fromisoformat(self.start).replace(tzinfo=zone),
            datetime.fromisoformat(self.end).replace(tzinfo=zone),
        )

    @model_validator(mode="after")
    def _end_after_start(self) -> ChangeFreezeConfig:
        start, end = self.interval()
        if end <= start:
            _raise_issues([(("end",), f"end ({self.end}) must be after start ({self.start})")])
        return self


class ComplianceConfig(_Model):
    """Patch compliance evidence."""

    data_sync: StrictBool = False
    """A Resource Data Sync of inventory and patch compliance into the log bucket, below
    ``<s3Prefix>/<customer>/sync`` (query it with Athena); needs logging to a bucket."""


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
    permissions_boundary: PermissionsBoundaryArn | None = None
    """Managed policy ARN set as the permissions boundary of every role created (landing zones require one)."""
    strict_trust_conditions: StrictBool = False
    """Also require aws:SourceAccount/aws:SourceArn in the trust policies of the maintenance window and
    notification roles (the Automation role always has them, as AWS documents). AWS documents no condition for
    these two roles, and a condition key the service does not send denies every patch task or drops every
    notification: off by default; if you turn it on, verify with one canary run (a scan window with a
    notification) before patch night."""
    instance_role: InstanceRoleConfig | None = None
    """Extra permissions of the instance role, for what runs on the nodes under it (patch hooks)."""
    regions: Regions | None = None
    """Regions to patch in, each built alike; the first is the primary region (aws:region: IAM and the
    log bucket live there, and its resources keep the names of a one-region stack). Default: aws:region."""
    baselines: dict[Key, BaselineConfig] = {}
    """Security-only baselines, one OS each."""
    maintenance_windows: dict[Key, MaintenanceWindowConfig] = {}
    """Scan and install windows."""
    patch_groups: dict[PatchGroupName, PatchGroupConfig] = {}
    """Patch groups keyed by the literal tag value on the instances."""
    logging: LoggingConfig | None = None
    """Run Command output to S3 and/or CloudWatch Logs."""
    notifications: NotificationsConfig | None = None
    """Run Command notifications through SNS."""
    golden_amis: dict[Key, GoldenAmiConfig] = {}
    """Golden AMI pipelines."""
    compliance: ComplianceConfig | None = None
    """Patch compliance evidence (a Resource Data Sync into the log bucket)."""
    change_freezes: dict[Key, ChangeFreezeConfig] = {}
    """Periods in which no patch operation starts (Black Friday, quarter close): a Change Calendar per region
    and a runbook that keeps every window of the customer disabled while it is CLOSED."""

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
        # IAM compares tag keys ignoring case: "customer" is the Customer tag, "Owner" and "owner" one key.
        reserved = {key.lower() for key in RESERVED_TAG_KEYS}
        lowered = [key.lower() for key in tags]
        issues: list[tuple[tuple[str | int, ...], str]] = [
            ((key,), f"tag {key!r} is set by patching-components; reserved: {', '.join(RESERVED_TAG_KEYS)}")
            for key in tags
            if key.lower() in reserved
        ]
        issues += [
            (
                (key,),
                f"tag {key!r} repeats {list(tags)[lowered.index(key.lower())]!r}: IAM ignores the case of tag keys",
            )
            for i, key in enumerate(tags)
            if lowered.index(key.lower()) != i
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

    def log_prefix(self) -> str | None:
        """``<s3Prefix>/<customer>``: customers can share a bucket without sharing write access."""
        if self.logging is None or not self.logging.enabled:
            return None
        return f"{self.logging.s3_prefix}/{self.customer}"

    def window_log_prefix(self, key: str, region: str | None = None) -> str | None:
        """One prefix per window (its OutputS3KeyPrefix), so scan and install output never mix; a
        window of a non-primary ``region`` writes below ``<log prefix>/<region>``."""
        prefix = self.log_prefix()
        if prefix is None:
            return None
        return f"{prefix}/{key}" if region is None else f"{prefix}/{region}/{key}"

    @property
    def primary_region(self) -> str | None:
        """The first of ``regions`` (None without ``regions``: the stack's aws:region, unnamed here)."""
        return self.regions[0] if self.regions else None

    @property
    def other_regions(self) -> list[str]:
        """The regions built through providers of their own (all but the primary)."""
        return list(self.regions[1:]) if self.regions else []

    def windows_in(self, region: str | None) -> list[str]:
        """The windows built in ``region`` (None: the primary region)."""
        region = region or self.primary_region
        return [k for k, w in self.maintenance_windows.items() if w.regions is None or region in w.regions]

    def golden_amis_in(self, region: str | None) -> list[str]:
        """The golden AMI pipelines built in ``region`` (None: the primary region)."""
        region = region or self.primary_region
        return [k for k, a in self.golden_amis.items() if (a.region or self.primary_region) == region]

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

    @model_validator(mode="after")
    def _regions_hold(self) -> StackConfig:
        issues: list[tuple[tuple[str | int, ...], str]] = []
        regions = self.regions or []
        issues += [
            (("regions", i), f"{region!r} is listed twice")
            for i, region in enumerate(regions)
            if regions.index(region) != i
        ]
        partitions = {aws_limits.regions()[r] for r in regions}
        if len(partitions) > 1:
            issues.append(
                (("regions",), f"one stack is one account, in one partition; these regions span {sorted(partitions)}")
            )
        for key, window in self.maintenance_windows.items():
            for i, region in enumerate(window.regions or []):
                if region not in regions:
                    issues.append((("maintenanceWindows", key, "regions", i), _unlisted_region(region, self.regions)))
        for key, ami in self.golden_amis.items():
            if ami.region is not None and ami.region not in regions:
                issues.append((("goldenAmis", key, "region"), _unlisted_region(ami.region, self.regions)))
            # A KMS key is regional: EC2 cannot encrypt a volume with another region's key.
            built_in = ami.region or self.primary_region
            key_region = ami.kms_key_arn.split(":")[3] if ami.kms_key_arn and not _stand_in(ami.kms_key_arn) else None
            if built_in and key_region and key_region != built_in:
                issues.append(
                    (
                        ("goldenAmis", key, "kmsKeyArn"),
                        # Not the key's region: it is part of the ARN, which may be secret.
                        f"the key is not in {built_in}, where the pipeline builds: give a key of {built_in}",
                    )
                )
        cloud_watch = self.logging.cloud_watch if self.logging else None
        if cloud_watch is not None and cloud_watch.kms_key_arn is not None:
            # A log group's key is in the group's region, and the stack creates one group per region.
            key_region = cloud_watch.kms_key_arn.split(":")[3]
            if len(regions) > 1:
                issues.append(
                    (
                        ("logging", "cloudWatch", "kmsKeyArn"),
                        "a KMS key is in one region and the stack creates a log group in each of patching:regions: "
                        "remove kmsKeyArn (CloudWatch Logs encrypts with its own keys) or use one region",
                    )
                )
            elif self.primary_region and key_region != self.primary_region and not _stand_in(cloud_watch.kms_key_arn):
                issues.append(
                    (
                        ("logging", "cloudWatch", "kmsKeyArn"),
                        # Not the key's region: it is part of the ARN, which may be secret.
                        f"the key is not in {self.primary_region}, where the log group is: give a key of "
                        f"{self.primary_region}",
                    )
                )
        if len(regions) > 1 and self.notifications is not None and self.notifications.sns_topic_arn is not None:
            issues.append(
                (
                    ("notifications", "snsTopicArn"),
                    "Run Command publishes to a topic in the window's own region, and a topic is in one: "
                    "with several regions, give emails (a topic per region)",
                )
            )
        # "<customer>-<region>-<key>" names a non-primary region's resources: no key may look like one.
        for section, keys in (
            ("baselines", self.baselines),
            ("maintenanceWindows", self.maintenance_windows),
            ("goldenAmis", self.golden_amis),
        ):
            for key in keys:
                clash = next((r for r in regions[1:] if key.startswith(f"{r}-")), None)
                if clash:
                    issues.append(
                        (
                            (section, key),
                            f"starts with region {clash!r}: its resources would share names with "
                            f"{clash}'s; rename the key",
                        )
                    )
        _raise_issues(issues)
        return self

    @model_validator(mode="after")
    def _freezes_fit_a_calendar(self) -> StackConfig:
        # One Change Calendar event per freeze; SSM takes a document of at most 64 KB.
        if not self.change_freezes:
            return self
        from ..aws.change_calendar import calendar_content  # the calendar as it is built

        longest = max([*(self.regions or []), *aws_limits.regions()], key=len)
        name = f"{self.customer}-{longest}"  # the longest component name the calendar's description carries
        content = calendar_content(
            self.change_freezes, f"Change freezes of {name}: no patch window starts while CLOSED"
        )
        size = len(content.encode())
        if size > aws_limits.MAX_DOCUMENT_CONTENT_BYTES:
            _raise_issues(
                [
                    (
                        ("changeFreezes",),
                        f"{len(self.change_freezes)} freezes make a Change Calendar of {size:,} bytes; SSM takes "
                        f"a document of at most {aws_limits.MAX_DOCUMENT_CONTENT_BYTES:,} (CreateDocument): "
                        "remove the freezes that have ended or join adjacent ones",
                    )
                ]
            )
        return self

    @model_validator(mode="after")
    def _names_aws_takes(self) -> StackConfig:
        issues: list[tuple[tuple[str | int, ...], str]] = []
        if self.logging is not None and self.logging.s3_bucket == "create":
            # The program's bucket is auto-named "<customer>-logs-<7 hex digits>".
            problem = aws_limits.bucket_name_problem(f"{self.customer}-logs-0000000")
            if problem:
                issues.append((("customer",), f"names the log bucket '{self.customer}-logs-...', and {problem}"))
        if self.compliance is not None and self.compliance.data_sync and self.log_prefix() is None:
            issues.append((("compliance", "dataSync"), "writes to the log bucket: set logging.s3Bucket"))
        for key, region in ((k, r) for k in self.maintenance_windows for r in [None, *self.other_regions]):
            prefix = self.window_log_prefix(key, region) or ""
            if len(prefix) > aws_limits.MAX_OUTPUT_S3_KEY_PREFIX:
                issues.append(
                    (
                        ("logging", "s3Prefix"),
                        f"window {key!r} writes to '{prefix[:40]}...' ({len(prefix)} characters); "
                        f"AWS takes at most {aws_limits.MAX_OUTPUT_S3_KEY_PREFIX}: shorten s3Prefix",
                    )
                )
                break
        from ..iam_policies import inline_policy_issues  # the policies read the model: import when used

        issues += inline_policy_issues(self)
        _raise_issues(issues)
        return self


def _stand_in(arn: str) -> bool:
    """An ARN that stands in offline for a Pulumi secret (see Secretable): its region says nothing."""
    return f":{_ACCOUNT}:" in arn


def _unlisted_region(region: str, regions: list[str] | None) -> str:
    if not regions:
        return f"{region!r}: a stack without patching:regions builds in aws:region only; list its regions there"
    return f"{region!r} is not one of patching:regions ({', '.join(regions)})"


_REFERENCED = {"mode", "baselines", "maintenance_windows", "patch_groups", "golden_amis"}
TOP_LEVEL_KEYS: tuple[str, ...] = tuple(f.alias or name for name, f in StackConfig.model_fields.items())
