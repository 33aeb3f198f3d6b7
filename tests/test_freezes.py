"""Change freezes: the calendar AWS gets, the guard that makes it stop patching (its runbook run
against botocore's Stubber, its roles judged by what they allow), and what the calendar shows."""

import json
from datetime import UTC, datetime

import boto3
import botocore.session
import icalendar
import pytest
import yaml
from botocore.stub import Stubber
from iam_model import Request, allowed

from conftest import ROOT, example_run, run_stack
from patching_components.aws.automation_doc import document_issues
from patching_components.calendar import occurrences
from patching_components.components.freeze_guard import guard_document
from patching_components.config import load_stack_file, read_stack_yaml
from patching_components.tools.cli import main

GLOBEX = ROOT / "stacks" / "Pulumi.globex.yaml"
ACCOUNT, REGION = "123456789012", "us-east-1"
CALENDAR_ARN = f"arn:aws:ssm:{REGION}:{ACCOUNT}:document/globex-change-freezes"


@pytest.fixture(scope="module")
def run():
    return run_stack(GLOBEX)


def test_a_change_calendar_open_by_default_closed_in_each_freeze(run):
    (calendar,) = [d for d in run.of_type("aws:ssm/document:Document") if d.name == "globex-calendar"]
    assert calendar.inputs["documentType"] == "ChangeCalendar"
    assert (calendar.inputs["name"], calendar.inputs["documentFormat"]) == ("globex-change-freezes", "TEXT")
    parsed = icalendar.Calendar.from_ical(calendar.inputs["content"])
    assert str(parsed["X-CALENDAR-TYPE"]) == "DEFAULT_OPEN"
    events = {str(e["SUMMARY"]): (e["DTSTART"].dt, e["DTEND"].dt) for e in parsed.walk("VEVENT")}
    # 2027-11-25 00:00 and 2027-11-30 06:00 in New York (EST, UTC-5).
    assert events == {
        "Change freeze: black-friday": (
            datetime(2027, 11, 25, 5, 0, tzinfo=UTC),
            datetime(2027, 11, 30, 11, 0, tzinfo=UTC),
        ),
        "Change freeze: year-end-close": (
            datetime(2027, 12, 27, 5, 0, tzinfo=UTC),
            datetime(2028, 1, 4, 5, 0, tzinfo=UTC),
        ),
    }
    assert calendar.inputs["tags"]["Customer"] == "globex"


def test_every_window_ignores_enabled_so_an_update_mid_freeze_keeps_them_off(run):
    windows = run.of_type("aws:ssm/maintenanceWindow:MaintenanceWindow")
    assert windows and all(w.ignore_changes == ["enabled"] for w in windows)
    acme = example_run(ROOT / "stacks" / "Pulumi.initech.yaml")  # no freezes, no stop alarms: nothing ignored
    assert all(w.ignore_changes == [] for w in acme.of_type("aws:ssm/maintenanceWindow:MaintenanceWindow"))


def guard(run):
    (document,) = [d for d in run.of_type("aws:ssm/document:Document") if d.name == "globex-guard"]
    return yaml.safe_load(document.inputs["content"])


def test_the_guard_runbook_defaults_to_this_regions_calendar_and_every_window(run):
    document = guard(run)
    assert document_issues(document) == []
    window_ids = {w.id for w in run.of_type("aws:ssm/maintenanceWindow:MaintenanceWindow")}
    parameters = document["parameters"]
    assert set(parameters["WindowIds"]["default"]) == window_ids  # the three patch windows
    assert len(window_ids) == 3
    assert parameters["CalendarName"]["default"] == "globex-change-freezes"
    # tue-install is approval-gated: its approval calendar is read with the freeze calendar.
    (gated,) = [
        w.id for w in run.of_type("aws:ssm/maintenanceWindow:MaintenanceWindow") if w.name == "globex-tue-install"
    ]
    assert parameters["ApprovalCalendars"]["default"] == {gated: "globex-tue-install-approvals"}
    assert parameters["AutomationAssumeRole"]["default"].endswith(":role/globex-freeze-guard-mock")


def test_eventbridge_starts_the_guard_on_each_state_change_of_this_calendar(run):
    (rule,) = [r for r in run.of_type("aws:cloudwatch/eventRule:EventRule") if r.name == "globex-state"]
    pattern = json.loads(rule.inputs["eventPattern"])
    # The event Change Calendar sends (AWS docs, "Calendar State Change"), and one of another calendar.
    event = {"source": "aws.ssm", "detail-type": "Calendar State Change", "resources": [CALENDAR_ARN]}
    other = {**event, "resources": [CALENDAR_ARN.replace("globex", "acme")]}

    def matches(e):
        return all(
            e[key] in values if key != "resources" else set(e[key]) & set(values) for key, values in pattern.items()
        )

    assert matches(event) and not matches(other)
    approvals = {**event, "resources": [CALENDAR_ARN.replace("change-freezes", "tue-install-approvals")]}
    assert matches(approvals)  # the approval calendar's state changes start the guard too
    (target,) = [t for t in run.of_type("aws:cloudwatch/eventTarget:EventTarget") if t.name == "globex-state"]
    assert target.inputs["arn"] == f"arn:aws:ssm:{REGION}:{ACCOUNT}:automation-definition/globex-freeze-guard:$DEFAULT"
    assert target.inputs["roleArn"].endswith(":role/globex-freeze-events-mock")
    # The document's parameters, as AWS documents for an automation-definition target (values as lists).
    assert json.loads(target.inputs["input"]) == {
        "AutomationAssumeRole": [f"arn:aws:iam::{ACCOUNT}:role/globex-freeze-guard-mock"]
    }
    assert run.named("globex-events").urn in target.dependencies  # may start it before the first event


def test_the_association_reapplies_the_calendar_on_creation_and_every_30_minutes(run):
    (association,) = [a for a in run.of_type("aws:ssm/association:Association") if a.name == "globex-guard"]
    assert association.inputs["scheduleExpression"] == "rate(30 minutes)"
    # No calendarNames: it must run while the calendar is CLOSED, which is when it matters most.
    assert "calendarNames" not in association.inputs
    assert association.inputs["name"] == "globex-freeze-guard"
    assert run.named("globex-guard", "aws:iam/rolePolicy:RolePolicy").urn in association.dependencies


def test_the_guard_role_may_read_its_calendar_and_switch_this_customers_windows_only(run):
    policy = [run.named("globex-guard", "aws:iam/rolePolicy:RolePolicy").inputs["policy"]]
    window = f"arn:aws:ssm:{REGION}:{ACCOUNT}:maintenancewindow/"
    globex, acme = {"aws:ResourceTag/Customer": "globex"}, {"aws:ResourceTag/Customer": "acme"}
    assert allowed(policy, Request("ssm:GetCalendarState", CALENDAR_ARN))
    assert not allowed(policy, Request("ssm:GetCalendarState", CALENDAR_ARN.replace("globex", "acme")))
    approvals = CALENDAR_ARN.replace("change-freezes", "tue-install-approvals")
    assert allowed(policy, Request("ssm:GetCalendarState", approvals))
    assert not allowed(policy, Request("ssm:GetCalendarState", approvals.replace("globex", "acme")))
    for w in run.of_type("aws:ssm/maintenanceWindow:MaintenanceWindow"):
        assert w.inputs["tags"]["Customer"] == "globex"  # what the condition matches
        assert allowed(policy, Request("ssm:UpdateMaintenanceWindow", window + w.id, globex))
        assert allowed(policy, Request("ssm:GetMaintenanceWindow", window + w.id, globex))
    assert not allowed(policy, Request("ssm:UpdateMaintenanceWindow", window + "mw-0another0customer", acme))
    assert not allowed(policy, Request("ssm:UpdateMaintenanceWindow", window + "mw-0untagged00000000"))
    assert not allowed(policy, Request("ssm:DeleteMaintenanceWindow", window + "mw-0a", globex))
    # Its mark, and only its mark, on this customer's windows.
    mark = {**globex, "aws:TagKeys": ["PatchingFreezeGuard"]}
    for action in ("ssm:AddTagsToResource", "ssm:RemoveTagsFromResource", "ssm:ListTagsForResource"):
        assert allowed(policy, Request(action, window + "mw-0a", mark))
        assert not allowed(policy, Request(action, window + "mw-0a", {**acme, "aws:TagKeys": ["PatchingFreezeGuard"]}))
    for keys in (["Customer"], ["PatchingFreezeGuard", "Customer"]):
        assert not allowed(policy, Request("ssm:AddTagsToResource", window + "mw-0a", {**globex, "aws:TagKeys": keys}))
        assert not allowed(
            policy, Request("ssm:RemoveTagsFromResource", window + "mw-0a", {**globex, "aws:TagKeys": keys})
        )
    assert not allowed(policy, Request("ssm:AddTagsToResource", f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/x", mark))
    other_region = f"arn:aws:ssm:eu-west-1:{ACCOUNT}:maintenancewindow/mw-0a"
    assert not allowed(policy, Request("ssm:UpdateMaintenanceWindow", other_region, globex))
    trust = json.loads(run.named("globex-freeze-guard", "aws:iam/role:Role").inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "ssm.amazonaws.com"}
    assert trust["Statement"][0]["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}


def test_the_guard_role_is_granted_exactly_the_calls_of_its_runbook(run):
    from iam_model import granted_actions
    from runbook_sim import step_calls

    calls = {f"{service}:{api}" for step in guard(run)["mainSteps"] for service, api in step_calls(step)}
    assert calls == {
        "ssm:GetCalendarState",
        "ssm:GetMaintenanceWindow",
        "ssm:ListTagsForResource",
        "ssm:AddTagsToResource",
        "ssm:UpdateMaintenanceWindow",
        "ssm:RemoveTagsFromResource",
        "sns:Publish",  # a failed run tells the customer's topic
    }
    policy = [run.named("globex-guard", "aws:iam/rolePolicy:RolePolicy").inputs["policy"]]
    assert granted_actions(policy) == calls


def test_the_events_role_may_only_start_the_guard_as_the_guard_role(run):
    policy = [run.named("globex-events", "aws:iam/rolePolicy:RolePolicy").inputs["policy"]]
    definition = f"arn:aws:ssm:{REGION}:{ACCOUNT}:automation-definition/globex-freeze-guard:$DEFAULT"
    guard_role = f"arn:aws:iam::{ACCOUNT}:role/globex-freeze-guard-mock"
    assert allowed(policy, Request("ssm:StartAutomationExecution", definition))
    assert not allowed(policy, Request("ssm:StartAutomationExecution", definition.replace("freeze-guard", "x")))
    assert allowed(policy, Request("iam:PassRole", guard_role, {"iam:PassedToService": "ssm.amazonaws.com"}))
    assert not allowed(policy, Request("iam:PassRole", guard_role, {"iam:PassedToService": "ec2.amazonaws.com"}))
    trust = json.loads(run.named("globex-freeze-events", "aws:iam/role:Role").inputs["assumeRolePolicy"])
    statement = trust["Statement"][0]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"]["ArnLike"] == {"aws:SourceArn": f"arn:aws:events:*:{ACCOUNT}:rule/*"}


# -- the guard's script, as Automation runs it --------------------------------------------------


@pytest.fixture
def ssm(monkeypatch):
    client = botocore.session.get_session().create_client(
        "ssm", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    stub = Stubber(client)
    monkeypatch.setattr(boto3, "client", lambda service, *a, **k: client)
    stub.activate()
    yield stub
    stub.assert_no_pending_responses()


def apply_state(events):
    """The applyState handler, with the freeze calendar of globex and no approval gate unless given."""
    (step,) = [s for s in guard_document({})["mainSteps"] if s["name"] == "applyState"]
    namespace: dict = {}
    exec(compile(step["inputs"]["Script"], "applyState", "exec"), namespace)
    return namespace["handler"]({"CalendarName": "globex-change-freezes", "ApprovalCalendars": {}, **events}, None)


def calendar(ssm, state, names=("globex-change-freezes",)):
    """GetCalendarState's answer for ``names``, as the API reference shapes it."""
    ssm.add_response(
        "get_calendar_state", {"State": state, "AtTime": "2026-12-04T16:20:00Z"}, {"CalendarNames": list(names)}
    )


WINDOWS = ["mw-0a1b2c3d4e5f60718", "mw-0b1c2d3e4f5061728", "mw-0c2d3e4f506172839"]
MARK = [{"Key": "PatchingFreezeGuard", "Value": "disabled-during-change-freeze"}]


def window(window_id, enabled):
    return {"WindowId": window_id, "Name": f"globex-{window_id}", "Enabled": enabled, "Duration": 4, "Cutoff": 1}


def reads(ssm, window_id, enabled, tags=()):
    ssm.add_response("get_maintenance_window", window(window_id, enabled), {"WindowId": window_id})
    ssm.add_response(
        "list_tags_for_resource",
        {"TagList": [{"Key": "Customer", "Value": "globex"}, *tags]},
        {"ResourceType": "MaintenanceWindow", "ResourceId": window_id},
    )


def test_closed_marks_then_disables_the_enabled_windows_only(ssm):
    calendar(ssm, "CLOSED")  # read once for every window of the same calendars
    reads(ssm, WINDOWS[0], True)
    ssm.add_response(
        "add_tags_to_resource", {}, {"ResourceType": "MaintenanceWindow", "ResourceId": WINDOWS[0], "Tags": MARK}
    )
    ssm.add_response("update_maintenance_window", {"WindowId": WINDOWS[0]}, {"WindowId": WINDOWS[0], "Enabled": False})
    reads(ssm, WINDOWS[1], False)  # disabled by hand before the freeze: not marked, not the guard's
    reads(ssm, WINDOWS[2], False, MARK)  # disabled by an earlier run
    assert apply_state({"WindowIds": WINDOWS}) == {
        "Changed": [WINDOWS[0]],
        "LeftDisabled": [],
        "Failed": [],
    }


def test_open_enables_only_the_windows_the_guard_disabled(ssm):
    calendar(ssm, "OPEN")
    reads(ssm, WINDOWS[0], False, MARK)
    ssm.add_response("update_maintenance_window", {"WindowId": WINDOWS[0]}, {"WindowId": WINDOWS[0], "Enabled": True})
    ssm.add_response(
        "remove_tags_from_resource",
        {},
        {"ResourceType": "MaintenanceWindow", "ResourceId": WINDOWS[0], "TagKeys": ["PatchingFreezeGuard"]},
    )
    reads(ssm, WINDOWS[1], False)  # disabled by hand: stays disabled
    reads(ssm, WINDOWS[2], True)
    assert apply_state({"WindowIds": WINDOWS}) == {
        "Changed": [WINDOWS[0]],
        "LeftDisabled": [WINDOWS[1]],
        "Failed": [],
    }


def test_a_missing_or_denied_window_does_not_stop_the_others_and_the_run_fails(ssm):
    calendar(ssm, "CLOSED")
    ssm.add_client_error(
        "get_maintenance_window",
        "DoesNotExistException",
        "Maintenance window mw-0a does not exist",
        http_status_code=400,
    )
    ssm.add_client_error("get_maintenance_window", "AccessDeniedException", "not authorized", http_status_code=400)
    reads(ssm, WINDOWS[2], True)
    ssm.add_response(
        "add_tags_to_resource", {}, {"ResourceType": "MaintenanceWindow", "ResourceId": WINDOWS[2], "Tags": MARK}
    )
    ssm.add_response("update_maintenance_window", {"WindowId": WINDOWS[2]}, {"WindowId": WINDOWS[2], "Enabled": False})
    result = apply_state({"WindowIds": WINDOWS})
    assert result["Changed"] == [WINDOWS[2]]
    assert [f.split(":")[0] for f in result["Failed"]] == WINDOWS[:2]
    assert "DoesNotExistException" in result["Failed"][0] and "AccessDeniedException" in result["Failed"][1]
    with pytest.raises(RuntimeError, match=f"windows not switched: {WINDOWS[0]}: .*; {WINDOWS[1]}: "):
        fail_on({"Failed": result["Failed"]})
    assert fail_on({"Failed": []}) == {"Failed": []}


def fail_on(events):
    (step,) = [s for s in guard_document({})["mainSteps"] if s["name"] == "failOnWindowsNotSwitched"]
    assert step["onFailure"] == "step:notifyFailure" and step["isEnd"]
    namespace: dict = {}
    exec(compile(step["inputs"]["Script"], "failOnWindowsNotSwitched", "exec"), namespace)
    return namespace["handler"](events, None)


def test_an_unknown_state_changes_nothing_and_the_window_is_listed(ssm):
    calendar(ssm, "")  # not OPEN, not CLOSED: no window of these calendars is touched
    result = apply_state({"WindowIds": WINDOWS[:2]})
    assert result["Changed"] == [] and [f.split(":")[0] for f in result["Failed"]] == WINDOWS[:2]
    assert "unexpected calendar state ''" in result["Failed"][0]


def test_the_runbook_reads_the_calendar_state_as_the_api_returns_it():
    (step,) = [s for s in guard_document({})["mainSteps"] if s["name"] == "applyState"]
    assert 'get_calendar_state(CalendarNames=list(names))["State"]' in step["inputs"]["Script"]
    output = botocore.session.get_session().get_service_model("ssm").operation_model("GetCalendarState").output_shape
    assert "State" in output.members
    assert set(output.members["State"].enum) == {"OPEN", "CLOSED"}


# -- the calendar ---------------------------------------------------------------------------------


def test_openings_inside_a_freeze_are_skipped_and_the_freeze_is_listed():
    config = load_stack_file(GLOBEX)
    found = occurrences(config, datetime(2027, 11, 20, tzinfo=UTC), 2)
    freezes = [o for o in found if o.kind == "freeze"]
    assert [(o.window, o.start.isoformat(), o.end.isoformat()) for o in freezes] == [
        ("black-friday", "2027-11-25T00:00:00-05:00", "2027-11-30T06:00:00-05:00")
    ]
    skipped = {(o.window, o.start.date().isoformat()) for o in found if o.skipped_by == "black-friday"}
    # Thursday 25 to Tuesday 30 November, 00:30 (before 06:00 on the 30th), and Saturday's install.
    assert skipped == {("nightly-scan", f"2027-11-{day}") for day in (25, 26, 27, 29, 30)} | {
        ("sat-install", "2027-11-27")
    }
    assert all(o.skipped_by is None for o in found if o.start.date().isoformat() in ("2027-11-24", "2027-12-01"))


def test_the_ics_marks_skipped_openings_cancelled_and_holds_the_freeze(capsys, tmp_path):
    ics = tmp_path / "globex.ics"
    args = ["calendar", str(GLOBEX), "--start", "2027-11-20", "--weeks", "2", "--ics", str(ics)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "globex Freeze  black-friday" in out
    assert (
        "globex Install sat-install          globex-fileservers, globex-workers  SKIPPED: change freeze black-friday"
        in out
    )
    events = icalendar.Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    cancelled = [e for e in events if str(e.get("STATUS")) == "CANCELLED"]
    assert len(cancelled) == 6
    assert "globex: change freeze (black-friday)" in {str(e["SUMMARY"]) for e in events}


def test_validate_warns_about_a_freeze_that_has_ended(tmp_path):
    import time_machine

    from patching_components.checks import check_stack

    with time_machine.travel("2027-12-01T00:00:00Z", tick=False):
        warnings = [w for w in check_stack(GLOBEX).warnings if w.path[0] == "changeFreezes"]
    assert [(w.key_path(), w.message) for w in warnings] == [
        (
            "patching:changeFreezes.black-friday.end",
            "ended on 2027-11-30T06:00 (America/New_York): it freezes nothing; remove it",
        )
    ]


def test_each_region_has_its_calendar_and_guard_and_iam_stays_once():
    from conftest import run_config

    config = {
        key: value
        for key, value in read_stack_yaml(GLOBEX.read_text())["config"].items()  # dates as the CLI reads them
        if key != "patching:notifications"  # an existing topic is in one region
    }
    config["patching:regions"] = ["us-east-1", "us-west-2"]
    run = run_config(config, stack="globex")
    calendars = sorted(
        d.inputs["name"]
        for d in run.of_type("aws:ssm/document:Document")
        if d.inputs["documentType"] == "ChangeCalendar"
    )
    assert calendars == [
        "globex-change-freezes",
        "globex-tue-install-approvals",
        "globex-us-west-2-change-freezes",
        "globex-us-west-2-tue-install-approvals",  # layout.approval_calendar_name of the other region
    ]
    guard_documents = {
        d.inputs["name"]: (d.provider, d.inputs["region"])
        for d in run.of_type("aws:ssm/document:Document")
        if "guard" in d.name
    }
    # Both through the stack's provider, each in its region (pulumi-aws v7's region argument).
    assert guard_documents == {
        "globex-freeze-guard": ("", "us-east-1"),
        "globex-us-west-2-freeze-guard": ("", "us-west-2"),
    }
    roles = [r.name for r in run.of_type("aws:iam/role:Role") if "freeze" in r.name]
    assert sorted(roles) == ["globex-freeze-events", "globex-freeze-guard"]  # global: once
    (west_policy,) = [p for p in run.of_type("aws:iam/rolePolicy:RolePolicy") if p.name == "globex-us-west-2-guard"]
    assert ":ssm:us-west-2:" in west_policy.inputs["policy"] and ":us-east-1:" not in west_policy.inputs["policy"]
