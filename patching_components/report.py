"""`patching report`: a customer's patch compliance and coverage, read from live AWS state.

Read-only calls only (``REPORT_READ_ACTIONS`` in :mod:`policies` lists them), every list
paginated, botocore's standard retry mode against throttling. Per region of the stack:

- the patch state of every instance of the stack's patch groups, with the compliance
  status Systems Manager keeps and the baseline it applied (checked against the group's
  registered baselines);
- coverage gaps: EC2 instances tagged with a patch group that Systems Manager does not
  manage or has lost, tagged with a group no baseline is registered to, managed but in no
  patch group (the account's default baseline patches them), stopped through their window;
- every window's executions of the period, with the failed invocations and their instance.

:mod:`report_formats` renders the result; nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .config import StackConfig
from .policies import window_name

PATCH_COUNTS = (
    ("installed", "InstalledCount"),
    ("installedOther", "InstalledOtherCount"),
    ("installedPendingReboot", "InstalledPendingRebootCount"),
    ("installedRejected", "InstalledRejectedCount"),
    ("missing", "MissingCount"),
    ("failed", "FailedCount"),
    ("notApplicable", "NotApplicableCount"),
)
"""The report's patch state counts and the InstancePatchState fields they come from."""

FAILED_EXECUTIONS = frozenset({"FAILED", "TIMED_OUT", "CANCELLED"})
"""Window execution statuses worth drilling into (MaintenanceWindowExecutionStatus)."""
FAILED_INVOCATIONS = frozenset({"Failed", "TimedOut", "Cancelled"})
"""Command invocation statuses of a failed instance (CommandInvocationStatus)."""

# Coverage gap kinds, and what each means for the customer.
GAPS = {
    "not-managed": "tagged with a patch group, but Systems Manager does not manage it (no agent, no instance "
    "profile, or no route to Systems Manager): nothing patches it",
    "offline": "managed, but its agent has not reported in (connection lost or inactive): windows skip it",
    "unregistered-group": "tagged with a patch group no baseline is registered to: the account's default "
    "baseline patches it, and no window of this stack targets it",
    "no-patch-group": "managed, but in no patch group: the account's default baseline patches it, on no "
    "window of this stack",
    "stopped-missed-window": "stopped while its window ran: not patched since",
}


@dataclass
class InstanceState:
    region: str
    patch_group: str
    instance_id: str
    name: str | None
    platform: str | None
    compliance: str
    """COMPLIANT or NON_COMPLIANT as Systems Manager reports it; UNKNOWN before the first scan."""
    counts: dict[str, int]
    critical_non_compliant: int
    security_non_compliant: int
    operation: str | None
    """Scan or Install: the last patch operation."""
    operation_end: datetime | None
    baseline_id: str | None
    """The baseline AWS applied at the last operation."""
    baseline_expected: bool
    """Whether that is one of the baselines registered to the instance's patch group."""

    @property
    def ok(self) -> bool:
        return self.compliance == "COMPLIANT" and self.baseline_expected


@dataclass
class CoverageGap:
    region: str
    instance_id: str
    name: str | None
    kind: str
    """A key of GAPS."""
    detail: str


@dataclass
class FailedInvocation:
    instance_id: str
    status: str
    details: str
    command_id: str


@dataclass
class WindowExecution:
    execution_id: str
    status: str
    start: datetime | None
    end: datetime | None
    failed: list[FailedInvocation] = field(default_factory=list)


@dataclass
class WindowRuns:
    region: str
    window: str
    """The window's key in the stack file."""
    window_id: str | None
    """None: no window of that name in the region (not deployed yet, or deleted)."""
    executions: list[WindowExecution]


@dataclass
class Report:
    customer: str
    stack: str
    generated_at: datetime
    since: datetime
    regions: list[str]
    instances: list[InstanceState]
    gaps: list[CoverageGap]
    windows: list[WindowRuns]

    @property
    def compliant(self) -> list[InstanceState]:
        return [i for i in self.instances if i.ok]

    @property
    def non_compliant(self) -> list[InstanceState]:
        return [i for i in self.instances if not i.ok]

    @property
    def ok(self) -> bool:
        """Everything compliant and covered: `patching report` exits 0, else 3."""
        return not self.non_compliant and not self.gaps

    def worst(self, count: int = 5) -> list[InstanceState]:
        """The instances most behind: critical, then security, then missing and failed patches."""
        ranked = sorted(
            self.non_compliant,
            key=lambda i: (
                -i.critical_non_compliant,
                -i.security_non_compliant,
                -(i.counts["missing"] + i.counts["failed"]),
                i.instance_id,
            ),
        )
        return ranked[:count]


Clients = Callable[[str, str], Any]
"""``clients(service, region)``: a boto3 client (tests hand in stubbed ones)."""


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    for page in client.get_paginator(operation).paginate(**kwargs):
        yield from page.get(key, [])


def _window_names(config: StackConfig, region: str, primary: bool) -> dict[str, str]:
    """Physical window name -> key, as CustomerPatching names them in ``region``."""
    built_in = None if primary else region
    return {window_name(config.customer, key, built_in): key for key in config.windows_in(built_in)}


def collect(
    config: StackConfig,
    stack: str,
    regions: list[str],
    clients: Clients,
    *,
    primary_region: str,
    now: datetime | None = None,
    days: int = 31,
    progress: Callable[[str], None] = lambda _: None,
) -> Report:
    """The report of a stack in ``regions``; ``primary_region`` names resources without their region."""
    now = now or datetime.now(UTC)
    since = now - timedelta(days=days)
    report = Report(config.customer, stack, now, since, list(regions), [], [], [])
    for index, region in enumerate(regions):
        progress(f"{region} ({index + 1}/{len(regions)})")
        _collect_region(report, config, region, primary=region == primary_region, clients=clients, progress=progress)
    return report


def _collect_region(
    report: Report,
    config: StackConfig,
    region: str,
    *,
    primary: bool,
    clients: Clients,
    progress: Callable[[str], None],
) -> None:
    ssm, ec2 = clients("ssm", region), clients("ec2", region)
    groups = list(config.patch_groups)

    progress(f"{region}: managed instances")
    managed = {i["InstanceId"]: i for i in _pages(ssm, "describe_instance_information", "InstanceInformationList")}
    progress(f"{region}: EC2 instances")
    ec2_instances = {
        i["InstanceId"]: i
        for reservation in _pages(
            ec2,
            "describe_instances",
            "Reservations",
            Filters=[{"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}],
        )
        for i in reservation.get("Instances", [])
    }
    tags = {iid: {t["Key"]: t["Value"] for t in i.get("Tags", [])} for iid, i in ec2_instances.items()}
    progress(f"{region}: patch group registrations")
    registered: dict[str, set[str]] = {}
    for mapping in _pages(ssm, "describe_patch_groups", "Mappings"):
        registered.setdefault(mapping["PatchGroup"], set()).add(mapping["BaselineIdentity"]["BaselineId"])
    progress(f"{region}: compliance")
    compliance = {
        item["ResourceId"]: item["Status"]
        for item in _pages(
            ssm,
            "list_resource_compliance_summaries",
            "ResourceComplianceSummaryItems",
            Filters=[{"Key": "ComplianceType", "Values": ["Patch"], "Type": "EQUAL"}],
        )
    }

    def name_of(instance_id: str) -> str | None:
        return tags.get(instance_id, {}).get("Name") or managed.get(instance_id, {}).get("Name")

    last_patched: dict[str, datetime | None] = {}
    for group in groups:
        progress(f"{region}: patch group {group}")
        for state in _pages(
            ssm, "describe_instance_patch_states_for_patch_group", "InstancePatchStates", PatchGroup=group
        ):
            iid = state["InstanceId"]
            last_patched[iid] = state.get("OperationEndTime")
            report.instances.append(
                InstanceState(
                    region=region,
                    patch_group=group,
                    instance_id=iid,
                    name=name_of(iid),
                    platform=managed.get(iid, {}).get("PlatformName"),
                    compliance=compliance.get(iid, "UNKNOWN"),
                    counts={ours: int(state.get(theirs, 0)) for ours, theirs in PATCH_COUNTS},
                    critical_non_compliant=int(state.get("CriticalNonCompliantCount", 0)),
                    security_non_compliant=int(state.get("SecurityNonCompliantCount", 0)),
                    operation=state.get("Operation"),
                    operation_end=state.get("OperationEndTime"),
                    baseline_id=state.get("BaselineId"),
                    baseline_expected=state.get("BaselineId") in registered.get(group, set()),
                )
            )

    windows = _windows(report, config, region, primary, ssm, progress)
    # When each patch group's windows last opened in the period, to find instances stopped through it.
    last_window: dict[str, datetime] = {}
    groups_of = config.groups_by_window()
    for runs in windows:
        starts = [e.start for e in runs.executions if e.start is not None]
        for group in groups_of.get(runs.window, []) if starts else []:
            last_window[group] = max([*starts, *([last_window[group]] if group in last_window else [])])
    _gaps(report, config, region, managed, ec2_instances, tags, registered, last_patched, last_window)


def _windows(
    report: Report,
    config: StackConfig,
    region: str,
    primary: bool,
    ssm: Any,
    progress: Callable[[str], None],
) -> list[WindowRuns]:
    names = _window_names(config, region, primary)
    found: dict[str, str] = {}
    if names:
        progress(f"{region}: maintenance windows")
        for identity in _pages(
            ssm,
            "describe_maintenance_windows",
            "WindowIdentities",
            Filters=[{"Key": "Name", "Values": sorted(names)}],
        ):
            if identity.get("Name") in names:
                found[names[identity["Name"]]] = identity["WindowId"]
    runs = []
    for key in names.values():
        window_id = found.get(key)
        executions = []
        if window_id is not None:
            progress(f"{region}: executions of {key}")
            for e in _pages(
                ssm,
                "describe_maintenance_window_executions",
                "WindowExecutions",
                WindowId=window_id,
                Filters=[{"Key": "ExecutedAfter", "Values": [report.since.strftime("%Y-%m-%dT%H:%M:%SZ")]}],
            ):
                execution = WindowExecution(e["WindowExecutionId"], e["Status"], e.get("StartTime"), e.get("EndTime"))
                if execution.status in FAILED_EXECUTIONS:
                    execution.failed = list(_failed_invocations(ssm, execution.execution_id))
                executions.append(execution)
        executions.sort(key=lambda e: e.start or report.since, reverse=True)
        runs.append(WindowRuns(region, key, window_id, executions))
    report.windows += runs
    return runs


def _failed_invocations(ssm: Any, execution_id: str) -> Iterable[FailedInvocation]:
    """The instances a failed window execution failed on: task -> its Run Command invocations ->
    the command's per-instance invocations."""
    for task in _pages(
        ssm,
        "describe_maintenance_window_execution_tasks",
        "WindowExecutionTaskIdentities",
        WindowExecutionId=execution_id,
    ):
        if task.get("TaskType") != "RUN_COMMAND":
            continue
        for invocation in _pages(
            ssm,
            "describe_maintenance_window_execution_task_invocations",
            "WindowExecutionTaskInvocationIdentities",
            WindowExecutionId=execution_id,
            TaskId=task["TaskExecutionId"],
        ):
            command_id = invocation.get("ExecutionId")
            if not command_id:
                continue
            for command in _pages(ssm, "list_command_invocations", "CommandInvocations", CommandId=command_id):
                if command.get("Status") in FAILED_INVOCATIONS:
                    yield FailedInvocation(
                        command["InstanceId"], command["Status"], command.get("StatusDetails", ""), command_id
                    )


def _gaps(
    report: Report,
    config: StackConfig,
    region: str,
    managed: dict[str, Any],
    ec2_instances: dict[str, Any],
    tags: dict[str, dict[str, str]],
    registered: dict[str, set[str]],
    last_patched: dict[str, datetime | None],
    last_window: dict[str, datetime],
) -> None:
    tag_key = config.patch_group_tag_key

    def gap(instance_id: str, kind: str, detail: str) -> None:
        name = tags.get(instance_id, {}).get("Name") or managed.get(instance_id, {}).get("Name")
        report.gaps.append(CoverageGap(region, instance_id, name, kind, detail))

    for iid, instance in sorted(ec2_instances.items()):
        group = tags[iid].get(tag_key)
        state = instance.get("State", {}).get("Name")
        if group is None:
            if iid in managed:
                gap(iid, "no-patch-group", f"no {tag_key!r} tag")
            continue
        if group not in registered:
            gap(iid, "unregistered-group", f"{tag_key} = {group!r}")
            continue
        if group not in config.patch_groups:
            continue  # another stack's patch group (a shared account): not this customer's to report
        if state == "stopped":
            window_time = last_window.get(group)
            patched = last_patched.get(iid)
            if window_time is not None and (patched is None or patched < window_time):
                last = f"{patched:%Y-%m-%d}" if patched else "never"
                gap(iid, "stopped-missed-window", f"its window ran {window_time:%Y-%m-%d %H:%M}Z; last patched {last}")
            continue
        if iid not in managed:
            gap(iid, "not-managed", f"{tag_key} = {group!r}, {state}")
        elif managed[iid].get("PingStatus") != "Online":
            seen = managed[iid].get("LastPingDateTime")
            gap(
                iid,
                "offline",
                f"{managed[iid].get('PingStatus')}" + (f", last seen {seen:%Y-%m-%d %H:%M}Z" if seen else ""),
            )
