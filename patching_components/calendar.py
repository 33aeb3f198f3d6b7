"""The patching calendar: when each maintenance window opens, in its own time zone.

AWS reads a window's cron expression in the window's ``ScheduleTimezone``:
``cron(0 2 ? * SUN *)`` in Europe/London opens at 02:00 local time every
Sunday, GMT in winter and BST in summer. So occurrences are computed on the
local wall clock (aws-croniter) and only then placed in the zone. A local time
that a daylight-saving jump skips is shown at the instant it maps to (02:30 on
a spring-forward night in New York becomes 03:30 EDT).

``rate()`` windows count from when the window was created, which a stack file
does not know: their occurrences are shown from the calendar's start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from aws_croniter import AwsCroniter

from .config import MaintenanceWindowConfig, StackConfig
from .schedule import parse_schedule

_RATE_UNITS = {"minute": "minutes", "hour": "hours", "day": "days"}


@dataclass(frozen=True)
class Occurrence:
    window: str
    operation: str
    """What the task does at that time (Scan in scan-only mode)."""
    start: datetime
    """Aware, in the window's time zone."""
    end: datetime
    patch_groups: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "window": self.window,
            "operation": self.operation,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "patchGroups": list(self.patch_groups),
        }


def window_starts(window: MaintenanceWindowConfig, start: datetime, end: datetime) -> list[datetime]:
    """Opening times of one window in [start, end), aware in the window's zone."""
    zone = ZoneInfo(window.timezone)
    schedule = parse_schedule(window.schedule)
    if schedule.kind == "at":
        once = datetime.fromisoformat(schedule.expression).replace(tzinfo=zone)
        return [once] if start <= once < end else []
    if schedule.kind == "rate":
        count, unit = schedule.expression.split()
        step = timedelta(**{_RATE_UNITS[unit.rstrip("s")]: int(count)})
        times, current = [], start
        while current < end:
            times.append(current.astimezone(zone))
            current += step
        return times

    offset = timedelta(days=window.schedule_offset or 0)
    cron = AwsCroniter(schedule.expression)
    # Walk the local wall clock (as naive UTC, which has no DST), starting early
    # enough that an offset occurrence landing after `start` is not missed.
    wall = (start.astimezone(zone) - offset).replace(tzinfo=UTC) - timedelta(minutes=1)
    wall_end = end.astimezone(zone).replace(tzinfo=UTC)
    times = []
    while True:
        (wall,) = cron.get_next(wall)
        if wall is None or wall > wall_end:
            break
        # Naive wall time -> real instant; the round trip moves skipped (DST gap) times forward.
        local = (wall + offset).replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
        if start <= local < end:
            times.append(local)
    return times


def occurrences(config: StackConfig, start: datetime, weeks: int) -> list[Occurrence]:
    """Every window opening from ``start`` (aware) for ``weeks`` weeks, in time order."""
    if config.mode == "disabled":
        return []
    end = start + timedelta(weeks=weeks)
    groups_of = config.groups_by_window()
    found = []
    for key, window in config.maintenance_windows.items():
        operation = config.window_as_built(key).operation
        duration = timedelta(hours=window.duration_hours)
        for opening in window_starts(window, start, end):
            closing = (opening.astimezone(UTC) + duration).astimezone(opening.tzinfo)
            found.append(Occurrence(key, operation, opening, closing, tuple(sorted(groups_of[key]))))
    return sorted(found, key=lambda o: (o.start.astimezone(UTC), o.window))


def to_ics(config: StackConfig, found: list[Occurrence], stamp: datetime | None = None) -> bytes:
    """An iCalendar file with one event per occurrence, each in its window's time zone."""
    from icalendar import Calendar, Event

    stamp = stamp or datetime.now(UTC)
    calendar = Calendar()
    calendar.add("prodid", "-//patching-components//patching calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{config.customer} patching")
    for occurrence in found:
        event = Event()
        utc_start = occurrence.start.astimezone(UTC)
        event.add("uid", f"{config.customer}-{occurrence.window}-{utc_start:%Y%m%dT%H%M%SZ}@patching-components")
        event.add("dtstamp", stamp)
        event.add("dtstart", occurrence.start)
        event.add("dtend", occurrence.end)
        event.add("summary", f"{config.customer}: {occurrence.operation} ({occurrence.window})")
        event.add(
            "description",
            f"Patch {occurrence.operation.lower()} for patch groups: {', '.join(occurrence.patch_groups)}",
        )
        event.add("categories", ["Patching", occurrence.operation])
        calendar.add_component(event)
    if found:
        # VTIMEZONE rules for the span of the events only, not 1970-2038.
        first = min(o.start for o in found).date() - timedelta(days=366)
        last = max(o.end for o in found).date() + timedelta(days=366)
        calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar.to_ical()


def parse_start(text: str | None) -> datetime:
    """``--start`` value: an ISO date or date-time (UTC when no offset); default now."""
    if text is None:
        return datetime.now(UTC).replace(second=0, microsecond=0)
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
