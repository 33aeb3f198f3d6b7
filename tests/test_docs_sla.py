"""README's SLA page as the customer reads it (issue #24): the Markdown SLA section of `patching report --sla`,
rendered by the real code (report_sla.collect, report_sla_formats.markdown) from a small hand-made fixture at a
frozen clock. Every figure below is computed by hand from the fixture, never by the code under test.

The fixture (eu-west-1, patching:sla {Critical: 7, Important: 14, Medium: 30}, the month 2027-03, now
2027-03-31 12:00Z):
- i-0a1b2c3d4e5f60718, Windows Server: KB5035845 (Critical) and KB5035857 (Important), both released
  2027-03-09 00:00Z (DescribeAvailablePatches' ReleaseDate), both installed 2027-03-20 02:00Z: 11 days 2 hours
  = 11.083 days: the Critical one LATE (SLA 7), the Important one on time (SLA 14).
- i-0b2c3d4e5f6071829, Amazon Linux 2023: kernel (Important) installed 2027-03-20 02:00Z, with no release
  date from Patch Manager: Inspector is on in the region, so it is measured by Inspector's findings, no gap;
  Inspector's finding CVE-2027-20001 (HIGH: Important) published 2027-03-01 00:00Z (vendorCreatedAt), still
  missing at 2027-03-31 12:00Z: 30.5 days, past its 14-day SLA: a breach.
"""

from datetime import UTC, datetime

from docs_pages import docs_text

from patching_components.tools import report_sla, report_sla_formats

REGION, ACCOUNT = "eu-west-1", "123456789012"
NOW = datetime(2027, 3, 31, 12, 0, tzinfo=UTC)
RELEASED = datetime(2027, 3, 9, 0, 0, tzinfo=UTC)
INSTALLED = datetime(2027, 3, 20, 2, 0, tzinfo=UTC)
WINDOWS, LINUX = "i-0a1b2c3d4e5f60718", "i-0b2c3d4e5f6071829"
KERNEL = "kernel.x86_64:0:6.1.79-99.164.amzn2023"  # Patch Manager's id of a Linux package: name.arch:epoch:version


def patch(kb, title, severity):
    return {
        "Title": title,
        "KBId": kb,
        "Classification": "SecurityUpdates" if kb.startswith("KB") else "Security",
        "Severity": severity,
        "State": "INSTALLED",
        "InstalledTime": INSTALLED,
    }


class Fake:
    """One region's AWS as the SLA reads it; ``calls`` records each request."""

    def __init__(self):
        self.calls = []

    def get_paginator(self, operation):
        fake = self

        class Paginator:
            def paginate(self, **request):
                fake.calls.append((operation, request))
                yield fake.page(operation, request)

        return Paginator()

    def page(self, operation, request):
        if operation == "describe_instance_patches":
            if request["InstanceId"] == WINDOWS:
                return {
                    "Patches": [
                        patch("KB5035845", "2027-03 Cumulative Update for Windows Server 2022", "Critical"),
                        patch("KB5035857", "2027-03 Servicing Stack Update for Windows Server 2022", "Important"),
                    ]
                }
            return {"Patches": [patch(KERNEL, "kernel", "Important")]}
        if operation == "describe_available_patches":
            return {"Patches": [{"KbNumber": kb, "ReleaseDate": RELEASED} for kb in request["Filters"][0]["Values"]]}
        if operation == "list_coverage":  # both nodes: EC2 instances Inspector actively scans
            return {
                "coveredResources": [
                    {
                        "resourceId": node,
                        "resourceType": "AWS_EC2_INSTANCE",
                        "accountId": ACCOUNT,
                        "scanType": "PACKAGE",
                        "scanStatus": {"statusCode": "ACTIVE", "reason": "SUCCESSFUL"},
                    }
                    for node in (WINDOWS, LINUX)
                ]
            }
        assert operation == "list_findings"
        if request["filterCriteria"]["findingStatus"][0]["value"] == "CLOSED":
            # The kernel CVE the install remediated: Inspector closed it after the install.
            return {
                "findings": [
                    {
                        "status": "CLOSED",
                        "updatedAt": datetime(2027, 3, 20, 3, 0, tzinfo=UTC),
                        "resources": [{"id": LINUX, "type": "AWS_EC2_INSTANCE"}],
                        "packageVulnerabilityDetails": {
                            "vulnerabilityId": "CVE-2027-10001",
                            "vendorCreatedAt": datetime(2027, 3, 10, 0, 0, tzinfo=UTC),
                            "vulnerablePackages": [{"name": "kernel"}],
                        },
                    }
                ]
            }
        return {
            "findings": [
                {
                    "severity": "HIGH",
                    "status": "ACTIVE",
                    "title": "CVE-2027-20001 - openssl-libs",
                    "resources": [{"id": LINUX, "type": "AWS_EC2_INSTANCE"}],
                    "packageVulnerabilityDetails": {
                        "vulnerabilityId": "CVE-2027-20001",
                        "vendorCreatedAt": datetime(2027, 3, 1, 0, 0, tzinfo=UTC),
                    },
                }
            ]
        }

    def batch_get_account_status(self, accountIds):
        self.calls.append(("batch_get_account_status", {"accountIds": accountIds}))
        return {"accounts": [{"accountId": ACCOUNT, "resourceState": {"ec2": {"status": "ENABLED"}}}]}


def rendered():
    fake = Fake()
    nodes = [
        report_sla.SlaNode(REGION, WINDOWS, "acme-win", "Windows", "Microsoft Windows Server 2022 Datacenter", True),
        report_sla.SlaNode(REGION, LINUX, "acme-web", "Linux", "Amazon Linux 2023", True),
    ]
    sla = report_sla.collect(
        {"Critical": 7, "Important": 14, "Medium": 30},
        nodes,
        lambda service, region: fake,
        account_id=ACCOUNT,
        regions=[REGION],
        now=NOW,
        month="2027-03",
    )
    return sla, fake, "\n".join(report_sla_formats.markdown(sla)) + "\n"


def test_the_sla_page_has_the_hand_computed_figures():
    sla, fake, text = rendered()
    rows = sla.severities()
    # KB5035845: 11 days 2 hours from release to install = 11.1 > 7: late. KB5035857: 11.1 <= 14: on time.
    assert (rows["Critical"]["onTime"], rows["Critical"]["late"], rows["Critical"]["worstDays"]) == (0, 1, 11.1)
    # The kernel install (Linux: no release date from Patch Manager) is timed by the CVE it remediated, whose
    # Inspector finding closed after it: 2027-03-10 00:00Z to 2027-03-20 02:00Z = 10.08 days <= 14: on time.
    # Important: mean (11.083 + 10.083) / 2 = 10.6, worst 11.1.
    assert (rows["Important"]["onTime"], rows["Important"]["late"], rows["Important"]["meanDays"]) == (2, 0, 10.6)
    # CVE-2027-20001: 2027-03-01 00:00Z to 2027-03-31 12:00Z = 30.5 days > 14.
    assert rows["Important"]["findingsPastSla"] == 1
    assert rows["Medium"] == {
        "slaDays": 30,
        "onTime": 0,
        "late": 0,
        "meanDays": None,
        "worstDays": None,
        "missingPastSla": 0,
        "findingsPastSla": 0,
        "missingWithinSla": 0,
        "noReleaseDate": 0,
        "installNotTimed": 0,
    }
    verdicts = {(p.patch_id, p.verdict, None if p.days is None else round(p.days, 3)) for p in sla.patches}
    assert verdicts == {
        ("KB5035845", "late", 11.083),
        ("KB5035857", "on-time", 11.083),
        (KERNEL, "on-time", 10.083),
        ("CVE-2027-20001", "missing-past-sla", 30.5),
    }
    assert sla.gaps == [] and sla.nodes == 2 and not sla.ok
    # The reads: each node's patches, the two KBs' release dates in one call, Inspector's status and findings.
    assert [operation for operation, _ in fake.calls] == [
        "describe_instance_patches",
        "describe_instance_patches",
        "describe_available_patches",
        "batch_get_account_status",
        "list_coverage",  # which EC2 nodes Inspector actively scans
        "list_findings",
        "list_findings",  # the CLOSED ones: they time the Linux install
    ]
    assert fake.calls[2][1]["Filters"] == [{"Key": "PATCH_ID", "Values": ["KB5035845", "KB5035857"]}]
    # The page's rows, written out by hand from the figures above.
    assert "**SLA BREACHED: 2 patch(es) late or missing past their SLA**." in text
    assert "| Critical | 7 | 0 | 1 | 11.1 | 11.1 | 0 | 0 | 0 | 0 |" in text
    assert "| Important | 14 | 2 | 0 | 10.6 | 11.1 | 0 | 1 | 0 | 0 |" in text
    assert "| Medium | 30 | 0 | 0 | n/a | n/a | 0 | 0 | 0 | 0 |" in text
    assert "| CVE-2027-20001 - openssl-libs |" in text
    assert "| 2027-03-09 | 2027-03-20 | 11.1 (SLA 7) |" in text
    assert "| inspector | 2027-03-01 | missing | 30.5 (SLA 14) |" in text


def test_the_readme_shows_an_sla_page_as_rendered():
    _, _, text = rendered()
    assert f"```markdown\n{text}```\n" in docs_text("report.md")
