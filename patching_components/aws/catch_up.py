"""Catch-up for missed windows: whether a node that has just started is patched now.

This module's source is embedded as it is in the catch-up runbook's ``decide`` step
(documents/catch-up.yaml, ``aws:executeScript``), and the unit tests import it: one decision, tested
over its whole truth table (tests/test_catch_up.py) and run by Automation. So it uses the standard
library only and no name of the package.
"""

from __future__ import annotations

from datetime import datetime, timedelta

BREAKER_TAG = "PatchingCircuitBreaker"
"""The circuit breaker's mark on a window it disabled (its value: the alarm)."""
CAUGHT_UP_TAG = "PatchingCaughtUp"
"""The runbook's mark on a node it patched: the time (ISO 8601, UTC) it decided to, read by ``patching report``."""
CALENDAR_STATES = ("OPEN", "CLOSED")
PATCH_DOCUMENTS = ("AWS-RunPatchBaseline", "AWS-RunPatchBaselineWithHooks")
"""A command of these still executing on the node (its window's, patch-now's, another catch-up's) is patching it."""


def decide(
    *,
    window_enabled: bool,
    window_tags: dict[str, str],
    calendar_state: str | None,
    command_running: bool,
    last_operation: str | None,
    last_operation_end: datetime | None,
    missing_count: int,
    now: datetime,
    max_age_days: int,
) -> tuple[bool, str]:
    """(patch now?, why), in one sentence for the run's output.

    ``calendar_state``: ``GetCalendarState`` over the runbook's calendars (OPEN only when all are), None
    when it has none. ``command_running``: a patch command (``PATCH_DOCUMENTS``) is still executing on the
    node (``ListCommands``, ExecutionStage Executing): its window opened as it started, or this runbook was
    started twice for one start (EventBridge delivers at least once). ``last_operation``,
    ``last_operation_end``, ``missing_count``: the node's patch state (``DescribeInstancePatchStates``),
    None, None, 0 when it has none (never patched: due). The last operation is the last Scan or Install:
    after an Install the node is due when it ended more than ``max_age_days`` ago; after a Scan (which does
    not say when it last installed) when that scan is that old or found missing patches. Anything else (an
    unknown state or operation, a time without a zone) raises: the run fails, nothing is sent.
    """
    if calendar_state is not None and calendar_state not in CALENDAR_STATES:
        raise ValueError(f"unexpected calendar state {calendar_state!r}")
    if last_operation not in (None, "Scan", "Install"):
        raise ValueError(f"unexpected patch operation {last_operation!r}")
    if (last_operation is None) != (last_operation_end is None):
        raise ValueError("a patch state needs both its operation and its end time")
    if now.tzinfo is None or (last_operation_end is not None and last_operation_end.tzinfo is None):
        raise ValueError("times must carry their zone")
    if not window_enabled:
        return False, "the window is disabled: not patched"
    if BREAKER_TAG in window_tags:
        return False, f"the circuit breaker has tripped ({window_tags[BREAKER_TAG]}): not patched"
    if calendar_state == "CLOSED":
        return False, "a change calendar is CLOSED (a freeze, or an occurrence not approved): not patched"
    if command_running:
        return False, "a patch command is already running on the node: not patched twice"
    if last_operation is None or last_operation_end is None:
        return True, "no patch state: never patched, patched now"
    age = now - last_operation_end
    old = age > timedelta(days=max_age_days)
    when = f"{last_operation_end.isoformat()} ({age.days} days ago; maxAgeDays {max_age_days})"
    if last_operation == "Install":
        if old:
            return True, f"last install ended {when}: patched now"
        return False, f"last install ended {when}: not due"
    if old:
        return True, f"last operation a scan that ended {when}: patched now"
    if missing_count > 0:
        return True, f"last scan ({when}) found {missing_count} missing patches: patched now"
    return False, f"last scan ended {when} and found nothing missing: not due"
