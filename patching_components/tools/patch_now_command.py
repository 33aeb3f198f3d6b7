"""``patching patch-now``: emergency patching of patch groups now (AWS credentials).

The arguments, the confirmation and what is printed; tools/patch_now.py plans and sends the commands.
"""

from __future__ import annotations

import argparse
import json
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


def _override_list(text: str) -> str:
    if not text.startswith(("https://", "s3://")):
        raise argparse.ArgumentTypeError("AWS-RunPatchBaseline takes an https:// or s3:// URL")
    return text


def _alarm_name(text: str) -> str:
    from ..aws.alarms import alarm_name_problem

    problem = alarm_name_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)
    return text


def alarm_configuration(names: list[str] | None) -> dict | None:
    """SendCommand's AlarmConfiguration for ``--stop-on-alarm``: SSM stops the command when the alarm is in ALARM, and
    also when it cannot read the alarm (IgnorePollAlarmFailure false: fail closed). AWS takes exactly one alarm."""
    from ..aws.alarms import MAX_ALARMS

    if not names:
        return None
    if len(set(names)) > MAX_ALARMS:
        raise UsageError(
            f"--stop-on-alarm: SendCommand takes {MAX_ALARMS} alarm (AlarmConfiguration), {len(set(names))} given: "
            "name one CloudWatch composite alarm that is in ALARM when any of them is"
        )
    return {"Alarms": [{"Name": names[0]}], "IgnorePollAlarmFailure": False}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("stack_file", metavar="STACK_FILE", help="the stack file (Pulumi.<stack>.yaml)")
    parser.add_argument("--groups", help="comma-separated patch groups (default: every group of the stack)")
    parser.add_argument(
        "--operation", choices=("Scan", "Install"), default="Install", help="Scan only reports missing patches"
    )
    parser.add_argument(
        "--install-override-list",
        metavar="URL",
        type=_override_list,
        help="an https:// or s3:// URL of a YAML list of patches to install instead of the baseline's "
        "(AWS-RunPatchBaseline's InstallOverrideList)",
    )
    parser.add_argument(
        "--reboot",
        choices=("RebootIfNeeded", "NoReboot"),
        help="default: the install window's own (a group with only a scan window: its install window's "
        "elsewhere, else RebootIfNeeded)",
    )
    parser.add_argument("--region", help="only this one of the stack's regions")
    add_profile_option(parser)
    add_esc_option(parser)
    parser.add_argument("--ignore-freeze", action="store_true", help="patch even inside a change freeze")
    parser.add_argument(
        "--install-scan-only",
        action="store_true",
        help="install even though the customer is mode: scan-only (refused without it)",
    )
    parser.add_argument(
        "--stop-on-alarm",
        action="append",
        metavar="NAME",
        type=_alarm_name,
        help="CloudWatch alarm (in each region) whose ALARM state stops the command (SendCommand AlarmConfiguration; "
        "AWS takes one, repeat only to be told so)",
    )
    parser.add_argument("--yes", action="store_true", help="send without asking")
    parser.add_argument("--dry-run", action="store_true", help="print the exact requests and send nothing")


def run(args: argparse.Namespace) -> int:

    _, config, primary, regions, account = aws_stack(args)
    from botocore.exceptions import BotoCoreError, ClientError

    from .patch_now import FrozenError, PatchNowError, plan, send

    alarm = alarm_configuration(args.stop_on_alarm)  # before any AWS call

    print(f"# {config.customer}: {account.describe()}")
    groups = [g.strip() for g in args.groups.split(",") if g.strip()] if args.groups else None
    try:
        planned = plan(
            config,
            regions,
            account.clients,
            primary_region=primary,
            groups=groups,
            operation=args.operation,
            reboot=args.reboot,
            install_override_list=args.install_override_list,
            ignore_freeze=args.ignore_freeze,
            install_scan_only=args.install_scan_only,
        )
    except FrozenError as exc:
        print(f"patching: refused: {exc}", file=sys.stderr)
        return EXIT_FROZEN
    except PatchNowError as exc:
        raise UsageError(str(exc)) from None
    except (BotoCoreError, ClientError) as exc:
        raise UsageError(aws_problem(exc)) from None
    for command in planned if alarm else []:
        command.request["AlarmConfiguration"] = alarm
    for command in planned:
        print(
            f"# {command.region}: {command.request['DocumentName']} {args.operation} on "
            f"{', '.join(command.groups)} with the settings of window {command.window}; reboot: {command.reboot}"
        )
    if args.dry_run:
        print(json.dumps([{"region": c.region, "SendCommand": c.request} for c in planned], indent=2))
        return EXIT_OK
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("not a terminal: pass --yes to send without a prompt (or --dry-run to see the requests)")
        answer = input(f"Send {len(planned)} command(s) to {config.customer}'s instances now? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing sent")
            return EXIT_INVALID
    try:
        # Each command id as soon as it is sent: if a later one fails, the earlier ones are known.
        for command, command_id in send(planned, account.clients):
            print(f"{command.region}: command {command_id} ({', '.join(command.groups)})")
            print(f"  follow it: aws ssm list-commands --command-id {command_id} --region {command.region}")
            print(
                f"  per instance: aws ssm list-command-invocations --command-id {command_id} --region {command.region}"
            )
    except (BotoCoreError, ClientError) as exc:
        raise UsageError(aws_problem(exc)) from None
    return EXIT_OK
