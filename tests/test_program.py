"""The real program (programs/customer_patching) run with each example stack."""

import importlib
import inspect
import json
import os
from pathlib import Path

import pytest
import time_machine
from docs_pages import docs_text

from conftest import EXAMPLE_STACKS, MINIMAL, ROOT, run_config, run_stack
from patching_components.config import read_stack_yaml
from patching_components.tools.engine import ProgramError
from tests.engine import run_program

SNAPSHOT = Path(__file__).parent / "snapshots" / "urns.json"
PLANS = Path(__file__).parent / "snapshots" / "plans"
OURS = "patching-components:index:"


def resource_class(type_token):
    """aws:iam/role:Role -> pulumi_aws.iam.Role"""
    _, module, name = type_token.split(":")
    return getattr(importlib.import_module(f"pulumi_aws.{module.split('/')[0]}"), name)


@pytest.mark.parametrize("path", EXAMPLE_STACKS, ids=lambda p: p.name)
def test_outputs_name_what_users_need(example_runs, path):
    run = example_runs[path.name]
    config = read_stack_yaml(path.read_text())["config"]
    outputs = run.outputs
    assert outputs["customer"] == config["patching:customer"]
    assert set(outputs["baselineIds"]) == set(config["patching:baselines"])
    ids = {r.name: r.id for r in run.of_type("aws:ssm/patchBaseline:PatchBaseline")}
    assert outputs["baselineIds"] == {key: ids[f"{outputs['customer']}-{key}"] for key in config["patching:baselines"]}
    assert outputs["patchGroups"] == {g: v["baselines"] for g, v in config["patching:patchGroups"].items()}
    assert outputs["instanceProfileName"].startswith(f"{outputs['customer']}-instance")
    assert outputs["automationRoleArn"].startswith("arn:aws:iam::")


@pytest.mark.parametrize("path", EXAMPLE_STACKS, ids=lambda p: p.name)
def test_every_resource_hangs_under_the_customer_component(example_runs, path):
    run = example_runs[path.name]
    by_urn = {r.urn: r for r in run.resources}
    (top,) = [r for r in run.resources if r.parent is None]
    assert top.type == f"{OURS}CustomerPatching"
    for resource in run.resources:
        if resource is not top:
            assert resource.parent in by_urn, resource.urn
            assert by_urn[resource.parent].type.startswith(OURS), resource.urn
        assert resource.custom == (not resource.type.startswith(OURS))


@pytest.mark.parametrize("path", EXAMPLE_STACKS, ids=lambda p: p.name)
def test_every_taggable_resource_is_tagged(example_runs, path):
    run = example_runs[path.name]
    config = read_stack_yaml(path.read_text())["config"]
    expected = {
        **config.get("patching:tags", {}),
        "Customer": config["patching:customer"],
        "ManagedBy": "patching-components",
    }
    checked = 0
    for resource in run.resources:
        if resource.custom and "tags" in inspect.signature(resource_class(resource.type)._internal_init).parameters:
            assert resource.inputs.get("tags") == expected, resource.urn
            checked += 1
    assert checked >= 3


def urns(run):
    return sorted(r.urn for r in run.resources)


def renamed(current: dict[str, list[str]], snapshot: dict[str, list[str]]) -> dict[str, list[str]]:
    """URNs of the snapshot's stacks that changed. A stack the snapshot does not know yet is a new
    customer with nothing live to replace (onboarding is one stack file), and a deleted one has none."""
    return {
        name: sorted(set(snapshot[name]) ^ set(urns))
        for name, urns in current.items()
        if name in snapshot and set(snapshot[name]) != set(urns)
    }


def test_urn_snapshot(example_runs):
    """Renaming a resource replaces it in every customer account: make that a deliberate act.

    After an intended rename, regenerate with UPDATE_SNAPSHOTS=1 and review the diff.
    """
    current = {path.name: urns(example_runs[path.name]) for path in EXAMPLE_STACKS}
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    assert renamed(current, json.loads(SNAPSHOT.read_text())) == {}


def plan_of(run) -> dict:
    """Every resource's inputs, the region it is built in and which inputs are secret. The region
    is the effective one (provider or ``region`` input), so how a region is chosen is not a change."""
    return {
        r.urn: {
            "inputs": {k: v for k, v in r.inputs.items() if k != "region"},
            "region": r.region,
            "secretInputs": sorted(r.secret_inputs),
        }
        for r in sorted(run.resources, key=lambda r: r.urn)
    }


@pytest.mark.parametrize("path", EXAMPLE_STACKS, ids=lambda p: p.name)
def test_plan_snapshot(example_runs, path):
    """A change that rewrites a customer's runbook, policy or tags must be seen in review.

    After an intended change, regenerate with UPDATE_SNAPSHOTS=1 and review tests/snapshots/plans.
    """
    current = json.dumps(plan_of(example_runs[path.name]), indent=1, sort_keys=True, default=str) + "\n"
    snapshot = PLANS / f"{path.stem}.json"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        PLANS.mkdir(parents=True, exist_ok=True)
        snapshot.write_text(current)
    assert current == snapshot.read_text()


def test_a_new_customer_stack_is_not_a_rename():
    snapshot = {"Pulumi.acme.yaml": ["urn:a"]}
    assert renamed({"Pulumi.acme.yaml": ["urn:a"], "Pulumi.newco.yaml": ["urn:n"]}, snapshot) == {}
    assert renamed({"Pulumi.acme.yaml": ["urn:b"]}, snapshot) == {"Pulumi.acme.yaml": ["urn:a", "urn:b"]}


def reversed_maps(value):
    if isinstance(value, dict):
        return {k: reversed_maps(v) for k, v in reversed(list(value.items()))}
    if isinstance(value, list):
        return [reversed_maps(v) for v in value]
    return value


@pytest.mark.parametrize("path", EXAMPLE_STACKS, ids=lambda p: p.name)
def test_reordering_the_stack_file_changes_no_urn(example_runs, path):
    config = read_stack_yaml(path.read_text())["config"]
    shuffled = reversed_maps(config)
    assert list(shuffled) != list(config)
    run = run_config(shuffled, stack=path.name.split(".")[1])
    assert urns(run) == urns(example_runs[path.name])


def test_disabled_mode_builds_nothing_and_says_so():
    run = run_config({**MINIMAL, "mode": "disabled"})
    assert run.resources == []
    assert run.outputs == {"customer": "acme", "mode": "disabled"}
    assert any("'disabled'" in w and "no patching resources are built" in w for w in run.warnings)


def test_misspelt_key_set_with_pulumi_config_is_reported_with_the_stack_file():
    with pytest.raises(ProgramError) as info:
        run_config({**MINIMAL, "patchGroup": {}}, stack="acme")
    assert "stacks/Pulumi.acme.yaml: patching:patchGroup: unknown key; did you mean patching:patchGroups?" in str(
        info.value
    )
    assert info.value.resources == []


def test_scalars_arrive_as_text_like_the_pulumi_cli_sends_them():
    # `pulumi config set patching:mode scan-only` stores text; objects arrive as JSON.
    run = run_program(
        {
            "patching:customer": "acme",
            "patching:mode": "scan-only",
            "patching:baselines": json.dumps(MINIMAL["baselines"]),
        },
        stack="acme",
    )
    assert run.outputs["mode"] == "scan-only"


@pytest.mark.parametrize("path", EXAMPLE_STACKS[:1], ids=lambda p: p.name)
def test_the_program_directory_and_the_packaged_entry_point_agree(example_runs, path):
    from tests.engine import run_stack_file

    assert urns(run_stack_file(path)) == urns(example_runs[path.name])
    assert run_stack(path).outputs == example_runs[path.name].outputs


def test_the_own_program_example_runs_and_is_the_readmes():
    example = ROOT / "examples" / "existing-fleet"
    run = run_program({}, stack="dev", program=example)
    assert sorted(r.type.split(":")[-1] for r in run.resources if not r.custom) == [
        "PatchWindow",
        "PatchingIam",
        "SecurityBaseline",
    ]
    (baseline,) = run.of_type("aws:ssm/patchBaseline:PatchBaseline")
    assert baseline.inputs["operatingSystem"] == "REDHAT_ENTERPRISE_LINUX"
    assert baseline.inputs["approvalRules"][0]["approveAfterDays"] == 5
    (group,) = run.of_type("aws:ssm/patchGroup:PatchGroup")
    assert group.inputs == {"baselineId": baseline.id, "patchGroup": "rhel-prod"}
    (target,) = run.of_type("aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget")
    assert target.inputs["targets"] == [{"key": "tag:Patch Group", "values": ["rhel-prod"]}]
    (task,) = run.of_type("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask")
    assert task.inputs["maxConcurrency"] == "20%"
    assert task.inputs["serviceRoleArn"] == "arn:aws:iam::123456789012:role/fleet-maintenance-window-mock"
    assert run.outputs == {"instanceProfile": "fleet-instance-mock"}

    code = (example / "__main__.py").read_text().split('"""\n\n', 1)[1]
    readme = docs_text("own-program.md")
    assert f"```python\n{code}```" in readme, "docs/own-program.md's example differs from examples/existing-fleet"


@time_machine.travel("2026-12-01T12:00:00Z", tick=False)
def test_the_program_warns_about_windows_of_one_group_open_at_once():
    windows = {
        "scan": {"schedule": "cron(0 1 * * ? *)", "durationHours": 2, "cutoffHours": 1, "operation": "Scan"},
        "install": {"schedule": "cron(0 2 ? * SUN *)", "durationHours": 4, "cutoffHours": 1, "operation": "Install"},
    }
    groups = {"acme-web": {"baselines": ["al2023"], "maintenanceWindows": ["scan", "install"]}}
    run = run_config({**MINIMAL, "maintenanceWindows": windows, "patchGroups": groups})
    # Sunday 2026-12-06: the 01:00-03:00 scan and the 02:00 install (UTC).
    assert any(
        "patching:patchGroups.acme-web.maintenanceWindows: the windows scan and install are open at the same "
        "time (Sun 2026-12-06 02:00 UTC first)" in w
        for w in run.warnings
    ), run.warnings
