"""When a schedule opens: the openings of an AWS cron()/rate()/at() expression in its time zone,
DST-exact (no Pulumi, no config: the calendar and the approval checks of the config model share it).

AWS reads a window's cron expression in the window's ``ScheduleTimezone``, so openings are computed
on the local wall clock (aws-croniter) and only then placed in the zone; a local time that a DST jump
skips is shown at the instant it maps to.
"""

from __future__ import annotations

import functools
import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from .schedule import cron_walls, parse_schedule


def schedule_starts(
    schedule_text: str,
    timezone: str,
    start: datetime,
    end: datetime,
    offset_days: int = 0,
    limit: int | None = None,
) -> list[datetime]:
    """Opening times of one schedule in [start, end) (at most ``limit``), aware in its zone."""
    zone = ZoneInfo(timezone)
    schedule = parse_schedule(schedule_text)
    if schedule.kind == "at":
        once = datetime.fromisoformat(schedule.expression).replace(tzinfo=zone)
        return [once] if start <= once < end else []
    if schedule.kind == "rate":
        count, unit = schedule.expression.split()
        seconds = int(count) * {"minute": 60, "hour": 3600, "day": 86400}[unit.rstrip("s")]
        times: list[datetime] = []
        if start >= end:
            return times
        if seconds >= (end - start).total_seconds():  # e.g. rate(99999999999 days): beyond any date
            return [start.astimezone(zone)] if limit != 0 else times
        step = timedelta(seconds=seconds)
        current = start
        while current < end and len(times) != limit:
            times.append(current.astimezone(zone))
            current += step
        return times

    offset = timedelta(days=offset_days)
    # Walk the local wall clock (as naive UTC, which has no DST), starting early
    # enough that an offset occurrence landing after `start` is not missed.
    wall = (start.astimezone(zone) - offset).replace(tzinfo=UTC) - timedelta(minutes=1)
    wall_end = end.astimezone(zone).replace(tzinfo=UTC)
    times = []
    # At most `limit` openings, plus those an offset moves before `start` (one a minute at most).
    cap = None if limit is None else limit + offset_days * 24 * 60 + 1
    for wall_time in _cron_walls(schedule.expression, wall, wall_end, cap):
        # Naive wall time -> real instant; the round trip moves skipped (DST gap) times forward.
        local = (wall_time + offset).replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
        if start <= local < end:
            times.append(local)
            if len(times) == limit:
                break
    return times


@functools.lru_cache(maxsize=4096)
def _cron_walls(expression: str, after: datetime, until: datetime, cap: int | None) -> tuple[datetime, ...]:
    """The wall-clock times of a cron expression in (after, until], at most ``cap``. Cached: a
    fleet's stacks share a handful of schedules."""
    return tuple(itertools.islice(cron_walls(expression, after, until), cap))
