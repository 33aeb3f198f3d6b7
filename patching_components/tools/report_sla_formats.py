"""The SLA section of `patching report --sla` in each format of the report (:mod:`report_formats` calls
these): JSON data (``sla`` in data/report.schema.json), Markdown, CSV rows and the HTML's figures."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from .report_sla import SLA_GAPS, VERDICTS, SlaReport

VERDICT_COLOURS = {
    "on-time": "#2e7d32",
    "late": "#c62828",
    "missing-past-sla": "#8e0000",
    "missing-within-sla": "#f9a825",
    "no-release-date": "#ef6c00",
    "measured-by-inspector": "#78909c",
    "install-not-timed": "#d84315",
}


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment else None


def _days(days: float | None) -> float | None:
    return None if days is None else round(days, 1)


def headline(sla: SlaReport) -> str:
    """One line: breaches, or why there is no verdict."""
    if not sla.sla:
        return "no SLA set (patching:sla): nothing judged"
    breaches = len(sla.breaches)
    gaps = sum(g.count for g in sla.gaps)
    if breaches:
        text = f"SLA BREACHED: {breaches} patch(es) late or missing past their SLA"
    elif sla.nodes == 0:
        text = "SLA NOT JUDGED: no node's patches could be read"
    elif gaps:
        text = "SLA NOT JUDGED IN FULL: no breach in what was read"
    else:
        measured = sum(1 for p in sla.patches if p.verdict == "measured-by-inspector")
        return f"SLA met: every patch of {sla.nodes} node(s) on time, none missing past its SLA" + (
            f" ({measured} missing without a Patch Manager release date, measured by Inspector findings)"
            if measured
            else ""
        )
    return text + (f"; {gaps} item(s) could not be read or dated (see SLA gaps)" if gaps else "")


def as_data(sla: SlaReport) -> dict[str, Any]:
    return {
        "month": sla.month,
        "start": _iso(sla.start),
        "end": _iso(sla.end),
        "slaDays": dict(sla.sla),
        "nodes": sla.nodes,
        "unrated": sla.unrated,
        "inspector": dict(sla.inspector),
        "severities": sla.severities(),
        "breaches": len(sla.breaches),
        "gaps": [
            {"region": g.region, "resource": g.resource, "kind": g.kind, "detail": g.detail, "count": g.count}
            for g in sla.gaps
        ],
        "ok": sla.ok,
        "patches": [
            {
                "region": p.region,
                "instanceId": p.instance_id,
                "patchGroup": p.patch_group,
                "patchId": p.patch_id,
                "title": p.title,
                "severity": p.severity,
                "state": p.state,
                "source": p.source,
                "released": _iso(p.released),
                "installed": _iso(p.installed),
                "slaDays": p.sla_days,
                "verdict": p.verdict,
                "days": _days(p.days),
            }
            for p in sla.patches
        ],
        "meanings": {**VERDICTS, **{k: v for k, v in SLA_GAPS.items() if any(g.kind == k for g in sla.gaps)}},
    }


def _cell(value: object) -> str:
    return str(value if value is not None else "").replace("|", "\\|").replace("\n", " ")


def markdown(sla: SlaReport) -> list[str]:
    out = [
        f"## SLA, {sla.month}",
        "",
        f"**{headline(sla)}**.",
        "",
        f"Installs from {sla.start:%Y-%m-%d} to {sla.end:%Y-%m-%d %H:%M}Z; missing patches as of "
        f"{sla.now:%Y-%m-%d %H:%M}Z; {sla.nodes} node(s) read, {sla.unrated} patch(es) without a severity an "
        "SLA applies to.",
        "",
        "| Severity | SLA (days) | On time | Late | Mean days | Worst days | Missing past SLA | "
        "CVE findings past SLA | No release date | Install not timed |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for severity, row in sla.severities().items():
        cells = [severity, row["slaDays"], row["onTime"], row["late"], row["meanDays"], row["worstDays"]]
        cells += [row["missingPastSla"], row["findingsPastSla"], row["noReleaseDate"], row["installNotTimed"]]
        out.append("| " + " | ".join(_cell("n/a" if c is None else c) for c in cells) + " |")
    out += ["", "Amazon Inspector: " + (", ".join(f"{r} {s}" for r, s in sla.inspector.items()) or "not read")]
    unscanned = [g for g in sla.gaps if g.kind == "not-measured"]
    if unscanned:
        out += [
            "",
            f"{len(unscanned)} EC2 node(s) not actively scanned by Amazon Inspector: no finding there means nothing "
            "looked, so they are not measured (not-measured in SLA gaps).",
        ]
    measured = [p for p in sla.patches if p.verdict == "measured-by-inspector"]
    if measured:
        out += [
            "",
            f"{len(measured)} missing patch(es) of {len({p.instance_id for p in measured})} node(s) without a release "
            "date from Patch Manager: measured by Inspector findings (Inspector on and read in their region), "
            "not a gap.",
        ]
    if sla.breaches:
        out += ["", "### Breaches", "", "| Region | Node | Patch | Severity | Source | Released | Installed | Days |"]
        out.append("|---|---|---|---|---|---|---|---|")
        for p in sla.breaches:
            # Inspector's titles start with the CVE id already: written once.
            name = p.title if p.title.startswith(p.patch_id) else f"{p.patch_id} {p.title}".strip()
            cells = [p.region, p.instance_id, name, p.severity, p.source]
            cells += [
                f"{p.released:%Y-%m-%d}" if p.released else "",
                f"{p.installed:%Y-%m-%d}" if p.installed else "missing",
            ]
            cells += [f"{p.days:.1f} (SLA {p.sla_days})" if p.days is not None else ""]
            out.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        if any(p.source != "patch-manager" for p in sla.breaches):
            out += [
                "",
                "An Inspector finding's release is the vendor's publication of the vulnerability "
                "(vendorCreatedAt): its fix may be younger.",
            ]
    if sla.gaps:
        out += ["", "### SLA gaps", "", "| Region | Resource | Gap | Count | Detail |", "|---|---|---|---|---|"]
        out += [f"| {g.region} | {_cell(g.resource)} | {g.kind} | {g.count} | {_cell(g.detail)} |" for g in sla.gaps]
    return out


def csv_rows(sla: SlaReport, width: int, read: list[str]) -> list[list[object]]:
    """Rows in the report's CSV columns: ``sla`` per patch judged (node columns: instance, patch id as name,
    source as platform, state, verdict as status, days and SLA as reason), ``sla-gap`` per gap."""
    rows: list[list[object]] = []
    for p in sla.patches:
        reason = f"{p.severity}: " + (
            f"{p.days:.1f} days, SLA {p.sla_days}"
            if p.days is not None
            else "measured by Inspector findings"
            if p.verdict == "measured-by-inspector"
            else "installed, no release date: install not timed"
            if p.verdict == "install-not-timed"
            else "no release date"
        )
        row: list[object] = ["sla", p.region, p.patch_group or "", p.instance_id, p.patch_id, p.source, p.state, ""]
        rows.append([*row, p.verdict, reason, *[""] * width, *read])
    for g in sla.gaps:
        rows.append(
            [
                "sla-gap",
                g.region,
                "",
                "",
                g.resource,
                "",
                "",
                "",
                g.kind,
                f"{g.count}: {g.detail}",
                *[""] * width,
                *read,
            ]
        )
    return rows


def html_figures(sla: SlaReport) -> dict[str, Any]:
    """What the HTML template's SLA section shows: the headline, the table and a bar of verdicts."""
    counts = {verdict: sum(1 for p in sla.patches if p.verdict == verdict) for verdict in VERDICTS}
    total = sum(counts.values())
    return {
        "headline": headline(sla),
        "rows": sla.severities(),
        "bars": [
            (verdict, n, VERDICT_COLOURS[verdict], (n / total * 100) if total else 0) for verdict, n in counts.items()
        ],
        "breaches": sla.breaches,
        "gaps": sla.gaps,
        "inspector": sla.inspector,
        "verdicts": VERDICTS,
    }
