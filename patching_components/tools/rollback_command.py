"""``patching rollback``: put a node's root volume back to its pre-patch snapshot (AWS credentials).

The snapshots are the ones a window with ``snapshotBeforeInstall`` takes (documents/snapshot-install.yaml):
tagged ``Customer``, ``PatchingInstance``, ``PatchingWindow``, ``PatchingWindowExecution`` and
``PatchingRootVolume`` (the root volume's id when it was taken). The root device's snapshot is the one whose
``VolumeId`` is that tag. EC2 does the restore with a root volume replacement task
(``CreateReplaceRootVolumeTask``, "Replace a root volume", Amazon EC2 User Guide): the instance keeps its id,
addresses and data volumes, reboots, and boots from a new volume restored from the snapshot. The replaced
volume is kept (``DeleteReplacedRootVolume=False``): it holds what was written after the snapshot, and the
operator deletes it once the rollback is known to be good.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .common import (
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    add_esc_option,
    add_profile_option,
    aws_problem,
    aws_stack,
)

INSTANCE_TAG, EXECUTION_TAG, ROOT_TAG = "PatchingInstance", "PatchingWindowExecution", "PatchingRootVolume"
WINDOW_TAG = "PatchingWindow"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("stack_file", metavar="STACK_FILE", help="the stack file (Pulumi.<stack>.yaml)")
    parser.add_argument("--instance", required=True, metavar="ID", help="the node to roll back (i-...)")
    parser.add_argument(
        "--execution", metavar="ID", help="the maintenance window execution whose snapshot to use (default: newest)"
    )
    parser.add_argument("--region", help="the node's region (default: each of the stack's regions in turn)")
    add_profile_option(parser)
    add_esc_option(parser)
    parser.add_argument("--yes", action="store_true", help="replace the root volume without asking")
    parser.add_argument("--dry-run", action="store_true", help="print the exact request and send nothing")


def _tags(resource: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def find_instance(clients: Any, regions: list[str], instance_id: str) -> tuple[str, dict[str, Any]] | None:
    """The node and its region: the first of ``regions`` where EC2 knows it."""
    from botocore.exceptions import ClientError

    for region in regions:
        try:
            reservations = clients("ec2", region).describe_instances(InstanceIds=[instance_id])["Reservations"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in (
                "InvalidInstanceID.NotFound",
                "InvalidInstanceID.Malformed",
            ):
                continue
            raise
        for reservation in reservations:
            for instance in reservation["Instances"]:
                return region, instance
    return None


def root_snapshots(ec2: Any, customer: str, instance_id: str, execution: str | None) -> list[dict[str, Any]]:
    """The pre-patch snapshots of the node's root device, newest first (of ``execution`` only when given)."""
    filters = [
        {"Name": "tag:Customer", "Values": [customer]},
        {"Name": f"tag:{INSTANCE_TAG}", "Values": [instance_id]},
    ]
    if execution:
        filters.append({"Name": f"tag:{EXECUTION_TAG}", "Values": [execution]})
    found: list[dict[str, Any]] = []
    token = None
    while True:
        page = ec2.describe_snapshots(OwnerIds=["self"], Filters=filters, **({"NextToken": token} if token else {}))
        found += page.get("Snapshots", [])
        token = page.get("NextToken")
        if not token:
            break
    roots = [s for s in found if s.get("VolumeId") and s["VolumeId"] == _tags(s).get(ROOT_TAG)]
    return sorted(roots, key=lambda s: s["StartTime"], reverse=True)


def _root_volume(instance: dict[str, Any]) -> str:
    device = instance.get("RootDeviceName")
    for mapping in instance.get("BlockDeviceMappings", []):
        if mapping.get("DeviceName") == device and "Ebs" in mapping:
            return str(mapping["Ebs"]["VolumeId"])
    return "(none)"


def run(args: argparse.Namespace) -> int:

    _, config, _, regions, account = aws_stack(args)
    from botocore.exceptions import BotoCoreError, ClientError

    print(f"# {config.customer}: {account.describe()}")
    try:
        found = find_instance(account.clients, regions, args.instance)
        if found is None:
            raise UsageError(f"{args.instance}: no such instance in {', '.join(regions)}")
        region, instance = found
        group = _tags(instance).get(config.patch_group_tag_key)
        if group not in config.patch_groups:
            raise UsageError(
                f"{args.instance} is not in one of {config.customer}'s patch groups "
                f"({config.patch_group_tag_key}: {group or 'untagged'}): not this stack's node"
            )
        state = instance.get("State", {}).get("Name")
        if state != "running":
            raise UsageError(f"{args.instance} is {state}: EC2 replaces the root volume of a running instance only")
        ec2 = account.clients("ec2", region)
        snapshots = root_snapshots(ec2, config.customer, args.instance, args.execution)
    except (BotoCoreError, ClientError) as exc:
        raise UsageError(aws_problem(exc)) from None
    if snapshots and not args.execution and snapshots[0].get("State") != "completed":
        # An older snapshot predates the last patch night: restoring it would silently undo more than asked.
        newest = snapshots[0]
        print(
            f"patching: the newest pre-patch snapshot of {args.instance}'s root volume ({newest['SnapshotId']}, "
            f"execution {_tags(newest).get(EXECUTION_TAG)}) is {newest.get('State')}: wait until it is completed, "
            "or name an older window execution with --execution",
            file=sys.stderr,
        )
        return EXIT_USAGE
    usable = [s for s in snapshots if s.get("State") == "completed"]
    if not usable:
        which = f"of window execution {args.execution} " if args.execution else ""
        pending = f" ({len(snapshots)} not completed yet)" if snapshots else ""
        print(
            f"patching: no completed pre-patch snapshot {which}of {args.instance}'s root volume{pending}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    snapshot = usable[0]
    tags = _tags(snapshot)
    current = _root_volume(instance)
    request = {"InstanceId": args.instance, "SnapshotId": snapshot["SnapshotId"], "DeleteReplacedRootVolume": False}
    taken = snapshot["StartTime"].isoformat() if hasattr(snapshot["StartTime"], "isoformat") else snapshot["StartTime"]
    print(
        f"{args.instance} ({region}): replace root volume {current} ({instance.get('RootDeviceName')}) with a new "
        f"volume restored from {snapshot['SnapshotId']}"
    )
    print(f"  taken {taken} by window {tags.get(WINDOW_TAG)}, execution {tags.get(EXECUTION_TAG)}")
    print("  the instance reboots; what was written to its root volume since then is not on the new volume")
    print(f"  {current} is kept, detached (DeleteReplacedRootVolume=false): delete it when the rollback is good")
    print("  data volumes are not touched")
    if args.dry_run:
        print(json.dumps({"region": region, "CreateReplaceRootVolumeTask": request}, indent=2))
        return EXIT_OK
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("not a terminal: pass --yes to replace without a prompt (or --dry-run to see the request)")
        answer = input(f"Type the instance id ({args.instance}) to replace its root volume: ")
        if answer.strip() != args.instance:
            print("nothing sent")
            return EXIT_INVALID
    try:
        task = ec2.create_replace_root_volume_task(**request)["ReplaceRootVolumeTask"]
    except (BotoCoreError, ClientError) as exc:
        raise UsageError(aws_problem(exc)) from None
    task_id = task["ReplaceRootVolumeTaskId"]
    print(f"{region}: replace root volume task {task_id} ({task.get('TaskState')})")
    print(
        f"  follow it: aws ec2 describe-replace-root-volume-tasks --replace-root-volume-task-ids {task_id} "
        f"--region {region}"
    )
    return EXIT_OK
