"""`patching report` on windows with snapshotBeforeInstall (their task is our snapshot-then-install runbook,
an Automation task run once per node) and on approval-gated windows, against botocore's Stubber: every
request and response is checked against the real service models, and the stubs are exactly the calls
allowed (a call more or fewer fails the test). Expected values are worked out by hand from the fixture."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from aws_stubs import StubbedAccount

from patching_components.config.stack_file import parse_stack_text
from patching_components.tools import report_windows
from patching_components.tools.aws_pages import region_layouts
from patching_components.tools.report_model import RegionRead, Report

REGION = "eu-west-1"
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # a Wednesday
SINCE = NOW - timedelta(days=7)
WINDOW_ID = "mw-0123456789abcdef0"
EXECUTION = "1a2b3c4d-0000-4000-8000-000000000001"
TASK_EXECUTION = "1a2b3c4d-0000-4000-8000-0000000000aa"
ROLE = "arn:aws:iam::123456789012:role/hooli-snapshot"
WINDOW_ROLE = "arn:aws:iam::123456789012:role/hooli-maintenance-window"

STACK = """\
config:
  aws:region: eu-west-1
  patching:customer: hooli
  patching:baselines:
    al2023:
      operatingSystem: AMAZON_LINUX_2023
      default: true
  patching:maintenanceWindows:
    night-install:
      schedule: cron(0 2 ? * SUN *)
      durationHours: 4
      cutoffHours: 1
      operation: Install
      snapshotBeforeInstall:
        retainDays: 7
  patching:patchGroups:
    hooli-web:
      baselines: [al2023]
      maintenanceWindows: [night-install]
"""
NAME = "hooli-night-install"  # layout.window_name: <customer>-<key> in the primary region
RUNBOOK = "hooli-night-install-snapshot-install"


def read_of(account, stack=STACK):
    config = parse_stack_text(stack, "Pulumi.hooli.yaml")
    report = Report("hooli", "hooli", "123456789012", "arn", NOW, SINCE, [REGION], [], [], [])
    layout = region_layouts(config, [REGION], REGION)[REGION]
    return RegionRead(report, config, layout, REGION, account, lambda _: None, NOW)


def runbook(**install):
    """The runbook as GetDocument gives it (JSON): its install step as PatchWindow builds it for this window,
    by hand: AWS-RunPatchBaseline, Install, RebootIfNeeded (the default reboot option), and the delivery
    timeout (4 h - 1 h cutoff) - 15 min per node (an install's default) = 165 min = 9900 s; no notifications."""
    inputs = {
        "DocumentName": "AWS-RunPatchBaseline",
        "InstanceIds": ["{{ InstanceId }}"],
        "Parameters": {"Operation": ["Install"], "RebootOption": ["RebootIfNeeded"]},
        "Comment": "Install (night-install)",
        "TimeoutSeconds": 9900,
        **install,
    }
    steps = [{"name": "snapshotVolumes"}, {"name": "installPatches", "action": "aws:runCommand", "inputs": inputs}]
    return {"Name": RUNBOOK, "DocumentType": "Automation", "Content": json.dumps({"mainSteps": steps})}


def window_calls(task, got_task, executions, document=None):
    identity = {
        "WindowId": WINDOW_ID,
        "Name": NAME,
        "Enabled": True,
        "Schedule": "cron(0 2 ? * SUN *)",
        "Duration": 4,
        "Cutoff": 1,
    }
    return [
        ("describe_maintenance_windows", None, {"WindowIdentities": [identity]}),
        (
            "describe_maintenance_window_targets",
            None,
            {"Targets": [{"WindowId": WINDOW_ID, "Targets": [{"Key": "tag:Patch Group", "Values": ["hooli-web"]}]}]},
        ),
        ("describe_maintenance_window_tasks", None, {"Tasks": [task]}),
        *([("get_maintenance_window_task", None, got_task)] if got_task else []),
        *([("get_document", {"Name": RUNBOOK, "DocumentFormat": "JSON"}, document)] if document else []),
        ("describe_maintenance_window_executions", None, {"WindowExecutions": executions}),
    ]


AUTOMATION_TASK = {"WindowId": WINDOW_ID, "WindowTaskId": "1a2b3c4d-0000-4000-8000-0000000000ff"}


def got_automation(**changes):
    task = {
        "WindowId": WINDOW_ID,
        "WindowTaskId": AUTOMATION_TASK["WindowTaskId"],
        "TaskArn": RUNBOOK,
        "TaskType": "AUTOMATION",
        "ServiceRoleArn": WINDOW_ROLE,
        "MaxConcurrency": "10%",  # the defaults of maintenanceWindows (README reference)
        "MaxErrors": "1",
        "CutoffBehavior": "CANCEL_TASK",
        "TaskInvocationParameters": {
            "Automation": {
                "DocumentVersion": "$DEFAULT",
                "Parameters": {
                    "AutomationAssumeRole": [ROLE],
                    "InstanceId": ["{{RESOURCE_ID}}"],
                    "WindowExecutionId": ["{{WINDOW_EXECUTION_ID}}"],
                },
            }
        },
    }
    task.update(changes)
    return task


def gaps(read):
    return [(g.resource, g.kind, g.detail) for g in read.report.gaps]


def test_the_automation_task_as_the_stack_builds_it_is_no_gap():
    task = {**AUTOMATION_TASK, "Type": "AUTOMATION", "TaskArn": RUNBOOK}
    account = StubbedAccount({"ssm": window_calls(task, got_automation(), [], runbook())}, REGION)
    read = read_of(account)
    report_windows.windows(read)
    account.assert_all_called()
    assert [g for g in gaps(read) if g[1] == "wrong-task"] == []


def test_a_runbook_that_scans_or_is_missing_is_wrong_task():
    task = {**AUTOMATION_TASK, "Type": "AUTOMATION", "TaskArn": RUNBOOK}
    scans = runbook(Parameters={"Operation": ["Scan"], "RebootOption": ["NoReboot"]}, TimeoutSeconds=10500)
    account = StubbedAccount({"ssm": window_calls(task, got_automation(), [], scans)}, REGION)
    read = read_of(account)
    report_windows.windows(read)
    assert (
        NAME,
        "wrong-task",
        "Operation Scan, the stack says Install; RebootOption NoReboot, the stack says RebootIfNeeded; "
        "TimeoutSeconds 10500, the stack says 9900",
    ) in gaps(read)

    missing = Exception({"service_error_code": "InvalidDocument", "service_message": "does not exist"})
    account = StubbedAccount({"ssm": window_calls(task, got_automation(), [], missing)}, REGION)
    read = read_of(account)
    report_windows.windows(read)
    assert (NAME, "wrong-task", f"its runbook {RUNBOOK} does not exist") in gaps(read)


def test_a_run_command_task_on_a_snapshot_window_is_wrong_task():
    task = {**AUTOMATION_TASK, "Type": "RUN_COMMAND", "TaskArn": "AWS-RunPatchBaseline"}
    account = StubbedAccount({"ssm": window_calls(task, None, [])}, REGION)
    read = read_of(account)
    report_windows.windows(read)
    account.assert_all_called()
    assert (
        NAME,
        "wrong-task",
        f"runs RUN_COMMAND AWS-RunPatchBaseline, the stack says AUTOMATION {RUNBOOK} (snapshotBeforeInstall)",
    ) in gaps(read)


def test_a_task_not_run_per_node_or_without_its_role_is_wrong_task():
    got = got_automation(MaxErrors="5")
    got["TaskInvocationParameters"]["Automation"]["Parameters"] = {"InstanceId": ["i-0123456789abcdef0"]}
    task = {**AUTOMATION_TASK, "Type": "AUTOMATION", "TaskArn": RUNBOOK}
    account = StubbedAccount({"ssm": window_calls(task, got, [], runbook())}, REGION)
    read = read_of(account)
    report_windows.windows(read)
    assert (
        NAME,
        "wrong-task",
        "InstanceId i-0123456789abcdef0, the stack says {{RESOURCE_ID}}; WindowExecutionId (none), the stack says "
        "{{WINDOW_EXECUTION_ID}}; no AutomationAssumeRole, the stack gives the snapshot role; "
        "MaxErrors '5', the stack says '1'",
    ) in gaps(read)


def execution_calls(invocations, automations):
    """A finished run of the window: its Automation task, that task's per-node invocations, and the
    GetAutomationExecution calls expected (only for runs that did not succeed or name no node)."""
    return [
        (
            "describe_maintenance_window_execution_tasks",
            {"WindowExecutionId": EXECUTION, "MaxResults": 100},
            {
                "WindowExecutionTaskIdentities": [
                    {
                        "WindowExecutionId": EXECUTION,
                        "TaskExecutionId": TASK_EXECUTION,
                        "Status": "FAILED",
                        "TaskArn": RUNBOOK,
                        "TaskType": "AUTOMATION",
                    }
                ]
            },
        ),
        (
            "describe_maintenance_window_execution_task_invocations",
            {"WindowExecutionId": EXECUTION, "TaskId": TASK_EXECUTION, "MaxResults": 100},
            {"WindowExecutionTaskInvocationIdentities": invocations},
        ),
        *[
            (
                "get_automation_execution",
                {"AutomationExecutionId": a["AutomationExecutionId"]},
                {"AutomationExecution": a},
            )
            for a in automations
        ],
    ]


def invocation(number, status, parameters):
    return {
        "WindowExecutionId": EXECUTION,
        "TaskExecutionId": TASK_EXECUTION,
        "InvocationId": f"1a2b3c4d-0000-4000-8000-00000000{number:04d}",
        "ExecutionId": f"5e6f7a8b-0000-4000-8000-00000000{number:04d}",
        "TaskType": "AUTOMATION",
        "Status": status,
        "StatusDetails": status,
        **({"Parameters": parameters} if parameters is not None else {}),
    }


def params(node):
    return (
        '{"documentName":"' + RUNBOOK + '","parameters":{"AutomationAssumeRole":["' + ROLE + '"],'
        '"InstanceId":["' + node + '"],"WindowExecutionId":["' + EXECUTION + '"]}}'
    )


def automation(number, status, steps, parameters=None):
    return {
        "AutomationExecutionId": f"5e6f7a8b-0000-4000-8000-00000000{number:04d}",
        "DocumentName": RUNBOOK,
        "AutomationExecutionStatus": status,
        "StepExecutions": steps,
        **({"Parameters": parameters} if parameters else {}),
    }


def test_each_nodes_run_is_its_automation_invocation():
    """Four nodes: one patched (no further call), one whose snapshot failed (not patched), one whose patch
    command failed (the command's status and id), one whose invocation parameters name no node (its
    execution does); and a fifth invocation naming no node anywhere: a gap, not ignored."""
    runs = report_windows.WindowRuns(
        REGION, "night-install", WINDOW_ID, [report_windows.WindowExecution(EXECUTION, "FAILED", NOW, NOW)]
    )
    invocations = [
        invocation(1, "SUCCESS", params("i-0000000000000aaa1")),
        invocation(2, "FAILED", params("i-0000000000000aaa2")),
        invocation(3, "FAILED", params("i-0000000000000aaa3")),
        invocation(4, "SUCCESS", None),
        invocation(5, "FAILED", "{}"),
    ]
    automations = [
        automation(
            2,
            "Failed",
            [
                {"StepName": "snapshotVolumes", "StepStatus": "Failed", "FailureMessage": "snapshots failed: snap-1"},
                {"StepName": "notifyFailure", "StepStatus": "Success"},
                {"StepName": "endFailed", "StepStatus": "Failed", "FailureMessage": "the pre-patch snapshot..."},
            ],
        ),
        automation(
            3,
            "Failed",
            [
                {"StepName": "snapshotVolumes", "StepStatus": "Success"},
                {
                    "StepName": "installPatches",
                    "StepStatus": "Failed",
                    "FailureMessage": "Step fails when it is Poll action status for runCommand.",
                    "Outputs": {"CommandId": ["cmd-3"], "Status": ["TimedOut"]},
                },
            ],
        ),
        automation(4, "Success", [], parameters={"InstanceId": ["i-0000000000000aaa4"]}),
        automation(5, "Failed", []),
    ]
    account = StubbedAccount({"ssm": execution_calls(invocations, automations)}, REGION)
    read = read_of(account)
    found = report_windows.last_runs(read, [runs], {"hooli-web": set()})
    account.assert_all_called()
    got = {iid: (r[0].status, r[0].details) for iid, r in found.items()}
    assert got == {
        "i-0000000000000aaa1": ("Success", "pre-patch snapshot, then install: Success"),
        "i-0000000000000aaa2": (
            "Failed",
            "pre-patch snapshot failed, so the node was NOT patched (Automation execution "
            "5e6f7a8b-0000-4000-8000-000000000002): snapshots failed: snap-1",
        ),
        "i-0000000000000aaa3": (
            "TimedOut",
            "the patch command failed after the pre-patch snapshot (command cmd-3 TimedOut): "
            "Step fails when it is Poll action status for runCommand.",
        ),
        "i-0000000000000aaa4": ("Success", "pre-patch snapshot, then install: Success"),
    }
    assert sorted(f.instance_id for f in runs.executions[0].failed) == ["i-0000000000000aaa2", "i-0000000000000aaa3"]
    ((resource, kind, detail),) = gaps(read)
    assert (resource, kind) == (NAME, "unreadable-run")
    assert "1a2b3c4d-0000-4000-8000-000000000005" in detail and "names no node" in detail


# --- approval-gated windows (requiresApproval) -------------------------------------------------------------

GATED = STACK.replace(
    "      snapshotBeforeInstall:\n        retainDays: 7\n",
    "      requiresApproval: true\n      approvedOccurrences: [{approved}]\n",
)


def not_running(approved, enabled):
    identity = {"WindowId": WINDOW_ID, "Name": NAME, "Enabled": enabled}
    read = read_of(None, GATED.format(approved=approved))
    report_windows._check_runs(read, NAME, "night-install", identity, [])
    return gaps(read)


@pytest.mark.parametrize("enabled", [True, False])
def test_a_gated_windows_openings_awaiting_approval_do_not_count(enabled):
    # The week before NOW (Wed 2026-12-02 12:00Z) holds one Sunday 02:00 UTC opening: 2026-11-29.
    # Approved is another date (2027-01-03): that opening was awaiting approval, so it did not open.
    assert not_running("2027-01-03", enabled) == []


@pytest.mark.parametrize("enabled", [True, False])
def test_a_gated_windows_approved_opening_without_a_run_counts(enabled):
    # Approved 2026-11-29: the window should have run then; a gated window is disabled between openings
    # (its guard's state), so it counts also when disabled now.
    assert not_running("2026-11-29", enabled) == [
        (
            NAME,
            "window-not-running",
            "approval-gated, and its approved openings opened it 1 time(s) since 2026-11-25 12:00Z (last "
            "2026-11-29 02:00Z), but it has no run",
        )
    ]


def test_a_disabled_gated_window_is_not_window_disabled():
    """Created disabled, enabled by its guard only around approved openings: disabled is its normal state."""
    task = {**AUTOMATION_TASK, "Type": "RUN_COMMAND", "TaskArn": "AWS-RunPatchBaseline"}
    calls = window_calls(task, {"WindowId": WINDOW_ID, "WindowTaskId": AUTOMATION_TASK["WindowTaskId"]}, [])
    calls[0] = ("describe_maintenance_windows", None, {"WindowIdentities": [{"WindowId": WINDOW_ID, "Name": NAME}]})
    calls[0][2]["WindowIdentities"][0]["Enabled"] = False
    for approved, kinds in (("2027-01-03", set()), ("2026-11-29", {"window-not-running"})):
        account = StubbedAccount({"ssm": calls}, REGION)
        read = read_of(account, GATED.format(approved=approved))
        report_windows.windows(read)
        assert {g[1] for g in gaps(read)} & {"window-disabled", "window-not-running"} == kinds
