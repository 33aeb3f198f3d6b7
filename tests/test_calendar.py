"""The patching calendar against hand-computed dates (AWS cron semantics, DST, offsets),
merged over stacks (overlaps, busy periods), and read back by iCalendar readers we did not write."""

import bisect
import json
import shutil
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine
import vobject
import yaml
from docs_pages import docs_text
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from conftest import BAD_STACKS, EXAMPLE_STACKS, MINIMAL, ROOT
from patching_components.calendar import Overlap, merge, occurrences, overlaps, to_ics
from patching_components.checks import check_stack
from patching_components.config import ConfigError, load_stack_file, validate
from patching_components.tools.cli import main


def one_window(schedule, timezone="UTC", operation="Install", change_freezes=None, **extra):
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
        "changeFreezes": change_freezes or {},
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
    parsed = icalendar.Calendar.from_ical(to_ics(found, "globex patching", stamp=datetime(2027, 1, 1, tzinfo=UTC)))
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
        "customer": "acme",
        "stack": "acme",
        "region": "eu-west-1",
        "kind": "window",
        "window": "daily-scan",
        "operation": "Scan",
        "start": "2027-03-27T01:00:00+00:00",
        "end": "2027-03-27T03:00:00+00:00",
        "patchGroups": ["acme-dev", "acme-web"],
        "skippedBy": None,
        "atRisk": None,
        "approval": None,
    }
    assert {
        "customer": "acme",
        "stack": "acme",
        "region": "eu-west-1",
        "kind": "window",
        "window": "weekly-install",
        "operation": "Install",
        "start": "2027-03-28T02:00:00+01:00",
        "end": "2027-03-28T06:00:00+01:00",
        "patchGroups": ["acme-web"],
        "skippedBy": None,
        "atRisk": None,
        "approval": None,
        # acme's prod ring: dev installed 2027-03-23 04:00 GMT; al2023 approves 7 days after release
        "ring": "prod",
        "previousRing": "dev",
        "cutoffs": {"al2023": "2027-03-16"},
        "cutoffFrom": "2027-03-23T04:00:00+00:00",
    } in found
    assert len(icalendar.Calendar.from_ical(ics.read_bytes()).walk("VEVENT")) == len(found)


def test_cli_text_marks_dst_and_day_changes(capsys):
    code = main(["calendar", str(ROOT / "stacks" / "Pulumi.globex.yaml"), "--start", "2027-03-13", "--weeks", "1"])
    assert code == 0
    out = capsys.readouterr().out
    assert "Sat 2027-03-13 22:00 EST  - Sun 05:00 EDT globex Install sat-install" in out


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


def two_windows(scan_schedule="cron(0 1 * * ? *)"):
    """acme's windows before the example moved its scan off Sundays: a daily 01:00-03:00 scan and a
    Sunday 02:00-06:00 install of the same patch group."""
    raw = yaml.safe_load((ROOT / "stacks" / "Pulumi.acme.yaml").read_text())["config"]
    config = {key.split(":", 1)[1]: value for key, value in raw.items() if key.startswith("patching:")}
    config["maintenanceWindows"]["daily-scan"]["schedule"] = scan_schedule
    return validate(config, "test")


def test_golden_ami_rebuilds_are_in_the_calendar():
    # acme rebuilds on the first Monday of the month, 04:00 London: 2027-04-05 (BST), for 2 hours.
    config = load_stack_file(ROOT / "stacks" / "Pulumi.acme.yaml")
    builds = [o for o in occurrences(config, datetime(2027, 3, 20, tzinfo=UTC), 4) if o.kind == "goldenAmi"]
    assert [(o.window, o.operation, o.start.isoformat(), o.end.isoformat(), o.patch_groups) for o in builds] == [
        ("al2023-base", "Build", "2027-04-05T04:00:00+01:00", "2027-04-05T06:00:00+01:00", ("acme-web",))
    ]


def test_overlapping_windows_of_one_patch_group_are_listed(capsys, tmp_path):
    from patching_components.calendar import overlaps

    config = two_windows()
    found = occurrences(config, datetime(2027, 3, 20, tzinfo=UTC), 2)
    # Sundays: the scan (01:00-03:00 GMT; 02:00-04:00 BST on the 28th, 01:00 does not exist) and the
    # install (02:00) are both open.
    assert [(o.patch_group, o.first.window, o.second.window, o.second.start.isoformat()) for o in overlaps(found)] == [
        ("acme-web", "daily-scan", "weekly-install", "2027-03-21T02:00:00+00:00"),
        ("acme-web", "daily-scan", "weekly-install", "2027-03-28T02:00:00+01:00"),
    ]
    # The shipped example scans Monday to Saturday: nothing overlaps.
    fixed = load_stack_file(ROOT / "stacks" / "Pulumi.acme.yaml")
    assert overlaps(occurrences(fixed, datetime(2027, 3, 20, tzinfo=UTC), 8)) == []


@time_machine.travel("2026-12-01T12:00:00Z", tick=False)
def test_validate_warns_about_overlapping_windows_once_per_pair(tmp_path):
    text = (ROOT / "stacks" / "Pulumi.acme.yaml").read_text().replace("cron(0 1 ? * MON-SAT *)", "cron(0 1 * * ? *)")
    path = tmp_path / "Pulumi.acme.yaml"
    path.write_text(text)
    (warning,) = [w for w in check_stack(path).warnings if w.path[0] == "patchGroups"]
    assert warning.key_path() == "patching:patchGroups.acme-web.maintenanceWindows"
    # 2026-12-06 is the first Sunday after the (frozen) day of validation.
    assert "daily-scan and weekly-install are open at the same time (Sun 2026-12-06 02:00 GMT first)" in (
        warning.message
    )
    assert warning.line == text.splitlines().index("    acme-web:") + 3  # its maintenanceWindows line


@time_machine.travel("2026-12-01T12:00:00Z", tick=False)
def test_the_examples_have_no_overlapping_windows():
    for path in EXAMPLE_STACKS:
        assert [w.message for w in check_stack(path).warnings if w.path[0] == "patchGroups"] == [], path


def test_an_event_ending_in_the_repeated_hour_ends_at_the_right_instant():
    # London goes back at 02:00 BST on 2026-10-25: 01:00-02:00 happens twice. A window opening at
    # 00:30 BST (23:30 UTC) for 2 hours closes at 01:30 UTC, the *second* 01:30 local (GMT).
    config = one_window("cron(30 0 ? * SUN *)", "Europe/London", durationHours=2)
    (occurrence,) = occurrences(config, datetime(2026, 10, 24, tzinfo=UTC), 1)
    assert occurrence.end.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    ics = to_ics([occurrence], "test", stamp=datetime(2026, 10, 1, tzinfo=UTC))
    (event,) = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    assert event["DTEND"].dt.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert event["DTSTART"].dt.astimezone(UTC) == datetime(2026, 10, 24, 23, 30, tzinfo=UTC)
    parsed = vobject.readOne(ics.decode())
    assert parsed.vevent.dtend.value.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert parsed.vevent.dtstart.value.astimezone(UTC) == datetime(2026, 10, 24, 23, 30, tzinfo=UTC)
    # The first 01:30 (BST) is what a TZID time means: such an end keeps its zone.
    config = one_window("cron(30 23 ? * SAT *)", "Europe/London", durationHours=2)
    (occurrence,) = occurrences(config, datetime(2026, 10, 24, tzinfo=UTC), 1)
    (event,) = icalendar.Calendar.from_ical(to_ics([occurrence], "test")).walk("VEVENT")
    assert event["DTEND"].params["TZID"] == "Europe/London"
    assert event["DTEND"].dt.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def calendar_json(capsys, *args):
    assert main(["calendar", *args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def in_a_folder_of_the_examples(monkeypatch, tmp_path):
    """The default is every stacks/Pulumi.*.yaml: run in a folder of the three examples by name, so that the
    MSP's own customer stacks in this repository change nothing here."""
    (tmp_path / "stacks").mkdir()
    for name in ("acme", "globex", "initech"):
        shutil.copy(ROOT / "stacks" / f"Pulumi.{name}.yaml", tmp_path / "stacks")
    monkeypatch.chdir(tmp_path)


def test_every_stack_by_default_merged_in_time_order(capsys, monkeypatch, tmp_path):
    in_a_folder_of_the_examples(monkeypatch, tmp_path)
    entries = calendar_json(capsys, "--start", "2027-03-27", "--weeks", "1")
    assert {e["customer"] for e in entries} == {"acme", "globex", "initech"}
    instants = [datetime.fromisoformat(e["start"]).astimezone(UTC) for e in entries]
    assert instants == sorted(instants)
    # Saturday 2027-03-27: acme scans at 01:00 GMT (01:00Z), globex at 00:30 EDT (04:30Z).
    assert [(e["customer"], e["start"]) for e in entries[:2]] == [
        ("acme", "2027-03-27T01:00:00+00:00"),
        ("globex", "2027-03-27T00:30:00-04:00"),
    ]


def test_max_concurrent_lists_the_periods_more_customers_install(capsys):
    stacks = [str(ROOT / "stacks" / f"Pulumi.{name}.yaml") for name in ("acme", "globex", "initech")]
    args = [*stacks, "--start", "2027-03-27", "--weeks", "1"]
    # acme installs 02:00-06:00 BST (01:00-05:00Z) and globex 22:00 EDT-04:00 EDT (02:00-08:00Z) on the
    # night of 27/28 March; initech only scans (scan-only mode).
    busy = [e for e in calendar_json(capsys, *args, "--max-concurrent", "1") if e["kind"] == "concurrency"]
    assert busy == [
        {
            "kind": "concurrency",
            "start": "2027-03-28T02:00:00+00:00",
            "end": "2027-03-28T05:00:00+00:00",
            "customers": ["acme", "globex"],
        }
    ]
    assert [e for e in calendar_json(capsys, *args, "--max-concurrent", "2") if e["kind"] == "concurrency"] == []
    assert main(["calendar", *args, "--max-concurrent", "1"]) == 0
    out = capsys.readouterr().out
    assert "# More than 1 customer installing at once (UTC):\nSun 2027-03-28 02:00 - 05:00" in out
    assert "2 customers: acme, globex" in out


def test_overlaps_in_the_text_and_json_calendar(capsys, tmp_path):
    path = tmp_path / "Pulumi.acme.yaml"
    path.write_text(
        (ROOT / "stacks" / "Pulumi.acme.yaml").read_text().replace("cron(0 1 ? * MON-SAT *)", "cron(0 1 * * ? *)")
    )
    entries = calendar_json(capsys, str(path), "--start", "2027-03-27", "--weeks", "1")
    assert [e for e in entries if e["kind"] == "overlap"] == [
        {
            "kind": "overlap",
            "stack": "acme",
            "region": "eu-west-1",
            "patchGroup": "acme-web",
            "windows": ["daily-scan", "weekly-install"],
            "start": "2027-03-28T02:00:00+01:00",
            "end": "2027-03-28T04:00:00+01:00",
        }
    ]
    assert main(["calendar", str(path), "--start", "2027-03-27", "--weeks", "1"]) == 0
    out = capsys.readouterr().out
    assert "# Windows of one patch group open at the same time" in out
    assert "Sun 2027-03-28 02:00 BST  - 04:00         acme acme-web: daily-scan and weekly-install" in out


def test_ics_per_customer_and_merged(capsys, tmp_path):
    # A customer with two accounts has two stacks: one calendar for the customer, unique event ids.
    second = tmp_path / "Pulumi.acme-eu-prod.yaml"
    second.write_text((ROOT / "stacks" / "Pulumi.acme.yaml").read_text())
    stacks = [str(ROOT / "stacks" / "Pulumi.acme.yaml"), str(second), str(ROOT / "stacks" / "Pulumi.globex.yaml")]
    merged, directory = tmp_path / "all.ics", tmp_path / "out" / "customers"
    args = [*stacks, "--start", "2027-03-27", "--weeks", "1", "--ics", str(merged), "--ics-dir", str(directory)]
    assert main(["calendar", *args]) == 0
    out = capsys.readouterr().out
    assert "acme (acme-eu-prod)" in out
    assert sorted(p.name for p in directory.iterdir()) == ["acme.ics", "globex.ics"]
    acme = icalendar.Calendar.from_ical((directory / "acme.ics").read_bytes())
    uids = [str(e["UID"]) for e in acme.walk("VEVENT")]
    assert len(uids) == len(set(uids)) == 2 * 8  # 6 scans and 2 installs (dev, prod) per stack
    assert {u.split("-daily-scan")[0].split("-weekly-install")[0].split("-dev-install")[0] for u in uids} == {
        "acme",
        "acme-eu-prod",
    }
    everything = icalendar.Calendar.from_ical(merged.read_bytes())
    assert {tz["TZID"] for tz in everything.walk("VTIMEZONE")} == {"Europe/London", "America/New_York"}
    assert len(everything.walk("VEVENT")) == 16 + len(
        [o for o in occurrences(load_stack_file(stacks[2]), datetime(2027, 3, 27, tzinfo=UTC), 1)]
    )


def test_ics_that_cannot_be_written_is_a_one_line_error(capsys, tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a directory\n")
    acme = str(ROOT / "stacks" / "Pulumi.acme.yaml")
    targets = [("--ics", tmp_path), ("--ics", tmp_path / "missing" / "a.ics"), ("--ics", a_file / "a.ics")]
    for option, target in [*targets, ("--ics-dir", a_file / "calendars")]:
        assert main(["calendar", acme, option, str(target)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"patching: error: {option} {target}: cannot "), err
        assert err.count("\n") == 1 and "Traceback" not in err


def test_start_is_shown_with_the_offset_it_was_given(capsys):
    assert main(["calendar", str(ROOT / "stacks" / "Pulumi.acme.yaml"), "--start", "2027-03-27T00:00+01:00"]) == 0
    assert "2027-03-27T00:00+01:00 to 2027-04-24T00:00+01:00" in capsys.readouterr().out


def test_the_readme_shows_real_calendar_output(capsys, monkeypatch, tmp_path):
    import re
    import shlex

    in_a_folder_of_the_examples(monkeypatch, tmp_path)
    blocks = re.findall(r"```text\n\$ (patching calendar[^\n]*)\n(.*?)```", docs_text(), re.S)
    assert len(blocks) >= 2
    for command, shown in blocks:
        assert main(shlex.split(command)[1:]) == 0
        out = capsys.readouterr().out.splitlines()
        lines = [line for line in shown.splitlines() if line != "..."]
        positions = [out.index(line) for line in lines]  # each shown line is real, in the same order
        assert positions == sorted(positions), command


def test_each_region_of_a_stack_has_its_own_occurrences(capsys, tmp_path):
    text = (ROOT / "stacks" / "Pulumi.acme.yaml").read_text()
    text = text.replace(
        "  patching:customer: acme\n", "  patching:customer: acme\n  patching:regions: [eu-west-1, us-east-1]\n"
    )
    text = text.replace(
        "      rebootOption: RebootIfNeeded\n", "      rebootOption: RebootIfNeeded\n      regions: [us-east-1]\n"
    )
    path = tmp_path / "Pulumi.acme.yaml"
    path.write_text(text)
    entries = calendar_json(capsys, str(path), "--start", "2027-03-27T12:00Z", "--weeks", "1")
    windows = {(e["window"], e["region"]) for e in entries if e["kind"] != "overlap"}
    # The scan in both regions, the install only in us-east-1, the rebuild in the primary region.
    assert windows == {
        ("daily-scan", "eu-west-1"),
        ("daily-scan", "us-east-1"),
        ("weekly-install", "us-east-1"),
        ("dev-install", "eu-west-1"),  # acme's dev ring (patching:rings)
        ("dev-install", "us-east-1"),
    }
    ics = tmp_path / "acme.ics"
    assert main(["calendar", str(path), "--start", "2027-03-27T12:00Z", "--weeks", "1", "--ics", str(ics)]) == 0
    out = capsys.readouterr().out
    assert "Sun 2027-03-28 02:00 BST  - 06:00         us-east-1 acme Install weekly-install" in out
    events = icalendar.Calendar.from_ical(ics.read_bytes()).walk("VEVENT")
    assert len({str(e["UID"]) for e in events}) == len(events) == len(entries)
    assert "acme: Install (weekly-install) in us-east-1" in {str(e["SUMMARY"]) for e in events}


def many_windows_stack(tmp_path, count, spread=1):
    windows = "\n".join(
        f"    w{i}:\n      schedule: cron({i % 60} {i * spread % 24} * * ? *)\n      durationHours: 2\n"
        f"      cutoffHours: 1\n      operation: Scan"
        for i in range(count)
    )
    names = ", ".join(f"w{i}" for i in range(count))
    path = tmp_path / "Pulumi.acme.yaml"
    path.write_text(
        "config:\n  aws:region: eu-west-1\n  patching:customer: acme\n  patching:baselines:\n"
        "    al2023: {operatingSystem: AMAZON_LINUX_2023}\n  patching:maintenanceWindows:\n"
        f"{windows}\n  patching:patchGroups:\n    web:\n      baselines: [al2023]\n"
        f"      maintenanceWindows: [{names}]\n"
    )
    return path


@time_machine.travel("2026-12-01T12:00:00Z", tick=False)
def test_a_thousand_daily_windows_on_one_group_are_one_warning_in_linear_work(tmp_path, monkeypatch):
    import time

    from aws_croniter import AwsCroniter

    from patching_components import checks

    walks = []
    real = AwsCroniter.get_next

    def counted(self, *args, **kwargs):
        walks.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(AwsCroniter, "get_next", counted)
    monkeypatch.setattr(checks, "_OVERLAPS", {})
    path = many_windows_stack(tmp_path, 1000)
    began = time.monotonic()
    found = [w for w in check_stack(path).warnings if w.path[0] == "patchGroups"]
    elapsed = time.monotonic() - began
    assert len(found) == 1 and found[0].key_path() == "patching:patchGroups.web.maintenanceWindows"
    # Each window's openings are walked until the group's first overlap: a few per window, not
    # 365 per window (and not one per pair of windows).
    overlap_walks = len(walks) - 1000 * 2  # the schedule checks walk each window about twice
    assert overlap_walks <= 3 * 1000, len(walks)
    assert elapsed < 30, elapsed  # about a second alone; generous on a loaded 2-core machine


@time_machine.travel("2026-12-01T12:00:00Z", tick=False)
@pytest.mark.parametrize(("count", "spread"), [(2, 1), (5, 3), (12, 3)])
def test_the_first_overlap_per_group_is_the_calendars_first(tmp_path, count, spread):
    from patching_components import checks

    path = many_windows_stack(tmp_path, count, spread)
    config = check_stack(path).config
    start = datetime(2026, 12, 1, tzinfo=UTC)
    everything = overlaps(occurrences(config, start, checks.OVERLAP_HORIZON_WEEKS))
    first = [w.message for w in checks.overlap_warnings(config, start) if w.path[0] == "patchGroups"]
    if not everything:
        assert first == []
    else:
        o = everything[0]
        (message,) = first
        assert f"{o.first.window} and {o.second.window} are open at the same time" in message
        assert f"({o.second.start:%a %Y-%m-%d %H:%M %Z} first)" in message


# ---------------------------------------------------------------------------
# The fast schedule walk and overlap finder against oracles written here: aws-croniter's own
# get_next called again and again, each wall time placed in its zone by zoneinfo, and every
# pair of openings of two windows compared.

_MINUTES = st.sampled_from(["0", "30", "45", "0,30", "15-20/5", "55-5"])
_HOURS = st.sampled_from(["0", "1", "2", "3", "22", "23", "1-2", "22-1", "*/8", "0,12"])
_MONTHS = st.sampled_from(["*", "*", "*", "2", "MAR-APR", "10,11", "*/5", "11-2"])
_YEARS = st.sampled_from(["*", "*", "*", "2027", "2026-2027", "2029", "2027,2031"])
_DAY_OF_MONTH = st.sampled_from(["*", "1", "15", "29", "30", "31", "L", "L-2", "L-30", "15W", "31W", "1W", "1-7"])
_DAY_OF_WEEK = st.sampled_from(
    ["*", "SUN", "MON-FRI", "SAT,SUN", "TUE#2", "FRI#5", "6L", "L", "2-6", "7", "1", "SAT-MON", "WED#1"]
)
_DST_ZONES = st.sampled_from(
    ["UTC", "America/New_York", "Europe/London", "Australia/Sydney", "Australia/Lord_Howe", "Asia/Kolkata"]
)


@st.composite
def _cron_bodies(draw, minutes=_MINUTES, hours=_HOURS):
    if draw(st.booleans()):
        days = f"? {draw(_MONTHS)} {draw(_DAY_OF_WEEK)}"
    else:
        days = f"{draw(_DAY_OF_MONTH)} {draw(_MONTHS)} ?"
    return f"{draw(minutes)} {draw(hours)} {days.split()[0]} {days.split()[1]} {days.split()[2]} {draw(_YEARS)}"


def _library_walls(body, after):
    from aws_croniter import AwsCroniter

    cron = AwsCroniter(body)
    while True:
        (after,) = cron.get_next(after)
        if after is None:
            return
        yield after


@settings(max_examples=200, deadline=None, derandomize=True)
@given(body=_cron_bodies(), minutes=st.integers(0, 3 * 366 * 24 * 60))
def test_cron_walls_are_aws_croniters_get_next_again_and_again(body, minutes):
    from itertools import islice

    from patching_components.aws.schedule import cron_walls

    after = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes, seconds=minutes % 7)
    assert list(islice(cron_walls(body, after), 25)) == list(islice(_library_walls(body, after), 25))


def _oracle_openings(window, start, end):
    """(UTC start, UTC end) of each opening in [start, end): the wall times aws-croniter gives,
    plus the offset, read in the zone with zoneinfo's first reading (fold=0)."""
    zone = ZoneInfo(window["timezone"])
    offset = timedelta(days=window.get("scheduleOffset", 0))
    after = (start.astimezone(zone) - offset).replace(tzinfo=UTC) - timedelta(minutes=1)
    found = []
    for wall in _library_walls(window["schedule"][5:-1], after):
        instant = (wall + offset).replace(tzinfo=None).replace(tzinfo=zone).astimezone(UTC)
        if instant >= end:
            break
        if instant >= start:
            found.append((instant, instant + timedelta(hours=window["durationHours"])))
    return found


_WINDOW = st.fixed_dictionaries(
    {
        # At most a few openings a day: every one is compared with every other window's.
        "schedule": st.builds(
            "cron({} {} ? * {} *)".format,
            st.sampled_from(["0", "30", "45"]),
            st.sampled_from(["1", "2", "3", "22", "23"]),
            st.sampled_from(["SUN", "SAT", "SAT,SUN", "TUE#2", "6L", "WED#1", "1-2", "MON-FRI"]),
        )
        | st.builds("cron(0 {} {} * ? *)".format, st.sampled_from(["2", "23"]), st.sampled_from(["L", "15W", "1"])),
        "timezone": _DST_ZONES,
        "durationHours": st.integers(1, 24),
    },
    optional={"scheduleOffset": st.integers(1, 6)},
)


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(windows=st.lists(_WINDOW, min_size=2, max_size=4), day=st.integers(0, 700))
def test_the_first_overlap_is_the_first_found_by_comparing_every_pair_of_openings(windows, day):
    from patching_components import checks
    from patching_components.config import ConfigError

    now = datetime(2026, 1, 1, 9, 30, tzinfo=UTC) + timedelta(days=day)
    named = {f"w{i}": window for i, window in enumerate(windows)}
    keys = list(named)
    raw = {
        **MINIMAL,
        "maintenanceWindows": {
            k: {**w, "cutoffHours": 1, "operation": "Scan"} for k, w in zip(keys, windows, strict=True)
        },
        "patchGroups": {"acme-web": {"baselines": ["al2023"], "maintenanceWindows": keys}},
    }
    try:
        config = validate(raw, "test")
    except ConfigError:
        assume(False)  # e.g. a cutoff longer than the window, or a date no month has
    checks._OVERLAPS.clear()
    found = [w.message for w in checks.overlap_warnings(config, now)]

    start = now.replace(hour=0, minute=0)
    end = start + timedelta(weeks=checks.OVERLAP_HORIZON_WEEKS)
    openings = {
        k: _oracle_openings(w, start, end)[: checks.OVERLAP_OCCURRENCES] for k, w in zip(keys, windows, strict=True)
    }
    # Every pair of openings of two windows: where one opens while the other is open (those of
    # b that open while a's is open found by bisection in b's, which are in time order).
    starts = {}
    for a, b in ((a, b) for a in keys for b in keys if a != b):
        b_starts = [second for second, _ in openings[b]]
        for opened, closes in openings[a]:
            for second in b_starts[bisect.bisect_left(b_starts, opened) : bisect.bisect_left(b_starts, closes)]:
                if not (second == opened and a > b):  # opening at once: the sweep takes a's first
                    starts.setdefault(second, set()).add((a, b))
    if not starts:
        assert found == []
        return
    first = min(starts)
    (message,) = found
    pair = tuple(message.split("the windows ")[1].split(" are open")[0].split(" and "))
    assert pair in starts[first], (message, first, starts[first])
    local = first.astimezone(ZoneInfo(named[pair[1]]["timezone"]))
    assert f"({local:%a %Y-%m-%d %H:%M %Z} first)" in message


def _library_ics(found, name, stamp):
    """The iCalendar file as the icalendar library writes it, event by event (what to_ics did
    before it wrote the events itself)."""
    from datetime import timedelta as days

    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//patching-components//patching calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for o in found:
        event = icalendar.Event()
        utc = o.start.astimezone(UTC)
        where = "" if o.primary else f"{o.region}-"
        event.add("uid", f"{o.stack}-{where}{o.window}-{utc:%Y%m%dT%H%M%SZ}@patching-components")
        event.add("dtstamp", stamp)
        for key, moment in (("dtstart", o.start), ("dtend", o.end)):
            repeated = moment.fold and moment.replace(fold=0).utcoffset() != moment.utcoffset()
            event.add(key, moment.astimezone(UTC) if repeated else moment)
        groups = ", ".join(o.patch_groups)
        if o.kind == "freeze":
            summary, description = (
                f"{o.customer}: change freeze ({o.window})",
                ("No patch window and no golden AMI rebuild starts."),
            )
        else:
            summary = f"{o.customer}: {o.operation} ({o.window})" + ("" if o.primary else f" in {o.region}")
            description = (
                f"Golden AMI rebuild, patched with the baseline of patch group {groups}"
                if o.kind == "goldenAmi"
                else f"Patch {o.operation.lower()} for patch groups: {groups}"
            )
        if o.skipped_by is not None:
            event.add("status", "CANCELLED")
            description += f" Skipped: inside the change freeze {o.skipped_by}."
        elif o.at_risk is not None:
            event.add("status", "TENTATIVE")
            switch, outcome = (
                ("disable", "run during the freeze") if o.at_risk.edge == "start" else ("enable", "not run")
            )
            description += (
                f" At risk: it opens {o.at_risk.minutes} min after the change freeze {o.at_risk.freeze} "
                f"{o.at_risk.edge}s, and the freeze guard may take up to 30 minutes to {switch} its window: "
                f"it may {outcome}."
            )
        elif o.approval is not None:  # an approval-gated window's opening
            event.add("status", "TENTATIVE" if o.approval == "awaiting approval" else "CONFIRMED")
            if o.approval == "awaiting approval":
                description += " Awaiting approval: it runs only if approved (patching approve) before it opens."
        event.add("summary", summary)
        event.add("description", description)
        event.add("categories", ["Patching", o.operation])
        calendar.add_component(event)
    if found:
        first = min(o.start for o in found).date() - days(days=366)
        last = max(o.end for o in found).date() + days(days=366)
        calendar.add_missing_timezones(first_date=first, last_date=last)
    return calendar.to_ical()


def _ics_parts(text):
    """(everything but the VTIMEZONEs, the set of VTIMEZONEs): the library adds those in the
    order of a set, which changes from one interpreter to the next."""
    import re

    zones = re.findall(rb"BEGIN:VTIMEZONE\r\n.*?END:VTIMEZONE\r\n", text, re.S)
    rest = text
    for zone in zones:
        rest = rest.replace(zone, b"", 1)
    return rest, sorted(zones)


def test_ics_events_are_written_as_the_icalendar_library_writes_them(tmp_path):
    from benchmarks import corpus

    stamp = datetime(2026, 12, 1, 8, 15, 42, tzinfo=UTC)
    configs = [load_stack_file(p) for p in EXAMPLE_STACKS]
    configs += [load_stack_file(p) for p in corpus.write(tmp_path, 8, seed=7)]
    configs.append(one_window("cron(30 1 ? * SUN *)", "America/New_York"))
    configs.append(one_window("cron(0 2 ? * SUN *)", "Australia/Lord_Howe"))  # half-hour daylight saving
    configs.append(one_window("cron(0 22 ? * FRI *)", "Etc/UTC"))
    configs.append(one_window("cron(0 22 ? * FRI *)", "Etc/GMT+5"))
    # Openings 0 and 15 minutes after a freeze ends and starts: at risk.
    freezes = {
        "a": {"start": "2027-10-01", "end": "2027-10-03T02:00", "timezone": "Europe/London"},
        "b": {"start": "2027-10-17T01:45", "end": "2027-10-20", "timezone": "Europe/London"},
    }
    configs.append(one_window("cron(0 2 ? * SUN *)", "Europe/London", change_freezes=freezes))
    # Clocks change in both hemispheres; 01:30 comes twice in New York on 2027-11-07.
    found = [occurrences(c, datetime(2027, 9, 20, tzinfo=UTC), 10) for c in configs]
    assert any(o.skipped_by for f in found for o in f) and any(o.kind == "freeze" for f in found for o in f)
    assert {o.at_risk.edge for f in found for o in f if o.at_risk} == {"start", "end"}
    assert any(o.kind == "goldenAmi" for f in found for o in f) and any(not o.primary for f in found for o in f)
    for each in [[o for f in found for o in f], []]:
        written = to_ics(each, "acme patching", stamp)
        assert _ics_parts(written) == _ics_parts(_library_ics(each, "acme patching", stamp))
        assert len(icalendar.Calendar.from_ical(written).walk("VEVENT")) == len(each)


def _every_pair_overlaps(found):
    """Overlaps by comparing every earlier occurrence with every later one (the definition, no
    bookkeeping): same stack and region, different windows, a shared patch group, the earlier one
    still open (as an instant) when the later opens; by the later one, its groups in order, then
    the earlier ones in order."""
    windows = [o for o in found if o.kind == "window" and o.skipped_by is None]
    return [
        Overlap(group, first, second)
        for j, second in enumerate(windows)
        for group in second.patch_groups
        for first in windows[:j]
        if first.stack == second.stack
        and str(first.region) == str(second.region)
        and first.window != second.window
        and group in first.patch_groups
        and first.end.astimezone(UTC) > second.start.astimezone(UTC)
    ]


def test_overlaps_of_a_fleet_are_those_found_by_comparing_every_pair():
    # Windows that target several groups each, some shared, in two zones, over two stacks, and a
    # change freeze: the overlaps are the same, in the same order.
    def stack(customer, zone):
        windows = {
            "scan": ("cron(0 1 * * ? *)", 3, ["web", "db", "files"]),
            "install-a": ("cron(0 2 ? * SUN *)", 4, ["web", "db"]),
            "install-b": ("cron(30 3 ? * SUN,WED *)", 2, ["db", "files"]),
            "lone": ("cron(0 12 ? * MON *)", 2, ["batch"]),
        }
        raw = {
            "customer": customer,
            "baselines": {"al2023": {"operatingSystem": "AMAZON_LINUX_2023"}},
            "maintenanceWindows": {
                key: {"schedule": cron, "timezone": zone, "durationHours": hours, "cutoffHours": 1, "operation": "Scan"}
                for key, (cron, hours, _) in windows.items()
            },
            "patchGroups": {
                f"{customer}-{group}": {
                    "baselines": ["al2023"],
                    "maintenanceWindows": [key for key, (_, _, groups) in windows.items() if group in groups],
                }
                for group in ("web", "db", "files", "batch")
            },
            "changeFreezes": {"new-year": {"start": "2027-04-01", "end": "2027-04-08", "timezone": zone}},
        }
        return validate(raw, "test")

    start = datetime(2027, 3, 20, tzinfo=UTC)
    found = merge(
        [
            occurrences(stack("acme", "Europe/London"), start, 6, region="eu-west-1"),
            occurrences(stack("globex", "America/New_York"), start, 6, region="us-east-1"),
        ]
    )
    expected = _every_pair_overlaps(found)
    assert len({(o.first.stack, o.patch_group) for o in expected}) >= 4  # both stacks, several groups
    assert overlaps(found) == expected


@pytest.mark.parametrize("path", BAD_STACKS, ids=lambda p: p.name[len("Pulumi.") : -len(".yaml")])
def test_a_stack_that_fails_validate_fails_the_calendar_with_the_same_lines(capsys, path):
    # The calendar loads stacks without looking for warnings: every error still stops it.
    with pytest.raises(ConfigError) as info:
        check_stack(path)
    assert main(["calendar", str(path), "--start", "2027-01-04"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.splitlines() == info.value.lines()


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(alphabet=st.sampled_from("ab \\^,;:é€"), max_size=400) | st.text(alphabet="ab\\^", max_size=400))
@example("a" * 73 + "\\" + "b" * 80)  # a backslash where the fold falls
@example("a" * 72 + "^^" + "b" * 80)
@example("\\" * 200)
@example("x" * 74)
@example("x" * 75)
def test_content_lines_are_folded_where_the_icalendar_library_folds_them(line):
    from icalendar.parser import Contentline

    from patching_components.calendar import _fold

    assert _fold(line) == Contentline(line).to_ical().decode("utf-8")  # what the library writes
