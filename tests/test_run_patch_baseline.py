"""Offline checks of AWS-RunPatchBaseline task parameters (AWS checks them only at run time)."""

import pytest

from patching_components.aws.run_patch_baseline import parameter_issues, patch_task


def test_install_with_hooks_fills_unset_hooks_with_noop():
    task = patch_task("Install", "NoReboot", {"pre_install": "Drain", "post_install": None})
    assert task.document == "AWS-RunPatchBaselineWithHooks"
    assert task.parameters == {
        "Operation": ["Install"],
        "RebootOption": ["NoReboot"],
        "PreInstallHookDocName": ["Drain"],
        "PostInstallHookDocName": ["AWS-Noop"],
        "OnExitHookDocName": ["AWS-Noop"],
    }
    assert parameter_issues(task.document, task.parameters) == []


def test_scans_never_reboot_and_never_use_hooks():
    task = patch_task("Scan", "RebootIfNeeded", {"pre_install": "Drain"})
    assert task.document == "AWS-RunPatchBaseline"
    assert task.parameters == {"Operation": ["Scan"], "RebootOption": ["NoReboot"]}


@pytest.mark.parametrize(
    ("document", "parameters", "message"),
    [
        ("AWS-RunPatchBaseline", {"Operation": ["install"]}, "Operation must be one of Scan, Install, got 'install'"),
        ("AWS-RunPatchBaseline", {}, "Operation must be one of Scan, Install, got None"),
        (
            "AWS-RunPatchBaseline",
            {"Operation": ["Install"], "RebootOption": ["Reboot"]},
            "RebootOption must be one of RebootIfNeeded, NoReboot, got 'Reboot'",
        ),
        (
            "AWS-RunPatchBaseline",
            {"Operation": ["Install"], "PreInstallHookDocName": ["Drain"]},
            "AWS-RunPatchBaseline has no parameter 'PreInstallHookDocName' (only AWS-RunPatchBaselineWithHooks has it)",
        ),
        (
            "AWS-RunPatchBaseline",
            {"Operation": ["Scan"], "SnapshotId": ["abc"]},
            "do not pass SnapshotId from a maintenance window",
        ),
        (
            "AWS-RunPatchBaseline",
            {"Operation": ["Install"], "InstallOverrideList": ["http://example.com/list.yaml"]},
            "InstallOverrideList must be an https:// or s3:// URL",
        ),
        (
            "AWS-RunPatchBaselineWithHooks",
            {"Operation": ["Install"], "InstallOverrideList": ["https://example.com/list.yaml"]},
            "AWS-RunPatchBaselineWithHooks has no parameter 'InstallOverrideList' (AWS does not support it with "
            "hooks; use AWS-RunPatchBaseline without hooks)",
        ),
        ("AWS-RunPatchBaseline", {"Operation": ["Scan", "Install"]}, "Operation takes exactly one value"),
        ("AWS-RunShellScript", {"Operation": ["Scan"]}, "unknown patch document 'AWS-RunShellScript'"),
    ],
)
def test_wrong_parameters_are_caught(document, parameters, message):
    assert any(message in issue for issue in parameter_issues(document, parameters))


def test_an_install_override_list_is_fine_without_hooks():
    parameters = {"Operation": ["Install"], "InstallOverrideList": ["s3://bucket/list.yaml"]}
    assert parameter_issues("AWS-RunPatchBaseline", parameters) == []


@pytest.mark.parametrize("operation", ["Scan", "Install"])
@pytest.mark.parametrize("reboot", ["RebootIfNeeded", "NoReboot"])
@pytest.mark.parametrize(
    "hooks",
    [None, {"pre_install": "Drain"}, {"post_install": "Check", "on_exit": "Report"}],
    ids=["no-hooks", "pre", "post-exit"],
)
def test_every_task_the_components_can_build_passes_the_checker(operation, reboot, hooks):
    """The task parameters come from code, not from the user: checked here once, not on every build."""
    task = patch_task(operation, reboot, hooks)
    assert parameter_issues(task.document, task.parameters) == []
