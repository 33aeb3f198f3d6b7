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
from patch_manager import DEBIAN_FAMILY, Update, approves

from conftest import EXAMPLE_STACKS

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
