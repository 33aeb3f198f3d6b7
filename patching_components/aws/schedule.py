"""AWS schedule expressions for maintenance windows: ``cron(...)``, ``rate(...)`` and ``at(...)``.

AWS cron has six fields (minute hour day-of-month month day-of-week year), a
mandatory ``?`` in one of the day fields, and ``L``/``W``/``#``; Unix cron
rules do not apply. Parsing and occurrences are aws-croniter's. ``at(...)``
runs once (AWS's "one-time schedule"). Expressions are ASCII and at most
MAX_LENGTH characters, as CreateMaintenanceWindow takes them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from aws_croniter import AwsCroniter
from aws_croniter.exceptions import AwsCroniterExpressionError
from aws_croniter.utils import DateUtils

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


@functools.lru_cache(maxsize=4096)
def parse_schedule(expression: str) -> Schedule:
    """Check an expression with AWS's rules; ScheduleError says what is wrong. Cached: a stack's
    schedules are parsed by the model, the warnings and the calendar, and a fleet shares most."""
    if len(expression) > MAX_LENGTH:
        raise ScheduleError(f"the schedule is {len(expression)} characters long; AWS takes at most {MAX_LENGTH}")
    if m := _CRON.fullmatch(expression):
        body = m["body"]
        try:
            _cron(body)
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
        following = next(cron_walls(schedule.expression, local_now.replace(tzinfo=UTC) - timedelta(minutes=1)), None)
        if following is None:
            return f"cron({schedule.expression}) has no date after {local_now:%Y-%m-%d}"
    return None


@functools.lru_cache(maxsize=4096)
def never_matches(schedule: Schedule) -> str | None:
    """Why a cron expression names no date at all (``cron(0 0 30 2 ? *)``: 30 February), or None.
    Unlike a schedule that has passed, that was never right."""
    if schedule.kind != "cron":
        return None
    (following,) = _cron(schedule.expression).get_next(EPOCH.replace(tzinfo=UTC))
    return None if following is not None else f"cron({schedule.expression}) names no date between 1970 and 2199"


# ---------------------------------------------------------------------------
# Occurrences of a cron expression, fast and exactly as aws-croniter finds them


@functools.lru_cache(maxsize=4096)
def _cron(body: str) -> AwsCroniter:
    """A parsed cron body (AwsCroniterExpressionError or ValueError when it is not one). Shared:
    the parsed fields are only read."""
    return AwsCroniter(body)


_SAFE_MONTHS = 4
"""aws-croniter's get_next gives up (returns None) after ten steps of its search, each step a
minute, hour, day, month or year rolled over: at most three for the first month and one per
month after it, so an occurrence fewer than this many months after the previous one is always
found. Further apart, cron_walls asks aws-croniter itself."""


def _days(body: str, year: int, month: int) -> tuple[int, ...]:
    """The days of a month a cron body's day fields select, as aws-croniter's search takes them
    (its own day rules: L, L-n, nW, n#k, nL), without the days the month does not have."""
    fields = body.split(" ")
    return _days_of(fields[2], fields[4], year, month)


@functools.lru_cache(maxsize=16384)
def _days_of(day_of_month: str, day_of_week: str, year: int, month: int) -> tuple[int, ...]:
    cron = _cron(f"0 0 {day_of_month} * {day_of_week} *")
    days_of_month = cron.days_of_month
    if not days_of_month:
        days = DateUtils.get_days_of_month_from_days_of_week(year, month, cron.days_of_week)
    elif days_of_month[0] == "L":
        days = DateUtils.get_days_of_month_for_L(year, month, int(days_of_month[1]))
    elif days_of_month[0] == "W":
        day = int(days_of_month[1])
        in_month = DateUtils.is_day_in_month(year, month, day)
        days = DateUtils.get_days_of_month_for_W(year, month, day) if in_month else []
    else:
        days = days_of_month
    last = (datetime(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return tuple(day for day in days if 1 <= day <= last)


def cron_walls(body: str, after: datetime, until: datetime | None = None) -> Iterator[datetime]:
    """The wall-clock times of a cron body after ``after`` (and at most ``until``), aware UTC
    (naive wall clock labelled UTC, as aws-croniter walks it): exactly what calling aws-croniter's
    ``get_next`` again and again from ``after`` gives, until it returns None, at a fraction of the
    cost (a month's days are computed once, not once per occurrence)."""
    cron = _cron(body)
    fields = body.split(" ")
    start = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    hours, minutes = cron.hours, cron.minutes
    previous = after
    for year in cron.years:
        if year < start.year:
            continue
        for month in cron.months:
            if (year, month) < (start.year, start.month):
                continue
            for day in _days_of(fields[2], fields[4], year, month):
                if (year, month, day) < (start.year, start.month, start.day):
                    continue
                first_day = (year, month, day) == (start.year, start.month, start.day)
                for hour in hours:
                    if first_day and hour < start.hour:
                        continue
                    for minute in minutes:
                        if first_day and hour == start.hour and minute < start.minute:
                            continue
                        wall = datetime(year, month, day, hour, minute, tzinfo=UTC)
                        if until is not None and wall > until:
                            return
                        if (year - previous.year) * 12 + month - previous.month >= _SAFE_MONTHS:
                            # Far from the previous one: would aws-croniter's search reach it?
                            (found,) = cron.get_next(previous)
                            if found != wall:
                                return
                        yield wall
                        previous = wall


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


def cron_instants(body: str, timezone: str, start: datetime, end: datetime, offset_days: int = 0) -> Iterator[float]:
    """The openings of a cron window in [start, end) as POSIX timestamps: its wall-clock times
    (cron_walls) plus ``offset_days``, read in ``timezone`` (a time a daylight-saving jump skips
    moves forward, one that occurs twice is the first: AWS documents neither, docs/aws-behaviour.md
    "Schedules"), in the order
    of the wall clock; stops at the first at or after ``end``."""
    zone = ZoneInfo(timezone)
    offset = timedelta(days=offset_days)
    shift = offset_days * 86400
    first, last = start.timestamp(), end.timestamp()
    after = (start.astimezone(zone) - offset).replace(tzinfo=UTC) - timedelta(minutes=1)
    until = end.astimezone(zone).replace(tzinfo=UTC)
    # cron_walls(body, after, until), inlined: each wall as (day since 1970-01-01, seconds into
    # the day), without a datetime (or a generator) for each.
    cron = _cron(body)
    fields = body.split(" ")
    begin = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    begin_day, begin_second = (begin.year, begin.month, begin.day), begin.hour * 3600 + begin.minute * 60
    seconds = [hour * 3600 + minute * 60 for hour in cron.hours for minute in cron.minutes]
    limit = until.timestamp()
    previous_month = after.year * 12 + after.month  # of the last wall (of ``after`` before the first)
    previous: int | None = None  # the last wall, in seconds since 1970 (None: ``after`` itself)
    for year in cron.years:
        if year < begin.year:
            continue
        for month in cron.months:
            if (year, month) < (begin.year, begin.month):
                continue
            month_count = year * 12 + month
            for day in _days_of(fields[2], fields[4], year, month):
                if (year, month, day) < begin_day:
                    continue
                first_day = (year, month, day) == begin_day
                number = date(year, month, day).toordinal() - _EPOCH_DAY
                day_offset = _day_offset(timezone, number + offset_days)  # the same all the local day
                for second in seconds:
                    if first_day and second < begin_second:
                        continue
                    wall = number * 86400 + second
                    if wall > limit:
                        return
                    if month_count - previous_month >= _SAFE_MONTHS:
                        # Far from the previous one: would aws-croniter's search reach it (cron_walls)?
                        since = after if previous is None else datetime.fromtimestamp(previous, UTC)
                        (found,) = cron.get_next(since)
                        if found != datetime.fromtimestamp(wall, UTC):
                            return
                    previous_month, previous = month_count, wall
                    local = wall + shift  # the local wall clock, counted as if it were UTC
                    if day_offset is not None:
                        instant = local - day_offset
                    else:
                        instant = datetime.fromtimestamp(local, UTC).replace(tzinfo=zone).timestamp()
                    if instant >= last:
                        return
                    if instant >= first:
                        yield instant


_EPOCH_DAY = EPOCH.toordinal()


@functools.lru_cache(maxsize=65536)
def _day_offset(timezone: str, day: int) -> float | None:
    """A zone's UTC offset in seconds throughout a local day (days since 1970-01-01), or None
    when it changes that day (a daylight-saving change: each time is placed on its own)."""
    midnight = datetime.fromtimestamp(day * 86400, UTC).replace(tzinfo=ZoneInfo(timezone))
    offset = midnight.utcoffset()
    following = (midnight + timedelta(days=1)).utcoffset()
    return offset.total_seconds() if offset is not None and offset == following else None
