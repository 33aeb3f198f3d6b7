"""``patching notice``: the advance notice of each install window's next opening, as the customer will
read it (AWS credentials).

It reads what the advance-notice runbook reads (the window's next opening as Systems Manager schedules
it, the freeze calendar at that time, the window's state, the tagged nodes) and renders it with the
same module (patching_components/notices.py). It prints and never publishes: the runbook is the one
sender, and its record on the window keeps each opening to one notice.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from .common import (
    EXIT_INVALID,
    EXIT_OK,
    UsageError,
    add_esc_option,
    add_profile_option,
    aws_problem,
    aws_stack,
    esc_config,
    load,
    stack_files,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("stack_file", metavar="STACK_FILE", help="the stack file (Pulumi.<stack>.yaml)")
    parser.add_argument("--window", metavar="KEY", help="only this install window (default: every install window)")
    parser.add_argument("--region", help="only this one of the stack's regions")
    add_profile_option(parser)
    add_esc_option(parser)
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print the notices and send nothing (what the command always does: the hourly runbook sends them)",
    )


def run(args: argparse.Namespace) -> int:
    from ..errors import ConfigError

    try:
        stack = load(stack_files([args.stack_file])[0], esc_config(args), find_warnings=False).config
        installs = [k for k, w in stack.maintenance_windows.items() if w.operation == "Install"]
        if args.window is not None and args.window not in installs:  # refused before any AWS call
            raise UsageError(f"--window {args.window}: the stack's install windows are {', '.join(installs) or 'none'}")
        _, config, primary, regions, account = aws_stack(args)
    except ConfigError as exc:
        print("\n".join(exc.lines()), file=sys.stderr)
        return EXIT_INVALID
    from botocore.exceptions import BotoCoreError, ClientError

    from .. import layout, notice_runbooks, notices

    keys = [args.window] if args.window else installs
    print(f"# {config.customer}: {account.describe()}; nothing is sent")
    missing: list[str] = []
    now = datetime.now(UTC)
    for where in layout.regions(config):
        region = where.region_or(primary)
        if region not in regions:
            continue
        ssm, ec2 = account.clients("ssm", region), account.clients("ec2", region)
        settings = {
            "customer": config.customer,
            "region": region,
            "scanOnly": config.mode == "scan-only",
            "calendar": where.freeze_names()[0] if config.change_freezes else "",
        }
        try:
            names = {where.window_name(k): k for k in keys if k in where.windows}
            found = ssm.describe_maintenance_windows(Filters=[{"Key": "Name", "Values": sorted(names)}])
            ids: dict[str, list[str]] = {}
            for identity in found.get("WindowIdentities", []):
                ids.setdefault(names.get(identity["Name"], ""), []).append(identity["WindowId"])
            for name, key in names.items():
                if len(ids.get(key, [])) != 1:
                    what = "not deployed" if not ids.get(key) else "several windows have its name"
                    missing.append(f"{region}: window {name}: {what}")
                    continue
                window = notice_runbooks.notice_window(config, where, key, ids[key][0])
                start = notices.next_opening(ssm, window["id"], now)
                if start is None:
                    missing.append(f"{region}: window {name}: Systems Manager schedules no upcoming opening")
                    continue
                tags = notices.window_tags(ssm, window["id"])
                facts = notices.notice_facts(ssm, settings, window, start, tags)
                nodes = notices.tagged_nodes(ec2, config.patch_group_tag_key, window["patchGroups"])
                subject, message = notices.render_notice(window, start, nodes, facts)
                print(f"\nSubject: {subject}\n\n{message}")
        except (BotoCoreError, ClientError) as exc:
            raise UsageError(aws_problem(exc)) from None
    for line in missing:
        print(f"patching: no notice: {line}", file=sys.stderr)
    return EXIT_INVALID if missing else EXIT_OK
