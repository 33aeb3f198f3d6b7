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
_AT = re.compile(r"at\((?P<when>[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})\)")
_RATE_UNITS = ("minute", "hour", "day")

EXAMPLES = "cron(0 2 ? * SUN *), rate(1 day) or at(2027-01-31T02:00:00)"
_FIELDS = "minute hour day-of-month month day-of-week year, e.g. cron(0 2 ? * SUN *)"


@dataclass(frozen=True)
class Schedule:
    kind: str  # "cron" | "rate" | "at"
    expression: str  # the cron body, the rate "N unit", or the at() local time (ISO 8601)


class ScheduleError(ValueError):
    pass


def parse_schedule(expression: str) -> Schedule:
    """Check an expression with AWS's rules; ScheduleError says what is wrong."""
    if len(expression) > MAX_LENGTH:
        raise ScheduleError(f"the schedule is {len(expression)} characters long; AWS takes at most {MAX_LENGTH}")
    if m := _CRON.fullmatch(expression):
        body = m["body"]
        try:
            AwsCroniter(body)
        except AwsCroniterExpressionError as exc:
            raise ScheduleError(f"invalid AWS cron expression {expression!r}: {exc}") from None
        except ValueError:  # aws-croniter's own, bare ("step must be positive")
            raise ScheduleError(f"invalid AWS cron expression {expression!r}: its six fields are {_FIELDS}") from None
        return Schedule("cron", body)
    if m := _RATE.fullmatch(expression):
        value, unit = int(m["value"]), m["unit"]
        singular = unit.rstrip("s")
        if singular not in _RATE_UNITS or value < 1:
            raise ScheduleError(
                f"invalid rate expression {expression!r}: expected rate(N minutes|hours|days) with N >= 1"
            )
        expected = singular if value == 1 else singular + "s"
        if unit != expected:
            raise ScheduleError(f"invalid rate expression {expression!r}: write rate({value} {expected})")
        return Schedule("rate", f"{value} {unit}")
    if m := _AT.fullmatch(expression):
        try:
            datetime.fromisoformat(m["when"])
        except ValueError:
            raise ScheduleError(f"invalid at() expression {expression!r}: not a real date and time") from None
        return Schedule("at", m["when"])
    raise ScheduleError(f"invalid schedule {expression!r}: expected an AWS expression such as {EXAMPLES}")


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
