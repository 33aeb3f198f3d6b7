"""`patching patch-now` end to end (through cli.main) against the AWS stand-in (tests/moto_aws.py).

Each stack's plan is created in the stand-in by tests/deploy_plan.py, in the accounts and regions a
deployment would put it: acme-prod in account
222222222222 (reached through a two-role aws:assumeRoles chain, eu-west-1 and us-east-1), acme-dev, a
scan-only customer, in 333333333333, and (the ``decoy``) acme-prod's plan once more in the operator's
own account (123456789012), where nothing may ever be sent. What AWS received is read back from moto (ListCommands):
the exact SendCommand requests, in the right account and region, or none."""

from __future__ import annotations

import json
from functools import cache

import boto3
import pytest

from patching_components.tools import cli
from tests import deploy_plan
from tests.report_setup import keys_in, write_stacks

OPERATOR, PROD, DEV = "123456789012", "222222222222", "333333333333"
PROD_STACK = """\
config:
  aws:region: eu-west-1
  aws:assumeRoles:
    - roleArn: arn:aws:iam::111111111111:role/msp-jump
      sessionName: msp-jump
    - roleArn: arn:aws:iam::222222222222:role/patching-operator
      sessionName: patching
      externalId: acme-prod-7f3c
  aws:allowedAccountIds: ["222222222222"]
  patching:customer: acme
  patching:regions: [eu-west-1, us-east-1]
  patching:baselines:
    al2023:
      operatingSystem: AMAZON_LINUX_2023
  patching:maintenanceWindows:
    nightly-scan:
      schedule: cron(0 1 ? * * *)
      durationHours: 2
      cutoffHours: 1
      operation: Scan
    sun-install:
      schedule: cron(0 3 ? * SUN *)
      durationHours: 3
      cutoffHours: 1
      operation: Install
      rebootOption: NoReboot
      regions: [eu-west-1]
    sat-install:
      schedule: cron(0 3 ? * SAT *)
      durationHours: 3
      cutoffHours: 1
      operation: Install
      regions: [eu-west-1]
      hooks:
        preInstall: Acme-Drain
  patching:patchGroups:
    acme-web:
      baselines: [al2023]
      maintenanceWindows: [nightly-scan, sun-install]
    acme-api:
      baselines: [al2023]
      maintenanceWindows: [nightly-scan, sat-install]
    acme-db:
      baselines: [al2023]
      maintenanceWindows: [nightly-scan]
  patching:logging:
    s3Bucket: acme-patch-logs
  patching:changeFreezes:
    year-end:
      start: 2026-12-20
      end: 2027-01-04
"""
DEV_STACK = """\
config:
  aws:region: eu-west-1
  aws:assumeRoles:
    - roleArn: arn:aws:iam::333333333333:role/patching-operator
      sessionName: patching
  aws:allowedAccountIds: ["333333333333"]
  patching:customer: acme
  patching:mode: scan-only
  patching:baselines:
    al2023:
      operatingSystem: AMAZON_LINUX_2023
  patching:maintenanceWindows:
    nightly-scan:
      schedule: cron(0 1 ? * * *)
      durationHours: 2
      cutoffHours: 1
      operation: Scan
    sun-install:
      schedule: cron(0 3 ? * SUN *)
      durationHours: 3
      cutoffHours: 1
      operation: Install
  patching:patchGroups:
    acme-web:
      baselines: [al2023]
      maintenanceWindows: [nightly-scan, sun-install]
"""
OVERRIDE = "https://patches.acme.example/cve-2026-0001.yaml"
MW_ROLE = "arn:aws:iam::123456789012:role/acme-maintenance-window-mock"  # the plan's placeholder account


@pytest.fixture(scope="module")
def stacks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stacks")
    write_stacks(folder, {"acme-prod": PROD_STACK, "acme-dev": DEV_STACK})
    return folder


SESSION = boto3.Session()  # one session for the tests' own clients: botocore loads each model once


@pytest.fixture(autouse=True)
def _fresh_clients():
    """The stand-in starts empty in every test: so do the tests' own keys and clients."""
    _clients.cache_clear()
    clients_in.cache_clear()
    SESSIONS.clear()


class _Sessions(dict):
    """account -> a boto3 session with keys of the account, one per test (its clients load models once)."""

    def __missing__(self, account):
        self[account] = boto3.Session(**clients_in(account))
        return self[account]


SESSIONS = _Sessions()


@cache
def _clients(account: str, service: str, region: str):
    return SESSION.client(service, region_name=region, **clients_in(account))


@cache
def clients_in(account: str) -> dict:
    """Keys that act in ``account`` of the stand-in (moto hands them out for a role of the account)."""
    if account == OPERATOR:
        return {}
    return keys_in(_clients(OPERATOR, "sts", "eu-west-1"), account, "test-deployer", "test-deployer")


@pytest.fixture(scope="module")
def _plans():
    """deploy_plan.plan once per stack file and account (the program's run is the slow part)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(deploy_plan, "plan", cache(deploy_plan.plan))
        yield


def deploy(aws, path, account: str) -> None:
    """What patch-now reads of the stack's plan (its windows, their targets and tasks), created in ``account``
    of the stand-in by tests/deploy_plan.py; the change calendar's state comes from the layer (``calendar``)."""
    deploy_plan.deploy(path, aws, session=SESSIONS[account], include=lambda resource: resource.type in WINDOWS)


WINDOWS = {
    f"aws:ssm/{kind}" for kind in ("maintenanceWindow:MaintenanceWindow", "maintenanceWindowTask:MaintenanceWindowTask")
}
WINDOWS.add("aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget")


def calendar(aws, account, region, state):
    aws.layer.seed(
        "GetCalendarState", [{"State": state, "AtTime": "2026-12-04T16:00:00Z"}], account=account, region=region
    )


@pytest.fixture
def deployed(aws, stacks, _plans):
    """acme-prod in its account; no freeze anywhere."""
    deploy(aws, stacks / "Pulumi.acme-prod.yaml", PROD)
    for account in (PROD, OPERATOR):
        for region in ("eu-west-1", "us-east-1"):
            calendar(aws, account, region, "OPEN")
    aws.layer.calls.clear()  # from here on, the calls of the command under test
    return stacks


@pytest.fixture
def decoy(deployed, aws):
    """acme-prod's windows also in the operator's own account, under the same names: never to be used."""
    deploy(aws, deployed / "Pulumi.acme-prod.yaml", OPERATOR)
    aws.layer.calls.clear()
    return deployed


def sent(account: str, region: str) -> list[dict]:
    """The SendCommand requests moto received in ``account`` and ``region``, as SendCommand's fields."""
    commands = _clients(account, "ssm", region).list_commands()["Commands"]
    fields = ("DocumentName", "Targets", "Parameters", "MaxConcurrency", "MaxErrors", "Comment")
    fields += ("OutputS3BucketName", "OutputS3KeyPrefix")
    return sorted(
        ({k: c[k] for k in fields if c.get(k)} for c in commands), key=lambda c: json.dumps(c, sort_keys=True)
    )


def nothing_sent_anywhere():
    return all(not sent(a, r) for a in (OPERATOR, PROD, DEV) for r in ("eu-west-1", "us-east-1"))


def request(groups, operation, reboot, prefix, document="AWS-RunPatchBaseline", **extra):
    """A SendCommand request as written by hand; ``prefix`` None: no output bucket (a stack without logging)."""
    output = {"OutputS3BucketName": "acme-patch-logs", "OutputS3KeyPrefix": prefix} if prefix else {}
    return {
        "DocumentName": document,
        "Targets": [{"Key": "tag:Patch Group", "Values": groups}],
        "Parameters": {"Operation": [operation], "RebootOption": [reboot], **extra},
        "MaxConcurrency": "10%",
        "MaxErrors": "1",
        "Comment": f"patch-now {operation}: {', '.join(groups)}",
        **output,
    }


def test_it_patches_in_the_stacks_account_through_the_role_chain_in_every_region(decoy, aws, capsys):
    deployed = decoy
    prod = deployed / "Pulumi.acme-prod.yaml"
    assert cli.main(["patch-now", str(prod), "--groups", "acme-web,acme-db", "--yes"]) == 0
    # No call twice: the two roles of the chain and the identity; per region its change calendar and one
    # listing of its windows; each window's tasks and patch task once (us-east-1's nightly-scan serves both
    # groups, with two reboot options: 2 windows in eu-west-1, 1 in us-east-1); one SendCommand a command.
    assert dict(aws.layer.calls) == {
        "AssumeRole": 2,
        "GetCallerIdentity": 1,
        "GetCalendarState": 2,
        "DescribeMaintenanceWindows": 2,
        "DescribeMaintenanceWindowTasks": 2 + 1,
        "GetMaintenanceWindowTask": 2 + 1,
        "SendCommand": 4,
    }
    out = capsys.readouterr().out
    assert out.startswith(
        f"# acme: account {PROD} as arn:aws:sts::{PROD}:assumed-role/patching-operator/patching\n"
        "# eu-west-1: AWS-RunPatchBaseline Install on acme-web with the settings of window sun-install; "
        "reboot: NoReboot from window sun-install\n"
        "# eu-west-1: AWS-RunPatchBaseline Install on acme-db with the settings of window nightly-scan; "
        "reboot: RebootIfNeeded (it has no install window)\n"
        "# us-east-1: AWS-RunPatchBaseline Install on acme-web with the settings of window nightly-scan; "
        "reboot: NoReboot from its install window sun-install\n"
        "# us-east-1: AWS-RunPatchBaseline Install on acme-db with the settings of window nightly-scan; "
        "reboot: RebootIfNeeded (it has no install window)\n"
    )
    assert sent(PROD, "eu-west-1") == [
        request(["acme-db"], "Install", "RebootIfNeeded", "patching/acme/patch-now"),
        request(["acme-web"], "Install", "NoReboot", "patching/acme/patch-now"),
    ]
    assert sent(PROD, "us-east-1") == [
        request(["acme-db"], "Install", "RebootIfNeeded", "patching/acme/us-east-1/patch-now"),
        request(["acme-web"], "Install", "NoReboot", "patching/acme/us-east-1/patch-now"),
    ]
    for account in (OPERATOR, DEV):  # the decoy with the same window names, another account
        assert sent(account, "eu-west-1") == sent(account, "us-east-1") == []


@pytest.mark.slow  # fast: test_patch_now.py::test_a_parameter_the_document_does_not_take_is_refused_before_any_call
def test_an_install_override_list_goes_only_to_the_document_that_takes_it(deployed, aws, capsys):
    prod = str(deployed / "Pulumi.acme-prod.yaml")
    args = ["patch-now", prod, "--groups", "acme-api", "--install-override-list", OVERRIDE, "--yes"]
    assert cli.main(args) == 2
    assert capsys.readouterr().err == (
        "patching: error: window sat-install runs AWS-RunPatchBaselineWithHooks: AWS-RunPatchBaselineWithHooks has "
        "no parameter 'InstallOverrideList' (AWS does not support it with hooks; use AWS-RunPatchBaseline without "
        "hooks); it takes: Operation, SnapshotId, BaselineOverride, RebootOption, PreInstallHookDocName, "
        "PostInstallHookDocName, OnExitHookDocName: nothing sent\n"
    )
    # Refused before any Systems Manager call, in any region.
    assert not [operation for operation in aws.layer.calls if operation not in ("AssumeRole", "GetCallerIdentity")]
    assert nothing_sent_anywhere()
    # acme-web's windows run AWS-RunPatchBaseline, which takes the list.
    args = ["patch-now", prod, "--groups", "acme-web", "--region", "eu-west-1", "--install-override-list", OVERRIDE]
    assert cli.main([*args, "--yes"]) == 0
    assert sent(PROD, "eu-west-1") == [
        request(["acme-web"], "Install", "NoReboot", "patching/acme/patch-now", InstallOverrideList=[OVERRIDE])
    ]


def test_the_hooks_document_is_sent_with_its_hooks(deployed):
    prod = str(deployed / "Pulumi.acme-prod.yaml")
    assert cli.main(["patch-now", prod, "--groups", "acme-api", "--region", "eu-west-1", "--yes"]) == 0
    hooks = {"PreInstallHookDocName": ["Acme-Drain"], "PostInstallHookDocName": ["AWS-Noop"]}
    hooks["OnExitHookDocName"] = ["AWS-Noop"]
    assert sent(PROD, "eu-west-1") == [
        request(
            ["acme-api"],
            "Install",
            "RebootIfNeeded",
            "patching/acme/patch-now",
            document="AWS-RunPatchBaselineWithHooks",
            **hooks,
        )
    ]


@pytest.mark.slow  # fast: test_patch_now.py::test_inside_a_freeze_it_refuses
def test_inside_a_freeze_in_one_region_nothing_is_sent_anywhere(deployed, aws, capsys):
    calendar(aws, PROD, "us-east-1", "CLOSED")
    assert cli.main(["patch-now", str(deployed / "Pulumi.acme-prod.yaml"), "--yes"]) == 4
    assert capsys.readouterr().err == (
        "patching: refused: us-east-1: inside a change freeze (acme-us-east-1-change-freezes is CLOSED); "
        "--ignore-freeze patches anyway\n"
    )
    assert nothing_sent_anywhere()


def test_a_scan_only_customer_is_not_installed_unless_asked(deployed, aws, capsys):
    deploy(aws, deployed / "Pulumi.acme-dev.yaml", DEV)
    dev = str(deployed / "Pulumi.acme-dev.yaml")
    assert cli.main(["patch-now", dev, "--yes"]) == 2
    assert capsys.readouterr().err == (
        "patching: error: acme is a scan-only customer (patching:mode: scan-only): patch-now does not install "
        "there; --operation Scan scans, --install-scan-only installs anyway\n"
    )
    assert nothing_sent_anywhere()
    assert cli.main(["patch-now", dev, "--operation", "Scan", "--yes"]) == 0
    assert sent(DEV, "eu-west-1") == [request(["acme-web"], "Scan", "NoReboot", None)]
    assert cli.main(["patch-now", dev, "--install-scan-only", "--yes"]) == 0
    assert (
        "# eu-west-1: AWS-RunPatchBaseline Install on acme-web with the settings of window nightly-scan; "
        "reboot: RebootIfNeeded from its install window sun-install\n"
    ) in capsys.readouterr().out
    assert request(["acme-web"], "Install", "RebootIfNeeded", None) in sent(DEV, "eu-west-1")


@pytest.mark.slow  # fast: test_aws_access.py::test_an_account_not_allowed_is_refused_after_reading_only_who_it_is
@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        (
            ('aws:allowedAccountIds: ["222222222222"]', 'aws:allowedAccountIds: ["444444444444"]'),
            f"these credentials reach account {PROD} (as arn:aws:sts::{PROD}:assumed-role/patching-operator/patching, "
            "through aws:assumeRoles), but aws:allowedAccountIds allows only 444444444444: ",
        ),
        (
            (PROD_STACK[PROD_STACK.index("  aws:assumeRoles") : PROD_STACK.index("  aws:allowedAccountIds")], ""),
            f"these credentials reach account {OPERATOR} (as arn:aws:sts::{OPERATOR}:user/moto, with no "
            f"aws:assumeRoles), but aws:allowedAccountIds allows only {PROD}: ",
        ),
    ],
    ids=["wrong-account", "operator-credentials-without-the-role"],
)
def test_an_account_the_stack_does_not_allow_is_refused(decoy, capsys, change, refusal):
    deployed = decoy
    stack = deployed / "Pulumi.acme-wrong.yaml"
    stack.write_text(PROD_STACK.replace(*change))
    assert cli.main(["patch-now", str(stack), "--yes"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"patching: error: {stack}: {refusal}")
    assert nothing_sent_anywhere()  # not even in the operator's account, which has windows of these names


def test_groups_sharing_a_command_keep_each_reason_for_its_reboot(deployed, tmp_path, capsys):
    """In us-east-1 only the scan window patches acme-web and acme-api; with both install windows (in
    eu-west-1) set to NoReboot, one command installs both, and the line gives each group's reason."""
    stack = tmp_path / "Pulumi.acme-prod.yaml"
    stack.write_text(PROD_STACK.replace("      hooks:\n", "      rebootOption: NoReboot\n      hooks:\n"))
    # Deployed as the fixture deployed acme-prod: us-east-1's scan window is the same in both.
    args = ["patch-now", str(stack), "--groups", "acme-web,acme-api", "--region", "us-east-1", "--yes"]
    assert cli.main(args) == 0
    assert (
        "# us-east-1: AWS-RunPatchBaseline Install on acme-web, acme-api with the settings of window nightly-scan; "
        "reboot: NoReboot from its install window sun-install; NoReboot from its install window sat-install\n"
    ) in capsys.readouterr().out
    assert sent(PROD, "us-east-1") == [
        request(["acme-web", "acme-api"], "Install", "NoReboot", "patching/acme/us-east-1/patch-now")
    ]
