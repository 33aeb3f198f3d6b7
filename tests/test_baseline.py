"""SecurityBaseline: the PatchBaseline, PatchGroup and DefaultPatchBaseline inputs AWS receives."""

import pytest
from aws_requests import patch_baseline

from aws_shapes import problems
from conftest import EXAMPLE_STACKS, run_config
from patching_components import SecurityBaseline
from patching_components.aws import os_rules
from patching_components.config import ConfigError
from patching_components.tools.engine import ProgramError
from tests.engine import run_program

BASELINE = "aws:ssm/patchBaseline:PatchBaseline"
PATCH_GROUP = "aws:ssm/patchGroup:PatchGroup"
DEFAULT = "aws:ssm/defaultPatchBaseline:DefaultPatchBaseline"


def filters(resource):
    (rule,) = resource.inputs["approvalRules"]
    return {f["key"]: f["values"] for f in rule["patchFilters"]}


def create_request(resource):
    """The CreatePatchBaseline call the provider makes from these inputs."""
    ((_, _, request),) = patch_baseline(resource)
    return request


@pytest.mark.parametrize("path", EXAMPLE_STACKS, ids=lambda p: p.name)
def test_example_baselines_are_valid_aws_requests(example_runs, path):
    run = example_runs[path.name]
    assert run.of_type(BASELINE)
    for baseline in run.of_type(BASELINE):
        assert problems("ssm", "CreatePatchBaseline", create_request(baseline)) == []
    for group in run.of_type(PATCH_GROUP):
        request = {"BaselineId": group.inputs["baselineId"], "PatchGroup": group.inputs["patchGroup"]}
        assert problems("ssm", "RegisterPatchBaselineForPatchGroup", request) == []


def test_every_operating_system_builds_a_valid_default_baseline():
    config = {
        "customer": "acme",
        "baselines": {
            # CentOS's rule needs enableNonSecurity: its default repositories carry no update notices.
            os_name.lower().replace("_", "-"): {"operatingSystem": os_name}
            | ({"enableNonSecurity": True} if os_name == "CENTOS" else {})
            for os_name in os_rules.OPERATING_SYSTEMS
        },
    }
    run = run_config(config)
    assert len(run.of_type(BASELINE)) == len(os_rules.OPERATING_SYSTEMS)
    for baseline in run.of_type(BASELINE):
        assert problems("ssm", "CreatePatchBaseline", create_request(baseline)) == []


def test_mixed_fleet_uses_each_os_own_filter_keys(example_runs):
    run = example_runs["Pulumi.globex.yaml"]
    ubuntu = run.named("globex-ubuntu", BASELINE)
    assert filters(ubuntu) == {"PRIORITY": ["Required", "Important", "Standard", "Optional", "Extra"]}
    (rule,) = ubuntu.inputs["approvalRules"]
    assert "approveAfterDays" not in rule and "approveUntilDate" not in rule
    assert rule["complianceLevel"] == "HIGH"

    windows = run.named("globex-windows", BASELINE)
    assert filters(windows) == {
        "CLASSIFICATION": ["SecurityUpdates", "CriticalUpdates"],
        "MSRC_SEVERITY": ["Critical", "Important"],
    }
    assert "enableNonSecurity" not in windows.inputs["approvalRules"][0]

    al2023 = run.named("globex-al2023", BASELINE)
    assert filters(al2023) == {"CLASSIFICATION": ["Security"], "SEVERITY": ["Critical", "Important", "Medium"]}
    assert al2023.inputs["approvalRules"][0]["approveAfterDays"] == 10
    assert al2023.inputs["rejectedPatches"] == ["kernel-debug*"]
    assert al2023.inputs["rejectedPatchesAction"] == "BLOCK"

    rhel = run.named("globex-rhel9", BASELINE)
    assert rhel.inputs["approvalRules"][0]["approveAfterDays"] == 14
    # No PRODUCT filter: a pinned minor-release list approves nothing on a node upgraded past it (issue 26).
    assert filters(rhel) == {"CLASSIFICATION": ["Security"], "SEVERITY": ["Critical", "Important"]}
    assert windows.inputs["availableSecurityUpdatesComplianceStatus"] == "NON_COMPLIANT"
    assert "availableSecurityUpdatesComplianceStatus" not in rhel.inputs
    assert rhel.inputs["name"] == "globex-rhel9"


def test_patch_groups_are_registered_delete_before_replace(example_runs):
    run = example_runs["Pulumi.globex.yaml"]
    key_of = {b.id: b.name.removeprefix("globex-") for b in run.of_type(BASELINE)}
    registrations = {(g.inputs["patchGroup"], key_of[g.inputs["baselineId"]]) for g in run.of_type(PATCH_GROUP)}
    assert registrations == {
        ("globex-web", "al2023"),
        ("globex-api", "al2023"),
        ("globex-api", "ubuntu"),
        ("globex-workers", "ubuntu"),
        ("globex-fileservers", "windows"),
        ("globex-db", "rhel9"),
    }
    assert all(g.delete_before_replace for g in run.of_type(PATCH_GROUP))


def test_default_baseline_only_where_asked(example_runs):
    run = example_runs["Pulumi.acme.yaml"]
    (default,) = run.of_type(DEFAULT)
    baseline = run.named("acme-al2023", BASELINE)
    assert default.inputs == {"baselineId": baseline.id, "operatingSystem": "AMAZON_LINUX_2023"}
    assert problems("ssm", "RegisterDefaultPatchBaseline", {"BaselineId": baseline.id}) == []
    assert example_runs["Pulumi.globex.yaml"].of_type(DEFAULT) == []


def test_component_alone_with_its_own_args():
    def program():
        SecurityBaseline(
            "fleet-rhel",
            {
                "operating_system": "ROCKY_LINUX",
                "severities": ["Critical"],
                "enable_non_security": True,
                "sources": {"internal": {"products": ["RockyLinux9"], "configuration": "[internal]\nbaseurl=x"}},
                "patch_groups": ["rocky-prod"],
            },
        )

    run = run_program({}, stack="alone", program=program)
    baseline = run.named("fleet-rhel", BASELINE)
    assert baseline.parent.endswith("SecurityBaseline::fleet-rhel")
    assert baseline.inputs["name"] == "fleet-rhel"
    assert filters(baseline) == {"CLASSIFICATION": ["Security"], "SEVERITY": ["Critical"]}
    assert baseline.inputs["approvalRules"][0]["enableNonSecurity"] is True
    assert baseline.inputs["sources"] == [
        {"name": "internal", "products": ["RockyLinux9"], "configuration": "[internal]\nbaseurl=x"}
    ]
    assert problems("ssm", "CreatePatchBaseline", create_request(baseline)) == []
    (group,) = run.of_type(PATCH_GROUP)
    assert group.name == "fleet-rhel-rocky-prod"


def test_component_rejects_bad_args_before_registering_anything():
    def program():
        SecurityBaseline("ubuntu", {"operating_system": "UBUNTU", "severities": ["Critical"], "approve_after_days": 3})

    with pytest.raises(ProgramError) as info:
        run_program({}, stack="alone", program=program)
    assert isinstance(info.value.error, ConfigError)
    assert info.value.error.lines() == [
        "SecurityBaseline 'ubuntu': severities: severities does not apply to UBUNTU; "
        "Debian family baselines accept: products, priorities",
        "SecurityBaseline 'ubuntu': approve_after_days: UBUNTU does not support approve_after_days: "
        "its patches are approved on release; remove the key",
    ]
    assert info.value.resources == []


def test_issue_26_settings_reach_the_create_request(example_runs):
    windows = create_request(example_runs["Pulumi.globex.yaml"].named("globex-windows", BASELINE))
    assert windows["AvailableSecurityUpdatesComplianceStatus"] == "NON_COMPLIANT"
    assert "ApprovedPatchesEnableNonSecurity" not in windows
    for baseline in example_runs["Pulumi.globex.yaml"].of_type(BASELINE):
        if baseline.inputs["operatingSystem"] != "WINDOWS":
            assert "AvailableSecurityUpdatesComplianceStatus" not in create_request(baseline)

    def program():
        SecurityBaseline(
            "fleet-al2",
            {
                "operating_system": "AMAZON_LINUX_2023",
                "approved_patches": ["amazon-ssm-agent"],
                "approved_patches_enable_non_security": True,
            },
        )
        SecurityBaseline(
            "fleet-win", {"operating_system": "WINDOWS", "available_security_updates_compliance_status": "COMPLIANT"}
        )

    run = run_program({}, stack="alone", program=program)
    linux, win = (create_request(run.named(n, BASELINE)) for n in ("fleet-al2", "fleet-win"))
    assert (linux["ApprovedPatches"], linux["ApprovedPatchesEnableNonSecurity"]) == (["amazon-ssm-agent"], True)
    assert win["AvailableSecurityUpdatesComplianceStatus"] == "COMPLIANT"
    assert problems("ssm", "CreatePatchBaseline", linux) == [] and problems("ssm", "CreatePatchBaseline", win) == []
    # What the components log is validate's warning (which approvedPatches apply; a COMPLIANT status), in
    # the order the two components happen to log.
    assert sorted(w.split(": ", 2)[1] for w in run.warnings) == [
        "approvedPatches",
        "availableSecurityUpdatesComplianceStatus",
    ]
