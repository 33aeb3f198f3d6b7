"""`patching notice` end to end (through cli.main) against the AWS stand-in (tests/moto_aws.py): initech's
windows created from its plan (tests/deploy_plan.py), its nodes as EC2 instances, the window's next
openings from the fixture layer (moto lacks DescribeMaintenanceWindowSchedule). The clock is frozen."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest

from conftest import ROOT, in_stand_in_account
from patching_components.tools import cli, notice_command
from tests import deploy_plan

INITECH = in_stand_in_account(ROOT / "stacks" / "Pulumi.initech.yaml")
ACCOUNT, REGION = "123456789012", "eu-central-1"
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
WINDOWS = {
    "aws:ssm/maintenanceWindow:MaintenanceWindow",
    "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget",
    "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask",
}


class _Frozen(datetime):
    @classmethod
    def now(cls, tz=None):
        return NOW.astimezone(tz)


@pytest.fixture
def initech(aws, monkeypatch):
    monkeypatch.setattr(notice_command, "datetime", _Frozen)
    deployed = deploy_plan.deploy(INITECH, aws, include=lambda r: r.type in WINDOWS)
    window = deployed.id_of("initech-monthly-install")
    aws.layer.seed(
        "DescribeMaintenanceWindowSchedule",
        [
            {"_WindowId": window, "WindowId": window, "Name": "initech-monthly-install", "ExecutionTime": t}
            for t in ("2026-11-07T01:00Z", "2026-12-05T01:00Z", "2027-01-02T01:00Z")
        ],
        account=ACCOUNT,
        region=REGION,
    )
    ec2 = boto3.client("ec2", region_name=REGION)

    def node(group, name=None):
        tags = [{"Key": "Patch Group", "Value": group}] + ([{"Key": "Name", "Value": name}] if name else [])
        return ec2.run_instances(
            ImageId="ami-12c6146b",
            MinCount=1,
            MaxCount=1,
            TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
        )["Instances"][0]["InstanceId"]

    nodes = sorted([node("initech-erp", "erp-db"), node("initech-tools")])
    node("acme-web", "not-initech")
    aws.layer.calls.clear()
    return window, nodes


@pytest.mark.slow  # fast: test_notices.py::test_the_notice_check_makes_exactly_these_requests
def test_it_prints_the_next_openings_notice_and_sends_nothing(initech, aws, capsys):
    _, nodes = initech
    assert cli.main(["notice", str(INITECH), "--dry-run"]) == 0
    out = capsys.readouterr().out
    groups = {nodes[0]: None, nodes[1]: None}
    ec2 = boto3.client("ec2", region_name=REGION)
    for reservation in ec2.describe_instances(InstanceIds=nodes)["Reservations"]:
        for instance in reservation["Instances"]:
            tags = {t["Key"]: t["Value"] for t in instance["Tags"]}
            groups[instance["InstanceId"]] = (tags.get("Name"), tags["Patch Group"])
    node_lines = "\n".join(
        f"- {i}  {name or '(no Name tag)'}  [{group}]" for i, (name, group) in sorted(groups.items())
    )
    # The first opening after 2026-12-04 09:00Z: Saturday 5 December, 02:00 in Berlin (CET).
    first, rest = out.split("\n", 1)
    assert first.startswith(f"# initech: account {ACCOUNT} as ") and first.endswith("; nothing is sent")
    assert rest == (
        "\n"
        "Subject: Patching notice: initech-monthly-install opens Sat 2026-12-05 02:00 CET\n"
        "\n"
        "Maintenance window monthly-install (initech-monthly-install) of initech in eu-central-1 opens soon.\n"
        "\n"
        "Opens:   Sat 2026-12-05 02:00 CET (UTC+01:00)\n"
        "Cutoff:  Sat 2026-12-05 05:00 CET (UTC+01:00) (no node starts patching after it)\n"
        "Ends:    Sat 2026-12-05 06:00 CET (UTC+01:00)\n"
        "Time zone: Europe/Berlin\n"
        "\n"
        "Operation: Scan only (the stack is in scan-only mode): nothing is installed, no node reboots.\n"
        "\n"
        "Applies:\n"
        "- Change freeze: none configured.\n"
        "\n"
        "Nodes (2) in patch groups initech-erp, initech-tools:\n"
        f"{node_lines}\n"
        "\n"
    )
    assert aws.layer.calls["Publish"] == 0
    assert aws.layer.calls["AddTagsToResource"] == 0


@pytest.mark.slow
def test_a_window_that_is_not_deployed_is_a_gap_and_a_failure(aws, monkeypatch, capsys):
    monkeypatch.setattr(notice_command, "datetime", _Frozen)
    assert cli.main(["notice", str(INITECH)]) == 1
    err = capsys.readouterr().err
    assert f"patching: no notice: {REGION}: window initech-monthly-install: not deployed" in err


def test_an_unknown_window_is_refused(capsys):
    assert cli.main(["notice", str(INITECH), "--window", "weekly-scan"]) == 2
    assert "--window weekly-scan: the stack's install windows are monthly-install" in capsys.readouterr().err
