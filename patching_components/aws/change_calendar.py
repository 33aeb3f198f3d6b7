"""A Change Calendar's content as Systems Manager takes it: an iCalendar document (no Pulumi, so
that validation can measure it against SSM's document size limit without loading the components)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..config import ChangeFreezeConfig

CALENDAR_PRODID = "-//AWS//Change Calendar 1.0//EN"
"""What the Systems Manager console writes in a Change Calendar it creates."""


def calendar_content(freezes: Mapping[str, ChangeFreezeConfig], description: str) -> str:
    """The Change Calendar: DEFAULT_OPEN, one event (CLOSED) per freeze, times in UTC. The same
    freezes always give the same text (DTSTAMP is the freeze's start), so nothing diffs on re-run."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", CALENDAR_PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-calendar-type", "DEFAULT_OPEN")
    calendar.add("x-wr-caldesc", description)
    for key, freeze in sorted(freezes.items()):
        start, end = (moment.astimezone(UTC) for moment in freeze.interval())
        event = Event()
        event.add("uid", f"{key}@patching-components")
        event.add("dtstamp", start)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", f"Change freeze: {key}")
        event.add("description", f"{freeze.start} to {freeze.end} {freeze.timezone}: no patch window starts")
        calendar.add_component(event)
    return calendar.to_ical().decode()


def calendar_size_bound(freezes: Mapping[str, ChangeFreezeConfig], description: str) -> int:
    """More octets than ``calendar_content(freezes, description)`` has, without rendering it (the
    check of SSM's size limit renders the calendar only when this bound passes the limit): the
    fixed text of the calendar (130 octets) and of each event (about 210) rounded up, every text
    written into it at most doubled by iCalendar's escaping (``\\,`` ``\\;`` ``\\\\`` ``\\n``), and the
    whole a tenth more for line folding (three octets per 74)."""

    def text(value: object) -> int:
        return 2 * len(str(value).encode())

    size = 200 + text(description)
    for key, freeze in freezes.items():  # the key is in the summary and the UID
        size += 300 + 2 * text(key) + text(freeze.start) + text(freeze.end) + text(freeze.timezone)
    return size * 11 // 10 + 10


def approval_calendar_content(spans: Sequence[tuple[datetime, datetime]], window: str, description: str) -> str:
    """An approval gate's Change Calendar: DEFAULT_CLOSED (nothing is approved unless listed), one
    event per approved occurrence, which in a closed-by-default calendar is a time it is OPEN;
    times in UTC. Deterministic like :func:`calendar_content` (DTSTAMP is the event's start)."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", CALENDAR_PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-calendar-type", "DEFAULT_CLOSED")
    calendar.add("x-wr-caldesc", description)
    for start, end in spans:
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        event = Event()
        event.add("uid", f"{window}-{start:%Y%m%dT%H%M%SZ}@patching-components")
        event.add("dtstamp", start)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", f"Approved: {window}")
        event.add("description", f"Approved occurrence of maintenance window {window}: it may run")
        calendar.add_component(event)
    return calendar.to_ical().decode()
