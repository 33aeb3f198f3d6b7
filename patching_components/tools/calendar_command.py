"""``patching calendar``: the next windows of stack files, merged (overlaps, busy periods, iCalendar files)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from .common import (
    EXIT_INVALID,
    EXIT_OK,
    UsageError,
    add_esc_option,
    aws_region,
    esc_config,
    esc_warning_lines,
    load,
    stack_files,
    stack_name,
    write,
)

if TYPE_CHECKING:
    from .. import calendar
    from ..config import StackConfig


def _weeks(text: str) -> int:
    weeks = int(text)
    if not 1 <= weeks <= 104:
        raise argparse.ArgumentTypeError("give 1-104 weeks")
    return weeks


def _limit(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("give a number of customers, 0 or more")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "stack_files", nargs="*", metavar="STACK_FILE", help="default: stacks/Pulumi.*.yaml; several are merged"
    )
    parser.add_argument("--weeks", type=_weeks, default=4, help="how many weeks ahead (1-104, default 4)")
    parser.add_argument("--start", help="ISO date or date-time to start from (default: now; UTC without an offset)")
    parser.add_argument("--ics", metavar="PATH", help="also write one iCalendar file of every stack given")
    parser.add_argument(
        "--ics-dir", metavar="DIR", help="also write one iCalendar file per customer, DIR/<customer>.ics"
    )
    parser.add_argument(
        "--max-concurrent",
        type=_limit,
        metavar="N",
        help="list the periods in which more than N customers have an install window open",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="json: a list of the occurrences")
    add_esc_option(parser)


def _moment(moment: datetime) -> str:
    return f"{moment:%a %Y-%m-%d %H:%M %Z}"


def _until(start: datetime, end: datetime) -> str:
    """An end time next to its start: the day only when it changes, the zone only when DST did."""
    if (end.date() - start.date()).days > 1:  # a freeze: a date, not a weekday
        return f"{end:%Y-%m-%d %H:%M}" + (f" {end:%Z}" if end.utcoffset() != start.utcoffset() else "")
    text = f"{end:%a }" if end.date() != start.date() else ""
    return text + f"{end:%H:%M}" + (f" {end:%Z}" if end.utcoffset() != start.utcoffset() else "")


def _utc(moment: datetime, several: bool) -> str:
    """The UTC column (several stacks mix time zones: it shows the order)."""
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}Z  " if several else ""


def run(args: argparse.Namespace) -> int:
    from .. import calendar
    from ..errors import ConfigError

    files = stack_files(args.stack_files)
    esc = esc_config(args)
    configs: list[tuple[Path, str, StackConfig]] = []
    regions: dict[Path, str | None] = {}
    failed = []
    for path in files:
        try:
            checked = load(path, esc, find_warnings=False)  # it shows none: finding them took a third
        except ConfigError as exc:
            failed += exc.lines()
            continue
        for line in esc_warning_lines(path, checked):
            print(line, file=sys.stderr)
        configs.append((path, stack_name(path), checked.config))
        regions[path] = aws_region(checked)
    if failed:
        print("\n".join(failed), file=sys.stderr)
        return EXIT_INVALID
    try:
        start = calendar.parse_start(args.start)
    except ValueError:
        raise UsageError(f"--start {args.start!r}: give an ISO date or date-time, e.g. 2026-12-01") from None
    found = calendar.merge(
        calendar.occurrences(config, start, args.weeks, stack, region=regions[path]) for path, stack, config in configs
    )
    overlaps = calendar.overlaps(found)
    busy = None if args.max_concurrent is None else calendar.busy_periods(found, args.max_concurrent)
    customers = sorted({config.customer for _, _, config in configs})

    if args.ics:
        name = f"{customers[0]} patching" if len(customers) == 1 else f"patching: {len(customers)} customers"
        write("--ics", Path(args.ics), calendar.to_ics(found, name))
    if args.ics_dir:
        directory = Path(args.ics_dir)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"--ics-dir {directory}: cannot create: {exc.strerror or exc}") from None
        mine: dict[str, list[calendar.Occurrence]] = {}  # one pass, not one per customer
        for occurrence in found:
            mine.setdefault(occurrence.customer, []).append(occurrence)
        for customer in customers:
            calendar_file = calendar.to_ics(mine.get(customer, []), f"{customer} patching")
            write("--ics-dir", directory / f"{customer}.ics", calendar_file)

    from .rings_calendar import ring_json, ring_notes, ring_text  # patch rings: each ring window's ring and cut-off

    rings = ring_notes(configs, found)
    if args.format == "json":
        entries = [{**o.as_json(), **ring_json(rings.get(o))} for o in found]
        entries += [o.as_json() for o in overlaps] + [b.as_json() for b in busy or []]
        entries.sort(key=lambda e: datetime.fromisoformat(str(e["start"])).astimezone(UTC))
        print(json.dumps(entries, indent=2))
        return EXIT_OK

    until = start + timedelta(weeks=args.weeks)
    span = f"{start.isoformat(timespec='minutes')} to {until.isoformat(timespec='minutes')}"
    out: list[str] = []  # written at once: half a million lines print()ed one by one took seconds
    if len(configs) == 1:
        out.append(f"# Windows of {configs[0][2].customer} ({configs[0][0]}), {span},")
    else:
        out.append(f"# Windows of {len(configs)} stacks ({len(customers)} customers), {span},")
    out.append("# each in its own time zone. rate() windows are counted from the start of this calendar.")

    for path, _, config in configs:
        if config.mode == "disabled":
            out.append(f"# {config.customer} ({path}): patching:mode is disabled: no window runs.")
    # Several regions: each line says which.
    region_width = max((len(str(o.region)) for o in found), default=0) if len({o.region for o in found}) > 1 else 0

    def label(occurrence: calendar.Occurrence) -> str:
        customer = occurrence.customer
        name = customer if occurrence.stack == customer else f"{customer} ({occurrence.stack})"
        return f"{occurrence.region!s:<{region_width}} {name}" if region_width else name

    # A label per customer, stack and region, not per line.
    labels = {(o.customer, o.stack, o.region): o for o in found}
    width = max((len(label(o)) for o in labels.values()), default=0)
    padded = {key: f"{label(o):<{width}}" for key, o in labels.items()}
    # Several stacks mix time zones: a UTC column first shows the order.
    several = len(configs) > 1
    # The times of a line, once per distinct opening and closing: stacks share schedules, and so
    # (calendar.occurrences caches them) the very datetime objects. The key holds the zone and the
    # folds: aware times of one instant in two zones, or of one wall time on both sides of a DST
    # change, are equal but read differently.
    times: dict[tuple[datetime, datetime, object, object, int, int], str] = {}

    def when(begin: datetime, end: datetime) -> str:
        key = (begin, end, begin.tzinfo, end.tzinfo, begin.fold, end.fold)
        text = times.get(key)
        if text is None:
            text = times[key] = _utc(begin, several) + f"{_moment(begin):<25} - {_until(begin, end):<13}"
        return text

    for o in found:
        what = ", ".join(o.patch_groups) + (
            f"  SKIPPED: change freeze {o.skipped_by}"
            if o.skipped_by
            else f"  {o.at_risk.text()}"
            if o.at_risk
            else ("  AWAITING APPROVAL" if o.approval == "awaiting approval" else "")
        )
        what += ring_text(rings.get(o))
        out.append(
            f"{when(o.start, o.end)} {padded[o.customer, o.stack, o.region]} "
            f"{o.operation:<7} {o.window:<20} {what}".rstrip()
        )
    if overlaps:
        out.append("# Windows of one patch group open at the same time (two AWS-RunPatchBaseline runs on its nodes):")
        for overlap in overlaps:
            first, second = overlap.first, overlap.second
            closing = min(first.end, second.end, key=lambda moment: moment.astimezone(UTC))
            out.append(
                f"{_utc(second.start, several)}{_moment(second.start):<25} - {_until(second.start, closing):<13} "
                f"{label(second):<{width}} "
                f"{overlap.patch_group}: {first.window} and {second.window}"
            )
    if busy is not None:
        if not busy:
            out.append(f"# At no time do more than {args.max_concurrent} customers install at once.")
        else:
            noun = "customer" if args.max_concurrent == 1 else "customers"
            out.append(f"# More than {args.max_concurrent} {noun} installing at once (UTC):")
        for period in busy:
            out.append(
                f"{period.start:%a %Y-%m-%d %H:%M} - {_until(period.start, period.end):<13} "
                f"{len(period.customers)} customers: {', '.join(period.customers)}"
            )
    if args.ics:
        out.append(f"# wrote {len(found)} event(s) to {args.ics}")
    if args.ics_dir:
        out.append(f"# wrote {len(customers)} calendar(s) to {args.ics_dir}")
    out.append("")
    sys.stdout.write("\n".join(out))
    return EXIT_OK
