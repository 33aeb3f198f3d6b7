"""`patching report --sla` end to end against the AWS stand-in (tests/moto_aws.py): fabrikam's plan deployed in
its account, a Windows and a Linux node in moto, their patches in the fixture layer (DescribeInstancePatches,
DescribeAvailablePatches: moto 5 lacks both), Amazon Inspector enabled through moto's own API and its findings
queued through moto's documented findings-results endpoint. Every expected figure is written by hand below.

NOW 2026-12-01 09:00Z, month 2026-11, SLA Critical 7, Important 14:
  win: KB6001 Critical installed 2026-11-03 00:00, released 2026-11-01 00:00 -> 2 days: on time
       KB6002 Important missing, released 2026-11-01 09:00 -> 30 days > 14: missing past SLA (breach)
  lin: a Critical openssl installed 2026-11-20 00:00: no release date (Amazon Linux 2023); Inspector's CLOSED
       finding on lin for openssl (CVE published 2026-11-18 00:00, closed 2026-11-20 06:00, after the install)
       times it: 2 days <= 7: on time
  Critical: on time 2, mean (2 + 2) / 2 = 2.0, worst 2.0; no gap.
  Inspector: a HIGH finding on lin, published 2026-11-24 09:00 -> 7 days <= 14: within SLA; a CRITICAL one with a fix
       for some of its packages (fixAvailable PARTIAL), published 2026-11-01 09:00 -> 30 days > 7: past SLA (breach);
       a CRITICAL one without a fix (fixAvailable NO): not read
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from tests.deploy_plan import deploy
from tests.moto_aws import seed_coverage
from tests.report_setup import FABRIKAM, FABRIKAM_STACK, Fleet, epoch, run_report, session_in

SLA_STACK = FABRIKAM_STACK + "  patching:sla:\n    Critical: 7\n    Important: 14\n"


def patch(kb, severity, state, installed=None):
    return {
        "Title": kb,
        "KBId": kb,
        "Classification": "SecurityUpdates",
        "Severity": severity,
        "State": state,
        "InstalledTime": epoch(installed) if installed else 0,
    }


def covered(instance_id, code="ACTIVE", reason="SUCCESSFUL"):
    """A CoveredResource of Inspector's ListCoverage (API_CoveredResource.html, API_ScanStatus.html)."""
    return {
        "resourceType": "AWS_EC2_INSTANCE",
        "resourceId": instance_id,
        "accountId": FABRIKAM,
        "scanType": "PACKAGE",
        "scanStatus": {"statusCode": code, "reason": reason},
    }


@pytest.mark.slow  # seconds of moto: .ci/run runs it with -m slow
def test_sla_report_against_the_stand_in(aws, tmp_path, capsys):
    stack = tmp_path / "Pulumi.fabrikam.yaml"
    stack.write_text(SLA_STACK)
    names: dict[str, str] = {}
    session = session_in(FABRIKAM)
    deploy(stack, aws, session=session)
    fleet = Fleet(aws, session, FABRIKAM, "us-east-1", names)
    (win,) = fleet.launch("win", "fabrikam-web")
    (lin,) = fleet.launch("lin", "fabrikam-web")
    fleet.managed([win], platform="Microsoft Windows Server 2022 Datacenter")
    fleet.managed([lin])
    fleet.patch_state([win, lin], "fabrikam-web", "pb-0", "2026-11-30T01:05")
    fleet.seed(
        "DescribeInstancePatches",
        [
            {"_InstanceId": win, **patch("KB6001", "Critical", "INSTALLED", "2026-11-03T00:00")},
            {"_InstanceId": win, **patch("KB6002", "Important", "MISSING")},
            {
                "_InstanceId": lin,
                **patch("openssl.x86_64:1:3.0.8-1.amzn2023", "Critical", "INSTALLED", "2026-11-20T00:00"),
            },
        ],
    )
    fleet.seed(
        "DescribeAvailablePatches",
        [
            {"KbNumber": "KB6001", "ReleaseDate": epoch("2026-11-01T00:00")},
            {"KbNumber": "KB6002", "ReleaseDate": epoch("2026-11-01T09:00")},
            {"KbNumber": "KB9999", "ReleaseDate": epoch("2026-01-01T00:00")},  # not asked for
        ],
    )
    session.client("inspector2", region_name="us-east-1").enable(accountIds=[FABRIKAM], resourceTypes=["EC2"])
    seed_coverage(aws.layer, [covered(win), covered(lin)], account=FABRIKAM, region="us-east-1")  # both scanned
    finding = {
        "findingArn": f"arn:aws:inspector2:us-east-1:{FABRIKAM}:finding/1",
        "awsAccountId": FABRIKAM,
        "type": "PACKAGE_VULNERABILITY",
        "description": "CVE-2026-2000",
        "title": "CVE-2026-2000 - curl",
        "severity": "HIGH",
        "firstObservedAt": epoch("2026-11-25T00:00"),
        "lastObservedAt": epoch("2026-12-01T00:00"),
        "status": "ACTIVE",
        "fixAvailable": "YES",
        "remediation": {},
        "resources": [{"type": "AWS_EC2_INSTANCE", "id": lin}],
        "packageVulnerabilityDetails": {
            "vulnerabilityId": "CVE-2026-2000",
            "source": "NVD",
            "vendorCreatedAt": epoch("2026-11-24T09:00"),
        },
    }
    closed = {
        **finding,
        "findingArn": f"arn:aws:inspector2:us-east-1:{FABRIKAM}:finding/2",
        "title": "CVE-2026-2001 - openssl",
        "severity": "CRITICAL",
        "status": "CLOSED",
        "updatedAt": epoch("2026-11-20T06:00"),
        "packageVulnerabilityDetails": {
            "vulnerabilityId": "CVE-2026-2001",
            "source": "NVD",
            "vendorCreatedAt": epoch("2026-11-18T00:00"),
            "vulnerablePackages": [{"name": "openssl", "version": "3.0.7"}],
        },
    }
    # A fix for some of its packages (FixAvailable PARTIAL, API_Finding.html): still a fix lin lacks, past its SLA.
    partial = {
        **finding,
        "findingArn": f"arn:aws:inspector2:us-east-1:{FABRIKAM}:finding/3",
        "title": "CVE-2026-2002 - glibc",
        "severity": "CRITICAL",
        "fixAvailable": "PARTIAL",
        "packageVulnerabilityDetails": {
            "vulnerabilityId": "CVE-2026-2002",
            "source": "NVD",
            "vendorCreatedAt": epoch("2026-11-01T09:00"),
        },
    }
    # No fix at all (FixAvailable NO): nothing to install, not judged by an SLA.
    unfixed = {
        **partial,
        "findingArn": f"arn:aws:inspector2:us-east-1:{FABRIKAM}:finding/4",
        "title": "CVE-2026-2003 - bash",
        "fixAvailable": "NO",
        "packageVulnerabilityDetails": {**partial["packageVulnerabilityDetails"], "vulnerabilityId": "CVE-2026-2003"},
    }
    # moto answers each distinct ListFindings request with the next queued result (ACTIVE first, then CLOSED): each is
    # the account's findings, which tests/moto_aws.py filters by the request's filterCriteria as ListFindings does.
    account = [finding, closed, partial, unfixed]
    body = json.dumps({"results": [account, account], "account_id": FABRIKAM, "region": "us-east-1"}).encode()
    request = urllib.request.Request(f"{aws.endpoint}/moto-api/static/inspector2/findings-results", body, method="POST")
    urllib.request.urlopen(request).close()

    code, data, _ = run_report(capsys, stack, names, "--sla", "--month", "2026-11")
    assert code == 3
    sla = data["sla"]
    assert (sla["month"], sla["nodes"], sla["breaches"], sla["inspector"], sla["ok"]) == (
        "2026-11",
        2,
        2,  # KB6002 and the PARTIAL finding
        {"us-east-1": "on"},
        False,
    )
    assert sla["severities"] == {
        "Critical": {
            "slaDays": 7,
            "onTime": 2,  # KB6001, and lin's openssl timed by its CLOSED finding
            "late": 0,
            "meanDays": 2.0,
            "worstDays": 2.0,
            "missingPastSla": 0,
            "findingsPastSla": 1,  # CVE-2026-2002 (PARTIAL)
            "missingWithinSla": 0,
            "noReleaseDate": 0,
            "installNotTimed": 0,
        },
        "Important": {
            "slaDays": 14,
            "onTime": 0,
            "late": 0,
            "meanDays": None,
            "worstDays": None,
            "missingPastSla": 1,
            "findingsPastSla": 0,
            "missingWithinSla": 1,
            "noReleaseDate": 0,
            "installNotTimed": 0,
        },
    }
    assert sla["gaps"] == []
    assert [(p["patchId"], p["verdict"]) for p in sla["patches"] if p["instanceId"] == "<lin>"] == [
        ("openssl.x86_64:1:3.0.8-1.amzn2023", "on-time"),
        ("CVE-2026-2000", "missing-within-sla"),
        ("CVE-2026-2002", "missing-past-sla"),
    ]
    (openssl,) = [p for p in sla["patches"] if p["patchId"].startswith("openssl")]
    assert (openssl["source"], openssl["released"], openssl["days"]) == (
        "patch-manager+inspector",
        "2026-11-18T00:00:00+00:00",
        2.0,
    )
    # One call per node for its patches, one for the Windows node's release dates (both KB ids in it).
    assert (aws.layer.calls["DescribeInstancePatches"], aws.layer.calls["DescribeAvailablePatches"]) == (2, 1)
    assert aws.layer.calls["ListCoverage"] == 1  # one listing for the region: both nodes on one page of 200
