"""`patching patch-now`: emergency patching of a stack's patch groups, with their windows' own settings.

When a critical CVE lands, an operator patches now, not next Sunday. Each selected patch group
is patched through the window that patches it (its install window in that region, else its
scan window): the deployed window task is read back (``GetMaintenanceWindowTask``), so the
command runs the same document (``AWS-RunPatchBaseline`` or the WithHooks variant with the
same hooks), rate control, S3 bucket, notifications and service role as patch night, and
only the operation, reboot option and install override list come from the command line.
Output goes below ``<log prefix>/patch-now/`` (its own prefix, never mixed with a window's).
Inside a change freeze (the region's Change Calendar CLOSED) it refuses unless told otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import layout
from ..aws.run_patch_baseline import DOCUMENTS, parameter_issues, patch_task
from ..config import StackConfig
from .aws_pages import pages, region_layouts

MAX_COMMENT = 100
"""SendCommand's Comment (botocore: at most 100 characters)."""

Clients = Callable[[str, str], Any]
PATCH_NOW_PREFIX = "patch-now"
"""patch-now's output goes below ``<log prefix>/patch-now`` (``<log prefix>/<region>/patch-now`` in a
non-primary region): where a window of that key would write (layout.window_log_prefix)."""


class PatchNowError(Exception):
    """Why nothing can be sent (the stack, the deployed windows): one line for the operator."""


class FrozenError(PatchNowError):
    """A region's change calendar is CLOSED."""


@dataclass
class PlannedCommand:
    region: str
    window: str
    """The window key whose task the command copies."""
    groups: list[str]
    request: dict[str, Any]
    """SendCommand's parameters, exactly."""
    reboot: str = ""
    """The RebootOption sent and where it comes from (the window, --reboot, the group's install window)."""


def _window_for(config: StackConfig, group: str, where: layout.RegionLayout) -> str | None:
    """The window a group is patched by in a region: its install window, else its first window."""
    mine = [key for key in config.patch_groups[group].maintenance_windows if key in where.windows]
    installs = [key for key in mine if layout.window_as_built(config, key).operation == "Install"]
    return (installs or mine)[0] if mine else None


def _install_reboot(config: StackConfig, group: str) -> tuple[str, str]:
    """(RebootOption, where it comes from) for installing ``group`` through a window that only scans:
    the reboot option of the group's install window (in any region, or as written before ``mode:
    scan-only`` turned it into a scan), else RebootIfNeeded: an install that needs a restart is not
    finished until the node restarts, and NoReboot would leave it pending reboot, non-compliant."""
    for key in config.patch_groups[group].maintenance_windows:
        window = config.maintenance_windows[key]
        if window.operation == "Install":
            return window.reboot_option, f"{window.reboot_option} from its install window {key}"
    return "RebootIfNeeded", "RebootIfNeeded (it has no install window)"


def _deployed_tasks(ssm: Any, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Each named window's patch task as GetMaintenanceWindowTask returns it: the windows of a region in
    one listing (filtered by their names), then each window's tasks and its patch task."""
    found: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    for window in pages(
        ssm, "describe_maintenance_windows", "WindowIdentities", Filters=[{"Key": "Name", "Values": sorted(found)}]
    ):
        if window.get("Name") in found:
            found[window["Name"]].append(window)
    tasks = {}
    for name in names:
        windows = found[name]
        if not windows:
            raise PatchNowError(f"no maintenance window {name!r} here: deploy the stack first (pulumi up)")
        if len(windows) > 1:
            # Which one is the stack's cannot be told: its settings would be a guess.
            ids = ", ".join(sorted(w["WindowId"] for w in windows))
            raise PatchNowError(f"{len(windows)} maintenance windows named {name!r} here ({ids}): delete all but one")
        window_id = windows[0]["WindowId"]
        patch = [
            t
            for t in pages(ssm, "describe_maintenance_window_tasks", "Tasks", WindowId=window_id)
            if t.get("Type") == "RUN_COMMAND" and t.get("TaskArn") in DOCUMENTS
        ]
        if not patch:
            raise PatchNowError(f"window {name!r} ({window_id}) has no patch task: deploy the stack first")
        tasks[name] = ssm.get_maintenance_window_task(WindowId=window_id, WindowTaskId=patch[0]["WindowTaskId"])
    return tasks


def plan(
    config: StackConfig,
    regions: Sequence[str],
    clients: Clients,
    *,
    primary_region: str,
    groups: Sequence[str] | None = None,
    operation: str = "Install",
    reboot: str | None = None,
    install_override_list: str | None = None,
    ignore_freeze: bool = False,
    install_scan_only: bool = False,
) -> list[PlannedCommand]:
    """The SendCommand requests that patch ``groups`` (default: all) in ``regions``, read from
    the deployed windows; FrozenError when a region is inside a change freeze. PatchNowError, before
    any call, for an install on a ``mode: scan-only`` customer (unless ``install_scan_only``) and for
    a parameter the patch document does not take (run_patch_baseline.parameter_issues)."""
    chosen = list(groups or config.patch_groups)
    unknown = [g for g in chosen if g not in config.patch_groups]
    if unknown:
        raise PatchNowError(
            f"no patch group {', '.join(map(repr, unknown))} in the stack ({', '.join(config.patch_groups)})"
        )
    if config.mode == "disabled":
        raise PatchNowError(f"{config.customer} has mode: disabled: nothing of it is deployed, nothing to patch")
    if config.mode == "scan-only" and operation == "Install" and not install_scan_only:
        raise PatchNowError(
            f"{config.customer} is a scan-only customer (patching:mode: scan-only): patch-now does not install "
            "there; --operation Scan scans, --install-scan-only installs anyway"
        )
    # Which window patches each group in each region, and with which reboot option: known offline.
    layouts = region_layouts(config, regions, primary_region)
    routes: dict[str, dict[tuple[str, str], list[str]]] = {}
    reasons: dict[tuple[str, str, str], list[str]] = {}  # why each route reboots as it does (its groups')
    for region in regions:
        by_route = routes.setdefault(region, {})
        for group in chosen:
            key = _window_for(config, group, layouts[region])
            if key is None:
                continue  # no window patches the group in this region: nothing to patch there
            window = layout.window_as_built(config, key)
            if operation == "Scan":
                option, why = "NoReboot", "NoReboot (a scan never reboots)"
            elif reboot:
                option, why = reboot, f"{reboot} (--reboot)"
            elif window.operation == "Install":
                option = window.reboot_option
                why = f"{option} from window {key}"
            else:
                option, why = _install_reboot(config, group)
            by_route.setdefault((key, option), []).append(group)
            if why not in reasons.setdefault((region, key, option), []):
                reasons[region, key, option].append(why)
            # its task as window.window_task builds it (no pulumi import)
            hooks = window.hooks.model_dump() if window.hooks else None
            expected = patch_task(window.operation, window.reboot_option, hooks).document
            _check_parameters(expected, _parameters({}, operation, option, install_override_list), key)
    if not any(routes.values()):
        raise PatchNowError("no window patches these patch groups in these regions: nothing to send")
    if config.change_freezes and not ignore_freeze:
        for region in regions:  # every region before any window is read: one frozen region stops it all
            calendar, _ = layouts[region].freeze_names()
            state = clients("ssm", region).get_calendar_state(CalendarNames=[calendar])
            if state["State"] == "CLOSED":
                opens = state.get("NextTransitionTime")
                raise FrozenError(
                    f"{region}: inside a change freeze ({calendar} is CLOSED"
                    + (f" until {opens}" if opens else "")
                    + "); --ignore-freeze patches anyway"
                )
    planned = []
    for region in regions:
        where = layouts[region]
        names = {key: where.window_name(key) for key, _ in routes[region]}  # a window read once, whatever its routes
        tasks = _deployed_tasks(clients("ssm", region), list(names.values())) if names else {}
        for (key, option), window_groups in routes[region].items():
            task = tasks[names[key]]
            command = task.get("TaskInvocationParameters", {}).get("RunCommand", {})
            parameters = _parameters(command.get("Parameters", {}), operation, option, install_override_list)
            _check_parameters(task["TaskArn"], parameters, key)
            request: dict[str, Any] = {
                "DocumentName": task["TaskArn"],
                "Targets": [{"Key": f"tag:{config.patch_group_tag_key}", "Values": window_groups}],
                "Parameters": parameters,
                "MaxConcurrency": task.get("MaxConcurrency", "10%"),
                "MaxErrors": task.get("MaxErrors", "1"),
                "Comment": f"patch-now {operation}: {', '.join(window_groups)}"[:MAX_COMMENT],
            }
            if command.get("OutputS3BucketName"):
                request["OutputS3BucketName"] = command["OutputS3BucketName"]
                request["OutputS3KeyPrefix"] = _output_prefix(config, where)
            if command.get("NotificationConfig"):
                request["NotificationConfig"] = command["NotificationConfig"]
            if command.get("ServiceRoleArn"):
                request["ServiceRoleArn"] = command["ServiceRoleArn"]
            if command.get("TimeoutSeconds"):
                request["TimeoutSeconds"] = command["TimeoutSeconds"]
            why = "; ".join(reasons[region, key, option])
            planned.append(PlannedCommand(region, key, window_groups, request, why))
    return planned


def _output_prefix(config: StackConfig, where: layout.RegionLayout) -> str:
    """Below the stack's log prefix, as a window keyed ``patch-now`` would write; without a log prefix
    (the stack no longer logs, its deployed window still does), below the bucket's root."""
    prefix = layout.window_log_prefix(config, PATCH_NOW_PREFIX, where.named_region)
    return prefix or "/".join(filter(None, (where.named_region, PATCH_NOW_PREFIX)))


def _parameters(
    deployed: Mapping[str, Sequence[str]], operation: str, reboot: str, install_override_list: str | None
) -> dict[str, list[str]]:
    """The window task's parameters with the operator's operation, reboot option and override list."""
    parameters = {name: list(values) for name, values in deployed.items()}
    parameters["Operation"] = [operation]
    parameters["RebootOption"] = [reboot]
    if install_override_list:
        parameters["InstallOverrideList"] = [install_override_list]
    return parameters


def _check_parameters(document: str, parameters: Mapping[str, Sequence[str]], window: str) -> None:
    """The package's own check (run_patch_baseline.parameter_issues) of what would be sent."""
    issues = parameter_issues(document, parameters)
    if issues:
        raise PatchNowError(f"window {window} runs {document}: " + "; ".join(issues) + ": nothing sent")


def send(planned: Sequence[PlannedCommand], clients: Clients) -> Iterator[tuple[PlannedCommand, str]]:
    """Send each command in turn; (command, its CommandId) as each is sent."""
    for command in planned:
        response = clients("ssm", command.region).send_command(**command.request)
        yield command, response["Command"]["CommandId"]
