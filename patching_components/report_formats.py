"""The compliance report as Markdown (tickets), HTML with a chart (customers), CSV (spreadsheets)
and JSON (machines; its schema is ``data/report.schema.json``)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from .report import GAPS, PATCH_COUNTS, InstanceState, Report

FORMATS = ("md", "html", "csv", "json")
SCHEMA_VERSION = 1

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


def _status(instance: InstanceState) -> str:
    if instance.compliance == "COMPLIANT" and not instance.baseline_expected:
        return "WRONG BASELINE"
    return instance.compliance.replace("_", "-")


def as_data(report: Report) -> dict[str, Any]:
    """The report as JSON-ready data (the ``json`` format)."""
    return {
        "schemaVersion": SCHEMA_VERSION,
        "customer": report.customer,
        "stack": report.stack,
        "generatedAt": _iso(report.generated_at),
        "since": _iso(report.since),
        "regions": report.regions,
        "summary": {
            "instances": len(report.instances),
            "compliant": len(report.compliant),
            "nonCompliant": len(report.non_compliant),
            "uncovered": len(report.gaps),
            "ok": report.ok,
        },
        "instances": [
            {
                "region": i.region,
                "patchGroup": i.patch_group,
                "instanceId": i.instance_id,
                "name": i.name,
                "platform": i.platform,
                "compliance": i.compliance,
                "counts": i.counts,
                "criticalNonCompliant": i.critical_non_compliant,
                "securityNonCompliant": i.security_non_compliant,
                "lastOperation": i.operation,
                "lastOperationTime": _iso(i.operation_end),
                "baselineId": i.baseline_id,
                "baselineExpected": i.baseline_expected,
            }
            for i in report.instances
        ],
        "gaps": [
            {
                "region": g.region,
                "instanceId": g.instance_id,
                "name": g.name,
                "kind": g.kind,
                "meaning": GAPS[g.kind],
                "detail": g.detail,
            }
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
    }


def summary_lines(report: Report) -> list[str]:
    """The summary a customer reads first (Markdown)."""
    total = len(report.instances)
    groups = len({(i.region, i.patch_group) for i in report.instances})
    lines = [
        f"- **{total} instance(s)** in {groups} patch group(s): **{len(report.compliant)} compliant "
        f"({_percent(len(report.compliant), total)})**, {len(report.non_compliant)} not",
    ]
    if report.gaps:
        kinds: dict[str, int] = {}
        for gap in report.gaps:
            kinds[gap.kind] = kinds.get(gap.kind, 0) + 1
        lines.append(
            f"- **{len(report.gaps)} not covered**: " + ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
        )
    else:
        lines.append("- every instance is covered")
    failed_runs = [(w, e) for w in report.windows for e in w.executions if e.failed or e.status != "SUCCESS"]
    runs = sum(len(w.executions) for w in report.windows)
    lines.append(f"- {runs} window run(s) since {report.since:%Y-%m-%d}, {len(failed_runs)} not successful")
    worst = report.worst()
    if worst:
        lines.append(
            "- most behind: "
            + "; ".join(
                f"{i.instance_id}{f' ({i.name})' if i.name else ''}: {_status(i)}, {i.critical_non_compliant} "
                f"critical, {i.counts['missing']} missing, {i.counts['failed']} failed"
                for i in worst
            )
        )
    return lines


def _cell(value: object) -> str:
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def markdown(report: Report) -> str:
    out = [
        f"# Patch compliance: {report.customer}",
        "",
        f"Stack `{report.stack}`, {', '.join(report.regions)}; read {_time(report.generated_at)}, "
        f"windows since {report.since:%Y-%m-%d}.",
        "",
        "## Summary",
        "",
        *summary_lines(report),
        "",
        "## Instances",
        "",
    ]
    headers = ["Region", "Patch group", "Instance", "Name", "Platform", "Status", *COUNT_TITLES.values()]
    headers += ["Last operation", "Baseline"]
    out += ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for i in report.instances:
        row: list[object] = [i.region, i.patch_group, i.instance_id, i.name, i.platform, _status(i)]
        row += [i.counts[key] for key, _ in PATCH_COUNTS]
        row += [f"{i.operation or '-'} {_time(i.operation_end)}", i.baseline_id]
        out.append("| " + " | ".join(_cell(v) for v in row) + " |")
    if not report.instances:
        out.append("| " + " | ".join([""] * len(headers)) + " |")
    out += ["", "## Not covered", ""]
    if report.gaps:
        out += ["| Region | Instance | Name | Gap | Detail |", "|---|---|---|---|---|"]
        out += [
            f"| {g.region} | {g.instance_id} | {_cell(g.name)} | {g.kind} | {_cell(g.detail)} |" for g in report.gaps
        ]
        out += [
            "",
            *(f"- **{kind}**: {meaning}" for kind, meaning in GAPS.items() if any(g.kind == kind for g in report.gaps)),
        ]
    else:
        out.append("Every instance tagged with a patch group is managed, online and patched on schedule.")
    out += [
        "",
        "## Maintenance windows",
        "",
        "| Region | Window | Runs | Last run | Failed instances |",
        "|---|---|---|---|---|",
    ]
    for w in report.windows:
        if w.window_id is None:
            out.append(f"| {w.region} | {w.window} | not found in the region | | |")
            continue
        last = w.executions[0] if w.executions else None
        failed = sorted({f"{f.instance_id} ({f.status})" for e in w.executions for f in e.failed})
        out.append(
            f"| {w.region} | {w.window} | {len(w.executions)} | "
            + (f"{last.status} {_time(last.start)}" if last else "none in the period")
            + f" | {', '.join(failed)} |"
        )
    return "\n".join(out) + "\n"


def csv_text(report: Report) -> str:
    """One row per instance: those with a patch state, then the uncovered ones."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    counts = [key for key, _ in PATCH_COUNTS]
    head = ["region", "patchGroup", "instanceId", "name", "platform", "compliance", *counts]
    tail = ["criticalNonCompliant", "securityNonCompliant", "lastOperation", "lastOperationTime", "baselineId"]
    writer.writerow([*head, *tail, "baselineExpected", "gap", "gapDetail"])
    for i in report.instances:
        writer.writerow(
            [i.region, i.patch_group, i.instance_id, i.name or "", i.platform or "", i.compliance]
            + [i.counts[key] for key in counts]
            + [i.critical_non_compliant, i.security_non_compliant, i.operation or "", _iso(i.operation_end) or ""]
            + [i.baseline_id or "", str(i.baseline_expected).lower(), "", ""]
        )
    for g in report.gaps:
        blank = [""] * (len(counts) + len(tail) + 1)
        writer.writerow([g.region, "", g.instance_id, g.name or "", "", "UNCOVERED", *blank, g.kind, g.detail])
    return buffer.getvalue()


def html(report: Report) -> str:
    """A self-contained page: inline CSS and an SVG chart, no script, nothing from the network."""
    from jinja2 import Environment, select_autoescape

    template_text = resources.files("patching_components").joinpath("templates/report.html.j2").read_text()
    environment = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    environment.filters["time"] = _time
    environment.filters["status"] = _status
    total = len(report.instances) + len(report.gaps)
    bars = [
        ("compliant", len(report.compliant), "#2e7d32"),
        ("not compliant", len(report.non_compliant), "#c62828"),
        ("not covered", len(report.gaps), "#ef6c00"),
    ]
    return environment.from_string(template_text).render(
        report=report,
        bars=[(label, count, colour, (count / total * 100) if total else 0) for label, count, colour in bars],
        total=total,
        summary=[line.removeprefix("- ").replace("**", "") for line in summary_lines(report)],
        count_keys=[key for key, _ in PATCH_COUNTS],
        count_titles=COUNT_TITLES,
        gap_meanings=GAPS,
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
