"""`patching report` reads back every SSM document the stack built (report_deployment.documents), end to end
through cli.main against the AWS stand-in (tests/moto_aws.py): globex's plan deployed by tests/deploy_plan.py
(its guard, catch-up and golden AMI runbooks and nothing else), then changed behind the stack's back as
issue #25 item 5 describes. Only the documents' gaps are
compared (the stack has no nodes here: its other gaps are tests/test_report_aws.py's)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import botocore.client
import pytest
import time_machine
from botocore.exceptions import ClientError

from conftest import ROOT, in_stand_in_account
from patching_components.tools import cli
from tests import deploy_plan

pytestmark = pytest.mark.slow

GLOBEX = in_stand_in_account(ROOT / "stacks" / "Pulumi.globex.yaml")
REGION = "us-east-1"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
DOCUMENTS = [
    "globex-golden-ami-win2022-fileserver",
    "globex-change-freezes",
    "globex-tue-install-approvals",
    "globex-freeze-guard",
    "globex-tue-install-catch-up",
]
CALENDARS = [("globex-change-freezes", "not-deployed"), ("globex-tue-install-approvals", "not-deployed")]
KINDS = {"document-not-default", "unreadable-document"}


def document_gaps(capsys) -> list[tuple[str, str]]:
    with time_machine.travel(NOW, tick=False):
        code = cli.main(["report", str(GLOBEX), "--format", "json"])
    assert code == 3  # no nodes in the stand-in: never ok
    gaps = json.loads(capsys.readouterr().out)["gaps"]
    return [(g["resource"], g["kind"]) for g in gaps if g["kind"] in KINDS or g["resource"] in DOCUMENTS]


@pytest.fixture
def ssm(aws):
    # Its runbooks alone (the rest of globex is tests/test_report_aws.py's; moto refuses its second Ubuntu
    # registration), not its Change Calendars: moto 5 refuses DocumentFormat TEXT, which a ChangeCalendar must be
    # ("CreateDocument", AWS Systems Manager API Reference). Those read as missing (CALENDARS); their other
    # answers are tests/test_report_documents.py's (botocore Stubber, the same code).
    deploy_plan.deploy(
        GLOBEX,
        aws,
        include=lambda r: r.type == "aws:ssm/document:Document" and r.inputs.get("documentFormat") != "TEXT",
    )
    return boto3.client("ssm", region_name=REGION)


def test_documents_as_the_stack_built_them_are_no_gap(ssm, capsys):
    listed = {
        d["Name"] for d in ssm.list_documents(Filters=[{"Key": "Owner", "Values": ["Self"]}])["DocumentIdentifiers"]
    }
    assert listed == set(DOCUMENTS) - {name for name, _ in CALENDARS}
    assert document_gaps(capsys) == CALENDARS


GUARD = "globex-freeze-guard"


def edited_content(ssm) -> str:
    return ssm.get_document(Name=GUARD, DocumentFormat="YAML")["Content"] + "# edited by hand\n"


def test_a_new_default_set_behind_the_stacks_back_is_no_gap_here(ssm, capsys):
    """Content edited and made the default by hand: the default is the latest, so the report sees nothing wrong
    with what runs; the nightly drift check (`pulumi preview --refresh`, which reads the latest version's
    content) shows it. The report never claims to compare content it does not know."""
    new = ssm.update_document(Name=GUARD, Content=edited_content(ssm), DocumentVersion="$LATEST", DocumentFormat="YAML")
    ssm.update_document_default_version(Name=GUARD, DocumentVersion=new["DocumentDescription"]["DocumentVersion"])
    assert document_gaps(capsys) == CALENDARS


def test_a_new_version_left_behind_the_old_default_is_a_gap(ssm, capsys):
    """What pulumi-aws #2555 leaves: UpdateDocument created version 2, UpdateDocumentDefaultVersion never ran."""
    ssm.update_document(
        Name=GUARD,
        Content=edited_content(ssm),
        DocumentVersion="$LATEST",
        DocumentFormat="YAML",
    )
    assert document_gaps(capsys) == [*CALENDARS, (GUARD, "document-not-default")]


def test_a_deleted_document_is_a_gap(ssm, capsys):
    ssm.delete_document(Name="globex-tue-install-catch-up")
    assert document_gaps(capsys) == [*CALENDARS, ("globex-tue-install-catch-up", "not-deployed")]


def test_a_denied_read_is_a_gap_never_ok(ssm, capsys, monkeypatch):
    real = botocore.client.BaseClient._make_api_call

    def denied(self, operation, params):
        if operation == "DescribeDocument" and params.get("Name") == GUARD:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, operation)
        return real(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", denied)
    assert document_gaps(capsys) == [*CALENDARS, (GUARD, "unreadable-document")]
