"""`patching validate` and the policy pack judge every stack alike.

Both run the patching standard from patching_components.standard: a stack that
validates passes the pack's mandatory policies at preview, one that breaks the
standard fails both, and validate's warnings are the pack's advisory findings.
Judged over every example stack, every corpus stack and generated stacks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_policy import POLICIES, check

from conftest import BAD_STACKS, EXAMPLE_STACKS, run_stack
from patching_components.aws import os_rules
from patching_components.checks import check_stack_file, rate_control_warnings, warnings
from patching_components.config import ConfigError

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


def agree(path: Path) -> None:
    errors, warned = validate(path)
    if errors:
        return  # the program refuses the stack too (tests/test_bad_stacks.py); nothing reaches the pack
    mandatory, advisory = pack(path)
    assert mandatory == [], f"{path.name}: validate accepts, the pack rejects: {mandatory}"
    assert len(advisory) == len(warned), f"{path.name}: warnings {warned} != advisory {advisory}"


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("path", EXAMPLE_STACKS + BAD_STACKS, ids=lambda p: p.name)
def test_the_shipped_stacks(path):
    agree(path)


def write(tmp: Path, patching: dict) -> Path:
    path = tmp / f"Pulumi.{patching['customer']}.yaml"
    path.write_text(json.dumps({"config": {f"patching:{k}": v for k, v in patching.items()}}))
    return path


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
    os_name = draw(st.sampled_from(OSES))
    family = os_rules.family_of(os_name)
    baseline: dict = {"operatingSystem": os_name}
    if family.supports_approval_delay:
        choice = draw(st.sampled_from(["days", "until", "none"]))
        if choice == "days":
            baseline["approveAfterDays"] = draw(st.integers(0, 12))
        elif choice == "until":
            baseline["approveUntilDate"] = draw(st.sampled_from(["2026-11-01", "2026-12-01", "2027-03-31"]))
    for field, spec in family.fields.items():
        if spec.allowed and draw(st.booleans()):
            baseline[os_rules.camel(field)] = draw(st.lists(st.sampled_from(spec.allowed), min_size=1, unique=True))
    if family.linux and draw(st.booleans()):
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


@time_machine.travel(TODAY, tick=False)
@settings(max_examples=40, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stacks())
def test_generated_stacks(tmp_path, stack):
    path = write(tmp_path, stack)
    errors, _ = validate(path)
    if errors:
        # What validate refuses for the standard, the pack refuses too (the model's other errors never build).
        standard_errors = [e for e in errors if "the patching standard" in e]
        if standard_errors and len(standard_errors) == len(errors):
            mandatory, _ = pack(path)
            assert len(mandatory) == len(standard_errors), (stack, errors, mandatory)
        return
    agree(path)
