"""`patching report`: a customer's deployment, patch compliance and coverage, read from live AWS state.

Read-only calls only (``REPORT_READ_ACTIONS`` in :mod:`policies` lists them), every list
paginated with AWS's largest page size, botocore's standard retry mode against throttling. The
report says which account it read, and with which principal. Per region of the stack:

- the deployment: the windows the stack builds there (each with its schedule, time zone, duration and
  cutoff, its targets' patch groups, its task's document, parameters and settings, and whether its
  last finished run failed or it did not run although its calendar opened it), its baselines (by
  name, with their operating system), its patch-group registrations and default baselines, its
  alert topic's subscriptions and each golden AMI pipeline's image and last build.
  Anything missing or different is a gap (``GAPS``);
- every node that exists, not only those with a patch state: EC2 instances carrying the patch group
  tag (any state but terminated) and every managed node (EC2 and hybrid ``mi-``), each with one
  status (``NODE_STATUSES``) and the reasons for it;
- every window's executions of the period, with the instances whose command failed or was cancelled;
  each node is judged by the newest finished run of each of its windows that sent it a command.

The report is ``ok`` (exit 0) only when every node is compliant, there is at least one node, and
nothing of the deployment is missing or different: an empty account, an undeployed stack or a wrong
region can never be green.

:mod:`report_formats` renders the result; nothing here prints.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from ..config import StackConfig
from ..layout import alerts_topic_name, baseline_name, pipeline_names, window_name

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

FAILED_EXECUTIONS = frozenset({"FAILED", "TIMED_OUT", "CANCELLED", "CANCELLING"})
"""Window execution statuses worth drilling into (MaintenanceWindowExecutionStatus)."""
FAILED_INVOCATIONS = frozenset({"Failed", "TimedOut", "Cancelled", "Cancelling"})
"""Command invocation statuses of a failed instance (CommandInvocationStatus)."""
CANCELLED_INVOCATIONS = frozenset({"Cancelled", "Cancelling"})
FAILED_BUILDS = frozenset({"Failed", "TimedOut", "Cancelled", "Cancelling", "CompletedWithFailure"})
"""Automation execution statuses of a golden AMI build that produced no image."""

STALE_FACTOR = 2
"""A node's last patch operation is stale when older than this many times its group's scan interval."""
SCHEDULE_LOOKBACK = timedelta(weeks=13)
"""How far back the calendar of a group's windows is read to find its longest interval between openings."""
MAX_SCAN_AGE_DAYS = 35
"""A node's last patch operation is stale past this many days when its group's windows give no interval
(fewer than two openings in ``SCHEDULE_LOOKBACK``: a six-monthly cron, a one-off ``at()``, no window)."""
UNFINISHED_EXECUTIONS = frozenset({"PENDING", "IN_PROGRESS", "SKIPPED_OVERLAPPING"})
"""Window execution statuses whose commands say nothing final about a node (MaintenanceWindowExecutionStatus):
not finished yet, or never run because the previous run was still going."""
FAILED_RUNS = frozenset({"FAILED", "TIMED_OUT", "CANCELLED", "CANCELLING"})
"""A window's last finished run in one of these is a gap (``window-run-failed``)."""

NODE_STATUSES = {
    # In order of precedence: a node's status is the first of its problems, "compliant" without one.
    "not-managed": "tagged with a patch group, but Systems Manager does not manage it (no agent, no instance "
    "profile, or no route to Systems Manager): nothing patches it",
    "offline": "managed, but its agent has not reported in (connection lost or inactive): windows skip it",
    "stopped-missed-window": "stopped while its window ran: not patched since",
    "unregistered-group": "tagged with a patch group no baseline is registered to: the account's default "
    "baseline patches it, and no window of this stack targets it",
    "no-patch-group": "managed, but in no patch group of this stack: the account's default baseline patches it, "
    "on no window of this stack",
    "cancelled": "its patch command was cancelled in the newest finished run of its window that sent it one "
    "(the window's cutoff, or by hand): it may be half-patched or waiting for a reboot",
    "failed": "its patch command failed or timed out in the newest finished run of its window that sent it one",
    "never-scanned": "managed and in a patch group, but it has never reported a patch state: nothing says "
    "what it is missing",
    "other-baseline": "its last patch operation used a baseline not registered to its patch group",
    "pending-reboot": "patches are installed but not in effect until it restarts",
    "non-compliant": "patches its baseline approves are missing or failed to install, or (with the baseline's "
    "rejectedPatchesAction BLOCK) a rejected patch is installed",
    "security-updates-available": "Windows security updates are available that its baseline does not approve",
    "stale-scan": f"its last patch operation is older than {STALE_FACTOR} times its patch group's scan interval "
    "(from the calendar of its windows), or, when its windows open less than twice in 13 weeks, older than "
    f"--max-scan-age (default {MAX_SCAN_AGE_DAYS} days): what it reports is out of date",
}
"""Every status but ``compliant``; each one is non-compliant."""
COMPLIANT = "compliant"

# Gaps of the deployment, and what each means for the customer.
GAPS = {
    "not-deployed": "a resource the stack builds in the region is missing (never deployed, deleted, or "
    "deployed in another region or account): what it does is not done",
    "wrong-baseline": "a patch group or an operating system's default is registered to another baseline, or "
    "the baseline patches another operating system",
    "window-disabled": "the window is disabled outside every change freeze of the stack: it does not run",
    "wrong-targets": "the window targets other patch groups than the stack's",
    "wrong-task": "the window runs another document or other parameters (operation, reboot option), or its task "
    "has other settings (cutoff behavior, concurrency, error threshold, timeout, service role, notifications) "
    "than the stack's",
    "wrong-window": "the window has another schedule, time zone, offset, duration or cutoff than the stack's",
    "unconfirmed-subscription": "an e-mail subscription of the alert topic is pending confirmation: nothing is "
    "mailed to it, and SNS deletes it 48 hours after it was created",
    "no-golden-ami": "the golden AMI pipeline never produced an image (its parameter does not exist)",
    "golden-ami-build-failed": "the golden AMI pipeline's last build did not succeed: its image is getting old",
    "no-nodes": "no node carries the stack's patch groups (in the whole report, or a patch group in a region "
    "where its windows are built): there is nothing to judge, and nothing is patched",
    "no-window": "a patch group has nodes in a region where none of its windows is built: nothing patches or "
    "scans them on a schedule",
    "window-run-failed": "the window's last finished run failed, timed out or was cancelled (e.g. its service "
    "role could not be assumed): it may have patched nothing",
    "window-not-running": "the window is enabled and its calendar says it opened in the period (outside every "
    "change freeze), but it has no run then",
    "duplicate-window": "two or more maintenance windows in the region have the name of one window of the stack: "
    "which one is the stack's cannot be told",
}


@dataclass
class InstanceState:
    """One node: an EC2 instance carrying the patch group tag, or a managed node (EC2 or hybrid)."""

    region: str
    patch_group: str | None
    instance_id: str
    name: str | None
    platform: str | None
    state: str | None
    """The EC2 instance state (running, stopped...); None for a hybrid node or an untagged one."""
    ping_status: str | None
    """Systems Manager's PingStatus; None: not managed."""
    counts: dict[str, int] | None
    """None: no patch state."""
    critical_non_compliant: int = 0
    security_non_compliant: int = 0
    other_non_compliant: int = 0
    available_security_updates: int = 0
    operation: str | None = None
    """Scan or Install: the last patch operation."""
    operation_end: datetime | None = None
    baseline_id: str | None = None
    """The baseline AWS applied at the last operation."""
    pending_reboot_since: datetime | None = None
    last_runs: list[LastRun] = field(default_factory=list)
    """Its command in the newest finished run of each of its windows in the period that sent it one,
    newest first."""
    problems: list[tuple[str, str]] = field(default_factory=list)
    """(status, reason), in NODE_STATUSES order."""

    @property
    def status(self) -> str:
        return self.problems[0][0] if self.problems else COMPLIANT

    @property
    def reason(self) -> str:
        return self.problems[0][1] if self.problems else "scanned on schedule with its group's baseline"

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def last_run(self) -> LastRun | None:
        return self.last_runs[0] if self.last_runs else None


@dataclass
class LastRun:
    """The node's patch command in the newest finished run of one of its windows that sent it one."""

    window: str
    execution_id: str
    start: datetime | None
    status: str
    """CommandInvocationStatus: Success, Failed, Cancelled..."""
    details: str


@dataclass
class CoverageGap:
    region: str
    resource: str
    """What is missing or different: a window, a baseline, a patch group, a subscription, a pipeline."""
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
class PipelineBuild:
    region: str
    pipeline: str
    """The pipeline's key in the stack file."""
    image_id: str | None
    """The image its parameter names; None: the parameter does not exist."""
    last_build_id: str | None
    last_build_status: str | None
    last_build_start: datetime | None
    last_build_end: datetime | None


@dataclass
class Report:
    customer: str
    stack: str
    account_id: str
    principal_arn: str
    generated_at: datetime
    since: datetime
    regions: list[str]
    instances: list[InstanceState]
    gaps: list[CoverageGap]
    windows: list[WindowRuns]
    pipelines: list[PipelineBuild] = field(default_factory=list)

    @property
    def compliant(self) -> list[InstanceState]:
        return [i for i in self.instances if i.ok]

    @property
    def non_compliant(self) -> list[InstanceState]:
        return [i for i in self.instances if not i.ok]

    @property
    def ok(self) -> bool:
        """Every node compliant and nothing of the deployment missing: `patching report` exits 0, else 3."""
        return bool(self.instances) and not self.non_compliant and not self.gaps

    def worst(self, count: int = 5) -> list[InstanceState]:
        """The nodes most behind: by status, then critical, security, missing and failed patches."""
        order = list(NODE_STATUSES)
        ranked = sorted(
            self.non_compliant,
            key=lambda i: (
                order.index(i.status),
                -i.critical_non_compliant,
                -i.security_non_compliant,
                -((i.counts or {}).get("missing", 0) + (i.counts or {}).get("failed", 0)),
                i.instance_id,
            ),
        )
        return ranked[:count]


Clients = Callable[[str, str], Any]
"""``clients(service, region)``: a boto3 client (tests hand in stubbed ones)."""

PAGE_SIZES = {
    "describe_instance_information": 50,
    "describe_instances": 1000,
    "describe_patch_groups": 100,
    "describe_patch_baselines": 100,
    "describe_instance_patch_states_for_patch_group": 100,
    "describe_maintenance_windows": 100,
    "describe_maintenance_window_targets": 100,
    "describe_maintenance_window_tasks": 100,
    "describe_maintenance_window_executions": 100,
    "describe_maintenance_window_execution_tasks": 100,
    "describe_maintenance_window_execution_task_invocations": 100,
    "list_command_invocations": 50,
    "describe_automation_executions": 50,
}
"""AWS's largest page (MaxResults) of each listing (botocore's service models; tests/test_report.py checks)."""


def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    config = {"PageSize": PAGE_SIZES[operation]} if operation in PAGE_SIZES else {}
    for page in client.get_paginator(operation).paginate(**kwargs, PaginationConfig=config):
        yield from page.get(key, [])


def _error_code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def collect(
    config: StackConfig,
    stack: str,
    regions: list[str],
    clients: Clients,
    *,
    primary_region: str,
    account_id: str,
    principal_arn: str,
    now: datetime | None = None,
    days: int = 31,
    max_scan_age_days: int = MAX_SCAN_AGE_DAYS,
    progress: Callable[[str], None] = lambda _: None,
) -> Report:
    """The report of a stack in ``regions`` of ``account_id`` (read as ``principal_arn``);
    ``primary_region`` names resources without their region; ``max_scan_age_days``: how old a node's
    last patch operation may be when its windows give no scan interval."""
    now = now or datetime.now(UTC)
    since = now - timedelta(days=days)
    report = Report(config.customer, stack, account_id, principal_arn, now, since, list(regions), [], [], [])
    for index, region in enumerate(regions):
        progress(f"{region} ({index + 1}/{len(regions)})")
        built_in = None if region == primary_region else region
        _Region(report, config, region, built_in, clients, progress, now, timedelta(days=max_scan_age_days)).collect()
    if not report.instances:
        report.gaps.append(
            CoverageGap(", ".join(regions), ", ".join(config.patch_groups), "no-nodes", "no instance or managed node")
        )
    else:
        _group_coverage(report, config, regions, primary_region)
    return report


def _group_coverage(report: Report, config: StackConfig, regions: list[str], primary_region: str) -> None:
    """Per region, each patch group whose windows are built there but that has no node there
    (``no-nodes``), and each one with nodes there but none of its windows (``no-window``)."""
    windows_of = {group: set(c.maintenance_windows) for group, c in config.patch_groups.items()}
    for region in regions:
        built = set(config.windows_in(None if region == primary_region else region))
        present = {i.patch_group for i in report.instances if i.region == region}
        for group in config.patch_groups:
            mine = sorted(windows_of[group] & built)
            if mine and group not in present:
                detail = f"no instance or managed node of patch group {group!r}; its windows here: {', '.join(mine)}"
                report.gaps.append(CoverageGap(region, group, "no-nodes", detail))
            elif not mine and group in present:
                count = sum(1 for i in report.instances if i.region == region and i.patch_group == group)
                detail = f"{count} node(s) of patch group {group!r}, but none of its windows is built in {region}"
                report.gaps.append(CoverageGap(region, group, "no-window", detail))


class _Region:
    """What one region holds, read in a fixed order (the Stubber tests pin it)."""

    def __init__(
        self,
        report: Report,
        config: StackConfig,
        region: str,
        built_in: str | None,
        clients: Clients,
        progress: Callable[[str], None],
        now: datetime,
        max_scan_age: timedelta = timedelta(days=MAX_SCAN_AGE_DAYS),
    ) -> None:
        self.report, self.config, self.region, self.built_in = report, config, region, built_in
        self.progress, self.now, self.max_scan_age = progress, now, max_scan_age
        self.baseline_keys: dict[str, str] = {}
        """Our baselines' ids in the region -> their keys in the stack file."""
        self.ssm, self.ec2 = clients("ssm", region), clients("ec2", region)
        self.clients = clients

    def gap(self, resource: str, kind: str, detail: str) -> None:
        self.report.gaps.append(CoverageGap(self.region, resource, kind, detail))

    def collect(self) -> None:
        config, region = self.config, self.region
        self.progress(f"{region}: managed nodes")
        managed = {
            i["InstanceId"]: i for i in _pages(self.ssm, "describe_instance_information", "InstanceInformationList")
        }
        self.progress(f"{region}: EC2 instances")
        tagged = {
            i["InstanceId"]: i
            for reservation in _pages(
                self.ec2,
                "describe_instances",
                "Reservations",
                Filters=[{"Name": "tag-key", "Values": [config.patch_group_tag_key]}],
            )
            for i in reservation.get("Instances", [])
            if i.get("State", {}).get("Name") not in ("terminated", "shutting-down")
        }
        registered = self._deployment()
        windows = self._windows()
        self._nodes(managed, tagged, registered, windows)
        self._subscriptions()
        self._pipelines()

    # The deployment ------------------------------------------------------------------------------

    def _deployment(self) -> dict[str, set[str]]:
        """Baselines, registrations and defaults; returns every registration of the region (group ->
        baseline ids), this stack's and others'."""
        config, region, built_in = self.config, self.region, self.built_in
        self.progress(f"{region}: patch groups and baselines")
        registered: dict[str, set[str]] = {}
        names_of: dict[str, str] = {}
        for mapping in _pages(self.ssm, "describe_patch_groups", "Mappings"):
            identity = mapping["BaselineIdentity"]
            registered.setdefault(mapping["PatchGroup"], set()).add(identity["BaselineId"])
            names_of[identity["BaselineId"]] = identity.get("BaselineName", identity["BaselineId"])
        ours = {key: baseline_name(config.customer, key, built_in) for key in config.baselines}
        found: dict[str, dict[str, Any]] = {}
        for identity in _pages(
            self.ssm,
            "describe_patch_baselines",
            "BaselineIdentities",
            Filters=[{"Key": "OWNER", "Values": ["Self"]}],
        ):
            if identity.get("BaselineName") in ours.values():
                found[identity["BaselineName"]] = identity
        for key, name in ours.items():
            expected_os = config.baselines[key].operating_system
            if name not in found:
                self.gap(name, "not-deployed", f"no patch baseline named {name!r} ({expected_os})")
            elif found[name].get("OperatingSystem") != expected_os:
                self.gap(
                    name,
                    "wrong-baseline",
                    f"patches {found[name].get('OperatingSystem')}, the stack says {expected_os}",
                )
        id_of = {name: identity["BaselineId"] for name, identity in found.items()}
        self.baseline_keys = {id_of[name]: key for key, name in ours.items() if name in id_of}
        groups_of = config.groups_by_baseline()
        for key, name in ours.items():
            for group in groups_of[key]:
                has = registered.get(group, set())
                if not has:
                    self.gap(
                        group, "not-deployed", f"patch group {group!r} is registered to no baseline (expected {name})"
                    )
                elif name in id_of and id_of[name] not in has:
                    others = ", ".join(sorted(names_of.get(b, b) for b in has))
                    self.gap(group, "wrong-baseline", f"patch group {group!r} is registered to {others}, not {name}")
        for key, name in ours.items():
            settings = config.baselines[key]
            if not settings.default:
                continue
            try:
                default = self.ssm.get_default_patch_baseline(OperatingSystem=settings.operating_system)["BaselineId"]
            except Exception as exc:  # an account that never set a default answers with AWS's own
                if _error_code(exc) != "DoesNotExistException":
                    raise
                default = None
            if name in id_of and default != id_of[name]:
                self.gap(
                    f"default {settings.operating_system}",
                    "wrong-baseline",
                    f"the default {settings.operating_system} baseline is {default or 'AWS predefined'}, not {name}",
                )
            elif name not in id_of:
                self.gap(f"default {settings.operating_system}", "not-deployed", f"{name} is not deployed")
        return registered

    def _windows(self) -> list[WindowRuns]:
        """Each window of the stack in the region: its targets, its task and its runs."""
        config, region, report = self.config, self.region, self.report
        names = {window_name(config.customer, key, self.built_in): key for key in config.windows_in(self.built_in)}
        same_name: dict[str, list[dict[str, Any]]] = {}
        if names:
            self.progress(f"{region}: maintenance windows")
            for identity in _pages(
                self.ssm,
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
                self.gap(
                    name, "duplicate-window", f"{len(identities)} windows named {name!r} ({ids}): delete all but one"
                )
            elif window_id is None:
                self.gap(name, "not-deployed", f"no maintenance window named {name!r}")
            else:
                identity = identities[0]
                if identity.get("Enabled") is False and not self._frozen():
                    self.gap(name, "window-disabled", "disabled, and no change freeze is on now")
                self.progress(f"{region}: window {key}")
                self._check_window(name, key, window_id, sorted(groups_of.get(key, [])), identity)
                for e in _pages(
                    self.ssm,
                    "describe_maintenance_window_executions",
                    "WindowExecutions",
                    WindowId=window_id,
                    Filters=[{"Key": "ExecutedAfter", "Values": [report.since.strftime("%Y-%m-%dT%H:%M:%SZ")]}],
                ):
                    executions.append(
                        WindowExecution(e["WindowExecutionId"], e["Status"], e.get("StartTime"), e.get("EndTime"))
                    )
                executions.sort(key=lambda e: e.start or report.since, reverse=True)
                self._check_runs(name, key, identity, executions)
            runs.append(WindowRuns(region, key, window_id, executions))
        report.windows += runs
        return runs

    def _check_runs(self, name: str, key: str, identity: dict[str, Any], executions: list[WindowExecution]) -> None:
        """The window's last finished run failed (``window-run-failed``), or it did not run although it
        is enabled and its calendar says it opened in the period (``window-not-running``)."""
        from ..calendar import occurrences

        finished = [e for e in executions if e.status not in UNFINISHED_EXECUTIONS]
        if finished and finished[0].status in FAILED_RUNS:
            last = finished[0]
            self.gap(name, "window-run-failed", f"its last finished run ({_t(last.start)}) ended {last.status}")
        if executions or identity.get("Enabled") is False:
            return
        since = self.report.since
        # An opening of the last hour may not have its run listed yet: only older ones count.
        weeks = (self.now - since).days // 7 + 2
        opened = [
            o.start.astimezone(UTC)
            for o in occurrences(self.config, since, weeks, region=self.region, windows=[key])
            if o.runs and o.region in (self.region, None) and since <= o.start <= self.now - timedelta(hours=1)
        ]
        if opened:
            self.gap(
                name,
                "window-not-running",
                f"enabled, and its schedule opened it {len(opened)} time(s) since {_t(since)} (last "
                f"{_t(max(opened))}), but it has no run",
            )

    def _frozen(self) -> bool:
        """Whether a change freeze of the stack is on now (its guard disables the windows then)."""
        return any(
            first <= self.now < last for first, last in (f.interval() for f in self.config.change_freezes.values())
        )

    def _check_window(self, name: str, key: str, window_id: str, groups: list[str], identity: dict[str, Any]) -> None:
        from ..components.window import window_task

        settings = self.config.window_as_built(key)
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
            self.gap(name, "wrong-window", "; ".join(window_differ))

        tag = f"tag:{self.config.patch_group_tag_key}"
        targeted = sorted(
            {
                value
                for target in _pages(self.ssm, "describe_maintenance_window_targets", "Targets", WindowId=window_id)
                for spec in target.get("Targets", [])
                if spec.get("Key") == tag
                for value in spec.get("Values", [])
            }
        )
        if not targeted:
            self.gap(name, "not-deployed", f"the window has no target with {tag} (expected {', '.join(groups)})")
        elif targeted != groups:
            self.gap(name, "wrong-targets", f"targets {', '.join(targeted)}; the stack says {', '.join(groups)}")
        expected = window_task(settings)
        tasks = list(_pages(self.ssm, "describe_maintenance_window_tasks", "Tasks", WindowId=window_id))
        if not tasks:
            self.gap(name, "not-deployed", f"the window has no task (expected {expected.document})")
            return
        problems = []
        for task in tasks:
            if task.get("TaskArn") != expected.document:
                problems.append(f"runs {task.get('TaskArn')}, the stack says {expected.document}")
                continue
            got = self.ssm.get_maintenance_window_task(WindowId=window_id, WindowTaskId=task["WindowTaskId"])
            parameters = got.get("TaskInvocationParameters", {}).get("RunCommand", {}).get("Parameters", {})
            differ = [
                f"{p} {parameters.get(p, ['(none)'])[0]}, the stack says {expected.parameters[p][0]}"
                for p in sorted(expected.parameters)
                if parameters.get(p) != expected.parameters[p]
            ]
            differ += self._task_settings(got, settings)
            if not differ:
                return  # one task as the stack builds it
            problems.append("; ".join(differ))
        self.gap(name, "wrong-task", "; ".join(problems))

    def _task_settings(self, got: dict[str, Any], settings: Any) -> list[str]:
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
        notifications = self.config.notifications
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

    # The nodes ------------------------------------------------------------------------------------

    def _nodes(
        self,
        managed: dict[str, Any],
        tagged: dict[str, Any],
        registered: dict[str, set[str]],
        windows: list[WindowRuns],
    ) -> None:
        config, region = self.config, self.region
        tag_key = config.patch_group_tag_key
        tags = {iid: {t["Key"]: t["Value"] for t in i.get("Tags", [])} for iid, i in tagged.items()}
        group_of = {iid: t.get(tag_key, "") for iid, t in tags.items()}
        hybrid = [iid for iid in managed if not iid.startswith("i-")]
        states: dict[str, dict[str, Any]] = {}
        for listed in config.patch_groups:
            if not hybrid and listed not in group_of.values():
                continue  # nothing in the group: no call
            self.progress(f"{region}: patch group {listed}")
            for found in _pages(
                self.ssm, "describe_instance_patch_states_for_patch_group", "InstancePatchStates", PatchGroup=listed
            ):
                states[found["InstanceId"]] = {**found, "PatchGroup": listed}
        online_in: dict[str, set[str]] = {}  # the online managed nodes of each patch group: what a run can reach
        for iid, info in managed.items():
            in_group = group_of.get(iid) or states.get(iid, {}).get("PatchGroup")
            if in_group and info.get("PingStatus") == "Online":
                online_in.setdefault(in_group, set()).add(iid)
        last_runs = self._last_runs(windows, online_in)
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
            if group is not None and group not in intervals:
                intervals[group] = self._scan_interval(group)
            node.problems = self._problems(node, info, registered, last_window, intervals.get(group or ""))
            self.report.instances.append(node)

    def _problems(
        self,
        node: InstanceState,
        info: dict[str, Any] | None,
        registered: dict[str, set[str]],
        last_window: dict[str, datetime],
        interval: timedelta | None,
    ) -> list[tuple[str, str]]:
        config, tag_key = self.config, self.config.patch_group_tag_key
        found: dict[str, str] = {}
        group = node.patch_group
        stopped = node.state in ("stopped", "stopping")
        if stopped:
            window_time = last_window.get(group or "")
            if window_time is not None and (node.operation_end is None or node.operation_end < window_time):
                last = f"{node.operation_end:%Y-%m-%d}" if node.operation_end else "never"
                found["stopped-missed-window"] = f"its window ran {_t(window_time)}; last patched {last}"
        elif info is None:
            found["not-managed"] = f"{tag_key} = {group!r}, {node.state}"
        elif info.get("PingStatus") != "Online":
            seen = info.get("LastPingDateTime")
            found["offline"] = f"{info.get('PingStatus')}" + (f", last seen {_t(seen)}" if seen else "")
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
                    found[kind] = f"{run.status} in {run.window} of {_t(run.start)}" + (
                        f": {run.details}" if run.details else ""
                    )
            if node.counts is None:
                found["never-scanned"] = "no patch state in Systems Manager"
            else:
                self._state_problems(node, registered.get(group, set()), interval, found)
        return [(status, found[status]) for status in NODE_STATUSES if status in found]

    def _state_problems(
        self, node: InstanceState, baselines: set[str], interval: timedelta | None, found: dict[str, str]
    ) -> None:
        counts = node.counts or {}
        if node.baseline_id not in baselines:
            found["other-baseline"] = f"{node.operation} with {node.baseline_id}, not a baseline of {node.patch_group}"
        if counts.get("installedPendingReboot"):
            since = node.pending_reboot_since
            age = f" since {_t(since)} ({(self.now - since).days} days)" if since else ""
            found["pending-reboot"] = f"{counts['installedPendingReboot']} patch(es) waiting for a restart{age}"
        behind = counts.get("missing", 0) + counts.get("failed", 0)
        severities = node.critical_non_compliant + node.security_non_compliant + node.other_non_compliant
        # With rejectedPatchesAction BLOCK, AWS reports a node with a rejected patch installed NON_COMPLIANT
        # ("Patch compliance state values", Systems Manager User Guide).
        rejected = counts.get("installedRejected", 0) if self._blocks_rejected(node) else 0
        if behind or severities or rejected:
            found["non-compliant"] = (
                f"{counts.get('missing', 0)} missing, {counts.get('failed', 0)} failed, "
                f"{node.critical_non_compliant} critical, {node.security_non_compliant} security"
            ) + (f", {rejected} rejected installed (its baseline blocks rejected patches)" if rejected else "")
        if node.available_security_updates:
            found["security-updates-available"] = f"{node.available_security_updates} security update(s) available"
        limit = STALE_FACTOR * interval if interval is not None else self.max_scan_age
        if node.operation_end is None or self.now - node.operation_end > limit:
            last = _t(node.operation_end) if node.operation_end else "never"
            found["stale-scan"] = f"last {node.operation} {last}; " + (
                f"its windows open at least every {_span(interval)}, so anything older than {_span(limit)} is stale"
                if interval is not None
                else f"its windows open less than twice in 13 weeks here, so anything older than the maximum scan "
                f"age of {_span(limit)} is stale"
            )

    def _blocks_rejected(self, node: InstanceState) -> bool:
        """Whether the baseline that judged the node blocks rejected patches (one of its group's baselines,
        when it was judged by another)."""
        baselines = self.config.baselines
        key = self.baseline_keys.get(node.baseline_id or "")
        if key is not None:
            return baselines[key].rejected_patches_action == "BLOCK"
        group = self.config.patch_groups.get(node.patch_group or "")
        return group is not None and any(baselines[k].rejected_patches_action == "BLOCK" for k in group.baselines)

    def _scan_interval(self, group: str) -> timedelta | None:
        """The longest time between two openings of the group's windows in the region (every patch
        operation scans), over the calendar of the last ``SCHEDULE_LOOKBACK``; None: fewer than two."""
        from ..calendar import occurrences

        keys = [k for k in self.config.windows_in(self.built_in) if group in self.config.groups_by_window()[k]]
        if not keys:
            return None
        start = self.now - SCHEDULE_LOOKBACK
        found = occurrences(self.config, start, SCHEDULE_LOOKBACK.days // 7, region=self.region, windows=keys)
        opens = sorted(
            {
                o.start.astimezone(UTC)
                for o in found
                if o.runs and o.region in (self.region, None) and o.start <= self.now
            }
        )
        if len(opens) < 2:
            return None
        return max(b - a for a, b in pairwise(opens))

    def _last_runs(self, windows: list[WindowRuns], online_in: dict[str, set[str]]) -> dict[str, list[LastRun]]:
        """Each node's command in the newest finished run of each of its windows that sent it one
        (newest first), and the failed instances of every failed run of the period. Runs not finished
        (pending, in progress) or skipped as overlapping say nothing about a node: older runs are read
        until every online node of the window's patch groups has its command, or none is left."""
        found: dict[str, list[LastRun]] = {}
        groups_by_window = self.config.groups_by_window()
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
                for command in self._invocations(execution.execution_id):
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
            listed.sort(key=lambda run: run.start or self.report.since, reverse=True)
        return found

    def _invocations(self, execution_id: str) -> Iterable[dict[str, Any]]:
        """The per-instance command invocations of a window execution: task -> its Run Command
        invocations -> the command's per-instance invocations."""
        for task in _pages(
            self.ssm,
            "describe_maintenance_window_execution_tasks",
            "WindowExecutionTaskIdentities",
            WindowExecutionId=execution_id,
        ):
            if task.get("TaskType") != "RUN_COMMAND":
                continue
            for invocation in _pages(
                self.ssm,
                "describe_maintenance_window_execution_task_invocations",
                "WindowExecutionTaskInvocationIdentities",
                WindowExecutionId=execution_id,
                TaskId=task["TaskExecutionId"],
            ):
                command_id = invocation.get("ExecutionId")
                if command_id:
                    yield from _pages(self.ssm, "list_command_invocations", "CommandInvocations", CommandId=command_id)

    # Alerts and golden AMIs ------------------------------------------------------------------------

    def _subscriptions(self) -> None:
        notifications = self.config.notifications
        if not notifications or not notifications.emails:
            return
        self.progress(f"{self.region}: alert subscriptions")
        sns = self.clients("sns", self.region)
        prefix = alerts_topic_name(self.config.customer, self.built_in)
        pattern = re.compile(rf"^arn:[^:]+:sns:{re.escape(self.region)}:\d+:{re.escape(prefix)}-[0-9a-f]{{7}}$")
        topics = [t["TopicArn"] for t in _pages(sns, "list_topics", "Topics") if pattern.match(t["TopicArn"])]
        if not topics:
            self.gap(prefix, "not-deployed", f"no SNS topic {prefix}-<suffix>: no alert is mailed")
            return
        listed = [
            s for topic in topics for s in _pages(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=topic)
        ]
        for email in notifications.emails:
            mine = [
                s for s in listed if s.get("Protocol") == "email" and s.get("Endpoint", "").lower() == email.lower()
            ]
            if not mine:
                self.gap(email, "not-deployed", f"no e-mail subscription of {prefix}")
            elif all(s.get("SubscriptionArn") == "PendingConfirmation" for s in mine):
                self.gap(email, "unconfirmed-subscription", f"pending confirmation on {prefix} in {self.region}")

    def _pipelines(self) -> None:
        for key in self.config.golden_amis_in(self.built_in):
            document, parameter = pipeline_names(self.config.customer, key, self.built_in)
            self.progress(f"{self.region}: golden AMI {key}")
            try:
                image_id: str | None = self.ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
            except Exception as exc:
                if _error_code(exc) != "ParameterNotFound":
                    raise
                image_id = None
            builds = sorted(
                _pages(
                    self.ssm,
                    "describe_automation_executions",
                    "AutomationExecutionMetadataList",
                    Filters=[{"Key": "DocumentNamePrefix", "Values": [document]}],
                ),
                key=lambda b: b.get("ExecutionStartTime") or self.report.since,
                reverse=True,
            )
            builds = [b for b in builds if b.get("DocumentName") == document]
            last: dict[str, Any] = builds[0] if builds else {}
            build = PipelineBuild(
                self.region,
                key,
                image_id,
                last.get("AutomationExecutionId"),
                last.get("AutomationExecutionStatus"),
                last.get("ExecutionStartTime"),
                last.get("ExecutionEndTime"),
            )
            self.report.pipelines.append(build)
            if image_id is None:
                self.gap(key, "no-golden-ami", f"{parameter} does not exist; " + _build_text(build, self.now))
            elif build.last_build_status in FAILED_BUILDS:
                self.gap(key, "golden-ami-build-failed", _build_text(build, self.now))


def _build_text(build: PipelineBuild, now: datetime) -> str:
    if build.last_build_id is None:
        return "no build found"
    age = f", {(now - build.last_build_start).days} days ago" if build.last_build_start else ""
    return f"last build {build.last_build_status} {_t(build.last_build_start)}{age}"


def _t(moment: datetime | None) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}Z" if moment else "never"


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} hours" if hours % 24 else f"{hours / 24:g} days"
