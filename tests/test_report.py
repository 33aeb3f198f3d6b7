"""`patching report` against botocore's Stubber: every request and response is checked against
the real service models; the expected report is what the fixture's account holds, by hand."""

import csv
import io
import json
import re

import jsonschema
import pytest
import report_fixture as fixture
import time_machine
from aws_stubs import StubbedAccount as _Stubbed
from aws_stubs import use_account

from conftest import ROOT
from patching_components import cli
from patching_components.config import load_stack_file
from patching_components.policies import REPORT_READ_ACTIONS, report_policy_document
from patching_components.report import collect
from patching_components.report_formats import render

ACME = ROOT / "stacks" / "Pulumi.acme.yaml"
SCHEMA = json.loads((ROOT / "patching_components" / "data" / "report.schema.json").read_text())


def StubbedAccount(ssm_calls=fixture.SSM_CALLS, ec2_calls=fixture.EC2_CALLS):
    return _Stubbed({"ssm": ssm_calls, "ec2": ec2_calls}, fixture.REGION)


@pytest.fixture
def account():
    return StubbedAccount()


@pytest.fixture
def report(account):
    config = load_stack_file(ACME)
    found = collect(config, "acme", [fixture.REGION], account, primary_region=fixture.REGION, now=fixture.NOW)
    account.assert_all_called()
    return found


def test_instances_of_the_patch_groups_with_their_state(report):
    by_id = {i.instance_id: i for i in report.instances}
    assert sorted(by_id) == ["i-0web1", "i-0web2", "i-0web3", "i-0web5"]  # both pages
    web2 = by_id["i-0web2"]
    assert (web2.compliance, web2.counts["missing"], web2.counts["failed"], web2.critical_non_compliant) == (
        "NON_COMPLIANT",
        3,
        1,
        2,
    )
    assert (web2.name, web2.platform, web2.operation) == ("web-2", "Amazon Linux", "Install")
    # web-3 reports COMPLIANT, but against the default baseline, not acme-web's: not compliant here.
    assert by_id["i-0web3"].compliance == "COMPLIANT" and not by_id["i-0web3"].baseline_expected
    assert [i.instance_id for i in report.compliant] == ["i-0web1", "i-0web5"]
    assert [i.instance_id for i in report.worst()] == ["i-0web2", "i-0web3"]


def test_coverage_gaps(report):
    assert [(g.instance_id, g.kind, g.detail) for g in report.gaps] == [
        ("i-0loose", "no-patch-group", "no 'Patch Group' tag"),
        # globex-web is another stack's registered group: not reported here.
        ("i-0typo", "unregistered-group", "Patch Group = 'acme-wbe'"),
        ("i-0web3", "offline", "ConnectionLost, last seen 2026-11-20 14:02Z"),
        ("i-0web4", "not-managed", "Patch Group = 'acme-web', running"),
        # The daily scan last opened on 30 Nov; web-5 was last patched on 1 Nov.
        ("i-0web5", "stopped-missed-window", "its window ran 2026-11-30 01:00Z; last patched 2026-11-01"),
    ]
    assert not report.ok


def test_window_runs_with_the_failed_instances(report):
    runs = {w.window: w for w in report.windows}
    assert [e.start.day for e in runs["daily-scan"].executions] == [30, 28]  # newest first
    weekly = runs["weekly-install"]
    assert [e.status for e in weekly.executions] == ["FAILED", "SUCCESS"]
    assert [(f.instance_id, f.status) for f in weekly.executions[0].failed] == [("i-0web2", "Failed")]


def test_only_read_only_calls_all_in_the_operator_policy(account, report):
    assert set(account.called) == set(REPORT_READ_ACTIONS)
    assert all(re.match(r"^(ssm|ec2):(Describe|List|Get)", call) for call in account.called)


def test_json_matches_its_schema_and_the_fixture(report):
    data = json.loads(render(report, "json"))
    jsonschema.validate(data, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert data["summary"] == {"instances": 4, "compliant": 2, "nonCompliant": 2, "uncovered": 5, "ok": False}
    assert data["instances"][1]["lastOperationTime"] == "2026-11-29T02:41:00+00:00"


def test_csv_has_a_row_per_instance(report):
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    with_state = ["i-0web1", "i-0web2", "i-0web3", "i-0web5"]
    assert [r["instanceId"] for r in rows] == [*with_state, "i-0loose", "i-0typo", "i-0web3", "i-0web4", "i-0web5"]
    assert rows[1]["compliance"] == "NON_COMPLIANT" and rows[1]["missing"] == "3"
    assert rows[2]["baselineExpected"] == "false"
    assert rows[-1]["compliance"] == "UNCOVERED" and rows[-1]["gap"] == "stopped-missed-window"


def test_html_is_self_contained_with_a_chart(report):
    page = render(report, "html")
    assert "<svg" in page and "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert page.count("<rect") == 3  # compliant, not compliant, not covered
    assert "<title>2 compliant</title>" in page and "<title>5 not covered</title>" in page
    assert 'class="WRONG">WRONG BASELINE</td>' in page


def test_markdown_summary(report):
    text = render(report, "md")
    assert "- **4 instance(s)** in 1 patch group(s): **2 compliant (50%)**, 2 not" in text
    assert "- **5 not covered**: 1 no-patch-group, 1 not-managed, 1 offline, 1 stopped-missed-window, " in text
    assert "| eu-west-1 | weekly-install | 2 | FAILED 2026-11-29 02:00Z | i-0web2 (Failed) |" in text


@time_machine.travel(fixture.NOW, tick=False)
def test_the_readme_sample_is_the_fixtures_report(monkeypatch, capsys):
    use_account(monkeypatch, StubbedAccount())
    assert cli.main(["report", str(ACME)]) == 3
    out = capsys.readouterr().out.replace(str(ACME), "stacks/Pulumi.acme.yaml")
    readme = (ROOT / "README.md").read_text()
    sample = re.search(r"<!-- report sample -->\n```markdown\n(.*?)```", readme, re.S)
    assert sample and sample.group(1) == out


@time_machine.travel(fixture.NOW, tick=False)
@pytest.mark.parametrize("fmt", ["md", "html", "csv", "json"])
def test_cli_writes_each_format_and_exits_3(monkeypatch, tmp_path, capsys, fmt):
    use_account(monkeypatch, StubbedAccount())
    out = tmp_path / f"report.{fmt}"
    assert cli.main(["report", str(ACME), "--format", fmt, "--out", str(out)]) == 3
    assert out.read_text() and capsys.readouterr().out == ""


def all_compliant_calls():
    """The fixture's account with every problem fixed: one instance, patched, nothing else."""
    by_operation = {operation: (params, response) for operation, params, response in fixture.SSM_CALLS}
    ssm = [
        ("describe_instance_information", {}, {"InstanceInformationList": [fixture.managed("i-0web1", "web-1")]}),
        ("describe_patch_groups", *by_operation["describe_patch_groups"]),
        (
            "list_resource_compliance_summaries",
            by_operation["list_resource_compliance_summaries"][0],
            {
                "ResourceComplianceSummaryItems": [
                    {
                        "ComplianceType": "Patch",
                        "ResourceType": "ManagedInstance",
                        "ResourceId": "i-0web1",
                        "Status": "COMPLIANT",
                    }
                ]
            },
        ),
        (
            "describe_instance_patch_states_for_patch_group",
            {"PatchGroup": "acme-web"},
            {"InstancePatchStates": [fixture.patch_state("i-0web1")]},
        ),
        ("describe_maintenance_windows", *by_operation["describe_maintenance_windows"]),
        *(
            (
                "describe_maintenance_window_executions",
                {"WindowId": window, "Filters": [{"Key": "ExecutedAfter", "Values": ["2026-10-31T09:00:00Z"]}]},
                {"WindowExecutions": []},
            )
            for window in (fixture.DAILY, fixture.WEEKLY)
        ),
    ]
    ec2 = [
        (
            "describe_instances",
            fixture.EC2_CALLS[0][1],
            {"Reservations": [{"Instances": [fixture.ec2("i-0web1", Patch_Group="acme-web", Name="web-1")]}]},
        )
    ]
    return ssm, ec2


@time_machine.travel(fixture.NOW, tick=False)
def test_all_compliant_exits_0(monkeypatch, capsys):
    ssm, ec2 = all_compliant_calls()
    use_account(monkeypatch, StubbedAccount(ssm, ec2))
    assert cli.main(["report", str(ACME), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["summary"]["ok"] is True


@pytest.mark.parametrize(
    ("code", "message", "hint"),
    [
        ("ExpiredTokenException", "The security token included in the request is expired", "refresh your AWS"),
        ("AccessDeniedException", "User is not authorized", "lack this permission"),
        ("ThrottlingException", "Rate exceeded", "still throttled after retries"),
    ],
)
def test_aws_errors_are_one_line_exit_2(monkeypatch, capsys, code, message, hint):
    error = Exception({"service_error_code": code, "service_message": message, "http_status_code": 400})
    use_account(monkeypatch, StubbedAccount([("describe_instance_information", None, error)], []))
    assert cli.main(["report", str(ACME)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    (line,) = captured.err.splitlines()
    assert line.startswith(f"patching: error: AWS refused DescribeInstanceInformation: {code}: {message}: ")
    assert hint in line


def test_no_credentials_is_one_line_exit_2(monkeypatch, capsys):
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert cli.main(["report", str(ACME)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(
        f"patching: error: {ACME}: no AWS credentials found (environment, aws:profile, ~/.aws, instance role)"
    )


def test_throttled_calls_are_retried_by_botocores_standard_mode(monkeypatch):
    """The real retry path (Stubber answers before it): a client from aws_access.session_clients whose HTTP
    layer says ThrottlingException twice, then answers."""
    for variable, value in (("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE"), ("AWS_SECRET_ACCESS_KEY", "example")):
        monkeypatch.setenv(variable, value)
    monkeypatch.setattr("time.sleep", lambda seconds: None)  # the backoff, without waiting
    import boto3
    from botocore.awsrequest import AWSResponse

    from patching_components.aws_access import session_clients

    client = session_clients(boto3.Session())("ssm", fixture.REGION)
    sent = []

    class Raw:
        def __init__(self, body):
            self.body = body

        def stream(self, **kwargs):
            yield self.body

    def answer(request, **kwargs):
        sent.append(request)
        if len(sent) <= 2:
            body = b'{"__type":"ThrottlingException","message":"Rate exceeded"}'
            return AWSResponse(request.url, 400, {"x-amzn-RequestId": "r"}, Raw(body))
        return AWSResponse(request.url, 200, {"x-amzn-RequestId": "r"}, Raw(b'{"InstanceInformationList": []}'))

    client.meta.events.register("before-send", answer)
    assert client.describe_instance_information()["InstanceInformationList"] == []
    assert len(sent) == 3


def test_the_readme_policy_is_the_operator_policy():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"<!-- report policy -->\n```json\n(.*?)```", readme, re.S)
    assert block and json.loads(block.group(1)) == report_policy_document()


def test_the_stacks_profile_yields_to_credentials_from_the_environment(monkeypatch):
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    assert cli._stack_profile({"aws:profile": "acme-admin"}) == "acme-admin"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE")  # a CI job's OIDC session
    assert cli._stack_profile({"aws:profile": "acme-admin"}) is None
