"""`patching report` end to end against the AWS stand-in (tests/moto_aws.py): each stack's plan deployed
with tests/deploy_plan.py into the account its aws:assumeRoles reaches, a fleet of instances in moto,
their Systems Manager state in the fixture layer, and `patching report --format json` through cli.main.
Each test asserts the exact JSON, written by hand from the scenario (ids the stand-in chooses are
replaced by the names of the nodes and windows before comparing). The longer scenarios are marked
slow (``.ci/run`` runs them with ``-m slow``)."""

from __future__ import annotations

from typing import Any

import pytest

from tests import report_setup
from tests.deploy_plan import deploy, mark_pending_confirmation
from tests.report_setup import (  # the set-up the report tests share
    CONTOSO,
    FABRIKAM,
    OPERATOR,
    SCHEMA,
    Fleet,
    epoch,
    fabrikam_variant,
    iso,
    run_report,
    session_in,
)


def node(region: str, group: str | None, name: str, status: str, reason: str, **fields: Any) -> dict[str, Any]:
    """A node of the expected JSON: ``fields`` override the defaults of a managed, running Amazon Linux
    instance with no patch state; ``problems`` defaults to the one status."""
    problems = fields.pop("problems", None)
    if problems is None:
        problems = [] if status == "compliant" else [{"status": status, "reason": reason}]
    return {
        "region": region,
        "patchGroup": group,
        "instanceId": f"<{name}>",
        "name": name,
        "platform": "Amazon Linux",
        "state": "running",
        "pingStatus": "Online",
        "status": status,
        "reason": reason,
        "problems": problems,
        "counts": None,
        "criticalNonCompliant": 0,
        "securityNonCompliant": 0,
        "availableSecurityUpdates": 0,
        "lastOperation": None,
        "lastOperationTime": None,
        "baselineId": None,
        "pendingRebootSince": None,
        "caughtUpOnStart": None,
        "lastRun": None,
        **fields,
    }


def counts(**given: int) -> dict[str, int]:
    keys = ("installed", "installedOther", "installedPendingReboot", "installedRejected", "missing", "failed")
    return {**dict.fromkeys(keys, 0), "notApplicable": 0, "installed": 100, **given}


COMPLIANT = "scanned on schedule with its group's baseline"
STATUS_MEANINGS = {
    "cancelled": "its patch command was cancelled in the newest finished run of its window that sent it one "
    "(the window's cutoff, or by hand): it may be half-patched or waiting for a reboot",
    "failed": "its patch command failed or timed out in the newest finished run of its window that sent it one",
    "never-scanned": "managed and in a patch group, but it has never reported a patch state: nothing says "
    "what it is missing",
    "pending-reboot": "patches are installed but not in effect until it restarts",
    "security-updates-available": "Windows security updates are available that its baseline does not approve",
    "stale-scan": "its last patch operation is older than 2 times its patch group's scan interval "
    "(from the calendar of its windows), or, when its windows open less than twice in 13 weeks, older than "
    "--max-scan-age (default 35 days): what it reports is out of date",
    "window-run-failed": "the window's last finished run failed, timed out or was cancelled (e.g. its service "
    "role could not be assumed): it may have patched nothing",
    "window-not-running": "the window is enabled and its calendar says it opened in the period (outside every "
    "change freeze), but it has no run then",
    "no-nodes": "no node carries the stack's patch groups (in the whole report, or a patch group in a region "
    "where its windows are built): there is nothing to judge, and nothing is patched",
    "unconfirmed-subscription": "an e-mail subscription of the alert topic is pending confirmation: nothing is "
    "mailed to it, and SNS deletes it 48 hours after it was created",
    "not-deployed": "a resource the stack builds in the region is missing (never deployed, deleted, or "
    "deployed in another region or account): what it does is not done",
}


stacks = report_setup.contoso_and_fabrikam  # the fixture: contoso's and fabrikam's stack files


@pytest.mark.slow  # seconds of moto: .ci/run runs it with -m slow
def test_a_fleet_in_two_regions_and_two_accounts(aws, stacks, capsys):
    names: dict[str, str] = {}
    contoso = session_in(CONTOSO)
    done = deploy(stacks["contoso"], aws, session=contoso)
    # ops@ confirmed eu-west-1's subscription, not us-east-1's (each region's topic asks on its own).
    east = next(r for r in done.resources if r.type.endswith("TopicSubscription") and r.region == "us-east-1")
    mark_pending_confirmation(done.ids[east.id], account=CONTOSO, region="us-east-1")
    eu = Fleet(aws, contoso, CONTOSO, "eu-west-1", names)
    linux, windows = done.id_of("contoso-al2023"), done.id_of("contoso-windows")
    daily, weekly = done.id_of("contoso-daily-scan"), done.id_of("contoso-weekly-install")
    names.update({daily: "daily", weekly: "weekly", linux: "pb-linux", windows: "pb-windows"})
    (ok,) = eu.launch("lin-ok", "contoso-linux")
    (new,) = eu.launch("lin-new", "contoso-linux")
    (stale,) = eu.launch("lin-stale", "contoso-linux")
    (reboot,) = eu.launch("lin-reboot", "contoso-linux")
    (cut,) = eu.launch("lin-cut", "contoso-linux")
    (failed,) = eu.launch("lin-failed", "contoso-linux")
    (win,) = eu.launch("win-avail", "contoso-windows")
    eu.managed([ok, new, stale, reboot, cut, failed])
    eu.managed([win], platform="Microsoft Windows Server 2022 Datacenter")
    eu.patch_state([ok, cut, failed], "contoso-linux", linux, "2026-11-30T01:05")
    eu.patch_state([stale], "contoso-linux", linux, "2026-11-25T01:05")
    eu.patch_state(
        [reboot],
        "contoso-linux",
        linux,
        "2026-11-30T01:10",
        InstalledPendingRebootCount=2,
        LastNoRebootInstallOperationTime=epoch("2026-11-29T02:30"),
    )
    eu.patch_state([win], "contoso-windows", windows, "2026-11-30T01:05", AvailableSecurityUpdateCount=3)
    # The Sunday install hit its cutoff on lin-cut; Monday's scan failed on lin-failed (under MaxErrors:
    # the execution still succeeded).
    eu.run(weekly, "exec-sun", "2026-11-29T02:00", "CANCELLED", {ok: "Success", cut: "Cancelled", win: "Success"})
    eu.run(daily, "exec-mon", "2026-11-30T01:00", "SUCCESS", {ok: "Success", cut: "Success", failed: "Failed"})
    us = Fleet(aws, contoso, CONTOSO, "us-east-1", names)
    (east_ok,) = us.launch("east-ok", "contoso-linux")
    us.managed([east_ok])
    east_linux = done.id_of("contoso-us-east-1-al2023")
    names.update(
        {
            east_linux: "pb-east-linux",
            done.id_of("contoso-us-east-1-daily-scan"): "east-daily",
            done.id_of("contoso-us-east-1-weekly-install"): "east-weekly",
        }
    )
    us.patch_state([east_ok], "contoso-linux", east_linux, "2026-11-30T01:05")
    # us-east-1's windows ran too (a window that never runs is a gap); contoso-windows has no node there.
    east_daily, east_weekly = done.id_of("contoso-us-east-1-daily-scan"), done.id_of("contoso-us-east-1-weekly-install")
    us.run(east_weekly, "east-sun", "2026-11-29T02:00", "SUCCESS", {east_ok: "Success"})
    us.run(east_daily, "east-mon", "2026-11-30T01:00", "SUCCESS", {east_ok: "Success"})
    # Another account's customer: read through its own role, all compliant.
    fabrikam = session_in(FABRIKAM)
    other = deploy(stacks["fabrikam"], aws, session=fabrikam)
    fab = Fleet(aws, fabrikam, FABRIKAM, "us-east-1", names)
    (fab_ok,) = fab.launch("fab-ok", "fabrikam-web")
    fab.managed([fab_ok])
    fab_baseline = other.id_of("fabrikam-al2023")
    names.update({fab_baseline: "pb-fab", other.id_of("fabrikam-weekly-install"): "fab-weekly"})
    fab.patch_state([fab_ok], "fabrikam-web", fab_baseline, "2026-11-29T02:40", op="Install")
    fab_weekly = other.id_of("fabrikam-weekly-install")
    fab.run(fab_weekly, "fab-sun", "2026-11-29T02:00", "SUCCESS", {fab_ok: "Success"})

    code, data, err = run_report(capsys, stacks["contoso"], names)
    assert code == 3, err
    principal = "arn:aws:sts::111122223333:assumed-role/patching-report/patching-components"
    assert data["account"] == {"id": CONTOSO, "principal": principal}
    assert data["summary"] == {
        "nodes": 8,
        "compliant": 2,
        "nonCompliant": 6,
        "statuses": {
            "cancelled": 1,
            "failed": 1,
            "never-scanned": 1,
            "pending-reboot": 1,
            "security-updates-available": 1,
            "stale-scan": 1,
            "compliant": 2,
        },
        "gaps": 3,
        "ok": False,
    }
    scanned = {"lastOperation": "Scan", "lastOperationTime": iso("2026-11-30T01:05"), "counts": counts()}
    sunday = {"window": "weekly-install", "executionId": "<exec-sun>", "start": iso("2026-11-29T02:00")}
    monday = {"window": "daily-scan", "executionId": "<exec-mon>", "start": iso("2026-11-30T01:00")}
    eu_nodes = [
        node("eu-west-1", "contoso-linux", "lin-ok", "compliant", COMPLIANT, **scanned, baselineId="<pb-linux>")
        | {"lastRun": {**monday, "status": "Success"}},
        node("eu-west-1", "contoso-linux", "lin-new", "never-scanned", "no patch state in Systems Manager"),
        node(
            "eu-west-1",
            "contoso-linux",
            "lin-stale",
            "stale-scan",
            "last Scan 2026-11-25 01:05Z; its windows open at least every 25 hours, so anything older than "
            "50 hours is stale",
            **scanned,
            baselineId="<pb-linux>",
        )
        | {"lastOperationTime": iso("2026-11-25T01:05")},
        node(
            "eu-west-1",
            "contoso-linux",
            "lin-reboot",
            "pending-reboot",
            "2 patch(es) waiting for a restart since 2026-11-29 02:30Z (2 days)",
            lastOperation="Scan",
            lastOperationTime=iso("2026-11-30T01:10"),
            counts=counts(installedPendingReboot=2),
            baselineId="<pb-linux>",
            pendingRebootSince=iso("2026-11-29T02:30"),
        ),
        node(
            "eu-west-1",
            "contoso-linux",
            "lin-cut",
            "cancelled",
            "Cancelled in weekly-install of 2026-11-29 02:00Z: Cancelled",
            **scanned,
            baselineId="<pb-linux>",
            lastRun={**monday, "status": "Success"},
        ),
        node(
            "eu-west-1",
            "contoso-linux",
            "lin-failed",
            "failed",
            "Failed in daily-scan of 2026-11-30 01:00Z: Failed",
            **scanned,
            baselineId="<pb-linux>",
            lastRun={**monday, "status": "Failed"},
        ),
        node(
            "eu-west-1",
            "contoso-windows",
            "win-avail",
            "security-updates-available",
            "3 security update(s) available",
            **scanned,
            baselineId="<pb-windows>",
            platform="Microsoft Windows Server 2022 Datacenter",
            availableSecurityUpdates=3,
            lastRun={**sunday, "status": "Success"},
        ),
    ]
    east_nodes = [
        node("us-east-1", "contoso-linux", "east-ok", "compliant", COMPLIANT, **scanned, baselineId="<pb-east-linux>")
        | {
            "lastRun": {
                "window": "daily-scan",
                "executionId": "<east-mon>",
                "start": iso("2026-11-30T01:00"),
                "status": "Success",
            }
        }
    ]
    # Nodes come in id order per region: the stand-in's ids are random.
    order = {f"<{names[i]}>": n for n, i in enumerate(sorted([ok, new, stale, reboot, cut, failed, win]))}
    assert data["nodes"] == sorted(eu_nodes, key=lambda n: order[n["instanceId"]]) + east_nodes
    assert data["gaps"] == [
        {
            "region": "eu-west-1",
            "resource": "contoso-weekly-install",
            "kind": "window-run-failed",
            "meaning": STATUS_MEANINGS["window-run-failed"],
            "detail": "its last finished run (2026-11-29 02:00Z) ended CANCELLED",
        },
        {
            "region": "us-east-1",
            "resource": "ops@contoso.example",
            "kind": "unconfirmed-subscription",
            "meaning": STATUS_MEANINGS["unconfirmed-subscription"],
            "detail": "pending confirmation on contoso-us-east-1-alerts in us-east-1",
        },
        {
            "region": "us-east-1",
            "resource": "contoso-windows",
            "kind": "no-nodes",
            "meaning": STATUS_MEANINGS["no-nodes"],
            "detail": "no instance or managed node of patch group 'contoso-windows'; its windows here: daily-scan, "
            "weekly-install",
        },
    ]
    assert data["windows"] == [
        {
            "region": "eu-west-1",
            "window": "daily-scan",
            "windowId": "<daily>",
            "executions": [
                {
                    "executionId": "<exec-mon>",
                    "status": "SUCCESS",
                    "start": iso("2026-11-30T01:00"),
                    "end": iso("2026-11-30T01:50"),
                    "failedInvocations": [
                        {
                            "instanceId": "<lin-failed>",
                            "status": "Failed",
                            "details": "Failed",
                            "commandId": "<exec-mon-command>",
                        }
                    ],
                }
            ],
        },
        {
            "region": "eu-west-1",
            "window": "weekly-install",
            "windowId": "<weekly>",
            "executions": [
                {
                    "executionId": "<exec-sun>",
                    "status": "CANCELLED",
                    "start": iso("2026-11-29T02:00"),
                    "end": iso("2026-11-29T02:50"),
                    "failedInvocations": [
                        {
                            "instanceId": "<lin-cut>",
                            "status": "Cancelled",
                            "details": "Cancelled",
                            "commandId": "<exec-sun-command>",
                        }
                    ],
                }
            ],
        },
        {
            "region": "us-east-1",
            "window": "daily-scan",
            "windowId": "<east-daily>",
            "executions": [
                {
                    "executionId": "<east-mon>",
                    "status": "SUCCESS",
                    "start": iso("2026-11-30T01:00"),
                    "end": iso("2026-11-30T01:50"),
                    "failedInvocations": [],
                }
            ],
        },
        {
            "region": "us-east-1",
            "window": "weekly-install",
            "windowId": "<east-weekly>",
            "executions": [
                {
                    "executionId": "<east-sun>",
                    "status": "SUCCESS",
                    "start": iso("2026-11-29T02:00"),
                    "end": iso("2026-11-29T02:50"),
                    "failedInvocations": [],
                }
            ],
        },
    ]
    assert data["pipelines"] == []
    assert data["meanings"] == {
        key: STATUS_MEANINGS[key]
        for key in (
            "cancelled",
            "failed",
            "never-scanned",
            "pending-reboot",
            "security-updates-available",
            "stale-scan",
            "unconfirmed-subscription",
            "window-run-failed",
            "no-nodes",
        )
    }
    assert (data["customer"], data["stack"], data["regions"]) == ("contoso", "contoso", ["eu-west-1", "us-east-1"])
    assert (data["stackRegions"], data["regionsNarrowed"]) == (["eu-west-1", "us-east-1"], False)  # its two, both read
    assert (data["generatedAt"], data["since"]) == (iso("2026-12-01T09:00"), iso("2026-10-31T09:00"))
    assert set(data) == set(SCHEMA["required"])

    code, data, _ = run_report(capsys, stacks["fabrikam"], names)
    assert code == 0
    assert data["account"] == {
        "id": FABRIKAM,
        "principal": "arn:aws:sts::444455556666:assumed-role/patching-report/patching-components",
    }
    assert data["summary"] == {
        "nodes": 1,
        "compliant": 1,
        "nonCompliant": 0,
        "statuses": {"compliant": 1},
        "gaps": 0,
        "ok": True,
    }
    assert data["nodes"] == [
        node(
            "us-east-1",
            "fabrikam-web",
            "fab-ok",
            "compliant",
            COMPLIANT,
            lastOperation="Install",
            lastOperationTime=iso("2026-11-29T02:40"),
            counts=counts(),
            baselineId="<pb-fab>",
            lastRun={
                "window": "weekly-install",
                "executionId": "<fab-sun>",
                "start": iso("2026-11-29T02:00"),
                "status": "Success",
            },
        )
    ]
    assert data["gaps"] == [] and data["meanings"] == {}
    assert data["windows"] == [
        {
            "region": "us-east-1",
            "window": "weekly-install",
            "windowId": "<fab-weekly>",
            "executions": [
                {
                    "executionId": "<fab-sun>",
                    "status": "SUCCESS",
                    "start": iso("2026-11-29T02:00"),
                    "end": iso("2026-11-29T02:50"),
                    "failedInvocations": [],
                }
            ],
        }
    ]


FABRIKAM_NOTHING = [
    {
        "region": "us-east-1",
        "resource": "fabrikam-al2023",
        "kind": "not-deployed",
        "detail": "no patch baseline named 'fabrikam-al2023' (AMAZON_LINUX_2023)",
    },
    {
        "region": "us-east-1",
        "resource": "fabrikam-web",
        "kind": "not-deployed",
        "detail": "patch group 'fabrikam-web' is registered to no baseline (expected fabrikam-al2023)",
    },
    {
        "region": "us-east-1",
        "resource": "fabrikam-weekly-install",
        "kind": "not-deployed",
        "detail": "no maintenance window named 'fabrikam-weekly-install'",
    },
]


def nothing_deployed(account: str, principal: str, region: str = "us-east-1") -> dict[str, Any]:
    """The whole JSON of fabrikam's report on an account (or region) without its deployment and nodes."""
    gaps = [{**g, "region": region} for g in FABRIKAM_NOTHING]
    gaps.append(
        {"region": region, "resource": "fabrikam-web", "kind": "no-nodes", "detail": "no instance or managed node"}
    )
    meanings = {"not-deployed": STATUS_MEANINGS["not-deployed"], "no-nodes": STATUS_MEANINGS["no-nodes"]}
    return {
        "schemaVersion": 2,
        "account": {"id": account, "principal": principal},
        "customer": "fabrikam",
        "stack": "fabrikam",
        "generatedAt": iso("2026-12-01T09:00"),
        "since": iso("2026-10-31T09:00"),
        "regions": [region],
        "stackRegions": [region],  # fabrikam's one region (its aws:region): all of it read
        "regionsNarrowed": False,
        "summary": {"nodes": 0, "compliant": 0, "nonCompliant": 0, "statuses": {}, "gaps": 4, "ok": False},
        "nodes": [],
        "gaps": [{**g, "meaning": meanings[g["kind"]]} for g in gaps],
        "windows": [{"region": region, "window": "weekly-install", "windowId": None, "executions": []}],
        "pipelines": [],
        "meanings": meanings,
    }


FABRIKAM_ROLE = "arn:aws:sts::444455556666:assumed-role/patching-report/patching-components"


def test_nothing_deployed_exits_3(aws, stacks, capsys):
    code, data, _ = run_report(capsys, stacks["fabrikam"], {})
    assert code == 3
    assert data == nothing_deployed(FABRIKAM, FABRIKAM_ROLE)


@pytest.mark.slow  # seconds of moto: .ci/run runs it with -m slow
def test_a_wrong_region_exits_3(aws, stacks, capsys):
    """Deployed in us-east-1, with nodes there; the stack file says eu-west-1."""
    names: dict[str, str] = {}
    session = session_in(FABRIKAM)
    deploy(stacks["fabrikam"], aws, session=session)
    fleet = Fleet(aws, session, FABRIKAM, "us-east-1", names)
    fleet.managed(fleet.launch("fab-ok", "fabrikam-web"))
    wrong = fabrikam_variant(stacks, "aws:region: us-east-1", "aws:region: eu-west-1")
    code, data, _ = run_report(capsys, wrong, names)
    assert code == 3
    assert data == nothing_deployed(FABRIKAM, FABRIKAM_ROLE, region="eu-west-1")


@pytest.mark.slow  # seconds of moto: .ci/run runs it with -m slow
def test_operator_credentials_without_the_role_read_their_own_account_and_exit_3(aws, stacks, capsys):
    """No aws:assumeRoles and no aws:allowedAccountIds: the operator's account is read, says so, and
    holds nothing of the stack."""
    names: dict[str, str] = {}
    session = session_in(FABRIKAM)
    deploy(stacks["fabrikam"], aws, session=session)
    fleet = Fleet(aws, session, FABRIKAM, "us-east-1", names)
    fleet.managed(fleet.launch("fab-ok", "fabrikam-web"))
    text = stacks["fabrikam"].read_text()
    bare = fabrikam_variant(stacks, text[text.index("  aws:assumeRoles") : text.index("  patching:customer")], "")
    code, data, _ = run_report(capsys, bare, names)
    assert code == 3
    assert data == nothing_deployed(OPERATOR, "arn:aws:sts::123456789012:user/moto")


def test_a_wrong_account_is_refused(aws, stacks, capsys):
    """aws:allowedAccountIds names the customer's account; the operator's credentials reach their own."""
    text = stacks["fabrikam"].read_text()
    no_role = fabrikam_variant(stacks, text[text.index("  aws:assumeRoles") : text.index("  aws:allowed")], "")
    code, data, err = run_report(capsys, no_role, {})
    assert (code, data) == (2, None)
    (line,) = err.splitlines()
    assert line.startswith(f"patching: error: {no_role}: these credentials reach account {OPERATOR} ")
    assert "aws:allowedAccountIds allows only 444455556666" in line


@pytest.mark.slow  # seconds of moto: .ci/run runs it with -m slow
def test_a_half_deployed_stack_and_a_changed_task(aws, stacks, capsys):
    """The patch group registration never made it, and the window's task scans where the stack installs."""
    names: dict[str, str] = {}
    session = session_in(FABRIKAM)
    scan = fabrikam_variant(stacks, "operation: Install", "operation: Scan")
    done = deploy(scan, aws, session=session, include=lambda r: not r.type.endswith("patchGroup:PatchGroup"))
    fleet = Fleet(aws, session, FABRIKAM, "us-east-1", names)
    (web,) = fleet.launch("fab-ok", "fabrikam-web")
    fleet.managed([web])
    baseline = done.id_of("fabrikam-al2023")
    names[baseline] = "pb-fab"
    names[done.id_of("fabrikam-weekly-install")] = "fab-weekly"
    fleet.patch_state([web], "fabrikam-web", baseline, "2026-11-29T02:40", op="Install")
    code, data, _ = run_report(capsys, stacks["fabrikam"], names)
    assert code == 3
    assert data["gaps"] == [
        {
            "region": "us-east-1",
            "resource": "fabrikam-web",
            "kind": "not-deployed",
            "meaning": STATUS_MEANINGS["not-deployed"],
            "detail": "patch group 'fabrikam-web' is registered to no baseline (expected fabrikam-al2023)",
        },
        {
            "region": "us-east-1",
            "resource": "fabrikam-weekly-install",
            "kind": "wrong-task",
            "meaning": "the window runs another document or other parameters (operation, reboot option), or its "
            "task has other settings (cutoff behavior, concurrency, error threshold, timeout, service role, "
            "notifications) than the stack's",
            # A scan's delivery timeout: (4 h - 1 h cutoff) - 5 min per node = 10500 s; an install's 15 min: 9900 s.
            "detail": "Operation Scan, the stack says Install; RebootOption NoReboot, the stack says RebootIfNeeded; "
            "TimeoutSeconds 10500, the stack says 9900",
        },
        {
            "region": "us-east-1",
            "resource": "fabrikam-weekly-install",
            "kind": "window-not-running",
            "meaning": "the window is enabled and its calendar says it opened in the period (outside every "
            "change freeze), but it has no run then",
            # Sundays 02:00 UTC from 31 Oct 09:00 to 1 Dec 09:00: 1, 8, 15, 22 and 29 Nov.
            "detail": "enabled, and its schedule opened it 5 time(s) since 2026-10-31 09:00Z (last "
            "2026-11-29 02:00Z), but it has no run",
        },
    ]
    # Its baseline is not registered to its group: whatever it reports, it was not patched as the stack says.
    assert data["nodes"] == [
        node(
            "us-east-1",
            "fabrikam-web",
            "fab-ok",
            "other-baseline",
            "Install with <pb-fab>, not a baseline of fabrikam-web",
            lastOperation="Install",
            lastOperationTime=iso("2026-11-29T02:40"),
            counts=counts(),
            baselineId="<pb-fab>",
        )
    ]
    assert data["summary"]["ok"] is False


@pytest.mark.slow  # seconds of moto: .ci/run runs it with -m slow
def test_pagination_past_100_instances_with_the_fewest_calls(aws, stacks, capsys):
    names: dict[str, str] = {}
    session = session_in(FABRIKAM)
    done = deploy(stacks["fabrikam"], aws, session=session)
    fleet = Fleet(aws, session, FABRIKAM, "us-east-1", names)
    ids = fleet.launch("web", "fabrikam-web", count=120)
    fleet.managed(ids)
    baseline = done.id_of("fabrikam-al2023")
    names[baseline] = "pb-fab"
    names[done.id_of("fabrikam-weekly-install")] = "fab-weekly"
    fleet.patch_state(ids, "fabrikam-web", baseline, "2026-11-29T02:40", op="Install")
    fleet.run(
        done.id_of("fabrikam-weekly-install"), "fab-sun", "2026-11-29T02:00", "SUCCESS", dict.fromkeys(ids, "Success")
    )
    aws.layer.calls.clear()
    code, data, _ = run_report(capsys, stacks["fabrikam"], names)
    assert code == 0
    assert data["summary"] == {
        "nodes": 120,
        "compliant": 120,
        "nonCompliant": 0,
        "statuses": {"compliant": 120},
        "gaps": 0,
        "ok": True,
    }
    assert data["nodes"] == [
        node(
            "us-east-1",
            "fabrikam-web",
            names[iid],
            "compliant",
            COMPLIANT,
            lastOperation="Install",
            lastOperationTime=iso("2026-11-29T02:40"),
            counts=counts(),
            baselineId="<pb-fab>",
            lastRun={
                "window": "weekly-install",
                "executionId": "<fab-sun>",
                "start": iso("2026-11-29T02:00"),
                "status": "Success",
            },
        )
        | {"name": "web"}
        for iid in sorted(ids)
    ]
    # AWS's largest pages: 50 managed nodes (3 calls for 120), 100 patch states (2), 1000 instances (1),
    # 50 command invocations (3); one call per region for the rest, one per window for its targets, task
    # and runs, and one per run for its tasks and their invocations.
    assert dict(aws.layer.calls) == {
        "AssumeRole": 1,
        "GetCallerIdentity": 1,
        "DescribeInstanceInformation": 3,
        "DescribeInstances": 1,
        "DescribePatchGroups": 1,
        "DescribePatchBaselines": 1,
        "DescribeMaintenanceWindows": 1,
        "DescribeMaintenanceWindowTargets": 1,
        "DescribeMaintenanceWindowTasks": 1,
        "GetMaintenanceWindowTask": 1,
        "DescribeMaintenanceWindowExecutions": 1,
        "DescribeInstancePatchStatesForPatchGroup": 2,
        "DescribeMaintenanceWindowExecutionTasks": 1,
        "DescribeMaintenanceWindowExecutionTaskInvocations": 1,
        "ListCommandInvocations": 3,
    }


@pytest.mark.slow  # seconds of moto: .ci/run runs it with -m slow
def test_a_rarely_opening_window_a_stale_scan_a_blocked_rejected_patch_and_a_second_window_of_one_name(
    aws, stacks, capsys
):
    """Fabrikam patches once, on 1 June (an at() window: no scan interval), blocks rejected patches, and
    someone created a second window with the install window's name by hand. fab-old last scanned 395 days
    ago (past the default maximum scan age of 35 days), fab-rejected has a rejected patch installed,
    fab-ok scanned a day ago."""
    names: dict[str, str] = {}
    session = session_in(FABRIKAM)
    text = stacks["fabrikam"].read_text()
    text = text.replace("schedule: cron(0 2 ? * SUN *)", "schedule: at(2026-06-01T02:00:00)")
    text = text.replace(
        "      operatingSystem: AMAZON_LINUX_2023\n",
        "      operatingSystem: AMAZON_LINUX_2023\n      rejectedPatches: [kernel-debug]\n"
        "      rejectedPatchesAction: BLOCK\n",
    )
    stack = stacks["fabrikam"].with_name("Pulumi.fabrikam-rare.yaml")
    stack.write_text(text)
    done = deploy(stack, aws, session=session)
    fleet = Fleet(aws, session, FABRIKAM, "us-east-1", names)
    (ok,) = fleet.launch("fab-ok", "fabrikam-web")
    (old,) = fleet.launch("fab-old", "fabrikam-web")
    (rejected,) = fleet.launch("fab-rejected", "fabrikam-web")
    fleet.managed([ok, old, rejected])
    baseline = done.id_of("fabrikam-al2023")
    names[baseline] = "pb-fab"
    fleet.patch_state([ok], "fabrikam-web", baseline, "2026-11-30T02:40")
    fleet.patch_state([old], "fabrikam-web", baseline, "2025-11-01T02:40")
    fleet.patch_state([rejected], "fabrikam-web", baseline, "2026-11-30T02:40", InstalledRejectedCount=1)
    first = done.id_of("fabrikam-weekly-install")
    second = session.client("ssm", region_name="us-east-1").create_maintenance_window(
        Name="fabrikam-weekly-install",
        Schedule="cron(0 4 ? * SUN *)",
        Duration=2,
        Cutoff=0,
        AllowUnassociatedTargets=True,
    )["WindowId"]
    names.update({first: "fab-weekly", second: "by-hand"})

    code, data, _ = run_report(capsys, stack, names)
    assert code == 3
    assert [(n["name"], n["problems"]) for n in data["nodes"] if n["name"] != "fab-ok"] == sorted(
        [
            (
                "fab-old",
                [
                    {
                        "status": "stale-scan",
                        "reason": "last Scan 2025-11-01 02:40Z; its windows open less than twice in 13 weeks here, "
                        "so anything older than the maximum scan age of 35 days is stale",
                    }
                ],
            ),
            (
                "fab-rejected",
                [
                    {
                        "status": "non-compliant",
                        "reason": "0 missing, 0 failed, 0 critical, 0 security, 1 rejected installed (its baseline "
                        "blocks rejected patches)",
                    }
                ],
            ),
        ],
        key=lambda row: old if row[0] == "fab-old" else rejected,  # nodes come in id order
    )
    assert next(n["status"] for n in data["nodes"] if n["name"] == "fab-ok") == "compliant"
    assert [(g["resource"], g["kind"], g["detail"]) for g in data["gaps"]] == [
        (
            "fabrikam-weekly-install",
            "duplicate-window",
            # The two ids in sorted order (the stand-in's are random).
            "2 windows named 'fabrikam-weekly-install' ("
            + ("<fab-weekly>, <by-hand>" if first < second else "<by-hand>, <fab-weekly>")
            + "): delete all but one",
        )
    ]
    # With a maximum scan age of 400 days, fab-old is fresh.
    code, data, _ = run_report(capsys, stack, names, "--max-scan-age", "400")
    assert next(n["status"] for n in data["nodes"] if n["name"] == "fab-old") == "compliant"


@pytest.mark.slow  # seconds of moto: .ci/run runs it with -m slow
def test_a_patch_group_with_nodes_in_a_region_without_its_windows_is_a_gap(aws, stacks, capsys):
    """Contoso's windows are built only in eu-west-1; east-ok, in contoso-linux, runs in us-east-1 (its
    baseline is registered there), where nothing scans or patches it on a schedule. Its scan of 1 Nov is
    judged by the maximum scan age (no window gives it an interval there)."""
    names: dict[str, str] = {}
    session = session_in(CONTOSO)
    text = stacks["contoso"].read_text()
    for operation in ("Scan", "Install"):
        text = text.replace(
            f"      operation: {operation}\n", f"      operation: {operation}\n      regions: [eu-west-1]\n"
        )
    stack = stacks["contoso"].with_name("Pulumi.contoso-eu-windows.yaml")
    stack.write_text(text)
    done = deploy(stack, aws, session=session)
    eu = Fleet(aws, session, CONTOSO, "eu-west-1", names)
    (ok,) = eu.launch("lin-ok", "contoso-linux")
    (win,) = eu.launch("win-ok", "contoso-windows")
    eu.managed([ok])
    eu.managed([win], platform="Microsoft Windows Server 2022 Datacenter")
    eu.patch_state([ok], "contoso-linux", done.id_of("contoso-al2023"), "2026-11-30T01:05")
    eu.patch_state([win], "contoso-windows", done.id_of("contoso-windows"), "2026-11-30T01:05")
    daily, weekly = done.id_of("contoso-daily-scan"), done.id_of("contoso-weekly-install")
    eu.run(weekly, "exec-sun", "2026-11-29T02:00", "SUCCESS", {ok: "Success", win: "Success"})
    eu.run(daily, "exec-mon", "2026-11-30T01:00", "SUCCESS", {ok: "Success", win: "Success"})
    us = Fleet(aws, session, CONTOSO, "us-east-1", names)
    (east,) = us.launch("east-ok", "contoso-linux")
    us.managed([east])
    us.patch_state([east], "contoso-linux", done.id_of("contoso-us-east-1-al2023"), "2026-10-20T01:05")

    code, data, _ = run_report(capsys, stack, names)
    assert code == 3
    assert [(n["name"], n["status"]) for n in data["nodes"] if n["region"] == "eu-west-1"] == sorted(
        [("lin-ok", "compliant"), ("win-ok", "compliant")], key=lambda row: ok if row[0] == "lin-ok" else win
    )
    (east_node,) = [n for n in data["nodes"] if n["region"] == "us-east-1"]
    assert east_node["problems"] == [
        {
            "status": "stale-scan",
            "reason": "last Scan 2026-10-20 01:05Z; its windows open less than twice in 13 weeks here, so anything "
            "older than the maximum scan age of 35 days is stale",
        }
    ]
    assert [(g["region"], g["resource"], g["kind"], g["detail"]) for g in data["gaps"]] == [
        (
            "us-east-1",
            "contoso-linux",
            "no-window",
            "1 node(s) of patch group 'contoso-linux', but none of its windows is built in us-east-1",
        ),
    ]
