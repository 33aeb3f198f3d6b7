"""Openings just after a change freeze starts or ends: the freeze guard switches the windows when the
calendar's state changes, up to its association's period (30 minutes) late when the event is missed,
so such an opening is neither surely skipped nor surely run. Expected dates are hand-computed (Europe/London
is GMT, UTC+0, from 31 October 2027 to 26 March 2028)."""

import json

import icalendar
import time_machine
import yaml

from conftest import MINIMAL
from patching_components.aws.schedule import parse_schedule
from patching_components.calendar import occurrences, parse_start
from patching_components.checks import check_stack, freeze_edge_warnings
from patching_components.components.freeze_guard import GUARD_SCHEDULE
from patching_components.config import validate
from patching_components.config.defaults import FREEZE_GUARD_LAG_MINUTES
from patching_components.tools.cli import main

LONDON = "Europe/London"
WINDOWS = {
    # Sunday 2027-11-28, the day black-friday ends at 02:00
    "weekly-install": "cron(0 2 ? * SUN *)",  # 0 min after the end
    "sun-0229": "cron(29 2 ? * SUN *)",  # 29 min after
    "sun-0230": "cron(30 2 ? * SUN *)",  # 30 min after: the guard has had its full period
    # Tuesday 2027-12-28, the day quarter-close starts at 04:00
    "tue-0359": "cron(59 3 ? * TUE *)",  # before it: runs (a started run is not stopped: documented)
    "dev-install": "cron(0 4 ? * TUE *)",  # 0 min after the start
    "tue-0430": "cron(30 4 ? * TUE *)",  # 30 min after: the guard has disabled it
    "monthly-rate": "rate(30 days)",  # rate(): counted from its creation, unknown offline
}
FREEZES = {
    "black-friday": {"start": "2027-11-25", "end": "2027-11-28T02:00", "timezone": LONDON},
    "quarter-close": {"start": "2027-12-28T04:00", "end": "2028-01-03", "timezone": LONDON},
}


def raw_config(freezes=FREEZES, windows=WINDOWS, **extra):
    return {
        **MINIMAL,
        "maintenanceWindows": {
            key: {
                "schedule": schedule,
                "timezone": LONDON,
                "durationHours": 2,
                "cutoffHours": 1,
                "operation": "Install",
                **extra.get(key, {}),
            }
            for key, schedule in windows.items()
        },
        "patchGroups": {"acme-web": {"baselines": ["al2023"], "maintenanceWindows": list(windows)}},
        "changeFreezes": freezes,
    }


def marks(config, start, weeks=5):
    """(window, local start, skipped by, at risk) of each window opening, from ``start`` (UTC)."""
    return [
        (
            o.window,
            f"{o.start:%Y-%m-%d %H:%M}",
            o.skipped_by,
            None if o.at_risk is None else (o.at_risk.freeze, o.at_risk.edge, o.at_risk.minutes),
        )
        for o in occurrences(config, parse_start(start), weeks)
        if o.kind == "window" and o.window != "monthly-rate"
    ]


def test_the_lag_is_the_guard_associations_period():
    schedule = parse_schedule(GUARD_SCHEDULE)
    assert (schedule.kind, schedule.expression) == ("rate", f"{FREEZE_GUARD_LAG_MINUTES} minutes")


def test_openings_just_after_a_freeze_starts_or_ends_are_at_risk():
    config = validate(raw_config(), "test")
    found = marks(config, "2027-11-28T00:00", 1)
    assert found == [
        ("weekly-install", "2027-11-28 02:00", None, ("black-friday", "end", 0)),
        ("sun-0229", "2027-11-28 02:29", None, ("black-friday", "end", 29)),
        ("sun-0230", "2027-11-28 02:30", None, None),
        ("tue-0359", "2027-11-30 03:59", None, None),
        ("dev-install", "2027-11-30 04:00", None, None),
        ("tue-0430", "2027-11-30 04:30", None, None),
    ]
    found = marks(config, "2027-12-28T00:00", 1)
    assert found == [
        ("tue-0359", "2027-12-28 03:59", None, None),
        ("dev-install", "2027-12-28 04:00", None, ("quarter-close", "start", 0)),
        ("tue-0430", "2027-12-28 04:30", "quarter-close", None),
        ("weekly-install", "2028-01-02 02:00", "quarter-close", None),
        ("sun-0229", "2028-01-02 02:29", "quarter-close", None),
        ("sun-0230", "2028-01-02 02:30", "quarter-close", None),
    ]


def test_touching_or_overlapping_freezes_keep_the_calendar_closed_between_them():
    # black-friday ends when cyber-monday starts (Sunday 02:00), which ends Tuesday 04:10, inside
    # quarter-close: the calendar only opens at quarter-close's end, Tuesday 04:20.
    freezes = {
        "black-friday": {"start": "2027-11-25", "end": "2027-11-28T02:00", "timezone": LONDON},
        "cyber-monday": {"start": "2027-11-28T02:00", "end": "2027-11-30T04:10", "timezone": LONDON},
        "quarter-close": {"start": "2027-11-29T00:00", "end": "2027-11-30T04:20", "timezone": LONDON},
    }
    config = validate(raw_config(freezes), "test")
    assert marks(config, "2027-11-28T00:00", 1) == [
        ("weekly-install", "2027-11-28 02:00", "cyber-monday", None),
        ("sun-0229", "2027-11-28 02:29", "cyber-monday", None),
        ("sun-0230", "2027-11-28 02:30", "cyber-monday", None),
        ("tue-0359", "2027-11-30 03:59", "cyber-monday", None),
        ("dev-install", "2027-11-30 04:00", "cyber-monday", None),
        ("tue-0430", "2027-11-30 04:30", None, ("quarter-close", "end", 10)),
    ]


def test_an_opening_awaiting_approval_is_not_at_risk():
    # Its approval calendar keeps it disabled whatever the freeze guard does.
    gated = {"dev-install": {"requiresApproval": True, "approvedOccurrences": ["2027-12-21"]}}
    config = validate(raw_config(**gated), "test")
    (found,) = [o for o in occurrences(config, parse_start("2027-12-28"), 1) if o.window == "dev-install"]
    assert (found.approval, found.skipped_by, found.at_risk) == ("awaiting approval", "quarter-close", None)


def write_stack(tmp_path, raw):
    path = tmp_path / "Pulumi.acme.yaml"
    path.write_text(
        yaml.safe_dump({"config": {"aws:region": "eu-west-1", **{f"patching:{k}": v for k, v in raw.items()}}})
    )
    return path


def test_the_calendar_marks_them_in_text_json_and_ics(tmp_path, capsys):
    path = write_stack(tmp_path, raw_config())
    args = ["calendar", str(path), "--start", "2027-11-27", "--weeks", "5"]
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("acme-web", 1)[1].strip() for line in lines if "AT RISK" in line] == [
        "AT RISK: opens 0 min after change freeze black-friday ends; the guard may not have enabled it yet",
        "AT RISK: opens 29 min after change freeze black-friday ends; the guard may not have enabled it yet",
        "AT RISK: opens 0 min after change freeze quarter-close starts; the guard may not have disabled it yet",
    ]
    assert main([*args, "--format", "json"]) == 0
    entries = json.loads(capsys.readouterr().out)
    risky = [(e["window"], e["start"], e["skippedBy"], e["atRisk"]) for e in entries if e.get("atRisk")]
    assert risky == [
        (
            "weekly-install",
            "2027-11-28T02:00:00+00:00",
            None,
            {"changeFreeze": "black-friday", "edge": "end", "minutesAfter": 0},
        ),
        (
            "sun-0229",
            "2027-11-28T02:29:00+00:00",
            None,
            {"changeFreeze": "black-friday", "edge": "end", "minutesAfter": 29},
        ),
        (
            "dev-install",
            "2027-12-28T04:00:00+00:00",
            None,
            {"changeFreeze": "quarter-close", "edge": "start", "minutesAfter": 0},
        ),
    ]
    assert all("atRisk" in e for e in entries if e["kind"] in ("window", "goldenAmi", "freeze"))
    ics = tmp_path / "acme.ics"
    assert main([*args, "--ics", str(ics)]) == 0
    events = icalendar.Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    tentative = {
        (str(e["SUMMARY"]), e["DTSTART"].dt.isoformat()): str(e["DESCRIPTION"])
        for e in events
        if str(e.get("STATUS")) == "TENTATIVE"
    }
    assert tentative == {
        ("acme: Install (weekly-install)", "2027-11-28T02:00:00+00:00"): "Patch install for patch groups: acme-web "
        "At risk: it opens 0 min after the change freeze black-friday ends, and the freeze guard may take up to "
        "30 minutes to enable its window: it may not run.",
        ("acme: Install (sun-0229)", "2027-11-28T02:29:00+00:00"): "Patch install for patch groups: acme-web "
        "At risk: it opens 29 min after the change freeze black-friday ends, and the freeze guard may take up to "
        "30 minutes to enable its window: it may not run.",
        ("acme: Install (dev-install)", "2027-12-28T04:00:00+00:00"): "Patch install for patch groups: acme-web "
        "At risk: it opens 0 min after the change freeze quarter-close starts, and the freeze guard may take up to "
        "30 minutes to disable its window: it may run during the freeze.",
    }


END_ADVICE = (
    "the freeze guard enables the windows when the Change Calendar turns OPEN, up to 30 minutes later when that "
    "event is missed, and a window still disabled when it opens does not run (AWS does not run a missed opening "
    "later); end the freeze at least 30 minutes before it opens"
)
START_ADVICE = (
    "the freeze guard disables the windows when the Change Calendar turns CLOSED, up to 30 minutes later when "
    "that event is missed, and disabling stops no run it has started: it may run during the freeze; start the "
    "freeze at least 30 minutes before it opens"
)


def test_validate_warns_about_each_future_opening_at_risk(tmp_path):
    path = write_stack(tmp_path, raw_config())
    with time_machine.travel("2027-10-01T00:00:00Z", tick=False):
        warnings = [(w.key_path(), w.message) for w in check_stack(path).warnings if w.path[0] == "changeFreezes"]
    assert warnings == [
        (
            "patching:changeFreezes.black-friday.end",
            f"window weekly-install opens Sun 2027-11-28 02:00 GMT, 0 min after this freeze ends: {END_ADVICE}",
        ),
        (
            "patching:changeFreezes.black-friday.end",
            f"window sun-0229 opens Sun 2027-11-28 02:29 GMT, 29 min after this freeze ends: {END_ADVICE}",
        ),
        (
            "patching:changeFreezes.quarter-close.start",
            f"window dev-install opens Tue 2027-12-28 04:00 GMT, 0 min after this freeze starts: {START_ADVICE}",
        ),
    ]


def test_validate_warns_only_from_now_to_the_overlap_horizon():
    config = validate(raw_config(), "test")
    warned = lambda now: [w.message.split(",")[0] for w in freeze_edge_warnings(config, parse_start(now))]  # noqa: E731
    # 53 weeks from 2026-12-13 end on 2027-12-19: quarter-close (2027-12-28) is beyond them.
    assert warned("2026-12-13T12:00") == [
        "window weekly-install opens Sun 2027-11-28 02:00 GMT",
        "window sun-0229 opens Sun 2027-11-28 02:29 GMT",
    ]
    # The first opening has passed, the second has not.
    assert warned("2027-11-28T02:10") == [
        "window sun-0229 opens Sun 2027-11-28 02:29 GMT",
        "window dev-install opens Tue 2027-12-28 04:00 GMT",
    ]
    assert warned("2027-12-28T04:01") == []


def test_a_golden_ami_rebuild_is_warned_and_an_unapproved_opening_is_not():
    raw = raw_config(windows={"dev-install": WINDOWS["dev-install"]})
    raw["maintenanceWindows"]["dev-install"] |= {"requiresApproval": True, "approvedOccurrences": ["2027-12-21"]}
    raw["goldenAmis"] = {
        "base": {
            "platform": "Linux",
            "sourceAmiId": "ami-0123456789abcdef0",
            "instanceType": "t3.small",
            "subnetId": "subnet-0123456789abcdef0",
            "patchGroup": "acme-web",
            "schedule": "cron(15 2 ? * SUN *)",  # Sunday 2027-11-28 02:15: 15 min after black-friday ends
            "timezone": LONDON,
        }
    }
    config = validate(raw, "test")
    assert [w.message.split(": the")[0] for w in freeze_edge_warnings(config, parse_start("2027-10-01"))] == [
        "golden AMI rebuild base opens Sun 2027-11-28 02:15 GMT, 15 min after this freeze ends"
    ]
    raw["maintenanceWindows"]["dev-install"]["approvedOccurrences"].append("2027-12-28")
    config = validate(raw, "test")
    assert [w.message.split(",")[0] for w in freeze_edge_warnings(config, parse_start("2027-10-01"))] == [
        "golden AMI rebuild base opens Sun 2027-11-28 02:15 GMT",
        "window dev-install opens Tue 2027-12-28 04:00 GMT",
    ]
