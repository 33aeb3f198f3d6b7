"""Approval gates (``maintenanceWindows.<k>.requiresApproval``): which dates are occurrences of a
window, and the checks of ``approvedOccurrences`` against them.

An approval names an occurrence by its local start date, in the window's own time zone and after
its ``scheduleOffset`` (the day the window really opens). The schedule arithmetic is the calendar's
(:func:`patching_components.aws.openings.schedule_starts`, DST-exact), imported when a check runs so
that loading the config model stays light.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from .sections import MaintenanceWindowConfig

Issues = list[tuple[tuple[str | int, ...], str]]

NEAREST_SEARCH_DAYS = 400
"""How far before and after a wrong date the nearest occurrences are looked for."""


def _starts(window: MaintenanceWindowConfig, first: date, last: date, limit: int | None = None) -> list[datetime]:
    """The openings of ``window`` whose local start date is in [first, last)."""
    from ..aws.openings import schedule_starts

    zone = ZoneInfo(window.timezone)
    start = datetime.combine(first, time(), zone)
    end = datetime.combine(last, time(), zone)
    return schedule_starts(window.schedule, window.timezone, start, end, window.schedule_offset or 0, limit)


def is_occurrence_date(window: MaintenanceWindowConfig, day: date) -> bool:
    """Whether ``window`` opens (local time) on ``day``."""
    return bool(_starts(window, day, day + timedelta(days=1), limit=1))


def nearest_occurrence_dates(window: MaintenanceWindowConfig, day: date) -> list[date]:
    """The last local opening date before ``day`` and the first after it (those that exist)."""
    before = _starts(window, day - timedelta(days=NEAREST_SEARCH_DAYS), day)
    after = _starts(window, day + timedelta(days=1), day + timedelta(days=NEAREST_SEARCH_DAYS), limit=1)
    return [moment.date() for moment in (before[-1:] + after)]


def not_an_occurrence(window: MaintenanceWindowConfig, day: date) -> str:
    """The message for an approval date on which ``window`` does not open."""
    nearest = nearest_occurrence_dates(window, day)
    named = " or ".join(d.isoformat() for d in nearest) if nearest else "none within a year"
    offset = f" plus scheduleOffset {window.schedule_offset} days" if window.schedule_offset else ""
    # Schedule and zone quoted: the program's errors leave a secret's quoted text out.
    return (
        f"{day.isoformat()} is not an occurrence of this window ({window.schedule!r}{offset} in "
        f"{window.timezone!r}): "
        f"the nearest are {named}; approve the local date on which the window opens"
    )


def approval_issues(window: MaintenanceWindowConfig) -> Issues:
    """requiresApproval and approvedOccurrences, checked against the window's own schedule."""
    issues: Issues = []
    approvals = window.approved_occurrences
    if not window.requires_approval:
        if approvals:
            issues.append(
                (
                    ("approvedOccurrences",),
                    "approvals apply only to a window with requiresApproval: true; "
                    "add it or remove approvedOccurrences",
                )
            )
        return issues
    if window.operation != "Install":
        issues.append(
            (
                ("requiresApproval",),
                "only an Install window can be gated (a scan changes nothing on the nodes); remove requiresApproval",
            )
        )
    if not window.schedule.startswith(("cron(", "at(")):
        issues.append(
            (
                ("requiresApproval",),
                "an approval names the date of an occurrence, and a rate() window's dates depend on when AWS created "
                "it: use a cron() or at() schedule",
            )
        )
        return issues
    for index, day in enumerate(approvals):
        if day in approvals[:index]:
            issues.append((("approvedOccurrences", index), f"{day.isoformat()} is listed twice"))
        elif not is_occurrence_date(window, day):
            issues.append((("approvedOccurrences", index), not_an_occurrence(window, day)))
    return issues


def approved_openings(
    window: MaintenanceWindowConfig, lead: timedelta | None = None
) -> list[tuple[datetime, datetime]]:
    """The spans in which the window's approval calendar is OPEN, in time order: from ``lead``
    (default APPROVAL_LEAD_MINUTES) before each approved opening until the window closes."""
    from .defaults import APPROVAL_LEAD_MINUTES

    lead = timedelta(minutes=APPROVAL_LEAD_MINUTES) if lead is None else lead
    spans = []
    for day in sorted(set(window.approved_occurrences)):
        for opening in _starts(window, day, day + timedelta(days=1)):
            spans.append((opening - lead, opening + timedelta(hours=window.duration_hours)))
    return spans
