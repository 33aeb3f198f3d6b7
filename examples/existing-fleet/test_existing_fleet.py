"""A unit test of this program, as you would write one for your own (README, "Testing your own
program"): no AWS account, no Pulumi CLI. The suite runs it (pyproject.toml's testpaths)."""

from pathlib import Path

from patching_components.testing import run


def test_the_fleet_installs_security_updates_on_sunday_nights_a_fifth_at_a_time():
    program = run(Path(__file__).parent)
    (window,) = program.of_type("aws:ssm/maintenanceWindow:MaintenanceWindow")
    assert (window.inputs["schedule"], window.inputs["scheduleTimezone"]) == ("cron(0 3 ? * SUN *)", "Europe/Paris")
    (task,) = program.of_type("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask")
    assert task.inputs["maxConcurrency"] == "20%"
    (baseline,) = program.of_type("aws:ssm/patchBaseline:PatchBaseline")
    assert baseline.inputs["approvalRules"][0]["approveAfterDays"] == 5
