"""`patching report`: a customer's deployment, patch compliance and coverage, read from live AWS state.

Read-only calls only (``REPORT_READ_ACTIONS`` in :mod:`iam_policies` lists them), every list
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

Each region is read with the fewest calls its data allows (tests/test_report_calls.py counts them): AWS's
largest pages, one filtered call where AWS filters (windows by name, patch states by instance id, the
pipelines' builds by name prefix), nothing for what the region does not hold. What the stack builds in a
region, and under which names, comes from :mod:`layout`. The work is split by concern:
:mod:`report_model` (statuses, gaps, the result), :mod:`report_deployment` (baselines, registrations,
defaults, alert subscriptions, golden AMI pipelines), :mod:`report_windows` (windows, their tasks and
runs), :mod:`report_nodes` (the nodes and their statuses); :mod:`report_formats` renders the result;
nothing here prints.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from .. import layout
from ..config import StackConfig
from . import report_deployment, report_nodes, report_rings, report_windows
from .aws_pages import PAGE_SIZES, Clients, region_layouts
from .report_model import (
    COMPLIANT,
    GAPS,
    MAX_SCAN_AGE_DAYS,
    NODE_STATUSES,
    PATCH_COUNTS,
    CoverageGap,
    InstanceState,
    PipelineBuild,
    RegionRead,
    Report,
)

__all__ = [
    "COMPLIANT",
    "GAPS",
    "MAX_SCAN_AGE_DAYS",
    "NODE_STATUSES",
    "PAGE_SIZES",
    "PATCH_COUNTS",
    "InstanceState",
    "PipelineBuild",
    "Report",
    "collect",
]


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
    stack_regions: list[str] | None = None,
) -> Report:
    """The report of a stack in ``regions`` of ``account_id`` (read as ``principal_arn``);
    ``primary_region``: the AWS region of the stack's primary region (its aws:region when it names no
    patching:regions); ``max_scan_age_days``: how old a node's last patch operation may be when its windows
    give no scan interval; ``stack_regions``: every region of the stack, of which ``regions`` are read (None: not
    known, and a fleet page never counts the report as the whole stack's)."""
    now = now or datetime.now(UTC)
    since = now - timedelta(days=days)
    report = Report(config.customer, stack, account_id, principal_arn, now, since, list(regions), [], [], [])
    report.stack_regions = None if stack_regions is None else list(stack_regions)
    layouts = region_layouts(config, regions, primary_region)
    for index, region in enumerate(regions):
        progress(f"{region} ({index + 1}/{len(regions)})")
        read = RegionRead(
            report, config, layouts[region], region, clients, progress, now, timedelta(days=max_scan_age_days)
        )
        managed, tagged = report_nodes.inventory(read)
        registered = report_deployment.baselines(read)
        windows = report_windows.windows(read)
        report_nodes.nodes(read, managed, tagged, registered, windows)
        report_deployment.subscriptions(read)
        report_deployment.pipelines(read)
        report_rings.rings(read)  # patch rings: the cut-off in force
        report_deployment.documents(read)  # each document's default version: the content the stack built
    if not report.instances:
        report.gaps.append(
            CoverageGap(", ".join(regions), ", ".join(config.patch_groups), "no-nodes", "no instance or managed node")
        )
    else:
        _group_coverage(report, config, layouts)
    return report


def _group_coverage(report: Report, config: StackConfig, layouts: dict[str, layout.RegionLayout]) -> None:
    """Per region, each patch group whose windows are built there but that has no node there
    (``no-nodes``), and each one with nodes there but none of its windows (``no-window``)."""
    windows_of = {group: set(c.maintenance_windows) for group, c in config.patch_groups.items()}
    for region, where in layouts.items():
        built = set(where.windows)
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
