"""``patching report``: patch compliance and coverage from live AWS state (AWS credentials).

The arguments, and the way from them into tools/report.py (which reads AWS) and
tools/report_formats.py (which writes the report in each format asked for).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .common import (
    EXIT_NOT_COMPLIANT,
    EXIT_OK,
    UsageError,
    add_esc_option,
    add_profile_option,
    aws_problem,
    aws_stack,
    stack_name,
    stack_regions,
    write,
)


def _scan_age(text: str) -> int:
    days = int(text)
    if not 1 <= days <= 400:
        raise argparse.ArgumentTypeError("give 1-400 days")
    return days


def _days(text: str) -> int:
    days = int(text)
    if not 1 <= days <= 90:
        raise argparse.ArgumentTypeError("give 1-90 days")
    return days


def _month(text: str) -> str:
    import re

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise argparse.ArgumentTypeError("give a month as YYYY-MM")
    return text


def _max_age(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("give a whole number of days, 1-400") from None
    if not 1 <= days <= 400:
        raise argparse.ArgumentTypeError("give a whole number of days, 1-400")
    return days


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from .report import MAX_SCAN_AGE_DAYS
    from .report_fleet import MAX_AGE_DAYS
    from .report_formats import FORMATS as REPORT_FORMATS

    parser.add_argument("stack_file", metavar="STACK_FILE", nargs="?", help="the stack (optional with --fleet)")
    parser.add_argument(
        "--format",
        choices=REPORT_FORMATS,
        default="md",
        help="the format of standard output and of an --out of another extension",
    )
    parser.add_argument(
        "--out",
        metavar="PATH",
        action="append",
        help="write the report here (default: standard output); repeat it for several files, each "
        "in the format of its extension (.md, .html, .csv, .json; others: --format)",
    )
    parser.add_argument("--region", help="only this one of the stack's regions")
    add_profile_option(parser)
    add_esc_option(parser)
    parser.add_argument("--days", type=_days, default=31, help="window runs of the last N days (1-90, default 31)")
    parser.add_argument(
        "--max-scan-age",
        metavar="DAYS",
        type=_scan_age,
        default=MAX_SCAN_AGE_DAYS,
        help="a node's last scan is stale past this many days when its windows open less than twice in 13 weeks "
        f"(1-400, default {MAX_SCAN_AGE_DAYS})",
    )
    parser.add_argument(
        "--sla",
        action="store_true",
        help="add the SLA section: per severity of patching:sla, patches installed on time and late in the month, "
        "mean and worst days to install, missing patches past their SLA now (Patch Manager, Amazon Inspector); "
        "exit 3 on a breach or on data that could not be read",
    )
    parser.add_argument(
        "--month", type=_month, metavar="YYYY-MM", help="the month of --sla's installs (default: this month so far)"
    )
    parser.add_argument(
        "--fleet",
        nargs="*",
        metavar="FILE",
        help="the fleet at a glance, one page for the MSP: STACK_FILE and these, each a stack file (read live) or a "
        "saved --format json report; customers ordered by risk",
    )
    parser.add_argument(
        "--expect",
        action="append",
        metavar="NAME,...",
        help="with --fleet: the stacks the page must show (comma-separated, or a JSON list); each one without a "
        "report is an unreadable row, exit 3",
    )
    parser.add_argument(
        "--max-age-days",
        metavar="DAYS",
        type=_max_age,
        default=None,
        help="with --fleet: a saved report generated more than this many days ago is an unreadable row, stale "
        f"(1-400, default {MAX_AGE_DAYS})",
    )


def run(args: argparse.Namespace) -> int:

    if args.month and not args.sla:
        raise UsageError("--month is the month of --sla: give --sla too")
    if args.month:
        from datetime import UTC, datetime

        from .report_sla import month_bounds

        try:
            month_bounds(args.month, datetime.now(UTC))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    if args.fleet is None and (args.expect or args.max_age_days is not None):
        raise UsageError("--expect and --max-age-days are options of --fleet: give --fleet too")
    if args.fleet is not None and args.esc_config:
        # One environment's values would be read beneath every stack of the fleet (its account, its customer).
        raise UsageError(
            "--esc-config is one stack's: report each ESC stack with patching report STACK --esc-config FILE "
            "--format json --out STACK.json, then give the saved .json reports to --fleet"
        )
    if args.fleet is not None:
        from .report_fleet import run_fleet

        return run_fleet(args)
    if not args.stack_file:
        raise UsageError("give STACK_FILE (or --fleet for the whole fleet)")
    path, config, primary, regions, account = aws_stack(args)
    try:
        from botocore.exceptions import BotoCoreError, ClientError

        from .report import collect
        from .report_formats import FORMATS, render
    except ImportError:
        raise UsageError("patching report needs boto3 and jinja2: pip install 'patching-components[report]'") from None
    progress = _progress() if sys.stderr.isatty() else (lambda _: None)
    try:
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
            progress=progress,
        )
        if args.sla:
            from .report_sla import add_to

            add_to(
                report,
                {str(k): v for k, v in (config.sla or {}).items()},
                account.clients,
                groups=config.patch_groups,
                month=args.month,
                progress=progress,
            )
    except (BotoCoreError, ClientError) as exc:
        raise UsageError(aws_problem(exc)) from None
    finally:
        progress("")
    for out in args.out or [None]:
        # One read of AWS, any number of files: each in the format its extension names.
        suffix = Path(out).suffix.lstrip(".") if out else ""
        text = render(report, suffix if suffix in FORMATS else args.format)
        if out:
            write("--out", Path(out), text.encode())
        else:
            sys.stdout.write(text)
    sla_ok = report.sla is None or report.sla.ok
    return EXIT_OK if report.ok and sla_ok else EXIT_NOT_COMPLIANT


def _progress() -> Any:
    """A one-line progress indicator on the terminal (stderr); an empty message clears it."""

    def show(message: str) -> None:
        sys.stderr.write("\r\033[K" + (f"reading {message} ..." if message else ""))
        sys.stderr.flush()

    return show
