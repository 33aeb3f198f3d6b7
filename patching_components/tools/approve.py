"""``patching approve STACK_FILE --window K --date D [--dry-run]``: approve one occurrence of an
approval-gated window by adding its local date to ``approvedOccurrences`` in the stack file.

Offline: the approval is a change to the stack file, reviewed and merged like any other; ``pulumi
up`` then publishes it to the window's approval calendar. The file is edited in place, line by line
(no YAML library here keeps comments), touching only the window's ``approvedOccurrences``: a block
list gets a ``- D`` item in date order, a flow list ``[...]`` the date in order, and a window
without the key gets ``approvedOccurrences: [D]`` after its ``requiresApproval`` line. The edited
text is validated with the config model before it is written; anything else is refused with the
reason (exit 1), and an occurrence that is approved already changes nothing (exit 0).
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from .common import EXIT_INVALID, EXIT_OK, UsageError, add_esc_option, esc_config

if TYPE_CHECKING:
    from ..config import StackConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("stack_file", metavar="STACK_FILE", help="the stack file (Pulumi.<stack>.yaml)")
    parser.add_argument("--window", required=True, metavar="KEY", help="the approval-gated window's key")
    parser.add_argument(
        "--date",
        required=True,
        metavar="YYYY-MM-DD",
        help="the occurrence's local start date, in the window's time zone",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the change, do not write it")
    add_esc_option(parser)


class EditError(Exception):
    """The stack file's text is not laid out in a way this command edits safely."""


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--date {text!r}: give the occurrence's local date as YYYY-MM-DD") from None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _block(lines: list[str], start: int) -> int:
    """The end (exclusive) of the mapping entry starting at ``start``: the next content line indented
    no deeper than it."""
    own = _indent(lines[start])
    end = start + 1
    while end < len(lines) and (not _content(lines[end]) or _indent(lines[end]) > own):
        end += 1
    while end > start + 1 and not _content(lines[end - 1]):  # trailing blanks and comments stay outside
        end -= 1
    return end


def _key_line(lines: list[str], first: int, last: int, key: str, indent: int | None = None) -> int | None:
    """The line in [first, last) that opens ``key:`` (at ``indent`` when given, else the shallowest)."""
    pattern = re.compile(rf"^(\s*)(['\"]?){re.escape(key)}\2\s*:(\s|$)")
    found = [
        i
        for i in range(first, last)
        if (m := pattern.match(lines[i])) and (indent is None or len(m.group(1)) == indent)
    ]
    if indent is None and found:
        shallowest = min(_indent(lines[i]) for i in found)
        found = [i for i in found if _indent(lines[i]) == shallowest]
    if len(found) > 1:
        raise EditError(f"{key}: appears {len(found)} times at one level")
    return found[0] if found else None


_FLOW = re.compile(r"^(?P<head>\s*approvedOccurrences\s*:\s*)\[(?P<items>[^\]#]*)\](?P<tail>\s*(#.*)?)$")
_ITEM = re.compile(r"^(?P<head>\s*-\s*)(?P<value>['\"]?\d{4}-\d{2}-\d{2}['\"]?)(?P<tail>\s*(#.*)?)$")


def add_approval(text: str, window: str, day: date) -> str:
    """``text`` with ``day`` added to ``maintenanceWindows.<window>.approvedOccurrences`` (its line
    endings kept)."""
    if "\r\n" in text:
        return _add(text.replace("\r\n", "\n"), window, day).replace("\n", "\r\n")
    return _add(text, window, day)


def _add(text: str, window: str, day: date) -> str:
    lines = text.split("\n")
    section = _key_line(lines, 0, len(lines), "patching:maintenanceWindows")
    if section is None:
        raise EditError("no patching:maintenanceWindows key in the file")
    section_end = _block(lines, section)
    children = [i for i in range(section + 1, section_end) if _content(lines[i])]
    if not children:
        raise EditError("patching:maintenanceWindows is not a block mapping")
    child_indent = _indent(lines[children[0]])
    start = _key_line(lines, section + 1, section_end, window, child_indent)
    if start is None:
        raise EditError(f"window {window} is not written in this file")
    end = _block(lines, start)
    field_lines = [i for i in range(start + 1, end) if _content(lines[i])]
    if not field_lines or lines[start].split(":", 1)[1].split("#")[0].strip():
        raise EditError(f"window {window} is not a block mapping (a flow mapping {{...}} is not edited)")
    field_indent = _indent(lines[field_lines[0]])
    new = day.isoformat()
    at = _key_line(lines, start + 1, end, "approvedOccurrences", field_indent)
    if at is None:
        after = _key_line(lines, start + 1, end, "requiresApproval", field_indent)
        if after is None:
            raise EditError(f"window {window} has no requiresApproval line")
        lines.insert(after + 1, f"{' ' * field_indent}approvedOccurrences: [{new}]")
        return "\n".join(lines)
    flow = _FLOW.match(lines[at])
    if flow:
        items = [item.strip() for item in flow.group("items").split(",") if item.strip()]
        if not all(re.fullmatch(r"['\"]?\d{4}-\d{2}-\d{2}['\"]?", item) for item in items):
            raise EditError(f"{window}.approvedOccurrences holds something other than dates")
        items = sorted([*items, new], key=lambda item: item.strip("'\""))
        lines[at] = f"{flow.group('head')}[{', '.join(items)}]{flow.group('tail')}"
        return "\n".join(lines)
    if lines[at].split(":", 1)[1].split("#")[0].strip():
        raise EditError(f"{window}.approvedOccurrences is neither a [..] list on one line nor a block list")
    item_lines = [i for i in range(at + 1, _block(lines, at) if at + 1 < end else at + 1) if _content(lines[i])]
    # A block list may sit at the key's own indent (YAML allows "- x" there): take the lines that follow.
    if not item_lines:
        i = at + 1
        while i < end and (not _content(lines[i]) or _ITEM.match(lines[i])):
            if _content(lines[i]):
                item_lines.append(i)
            i += 1
    if not item_lines or not all(_ITEM.match(lines[i]) for i in item_lines):
        raise EditError(f"{window}.approvedOccurrences is not a list of dates, one per '- ' line")
    matches = [(i, _ITEM.match(lines[i])) for i in item_lines]
    position = next((i for i, m in matches if m and m.group("value").strip("'\"") > new), None)
    head = matches[0][1].group("head") if matches[0][1] else "- "
    if position is None:
        lines.insert(item_lines[-1] + 1, f"{head}{new}")
    else:
        lines.insert(position, f"{head}{new}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ..config import ConfigError
    from ..config.approvals import is_occurrence_date, not_an_occurrence
    from ..config.esc import environment_warnings, explain, merged
    from ..config.stack_file import read_stack_document, read_stack_file
    from ..errors import closest, did_you_mean, issue_lines

    esc = esc_config(args)

    def parse_stack_text(text: str, source: str) -> StackConfig:
        """The model of the stack file's text with the --esc-config values beneath its own (config.esc)."""
        document = read_stack_document(text, source)
        try:
            return merged(document, esc).validate()
        except ConfigError as exc:
            raise explain(exc, document, esc) from None

    def load_stack_file(path: Path) -> StackConfig:
        text = read_stack_file(path)
        for line in issue_lines(str(path), environment_warnings(read_stack_document(text, str(path)), esc)):
            print(f"warning: {line}", file=sys.stderr)
        return parse_stack_text(text, str(path))

    path = Path(args.stack_file)
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    day = _day(args.date)
    try:
        config: StackConfig = load_stack_file(path)
    except ConfigError as exc:
        print("\n".join([*exc.lines(), f"{path}: fix the stack file before approving"]), file=sys.stderr)
        return EXIT_INVALID
    key = f"patching:maintenanceWindows.{args.window}"
    window = config.maintenance_windows.get(args.window)
    if window is None:
        hint = did_you_mean(closest(args.window, sorted(config.maintenance_windows)))
        print(f"{path}: {key}: no such window{hint}", file=sys.stderr)
        return EXIT_INVALID
    if not window.requires_approval:
        print(
            f"{path}: {key}: the window is not approval-gated (no requiresApproval: true): it runs on every "
            "occurrence and needs no approval",
            file=sys.stderr,
        )
        return EXIT_INVALID
    if not is_occurrence_date(window, day):
        print(f"{path}: {key}.approvedOccurrences: {not_an_occurrence(window, day)}", file=sys.stderr)
        return EXIT_INVALID
    if day in window.approved_occurrences:
        print(f"{path}: {args.window} on {day.isoformat()} is approved already: nothing to change")
        return EXIT_OK
    text = path.read_text()
    try:
        edited = add_approval(text, args.window, day)
        check = parse_stack_text(edited, str(path))
        if sorted(check.maintenance_windows[args.window].approved_occurrences) != sorted(
            [*window.approved_occurrences, day]
        ):
            raise EditError("the edited file does not hold exactly the approvals expected")
    except (EditError, ConfigError) as exc:
        reason = "\n".join(exc.lines()) if isinstance(exc, ConfigError) else str(exc)
        print(
            f"{path}: not edited: {reason}\n"
            f"add {day.isoformat()} to {key}.approvedOccurrences by hand (a list of YYYY-MM-DD dates)",
            file=sys.stderr,
        )
        return EXIT_INVALID
    diff = "".join(
        difflib.unified_diff(text.splitlines(keepends=True), edited.splitlines(keepends=True), str(path), str(path))
    )
    if args.dry_run:
        sys.stdout.write(diff)
        print(f"# dry run: {path} not written")
        return EXIT_OK
    path.write_text(edited)
    sys.stdout.write(diff)
    print(
        f"# approved {args.window} on {day.isoformat()} ({window.timezone}); commit the change and have it reviewed: "
        f"`pulumi up` on the stack opens the window's approval calendar for that occurrence"
    )
    return EXIT_OK
