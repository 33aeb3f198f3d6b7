"""Advance notices and post-window summaries: what they read from AWS and how they read to the customer.

One module for both places that send or show them: its source is embedded, whole, in the Automation
runbooks ``documents/advance-notice.yaml`` and ``documents/window-summary.yaml`` (CustomerNotices puts it
in their ``aws:executeScript`` steps), and ``patching notice`` imports it. So it uses the standard
library only, takes its AWS clients as arguments (boto3's, or the test's), and never imports the
package it ships in.

The settings a runbook gets (parameter ``Settings``, JSON; :func:`settings` builds them from the stack):
``{"customer", "region", "hours", "calendar", "tagKey", "scanOnly", "windows": [{"id", "key", "name",
"timezone", "durationHours", "cutoffHours", "operation", "rebootOption", "patchGroups", "approvalCalendar",
"ringNote", "promotion"}]}`` (``promotion``: the ring promotion task's document, or "").
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

NOTICE_TAG = "PatchingNotice"
"""On a window: the opening (UTC, ``2026-12-05T01:00Z``) its advance notice was sent for (the de-duplication record)."""
BREAKER_TAG = "PatchingCircuitBreaker"
"""On a window the circuit breaker disabled (value: the alarm's name); only `patching resume` removes it."""
CHECK_EVERY = timedelta(hours=1)
"""How often the advance-notice runbook runs (its State Manager association: ``rate(1 hour)``)."""

# The report's definitions (patching_components/tools/report_model.py; a test keeps them equal).
FAILED_INVOCATIONS = frozenset({"Failed", "TimedOut", "Cancelled", "Cancelling"})
CANCELLED_INVOCATIONS = frozenset({"Cancelled", "Cancelling"})
PATCH_STATE_IDS = 50
"""DescribeInstancePatchStates takes at most 50 instance ids (botocore's model)."""
NODE_STATES = ["pending", "running", "stopping", "stopped"]
"""The EC2 states of a node a window may patch (terminated and shutting-down ones are gone)."""
TERMINAL_STATUSES = ("SUCCESS", "FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED_OVERLAPPING")
"""Maintenance window execution statuses after which nothing more runs (MaintenanceWindowExecutionStatus)."""

# How the report reads a snapshot-then-install window's runs (patching_components/tools/report_snapshot_windows.py;
# a test keeps these equal to its definitions and these functions' results equal to its own).
AUTOMATION_STATUS = {
    "SUCCESS": "Success",
    "FAILED": "Failed",
    "TIMED_OUT": "TimedOut",
    "CANCELLED": "Cancelled",
    "CANCELLING": "Cancelling",
    "PENDING": "Pending",
    "IN_PROGRESS": "InProgress",
    "SKIPPED_OVERLAPPING": "Cancelled",
}
"""A window invocation's Status as the command status a Run Command window's node has."""
FAILED_STEPS = frozenset({"Failed", "TimedOut", "Cancelled"})
STEP_MEANING = {
    "snapshotVolumes": "pre-patch snapshot failed, so the node was NOT patched",
    "installPatches": "the patch command failed after the pre-patch snapshot",
    "checkSnapshots": "patched, but its pre-patch snapshot failed afterwards: no restore point",
    "deleteExpiredSnapshots": "patched, but expired pre-patch snapshots were not deleted",
}
"""The snapshot-then-install runbook's steps (documents/snapshot-install.yaml) and what a failure of each means."""
NODE_ID = re.compile(r"^m?i-[0-9a-f]{8,17}$")
"""A node id as the report recognises one in an invocation's parameters."""


# -- times --------------------------------------------------------------------------------------


def parse_time(text: str) -> datetime:
    """An ISO-8601 time as AWS writes it (``2026-12-05T01:00Z``, ``...+09:00``), aware, in UTC."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def local_span(start: datetime, timezone: str, duration_hours: int) -> tuple[datetime, datetime]:
    """The window's opening and end in its own time zone: elapsed hours, as AWS counts a duration
    (a window across a DST change is as long as configured)."""
    zone = ZoneInfo(timezone)
    begin = start.astimezone(UTC)
    return begin.astimezone(zone), (begin + timedelta(hours=duration_hours)).astimezone(zone)


def local_text(moment: datetime) -> str:
    """``Sat 2026-12-05 02:00 CET (UTC+01:00)``: local wall time with its zone and offset."""
    offset = moment.strftime("%z")
    return f"{moment:%a %Y-%m-%d %H:%M} {moment:%Z} (UTC{offset[:3]}:{offset[3:]})"


def utc_key(moment: datetime) -> str:
    """The de-duplication record of one opening: ``2026-12-05T01:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


# -- what a notice says applies -----------------------------------------------------------------


def applies_lines(facts: dict[str, Any]) -> list[str]:
    """THE place for what applies to one opening: one line per rule that may stop or limit it.

    ``facts``: ``frozen`` (True/False, None: no calendar), ``approved`` (the window's approval calendar
    OPEN at the opening; None: no approval gate), ``enabled`` (the window's Enabled now), ``breaker`` (the
    alarm named by the window's ``PatchingCircuitBreaker`` tag, "" without), ``ring`` (the window's patch ring
    note, "" without), ``scanOnly``. A new rule that
    may stop an opening adds its fact in :func:`notice_facts` and a line here.
    """
    lines = []
    frozen = facts.get("frozen")
    if frozen is None:
        lines.append("Change freeze: none configured.")
    elif frozen:
        lines.append("Change freeze: APPLIES - the window falls in a change freeze and will not run.")
    else:
        lines.append("Change freeze: does not apply (the freeze calendar is OPEN at the opening).")
    approved = facts.get("approved")
    if approved:
        lines.append("Approval gate: this opening is approved.")
    elif approved is False:
        lines.append(
            "Approval gate: AWAITING APPROVAL - the window will not run unless this opening is approved "
            "(`patching approve`) before it opens."
        )
    if facts.get("ring"):
        lines.append(facts["ring"])
    if facts.get("breaker"):
        lines.append(
            f"Circuit breaker: TRIPPED by alarm {facts['breaker']} - the window stays disabled until "
            "`patching resume` (it will not run)."
        )
    elif facts.get("enabled") is False and not frozen and approved is None:  # a gate keeps it disabled until then
        lines.append("Window: DISABLED now - it will not run unless it is enabled before it opens.")
    return lines


# -- the advance notice -------------------------------------------------------------------------


def render_notice(
    window: dict[str, Any], start: datetime, nodes: list[dict[str, str]], facts: dict[str, Any], *, late: str = ""
) -> tuple[str, str]:
    """(subject, message) of the notice of one opening of ``window`` (its settings) at ``start``."""
    opens, closes = local_span(start, window["timezone"], int(window["durationHours"]))
    cutoff = closes - timedelta(hours=int(window["cutoffHours"]))
    installs = window["operation"] == "Install" and not facts.get("scanOnly")
    reboots = installs and window.get("rebootOption", "RebootIfNeeded") == "RebootIfNeeded"
    subject = f"Patching notice: {window['name']} opens {opens:%a %Y-%m-%d %H:%M %Z}"
    lines = [
        f"Maintenance window {window['key']} ({window['name']}) of {facts.get('customer', '')}"
        + (f" in {facts['region']}" if facts.get("region") else "")
        + " opens soon.",
        "",
        f"Opens:   {local_text(opens)}",
        f"Cutoff:  {local_text(cutoff)} (no node starts patching after it)",
        f"Ends:    {local_text(closes)}",
        f"Time zone: {window['timezone']}",
        "",
    ]
    if installs:
        lines.append("Operation: Install - security updates approved by the baselines are installed.")
        lines.append(
            "Reboots: nodes MAY REBOOT when an update needs it (RebootIfNeeded)."
            if reboots
            else "Reboots: none (NoReboot) - updates that need a restart stay pending until the nodes restart."
        )
    elif window["operation"] == "Install":
        lines.append("Operation: Scan only (the stack is in scan-only mode): nothing is installed, no node reboots.")
    else:
        lines.append("Operation: Scan - nothing is installed, no node reboots.")
    lines += ["", "Applies:"] + [f"- {line}" for line in applies_lines(facts)]
    lines += ["", f"Nodes ({len(nodes)}) in patch groups {', '.join(window['patchGroups'])}:"]
    if not nodes:
        lines.append("- none: no running or stopped instance carries these patch groups")
    for node in nodes:
        stopped = " - stopped: skipped unless started" if node.get("state") in ("stopped", "stopping") else ""
        lines.append(f"- {node['id']}  {node.get('name') or '(no Name tag)'}  [{node['group']}]{stopped}")
    if late:
        lines += ["", late]
    return subject, "\n".join(lines) + "\n"


def tagged_nodes(ec2: Any, tag_key: str, groups: list[str]) -> list[dict[str, str]]:
    """The instances carrying one of ``groups`` in ``tag_key`` (id, Name tag, patch group, state), by id."""
    found = []
    request: dict[str, Any] = {
        "Filters": [
            {"Name": f"tag:{tag_key}", "Values": list(groups)},
            {"Name": "instance-state-name", "Values": NODE_STATES},
        ]
    }
    while True:
        page = ec2.describe_instances(**request)
        for reservation in page.get("Reservations", []):
            for instance in reservation.get("Instances", []):
                tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
                found.append(
                    {
                        "id": instance["InstanceId"],
                        "name": tags.get("Name", ""),
                        "group": tags.get(tag_key, ""),
                        "state": instance.get("State", {}).get("Name", ""),
                    }
                )
        if not page.get("NextToken"):
            return sorted(found, key=lambda n: n["id"])
        request["NextToken"] = page["NextToken"]


def openings(ssm: Any, window_id: str, now: datetime, until: datetime) -> list[datetime]:
    """The window's openings after ``now``, as Systems Manager schedules them (cron with L, #,
    scheduleOffset and DST included), oldest first: every one up to ``until`` and the first after it."""
    found: list[datetime] = []
    request: dict[str, Any] = {"WindowId": window_id}
    while True:
        page = ssm.describe_maintenance_window_schedule(**request)
        found += [parse_time(e["ExecutionTime"]) for e in page.get("ScheduledWindowExecutions", [])]
        upcoming = sorted(t for t in found if t > now)
        if not page.get("NextToken") or (upcoming and upcoming[-1] > until):
            return [t for t in upcoming if t <= until] + [t for t in upcoming if t > until][:1]
        request["NextToken"] = page["NextToken"]


def next_opening(ssm: Any, window_id: str, now: datetime) -> datetime | None:
    """The window's next opening after ``now``; None when Systems Manager schedules none."""
    found = openings(ssm, window_id, now, now)
    return found[0] if found else None


def frozen_at(ssm: Any, calendar: str, start: datetime) -> bool | None:
    """Whether ``calendar`` (the freeze calendar, or a window's approval calendar) is CLOSED at ``start``
    (None without a calendar)."""
    if not calendar:
        return None
    state = ssm.get_calendar_state(CalendarNames=[calendar], AtTime=utc_key(start))["State"]
    if state not in ("OPEN", "CLOSED"):
        raise ValueError(f"calendar {calendar}: unexpected state {state!r}")
    return state == "CLOSED"


def notice_facts(
    ssm: Any, config: dict[str, Any], window: dict[str, Any], start: datetime, tags: dict[str, str]
) -> dict[str, Any]:
    """What applies to one opening (see :func:`applies_lines`); ``tags``: the window's."""
    return {
        "breaker": tags.get(BREAKER_TAG, ""),
        "customer": config.get("customer", ""),
        "region": config.get("region", ""),
        "scanOnly": bool(config.get("scanOnly")),
        "frozen": frozen_at(ssm, config.get("calendar", ""), start),
        "ring": window.get("ringNote", ""),
        "approved": None
        if not window.get("approvalCalendar")
        else not frozen_at(ssm, window["approvalCalendar"], start),
        "enabled": ssm.get_maintenance_window(WindowId=window["id"]).get("Enabled"),
    }


def window_tags(ssm: Any, window_id: str) -> dict[str, str]:
    """A window's tags (the notice record, the circuit breaker's mark)."""
    found = ssm.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=window_id)
    return {t["Key"]: t["Value"] for t in found.get("TagList", [])}


def notice_due(start: datetime, now: datetime, hours: int) -> str | None:
    """Whether the notice of an opening at ``start`` is due at ``now``: "due", "late" (a check
    after the first one of the notice span was missed), or None (too early, or it has opened)."""
    slot = start - timedelta(hours=hours)
    if now < slot or now >= start:
        return None
    return "late" if now >= slot + CHECK_EVERY else "due"


def advance_notices(ssm: Any, ec2: Any, sns: Any, topic: str, config: dict[str, Any], now: datetime) -> dict[str, Any]:
    """One check of the runbook: send the notice of each window whose opening is due and not noticed
    yet, then record it on the window. Every window on its own; the ones that failed are listed."""
    sent, waiting, failed = [], [], []
    for window in config["windows"]:
        if not window.get("notice", True):
            continue  # a scan window: no notice
        try:
            hours = int(config["hours"])
            upcoming = openings(ssm, window["id"], now, now + timedelta(hours=hours))
            due = [(start, notice_due(start, now, hours)) for start in upcoming]
            due = [(start, when) for start, when in due if when is not None]
            if not due:
                waiting.append(f"{window['key']}: " + (f"opens {utc_key(upcoming[0])}" if upcoming else "no opening"))
                continue
            tags = window_tags(ssm, window["id"])
            recorded = tags.get(NOTICE_TAG, "")
            for start, when in due:
                # The record is the latest opening noticed (utc_key sorts as time does): each once, in order.
                if recorded and utc_key(start) <= recorded:
                    waiting.append(f"{window['key']}: noticed {utc_key(start)}")
                    continue
                facts = notice_facts(ssm, config, window, start, tags)
                nodes = tagged_nodes(ec2, config["tagKey"], window["patchGroups"])
                late = ""
                if when == "late":
                    slot = local_span(start - timedelta(hours=hours), window["timezone"], 0)[0]
                    late = f"This notice is late: it was due at {local_text(slot)}."
                subject, message = render_notice(window, start, nodes, facts, late=late)
                sns.publish(TopicArn=topic, Subject=subject[:100], Message=message)
                # Recorded after it was sent: a record that fails costs a second notice, never none.
                ssm.add_tags_to_resource(
                    ResourceType="MaintenanceWindow",
                    ResourceId=window["id"],
                    Tags=[{"Key": NOTICE_TAG, "Value": utc_key(start)}],
                )
                recorded = utc_key(start)
                sent.append(f"{window['key']}: {utc_key(start)}")
        except Exception as error:
            failed.append(f"{window['key']} ({window['id']}): {error}")
    return {"Sent": sent, "Waiting": waiting, "Failed": failed}


def utc_now() -> datetime:
    """The clock of a run (a test's runner sets its own)."""
    return datetime.now(UTC)


def topic_region(topic_arn: str) -> str:
    """The region of an SNS topic ARN (``arn:aws:sns:<region>:<account>:<name>``): SNS publishes there only."""
    return topic_arn.split(":")[3]


def advance_notice_handler(events: dict[str, Any], context: Any) -> dict[str, Any]:
    """The runbook's step: its InputPayload is ``{"Settings": JSON, "Topic": ARN}``."""
    import boto3

    ssm = boto3.client("ssm")
    ec2 = boto3.client("ec2")
    sns = boto3.client("sns", region_name=topic_region(events["Topic"]))
    config = json.loads(events["Settings"])
    config["region"] = config.get("region") or events.get("Region", "")  # the runbook's own region
    return advance_notices(ssm, ec2, sns, events["Topic"], config, utc_now())


# -- the summary after a window ran -------------------------------------------------------------


def _pages(call: Any, key: str, **request: Any) -> list[Any]:
    items: list[Any] = []
    while True:
        page = call(**request)
        items += page.get(key, [])
        if not page.get("NextToken"):
            return items
        request["NextToken"] = page["NextToken"]


def window_run(ssm: Any, ec2: Any, config: dict[str, Any], window_id: str, execution_id: str) -> dict[str, Any]:
    """What one execution of window ``window_id`` did to each node; every read that failed is listed in
    ``unread``."""
    run: dict[str, Any] = {
        "windowId": window_id,
        "executionId": execution_id,
        "commands": {},
        "pendingReboot": [],
        "reasons": {},
        "unread": [],
    }
    try:
        execution = ssm.get_maintenance_window_execution(WindowExecutionId=execution_id)
        run.update(status=execution.get("Status", ""), start=execution.get("StartTime"), end=execution.get("EndTime"))
    except Exception as error:
        run["unread"].append(f"the window execution: {error}")
    by_id = {w["id"]: w for w in config["windows"]}
    window = by_id.get(run.get("windowId", ""))
    run["window"] = window
    try:
        tasks = _pages(
            lambda **r: ssm.describe_maintenance_window_execution_tasks(**r),
            "WindowExecutionTaskIdentities",
            WindowExecutionId=execution_id,
        )
    except Exception as error:
        run["unread"].append(f"the execution's tasks: {error}")
        tasks = []
    promotion = (window or {}).get("promotion")
    if promotion:
        run["promotion"] = "did not run, nothing newer installed"
    for task in tasks:
        if task.get("TaskType") not in ("RUN_COMMAND", "AUTOMATION"):
            continue
        if promotion and task.get("TaskArn", "").split("/")[-1] == promotion:  # its name, or the document's ARN
            run["promotion"] = promotion_result(ssm, run, execution_id, task)
            continue
        try:
            invocations = _pages(
                lambda **r: ssm.describe_maintenance_window_execution_task_invocations(**r),
                "WindowExecutionTaskInvocationIdentities",
                WindowExecutionId=execution_id,
                TaskId=task["TaskExecutionId"],
            )
        except Exception as error:
            run["unread"].append(f"the invocations of task {task['TaskExecutionId']}: {error}")
            continue
        if task.get("TaskType") == "AUTOMATION":  # snapshotBeforeInstall: the snapshot-then-install runbook per node
            automation_results(ssm, run, invocations)
            continue
        for invocation in invocations:
            command_id = invocation.get("ExecutionId")
            if not command_id:
                continue
            try:
                for command in _pages(
                    lambda **r: ssm.list_command_invocations(**r), "CommandInvocations", CommandId=command_id
                ):
                    run["commands"][command["InstanceId"]] = command.get("Status", "")
            except Exception as error:
                run["unread"].append(f"the per-node results of command {command_id}: {error}")
    ids = sorted(run["commands"])
    for i in range(0, len(ids), PATCH_STATE_IDS):
        try:
            states = _pages(
                lambda **r: ssm.describe_instance_patch_states(**r), "InstancePatchStates", InstanceIds=ids[i : i + 50]
            )
            run["pendingReboot"] += [s["InstanceId"] for s in states if s.get("InstalledPendingRebootCount", 0) > 0]
        except Exception as error:
            run["unread"].append(f"the patch states of {len(ids[i : i + 50])} nodes: {error}")
    run["nodes"] = []
    if window is not None:
        try:
            run["nodes"] = tagged_nodes(ec2, config["tagKey"], window["patchGroups"])
        except Exception as error:
            run["unread"].append(f"the nodes of patch groups {', '.join(window['patchGroups'])}: {error}")
    return run


def promotion_result(ssm: Any, run: dict[str, Any], execution_id: str, task: dict[str, Any]) -> str:
    """What a later ring's promotion task did (documents/ring-promotion.yaml), for a line of its own, from its
    Automation execution's step outputs; a failed read is listed unread."""
    status, task_id = task.get("Status", ""), task.get("TaskExecutionId", "")
    try:
        invocations = _pages(
            lambda **r: ssm.describe_maintenance_window_execution_task_invocations(**r),
            "WindowExecutionTaskInvocationIdentities",
            WindowExecutionId=execution_id,
            TaskId=task_id,
        )
        automation_id = next(i["ExecutionId"] for i in invocations if i.get("ExecutionId"))
        execution = ssm.get_automation_execution(AutomationExecutionId=automation_id)["AutomationExecution"]
    except Exception as error:  # StopIteration: no invocation names its Automation execution
        run["unread"].append(f"the ring promotion task {task_id}: {error!r}")
        return f"task {status}, not read"
    steps = execution.get("StepExecutions") or []
    outputs = {step.get("StepName"): step.get("Outputs") or {} for step in steps}
    ended, where = execution.get("AutomationExecutionStatus", ""), f"(Automation execution {automation_id})"
    assess = outputs.get("assess", {})
    decision = (assess.get("Decision") or [""])[0]
    if decision == "REFUSE":
        return f"REFUSED, nothing new installed {where}: " + "; ".join(assess.get("Reasons") or [])
    if ended == "Success" and decision == "CURRENT":  # the same soaked installs as the last promotion
        return (
            f"unchanged, cut-off {(assess.get('InForce') or ['?'])[0]} (promoted from the same installs before) {where}"
        )
    if ended == "Success":  # a refusal or a failure ends Failed
        # FORCED: an operator accepted what the runbook refused (`patching promote --force`).
        forced = " (FORCED over a refusal)" if str((assess.get("Forced") or [""])[0]).lower() == "true" else ""
        return f"promoted{forced}, cut-off {(outputs.get('writeOverride', {}).get('Cutoffs') or ['?'])[0]} {where}"
    failed = [f"{s.get('StepName')}: {s.get('FailureMessage')}" for s in steps if s.get("StepStatus") in FAILED_STEPS]
    return f"{ended}, nothing newer installed {where}" + (f": step {failed[0]}" if failed else "")


def invocation_node(parameters: str | None) -> str | None:
    """The node an Automation task's invocation ran on: ``InstanceId`` in the parameters it was started with
    (a JSON string), as the report reads it."""
    try:
        loaded = json.loads(parameters or "")
    except ValueError:
        return None
    return node_of(loaded) if isinstance(loaded, dict) else None


def node_of(parameters: dict[str, Any]) -> str | None:
    """``InstanceId`` (one node id) at the top of ``parameters`` or in a nested parameter map."""
    for name, value in parameters.items():
        if name.lower() == "instanceid":
            values = value if isinstance(value, list) else [value]
            if len(values) == 1 and isinstance(values[0], str) and NODE_ID.match(values[0]):
                return values[0]
            return None
    for value in parameters.values():
        if isinstance(value, dict) and (found := node_of(value)) is not None:
            return found
    return None


def automation_failure(execution: dict[str, Any], status: str, details: str) -> tuple[str, str]:
    """The status and reason of a snapshot-then-install run that did not succeed, from its first failed step
    (GetAutomationExecution), as the report tells them."""
    automation_id = execution.get("AutomationExecutionId", "")
    for step in execution.get("StepExecutions") or []:
        if step.get("StepStatus") not in FAILED_STEPS or step.get("StepName") not in STEP_MEANING:
            continue
        name, why = step["StepName"], step.get("FailureMessage") or step.get("StepStatus")
        if name == "installPatches":
            outputs = step.get("Outputs") or {}
            command = (outputs.get("CommandId") or [""])[0]
            command_status = (outputs.get("Status") or [""])[0]
            if command_status in ("Failed", "TimedOut", "Cancelled", "Cancelling"):
                status = command_status
            return status, f"{STEP_MEANING[name]} (command {command or '?'} {command_status or '?'}): {why}"
        return "Failed", f"{STEP_MEANING[name]} (Automation execution {automation_id}): {why}"
    ended = execution.get("AutomationExecutionStatus", status)
    return status, f"Automation execution {automation_id} ended {ended}" + (f": {details}" if details else "")


def automation_results(ssm: Any, run: dict[str, Any], invocations: list[dict[str, Any]]) -> None:
    """Each node of one Automation task (a snapshot-then-install window: one runbook run per node) into
    ``run["commands"]`` (the Run Command status it counts as) and, for a run that did not succeed, its reason
    into ``run["reasons"]``. The fewest calls: GetAutomationExecution only for a run that did not succeed or
    whose node its parameters do not name; a run whose node cannot be told is listed unread."""
    for invocation in invocations:
        status = invocation.get("Status", "")
        automation_id = invocation.get("ExecutionId")
        node = invocation_node(invocation.get("Parameters"))
        shown, details = AUTOMATION_STATUS.get(status, status), invocation.get("StatusDetails", "")
        execution: dict[str, Any] | None = None
        if automation_id and (node is None or status != "SUCCESS"):
            try:
                execution = ssm.get_automation_execution(AutomationExecutionId=automation_id)["AutomationExecution"]
                node = node or node_of(execution.get("Parameters") or {})
            except Exception as error:
                run["unread"].append(f"the Automation execution {automation_id} (node {node or 'unknown'}): {error}")
        if node is None:
            if execution is not None or not automation_id:
                run["unread"].append(
                    f"the node of invocation {invocation.get('InvocationId')} ({status}, Automation execution "
                    f"{automation_id or '(none)'}): its run names no node"
                )
            continue
        if execution is not None:
            shown, details = automation_failure(execution, shown, details)
        run["commands"][node] = shown
        if shown != "Success":
            run["reasons"][node] = details or f"run {automation_id} {status}"


def summary_counts(run: dict[str, Any]) -> dict[str, list[str]]:
    """The nodes of one run by outcome, as ``patching report`` defines them."""
    counts: dict[str, list[str]] = {
        "patched": [],
        "failed": [],
        "cancelled": [],
        "pendingReboot": sorted(run["pendingReboot"]),
        "skippedStopped": [],
        "notReached": [],
        "unfinished": [],
    }
    for node, status in sorted(run["commands"].items()):
        if status == "Success":
            counts["patched"].append(node)
        elif status in CANCELLED_INVOCATIONS:
            counts["cancelled"].append(node)
        elif status in FAILED_INVOCATIONS:
            counts["failed"].append(node)
        else:
            counts["unfinished"].append(node)
    for node in run.get("nodes", []):
        if node["id"] in run["commands"]:
            continue
        stopped = node["state"] in ("stopped", "stopping")
        counts["skippedStopped" if stopped else "notReached"].append(node["id"])
    return counts


SUMMARY_LINES = (
    ("patched", "Patched (command succeeded)"),
    ("failed", "Failed or timed out"),
    ("cancelled", "Cancelled at the cutoff (may be half-patched)"),
    ("pendingReboot", "Pending reboot (installed, not in effect until restarted)"),
    ("skippedStopped", "Skipped: stopped"),
    ("notReached", "Not reached (running, but no command: offline or not managed)"),
    ("unfinished", "Still running when the window ended"),
)


def render_summary(config: dict[str, Any], run: dict[str, Any]) -> tuple[str, str]:
    """(subject, message) of the summary of one window execution."""
    window = run.get("window") or {}
    name = window.get("name") or run.get("windowId") or "unknown window"
    counts = summary_counts(run)
    status = run.get("status") or "UNKNOWN"
    subject = f"Patching summary: {name} {status}" + (" - INCOMPLETE" if run["unread"] else "")
    if run.get("promotion", "").startswith("REFUSED"):
        subject += " - ring promotion refused"
    where = f" in {config['region']}" if config.get("region") else ""
    lines = [
        f"Maintenance window {window.get('key', name)} ({name}) of {config.get('customer', '')}{where} ran: {status}."
    ]
    if window and run.get("start"):
        zone = window["timezone"]
        start = run["start"] if isinstance(run["start"], datetime) else parse_time(str(run["start"]))
        lines.append(f"Started: {local_text(start.astimezone(ZoneInfo(zone)))}")
        if run.get("end"):
            end = run["end"] if isinstance(run["end"], datetime) else parse_time(str(run["end"]))
            lines.append(f"Ended:   {local_text(end.astimezone(ZoneInfo(zone)))}")
    lines.append(f"Execution: {run['executionId']}")
    if run.get("promotion"):
        lines.append(f"Ring promotion: {run['promotion']}")
    lines.append("")
    for key, label in SUMMARY_LINES:
        lines.append(f"{label}: {len(counts[key])}" + (f"  {', '.join(counts[key])}" if counts[key] else ""))
    reasons = run.get("reasons") or {}
    if reasons:
        lines += ["", "Why (snapshot-then-install runs that did not succeed):"]
        lines += [f"- {node}: {reasons[node]}" for node in sorted(reasons)]
    if run["unread"]:
        lines += ["", "INCOMPLETE - could not read (the counts above leave these out):"]
        lines += [f"- {what}" for what in run["unread"]]
    return subject[:100], "\n".join(lines) + "\n"


def window_summary_handler(events: dict[str, Any], context: Any) -> dict[str, Any]:
    """The runbook's step: InputPayload ``{"Settings": JSON, "Topic": ARN, "WindowId": id, "WindowExecutionId": id}``.
    Publishes the summary, then fails when a read failed (the message says which)."""
    import boto3

    ssm = boto3.client("ssm")
    ec2 = boto3.client("ec2")
    sns = boto3.client("sns", region_name=topic_region(events["Topic"]))
    config = json.loads(events["Settings"])
    config["region"] = config.get("region") or events.get("Region", "")
    run = window_run(ssm, ec2, config, events["WindowId"], events["WindowExecutionId"])
    subject, message = render_summary(config, run)
    sns.publish(TopicArn=events["Topic"], Subject=subject, Message=message)
    return {"Counts": {k: len(v) for k, v in summary_counts(run).items()}, "Unread": run["unread"]}


# -- the settings a runbook gets ----------------------------------------------------------------


def settings(
    *,
    customer: str,
    region: str,
    hours: int,
    calendar: str,
    tag_key: str,
    scan_only: bool,
    windows: list[dict[str, Any]],
) -> str:
    """The ``Settings`` parameter of both runbooks (JSON)."""
    return json.dumps(
        {
            "customer": customer,
            "region": region,
            "hours": hours,
            "calendar": calendar,
            "tagKey": tag_key,
            "scanOnly": scan_only,
            "windows": windows,
        },
        sort_keys=True,
    )
