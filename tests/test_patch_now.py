"""`patching patch-now` against botocore's Stubber: the deployed windows' settings are read back
and the exact SendCommand requests (checked against the real SSM model) are what the operator
asked for, with patch night's rate control, output bucket and notifications."""

import json

import pytest
from aws_stubs import StubbedAccount, use_account

from conftest import ROOT
from patching_components.tools import cli

# acme as tests/report_fixture.py's account has it: before its dev ring (patching:rings), which adds a group,
# a window and a promotion task the hand-written responses do not have.
ACME = ROOT / "tests" / "data" / "acme-before-rings" / "Pulumi.acme.yaml"
GLOBEX = ROOT / "stacks" / "Pulumi.globex.yaml"
ACCOUNT = "123456789012"
TOPIC = f"arn:aws:sns:eu-west-1:{ACCOUNT}:acme-alerts-7d1e0f2"
NOTIFY_ROLE = f"arn:aws:iam::{ACCOUNT}:role/acme-notify-5c4b3a2"
NOTIFICATIONS = {
    "NotificationArn": TOPIC,
    "NotificationEvents": ["Failed", "TimedOut", "Cancelled"],
    "NotificationType": "Command",
}


def window_lookup(name, window_id, task_id, document, parameters, concurrency, errors, bucket=None, **command):
    """The three reads that find a deployed window's patch task, as AWS answers them (in AWS's largest
    pages: botocore's SSM model gives 100 for both listings)."""
    run_command = {"Parameters": parameters, **command}
    if bucket:
        run_command |= {"OutputS3BucketName": bucket, "OutputS3KeyPrefix": f"patching/acme/{name}"}
    return [
        (
            "describe_maintenance_windows",
            {"Filters": [{"Key": "Name", "Values": [name]}], "MaxResults": 100},
            {"WindowIdentities": [{"WindowId": window_id, "Name": name, "Enabled": True}]},
        ),
        (
            "describe_maintenance_window_tasks",
            {"WindowId": window_id, "MaxResults": 100},
            {"Tasks": [{"WindowId": window_id, "WindowTaskId": task_id, "TaskArn": document, "Type": "RUN_COMMAND"}]},
        ),
        (
            "get_maintenance_window_task",
            {"WindowId": window_id, "WindowTaskId": task_id},
            {
                "WindowId": window_id,
                "WindowTaskId": task_id,
                "TaskArn": document,
                "TaskType": "RUN_COMMAND",
                "MaxConcurrency": concurrency,
                "MaxErrors": errors,
                "CutoffBehavior": "CANCEL_TASK",
                "TaskInvocationParameters": {"RunCommand": run_command},
            },
        ),
    ]


def one_listing(*lookups):
    """The lookups of several windows of one region: the windows in one listing (filtered by all their
    names), then each window's tasks and its patch task."""
    names = sorted(name for lookup in lookups for name in lookup[0][1]["Filters"][0]["Values"])
    identities = [window for lookup in lookups for window in lookup[0][2]["WindowIdentities"]]
    listing = (
        "describe_maintenance_windows",
        {"Filters": [{"Key": "Name", "Values": names}], "MaxResults": 100},
        {"WindowIdentities": identities},
    )
    return [listing, *(call for lookup in lookups for call in lookup[1:])]


ACME_INSTALL = window_lookup(
    "acme-weekly-install",
    "mw-0a1b2c3d4e5f60718",
    "1a2b3c4d-0000-4000-8000-00000000000a",
    "AWS-RunPatchBaseline",
    {"Operation": ["Install"], "RebootOption": ["RebootIfNeeded"]},
    "25%",
    "1",
    bucket="acme-logs-0a1b2c3",
    NotificationConfig=NOTIFICATIONS,
    ServiceRoleArn=NOTIFY_ROLE,
    TimeoutSeconds=3600,
)
ACME_REQUEST = {
    "DocumentName": "AWS-RunPatchBaseline",
    "Targets": [{"Key": "tag:Patch Group", "Values": ["acme-web"]}],
    "Parameters": {
        "Operation": ["Install"],
        "RebootOption": ["RebootIfNeeded"],
        "InstallOverrideList": ["https://patches.acme.example/cve-2026-0001.yaml"],
    },
    "MaxConcurrency": "25%",
    "MaxErrors": "1",
    "Comment": "patch-now Install: acme-web",
    "OutputS3BucketName": "acme-logs-0a1b2c3",
    "OutputS3KeyPrefix": "patching/acme/patch-now",  # its own prefix, beside the windows'
    "NotificationConfig": NOTIFICATIONS,
    "ServiceRoleArn": NOTIFY_ROLE,
    "TimeoutSeconds": 3600,
}
OVERRIDE = ["--install-override-list", "https://patches.acme.example/cve-2026-0001.yaml"]


def use(monkeypatch, ssm_calls, region):
    account = StubbedAccount({"ssm": ssm_calls}, region)
    use_account(monkeypatch, account)
    return account


def test_dry_run_prints_the_exact_request_and_sends_nothing(monkeypatch, capsys):
    account = use(monkeypatch, ACME_INSTALL, "eu-west-1")
    assert cli.main(["patch-now", str(ACME), *OVERRIDE, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "# eu-west-1: AWS-RunPatchBaseline Install on acme-web with the settings of window weekly-install" in out
    requests = json.loads(out[out.index("[") :])
    assert requests == [{"region": "eu-west-1", "SendCommand": ACME_REQUEST}]
    account.assert_all_called()
    assert "ssm:SendCommand" not in account.called


def test_yes_sends_it_and_says_how_to_follow_it(monkeypatch, capsys):
    command = {"CommandId": "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9", "DocumentName": "AWS-RunPatchBaseline"}
    account = use(monkeypatch, [*ACME_INSTALL, ("send_command", ACME_REQUEST, {"Command": command})], "eu-west-1")
    assert cli.main(["patch-now", str(ACME), *OVERRIDE, "--yes"]) == 0
    out = capsys.readouterr().out
    assert "eu-west-1: command 0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9 (acme-web)" in out
    assert "aws ssm list-commands --command-id 0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9 --region eu-west-1" in out
    account.assert_all_called()


def test_a_scan_never_reboots(monkeypatch, capsys):
    use(monkeypatch, ACME_INSTALL, "eu-west-1")
    assert cli.main(["patch-now", str(ACME), "--operation", "Scan", "--reboot", "RebootIfNeeded", "--dry-run"]) == 0
    out = capsys.readouterr().out
    (request,) = json.loads(out[out.index("[") :])
    assert request["SendCommand"]["Parameters"] == {"Operation": ["Scan"], "RebootOption": ["NoReboot"]}


def test_without_a_terminal_it_needs_yes(monkeypatch, capsys):
    use(monkeypatch, ACME_INSTALL, "eu-west-1")
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert cli.main(["patch-now", str(ACME)]) == 2
    assert "pass --yes to send without a prompt" in capsys.readouterr().err


def test_answering_no_sends_nothing(monkeypatch, capsys):
    account = use(monkeypatch, ACME_INSTALL, "eu-west-1")
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert cli.main(["patch-now", str(ACME)]) == 1
    assert "nothing sent" in capsys.readouterr().out
    assert "ssm:SendCommand" not in account.called


def test_a_throttled_send_is_a_one_line_error(monkeypatch, capsys):
    throttled = Exception({"service_error_code": "ThrottlingException", "service_message": "Rate exceeded"})
    use(monkeypatch, [*ACME_INSTALL, ("send_command", None, throttled)], "eu-west-1")
    assert cli.main(["patch-now", str(ACME), "--yes"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("patching: error: AWS refused SendCommand: ThrottlingException: Rate exceeded: ")


def test_an_undeployed_window_or_an_unknown_group_is_a_clear_error(monkeypatch, capsys):
    empty = [("describe_maintenance_windows", None, {"WindowIdentities": []})]
    use(monkeypatch, empty, "eu-west-1")
    assert cli.main(["patch-now", str(ACME), "--yes"]) == 2
    assert "no maintenance window 'acme-weekly-install' here: deploy the stack first" in capsys.readouterr().err
    use(monkeypatch, [], "eu-west-1")
    assert cli.main(["patch-now", str(ACME), "--groups", "acme-wbe", "--yes"]) == 2
    assert "no patch group 'acme-wbe' in the stack (acme-web)" in capsys.readouterr().err


def test_two_windows_of_one_name_are_refused_not_the_first_one_taken(monkeypatch, capsys):
    twice = [
        (
            "describe_maintenance_windows",
            None,
            {
                "WindowIdentities": [
                    {"WindowId": "mw-0a1b2c3d4e5f60718", "Name": "acme-weekly-install", "Enabled": True},
                    {"WindowId": "mw-0a1b2c3d4e5f60719", "Name": "acme-weekly-install", "Enabled": True},
                ]
            },
        )
    ]
    account = use(monkeypatch, twice, "eu-west-1")
    assert cli.main(["patch-now", str(ACME), "--yes"]) == 2
    assert (
        "2 maintenance windows named 'acme-weekly-install' here (mw-0a1b2c3d4e5f60718, mw-0a1b2c3d4e5f60719): "
        "delete all but one" in capsys.readouterr().err
    )
    assert "ssm:SendCommand" not in account.called


CLOSED = (
    "get_calendar_state",
    {"CalendarNames": ["globex-change-freezes"]},
    {"State": "CLOSED", "AtTime": "2027-11-26T15:00:00Z", "NextTransitionTime": "2027-11-30T11:00:00Z"},
)


def test_inside_a_freeze_it_refuses(monkeypatch, capsys):
    account = use(monkeypatch, [CLOSED], "us-east-1")
    assert cli.main(["patch-now", str(GLOBEX), "--yes"]) == 4
    err = capsys.readouterr().err
    assert err == (
        "patching: refused: us-east-1: inside a change freeze (globex-change-freezes is CLOSED until "
        "2027-11-30T11:00:00Z); --ignore-freeze patches anyway\n"
    )
    account.assert_all_called()  # and nothing else was read or sent


def globex_lookups():
    """globex's install window with hooks and its scan window, as deployed."""
    tue = window_lookup(
        "globex-tue-install",
        "mw-0c1d2e3f405162738",
        "2b3c4d5e-0000-4000-8000-00000000000b",
        "AWS-RunPatchBaselineWithHooks",
        {
            "Operation": ["Install"],
            "RebootOption": ["RebootIfNeeded"],
            "PreInstallHookDocName": ["Globex-DrainFromTargetGroup"],
            "PostInstallHookDocName": ["Globex-HealthCheck"],
            "OnExitHookDocName": ["AWS-Noop"],
        },
        "2",
        "10%",
    )
    nightly = window_lookup(
        "globex-nightly-scan",
        "mw-0d1e2f30415263748",
        "3c4d5e6f-0000-4000-8000-00000000000c",
        "AWS-RunPatchBaseline",
        {"Operation": ["Scan"], "RebootOption": ["NoReboot"]},
        "10%",
        "1",
    )
    return tue, nightly


def test_ignore_freeze_patches_each_group_through_its_own_window(monkeypatch, capsys):
    tue, nightly = globex_lookups()
    account = use(monkeypatch, one_listing(tue, nightly), "us-east-1")
    args = ["patch-now", str(GLOBEX), "--groups", "globex-web,globex-api,globex-db", "--ignore-freeze", "--dry-run"]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    web_api, db = (r["SendCommand"] for r in json.loads(out[out.index("[") :]))
    # globex-web and -api share their install window (with its hooks); globex-db has only the scan window.
    assert web_api["DocumentName"] == "AWS-RunPatchBaselineWithHooks"
    assert web_api["Targets"] == [{"Key": "tag:PatchGroup", "Values": ["globex-web", "globex-api"]}]
    assert web_api["Parameters"]["PreInstallHookDocName"] == ["Globex-DrainFromTargetGroup"]
    assert (web_api["MaxConcurrency"], web_api["MaxErrors"]) == ("2", "10%")
    assert db["Targets"] == [{"Key": "tag:PatchGroup", "Values": ["globex-db"]}]
    # Not the scan window's NoReboot (issue 22, item 8): globex-db has no install window, so RebootIfNeeded.
    assert db["Parameters"] == {"Operation": ["Install"], "RebootOption": ["RebootIfNeeded"]}
    assert (
        "# us-east-1: AWS-RunPatchBaseline Install on globex-db with the settings of window nightly-scan; "
        "reboot: RebootIfNeeded (it has no install window)\n"
    ) in out
    # The fewest reads: both windows in one listing, then each window's tasks and patch task, once each.
    account.assert_all_called()
    window = ["ssm:DescribeMaintenanceWindowTasks", "ssm:GetMaintenanceWindowTask"]
    assert account.called == ["ssm:DescribeMaintenanceWindows", *window, *window]


def test_a_failure_after_a_sent_command_still_shows_the_sent_one(monkeypatch, capsys):
    tue, nightly = globex_lookups()
    sent = {"Command": {"CommandId": "1c2d3e4f-5061-4728-93a4-b5c6d7e8f901"}}
    throttled = Exception({"service_error_code": "ThrottlingException", "service_message": "Rate exceeded"})
    calls = [*one_listing(tue, nightly), ("send_command", None, sent), ("send_command", None, throttled)]
    use(monkeypatch, calls, "us-east-1")
    args = ["patch-now", str(GLOBEX), "--groups", "globex-web,globex-db", "--ignore-freeze", "--yes"]
    assert cli.main(args) == 2
    captured = capsys.readouterr()
    assert "us-east-1: command 1c2d3e4f-5061-4728-93a4-b5c6d7e8f901 (globex-web)" in captured.out
    assert "AWS refused SendCommand: ThrottlingException" in captured.err


def test_an_install_override_list_must_be_a_url_aws_reads(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["patch-now", str(ACME), "--install-override-list", "/tmp/list.yaml"])
    assert exit_info.value.code == 2
    assert "https:// or s3:// URL" in capsys.readouterr().err


def test_a_parameter_the_document_does_not_take_is_refused_before_any_call(monkeypatch, capsys):
    """globex-web installs through tue-install, which runs AWS-RunPatchBaselineWithHooks: an install override
    list is refused from the stack alone (the stubbed account answers nothing: any call would fail)."""
    account = use(monkeypatch, [], "us-east-1")
    args = ["patch-now", str(GLOBEX), "--groups", "globex-web", *OVERRIDE, "--ignore-freeze", "--yes"]
    assert cli.main(args) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(
        "patching: error: window tue-install runs AWS-RunPatchBaselineWithHooks: AWS-RunPatchBaselineWithHooks has "
        "no parameter 'InstallOverrideList' (AWS does not support it with hooks; "
    )
    assert account.called == []
