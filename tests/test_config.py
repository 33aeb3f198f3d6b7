"""The stack config model: defaults, per-OS rules, schedules, error reporting."""

import botocore.session
import pytest
from hypothesis import strategies as st

from conftest import EXAMPLE_STACKS, quick_and_full
from patching_components.aws.schedule import ScheduleError, parse_schedule
from patching_components.checks import refuse_unbuildable
from patching_components.config import ConfigError, load_stack_file, validate
from tests import aws_patch_filters


def base(**baseline):
    return {
        "customer": "acme",
        "baselines": {"b": {"operatingSystem": "AMAZON_LINUX_2023", **baseline}},
        "patchGroups": {"g": {"baselines": ["b"]}},
    }


def messages(raw):
    with pytest.raises(ConfigError) as info:
        validate(raw, "stacks/Pulumi.test.yaml")
    return info.value.lines()


@pytest.mark.parametrize("path", EXAMPLE_STACKS, ids=lambda p: p.name)
def test_example_stacks_are_valid(path):
    config = load_stack_file(path)
    assert config.customer == path.name.split(".")[1]


def test_defaults_are_security_only_and_safe():
    config = validate(base(), "x")
    baseline = config.baselines["b"]
    assert config.mode == "install"
    assert config.patch_group_tag_key == "Patch Group"
    assert baseline.compliance_level == "CRITICAL"
    assert baseline.enable_non_security is False
    assert baseline.rejected_patches_action == "ALLOW_AS_DEPENDENCY"
    assert baseline.effective_approve_after_days == 7


def test_ubuntu_gets_no_approval_delay():
    raw = base()
    raw["baselines"]["b"] = {"operatingSystem": "UBUNTU"}
    assert validate(raw, "x").baselines["b"].effective_approve_after_days is None


def test_approve_until_date_replaces_the_default_delay():
    baseline = validate(base(approveUntilDate="2026-12-01"), "x").baselines["b"]
    assert baseline.effective_approve_after_days is None
    assert baseline.approve_until_date.isoformat() == "2026-12-01"


def test_every_error_names_file_and_key_path():
    raw = base(severities=["Critical", "Huge"], complianceLevel="SEVERE")
    raw["maintenanceWindows"] = {
        "w": {"schedule": "cron(0 2 * * *)", "durationHours": 2, "cutoffHours": 1, "operation": "Scan"}
    }
    raw["patchGroups"]["g"]["maintenanceWindows"] = ["w"]
    lines = messages(raw)
    assert any(
        line.startswith(
            "stacks/Pulumi.test.yaml: patching:baselines.b.complianceLevel: got 'SEVERE' (text); "
            "allowed: one of: CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNSPECIFIED"
        )
        for line in lines
    ), lines
    assert any("patching:maintenanceWindows.w.schedule: invalid AWS cron expression" in line for line in lines)


def test_os_rule_errors_are_all_reported():
    lines = messages(base(severities=["Huge", "Critical", "Tiny"], classifications=["Security", "Security"]))
    assert [line.split(": ", 2)[1] for line in lines] == [
        "patching:baselines.b.classifications[1]",
        "patching:baselines.b.severities[0]",
        "patching:baselines.b.severities[2]",
    ]


def test_maxerrors_accepts_a_yaml_number():
    raw = base()
    raw["maintenanceWindows"] = {
        "w": {"schedule": "rate(1 day)", "durationHours": 2, "cutoffHours": 1, "operation": "Install", "maxErrors": 1}
    }
    raw["patchGroups"]["g"]["maintenanceWindows"] = ["w"]
    assert validate(raw, "x").maintenance_windows["w"].max_errors == "1"


def test_patch_group_names_follow_the_aws_pattern():
    raw = base()
    raw["patchGroups"] = {"web servers/eu": {"baselines": ["b"]}, "bad#name": {"baselines": ["b"]}}
    lines = messages(raw)
    assert len(lines) == 1 and "patching:patchGroups['bad#name']: invalid name 'bad#name'" in lines[0]


def test_disabled_mode_needs_no_baselines():
    assert validate({"customer": "acme", "mode": "disabled"}, "x").mode == "disabled"


SSM = botocore.session.get_session().get_service_model("ssm")
AWS_OPERATING_SYSTEMS = sorted(SSM.shape_for("OperatingSystem").enum)
"""AWS's list (botocore's SSM model), not the package's: an OS AWS adds fails the test below until it is handled."""
NO_UPDATE_NOTICES = {"CENTOS"}
"""A rule without enableNonSecurity approves nothing there, an error ("How security patches are selected",
CentOS tab: https://docs.aws.amazon.com/systems-manager/latest/userguide/patch-manager-selecting-patches.html)."""


def test_the_answer_key_covers_what_aws_has():
    """tests/aws_patch_filters.py, the expected values below, names every OS and only filter keys AWS has."""
    assert set(aws_patch_filters.BY_OS) == set(AWS_OPERATING_SYSTEMS)
    filter_keys = set(SSM.shape_for("PatchFilterKey").enum)
    for os_name, aws in aws_patch_filters.BY_OS.items():
        assert set(aws.keys.values()) <= filter_keys, os_name
        assert set(aws.keys) == set(aws.fields), os_name


def allowed_in(line: str) -> list[str]:
    """The values an error message offers ("...; allowed: A, B, C" up to the next "; ")."""
    return line.split("allowed: ", 1)[1].split("; ", 1)[0].split(", ")


def any_allowed_values_validate_and_others_fail(data, os_name):
    aws = aws_patch_filters.BY_OS[os_name]
    field = data.draw(st.sampled_from(sorted(aws.fields)))
    allowed = aws.fields[field]
    values = data.draw(st.lists(st.sampled_from(allowed), min_size=1, unique=True))
    raw = base(**{field: values})
    raw["baselines"]["b"]["operatingSystem"] = os_name
    if os_name in NO_UPDATE_NOTICES:
        raw["baselines"]["b"]["enableNonSecurity"] = True
    config = validate(raw, "x")
    assert getattr(config.baselines["b"], field) == values

    wrong = data.draw(st.text(alphabet="abcdefghXYZ", min_size=1, max_size=8).filter(lambda v: v not in allowed))
    raw["baselines"]["b"][field] = [*values, wrong]
    (line,) = messages(raw)
    assert f"patching:baselines.b.{field}[{len(values)}]: {wrong!r} is not a {aws.keys[field]} value" in line
    assert sorted(allowed_in(line)) == sorted(allowed)


test_any_allowed_values_validate_and_others_fail, test_any_allowed_values_validate_and_others_fail_full = (
    quick_and_full(
        any_allowed_values_validate_and_others_fail,
        data=st.data(),
        os_name=st.sampled_from(AWS_OPERATING_SYSTEMS),
        quick=20,
        full=60,
        settings={"deadline": None},
    )
)


@pytest.mark.parametrize(
    "expression",
    [
        "cron(0 4 ? * MON#1 *)",
        "cron(0 1 * * ? *)",
        "cron(0 3 L * ? *)",
        "cron(0 3 15W * ? *)",
        "cron(0 3 ? * 6L *)",
        "cron(0/15 * ? * MON-FRI 2026-2030)",
        "rate(1 day)",
        "rate(12 hours)",
        "rate(30 minutes)",
    ],
)
def test_aws_schedules_accepted(expression):
    assert parse_schedule(expression).kind == expression.split("(")[0]


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("cron(0 2 * * *)", "6 required, 5 provided"),
        ("cron(0 2 * * SUN *)", "One must be a question mark"),
        ("cron(0 2 ? * SUN#6 *)", "Invalid day-of-week"),
        ("cron(60 2 ? * SUN *)", "Invalid minute value '60'"),
        ("rate(1 days)", "write rate(1 day)"),
        ("rate(2 weeks)", "expected rate(N minutes|hours|days)"),
        ("0 2 * * *", "expected an AWS expression such as"),
    ],
)
def test_non_aws_schedules_rejected(expression, fragment):
    with pytest.raises(ScheduleError, match=None) as info:
        parse_schedule(expression)
    assert fragment in str(info.value)


def test_a_stack_config_built_in_python_is_valid_by_construction():
    """Cross-references run inside the model: no StackConfig names a missing baseline or window."""
    from pydantic import ValidationError

    from patching_components import CustomerPatching
    from patching_components.config import StackConfig
    from patching_components.tools.engine import ProgramError
    from tests.engine import run_program

    raw = {
        "customer": "acme",
        "baselines": {"al2023": {"operatingSystem": "AMAZON_LINUX_2023"}},
        "patchGroups": {"acme-web": {"baselines": ["al2023", "ubuntu"], "maintenanceWindows": ["nightly"]}},
    }
    with pytest.raises(ValidationError) as info:
        StackConfig.model_validate(raw)
    assert [(e["loc"], e["msg"]) for e in info.value.errors()] == [
        (("patchGroups", "acme-web", "baselines", 1), "unknown baseline 'ubuntu' (defined: al2023)"),
        (("patchGroups", "acme-web", "maintenanceWindows", 0), "unknown maintenance window 'nightly' (defined: none)"),
    ]
    args = {
        "customer": "acme",
        "baselines": {"al2023": {"operating_system": "AMAZON_LINUX_2023"}},
        "patch_groups": {"acme-web": {"baselines": ["al2023", "ubuntu"], "maintenance_windows": ["nightly"]}},
    }
    with pytest.raises(ProgramError) as failed:
        run_program({}, stack="hand-built", program=lambda: CustomerPatching("acme", args))
    assert failed.value.resources == []
    assert "CustomerPatching 'acme': patch_groups.acme-web.baselines[1]: unknown baseline 'ubuntu'" in str(failed.value)


# ---------------------------------------------------------------------------
# Issue 26, items 11-15 and 19-22: schedules, regions and messages

import textwrap  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

import time_machine  # noqa: E402

from patching_components.checks import check_stack  # noqa: E402

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
WINDOW = {"schedule": "cron(0 2 ? * SUN *)", "durationHours": 3, "cutoffHours": 1, "operation": "Scan"}


def stack_file(directory: Path, name: str, body: str) -> Path:
    path = directory / f"Pulumi.{name}.yaml"
    path.write_text(textwrap.dedent(body).lstrip())
    return path


def one_window(directory: Path, schedule: str, timezone: str = "UTC", region: str = "eu-west-1") -> Path:
    return stack_file(
        directory,
        "acme",
        f"""
        config:
          aws:region: {region}
          patching:customer: acme
          patching:baselines:
            al2023:
              operatingSystem: AMAZON_LINUX_2023
          patching:maintenanceWindows:
            nightly:
              schedule: {schedule}
              timezone: {timezone}
              durationHours: 3
              cutoffHours: 1
              operation: Scan
          patching:patchGroups:
            web:
              baselines: [al2023]
              maintenanceWindows: [nightly]
        """,
    )


def warning_lines(path: Path) -> list[str]:
    return [f"{w.line}: {w.key_path()}: {w.message}" for w in check_stack(path).warnings]


@time_machine.travel(NOW, tick=False)
@pytest.mark.parametrize(
    ("schedule", "why"),
    [
        ("at(2026-11-30T02:00:00)", "at(2026-11-30T02:00:00) in UTC has passed"),
        ("cron(0 2 ? * SUN 2025)", "cron(0 2 ? * SUN 2025) has no date after 2026-12-01"),
    ],
)
def test_a_schedule_that_has_passed_is_a_warning_naming_line_and_fix(tmp_path, schedule, why):
    (line,) = [w for w in warning_lines(one_window(tmp_path, schedule)) if "never opens again" in w]
    assert line == (
        f"9: patching:maintenanceWindows.nightly.schedule: never opens again: {why}; "
        "remove it or give a schedule that opens in the future"
    )


@time_machine.travel(NOW, tick=False)
def test_a_schedule_passes_with_time_and_an_impossible_date_never_opened(tmp_path):
    # at() a day ahead: fine today, a warning the day after; 30 February never existed: an error.
    path = one_window(tmp_path, "at(2026-12-02T02:00:00)")
    assert not [w for w in warning_lines(path) if "never opens" in w]
    with time_machine.travel(datetime(2026, 12, 2, 3, tzinfo=UTC), tick=False):
        assert [w for w in warning_lines(path) if "never opens again" in w]
    lines = messages({**base(), "maintenanceWindows": {"w": {**WINDOW, "schedule": "cron(0 0 30 2 ? *)"}}})
    assert any("never opens: cron(0 0 30 2 ? *) names no date between 1970 and 2199" in line for line in lines)


@time_machine.travel(NOW, tick=False)
def test_the_program_logs_a_passed_schedule_instead_of_failing():
    from conftest import run_config

    raw = {**base(), "maintenanceWindows": {"w": {**WINDOW, "schedule": "at(2026-01-01T00:00:00)"}}}
    raw["patchGroups"]["g"]["maintenanceWindows"] = ["w"]
    run = run_config({**raw, "aws:region": "eu-west-1"})
    assert any("maintenanceWindows.w.schedule: never opens again" in w for w in run.warnings), run.warnings
    assert any(r.type == "aws:ssm/maintenanceWindow:MaintenanceWindow" for r in run.resources)


@pytest.mark.parametrize(
    ("timezone", "meant"),
    [
        ("EST", "America/New_York"),
        ("MST", "America/Denver"),
        ("HST", "Pacific/Honolulu"),
        ("EST5EDT", "America/New_York"),
        ("CST6CDT", "America/Chicago"),
    ],
)
def test_zones_without_a_places_daylight_saving_warn_with_the_zone_meant(tmp_path, timezone, meant):
    (line,) = [w for w in warning_lines(one_window(tmp_path, "cron(0 2 ? * SUN *)", timezone)) if "timezone" in w]
    assert line.startswith(f"10: patching:maintenanceWindows.nightly.timezone: {timezone} is a ")
    assert line.endswith(f"e.g. {meant}")


def test_etc_gmt_zones_warn_with_their_real_offset(tmp_path):
    # POSIX signs: Etc/GMT+5 is five hours *behind* UTC (tzdata's etcetera file).
    (line,) = [w for w in warning_lines(one_window(tmp_path, "cron(0 2 ? * SUN *)", "Etc/GMT+5")) if "timezone" in w]
    assert "Etc/GMT+5 is a fixed UTC-5" in line
    assert not [w for w in warning_lines(one_window(tmp_path, "cron(0 2 ? * SUN *)", "Europe/London"))]


@pytest.mark.parametrize(
    ("timezone", "expected", "not_expected"),
    [
        ("CST", "'CST' is an abbreviation, not an IANA zone: give the place's zone, e.g. America/Chicago", "UCT"),
        ("PST", "e.g. America/Los_Angeles", "PST8PDT"),
        ("UTC+1", "a fixed UTC+1 is Etc/GMT-1 (Etc/ signs are inverted: Etc/GMT-1 is UTC+1)", "did you mean"),
        ("GMT-3", "a fixed UTC-3 is Etc/GMT+3", "did you mean"),
    ],
)
def test_abbreviations_and_offsets_are_errors_that_say_what_is_meant(timezone, expected, not_expected):
    (line,) = messages({**base(), "maintenanceWindows": {"w": {**WINDOW, "timezone": timezone}}})[:1]
    assert line.startswith("stacks/Pulumi.test.yaml: patching:maintenanceWindows.w.timezone: ")
    assert expected in line and not_expected not in line


@pytest.mark.parametrize(
    ("day_of_week", "aws_days"),
    # AWS: "Day-of-week 1-7 or SUN-SAT" (Reference: Cron and rate expressions for Systems Manager).
    [("1", "SUN"), ("7", "SAT"), ("2-6", "MON-FRI"), ("1,7", "SUN,SAT"), ("6#3", "FRI#3")],
)
def test_numeric_days_of_week_warn_with_the_days_aws_uses(tmp_path, day_of_week, aws_days):
    lines = [w for w in warning_lines(one_window(tmp_path, f"cron(0 2 ? * {day_of_week} *)")) if "day of week" in w]
    assert lines == [
        f"9: patching:maintenanceWindows.nightly.schedule: day of week '{day_of_week}': AWS counts 1-7 from "
        f"Sunday (7 is Saturday, not Sunday as in Unix cron), so this runs on {aws_days}; write the names: "
        f"cron(0 2 ? * {aws_days} *)"
    ]


def test_named_days_of_week_do_not_warn_and_the_calendar_agrees_with_aws(tmp_path):
    from patching_components.calendar import schedule_starts

    assert not warning_lines(one_window(tmp_path, "cron(0 2 ? * MON#1 *)"))
    # 7 is Saturday in AWS cron: every opening falls on a Saturday (Python: Monday 0 ... Saturday 5).
    starts = schedule_starts("cron(0 2 ? * 7 *)", "UTC", NOW, datetime(2027, 1, 1, tzinfo=UTC))
    assert starts and {s.weekday() for s in starts} == {5}


# -- regions ------------------------------------------------------------------


def region_stack(directory: Path, aws_region: str | None, regions: str | None, kms_region: str = "") -> Path:
    lines = ["config:"]
    if aws_region is not None:
        lines.append(f"  aws:region: {aws_region}")
    lines += [
        "  patching:customer: acme",
        "  patching:baselines:",
        "    al2023: {operatingSystem: AMAZON_LINUX_2023}",
        "  patching:patchGroups:",
        "    web: {baselines: [al2023]}",
    ]
    if regions is not None:
        lines.append(f"  patching:regions: {regions}")
    if kms_region:
        lines += [
            "  patching:goldenAmis:",
            "    base:",
            "      platform: Linux",
            "      sourceAmiId: ami-0123456789abcdef0",
            "      patchGroup: web",
            f"      kmsKeyArn: arn:aws:kms:{kms_region}:111122223333:key/0000",
        ]
    path = directory / "Pulumi.acme.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def stack_errors(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as info:
        check_stack(path)
    return info.value.lines()


@pytest.mark.parametrize(
    ("written", "hint"),
    [("EU-WEST-1", "'eu-west-1'"), ("eu-west-1a", "'eu-west-1'"), ("'*'", None), ("'eu-west-1 '", "'eu-west-1'")],
)
def test_aws_region_is_checked_in_a_one_region_stack(tmp_path, written, hint):
    path = region_stack(tmp_path, written, None)
    (line,) = stack_errors(path)
    assert line.startswith(f"{path}:2: aws:region: ")
    assert "is not an AWS region (e.g. eu-west-1, us-east-1: lower case, no availability-zone letter)" in line
    assert (f"did you mean {hint}?" in line) if hint else ("did you mean" not in line)


def test_several_regions_need_an_explicit_aws_region(tmp_path):
    (line,) = stack_errors(region_stack(tmp_path, None, "[eu-west-1, us-east-1]"))
    assert ":7: patching:regions: several regions and no aws:region" in line
    assert line.endswith("set aws:region: eu-west-1 (the first region)")
    check_stack(region_stack(tmp_path, "eu-west-1", "[eu-west-1, us-east-1]"))  # explicit: valid


def test_a_kms_key_of_another_region_is_an_error_also_without_patching_regions(tmp_path):
    (line,) = stack_errors(region_stack(tmp_path, "eu-west-1", None, kms_region="us-east-1"))
    assert "patching:goldenAmis.base.kmsKeyArn: the key is not in eu-west-1, where the pipeline builds" in line
    check_stack(region_stack(tmp_path, "eu-west-1", None, kms_region="eu-west-1"))


# -- a copied stack --------------------------------------------------------------


def test_a_copied_stack_that_kept_the_customer_warns(tmp_path):
    original = Path(EXAMPLE_STACKS[0])  # acme
    text = original.read_text()
    (tmp_path / original.name).write_text(text)
    copy = tmp_path / "Pulumi.globex.yaml"
    copy.write_text(text)
    (tmp_path / "Pulumi.acme-staging.yaml").write_text(text)  # acme's own second stack: fine
    (line,) = [w for w in warning_lines(copy) if "patching:customer" in w]
    assert line.startswith("4: patching:customer: 'acme' is not this stack's name (globex) and is also the customer")
    assert "Pulumi.acme.yaml (acme-dev, acme-web)" in line and line.endswith("set this customer's id")
    assert not [w for w in warning_lines(tmp_path / "Pulumi.acme-staging.yaml") if "patching:customer" in w]
    other_groups = text.replace("acme-web", "globex-web").replace("acme-dev", "globex-dev")
    copy.write_text(other_groups)  # no patch group in common: not the same fleet
    assert not [w for w in warning_lines(copy) if "patching:customer" in w]


# -- values accepted before, and wrong ------------------------------------------------


@pytest.mark.parametrize(
    ("where", "value", "expected"),
    [
        (
            ("logging", "retentionDays"),
            True,
            "patching:logging.retentionDays: true is a boolean: give a whole number 1-3650",
        ),
        (
            ("maintenanceWindows", "w", "scheduleOffset"),
            True,
            "patching:maintenanceWindows.w.scheduleOffset: true is a boolean: give a whole number 1-6",
        ),
        (
            ("maintenanceWindows", "w", "durationHours"),
            False,
            "patching:maintenanceWindows.w.durationHours: false is a boolean: give a whole number 1-24",
        ),
        (
            ("maintenanceWindows", "w", "schedule"),
            "rate(0001 day)",
            "invalid rate expression 'rate(0001 day)': write the count without leading zeros, rate(1 day)",
        ),
    ],
)
def test_values_that_were_read_as_something_else_are_errors(where, value, expected):
    raw = {**base(), "maintenanceWindows": {"w": dict(WINDOW, schedule="cron(0 2 ? * SUN#2 *)")}, "logging": {}}
    raw["patchGroups"]["g"]["maintenanceWindows"] = ["w"]
    parent = raw
    for step in where[:-1]:
        parent = parent[step]
    parent[where[-1]] = value
    assert any(expected in line for line in messages(raw)), messages(raw)


def test_lengths_are_counted_in_utf16_code_units():
    astral = "\U0001d400"  # MATHEMATICAL BOLD CAPITAL A: a letter (\p{L}), 2 UTF-16 code units
    fits = {**base(), "tags": {"Owner": astral * 128}}
    validate(fits, "x")  # 256 units
    lines = messages({**base(), "tags": {"Owner": astral * 129}})
    assert any("is 258 UTF-16 code units long" in line and "AWS takes at most 256" in line for line in lines)
    group = astral * 129
    lines = messages({**base(), "patchGroups": {group: {"baselines": ["b"]}}})
    assert any("258 UTF-16 code units" in line for line in lines), lines


def test_a_change_calendar_over_ssms_document_limit_is_an_error():
    # CreateDocument's Content "must not exceed 64KB" (botocore's SSM model documentation).
    from datetime import date, timedelta

    def freezes(count):
        days = [date(2030, 1, 1) + timedelta(days=2 * i) for i in range(count)]
        return {f"f{i}": {"start": str(d), "end": str(d + timedelta(days=1))} for i, d in enumerate(days)}

    # The model takes any number; the calendar as built is checked by what validate and the program both run.
    refuse_unbuildable(validate({**base(), "changeFreezes": freezes(200)}, "x"), "x")
    config = validate({**base(), "changeFreezes": freezes(300)}, "x")
    with pytest.raises(ConfigError) as info:
        refuse_unbuildable(config, "stacks/Pulumi.test.yaml")
    (line,) = info.value.lines()
    assert "patching:changeFreezes: 300 freezes make a Change Calendar of " in line
    assert "SSM takes a document of at most 64,000 (CreateDocument)" in line


@pytest.mark.parametrize("start", ["0001-01-01", "9999-12-30", "1969-12-31T23:00"])
def test_freezes_outside_the_years_aws_schedules_take_are_errors(start):
    lines = messages({**base(), "changeFreezes": {"x": {"start": start, "end": "2027-01-01"}}})
    assert lines == [
        f"stacks/Pulumi.test.yaml: patching:changeFreezes.x.start: '{start}': the year must be 1970-2199 "
        "(the years AWS schedules take)"
    ]


@pytest.mark.parametrize(
    ("timezone", "start", "end", "gap", "instants"),
    [
        # London skips 01:00-02:00 GMT on 2027-03-28 (BST from 01:00 UTC): 01:30 is read as 01:30 GMT,
        # i.e. 01:30 UTC (02:30 BST), after 02:15 BST = 01:15 UTC.
        (
            "Europe/London",
            "2027-03-28T01:30",
            "2027-03-28T02:15",
            "the hour 01:00-02:00 that Europe/London skips on 2027-03-28",
            "start is 2027-03-28 01:30 UTC (02:30 BST) and end 2027-03-28 01:15 UTC (02:15 BST)",
        ),
        # New York skips 02:00-03:00 EST on 2027-03-14: 02:30 EST = 07:30 UTC; 03:15 EDT (UTC-4) = 07:15 UTC.
        (
            "America/New_York",
            "2027-03-14T02:30",
            "2027-03-14T03:15",
            "the hour 02:00-03:00 that America/New_York skips on 2027-03-14",
            "start is 2027-03-14 07:30 UTC (03:30 EDT) and end 2027-03-14 07:15 UTC (03:15 EDT)",
        ),
        # Lord Howe Island goes from +10:30 to +11 at 02:00 on 2027-10-03: 02:15 at +10:30 = 15:45 UTC the day
        # before, 02:40 at +11 = 15:40 UTC.
        (
            "Australia/Lord_Howe",
            "2027-10-03T02:15",
            "2027-10-03T02:40",
            "the 30 minutes 02:00-02:30 that Australia/Lord_Howe skips on 2027-10-03",
            "start is 2027-10-02 15:45 UTC (02:45 +11) and end 2027-10-02 15:40 UTC (02:40 +11)",
        ),
    ],
)
def test_a_freeze_ending_before_its_start_in_a_dst_gap_is_an_error(timezone, start, end, gap, instants):
    lines = messages({**base(), "changeFreezes": {"x": {"start": start, "end": end, "timezone": timezone}}})
    assert lines == [
        f"stacks/Pulumi.test.yaml: patching:changeFreezes.x.end: end ({end}) must be after start ({start}): "
        f"start falls in {gap}, so {instants}; give a start outside that gap"
    ]


def test_a_freeze_is_checked_by_the_instants_its_times_map_to():
    from datetime import UTC, datetime

    # 01:30 in London's gap is 01:30 UTC, 02:45 BST is 01:45 UTC: a quarter of an hour.
    freezes = {"x": {"start": "2027-03-28T01:30", "end": "2027-03-28T02:45", "timezone": "Europe/London"}}
    first, last = validate({**base(), "changeFreezes": freezes}, "x").change_freezes["x"].interval()
    assert (first.astimezone(UTC), last.astimezone(UTC)) == (
        datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
        datetime(2027, 3, 28, 1, 45, tzinfo=UTC),
    )
    # An end before the start on the wall clock stays an error, named as before.
    freezes["x"] = {"start": "2027-03-28T03:30", "end": "2027-03-28T02:45", "timezone": "Europe/London"}
    assert messages({**base(), "changeFreezes": freezes}) == [
        "stacks/Pulumi.test.yaml: patching:changeFreezes.x.end: end (2027-03-28T02:45) must be after start "
        "(2027-03-28T03:30)"
    ]


# -- messages ---------------------------------------------------------------------------


def test_long_values_are_cut_with_their_length():
    value = "x" * 100_000
    for where in ("timezone", "schedule", "durationHours"):
        lines = messages({**base(), "maintenanceWindows": {"w": {**WINDOW, where: value}}})
        line = next(line for line in lines if f"w.{where}" in line)
        assert len(line) < 400, line[:500]
        assert "xxx... (100000 characters)" in line or "is 100000 characters long" in line


def test_the_same_mistake_in_many_list_items_is_one_line_naming_the_indexes():
    lines = messages({**base(), "regions": ["eu-west-1"] + ["mars-1"] * 998 + ["eu-west-2", "moon-1"]})
    assert lines == [
        "stacks/Pulumi.test.yaml: patching:regions[1]: 'mars-1' is not an AWS region (e.g. eu-west-1, us-east-1)"
        " (the same for 999 items: indexes 1-998, 1000)"
    ]
    few = messages({**base(), "regions": ["mars-1", "moon-1"]})
    assert len(few) == 2  # two are two lines


@pytest.mark.parametrize(
    ("where", "value", "allowed"),
    [
        (("logging",), "yes", "a map of settings (keys: s3Bucket, s3Prefix, retentionDays"),
        (("logging", "retentionDays"), "90 days", "a whole number 1-3650"),
        (("logging", "retentionDays"), 1.5, "a whole number 1-3650"),
        (("baselines",), ["b"], "a map of name: value"),
        (("baselines", "b", "default"), "yes", "true or false"),
        (("baselines", "b", "approvedPatches"), "KB1", "a list of at most 50 items of text (1-100 characters)"),
        (("mode",), "Install", "one of: install, scan-only, disabled; did you mean 'install'?"),
        (("tags", "Owner"), 5, "text (0-256 characters, matching"),
    ],
)
def test_type_errors_name_what_is_allowed_and_no_class(where, value, allowed):
    raw = {**base(), "logging": {}}
    parent = raw
    for step in where[:-1]:
        parent = parent.setdefault(step, {})
    parent[where[-1]] = value
    lines = messages(raw)
    line = next(line for line in lines if "patching:" + ".".join(where) + ":" in line)
    assert f"allowed: {allowed}" in line
    assert "Config" not in line and "Input should be" not in line and "instance of" not in line


def test_a_cron_error_names_the_field_and_every_fields_range():
    from patching_components.aws.schedule import ScheduleError, parse_schedule

    with pytest.raises(ScheduleError) as info:
        parse_schedule("cron(0 25 ? * SUN *)")
    message = str(info.value)
    assert message.startswith("invalid AWS cron expression 'cron(0 25 ? * SUN *)': Invalid hour value '25'; ")
    assert "hour 0-23" in message and "day-of-week 1-7 (1 is Sunday)" in message
