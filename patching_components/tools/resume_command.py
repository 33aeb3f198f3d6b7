"""``patching resume``: undo a circuit breaker trip in every region of a stack (AWS credentials).

The arguments, the confirmation and what is printed; tools/resume.py plans and does it."""

from __future__ import annotations

import argparse
import sys

from .common import (
    EXIT_FROZEN,
    EXIT_INVALID,
    EXIT_OK,
    UsageError,
    add_esc_option,
    add_profile_option,
    aws_problem,
    aws_stack,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("stack_file", metavar="STACK_FILE", help="the stack file (Pulumi.<stack>.yaml)")
    parser.add_argument("--region", help="only this one of the stack's regions")
    add_profile_option(parser)
    add_esc_option(parser)
    parser.add_argument("--ignore-alarms", action="store_true", help="resume even while a stop alarm is still in ALARM")
    parser.add_argument("--yes", action="store_true", help="resume without asking")
    parser.add_argument("--dry-run", action="store_true", help="print what would be done and change nothing")


def run(args: argparse.Namespace) -> int:

    _, config, primary, regions, account = aws_stack(args)
    from botocore.exceptions import BotoCoreError, ClientError

    from .resume import AlarmStillFiring, plan, resume

    print(f"# {config.customer}: {account.describe()}")
    try:
        plans = plan(config, regions, account.clients, primary_region=primary, ignore_alarms=args.ignore_alarms)
    except AlarmStillFiring as exc:
        print(f"patching: refused: {exc}", file=sys.stderr)
        return EXIT_FROZEN
    except (BotoCoreError, ClientError) as exc:
        raise UsageError(aws_problem(exc)) from None
    for region_plan in plans:
        for alarm in region_plan.missing_alarms:
            print(
                f"warning: {region_plan.region}: stop alarm {alarm} does not exist: the circuit breaker cannot trip on "
                "it (create it, or fix maintenanceWindows.<k>.stopOnAlarms)",
                file=sys.stderr,
            )
        how = f"hand to the freeze guard {region_plan.guard}" if region_plan.guard else "enable"
        for name, window_id, alarm in region_plan.tripped:
            print(f"# {region_plan.region}: {name} ({window_id}), stopped by alarm {alarm}: {how}")
    count = sum(len(p.tripped) for p in plans)
    if not count:
        print("nothing to resume: no window of the stack carries the PatchingCircuitBreaker tag")
        return EXIT_OK
    if args.dry_run:
        return EXIT_OK
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("not a terminal: pass --yes to resume without a prompt (or --dry-run to see the plan)")
        answer = input(f"Resume {count} window(s) of {config.customer}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing changed")
            return EXIT_INVALID
    try:
        for line in resume(plans, account.clients):  # each as it is done: a later failure leaves them known
            print(line)
    except (BotoCoreError, ClientError) as exc:
        raise UsageError(aws_problem(exc) + " (run resume again: it finishes what is left)") from None
    return EXIT_OK
