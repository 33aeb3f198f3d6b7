"""`patching report` for install windows with ``snapshotBeforeInstall``: their task is an Automation task
running the window's snapshot-then-install runbook once per node (components/snapshot_install.py), not
the Run Command task. Here the report checks that task as PatchWindow builds it and reads its runs.

Reading a run costs the fewest calls its data allows (docs/aws-behaviour.md, "Reading snapshot-then-install
runs"): DescribeMaintenanceWindowExecutionTaskInvocations gives, per node, the invocation's ``Status`` (the
Automation execution's outcome), its ``ExecutionId`` (the Automation execution id) and the ``Parameters`` it
was started with (the node: ``InstanceId``, the window task's ``{{RESOURCE_ID}}``). A successful run needs
no more: the runbook ends Success only after its install step's command succeeded. Only a run that did not
succeed, or whose node the parameters do not name, costs one GetAutomationExecution: its step executions say
which step failed (the snapshot: the node was NOT patched; the install: the patch command's own status), and
its parameters name the node. A run whose node still cannot be told is a gap (``unreadable-run``), never
ignored.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from .. import layout
from ..notices import (  # the summary's reading, one definition
    AUTOMATION_STATUS,
    automation_failure,
    invocation_node,
    node_of,
)
from .aws_pages import pages
from .report_model import RegionRead

TaskSettings = Callable[[RegionRead, dict[str, Any], Any], list[str]]
INSTALL_STEP = "installPatches"
"""The runbook's step that sends the patch command (documents/snapshot-install.yaml)."""
RESOURCE_ID = "{{RESOURCE_ID}}"
WINDOW_EXECUTION_ID = "{{WINDOW_EXECUTION_ID}}"


def builds_automation_task(read: RegionRead, key: str) -> bool:
    """Whether the stack builds this window's task as the snapshot-then-install Automation task."""
    settings = layout.window_as_built(read.config, key)
    return settings.snapshot_before_install is not None and settings.operation == "Install"


def document_name(read: RegionRead, key: str) -> str:
    """The window's runbook as PatchWindow names it (``<window name>-snapshot-install``)."""
    return f"{read.layout.window_name(key)}-snapshot-install"


def check_task(read: RegionRead, name: str, key: str, window_id: str, task_settings: TaskSettings) -> None:
    """The window has one task as PatchWindow builds it with snapshotBeforeInstall (snapshot_install.py):
    AUTOMATION, the window's runbook (default version), one execution per node ({{RESOURCE_ID}}) with the
    window execution and a role to run as, the window's rate control, cutoff behaviour and service role, and
    the runbook's install step sending the window's patch command (one GetDocument). ``task_settings``:
    report_windows' check of a Run Command task's settings, applied to the install step's inputs."""
    settings = layout.window_as_built(read.config, key)
    runbook = document_name(read, key)
    tasks = list(pages(read.ssm, "describe_maintenance_window_tasks", "Tasks", WindowId=window_id))
    if not tasks:
        read.gap(name, "not-deployed", f"the window has no task (expected the Automation runbook {runbook})")
        return
    problems = []
    for task in tasks:
        if task.get("Type") != "AUTOMATION" or task.get("TaskArn") != runbook:
            problems.append(
                f"runs {task.get('Type')} {task.get('TaskArn')}, the stack says AUTOMATION {runbook} "
                "(snapshotBeforeInstall)"
            )
            continue
        got = read.ssm.get_maintenance_window_task(WindowId=window_id, WindowTaskId=task["WindowTaskId"])
        automation = got.get("TaskInvocationParameters", {}).get("Automation", {})
        parameters = automation.get("Parameters", {})
        differ = [
            f"{p} {(parameters.get(p) or ['(none)'])[0]}, the stack says {want}"
            for p, want in (("InstanceId", RESOURCE_ID), ("WindowExecutionId", WINDOW_EXECUTION_ID))
            if parameters.get(p) != [want]
        ]
        role = parameters.get("AutomationAssumeRole") or []
        if len(role) != 1 or not str(role[0]).startswith("arn:"):
            differ.append("no AutomationAssumeRole, the stack gives the snapshot role")
        if automation.get("DocumentVersion") not in (None, "$DEFAULT"):
            differ.append(f"DocumentVersion {automation['DocumentVersion']}, the stack says $DEFAULT")
        differ += _install_step(read, runbook, got, settings, task_settings)
        if not differ:
            return  # one task as the stack builds it
        problems.append("; ".join(differ))
    read.gap(name, "wrong-task", "; ".join(problems))


def _install_step(
    read: RegionRead, runbook: str, got: dict[str, Any], settings: Any, task_settings: TaskSettings
) -> list[str]:
    """What differs in the runbook's install step (the patch command it sends each node: document, operation,
    reboot option, delivery timeout, notifications) and in the task's rate control, cutoff behaviour and
    service role from what PatchWindow builds: the checks of a Run Command task (report_windows), on the
    runbook's default version (GetDocument, as JSON)."""
    from botocore.exceptions import ClientError

    from ..components.window import window_task

    try:
        content = read.ssm.get_document(Name=runbook, DocumentFormat="JSON")["Content"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "InvalidDocument":
            raise
        return [f"its runbook {runbook} does not exist"]
    try:
        steps = json.loads(content).get("mainSteps", [])
        (inputs,) = [step.get("inputs", {}) for step in steps if step.get("name") == INSTALL_STEP]
    except (ValueError, AttributeError):
        return [f"its runbook {runbook} has no {INSTALL_STEP} step: it is not the stack's"]
    expected = window_task(settings)
    parameters = inputs.get("Parameters", {})
    differ = []
    if inputs.get("DocumentName") != expected.document:
        differ.append(f"the runbook runs {inputs.get('DocumentName')}, the stack says {expected.document}")
    differ += [
        f"{p} {(parameters.get(p) or ['(none)'])[0]}, the stack says {expected.parameters[p][0]}"
        for p in sorted(expected.parameters)
        if parameters.get(p) != expected.parameters[p]
    ]
    # The install step's inputs are the Run Command task's parameters (snapshot_install.run_command_inputs).
    return differ + task_settings(read, {**got, "TaskInvocationParameters": {"RunCommand": inputs}}, settings)


def node_invocations(read: RegionRead, window: str, execution_id: str, task_id: str) -> Iterator[dict[str, Any]]:
    """The per-node results of one Automation task execution, shaped as ListCommandInvocations' entries
    (InstanceId, Status, StatusDetails, CommandId: here the Automation execution id)."""
    for invocation in pages(
        read.ssm,
        "describe_maintenance_window_execution_task_invocations",
        "WindowExecutionTaskInvocationIdentities",
        WindowExecutionId=execution_id,
        TaskId=task_id,
    ):
        status = invocation.get("Status", "")
        automation_id = invocation.get("ExecutionId")
        node = invocation_node(invocation.get("Parameters"))
        execution: dict[str, Any] | None = None
        if automation_id and (node is None or status != "SUCCESS"):
            execution = read.ssm.get_automation_execution(AutomationExecutionId=automation_id)["AutomationExecution"]
            node = node or node_of(execution.get("Parameters") or {})
        if node is None:
            read.gap(
                window,
                "unreadable-run",
                f"run {execution_id}: an invocation ({invocation.get('InvocationId')}, {status}, Automation "
                f"execution {automation_id or '(none)'}) names no node: which node it patched cannot be told",
            )
            continue
        shown, details = AUTOMATION_STATUS.get(status, status), invocation.get("StatusDetails", "")
        if status == "SUCCESS":
            details = "pre-patch snapshot, then install: Success"
        elif execution is not None:
            shown, details = automation_failure(execution, shown, details)
        yield {"InstanceId": node, "Status": shown, "StatusDetails": details, "CommandId": automation_id or ""}
