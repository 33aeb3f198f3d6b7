"""Advance notices and window summaries: the rendering (DST-exact, against `patching calendar`), the
exact requests the runbooks make (botocore's Stubber), what PatchNotices builds, and its roles judged by
what they allow (tests/iam_model.py). The runbooks' whole paths: tests/test_notices_sim.py."""

import ast
import json
from datetime import UTC, datetime, timedelta

import botocore.session
import pytest
import yaml
from botocore.stub import Stubber
from docs_pages import docs_text
from iam_model import Request, allowed, granted_actions
from runbook_sim import step_calls

from conftest import ROOT, example_run, run_config
from patching_components import iam_policies, notice_runbooks, notices
from patching_components.tools.cli import main
from patching_components.tools.report_model import CANCELLED_INVOCATIONS, FAILED_INVOCATIONS

INITECH = ROOT / "stacks" / "Pulumi.initech.yaml"
ACCOUNT, REGION = "123456789012", "eu-central-1"
WINDOW = "mw-0123456789abcdef0"
INSTALL = {
    "id": WINDOW,
    "key": "monthly-install",
    "name": "initech-monthly-install",
    "timezone": "Europe/Berlin",
    "durationHours": 4,
    "cutoffHours": 1,
    "operation": "Install",
    "rebootOption": "RebootIfNeeded",
    "patchGroups": ["initech-erp", "initech-tools"],
    "notice": True,
}


@pytest.fixture(scope="module")
def run():
    return example_run(INITECH)


def documents(run):
    return {
        d.name: yaml.safe_load(d.inputs["content"])
        for d in run.of_type("aws:ssm/document:Document")
        if d.name in ("initech-advance-notice", "initech-window-summary")
    }


# -- times: the notice says what `patching calendar` says ---------------------------------------


def calendar_json(capsys, stack, start, weeks):
    assert main(["calendar", str(stack), "--format", "json", "--start", start, "--weeks", str(weeks)]) == 0
    return [e for e in json.loads(capsys.readouterr().out) if e.get("kind") == "window"]


DST_STACK = """\
config:
  aws:region: eu-central-1
  patching:customer: initech
  patching:baselines:
    sles15: {operatingSystem: SUSE}
  patching:maintenanceWindows:
    night:
      schedule: cron(30 1 ? * SUN *)
      timezone: Europe/Berlin
      durationHours: 4
      cutoffHours: 1
      operation: Install
  patching:patchGroups:
    erp: {baselines: [sles15], maintenanceWindows: [night]}
"""


def test_the_notices_local_times_are_the_calendars_across_both_dst_changes(capsys, tmp_path):
    """Every opening of a year: initech's first-Saturday window, and a Sunday 01:30-05:30 window that
    spans both of Berlin's DST changes (2026-03-29, 2026-10-25)."""
    stack = tmp_path / "Pulumi.dst.yaml"
    stack.write_text(DST_STACK)
    entries = calendar_json(capsys, INITECH, "2026-01-01", 53) + calendar_json(capsys, stack, "2026-01-01", 53)
    assert len(entries) > 60
    durations = {"monthly-install": 4, "weekly-scan": 2, "night": 4}
    spring = [e for e in entries if e["start"].startswith("2026-03-29")]
    assert [(e["start"], e["end"]) for e in spring] == [("2026-03-29T01:30:00+01:00", "2026-03-29T06:30:00+02:00")]
    for entry in entries:
        start = datetime.fromisoformat(entry["start"])
        opens, closes = notices.local_span(start.astimezone(UTC), "Europe/Berlin", durations[entry["window"]])
        assert (opens.isoformat(), closes.isoformat()) == (entry["start"], entry["end"])
        window = {**INSTALL, "key": entry["window"], "durationHours": durations[entry["window"]]}
        _, message = notices.render_notice(window, start.astimezone(UTC), [], {"frozen": None})
        assert f"Opens:   {notices.local_text(opens)}" in message
        assert f"Ends:    {notices.local_text(closes)}" in message


def test_local_text_names_the_zone_and_its_offset():
    summer = datetime(2026, 7, 4, 0, 0, tzinfo=UTC)
    opens, closes = notices.local_span(summer, "Europe/Berlin", 4)
    assert notices.local_text(opens) == "Sat 2026-07-04 02:00 CEST (UTC+02:00)"
    assert notices.local_text(closes) == "Sat 2026-07-04 06:00 CEST (UTC+02:00)"
    opens, _ = notices.local_span(summer, "America/St_Johns", 1)
    assert notices.local_text(opens) == "Fri 2026-07-03 21:30 NDT (UTC-02:30)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-05T01:00Z", datetime(2026, 12, 5, 1, 0, tzinfo=UTC)),
        ("2026-12-05T02:00+01:00", datetime(2026, 12, 5, 1, 0, tzinfo=UTC)),
        ("2026-12-05T01:00:00.000Z", datetime(2026, 12, 5, 1, 0, tzinfo=UTC)),
    ],
)
def test_execution_times_are_read_in_every_iso_8601_extended_form(text, expected):
    assert notices.parse_time(text) == expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 12, 4, 0, 59, tzinfo=UTC), None),  # before the 24-hour span
        (datetime(2026, 12, 4, 1, 0, tzinfo=UTC), "due"),
        (datetime(2026, 12, 4, 1, 59, tzinfo=UTC), "due"),  # the first hourly check of the span
        (datetime(2026, 12, 4, 2, 0, tzinfo=UTC), "late"),
        (datetime(2026, 12, 5, 0, 59, tzinfo=UTC), "late"),
        (datetime(2026, 12, 5, 1, 0, tzinfo=UTC), None),  # it opened
    ],
)
def test_a_notice_is_due_from_its_span_until_the_opening(now, expected):
    assert notices.notice_due(datetime(2026, 12, 5, 1, 0, tzinfo=UTC), now, 24) == expected


def test_the_applies_lines_say_what_stops_or_limits_an_opening():
    assert notices.applies_lines({"frozen": None}) == ["Change freeze: none configured."]
    assert notices.applies_lines({"frozen": True})[0].startswith("Change freeze: APPLIES")
    assert notices.applies_lines({"frozen": False, "enabled": False})[1].startswith("Window: DISABLED")


def test_a_scan_only_stack_says_nothing_is_installed():
    _, message = notices.render_notice(INSTALL, datetime(2026, 12, 5, 1, 0, tzinfo=UTC), [], {"scanOnly": True})
    assert "Operation: Scan only (the stack is in scan-only mode): nothing is installed, no node reboots." in message
    assert "MAY REBOOT" not in message
    no_reboot = {**INSTALL, "rebootOption": "NoReboot"}
    _, message = notices.render_notice(no_reboot, datetime(2026, 12, 5, 1, 0, tzinfo=UTC), [], {})
    assert "Reboots: none (NoReboot)" in message


# -- one module, standard library only, the report's definitions --------------------------------


def test_the_module_runs_in_the_runbook_standard_library_only_and_is_embedded_whole(run):
    tree = ast.parse((ROOT / "patching_components" / "notices.py").read_text())
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    } | {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert imported == {"__future__", "json", "re", "datetime", "typing", "zoneinfo", "boto3"}
    source = (ROOT / "patching_components" / "notices.py").read_text()
    for document in documents(run).values():
        assert document["mainSteps"][0]["inputs"]["Script"] == source


def test_the_summary_counts_as_the_report_defines_them():
    assert notices.FAILED_INVOCATIONS == FAILED_INVOCATIONS
    assert notices.CANCELLED_INVOCATIONS == CANCELLED_INVOCATIONS
    model = botocore.session.get_session().get_service_model("ssm")
    ids = model.operation_model("DescribeInstancePatchStates").input_shape.members["InstanceIds"]
    assert notices.PATCH_STATE_IDS == ids.metadata["max"]
    statuses = model.shape_for("MaintenanceWindowExecutionStatus").enum
    assert set(notices.TERMINAL_STATUSES) == set(statuses) - {"PENDING", "IN_PROGRESS", "CANCELLING"}
    assert notices.NOTICE_TAG == iam_policies.NOTICE_TAG


# -- the exact requests (Stubber) ----------------------------------------------------------------


def client(service):
    made = botocore.session.get_session().create_client(
        service, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    return made, Stubber(made)


NOTICE_TEXT = """\
Maintenance window monthly-install (initech-monthly-install) of initech in eu-central-1 opens soon.

Opens:   Sat 2026-12-05 02:00 CET (UTC+01:00)
Cutoff:  Sat 2026-12-05 05:00 CET (UTC+01:00) (no node starts patching after it)
Ends:    Sat 2026-12-05 06:00 CET (UTC+01:00)
Time zone: Europe/Berlin

Operation: Install - security updates approved by the baselines are installed.
Reboots: nodes MAY REBOOT when an update needs it (RebootIfNeeded).

Applies:
- Change freeze: does not apply (the freeze calendar is OPEN at the opening).

Nodes (1) in patch groups initech-erp, initech-tools:
- i-0aaaaaaaaaaaaaaa1  erp-db  [initech-erp]
"""
"""The notice of 2026-12-05T01:00Z (02:00 in Berlin, CET), written out by hand."""


def test_the_notice_check_makes_exactly_these_requests():
    ssm, ssm_stub = client("ssm")
    ec2, ec2_stub = client("ec2")
    sns, sns_stub = client("sns")
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:initech-alerts"
    config = json.loads(
        notices.settings(
            customer="initech",
            region=REGION,
            hours=24,
            calendar="initech-change-freezes",
            tag_key="Patch Group",
            scan_only=False,
            windows=[INSTALL, {**INSTALL, "id": "mw-0000000000000000a", "key": "weekly-scan", "notice": False}],
        )
    )
    ssm_stub.add_response(
        "describe_maintenance_window_schedule",
        {"ScheduledWindowExecutions": [{"WindowId": WINDOW, "ExecutionTime": "2026-12-05T01:00Z"}]},
        {"WindowId": WINDOW},
    )
    ssm_stub.add_response(
        "list_tags_for_resource",
        {"TagList": [{"Key": "Customer", "Value": "initech"}, {"Key": "PatchingNotice", "Value": "2026-11-07T01:00Z"}]},
        {"ResourceType": "MaintenanceWindow", "ResourceId": WINDOW},
    )
    ssm_stub.add_response(
        "get_calendar_state",
        {"State": "OPEN", "AtTime": "2026-12-05T01:00Z"},
        {"CalendarNames": ["initech-change-freezes"], "AtTime": "2026-12-05T01:00Z"},
    )
    ssm_stub.add_response("get_maintenance_window", {"WindowId": WINDOW, "Enabled": True}, {"WindowId": WINDOW})
    ec2_stub.add_response(
        "describe_instances",
        {
            "Reservations": [
                {
                    "Instances": [
                        {
                            "InstanceId": "i-0aaaaaaaaaaaaaaa1",
                            "State": {"Name": "running"},
                            "Tags": [
                                {"Key": "Name", "Value": "erp-db"},
                                {"Key": "Patch Group", "Value": "initech-erp"},
                            ],
                        }
                    ]
                }
            ]
        },
        {
            "Filters": [
                {"Name": "tag:Patch Group", "Values": ["initech-erp", "initech-tools"]},
                {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
            ]
        },
    )
    sns_stub.add_response(
        "publish",
        {"MessageId": "m-1"},
        {
            "TopicArn": topic,
            "Subject": "Patching notice: initech-monthly-install opens Sat 2026-12-05 02:00 CET",
            "Message": NOTICE_TEXT,
        },
    )
    ssm_stub.add_response(
        "add_tags_to_resource",
        {},
        {
            "ResourceType": "MaintenanceWindow",
            "ResourceId": WINDOW,
            "Tags": [{"Key": "PatchingNotice", "Value": "2026-12-05T01:00Z"}],
        },
    )
    with ssm_stub, ec2_stub, sns_stub:
        result = notices.advance_notices(ssm, ec2, sns, topic, config, datetime(2026, 12, 4, 1, 30, tzinfo=UTC))
    assert result == {"Sent": ["monthly-install: 2026-12-05T01:00Z"], "Waiting": [], "Failed": []}
    ssm_stub.assert_no_pending_responses()


def test_the_summary_reads_exactly_these_requests():
    ssm, ssm_stub = client("ssm")
    ec2, ec2_stub = client("ec2")
    execution, task, command = (
        "3a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d",
        "5b2c3d4e-5f6a-4b7c-9d8e-1f2a3b4c5d6e",
        "6c3d4e5f-6a7b-4c8d-8e9f-2a3b4c5d6e7f",
    )
    config = {"customer": "initech", "tagKey": "Patch Group", "windows": [INSTALL]}
    ssm_stub.add_response(
        "get_maintenance_window_execution",
        {"WindowExecutionId": execution, "Status": "SUCCESS", "StartTime": datetime(2026, 12, 5, 1, 0, tzinfo=UTC)},
        {"WindowExecutionId": execution},
    )
    ssm_stub.add_response(
        "describe_maintenance_window_execution_tasks",
        {"WindowExecutionTaskIdentities": [{"TaskExecutionId": task, "TaskType": "RUN_COMMAND"}], "NextToken": "t2"},
        {"WindowExecutionId": execution},
    )
    ssm_stub.add_response(
        "describe_maintenance_window_execution_tasks",
        {"WindowExecutionTaskIdentities": []},
        {"WindowExecutionId": execution, "NextToken": "t2"},
    )
    ssm_stub.add_response(
        "describe_maintenance_window_execution_task_invocations",
        {"WindowExecutionTaskInvocationIdentities": [{"ExecutionId": command}]},
        {"WindowExecutionId": execution, "TaskId": task},
    )
    ssm_stub.add_response(
        "list_command_invocations",
        {"CommandInvocations": [{"InstanceId": "i-0aaaaaaaaaaaaaaa1", "Status": "Success"}]},
        {"CommandId": command},
    )
    ssm_stub.add_response(
        "describe_instance_patch_states",
        {"InstancePatchStates": []},
        {"InstanceIds": ["i-0aaaaaaaaaaaaaaa1"]},
    )
    ec2_stub.add_response(
        "describe_instances",
        {"Reservations": []},
        {
            "Filters": [
                {"Name": "tag:Patch Group", "Values": ["initech-erp", "initech-tools"]},
                {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
            ]
        },
    )
    with ssm_stub, ec2_stub:
        run = notices.window_run(ssm, ec2, config, WINDOW, execution)
    assert run["commands"] == {"i-0aaaaaaaaaaaaaaa1": "Success"} and run["unread"] == []
    assert notices.summary_counts(run)["patched"] == ["i-0aaaaaaaaaaaaaaa1"]


# -- what is built -------------------------------------------------------------------------------


def test_initech_gets_an_hourly_notice_check_and_a_summary_of_each_window_run(run):
    (association,) = [a for a in run.of_type("aws:ssm/association:Association") if a.name == "initech-advance-notice"]
    assert association.inputs["scheduleExpression"] == "rate(1 hour)"
    assert association.inputs["name"] == "initech-advance-notice"
    assert run.named("initech-notices", "aws:iam/rolePolicy:RolePolicy").urn in association.dependencies
    docs = documents(run)
    settings = json.loads(docs["initech-advance-notice"]["parameters"]["Settings"]["default"])
    assert settings["hours"] == 24 and settings["scanOnly"] is True and settings["calendar"] == ""
    assert [(w["key"], w["notice"], w["timezone"]) for w in settings["windows"]] == [
        ("weekly-scan", False, "Europe/Berlin"),
        ("monthly-install", True, "Europe/Berlin"),
    ]
    topic = docs["initech-window-summary"]["parameters"]["NotificationTopicArn"]["default"]
    assert topic == f"arn:aws:sns:{REGION}:{ACCOUNT}:initech-alerts-mock"
    (rule,) = run.of_type("aws:cloudwatch/eventRule:EventRule")
    pattern = json.loads(rule.inputs["eventPattern"])
    windows = {w.inputs["name"]: w.id for w in run.of_type("aws:ssm/maintenanceWindow:MaintenanceWindow")}
    assert pattern == {
        "source": ["aws.ssm"],
        "detail-type": ["Maintenance Window Execution State-change Notification"],
        "detail": {
            "window-id": [windows["initech-weekly-scan"], windows["initech-monthly-install"]],
            "status": ["SUCCESS", "FAILED", "TIMED_OUT", "CANCELLED", "SKIPPED_OVERLAPPING"],
        },
    }


def test_summary_alone_builds_no_notice_check_and_each_region_has_its_own():
    from conftest import MINIMAL

    config = {
        **MINIMAL,
        "aws:region": "eu-west-1",
        "regions": ["eu-west-1", "us-east-1"],
        "notifications": {"emails": ["ops@example.com"], "summary": True},
        "maintenanceWindows": {
            "scan": {"schedule": "cron(0 1 * * ? *)", "durationHours": 2, "cutoffHours": 1, "operation": "Scan"}
        },
        "patchGroups": {"acme-web": {"baselines": ["al2023"], "maintenanceWindows": ["scan"]}},
    }
    built = run_config(config, stack="acme")
    names = sorted(d.inputs["name"] for d in built.of_type("aws:ssm/document:Document"))
    assert [n for n in names if "notice" in n or "summary" in n] == [
        "acme-us-east-1-window-summary",
        "acme-window-summary",
    ]
    assert len([r for r in built.of_type("aws:iam/role:Role") if "notices" in r.name]) == 2  # once, global


# -- least privilege -----------------------------------------------------------------------------


def test_the_notices_role_is_granted_exactly_the_calls_of_its_runbooks(run):
    calls = {
        f"{service}:{api}" for d in documents(run).values() for s in d["mainSteps"] for service, api in step_calls(s)
    }
    policy = [run.named("initech-notices", "aws:iam/rolePolicy:RolePolicy").inputs["policy"]]
    # initech has no change freezes: no calendar to read.
    assert granted_actions(policy) == calls - {"ssm:GetCalendarState"}


def test_the_notices_role_acts_on_this_customers_windows_nodes_and_topic_only(run):
    policy = [run.named("initech-notices", "aws:iam/rolePolicy:RolePolicy").inputs["policy"]]
    window = f"arn:aws:ssm:{REGION}:{ACCOUNT}:maintenancewindow/mw-0a"
    initech, acme = {"aws:ResourceTag/Customer": "initech"}, {"aws:ResourceTag/Customer": "acme"}
    mark = {"aws:TagKeys": ["PatchingNotice"]}
    assert allowed(policy, Request("ssm:GetMaintenanceWindow", window, initech))
    assert allowed(policy, Request("ssm:AddTagsToResource", window, {**initech, **mark}))
    assert not allowed(policy, Request("ssm:GetMaintenanceWindow", window, acme))
    assert not allowed(policy, Request("ssm:AddTagsToResource", window, {**acme, **mark}))
    assert not allowed(policy, Request("ssm:AddTagsToResource", window, {**initech, "aws:TagKeys": ["Customer"]}))
    assert not allowed(policy, Request("ssm:UpdateMaintenanceWindow", window, initech))
    instance = f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/i-0a"
    assert allowed(
        policy, Request("ssm:DescribeInstancePatchStates", instance, {"ssm:resourceTag/Patch Group": "initech-erp"})
    )
    assert not allowed(
        policy, Request("ssm:DescribeInstancePatchStates", instance, {"ssm:resourceTag/Patch Group": "acme-web"})
    )
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:initech-alerts-mock"
    assert allowed(policy, Request("sns:Publish", topic))
    assert not allowed(policy, Request("sns:Publish", topic.replace("initech", "acme")))
    here, elsewhere = {"aws:RequestedRegion": REGION}, {"aws:RequestedRegion": "us-east-1"}
    assert allowed(policy, Request("ssm:DescribeMaintenanceWindowSchedule", "*", here))
    assert not allowed(policy, Request("ssm:DescribeMaintenanceWindowSchedule", "*", elsewhere))
    assert not allowed(policy, Request("ssm:SendCommand", instance, {"ssm:resourceTag/Patch Group": "initech-erp"}))


def test_with_a_freeze_the_notices_role_reads_this_customers_calendar_only():
    document = iam_policies.notices_document(
        partition="aws",
        region=REGION,
        account_id=ACCOUNT,
        customer="globex",
        topic_arn="arn:aws:sns:eu-central-1:123456789012:t",
        calendar_name="globex-change-freezes",
        groups=["web"],
    )
    calendar = f"arn:aws:ssm:{REGION}:{ACCOUNT}:document/globex-change-freezes"
    assert allowed([document], Request("ssm:GetCalendarState", calendar))
    assert not allowed([document], Request("ssm:GetCalendarState", calendar.replace("globex", "acme")))


def test_with_approval_gates_the_notices_role_reads_those_calendars_too():
    document = iam_policies.notices_document(
        partition="aws",
        region=REGION,
        account_id=ACCOUNT,
        customer="globex",
        topic_arn="arn:aws:sns:eu-central-1:123456789012:t",
        approval_calendars=["globex-tue-install-approvals"],
        groups=["web"],
    )
    calendar = f"arn:aws:ssm:{REGION}:{ACCOUNT}:document/globex-tue-install-approvals"
    assert allowed([document], Request("ssm:GetCalendarState", calendar))
    assert not allowed([document], Request("ssm:GetCalendarState", calendar.replace("tue-install", "sat-install")))


def test_an_approval_gated_opening_says_whether_it_is_approved():
    # A gated window stays disabled until the guard opens it an hour before an approved opening:
    # its notice speaks of the approval, not of a disabled window.
    approved = notices.applies_lines({"frozen": False, "approved": True, "enabled": False})
    assert approved == [
        "Change freeze: does not apply (the freeze calendar is OPEN at the opening).",
        "Approval gate: this opening is approved.",
    ]
    waiting = notices.applies_lines({"frozen": None, "approved": False, "enabled": False})
    assert waiting == [
        "Change freeze: none configured.",
        "Approval gate: AWAITING APPROVAL - the window will not run unless this opening is approved "
        "(`patching approve`) before it opens.",
    ]


def test_the_notice_reads_the_approval_calendar_at_the_opening():
    class Ssm:
        asked: list = []

        def get_calendar_state(self, CalendarNames, AtTime):
            self.asked.append((CalendarNames, AtTime))
            return {"State": "CLOSED" if CalendarNames == ["g-tue-install-approvals"] else "OPEN"}

        def get_maintenance_window(self, WindowId):
            return {"Enabled": False}

    start = datetime(2027, 1, 14, 8, 0, tzinfo=UTC)
    window = {"id": "mw-0123456789abcdef0", "approvalCalendar": "g-tue-install-approvals"}
    facts = notices.notice_facts(Ssm(), {"calendar": "g-change-freezes"}, window, start, {})
    assert (facts["frozen"], facts["approved"]) == (False, False)
    assert Ssm.asked == [
        (["g-change-freezes"], "2027-01-14T08:00Z"),
        (["g-tue-install-approvals"], "2027-01-14T08:00Z"),
    ]
    assert notices.notice_facts(Ssm(), {}, {"id": window["id"]}, start, {})["approved"] is None


def test_the_events_role_may_only_start_the_summary_as_the_notices_role(run):
    policy = [run.named("initech-notices-events", "aws:iam/rolePolicy:RolePolicy").inputs["policy"]]
    definition = f"arn:aws:ssm:{REGION}:{ACCOUNT}:automation-definition/initech-window-summary:$DEFAULT"
    role = f"arn:aws:iam::{ACCOUNT}:role/initech-notices-mock"
    assert allowed(policy, Request("ssm:StartAutomationExecution", definition))
    assert not allowed(policy, Request("ssm:StartAutomationExecution", definition.replace("window-summary", "x")))
    assert not allowed(policy, Request("ssm:StartAutomationExecution", definition.replace("initech", "acme")))
    assert allowed(policy, Request("iam:PassRole", role, {"iam:PassedToService": "ssm.amazonaws.com"}))
    assert not allowed(policy, Request("iam:PassRole", role.replace("notices", "automation")))


# -- the README shows what the customer reads ------------------------------------------------------

README_NODES = [
    {"id": "i-0a1b2c3d4e5f60718", "name": "erp-db-1", "group": "initech-erp", "state": "running"},
    {"id": "i-0b2c3d4e5f6071829", "name": "erp-app-1", "group": "initech-erp", "state": "running"},
    {"id": "i-0c3d4e5f607182930", "name": "tools-build", "group": "initech-tools", "state": "stopped"},
]


def test_the_readme_shows_initechs_notice_and_a_summary_as_rendered():
    from patching_components import layout
    from patching_components.config import load_stack_file

    config = load_stack_file(INITECH)
    config = getattr(config, "config", config)
    window = notice_runbooks.notice_window(config, layout.region_layout(config), "monthly-install", WINDOW)
    facts = {"customer": "initech", "region": REGION, "scanOnly": True, "frozen": None, "enabled": True}
    # 2027-03-06 is the first Saturday of March: 02:00 in Berlin (CET) is 01:00Z.
    subject, message = notices.render_notice(window, datetime(2027, 3, 6, 1, 0, tzinfo=UTC), README_NODES, facts)
    readme = docs_text("notices.md")
    assert f"```\nSubject: {subject}\n\n{message}```\n" in readme
    run = {
        "windowId": WINDOW,
        "executionId": "3a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d",
        "status": "FAILED",
        "start": datetime(2027, 4, 3, 0, 0, tzinfo=UTC),  # 02:00 CEST: Berlin is on summer time from 28 March
        "end": datetime(2027, 4, 3, 3, 10, tzinfo=UTC),
        "window": window,
        "commands": {
            "i-0a1b2c3d4e5f60718": "Success",
            "i-0b2c3d4e5f6071829": "Cancelled",
            "i-0d4e5f60718293a4b": "Failed",
        },
        "pendingReboot": ["i-0a1b2c3d4e5f60718"],
        "unread": [],
        "nodes": [
            *README_NODES,
            {"id": "i-0d4e5f60718293a4b", "name": "erp-db-2", "group": "initech-erp", "state": "running"},
        ],
    }
    subject, message = notices.render_summary({"customer": "initech", "region": REGION}, run)
    assert f"```\nSubject: {subject}\n\n{message}```\n" in readme


def test_both_runbooks_are_valid_automation_documents_within_aws_size_limit(run):
    from patching_components.aws.automation_doc import document_issues
    from patching_components.aws.limits import MAX_DOCUMENT_CONTENT_BYTES

    for document in run.of_type("aws:ssm/document:Document"):
        if document.name in ("initech-advance-notice", "initech-window-summary"):
            assert document_issues(yaml.safe_load(document.inputs["content"])) == [], document.name
            # 65% of the limit (the snapshot-then-install reading, then the ring promotion's, made the module
            # larger than half): the rest is room for the settings of about 75 more windows (about 300 bytes each);
            # validate refuses a stack whose runbook would exceed the limit (notice_runbooks).
            assert len(document.inputs["content"].encode()) < MAX_DOCUMENT_CONTENT_BYTES * 0.65, document.name


def test_a_window_the_circuit_breaker_tripped_says_so_instead_of_disabled():
    lines = notices.applies_lines({"frozen": None, "enabled": False, "breaker": "acme-prod-5xx"})
    assert lines[1] == (
        "Circuit breaker: TRIPPED by alarm acme-prod-5xx - the window stays disabled until `patching resume` "
        "(it will not run)."
    )
    assert len(lines) == 2


def test_validate_refuses_notices_aws_would_refuse_and_stays_quiet_for_the_examples():
    from conftest import MINIMAL
    from patching_components.config import StackConfig
    from patching_components.notice_runbooks import notice_issues

    assert notice_issues(StackConfig.model_validate({**MINIMAL, "notifications": {"emails": ["a@example.com"]}})) == []
    # 40 windows of 4 long-named patch groups each: the summary runbook's settings go past 64,000 bytes.
    groups = {f"{'g' * 200}-{n}": {"baselines": ["al2023"], "maintenanceWindows": [f"w{n}"]} for n in range(40)}
    windows = {
        f"w{n}": {"schedule": "cron(0 1 * * ? *)", "durationHours": 2, "cutoffHours": 1, "operation": "Install"}
        for n in range(40)
    }
    for n in range(40):
        for extra in range(3):
            groups[f"{'h' * 200}-{n}-{extra}"] = {"baselines": ["al2023"], "maintenanceWindows": [f"w{n}"]}
    config = StackConfig.model_validate(
        {
            **MINIMAL,
            "maintenanceWindows": windows,
            "patchGroups": groups,
            "notifications": {"emails": ["a@example.com"], "summary": True},
        }
    )
    issues = notice_issues(config)
    assert any("window-summary runbook of acme would be" in message for _, message in issues), issues
    assert all(path == ("notifications",) for path, _ in issues)


class _FakeSsm:
    """A window's schedule and tags (the de-duplication record), for the notice logic over many checks."""

    def __init__(self, times):
        self.times, self.tags = times, {}

    def describe_maintenance_window_schedule(self, WindowId):
        return {"ScheduledWindowExecutions": [{"WindowId": WindowId, "ExecutionTime": t} for t in self.times]}

    def list_tags_for_resource(self, ResourceType, ResourceId):
        return {"TagList": [{"Key": k, "Value": v} for k, v in self.tags.items()]}

    def add_tags_to_resource(self, ResourceType, ResourceId, Tags):
        self.tags.update({t["Key"]: t["Value"] for t in Tags})

    def get_maintenance_window(self, WindowId):
        return {"WindowId": WindowId, "Enabled": True}


class _FakeEc2:
    def describe_instances(self, **_):
        return {"Reservations": []}


class _FakeSns:
    def __init__(self):
        self.sent = []

    def publish(self, TopicArn, Subject, Message):
        self.sent.append((Subject, Message))


def test_a_notice_span_longer_than_the_interval_notices_every_opening_once_in_its_own_slot():
    """A daily 02:00 Berlin window (01:00Z in winter) with 48 hours' notice: two openings are always
    inside the span; each is sent in the first hourly check of its own span, once, never late."""
    times = [f"2026-12-{day:02d}T01:00Z" for day in range(5, 15)]
    ssm, sns = _FakeSsm(times), _FakeSns()
    config = {"customer": "initech", "region": REGION, "hours": 48, "calendar": "", "tagKey": "Patch Group"}
    config["windows"] = [{**INSTALL, "key": "daily", "name": "initech-daily"}]
    start = datetime(2026, 12, 3, 1, 10, tzinfo=UTC)  # 10 minutes into the span of the 5 December opening
    for hour in range(24 * 5):
        notices.advance_notices(
            ssm, _FakeEc2(), sns, "arn:aws:sns:eu-central-1:123456789012:t", config, start + timedelta(hours=hour)
        )
    subjects = [subject for subject, _ in sns.sent]
    assert subjects == [
        f"Patching notice: initech-daily opens {d} 2026-12-{n:02d} 02:00 CET"
        for d, n in (("Sat", 5), ("Sun", 6), ("Mon", 7), ("Tue", 8), ("Wed", 9))
    ]
    assert not any("late" in message for _, message in sns.sent)
    # The last check, 2026-12-08 00:10Z, is before the span of 10 December (from 2026-12-08 01:00Z).
    assert ssm.tags["PatchingNotice"] == "2026-12-09T01:00Z"


def test_the_component_alone_builds_from_plain_args_and_refuses_bad_ones_before_registering():
    from patching_components import PatchNotices
    from patching_components.tools.engine import ProgramError
    from tests.engine import run_program

    args = {
        "customer": "acme",
        "runbook_settings": notices.settings(
            customer="acme", region="", hours=24, calendar="", tag_key="Patch Group", scan_only=False, windows=[]
        ),
        "window_ids": [WINDOW],
        "topic_arn": f"arn:aws:sns:eu-west-1:{ACCOUNT}:acme-alerts",
        "role_arn": f"arn:aws:iam::{ACCOUNT}:role/n",
        "role_name": "n",
        "events_role_arn": f"arn:aws:iam::{ACCOUNT}:role/e",
        "events_role_name": "e",
        "advance_notice": True,
        "summary": True,
    }
    built = run_program({}, stack="args", program=lambda: PatchNotices("acme", args))
    assert sorted(d.inputs["name"] for d in built.of_type("aws:ssm/document:Document")) == [
        "acme-advance-notice",
        "acme-window-summary",
    ]
    for bad, message in (
        ({"customer": "Acme!"}, "customer: "),
        ({"patch_groups": "acme-web"}, "patch_groups: Input should be a valid list"),
        ({"notice_hours": 3}, "notice_hours: "),
    ):
        with pytest.raises(ProgramError) as info:
            run_program({}, stack="args", program=lambda bad=bad: PatchNotices("acme", {**args, **bad}))
        assert info.value.resources == []
        assert any(message in line for line in info.value.error.lines()), info.value.error.lines()


# -- a snapshotBeforeInstall window: its Automation task's runs --------------------------------------

SNAP_TASK = "7d4e5f6a-7b8c-4d9e-8f0a-3b4c5d6e7f80"
SNAP_RUNS = ("8e5f6a7b-8c9d-4e0f-9a1b-4c5d6e7f8091", "9f6a7b8c-9d0e-4f1a-8b2c-5d6e7f8091a2")
SNAPSHOT_FAILED = {
    "AutomationExecutionId": SNAP_RUNS[1],
    "AutomationExecutionStatus": "Failed",
    "Parameters": {"InstanceId": ["i-0bbbbbbbbbbbbbbb2"]},
    "StepExecutions": [
        {"StepName": "snapshotVolumes", "StepStatus": "Failed", "FailureMessage": "SnapshotLimitExceeded"},
        {"StepName": "notifyFailure", "StepStatus": "Success"},
    ],
}


def test_the_summary_counts_a_snapshot_window_as_the_report_defines_it():
    from patching_components.tools import report_snapshot_windows as report

    # One definition: the report reads a snapshot window's runs with the summary's own functions.
    assert report.AUTOMATION_STATUS is notices.AUTOMATION_STATUS
    assert report.invocation_node is notices.invocation_node and report.node_of is notices.node_of
    assert report.automation_failure is notices.automation_failure
    for parameters, node in (
        ('{"InstanceId": ["i-0aaaaaaaaaaaaaaa1"]}', "i-0aaaaaaaaaaaaaaa1"),
        ('{"Parameters": {"InstanceId": "mi-0123456789abcdef0"}}', "mi-0123456789abcdef0"),
        ('{"InstanceId": ["i-1", "i-2"]}', None),  # two nodes: not one invocation's
        ("not json", None),
        (None, None),
    ):
        assert notices.invocation_node(parameters) == node, parameters
    install_failed = {
        "AutomationExecutionId": "e",
        "StepExecutions": [
            {"StepName": "snapshotVolumes", "StepStatus": "Success"},
            {
                "StepName": "installPatches",
                "StepStatus": "Failed",
                "Outputs": {"CommandId": ["c-1"], "Status": ["TimedOut"]},
            },
        ],
    }
    assert notices.automation_failure(SNAPSHOT_FAILED, "Failed", "x") == (
        "Failed",
        f"pre-patch snapshot failed, so the node was NOT patched (Automation execution {SNAP_RUNS[1]}): "
        "SnapshotLimitExceeded",
    )
    assert notices.automation_failure(install_failed, "Failed", "x") == (
        "TimedOut",
        "the patch command failed after the pre-patch snapshot (command c-1 TimedOut): Failed",
    )
    assert notices.automation_failure({"AutomationExecutionId": "e", "StepExecutions": []}, "Failed", "x") == (
        "Failed",
        "Automation execution e ended Failed: x",
    )


def test_the_summary_of_a_snapshot_window_reads_exactly_these_requests():
    """One page of invocations; GetAutomationExecution only for the run that did not succeed."""
    ssm, ssm_stub = client("ssm")
    ec2, ec2_stub = client("ec2")
    execution = "3a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
    config = {"customer": "initech", "tagKey": "Patch Group", "windows": [INSTALL]}
    ssm_stub.add_response(
        "get_maintenance_window_execution",
        {"WindowExecutionId": execution, "Status": "SUCCESS"},
        {"WindowExecutionId": execution},
    )
    ssm_stub.add_response(
        "describe_maintenance_window_execution_tasks",
        {"WindowExecutionTaskIdentities": [{"TaskExecutionId": SNAP_TASK, "TaskType": "AUTOMATION"}]},
        {"WindowExecutionId": execution},
    )
    invocations = [
        {
            "ExecutionId": run,
            "InvocationId": f"{n}e6f7a8b-9c0d-4e1f-8a2b-3c4d5e6f7a8b",
            "Status": status,
            "Parameters": json.dumps({"InstanceId": [node], "WindowExecutionId": [execution]}),
        }
        for n, (run, status, node) in enumerate(
            zip(SNAP_RUNS, ("SUCCESS", "FAILED"), ("i-0aaaaaaaaaaaaaaa1", "i-0bbbbbbbbbbbbbbb2"), strict=True)
        )
    ]
    ssm_stub.add_response(
        "describe_maintenance_window_execution_task_invocations",
        {"WindowExecutionTaskInvocationIdentities": invocations},
        {"WindowExecutionId": execution, "TaskId": SNAP_TASK},
    )
    ssm_stub.add_response(
        "get_automation_execution",
        {"AutomationExecution": SNAPSHOT_FAILED},
        {"AutomationExecutionId": SNAP_RUNS[1]},
    )
    ssm_stub.add_response(
        "describe_instance_patch_states",
        {"InstancePatchStates": []},
        {"InstanceIds": ["i-0aaaaaaaaaaaaaaa1", "i-0bbbbbbbbbbbbbbb2"]},
    )
    ec2_stub.add_response(
        "describe_instances",
        {"Reservations": []},
        {
            "Filters": [
                {"Name": "tag:Patch Group", "Values": ["initech-erp", "initech-tools"]},
                {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]},
            ]
        },
    )
    with ssm_stub, ec2_stub:
        run = notices.window_run(ssm, ec2, config, WINDOW, execution)
    ssm_stub.assert_no_pending_responses()
    assert run["unread"] == []
    counts = notices.summary_counts(run)
    assert counts["patched"] == ["i-0aaaaaaaaaaaaaaa1"] and counts["failed"] == ["i-0bbbbbbbbbbbbbbb2"]
    assert run["reasons"] == {
        "i-0bbbbbbbbbbbbbbb2": "pre-patch snapshot failed, so the node was NOT patched "
        f"(Automation execution {SNAP_RUNS[1]}): SnapshotLimitExceeded"
    }


SNAPSHOT_SUMMARY_TEXT = """\
Maintenance window monthly-install (initech-monthly-install) of initech in eu-central-1 ran: SUCCESS.
Execution: 3a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d

Patched (command succeeded): 1  i-0aaaaaaaaaaaaaaa1
Failed or timed out: 1  i-0bbbbbbbbbbbbbbb2
Cancelled at the cutoff (may be half-patched): 0
Pending reboot (installed, not in effect until restarted): 0
Skipped: stopped: 0
Not reached (running, but no command: offline or not managed): 0
Still running when the window ended: 0

Why (snapshot-then-install runs that did not succeed):
- i-0bbbbbbbbbbbbbbb2: pre-patch snapshot failed, so the node was NOT patched (Automation execution \
9f6a7b8c-9d0e-4f1a-8b2c-5d6e7f8091a2): SnapshotLimitExceeded
"""
"""A snapshot window's run, written out by hand: one node patched, one whose pre-patch snapshot failed."""


def test_a_snapshot_window_summary_names_the_node_whose_snapshot_failed():
    run = {
        "windowId": WINDOW,
        "executionId": "3a1b2c3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d",
        "status": "SUCCESS",
        "window": {"key": "monthly-install", "name": "initech-monthly-install"},
        "commands": {},
        "reasons": {},
        "pendingReboot": [],
        "unread": [],
        "nodes": [],
    }
    invocations = [
        {"ExecutionId": SNAP_RUNS[0], "Status": "SUCCESS", "Parameters": '{"InstanceId": ["i-0aaaaaaaaaaaaaaa1"]}'},
        {"ExecutionId": SNAP_RUNS[1], "Status": "FAILED", "Parameters": "{}"},  # the node: from the execution
    ]

    class Ssm:
        def get_automation_execution(self, AutomationExecutionId):
            assert AutomationExecutionId == SNAP_RUNS[1]
            return {"AutomationExecution": SNAPSHOT_FAILED}

    notices.automation_results(Ssm(), run, invocations)
    subject, message = notices.render_summary({"customer": "initech", "region": REGION}, run)
    assert subject == "Patching summary: initech-monthly-install SUCCESS"
    assert message == SNAPSHOT_SUMMARY_TEXT
    assert f"```\nSubject: {subject}\n\n{message}```\n" in docs_text("notices.md")


def test_a_snapshot_run_whose_node_cannot_be_told_is_unread_never_ignored():
    run = {"commands": {}, "reasons": {}, "unread": []}

    class Ssm:
        def get_automation_execution(self, AutomationExecutionId):
            if AutomationExecutionId == "lost":
                raise RuntimeError("AccessDenied")
            return {"AutomationExecution": {"AutomationExecutionId": AutomationExecutionId, "Parameters": {}}}

    notices.automation_results(
        Ssm(),
        run,
        [
            {"ExecutionId": "nameless", "InvocationId": "inv-1", "Status": "SUCCESS", "Parameters": "{}"},
            {"ExecutionId": "lost", "InvocationId": "inv-2", "Status": "FAILED", "Parameters": "{}"},
            {"InvocationId": "inv-3", "Status": "FAILED"},
        ],
    )
    assert run["commands"] == {}
    assert run["unread"] == [
        "the node of invocation inv-1 (SUCCESS, Automation execution nameless): its run names no node",
        "the Automation execution lost (node unknown): AccessDenied",
        "the node of invocation inv-3 (FAILED, Automation execution (none)): its run names no node",
    ]


def test_the_notices_role_reads_automation_runs_in_its_region_and_account_only(run):
    policy = [run.named("initech-notices", "aws:iam/rolePolicy:RolePolicy").inputs["policy"]]
    execution = f"arn:aws:ssm:{REGION}:{ACCOUNT}:automation-execution/{SNAP_RUNS[1]}"
    assert allowed(policy, Request("ssm:GetAutomationExecution", execution))
    assert not allowed(policy, Request("ssm:GetAutomationExecution", execution.replace(REGION, "us-east-1")))
    assert not allowed(policy, Request("ssm:GetAutomationExecution", execution.replace(ACCOUNT, "210987654321")))
    assert not allowed(policy, Request("ssm:StopAutomationExecution", execution))
    assert not allowed(policy, Request("ssm:SendAutomationSignal", execution))
