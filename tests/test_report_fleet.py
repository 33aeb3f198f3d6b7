"""`patching report --fleet` over saved `--format json` reports (offline): risk order, totals that are the
sum of the parts, unreadable inputs first and failing, every format. Inputs are made by hand below."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from patching_components.tools import cli
from patching_components.tools.report_fleet import FIGURES, build, parse_expect, read_saved, render, row_of


def node(status):
    return {"status": status}


def report(customer, statuses, gaps=0, sla=None, pipelines=(), ok=None):
    compliant = sum(1 for s in statuses if s == "compliant")
    data = {
        "schemaVersion": 2,
        "account": {"id": f"{len(customer):012d}", "principal": "arn:aws:sts::1:assumed-role/r/s"},
        "customer": customer,
        "stack": customer,
        "generatedAt": "2026-12-01T09:00:00+00:00",
        "since": "2026-10-31T09:00:00+00:00",
        "regions": ["eu-west-1"],
        "stackRegions": ["eu-west-1"],
        "regionsNarrowed": False,
        "summary": {
            "nodes": len(statuses),
            "compliant": compliant,
            "nonCompliant": len(statuses) - compliant,
            "statuses": {},
            "gaps": gaps,
            "ok": ok if ok is not None else (compliant == len(statuses) > 0 and not gaps),
        },
        "nodes": [node(s) for s in statuses],
        "gaps": [],
        "windows": [],
        "pipelines": list(pipelines),
        "meanings": {},
    }
    if sla is not None:
        data["sla"] = sla
    return data


def sla(breaches, gap_counts=(), ok=None, month="2026-11"):
    return {
        "month": month,
        "slaDays": {"Critical": 7},
        "breaches": breaches,
        "gaps": [{"count": n} for n in gap_counts],
        "ok": ok if ok is not None else (breaches == 0 and not gap_counts),
    }


def pipeline(image="ami-1", status="Success", age=3, success_age=None):
    """A pipeline as the report's JSON gives it: its last build (``status``, ``age`` days old) and its newest
    successful one (the last build when it succeeded, else ``success_age`` days old; None: none listed)."""
    success_age = age if status == "Success" else success_age
    return {
        "imageId": image,
        "lastBuild": None if status is None else {"status": status, "ageDays": age},
        "lastSuccess": None if success_age is None else {"ageDays": success_age},
    }


# By hand: acme 3 nodes (2 non-compliant: one not-managed, one failed), 1 gap, SLA 2 breaches and a gap of 4,
# one stale AMI (40 days) and one fresh; globex 4 nodes, 1 non-compliant (no-patch-group), SLA 5 breaches;
# initech 2 nodes all compliant, SLA read clean, a pipeline whose last build failed (a golden-ami-build-failed gap:
# report_deployment.pipelines); umbrella 2 nodes, 2 non-compliant (never-scanned, stale-scan), no SLA read.
ACME = report(
    "acme",
    ["compliant", "not-managed", "failed"],
    gaps=1,
    sla=sla(2, (4,)),
    pipelines=[pipeline(age=40), pipeline(age=3)],
)
GLOBEX = report("globex", ["compliant", "compliant", "compliant", "no-patch-group"], sla=sla(5))
INITECH = report("initech", ["compliant", "compliant"], gaps=1, sla=sla(0), pipelines=[pipeline(status="Failed")])
CLEAN = report("initech", ["compliant", "compliant"], sla=sla(0), pipelines=[pipeline()])
"""initech with its pipeline's last build a success 3 days ago: nothing to fix."""
UMBRELLA = report("umbrella", ["never-scanned", "stale-scan"])

TOTALS = {
    "nodes": 3 + 4 + 2 + 2,
    "compliant": 1 + 3 + 2 + 0,
    "nonCompliant": 2 + 1 + 0 + 2,
    "uncovered": 1 + 1 + 0 + 0,
    "gaps": 1 + 1,
    "slaBreaches": 2 + 5,
    "slaGaps": 4,
    "staleAmis": 1 + 1,
}


def fleet_of(*reports):
    return build([(f"{r['customer']}.json", r) for r in reports])


def test_rows_are_the_hand_counted_figures():
    assert row_of(ACME, "a").figures == {
        "nodes": 3,
        "compliant": 1,
        "nonCompliant": 2,
        "uncovered": 1,
        "gaps": 1,
        "slaBreaches": 2,
        "slaGaps": 4,
        "staleAmis": 1,
    }
    assert row_of(INITECH, "i").figures["staleAmis"] == 1  # its last build failed
    assert not row_of(INITECH, "i").ok and not row_of(ACME, "a").ok and row_of(CLEAN, "i").ok


def test_totals_equal_the_sum_of_the_parts():
    fleet = fleet_of(ACME, GLOBEX, INITECH, UMBRELLA)
    assert fleet.totals() == TOTALS
    for key in FIGURES:
        assert fleet.totals()[key] == sum(r.figures[key] for r in fleet.rows)
    data = json.loads(render(fleet, "json"))
    assert data["totals"] == TOTALS
    assert {k: sum(c[k] for c in data["customers"]) for k in FIGURES} == TOTALS


def test_customers_are_ordered_by_risk():
    # non-compliant: acme 2, umbrella 2, globex 1, initech 0; acme before umbrella on SLA breaches (2 > 0).
    fleet = fleet_of(INITECH, GLOBEX, UMBRELLA, ACME)
    assert [r.customer for r in fleet.ordered()] == ["acme", "umbrella", "globex", "initech"]


def test_an_unreadable_input_comes_first_and_fails_the_fleet(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    old = tmp_path / "old.json"
    old.write_text(json.dumps({**INITECH, "schemaVersion": 1}))
    with pytest.raises(ValueError, match="cannot read it as JSON"):
        read_saved(broken)
    with pytest.raises(ValueError, match="schemaVersion 1"):
        read_saved(old)
    fleet = build([("initech.json", INITECH), ("broken.json", "cannot read it as JSON")])
    assert fleet.ordered()[0].error == "cannot read it as JSON"
    assert not fleet.ok
    assert fleet.totals()["nodes"] == 2  # an unreadable input adds nothing it does not know


def test_an_all_clean_fleet_is_ok():
    assert fleet_of(CLEAN).ok


def test_cli_over_saved_reports_writes_every_format_and_exits_3(tmp_path, capsys):
    files = []
    for data in (ACME, GLOBEX, INITECH, UMBRELLA):
        path = tmp_path / f"{data['customer']}.json"
        path.write_text(json.dumps(data))
        files.append(str(path))
    outs = [tmp_path / f"fleet.{ext}" for ext in ("md", "html", "csv", "json")]
    args = ["report", "--fleet", *files]
    for out in outs:
        args += ["--out", str(out)]
    assert cli.main(args) == 3
    md = outs[0].read_text()
    assert md.index("| acme |") < md.index("| umbrella |") < md.index("| globex |") < md.index("| initech |")
    assert "| **Total** | | | | **11** | **6** | **5** | **2** | **2** | **7** | **4** | **2** |" in md
    page = outs[1].read_text()
    assert page.count("<rect ") == 2 + 2 + 1 + 1  # a rect per non-zero part: acme 2, globex 2, initech 1, umbrella 1
    assert "<script" not in page
    rows = outs[2].read_text().splitlines()
    assert rows[-1] == "total,,,,,NOT OK,11,6,5,2,2,7,4,2"
    assert json.loads(outs[3].read_text())["ok"] is False


def test_cli_fleet_of_one_clean_report_exits_0(tmp_path, capsys):
    path = tmp_path / "initech.json"
    path.write_text(json.dumps(CLEAN))
    assert cli.main(["report", "--fleet", str(path), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"]["nodes"] == 2


def test_report_without_a_stack_file_or_fleet_is_a_usage_error(capsys):
    assert cli.main(["report"]) == 2
    assert "give STACK_FILE" in capsys.readouterr().err


def test_cli_fleet_reads_a_stack_file_live_as_the_single_report_does(monkeypatch, tmp_path, capsys):
    """acme read live (the report fixture's account, tests/report_fixture.py, with the SLA calls of
    tests/test_report_sla.py) next to initech's saved report. acme by hand: 7 nodes (web-1..5, the typo'd
    tag, the untagged one), 1 compliant; uncovered: i-0typo and i-0web4 (not managed), i-0loose (no patch
    group); SLA: 1 breach (the 30-day-old Critical finding on web-2), gaps i-0web4 (no patch data), web-1..5 (not
    measured: Inspector's coverage lists none of them) and web-1's undated Critical install (no release date: web-1
    is not scanned, so Inspector cannot date it), web-3 (offline) and web-5 (stopped through its window): old
    patch data (stale patch data): 9; the golden AMI's last build failed: 1 stale AMI."""
    import time_machine
    from aws_stubs import use_account
    from test_report_sla import ACME_BEFORE_RINGS, NOW, acme_account

    account = acme_account()
    use_account(monkeypatch, account)
    saved = tmp_path / "initech.json"
    saved.write_text(json.dumps(INITECH))
    acme = ACME_BEFORE_RINGS
    with time_machine.travel(NOW, tick=False):
        code = cli.main(["report", "--fleet", str(acme), str(saved), "--sla", "--month", "2026-11", "--format", "json"])
    assert code == 3
    account.assert_all_called()
    data = json.loads(capsys.readouterr().out)
    first, second = data["customers"]
    assert (first["customer"], second["customer"]) == ("acme", "initech")
    assert {k: first[k] for k in ("nodes", "compliant", "nonCompliant", "uncovered", "slaBreaches", "slaGaps")} == {
        "nodes": 7,
        "compliant": 1,
        "nonCompliant": 6,
        "uncovered": 3,
        "slaBreaches": 1,
        "slaGaps": 9,  # 1 no-patch-data + 5 not-measured + 1 no-release-date + 2 stale-patch-data (docstring)
    }
    assert first["staleAmis"] == 1 and first["slaRead"] is True and first["source"] == str(acme)
    assert data["totals"]["nodes"] == 7 + 2


def test_a_broken_stack_file_is_an_unreadable_row_first_not_a_crash(tmp_path, capsys):
    from conftest import ROOT

    saved = tmp_path / "initech.json"
    saved.write_text(json.dumps(CLEAN))
    broken = ROOT / "tests" / "bad_stacks" / "Pulumi.bad-sla.yaml"
    assert cli.main(["report", "--fleet", str(saved), str(broken), "--format", "json"]) == 3
    data = json.loads(capsys.readouterr().out)
    first = data["customers"][0]
    assert first["source"] == str(broken) and not first["ok"]
    assert "patching:sla.Critical: give a whole number of days" in first["error"]
    assert data["customers"][1]["customer"] == "initech"


# -- absence and age are never success ------------------------------------------------------------
# The saved reports above were generated 2026-12-01 09:00Z; MAX_AGE_DAYS is 7 (a week after the monthly run).
GENERATED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_clock():
    """The CLI reads saved reports against the clock: frozen two hours after they were written."""
    with time_machine.travel(GENERATED + timedelta(hours=2), tick=False):
        yield


def test_an_expected_stack_without_a_report_is_an_unreadable_row_first():
    """hooli's report job died before writing its JSON: the page names it, unreadable, and is not ok; the totals
    stay the sum of the rows read (hooli adds nothing it does not know)."""
    fleet = build(
        [(f"{r['customer']}.json", r) for r in (ACME, GLOBEX, INITECH, UMBRELLA)],
        expect=["acme", "globex", "hooli", "initech", "umbrella"],
        now=GENERATED,
    )
    first = fleet.ordered()[0]
    assert (first.stack, first.customer, first.source) == ("hooli", "?", "(none)")
    assert first.error.startswith("no report: this stack's report was expected (--expect)")
    assert len(fleet.rows) == 5 and not fleet.ok
    assert fleet.totals() == TOTALS
    for key in FIGURES:
        assert fleet.totals()[key] == sum(r.figures.get(key, 0) for r in fleet.rows)
    assert "| ? | hooli | ? | UNREADABLE: no report:" in render(fleet, "md")
    assert 'customer,?,hooli,?,(none),"UNREADABLE: no report:' in render(fleet, "csv")
    assert "UNREADABLE: no report:" in render(fleet, "html")
    assert json.loads(render(fleet, "json"))["customers"][0]["error"].startswith("no report:")


def test_an_expected_stack_whose_file_is_unreadable_is_one_row_not_two():
    fleet = build([("reports/hooli.json", "cannot read it as JSON")], expect=["hooli"], now=GENERATED)
    assert [(r.source, r.error) for r in fleet.rows] == [("reports/hooli.json", "cannot read it as JSON")]


def test_every_expected_stack_read_and_fresh_is_ok():
    assert build([("initech.json", CLEAN)], expect=["initech"], now=GENERATED).ok


@pytest.mark.parametrize(
    ("now", "stale"),
    [
        (GENERATED + timedelta(days=7), None),  # exactly 7 days: still this run's
        (GENERATED + timedelta(days=7, minutes=1), "7.0 days ago"),
        (GENERATED + timedelta(days=40), "40.0 days ago"),  # last month's green report
    ],
    ids=["7-days", "7-days-1-minute", "40-days"],
)
def test_a_saved_report_older_than_max_age_is_unreadable_stale(now, stale):
    fleet = build([("initech.json", CLEAN)], now=now)
    (row,) = fleet.rows
    if stale is None:
        assert row.error is None and fleet.ok
        return
    assert row.error.startswith("stale: generated 2026-12-01 09:00Z, " + stale)
    assert "more than --max-age-days 7" in row.error
    assert (row.customer, row.stack) == ("initech", "initech")  # named, but its figures are not counted
    assert not fleet.ok and fleet.totals()["nodes"] == 0
    assert fleet.ordered()[0] is row


def test_max_age_is_the_given_number_of_days():
    assert build([("initech.json", CLEAN)], now=GENERATED + timedelta(days=2), max_age_days=3).ok
    assert not build([("initech.json", CLEAN)], now=GENERATED + timedelta(days=4), max_age_days=3).ok


def test_a_saved_report_without_a_time_zone_is_malformed_not_fresh():
    fleet = build([("initech.json", INITECH | {"generatedAt": "2026-12-01T09:00:00"})], now=GENERATED)
    assert fleet.rows[0].error.startswith("malformed report: generatedAt") and not fleet.ok


def test_expect_takes_names_or_the_select_jobs_json_list():
    assert parse_expect(["acme,globex", "initech"]) == ["acme", "globex", "initech"]
    assert parse_expect(['["acme","globex"]']) == ["acme", "globex"]
    assert parse_expect(None) == [] and parse_expect(["[]"]) == []
    with pytest.raises(ValueError, match="not a JSON list of stack names"):
        parse_expect(["[acme"])


def test_cli_fleet_with_an_expected_stack_missing_exits_3(tmp_path, capsys):
    path = tmp_path / "initech.json"
    path.write_text(json.dumps(CLEAN))
    args = ["report", "--fleet", str(path), "--format", "json"]
    assert cli.main([*args, "--expect", '["initech"]']) == 0
    capsys.readouterr()
    assert cli.main([*args, "--expect", '["initech","hooli"]']) == 3
    data = json.loads(capsys.readouterr().out)
    assert [(c["stack"], c["ok"]) for c in data["customers"]] == [("hooli", False), ("initech", True)]
    assert data["ok"] is False and data["totals"]["nodes"] == 2


def test_cli_fleet_with_a_stale_saved_report_exits_3(tmp_path, capsys):
    path = tmp_path / "initech.json"
    path.write_text(json.dumps(CLEAN))
    with time_machine.travel(GENERATED + timedelta(days=3), tick=False):
        assert cli.main(["report", "--fleet", str(path), "--format", "json"]) == 0  # default 7 days
        capsys.readouterr()
        assert cli.main(["report", "--fleet", str(path), "--max-age-days", "2", "--format", "json"]) == 3
    (row,) = json.loads(capsys.readouterr().out)["customers"]
    assert row["error"].startswith("stale: generated 2026-12-01 09:00Z, 3.0 days ago (more than --max-age-days 2)")


def test_expect_and_max_age_without_fleet_are_usage_errors(capsys):
    assert cli.main(["report", "stacks/Pulumi.acme.yaml", "--expect", "acme"]) == 2
    assert "options of --fleet" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:  # argparse refuses it
        cli.main(["report", "--fleet", "x.json", "--max-age-days", "0"])
    assert exit_.value.code == 2 and "--max-age-days: give a whole number of days, 1-400" in capsys.readouterr().err


# -- a report is the customer's whole answer only for every region of its stack and the SLA month asked ------------


def test_partial_no_sla_and_another_months_sla_are_not_ok_with_the_reason_in_every_format(tmp_path, capsys):
    """The monthly page asks for November's SLA: contoso's report read eu-west-1 of its eu-west-1 and us-east-1
    (--region), fabrikam's has no SLA section (no --sla), acme's SLA is December's so far (a re-run without
    --month), hooli's was saved before stackRegions. Each is NOT OK and says why; initech's is the one right answer."""
    contoso = report("contoso", ["compliant"], sla=sla(0)) | {
        "stackRegions": ["eu-west-1", "us-east-1"],
        "regionsNarrowed": True,
    }
    fabrikam = report("fabrikam", ["compliant"])
    acme = report("acme", ["compliant"], sla=sla(0, month="2026-12"))
    hooli = {
        k: v
        for k, v in report("hooli", ["compliant"], sla=sla(0)).items()
        if k not in ("stackRegions", "regionsNarrowed")
    }
    files = []
    for data in (contoso, fabrikam, acme, hooli, CLEAN):
        path = tmp_path / f"{data['customer']}.json"
        path.write_text(json.dumps(data))
        files.append(str(path))
    outs = [tmp_path / f"fleet.{ext}" for ext in ("md", "html", "csv", "json")]
    args = [
        "report",
        "--fleet",
        *files,
        "--sla",
        "--month",
        "2026-11",
        "--expect",
        "contoso,fabrikam,acme,hooli,initech",
    ]
    assert cli.main([*args, *(a for out in outs for a in ("--out", str(out)))]) == 3
    why = {
        "contoso": "NOT OK; partial: read eu-west-1 only (--region), not the stack's us-east-1 (SLA 2026-11)",
        "fabrikam": "NOT OK; no SLA: --sla asks for 2026-11's, and the report was saved without --sla (no SLA read)",
        "acme": "NOT OK; SLA of 2026-12, not 2026-11 (SLA 2026-12)",
        "hooli": "NOT OK; regions unknown: the report does not say which regions its stack has (saved by an older "
        "patching): re-run patching report (SLA 2026-11)",
        "initech": "ok (SLA 2026-11)",
    }
    md = outs[0].read_text()
    assert "**5 customer(s), 4 not ok**" in md and "SLA of 2026-11 (--sla): a report without it is not ok." in md
    for name, state in why.items():
        assert f"| {name} | {name} | {len(name):012d} | {state} |" in md
    page = outs[1].read_text()
    assert "SLA of 2026-11 (--sla)" in page and "not the stack&#39;s us-east-1" in page
    rows = {r["customer"]: r for r in csv.DictReader(io.StringIO(outs[2].read_text())) if r["row"] == "customer"}
    assert {name: rows[name]["state"] for name in why} == why
    data = json.loads(outs[3].read_text())
    assert data["ok"] is False and data["slaMonth"] == "2026-11"
    customers = {c["customer"]: c for c in data["customers"]}
    assert {n: (c["ok"], c["slaMonth"]) for n, c in customers.items()} == {
        "contoso": (False, "2026-11"),
        "fabrikam": (False, None),
        "acme": (False, "2026-12"),
        "hooli": (False, "2026-11"),
        "initech": (True, "2026-11"),
    }
    assert customers["contoso"]["problems"] == ["partial: read eu-west-1 only (--region), not the stack's us-east-1"]
    # The right answer alone is green: the checks refuse only what is wrong.
    assert cli.main(["report", "--fleet", files[-1], "--sla", "--month", "2026-11", "--format", "json"]) == 0


def test_sla_without_month_asks_for_this_months_so_far(tmp_path, capsys):
    """--sla alone judges this month so far (the live read's default): a saved report of November is not
    December's (the clock: 2026-12-01 11:00Z)."""
    path = tmp_path / "initech.json"
    path.write_text(json.dumps(CLEAN))
    assert cli.main(["report", "--fleet", str(path), "--sla", "--format", "json"]) == 3
    (row,) = json.loads(capsys.readouterr().out)["customers"]
    assert row["problems"] == ["SLA of 2026-11, not 2026-12"]
    path.write_text(json.dumps(CLEAN | {"sla": sla(0, month="2026-12")}))
    assert cli.main(["report", "--fleet", str(path), "--sla", "--format", "json"]) == 0


def test_without_sla_a_saved_reports_own_sla_is_judged_as_it_is():
    assert row_of(CLEAN | {"sla": sla(0, month="2026-10")}, "i").ok
    assert not row_of(CLEAN | {"sla": sla(1, month="2026-11")}, "i").ok


@pytest.mark.parametrize(
    ("pipelines", "stale"),
    [
        ([pipeline(status="InProgress", age=0, success_age=10)], 0),  # a build running after a fresh image
        ([pipeline(status="InProgress", age=0, success_age=36)], 1),
        ([pipeline(status="Failed", success_age=3)], 1),
        ([pipeline(age=35)], 0),
        ([pipeline(age=36)], 1),
        ([pipeline(status=None)], 1),  # no build listed
        ([pipeline(image=None)], 1),
        # saved before lastSuccess: judged by the last build
        ([{"imageId": "ami-1", "lastBuild": {"status": "Success", "ageDays": 40}}], 1),
        ([{"imageId": "ami-1", "lastBuild": {"status": "InProgress", "ageDays": 0}}], 1),
        ([{"imageId": "ami-1", "lastBuild": {"status": "Success", "ageDays": 3}}], 0),
    ],
)
def test_a_stale_ami_is_counted_as_the_reports_gaps_judge_it_and_is_never_ok(pipelines, stale):
    row = row_of(CLEAN | {"pipelines": pipelines}, "i")
    assert row.figures["staleAmis"] == stale
    assert row.ok is (stale == 0)  # a report that says ok beside a stale AMI (hand-made or older) is not ok
