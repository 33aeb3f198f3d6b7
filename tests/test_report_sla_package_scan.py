"""Review of the SLA report's coverage (``patching report --sla``): a node is measured by Amazon Inspector only when
its PACKAGE scan is ACTIVE with reason SUCCESSFUL. ListCoverage lists one CoveredResource per resource and scan type
(a node can have a NETWORK entry and a PACKAGE entry): keyed by resourceId, an ACTIVE NETWORK entry listed after an
INACTIVE PACKAGE one made a node whose packages nobody scans count as measured.

Expected values by hand from AWS's Inspector API Reference: "CoverageFilterCriteria" (``scanType``, a
CoverageStringFilter: comparison EQUALS | NOT_EQUALS | ...), "CoveredResource" (``scanType`` NETWORK | PACKAGE |
CODE), "ScanStatus" (``reason`` SUCCESSFUL: "The scan was successful"; PENDING_INITIAL_SCAN: "This resource has been
identified for scanning, results will be available soon"). The request shape is checked by botocore's Stubber."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import botocore.session
from botocore.stub import Stubber

from patching_components.tools.report_sla import SlaReport, _coverage

ACCOUNT, REGION = "123456789012", "eu-west-1"
NODES = {f"i-0{name}": None for name in ("scanned", "netonly", "pending", "deepinspect", "networkonly")}
CRITERIA = {
    "accountId": [{"comparison": "EQUALS", "value": ACCOUNT}],
    "resourceType": [{"comparison": "EQUALS", "value": "AWS_EC2_INSTANCE"}],
    "scanType": [{"comparison": "EQUALS", "value": "PACKAGE"}],
}


def entry(instance_id, scan_type, code, reason):
    return {
        "resourceType": "AWS_EC2_INSTANCE",
        "resourceId": instance_id,
        "accountId": ACCOUNT,
        "scanType": scan_type,
        "scanStatus": {"statusCode": code, "reason": reason},
    }


def _run(listed):
    client = boto3.client(
        "inspector2", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x", aws_session_token="x"
    )
    report = SlaReport(
        {},
        "2026-11",
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2026, 12, 1, tzinfo=UTC),
    )
    with Stubber(client) as stub:
        stub.add_response(
            "list_coverage", {"coveredResources": listed}, {"filterCriteria": CRITERIA, "maxResults": 200}
        )
        assert _coverage(report, REGION, client, ACCOUNT, dict(NODES)) is True
        stub.assert_no_pending_responses()
    return report


def test_only_an_active_successful_package_scan_measures_a_node():
    report = _run(
        [
            entry("i-0scanned", "PACKAGE", "ACTIVE", "SUCCESSFUL"),
            entry("i-0netonly", "PACKAGE", "INACTIVE", "UNMANAGED_EC2_INSTANCE"),
            # A NETWORK entry a filterless or misbehaving listing would return: never the node's package scan.
            entry("i-0netonly", "NETWORK", "ACTIVE", "SUCCESSFUL"),
            entry("i-0pending", "PACKAGE", "ACTIVE", "PENDING_INITIAL_SCAN"),
            entry("i-0deepinspect", "PACKAGE", "ACTIVE", "DEEP_INSPECTION_NO_INVENTORY"),
            entry("i-0networkonly", "NETWORK", "ACTIVE", "SUCCESSFUL"),  # no PACKAGE entry at all
        ]
    )
    assert report.scanned == {REGION: {"i-0scanned"}}
    gaps = {g.resource: g.detail for g in report.gaps}
    status = "Amazon Inspector's scan status is {}: no finding means nothing looked"
    assert gaps == {
        "i-0netonly": status.format("INACTIVE (UNMANAGED_EC2_INSTANCE)"),
        "i-0pending": status.format("ACTIVE (PENDING_INITIAL_SCAN)"),
        "i-0deepinspect": status.format("ACTIVE (DEEP_INSPECTION_NO_INVENTORY)"),
        "i-0networkonly": "not in Amazon Inspector's coverage (ListCoverage): never scanned: no finding means nothing "
        "looked",
    }
    assert {g.kind for g in report.gaps} == {"not-measured"}


def test_the_scan_type_filter_and_the_reason_are_awss():
    model = botocore.session.get_session().get_service_model("inspector2")
    assert "scanType" in model.shape_for("CoverageFilterCriteria").members
    assert model.shape_for("CoveredResource").members["scanType"].enum == ["NETWORK", "PACKAGE", "CODE"]
    reasons = model.shape_for("ScanStatus").members["reason"].enum
    assert {"SUCCESSFUL", "PENDING_INITIAL_SCAN"} <= set(reasons)
