"""What `patching report` finds: the node statuses and deployment gaps it knows, and the result's
dataclasses (``Report`` and its parts), which :mod:`report_formats` renders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .aws_pages import Clients

if TYPE_CHECKING:
    from ..config import StackConfig
    from ..layout import RegionLayout
    from .report_sla import SlaReport

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
STALE_AMI_DAYS = 35
"""A golden AMI is stale when its pipeline's newest successful build started more than this many whole days ago, or
none is listed (a monthly rebuild's longest interval is 35 days: first Monday to first Monday)."""

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
    "golden-ami-stale": "the golden AMI pipeline has no successful build listed, or its newest one started more "
    f"than {STALE_AMI_DAYS} days ago (a monthly rebuild's longest interval): new instances start from an old image",
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
    "ring-cutoff-unknown": "a later patch ring's override (its cut-off) or promotion runbook cannot be read: "
    "what the ring installs cannot be told",
    "unreadable-run": "a run of a window with snapshotBeforeInstall has a per-node result that names no node: "
    "which node it patched (or failed to) cannot be told",
    "document-not-default": "an SSM document of the stack (runbook or Change Calendar) has a newer version than its "
    "default one: an update created it but did not make it the default, so the old content still runs",
    "unreadable-document": "an SSM document of the stack could not be read (access denied, throttled): what runs "
    "cannot be told",
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
    platform_type: str | None = None
    """Systems Manager's PlatformType (Windows, Linux, MacOS); None: not managed."""

    caught_up_on_start: datetime | None = None
    """When a catch-up runbook patched it as it started after missing its window (its PatchingCaughtUp tag)."""

    @property
    def status(self) -> str:
        return self.problems[0][0] if self.problems else COMPLIANT

    @property
    def reason(self) -> str:
        if not self.problems and self.caught_up_on_start is not None:
            return f"caught up on start {when(self.caught_up_on_start)}"
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
    last_success_id: str | None = None
    """The newest build that succeeded (None: none listed); the image's age is its start's."""
    last_success_start: datetime | None = None


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
    sla: SlaReport | None = None
    """The SLA section (``patching report --sla``); None: not asked for."""
    rings: list[RingCutoff] = field(default_factory=list)
    """Per later patch ring and region, the cut-off in force (report_rings)."""
    stack_regions: list[str] | None = None
    """Every region of the stack, of which ``regions`` were read (fewer with ``--region``); None: not known."""

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


@dataclass
class RegionRead:
    """What reading one region of a stack takes: the report it adds to, the stack, the region's layout
    (what the stack builds there, under which names) and its AWS clients."""

    report: Report
    config: StackConfig
    layout: RegionLayout
    region: str
    """The AWS region (the layout's, or the stack's aws:region for a stack without patching:regions)."""
    clients: Clients
    progress: Callable[[str], None]
    now: datetime
    max_scan_age: timedelta = timedelta(days=MAX_SCAN_AGE_DAYS)
    baseline_keys: dict[str, str] = field(default_factory=dict)
    """Our baselines' ids in the region -> their keys in the stack file (report_deployment fills it)."""

    @property
    def ssm(self) -> Any:
        return self.clients("ssm", self.region)

    def gap(self, resource: str, kind: str, detail: str) -> None:
        self.report.gaps.append(CoverageGap(self.region, resource, kind, detail))


def when(moment: datetime | None) -> str:
    """A moment as the report's texts give it: ``2026-11-29 02:00Z``, or ``never``."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}Z" if moment else "never"


def span(delta: timedelta) -> str:
    """A duration in days, or in hours when it is not whole days."""
    hours = delta.total_seconds() / 3600
    return f"{hours:g} hours" if hours % 24 else f"{hours / 24:g} days"


@dataclass
class RingCutoff:
    """A later patch ring's cut-off in force in one region (its override object's metadata)."""

    region: str
    ring: str
    previous_ring: str
    patch_groups: list[str]
    cutoffs: str
    """``<OS>=<last approved release day>`` per baseline; ``none (nothing approved)`` before the first promotion."""
    source_execution: str | None
    """The previous ring's window execution it was promoted from (None: never promoted)."""
    install_day: str | None
    forced: bool
    """Accepted by an operator although that install failed (``patching promote --force``)."""
    override: str
    """``s3://bucket/key`` of the object."""
