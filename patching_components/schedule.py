"""AWS schedule expressions for maintenance windows: ``cron(...)`` and ``rate(...)``.

AWS cron has six fields (minute hour day-of-month month day-of-week year), a
mandatory ``?`` in one of the day fields, and ``L``/``W``/``#``; Unix cron
rules do not apply. Parsing and occurrences are aws-croniter's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_croniter import AwsCroniter
from aws_croniter.exceptions import AwsCroniterExpressionError

_CRON = re.compile(r"^cron\((?P<body>.*)\)$")
_RATE = re.compile(r"^rate\((?P<value>\d+) (?P<unit>[a-z]+)\)$")
_RATE_UNITS = ("minute", "hour", "day")

EXAMPLES = "cron(0 2 ? * SUN *) or rate(1 day)"


@dataclass(frozen=True)
class Schedule:
    kind: str  # "cron" | "rate"
    expression: str  # the cron body, or the rate "N unit"


class ScheduleError(ValueError):
    pass


def parse_schedule(expression: str) -> Schedule:
    """Check an expression with AWS's rules; ScheduleError says what is wrong."""
    if m := _CRON.match(expression):
        body = m["body"]
        try:
            AwsCroniter(body)
        except AwsCroniterExpressionError as exc:
            raise ScheduleError(f"invalid AWS cron expression {expression!r}: {exc}") from None
        return Schedule("cron", body)
    if m := _RATE.match(expression):
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
    raise ScheduleError(f"invalid schedule {expression!r}: expected an AWS expression such as {EXAMPLES}")
