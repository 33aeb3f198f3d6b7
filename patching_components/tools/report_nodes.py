"""`patching report`: the nodes of one region and each one's status. Every node that exists is listed:
EC2 instances carrying the patch group tag (any state but terminated) and every managed node (EC2 and
hybrid ``mi-``), each judged by its patch state, its windows' last runs and its group's scan interval.

Patch states are read with the fewest calls the nodes allow (``state_calls``): by instance id, 50 a call
(``DescribeInstancePatchStates``), and a patch group of more than 50 nodes by its group, 100 a call
(``DescribeInstancePatchStatesForPatchGroup``); nothing is read for a group without nodes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from .aws_pages import PATCH_STATE_IDS, pages
from .report_model import (
    CANCELLED_INVOCATIONS,
    FAILED_INVOCATIONS,
    NODE_STATUSES,
    PATCH_COUNTS,
    SCHEDULE_LOOKBACK,
    STALE_FACTOR,
    InstanceState,
    RegionRead,
    WindowRuns,
    span,
    when,
)
from .report_windows import last_runs as windows_last_runs


def inventory(read: RegionRead) -> tuple[dict[str, Any], dict[str, Any]]:
    """(every managed node, every EC2 instance carrying the patch group tag but terminated), by id.
    Neither listing is filtered further: a filter on what a node may lack would hide it."""
    read.progress(f"{read.region}: managed nodes")
    managed = {i["InstanceId"]: i for i in pages(read.ssm, "describe_instance_information", "InstanceInformationList")}
    read.progress(f"{read.region}: EC2 instances")
    tagged = {
        i["InstanceId"]: i
        for reservation in pages(
            read.clients("ec2", read.region),
            "describe_instances",
            "Reservations",
            Filters=[{"Name": "tag-key", "Values": [read.config.patch_group_tag_key]}],
        )
        for i in reservation.get("Instances", [])
        if i.get("State", {}).get("Name") not in ("terminated", "shutting-down")
    }
    return managed, tagged


BY_GROUP_FROM = PATCH_STATE_IDS
"""A patch group of more nodes than this has its patch states read by group (100 a call), not by id (50
a call): ceil(n / 100) < n / 50 exactly when n > 50, so this split makes the fewest calls."""


def state_calls(wanted: dict[str, str | None]) -> tuple[list[str], list[list[str]]]:
    """(the patch groups read by group, the batches of instance ids read by id) for ``wanted``
    (node id -> its patch group, None for a hybrid node whose group only its patch state says)."""
    sizes: dict[str, int] = {}
    for group in wanted.values():
        if group is not None:
            sizes[group] = sizes.get(group, 0) + 1
    by_group = sorted(g for g, n in sizes.items() if n > BY_GROUP_FROM)
    by_id = sorted(iid for iid, group in wanted.items() if group not in by_group)
    batches = [by_id[i : i + PATCH_STATE_IDS] for i in range(0, len(by_id), PATCH_STATE_IDS)]
    return by_group, batches


def patch_states(read: RegionRead, wanted: dict[str, str | None]) -> dict[str, dict[str, Any]]:
    """The patch state of each node of ``wanted`` that has one in its group (a tagged node's: its tag's
    group; a hybrid node's: any of the stack's groups), by node id."""
    by_group, batches = state_calls(wanted)
    if by_group or batches:
        read.progress(f"{read.region}: patch states")
    found: list[dict[str, Any]] = []
    for group in by_group:
        found += pages(
            read.ssm, "describe_instance_patch_states_for_patch_group", "InstancePatchStates", PatchGroup=group
        )
    for batch in batches:
        found += pages(read.ssm, "describe_instance_patch_states", "InstancePatchStates", InstanceIds=batch)
    states: dict[str, dict[str, Any]] = {}
    for state in found:
        iid, state_group = state["InstanceId"], state.get("PatchGroup")
        if iid not in wanted:
            continue
        expected = wanted[iid]
        if state_group == expected or (expected is None and state_group in read.config.patch_groups):
            states[iid] = state
    return states


def nodes(
    read: RegionRead,
    managed: dict[str, Any],
    tagged: dict[str, Any],
    registered: dict[str, set[str]],
    windows: list[WindowRuns],
) -> None:
    """Every node of the region, with its status, into the report."""
    config, region = read.config, read.region
    tag_key = config.patch_group_tag_key
    tags = {iid: {t["Key"]: t["Value"] for t in i.get("Tags", [])} for iid, i in tagged.items()}
    group_of = {iid: t.get(tag_key, "") for iid, t in tags.items()}
    wanted: dict[str, str | None] = {iid: g for iid, g in group_of.items() if g in config.patch_groups}
    wanted |= {iid: None for iid in managed if not iid.startswith("i-")}  # hybrid: its group as its state says
    states = patch_states(read, wanted)
    online_in: dict[str, set[str]] = {}  # the online managed nodes of each patch group: what a run can reach
    for iid, info in managed.items():
        in_group = group_of.get(iid) or states.get(iid, {}).get("PatchGroup")
        if in_group and info.get("PingStatus") == "Online":
            online_in.setdefault(in_group, set()).add(iid)
    last_runs = windows_last_runs(read, windows, online_in)
    last_window: dict[str, datetime] = {}  # when each patch group's windows last opened
    groups_by_window = config.groups_by_window()
    for runs in windows:
        for e in runs.executions:
            for target in groups_by_window.get(runs.window, []) if e.start else []:
                if e.start and (target not in last_window or e.start > last_window[target]):
                    last_window[target] = e.start
    intervals: dict[str, timedelta | None] = {}

    ids = sorted(set(tagged) | set(managed))
    for iid in ids:
        info = managed.get(iid)
        group: str | None = group_of.get(iid) or None
        if group is None and iid in states:
            group = states[iid]["PatchGroup"]  # a hybrid node: its group as its patch state says
        if group is not None and group not in config.patch_groups and group in registered:
            continue  # another stack's patch group (a shared account): not this customer's to report
        ec2_state = tagged.get(iid, {}).get("State", {}).get("Name")
        name = tags.get(iid, {}).get("Name") or (info or {}).get("Name") or (info or {}).get("ComputerName")
        node = InstanceState(
            region=region,
            patch_group=group,
            instance_id=iid,
            name=name,
            platform=(info or {}).get("PlatformName"),
            state=ec2_state,
            ping_status=(info or {}).get("PingStatus"),
            counts=None,
            platform_type=(info or {}).get("PlatformType"),
        )
        state = states.get(iid) or {}
        if state:
            node.counts = {ours: int(state.get(theirs, 0)) for ours, theirs in PATCH_COUNTS}
            node.critical_non_compliant = int(state.get("CriticalNonCompliantCount", 0))
            node.security_non_compliant = int(state.get("SecurityNonCompliantCount", 0))
            node.other_non_compliant = int(state.get("OtherNonCompliantCount", 0))
            node.available_security_updates = int(state.get("AvailableSecurityUpdateCount", 0))
            node.operation = state.get("Operation")
            node.operation_end = state.get("OperationEndTime")
            node.baseline_id = state.get("BaselineId")
            if node.counts["installedPendingReboot"]:
                node.pending_reboot_since = state.get("LastNoRebootInstallOperationTime") or node.operation_end
        node.last_runs = last_runs.get(iid, [])
        node.caught_up_on_start = caught_up_on_start(tags.get(iid, {}))
        if group is not None and group not in intervals:
            intervals[group] = _scan_interval(read, group)
        node.problems = _problems(read, node, info, registered, last_window, intervals.get(group or ""))
        read.report.instances.append(node)


def _problems(
    read: RegionRead,
    node: InstanceState,
    info: dict[str, Any] | None,
    registered: dict[str, set[str]],
    last_window: dict[str, datetime],
    interval: timedelta | None,
) -> list[tuple[str, str]]:
    config, tag_key = read.config, read.config.patch_group_tag_key
    found: dict[str, str] = {}
    group = node.patch_group
    stopped = node.state in ("stopped", "stopping")
    if stopped:
        window_time = last_window.get(group or "")
        if window_time is not None and (node.operation_end is None or node.operation_end < window_time):
            last = f"{node.operation_end:%Y-%m-%d}" if node.operation_end else "never"
            found["stopped-missed-window"] = f"its window ran {when(window_time)}; last patched {last}"
    elif info is None:
        found["not-managed"] = f"{tag_key} = {group!r}, {node.state}"
    elif info.get("PingStatus") != "Online":
        seen = info.get("LastPingDateTime")
        found["offline"] = f"{info.get('PingStatus')}" + (f", last seen {when(seen)}" if seen else "")
    if group is None:
        found["no-patch-group"] = (
            f"no {tag_key!r} tag"
            if node.instance_id.startswith("i-")
            else "a hybrid node with no patch state in any of the stack's patch groups"
        )
    elif group not in registered and group not in config.patch_groups:
        found["unregistered-group"] = f"{tag_key} = {group!r}"
    if group is not None and group in config.patch_groups:
        # The newest run of each of its windows: a cancelled install stays visible after a later scan.
        for run in node.last_runs:
            kind = "cancelled" if run.status in CANCELLED_INVOCATIONS else "failed"
            if run.status in FAILED_INVOCATIONS and kind not in found:
                found[kind] = f"{run.status} in {run.window} of {when(run.start)}" + (
                    f": {run.details}" if run.details else ""
                )
        if node.counts is None:
            found["never-scanned"] = "no patch state in Systems Manager"
        else:
            _state_problems(read, node, registered.get(group, set()), interval, found)
    return [(status, found[status]) for status in NODE_STATUSES if status in found]


def _state_problems(
    read: RegionRead, node: InstanceState, baselines: set[str], interval: timedelta | None, found: dict[str, str]
) -> None:
    counts = node.counts or {}
    if node.baseline_id not in baselines:
        found["other-baseline"] = f"{node.operation} with {node.baseline_id}, not a baseline of {node.patch_group}"
    if counts.get("installedPendingReboot"):
        since = node.pending_reboot_since
        age = f" since {when(since)} ({(read.now - since).days} days)" if since else ""
        found["pending-reboot"] = f"{counts['installedPendingReboot']} patch(es) waiting for a restart{age}"
    behind = counts.get("missing", 0) + counts.get("failed", 0)
    severities = node.critical_non_compliant + node.security_non_compliant + node.other_non_compliant
    # With rejectedPatchesAction BLOCK, AWS reports a node with a rejected patch installed NON_COMPLIANT
    # ("Patch compliance state values", Systems Manager User Guide).
    rejected = counts.get("installedRejected", 0) if _blocks_rejected(read, node) else 0
    if behind or severities or rejected:
        found["non-compliant"] = (
            f"{counts.get('missing', 0)} missing, {counts.get('failed', 0)} failed, "
            f"{node.critical_non_compliant} critical, {node.security_non_compliant} security"
        ) + (f", {rejected} rejected installed (its baseline blocks rejected patches)" if rejected else "")
    if node.available_security_updates:
        found["security-updates-available"] = f"{node.available_security_updates} security update(s) available"
    limit = STALE_FACTOR * interval if interval is not None else read.max_scan_age
    if node.operation_end is None or read.now - node.operation_end > limit:
        last = when(node.operation_end) if node.operation_end else "never"
        found["stale-scan"] = f"last {node.operation} {last}; " + (
            f"its windows open at least every {span(interval)}, so anything older than {span(limit)} is stale"
            if interval is not None
            else f"its windows open less than twice in 13 weeks here, so anything older than the maximum scan "
            f"age of {span(limit)} is stale"
        )


def _blocks_rejected(read: RegionRead, node: InstanceState) -> bool:
    """Whether the baseline that judged the node blocks rejected patches (one of its group's baselines,
    when it was judged by another)."""
    baselines = read.config.baselines
    key = read.baseline_keys.get(node.baseline_id or "")
    if key is not None:
        return baselines[key].rejected_patches_action == "BLOCK"
    group = read.config.patch_groups.get(node.patch_group or "")
    return group is not None and any(baselines[k].rejected_patches_action == "BLOCK" for k in group.baselines)


def _scan_interval(read: RegionRead, group: str) -> timedelta | None:
    """The longest time between two openings of the group's windows in the region (every patch
    operation scans), over the calendar of the last ``SCHEDULE_LOOKBACK``; None: fewer than two."""
    from ..calendar import occurrences

    settings = read.config.patch_groups.get(group)
    keys = [k for k in read.layout.windows if settings is not None and k in settings.maintenance_windows]
    if not keys:
        return None
    start = read.now - SCHEDULE_LOOKBACK
    found = occurrences(read.config, start, SCHEDULE_LOOKBACK.days // 7, region=read.region, windows=keys)
    opens = sorted(
        {o.start.astimezone(UTC) for o in found if o.runs and o.region in (read.region, None) and o.start <= read.now}
    )
    if len(opens) < 2:
        return None
    return max(b - a for a, b in pairwise(opens))


def caught_up_on_start(tags: dict[str, str]) -> datetime | None:
    """When the catch-up runbook patched the node as it started (its ``PatchingCaughtUp`` tag: the time it
    decided to, ISO 8601 UTC); None without the tag, or with one that is not such a time."""
    from ..aws.catch_up import CAUGHT_UP_TAG

    value = tags.get(CAUGHT_UP_TAG)
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
