"""The advance-notice and window-summary runbooks as initech's stack builds them, run step by step against
moto (tests/notices_sim.py), along every path: each AWS call of each step failing each way, and the run
cancelled in each step. Expected times and counts are written out by hand from the seeded data."""

import itertools
import json
import os
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import yaml
from moto import mock_aws
from notices_sim import NoticeRunner
from runbook_sim import ACCOUNT, REGION, Fault, fault_matrix

from conftest import ROOT, example_run
from patching_components import notices


def shipped(name: str) -> dict:
    run = example_run(ROOT / "stacks" / "Pulumi.initech.yaml")
    (document,) = [d for d in run.of_type("aws:ssm/document:Document") if d.name == name]
    return yaml.safe_load(document.inputs["content"])


NOTICE = shipped("initech-advance-notice")
SUMMARY = shipped("initech-window-summary")
OPENING = "2026-12-05T01:00Z"
"""initech's monthly-install, cron(0 2 ? * SAT#1 *) Europe/Berlin: Saturday 5 December 2026, 02:00 CET = 01:00Z."""
DUE = datetime(2026, 12, 4, 1, 20, tzinfo=UTC)
"""20 minutes into the 24-hour notice span (it opened 2026-12-04 01:00Z): due, not late."""
_paths = itertools.count()


@pytest.fixture(scope="module")
def aws():
    previous = os.environ.get("MOTO_EC2_LOAD_DEFAULT_AMIS")
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    with mock_aws():
        yield
    if previous is None:
        os.environ.pop("MOTO_EC2_LOAD_DEFAULT_AMIS", None)
    else:
        os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = previous


class Path:
    """initech's install window, its topic, and its nodes: two running in initech-erp (one named), one
    stopped in initech-tools, one running node of another customer's group."""

    def __init__(self):
        n = next(_paths)
        self.ssm = boto3.client("ssm", region_name=REGION)
        ec2 = boto3.client("ec2", region_name=REGION)
        self.window = self.ssm.create_maintenance_window(
            Name=f"initech-monthly-install-{n}",
            Schedule="cron(0 2 ? * SAT#1 *)",
            ScheduleTimezone="Europe/Berlin",
            Duration=4,
            Cutoff=1,
            AllowUnassociatedTargets=False,
            Tags=[{"Key": "Customer", "Value": "initech"}],
        )["WindowId"]
        self.topic = boto3.client("sns", region_name=REGION).create_topic(Name=f"initech-alerts-{n}")["TopicArn"]
        group = f"initech-erp-{n}"

        def node(group_name, name=None):
            tags = [{"Key": "Patch Group", "Value": group_name}] + ([{"Key": "Name", "Value": name}] if name else [])
            return ec2.run_instances(
                ImageId="ami-12c6146b",
                MinCount=1,
                MaxCount=1,
                TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
            )["Instances"][0]["InstanceId"]

        self.erp = [node(group, "erp-db"), node(group)]
        self.stopped = node(f"initech-tools-{n}", "tools-1")
        ec2.stop_instances(InstanceIds=[self.stopped])
        node("acme-web", "not-ours")
        self.groups = [group, f"initech-tools-{n}"]
        self.settings = notices.settings(
            customer="initech",
            region=REGION,
            hours=24,
            calendar="initech-change-freezes",
            tag_key="Patch Group",
            scan_only=False,
            windows=[
                {
                    "id": self.window,
                    "key": "monthly-install",
                    "name": "initech-monthly-install",
                    "timezone": "Europe/Berlin",
                    "durationHours": 4,
                    "cutoffHours": 1,
                    "operation": "Install",
                    "rebootOption": "RebootIfNeeded",
                    "patchGroups": self.groups,
                    "notice": True,
                }
            ],
        )

    def notice(self, now=DUE, fault=None, calendar="OPEN"):
        return NoticeRunner(
            NOTICE,
            {"Settings": self.settings, "NotificationTopicArn": self.topic},
            now=now,
            schedules={self.window: [OPENING, "2027-01-02T01:00Z"]},
            calendar_at={OPENING: calendar},
            execution_id=f"notice-{next(_paths)}",
            fault=fault,
        ).run()

    def sent(self):
        from moto.sns.models import sns_backends

        return [
            (subject, message)
            for _, message, subject, *_ in sns_backends[ACCOUNT][REGION].topics[self.topic].sent_notifications
        ]

    def notices_sent(self):
        return [m for s, m in self.sent() if s.startswith("Patching notice: ")]

    def recorded(self):
        tags = self.ssm.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=self.window)["TagList"]
        return {t["Key"]: t["Value"] for t in tags}.get("PatchingNotice")


# -- advance notice -----------------------------------------------------------------------------


def test_the_notice_is_sent_once_in_its_span_with_local_times_nodes_and_reboots(aws):
    path = Path()
    result = path.notice()
    assert result.status == "Success", result.failures
    (message,) = path.notices_sent()
    subject = path.sent()[0][0]
    assert subject == "Patching notice: initech-monthly-install opens Sat 2026-12-05 02:00 CET"
    # 01:00Z in Berlin (CET, UTC+1): opens 02:00, cutoff (4 h - 1 h) 05:00, ends 06:00.
    assert "Opens:   Sat 2026-12-05 02:00 CET (UTC+01:00)" in message
    assert "Cutoff:  Sat 2026-12-05 05:00 CET (UTC+01:00)" in message
    assert "Ends:    Sat 2026-12-05 06:00 CET (UTC+01:00)" in message
    assert "nodes MAY REBOOT" in message
    assert "Change freeze: does not apply" in message
    erp_db, unnamed = path.erp
    assert f"- {erp_db}  erp-db  [{path.groups[0]}]" in message
    assert f"- {unnamed}  (no Name tag)  [{path.groups[0]}]" in message
    assert f"- {path.stopped}  tools-1  [{path.groups[1]}] - stopped: skipped unless started" in message
    assert "not-ours" not in message and "Nodes (3)" in message
    assert "late" not in message
    assert path.recorded() == OPENING
    # The next hourly runs: already noticed.
    for hours in (1, 2, 23):
        assert path.notice(DUE + timedelta(hours=hours)).status == "Success"
    assert len(path.notices_sent()) == 1


def test_runs_missed_for_hours_still_send_a_late_notice_before_the_window_opens(aws):
    path = Path()
    assert path.notice(datetime(2026, 12, 5, 0, 30, tzinfo=UTC)).status == "Success"
    (message,) = path.notices_sent()
    assert "This notice is late: it was due at Fri 2026-12-04 02:00 CET (UTC+01:00)." in message


def test_nothing_is_sent_before_the_span_or_once_the_window_opened(aws):
    path = Path()
    before = path.notice(datetime(2026, 12, 4, 0, 59, tzinfo=UTC))
    after = path.notice(datetime(2026, 12, 5, 1, 0, tzinfo=UTC))  # the next opening (January) is not due
    assert before.status == after.status == "Success"
    assert path.notices_sent() == [] and path.recorded() is None


def test_a_freeze_at_the_opening_is_in_the_notice(aws):
    path = Path()
    assert path.notice(calendar="CLOSED").status == "Success"
    (message,) = path.notices_sent()
    assert "Change freeze: APPLIES - the window falls in a change freeze and will not run." in message


def expected_notice_status(fault: Fault, injected: bool) -> str:
    if not injected:  # a call of the summary, or a step reached only after a failure (notifyFailure, endFailed)
        return "Success"
    return "Cancelled" if fault.kind == "cancel" else "Failed"


NOTICE_REPRESENTATIVE = {
    "sendNotices:DescribeMaintenanceWindowSchedule:error",
    "sendNotices:Publish:lost",
    "sendNotices:AddTagsToResource:error",
    "sendNotices:DescribeInstances:timeout",
    "sendNotices:-:cancel",
}


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(f, id=str(f), marks=() if str(f) in NOTICE_REPRESENTATIVE else pytest.mark.slow)
        for f in fault_matrix(NOTICE)
    ],
)
def test_every_notice_path_fails_closed_and_the_next_run_still_notices_before_the_opening(aws, fault):
    path = Path()
    result = path.notice(fault=fault)
    assert result.status == expected_notice_status(fault, result.injected), (result.history, result.failures)
    if result.status == "Failed":
        # The customer's topic hears of the failed check (notifyFailure), and the run still ends Failed.
        assert result.history[-2:] == [("notifyFailure", "Success"), ("endFailed", "Failed")], result.failures
        assert any(s == "Patching notice check failed: a notice may be missing" for s, _ in path.sent())
    # An hour later the association runs it again: the opening is noticed (twice at most: a notice whose
    # record failed is sent again rather than never).
    assert path.notice(DUE + timedelta(hours=1)).status == "Success"
    assert 1 <= len(path.notices_sent()) <= 2
    assert path.recorded() == OPENING


def test_the_notice_matrix_covers_every_call_of_the_notice_step():
    faults = {str(f) for f in fault_matrix(NOTICE, ["sendNotices"])}
    for api in (
        "DescribeMaintenanceWindowSchedule",
        "ListTagsForResource",
        "GetCalendarState",
        "GetMaintenanceWindow",
        "DescribeInstances",
        "Publish",
        "AddTagsToResource",
    ):
        assert f"sendNotices:{api}:error" in faults


# -- summary ------------------------------------------------------------------------------------

EXECUTION = "3a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
TASK = "5b2c3d4e-5f6a-4b7c-9d8e-1f2a3b4c5d6e"
COMMAND = "6c3d4e5f-6a7b-4c8d-8e9f-2a3b4c5d6e7f"


class SummaryPath(Path):
    """A run of the window: erp-db patched (pending reboot), the unnamed erp node cancelled at the
    cutoff, a third erp node failed, a fourth running but never reached; tools-1 stopped."""

    def __init__(self):
        super().__init__()
        ec2 = boto3.client("ec2", region_name=REGION)

        def node():
            tags = [{"Key": "Patch Group", "Value": self.groups[0]}]
            return ec2.run_instances(
                ImageId="ami-12c6146b",
                MinCount=1,
                MaxCount=1,
                TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
            )["Instances"][0]["InstanceId"]

        self.failed, self.unreached = node(), node()
        # 01:00Z and 04:10Z on 2026-12-05 (botocore's parser turns epoch seconds into these datetimes).
        start, end = 1796432400, 1796443800
        statuses = {self.erp[0]: "Success", self.erp[1]: "Cancelled", self.failed: "Failed"}
        self.execution = {
            "execution": {"WindowExecutionId": EXECUTION, "Status": "FAILED", "StartTime": start, "EndTime": end},
            "tasks": [
                {"WindowExecutionId": EXECUTION, "TaskExecutionId": TASK, "TaskType": "RUN_COMMAND", "Status": "FAILED"}
            ],
            "invocations": {
                TASK: [
                    {
                        "WindowExecutionId": EXECUTION,
                        "TaskExecutionId": TASK,
                        "InvocationId": "inv-1",
                        "ExecutionId": COMMAND,
                        "Status": "FAILED",
                    }
                ]
            },
            "commands": {COMMAND: [{"CommandId": COMMAND, "InstanceId": i, "Status": s} for i, s in statuses.items()]},
        }
        # GetMaintenanceWindowExecution has no WindowId: the runbook finds the window from the event's.
        self.patch_states = {
            self.erp[0]: {
                "InstanceId": self.erp[0],
                "PatchGroup": self.groups[0],
                "BaselineId": "pb-0123456789abcdef0",
                "OwnerInformation": "",
                "InstalledPendingRebootCount": 2,
                "Operation": "Install",
                "OperationStartTime": start,
                "OperationEndTime": end,
            }
        }

    def summary(self, fault=None):
        runner = NoticeRunner(
            SUMMARY,
            {
                "Settings": self.settings,
                "NotificationTopicArn": self.topic,
                "WindowExecutionId": EXECUTION,
                "WindowId": self.window,
            },
            now=DUE,
            executions={EXECUTION: self.execution},
            execution_id=f"summary-{next(_paths)}",
            fault=fault,
        )
        runner.patch_states = self.patch_states
        return runner.run()


def summary_lines(message):
    return {line.split(":")[0]: line for line in message.splitlines() if ":" in line}


def test_the_summary_counts_each_node_of_the_run_as_the_report_does(aws):
    path = SummaryPath()
    result = path.summary()
    assert result.status == "Success", result.failures
    ((subject, message),) = path.sent()
    assert subject == "Patching summary: initech-monthly-install FAILED"
    lines = summary_lines(message)
    assert lines["Patched (command succeeded)"] == f"Patched (command succeeded): 1  {path.erp[0]}"
    assert lines["Failed or timed out"] == f"Failed or timed out: 1  {path.failed}"
    assert lines["Cancelled at the cutoff (may be half-patched)"].endswith(f": 1  {path.erp[1]}")
    assert lines["Pending reboot (installed, not in effect until restarted)"].endswith(f": 1  {path.erp[0]}")
    assert lines["Skipped"] == f"Skipped: stopped: 1  {path.stopped}"
    assert lines["Not reached (running, but no command"].endswith(f": 1  {path.unreached}")
    # 01:00Z and 04:10Z in Berlin (CET).
    assert "Started: Sat 2026-12-05 02:00 CET (UTC+01:00)" in message
    assert "Ended:   Sat 2026-12-05 05:10 CET (UTC+01:00)" in message
    assert "INCOMPLETE" not in message


SUMMARY_READS = {
    "GetMaintenanceWindowExecution": "the window execution",
    "DescribeMaintenanceWindowExecutionTasks": "the execution's tasks",
    "DescribeMaintenanceWindowExecutionTaskInvocations": "the invocations of task",
    "ListCommandInvocations": "the per-node results of command",
    "DescribeInstancePatchStates": "the patch states of",
    "DescribeInstances": "the nodes of patch groups",
}
SUMMARY_REPRESENTATIVE = {
    "sendSummary:ListCommandInvocations:error",
    "sendSummary:DescribeInstancePatchStates:lost",
    "sendSummary:Publish:error",
    "sendSummary:GetMaintenanceWindowExecution:timeout",
    "failOnUnread:-:cancel",
}


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(f, id=str(f), marks=() if str(f) in SUMMARY_REPRESENTATIVE else pytest.mark.slow)
        for f in fault_matrix(SUMMARY)
    ],
)
def test_every_summary_path_says_what_it_could_not_read_and_ends_failed(aws, fault):
    path = SummaryPath()
    result = path.summary(fault)
    if not result.injected:  # a call of the advance notice, or a step reached only after a failure
        assert result.status == "Success", result.failures
        return
    if fault.kind == "cancel":
        assert result.status == "Cancelled"
        return
    assert result.status == "Failed", (result.history, result.failures)
    sent = path.sent()
    if fault.api in SUMMARY_READS and fault.kind in ("error", "lost"):
        ((subject, message),) = sent
        assert subject.endswith(" - INCOMPLETE")
        assert f"- {SUMMARY_READS[fault.api]}" in message
        assert result.history[-2:] == [("failOnUnread", "Failed"), ("endFailed", "Failed")]
    else:  # the step timed out, or the publish itself failed: the topic is told the summary is missing
        assert result.history[-2:] == [("notifyFailure", "Success"), ("endFailed", "Failed")], result.failures
        assert sent[-1][0] == "Patching summary failed: a window ran, its summary is missing"
        assert EXECUTION in sent[-1][1]


def test_the_event_target_passes_the_execution_id_the_runbook_takes():
    run = example_run(ROOT / "stacks" / "Pulumi.initech.yaml")
    (target,) = run.of_type("aws:cloudwatch/eventTarget:EventTarget")
    transformer = target.inputs["inputTransformer"]
    # The event as AWS documents it ("Amazon EventBridge event examples from Systems Manager").
    event = {"detail": {"window-id": "mw-0123456789abcdef0", "window-execution-id": EXECUTION, "status": "SUCCESS"}}
    template = transformer["inputTemplate"]
    for name, json_path in transformer["inputPaths"].items():
        template = template.replace(f"<{name}>", event["detail"][json_path.removeprefix("$.detail.")])
    rendered = json.loads(template)
    assert rendered == {
        "AutomationAssumeRole": [f"arn:aws:iam::{ACCOUNT}:role/initech-notices-mock"],
        "WindowId": ["mw-0123456789abcdef0"],
        "WindowExecutionId": [EXECUTION],
    }
    assert set(rendered) <= set(SUMMARY["parameters"])


# -- summary of a snapshotBeforeInstall window (its Automation task: the runbook once per node) ---------

SNAP_TASK = "7d4e5f6a-7b8c-4d9e-8f0a-3b4c5d6e7f80"
SNAP_RUNS = ("8e5f6a7b-8c9d-4e0f-9a1b-4c5d6e7f8091", "9f6a7b8c-9d0e-4f1a-8b2c-5d6e7f8091a2")


class SnapshotSummaryPath(Path):
    """A run of a snapshot-then-install window: erp-db's run succeeded, the unnamed erp node's pre-patch
    snapshot failed (its run FAILED in snapshotVolumes); tools-1 stopped."""

    def __init__(self):
        super().__init__()
        start, end = 1796432400, 1796443800  # 01:00Z and 04:10Z on 2026-12-05
        invocations = [
            {
                "WindowExecutionId": EXECUTION,
                "TaskExecutionId": SNAP_TASK,
                "InvocationId": f"{n}e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
                "ExecutionId": run,
                "TaskType": "AUTOMATION",
                "Status": status,
                "Parameters": json.dumps({"InstanceId": [node], "WindowExecutionId": [EXECUTION]}),
            }
            for n, (run, status, node) in enumerate(zip(SNAP_RUNS, ("SUCCESS", "FAILED"), self.erp, strict=True))
        ]
        failed = {
            "AutomationExecutionId": SNAP_RUNS[1],
            "DocumentName": "initech-monthly-install-snapshot-install",
            "AutomationExecutionStatus": "Failed",
            "Parameters": {"InstanceId": [self.erp[1]], "WindowExecutionId": [EXECUTION]},
            "StepExecutions": [
                {
                    "StepName": "snapshotVolumes",
                    "Action": "aws:executeScript",
                    "StepStatus": "Failed",
                    "FailureMessage": "SnapshotLimitExceeded",
                },
                {"StepName": "notifyFailure", "Action": "aws:executeScript", "StepStatus": "Success"},
            ],
        }
        self.execution = {
            "execution": {"WindowExecutionId": EXECUTION, "Status": "FAILED", "StartTime": start, "EndTime": end},
            "tasks": [
                {
                    "WindowExecutionId": EXECUTION,
                    "TaskExecutionId": SNAP_TASK,
                    "TaskType": "AUTOMATION",
                    "Status": "FAILED",
                }
            ],
            "invocations": {SNAP_TASK: invocations},
            "commands": {},
            "automations": {SNAP_RUNS[1]: failed},
        }

    summary = SummaryPath.summary

    @property
    def patch_states(self):
        return {}


def test_a_snapshot_window_summary_counts_its_runs_and_names_the_failed_snapshot(aws):
    path = SnapshotSummaryPath()
    result = path.summary()
    assert result.status == "Success", result.failures
    ((subject, message),) = path.sent()
    assert subject == "Patching summary: initech-monthly-install FAILED"
    lines = summary_lines(message)
    assert lines["Patched (command succeeded)"] == f"Patched (command succeeded): 1  {path.erp[0]}"
    assert lines["Failed or timed out"] == f"Failed or timed out: 1  {path.erp[1]}"
    assert lines["Skipped"] == f"Skipped: stopped: 1  {path.stopped}"
    assert lines["Not reached (running, but no command"].endswith(": 0")
    assert (
        f"- {path.erp[1]}: pre-patch snapshot failed, so the node was NOT patched (Automation execution "
        f"{SNAP_RUNS[1]}): SnapshotLimitExceeded"
    ) in message
    assert "INCOMPLETE" not in message


SNAPSHOT_READS = {**SUMMARY_READS, "GetAutomationExecution": f"the Automation execution {SNAP_RUNS[1]}"}


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(
            f, id=str(f), marks=() if str(f) == "sendSummary:GetAutomationExecution:error" else pytest.mark.slow
        )
        for f in fault_matrix(SUMMARY, ["sendSummary"])
    ],
)
def test_every_path_of_a_snapshot_window_summary_says_what_it_could_not_read_and_ends_failed(aws, fault):
    path = SnapshotSummaryPath()
    result = path.summary(fault)
    if not result.injected:  # a call of the advance notice, or ListCommandInvocations (no Run Command task)
        assert result.status == "Success", result.failures
        assert fault.api not in (set(SNAPSHOT_READS) - {"ListCommandInvocations"}) | {"Publish"}
        return
    if fault.kind == "cancel":
        assert result.status == "Cancelled"
        return
    assert result.status == "Failed", (result.history, result.failures)
    sent = path.sent()
    if fault.api in SNAPSHOT_READS and fault.kind in ("error", "lost"):
        ((subject, message),) = sent
        assert subject.endswith(" - INCOMPLETE")
        assert f"- {SNAPSHOT_READS[fault.api]}" in message
        if fault.api == "GetAutomationExecution":  # still counted failed, by the invocation's own status
            assert summary_lines(message)["Failed or timed out"] == f"Failed or timed out: 1  {path.erp[1]}"
        assert result.history[-2:] == [("failOnUnread", "Failed"), ("endFailed", "Failed")]
    else:
        assert result.history[-2:] == [("notifyFailure", "Success"), ("endFailed", "Failed")], result.failures
        assert sent[-1][0] == "Patching summary failed: a window ran, its summary is missing"


# -- summary of a later patch ring's install window (its first task: the ring promotion runbook) ----------------

PROMO_TASK = "0a7b8c9d-0e1f-4a2b-8c3d-6e7f8091a2b3"
PROMO_RUN = "1b8c9d0e-1f2a-4b3c-9d4e-7f8091a2b3c4"
PROMOTION_DOCUMENT = "initech-ring-prod-promotion"


def step(name, status, outputs=None, failure=None):
    found = {"StepName": name, "Action": "aws:executeScript", "StepStatus": status}
    if outputs is not None:
        found["Outputs"] = outputs
    if failure is not None:
        found["FailureMessage"] = failure
    return found


PROMOTED = (
    "SUCCESS",
    "Success",
    [
        step("assess", "Success", {"Decision": ["PROMOTE"], "Reasons": [], "Forced": ["False"]}),
        step("decide", "Success"),
        step("writeOverride", "Success", {"Written": ["True"], "Cutoffs": ["AMAZON_LINUX_2023=2026-11-28"]}),
    ],
)
REFUSED = (
    "FAILED",
    "Failed",
    [
        step(
            "assess",
            "Success",
            {
                "Decision": ["REFUSE"],
                "Reasons": [
                    "window mw-0123456789abcdef0's execution 2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f ended FAILED",
                    "i-0123456789abcdef0 (initech-dev) has 2 failed patch(es)",
                ],
                "Forced": ["False"],
            },
        ),
        step("decide", "Success"),
        step("notifyRefusal", "Success", {"Published": ["True"]}),
        step("endFailed", "Failed", failure="the ring promotion was refused or failed: see the steps above"),
    ],
)
BROKEN = (
    "FAILED",
    "Failed",
    [
        step("assess", "Failed", failure="AccessDeniedException: ssm:DescribeMaintenanceWindowExecutions"),
        step("notifyFailure", "Success", {"Published": ["True"]}),
        step("endFailed", "Failed", failure="the ring promotion was refused or failed: see the steps above"),
    ],
)


class RingSummaryPath(SummaryPath):
    """SummaryPath's run of a later ring's install window: the promotion task (Automation, no targets) ran first,
    then the patch command, whose nodes are counted as before."""

    def __init__(self, promotion, task_arn=PROMOTION_DOCUMENT):
        super().__init__()
        task_status, run_status, steps = promotion
        settings = json.loads(self.settings)
        settings["windows"][0]["promotion"] = PROMOTION_DOCUMENT
        self.settings = json.dumps(settings)
        self.execution["tasks"].insert(
            0,
            {
                "WindowExecutionId": EXECUTION,
                "TaskExecutionId": PROMO_TASK,
                "TaskArn": task_arn,
                "TaskType": "AUTOMATION",
                "Status": task_status,
            },
        )
        self.execution["invocations"][PROMO_TASK] = [
            {
                "WindowExecutionId": EXECUTION,
                "TaskExecutionId": PROMO_TASK,
                "InvocationId": "2c9d0e1f-2a3b-4c4d-8e5f-8091a2b3c4d5",
                "ExecutionId": PROMO_RUN,
                "TaskType": "AUTOMATION",
                "Status": task_status,
                # the task's invocation parameters: only the role (no node)
                "Parameters": json.dumps(
                    {"documentVersion": "$DEFAULT", "parameters": {"AutomationAssumeRole": ["arn:aws:iam::1:role/p"]}}
                ),
            }
        ]
        self.execution["automations"] = {
            PROMO_RUN: {
                "AutomationExecutionId": PROMO_RUN,
                "DocumentName": PROMOTION_DOCUMENT,
                "AutomationExecutionStatus": run_status,
                "Parameters": {"AutomationAssumeRole": ["arn:aws:iam::1:role/p"], "Ring": ["prod"]},
                "StepExecutions": steps,
            }
        }


def assert_nodes_counted_as_before(path, message):
    lines = summary_lines(message)
    assert lines["Patched (command succeeded)"] == f"Patched (command succeeded): 1  {path.erp[0]}"
    assert lines["Failed or timed out"] == f"Failed or timed out: 1  {path.failed}"
    assert lines["Skipped"] == f"Skipped: stopped: 1  {path.stopped}"


@pytest.mark.parametrize(
    "task_arn",
    # TaskArn is "The Amazon Resource Name (ARN) of the task that ran"; the task is registered with the name
    [PROMOTION_DOCUMENT, f"arn:aws:ssm:{REGION}:{ACCOUNT}:document/{PROMOTION_DOCUMENT}"],
    ids=["name", "arn"],
)
def test_a_ring_window_summary_reports_the_promotion_on_its_own_line_and_is_complete(aws, task_arn):
    path = RingSummaryPath(PROMOTED, task_arn)
    result = path.summary()
    assert result.status == "Success", (result.history, result.failures)
    ((subject, message),) = path.sent()
    assert subject == "Patching summary: initech-monthly-install FAILED"
    assert f"Ring promotion: promoted, cut-off AMAZON_LINUX_2023=2026-11-28 (Automation execution {PROMO_RUN})" in (
        message.splitlines()
    )
    assert_nodes_counted_as_before(path, message)
    assert "INCOMPLETE" not in message and "names no node" not in message


KEPT = (
    "SUCCESS",
    "Success",
    [
        step(
            "assess",
            "Success",
            {"Decision": ["CURRENT"], "Reasons": [], "InForce": ["AMAZON_LINUX_2023=2026-11-28"], "Forced": ["False"]},
        ),
        step("decide", "Success"),
        step("writeOverride", "Success", {"Written": ["False"], "Cutoffs": ["unchanged"]}),
    ],
)
FORCED = (
    "SUCCESS",
    "Success",
    [
        step("assess", "Success", {"Decision": ["PROMOTE"], "Reasons": ["a reason"], "Forced": ["True"]}),
        step("decide", "Success"),
        step("writeOverride", "Success", {"Written": ["True"], "Cutoffs": ["AMAZON_LINUX_2023=2026-11-28"]}),
    ],
)


@pytest.mark.parametrize(
    ("promotion", "line"),
    [
        (KEPT, "unchanged, cut-off AMAZON_LINUX_2023=2026-11-28 (promoted from the same installs before)"),
        (FORCED, "promoted (FORCED over a refusal), cut-off AMAZON_LINUX_2023=2026-11-28"),
    ],
    ids=["same-installs", "forced"],
)
def test_a_promotion_kept_or_forced_says_so(aws, promotion, line):
    """assess's Decision CURRENT (the same soaked installs as the override in force) and Forced (`patching promote
    --force`): neither is a plain "promoted"."""
    path = RingSummaryPath(promotion)
    assert path.summary().status == "Success"
    ((_, message),) = path.sent()
    assert f"Ring promotion: {line} (Automation execution {PROMO_RUN})" in message.splitlines()


def test_a_refused_promotion_is_named_with_its_reasons(aws):
    path = RingSummaryPath(REFUSED)
    result = path.summary()
    assert result.status == "Success", (result.history, result.failures)
    ((subject, message),) = path.sent()
    assert subject == "Patching summary: initech-monthly-install FAILED - ring promotion refused"
    assert (
        f"Ring promotion: REFUSED, nothing new installed (Automation execution {PROMO_RUN}): window "
        "mw-0123456789abcdef0's execution 2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f ended FAILED; i-0123456789abcdef0 "
        "(initech-dev) has 2 failed patch(es)"
    ) in message.splitlines()
    assert_nodes_counted_as_before(path, message)
    assert "INCOMPLETE" not in message


def test_a_failed_promotion_names_its_failed_step(aws):
    path = RingSummaryPath(BROKEN)
    result = path.summary()
    assert result.status == "Success", (result.history, result.failures)
    ((_, message),) = path.sent()
    assert (
        f"Ring promotion: Failed, nothing newer installed (Automation execution {PROMO_RUN}): step assess: "
        "AccessDeniedException: ssm:DescribeMaintenanceWindowExecutions"
    ) in message.splitlines()
    assert "INCOMPLETE" not in message


def test_an_unread_promotion_makes_the_summary_incomplete_and_the_run_fail(aws):
    path = RingSummaryPath(REFUSED)
    result = path.summary(Fault("sendSummary", "GetAutomationExecution", "error"))
    assert result.status == "Failed"
    ((subject, message),) = path.sent()
    assert subject.endswith(" - INCOMPLETE")
    assert "Ring promotion: task FAILED, not read" in message.splitlines()
    assert f"- the ring promotion task {PROMO_TASK}: ClientError(" in message
    assert result.history[-2:] == [("failOnUnread", "Failed"), ("endFailed", "Failed")]


def test_a_ring_window_whose_promotion_did_not_run_says_so(aws):
    path = SummaryPath()
    settings = json.loads(path.settings)
    settings["windows"][0]["promotion"] = PROMOTION_DOCUMENT
    path.settings = json.dumps(settings)
    assert path.summary().status == "Success"
    ((_, message),) = path.sent()
    assert "Ring promotion: did not run, nothing newer installed" in message.splitlines()


def test_the_settings_name_the_promotion_task_a_later_rings_window_runs():
    """acme (rings dev, then prod): prod's weekly-install runs acme-ring-prod-promotion as a task (the TaskArn the
    program registers); dev's install and the scan window run none."""
    from patching_components import layout
    from patching_components.config import load_stack_file
    from patching_components.notice_runbooks import notice_window

    acme = ROOT / "stacks" / "Pulumi.acme.yaml"
    config = load_stack_file(acme)
    where = layout.region_layout(config)
    promotion = {key: notice_window(config, where, key, "mw-0123456789abcdef0")["promotion"] for key in where.windows}
    assert promotion == {"daily-scan": "", "weekly-install": "acme-ring-prod-promotion", "dev-install": ""}
    tasks = example_run(acme).of_type("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask")
    assert "acme-ring-prod-promotion" in {t.inputs["taskArn"] for t in tasks if t.inputs["taskType"] == "AUTOMATION"}
