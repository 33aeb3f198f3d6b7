"""The config model's field types: each setting's shape, allowed values and AWS limits, with
their validators (keys, names, tags, rate control, schedules, time zones, regions, instance
types, bucket names, e-mail addresses, KMS keys, IAM actions and resources, freeze times)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

from ..aws import limits as aws_limits
from ..aws import os_rules
from ..aws.schedule import ScheduleError, never_matches, parse_schedule, timezone_hint
from ..errors import closest, cut, did_you_mean
from . import defaults
from .base import PLACEHOLDER_ACCOUNT, Public, Secretable

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


def utf16_at_most(limit: int) -> AfterValidator:
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
    utf16_at_most(256),
]
PatchId = Annotated[str, StringConstraints(min_length=1, max_length=100)]
FilterValue = Annotated[str, StringConstraints(min_length=1, max_length=os_rules.MAX_FILTER_VALUE_LENGTH)]
FilterValues = Annotated[list[FilterValue], Field(min_length=1, max_length=os_rules.MAX_FILTER_VALUES)]
TagKey = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128, pattern=r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$"),
    utf16_at_most(128),
]
TagValue = Annotated[
    str, StringConstraints(max_length=256, pattern=r"^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$"), utf16_at_most(256)
]
DocumentName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9_\-.:/]{3,128}$")]
ResourceName = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z0-9_\-.]{3,128}$")]
"""A patch baseline's or maintenance window's name in AWS."""
CustomerId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,30}$"), Public()]
Tags = Annotated[dict[TagKey, TagValue], Field(max_length=40)]
# CreateRole's PermissionsBoundary (botocore: arnType, 20-2048 characters): a managed policy.
# A managed policy (botocore's arnType, 20-2048 characters): CreateRole's PermissionsBoundary, AttachRolePolicy's.
ManagedPolicyArn = Annotated[
    str,
    StringConstraints(
        pattern=r"^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/[A-Za-z0-9+=,.@_/-]{1,1024}$",
        min_length=20,
        max_length=2048,
    ),
    Secretable(f"arn:aws:iam::{PLACEHOLDER_ACCOUNT}:policy/secret"),
]
PermissionsBoundaryArn = ManagedPolicyArn
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


def check_schedule(value: str | None) -> str | None:
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


def opens_issues(schedule: str | None, timezone: str) -> list[tuple[tuple[str | int, ...], str]]:
    """A cron expression that names no date at all (30 February) never opened: an error. One whose
    dates have passed (an at(), a cron with a year) is only a warning (see checks.schedule_warnings):
    it was right once, and one expired window must not block every stack's CI."""
    if schedule is None:
        return []
    why = never_matches(parse_schedule(schedule))
    return [(("schedule",), f"never opens: {why}; give a date that exists (e.g. cron(0 0 L 2 ? *))")] if why else []


def one_of(value: str, known: Iterable[str], what: str) -> str:
    """``value`` if it is one of ``known``, else an error naming the closest one."""
    if value not in known:
        raise ValueError(f"{value!r} is not {what}{did_you_mean(closest(value, sorted(known), ignore_case=True))}")
    return value


@functools.cache
def _tzdata_zones() -> frozenset[str]:
    """The zones the tzdata package lists, which available_timezones() takes first (one file, where
    the rest of it opens every file under the system's zoneinfo: about a twentieth of `patching validate`)."""
    from importlib import resources

    try:
        return frozenset(resources.files("tzdata").joinpath("zones").read_text().split())
    except (ImportError, FileNotFoundError):
        return frozenset()


def check_timezone(value: str) -> str:
    if value in _tzdata_zones() and value not in _NOT_TIMEZONES:
        return value  # one of _timezones() for certain, found without walking the system's zone files
    if value not in _timezones() and (hint := timezone_hint(value)):
        raise ValueError(hint)  # CST is not tzdata's closest name UCT: a table says what people mean
    return one_of(value, _timezones(), "an IANA time zone name (e.g. Europe/London, UTC)")


def check_bucket_name(value: str) -> str:
    problem = aws_limits.bucket_name_problem(value) if value not in ("create", "none") else None
    if problem:
        raise ValueError(f"{value!r}: {problem}")
    return value


def check_instance_type(value: str) -> str:
    # One AWS launched after the shipped list is a warning (checks.unlisted_warnings), not an error.
    if aws_limits.INSTANCE_TYPE_PATTERN.fullmatch(value):
        return value
    return one_of(value, aws_limits.instance_types(), "an EC2 instance type")


def _region(value: str) -> str:
    # One AWS launched after the shipped list is a warning (checks.unlisted_warnings), not an error.
    if aws_limits.REGION_PATTERN.fullmatch(value):
        return value
    return one_of(value, aws_limits.regions(), "an AWS region (e.g. eu-west-1, us-east-1)")


# A region names the resources built in it (they are public: URNs are never secret).
Region = Annotated[str, AfterValidator(_region), Public()]
Regions = Annotated[list[Region], Field(min_length=1)]


def count_or_string(value: Any) -> Any:
    # `maxErrors: 1` in YAML is an int; AWS takes the string "1".
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


KmsKeyArn = Annotated[
    str,
    StringConstraints(pattern=r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]{1,64}$"),
    Secretable(f"arn:aws:kms:us-east-1:{PLACEHOLDER_ACCOUNT}:key/secret"),
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


def not_a_boolean(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"{str(value).lower()} is a boolean; give a number of days")
    return value


def check_log_group_name(value: str) -> str:
    if value.startswith(aws_limits.RESERVED_LOG_GROUP_PREFIX):
        raise ValueError(
            f"CloudWatch Logs refuses log group names starting with {aws_limits.RESERVED_LOG_GROUP_PREFIX!r}: "
            f"write '/{value}' or another name"
        )
    return value


LogGroupName = Annotated[
    str, StringConstraints(pattern=r"^[.\-_/#A-Za-z0-9]{1,512}$"), AfterValidator(check_log_group_name)
]
"""A log group the stack creates (CreateLogGroup's logGroupName)."""


def check_log_retention(value: int) -> int:
    if value not in LOG_RETENTION_DAYS:
        longer = next((d for d in LOG_RETENTION_DAYS if d > value), LOG_RETENTION_DAYS[-1])
        raise ValueError(
            f"CloudWatch Logs keeps logs for one of {', '.join(map(str, LOG_RETENTION_DAYS))} days; "
            f"{value} is not one of them (the next longer is {longer})"
        )
    return value


# The plain address (letters, digits and ``._+-`` before the @, lower-case labels after it, a
# letter-only top-level domain), which email-validator always accepts: taken without importing it.
# Its import compiles regular expressions over all of Unicode, about a tenth of `patching validate`.
# Anything else, and every error, is email-validator's (tests/test_startup_fast_paths.py holds the two
# to each other).
_PLAIN_EMAIL = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@(?:[a-z0-9]+(?:-[a-z0-9]+)*\.)+[a-z]+")
# email-validator's SPECIAL_USE_DOMAIN_NAMES (none of which may end an address), as of 2.4.
_SPECIAL_USE_DOMAINS = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def plain_email(value: str) -> bool:
    """``value`` is an address email-validator accepts (check_deliverability=False) for certain."""
    if len(value) > 254 or not _PLAIN_EMAIL.fullmatch(value):
        return False
    labels = value.rpartition("@")[2].split(".")
    return labels[-1] not in _SPECIAL_USE_DOMAINS and all(len(label) <= 63 for label in labels)


def _email(value: str) -> str:
    if plain_email(value):
        return value
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
    Secretable(f"arn:aws:sns:us-east-1:{PLACEHOLDER_ACCOUNT}:secret"),
]


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


# Offline stand-ins (Secretable) no rule refuses: an action IAM cannot scope (aws.iam_grants.NO_RESOURCE_LEVEL_ACTIONS),
# so Resource '*' beside it is no wildcard grant; an ARN of no service's.
IamAction = Annotated[
    str, StringConstraints(max_length=128), AfterValidator(_iam_action), Secretable("logs:DescribeLogGroups")
]
IamResource = Annotated[
    str, StringConstraints(max_length=2048), AfterValidator(_iam_resource), Secretable("arn:aws:secret:::secret-{n}")
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
