"""PatchWindow: window, target and task inputs, for the example stacks and alone."""

import pytest
from aws_requests import api_calls, run_command_parameters

from aws_shapes import problems
from conftest import EXAMPLE_STACKS, MINIMAL, run_config
from patching_components import PatchWindow
from patching_components.aws.run_patch_baseline import parameter_issues
from patching_components.config import ConfigError
from patching_components.tools.engine import ProgramError
from tests.engine import run_program

WINDOW = "aws:ssm/maintenanceWindow:MaintenanceWindow"
TARGET = "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget"
TASK = "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"


def patch_windows(run, type_=WINDOW):
    """Windows (or tasks) of PatchWindow components, not golden AMI schedules."""
    return [r for r in run.of_type(type_) if "index:PatchWindow::" in r.parent]


def run_command(task):
    return task.inputs["taskInvocationParameters"]["runCommandParameters"]


def parameters(task):
    return run_command_parameters(task)


def requests(run, window_name):
    """The three SSM calls the provider makes for one window."""
    window = run.named(window_name, WINDOW)
    target = run.named(f"{window_name}-targets", TARGET)
    task = run.named(f"{window_name}-patch", TASK)
    calls = {operation: request for resource in (window, target, task) for _, operation, request in api_calls(resource)}
    return window, target, task, calls


@pytest.mark.parametrize("path", EXAMPLE_STACKS, ids=lambda p: p.name)
def test_example_windows_are_valid_aws_requests(example_runs, path):
    run = example_runs[path.name]
    assert patch_windows(run)
    for window in patch_windows(run):
        *_, calls = requests(run, window.name)
        for operation, request in calls.items():
            assert problems("ssm", operation, request) == [], (window.name, operation)
        task = run.named(f"{window.name}-patch", TASK)
        assert parameter_issues(task.inputs["taskArn"], parameters(task)) == []


def test_acme_windows(example_runs):
    run = example_runs["Pulumi.acme.yaml"]
    window, target, task, _ = requests(run, "acme-weekly-install")
    assert window.inputs["schedule"] == "cron(0 2 ? * SUN *)"
    assert window.inputs["scheduleTimezone"] == "Europe/London"
    assert (window.inputs["duration"], window.inputs["cutoff"]) == (4, 1)
    assert window.inputs["allowUnassociatedTargets"] is False
    assert target.inputs["targets"] == [{"key": "tag:Patch Group", "values": ["acme-web"]}]
    assert task.inputs["targets"] == [{"key": "WindowTargetIds", "values": [target.id]}]
    assert task.inputs["windowId"] == window.id
    assert task.inputs["taskType"] == "RUN_COMMAND" and task.inputs["taskArn"] == "AWS-RunPatchBaseline"
    assert (task.inputs["maxConcurrency"], task.inputs["maxErrors"]) == ("25%", "1")
    # acme's prod ring: it installs with its ring's cut-off (patching:rings)
    assert parameters(task) == {
        "Operation": ["Install"],
        "RebootOption": ["RebootIfNeeded"],
        "BaselineOverride": ["s3://acme-logs-mock/patching/acme.rings/prod.json"],
    }
    assert "taskParameters" not in task.inputs  # the deprecated form

    _, _, scan, _ = requests(run, "acme-daily-scan")
    assert parameters(scan) == {"Operation": ["Scan"], "RebootOption": ["NoReboot"]}


def test_hooks_switch_to_the_hooks_document(example_runs):
    run = example_runs["Pulumi.globex.yaml"]
    window, target, task, _ = requests(run, "globex-tue-install")
    assert task.inputs["taskArn"] == "AWS-RunPatchBaselineWithHooks"
    assert parameters(task) == {
        "Operation": ["Install"],
        "RebootOption": ["RebootIfNeeded"],
        "PreInstallHookDocName": ["Globex-DrainFromTargetGroup"],
        "PostInstallHookDocName": ["Globex-HealthCheck"],
        "OnExitHookDocName": ["AWS-Noop"],
    }
    assert window.inputs["scheduleOffset"] == 2
    assert target.inputs["targets"] == [{"key": "tag:PatchGroup", "values": ["globex-api", "globex-web"]}]
    _, _, sat, _ = requests(run, "globex-sat-install")
    assert sat.inputs["taskArn"] == "AWS-RunPatchBaseline"
    assert parameters(sat)["RebootOption"] == ["NoReboot"]


def test_scan_only_mode_turns_every_task_into_a_scan(example_runs):
    run = example_runs["Pulumi.initech.yaml"]
    tasks = run.of_type(TASK)
    assert len(tasks) == 2
    for task in tasks:
        assert task.inputs["taskArn"] == "AWS-RunPatchBaseline"
        assert parameters(task) == {"Operation": ["Scan"], "RebootOption": ["NoReboot"]}


def test_scan_only_drops_hooks_of_install_windows():
    config = {
        **MINIMAL,
        "mode": "scan-only",
        "maintenanceWindows": {
            "w": {
                "schedule": "cron(0 2 ? * SUN *)",
                "durationHours": 3,
                "cutoffHours": 1,
                "operation": "Install",
                "hooks": {"preInstall": "Acme-Drain"},
            }
        },
        "patchGroups": {"acme-web": {"baselines": ["al2023"], "maintenanceWindows": ["w"]}},
    }
    (task,) = run_config(config).of_type(TASK)
    assert task.inputs["taskArn"] == "AWS-RunPatchBaseline"
    assert parameters(task) == {"Operation": ["Scan"], "RebootOption": ["NoReboot"]}


def test_each_window_writes_below_its_own_prefix(example_runs):
    for stack, bucket_prefix in (
        ("Pulumi.acme.yaml", "patching/acme/"),
        ("Pulumi.globex.yaml", "ssm/patching/globex/"),
    ):
        prefixes = {run_command(t)["outputS3KeyPrefix"] for t in patch_windows(example_runs[stack], TASK)}
        windows = [w.name.split("-", 1)[1] for w in patch_windows(example_runs[stack])]
        assert prefixes == {bucket_prefix + w for w in windows}
    assert all("outputS3KeyPrefix" not in run_command(t) for t in example_runs["Pulumi.initech.yaml"].of_type(TASK))


def test_notifications_are_wired_with_the_publisher_role(example_runs):
    run = example_runs["Pulumi.globex.yaml"]
    role = run.named("globex-notify", "aws:iam/role:Role")
    for task in patch_windows(run, TASK):
        rc = run_command(task)
        assert rc["outputS3Bucket"] == "globex-central-ops-logs"
        assert rc["serviceRoleArn"] == f"arn:aws:iam::123456789012:role/{role.inputs.get('name', 'globex-notify-mock')}"
        assert rc["notificationConfig"] == {
            "notificationArn": "arn:aws:sns:us-east-1:111122223333:globex-ops-alerts",
            # The defaults: the cutoff's cancellations mail too, one message per failing instance.
            "notificationEvents": ["Failed", "TimedOut", "Cancelled"],
            "notificationType": "Invocation",
        }
    # Each task runs as the customer's maintenance window role (not the service-linked role).
    role_arn = run.named("globex-maintenance-window", "aws:iam/role:Role").inputs.get(
        "name", "globex-maintenance-window-mock"
    )
    assert {t.inputs["serviceRoleArn"] for t in run.of_type(TASK)} == {f"arn:aws:iam::123456789012:role/{role_arn}"}


def test_window_alone_rejects_bad_args_and_registers_nothing():
    def program():
        PatchWindow(
            "w",
            {
                "schedule": "cron(0 2 * * *)",
                "duration_hours": 2,
                "cutoff_hours": 2,
                "operation": "Scan",
                "patch_groups": [],
            },
        )

    with pytest.raises(ProgramError) as info:
        run_program({}, stack="alone", program=program)
    assert isinstance(info.value.error, ConfigError)
    assert info.value.error.lines() == [
        "PatchWindow 'w': patch_groups: List should have at least 1 item after validation, not 0",
        "PatchWindow 'w': schedule: invalid AWS cron expression 'cron(0 2 * * *)': "
        "Incorrect number of values in '0 2 * * *'. 6 required, 5 provided; the six fields are minute 0-59, "
        "hour 0-23, day-of-month 1-31 (or ?, L, W), month 1-12 or JAN-DEC, day-of-week 1-7 (1 is Sunday) or "
        "SUN-SAT (or ?, L, #), year 1970-2199, with ? in exactly one of the two day fields",
    ]
    assert info.value.resources == []


def test_window_alone_needs_patch_groups():
    def program():
        PatchWindow("w", {"schedule": "rate(1 day)", "duration_hours": 2, "cutoff_hours": 1, "operation": "Scan"})

    with pytest.raises(ProgramError) as info:
        run_program({}, stack="alone", program=program)
    assert str(info.value.error).endswith("PatchWindow 'w': patch_groups: required argument is missing")
    assert info.value.resources == []


def test_window_alone_with_hooks_and_defaults():
    def program():
        PatchWindow(
            "fleet-install",
            {
                "schedule": "cron(0 3 ? * WED *)",
                "duration_hours": 3,
                "cutoff_hours": 1,
                "operation": "Install",
                "hooks": {"on_exit": "Fleet-Report"},
                "patch_groups": ["web", "api"],
            },
        )

    run = run_program({}, stack="alone", program=program)
    window, target, task, calls = requests(run, "fleet-install")
    assert window.inputs["scheduleTimezone"] == "UTC"
    assert target.inputs["targets"] == [{"key": "tag:Patch Group", "values": ["api", "web"]}]
    assert (task.inputs["maxConcurrency"], task.inputs["maxErrors"]) == ("10%", "1")
    assert parameters(task)["OnExitHookDocName"] == ["Fleet-Report"]
    assert parameters(task)["PreInstallHookDocName"] == ["AWS-Noop"]
    for operation, request in calls.items():
        assert problems("ssm", operation, request) == [], operation


def test_too_many_groups_for_one_window_is_a_config_error():
    config = {
        **MINIMAL,
        "maintenanceWindows": {
            "w": {"schedule": "rate(1 day)", "durationHours": 2, "cutoffHours": 1, "operation": "Scan"}
        },
        "patchGroups": {f"g{i}": {"baselines": ["al2023"], "maintenanceWindows": ["w"]} for i in range(51)},
    }
    with pytest.raises(ProgramError) as info:
        run_config(config)
    assert "patching:maintenanceWindows.w: 51 patch groups use this window; a window targets at most 50" in str(
        info.value
    )


def test_cutoff_behaviors_are_the_api_models():
    import botocore.session

    from patching_components.aws.run_patch_baseline import CUTOFF_BEHAVIORS

    ssm = botocore.session.get_session().get_service_model("ssm")
    assert set(CUTOFF_BEHAVIORS) == set(ssm.shape_for("MaintenanceWindowTaskCutoffBehavior").enum)


def test_every_task_stops_starting_installs_at_the_cutoff(example_runs):
    """AWS's default CONTINUE_TASK keeps starting rate-controlled invocations (installs,
    reboots) after the cutoff and past the window's end; every task of ours cancels them."""
    for run in example_runs.values():
        tasks = run.of_type(TASK)
        assert tasks
        assert {t.inputs["cutoffBehavior"] for t in tasks} == {"CANCEL_TASK"}


def test_continue_task_is_a_choice_and_a_typo_names_the_allowed_values():
    window = {"schedule": "rate(1 day)", "durationHours": 2, "cutoffHours": 1, "operation": "Scan"}
    groups = {"acme-web": {"baselines": ["al2023"], "maintenanceWindows": ["w"]}}
    run = run_config(
        {**MINIMAL, "maintenanceWindows": {"w": {**window, "cutoffBehavior": "CONTINUE_TASK"}}, "patchGroups": groups}
    )
    assert run.named("acme-w-patch", TASK).inputs["cutoffBehavior"] == "CONTINUE_TASK"
    with pytest.raises(ProgramError) as info:
        run_config(
            {**MINIMAL, "maintenanceWindows": {"w": {**window, "cutoffBehavior": "CANCEL"}}, "patchGroups": groups}
        )
    assert info.value.resources == []
    assert (
        "patching:maintenanceWindows.w.cutoffBehavior: got 'CANCEL' (text); allowed: one of: CANCEL_TASK, "
        "CONTINUE_TASK; did you mean 'CANCEL_TASK'?" in str(info.value)
    )


@pytest.mark.parametrize(
    ("window", "timeout_seconds"),
    [
        # Worked by hand: (durationHours - cutoffHours) in minutes, less minutesPerNode, in seconds.
        ({"durationHours": 4, "cutoffHours": 1, "operation": "Install"}, (180 - 15) * 60),
        ({"durationHours": 2, "cutoffHours": 1, "operation": "Scan"}, (60 - 5) * 60),
        ({"durationHours": 4, "cutoffHours": 1, "operation": "Install", "minutesPerNode": 45}, (180 - 45) * 60),
    ],
)
def test_no_node_starts_later_than_minutes_per_node_before_the_cutoff(window, timeout_seconds):
    windows = {"nightly": {"schedule": "cron(0 2 ? * SUN *)", **window}}
    groups = {"acme-web": {"baselines": ["al2023"], "maintenanceWindows": ["nightly"]}}
    run = run_config({**MINIMAL, "maintenanceWindows": windows, "patchGroups": groups})
    (task,) = patch_windows(run, TASK)
    # MaintenanceWindowRunCommandParameters.TimeoutSeconds: a node that has not started by then does not run.
    assert run_command(task)["timeoutSeconds"] == timeout_seconds


def test_a_window_whose_minutes_per_node_leave_no_time_is_refused():
    windows = {
        "nightly": {
            "schedule": "cron(0 2 ? * SUN *)",
            "durationHours": 2,
            "cutoffHours": 1,
            "operation": "Install",
            "minutesPerNode": 60,
        }
    }
    groups = {"acme-web": {"baselines": ["al2023"], "maintenanceWindows": ["nightly"]}}
    with pytest.raises(
        ProgramError, match=r"maintenanceWindows\.nightly\.minutesPerNode: minutesPerNode \(60\) leaves"
    ):
        run_config({**MINIMAL, "maintenanceWindows": windows, "patchGroups": groups})


@pytest.mark.parametrize(
    ("max_concurrency", "warned"),
    [
        # 10% of the targets at a time: at least 10 waves of 30 minutes = 300 > 180 minutes before the cutoff.
        (
            "10%",
            "10% runs the targets in at least 10 waves of 30 minutes (minutesPerNode) = 300 minutes, but the "
            "cutoff comes 180 minutes after the window opens",
        ),
        ("34%", None),  # 3 waves: 90 minutes
        ("1", None),  # a count: how many waves depends on the group's size, unknown offline
    ],
)
def test_validate_warns_when_the_rate_control_cannot_reach_every_node_before_the_cutoff(
    tmp_path, max_concurrency, warned
):
    import json

    from patching_components.checks import check_stack

    window = {
        "schedule": "cron(0 2 ? * SUN *)",
        "durationHours": 4,
        "cutoffHours": 1,
        "operation": "Install",
        "maxConcurrency": max_concurrency,
        "minutesPerNode": 30,
    }
    config = {
        "aws:region": "eu-west-1",
        **{f"patching:{k}": v for k, v in MINIMAL.items()},
        "patching:maintenanceWindows": {"nightly": window},
        "patching:patchGroups": {"acme-web": {"baselines": ["al2023"], "maintenanceWindows": ["nightly"]}},
    }
    path = tmp_path / "Pulumi.acme.yaml"
    path.write_text(json.dumps({"config": config}))
    found = [w for w in check_stack(path).warnings if w.path[-1] == "maxConcurrency"]
    if warned is None:
        assert found == []
    else:
        (warning,) = found
        assert warning.path == ("maintenanceWindows", "nightly", "maxConcurrency")
        assert warning.message.startswith(warned)


def test_output_to_cloudwatch_logs_is_the_run_command_output_config_aws_takes():
    """A window alone: output to S3 and to a CloudWatch log group (``cloudwatch_config`` of the task's
    run_command_parameters: RegisterTaskWithMaintenanceWindow's CloudWatchOutputConfig)."""

    def program():
        PatchWindow(
            "fleet-scan",
            {
                "schedule": "rate(1 day)",
                "duration_hours": 2,
                "cutoff_hours": 1,
                "operation": "Scan",
                "patch_groups": ["web"],
                "output_s3_bucket": "fleet-logs",
                "output_s3_key_prefix": "patching/fleet/scan",
                "cloudwatch_log_group_name": "/patching/fleet",
            },
        )

    run = run_program({}, stack="alone", program=program)
    *_, calls = requests(run, "fleet-scan")
    run_command = calls["RegisterTaskWithMaintenanceWindow"]["TaskInvocationParameters"]["RunCommand"]
    assert run_command["CloudWatchOutputConfig"] == {
        "CloudWatchLogGroupName": "/patching/fleet",
        "CloudWatchOutputEnabled": True,
    }
    assert (run_command["OutputS3BucketName"], run_command["OutputS3KeyPrefix"]) == (
        "fleet-logs",
        "patching/fleet/scan",
    )
    assert problems("ssm", "RegisterTaskWithMaintenanceWindow", calls["RegisterTaskWithMaintenanceWindow"]) == []
