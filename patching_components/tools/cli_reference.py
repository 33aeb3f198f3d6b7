"""The CLI reference (docs/reference/cli.md), rendered from the ``patching`` argument parser: each
subcommand's synopsis, what it does, every option with its default and help text, and the exit
codes. Never kept by hand: a help text is changed in the command's module and the page follows.

``python -m patching_components.tools.cli_reference`` writes docs/reference/cli.md (another path as
the last argument); ``--check`` exits 1 when the file differs from the parser (the tests do the same).
Standard library only, and only the parser of tools/cli.py: no Pulumi, no AWS SDK.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .cli import COMMANDS, build_parser
from .common import EXIT_CODES

DEFAULT_PATH = Path("docs/reference/cli.md")
WIDTH = 100
"""The width usage lines are wrapped at (argparse's terminal width would make the page depend on the shell)."""

GENERATED = (
    "<!-- Generated from the argument parser by `python -m patching_components.tools.cli_reference`: "
    "do not edit; change the help text in patching_components/tools/ and run it again. -->"
)


def _formatter(parser: argparse.ArgumentParser) -> argparse.HelpFormatter:
    return argparse.HelpFormatter(prog=parser.prog, width=WIDTH)


def _usage(parser: argparse.ArgumentParser) -> str:
    formatter = _formatter(parser)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups)
    return formatter.format_help().strip()


def _cell(text: str) -> str:
    """Help text as one Markdown table cell: one line, no bare '|'; outside `code`, a '<' that is not
    HTML (``Pulumi.<stack>.yaml``) and a '*' that is not emphasis (``Pulumi.*.yaml``) escaped."""
    parts = " ".join(text.split()).replace("|", "\\|").split("`")
    for index in range(0, len(parts), 2):  # the even parts are outside code spans
        parts[index] = parts[index].replace("<", "&lt;").replace("*", "\\*")
    return "`".join(parts)


def _default(action: argparse.Action) -> str:
    if action.required or action.default in (None, argparse.SUPPRESS) or isinstance(action.default, bool):
        return "required" if action.required and action.option_strings else ""
    if isinstance(action.default, (list, tuple)):
        return "`" + " ".join(map(str, action.default)) + "`" if action.default else ""
    return f"`{action.default}`"


def _arguments(parser: argparse.ArgumentParser) -> list[str]:
    formatter = _formatter(parser)
    rows = []
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        invocation = formatter._format_action_invocation(action)
        if action.nargs == argparse.ZERO_OR_MORE and not action.option_strings:
            invocation = f"[{invocation} ...]"
        elif action.nargs == argparse.OPTIONAL and not action.option_strings:
            invocation = f"[{invocation}]"
        help_text = formatter._expand_help(action) if action.help else ""
        rows.append(f"| `{invocation}` | {_default(action)} | {_cell(help_text)} |")
    if not rows:
        return ["No arguments."]
    return ["| argument | default | meaning |", "|---|---|---|", *rows]


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def render() -> str:
    """The whole page, as Markdown."""
    parser = build_parser()
    lines = [
        GENERATED,
        "",
        "# CLI reference",
        "",
        f"`patching`: {parser.description}",
        "",
        "```text",
        _usage(parser),
        "```",
        "",
        "| command | what it does |",
        "|---|---|",
        *(f"| [`{name}`](#patching-{name}) | {_cell(help_text)} |" for name, (_, help_text) in COMMANDS.items()),
        "",
        "## Exit codes",
        "",
        "Every command exits with one of these:",
        "",
        "| code | meaning |",
        "|---|---|",
        *(f"| {code} | {_cell(meaning)} |" for code, meaning in EXIT_CODES.items()),
    ]
    for name, sub in _subparsers(parser).items():
        lines += ["", f"## patching {name}", "", _cell(COMMANDS[name][1]) + "."]
        if sub.description:
            lines += ["", sub.description.strip()]
        lines += ["", "```text", _usage(sub), "```", "", *_arguments(sub)]
        if sub.epilog:
            lines += ["", sub.epilog.strip()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[-1]) if args and not args[-1].startswith("-") else DEFAULT_PATH
    rendered = render()
    if "--check" in args:
        current = path.read_text() if path.exists() else None
        if current != rendered:
            print(
                f"{path}: the CLI reference differs from the argument parser; run "
                "python -m patching_components.tools.cli_reference",
                file=sys.stderr,
            )
            return 1
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(rendered)
    print(f"wrote the CLI reference in {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
