"""The patching calendar: when each maintenance window opens, in its own time zone.

AWS reads a window's cron expression in the window's ``ScheduleTimezone``:
``cron(0 2 ? * SUN *)`` in Europe/London opens at 02:00 local time every
Sunday, GMT in winter and BST in summer. So occurrences are computed on the
local wall clock (aws-croniter) and only then placed in the zone. A local time
that a daylight-saving jump skips is shown at the instant it maps to (02:30 on
a spring-forward night in New York becomes 03:30 EDT).

``rate()`` windows count from when the window was created, which a stack file
does not know: their occurrences are shown from the calendar's start.

The calendar covers every window a stack builds: the patch windows and the
scheduled golden AMI rebuilds. Several stacks merge into one time-ordered
list (the fleet view), from which :func:`overlaps` finds the windows of one
patch group open at once and :func:`busy_periods` the times more than N
customers install at once.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Literal

from . import layout
from .aws.openings import _cron_walls, schedule_starts  # noqa: F401 - _cron_walls: benchmarks read its cache
from .config import ChangeFreezeConfig, StackConfig
from .config.defaults import FREEZE_GUARD_LAG_MINUTES, GOLDEN_AMI_WINDOW_HOURS

_RATE_UNITS = {"minute": "minutes", "hour": "hours", "day": "days"}

BUILD = "Build"
"""The operation of a golden AMI rebuild (the others are AWS-RunPatchBaseline's Scan and Install)."""

Kind = Literal["window", "goldenAmi", "freeze"]
FREEZE = "Freeze"
"""The operation of a change freeze's own entry."""


@dataclass(frozen=True)
class FreezeRisk:
    """An opening less than FREEZE_GUARD_LAG_MINUTES after the freeze calendar turned CLOSED (a freeze
    starts) or OPEN (it ends): the freeze guard may not have switched its window yet, so it may install
    during the freeze (``start``) or find its window still disabled and not run (``end``)."""

    freeze: str
    edge: Literal["start", "end"]
    minutes: int
    """Whole minutes from the freeze's start or end to the opening."""

    def as_json(self) -> dict[str, object]:
        return {"changeFreeze": self.freeze, "edge": self.edge, "minutesAfter": self.minutes}

    def text(self) -> str:
        switched = "disabled" if self.edge == "start" else "enabled"
        return (
            f"AT RISK: opens {self.minutes} min after change freeze {self.freeze} {self.edge}s; "
            f"the guard may not have {switched} it yet"
        )


def freeze_edges(freezes: Mapping[str, ChangeFreezeConfig]) -> list[tuple[float, str, Literal["start", "end"]]]:
    """(POSIX time, freeze, "start" or "end") of each change of the freeze calendar's state, in time
    order: freezes that overlap or touch keep it CLOSED from the first one's start to the last end."""
    spans = sorted((first.timestamp(), last.timestamp(), key) for key, (first, last) in _intervals(freezes))
    edges: list[tuple[float, str, Literal["start", "end"]]] = []
    closed_until, closing = float("-inf"), ""
    for first, last, key in spans:
        if first > closed_until:  # OPEN before it: it closes the calendar
            if closing:
                edges.append((closed_until, closing, "end"))
            edges.append((first, key, "start"))
            closed_until, closing = last, key
        elif last > closed_until:
            closed_until, closing = last, key
    if closing:
        edges.append((closed_until, closing, "end"))
    return edges


def _intervals(freezes: Mapping[str, ChangeFreezeConfig]) -> list[tuple[str, tuple[datetime, datetime]]]:
    return [(key, freeze.interval()) for key, freeze in freezes.items()]


def freeze_risk(instant: float, edges: list[tuple[float, str, Literal["start", "end"]]]) -> FreezeRisk | None:
    """The risk of an opening at ``instant`` (POSIX time) from the latest of ``edges`` (:func:`freeze_edges`)
    less than FREEZE_GUARD_LAG_MINUTES before it."""
    risk = None
    for stamp, key, edge in edges:
        if stamp > instant:
            break
        if instant - stamp < FREEZE_GUARD_LAG_MINUTES * 60:
            risk = FreezeRisk(key, edge, int((instant - stamp) // 60))
    return risk


@dataclass(frozen=True)
class Occurrence:
    customer: str
    stack: str
    """The stack (``Pulumi.<stack>.yaml``); one customer may have several, one per account."""
    window: str
    """The maintenance window's key, or the golden AMI pipeline's."""
    kind: Kind
    operation: str
    """What runs: Scan or Install (Scan in scan-only mode), or Build for a golden AMI rebuild."""
    start: datetime
    """Aware, in the window's time zone."""
    end: datetime
    patch_groups: tuple[str, ...]
    """The patch groups it targets (a rebuild: the group whose baseline patches the image)."""
    region: str | None = None
    """Where it runs (None: the stack's aws:region, when it was not given)."""
    primary: bool = True
    """In the stack's primary region (whose resources carry no region in their names)."""
    skipped_by: str | None = None
    """The change freeze it falls in: its window is disabled then, so it does not run."""
    approval: Literal["approved", "awaiting approval"] | None = None
    """An approval-gated window's opening (``requiresApproval``): approved (its local date is in
    ``approvedOccurrences``) or awaiting approval (it does not run unless approved); None: not gated."""
    at_risk: FreezeRisk | None = None
    """It opens so soon after a change freeze starts or ends that the guard may not have switched its
    window yet (then ``skipped_by`` is None: whether it runs is not known)."""

    @property
    def runs(self) -> bool:
        """A window opening that runs, or may (at risk): not a freeze, not inside one."""
        return self.kind != "freeze" and self.skipped_by is None

    def as_json(self) -> dict[str, object]:
        return {
            "customer": self.customer,
            "stack": self.stack,
            "region": self.region,
            "kind": self.kind,
            "window": self.window,
            "operation": self.operation,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "patchGroups": list(self.patch_groups),
            "skippedBy": self.skipped_by,
            "atRisk": None if self.at_risk is None else self.at_risk.as_json(),
            "approval": self.approval,
        }


@dataclass(frozen=True)
class Overlap:
    """Two windows of one stack that target one patch group and are open at the same time:
    two AWS-RunPatchBaseline runs on the same nodes."""

    patch_group: str
    first: Occurrence
    second: Occurrence

    def as_json(self) -> dict[str, object]:
        return {
            "kind": "overlap",
            "stack": self.first.stack,
            "region": self.first.region,
            "patchGroup": self.patch_group,
            "windows": [self.first.window, self.second.window],
            "start": self.second.start.isoformat(),
            "end": min(self.first.end, self.second.end, key=_instant).isoformat(),
        }


@dataclass(frozen=True)
class BusyPeriod:
    """A stretch of time in which more customers install at once than the operator can staff."""

    start: datetime
    """UTC."""
    end: datetime
    customers: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {
            "kind": "concurrency",
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "customers": list(self.customers),
        }


def _instant(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _closing(opening: datetime, hours: int) -> datetime:
    # Elapsed hours, not wall-clock hours: a window across a DST change is as long as configured.
    return (opening.astimezone(UTC) + timedelta(hours=hours)).astimezone(opening.tzinfo)


@functools.lru_cache(maxsize=4096)
def _spans(
    schedule_text: str,
    timezone: str,
    start: datetime,
    start_zone: tzinfo | None,
    end: datetime,
    offset_days: int,
    limit: int | None,
    hours: int,
) -> tuple[tuple[datetime, datetime, float], ...]:
    """(opening, closing, opening's POSIX time) of each opening :func:`schedule_starts` gives.
    Cached: a fleet's stacks share a handful of schedules, so a thousand stacks compute a few
    dozen (``start_zone``: an aware time equals one in another zone, but rate() steps in its zone)."""
    del start_zone  # only part of the key
    return tuple(
        (opening, _closing(opening, hours), opening.timestamp())
        for opening in schedule_starts(schedule_text, timezone, start, end, offset_days, limit)
    )


def occurrences(
    config: StackConfig,
    start: datetime,
    weeks: int,
    stack: str | None = None,
    limit: int | None = None,
    region: str | None = None,
    windows: Collection[str] | None = None,
) -> list[Occurrence]:
    """Every window opening (patch windows and golden AMI rebuilds, in every region they are built
    in) from ``start`` (aware) for ``weeks`` weeks, in time order, at most ``limit`` per window and
    region. ``stack`` defaults to the customer's name; ``region`` is the stack's aws:region.
    ``windows``: only these patch windows (no rebuilds, no freezes)."""
    if config.mode == "disabled":
        return []
    stack = stack or config.customer
    end = start + timedelta(weeks=weeks)
    groups_of = config.groups_by_window()
    found: list[tuple[float, str, str, Occurrence]] = []  # (start's POSIX time, kind, window): merge's order
    customer = config.customer
    for in_region in layout.regions(config):
        built_in, where = in_region.named_region, in_region.region or region
        for key in in_region.windows:
            if windows is not None and key not in windows:
                continue
            window = config.maintenance_windows[key]
            operation = layout.window_as_built(config, key).operation
            groups = tuple(sorted(groups_of[key]))
            offset = window.schedule_offset or 0
            spans = _spans(
                window.schedule, window.timezone, start, start.tzinfo, end, offset, limit, window.duration_hours
            )
            found += [
                (
                    stamp,
                    "window",
                    key,
                    Occurrence(
                        customer, stack, key, "window", operation, opening, closing, groups, where, not built_in
                    ),
                )
                for opening, closing, stamp in spans
            ]
        for key in in_region.golden_amis if windows is None else []:
            ami = config.golden_amis[key]
            if ami.schedule is None:
                continue
            spans = _spans(ami.schedule, ami.timezone, start, start.tzinfo, end, 0, limit, GOLDEN_AMI_WINDOW_HOURS)
            found += [
                (
                    stamp,
                    "goldenAmi",
                    key,
                    Occurrence(
                        customer,
                        stack,
                        key,
                        "goldenAmi",
                        BUILD,
                        opening,
                        closing,
                        (ami.patch_group,),
                        where,
                        not built_in,
                    ),
                )
                for opening, closing, stamp in spans
            ]
    found = _with_approvals(config, found)
    frozen = dict(_intervals(config.change_freezes))
    # As POSIX times: aware times of one zone compare by wall clock, which a repeated hour misleads.
    stamps = [(key, first.timestamp(), last.timestamp()) for key, (first, last) in frozen.items()]
    edges = freeze_edges(config.change_freezes)

    def skipped(stamp: float, occurrence: Occurrence) -> Occurrence:
        # The guard disables the windows while the calendar is CLOSED: an opening inside a freeze
        # does not run (one that opened before it runs on: disabling stops no running task). Just
        # after the calendar changes the guard may not have switched it yet (one not approved is
        # kept disabled by its approval calendar whatever the guard does).
        risk = None if occurrence.approval == "awaiting approval" else freeze_risk(stamp, edges)
        if risk is not None:
            return dataclasses.replace(occurrence, at_risk=risk)
        inside = [key for key, first, last in stamps if first <= stamp < last]
        return dataclasses.replace(occurrence, skipped_by=inside[0]) if inside else occurrence

    if frozen:
        found = [(stamp, kind, key, skipped(stamp, o)) for stamp, kind, key, o in found]
        found += [
            (
                first.timestamp(),
                "freeze",
                key,
                Occurrence(
                    customer, stack, key, "freeze", FREEZE, first, last, (), layout.primary_region(config) or region
                ),
            )
            for key, (first, last) in frozen.items()
            if first < end and start < last and windows is None
        ]
    # In time order (ties: by kind, then window; the stack is this one), as merge() orders them.
    found.sort(key=lambda entry: entry[:3])
    return [entry[3] for entry in found]


def merge(lists: Iterable[list[Occurrence]]) -> list[Occurrence]:
    """Several stacks' occurrences as one list in time order (ties: by stack, then window)."""
    # Each stack's list is usually in this order already (occurrences() gives it so): sorting their
    # concatenation merges those runs (Timsort), and a list out of order is still sorted.
    return sorted(itertools.chain.from_iterable(lists), key=_merge_order)


def _merge_order(occurrence: Occurrence) -> tuple[float, str, str, str]:
    return occurrence.start.timestamp(), occurrence.stack, occurrence.kind, occurrence.window


def overlaps(found: list[Occurrence]) -> list[Overlap]:
    """Occurrences of two different patch windows of one stack that share a patch group and are
    open at the same time, in time order. ``found`` must be in time order (as :func:`merge` gives)."""
    result: list[Overlap] = []
    # One list of open windows per stack and region (windows of other regions patch other nodes),
    # not one per patch group: a window targets several groups, and each opening would otherwise
    # be filed under every one of them. The Overlaps come out as if per group: by the later
    # window's groups, in their order, then by the earlier windows in the order they opened.
    open_at: dict[tuple[str, str], list[tuple[float, Occurrence]]] = {}
    for occurrence in found:
        if occurrence.kind != "window" or not occurrence.runs:
            continue
        opening = occurrence.start.timestamp()  # instants: the windows of a stack may be in several zones
        place = (occurrence.stack, str(occurrence.region))
        active = open_at.get(place)
        if active is None:
            active = open_at[place] = []
        elif active:
            active[:] = [entry for entry in active if entry[0] > opening]
            others = [o for _, o in active if o.window != occurrence.window]
            if others:
                result += [
                    Overlap(group, o, occurrence)
                    for group in occurrence.patch_groups
                    for o in others
                    if group in o.patch_groups
                ]
        active.append((occurrence.end.timestamp(), occurrence))
    return result


def busy_periods(found: list[Occurrence], limit: int) -> list[BusyPeriod]:
    """The periods in which more than ``limit`` customers have an install window open, in UTC."""
    edges = sorted(
        (instant, change, o.customer)
        for o in found
        if o.operation == "Install" and o.runs
        for instant, change in ((_instant(o.start), 1), (_instant(o.end), -1))
    )
    periods: list[BusyPeriod] = []
    open_count: dict[str, int] = {}
    for index, (instant, change, customer) in enumerate(edges):
        open_count[customer] = open_count.get(customer, 0) + change
        if not open_count[customer]:
            del open_count[customer]
        following = edges[index + 1][0] if index + 1 < len(edges) else instant
        if following == instant or len(open_count) <= limit:
            continue  # ends at -1 sort before starts at +1: touching windows do not count
        customers = tuple(sorted(open_count))
        if periods and periods[-1].end == instant and periods[-1].customers == customers:
            periods[-1] = BusyPeriod(periods[-1].start, following, customers)
        else:
            periods.append(BusyPeriod(instant, following, customers))
    return periods


def _ics_time(moment: datetime) -> datetime:
    """A time iCalendar readers place at the right instant.

    RFC 5545 (3.3.5) reads a local time that occurs twice (the repeated hour when clocks go
    back) as its first occurrence, so the second one cannot be written with its TZID: it is
    written in UTC instead, which every reader places exactly.
    """
    if moment.fold and moment.replace(fold=0).utcoffset() != moment.utcoffset():
        return moment.astimezone(UTC)
    return moment


def to_ics(found: list[Occurrence], name: str, stamp: datetime | None = None) -> bytes:
    """An iCalendar file (RFC 5545) named ``name`` with one event per occurrence, each in its
    window's time zone, with a VTIMEZONE for each zone used.

    The events are written here, as the icalendar library writes them, byte for byte (a test
    compares): through the library each event took a quarter of a millisecond, which made a
    year of a thousand customers' calendars minutes long. The VTIMEZONEs are the library's."""
    stamp = stamp or datetime.now(UTC)
    dtstamp = f"DTSTAMP:{_ics_value(stamp.astimezone(UTC))}Z"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//patching-components//patching calendar//EN"]
    lines.append(f"X-WR-CALNAME:{_ics_text(name)}")
    events: list[str] = []  # folded content lines (several, joined, in some items)
    zones: set[str] = set()
    # What does not change from one opening of a window to the next, made once per window.
    fixed: dict[tuple[object, ...], tuple[str, str, str]] = {}
    for occurrence in found:
        key = (
            occurrence.kind,
            occurrence.customer,
            occurrence.stack,
            occurrence.window,
            occurrence.operation,
            occurrence.region,
            occurrence.primary,
            occurrence.patch_groups,
            occurrence.skipped_by,
            occurrence.approval,
            occurrence.at_risk,
        )
        parts = fixed.get(key)
        if parts is None:
            parts = fixed[key] = _ics_event_text(occurrence)
        summary, uid, rest = parts
        start, end = occurrence.start, occurrence.end
        dtstart, dtend, utc_start, tzids = _ics_span(start, end, start.tzinfo, end.tzinfo, start.fold, end.fold)
        zones.update(tzids)
        events += ("BEGIN:VEVENT", summary, dtstart, dtend, dtstamp)
        events.append(_fold(f"UID:{uid}{utc_start}@patching-components"))
        events += (rest, "END:VEVENT")
    if found:
        # VTIMEZONE rules for the span of the events only, not 1970-2038.
        first = min(o.start for o in found).date() - timedelta(days=366)
        last = max(o.end for o in found).date() + timedelta(days=366)
        zones_text = "".join(_vtimezone(zone, first, last) for zone in sorted(zones))
    else:
        zones_text = ""
    head = "".join(_fold(line) + "\r\n" for line in lines)
    body = "".join(line + "\r\n" for line in events)
    return (head + zones_text + body + "END:VCALENDAR\r\n").encode("utf-8")


def _ics_event_text(occurrence: Occurrence) -> tuple[str, str, str]:
    """An event's SUMMARY line, its UID up to the time, and its CATEGORIES, DESCRIPTION (and
    STATUS) lines: the same for every opening of a window. Folded, escaped."""
    where = "" if occurrence.primary else f"{occurrence.region}-"
    in_region = "" if occurrence.primary else f" in {occurrence.region}"
    groups = ", ".join(occurrence.patch_groups)
    if occurrence.kind == "freeze":
        summary = f"{occurrence.customer}: change freeze ({occurrence.window})"
        description = "No patch window and no golden AMI rebuild starts."
    else:
        summary = f"{occurrence.customer}: {occurrence.operation} ({occurrence.window}){in_region}"
        description = (
            f"Golden AMI rebuild, patched with the baseline of patch group {groups}"
            if occurrence.kind == "goldenAmi"
            else f"Patch {occurrence.operation.lower()} for patch groups: {groups}"
        )
    rest = [f"CATEGORIES:Patching,{_ics_text(occurrence.operation)}"]
    risk = occurrence.at_risk
    if occurrence.skipped_by is not None:
        # Kept, marked cancelled: the customer sees the patch night the freeze moved.
        description += f" Skipped: inside the change freeze {occurrence.skipped_by}."
    elif risk is not None:
        description += (
            f" At risk: it opens {risk.minutes} min after the change freeze {risk.freeze} {risk.edge}s, and the "
            f"freeze guard may take up to {FREEZE_GUARD_LAG_MINUTES} minutes to "
            + (
                "disable its window: it may run during the freeze."
                if risk.edge == "start"
                else "enable its window: it may not run."
            )
        )
    elif occurrence.approval == "awaiting approval":
        description += " Awaiting approval: it runs only if approved (patching approve) before it opens."
    rest.append(f"DESCRIPTION:{_ics_text(description)}")
    if occurrence.skipped_by is not None:
        rest.append("STATUS:CANCELLED")
    elif risk is not None:  # RFC 5545 3.8.1.11: TENTATIVE, it may or may not take place
        rest.append("STATUS:TENTATIVE")
    elif occurrence.approval is not None:  # RFC 5545 3.8.1.11: TENTATIVE until approved, then CONFIRMED
        rest.append("STATUS:TENTATIVE" if occurrence.approval == "awaiting approval" else "STATUS:CONFIRMED")
    # Escaping is character by character: the UID's prefix escaped alone is the UID's start.
    uid = _ics_text(f"{occurrence.stack}-{where}{occurrence.window}-")
    return _fold(f"SUMMARY:{_ics_text(summary)}"), uid, "\r\n".join(_fold(line) for line in rest)


@functools.lru_cache(maxsize=65536)
def _ics_span(
    start: datetime, end: datetime, start_zone: tzinfo | None, end_zone: tzinfo | None, start_fold: int, end_fold: int
) -> tuple[str, str, str, tuple[str, ...]]:
    """An event's DTSTART and DTEND lines (folded), its start in UTC as the UID writes it, and the
    TZIDs used. Cached: a fleet's windows share their times. The zones and folds are part of the
    key because aware times of one instant in two zones, or of one wall time either side of a
    DST change, are equal but written differently."""
    del start_zone, end_zone, start_fold, end_fold  # only part of the key
    lines = []
    tzids = []
    for key, moment in (("DTSTART", start), ("DTEND", end)):
        moment = _ics_time(moment)
        tzid = _tzid(moment.tzinfo)
        if tzid is None:
            lines.append(_fold(f"{key}:{_ics_value(moment)}Z"))
        else:
            tzids.append(tzid)
            lines.append(_fold(f"{key};TZID={tzid}:{_ics_value(moment)}"))
    return lines[0], lines[1], f"{_instant(start):%Y%m%dT%H%M%SZ}", tuple(tzids)


def _ics_value(moment: datetime) -> str:
    """A DATE-TIME value's digits (RFC 5545 3.3.5), seconds included."""
    return f"{moment.year:04}{moment.month:02}{moment.day:02}T{moment.hour:02}{moment.minute:02}{moment.second:02}"


def _ics_text(text: str) -> str:
    """A TEXT value escaped (RFC 5545 3.3.11)."""
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _fold(line: str, limit: int = 75) -> str:
    """A content line folded (RFC 5545 3.1) where the icalendar library folds it: before the
    character that would make a line 75 octets, never right after a backslash."""
    if line.isascii():  # one octet a character: slices, not a loop over characters
        if len(line) < limit:
            return line
        width, begin, pieces = limit - 1, 0, []
        while len(line) - begin > width:
            stop = begin + width
            if line[stop - 1] in "\\^" and width > 1:  # the folding backslash would escape it: carried over
                stop -= 1
            pieces.append(line[begin:stop])
            begin = stop
        pieces.append(line[begin:])
        return "\r\n ".join(pieces)
    parts: list[str] = []
    current: list[str] = []
    count = 0
    for char in line:
        size = len(char.encode("utf-8"))
        if current and count + size >= limit:
            if len(current) > 1 and current[-1] in "\\^":
                carried = current.pop()
                parts.append("".join(current))
                current, count = [carried], len(carried.encode("utf-8"))
            else:
                parts.append("".join(current))
                current, count = [], 0
        current.append(char)
        count += size
    if current:
        parts.append("".join(current))
    return "\r\n ".join(parts)


@functools.lru_cache(maxsize=256)
def _tzid(zone: tzinfo | None) -> str | None:
    """The TZID the icalendar library gives a zone (None: a UTC time, written with Z)."""
    from icalendar.timezone.tzid import tzid_from_tzinfo

    tzid = tzid_from_tzinfo(zone)
    return None if tzid == "UTC" else tzid


@functools.lru_cache(maxsize=256)
def _vtimezone(tzid: str, first: date, last: date) -> str:
    """The icalendar library's VTIMEZONE of a zone from ``first`` to ``last``, as content lines."""
    from icalendar import Timezone

    return Timezone.from_tzid(tzid, first_date=first, last_date=last).to_ical().decode("utf-8")


def parse_start(text: str | None) -> datetime:
    """``--start`` value: an ISO date or date-time (UTC when no offset); default now."""
    if text is None:
        return datetime.now(UTC).replace(second=0, microsecond=0)
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _with_approvals(
    config: StackConfig, found: list[tuple[float, str, str, Occurrence]]
) -> list[tuple[float, str, str, Occurrence]]:
    """The openings of approval-gated windows marked approved (their local date is approved) or
    awaiting approval; the others as they are."""
    gated = {key: set(w.approved_occurrences) for key, w in config.maintenance_windows.items() if w.requires_approval}
    if not gated:
        return found
    return [
        (
            stamp,
            kind,
            key,
            dataclasses.replace(o, approval="approved" if o.start.date() in gated[key] else "awaiting approval")
            if kind == "window" and key in gated
            else o,
        )
        for stamp, kind, key, o in found
    ]
