"""The baselines we build, judged by what Patch Manager would approve with them.

Real data: package metadata from the Debian archive (tests/data/debian_packages.json,
recorded with apt by tests/data/collect_debian_packages.py) and Amazon Linux 2023
security advisories (tests/data/amazon_linux_advisories.json). The rules are
the model in tests/patch_manager.py, written from AWS's documentation.
"""

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from patch_manager import DEBIAN_FAMILY, Update, approves, node_compliance

from conftest import EXAMPLE_STACKS, run_config
from patching_components.config import ConfigError, validate

DATA = Path(__file__).parent / "data"
TODAY = date(2026, 12, 1)
BASELINE = "aws:ssm/patchBaseline:PatchBaseline"
AMAZON_LINUX = ("AMAZON_LINUX", "AMAZON_LINUX_2", "AMAZON_LINUX_2022", "AMAZON_LINUX_2023")
AL_SEVERITIES = ("Critical", "Important", "Medium", "Low")  # AWS-FACTS.md
AL_NON_SECURITY = ("Bugfix", "Enhancement", "Recommended", "Newpackage")


def debian_updates() -> list[Update]:
    """Every recorded version is an update for a node older than all of them."""
    packages = json.loads((DATA / "debian_packages.json").read_text())["packages"]
    return [
        Update(
            package,
            v["version"],
            security=any(s.endswith("-security") for s in v["suites"]),
            priority=v["priority"].capitalize(),
            section=v["section"],
        )
        for package, versions in packages.items()
        for v in versions
    ]


def amazon_linux_advisories() -> list[Update]:
    advisories = json.loads((DATA / "amazon_linux_advisories.json").read_text())["advisories"]
    return [
        Update(
            a["package"],
            a["version"],
            security=True,
            released=date.fromisoformat(a["released"]),
            classification=a["classification"],
            product="AmazonLinux2023",
        )
        for a in advisories
    ]


def example_baselines(example_runs, families):
    """(inputs AWS receives, the stack file's settings) of every example baseline of these OSes."""
    found = []
    for path in EXAMPLE_STACKS:
        config = yaml.safe_load(path.read_text())["config"]
        customer = config["patching:customer"]
        for key, settings in config.get("patching:baselines", {}).items():
            if settings["operatingSystem"] in families:
                inputs = example_runs[path.name].named(f"{customer}-{key}", BASELINE).inputs
                found.append((inputs, settings))
    return found


def test_the_recorded_debian_data_holds_security_and_other_updates():
    updates = debian_updates()
    security = {u.package for u in updates if u.security}
    # The packages the issue names, all with a fix in bookworm-security, most of them `optional`.
    assert {"openssl", "openssh-server", "libc6", "sudo", "curl", "linux-image-amd64", "tzdata"} <= security
    assert {u.priority for u in updates if u.security} == {"Optional", "Required"}
    assert any(not u.security for u in updates)


def test_every_example_debian_family_baseline_approves_every_security_update_and_nothing_else(example_runs):
    baselines = example_baselines(example_runs, DEBIAN_FAMILY)
    assert len(baselines) >= 2  # globex's Ubuntu, initech's Debian 12
    for inputs, _ in baselines:
        for update in debian_updates():
            assert approves(inputs, update, TODAY) == update.security, (inputs["name"], update)


def test_a_required_important_priority_filter_skips_most_real_security_fixes(example_runs):
    """What the baselines did before: PRIORITY is the package Priority field, not a severity."""
    ((inputs, _),) = example_baselines(example_runs, ("UBUNTU",))
    (rule,) = inputs["approvalRules"]
    old = {
        **inputs,
        "approvalRules": [{**rule, "patchFilters": [{"key": "PRIORITY", "values": ["Required", "Important"]}]}],
    }
    missed = {u.package for u in debian_updates() if u.security and not approves(old, u, TODAY)}
    assert missed == {"openssl", "openssh-server", "libc6", "sudo", "curl", "linux-image-amd64"}


def test_non_security_updates_stay_out_even_with_every_priority(example_runs):
    ((inputs, _),) = example_baselines(example_runs, ("UBUNTU",))
    (rule,) = inputs["approvalRules"]
    assert rule["enableNonSecurity"] is False  # sent explicitly: what makes the rule security-only
    non_security = [u for u in debian_updates() if not u.security]
    with_non_security = {**inputs, "approvalRules": [{**rule, "enableNonSecurity": True}]}
    assert all(approves(with_non_security, u, TODAY) for u in non_security)  # the model can tell them apart
    assert not any(approves(inputs, u, TODAY) for u in non_security)


@pytest.mark.parametrize("severity", AL_SEVERITIES)
def test_every_example_amazon_linux_baseline_approves_its_security_advisories_and_no_other(example_runs, severity):
    baselines = example_baselines(example_runs, AMAZON_LINUX)
    assert len(baselines) >= 2  # acme's and globex's AL2023
    for inputs, settings in baselines:
        wanted = severity in settings.get("severities", ("Critical", "Important"))  # the documented default
        for advisory in amazon_linux_advisories():
            advisory = replace(advisory, severity=severity)
            assert approves(inputs, advisory, TODAY) == wanted, (inputs["name"], advisory)
            for classification in AL_NON_SECURITY:
                other = replace(advisory, classification=classification, security=False)
                assert not approves(inputs, other, TODAY), (inputs["name"], other)


def test_amazon_linux_approval_waits_for_the_configured_delay(example_runs):
    for inputs, settings in example_baselines(example_runs, AMAZON_LINUX):
        days = settings["approveAfterDays"]
        fresh = replace(amazon_linux_advisories()[-1], severity="Critical", released=TODAY - timedelta(days=days - 1))
        assert not approves(inputs, fresh, TODAY)
        assert approves(inputs, fresh, TODAY + timedelta(days=1))


# ---------------------------------------------------------------------------
# Issue 26: what the baselines approve, and what the nodes then report


def built_baseline(settings: dict, tags: dict | None = None) -> dict:
    """The PatchBaseline inputs AWS receives for one baseline of a stack (the real program, mock engine)."""
    run = run_config(
        {
            "customer": "acme",
            "tags": tags or {},
            "baselines": {"b": settings},
            "patchGroups": {"acme-web": {"baselines": ["b"]}},
        }
    )
    return run.named("acme-b", BASELINE).inputs


def windows_update(kb: str, days_old: int, *, security: bool = True, severity: str = "Critical") -> Update:
    return Update(
        kb,
        "1",
        security=security,
        released=TODAY - timedelta(days=days_old),
        classification="SecurityUpdates" if security else "Updates",
        severity=severity,
        product="WindowsServer2022",
    )


def test_windows_security_update_waiting_for_approval_makes_the_node_non_compliant(example_runs):
    ((inputs, settings),) = example_baselines(example_runs, ("WINDOWS",))
    assert settings["approveAfterDays"] == 7
    assert inputs["availableSecurityUpdatesComplianceStatus"] == "NON_COMPLIANT"  # our default, sent explicitly
    waiting = windows_update("KB5000001", days_old=3)  # released, not yet approved
    assert not approves(inputs, waiting, TODAY)
    assert node_compliance(inputs, [waiting], TODAY) == "NON_COMPLIANT"
    # What AWS does without the setting (its default, COMPLIANT): the same node reads green.
    unset = {k: v for k, v in inputs.items() if k != "availableSecurityUpdatesComplianceStatus"}
    assert node_compliance(unset, [waiting], TODAY) == "COMPLIANT"
    # A security update the severity filter leaves out is available and unapproved too: shown.
    moderate = windows_update("KB5000002", days_old=30, severity="Moderate")
    assert not approves(inputs, moderate, TODAY)
    assert node_compliance(inputs, [moderate], TODAY) == "NON_COMPLIANT"
    # Non-security updates never make the node non-compliant.
    assert node_compliance(inputs, [windows_update("KB5000003", days_old=30, security=False)], TODAY) == "COMPLIANT"
    # An approved security update that is not installed is MISSING.
    assert node_compliance(inputs, [windows_update("KB5000004", days_old=8)], TODAY) == "NON_COMPLIANT"
    assert node_compliance(inputs, [], TODAY) == "COMPLIANT"


def test_windows_compliance_status_can_be_set_to_compliant_and_windows_only():
    inputs = built_baseline({"operatingSystem": "WINDOWS", "availableSecurityUpdatesComplianceStatus": "COMPLIANT"})
    assert inputs["availableSecurityUpdatesComplianceStatus"] == "COMPLIANT"
    assert node_compliance(inputs, [windows_update("KB5000001", days_old=3)], TODAY) == "COMPLIANT"
    with pytest.raises(ConfigError) as info:
        validate(
            {
                "customer": "acme",
                "baselines": {
                    "b": {"operatingSystem": "SUSE", "availableSecurityUpdatesComplianceStatus": "COMPLIANT"}
                },
            },
            "Pulumi.acme.yaml",
        )
    assert "applies to WINDOWS baselines only, not SUSE" in "\n".join(info.value.lines())


def centos_default_repo_update(package: str, days_old: int = 30) -> Update:
    """An update from a CentOS default repository: no update notice, so no classification nor severity."""
    return Update(package, "1", security=False, released=TODAY - timedelta(days=days_old), product="CentOS7.9")


def test_a_centos_security_only_rule_approves_nothing_and_reads_compliant():
    """What AWS would receive if we built CentOS like the other yum systems: the trap issue 26 describes."""
    trap = {
        "operatingSystem": "CENTOS",
        "approvalRules": [
            {
                "approveAfterDays": 7,
                "enableNonSecurity": False,
                "patchFilters": [
                    {"key": "CLASSIFICATION", "values": ["Security"]},
                    {"key": "SEVERITY", "values": ["Critical", "Important"]},
                ],
            }
        ],
    }
    updates = [centos_default_repo_update(p) for p in ("openssl", "openssh-server", "kernel")]
    assert not any(approves(trap, u, TODAY) for u in updates)
    assert node_compliance(trap, updates, TODAY) == "COMPLIANT"
    # enableNonSecurity alone does not help while the classification filter stays: nothing has one.
    with_flag = {**trap, "approvalRules": [{**trap["approvalRules"][0], "enableNonSecurity": True}]}
    assert not any(approves(with_flag, u, TODAY) for u in updates)
    # So we refuse it, with AWS's explanation.
    with pytest.raises(ConfigError) as info:
        validate({"customer": "acme", "baselines": {"centos": {"operatingSystem": "CENTOS"}}}, "Pulumi.acme.yaml")
    assert "default repositories carry no update notices" in "\n".join(info.value.lines())


def test_the_centos_baseline_we_build_approves_the_default_repositories_updates_after_the_delay():
    inputs = built_baseline(
        {"operatingSystem": "CENTOS", "enableNonSecurity": True}, tags={"PatchingWaiver": "CentOS: no update notices"}
    )
    (rule,) = inputs["approvalRules"]
    assert rule["enableNonSecurity"] is True
    assert rule["patchFilters"] == []  # no classification to filter on: as AWS-CentOSDefaultPatchBaseline
    ready, fresh = centos_default_repo_update("openssl", 8), centos_default_repo_update("curl", 2)
    assert approves(inputs, ready, TODAY) and not approves(inputs, fresh, TODAY)
    assert node_compliance(inputs, [ready, fresh], TODAY) == "NON_COMPLIANT"  # openssl is missing
    assert node_compliance(inputs, [fresh], TODAY) == "COMPLIANT"


def rhel_security_update(node_release: str) -> Update:
    return Update(
        "openssl",
        "3.2.2-6.el9_6",
        security=True,
        released=TODAY - timedelta(days=30),
        classification="Security",
        severity="Important",
        product=node_release,
    )


def test_pinned_rhel_minor_releases_leave_a_later_node_unpatched_and_compliant(example_runs):
    ((inputs, settings),) = example_baselines(example_runs, ("REDHAT_ENTERPRISE_LINUX",))
    assert "products" not in settings  # globex's pinned [9.4, 9.5] list is gone
    pinned = {
        **inputs,
        "approvalRules": [
            {
                **inputs["approvalRules"][0],
                "patchFilters": [
                    *inputs["approvalRules"][0]["patchFilters"],
                    {"key": "PRODUCT", "values": ["RedhatEnterpriseLinux9.4", "RedhatEnterpriseLinux9.5"]},
                ],
            }
        ],
    }
    on_96, on_95 = rhel_security_update("RedhatEnterpriseLinux9.6"), rhel_security_update("RedhatEnterpriseLinux9.5")
    assert approves(pinned, on_95, TODAY)
    assert not approves(pinned, on_96, TODAY)
    assert node_compliance(pinned, [on_96], TODAY) == "COMPLIANT"  # the false green
    # A prefix pattern is not a documented wildcard: the model (like AWS's docs) matches '*' alone.
    prefix = {
        **pinned,
        "approvalRules": [
            {**pinned["approvalRules"][0], "patchFilters": [{"key": "PRODUCT", "values": ["RedhatEnterpriseLinux9*"]}]}
        ],
    }
    assert not approves(prefix, on_96, TODAY)
    # The baseline globex now builds approves the fix on every release, so the 9.6 node reads missing it.
    assert approves(inputs, on_96, TODAY) and approves(inputs, on_95, TODAY)
    assert node_compliance(inputs, [on_96], TODAY) == "NON_COMPLIANT"
    every = {
        **pinned,
        "approvalRules": [{**pinned["approvalRules"][0], "patchFilters": [{"key": "PRODUCT", "values": ["*"]}]}],
    }
    assert approves(every, on_96, TODAY)


@pytest.mark.parametrize("enable", [None, False, True])
def test_approved_patches_that_are_not_security_updates_need_the_flag_on_linux(enable):
    settings = {"operatingSystem": "AMAZON_LINUX_2023", "approvedPatches": ["amazon-ssm-agent", "openssl"]}
    if enable is not None:
        settings["approvedPatchesEnableNonSecurity"] = enable
    inputs = built_baseline(settings)
    assert inputs["approvedPatchesEnableNonSecurity"] is bool(enable)  # sent explicitly with approvedPatches
    bugfix = Update(
        "amazon-ssm-agent", "3.3", security=False, released=TODAY, classification="Bugfix", product="AmazonLinux2023"
    )
    fix = replace(bugfix, package="openssl", security=True, classification="Security", severity="Low")
    assert approves(inputs, bugfix, TODAY) is bool(enable)
    assert approves(inputs, fix, TODAY)  # listed: approved on release whatever its severity
    assert node_compliance(inputs, [bugfix], TODAY) == ("NON_COMPLIANT" if enable else "COMPLIANT")
