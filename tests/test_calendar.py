"""The patching calendar against hand-computed dates (AWS cron semantics, DST, offsets)."""

import json
from datetime import UTC, datetime

import icalendar
import pytest
import time_machine

from conftest import MINIMAL, ROOT
from patching_components.calendar import occurrences, to_ics
from patching_components.cli import main
from patching_components.config import load_stack_file, validate


def one_window(schedule, timezone="UTC", operation="Install", **extra):
    raw = {
        **MINIMAL,
        "maintenanceWindows": {
            "w": {
                "schedule": schedule,
                "timezone": timezone,
                "durationHours": 4,
                "cutoffHours": 1,
                "operation": operation,
                **extra,
            }
        },
        "patchGroups": {"acme-web": {"baselines": ["al2023"], "maintenanceWindows": ["w"]}},
    }
    return validate(raw, "test")


def starts(config, start, weeks=5, window=None):
    found = occurrences(config, datetime.fromisoformat(start), weeks)
    return [o.start.isoformat() for o in found if window in (None, o.window)]


def test_london_sunday_install_across_the_march_dst_change():
    # 2027-03-28 is the last Sunday of March: clocks go to BST, the window stays at 02:00 local.
    config = load_stack_file(ROOT / "stacks" / "Pulumi.acme.yaml")
    found = [o for o in occurrences(config, datetime(2027, 3, 20, tzinfo=UTC), 2) if o.window == "weekly-install"]
    assert [(o.start.isoformat(), o.start.astimezone(UTC).isoformat()) for o in found] == [
        ("2027-03-21T02:00:00+00:00", "2027-03-21T02:00:00+00:00"),
        ("2027-03-28T02:00:00+01:00", "2027-03-28T01:00:00+00:00"),
    ]
    assert [o.end.isoformat() for o in found] == ["2027-03-21T06:00:00+00:00", "2027-03-28T06:00:00+01:00"]
    assert {o.patch_groups for o in found} == {("acme-web",)}


def test_second_tuesday_plus_offset_in_new_york():
    config = load_stack_file(ROOT / "stacks" / "Pulumi.globex.yaml")
    # Dec 2026: Tuesdays 1, 8 -> 8 + 2 days; Jan 2027: Tuesdays 5, 12 -> 14.
    assert starts(config, "2026-11-22T00:00:00+00:00", weeks=9, window="tue-install") == [
        "2026-12-10T03:00:00-05:00",
        "2027-01-14T03:00:00-05:00",
    ]


def test_offset_occurrence_just_after_the_start_is_kept():
    config = load_stack_file(ROOT / "stacks" / "Pulumi.globex.yaml")
    # The cron date (Tue 2026-12-08) lies before the start; its +2 days does not.
    assert starts(config, "2026-12-09T00:00:00+00:00", weeks=1, window="tue-install") == ["2026-12-10T03:00:00-05:00"]


def test_last_day_of_month_in_berlin():
    config = one_window("cron(0 22 L * ? *)", "Europe/Berlin")
    assert starts(config, "2026-11-22T00:00:00+00:00", weeks=11) == [
        "2026-11-30T22:00:00+01:00",
        "2026-12-31T22:00:00+01:00",
        "2027-01-31T22:00:00+01:00",
    ]


def test_nearest_weekday():
    # 2027-08-15 is a Sunday: 15W runs on Monday the 16th.
    assert starts(one_window("cron(0 3 15W * ? *)"), "2027-08-01T00:00:00+00:00", weeks=4) == [
        "2027-08-16T03:00:00+00:00"
    ]


@time_machine.travel("2026-12-01", tick=False)  # a 2027 schedule is valid only until 2027 ends
def test_last_friday_and_year_field():
    config = one_window("cron(0 1 ? * 6L 2027)")
    assert starts(config, "2026-12-01T00:00:00+00:00", weeks=9) == [
        "2027-01-29T01:00:00+00:00",
    ]


def test_a_time_skipped_by_dst_moves_forward():
    # New York springs forward at 02:00 on 2027-03-14: 02:30 does not exist that night.
    config = one_window("cron(30 2 ? * SUN *)", "America/New_York")
    assert starts(config, "2027-03-07T12:00:00+00:00", weeks=2) == [
        "2027-03-14T03:30:00-04:00",
        "2027-03-21T02:30:00-04:00",
    ]


def test_window_end_crosses_the_dst_change():
    config = load_stack_file(ROOT / "stacks" / "Pulumi.globex.yaml")
    (sat,) = [o for o in occurrences(config, datetime(2027, 3, 13, tzinfo=UTC), 1) if o.window == "sat-install"]
    assert (sat.start.isoformat(), sat.end.isoformat()) == ("2027-03-13T22:00:00-05:00", "2027-03-14T05:00:00-04:00")


def test_rate_windows_count_from_the_start():
    config = one_window("rate(3 days)", operation="Scan")
    assert starts(config, "2026-12-01T06:00:00+00:00", weeks=1) == [
        "2026-12-01T06:00:00+00:00",
        "2026-12-04T06:00:00+00:00",
        "2026-12-07T06:00:00+00:00",
    ]


def test_scan_only_mode_shows_scans_and_disabled_shows_nothing():
    config = load_stack_file(ROOT / "stacks" / "Pulumi.initech.yaml")
    assert {o.operation for o in occurrences(config, datetime(2026, 11, 22, tzinfo=UTC), 6)} == {"Scan"}
    disabled = validate({"customer": "acme", "mode": "disabled"}, "x")
    assert occurrences(disabled, datetime(2026, 11, 22, tzinfo=UTC), 6) == []


def test_ics_is_valid_icalendar_with_time_zones():
    config = load_stack_file(ROOT / "stacks" / "Pulumi.globex.yaml")
    found = occurrences(config, datetime(2027, 3, 8, tzinfo=UTC), 2)
    parsed = icalendar.Calendar.from_ical(to_ics(config, found, stamp=datetime(2027, 1, 1, tzinfo=UTC)))
    events = parsed.walk("VEVENT")
    assert len(events) == len(found) > 0
    assert [tz["TZID"] for tz in parsed.walk("VTIMEZONE")] == ["America/New_York"]
    first = events[0]
    assert first["DTSTART"].dt == found[0].start
    assert first["DTSTART"].params["TZID"] == "America/New_York"
    assert first["DTEND"].dt == found[0].end
    assert str(first["SUMMARY"]) == "globex: Scan (nightly-scan)"
    assert len({str(e["UID"]) for e in events}) == len(events)


def test_cli_json_and_ics(capsys, tmp_path):
    ics = tmp_path / "acme.ics"
    code = main(
        [
            "calendar",
            str(ROOT / "stacks" / "Pulumi.acme.yaml"),
            "--start",
            "2027-03-27",
            "--weeks",
            "1",
            "--format",
            "json",
            "--ics",
            str(ics),
        ]
    )
    assert code == 0
    found = json.loads(capsys.readouterr().out)
    assert found[0] == {
        "window": "daily-scan",
        "operation": "Scan",
        "start": "2027-03-27T01:00:00+00:00",
        "end": "2027-03-27T03:00:00+00:00",
        "patchGroups": ["acme-web"],
    }
    assert {
        "window": "weekly-install",
        "operation": "Install",
        "start": "2027-03-28T02:00:00+01:00",
        "end": "2027-03-28T06:00:00+01:00",
        "patchGroups": ["acme-web"],
    } in found
    assert len(icalendar.Calendar.from_ical(ics.read_bytes()).walk("VEVENT")) == len(found)


def test_cli_text_marks_dst_and_day_changes(capsys):
    code = main(["calendar", str(ROOT / "stacks" / "Pulumi.globex.yaml"), "--start", "2027-03-13", "--weeks", "1"])
    assert code == 0
    out = capsys.readouterr().out
    assert "Sat 2027-03-13 22:00 EST - Sun 05:00 EDT Install sat-install" in out


@pytest.mark.parametrize(
    ("args", "message"), [(["--weeks", "0"], "give 1-104 weeks"), (["--start", "soon"], "--start")]
)
def test_cli_usage_errors(capsys, args, message):
    try:
        code = main(["calendar", str(ROOT / "stacks" / "Pulumi.acme.yaml"), *args])
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    assert code == 2
    assert message in capsys.readouterr().err
