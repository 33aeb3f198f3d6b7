"""`patching report --fleet [FILE ...]`: the whole fleet on one page for the MSP.

Each FILE is a stack file, read live like `patching report STACK_FILE` (each in its own account, opened as
that stack's aws: settings say), or a report saved with ``--format json`` (read offline); without FILEs,
every stack file (``stacks/Pulumi.*.yaml``). Each customer is one row of figures from its report's JSON
form (data/report.schema.json), so a live read and a saved report give the same row.

Customers are ordered by risk (``RISK_ORDER``): an input that could not be read first (nothing is known
of it), then by most non-compliant nodes, most SLA breaches, most uncovered nodes, most stale golden AMIs,
then by customer and stack. The totals are the sums of the rows. Exit 0 only when every input was read
and every customer's report is ok (its SLA too, where it has one); else 3.

A report is the customer's whole answer only when it read every region of the stack (``stackRegions``; a report
saved with ``--region``, or by a patching before the field, is NOT OK, the row saying why) and, with ``--sla``, judged
the SLA of the month asked (``--month``, default this month so far): a report without an SLA section or with
another month's is NOT OK too. The page names the month.

Absence is never success: ``--expect NAME,...`` names the stacks the page must show (the monthly workflow
passes the stacks its report jobs ran for); each one without a report is an unreadable row ("no report").
A saved report older than ``--max-age-days`` (default ``MAX_AGE_DAYS``) is unreadable too ("stale"): last
month's green report is not this month's.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from .report_model import FAILED_BUILDS, STALE_AMI_DAYS

FLEET_FORMATS = ("md", "html", "csv", "json")
UNCOVERED_STATUSES = ("not-managed", "no-patch-group", "unregistered-group")
"""Node statuses of a node nothing of the customer's stack patches (report_model.NODE_STATUSES)."""
RISK_ORDER = ("unreadable", "nonCompliant", "slaBreaches", "uncovered", "staleAmis")
"""What orders the customers, most at risk first (each descending); ties by customer, then stack."""
FIGURES = ("nodes", "compliant", "nonCompliant", "uncovered", "gaps", "slaBreaches", "slaGaps", "staleAmis")
"""The per-customer figures the fleet totals."""


@dataclass
class FleetRow:
    source: str
    """The file the row comes from."""
    customer: str
    stack: str
    account: str
    figures: dict[str, int] = field(default_factory=dict)
    sla: bool = False
    """Whether the report judged an SLA (``--sla`` on a stack with ``patching:sla``); without, its SLA breaches are
    0 and the row says "no SLA read"."""
    ok: bool = False
    error: str | None = None
    """Why the input could not be read; None: read."""
    problems: list[str] = field(default_factory=list)
    """Why the report, read, is not the answer asked for (part of the stack's regions, no SLA or another month's)."""
    sla_month: str | None = None
    """The month of the report's SLA section; None: it has none."""

    @property
    def risk(self) -> tuple[Any, ...]:
        values = [1 if self.error else 0, *(self.figures.get(k, 0) for k in RISK_ORDER[1:])]
        return (*(-v for v in values), self.customer, self.stack, self.source)


def row_of(data: dict[str, Any], source: str, *, sla_month: str | None = None) -> FleetRow:
    """A customer's row from its report's JSON form; ``sla_month``: the month whose SLA it must have judged
    (``--sla``), None: any or none."""
    summary = data["summary"]
    nodes = data["nodes"]
    sla = data.get("sla")
    stale = sum(1 for p in data["pipelines"] if _stale(p))
    figures = {
        "nodes": int(summary["nodes"]),
        "compliant": int(summary["compliant"]),
        "nonCompliant": int(summary["nonCompliant"]),
        "uncovered": sum(1 for n in nodes if n["status"] in UNCOVERED_STATUSES),
        "gaps": int(summary["gaps"]),
        "slaBreaches": int(sla["breaches"]) if sla else 0,
        "slaGaps": sum(int(g["count"]) for g in sla["gaps"]) if sla else 0,
        "staleAmis": stale,
    }
    problems = _partial(data) + _sla_problems(sla, sla_month)
    ok = bool(summary["ok"]) and (sla is None or bool(sla["ok"])) and not problems and not stale
    judged = sla is not None and bool(sla.get("slaDays"))
    month = str(sla["month"]) if sla else None
    return FleetRow(
        source, data["customer"], data["stack"], data["account"]["id"], figures, judged, ok, None, problems, month
    )


def _partial(data: dict[str, Any]) -> list[str]:
    """Why the report is not the whole stack's: it read only some of the stack's regions, or says not which."""
    stack_regions = data.get("stackRegions")
    if stack_regions is None:
        return [
            "regions unknown: the report does not say which regions its stack has (saved by an older patching): "
            "re-run patching report"
        ]
    missing = [r for r in stack_regions if r not in data["regions"]]
    if missing or data.get("regionsNarrowed"):
        return [f"partial: read {', '.join(data['regions'])} only (--region), not the stack's {', '.join(missing)}"]
    return []


def _sla_problems(sla: dict[str, Any] | None, month: str | None) -> list[str]:
    if month is None:
        return []
    if sla is None:
        return [f"no SLA: --sla asks for {month}'s, and the report was saved without --sla"]
    if sla.get("month") != month:
        return [f"SLA of {sla.get('month')}, not {month}"]
    return []


def _stale(pipeline: dict[str, Any]) -> bool:
    """Whether the pipeline's image is stale, as the report's gaps judge it (report_deployment.pipelines: no
    image, a failed last build, or the newest successful build older than STALE_AMI_DAYS); a report saved before
    ``lastSuccess`` by its last build (not a success, or older than that)."""
    build = pipeline.get("lastBuild")
    if pipeline.get("imageId") is None:
        return True
    if "lastSuccess" in pipeline:
        success = pipeline["lastSuccess"]
        if build is not None and build.get("status") in FAILED_BUILDS:
            return True
        age = None if success is None else success.get("ageDays")
    else:
        age = None if build is None or build.get("status") != "Success" else build.get("ageDays")
    return age is None or age > STALE_AMI_DAYS


MAX_AGE_DAYS = 7
"""A saved report generated longer ago than this is stale on the fleet page (``--max-age-days``): the monthly
run writes each report minutes before the page, and a week leaves room for a re-run by hand."""

REQUIRED = ("schemaVersion", "account", "customer", "stack", "summary", "nodes", "pipelines")


def read_saved(path: Path) -> dict[str, Any]:
    """A saved ``--format json`` report; ValueError naming what is wrong with it."""
    from .report_formats import SCHEMA_VERSION

    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"cannot read it as JSON: {exc}") from None
    if not isinstance(data, dict) or any(key not in data for key in REQUIRED):
        raise ValueError("not a `patching report --format json` report (keys " + ", ".join(REQUIRED) + " expected)")
    if data["schemaVersion"] != SCHEMA_VERSION:
        raise ValueError(f"schemaVersion {data['schemaVersion']!r}; this patching reads {SCHEMA_VERSION}")
    return data


@dataclass
class Fleet:
    rows: list[FleetRow]
    sla_month: str | None = None
    """The month whose SLA every report must have judged (``--sla``); None: not asked."""

    def ordered(self) -> list[FleetRow]:
        return sorted(self.rows, key=lambda r: r.risk)

    def totals(self) -> dict[str, int]:
        return {key: sum(r.figures.get(key, 0) for r in self.rows) for key in FIGURES}

    @property
    def ok(self) -> bool:
        return bool(self.rows) and all(r.ok and r.error is None for r in self.rows)


def build(
    inputs: list[tuple[str, dict[str, Any] | str]],
    *,
    expect: list[str] | None = None,
    now: datetime | None = None,
    max_age_days: int = MAX_AGE_DAYS,
    sla_month: str | None = None,
) -> Fleet:
    """The fleet of ``inputs``: (source, its report's JSON form, or why it could not be read). With ``now``, a
    report generated more than ``max_age_days`` before it is an unreadable row ("stale"); each stack of
    ``expect`` that no input is for is an unreadable row ("no report"); with ``sla_month`` (``--sla``), a report
    without that month's SLA is not ok."""
    rows = []
    for source, data in inputs:
        if isinstance(data, str):
            rows.append(FleetRow(source, "?", "?", "?", error=data))
            continue
        try:
            row = row_of(data, source, sla_month=sla_month)
            stale = None if now is None else _staleness(data, now, max_age_days)
        except (KeyError, TypeError, ValueError) as exc:
            rows.append(FleetRow(source, str(data.get("customer", "?")), "?", "?", error=f"malformed report: {exc}"))
            continue
        if stale:
            row = FleetRow(source, row.customer, row.stack, row.account, error=stale)
        rows.append(row)
    for name in expect or []:
        if not any(_is_for(row, name) for row in rows):
            why = "no report: this stack's report was expected (--expect) but none was given; its report job died"
            rows.append(FleetRow("(none)", "?", name, "?", error=why + " before writing it, or it was not saved"))
    return Fleet(rows, sla_month)


def _staleness(data: dict[str, Any], now: datetime, max_age_days: int) -> str | None:
    """Why the report is stale (generated more than ``max_age_days`` before ``now``); None: fresh."""
    generated = datetime.fromisoformat(str(data["generatedAt"]))
    if generated.tzinfo is None:
        raise ValueError(f"generatedAt {data['generatedAt']!r} has no time zone")
    age = (now - generated).total_seconds() / 86400
    if age <= max_age_days:
        return None
    return (
        f"stale: generated {generated:%Y-%m-%d %H:%M}Z, {age:.1f} days ago (more than --max-age-days "
        f"{max_age_days}): not this run's report"
    )


def _is_for(row: FleetRow, name: str) -> bool:
    """Whether ``row`` is stack ``name``'s: its report says so, or (an input that could not be read) its file is
    named after it (``NAME.json`` as the monthly workflow saves it, or ``Pulumi.NAME.yaml``)."""
    if row.stack == name:
        return True
    file = Path(row.source).name
    return row.stack == "?" and file in (f"{name}.json", f"Pulumi.{name}.yaml")


def parse_expect(values: list[str] | None) -> list[str]:
    """The stack names of ``--expect`` (each ``NAME,NAME`` or a JSON list, as the workflow's select job writes)."""
    names: list[str] = []
    for value in values or []:
        text = value.strip()
        if text.startswith("["):
            try:
                items = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(f"--expect {value!r}: not a JSON list of stack names ({exc})") from None
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise ValueError(f"--expect {value!r}: give a JSON list of stack names")
        else:
            items = text.split(",")
        names += [i.strip() for i in items if i.strip() and i.strip() not in names]
    return names


TITLES = {
    "nodes": "Nodes",
    "compliant": "Compliant",
    "nonCompliant": "Not compliant",
    "uncovered": "Uncovered",
    "gaps": "Deployment gaps",
    "slaBreaches": "SLA breaches",
    "slaGaps": "SLA gaps",
    "staleAmis": "Stale AMIs",
}


def _state(row: FleetRow) -> str:
    if row.error:
        return f"UNREADABLE: {row.error}"
    state = ("ok" if row.ok else "NOT OK") + "".join(f"; {p}" for p in row.problems)
    return state + (f" (SLA {row.sla_month})" if row.sla else " (no SLA read)")


def _sla_line(fleet: Fleet) -> str:
    if fleet.sla_month is None:
        return "SLA: each customer's as its report judged it (no --sla: no month asked)."
    return f"SLA of {fleet.sla_month} (--sla): a report without it is not ok."


def as_data(fleet: Fleet) -> dict[str, Any]:
    return {
        "customers": [
            {
                "source": r.source,
                "customer": r.customer,
                "stack": r.stack,
                "account": r.account,
                "ok": r.ok and r.error is None,
                "slaRead": r.sla,
                "slaMonth": r.sla_month,
                "error": r.error,
                "problems": r.problems,
                **{k: r.figures.get(k, 0) for k in FIGURES},
            }
            for r in fleet.ordered()
        ],
        "totals": fleet.totals(),
        "ok": fleet.ok,
        "slaMonth": fleet.sla_month,
        "riskOrder": list(RISK_ORDER),
    }


def markdown(fleet: Fleet) -> str:
    totals = fleet.totals()
    bad = sum(1 for r in fleet.rows if not r.ok or r.error)
    out = [
        "# Patching: the fleet at a glance",
        "",
        f"**{len(fleet.rows)} customer(s), {bad} not ok**; {totals['nodes']} node(s), {totals['nonCompliant']} not "
        f"compliant, {totals['uncovered']} uncovered, {totals['slaBreaches']} SLA breach(es), {totals['staleAmis']} "
        "stale golden AMI(s).",
        "",
        _sla_line(fleet),
        "",
        "Most at risk first: unreadable, then most non-compliant nodes, SLA breaches, uncovered nodes, stale AMIs.",
        "",
        "| Customer | Stack | Account | State | " + " | ".join(TITLES[k] for k in FIGURES) + " |",
        "|---|---|---|---|" + "---|" * len(FIGURES),
    ]
    for r in fleet.ordered():
        cells = [r.customer, r.stack, r.account, _state(r), *(r.figures.get(k, "") for k in FIGURES)]
        out.append("| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |")
    out.append("| **Total** | | | | " + " | ".join(f"**{totals[k]}**" for k in FIGURES) + " |")
    return "\n".join(out) + "\n"


def csv_text(fleet: Fleet) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["row", "customer", "stack", "account", "source", "state", *FIGURES])
    for r in fleet.ordered():
        writer.writerow(
            ["customer", r.customer, r.stack, r.account, r.source, _state(r), *(r.figures.get(k, "") for k in FIGURES)]
        )
    totals = fleet.totals()
    writer.writerow(["total", "", "", "", "", "ok" if fleet.ok else "NOT OK", *(totals[k] for k in FIGURES)])
    return buffer.getvalue()


BAR_PARTS = (("compliant", "#2e7d32"), ("nonCompliant", "#c62828"))


def html(fleet: Fleet) -> str:
    """One self-contained page: a bar per customer (compliant and non-compliant nodes, to scale), the table."""
    from jinja2 import Environment, select_autoescape

    text = resources.files("patching_components").joinpath("templates/fleet.html.j2").read_text()
    environment = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    widest = max((r.figures.get("nodes", 0) for r in fleet.rows), default=0)
    bars = [
        (
            r,
            [
                (key, r.figures.get(key, 0), colour, (r.figures.get(key, 0) / widest * 400) if widest else 0)
                for key, colour in BAR_PARTS
            ],
        )
        for r in fleet.ordered()
    ]
    return environment.from_string(text).render(
        fleet=fleet,
        bars=bars,
        totals=fleet.totals(),
        figures=FIGURES,
        titles=TITLES,
        state=_state,
        sla_line=_sla_line(fleet),
    )


def render(fleet: Fleet, fmt: str) -> str:
    if fmt == "md":
        return markdown(fleet)
    if fmt == "html":
        return html(fleet)
    if fmt == "csv":
        return csv_text(fleet)
    if fmt == "json":
        return json.dumps(as_data(fleet), indent=2) + "\n"
    raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FLEET_FORMATS)})")


def _live(path: Path, args: argparse.Namespace) -> dict[str, Any] | str:
    """A stack file read live, as `patching report` reads it (its own account); why not, as text."""
    from botocore.exceptions import BotoCoreError, ClientError

    from ..errors import ConfigError
    from .common import UsageError, aws_problem, aws_stack, stack_name, stack_regions
    from .report import collect
    from .report_formats import as_data as report_data
    from .report_sla import add_to

    one = argparse.Namespace(**{**vars(args), "stack_file": str(path)})
    try:
        path, config, primary, regions, account = aws_stack(one)
        report = collect(
            config,
            stack_name(path),
            regions,
            account.clients,
            primary_region=primary,
            account_id=account.account_id,
            principal_arn=account.principal_arn,
            days=args.days,
            max_scan_age_days=args.max_scan_age,
            stack_regions=stack_regions(config, primary),
        )
        if args.sla:
            add_to(
                report,
                {str(k): v for k, v in (config.sla or {}).items()},
                account.clients,
                groups=config.patch_groups,
                month=args.month,
            )
    except ConfigError as exc:
        return "; ".join(exc.lines())
    except UsageError as exc:
        return str(exc)
    except (BotoCoreError, ClientError) as exc:
        return aws_problem(exc)
    return report_data(report)


def run_fleet(args: argparse.Namespace) -> int:
    """`patching report --fleet`: exit 0 when every customer was read and is ok, 3 otherwise."""
    from .common import EXIT_NOT_COMPLIANT, EXIT_OK, UsageError, stack_files, write

    names = ([args.stack_file] if args.stack_file else []) + list(args.fleet or [])
    saved = [n for n in names if n.lower().endswith(".json")]
    stacks = [n for n in names if not n.lower().endswith(".json")]
    paths = [Path(n) for n in saved] + (stack_files(stacks) if stacks or not saved else [])
    try:
        expect = parse_expect(getattr(args, "expect", None))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    max_age = getattr(args, "max_age_days", None) or MAX_AGE_DAYS
    inputs: list[tuple[str, dict[str, Any] | str]] = []
    for path in paths:
        if path.suffix.lower() == ".json":
            try:
                inputs.append((str(path), read_saved(path)))
            except ValueError as exc:
                inputs.append((str(path), str(exc)))
        else:
            try:
                import boto3  # noqa: F401
            except ImportError:
                raise UsageError(
                    "reading stack files live needs boto3: pip install 'patching-components[report]'"
                ) from None
            inputs.append((str(path), _live(path, args)))
    now = datetime.now(UTC)
    month = (args.month or f"{now:%Y-%m}") if args.sla else None  # --sla's month, as the live reads judge it
    fleet = build(inputs, expect=expect, now=now, max_age_days=max_age, sla_month=month)
    for out in args.out or [None]:
        suffix = Path(out).suffix.lstrip(".") if out else ""
        text = render(fleet, suffix if suffix in FLEET_FORMATS else args.format)
        if out:
            write("--out", Path(out), text.encode())
        else:
            sys.stdout.write(text)
    return EXIT_OK if fleet.ok else EXIT_NOT_COMPLIANT
