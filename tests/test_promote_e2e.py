"""`patching promote` end to end (through cli.main) against the AWS stand-in (tests/moto_aws.py): acme's plan
deployed by tests/deploy_plan.py (the prod ring's promotion runbook among it), the log bucket with the
approve-nothing override the program writes, dev's window executions and nodes seeded in the fixture layer.
The command runs the deployed runbook's own steps; what it wrote is read back from S3. Clock frozen."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import time_machine

from conftest import ROOT, example_run, in_stand_in_account
from patching_components.tools import cli
from tests import deploy_plan

pytestmark = pytest.mark.slow
ACME = in_stand_in_account(ROOT / "stacks" / "Pulumi.acme.yaml")
ACCOUNT, REGION = "123456789012", "eu-west-1"
NOW = datetime(2026, 12, 13, 2, 0, 30, tzinfo=UTC)
DEV_STARTED = datetime(2026, 12, 8, 4, 0, 5, tzinfo=UTC)


def deployed(aws, failed_nodes=0):
    done = deploy_plan.deploy(ACME, aws)
    ssm = boto3.client("ssm", region_name=REGION)
    windows = {w["Name"]: w["WindowId"] for w in ssm.describe_maintenance_windows()["WindowIdentities"]}
    dev = windows["acme-dev-install"]
    content = ssm.get_document(Name="acme-ring-prod-promotion", DocumentFormat="YAML")["Content"]
    assert dev in content  # the runbook names dev's deployed window
    (obj,) = example_run(ACME).of_type("aws:s3/bucketObjectv2:BucketObjectv2")
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="acme-logs-mock", CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(
        Bucket="acme-logs-mock",
        Key=obj.inputs["key"],
        Body=obj.inputs["content"].encode(),
        Metadata=obj.inputs["metadata"],
    )
    execution = {
        "_WindowId": dev,
        "WindowId": dev,
        "WindowExecutionId": "11111111-2222-3333-4444-555555555555",
        "Status": "SUCCESS",
        "StartTime": DEV_STARTED.timestamp(),
        "EndTime": (DEV_STARTED + timedelta(hours=1)).timestamp(),
    }
    late = {
        **execution,
        "WindowExecutionId": "66666666-2222-3333-4444-555555555555",
        "StartTime": (NOW - timedelta(days=1)).timestamp(),
    }
    aws.layer.seed("DescribeMaintenanceWindowExecutions", [execution, late], account=ACCOUNT, region=REGION)
    nodes = [
        {
            "_PatchGroup": "acme-dev",
            "InstanceId": f"i-0000000000000000{n}",
            "PatchGroup": "acme-dev",
            "BaselineId": "pb-0123456789abcdef0",
            "OperationStartTime": (DEV_STARTED + timedelta(minutes=20)).timestamp(),
            "OperationEndTime": (DEV_STARTED + timedelta(minutes=30)).timestamp(),
            "Operation": "Install",
            "FailedCount": failed_nodes if n == 1 else 0,
            "MissingCount": 0,
            "InstalledPendingRebootCount": 0,
        }
        for n in (1, 2)
    ]
    aws.layer.seed("DescribeInstancePatchStatesForPatchGroup", nodes, account=ACCOUNT, region=REGION)
    return done, s3, obj.inputs["key"]


def override(s3, key):
    got = s3.get_object(Bucket="acme-logs-mock", Key=key)
    return json.loads(got["Body"].read()), got["Metadata"]


def test_promote_writes_devs_patch_set_for_prod(aws, capsys):
    _, s3, key = deployed(aws)
    with time_machine.travel(NOW, tick=False):
        assert cli.main(["promote", str(ACME), "--ring", "prod", "--dry-run"]) == 0
        out = capsys.readouterr().out
        assert "cut-off in force: none (nothing approved)" in out
        assert "AMAZON_LINUX_2023: released on or before 2026-12-01" in out  # 2026-12-08 - 7 days
        assert override(s3, key)[1]["source-execution"] == "none"  # --dry-run wrote nothing
        assert cli.main(["promote", str(ACME), "--ring", "prod"]) == 0
    (entry,), meta = override(s3, key)
    assert entry["ApprovalRules"]["PatchRules"][0]["ApproveUntilDate"] == "2026-12-01"
    assert (meta["source-execution"], meta["forced"]) == ("11111111-2222-3333-4444-555555555555", "false")
    assert "promoted: s3://acme-logs-mock/patching/acme.rings/prod.json: AMAZON_LINUX_2023=2026-12-01" in (
        capsys.readouterr().out
    )


def test_a_refusal_writes_nothing_and_force_accepts_that_install(aws, capsys):
    _, s3, key = deployed(aws, failed_nodes=2)
    with time_machine.travel(NOW, tick=False):
        assert cli.main(["promote", str(ACME), "--ring", "prod"]) == 4
        out = capsys.readouterr().out
        assert "refused: i-00000000000000001 (acme-dev) has 2 failed patch(es)" in out
        assert f"patching promote {ACME} --ring prod --force" in out
        assert override(s3, key)[1]["source-execution"] == "none"
        assert cli.main(["promote", str(ACME), "--ring", "prod", "--force"]) == 0
    assert override(s3, key)[1]["forced"] == "true"


def test_only_a_later_ring_can_be_promoted(aws, capsys):
    assert cli.main(["promote", str(ACME), "--ring", "dev"]) == 2
    assert "--ring dev: a later ring of the stack is needed (prod)" in capsys.readouterr().err


def report_json(capsys):
    with time_machine.travel(NOW, tick=False):
        cli.main(["report", str(ACME), "--format", "json"])
    return json.loads(capsys.readouterr().out)


def test_the_report_shows_the_cut_off_in_force_per_ring(aws, capsys):
    _, _, key = deployed(aws)
    (ring,) = report_json(capsys)["rings"]
    assert ring == {
        "region": REGION,
        "ring": "prod",
        "previousRing": "dev",
        "patchGroups": ["acme-web"],
        "cutoffs": "none (nothing approved)",
        "sourceExecution": None,
        "installDay": None,
        "forced": False,
        "override": f"s3://acme-logs-mock/{key}",
    }
    with time_machine.travel(NOW, tick=False):
        assert cli.main(["promote", str(ACME), "--ring", "prod"]) == 0
    capsys.readouterr()
    (ring,) = report_json(capsys)["rings"]
    assert (ring["cutoffs"], ring["installDay"]) == ("AMAZON_LINUX_2023=2026-12-01", "2026-12-08")
    assert ring["sourceExecution"] == "11111111-2222-3333-4444-555555555555"


def test_an_unreadable_override_is_a_gap_not_a_silent_ring(aws, capsys):
    _, s3, key = deployed(aws)
    s3.delete_object(Bucket="acme-logs-mock", Key=key)
    data = report_json(capsys)
    assert "rings" not in data  # nothing read: no cut-off shown, a gap instead
    (gap,) = [g for g in data["gaps"] if g["kind"] == "ring-cutoff-unknown"]
    assert gap["resource"] == "acme-ring-prod-promotion" and "ring prod: cannot read its override" in gap["detail"]


def test_the_operator_policy_allows_the_reports_ring_reads_and_no_more():
    from iam_model import Request, allowed

    from patching_components.iam_policies import report_policy_document

    policy = report_policy_document()
    document = f"arn:aws:ssm:{REGION}:{ACCOUNT}:document/acme-ring-prod-promotion"
    assert allowed([policy], Request("ssm:GetDocument", document))
    assert allowed([policy], Request("s3:GetObject", "arn:aws:s3:::acme-logs-0a1b2c3/patching/acme.rings/prod.json"))
    assert not allowed([policy], Request("s3:GetObject", "arn:aws:s3:::acme-logs-0a1b2c3/patching/acme/web/out.txt"))
    assert not allowed([policy], Request("ssm:GetDocument", f"arn:aws:ssm:{REGION}:{ACCOUNT}:document/acme-golden-x"))


def test_markdown_and_html_show_the_ring(aws, capsys):
    deployed(aws)
    for fmt, line in (
        ("md", "| eu-west-1 | prod | acme-web | none (nothing approved) | never promoted: installs nothing |"),
        (
            "html",
            "<td>prod</td><td>acme-web</td><td>none (nothing approved)</td><td>never promoted: installs nothing</td>",
        ),
    ):
        with time_machine.travel(NOW, tick=False):
            cli.main(["report", str(ACME), "--format", fmt])
        assert line in capsys.readouterr().out, fmt
