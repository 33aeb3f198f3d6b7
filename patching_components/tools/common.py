"""What the ``patching`` subcommands share: exit codes, the stack files they are given, and (for
``report`` and ``patch-now``) the way into the stack's AWS account.

Only the standard library and ``errors`` load with this module: the config model, the checks and
the AWS clients load when a command uses them, so ``patching --help`` and the offline commands
start quickly and never import Pulumi or boto3.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..checks import CheckedStack
    from ..config import StackConfig
    from ..config.esc import EscConfig

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_NOT_COMPLIANT, EXIT_FROZEN = 0, 1, 2, 3, 4
DEFAULT_STACK_GLOB = "stacks/Pulumi.*.yaml"


class UsageError(Exception):
    """Bad arguments or a file that cannot be used: ``patching: error: <message>``, exit 2."""


def yml_refusal(path: Path) -> str:
    """Why a ``*.yml`` stack file is refused: the Pulumi CLI reads ``Pulumi.<stack>.yaml`` only
    (Pulumi's "Stack settings file reference"), so ``pulumi up`` would run that stack without it."""
    return (
        f"{path}: the Pulumi CLI reads only Pulumi.<stack>.yaml stack files and would ignore this one; "
        f"rename it to {path.with_suffix('.yaml')}"
    )


def stack_files(paths: Sequence[str]) -> list[Path]:
    """The stack files given, else those matching DEFAULT_STACK_GLOB; UsageError for a missing one or a ``*.yml``."""
    if paths:
        files = [Path(p) for p in paths]
        stray = [f for f in files if f.suffix.lower() == ".yml"]
    else:
        files = sorted(Path().glob(DEFAULT_STACK_GLOB))
        # A stack file named *.yml is refused, never skipped: CI and `pulumi up` would both ignore it.
        stray = sorted(f for f in Path(DEFAULT_STACK_GLOB).parent.glob("*") if f.suffix.lower() == ".yml")
        if not files and not stray:
            raise UsageError(f"no stack files given and none match {DEFAULT_STACK_GLOB} in {Path.cwd()}")
    if stray:
        raise UsageError("\n  ".join(yml_refusal(f) for f in stray))
    for f in files:
        if not f.is_file():
            raise UsageError(f"{f}: no such file")
    return files


def add_esc_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--esc-config",
        metavar="FILE",
        help="the JSON `pulumi env open ENV --format json` prints: check the stack with its pulumiConfig values "
        "(the stack file's own values win)",
    )


def esc_config(args: argparse.Namespace) -> EscConfig | None:
    """The ``--esc-config`` file read (config.esc); UsageError (one line, exit 2) when it cannot be used."""
    if not getattr(args, "esc_config", None):
        return None
    from ..config.esc import EscFileError, read_esc_config

    try:
        return read_esc_config(args.esc_config)
    except EscFileError as exc:
        raise UsageError(str(exc)) from None


def esc_warning_lines(path: Path, checked: CheckedStack) -> list[str]:
    """``warning: ...`` lines about Pulumi ESC environments a stack imports whose values were not seen."""
    from ..errors import issue_lines

    return [f"warning: {line}" for line in issue_lines(str(path), checked.esc_warnings)]


def load(path: Path, esc: EscConfig | None = None, *, find_warnings: bool = True) -> CheckedStack:
    """A stack file checked like `patching validate`, read once; unreadable files are usage errors
    (ConfigError, exit 1, when it is read but invalid). ``find_warnings=False``: every error, no
    warning (ESC's aside: see checks.check_stack)."""
    from ..checks import check_stack
    from ..errors import StackFileError

    try:
        return check_stack(path, esc, find_warnings=find_warnings)
    except StackFileError as exc:
        raise UsageError(exc.lines()[0]) from None


def stack_name_of(path: str | Path) -> str:
    """``stacks/Pulumi.acme.yaml`` -> ``acme``."""
    name = Path(path).name
    if not (name.startswith("Pulumi.") and name.endswith((".yaml", ".yml"))):
        raise ValueError(f"{path}: a stack file is named Pulumi.<stack>.yaml")
    return name[len("Pulumi.") :].rsplit(".", 1)[0]


def stack_name(path: Path) -> str:
    """``Pulumi.<stack>.yaml`` -> ``<stack>``; another file's name without its suffix."""
    try:
        return stack_name_of(path)
    except ValueError:
        return path.stem


def aws_region(checked: CheckedStack) -> str | None:
    """A stack's aws:region (where its default provider builds), if it sets one."""
    region = checked.settings.get("aws:region")
    return str(region) if region else None


def write(option: str, path: Path, data: bytes) -> None:
    """Write an output file named by ``option``; UsageError when it cannot be written."""
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot write: {exc.strerror or exc}") from None


def aws_problem(exc: Exception) -> str:
    """One line about an AWS error: which call, where, what to do."""
    from .aws_access import problem

    return problem(exc)


def open_account(stack_settings: Mapping[str, Any], **kwargs: Any) -> Any:
    """aws_access.open_account (here so that tests can stand in for the account)."""
    from .aws_access import open_account as reach

    return reach(stack_settings, **kwargs)


def aws_stack(args: argparse.Namespace) -> tuple[Path, StackConfig, str, list[str], Any]:
    """What report and patch-now start from: the stack, its primary region, the regions asked for
    and its account (aws_access.Account), reached as the stack's aws: settings say; UsageError
    (exit 2, one line) when it cannot be reached or is not an allowed account."""
    from .. import layout
    from .aws_access import AccessError

    path = stack_files([args.stack_file])[0]
    esc = esc_config(args)
    checked = load_stack(args, path)
    _account_settings_seen(args, path, checked, esc)
    config, stack_settings = checked.config, checked.settings
    primary = layout.region_layout(config).region_or(str(stack_settings.get("aws:region") or ""))
    regions = stack_regions(config, primary) if primary else []
    if not regions:
        raise UsageError(f"{path} sets no aws:region: which region?")
    if args.region:
        if args.region not in regions:
            raise UsageError(f"--region {args.region}: the stack's regions are {', '.join(regions)}")
        regions = [args.region]
    try:
        import boto3  # noqa: F401
    except ImportError:
        raise UsageError(f"patching {args.command} needs boto3: pip install 'patching-components[report]'") from None
    try:
        secret_keys = _undecryptable(path, checked, esc)
        account = open_account(stack_settings, region=primary, profile=args.profile, secret_keys=secret_keys)
    except AccessError as exc:
        raise UsageError(f"{path}: {exc}") from None
    return path, config, primary, regions, account


def stack_regions(config: StackConfig, primary: str) -> list[str]:
    """Every AWS region of the stack (``primary``: the AWS region of its primary one), before ``--region``."""
    from .. import layout

    return [where.region_or(primary) for where in layout.regions(config)]


ESC_ACCOUNT_SETTINGS = ("aws:region", "aws:profile", "aws:assumeRoles", "aws:allowedAccountIds")
"""The settings that choose the account and region a command reads and acts in: from ESC, when the stack
imports environments, as from the stack file (beneath the file's own values)."""


def load_stack(args: argparse.Namespace, path: Path, *, find_warnings: bool = True) -> CheckedStack:
    """The one way a command reads its stack file: checked with the ``--esc-config`` values (if the command
    has the option and it is given) beneath the file's own, as ``pulumi up`` merges them; the warning
    about ESC environments it cannot see printed on stderr. UsageError/ConfigError as :func:`load`."""
    import sys

    checked = load(path, esc_config(args), find_warnings=find_warnings)
    for line in esc_warning_lines(path, checked):
        print(line, file=sys.stderr)
    return checked


def _account_settings_seen(args: argparse.Namespace, path: Path, checked: CheckedStack, esc: EscConfig | None) -> None:
    """Fail closed on a stack whose account settings may be in ESC environments patching cannot see: a
    warning naming them, and a refusal (UsageError) when no aws:allowedAccountIds is visible, since the
    command could then read or act in another account than the one ``pulumi up`` deploys in. Also warns
    when the ESC output sets AWS environment variables (credentials) that this process does not have."""
    import os
    import sys

    if checked.esc_warnings:
        print(
            f"warning: {path}: {', '.join(ESC_ACCOUNT_SETTINGS)} may come from the Pulumi ESC environment(s) it "
            "imports, which patching cannot see without --esc-config: the account and region used are the stack "
            "file's own",
            file=sys.stderr,
        )
        if not checked.settings.get("aws:allowedAccountIds"):
            raise UsageError(
                f"{path} imports Pulumi ESC environment(s) and names no aws:allowedAccountIds patching can see: the "
                "account pulumi up deploys in may be set there (aws:assumeRoles, aws:profile), and these credentials "
                "may reach another; give --esc-config FILE (pulumi env open ENV --format json > FILE), or set "
                "aws:allowedAccountIds in the stack file"
            )
    if esc is not None:
        unset = [name for name in esc.environment_variables if name.startswith("AWS_") and name not in os.environ]
        if unset:
            print(
                f"warning: {esc.source} sets {', '.join(unset)} for pulumi up; patching reads only its pulumiConfig "
                f"and uses this process's credentials: to use the same ones, run pulumi env run ENV -- patching "
                f"{getattr(args, 'command', '...')} ...",
                file=sys.stderr,
            )


def _undecryptable(path: Path, checked: CheckedStack, esc: EscConfig | None) -> frozenset[str]:
    """The stack file's own ``{secure: ...}`` settings (which patching cannot decrypt). An ESC value is marked
    secret for the program (config.esc), but ``pulumi env open`` printed it in the clear: it is usable here."""
    if esc is None:
        return checked.secret_keys
    from ..config.stack_file import read_stack_document, read_stack_file

    own = read_stack_document(read_stack_file(path), str(path)).config
    return frozenset(key for key in checked.secret_keys if key in own)


EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_INVALID: (
        "an invalid stack file (every error, with file, line and key path), a command not confirmed, an approval "
        "that names no opening, a window `notice` cannot find"
    ),
    EXIT_USAGE: (
        "usage error: bad arguments, a file that is missing, not YAML or not a stack file; for the AWS commands, "
        "an account the stack does not allow and every AWS failure, on one line"
    ),
    EXIT_NOT_COMPLIANT: "`report` found something non-compliant, not covered or past its SLA",
    EXIT_FROZEN: (
        "refused: `patch-now` inside a change freeze, `promote` a promotion the runbook refuses, `resume` while "
        "a stop alarm is in ALARM"
    ),
}
"""What each exit status of ``patching`` means (``patching --help`` and the CLI reference print it)."""


PROFILE_HELP = (
    "AWS profile to use: it wins over AWS_PROFILE and AWS_ACCESS_KEY_ID in the environment and over the stack's "
    "aws:profile (the stack's aws:accessKey/aws:secretKey win over it). Without it: AWS_PROFILE or "
    "AWS_ACCESS_KEY_ID from the environment if set, else the stack's aws:profile, else the standard chain"
)
"""What ``--profile`` does, as tools/aws_access.py (``open_account``, ``stack_profile``) does it."""


def add_profile_option(parser: argparse.ArgumentParser) -> None:
    """``--profile``, the same for every command that calls AWS."""
    parser.add_argument("--profile", help=PROFILE_HELP)
