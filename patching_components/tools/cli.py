"""The ``patching`` command: validate, plan, calendar, schema, approve and the policies offline; report,
patch-now, notice, promote, resume and rollback with AWS credentials.

Those that need AWS credentials reach the stack's account through aws_access.open_account; nothing needs
the Pulumi CLI. Exit codes: 0 success, 1 invalid stack config (or a command not confirmed, an approval
that names no opening), 2 usage error (bad arguments, a file that is missing, not YAML or not a stack
file; for the AWS commands, an account the stack does not allow and every AWS failure, on one line),
3 ``report`` found something non-compliant, not covered or past its SLA, 4 refused: ``patch-now`` inside
a change freeze, ``promote`` a promotion the runbook refuses, ``resume`` while a stop alarm is in ALARM.

Each subcommand is a module of this package with ``add_arguments(parser)`` and
``run(args) -> exit code``. Only the module of the command given is imported (and what it
imports, when it runs): ``validate``, ``calendar`` and ``schema`` never load Pulumi or boto3.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Collection, Sequence
from types import ModuleType

from .. import __version__
from ..errors import ConfigError
from .common import EXIT_CODES, EXIT_INVALID, EXIT_OK, EXIT_USAGE, UsageError, aws_problem

# The subcommands in the order `patching --help` lists them: name -> module (under tools/) and its help.
COMMANDS = {
    "validate": ("validate", "check stack files (default: stacks/Pulumi.*.yaml)"),
    "plan": ("plan", "show the resources a first `pulumi up` would create"),
    "calendar": ("calendar_command", "list the next windows of stack files (default: stacks/Pulumi.*.yaml), merged"),
    "report": ("report_command", "patch compliance and coverage from live AWS state (AWS credentials)"),
    "patch-now": ("patch_now_command", "emergency patching of patch groups now (AWS credentials)"),
    "schema": ("schema", "print the JSON Schema of a stack file"),
    "rollback": ("rollback_command", "restore a node's root volume from its pre-patch snapshot (AWS credentials)"),
    "approve": ("approve", "approve one occurrence of an approval-gated window (edits the stack file)"),
    "notice": ("notice_command", "print the advance notice of each install window's next opening (AWS credentials)"),
    "deploy-policy": ("deploy_policy_command", "print the least-privilege IAM policy of the role that deploys a stack"),
    "report-policy": ("report_policy_command", "print the read-only IAM policy of the report's role"),
    "promote": ("promote_command", "promote a later patch ring now, or accept a refused promotion (AWS credentials)"),
    "resume": ("resume_command", "re-enable the windows a circuit breaker stopped (AWS credentials)"),
}


def command_module(name: str) -> ModuleType:
    """The module of subcommand ``name`` (imported on first use)."""
    return importlib.import_module(f".{COMMANDS[name][0]}", __package__)


AWS_MARK = "(AWS credentials)"
"""How a command's help in COMMANDS says it calls AWS: ``description`` sorts the commands by it."""


def description() -> str:
    """What ``patching --help`` says first: which commands are offline, which call AWS (from COMMANDS)."""
    aws = [name for name, (_, help_text) in COMMANDS.items() if AWS_MARK in help_text]
    offline = [name for name in COMMANDS if name not in aws]
    return (
        f"Tools for patching-components stack files. Offline, with no AWS credentials: {', '.join(offline)}. "
        f"With AWS credentials for the stack's account (see --profile): {', '.join(aws)}. "
        "None needs the Pulumi CLI."
    )


def build_parser(commands: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The whole parser; with ``commands``, only those subcommands get their options (and their
    modules imported): the others are still listed by ``--help`` and refused as usual."""
    parser = argparse.ArgumentParser(
        prog="patching",
        description=description(),
        epilog="exit codes: " + "; ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES.items()),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        if commands is None or name in commands:
            module = command_module(name)
            module.add_arguments(p)
            p.set_defaults(func=module.run)
    return parser


def _command_in(argv: Sequence[str]) -> list[str]:
    """The subcommand ``argv`` names: its first word that is not an option (``patching`` itself
    takes no option with a value)."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return [first] if first in COMMANDS else []


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(_command_in(argv)).parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"patching: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigError as exc:  # an invalid stack file: every error, with file, line and key path
        print("\n".join(exc.lines()), file=sys.stderr)
        return EXIT_INVALID
    except Exception as exc:
        # An AWS failure a command did not expect (botocore's errors): one line and exit 2, never a traceback.
        if not type(exc).__module__.startswith("botocore"):
            raise
        print(f"patching: error: {aws_problem(exc)}", file=sys.stderr)
        return EXIT_USAGE


def main_exit() -> None:
    """Console-script entry point."""
    # pydantic looks for plugins (the `pydantic` entry points) by reading the metadata of every
    # installed distribution when it builds its first validator: about a tenth of `patching validate`.
    # The command validates stack files with our own models and hosts no program whose validation
    # a plugin (tracing, logging) would follow, so its own process skips the search, unless the
    # user set the variable. Only here, in the command's entry point, before pydantic loads:
    # importing patching_components from a program (or calling main) leaves its plugins alone.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # `patching plan ... | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_OK
    sys.exit(code)


if __name__ == "__main__":
    main_exit()
