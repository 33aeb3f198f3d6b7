"""Documents that really update (issue #25 item 5): layout.document_names (what `patching report` reads back)
names exactly the documents the program builds, and the report's check of each deployed document (its default
version is the latest: pulumi-aws #2555's half-done update), request by request (botocore Stubber, the real
service model); the same against the AWS stand-in end to end is tests/test_report_documents_aws.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from conftest import EXAMPLE_STACKS, run_config
from patching_components import layout
from patching_components.config import load_stack_file
from patching_components.tools import report_deployment
from patching_components.tools.report_model import RegionRead, Report

DOCUMENT = "aws:ssm/document:Document"


@pytest.mark.parametrize("path", EXAMPLE_STACKS, ids=lambda p: p.name)
def test_the_layout_names_every_document_the_program_builds(example_runs, path):
    run = example_runs[path.name]
    config = load_stack_file(path)
    built = sorted(d.inputs["name"] for d in run.of_type(DOCUMENT))
    assert sorted(n for where in layout.regions(config) for n in layout.document_names(config, where)) == built


# -- the report's check, call by call ----------------------------------------------------------------------

NAME = "globex-freeze-guard"


def described(default="2", latest="2"):
    document = {
        "Name": NAME,
        "DocumentType": "Automation",
        "DocumentFormat": "YAML",
        "DocumentVersion": default,
        "DefaultVersion": default,
        "LatestVersion": latest,
        "Status": "Active",
    }
    return {"Document": document}


def check(calls, monkeypatch):
    """report_deployment.documents for one document (the stack's others are not read: monkeypatched layout),
    each AWS call stubbed in order; the gaps it finds."""
    monkeypatch.setattr(layout, "document_names", lambda config, where: [NAME])
    client = boto3.client("ssm", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    report = Report("globex", "globex", "123456789012", "arn", now, now - timedelta(days=31), ["us-east-1"], [], [], [])
    config = load_stack_file(EXAMPLE_STACKS[1])
    read = RegionRead(report, config, layout.region_layout(config), "us-east-1", lambda *_: client, lambda _: None, now)
    with Stubber(client) as stub:
        for operation, params, response in calls:
            if isinstance(response, str):
                stub.add_client_error(operation, response, expected_params=params)
            else:
                stub.add_response(operation, response, params)
        report_deployment.documents(read)
        stub.assert_no_pending_responses()
    return [(g.resource, g.kind) for g in report.gaps]


def test_a_default_version_that_is_the_latest_is_no_gap_with_one_call(monkeypatch):
    assert check([("describe_document", {"Name": NAME}, described())], monkeypatch) == []


@pytest.mark.parametrize(
    ("response", "kind"),
    [
        (described(default="2", latest="3"), "document-not-default"),
        ("InvalidDocument", "not-deployed"),
        ("AccessDeniedException", "unreadable-document"),
        ("ThrottlingException", "unreadable-document"),
    ],
)
def test_every_other_answer_is_a_gap(monkeypatch, response, kind):
    assert check([("describe_document", {"Name": NAME}, response)], monkeypatch) == [(NAME, kind)]


def variants():
    """Stacks that build the documents the examples do not: initech installing (snapshot-install runbooks,
    notices), acme in a second region (every name carrying the region)."""
    from patching_components.config import read_stack_yaml

    root = EXAMPLE_STACKS[0].parent
    initech = dict(read_stack_yaml((root / "Pulumi.initech.yaml").read_text())["config"])
    initech.update(
        {
            "patching:mode": "install",
            "patching:notifications": {"emails": ["ops@initech.example"], "summary": True},
            "patching:logging": {"s3Bucket": "create"},
        }
    )
    acme = dict(read_stack_yaml((root / "Pulumi.acme.yaml").read_text())["config"])
    acme["patching:regions"] = [acme["aws:region"], "us-west-2"]
    return {"initech": initech, "acme": acme}


@pytest.mark.parametrize("stack", ["initech", "acme"])
def test_the_layout_names_every_document_of_other_stacks(stack):
    import yaml

    from patching_components.config import parse_stack_text

    config_dict = variants()[stack]
    run = run_config(config_dict, stack=stack)
    config = parse_stack_text(yaml.safe_dump({"config": config_dict}), f"Pulumi.{stack}.yaml")
    built = sorted(d.inputs["name"] for d in run.of_type(DOCUMENT))
    names = sorted(n for where in layout.regions(config) for n in layout.document_names(config, where))
    assert names == built
    assert any(n.endswith("-snapshot-install") or "-us-west-2-" in n for n in names)


def test_the_report_policy_reads_the_stacks_documents_and_no_other():
    """The report's document read (report_deployment.documents), as IAM evaluates them against the document's
    ARN (tests/iam_model.py): with a stack file only that customer's documents, without one only documents named as
    the layout names ours; another customer's, or any other document, is denied."""
    from iam_model import Request, allowed

    from patching_components.iam_policies import report_policy_document

    def document(name, region="us-east-1"):
        return f"arn:aws:ssm:{region}:123456789012:document/{name}"

    where = {"aws:RequestedRegion": "us-east-1"}
    globex = report_policy_document("aws", ["us-east-1"], "globex")
    anyone = report_policy_document()
    for action in ("ssm:DescribeDocument",):
        for name in ("globex-freeze-guard", "globex-change-freezes", "globex-us-west-2-tue-install-approvals"):
            assert allowed([globex], Request(action, document(name), where)), (action, name)
            assert allowed([anyone], Request(action, document(name), where)), (action, name)
        for name in ("initech-freeze-guard", "initech-advance-notice"):
            assert not allowed([globex], Request(action, document(name), where)), (action, name)
        assert not allowed([anyone], Request(action, document("payroll-export"), where)), action
        assert not allowed(
            [globex],
            Request(action, document("globex-freeze-guard", "eu-west-1"), where | {"aws:RequestedRegion": "eu-west-1"}),
        )
        assert not allowed([anyone], Request(action, "*", where)), action
