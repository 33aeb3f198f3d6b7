"""Documents that really update (issue #25 item 5): every SSM document the program builds carries a version name
derived from its content (components/_base.ssm_document), its name and URN stay when the content changes, and
layout.document_names (what `patching report` reads back) names exactly the documents the program builds. The
report's check of a deployed document, request by request (botocore Stubber, the real service model); the same
against the AWS stand-in end to end is tests/test_report_documents_aws.py."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.stub import Stubber

from conftest import EXAMPLE_STACKS, MINIMAL, run_config
from patching_components import layout
from patching_components.config import load_stack_file
from patching_components.tools import report_deployment
from patching_components.tools.report_model import RegionRead, Report

DOCUMENT = "aws:ssm/document:Document"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize("path", EXAMPLE_STACKS, ids=lambda p: p.name)
def test_every_document_sends_the_sha256_of_its_content_as_its_version_name(example_runs, path):
    documents = example_runs[path.name].of_type(DOCUMENT)
    assert documents
    for document in documents:
        content = document.inputs["content"]
        # VersionName: ^[a-zA-Z0-9_\-.]{1,128}$ ("UpdateDocument", AWS Systems Manager API Reference).
        assert document.inputs["versionName"] == f"sha256-{sha256(content)}", document.name
        assert len(document.inputs["versionName"]) == 71


FREEZE = {"start": "2027-11-25", "end": "2027-11-30T06:00", "timezone": "America/New_York"}
WINDOW = {"schedule": "cron(0 2 ? * SUN *)", "durationHours": 4, "cutoffHours": 1, "operation": "Scan"}


def freezes(end: str):
    config = {
        **MINIMAL,
        "maintenanceWindows": {"weekly": WINDOW},
        "patchGroups": {"acme-web": {"baselines": ["al2023"], "maintenanceWindows": ["weekly"]}},
        "changeFreezes": {"black-friday": {**FREEZE, "end": end}},
        "aws:region": "eu-west-1",
    }
    return run_config(config, stack="acme")


def test_a_content_change_changes_the_version_name_and_nothing_else_of_the_document():
    """A freeze edit changes the Change Calendar's content: same Pulumi resource (URN), same AWS name (the guard
    and EventBridge read it by name), a new version name. The guard's content is the same, and so is its name."""
    before, after = freezes("2027-11-30T06:00"), freezes("2027-12-01T06:00")
    old = {d.urn: d.inputs for d in before.of_type(DOCUMENT)}
    new = {d.urn: d.inputs for d in after.of_type(DOCUMENT)}
    assert old.keys() == new.keys()
    changed = [urn for urn in old if old[urn]["content"] != new[urn]["content"]]
    assert [old[urn]["name"] for urn in changed] == ["acme-change-freezes"]
    for urn in old:
        assert old[urn]["name"] == new[urn]["name"]
        assert (old[urn]["versionName"] == new[urn]["versionName"]) is (urn not in changed)
        assert new[urn]["versionName"] == f"sha256-{sha256(new[urn]['content'])}"


@pytest.mark.parametrize("path", EXAMPLE_STACKS, ids=lambda p: p.name)
def test_the_layout_names_every_document_the_program_builds(example_runs, path):
    run = example_runs[path.name]
    config = load_stack_file(path)
    built = sorted(d.inputs["name"] for d in run.of_type(DOCUMENT))
    assert sorted(n for where in layout.regions(config) for n in layout.document_names(config, where)) == built


# -- the report's check, call by call ----------------------------------------------------------------------

NAME = "globex-freeze-guard"
CONTENT = "schemaVersion: '0.3'\nmainSteps: []\n"
OURS = f"sha256-{sha256(CONTENT)}"


def described(default="2", latest="2", version_name=OURS, digest=None):
    document = {
        "Name": NAME,
        "DocumentType": "Automation",
        "DocumentFormat": "YAML",
        "DocumentVersion": default,
        "DefaultVersion": default,
        "LatestVersion": latest,
        "Hash": digest or sha256(CONTENT),
        "HashType": "Sha256",
        "Status": "Active",
    }
    if version_name is not None:
        document["VersionName"] = version_name
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


def test_a_default_version_whose_aws_hash_is_its_names_is_read_with_one_call(monkeypatch):
    assert check([("describe_document", {"Name": NAME}, described())], monkeypatch) == []


def test_another_aws_hash_reads_the_content_and_compares_it(monkeypatch):
    other = described(digest="0" * 64)
    get = {"Name": NAME, "DocumentVersion": "2", "DocumentFormat": "YAML"}
    fine = {"Name": NAME, "DocumentVersion": "2", "Content": CONTENT, "DocumentFormat": "YAML"}
    assert check([("describe_document", {"Name": NAME}, other), ("get_document", get, fine)], monkeypatch) == []
    edited = {**fine, "Content": CONTENT + "# edited\n"}
    assert check([("describe_document", {"Name": NAME}, other), ("get_document", get, edited)], monkeypatch) == [
        (NAME, "document-changed")
    ]
    denied = "AccessDeniedException"
    assert check([("describe_document", {"Name": NAME}, other), ("get_document", get, denied)], monkeypatch) == [
        (NAME, "unreadable-document")
    ]


@pytest.mark.parametrize(
    ("response", "kind"),
    [
        (described(default="2", latest="3"), "document-not-default"),
        (described(version_name=None), "document-changed"),
        (described(version_name="release-12.6"), "document-changed"),
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
    """The report's two document reads (report_deployment.documents), as IAM evaluates them against the document's
    ARN (tests/iam_model.py): with a stack file only that customer's documents, without one only documents named as
    the layout names ours; another customer's, or any other document, is denied."""
    from iam_model import Request, allowed

    from patching_components.iam_policies import report_policy_document

    def document(name, region="us-east-1"):
        return f"arn:aws:ssm:{region}:123456789012:document/{name}"

    where = {"aws:RequestedRegion": "us-east-1"}
    globex = report_policy_document("aws", ["us-east-1"], "globex")
    anyone = report_policy_document()
    for action in ("ssm:DescribeDocument", "ssm:GetDocument"):
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
