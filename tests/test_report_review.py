"""False greens the review of `patching report` found, each against botocore's Stubber (the fixture's
account of tests/report_fixture.py with one thing changed): expected values written by hand from
the scenario and AWS's documented behaviour."""

from pathlib import Path

import pytest
import report_fixture as fixture
from aws_stubs import StubbedAccount as _Stubbed

from tests import report_setup as setup

ACME = setup.ACME  # acme as tests/report_fixture.py's account has it
DAILY_01 = "1a2b3c4d-0000-4000-8000-000000000101"


def acme_variant(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    return setup.variant(ACME, tmp_path, *replacements)


def changed(calls, operation, change, which=None):
    """``calls`` with the response of ``operation`` (the ``which``-th such call, else every one) changed."""
    out, seen = [], 0
    for name, params, response in calls:
        if name == operation:
            if which is None or seen == which:
                response = change(params, response)
            seen += 1
        out.append((name, params, response))
    return out


def run(ssm_calls, stack=ACME, **options):
    account = _Stubbed({"ssm": ssm_calls, "ec2": fixture.EC2_CALLS, "sns": fixture.SNS_CALLS}, fixture.REGION)
    return setup.collect_acme(account, stack, **options)


def problems(found, instance_id):
    return next(i.problems for i in found.instances if i.instance_id == instance_id)


def gaps(found, *kinds):
    return [(g.resource, g.kind, g.detail) for g in found.gaps if g.kind in kinds]


def web1_scanned(end):
    def change(params, response):
        if "NextToken" in params:
            return response
        _web1, *rest = response["InstancePatchStates"]
        return {**response, "InstancePatchStates": [fixture.patch_state("i-0web1", end=end), *rest]}

    return change


# 1. A patch group whose windows open less than twice in 13 weeks: the maximum scan age ---------------------

RARE = (
    ("cron(0 1 ? * MON-SAT *)", "cron(0 1 1 1,7 ? *)"),  # 1 January and 1 July
    ("cron(0 2 ? * SUN *)", "at(2026-06-01T02:00:00)"),  # once, in June
)


@pytest.mark.parametrize(
    ("max_age", "stale"),
    [
        ({}, True),  # default: 35 days
        ({"max_scan_age_days": 500}, False),
    ],
)
def test_a_400_day_old_scan_is_stale_when_the_windows_open_rarely(tmp_path, max_age, stale):
    stack = acme_variant(tmp_path, *RARE)
    calls = changed(fixture.SSM_CALLS, "describe_instance_patch_states", web1_scanned("2025-10-27T01:41"))
    found = run(calls, stack, **max_age)
    expected = [
        (
            "stale-scan",
            "last Scan 2025-10-27 01:41Z; its windows open less than twice in 13 weeks here, so anything "
            "older than the maximum scan age of 35 days is stale",
        )
    ]
    assert problems(found, "i-0web1") == (expected if stale else [])


def test_a_recent_scan_is_fresh_under_the_maximum_scan_age(tmp_path):
    # web-1 scanned on 30 Nov, 1 day before: fresh even with windows that give no interval.
    assert problems(run(fixture.SSM_CALLS, acme_variant(tmp_path, *RARE)), "i-0web1") == []


# 2. Per node, the newest finished run that sent it a command ----------------------------------------------

SKIPPED, RUNNING = "2b3c4d5e-0000-4000-8000-000000000130", "1a2b3c4d-0000-4000-8000-000000000102"


def test_an_overlapping_or_unfinished_newest_run_does_not_hide_a_failed_command():
    """The weekly install's newest run was skipped as overlapping, the daily scan's newest is still in
    progress: web-2's Failed command of 29 Nov stays visible, and neither new run is drilled into (the
    Stubber fails on any call not in the fixture's order)."""

    def with_newer(execution_id, start, status):
        def change(params, response):
            newer = {**fixture.execution(params["WindowId"], execution_id, start, start, status)}
            newer.pop("EndTime")
            return {"WindowExecutions": [newer, *response["WindowExecutions"]]}

        return change

    calls = changed(
        fixture.SSM_CALLS,
        "describe_maintenance_window_executions",
        with_newer(RUNNING, "2026-12-01T01:00", "IN_PROGRESS"),
        which=0,
    )
    calls = changed(
        calls,
        "describe_maintenance_window_executions",
        with_newer(SKIPPED, "2026-11-30T02:00", "SKIPPED_OVERLAPPING"),
        which=1,
    )
    found = run(calls)
    assert problems(found, "i-0web2") == [
        ("failed", "Failed in weekly-install of 2026-11-29 02:00Z: Failed"),
        ("non-compliant", "3 missing, 1 failed, 2 critical, 4 security"),
    ]
    assert gaps(found, "window-run-failed") == [
        ("acme-weekly-install", "window-run-failed", "its last finished run (2026-11-29 02:00Z) ended FAILED")
    ]


def test_a_node_left_out_of_the_newest_run_is_judged_by_the_run_before():
    """The daily scan of 30 Nov sent web-2 no command (say it was offline then); on 28 Nov its scan was
    cancelled. The 28 Nov run is read for web-2, and its Cancelled shows."""
    calls = []
    for call in fixture.SSM_CALLS:
        if (
            call[0] == "describe_maintenance_window_execution_tasks"
            and call[1]["WindowExecutionId"] == fixture.WEEKLY_29
        ):
            calls += fixture.drill(fixture.DAILY_28, "SUCCESS", [("i-0web1", "Success"), ("i-0web2", "Cancelled")])
        calls.append(call)
    calls = changed(
        calls,
        "list_command_invocations",
        lambda params, response: {"CommandInvocations": response["CommandInvocations"][:1]},
        which=0,
    )
    found = run(calls)
    assert problems(found, "i-0web2")[0] == ("cancelled", "Cancelled in daily-scan of 2026-11-28 01:00Z: Cancelled")
    web2 = next(i for i in found.instances if i.instance_id == "i-0web2")
    assert [(r.window, r.execution_id, r.status) for r in web2.last_runs] == [
        ("weekly-install", fixture.WEEKLY_29, "Failed"),
        ("daily-scan", fixture.DAILY_28, "Cancelled"),
    ]
    web1 = next(i for i in found.instances if i.instance_id == "i-0web1")
    assert [(r.window, r.execution_id) for r in web1.last_runs] == [
        ("daily-scan", fixture.DAILY_30),
        ("weekly-install", fixture.WEEKLY_29),
    ]


# 3. Window runs that failed without a command, and windows that do not run -----------------------------------


def test_a_window_whose_last_run_failed_before_sending_a_command_is_a_gap():
    """The daily scan's run of 30 Nov TIMED_OUT with no task run (its role could not be assumed): no
    node shows it, the gap does."""

    def timed_out(params, response):
        first, second = response["WindowExecutions"]  # 28 Nov, 30 Nov
        return {"WindowExecutions": [first, {**second, "Status": "TIMED_OUT"}]}

    calls = changed(fixture.SSM_CALLS, "describe_maintenance_window_executions", timed_out, which=0)
    calls = changed(
        calls,
        "describe_maintenance_window_execution_tasks",
        lambda params, response: {"WindowExecutionTaskIdentities": []},
        which=0,
    )
    # No command for web-1 and web-2 in the daily scan of 30 Nov: the run of 28 Nov is read for them.
    index = next(n for n, c in enumerate(calls) if c[0] == "describe_maintenance_window_execution_tasks")
    calls = [
        *calls[: index + 1],
        *fixture.drill(fixture.DAILY_28, "SUCCESS", [("i-0web1", "Success"), ("i-0web2", "Success")]),
        *[c for c in calls[index + 1 :] if not (c[0] != "get_parameter" and fixture.DAILY_30[:-12] in str(c[1]))],
    ]
    found = run(calls)
    assert gaps(found, "window-run-failed") == [
        ("acme-daily-scan", "window-run-failed", "its last finished run (2026-11-30 01:00Z) ended TIMED_OUT"),
        ("acme-weekly-install", "window-run-failed", "its last finished run (2026-11-29 02:00Z) ended FAILED"),
    ]
    assert not found.ok


def without_runs(window_id):
    def change(params, response):
        return {"WindowExecutions": []} if params["WindowId"] == window_id else response

    return change


def daily_without_runs():
    calls = changed(fixture.SSM_CALLS, "describe_maintenance_window_executions", without_runs(fixture.DAILY))
    drilled = fixture.drill(fixture.DAILY_30, "SUCCESS", [])
    return [c for c in calls if (c[0], c[1]) not in [(d[0], d[1]) for d in drilled]]


def test_an_enabled_window_without_a_run_in_the_period_is_a_gap():
    # Mon-Sat 01:00 Europe/London (GMT in November) from 31 Oct 09:00Z to 1 Dec 08:00Z: 2-7, 9-14,
    # 16-21, 23-28 and 30 Nov, and 1 Dec = 26 openings.
    assert gaps(run(daily_without_runs()), "window-not-running") == [
        (
            "acme-daily-scan",
            "window-not-running",
            "enabled, and its schedule opened it 26 time(s) since 2026-10-31 09:00Z (last 2026-12-01 01:00Z), "
            "but it has no run",
        )
    ]


def test_a_window_that_did_not_run_through_a_freeze_is_no_gap(tmp_path):
    freeze = (
        "  patching:logging:",
        "  patching:changeFreezes:\n    november:\n      start: 2026-10-30\n      end: 2026-12-02\n  patching:logging:",
    )
    stack = acme_variant(tmp_path, freeze)

    def disabled(params, response):
        return {"WindowIdentities": [{**w, "Enabled": False} for w in response["WindowIdentities"]]}

    calls = changed(daily_without_runs(), "describe_maintenance_windows", disabled)
    found = run(calls, stack)
    assert gaps(found, "window-not-running", "window-disabled") == []


def test_a_window_disabled_by_a_freeze_now_that_never_ran_before_it_is_a_gap(tmp_path):
    """A freeze from 29 Nov (its guard disabled the windows): the daily scan had no run from 31 Oct on, though
    it opened Mon-Sat 01:00 on 2-7, 9-14, 16-21 and 23-28 Nov before the freeze = 24 times. Disabled now says
    nothing of those weeks."""
    freeze = (
        "  patching:logging:",
        "  patching:changeFreezes:\n    december:\n      start: 2026-11-29\n      end: 2026-12-02\n  patching:logging:",
    )
    stack = acme_variant(tmp_path, freeze)

    def disabled(params, response):
        return {"WindowIdentities": [{**w, "Enabled": False} for w in response["WindowIdentities"]]}

    found = run(changed(daily_without_runs(), "describe_maintenance_windows", disabled), stack)
    assert gaps(found, "window-not-running", "window-disabled") == [
        (
            "acme-daily-scan",
            "window-not-running",
            "disabled now by a change freeze, and its schedule outside the freeze opened it 24 time(s) since "
            "2026-10-31 09:00Z (last 2026-11-28 01:00Z), but it has no run",
        )
    ]
    assert not found.ok


# 4. Hand edits of the window and its task -----------------------------------------------------------------


def test_hand_edits_of_the_window_and_its_task_are_gaps():
    def edited_window(params, response):
        daily, weekly = response["WindowIdentities"]
        weekly = {**weekly, "Duration": 6, "Schedule": "cron(0 3 ? * SUN *)"}
        weekly.pop("ScheduleTimezone")  # AWS then runs it in UTC
        return {"WindowIdentities": [daily, weekly]}

    def edited_task(params, response):
        if params["WindowId"] != fixture.WEEKLY:
            return response
        command = dict(response["TaskInvocationParameters"]["RunCommand"])
        command["TimeoutSeconds"] = 600
        command["NotificationConfig"] = {**fixture.ALERTS, "NotificationEvents": ["Success"]}
        task = {**response, "CutoffBehavior": "CONTINUE_TASK", "MaxConcurrency": "100%", "MaxErrors": "5"}
        task.pop("ServiceRoleArn")
        return {**task, "TaskInvocationParameters": {"RunCommand": command}}

    calls = changed(fixture.SSM_CALLS, "describe_maintenance_windows", edited_window)
    found = run(changed(calls, "get_maintenance_window_task", edited_task))
    assert gaps(found, "wrong-window", "wrong-task") == [
        (
            "acme-weekly-install",
            "wrong-window",
            "Schedule 'cron(0 3 ? * SUN *)', the stack says 'cron(0 2 ? * SUN *)'; ScheduleTimezone 'UTC', the "
            "stack says 'Europe/London'; Duration 6, the stack says 4",
        ),
        (
            "acme-weekly-install",
            "wrong-task",
            "CutoffBehavior 'CONTINUE_TASK', the stack says 'CANCEL_TASK'; MaxConcurrency '100%', the stack says "
            "'25%'; MaxErrors '5', the stack says '1'; TimeoutSeconds 600, the stack says 9900; no service role, "
            "the stack gives the window's role; notifies Invocation on Success, the stack says Invocation on "
            "Cancelled, Failed, TimedOut",
        ),
    ]


def test_a_task_without_notifications_is_a_gap():
    def silent(params, response):
        command = dict(response["TaskInvocationParameters"]["RunCommand"])
        command.pop("NotificationConfig")
        return {**response, "TaskInvocationParameters": {"RunCommand": command}}

    found = run(changed(fixture.SSM_CALLS, "get_maintenance_window_task", silent, which=0))
    assert gaps(found, "wrong-task") == [
        ("acme-daily-scan", "wrong-task", "no notifications, the stack notifies on Failed, TimedOut, Cancelled")
    ]


def test_two_windows_of_one_name_are_a_gap_not_the_last_one_wins():
    other = "mw-0d0a11e5ca000000b"

    def twice(params, response):
        daily, weekly = response["WindowIdentities"]
        return {"WindowIdentities": [daily, {**daily, "WindowId": other}, weekly]}

    calls = changed(fixture.SSM_CALLS, "describe_maintenance_windows", twice)
    # Neither copy is checked nor its runs read: which one is the stack's cannot be told.
    calls = [c for c in calls if c[1].get("WindowId") != fixture.DAILY]
    drilled = fixture.drill(fixture.DAILY_30, "SUCCESS", [])
    calls = [c for c in calls if (c[0], c[1]) not in [(d[0], d[1]) for d in drilled]]
    found = run(calls)
    assert gaps(found, "duplicate-window", "not-deployed") == [
        (
            "acme-daily-scan",
            "duplicate-window",
            f"2 windows named 'acme-daily-scan' ({fixture.DAILY}, {other}): delete all but one",
        )
    ]
    assert [w.window_id for w in found.windows] == [None, fixture.WEEKLY]
    assert not found.ok


# 5. Rejected patches installed, with rejectedPatchesAction BLOCK --------------------------------------------


def rejected_installed(params, response):
    if "NextToken" in params:
        return response
    first, *rest = response["InstancePatchStates"]
    return {**response, "InstancePatchStates": [{**first, "InstalledRejectedCount": 1}, *rest]}


def test_an_installed_rejected_patch_is_non_compliant_when_the_baseline_blocks(tmp_path):
    blocks = acme_variant(
        tmp_path,
        (
            "      default: true\n",
            "      default: true\n      rejectedPatches: [kernel-debug]\n      rejectedPatchesAction: BLOCK\n",
        ),
    )
    calls = changed(fixture.SSM_CALLS, "describe_instance_patch_states", rejected_installed)
    assert problems(run(calls, blocks), "i-0web1") == [
        (
            "non-compliant",
            "0 missing, 0 failed, 0 critical, 0 security, 1 rejected installed (its baseline blocks rejected patches)",
        )
    ]


def test_an_installed_rejected_patch_allowed_as_a_dependency_is_compliant():
    # ALLOW_AS_DEPENDENCY (acme's default): AWS reports the node INSTALLED_REJECTED, compliant.
    calls = changed(fixture.SSM_CALLS, "describe_instance_patch_states", rejected_installed)
    assert problems(run(calls), "i-0web1") == []


# 6. A patch group without nodes where its windows are built -----------------------------------------------


def test_a_patch_group_without_nodes_in_a_region_with_its_windows_is_a_gap(tmp_path):
    stack = acme_variant(
        tmp_path,
        (
            "      maintenanceWindows: [daily-scan, weekly-install]\n",
            "      maintenanceWindows: [daily-scan, weekly-install]\n"
            "    acme-db:\n      baselines: [al2023]\n      maintenanceWindows: [weekly-install]\n",
        ),
    )
    found = run(fixture.SSM_CALLS, stack)
    assert gaps(found, "no-nodes") == [
        (
            "acme-db",
            "no-nodes",
            "no instance or managed node of patch group 'acme-db'; its windows here: weekly-install",
        )
    ]


# 7. Two golden AMI pipelines in a region: their builds in one listing -------------------------------------


def test_two_pipelines_builds_are_one_listing_each_judged_by_its_own_last_build(tmp_path):
    """al2023-min beside al2023-base: one DescribeAutomationExecutions by the documents' common prefix
    (acme-golden-ami-al2023-), each pipeline judged by its own newest build; a build of another document
    under that prefix (a pipeline the stack no longer has) is nobody's."""
    second = (
        "    al2023-min:\n      platform: Linux\n"
        "      sourceAmiParameter: /aws/service/ami-amazon-linux-latest/al2023-ami-minimal-kernel-default-x86_64\n"
        "      instanceType: t3.small\n      subnetId: subnet-0a1b2c3d4e5f60718\n      patchGroup: acme-web\n"
        "      schedule: cron(0 4 ? * MON#2 *)\n"
    )
    stack = acme_variant(tmp_path, ("  patching:goldenAmis:\n", "  patching:goldenAmis:\n" + second))
    (get_base,) = [call for call in fixture.SSM_CALLS if call[0] == "get_parameter"]
    get_min = (
        "get_parameter",
        {"Name": "/patching/acme/golden-ami/al2023-min"},
        {
            "Parameter": {
                **get_base[2]["Parameter"],
                "Name": "/patching/acme/golden-ami/al2023-min",
                "Value": "ami-0acme0000000000b2",
            }
        },
    )

    def build(number, document, status, start):
        return {
            "AutomationExecutionId": f"3c4d5e6f-0000-4000-8000-00000000{number:04d}",
            "DocumentName": document,
            "AutomationExecutionStatus": status,
            "ExecutionStartTime": fixture.t(start),
            "ExecutionEndTime": fixture.t(start[:-5] + "05:00"),
        }

    builds = (
        "describe_automation_executions",
        fixture.page(50, Filters=[{"Key": "DocumentNamePrefix", "Values": ["acme-golden-ami-al2023-"]}]),
        {
            "AutomationExecutionMetadataList": [
                build(1, "acme-golden-ami-al2023-base", "Success", "2026-10-05T04:00"),
                build(2, "acme-golden-ami-al2023-min", "Failed", "2026-10-12T04:00"),
                build(3, "acme-golden-ami-al2023-base", "Failed", "2026-11-02T04:00"),
                build(4, "acme-golden-ami-al2023-min", "Success", "2026-11-09T04:00"),
                build(5, "acme-golden-ami-al2023-old", "Failed", "2026-11-20T04:00"),
            ]
        },
    )
    skipped = ("get_parameter", "describe_automation_executions", "describe_document")
    calls = [call for call in fixture.SSM_CALLS if call[0] not in skipped]
    (describe_base,) = [call for call in fixture.SSM_CALLS if call[0] == "describe_document"]
    describe_min = (
        "describe_document",
        {"Name": "acme-golden-ami-al2023-min"},
        {"Document": {**describe_base[2]["Document"], "Name": "acme-golden-ami-al2023-min"}},
    )
    # in the stack file's order; then each pipeline's runbook read back (report_deployment.documents)
    found = run([*calls, get_min, get_base, builds, describe_min, describe_base], stack)
    assert [(p.pipeline, p.image_id, p.last_build_id, p.last_build_status) for p in found.pipelines] == [
        ("al2023-min", "ami-0acme0000000000b2", "3c4d5e6f-0000-4000-8000-000000000004", "Success"),
        ("al2023-base", "ami-0acme0000000000a1", "3c4d5e6f-0000-4000-8000-000000000003", "Failed"),
    ]
    assert gaps(found, "golden-ami-build-failed") == [
        ("al2023-base", "golden-ami-build-failed", "last build Failed 2026-11-02 04:00Z, 29 days ago")
    ]
