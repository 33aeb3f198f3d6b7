"""`patching report`: the stack's maintenance windows in one region, read back (schedule, targets, task and
its settings, runs of the period) and compared with what the stack builds there, and each node's command in
the newest finished run of each of its windows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, timedelta
from typing import Any

from .. import layout
from . import report_snapshot_windows as snapshot_windows
from .aws_pages import pages
from .report_model import (
    FAILED_EXECUTIONS,
    FAILED_INVOCATIONS,
    FAILED_RUNS,
    UNFINISHED_EXECUTIONS,
    FailedInvocation,
    LastRun,
    RegionRead,
    WindowExecution,
    WindowRuns,
    when,
)


def windows(read: RegionRead) -> list[WindowRuns]:
    """Each window of the stack in the region: its targets, its task and its runs."""
    config, region, report = read.config, read.region, read.report
    names = {read.layout.window_name(key): key for key in read.layout.windows}
    same_name: dict[str, list[dict[str, Any]]] = {}
    if names:
        read.progress(f"{region}: maintenance windows")
        for identity in pages(
            read.ssm,
            "describe_maintenance_windows",
            "WindowIdentities",
            Filters=[{"Key": "Name", "Values": sorted(names)}],
        ):
            if identity.get("Name") in names:
                same_name.setdefault(names[identity["Name"]], []).append(identity)
    groups_of = config.groups_by_window()
    runs = []
    for name, key in names.items():
        identities = same_name.get(key, [])
        window_id = identities[0]["WindowId"] if len(identities) == 1 else None
        executions: list[WindowExecution] = []
        if len(identities) > 1:
            ids = ", ".join(sorted(i["WindowId"] for i in identities))
            read.gap(name, "duplicate-window", f"{len(identities)} windows named {name!r} ({ids}): delete all but one")
        elif window_id is None:
            read.gap(name, "not-deployed", f"no maintenance window named {name!r}")
        else:
            identity = identities[0]
            if identity.get("Enabled") is False and not _frozen(read) and not _gated(read, key):
                read.gap(name, "window-disabled", "disabled, and no change freeze is on now")
            read.progress(f"{region}: window {key}")
            _check_window(read, name, key, window_id, sorted(groups_of.get(key, [])), identity)
            for e in pages(
                read.ssm,
                "describe_maintenance_window_executions",
                "WindowExecutions",
                WindowId=window_id,
                Filters=[{"Key": "ExecutedAfter", "Values": [report.since.strftime("%Y-%m-%dT%H:%M:%SZ")]}],
            ):
                executions.append(
                    WindowExecution(e["WindowExecutionId"], e["Status"], e.get("StartTime"), e.get("EndTime"))
                )
            executions.sort(key=lambda e: e.start or report.since, reverse=True)
            _check_runs(read, name, key, identity, executions)
        runs.append(WindowRuns(region, key, window_id, executions))
    report.windows += runs
    return runs


def _check_runs(
    read: RegionRead, name: str, key: str, identity: dict[str, Any], executions: list[WindowExecution]
) -> None:
    """The window's last finished run failed (``window-run-failed``), or it did not run although it
    is enabled and its calendar says it opened in the period (``window-not-running``)."""
    from ..calendar import occurrences

    finished = [e for e in executions if e.status not in UNFINISHED_EXECUTIONS]
    if finished and finished[0].status in FAILED_RUNS:
        last = finished[0]
        read.gap(name, "window-run-failed", f"its last finished run ({when(last.start)}) ended {last.status}")
    # A gated window is disabled between its approved openings (its guard's state): those still count. So do a
    # window's openings outside a freeze when the freeze's guard disabled it now (``occurrences`` leaves frozen
    # openings out): being disabled now says nothing of the weeks before the freeze.
    disabled = identity.get("Enabled") is False
    if executions or (disabled and not _gated(read, key) and not _frozen(read)):
        return
    since = read.report.since
    # An opening of the last hour may not have its run listed yet: only older ones count.
    weeks = (read.now - since).days // 7 + 2
    opened = [
        o.start.astimezone(UTC)
        for o in occurrences(read.config, since, weeks, region=read.region, windows=[key])
        if o.runs
        and o.region in (read.region, None)
        and since <= o.start <= read.now - timedelta(hours=1)
        and o.approval != "awaiting approval"  # a gated window opens only on approved occurrences
    ]
    if opened:
        read.gap(
            name,
            "window-not-running",
            (
                "approval-gated, and its approved openings"
                if _gated(read, key)
                else "disabled now by a change freeze, and its schedule outside the freeze"
                if disabled
                else "enabled, and its schedule"
            )
            + f" opened it {len(opened)} time(s) since {when(since)} (last "
            f"{when(max(opened))}), but it has no run",
        )


def _frozen(read: RegionRead) -> bool:
    """Whether a change freeze of the stack is on now (its guard disables the windows then)."""
    return any(first <= read.now < last for first, last in (f.interval() for f in read.config.change_freezes.values()))


def _check_window(
    read: RegionRead, name: str, key: str, window_id: str, groups: list[str], identity: dict[str, Any]
) -> None:
    from ..components.window import window_task

    settings = layout.window_as_built(read.config, key)
    # The window as PatchWindow builds it (AWS takes a window without a time zone as UTC).
    window_differ = [
        f"{field} {got!r}, the stack says {want!r}"
        for field, got, want in (
            ("Schedule", identity.get("Schedule"), settings.schedule),
            ("ScheduleTimezone", identity.get("ScheduleTimezone") or "UTC", settings.timezone),
            ("ScheduleOffset", identity.get("ScheduleOffset"), settings.schedule_offset),
            ("Duration", identity.get("Duration"), settings.duration_hours),
            ("Cutoff", identity.get("Cutoff"), settings.cutoff_hours),
        )
        if got != want
    ]
    if window_differ:
        read.gap(name, "wrong-window", "; ".join(window_differ))

    tag = f"tag:{read.config.patch_group_tag_key}"
    targeted = sorted(
        {
            value
            for target in pages(read.ssm, "describe_maintenance_window_targets", "Targets", WindowId=window_id)
            for spec in target.get("Targets", [])
            if spec.get("Key") == tag
            for value in spec.get("Values", [])
        }
    )
    if not targeted:
        read.gap(name, "not-deployed", f"the window has no target with {tag} (expected {', '.join(groups)})")
    elif targeted != groups:
        read.gap(name, "wrong-targets", f"targets {', '.join(targeted)}; the stack says {', '.join(groups)}")
    if snapshot_windows.builds_automation_task(read, key):  # snapshotBeforeInstall: the runbook's task
        snapshot_windows.check_task(read, name, key, window_id, _task_settings)
        return
    expected = window_task(settings)
    tasks = list(pages(read.ssm, "describe_maintenance_window_tasks", "Tasks", WindowId=window_id))
    if not tasks:
        read.gap(name, "not-deployed", f"the window has no task (expected {expected.document})")
        return
    problems = []
    for task in tasks:
        if task.get("TaskArn") != expected.document:
            problems.append(f"runs {task.get('TaskArn')}, the stack says {expected.document}")
            continue
        got = read.ssm.get_maintenance_window_task(WindowId=window_id, WindowTaskId=task["WindowTaskId"])
        parameters = got.get("TaskInvocationParameters", {}).get("RunCommand", {}).get("Parameters", {})
        differ = [
            f"{p} {parameters.get(p, ['(none)'])[0]}, the stack says {expected.parameters[p][0]}"
            for p in sorted(expected.parameters)
            if parameters.get(p) != expected.parameters[p]
        ]
        differ += _task_settings(read, got, settings)
        if not differ:
            return  # one task as the stack builds it
        problems.append("; ".join(differ))
    read.gap(name, "wrong-task", "; ".join(problems))


def _task_settings(read: RegionRead, got: dict[str, Any], settings: Any) -> list[str]:
    """What differs in a task's settings from what PatchWindow builds (window.py), besides its parameters."""
    from ..components.window import delivery_timeout_seconds

    command = got.get("TaskInvocationParameters", {}).get("RunCommand", {})
    expected: list[tuple[str, Any, Any]] = [
        ("CutoffBehavior", got.get("CutoffBehavior"), settings.cutoff_behavior),
        ("MaxConcurrency", got.get("MaxConcurrency"), str(settings.max_concurrency)),
        ("MaxErrors", got.get("MaxErrors"), str(settings.max_errors)),
        ("TimeoutSeconds", command.get("TimeoutSeconds"), delivery_timeout_seconds(settings)),
    ]
    differ = [f"{field} {have!r}, the stack says {want!r}" for field, have, want in expected if have != want]
    if not got.get("ServiceRoleArn"):
        differ.append("no service role, the stack gives the window's role")
    notifications = read.config.notifications
    notified = command.get("NotificationConfig") or {}
    if notifications is not None and (notifications.emails or notifications.sns_topic_arn):
        events, kind = sorted(notified.get("NotificationEvents") or []), notified.get("NotificationType")
        if not notified.get("NotificationArn"):
            differ.append("no notifications, the stack notifies on " + ", ".join(notifications.events))
        elif events != sorted(notifications.events) or kind != notifications.notification_type:
            differ.append(
                f"notifies {kind} on {', '.join(events) or '(none)'}, the stack says "
                f"{notifications.notification_type} on {', '.join(sorted(notifications.events))}"
            )
    elif notified.get("NotificationArn"):
        differ.append("notifies an SNS topic, the stack sends no notifications")
    return differ


def last_runs(read: RegionRead, windows: list[WindowRuns], online_in: dict[str, set[str]]) -> dict[str, list[LastRun]]:
    """Each node's command in the newest finished run of each of its windows that sent it one
    (newest first), and the failed instances of every failed run of the period. Runs not finished
    (pending, in progress) or skipped as overlapping say nothing about a node: older runs are read
    until every online node of the window's patch groups has its command, or none is left."""
    found: dict[str, list[LastRun]] = {}
    groups_by_window = read.config.groups_by_window()
    for runs in windows:
        waiting = set().union(*(online_in.get(g, set()) for g in groups_by_window.get(runs.window, [])))
        seen: set[str] = set()
        drilled = False
        for execution in runs.executions:
            if execution.status in UNFINISHED_EXECUTIONS:
                continue
            if drilled and execution.status not in FAILED_EXECUTIONS and waiting <= seen:
                continue
            drilled = True
            for command in _invocations(read, execution.execution_id, runs.window):
                status, details = command.get("Status", ""), command.get("StatusDetails", "")
                iid = command["InstanceId"]
                if status in FAILED_INVOCATIONS:
                    execution.failed.append(FailedInvocation(iid, status, details, command["CommandId"]))
                if iid not in seen:
                    seen.add(iid)
                    found.setdefault(iid, []).append(
                        LastRun(runs.window, execution.execution_id, execution.start, status, details)
                    )
    for listed in found.values():
        listed.sort(key=lambda run: run.start or read.report.since, reverse=True)
    return found


def _invocations(read: RegionRead, execution_id: str, key: str) -> Iterable[dict[str, Any]]:
    """The per-instance command invocations of a window execution: task -> its Run Command
    invocations -> the command's per-instance invocations; for a window with snapshotBeforeInstall,
    its Automation task's per-node runs (report_snapshot_windows.py)."""
    automation = snapshot_windows.builds_automation_task(read, key)
    for task in pages(
        read.ssm,
        "describe_maintenance_window_execution_tasks",
        "WindowExecutionTaskIdentities",
        WindowExecutionId=execution_id,
    ):
        if automation and task.get("TaskType") == "AUTOMATION":
            window = read.layout.window_name(key)
            yield from snapshot_windows.node_invocations(read, window, execution_id, task["TaskExecutionId"])
            continue
        if task.get("TaskType") != "RUN_COMMAND":
            continue
        for invocation in pages(
            read.ssm,
            "describe_maintenance_window_execution_task_invocations",
            "WindowExecutionTaskInvocationIdentities",
            WindowExecutionId=execution_id,
            TaskId=task["TaskExecutionId"],
        ):
            command_id = invocation.get("ExecutionId")
            if command_id:
                yield from pages(read.ssm, "list_command_invocations", "CommandInvocations", CommandId=command_id)


def _gated(read: RegionRead, key: str) -> bool:
    """Whether the window is approval-gated (``requiresApproval``): created disabled, its guard enables it
    around approved openings only, so being disabled now is its normal state."""
    return read.config.maintenance_windows[key].requires_approval
