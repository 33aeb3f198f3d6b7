"""`patching report` end to end against the AWS stand-in (tests/moto_aws.py) on a window with
snapshotBeforeInstall: the stack's plan deployed (its Automation task and runbook), a run of three nodes
seeded (patched; snapshot failed; patch command failed), `patching report --format json` through cli.main.
The expected JSON and call counts are written by hand from the scenario."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.deploy_plan import deploy
from tests.report_setup import FABRIKAM, Fleet, epoch, fabrikam_variant, run_report, session_in
from tests.report_setup import contoso_and_fabrikam as stacks  # noqa: F401 (the fixture)

SNAPSHOTS = "operation: Install\n      snapshotBeforeInstall:\n        retainDays: 7"


def automation_run(fleet: Fleet, window_id: str, label: str, start: str, nodes: dict[str, str]) -> dict[str, str]:
    """A FAILED window execution of the runbook's Automation task: one invocation per node, its status,
    its Automation execution id and the parameters it ran with (the node as InstanceId). Returns the
    Automation execution id of each node."""
    execution, task = (str(uuid.uuid5(uuid.NAMESPACE_URL, f"{label}{part}")) for part in ("", "t"))
    fleet.names.update({execution: label, task: f"{label}-task"})
    fleet.seed(
        "DescribeMaintenanceWindowExecutions",
        [
            {
                "_WindowId": window_id,
                "WindowId": window_id,
                "WindowExecutionId": execution,
                "Status": "FAILED",
                "StartTime": epoch(start),
                "EndTime": epoch(start) + 3000,
            }
        ],
    )
    fleet.seed(
        "DescribeMaintenanceWindowExecutionTasks",
        [
            {
                "_WindowExecutionId": execution,
                "WindowExecutionId": execution,
                "TaskExecutionId": task,
                "Status": "FAILED",
                "TaskArn": "fabrikam-weekly-install-snapshot-install",
                "TaskType": "AUTOMATION",
            }
        ],
    )
    automations = {}
    for iid, status in nodes.items():
        automation = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{label}{iid}"))
        automations[iid] = automation
        fleet.names[automation] = f"{fleet.names[iid]}-automation"
        parameters = {"InstanceId": [iid], "WindowExecutionId": [execution]}
        fleet.seed(
            "DescribeMaintenanceWindowExecutionTaskInvocations",
            [
                {
                    "_WindowExecutionId": execution,
                    "_TaskId": task,
                    "WindowExecutionId": execution,
                    "TaskExecutionId": task,
                    "InvocationId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{label}{iid}i")),
                    "ExecutionId": automation,
                    "TaskType": "AUTOMATION",
                    "Parameters": json.dumps({"parameters": parameters}),
                    "Status": status,
                }
            ],
        )
    return automations


@pytest.mark.slow  # seconds of moto: .ci/run runs it with -m slow
def test_a_snapshot_window_is_checked_and_its_nodes_runs_read(aws, stacks, capsys):  # noqa: F811
    names: dict[str, str] = {}
    session = session_in(FABRIKAM)
    stack = fabrikam_variant(stacks, "operation: Install", SNAPSHOTS)
    done = deploy(stack, aws, session=session)
    fleet = Fleet(aws, session, FABRIKAM, "us-east-1", names)
    ok, snap, cmd = (fleet.launch(name, "fabrikam-web")[0] for name in ("fab-ok", "fab-snap", "fab-cmd"))
    fleet.managed([ok, snap, cmd])
    baseline = done.id_of("fabrikam-al2023")
    names[baseline] = "pb-fab"
    window_id = done.id_of("fabrikam-weekly-install")
    fleet.patch_state([ok, snap, cmd], "fabrikam-web", baseline, "2026-11-29T02:40", op="Install")
    automations = automation_run(
        fleet, window_id, "run-1129", "2026-11-29T02:00", {ok: "SUCCESS", snap: "FAILED", cmd: "FAILED"}
    )
    failed_steps = {
        snap: [{"StepName": "snapshotVolumes", "StepStatus": "Failed", "FailureMessage": "snapshots failed"}],
        cmd: [
            {"StepName": "snapshotVolumes", "StepStatus": "Success"},
            {
                "StepName": "installPatches",
                "StepStatus": "Failed",
                "FailureMessage": "the command failed",
                "Outputs": {"CommandId": ["cmd-1"], "Status": ["Failed"]},
            },
        ],
    }
    fleet.seed(
        "GetAutomationExecution",
        [
            {
                "_AutomationExecutionId": automations[iid],
                "AutomationExecution": {
                    "AutomationExecutionId": automations[iid],
                    "AutomationExecutionStatus": "Failed",
                    "StepExecutions": steps,
                },
            }
            for iid, steps in failed_steps.items()
        ],
    )

    code, data, _ = run_report(capsys, stack, names)
    assert code == 3
    # The deployed task is the stack's: no wrong-task; the run failed (two nodes): window-run-failed.
    assert [(g["resource"], g["kind"]) for g in data["gaps"]] == [("fabrikam-weekly-install", "window-run-failed")]
    by_name = {n["name"]: n for n in data["nodes"]}
    assert by_name["fab-ok"]["status"] == "compliant"
    assert by_name["fab-ok"]["lastRun"]["status"] == "Success"
    assert by_name["fab-snap"]["problems"] == [
        {
            "status": "failed",
            "reason": "Failed in weekly-install of 2026-11-29 02:00Z: pre-patch snapshot failed, so the node was "
            "NOT patched (Automation execution <fab-snap-automation>): snapshots failed",
        }
    ]
    assert by_name["fab-cmd"]["problems"] == [
        {
            "status": "failed",
            "reason": "Failed in weekly-install of 2026-11-29 02:00Z: the patch command failed after the pre-patch "
            "snapshot (command cmd-1 Failed): the command failed",
        }
    ]
    # The fewest calls: the runbook once, one page of invocations, one GetAutomationExecution per node whose
    # run failed, no ListCommandInvocations.
    calls = aws.layer.calls
    assert (
        calls["GetDocument"],
        calls["DescribeMaintenanceWindowExecutionTaskInvocations"],
        calls["GetAutomationExecution"],
        calls["ListCommandInvocations"],
    ) == (1, 1, 2, 0)
