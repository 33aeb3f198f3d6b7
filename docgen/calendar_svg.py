"""docs/assets/calendar.svg: the example stacks' windows drawn from the calendar module's own occurrences
(patching_components.calendar, what `patching calendar` lists), as plain SVG text.

Days are columns (UTC dates), the time of day runs down (UTC, so that customers in different zones
line up), and each stack has its own lane in every column. A window is a bar in its stack's colour:
filled for an install, light for a scan, dotted for a golden AMI rebuild. The states the text calendar
marks are marked here too: an opening inside a change freeze (``SKIPPED: change freeze <name>``) is a
dashed outline with nothing inside, an approval-gated opening not approved (``AWAITING APPROVAL``) an
outline with a '?', and the freeze itself a hatched band over its lane. Each bar's tooltip is the line
the text calendar prints for it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from patching_components import calendar
from patching_components.tools.calendar_command import _moment, _until
from patching_components.tools.common import aws_region, load, stack_name
from patching_components.tools.rings_calendar import ring_notes, ring_text

ROOT = Path(__file__).resolve().parent.parent
STACKS = [ROOT / "stacks" / f"Pulumi.{name}.yaml" for name in ("acme", "globex", "initech")]
START = datetime(2027, 11, 1, tzinfo=UTC)
"""A Monday: the four weeks from it hold every kind of opening and every state the calendar marks (acme's
golden AMI rebuild on 1 November, globex's install awaiting approval on 11 November, its black-friday freeze
from 25 November and the windows that freeze skips)."""
WEEKS = 4
COLOURS = ("#0072B2", "#D55E00", "#009E73")  # Okabe-Ito: told apart with the common colour-vision deficiencies

HOUR = 18  # px per hour
LANE = 12
COLUMN = LANE * len(STACKS) + 8
LEFT, TOP = 52, 64
FONT = "font-family:sans-serif"


def _px(value: float) -> str:
    return f"{round(value, 2):g}"


def _label(occurrence: calendar.Occurrence, ring: str = "") -> str:
    """The text calendar's line for this opening (its UTC column aside; ``ring``: the line's ring note)."""
    if occurrence.kind == "freeze":
        what = ""
    else:
        what = ", ".join(occurrence.patch_groups)
    if occurrence.skipped_by:
        what += f"  SKIPPED: change freeze {occurrence.skipped_by}"
    elif occurrence.approval == "awaiting approval":
        what += "  AWAITING APPROVAL"
    what += ring
    text = (
        f"{_moment(occurrence.start)} - {_until(occurrence.start, occurrence.end)} {occurrence.region or ''} "
        f"{occurrence.customer} {occurrence.operation} {occurrence.window} {what}"
    )
    return " ".join(text.split())


def _pieces(start: datetime, end: datetime, first: date, days: int) -> list[tuple[int, float, float]]:
    """(day index, from hour, to hour) of a span cut at each UTC midnight, within the drawn days."""
    pieces = []
    moment, end = start.astimezone(UTC), end.astimezone(UTC)
    while moment < end:
        midnight = datetime.combine(moment.date() + timedelta(days=1), datetime.min.time(), UTC)
        upto = min(end, midnight)
        index = (moment.date() - first).days
        if 0 <= index < days:
            begin = moment.hour + moment.minute / 60
            finish = 24.0 if upto == midnight else upto.hour + upto.minute / 60
            pieces.append((index, begin, finish))
        moment = upto
    return pieces


def occurrences(
    stacks: Sequence[Path] = STACKS, start: datetime = START, weeks: int = WEEKS
) -> tuple[list[str], list[calendar.Occurrence], dict[calendar.Occurrence, str]]:
    """The customers (in the stacks' order), every opening of the stacks and the ring notes of the ring
    install windows' openings, as `patching calendar` finds them."""
    customers, lists, configs = [], [], []
    for path in stacks:
        checked = load(path, find_warnings=False)
        customers.append(checked.config.customer)
        configs.append((path, stack_name(path), checked.config))
        lists.append(calendar.occurrences(checked.config, start, weeks, stack_name(path), region=aws_region(checked)))
    found = calendar.merge(lists)
    return customers, found, {o: ring_text(note) for o, note in ring_notes(configs, found).items()}


def render(stacks: Sequence[Path] = STACKS, start: datetime = START, weeks: int = WEEKS) -> str:
    customers, found, rings = occurrences(stacks, start, weeks)
    first, days = start.astimezone(UTC).date(), weeks * 7
    lane_of = {customer: index for index, customer in enumerate(customers)}
    colour_of = {customer: COLOURS[index % len(COLOURS)] for index, customer in enumerate(customers)}
    # The hours drawn: those of the windows (whole three hours), not a freeze's whole days.
    spans = [p for o in found if o.kind != "freeze" for p in _pieces(o.start, o.end, first, days)]
    low = min((int(begin) // 3 * 3 for _, begin, _ in spans), default=0)
    high = max((-int(-finish // 3) * 3 for _, _, finish in spans), default=24)
    width, bottom = LEFT + days * COLUMN + 12, TOP + (high - low) * HOUR
    legend_top = bottom + 24
    height = legend_top + 56
    last = first + timedelta(days=days - 1)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="title">',
        f'<title id="title">Patching windows of {", ".join(customers)}, {first:%a %Y-%m-%d} to {last:%a %Y-%m-%d} '
        "(UTC)</title>",
        "<defs>",
        '<pattern id="freeze" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#f2f2f2"/><line x1="0" y1="0" x2="0" y2="6" stroke="#9a9a9a" '
        'stroke-width="2"/></pattern>',
        "</defs>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{LEFT}" y="20" style="{FONT};font-size:14px;font-weight:bold">Patching windows of '
        f"{escape(', '.join(customers))}, {first:%Y-%m-%d} to {last:%Y-%m-%d}, in UTC</text>",
    ]
    # Day columns: weekends shaded, the date on top.
    for index in range(days):
        day = first + timedelta(days=index)
        x = LEFT + index * COLUMN
        if day.weekday() >= 5:
            out.append(f'<rect x="{x}" y="{TOP}" width="{COLUMN}" height="{bottom - TOP}" fill="#f6f6f6"/>')
        centre = x + COLUMN / 2
        out.append(
            f'<text x="{_px(centre)}" y="{TOP - 22}" text-anchor="middle" style="{FONT};font-size:10px">{day:%a}</text>'
        )
        out.append(
            f'<text x="{_px(centre)}" y="{TOP - 10}" text-anchor="middle" style="{FONT};font-size:10px">'
            f"{day:%m-%d}</text>"
        )
    # Hours: a line and a label every three.
    for hour in range(low, high + 1, 3):
        y = TOP + (hour - low) * HOUR
        out.append(f'<line x1="{LEFT}" y1="{y}" x2="{LEFT + days * COLUMN}" y2="{y}" stroke="#dddddd"/>')
        out.append(
            f'<text x="{LEFT - 6}" y="{y + 4}" text-anchor="end" style="{FONT};font-size:10px">{hour:02d}:00</text>'
        )
    for index in range(days + 1):
        x = LEFT + index * COLUMN
        out.append(f'<line x1="{x}" y1="{TOP}" x2="{x}" y2="{bottom}" stroke="#dddddd"/>')
    # Freezes under the windows, then the windows.
    ordered = sorted(found, key=lambda o: o.kind != "freeze")
    for occurrence in ordered:
        label = escape(_label(occurrence, rings.get(occurrence, "")))
        colour = colour_of[occurrence.customer]
        for index, begin, finish in _pieces(occurrence.start, occurrence.end, first, days):
            x = LEFT + index * COLUMN + 4 + lane_of[occurrence.customer] * LANE
            begin, finish = max(begin, low), min(finish, high)
            if begin >= finish:
                continue
            y, h = TOP + (begin - low) * HOUR, (finish - begin) * HOUR
            box = f'x="{_px(x + 1)}" y="{_px(y)}" width="{LANE - 2}" height="{_px(h)}"'
            if occurrence.kind == "freeze":
                out.append(f'<rect {box} fill="url(#freeze)"><title>{label}</title></rect>')
            elif occurrence.skipped_by:
                out.append(
                    f'<rect {box} fill="none" stroke="{colour}" stroke-width="1.5" stroke-dasharray="3 2">'
                    f"<title>{label}</title></rect>"
                )
            elif occurrence.approval == "awaiting approval":
                out.append(
                    f'<g><title>{label}</title><rect {box} fill="#ffffff" stroke="{colour}" stroke-width="1.5"/>'
                    f'<text x="{_px(x + LANE / 2)}" y="{_px(y + h / 2 + 4)}" text-anchor="middle" '
                    f'style="{FONT};font-size:11px;font-weight:bold" fill="{colour}">?</text></g>'
                )
            elif occurrence.operation == "Install":
                out.append(f'<rect {box} fill="{colour}"><title>{label}</title></rect>')
            elif occurrence.operation == "Build":
                out.append(
                    f'<rect {box} fill="{colour}" fill-opacity="0.6" stroke="{colour}" stroke-dasharray="1 2">'
                    f"<title>{label}</title></rect>"
                )
            else:  # Scan
                out.append(
                    f'<rect {box} fill="{colour}" fill-opacity="0.3" stroke="{colour}"><title>{label}</title></rect>'
                )
    # The legend: a swatch per stack, then the marks.
    x = LEFT
    for customer in customers:
        colour = colour_of[customer]
        out.append(f'<rect x="{x}" y="{legend_top}" width="12" height="12" fill="{colour}"/>')
        out.append(
            f'<text x="{x + 16}" y="{legend_top + 10}" style="{FONT};font-size:11px">{escape(customer)}'
            f" (lane {lane_of[customer] + 1})</text>"
        )
        x += 130
    marks = [
        ('fill="#555555"', "Install"),
        ('fill="#555555" fill-opacity="0.3" stroke="#555555"', "Scan"),
        ('fill="#555555" fill-opacity="0.6" stroke="#555555" stroke-dasharray="1 2"', "Build (golden AMI)"),
        ('fill="none" stroke="#555555" stroke-width="1.5" stroke-dasharray="3 2"', "SKIPPED: change freeze"),
        ('fill="#ffffff" stroke="#555555" stroke-width="1.5"', "AWAITING APPROVAL (?)"),
        ('fill="url(#freeze)"', "change freeze"),
    ]
    x, y = LEFT, legend_top + 28
    for style, name in marks:
        out.append(f'<rect x="{x}" y="{y}" width="12" height="12" {style}/>')
        out.append(f'<text x="{x + 16}" y="{y + 10}" style="{FONT};font-size:11px">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    out.append("</svg>")
    return "\n".join(out) + "\n"
