"""`patching report --sla` end to end against the AWS stand-in (tests/moto_aws.py): a node Amazon Inspector does not
actively scan is a gap (``not-measured``), never a clean node. fabrikam's plan deployed in its account, three Linux
EC2 nodes in moto with a patch state and no missing patch, Inspector's EC2 scanning enabled through moto's API, its
coverage seeded in the fixture layer (ListCoverage: moto 5 lacks it), no finding anywhere.

Expected by hand (AWS, "ScanStatus": ACTIVE with reason SUCCESSFUL is scanned; anything else is not; ListCoverage
lists one entry per scan type, and only the PACKAGE one says whether packages are checked):
  scanned: PACKAGE ACTIVE, SUCCESSFUL                 -> measured, no gap
  stopped: PACKAGE INACTIVE, EC2_INSTANCE_STOPPED,
           and NETWORK ACTIVE, SUCCESSFUL             -> not-measured (the NETWORK entry does not stand in)
  pending: PACKAGE ACTIVE, PENDING_INITIAL_SCAN       -> not-measured (nothing looked yet)
  unlisted: absent from the coverage                  -> not-measured
  No finding and no missing patch: without the coverage this month would read "SLA met"; with it, exit 3.
"""

from __future__ import annotations

import pytest
import time_machine
from test_report_sla_aws import SLA_STACK, covered

from patching_components.tools import cli
from tests.deploy_plan import deploy
from tests.moto_aws import seed_coverage
from tests.report_setup import FABRIKAM, NOW, Fleet, run_report, session_in

pytestmark = pytest.mark.slow  # seconds of moto: .ci/run runs it with -m slow
REGION = "us-east-1"


def test_a_node_inspector_does_not_scan_is_not_measured_in_every_format(aws, tmp_path, capsys):
    stack = tmp_path / "Pulumi.fabrikam.yaml"
    stack.write_text(SLA_STACK)
    names: dict[str, str] = {}
    session = session_in(FABRIKAM)
    deploy(stack, aws, session=session)
    fleet = Fleet(aws, session, FABRIKAM, REGION, names)
    nodes = {name: fleet.launch(name, "fabrikam-web")[0] for name in ("scanned", "stopped", "pending", "unlisted")}
    fleet.managed(list(nodes.values()))
    fleet.patch_state(list(nodes.values()), "fabrikam-web", "pb-0", "2026-11-30T01:05")
    fleet.seed("DescribeInstancePatches", [])  # nothing installed in the month, nothing missing
    session.client("inspector2", region_name=REGION).enable(accountIds=[FABRIKAM], resourceTypes=["EC2"])
    seed_coverage(
        aws.layer,
        [
            covered(nodes["scanned"]),
            covered(nodes["stopped"], "INACTIVE", "EC2_INSTANCE_STOPPED"),
            {**covered(nodes["stopped"]), "scanType": "NETWORK"},  # listed after its package scan
            covered(nodes["pending"], "ACTIVE", "PENDING_INITIAL_SCAN"),
            {**covered("i-0another0customer1"), "accountId": "210987654321"},  # another account: filtered out
        ],
        account=FABRIKAM,
        region=REGION,
    )

    code, data, _ = run_report(capsys, stack, names, "--sla", "--month", "2026-11")
    assert code == 3
    sla = data["sla"]
    assert (sla["nodes"], sla["breaches"], sla["inspector"], sla["ok"]) == (4, 0, {REGION: "on"}, False)
    assert sorted((g["resource"], g["kind"], g["detail"]) for g in sla["gaps"]) == [
        (
            "<pending>",
            "not-measured",
            "Amazon Inspector's scan status is ACTIVE (PENDING_INITIAL_SCAN): no finding means nothing looked",
        ),
        (
            "<stopped>",
            "not-measured",
            "Amazon Inspector's scan status is INACTIVE (EC2_INSTANCE_STOPPED): no finding means nothing looked",
        ),
        (
            "<unlisted>",
            "not-measured",
            "not in Amazon Inspector's coverage (ListCoverage): never scanned: no finding means nothing looked",
        ),
    ]
    assert "not-measured" in sla["meanings"]
    assert aws.layer.calls["ListCoverage"] == 1  # one listing for the region

    for fmt, says in (
        ("md", "3 EC2 node(s) not actively scanned by Amazon Inspector"),
        ("md", "| not-measured | 1 |"),
        ("html", '<td class="bad">not-measured</td>'),
        ("csv", ",not-measured,1: not in Amazon Inspector's coverage"),
    ):
        with time_machine.travel(NOW, tick=False):
            assert cli.main(["report", str(stack), "--sla", "--month", "2026-11", "--format", fmt]) == 3
        text = capsys.readouterr().out
        if fmt != "csv":  # the CSV has rows, no headline
            assert "SLA NOT JUDGED IN FULL: no breach in what was read" in text, fmt
        assert says in text, fmt
