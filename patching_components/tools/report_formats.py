"""The compliance report as Markdown (tickets), HTML with a chart (customers), CSV (spreadsheets)
and JSON (machines; its schema is ``data/report.schema.json``)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from . import report_sla_formats
from .report_model import COMPLIANT, GAPS, NODE_STATUSES, PATCH_COUNTS, InstanceState, PipelineBuild, Report

FORMATS = ("md", "html", "csv", "json")
SCHEMA_VERSION = 2

COUNT_TITLES = {
    "installed": "Installed",
    "installedOther": "Other",
    "installedPendingReboot": "Pending reboot",
    "installedRejected": "Rejected",
    "missing": "Missing",
    "failed": "Failed",
    "notApplicable": "N/A",
}


def _time(moment: datetime | None) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}Z" if moment else "never"


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "n/a"


def _statuses(report: Report) -> dict[str, int]:
    """Nodes per status, in NODE_STATUSES order, compliant last."""
    found: dict[str, int] = {}
    for status in [*NODE_STATUSES, COMPLIANT]:
        n = sum(1 for i in report.instances if i.status == status)
        if n:
            found[status] = n
    return found


def _meanings(report: Report) -> dict[str, str]:
    """What each status and gap kind of the report means (those it has)."""
    used = {i.status for i in report.instances} | {g.kind for g in report.gaps}
    both = {**NODE_STATUSES, **GAPS}
    return {kind: meaning for kind, meaning in both.items() if kind in used}


def _node(i: InstanceState) -> dict[str, Any]:
    run = i.last_run
    return {
        "region": i.region,
        "patchGroup": i.patch_group,
        "instanceId": i.instance_id,
        "name": i.name,
        "platform": i.platform,
        "state": i.state,
        "pingStatus": i.ping_status,
        "status": i.status,
        "reason": i.reason,
        "problems": [{"status": status, "reason": reason} for status, reason in i.problems],
        "counts": i.counts,
        "criticalNonCompliant": i.critical_non_compliant,
        "securityNonCompliant": i.security_non_compliant,
        "availableSecurityUpdates": i.available_security_updates,
        "lastOperation": i.operation,
        "lastOperationTime": _iso(i.operation_end),
        "baselineId": i.baseline_id,
        "pendingRebootSince": _iso(i.pending_reboot_since),
        "caughtUpOnStart": _iso(i.caught_up_on_start),
        "lastRun": None
        if run is None
        else {"window": run.window, "executionId": run.execution_id, "start": _iso(run.start), "status": run.status},
    }


def _pipeline(p: PipelineBuild, now: datetime) -> dict[str, Any]:
    return {
        "region": p.region,
        "pipeline": p.pipeline,
        "imageId": p.image_id,
        "lastBuild": None
        if p.last_build_id is None
        else {
            "executionId": p.last_build_id,
            "status": p.last_build_status,
            "start": _iso(p.last_build_start),
            "end": _iso(p.last_build_end),
            "ageDays": (now - p.last_build_start).days if p.last_build_start else None,
        },
        "lastSuccess": None
        if p.last_success_id is None
        else {
            "executionId": p.last_success_id,
            "start": _iso(p.last_success_start),
            "ageDays": (now - p.last_success_start).days if p.last_success_start else None,
        },
    }


def narrowed(report: Report) -> bool | None:
    """Whether the report read only some of its stack's regions (``--region``); None: the stack's are not known."""
    if report.stack_regions is None:
        return None
    return not set(report.stack_regions) <= set(report.regions)


def as_data(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data (the ``json`` format)."""
    return {
        "schemaVersion": SCHEMA_VERSION,
        "account": {"id": report.account_id, "principal": report.principal_arn},
        "customer": report.customer,
        "stack": report.stack,
        "generatedAt": _iso(report.generated_at),
        "since": _iso(report.since),
        "regions": report.regions,
        "stackRegions": report.stack_regions,
        "regionsNarrowed": narrowed(report),
        "summary": {
            "nodes": len(report.instances),
            "compliant": len(report.compliant),
            "nonCompliant": len(report.non_compliant),
            "statuses": _statuses(report),
            "gaps": len(report.gaps),
            "ok": report.ok,
        },
        "nodes": [_node(i) for i in report.instances],
        "gaps": [
            {"region": g.region, "resource": g.resource, "kind": g.kind, "meaning": GAPS[g.kind], "detail": g.detail}
            for g in report.gaps
        ],
        "windows": [
            {
                "region": w.region,
                "window": w.window,
                "windowId": w.window_id,
                "executions": [
                    {
                        "executionId": e.execution_id,
                        "status": e.status,
                        "start": _iso(e.start),
                        "end": _iso(e.end),
                        "failedInvocations": [
                            {
                                "instanceId": f.instance_id,
                                "status": f.status,
                                "details": f.details,
                                "commandId": f.command_id,
                            }
                            for f in e.failed
                        ],
                    }
                    for e in w.executions
                ],
            }
            for w in report.windows
        ],
        "pipelines": [_pipeline(p, report.generated_at) for p in report.pipelines],
        "meanings": _meanings(report),
        **({"rings": _rings(report)} if report.rings else {}),  # patch rings: each later ring's cut-off in force
    } | ({"sla": report_sla_formats.as_data(report.sla)} if report.sla is not None else {})


def _rings(report: Report) -> list[dict[str, Any]]:
    return [
        {
            "region": r.region,
            "ring": r.ring,
            "previousRing": r.previous_ring,
            "patchGroups": r.patch_groups,
            "cutoffs": r.cutoffs,
            "sourceExecution": r.source_execution,
            "installDay": r.install_day,
            "forced": r.forced,
            "override": r.override,
        }
        for r in report.rings
    ]


def summary_lines(report: Report) -> list[str]:
    """The summary a customer reads first (Markdown)."""
    total = len(report.instances)
    groups = len({(i.region, i.patch_group) for i in report.instances if i.patch_group})
    statuses = {k: n for k, n in _statuses(report).items() if k != COMPLIANT}
    lines = [
        f"- **{total} node(s)** in {groups} patch group(s): **{len(report.compliant)} compliant "
        f"({_percent(len(report.compliant), total)})**, {len(report.non_compliant)} not"
        + (": " + ", ".join(f"{n} {status}" for status, n in statuses.items()) if statuses else ""),
    ]
    if report.gaps:
        kinds: dict[str, int] = {}
        for gap in report.gaps:
            kinds[gap.kind] = kinds.get(gap.kind, 0) + 1
        lines.append(
            f"- **{len(report.gaps)} deployment gap(s)**: "
            + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        )
    else:
        lines.append("- everything the stack builds is deployed as it says")
    failed_runs = [(w, e) for w in report.windows for e in w.executions if e.failed or e.status != "SUCCESS"]
    runs = sum(len(w.executions) for w in report.windows)
    lines.append(f"- {runs} window run(s) since {report.since:%Y-%m-%d}, {len(failed_runs)} not successful")
    if report.sla is not None:
        lines.append(f"- **{report_sla_formats.headline(report.sla)}**")
    worst = report.worst()
    if worst:
        lines.append(
            "- most behind: "
            + "; ".join(f"{i.instance_id}{f' ({i.name})' if i.name else ''}: {i.status}, {i.reason}" for i in worst)
        )
    return lines


def _cell(value: object) -> str:
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def _count(i: InstanceState, key: str) -> object:
    return "" if i.counts is None else i.counts[key]


def markdown(report: Report) -> str:
    out = [
        f"# Patch compliance: {report.customer}",
        "",
        f"Account `{report.account_id}` read as `{report.principal_arn}`.",
        f"Stack `{report.stack}`, {', '.join(report.regions)}{_only(report)}; read {_time(report.generated_at)}, "
        f"windows since {report.since:%Y-%m-%d}.",
        "",
        "## Summary",
        "",
        *summary_lines(report),
        "",
        "## Nodes",
        "",
    ]
    headers = ["Region", "Patch group", "Node", "Name", "Platform", "Status", "Reason", "Missing", "Failed"]
    headers += ["Pending reboot", "Last operation", "Baseline"]
    out += ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for i in report.instances:
        row: list[object] = [i.region, i.patch_group, i.instance_id, i.name, i.platform, i.status, i.reason]
        row += [_count(i, "missing"), _count(i, "failed"), _count(i, "installedPendingReboot")]
        row += [f"{i.operation} {_time(i.operation_end)}" if i.operation else "never", i.baseline_id]
        out.append("| " + " | ".join(_cell(v) for v in row) + " |")
    if not report.instances:
        out.append("| " + " | ".join(["none found", *[""] * (len(headers) - 1)]) + " |")
    out += ["", "## Deployment", ""]
    if report.gaps:
        out += ["| Region | Resource | Gap | Detail |", "|---|---|---|---|"]
        out += [f"| {g.region} | {_cell(g.resource)} | {g.kind} | {_cell(g.detail)} |" for g in report.gaps]
    else:
        out.append("Every window, target, task, baseline, registration and subscription is as the stack says.")
    meanings = _meanings(report)
    if meanings:
        out += [
            "",
            "## What the statuses mean",
            "",
            *(f"- **{kind}**: {meaning}" for kind, meaning in meanings.items()),
        ]
    out += [
        "",
        "## Maintenance windows",
        "",
        "| Region | Window | Runs | Last run | Failed or cancelled |",
        "|---|---|---|---|---|",
    ]
    for w in report.windows:
        if w.window_id is None:
            out.append(f"| {w.region} | {w.window} | not deployed | | |")
            continue
        last = w.executions[0] if w.executions else None
        failed = sorted({f"{f.instance_id} ({f.status})" for e in w.executions for f in e.failed})
        out.append(
            f"| {w.region} | {w.window} | {len(w.executions)} | "
            + (f"{last.status} {_time(last.start)}" if last else "none in the period")
            + f" | {', '.join(failed)} |"
        )
    if report.sla is not None:
        out += ["", *report_sla_formats.markdown(report.sla)]
    if report.pipelines:
        out += ["", "## Golden AMIs", "", "| Region | Pipeline | Image | Last build |", "|---|---|---|---|"]
        for p in report.pipelines:
            build = (
                f"{p.last_build_status} {_time(p.last_build_start)}"
                + (f" ({(report.generated_at - p.last_build_start).days} days ago)" if p.last_build_start else "")
                if p.last_build_id
                else "none"
            )
            out.append(f"| {p.region} | {p.pipeline} | {p.image_id or 'none'} | {build} |")
    if report.rings:  # patch rings: the cut-off each later ring installs up to
        out += [
            "",
            "## Patch rings",
            "",
            "| Region | Ring | Patch groups | Cut-off in force | From |",
            "|---|---|---|---|---|",
        ]
        for r in report.rings:
            source = (
                f"ring {r.previous_ring}'s install of {r.install_day} ({r.source_execution})"
                + (", forced" if r.forced else "")
                if r.source_execution
                else "never promoted: installs nothing"
            )
            out.append(f"| {r.region} | {r.ring} | {', '.join(r.patch_groups)} | {r.cutoffs} | {source} |")
    return "\n".join(out) + "\n"


def _only(report: Report) -> str:
    """What the heading says of the stack's regions not read (``--region``)."""
    if not narrowed(report):
        return ""
    others = [r for r in report.stack_regions or [] if r not in report.regions]
    return f" only (--region): not {', '.join(others)}, also the stack's"


def csv_text(report: Report) -> str:
    """One row per node, then one per deployment gap (``row`` says which); every row names the account
    read and the principal it was read as."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    counts = [key for key, _ in PATCH_COUNTS]
    head = ["row", "region", "patchGroup", "instanceId", "name", "platform", "state", "pingStatus", "status"]
    tail = ["criticalNonCompliant", "securityNonCompliant", "availableSecurityUpdates", "lastOperation"]
    tail += ["lastOperationTime", "baselineId", "pendingRebootSince", "lastRunStatus"]
    read = [report.account_id, report.principal_arn]
    writer.writerow([*head, "reason", *counts, *tail, "account", "principal"])
    for i in report.instances:
        writer.writerow(
            ["node", i.region, i.patch_group or "", i.instance_id, i.name or "", i.platform or "", i.state or ""]
            + [i.ping_status or "", i.status, "; ".join(f"{s}: {r}" for s, r in i.problems) or i.reason]
            + [_count(i, key) for key in counts]
            + [i.critical_non_compliant, i.security_non_compliant, i.available_security_updates, i.operation or ""]
            + [_iso(i.operation_end) or "", i.baseline_id or "", _iso(i.pending_reboot_since) or ""]
            + [i.last_run.status if i.last_run else "", *read]
        )
    for g in report.gaps:
        blank = [""] * (len(counts) + len(tail))
        writer.writerow(["gap", g.region, "", "", g.resource, "", "", "", g.kind, g.detail, *blank, *read])
    if report.sla is not None:
        writer.writerows(report_sla_formats.csv_rows(report.sla, len(counts) + len(tail), read))
    return buffer.getvalue()


def html(report: Report) -> str:
    """A self-contained page: inline CSS and an SVG chart, no script, nothing from the network."""
    from jinja2 import Environment, select_autoescape

    template_text = resources.files("patching_components").joinpath("templates/report.html.j2").read_text()
    environment = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    environment.filters["time"] = _time
    total = len(report.instances) + len(report.gaps)
    bars = [
        ("compliant", len(report.compliant), "#2e7d32"),
        ("not compliant", len(report.non_compliant), "#c62828"),
        ("deployment gaps", len(report.gaps), "#ef6c00"),
    ]
    return environment.from_string(template_text).render(
        report=report,
        bars=[(label, count, colour, (count / total * 100) if total else 0) for label, count, colour in bars],
        total=total,
        summary=[line.removeprefix("- ").replace("**", "") for line in summary_lines(report)],
        count_keys=[key for key, _ in PATCH_COUNTS],
        count_titles=COUNT_TITLES,
        meanings=_meanings(report),
        sla=report_sla_formats.html_figures(report.sla) if report.sla is not None else None,
        only=_only(report),
    )


def render(report: Report, fmt: str) -> str:
    if fmt == "md":
        return markdown(report)
    if fmt == "html":
        return html(report)
    if fmt == "csv":
        return csv_text(report)
    if fmt == "json":
        return json.dumps(as_data(report), indent=2) + "\n"
    raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")
