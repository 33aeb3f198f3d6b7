"""`patching report --sla` against botocore's Stubber (every request and response checked against the real
service models). The account and every expected figure are written out by hand below, never computed
by the code under test; the clock is frozen at NOW.

The account (eu-west-1, SLA Critical 7, Important 14, Medium 30 days; month 2026-11, read 2026-12-01 09:00Z):

win-1 (Windows), its patches (DescribeInstancePatches) and their release dates (DescribeAvailablePatches):
  KB5001 Critical  installed 2026-11-10 03:00, released 2026-11-05 00:00 -> 5.125 days: on time
  KB5002 Critical  installed 2026-11-20 00:00, released 2026-11-05 00:00 -> 15 days: late (breach)
  KB5003 Important installed 2026-10-20: outside the month, not counted
  KB5004 Moderate  missing, released 2026-10-15 09:00 -> 47 days now, Medium SLA 30: missing past SLA (breach)
  KB5005 Important missing, released 2026-11-25 09:00 -> 6 days now: within SLA
  KB5006 Unspecified missing: unrated
  KB5007 Low installed in the month: Low has no SLA, not counted
  KB5008 Critical installed 2026-11-12: DescribeAvailablePatches does not know it: no release date
lin-1 (Amazon Linux 2023): openssl Important installed 2026-11-15 and kernel Critical missing: no release date
  from any call; a Medium one installed 2026-09-30 is outside the month.
  Inspector is on and read in the region and both nodes are EC2 instances: the undated MISSING kernel is
  measured by Inspector findings (verdict measured-by-inspector), not a gap; the undated INSTALLS (KB5008,
  openssl) are install-not-timed gaps (only active findings are read: a fixed CVE has none, so a late
  install would read as no breach). With Inspector off or unreadable all three are no-release-date gaps:
  Windows 1 (KB5008), Amazon Linux 2 (openssl, kernel).
never-1: in the patch group, never scanned: no patch data (gap).
Inspector (EC2 scanning ENABLED), active fixable findings:
  CRITICAL on lin-1, vulnerability published 2026-11-20 09:00 -> 11 days, SLA 7: past SLA (breach)
  HIGH on lin-1, published 2026-11-28 09:00 -> 3 days: within SLA
  MEDIUM on another customer's node: not counted; INFORMATIONAL on win-1: unrated

Per severity, by hand:
  Critical:  on time 1, late 1, mean (5.125 + 15) / 2 = 10.0625 -> 10.1, worst 15.0, missing past SLA 0,
             findings past SLA 1, within 0, no release date 0 (kernel: measured by Inspector),
             install not timed 1 (KB5008)
  Important: 0, 0, n/a, n/a, 0, 0, within 2 (KB5005, the HIGH finding), no release date 0,
             install not timed 1 (openssl)
  Medium:    0, 0, n/a, n/a, missing past SLA 1 (KB5004), 0, 0, 0, 0
  breaches 3, unrated 2, nodes read 2.
"""

import json
from dataclasses import astuple
from datetime import UTC, datetime

import jsonschema
import pytest
import time_machine
from aws_stubs import StubbedAccount

from conftest import ROOT
from patching_components.tools import report_sla
from patching_components.tools.report_sla import SlaNode, collect
from patching_components.tools.report_sla_formats import as_data, headline, markdown

# acme as the report fixture's account has it (tests/report_fixture.py): before its dev ring.
ACME_BEFORE_RINGS = ROOT / "tests" / "data" / "acme-before-rings" / "Pulumi.acme.yaml"

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
REGION = "eu-west-1"
ACCOUNT = "123456789012"
SLA = {"Critical": 7, "Important": 14, "Medium": 30}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # what AWS gives a missing patch as InstalledTime
SCHEMA = json.loads((ROOT / "patching_components" / "data" / "report.schema.json").read_text())


def t(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def patch(kb, severity, state, installed=None, title=""):
    return {
        "Title": title or f"Update {kb}",
        "KBId": kb,
        "Classification": "SecurityUpdates",
        "Severity": severity,
        "State": state,
        "InstalledTime": t(installed) if installed else EPOCH,
    }


WIN = SlaNode(REGION, "i-0win00000000000001", "acme-web", "Windows", "Microsoft Windows Server 2022 Datacenter", True)
LIN = SlaNode(REGION, "i-0lin00000000000001", "acme-web", "Linux", "Amazon Linux", True)
NEVER = SlaNode(REGION, "i-0never000000000001", "acme-web", "Linux", "Amazon Linux", False)

WIN_PATCHES = [
    patch("KB5001", "Critical", "INSTALLED", "2026-11-10T03:00"),
    patch("KB5002", "Critical", "INSTALLED", "2026-11-20T00:00"),
    patch("KB5003", "Important", "INSTALLED", "2026-10-20T00:00"),
    patch("KB5004", "Moderate", "MISSING"),
    patch("KB5005", "Important", "MISSING"),
    patch("KB5006", "Unspecified", "MISSING"),
    patch("KB5007", "Low", "INSTALLED", "2026-11-11T00:00"),
    patch("KB5008", "Critical", "INSTALLED", "2026-11-12T00:00"),
]
LIN_PATCHES = [
    patch("openssl.x86_64:1:3.0.8-1.amzn2023.0.14", "Important", "INSTALLED", "2026-11-15T00:00", "openssl"),
    patch("kernel.x86_64:0:6.1.115-126.197.amzn2023", "Critical", "MISSING", None, "kernel"),
    patch("curl.x86_64:0:8.5.0-1.amzn2023.0.4", "Medium", "INSTALLED", "2026-09-30T00:00", "curl"),
]


def available(kb, released):
    return {"Id": kb, "KbNumber": kb, "ReleaseDate": t(released), "Title": f"Update {kb}", "MsrcSeverity": "Critical"}


def finding(instance_id, severity, published, cve):
    return {
        "findingArn": f"arn:aws:inspector2:{REGION}:{ACCOUNT}:finding/{cve.lower()}",
        "awsAccountId": ACCOUNT,
        "type": "PACKAGE_VULNERABILITY",
        "description": cve,
        "title": f"{cve} - package",
        "severity": severity,
        "firstObservedAt": t("2026-11-29T00:00"),
        "lastObservedAt": t("2026-12-01T00:00"),
        "status": "ACTIVE",
        "fixAvailable": "YES",
        "remediation": {},
        "resources": [{"type": "AWS_EC2_INSTANCE", "id": instance_id}],
        "packageVulnerabilityDetails": {
            "vulnerabilityId": cve,
            "source": "NVD",
            "vendorCreatedAt": t(published),
        },
    }


def state(status):
    # inspector2 State: status, errorCode and errorMessage are all required in the model.
    return {
        "status": status,
        "errorCode": "ALREADY_ENABLED" if status == "ENABLED" else "RESOURCE_NOT_FOUND",
        "errorMessage": status.lower(),
    }


def account_status(ec2):
    return {
        "accounts": [
            {
                "accountId": ACCOUNT,
                "state": state("ENABLED"),
                "resourceState": {"ec2": state(ec2), "ecr": state("DISABLED")},
            }
        ],
        "failedAccounts": [],
    }


ENABLED = account_status("ENABLED")
CRITERIA = {
    "awsAccountId": [{"comparison": "EQUALS", "value": ACCOUNT}],
    "resourceType": [{"comparison": "EQUALS", "value": "AWS_EC2_INSTANCE"}],
    "findingType": [{"comparison": "EQUALS", "value": "PACKAGE_VULNERABILITY"}],
    "findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}],
    # FixAvailable YES | NO | PARTIAL (botocore's inspector2 model); PARTIAL: "some, but not all, of the packages
    # identified in the finding have fixes available" (API_Finding.html): a fix the node lacks all the same.
    "fixAvailable": [{"comparison": "NOT_EQUALS", "value": "NO"}],
}


def listed(findings, criteria):
    """ListFindings' answer to ``criteria`` over the account's ``findings``: those matching every field filtered
    (API_FilterCriteria.html), each StringFilter as its comparison says (API_StringFilter.html)."""
    fields = {
        "awsAccountId": lambda f: [f["awsAccountId"]],
        "resourceType": lambda f: [r["type"] for r in f["resources"]],
        "findingType": lambda f: [f["type"]],
        "findingStatus": lambda f: [f["status"]],
        "fixAvailable": lambda f: [f["fixAvailable"]],
    }

    def matches(f):
        for key, filters in criteria.items():
            for one in filters:
                values = fields[key](f)
                if one["comparison"] == "EQUALS" and one["value"] not in values:
                    return False
                if one["comparison"] == "NOT_EQUALS" and one["value"] in values:
                    return False
        return True

    return [f for f in findings if matches(f)]


def unfixed(found, fix):
    return {**found, "fixAvailable": fix}


ACCOUNT_FINDINGS = [
    finding(LIN.instance_id, "CRITICAL", "2026-11-20T09:00", "CVE-2026-0001"),
    finding(LIN.instance_id, "HIGH", "2026-11-28T09:00", "CVE-2026-0002"),
    finding("i-0other0000000000001", "MEDIUM", "2026-01-01T00:00", "CVE-2026-0003"),
    finding(WIN.instance_id, "INFORMATIONAL", "2026-01-01T00:00", "CVE-2026-0004"),
    # No fix for any of its packages: nothing to install, not judged (never listed).
    unfixed(finding(LIN.instance_id, "CRITICAL", "2026-10-01T00:00", "CVE-2026-0005"), "NO"),
    # Closed: remediated, not missing (never listed as active).
    {**finding(LIN.instance_id, "CRITICAL", "2026-10-01T00:00", "CVE-2026-0006"), "status": "CLOSED"},
]
FINDINGS = listed(ACCOUNT_FINDINGS, CRITERIA)
SSM_CALLS = [
    ("describe_instance_patches", {"InstanceId": WIN.instance_id, "MaxResults": 100}, {"Patches": WIN_PATCHES}),
    ("describe_instance_patches", {"InstanceId": LIN.instance_id, "MaxResults": 100}, {"Patches": LIN_PATCHES}),
    (
        "describe_available_patches",
        {
            "Filters": [{"Key": "PATCH_ID", "Values": ["KB5001", "KB5002", "KB5004", "KB5005", "KB5008"]}],
            "MaxResults": 100,
        },
        {
            "Patches": [
                available("KB5001", "2026-11-05T00:00"),
                available("KB5002", "2026-11-05T00:00"),
                available("KB5004", "2026-10-15T09:00"),
                available("KB5005", "2026-11-25T09:00"),
            ]
        },
    ),
]
# Which EC2 nodes Inspector actively scans (ListCoverage, https://docs.aws.amazon.com/inspector/v2/APIReference/
# API_ListCoverage.html): the account's EC2 instances, the largest page (200), read once per region before findings.
COVERAGE_CRITERIA = {
    "accountId": [{"comparison": "EQUALS", "value": ACCOUNT}],
    "resourceType": [{"comparison": "EQUALS", "value": "AWS_EC2_INSTANCE"}],
    # only the PACKAGE scan says whether a node's packages are checked (CoverageFilterCriteria.scanType)
    "scanType": [{"comparison": "EQUALS", "value": "PACKAGE"}],
}


def covered(instance_id, code="ACTIVE", reason="SUCCESSFUL"):
    return {
        "resourceType": "AWS_EC2_INSTANCE",
        "resourceId": instance_id,
        "accountId": ACCOUNT,
        "scanType": "PACKAGE",
        "scanStatus": {"statusCode": code, "reason": reason},
    }


def coverage_call(*resources):
    return ("list_coverage", {"filterCriteria": COVERAGE_CRITERIA, "maxResults": 200}, {"coveredResources": resources})


COVERAGE = coverage_call(covered(WIN.instance_id), covered(LIN.instance_id), covered(NEVER.instance_id))
INSPECTOR_CALLS = [
    ("batch_get_account_status", {"accountIds": [ACCOUNT]}, ENABLED),
    COVERAGE,
    ("list_findings", {"filterCriteria": CRITERIA, "maxResults": 100}, {"findings": FINDINGS}),
]
# The CLOSED findings of the month (Inspector closes a finding when its vulnerability is remediated), read
# only where an undated install on a Linux EC2 node needs timing.
CLOSED_CRITERIA = {
    "awsAccountId": [{"comparison": "EQUALS", "value": ACCOUNT}],
    "resourceType": [{"comparison": "EQUALS", "value": "AWS_EC2_INSTANCE"}],
    "findingType": [{"comparison": "EQUALS", "value": "PACKAGE_VULNERABILITY"}],
    "findingStatus": [{"comparison": "EQUALS", "value": "CLOSED"}],
    "updatedAt": [{"startInclusive": t("2026-11-01T00:00")}],
}


def closed_finding(instance_id, package, published, closed_at, cve="CVE-2026-0100"):
    found = finding(instance_id, "HIGH", published, cve)
    found["status"] = "CLOSED"
    found["updatedAt"] = t(closed_at)
    found["packageVulnerabilityDetails"]["vulnerablePackages"] = [{"name": package, "version": "3.0.7"}]
    return found


def closed_calls(*findings):
    return ("list_findings", {"filterCriteria": CLOSED_CRITERIA, "maxResults": 100}, {"findings": list(findings)})


MODULE_INSPECTOR = [*INSPECTOR_CALLS, closed_calls()]  # no closed finding: lin-1's openssl install is not timed


def read(ssm_calls=SSM_CALLS, inspector_calls=MODULE_INSPECTOR, nodes=(WIN, LIN, NEVER), sla=SLA):
    account = StubbedAccount({"ssm": ssm_calls, "inspector2": list(inspector_calls)}, REGION)
    with time_machine.travel(NOW, tick=False):
        found = collect(sla, list(nodes), account, account_id=ACCOUNT, regions=[REGION], now=NOW, month="2026-11")
    account.assert_all_called()
    return found


@pytest.fixture(scope="module")
def sla():
    return read()


def test_figures_per_severity_are_the_hand_computed_ones(sla):
    assert sla.severities() == {
        "Critical": {
            "slaDays": 7,
            "onTime": 1,
            "late": 1,
            "meanDays": 10.1,
            "worstDays": 15.0,
            "missingPastSla": 0,
            "findingsPastSla": 1,
            "missingWithinSla": 0,
            "noReleaseDate": 0,
            "installNotTimed": 1,
        },
        "Important": {
            "slaDays": 14,
            "onTime": 0,
            "late": 0,
            "meanDays": None,
            "worstDays": None,
            "missingPastSla": 0,
            "findingsPastSla": 0,
            "missingWithinSla": 2,
            "noReleaseDate": 0,
            "installNotTimed": 1,
        },
        "Medium": {
            "slaDays": 30,
            "onTime": 0,
            "late": 0,
            "meanDays": None,
            "worstDays": None,
            "missingPastSla": 1,
            "findingsPastSla": 0,
            "missingWithinSla": 0,
            "noReleaseDate": 0,
            "installNotTimed": 0,
        },
    }
    assert (sla.nodes, sla.unrated, sla.month) == (2, 2, "2026-11")
    assert (sla.start, sla.end) == (t("2026-11-01T00:00"), t("2026-12-01T00:00"))


def test_breaches_are_the_late_install_the_old_missing_patch_and_the_old_finding(sla):
    found = {(p.patch_id, p.verdict, p.source, round(p.days, 3)) for p in sla.breaches}
    assert found == {
        ("KB5002", "late", "patch-manager", 15.0),
        ("KB5004", "missing-past-sla", "patch-manager", 47.0),
        ("CVE-2026-0001", "missing-past-sla", "inspector", 11.0),
    }
    assert sla.inspector == {REGION: "on"}
    assert not sla.ok


def test_with_inspector_on_undated_missing_patches_are_measured_by_its_findings_not_gaps(sla):
    assert sorted((p.instance_id, p.patch_id) for p in sla.patches if p.verdict == "measured-by-inspector") == [
        (LIN.instance_id, "kernel.x86_64:0:6.1.115-126.197.amzn2023"),
    ]
    assert "1 missing patch(es) of 1 node(s) without a release date from Patch Manager: measured by Inspector" in (
        "\n".join(markdown(sla))
    )


def test_with_inspector_on_undated_installs_are_not_timed_gaps_never_on_time(sla):
    """Only ACTIVE findings are read: a fix installed (late or not) leaves none, so an undated install on a
    node with Inspector on is never "measured": it is install-not-timed, a gap per operating system (exit 3)."""
    assert sorted((p.instance_id, p.patch_id) for p in sla.patches if p.verdict == "install-not-timed") == [
        (LIN.instance_id, "openssl.x86_64:1:3.0.8-1.amzn2023.0.14"),
        (WIN.instance_id, "KB5008"),
    ]
    assert {(g.resource, g.kind, g.count) for g in sla.gaps} == {
        (NEVER.instance_id, "no-patch-data", 1),
        ("Microsoft Windows Server 2022 Datacenter", "install-not-timed", 1),
        ("Amazon Linux", "install-not-timed", 1),
    }
    assert not any(p.verdict in ("on-time", "late") for p in sla.patches if p.released is None)


INSPECTOR_OFF = [("batch_get_account_status", None, account_status("DISABLED"))]
INSPECTOR_DENIED = [
    (
        "batch_get_account_status",
        None,
        Exception({"service_error_code": "AccessDeniedException", "service_message": "not authorized"}),
    )
]


@pytest.mark.parametrize(
    ("inspector", "said"),
    [(INSPECTOR_OFF, "off (EC2 scanning DISABLED)"), (INSPECTOR_DENIED, "unreadable")],
    ids=["off", "unreadable"],
)
def test_with_inspector_off_or_unreadable_undated_patches_are_gaps_naming_the_os_and_the_call(inspector, said):
    sla = read(inspector_calls=inspector, nodes=(WIN, LIN))
    gaps = {(g.resource, g.kind, g.count) for g in sla.gaps if g.kind == "no-release-date"}
    assert gaps == {
        ("Microsoft Windows Server 2022 Datacenter", "no-release-date", 1),
        ("Amazon Linux", "no-release-date", 2),
    }
    assert not sla.ok
    linux = next(g for g in sla.gaps if g.resource == "Amazon Linux")
    assert f"Amazon Inspector, which would date them, is {said} here" in linux.detail
    assert "DescribeAvailablePatches covers only Amazon Linux 1, Amazon Linux 2 and Windows Server" in linux.detail
    windows = next(g for g in sla.gaps if g.resource.startswith("Microsoft"))
    assert "DescribeAvailablePatches has no such KB id" in windows.detail
    # An undated patch is never on time.
    assert all(p.verdict == "no-release-date" for p in sla.patches if p.released is None)


def test_json_matches_the_schema_and_markdown_says_breached(sla):
    data = as_data(sla)
    wrapper = {"type": "object", "properties": {"sla": SCHEMA["properties"]["sla"]}, "$defs": SCHEMA["$defs"]}
    jsonschema.validate({"sla": data}, wrapper, format_checker=jsonschema.FormatChecker())
    assert data["breaches"] == 3 and data["ok"] is False
    text = "\n".join(markdown(sla))
    assert "SLA BREACHED: 3 patch(es) late or missing past their SLA" in text
    assert "| Critical | 7 | 1 | 1 | 10.1 | 15.0 | 0 | 1 | 0 | 1 |" in text
    assert "| Important | 14 | 0 | 0 | n/a | n/a | 0 | 0 | 0 | 1 |" in text
    assert data["meanings"]["install-not-timed"].startswith("patches installed in the month without a release date")


def test_a_clean_month_is_ok():
    calls = [
        (
            "describe_instance_patches",
            {"InstanceId": WIN.instance_id, "MaxResults": 100},
            {"Patches": [patch("KB5001", "Critical", "INSTALLED", "2026-11-10T03:00")]},
        ),
        (
            "describe_available_patches",
            {"Filters": [{"Key": "PATCH_ID", "Values": ["KB5001"]}], "MaxResults": 100},
            {"Patches": [available("KB5001", "2026-11-05T00:00")]},
        ),
    ]
    inspector = [INSPECTOR_CALLS[0], COVERAGE, ("list_findings", None, {"findings": []})]
    found = read(calls, inspector, nodes=(WIN,))
    assert found.ok and not found.breaches and not found.gaps
    assert headline(found) == "SLA met: every patch of 1 node(s) on time, none missing past its SLA"


def test_inspector_off_is_said_and_not_taken_for_no_findings():
    off = account_status("DISABLED")
    found = read([*SSM_CALLS[:1], SSM_CALLS[2]], [("batch_get_account_status", None, off)], nodes=(WIN,))
    assert found.inspector == {REGION: "off (EC2 scanning DISABLED)"}
    assert "Amazon Inspector: eu-west-1 off (EC2 scanning DISABLED)" in "\n".join(markdown(found))


def test_inspector_unreadable_is_a_gap():
    denied = Exception({"service_error_code": "AccessDeniedException", "service_message": "not authorized"})
    found = read([*SSM_CALLS[:1], SSM_CALLS[2]], [("batch_get_account_status", None, denied)], nodes=(WIN,))
    assert found.inspector == {REGION: "unreadable"}
    assert any(g.kind == "inspector-unreadable" for g in found.gaps)
    assert not found.ok


def test_a_customer_whose_patches_cannot_be_read_never_reads_as_no_breach():
    denied = Exception({"service_error_code": "AccessDeniedException", "service_message": "not authorized"})
    found = read([("describe_instance_patches", None, denied)], INSPECTOR_CALLS, nodes=(WIN,))
    assert found.nodes == 0 and not found.breaches
    assert [g.kind for g in found.gaps] == ["read-failed"]
    assert not found.ok
    assert headline(found).startswith("SLA NOT JUDGED: no node's patches could be read")


def test_release_date_lookup_failing_leaves_the_patches_undated_not_on_time():
    throttled = Exception({"service_error_code": "InternalServerError", "service_message": "boom"})
    calls = [SSM_CALLS[0], ("describe_available_patches", None, throttled)]
    found = read(calls, INSPECTOR_CALLS, nodes=(WIN,))
    assert not any(p.verdict == "on-time" for p in found.patches)
    # Inspector is on: the undated KBs installed in the month are not timed (gaps), the missing one is
    # measured by its findings, and the failed call is a gap (exit 3).
    assert {g.kind for g in found.gaps} == {"read-failed", "install-not-timed"} and not found.ok
    off = read(calls, INSPECTOR_OFF, nodes=(WIN,))
    assert {g.kind for g in off.gaps} == {"read-failed", "no-release-date"}


def test_month_bounds_take_the_calendar_month_and_stop_at_now():
    assert report_sla.month_bounds("2026-02", NOW)[1:] == (t("2026-02-01T00:00"), t("2026-03-01T00:00"))
    assert report_sla.month_bounds(None, NOW) == ("2026-12", t("2026-12-01T00:00"), NOW)


def test_severity_mapping_covers_every_os_vocabulary():
    from patching_components.aws import os_rules

    for family in os_rules.FAMILIES:
        field = family.fields.get("severities")
        for value in field.allowed if field else ():
            assert value in report_sla.SEVERITY_OF or value == "Unspecified", (family.name, value)


# --- `patching report STACK --sla` end to end through the CLI (the report fixture's account, tests/report_fixture.py,
# plus the SLA's calls), and the operator policy.

ACME_SSM_SLA = [
    # The acme-web nodes with a current patch state, in the report's order: web-4 is not managed (no-patch-data);
    # web-3 (offline since 20 Nov) and web-5 (stopped through its window) have old patch data (stale-patch-data).
    (
        "describe_instance_patches",
        {"InstanceId": "i-0web1", "MaxResults": 100},
        {"Patches": [patch("openssl.x86_64:1:3.0.8-1.amzn2023.0.14", "Critical", "INSTALLED", "2026-11-15T00:00")]},
    ),
    ("describe_instance_patches", {"InstanceId": "i-0web2", "MaxResults": 100}, {"Patches": []}),
]
ACME_INSPECTOR = [
    ("batch_get_account_status", {"accountIds": [ACCOUNT]}, ENABLED),
    # Inspector's coverage lists none of acme-web's EC2 nodes (another customer's only): none is actively scanned,
    # each is a not-measured gap, and web-1's undated install is not "measured by Inspector" but undated (a gap).
    coverage_call(covered("i-0other0000000000001")),
    (
        "list_findings",
        {"filterCriteria": CRITERIA, "maxResults": 100},
        {
            "findings": [
                # 2026-11-01 09:00 to 2026-12-01 09:00: 30 days, Critical SLA 7: a breach.
                finding("i-0web2", "CRITICAL", "2026-11-01T09:00", "CVE-2026-1000"),
                finding("i-0loose", "CRITICAL", "2026-01-01T00:00", "CVE-2026-1001"),  # not in acme-web
            ]
        },
    ),
    # no CLOSED findings read: web-1 is not scanned, so Inspector cannot time its undated install
]


def acme_account():
    import report_fixture as fixture

    return StubbedAccount(
        {
            "ssm": fixture.SSM_CALLS + ACME_SSM_SLA,
            "ec2": fixture.EC2_CALLS,
            "sns": fixture.SNS_CALLS,
            "inspector2": ACME_INSPECTOR,
        },
        REGION,
    )


@time_machine.travel(NOW, tick=False)
def test_cli_sla_report_end_to_end_exits_3_on_the_breach(monkeypatch, tmp_path, capsys):
    from aws_stubs import use_account

    from patching_components.tools import cli

    account = acme_account()
    use_account(monkeypatch, account)
    out = tmp_path / "report.json"
    page = tmp_path / "report.html"
    stack = ACME_BEFORE_RINGS
    table = tmp_path / "report.csv"
    args = ["report", str(stack), "--sla", "--month", "2026-11", "--out", str(out), "--out", str(page)]
    notes = tmp_path / "report.md"
    args += ["--out", str(table), "--out", str(notes)]
    assert cli.main(args) == 3
    account.assert_all_called()
    data = json.loads(out.read_text())
    jsonschema.validate(data, SCHEMA, format_checker=jsonschema.FormatChecker())
    section = data["sla"]
    assert section["slaDays"] == {"Critical": 7, "Important": 14, "Medium": 30}  # the acme stack
    assert (section["breaches"], section["nodes"], section["ok"]) == (1, 2, False)
    assert section["severities"]["Critical"]["findingsPastSla"] == 1
    # web-1's undated openssl install: Inspector is on but does not scan web-1: no release date, a gap.
    assert section["severities"]["Critical"]["noReleaseDate"] == 1
    assert section["severities"]["Critical"]["installNotTimed"] == 0
    assert {(g["resource"], g["kind"], g["count"]) for g in section["gaps"]} == {
        ("i-0web3", "stale-patch-data", 1),
        ("i-0web4", "no-patch-data", 1),
        ("i-0web5", "stale-patch-data", 1),
        *((f"i-0web{n}", "not-measured", 1) for n in range(1, 6)),  # every acme-web EC2 node, web-4 too
        ("Amazon Linux", "no-release-date", 1),
    }
    stale = {g["resource"]: g["detail"] for g in section["gaps"] if g["kind"] == "stale-patch-data"}
    # web-3's agent lost its connection on 20 Nov; web-5 was stopped while its window ran (tests/report_fixture.py)
    assert stale["i-0web3"].startswith("offline (ConnectionLost, last seen 2026-11-20")
    assert stale["i-0web5"].startswith("stopped-missed-window (")
    assert all(d.endswith(": its patch data is out of date, not judged") for d in stale.values())
    assert section["meanings"]["stale-patch-data"].startswith("a node of the customer's patch groups whose patch")
    (web1,) = [g for g in section["gaps"] if (g["resource"], g["kind"]) == ("i-0web1", "not-measured")]
    assert web1["detail"] == (
        "not in Amazon Inspector's coverage (ListCoverage): never scanned: no finding means nothing looked"
    )
    assert section["meanings"]["not-measured"].startswith("an EC2 node of the customer's patch groups")
    # an active finding of a node Inspector no longer scans still counts: it errs towards a breach
    (breach,) = [p for p in section["patches"] if p["verdict"] == "missing-past-sla"]
    assert (breach["instanceId"], breach["patchId"], breach["days"]) == ("i-0web2", "CVE-2026-1000", 30.0)
    html = page.read_text()
    assert "<h2>SLA, 2026-11</h2>" in html and "SLA BREACHED: 1 patch(es)" in html
    assert "<th>Install not timed</th>" in html and "<title>1 no-release-date</title>" in html
    assert html.count('<td class="bad">not-measured</td>') == 5
    assert html.count('<td class="bad">stale-patch-data</td>') == 2
    assert sum(1 for line in notes.read_text().splitlines() if "| stale-patch-data |" in line) == 2
    rows = [line.split(",") for line in table.read_text().splitlines()]
    sla_rows = [r for r in rows if r[0] in ("sla", "sla-gap")]
    assert [(r[0], r[3] or r[4], r[8]) for r in sla_rows] == [
        ("sla", "i-0web1", "no-release-date"),
        ("sla", "i-0web2", "missing-past-sla"),
        ("sla-gap", "i-0web3", "stale-patch-data"),
        ("sla-gap", "i-0web4", "no-patch-data"),
        ("sla-gap", "i-0web5", "stale-patch-data"),
        *(("sla-gap", f"i-0web{n}", "not-measured") for n in range(1, 6)),
        ("sla-gap", "Amazon Linux", "no-release-date"),
    ]


def test_month_needs_sla(capsys):
    from patching_components.tools import cli

    assert cli.main(["report", str(ACME_BEFORE_RINGS), "--month", "2026-11"]) == 2
    assert "--month is the month of --sla" in capsys.readouterr().err


@time_machine.travel(NOW, tick=False)
def test_the_operator_policy_grants_exactly_the_sla_calls(monkeypatch):
    from aws_stubs import use_account
    from iam_model import Request, allowed

    from patching_components.iam_policies import REPORT_SLA_READ_ACTIONS, report_policy_document
    from patching_components.tools import cli

    account = acme_account()
    use_account(monkeypatch, account)
    cli.main(["report", str(ACME_BEFORE_RINGS), "--sla", "--month", "2026-11", "--format", "json"])
    policy = report_policy_document(regions=[REGION])
    made = {f"{service}:{operation}" for service, operation, _, _ in account.requests}
    # The SLA's calls are exactly the new actions (report_policy_document's ReadPatchSla statement).
    sla_calls = {
        a
        for a in made
        if a.startswith("inspector2:") or a in {"ssm:DescribeInstancePatches", "ssm:DescribeAvailablePatches"}
    }
    granted = {
        a for st in policy["Statement"] if st["Sid"] in ("ReadPatchSla", "ReadNodePatches") for a in st["Action"]
    }
    assert granted == set(REPORT_SLA_READ_ACTIONS)
    assert sla_calls == set(REPORT_SLA_READ_ACTIONS) - {"ssm:DescribeAvailablePatches"}  # acme has no Windows node
    for service, operation, params, region in account.requests:
        if f"{service}:{operation}" in sla_calls:
            # IAM evaluates DescribeInstancePatches on the node's ARN, the others on "*" (Service Authorization
            # Reference, "Actions, resources, and condition keys" for Systems Manager and Amazon Inspector).
            resource = (
                f"arn:aws:ec2:{region}:{ACCOUNT}:instance/{params['InstanceId']}" if "InstanceId" in params else "*"
            )
            assert allowed([policy], Request(f"{service}:{operation}", resource, {"aws:RequestedRegion": region}))
            assert not allowed(
                [policy], Request(f"{service}:{operation}", resource, {"aws:RequestedRegion": "us-east-1"})
            )
    hybrid = f"arn:aws:ssm:{REGION}:{ACCOUNT}:managed-instance/mi-0123456789abcdef0"
    assert allowed([policy], Request("ssm:DescribeInstancePatches", hybrid, {"aws:RequestedRegion": REGION}))
    # Not a node: the grant is on instances and managed instances only.
    document = f"arn:aws:ssm:{REGION}:{ACCOUNT}:document/acme-freeze-guard"
    assert not allowed([policy], Request("ssm:DescribeInstancePatches", document, {"aws:RequestedRegion": REGION}))
    for write in ("inspector2:Disable", "inspector2:UpdateConfiguration", "ssm:CreatePatchBaseline", "ssm:SendCommand"):
        assert not allowed([policy], Request(write, "*", {"aws:RequestedRegion": REGION})), write


def test_parliament_finds_nothing_in_the_operator_policy():
    from parliament import analyze_policy_string

    from patching_components.iam_policies import report_policy_document

    analysis = analyze_policy_string(json.dumps(report_policy_document()), include_community_auditors=True)
    # The statements this feature adds draw no finding (the older ReadPatchCompliance statement's listings are
    # parliament's RESOURCE_STAR, outside this test).
    from patching_components.iam_policies import REPORT_SLA_READ_ACTIONS

    flagged = [f for f in analysis.findings if any(a in str(f.detail) for a in REPORT_SLA_READ_ACTIONS)]
    assert flagged == []


def test_a_stack_without_an_sla_reads_nothing_and_says_so():
    from types import SimpleNamespace

    from patching_components.tools.report_sla import add_to

    report = SimpleNamespace(instances=[], account_id=ACCOUNT, regions=[REGION], generated_at=NOW, sla=None)
    found = add_to(report, {}, StubbedAccount({}, REGION), groups=["acme-web"], month="2026-11")
    assert report.sla is found and found.ok and not found.patches
    assert headline(found) == "no SLA set (patching:sla): nothing judged"


def test_an_installed_patch_without_an_install_time_is_a_gap_not_an_absent_install():
    # "Not all operating systems provide" InstalledTime (PatchComplianceData, Systems Manager API Reference).
    calls = [
        (
            "describe_instance_patches",
            {"InstanceId": LIN.instance_id, "MaxResults": 100},
            {"Patches": [patch("bash.x86_64:0:5.2.15-1.amzn2023", "Critical", "INSTALLED", None)]},
        )
    ]
    found = read(calls, [INSPECTOR_CALLS[0], COVERAGE, ("list_findings", None, {"findings": []})], nodes=(LIN,))
    assert [(g.resource, g.kind, g.count) for g in found.gaps] == [("Amazon Linux", "no-install-time", 1)]
    assert not found.patches and not found.ok


def test_a_month_not_begun_is_refused(capsys):
    from patching_components.tools import cli

    assert cli.main(["report", str(ACME_BEFORE_RINGS), "--sla", "--month", "2999-01"]) == 2
    assert "--month 2999-01 has not begun" in capsys.readouterr().err


LINUX_MONTH = [
    (
        "describe_instance_patches",
        {"InstanceId": LIN.instance_id, "MaxResults": 100},
        {"Patches": [patch("openssl.x86_64:1:3.0.8-1.amzn2023.0.14", "Important", "INSTALLED", "2026-11-15T00:00")]},
    )
]


def test_a_linux_month_with_an_undated_install_is_not_judged_even_with_inspector_on():
    """The monthly workflow of a Linux customer: one undated install (no Patch Manager release date for
    Amazon Linux 2023), Inspector on with no ACTIVE finding. The install may have been late: its CVE's finding
    is closed, and only active findings are read. Not "no breach": an install-not-timed gap (exit 3)."""
    found = read(
        LINUX_MONTH,
        [INSPECTOR_CALLS[0], COVERAGE, ("list_findings", None, {"findings": []}), closed_calls()],
        nodes=(LIN,),
    )
    assert not found.ok and not found.breaches
    assert [p.verdict for p in found.patches] == ["install-not-timed"]
    assert [(g.resource, g.kind, g.count) for g in found.gaps] == [("Amazon Linux", "install-not-timed", 1)]
    assert headline(found) == (
        "SLA NOT JUDGED IN FULL: no breach in what was read; 1 item(s) could not be read or dated (see SLA gaps)"
    )


LINUX_MISSING = [
    (
        "describe_instance_patches",
        {"InstanceId": LIN.instance_id, "MaxResults": 100},
        {"Patches": [patch("kernel.x86_64:0:6.1.115-126.197.amzn2023", "Critical", "MISSING")]},
    )
]


def test_a_linux_month_with_only_an_undated_missing_patch_and_inspector_on_is_ok():
    """An undated MISSING patch on an EC2 node with Inspector on and read: its exposure is the node's active
    findings (none here, so none past its SLA): measured, no gap, ok (exit 0)."""
    found = read(LINUX_MISSING, [INSPECTOR_CALLS[0], COVERAGE, ("list_findings", None, {"findings": []})], nodes=(LIN,))
    assert found.ok and not found.gaps and not found.breaches
    assert [p.verdict for p in found.patches] == ["measured-by-inspector"]
    assert headline(found) == (
        "SLA met: every patch of 1 node(s) on time, none missing past its SLA "
        "(1 missing without a Patch Manager release date, measured by Inspector findings)"
    )


def test_the_same_month_with_inspector_off_is_a_gap_never_no_breach():
    found = read(LINUX_MONTH, INSPECTOR_OFF, nodes=(LIN,))
    assert [(g.resource, g.kind, g.count) for g in found.gaps] == [("Amazon Linux", "no-release-date", 1)]
    assert not found.ok and headline(found).startswith("SLA NOT JUDGED IN FULL")


def test_a_hybrid_node_is_not_measured_by_inspector():
    """Inspector's EC2 scanning covers EC2 instances: a hybrid node's undated installs stay gaps."""
    hybrid = SlaNode(REGION, "mi-0123456789abcdef0", "acme-web", "Linux", "Amazon Linux", True)
    calls = [(op, {**params, "InstanceId": hybrid.instance_id}, answer) for op, params, answer in LINUX_MONTH]
    found = read(calls, [INSPECTOR_CALLS[0], ("list_findings", None, {"findings": []})], nodes=(hybrid,))
    ((gap,),) = [[g for g in found.gaps]]
    assert (gap.resource, gap.kind) == ("Amazon Linux", "no-release-date")
    assert "not this hybrid node" in gap.detail and not found.ok


# -- timing an undated install from Amazon Inspector's CLOSED findings ----------------------------------------
# LINUX_MONTH: lin-1's openssl (Important, SLA 14 days) installed 2026-11-15 00:00, no Patch Manager release date.
ON = [INSPECTOR_CALLS[0], COVERAGE, ("list_findings", None, {"findings": []})]


def timed(*closed):
    return read(LINUX_MONTH, [*ON, closed_calls(*closed)], nodes=(LIN,))


def test_an_undated_install_is_timed_by_the_closed_finding_it_remediated():
    # CVE published 2026-11-10 00:00, finding closed 2026-11-15 06:00 (after the install): 5.0 days <= 14.
    found = timed(closed_finding(LIN.instance_id, "openssl", "2026-11-10T00:00", "2026-11-15T06:00"))
    (p,) = found.patches
    assert (p.verdict, p.days, p.released, p.source) == (
        "on-time",
        5.0,
        t("2026-11-10T00:00"),
        "patch-manager+inspector",
    )
    assert found.ok and not found.gaps
    data = as_data(found)
    assert data["severities"]["Important"]["onTime"] == 1 and data["severities"]["Important"]["installNotTimed"] == 0
    wrapper = {"type": "object", "properties": {"sla": SCHEMA["properties"]["sla"]}, "$defs": SCHEMA["$defs"]}
    jsonschema.validate({"sla": data}, wrapper, format_checker=jsonschema.FormatChecker())


def test_a_late_install_timed_by_a_closed_finding_is_a_breach():
    # CVE published 2026-10-20 00:00, installed 2026-11-15 00:00: 26.0 days > 14.
    found = timed(closed_finding(LIN.instance_id, "openssl", "2026-10-20T00:00", "2026-11-15T06:00"))
    assert [(p.verdict, p.days) for p in found.breaches] == [("late", 26.0)]
    assert not found.ok and headline(found).startswith("SLA BREACHED: 1 patch(es)")


def test_the_oldest_cve_an_install_remediated_times_it():
    # Two CVEs closed by the install: 2026-11-10 (5 days) and 2026-10-31 00:00 (15.0 days > 14): late.
    found = timed(
        closed_finding(LIN.instance_id, "openssl", "2026-11-10T00:00", "2026-11-15T06:00", "CVE-2026-0100"),
        closed_finding(LIN.instance_id, "openssl", "2026-10-31T00:00", "2026-11-16T00:00", "CVE-2026-0101"),
    )
    assert [(p.verdict, p.days) for p in found.patches] == [("late", 15.0)]


def test_closed_findings_of_another_package_node_or_closed_before_the_install_do_not_time_it():
    found = timed(
        closed_finding(LIN.instance_id, "curl", "2026-11-10T00:00", "2026-11-15T06:00"),  # another package
        closed_finding(WIN.instance_id, "openssl", "2026-11-10T00:00", "2026-11-15T06:00"),  # another node
        closed_finding(LIN.instance_id, "openssl", "2026-11-10T00:00", "2026-11-14T23:59"),  # closed before it
    )
    assert [p.verdict for p in found.patches] == ["install-not-timed"]
    ((gap,),) = [[g for g in found.gaps]]
    assert (gap.resource, gap.kind, gap.count) == ("Amazon Linux", "install-not-timed", 1)
    assert "no CLOSED finding on the node for the package closed at or after the install" in gap.detail
    assert not found.ok


def test_closed_findings_that_cannot_be_read_leave_the_install_untimed_and_a_gap():
    denied = Exception({"service_error_code": "AccessDeniedException", "service_message": "not authorized"})
    found = read(LINUX_MONTH, [*ON, ("list_findings", None, denied)], nodes=(LIN,))
    assert [p.verdict for p in found.patches] == ["install-not-timed"]
    assert sorted(g.kind for g in found.gaps) == ["install-not-timed", "read-failed"]
    assert any(g.detail.startswith("ListFindings (CLOSED)") for g in found.gaps) and not found.ok


def test_a_windows_install_without_a_release_date_is_not_timed_by_closed_findings(sla):
    # KB5008 (the module's account): Windows, so no package to match: a gap, and no CLOSED read for it.
    windows = next(g for g in sla.gaps if g.resource.startswith("Microsoft"))
    assert windows.kind == "install-not-timed" and "on this operating system" in windows.detail


def test_package_names_of_linux_patch_ids():
    assert report_sla.package_name("openssl.x86_64:1:3.0.8-1.amzn2023.0.14") == "openssl"
    assert report_sla.package_name("python3.11.noarch:0:3.11.6-1.amzn2023") == "python3.11"
    assert report_sla.package_name("kernel") == "kernel"


def test_a_finding_with_a_fix_for_some_of_its_packages_is_judged_one_without_a_fix_is_not():
    """lin-1 has no missing patch Patch Manager knows of. Inspector holds a CRITICAL CVE published 2026-10-02 09:00
    (60 days ago) whose fix covers some of its packages (PARTIAL): past the 7-day SLA, a breach; and one whose
    packages have no fix (NO): nothing to install, not read."""
    account = [
        unfixed(finding(LIN.instance_id, "CRITICAL", "2026-10-02T09:00", "CVE-2026-9999"), "PARTIAL"),
        unfixed(finding(LIN.instance_id, "CRITICAL", "2026-10-02T09:00", "CVE-2026-9998"), "NO"),
    ]
    ssm = [("describe_instance_patches", {"InstanceId": LIN.instance_id, "MaxResults": 100}, {"Patches": []})]
    inspector = [
        INSPECTOR_CALLS[0],
        coverage_call(covered(LIN.instance_id)),
        ("list_findings", {"filterCriteria": CRITERIA, "maxResults": 100}, {"findings": listed(account, CRITERIA)}),
    ]
    found = read(ssm, inspector, nodes=(LIN,))
    assert [(p.patch_id, p.verdict, p.days) for p in found.breaches] == [("CVE-2026-9999", "missing-past-sla", 60.0)]
    assert not found.ok and headline(found).startswith("SLA BREACHED: 1 patch(es)")


def test_a_node_with_out_of_date_patch_data_is_a_gap_never_sla_met():
    """win-1 was last scanned 90 days ago (the report's status stale-scan) and Inspector is off: its old patch list,
    had it been read, shows nothing missing past its SLA. Nothing current says what it lacks: not read, a gap, and
    the SLA is not met."""
    stale = SlaNode(*astuple(WIN)[:6], stale="stale-scan (last Scan 2026-09-02 01:05Z)")
    found = read([], INSPECTOR_OFF, nodes=(stale,))
    assert [(g.resource, g.kind, g.detail) for g in found.gaps] == [
        (
            WIN.instance_id,
            "stale-patch-data",
            "stale-scan (last Scan 2026-09-02 01:05Z): its patch data is out of date, not judged",
        )
    ]
    assert (found.nodes, found.ok) == (0, False)
    assert not headline(found).startswith("SLA met")
