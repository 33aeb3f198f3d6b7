"""The standard's warnings: settings AWS accepts that quietly stop patching.

`patching validate`, the program's log and the policy pack's advisory policy
report the same ones; the clock is frozen (approveUntilDate is judged by today).
"""

import json
from dataclasses import replace
from datetime import date

import pytest
import time_machine
from test_policy import check

from conftest import MINIMAL, ROOT, run_config
from patching_components.cli import main

TODAY = date(2026, 12, 1)
RHEL = {"operatingSystem": "REDHAT_ENTERPRISE_LINUX"}
UBUNTU = {"operatingSystem": "UBUNTU"}


def stack(tmp_path, baselines: dict) -> str:
    lines = ["config:", "  patching:customer: acme", "  patching:baselines:"]
    for key, settings in baselines.items():
        lines.append(f"    {key}:")
        lines += [f"      {k}: {json.dumps(v)}" for k, v in settings.items()]
    lines += ["  patching:patchGroups:", "    acme-web:", f"      baselines: [{', '.join(baselines)}]"]
    path = tmp_path / "Pulumi.acme.yaml"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def validate_json(capsys, path: str) -> dict:
    assert main(["validate", "--format", "json", path]) == 0  # warnings never fail validation
    (report,) = json.loads(capsys.readouterr().out)["files"]
    return report


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    ("until", "warned"),
    [("2026-11-30", True), ("2026-12-01", False), ("2027-06-30", False)],
)
def test_a_past_approve_until_date_is_a_warning_everywhere(tmp_path, capsys, until, warned):
    rhel = {**RHEL, "approveUntilDate": until}
    report = validate_json(capsys, stack(tmp_path, {"rhel9": rhel}))
    expected = (
        [
            {
                "line": 6,
                "keyPath": "patching:baselines.rhel9.approveUntilDate",
                "message": f"approveUntilDate {until} is in the past: nothing released after it is ever approved, "
                "and unapproved patches are not reported missing, so nodes stay COMPLIANT while new security "
                "fixes go uninstalled; move the date forward or use approveAfterDays",
            }
        ]
        if warned
        else []
    )
    assert report["warnings"] == expected

    run = run_config({**MINIMAL, "baselines": {"rhel9": rhel}, "patchGroups": {"acme-web": {"baselines": ["rhel9"]}}})
    assert run.warnings == [f"SecurityBaseline 'acme-rhel9': approveUntilDate: {w['message']}" for w in expected]

    (baseline,) = run.of_type("aws:ssm/patchBaseline:PatchBaseline")
    assert policy_messages(baseline) == [f"approval rule 1: {w['message']}" for w in expected]


@time_machine.travel(TODAY, tick=False)
def test_a_debian_priority_subset_is_a_warning_everywhere(tmp_path, capsys):
    ubuntu = {**UBUNTU, "priorities": ["Required", "Important"]}
    (warning,) = validate_json(capsys, stack(tmp_path, {"ubuntu": ubuntu}))["warnings"]
    assert warning["keyPath"] == "patching:baselines.ubuntu.priorities"
    assert warning["message"].startswith("priorities leave out Standard, Optional, Extra: security fixes")

    run = run_config(
        {**MINIMAL, "baselines": {"ubuntu": ubuntu}, "patchGroups": {"acme-web": {"baselines": ["ubuntu"]}}}
    )
    assert run.warnings == [f"SecurityBaseline 'acme-ubuntu': priorities: {warning['message']}"]
    (baseline,) = run.of_type("aws:ssm/patchBaseline:PatchBaseline")
    assert policy_messages(baseline) == [f"approval rule 1: {warning['message']}"]


@time_machine.travel(TODAY, tick=False)
def test_the_example_stacks_have_no_warnings(capsys):
    assert main(["validate", *map(str, sorted((ROOT / "stacks").glob("Pulumi.*.yaml")))]) == 0
    assert "warning" not in capsys.readouterr().out


def policy_messages(resource) -> list[str]:
    return check("baselines-keep-approving", resource)


def test_a_task_that_runs_past_its_cutoff_is_a_warning_everywhere(tmp_path, capsys):
    window = {
        "schedule": "rate(1 day)",
        "durationHours": 2,
        "cutoffHours": 1,
        "operation": "Install",
        "maxConcurrency": "50%",  # two waves of 15 minutes fit before the cutoff: no rate-control warning
    }
    windows = {"nightly": {**window, "cutoffBehavior": "CONTINUE_TASK"}}
    groups = {"acme-web": {"baselines": ["al2023"], "maintenanceWindows": ["nightly"]}}
    path = tmp_path / "Pulumi.acme.yaml"
    path.write_text(
        json.dumps(
            {
                "config": {
                    "patching:customer": "acme",
                    **{
                        f"patching:{k}": v
                        for k, v in {**MINIMAL, "maintenanceWindows": windows, "patchGroups": groups}.items()
                        if k != "customer"
                    },
                }
            }
        )
    )
    (warning,) = validate_json(capsys, str(path))["warnings"]
    assert warning["keyPath"] == "patching:maintenanceWindows.nightly.cutoffBehavior"
    assert warning["message"].startswith("cutoffBehavior CONTINUE_TASK lets the patch command run on after the")

    run = run_config({**MINIMAL, "maintenanceWindows": windows, "patchGroups": groups})
    assert run.warnings == [f"PatchWindow 'acme-nightly': cutoffBehavior: {warning['message']}"]
    (task,) = run.of_type("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask")
    assert check("maintenance-window-tasks-stop-at-cutoff", task) == [warning["message"]]
    # A hand-written task without the setting gets AWS's default: reported too.
    default = replace(task, inputs={k: v for k, v in task.inputs.items() if k != "cutoffBehavior"})
    (message,) = check("maintenance-window-tasks-stop-at-cutoff", default)
    assert message.startswith("cutoffBehavior CONTINUE_TASK (the AWS default) lets the patch command run on")
