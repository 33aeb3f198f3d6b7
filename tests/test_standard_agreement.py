"""`patching validate` and the policy pack judge every stack alike.

Both run the patching standard from patching_components.standard: a stack that
validates passes the pack's mandatory policies at preview, one that breaks the
standard fails both with the same findings, and validate's warnings are the
pack's advisory findings. Judged over the example stacks, hand-written stacks
that each break or bend one rule, and generated stacks.

The broken stacks of tests/bad_stacks are not judged here: each breaks the
config model, not the standard, so the program builds nothing and the pack has
nothing to judge. That both refuse them is tests/test_bad_stacks.py
(``test_program_registers_nothing``, ``test_patching_validate_reports_it``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import time_machine
from hypothesis import HealthCheck
from hypothesis import strategies as st
from test_policy import POLICIES, check

from conftest import EXAMPLE_STACKS, quick_and_full, run_stack
from patching_components.checks import check_stack_file, rate_control_warnings, warnings
from patching_components.config import ConfigError
from patching_components.tools.engine import ProgramError
from tests import aws_patch_filters

TODAY = "2026-12-01"


def validate(path: Path) -> tuple[list[str], list[str]]:
    """(errors, warnings) of `patching validate` for a stack file."""
    try:
        config = check_stack_file(path)
    except ConfigError as exc:
        return [i.message for i in exc.issues], []
    # minutesPerNode is an assumption of validate's, never sent to AWS: the pack cannot judge the rate control.
    validate_only = {i.message for i in rate_control_warnings(config)}
    return [], [i.message for i in warnings(config) if i.message not in validate_only]


def pack(path: Path) -> tuple[list[str], list[str]]:
    """(mandatory, advisory) findings of the policy pack on the resources the program builds."""
    return pack_findings(run_stack(path).resources)


def pack_findings(resources: list) -> tuple[list[str], list[str]]:
    mandatory, advisory = [], []
    for resource in resources:
        if not resource.custom:
            continue
        for name, policy in POLICIES.items():
            if not hasattr(policy, "validate") or policy.__class__.__name__ == "StackValidationPolicy":
                continue
            found = check(name, resource)
            (advisory if policy.enforcement_level.value == "advisory" else mandatory).extend(found)
    return mandatory, advisory


# What each side wraps around the standard's own finding (standard.Advice.message): the pack
# numbers the rule and names its waiver tag, validate says "the approval rule" and why.
_PACK_RULE = re.compile(r"^approval rule \d+:? ")
_PACK_WAIVER = re.compile(r" \(or tag the baseline \S+=<reason> to waive\)$")
_VALIDATE_RULE = re.compile(r"^the approval rule ")
_VALIDATE_WHY = re.compile(r" \(the patching standard[^()]*(\([^()]*\)[^()]*)*\)$")


def core_of_pack(message: str) -> str:
    return _PACK_WAIVER.sub("", _PACK_RULE.sub("", message))


def core_of_validate(message: str) -> str:
    return _VALIDATE_WHY.sub("", _VALIDATE_RULE.sub("", message))


def agree(errors: list[str], warned: list[str], mandatory: list[str], advisory: list[str], name: str) -> None:
    """The same findings on both sides, finding for finding (not just as many). Validate reports its warnings
    only for a stack without errors: with errors, the errors are what there is to compare."""
    assert sorted(map(core_of_validate, errors)) == sorted(map(core_of_pack, mandatory)), (
        f"{name}: validate's errors {errors} != the pack's mandatory findings {mandatory}"
    )
    if errors:
        return
    assert sorted(warned) == sorted(map(core_of_pack, advisory)), (
        f"{name}: validate's warnings {warned} != the pack's advisory findings {advisory}"
    )


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("path", EXAMPLE_STACKS, ids=lambda p: p.name)
def test_the_shipped_stacks(example_runs, path):
    """Every example validates without a warning, and the pack finds nothing in what it builds: each
    fails as soon as validate refuses or warns, or the pack reports anything (tried: a pack whose
    cutoff minimum is 2 h fails all three, whose windows stop 1 h before they end)."""
    errors, warned = validate(path)
    assert (errors, warned) == ([], []), path.name
    mandatory, advisory = pack_findings(example_runs[path.name].resources)
    agree(errors, warned, mandatory, advisory, path.name)


def write(tmp: Path, patching: dict) -> Path:
    path = tmp / f"Pulumi.{patching['customer']}.yaml"
    path.write_text(json.dumps({"config": {f"patching:{k}": v for k, v in patching.items()}}))
    return path


def stack(baseline: dict, window: dict | None = None, tags: dict | None = None) -> dict:
    """One baseline, one weekly window, one patch group: every other setting as the examples have it."""
    return {
        "customer": "acme",
        "tags": tags or {},
        "baselines": {"b": baseline},
        "maintenanceWindows": {
            "w": {
                "schedule": "cron(0 2 ? * SUN *)",
                "durationHours": 3,
                "cutoffHours": 1,
                "operation": "Install",
                "cutoffBehavior": "CANCEL_TASK",
                **(window or {}),
            }
        },
        "patchGroups": {"acme-web": {"baselines": ["b"], "maintenanceWindows": ["w"]}},
    }


AL2023 = {"operatingSystem": "AMAZON_LINUX_2023"}
WAIVER = {"PatchingWaiver": "CHG-1234 bug fixes for the legacy fleet"}

# (stack, errors, warnings): the counts by hand, from the standard as docs/policy-pack.md and standard.py's
# docstring state it (security-only approvals, >= 7 days for non-critical patches, >= 1 h cutoff,
# the waiver tag) and from the AWS facts behind each warning (docs/aws-behaviour.md). Each case
# reaches the comparison: the program builds every one of them, so the pack judges its resources.
# Tried and reverted, each fails its cases: a pack cutoff minimum of 2 h (every case), a pack that
# ignores the waiver (waived-bugfix), a minimum delay of 6 days on both sides (six-days), a pack
# without its advisory baseline policy (the six baseline warnings), validate without the window
# advice (task-runs-past-cutoff).
CASES = {
    # Mandatory: validate's errors are the pack's mandatory findings.
    "bugfix-approved": (stack({**AL2023, "classifications": ["Security", "Bugfix"]}), 1, 0),
    "windows-updates-approved": (
        stack({"operatingSystem": "WINDOWS", "classifications": ["SecurityUpdates", "CriticalUpdates", "Updates"]}),
        1,
        0,
    ),
    "non-security-enabled": (stack({**AL2023, "enableNonSecurity": True}), 1, 0),
    "six-days": (stack({"operatingSystem": "REDHAT_ENTERPRISE_LINUX", "approveAfterDays": 6}), 1, 0),
    "seven-days": (stack({"operatingSystem": "REDHAT_ENTERPRISE_LINUX", "approveAfterDays": 7}), 0, 0),
    "critical-only-at-once": (stack({**AL2023, "severities": ["Critical"], "approveAfterDays": 0}), 0, 0),
    "no-cutoff": (stack(AL2023, {"cutoffHours": 0}), 1, 0),
    "waived-bugfix": (stack({**AL2023, "classifications": ["Security", "Bugfix"]}, tags=WAIVER), 0, 0),
    "waiver-leaves-the-delay": (stack({**AL2023, "approveAfterDays": 0}, tags=WAIVER), 1, 0),
    # Advisory: validate's warnings are the pack's advisory findings.
    "ubuntu-priorities-subset": (stack({"operatingSystem": "UBUNTU", "priorities": ["Required", "Important"]}), 0, 1),
    "windows-45-days": (stack({"operatingSystem": "WINDOWS", "approveAfterDays": 45}), 0, 1),
    "amazon-linux-2-ended": (stack({"operatingSystem": "AMAZON_LINUX_2"}), 0, 1),  # 2026-06-30
    "rhel-minor-release-pinned": (
        stack({"operatingSystem": "REDHAT_ENTERPRISE_LINUX", "products": ["RedhatEnterpriseLinux9.4"]}),
        0,
        1,
    ),
    "approve-until-passed": (stack({**AL2023, "approveUntilDate": "2026-11-01"}), 0, 1),
    "approved-bugfix-not-installed": (stack({**AL2023, "approvedPatches": ["nginx"]}), 0, 1),
    "task-runs-past-cutoff": (stack(AL2023, {"cutoffBehavior": "CONTINUE_TASK"}), 0, 1),
}


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(("patching", "errors", "warnings_"), CASES.values(), ids=CASES)
def test_one_rule_broken_or_bent(tmp_path, patching, errors, warnings_):
    """Fails when either side misses the finding (the count by hand) or they word a different one."""
    path = write(tmp_path, patching)
    found_errors, warned = validate(path)
    mandatory, advisory = pack(path)
    assert (len(found_errors), len(warned)) == (errors, warnings_), (found_errors, warned)
    assert (len(mandatory), len(advisory)) == (errors, warnings_), (mandatory, advisory)
    agree(found_errors, warned, mandatory, advisory, path.name)


@time_machine.travel(TODAY, tick=False)
def test_the_case_issue_12_measured(tmp_path):
    """approveAfterDays 0, a Bugfix classification, enableNonSecurity, cutoffHours 0: 4 mandatory violations
    at preview, so 4 errors in validate, each on its key."""
    path = write(
        tmp_path,
        {
            "customer": "acme",
            "baselines": {
                "al2023": {
                    "operatingSystem": "AMAZON_LINUX_2023",
                    "approveAfterDays": 0,
                    "classifications": ["Security", "Bugfix"],
                    "enableNonSecurity": True,
                }
            },
            "maintenanceWindows": {
                "w": {"schedule": "rate(1 day)", "durationHours": 2, "cutoffHours": 0, "operation": "Scan"}
            },
            "patchGroups": {"acme-web": {"baselines": ["al2023"], "maintenanceWindows": ["w"]}},
        },
    )
    with pytest.raises(ConfigError) as info:
        check_stack_file(path)
    assert [i.key_path() for i in info.value.issues] == [
        "patching:baselines.al2023.enableNonSecurity",
        "patching:baselines.al2023.classifications",
        "patching:baselines.al2023.approveAfterDays",
        "patching:maintenanceWindows.w.cutoffHours",
    ]
    assert info.value.issues[1].message == (
        "the approval rule approves CLASSIFICATION Bugfix: only Security are security updates on AMAZON_LINUX_2023 "
        "(the patching standard; waive with patching:tags.PatchingWaiver: <reason>)"
    )


OSES = ["AMAZON_LINUX_2023", "REDHAT_ENTERPRISE_LINUX", "UBUNTU", "WINDOWS", "CENTOS"]


@st.composite
def stacks(draw):
    """One baseline of the OS's filters (tests/aws_patch_filters.py, from AWS's documentation), one window."""
    os_name = draw(st.sampled_from(OSES))
    aws = aws_patch_filters.BY_OS[os_name]
    baseline: dict = {"operatingSystem": os_name}
    if aws.approval_delay:
        choice = draw(st.sampled_from(["days", "until", "none"]))
        if choice == "days":
            baseline["approveAfterDays"] = draw(st.integers(0, 12))
        elif choice == "until":
            baseline["approveUntilDate"] = draw(st.sampled_from(["2026-11-01", "2026-12-01", "2027-03-31"]))
    for field, values in aws.fields.items():
        if draw(st.booleans()):
            baseline[field] = draw(st.lists(st.sampled_from(values), min_size=1, unique=True))
    if aws.linux and draw(st.booleans()):
        baseline["enableNonSecurity"] = draw(st.booleans())
    duration = draw(st.integers(1, 4))
    window = {
        "schedule": "cron(0 2 ? * SUN *)",
        "durationHours": duration,
        "cutoffHours": draw(st.integers(0, duration - 1)),
        "operation": draw(st.sampled_from(["Scan", "Install"])),
        "cutoffBehavior": draw(st.sampled_from(["CANCEL_TASK", "CONTINUE_TASK"])),
    }
    tags = {"PatchingWaiver": "audited exception"} if draw(st.booleans()) else {}
    return {
        "customer": "gen",
        "tags": tags,
        "baselines": {"b": baseline},
        "maintenanceWindows": {"w": window},
        "patchGroups": {"gen-web": {"baselines": ["b"], "maintenanceWindows": ["w"]}},
    }


def generated_stack_agrees(tmp_path, patching):
    """A stack the program refuses (the config model's errors), validate refuses too; one it builds, the pack
    and validate judge alike, finding for finding (the standard's errors included)."""
    path = write(tmp_path, patching)
    errors, warned = validate(path)
    try:
        resources = run_stack(path).resources
    except ProgramError:
        assert errors, (patching, "the program refuses a stack that validate accepts")
        return
    mandatory, advisory = pack_findings(resources)
    agree(errors, warned, mandatory, advisory, path.name)


test_generated_stacks, test_generated_stacks_full = quick_and_full(
    generated_stack_agrees,
    stacks(),
    quick=10,
    full=40,
    wrap=time_machine.travel(TODAY, tick=False),
    settings={"derandomize": True, "deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]},
)
