"""`patching report` against botocore's Stubber: every request and response is checked against
the real service models; the expected report is what the fixture's account holds, by hand."""

import csv
import io
import json
import re

import botocore.session
import jsonschema
import pytest
import report_fixture as fixture
import time_machine
from aws_stubs import StubbedAccount as _Stubbed
from aws_stubs import use_account
from docs_pages import docs_text

from patching_components.config import ChangeFreezeConfig, load_stack_file
from patching_components.iam_policies import report_policy_document
from patching_components.tools import aws_access, cli
from patching_components.tools.report import GAPS, NODE_STATUSES, PAGE_SIZES
from patching_components.tools.report_formats import SCHEMA_VERSION, render
from tests import report_setup as setup

# acme as tests/report_fixture.py's account has it: before its dev ring (patching:rings), which adds a group,
# a window and a promotion task the hand-written responses do not have.
ACME = setup.ACME
SCHEMA = setup.SCHEMA


def StubbedAccount(ssm_calls=fixture.SSM_CALLS, ec2_calls=fixture.EC2_CALLS, sns_calls=fixture.SNS_CALLS):
    return _Stubbed({"ssm": ssm_calls, "ec2": ec2_calls, "sns": sns_calls}, fixture.REGION)


ACCOUNT, PRINCIPAL = setup.ACME_ACCOUNT, setup.ACME_PRINCIPAL


@pytest.fixture
def account():
    return StubbedAccount()


@pytest.fixture
def report(account):
    return setup.collect_acme(account)


STALE_ACME = (
    "its windows open at least every 26 hours, so anything older than 52 hours is stale"  # 25 h, 26 h over BST's end
)


def test_every_node_has_a_row_with_its_problems(report):
    assert [(i.instance_id, i.patch_group, i.problems) for i in report.instances] == [
        ("i-0loose", None, [("no-patch-group", "no 'Patch Group' tag")]),
        (
            "i-0typo",
            "acme-wbe",
            [
                ("not-managed", "Patch Group = 'acme-wbe', running"),
                ("unregistered-group", "Patch Group = 'acme-wbe'"),
            ],
        ),
        ("i-0web1", "acme-web", []),
        (
            "i-0web2",
            "acme-web",
            [
                ("failed", "Failed in weekly-install of 2026-11-29 02:00Z: Failed"),
                ("non-compliant", "3 missing, 1 failed, 2 critical, 4 security"),
            ],
        ),
        (
            "i-0web3",
            "acme-web",
            [
                ("offline", "ConnectionLost, last seen 2026-11-20 14:02Z"),
                ("other-baseline", "Scan with pb-0c10e65c8d98bbb8f, not a baseline of acme-web"),
                ("stale-scan", f"last Scan 2026-11-20 01:41Z; {STALE_ACME}"),
            ],
        ),
        (
            "i-0web4",
            "acme-web",
            [
                ("not-managed", "Patch Group = 'acme-web', running"),
                ("never-scanned", "no patch state in Systems Manager"),
            ],
        ),
        (
            "i-0web5",
            "acme-web",
            [
                # The daily scan last opened on 30 Nov; web-5 was last patched on 1 Nov.
                ("stopped-missed-window", "its window ran 2026-11-30 01:00Z; last patched 2026-11-01"),
                ("stale-scan", f"last Install 2026-11-01 02:41Z; {STALE_ACME}"),
            ],
        ),
    ]
    # globex-web is another stack's registered group, i-0gone is terminated: no row.
    assert [i.instance_id for i in report.compliant] == ["i-0web1"]
    assert [i.instance_id for i in report.worst()] == ["i-0typo", "i-0web4", "i-0web3", "i-0web5", "i-0loose"]
    web2 = report.instances[3]
    assert (web2.name, web2.platform, web2.operation, web2.counts["missing"], web2.critical_non_compliant) == (
        "web-2",
        "Amazon Linux",
        "Scan",
        3,
        2,
    )
    assert [(r.window, r.status) for r in web2.last_runs] == [("daily-scan", "Success"), ("weekly-install", "Failed")]


def test_the_deployment_is_judged(report):
    assert [(g.resource, g.kind, g.detail) for g in report.gaps] == [
        # web-2's command failed, so the Sunday install of 29 Nov ended FAILED: its last finished run.
        ("acme-weekly-install", "window-run-failed", "its last finished run (2026-11-29 02:00Z) ended FAILED"),
        ("oncall@msp.example", "unconfirmed-subscription", "pending confirmation on acme-alerts in eu-west-1"),
        ("al2023-base", "golden-ami-build-failed", "last build Failed 2026-11-02 04:00Z, 29 days ago"),
    ]
    (pipeline,) = report.pipelines
    assert (pipeline.image_id, pipeline.last_build_status) == ("ami-0acme0000000000a1", "Failed")
    assert not report.ok


def test_window_runs_with_the_failed_instances(report):
    runs = {w.window: w for w in report.windows}
    assert [e.start.day for e in runs["daily-scan"].executions] == [30, 28]  # newest first
    weekly = runs["weekly-install"]
    assert [e.status for e in weekly.executions] == ["FAILED", "SUCCESS"]
    assert [(f.instance_id, f.status) for f in weekly.executions[0].failed] == [("i-0web2", "Failed")]


def evaluated_resource(service, operation, params, region):
    """The resource ARN IAM evaluates a call against, from its request ("Actions, resources, and condition
    keys for AWS Systems Manager", Service Authorization Reference,
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html): a
    maintenance window's calls name the window, GetParameter the parameter (its name without the
    leading slash); the listings name no resource ("*")."""
    if service == "ssm" and "WindowId" in params:
        return f"arn:aws:ssm:{region}:{ACCOUNT}:maintenancewindow/{params['WindowId']}"
    if service == "ssm" and operation in ("DescribeDocument", "GetDocument"):
        return f"arn:aws:ssm:{region}:{ACCOUNT}:document/{params['Name']}"
    if service == "ssm" and operation == "GetParameter":
        return f"arn:aws:ssm:{region}:{ACCOUNT}:parameter/{params['Name'].lstrip('/')}"
    return "*"


@pytest.mark.parametrize("regions", [None, [fixture.REGION]])
def test_only_read_only_calls_all_allowed_by_the_operator_policy(account, report, regions):
    """Every call the report made, as IAM evaluates it (action, resource, aws:RequestedRegion), is allowed
    by the operator policy (tests/iam_model.py); in another region the region-limited policy denies it."""
    from iam_model import Request, allowed

    assert account.requests, "no call recorded"
    policy = report_policy_document(regions=regions)
    for service, operation, params, region in account.requests:
        action = f"{service}:{operation}"
        assert re.match(r"^(ssm|ec2|sns):(Describe|List|Get)", action), action
        request = Request(
            action, evaluated_resource(service, operation, params, region), {"aws:RequestedRegion": region}
        )
        assert allowed([policy], request), request
    # sts:GetCallerIdentity (made where the account is opened) needs no permission ("GetCallerIdentity",
    # AWS STS API Reference: "No permissions are required to perform this operation").
    elsewhere = Request("ssm:DescribeInstanceInformation", "*", {"aws:RequestedRegion": "us-west-2"})
    assert allowed([policy], elsewhere) is (regions is None)
    # A call the report never makes is not granted.
    assert not allowed([policy], Request("ssm:SendCommand", "*", {"aws:RequestedRegion": fixture.REGION}))


def test_page_sizes_are_the_largest_aws_allows():
    ssm = botocore.session.get_session().get_service_model("ssm")
    for operation, size in PAGE_SIZES.items():
        if operation == "describe_instances":
            continue  # EC2's model gives no maximum: 1000 ("DescribeInstances", EC2 API Reference)
        name = "".join(part.title() for part in operation.split("_"))
        assert size == ssm.operation_model(name).input_shape.members["MaxResults"].metadata["max"], operation


def test_the_schema_names_every_status_and_gap():
    assert SCHEMA["$defs"]["status"]["enum"] == [*NODE_STATUSES, "compliant"]
    assert SCHEMA["$defs"]["gapKind"]["enum"] == list(GAPS)
    assert SCHEMA["properties"]["schemaVersion"]["const"] == SCHEMA_VERSION == 2


def test_json_matches_its_schema_and_the_fixture(report):
    data = json.loads(render(report, "json"))
    jsonschema.validate(data, SCHEMA, format_checker=jsonschema.FormatChecker())
    assert data["account"] == {"id": ACCOUNT, "principal": PRINCIPAL}
    assert data["summary"] == {
        "nodes": 7,
        "compliant": 1,
        "nonCompliant": 6,
        "statuses": {
            "not-managed": 2,
            "offline": 1,
            "stopped-missed-window": 1,
            "no-patch-group": 1,
            "failed": 1,
            "compliant": 1,
        },
        "gaps": 3,
        "ok": False,
    }
    assert data["nodes"][2]["lastOperationTime"] == "2026-11-30T01:41:00+00:00"
    assert data["nodes"][2]["lastRun"] == {
        "window": "daily-scan",
        "executionId": fixture.DAILY_30,
        "start": "2026-11-30T01:00:00+00:00",
        "status": "Success",
    }
    assert data["pipelines"] == [
        {
            "region": "eu-west-1",
            "pipeline": "al2023-base",
            "imageId": "ami-0acme0000000000a1",
            "lastBuild": {
                "executionId": "3c4d5e6f-0000-4000-8000-000000001102",
                "status": "Failed",
                "start": "2026-11-02T04:00:00+00:00",
                "end": "2026-11-02T04:31:00+00:00",
                "ageDays": 29,
            },
            # the image's age: its newest successful build, 5 Oct 04:00 to 1 Dec 09:00 (57 days 5 hours)
            "lastSuccess": {
                "executionId": "3c4d5e6f-0000-4000-8000-000000001005",
                "start": "2026-10-05T04:00:00+00:00",
                "ageDays": 57,
            },
        }
    ]
    # collect_acme gives no stack_regions (the command does): not known, never "every region read"
    assert (data["stackRegions"], data["regionsNarrowed"]) == (None, None)


def test_csv_has_a_row_per_node_then_per_gap(report):
    rows = list(csv.DictReader(io.StringIO(render(report, "csv"))))
    nodes = ["i-0loose", "i-0typo", "i-0web1", "i-0web2", "i-0web3", "i-0web4", "i-0web5"]
    assert [(r["row"], r["instanceId"] or r["name"]) for r in rows] == [
        *(("node", n) for n in nodes),
        ("gap", "acme-weekly-install"),
        ("gap", "oncall@msp.example"),
        ("gap", "al2023-base"),
    ]
    assert (rows[3]["status"], rows[3]["missing"]) == ("failed", "3")
    assert rows[4]["reason"].startswith("offline: ConnectionLost") and rows[0]["missing"] == ""  # no patch state
    assert rows[-1]["status"] == "golden-ami-build-failed"
    assert {(r["account"], r["principal"]) for r in rows} == {(ACCOUNT, PRINCIPAL)}


def test_html_is_self_contained_with_a_chart(report):
    page = render(report, "html")
    assert "<svg" in page and "<script" not in page and "http://" not in page.replace("http://www.w3.org", "")
    assert page.count("<rect") == 3  # compliant, not compliant, deployment gaps
    assert "<title>1 compliant</title>" in page and "<title>3 deployment gaps</title>" in page
    assert '<td class="bad" title="managed, but its agent has not reported in' in page
    assert f"Account <code>{ACCOUNT}</code> read as <code>{PRINCIPAL}</code>" in page


def test_markdown_summary(report):
    text = render(report, "md")
    assert (
        "- **7 node(s)** in 2 patch group(s): **1 compliant (14%)**, 6 not: 2 not-managed, 1 offline, "
        "1 stopped-missed-window, 1 no-patch-group, 1 failed\n" in text
    )
    assert (
        "- **3 deployment gap(s)**: 1 golden-ami-build-failed, 1 unconfirmed-subscription, 1 window-run-failed\n"
        in text
    )
    assert "| eu-west-1 | weekly-install | 2 | FAILED 2026-11-29 02:00Z | i-0web2 (Failed) |" in text
    assert f"Account `{ACCOUNT}` read as `{PRINCIPAL}`." in text


@time_machine.travel(fixture.NOW, tick=False)
def test_the_readme_sample_is_the_fixtures_report(monkeypatch, capsys):
    use_account(monkeypatch, StubbedAccount())
    assert cli.main(["report", str(ACME)]) == 3
    out = capsys.readouterr().out.replace(str(ACME), "stacks/Pulumi.acme.yaml")
    readme = docs_text("report.md")
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
    """The fixture's account with every problem fixed: one instance, scanned, each window's last run
    (daily scan of 30 Nov, weekly install of 29 Nov) a success on it, every subscription confirmed,
    the golden AMI's last build a success 29 days before (2 Nov: within STALE_AMI_DAYS, 35)."""
    calls = {operation: (params, response) for operation, params, response in fixture.SSM_CALLS}
    names = ("describe_maintenance_window_targets", "describe_maintenance_window_tasks", "get_maintenance_window_task")
    checks = [call for call in fixture.SSM_CALLS if call[0] in names]
    builds = calls["describe_automation_executions"]
    fresh_build = builds[1]["AutomationExecutionMetadataList"][1]  # started 2026-11-02T04:00
    ssm = [
        (
            "describe_instance_information",
            fixture.page(50),
            {"InstanceInformationList": [fixture.managed("i-0web1", "web-1")]},
        ),
        *(
            (operation, *calls[operation])
            for operation in (
                "describe_patch_groups",
                "describe_patch_baselines",
                "get_default_patch_baseline",
                "describe_maintenance_windows",
            )
        ),
        *checks[:3],
        (
            "describe_maintenance_window_executions",
            fixture.page(100, WindowId=fixture.DAILY, Filters=fixture.SINCE),
            {
                "WindowExecutions": [
                    fixture.execution(fixture.DAILY, fixture.DAILY_30, "2026-11-30T01:00", "2026-11-30T01:08")
                ]
            },
        ),
        *checks[3:],
        (
            "describe_maintenance_window_executions",
            fixture.page(100, WindowId=fixture.WEEKLY, Filters=fixture.SINCE),
            {
                "WindowExecutions": [
                    fixture.execution(fixture.WEEKLY, fixture.WEEKLY_29, "2026-11-29T02:00", "2026-11-29T02:31")
                ]
            },
        ),
        (
            "describe_instance_patch_states",
            fixture.page(100, InstanceIds=["i-0web1"]),
            {"InstancePatchStates": [fixture.patch_state("i-0web1")]},
        ),
        *fixture.drill(fixture.DAILY_30, "SUCCESS", [("i-0web1", "Success")]),
        *fixture.drill(fixture.WEEKLY_29, "SUCCESS", [("i-0web1", "Success")]),
        ("get_parameter", *calls["get_parameter"]),
        (
            "describe_automation_executions",
            builds[0],
            {"AutomationExecutionMetadataList": [{**fresh_build, "AutomationExecutionStatus": "Success"}]},
        ),
        ("describe_document", *calls["describe_document"]),
    ]
    ec2 = [
        (
            "describe_instances",
            fixture.EC2_CALLS[0][1],
            {"Reservations": [{"Instances": [fixture.ec2("i-0web1", Patch_Group="acme-web", Name="web-1")]}]},
        )
    ]
    listed = fixture.SNS_CALLS[1][2]["Subscriptions"]
    confirmed = [listed[0], {**listed[1], "SubscriptionArn": f"{fixture.TOPIC}:0a1b2c3d-0000-4000-8000-000000000002"}]
    sns = [fixture.SNS_CALLS[0], (*fixture.SNS_CALLS[1][:2], {"Subscriptions": confirmed})]
    return ssm, ec2, sns


@time_machine.travel(fixture.NOW, tick=False)
def test_all_compliant_exits_0(monkeypatch, capsys):
    ssm, ec2, sns = all_compliant_calls()
    use_account(monkeypatch, StubbedAccount(ssm, ec2, sns))
    assert cli.main(["report", str(ACME), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["summary"]["ok"] is True
    assert (data["regions"], data["stackRegions"], data["regionsNarrowed"]) == (["eu-west-1"], ["eu-west-1"], False)


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
    use_account(monkeypatch, StubbedAccount([("describe_instance_information", None, error)], [], []))
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

    from patching_components.tools.aws_access import session_clients

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
    readme = docs_text("report.md")
    block = re.search(r"<!-- report policy -->\n```json\n(.*?)```", readme, re.S)
    assert block and json.loads(block.group(1)) == report_policy_document()


def test_the_stacks_profile_yields_to_credentials_from_the_environment(monkeypatch):
    for variable in ("AWS_ACCESS_KEY_ID", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    assert aws_access.stack_profile({"aws:profile": "acme-admin"}) == "acme-admin"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE")  # a CI job's OIDC session
    assert aws_access.stack_profile({"aws:profile": "acme-admin"}) is None


def disabled_weekly_calls():
    """The fixture's calls with the weekly install window disabled."""
    calls = []
    for operation, params, response in fixture.SSM_CALLS:
        if operation == "describe_maintenance_windows":
            response = {
                "WindowIdentities": [
                    w | {"Enabled": w["WindowId"] != fixture.WEEKLY} for w in response["WindowIdentities"]
                ]
            }
        calls.append((operation, params, response))
    return calls


@pytest.mark.parametrize(
    ("freezes", "gap"),
    [
        ({}, [("acme-weekly-install", "window-disabled", "disabled, and no change freeze is on now")]),
        # Inside a change freeze the freeze guard disables the windows: as it should be.
        ({"december": {"start": "2026-11-30", "end": "2026-12-02"}}, []),
    ],
)
def test_a_disabled_window_is_a_gap_outside_a_freeze(freezes, gap):
    config = load_stack_file(ACME)
    config = config.model_copy(
        update={"change_freezes": {key: ChangeFreezeConfig(**value) for key, value in freezes.items()}}
    )
    found = setup.collect_acme(StubbedAccount(disabled_weekly_calls()), config)
    assert [(g.resource, g.kind, g.detail) for g in found.gaps if g.kind == "window-disabled"] == gap


def varied_calls(**changes):
    """The fixture's SSM calls with the responses of some calls changed: ``changes[operation]`` maps
    (params, response) to the new response (or an Exception for a client error)."""
    return [
        (operation, params, changes[operation](params, response) if operation in changes else response)
        for operation, params, response in fixture.SSM_CALLS
    ]


def collect_with(ssm_calls):
    return setup.collect_acme(StubbedAccount(ssm_calls))


FIXTURE_BUILDS = next(r for op, _, r in fixture.SSM_CALLS if op == "describe_automation_executions")[
    "AutomationExecutionMetadataList"
]
"""The fixture's golden AMI builds: a success of 5 Oct, then a failure of 2 Nov."""


def golden_ami_gaps(builds):
    """The golden AMI gaps of the fixture read with these builds listed (at fixture.NOW, 2026-12-01 09:00Z)."""
    found = collect_with(
        varied_calls(
            describe_automation_executions=lambda params, response: {"AutomationExecutionMetadataList": builds}
        )
    )
    return [(g.resource, g.kind, g.detail) for g in found.gaps if "golden" in g.kind]


def build_of(number, status, start):
    return {
        "AutomationExecutionId": f"3c4d5e6f-0000-4000-8000-00000000{number:04d}",
        "DocumentName": "acme-golden-ami-al2023-base",
        "AutomationExecutionStatus": status,
        "ExecutionStartTime": fixture.t(start),
    }


@pytest.mark.parametrize(
    ("builds", "expected"),
    [
        # 35 days and 5 hours before 1 Dec 09:00: 35 whole days, not more than 35
        ([build_of(1, "Success", "2026-10-27T04:00")], []),
        (
            [build_of(1, "Success", "2026-10-26T04:00")],
            ["newest successful build 2026-10-26 04:00Z, 36 days ago (more than 35)"],
        ),
        (
            [build_of(1, "Success", "2026-09-02T04:00")],
            ["newest successful build 2026-09-02 04:00Z, 90 days ago (more than 35)"],
        ),
        ([], ["no successful build listed; no build found"]),
        # a build still running: the image is the newest successful one's (10 days old), fresh
        ([build_of(1, "Success", "2026-11-21T04:00"), build_of(2, "InProgress", "2026-12-01T08:00")], []),
        (
            [build_of(1, "Success", "2026-09-02T04:00"), build_of(2, "InProgress", "2026-12-01T08:00")],
            [
                "newest successful build 2026-09-02 04:00Z, 90 days ago (more than 35); last build InProgress "
                "2026-12-01 08:00Z, 0 days ago"
            ],
        ),
        (
            [build_of(2, "InProgress", "2026-12-01T08:00")],
            ["no successful build listed; last build InProgress 2026-12-01 08:00Z, 0 days ago"],
        ),
    ],
    ids=[
        "35-days",
        "36-days",
        "90-days",
        "no-build",
        "running-after-a-fresh-one",
        "running-after-an-old-one",
        "running-only",
    ],
)
def test_an_image_older_than_35_days_or_of_no_listed_success_is_a_stale_gap(builds, expected):
    assert golden_ami_gaps(builds) == [("al2023-base", "golden-ami-stale", detail) for detail in expected]


def test_a_failed_last_build_is_the_pipelines_one_gap_even_when_its_image_is_old_too():
    """The fixture's last build failed (2 Nov) after a success 57 days ago: one gap, the failure."""
    assert [kind for _, kind, _ in golden_ami_gaps(FIXTURE_BUILDS)] == ["golden-ami-build-failed"]


@time_machine.travel(fixture.NOW, tick=False)
def test_a_stale_golden_ami_fails_the_report_it_would_pass(monkeypatch, capsys):
    """Everything compliant, the golden AMI's one listed build a success of 5 Oct (57 days old): exit 3, and the
    fleet page counts that report's stale AMI on a row that is not ok."""
    from patching_components.tools.report_fleet import row_of

    ssm, ec2, sns = all_compliant_calls()
    old = {"AutomationExecutionMetadataList": [FIXTURE_BUILDS[0]]}
    ssm = [(op, params, old if op == "describe_automation_executions" else response) for op, params, response in ssm]
    use_account(monkeypatch, StubbedAccount(ssm, ec2, sns))
    assert cli.main(["report", str(ACME), "--format", "json"]) == 3
    data = json.loads(capsys.readouterr().out)
    assert [(g["kind"], g["detail"]) for g in data["gaps"]] == [
        ("golden-ami-stale", "newest successful build 2026-10-05 04:00Z, 57 days ago (more than 35)")
    ]
    row = row_of(data, "acme.json")
    assert (row.ok, row.figures["staleAmis"]) == (False, 1)


def test_a_pipeline_that_never_produced_an_image_is_a_gap():
    missing = Exception({"service_error_code": "ParameterNotFound", "service_message": "", "http_status_code": 400})
    found = collect_with(
        varied_calls(
            get_parameter=lambda params, response: missing,
            describe_automation_executions=lambda params, response: {"AutomationExecutionMetadataList": []},
        )
    )
    assert [(g.resource, g.kind, g.detail) for g in found.gaps if "golden" in g.kind] == [
        ("al2023-base", "no-golden-ami", "/patching/acme/golden-ami/al2023-base does not exist; no build found")
    ]
    assert (found.pipelines[0].image_id, found.pipelines[0].last_build_id) == (None, None)


def test_hybrid_nodes_take_their_group_from_their_patch_state():
    hybrid = {**fixture.managed("mi-0123456789abcdef0", "onprem-1"), "ResourceType": "ManagedInstance"}
    lost = {**fixture.managed("mi-0fedcba9876543210", "onprem-2"), "ResourceType": "ManagedInstance"}

    def more_nodes(params, response):
        if "NextToken" not in params:
            return response
        return {"InstanceInformationList": [*response["InstanceInformationList"], hybrid, lost]}

    def more_states(params, response):
        return {"InstancePatchStates": [*response["InstancePatchStates"], fixture.patch_state(hybrid["InstanceId"])]}

    def ran_there_too(params, response):  # both windows' last runs sent onprem-1 its command
        (first, *_) = response["CommandInvocations"]
        mine = {**first, "InstanceId": hybrid["InstanceId"], "Status": "Success", "StatusDetails": "Success"}
        return {"CommandInvocations": [*response["CommandInvocations"], mine]}

    calls = varied_calls(
        describe_instance_information=more_nodes,
        describe_instance_patch_states=more_states,
        list_command_invocations=ran_there_too,
    )
    # The hybrid nodes' patch states are asked for by id, with the tagged nodes' (one call).
    hybrids = [hybrid["InstanceId"], lost["InstanceId"]]
    found = collect_with(
        [
            (operation, {**params, "InstanceIds": params["InstanceIds"] + hybrids}, response)
            if operation == "describe_instance_patch_states"
            else (operation, params, response)
            for operation, params, response in calls
        ]
    )
    rows = {i.instance_id: i for i in found.instances}
    onprem = rows["mi-0123456789abcdef0"]
    assert (onprem.patch_group, onprem.state, onprem.status, onprem.name) == (
        "acme-web",
        None,
        "compliant",
        "onprem-1.eu-west-1.compute.internal",
    )
    assert rows["mi-0fedcba9876543210"].problems == [
        ("no-patch-group", "a hybrid node with no patch state in any of the stack's patch groups")
    ]


def test_a_different_baseline_registration_default_and_targets_are_gaps():
    def other_os(params, response):
        first, *rest = response["BaselineIdentities"]
        return {"BaselineIdentities": [{**first, "OperatingSystem": "AMAZON_LINUX_2"}, *rest]}

    def registered_elsewhere(params, response):
        first, second = response["Mappings"]
        return {"Mappings": [{**first, "BaselineIdentity": second["BaselineIdentity"]}, second]}

    def aws_default(params, response):
        return {"BaselineId": "arn:aws:ssm:eu-west-1:280605243866:patchbaseline/pb-0d28ab1cfca8c1a8b"}

    def other_group(params, response):
        if params["WindowId"] != fixture.WEEKLY:
            return response
        (target,) = response["Targets"]
        return {"Targets": [{**target, "Targets": [{"Key": "tag:Patch Group", "Values": ["acme-wbe"]}]}]}

    found = collect_with(
        varied_calls(
            describe_patch_baselines=other_os,
            describe_patch_groups=registered_elsewhere,
            get_default_patch_baseline=aws_default,
            describe_maintenance_window_targets=other_group,
        )
    )
    assert [(g.resource, g.kind, g.detail) for g in found.gaps][:4] == [
        ("acme-al2023", "wrong-baseline", "patches AMAZON_LINUX_2, the stack says AMAZON_LINUX_2023"),
        ("acme-web", "wrong-baseline", "patch group 'acme-web' is registered to globex-rhel9, not acme-al2023"),
        (
            "default AMAZON_LINUX_2023",
            "wrong-baseline",
            "the default AMAZON_LINUX_2023 baseline is "
            "arn:aws:ssm:eu-west-1:280605243866:patchbaseline/pb-0d28ab1cfca8c1a8b, not acme-al2023",
        ),
        ("acme-weekly-install", "wrong-targets", "targets acme-wbe; the stack says acme-web"),
    ]
