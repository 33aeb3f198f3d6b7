"""AWS-RunPatchBaseline(WithHooks) task parameters: build them, and check them offline.

AWS does not check a Run Command task's parameters when the task is
registered: a wrong value fails only when the window opens, at night. Every
task this package builds goes through :func:`parameter_issues` first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

DOCUMENT = "AWS-RunPatchBaseline"
DOCUMENT_WITH_HOOKS = "AWS-RunPatchBaselineWithHooks"
DOCUMENTS = (DOCUMENT, DOCUMENT_WITH_HOOKS)
"""Every patch document a window task of ours runs."""
OPERATIONS = ("Scan", "Install")
REBOOT_OPTIONS = ("RebootIfNeeded", "NoReboot")
HOOK_PARAMETERS = MappingProxyType(
    {"pre_install": "PreInstallHookDocName", "post_install": "PostInstallHookDocName", "on_exit": "OnExitHookDocName"}
)
CUTOFF_BEHAVIORS = ("CANCEL_TASK", "CONTINUE_TASK")
"""A task's CutoffBehavior. AWS's default, CONTINUE_TASK, keeps a rate-controlled
Run Command task starting new invocations (installs, reboots) past the cutoff and
the window's end; CANCEL_TASK cancels those not yet started. Ours default to it."""
NO_HOOK = "AWS-Noop"
"""What the hooks document runs for a hook that is not set."""

# The parameters each document declares (AWS's document definitions). The hooks
# variant has no InstallOverrideList: AWS does not support one with hooks.
_COMMON = ("Operation", "SnapshotId", "BaselineOverride", "RebootOption")
DOCUMENT_PARAMETERS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {DOCUMENT: (*_COMMON, "InstallOverrideList"), DOCUMENT_WITH_HOOKS: (*_COMMON, *HOOK_PARAMETERS.values())}
)


@dataclass(frozen=True)
class PatchTask:
    document: str
    parameters: dict[str, list[str]]


def patch_task(operation: str, reboot_option: str, hooks: Mapping[str, str | None] | None = None) -> PatchTask:
    """The document and parameters of one patch task.

    Scans always send NoReboot: a scan must never restart a node, whatever
    reboot option the window would use for installs.
    """
    parameters = {
        "Operation": [operation],
        "RebootOption": [reboot_option if operation == "Install" else "NoReboot"],
    }
    hooks = {k: v for k, v in (hooks or {}).items() if v}
    if not hooks or operation != "Install":
        return PatchTask(DOCUMENT, parameters)
    for key, name in HOOK_PARAMETERS.items():
        parameters[name] = [hooks.get(key) or NO_HOOK]
    return PatchTask(DOCUMENT_WITH_HOOKS, parameters)


def parameter_issues(document: str, parameters: Mapping[str, Sequence[str]]) -> list[str]:
    """What AWS would reject or mis-run at run time, in plain words."""
    if document not in DOCUMENT_PARAMETERS:
        return [f"unknown patch document {document!r}; expected {' or '.join(DOCUMENT_PARAMETERS)}"]
    declared = DOCUMENT_PARAMETERS[document]
    issues = []
    for name, values in parameters.items():
        if name not in declared:
            hint = (
                f" (only {DOCUMENT_WITH_HOOKS} has it)"
                if name in HOOK_PARAMETERS.values()
                else f" (AWS does not support it with hooks; use {DOCUMENT} without hooks)"
                if name == "InstallOverrideList"
                else ""
            )
            issues.append(f"{document} has no parameter {name!r}{hint}; it takes: {', '.join(declared)}")
        elif len(values) != 1:
            issues.append(f"{name} takes exactly one value, got {list(values)}")
    if "SnapshotId" in parameters:
        issues.append("do not pass SnapshotId from a maintenance window: the service supplies one per run")
    operation = parameters.get("Operation", [None])[0]
    if operation not in OPERATIONS:
        issues.append(f"Operation must be one of {', '.join(OPERATIONS)}, got {operation!r}")
    reboot = parameters.get("RebootOption", ["RebootIfNeeded"])[0]
    if reboot not in REBOOT_OPTIONS:
        issues.append(f"RebootOption must be one of {', '.join(REBOOT_OPTIONS)}, got {reboot!r}")
    override = parameters.get("InstallOverrideList", [""])[0]
    if override and not override.startswith(("https://", "s3://")):
        issues.append(f"InstallOverrideList must be an https:// or s3:// URL, got {override!r}")
    return issues
