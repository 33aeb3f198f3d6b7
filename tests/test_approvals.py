"""Approval gates (maintenanceWindows.<k>.requiresApproval): the stack file's rules, the approval
calendar AWS gets, the guard that holds a gated window closed except on approved occurrences (its
runbook run step by step against moto with every AWS call failing in turn), what `patching calendar`
shows, and `patching approve`.

Expected dates are hand-computed: globex's tue-install is cron(0 3 ? * TUE#2 *) + scheduleOffset 2
in America/New_York, so it opens on the Thursday after the second Tuesday: 2027-01-14 (Tuesdays of
January 2027: 5, 12) and 2027-02-11 (Tuesdays of February 2027: 2, 9), at 03:00 EST = 08:00 UTC.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import boto3
import icalendar
import pytest
import yaml
from docs_pages import docs_text
from moto import mock_aws
from runbook_sim import ACCOUNT, REGION, Fault, Runner, fault_matrix, set_window_enabled, window_enabled

from conftest import ROOT, example_run

GLOBEX = ROOT / "stacks" / "Pulumi.globex.yaml"
DOCUMENT = "aws:ssm/document:Document"
FREEZES = "globex-change-freezes"
APPROVALS = "globex-tue-install-approvals"
GUARD_TAG, BREAKER_TAG = "PatchingFreezeGuard", "PatchingCircuitBreaker"


@pytest.fixture(scope="module")
def run():
    return example_run(GLOBEX)


def shipped_guard() -> dict:
    (document,) = [d for d in example_run(GLOBEX).of_type(DOCUMENT) if d.name == "globex-guard"]
    return yaml.safe_load(document.inputs["content"])


# -- what the program builds ----------------------------------------------------------------------


def test_a_gated_window_gets_an_approval_calendar_closed_except_around_each_approved_occurrence(run):
    (calendar,) = [d for d in run.of_type(DOCUMENT) if d.inputs.get("name") == APPROVALS]
    assert (calendar.inputs["documentType"], calendar.inputs["documentFormat"]) == ("ChangeCalendar", "TEXT")
    parsed = icalendar.Calendar.from_ical(calendar.inputs["content"])
    # Change Calendar: DEFAULT_CLOSED, and an event in such a calendar is a time it is OPEN.
    assert str(parsed["X-CALENDAR-TYPE"]) == "DEFAULT_CLOSED"
    spans = sorted((e["DTSTART"].dt, e["DTEND"].dt) for e in parsed.walk("VEVENT"))
    # 03:00 EST = 08:00 UTC, opened one hour ahead (APPROVAL_LEAD_MINUTES) until the 4-hour window closes.
    assert spans == [
        (datetime(2027, 1, 14, 7, 0, tzinfo=UTC), datetime(2027, 1, 14, 12, 0, tzinfo=UTC)),
        (datetime(2027, 2, 11, 7, 0, tzinfo=UTC), datetime(2027, 2, 11, 12, 0, tzinfo=UTC)),
    ]
    assert calendar.inputs["tags"]["Customer"] == "globex"


def test_a_gated_window_is_created_disabled_and_marked_as_the_guards(run):
    windows = {w.name: w for w in run.of_type("aws:ssm/maintenanceWindow:MaintenanceWindow")}
    gated = windows["globex-tue-install"]
    assert gated.inputs["enabled"] is False
    assert GUARD_TAG not in gated.inputs["tags"]  # the guard owns a gated window's state without a mark
    assert gated.ignore_changes == ["enabled"]  # `pulumi up` never undoes what the guard switched
    others = [w for name, w in windows.items() if name != "globex-tue-install"]
    assert all("enabled" not in w.inputs for w in others)


def test_a_stack_with_a_gated_window_and_no_freezes_gets_the_guard_without_a_freeze_calendar():
    from conftest import run_config
    from patching_components.config import read_stack_yaml

    config = read_stack_yaml(GLOBEX.read_text())["config"]
    config = {k: v for k, v in config.items() if k != "patching:changeFreezes"}
    run = run_config(config, stack="globex")
    calendars = [d.inputs["name"] for d in run.of_type(DOCUMENT) if d.inputs["documentType"] == "ChangeCalendar"]
    assert calendars == [APPROVALS]
    (guard,) = [d for d in run.of_type(DOCUMENT) if d.name == "globex-guard"]
    parameters = yaml.safe_load(guard.inputs["content"])["parameters"]
    assert parameters["CalendarName"]["default"] == ""
    assert list(parameters["ApprovalCalendars"]["default"].values()) == [APPROVALS]
    assert [r.name for r in run.of_type("aws:cloudwatch/eventRule:EventRule") if "catch-up" not in r.name] == [
        "globex-state"
    ]
    assert len(run.of_type("aws:iam/role:Role")) >= 2  # the guard's and the events' roles


# -- the guard, step by step against moto ---------------------------------------------------------


class CalendarRunner(Runner):
    """The runner with one state per Change Calendar; GetCalendarState answers OPEN only when every
    calendar asked for is OPEN (GetCalendarState, API reference). Counts the reads."""

    def __init__(self, *args, states, **kwargs):
        super().__init__(*args, **kwargs)
        self.states, self.reads = states, []

    def _ssm_GetCalendarState(self, CalendarNames):
        self.reads.append(tuple(CalendarNames))
        state = "OPEN" if all(self.states[name] == "OPEN" for name in CalendarNames) else "CLOSED"
        return {"State": state, "AtTime": "2026-12-04T16:20:00Z"}


_paths = itertools.count()


@pytest.fixture(scope="module")
def aws():
    with mock_aws():
        yield


class GatedPath:
    """A customer's windows: an ungated scan and install (enabled), and a gated install created as the
    program creates it (disabled, no mark: a gated window's state is the guard's)."""

    def __init__(self):
        n = next(_paths)
        self.ssm = boto3.client("ssm", region_name=REGION)

        def window(name, tags=()):
            return self.ssm.create_maintenance_window(
                Name=f"gate-{n}-{name}",
                Schedule="cron(0 3 ? * TUE#2 *)",
                Duration=4,
                Cutoff=1,
                AllowUnassociatedTargets=False,
                Tags=[{"Key": "Customer", "Value": "globex"}, *tags],
            )["WindowId"]

        self.scan, self.install = window("scan"), window("install")
        self.gated = window("gated")
        set_window_enabled(self.gated, False)
        self.windows = [self.scan, self.install, self.gated]

    def run(self, freeze="OPEN", approval="CLOSED", fault=None, topic="", calendar=FREEZES, **states):
        runner = CalendarRunner(
            shipped_guard(),
            {
                "WindowIds": self.windows,
                "CalendarName": calendar,
                "ApprovalCalendars": {self.gated: APPROVALS},
                "NotificationTopicArn": topic,
            },
            execution_id=f"gate-{next(_paths)}",
            fault=fault,
            states={FREEZES: freeze, APPROVALS: approval, **states},
        )
        result = runner.run()
        result.reads = runner.reads
        return result

    def state(self, window_id):
        from moto.ssm.models import ssm_backends

        enabled = window_enabled(ssm_backends[ACCOUNT][REGION].windows[window_id])
        tags = self.ssm.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=window_id)["TagList"]
        return enabled, any(t["Key"] == GUARD_TAG for t in tags)

    def tag(self, window_id, key, value):
        self.ssm.add_tags_to_resource(
            ResourceType="MaintenanceWindow", ResourceId=window_id, Tags=[{"Key": key, "Value": value}]
        )


@pytest.mark.slow  # moto
def test_an_unapproved_occurrence_keeps_the_gated_window_disabled_and_the_others_run(aws):
    path = GatedPath()
    result = path.run(freeze="OPEN", approval="CLOSED")
    assert result.status == "Success", result.failures
    assert path.state(path.gated) == (False, False)  # as created: disabled
    assert [path.state(w) for w in (path.scan, path.install)] == [(True, False), (True, False)]
    # One read per set of calendars: the ungated windows' (freeze only) and the gated one's (both).
    assert result.reads == [(FREEZES,), (FREEZES, APPROVALS)]


@pytest.mark.slow  # moto
def test_an_approved_occurrence_enables_the_gated_window_and_its_end_disables_it_again(aws):
    path = GatedPath()
    opened = path.run(freeze="OPEN", approval="OPEN")
    assert opened.status == "Success", opened.failures
    assert path.state(path.gated) == (True, False)
    assert opened.outputs["applyState"]["Changed"] == [path.gated]
    closed = path.run(freeze="OPEN", approval="CLOSED")  # the approved occurrence is over
    assert closed.status == "Success"
    assert path.state(path.gated) == (False, True)
    assert (
        path.ssm.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=path.gated)["TagList"][-1]["Value"]
        == "disabled-while-calendar-closed"
    )
    again = path.run(freeze="OPEN", approval="CLOSED")  # idempotent: nothing more to do
    assert again.status == "Success" and again.outputs["applyState"]["Changed"] == []


@pytest.mark.slow  # moto
def test_a_freeze_wins_over_an_approval(aws):
    path = GatedPath()
    result = path.run(freeze="CLOSED", approval="OPEN")
    assert result.status == "Success"
    assert [path.state(w) for w in path.windows] == [(False, True), (False, True), (False, False)]


@pytest.mark.slow  # moto
def test_approval_gates_without_freezes_leave_ungated_windows_alone(aws):
    path = GatedPath()
    set_window_enabled(path.install, False)  # disabled by hand: no calendar, not the guard's
    result = path.run(approval="OPEN", calendar="")
    assert result.status == "Success"
    assert result.reads == [(APPROVALS,)]  # the ungated windows read no calendar
    assert path.state(path.gated) == (True, False)
    assert path.state(path.install) == (False, False)
    assert result.outputs["applyState"]["LeftDisabled"] == [path.install]


@pytest.mark.slow  # moto
def test_the_guard_never_enables_a_window_the_circuit_breaker_stopped(aws):
    path = GatedPath()
    path.tag(path.gated, BREAKER_TAG, "globex-alarm")
    result = path.run(approval="OPEN")
    assert result.status == "Success"
    assert path.state(path.gated) == (False, False)  # still disabled, the guard's once the breaker lets go
    assert result.outputs["applyState"]["LeftDisabled"] == [path.gated]
    path.ssm.remove_tags_from_resource(ResourceType="MaintenanceWindow", ResourceId=path.gated, TagKeys=[BREAKER_TAG])
    assert path.run(approval="OPEN").status == "Success"  # `patching resume` removed the breaker's tag
    assert path.state(path.gated) == (True, False)


@pytest.mark.slow  # moto
def test_an_unreadable_approval_calendar_disables_its_window_and_the_run_fails_and_tells(aws):
    from moto.sns.models import sns_backends

    topic = boto3.client("sns", region_name=REGION).create_topic(Name="gate-alerts")["TopicArn"]
    path = GatedPath()
    set_window_enabled(path.gated, True)  # the guard opened it for an approved opening that has just ended

    class Unreadable(CalendarRunner):
        def _ssm_GetCalendarState(self, CalendarNames):
            if APPROVALS in CalendarNames:
                raise boto3.client("ssm", region_name=REGION).exceptions.InvalidDocument(
                    {"Error": {"Code": "InvalidDocument", "Message": "calendar not found"}}, "GetCalendarState"
                )
            return super()._ssm_GetCalendarState(CalendarNames)

    runner = Unreadable(
        shipped_guard(),
        {
            "WindowIds": path.windows,
            "CalendarName": FREEZES,
            "ApprovalCalendars": {path.gated: APPROVALS},
            "NotificationTopicArn": topic,
        },
        execution_id="gate-unreadable",
        states={FREEZES: "CLOSED", APPROVALS: "OPEN"},
    )
    result = runner.run()
    assert result.status == "Failed"
    assert result.history[-2:] == [("notifyFailure", "Success"), ("endFailed", "Failed")]
    (failed,) = result.outputs["applyState"]["Failed"]
    assert failed.startswith(f"{path.gated}: calendars {FREEZES}, {APPROVALS} not read")
    assert [path.state(w) for w in (path.scan, path.install)] == [(False, True), (False, True)]  # the freeze holds
    # Nothing shows its next opening approved: disabled (fail closed), tagged so a readable run decides again.
    assert path.state(path.gated) == (False, True)
    assert len(sns_backends[ACCOUNT][REGION].topics[topic].sent_notifications) == 1


def expected_status(fault: Fault) -> str:
    """From AWS's rules (see test_runbook_sim): Abort-less paths end in endFailed."""
    if fault.kind == "cancel":
        return "Cancelled"
    if fault.api == "GetCalendarState" and fault.kind in ("error", "lost"):
        return "Success"  # a read, retried three times in applyState: the fault hits the first only
    return "Failed"


REPRESENTATIVE: set[str] = set()  # against moto: every path runs in CI (slow); the script's logic is tested below
PATHS = [
    pytest.param(
        fault,
        approval,
        id=f"{fault}-{approval}",
        marks=() if f"{fault}-{approval}" in REPRESENTATIVE else pytest.mark.slow,
    )
    for fault in fault_matrix(shipped_guard())
    for approval in ("OPEN", "CLOSED")
]


@pytest.mark.parametrize(("fault", "approval"), PATHS)
def test_every_gated_path_fails_closed_and_the_next_run_repairs_it(aws, fault, approval):
    path = GatedPath()
    if approval == "CLOSED":  # an approved occurrence is ending: the window was enabled
        assert path.run(approval="OPEN").status == "Success"
    result = path.run(approval=approval, fault=fault)
    if not result.injected:  # a call this state does not make
        assert result.status == "Success"
    else:
        assert result.status == expected_status(fault), (result.history, result.failures)
        if result.status == "Failed":
            assert result.history[-1] == ("endFailed", "Failed")
    # The ungated windows follow the freeze calendar (OPEN) whatever happened to the gated one.
    assert path.state(path.scan) == (True, False)
    # Thirty minutes later the association runs it again: the gated window where its calendars want it.
    assert path.run(approval=approval).status == "Success"
    assert path.state(path.gated) == ((True, False) if approval == "OPEN" else (False, True))


# -- patching calendar ------------------------------------------------------------------------------


def gated_stack(tmp_path, approvals=("2027-01-14",), freeze=None, name="gate"):
    """A small stack: tue-install of globex's schedule, approval-gated."""
    text = f"""config:
  aws:region: us-east-1
  patching:customer: {name}
  patching:baselines:
    al2023:
      operatingSystem: AMAZON_LINUX_2023
  patching:maintenanceWindows:
    tue-install:
      schedule: cron(0 3 ? * TUE#2 *)   # the Thursday after the second Tuesday
      scheduleOffset: 2
      timezone: America/New_York
      durationHours: 4
      cutoffHours: 1
      operation: Install
      requiresApproval: true
      approvedOccurrences: [{", ".join(approvals)}]
  patching:patchGroups:
    web:
      baselines: [al2023]
      maintenanceWindows: [tue-install]
"""
    if freeze:
        text += f"""  patching:changeFreezes:
    launch:
      start: {freeze[0]}
      end: {freeze[1]}
      timezone: America/New_York
"""
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(text)
    return path


def test_the_calendar_marks_unapproved_occurrences_awaiting_approval(tmp_path, capsys):
    import json

    from patching_components.tools.cli import main

    path = gated_stack(tmp_path)
    args = ["calendar", str(path), "--start", "2027-01-01", "--weeks", "9"]
    assert main(args) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if "tue-install" in line]
    assert [("2027-01-14" in line, line.endswith("AWAITING APPROVAL")) for line in lines] == [
        (True, False),  # approved
        (False, True),  # 2027-02-11: not approved
    ]
    assert main([*args, "--format", "json"]) == 0
    entries = [e for e in json.loads(capsys.readouterr().out) if e.get("window") == "tue-install"]
    assert [(e["start"], e["approval"]) for e in entries] == [
        ("2027-01-14T03:00:00-05:00", "approved"),
        ("2027-02-11T03:00:00-05:00", "awaiting approval"),
    ]


def test_the_ics_has_unapproved_occurrences_tentative_approved_confirmed_and_a_freeze_still_wins(tmp_path, capsys):
    from patching_components.tools.cli import main

    # Approved 14 January, but a freeze covers it; 11 February is not approved.
    path = gated_stack(tmp_path, freeze=("2027-01-13", "2027-01-15"))
    ics = tmp_path / "gate.ics"
    assert main(["calendar", str(path), "--start", "2027-01-01", "--weeks", "9", "--ics", str(ics)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any("2027-01-14" in line and "SKIPPED: change freeze launch" in line for line in lines)
    events = [e for e in icalendar.Calendar.from_ical(ics.read_bytes()).walk("VEVENT") if "tue-install" in e["SUMMARY"]]
    assert [(e["DTSTART"].dt.date().isoformat(), str(e["STATUS"])) for e in events] == [
        ("2027-01-14", "CANCELLED"),
        ("2027-02-11", "TENTATIVE"),
    ]
    path = gated_stack(tmp_path, approvals=("2027-01-14", "2027-02-11"))
    assert main(["calendar", str(path), "--start", "2027-01-01", "--weeks", "9", "--ics", str(ics)]) == 0
    events = [e for e in icalendar.Calendar.from_ical(ics.read_bytes()).walk("VEVENT") if "tue-install" in e["SUMMARY"]]
    assert [str(e["STATUS"]) for e in events] == ["CONFIRMED", "CONFIRMED"]


# -- patching approve ---------------------------------------------------------------------------------


def approve(path, window, day, *extra):
    from patching_components.tools.cli import main

    return main(["approve", str(path), "--window", window, "--date", day, *extra])


def test_approve_adds_the_date_to_a_flow_list_in_order_and_changes_nothing_else(tmp_path, capsys):
    path = gated_stack(tmp_path, approvals=("2027-01-14", "2027-03-11"))
    before = path.read_text()
    assert approve(path, "tue-install", "2027-02-11") == 0
    after = path.read_text()
    changed = [(a, b) for a, b in zip(before.splitlines(), after.splitlines(), strict=True) if a != b]
    assert changed == [
        (
            "      approvedOccurrences: [2027-01-14, 2027-03-11]",
            "      approvedOccurrences: [2027-01-14, 2027-02-11, 2027-03-11]",
        )
    ]
    assert "# the Thursday after the second Tuesday" in after  # comments kept
    assert "# approved tue-install on 2027-02-11 (America/New_York)" in capsys.readouterr().out
    # Idempotent: approving it again changes nothing and succeeds.
    assert approve(path, "tue-install", "2027-02-11") == 0
    assert path.read_text() == after and "approved already" in capsys.readouterr().out


def test_approve_adds_an_item_to_a_block_list_and_the_key_where_it_is_missing(tmp_path, capsys):
    from patching_components.config import load_stack_file

    globex = tmp_path / "Pulumi.globex.yaml"
    globex.write_text(GLOBEX.read_text())
    assert approve(globex, "tue-install", "2027-01-14") == 0  # approved already in the example
    assert approve(globex, "tue-install", "2026-12-10") == 0  # before the others: first
    lines = globex.read_text().splitlines()
    at = lines.index("        - 2026-12-10")
    assert lines[at + 1 : at + 3] == ["        - 2027-01-14", "        - 2027-02-11"]
    assert len(lines) == len(GLOBEX.read_text().splitlines()) + 1
    # A gated window without the key gets it after requiresApproval.
    path = gated_stack(tmp_path)
    path.write_text(path.read_text().replace("      approvedOccurrences: [2027-01-14]\n", ""))
    assert approve(path, "tue-install", "2027-02-11") == 0
    assert "      requiresApproval: true\n      approvedOccurrences: [2027-02-11]\n" in path.read_text()
    assert load_stack_file(path).maintenance_windows["tue-install"].approved_occurrences == [
        datetime(2027, 2, 11).date()
    ]


def test_approve_refuses_a_date_that_is_not_an_occurrence_naming_the_nearest(tmp_path, capsys):
    path = gated_stack(tmp_path)
    before = path.read_text()
    assert approve(path, "tue-install", "2027-02-09") == 1  # the second Tuesday itself, not two days later
    err = capsys.readouterr().err
    assert "patching:maintenanceWindows.tue-install.approvedOccurrences: 2027-02-09 is not an occurrence" in err
    assert "the nearest are 2027-01-14 or 2027-02-11" in err
    assert path.read_text() == before


def test_approve_refuses_an_ungated_or_unknown_window_and_a_bad_date(tmp_path, capsys):
    globex = tmp_path / "Pulumi.globex.yaml"
    globex.write_text(GLOBEX.read_text())
    assert approve(globex, "sat-install", "2027-01-16") == 1
    assert "not approval-gated" in capsys.readouterr().err
    assert approve(globex, "tue-instal", "2027-01-14") == 1
    assert "did you mean 'tue-install'" in capsys.readouterr().err
    assert approve(globex, "tue-install", "14/01/2027") == 2  # usage error
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert globex.read_text() == GLOBEX.read_text()


def test_approve_dry_run_prints_the_change_and_writes_nothing(tmp_path, capsys):
    path = gated_stack(tmp_path)
    before = path.read_text()
    assert approve(path, "tue-install", "2027-02-11", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "+      approvedOccurrences: [2027-01-14, 2027-02-11]" in out and "not written" in out
    assert path.read_text() == before


def test_approve_refuses_a_layout_it_cannot_edit_safely(tmp_path, capsys):
    path = gated_stack(tmp_path)
    text = path.read_text().replace(
        "      approvedOccurrences: [2027-01-14]\n", "      approvedOccurrences: &dates [2027-01-14]\n"
    )
    path.write_text(text)
    assert approve(path, "tue-install", "2027-02-11") == 1
    assert "not edited" in capsys.readouterr().err and path.read_text() == text


# -- validate -----------------------------------------------------------------------------------------


def test_validate_warns_about_a_gated_window_with_no_approval_ahead(tmp_path):
    from patching_components.checks import approval_warnings
    from patching_components.config import load_stack_file

    config = load_stack_file(gated_stack(tmp_path))  # approved: 2027-01-14 only, closing 12:00 UTC
    assert approval_warnings(config, now=datetime(2027, 1, 14, 11, 59, tzinfo=UTC)) == []
    (warning,) = approval_warnings(config, now=datetime(2027, 1, 14, 12, 0, tzinfo=UTC))
    assert warning.key_path() == "patching:maintenanceWindows.tue-install.approvedOccurrences"
    assert "no approved occurrence ahead" in warning.message and "--window tue-install" in warning.message


def test_an_approval_calendar_over_ssms_size_limit_is_refused(tmp_path):
    from datetime import timedelta

    from patching_components.checks import approval_calendar_issues
    from patching_components.config import load_stack_file

    # A daily window, 300 approvals of about 330 bytes each: over SSM's 64 KB (CreateDocument, Content).
    days = [(datetime(2027, 1, 1) + timedelta(days=n)).date().isoformat() for n in range(300)]
    path = gated_stack(tmp_path, approvals=days)
    path.write_text(
        path.read_text().replace("cron(0 3 ? * TUE#2 *)", "cron(0 3 * * ? *)").replace("      scheduleOffset: 2\n", "")
    )
    (issue,) = approval_calendar_issues(load_stack_file(path))
    assert issue.key_path() == "patching:maintenanceWindows.tue-install.approvedOccurrences"
    assert "300 approvals make a Change Calendar of about" in issue.message
    assert approval_calendar_issues(load_stack_file(gated_stack(tmp_path))) == []


# -- the guard's script against botocore's Stubber (exact request shapes, fast) ---------------------

WINDOWS = ["mw-0a1b2c3d4e5f60718", "mw-0b1c2d3e4f5061728"]  # an ungated and a gated window


@pytest.fixture
def ssm(monkeypatch):
    import botocore.session
    from botocore.stub import Stubber

    client = botocore.session.get_session().create_client(
        "ssm", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    stub = Stubber(client)
    monkeypatch.setattr(boto3, "client", lambda service, *a, **k: client)
    stub.activate()
    yield stub
    stub.assert_no_pending_responses()


def apply_state(calendar="globex-change-freezes"):
    from patching_components.components.freeze_guard import guard_document

    (step,) = [s for s in guard_document({})["mainSteps"] if s["name"] == "applyState"]
    namespace: dict = {}
    exec(compile(step["inputs"]["Script"], "applyState", "exec"), namespace)
    events = {"CalendarName": calendar, "WindowIds": WINDOWS, "ApprovalCalendars": {WINDOWS[1]: APPROVALS}}
    return namespace["handler"](events, None)


def reads(ssm, names, state, window_id, enabled, tags=()):
    if names:
        ssm.add_response(
            "get_calendar_state", {"State": state, "AtTime": "2027-01-14T07:00:00Z"}, {"CalendarNames": list(names)}
        )
    ssm.add_response(
        "get_maintenance_window",
        {"WindowId": window_id, "Enabled": enabled, "Duration": 4, "Cutoff": 1},
        {"WindowId": window_id},
    )
    ssm.add_response(
        "list_tags_for_resource",
        {"TagList": [{"Key": "Customer", "Value": "globex"}, *tags]},
        {"ResourceType": "MaintenanceWindow", "ResourceId": window_id},
    )


def test_the_gated_window_reads_both_calendars_and_stays_disabled_until_approved(ssm):
    reads(ssm, [FREEZES], "OPEN", WINDOWS[0], True)
    reads(ssm, [FREEZES, APPROVALS], "CLOSED", WINDOWS[1], False)  # as created: disabled, no mark
    assert apply_state() == {"Changed": [], "LeftDisabled": [], "Failed": []}


def test_an_approved_gated_window_is_enabled_without_a_tag_call_and_disabled_with_its_mark(ssm):
    reads(ssm, [FREEZES], "OPEN", WINDOWS[0], True)
    reads(ssm, [FREEZES, APPROVALS], "OPEN", WINDOWS[1], False)
    ssm.add_response("update_maintenance_window", {"WindowId": WINDOWS[1]}, {"WindowId": WINDOWS[1], "Enabled": True})
    assert apply_state()["Changed"] == [WINDOWS[1]]
    # Its occurrence is over: marked (tag first), then disabled.
    reads(ssm, [FREEZES], "OPEN", WINDOWS[0], True)
    reads(ssm, [FREEZES, APPROVALS], "CLOSED", WINDOWS[1], True)
    mark = [{"Key": GUARD_TAG, "Value": "disabled-while-calendar-closed"}]
    ssm.add_response(
        "add_tags_to_resource", {}, {"ResourceType": "MaintenanceWindow", "ResourceId": WINDOWS[1], "Tags": mark}
    )
    ssm.add_response("update_maintenance_window", {"WindowId": WINDOWS[1]}, {"WindowId": WINDOWS[1], "Enabled": False})
    assert apply_state()["Changed"] == [WINDOWS[1]]


def test_the_breakers_tag_keeps_even_an_approved_window_disabled(ssm):
    reads(ssm, [], "OPEN", WINDOWS[0], False, [{"Key": GUARD_TAG, "Value": "x"}, {"Key": BREAKER_TAG, "Value": "a"}])
    reads(ssm, [APPROVALS], "OPEN", WINDOWS[1], False, [{"Key": BREAKER_TAG, "Value": "globex-alarm"}])
    assert apply_state(calendar="") == {"Changed": [], "LeftDisabled": WINDOWS, "Failed": []}


def test_the_readme_shows_real_approve_output(tmp_path, monkeypatch, capsys):
    import re
    import shlex

    from patching_components.tools.cli import main

    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.globex.yaml").write_text(GLOBEX.read_text())
    monkeypatch.chdir(tmp_path)
    (command, shown) = re.findall(r"```text\n\$ (patching approve[^\n]*)\n(.*?)```", docs_text(), re.S)[0]
    assert main(shlex.split(command)[1:]) == 0
    out = capsys.readouterr().out.splitlines()
    for line in shown.splitlines():
        if line.startswith("$ "):
            break
        # The shown line, or its start where the README cuts it with "...".
        assert any(o == line or (line.endswith(": ...") and o.startswith(line[:-3])) for o in out), line


def test_approve_keeps_windows_line_endings_and_a_list_at_the_keys_indent(tmp_path):
    from patching_components.tools.approve import add_approval

    text = "config:\r\n  patching:maintenanceWindows:\r\n    w:\r\n      requiresApproval: true\r\n"
    text += "      approvedOccurrences:\r\n      - '2027-01-14'\r\n      operation: Install\r\n"
    edited = add_approval(text, "w", datetime(2027, 2, 11).date())
    assert edited.split("\r\n")[5:8] == ["      - '2027-01-14'", "      - 2027-02-11", "      operation: Install"]
    assert "\n" not in edited.replace("\r\n", "")


def test_resume_leaves_a_gated_window_to_the_guard_even_without_freezes():
    # `patching resume` enables a breaker-stopped window itself only where no guard decides: a gated
    # window enabled by hand would open on an unapproved night.
    from patching_components import layout
    from patching_components.config import read_stack_yaml, validate
    from patching_components.tools.resume import guard_of

    raw = read_stack_yaml(GLOBEX.read_text())["config"]
    raw = {k.removeprefix("patching:"): v for k, v in raw.items() if k.startswith("patching:")}
    raw.pop("changeFreezes")
    gated = validate(raw, "Pulumi.globex.yaml")
    assert guard_of(gated, layout.region_layout(gated)) == "globex-freeze-guard"
    for window in raw["maintenanceWindows"].values():
        window.pop("requiresApproval", None)
        window.pop("approvedOccurrences", None)
    ungated = validate(raw, "Pulumi.globex.yaml")
    assert guard_of(ungated, layout.region_layout(ungated)) is None
