"""AWS schedule expressions for maintenance windows: ``cron(...)``, ``rate(...)`` and ``at(...)``.

AWS cron has six fields (minute hour day-of-month month day-of-week year), a
mandatory ``?`` in one of the day fields, and ``L``/``W``/``#``; Unix cron
rules do not apply. Parsing and occurrences are aws-croniter's. ``at(...)``
runs once (AWS's "one-time schedule"). Expressions are ASCII and at most
MAX_LENGTH characters, as CreateMaintenanceWindow takes them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from aws_croniter import AwsCroniter
from aws_croniter.exceptions import AwsCroniterExpressionError

MAX_LENGTH = 256
"""CreateMaintenanceWindow's Schedule (botocore: MaintenanceWindowSchedule, max 256)."""
_CRON = re.compile(r"cron\((?P<body>[ -~]*)\)")
_RATE = re.compile(r"rate\((?P<value>[0-9]+) (?P<unit>[a-z]+)\)")
# AWS counts a rate in whole minutes, hours or days: "1", "30", never "0001" (AWS documents no
# leading zeros; the form it documents is the one that cannot be refused).
_RATE_VALUE = re.compile(r"[1-9][0-9]*")
_AT = re.compile(r"at\((?P<when>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})\)")
_RATE_UNITS = ("minute", "hour", "day")

EXAMPLES = "cron(0 2 ? * SUN *), rate(1 day) or at(2027-01-31T02:00:00)"
_FIELDS = "minute hour day-of-month month day-of-week year, e.g. cron(0 2 ? * SUN *)"
_FIELDS_RANGES = (
    "minute 0-59, hour 0-23, day-of-month 1-31 (or ?, L, W), month 1-12 or JAN-DEC, day-of-week 1-7 (1 is Sunday) "
    "or SUN-SAT (or ?, L, #), year 1970-2199, with ? in exactly one of the two day fields"
)


@dataclass(frozen=True)
class Schedule:
    kind: str  # "cron" | "rate" | "at"
    expression: str  # the cron body, the rate "N unit", or the at() local time (ISO 8601)


class ScheduleError(ValueError):
    pass


def _cut(value: str) -> str:
    from ..errors import cut

    return cut(value)


def parse_schedule(expression: str) -> Schedule:
    """Check an expression with AWS's rules; ScheduleError says what is wrong."""
    if len(expression) > MAX_LENGTH:
        raise ScheduleError(f"the schedule is {len(expression)} characters long; AWS takes at most {MAX_LENGTH}")
    if m := _CRON.fullmatch(expression):
        body = m["body"]
        try:
            AwsCroniter(body)
        except AwsCroniterExpressionError as exc:
            reason = " ".join(str(exc).replace(".", ". ").split()).rstrip(".")  # aws-croniter's, made one sentence
            raise ScheduleError(
                f"invalid AWS cron expression {_cut(expression)}: {reason}; the six fields are {_FIELDS_RANGES}"
            ) from None
        except ValueError:  # aws-croniter's own, bare ("step must be positive")
            raise ScheduleError(
                f"invalid AWS cron expression {_cut(expression)}: its six fields are {_FIELDS}"
            ) from None
        return Schedule("cron", body)
    if m := _RATE.fullmatch(expression):
        value, unit = int(m["value"]), m["unit"]
        singular = unit.rstrip("s")
        if singular in _RATE_UNITS and value >= 1 and not _RATE_VALUE.fullmatch(m["value"]):
            raise ScheduleError(
                f"invalid rate expression {_cut(expression)}: write the count without leading zeros, "
                f"rate({value} {singular if value == 1 else singular + 's'})"
            )
        if singular not in _RATE_UNITS or value < 1:
            raise ScheduleError(
                f"invalid rate expression {_cut(expression)}: expected rate(N minutes|hours|days) with N >= 1"
            )
        expected = singular if value == 1 else singular + "s"
        if unit != expected:
            raise ScheduleError(f"invalid rate expression {_cut(expression)}: write rate({value} {expected})")
        return Schedule("rate", f"{value} {unit}")
    if m := _AT.fullmatch(expression):
        try:
            datetime.fromisoformat(m["when"])
        except ValueError:
            raise ScheduleError(f"invalid at() expression {_cut(expression)}: not a real date and time") from None
        return Schedule("at", m["when"])
    raise ScheduleError(f"invalid schedule {_cut(expression)}: expected an AWS expression such as {EXAMPLES}")


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""AWS cron's first year: a schedule with no date after it never had one."""


def never_opens(schedule: Schedule, timezone: str, now: datetime | None = None) -> str | None:
    """Why a schedule has no occurrence after ``now`` (default: the current time), or None."""
    now = now or datetime.now(UTC)
    local_now = now.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
    if schedule.kind == "at":
        if datetime.fromisoformat(schedule.expression) <= local_now:
            return f"at({schedule.expression}) in {timezone} has passed"
    elif schedule.kind == "cron":
        # The wall clock as naive UTC, as aws-croniter walks it (see calendar.window_starts).
        (following,) = AwsCroniter(schedule.expression).get_next(local_now.replace(tzinfo=UTC) - timedelta(minutes=1))
        if following is None:
            return f"cron({schedule.expression}) has no date after {local_now:%Y-%m-%d}"
    return None


def never_matches(schedule: Schedule) -> str | None:
    """Why a cron expression names no date at all (``cron(0 0 30 2 ? *)``: 30 February), or None.
    Unlike a schedule that has passed, that was never right."""
    if schedule.kind != "cron":
        return None
    (following,) = AwsCroniter(schedule.expression).get_next(EPOCH.replace(tzinfo=UTC))
    return None if following is not None else f"cron({schedule.expression}) names no date between 1970 and 2199"


_DAY_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


def numeric_weekdays(schedule: Schedule) -> str | None:
    """The days a cron day-of-week field written in numbers means to AWS (1 = SUN ... 7 = SAT), as
    names (``"2-6" -> "MON-FRI"``), or None when the field has no digits. Unix cron counts 0-6 from
    Sunday (and 7 is Sunday again), so ``5`` is Friday to a Unix user and Thursday to AWS."""
    if schedule.kind != "cron":
        return None
    fields = schedule.expression.split()
    # A number after '#' counts weeks ("MON#1"), after '/' steps: only the others are days.
    if len(fields) != 6 or not re.search(r"(?<![#/0-9])[0-9]", fields[4]):
        return None
    day_of_week = fields[4]

    def name(match: re.Match[str]) -> str:
        number = int(match[0])
        return _DAY_NAMES[number - 1] if 1 <= number <= 7 else match[0]

    # '#' counts weeks ("TUE#2"), not days: only the number before it is a day.
    return re.sub(r"(?<![#/0-9])[0-9]+", name, day_of_week)


# ---------------------------------------------------------------------------
# Time zones people write that are not the zone they mean

ABBREVIATIONS = {
    # abbreviation or legacy POSIX-style zone: the IANA zone of a place most users mean by it
    "EST": "America/New_York",
    "EDT": "America/New_York",
    "EST5EDT": "America/New_York",
    "CST": "America/Chicago",
    "CDT": "America/Chicago",
    "CST6CDT": "America/Chicago",
    "MST": "America/Denver",
    "MDT": "America/Denver",
    "MST7MDT": "America/Denver",
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
    "PST8PDT": "America/Los_Angeles",
    "AKST": "America/Anchorage",
    "HST": "Pacific/Honolulu",
    "BST": "Europe/London",
    "WET": "Europe/Lisbon",
    "CET": "Europe/Paris",
    "CEST": "Europe/Paris",
    "MET": "Europe/Paris",
    "EET": "Europe/Athens",
    "EEST": "Europe/Athens",
    "IST": "Asia/Kolkata",
    "JST": "Asia/Tokyo",
    "KST": "Asia/Seoul",
    "SGT": "Asia/Singapore",
    "AEST": "Australia/Sydney",
    "AEDT": "Australia/Sydney",
    "ACST": "Australia/Adelaide",
    "AWST": "Australia/Perth",
    "NZST": "Pacific/Auckland",
}
"""A small hand-written table: tzdata's own links (``CST`` is not one) would suggest ``UCT``."""
_FIXED_OFFSET_ZONES = frozenset({"EST", "MST", "HST"})
_UTC_OFFSET = re.compile(r"(?:UTC|GMT)\s*(?P<sign>[+-])\s*(?P<hours>[0-9]{1,2})(?::?(?P<minutes>[0-9]{2}))?")
_ETC_GMT = re.compile(r"Etc/GMT(?P<sign>[+-])(?P<hours>[0-9]{1,2})")


def timezone_hint(name: str) -> str | None:
    """For a name that is not an IANA zone: the zone its writer most likely means, or None."""
    key = name.strip().upper()
    if key in ABBREVIATIONS:
        return f"{name!r} is an abbreviation, not an IANA zone: give the place's zone, e.g. {ABBREVIATIONS[key]}"
    if m := _UTC_OFFSET.fullmatch(name.strip()):
        inverted = "-" if m["sign"] == "+" else "+"
        fixed = f"Etc/GMT{inverted}{int(m['hours'])}"
        return (
            f"{name!r} is an offset, not an IANA zone: give the zone of a place (e.g. Europe/Berlin), which "
            f"follows its daylight saving; a fixed UTC{m['sign']}{int(m['hours'])} is {fixed} (Etc/ signs are "
            "inverted: Etc/GMT-1 is UTC+1)"
        )
    return None


def timezone_warning(name: str) -> str | None:
    """For an IANA name that AWS takes but that has no daylight saving or names no place (``EST``,
    ``Etc/GMT+5``, ``EST5EDT``): what the writer most likely means, or None."""
    if name in _FIXED_OFFSET_ZONES:
        return (
            f"{name} is a fixed offset with no daylight saving: in summer the window opens an hour off "
            f"local time; give the place's zone, e.g. {ABBREVIATIONS[name]}"
        )
    if name in ABBREVIATIONS:  # CST6CDT, EST5EDT, CET, ...: legacy POSIX-style rule zones
        return (
            f"{name} is a legacy POSIX-style zone (whose rules need not be the place's): give the place's "
            f"zone, e.g. {ABBREVIATIONS[name]}"
        )
    if m := _ETC_GMT.fullmatch(name):
        if int(m["hours"]) == 0:
            return None
        real = "-" if m["sign"] == "+" else "+"
        return (
            f"{name} is a fixed UTC{real}{int(m['hours'])} (Etc/ signs are inverted) with no daylight saving: "
            "if the fleet follows a place's clock, give its zone (e.g. America/New_York)"
        )
    return None
