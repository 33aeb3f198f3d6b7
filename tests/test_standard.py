"""The standard's warnings: settings AWS accepts that quietly stop patching.

`patching validate`, the program's log and the policy pack's advisory policy
report the same ones; the clock is frozen (approveUntilDate is judged by today).
"""

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import time_machine
from test_policy import check

from conftest import EXAMPLE_STACKS, MINIMAL, run_config
from patching_components.tools.cli import main

TODAY = date(2026, 12, 1)
RHEL = {"operatingSystem": "REDHAT_ENTERPRISE_LINUX"}
UBUNTU = {"operatingSystem": "UBUNTU"}


def stack(tmp_path, baselines: dict) -> str:
    lines = ["config:", "  patching:customer: acme", "  patching:baselines:"]
    for key, settings in baselines.items():
        lines.append(f"    {key}:")
        lines += [f"      {k}: {json.dumps(v)}" for k, v in settings.items()]
    lines += [
        "  patching:patchGroups:",
        "    acme-web:",
        f"      baselines: [{', '.join(baselines)}]",
        "  aws:region: eu-west-1",
    ]
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
    assert main(["validate", *map(str, EXAMPLE_STACKS)]) == 0
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
                    "aws:region": "eu-west-1",
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


# Issue 26: what validate, the program's log and the policy pack say about baselines, alike.
AL2_ENDS = "Amazon Linux 2 reaches the end of its security updates on 2026-06-30"


def warned_everywhere(tmp_path, capsys, settings: dict, tags: dict | None = None) -> list[dict]:
    """validate's warnings for one baseline, checked against the program's log and the policy pack."""
    path = stack(tmp_path, {"b": settings})
    if tags:
        text = (
            Path(path)
            .read_text()
            .replace("  patching:baselines:", f"  patching:tags: {json.dumps(tags)}\n  patching:baselines:")
        )
        Path(path).write_text(text)
    report = validate_json(capsys, path)
    warnings = report["warnings"]
    run = run_config(
        {**MINIMAL, "tags": tags or {}, "baselines": {"b": settings}, "patchGroups": {"acme-web": {"baselines": ["b"]}}}
    )
    assert run.warnings == [
        f"SecurityBaseline 'acme-b': {w['keyPath'].removeprefix('patching:baselines.b.')}: {w['message']}"
        for w in warnings
    ]
    (baseline,) = run.of_type("aws:ssm/patchBaseline:PatchBaseline")
    assert sorted(m.removeprefix("approval rule 1: ") for m in policy_messages(baseline)) == sorted(
        w["message"] for w in warnings
    )
    return warnings


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        ("2025-12-31", []),  # more than 180 days ahead
        (
            "2026-01-01",
            [
                f"{AL2_ENDS}, in 180 days (https://aws.amazon.com/amazon-linux-2/faqs/); plan the move to "
                "Amazon Linux 2023 (AMAZON_LINUX_2023)"
            ],
        ),
        (
            "2026-06-30",
            [
                f"{AL2_ENDS}, in 0 days (https://aws.amazon.com/amazon-linux-2/faqs/); plan the move to "
                "Amazon Linux 2023 (AMAZON_LINUX_2023)"
            ],
        ),
        (
            "2026-07-01",
            [
                "Amazon Linux 2 reached the end of its security updates on 2026-06-30 "
                "(https://aws.amazon.com/amazon-linux-2/faqs/): no new fixes are released for it, so its nodes "
                "report COMPLIANT while unpatched; move them to Amazon Linux 2023 (AMAZON_LINUX_2023)"
            ],
        ),
    ],
)
def test_amazon_linux_2_end_of_support_is_a_warning_on_a_frozen_clock(tmp_path, capsys, today, expected):
    with time_machine.travel(date.fromisoformat(today), tick=False):
        warnings = warned_everywhere(tmp_path, capsys, {"operatingSystem": "AMAZON_LINUX_2"})
    assert [w["message"] for w in warnings] == expected
    assert all(w["keyPath"] == "patching:baselines.b.operatingSystem" and w["line"] == 5 for w in warnings)


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    ("settings", "released"),
    [
        (
            {"operatingSystem": "AMAZON_LINUX"},
            "Amazon Linux (AMI, 2018.03) reached the end of its security updates on 2023-12-31",
        ),
        (
            {"operatingSystem": "AMAZON_LINUX_2022"},
            "Amazon Linux 2022 (preview, released as Amazon Linux 2023) reached",
        ),
        (
            {"operatingSystem": "CENTOS", "enableNonSecurity": True, "products": ["CentOS7.9"]},
            "CentOS 7 reached the end of its security updates on 2024-06-30 (https://www.centos.org/centos-linux-eol/)",
        ),
        (
            {"operatingSystem": "WINDOWS", "products": ["WindowsServer2012R2", "WindowsServer2022"]},
            "Windows Server 2012 / 2012 R2 reached the end of its security updates on 2023-10-10",
        ),
    ],
)
def test_end_of_support_names_the_date_and_the_replacement(tmp_path, capsys, settings, released):
    tags = {"PatchingWaiver": "CentOS: no update notices"} if settings["operatingSystem"] == "CENTOS" else None
    messages = [w["message"] for w in warned_everywhere(tmp_path, capsys, settings, tags)]
    assert any(m.startswith(released) and "move them to" in m for m in messages), messages


@time_machine.travel(TODAY, tick=False)
def test_a_release_still_supported_is_not_warned_about(tmp_path, capsys):
    settings = {"operatingSystem": "CENTOS", "enableNonSecurity": True, "products": ["CentOSStream9"]}
    messages = [w["message"] for w in warned_everywhere(tmp_path, capsys, settings, {"PatchingWaiver": "CentOS"})]
    assert not any("end of its security updates" in m for m in messages)


@time_machine.travel(TODAY, tick=False)
def test_pinned_minor_releases_are_a_warning_naming_the_later_ones(tmp_path, capsys):
    settings = {
        "operatingSystem": "REDHAT_ENTERPRISE_LINUX",
        "products": ["RedhatEnterpriseLinux9.4", "RedhatEnterpriseLinux9.5"],
    }
    (warning,) = warned_everywhere(tmp_path, capsys, settings)
    assert warning["keyPath"] == "patching:baselines.b.products"
    assert warning["message"] == (
        "products pin minor releases of REDHAT_ENTERPRISE_LINUX 9: a node upgraded to RedhatEnterpriseLinux9.6 or any "
        "later one matches no rule, gets nothing approved and still reports COMPLIANT (PRODUCT is the node's own "
        "release); remove products (the patch group decides which nodes the baseline patches) or use '*'"
    )
    for products in (["*"], ["AmazonLinux2023"]):
        other = {
            "operatingSystem": "AMAZON_LINUX_2023" if products != ["*"] else "REDHAT_ENTERPRISE_LINUX",
            "products": products,
        }
        assert warned_everywhere(tmp_path, capsys, other) == []


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(("days", "warned"), [(30, False), (31, True)])
def test_a_windows_approval_delay_over_30_days_is_a_warning(tmp_path, capsys, days, warned):
    warnings = warned_everywhere(tmp_path, capsys, {"operatingSystem": "WINDOWS", "approveAfterDays": days})
    assert [w["keyPath"] for w in warnings] == (["patching:baselines.b.approveAfterDays"] if warned else [])
    if warned:
        assert warnings[0]["message"].startswith("approveAfterDays 31 is longer than Microsoft's monthly release cycle")


@time_machine.travel(TODAY, tick=False)
def test_a_compliant_windows_status_is_a_warning(tmp_path, capsys):
    settings = {"operatingSystem": "WINDOWS", "availableSecurityUpdatesComplianceStatus": "COMPLIANT"}
    (warning,) = warned_everywhere(tmp_path, capsys, settings)
    assert warning["keyPath"] == "patching:baselines.b.availableSecurityUpdatesComplianceStatus"
    assert warning["message"].startswith("availableSecurityUpdatesComplianceStatus is COMPLIANT: a node missing")


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize("enable", [False, True])
def test_linux_approved_patches_say_which_behaviour_applies(tmp_path, capsys, enable):
    settings = {
        "operatingSystem": "ROCKY_LINUX",
        "approvedPatches": ["nginx"],
        "approvedPatchesEnableNonSecurity": enable,
    }
    (warning,) = warned_everywhere(tmp_path, capsys, settings)
    assert warning["keyPath"] == "patching:baselines.b.approvedPatches"
    assert warning["message"].startswith(
        "approvedPatchesEnableNonSecurity is true: every listed patch is installed"
        if enable
        else "on ROCKY_LINUX Patch Manager installs only the approvedPatches that are security updates"
    )


@time_machine.travel(TODAY, tick=False)
def test_centos_with_enable_non_security_says_what_it_approves(tmp_path, capsys):
    settings = {"operatingSystem": "CENTOS", "enableNonSecurity": True, "products": ["CentOSStream9"]}
    (warning,) = warned_everywhere(tmp_path, capsys, settings, {"PatchingWaiver": "CentOS: no update notices"})
    assert warning["keyPath"] == "patching:baselines.b.enableNonSecurity"
    assert "bug fixes and enhancements are installed too" in warning["message"]


@time_machine.travel(TODAY, tick=False)
def test_centos_with_its_own_sources_is_accepted_with_a_warning(tmp_path, capsys):
    """Repositories with update notices make security-only CentOS possible; we cannot see them, so we say so."""
    settings = {
        "operatingSystem": "CENTOS",
        "products": ["CentOSStream9"],
        "sources": {"errata": {"products": ["CentOSStream9"], "configuration": "[errata]\nbaseurl=https://x"}},
    }
    path = stack(tmp_path, {})
    Path(path).write_text(
        json.dumps(
            {
                "config": {
                    "patching:customer": "acme",
                    "patching:baselines": {"b": settings},
                    "patching:patchGroups": {"acme-web": {"baselines": ["b"]}},
                    "aws:region": "eu-west-1",
                }
            }
        )
    )
    (warning,) = validate_json(capsys, path)["warnings"]
    assert warning["keyPath"] == "patching:baselines.b.sources"
    assert warning["message"].startswith("without enableNonSecurity this CENTOS baseline approves only the security")
    run = run_config({**MINIMAL, "baselines": {"b": settings}, "patchGroups": {"acme-web": {"baselines": ["b"]}}})
    (baseline,) = run.of_type("aws:ssm/patchBaseline:PatchBaseline")
    assert policy_messages(baseline) == [f"approval rule 1: {warning['message']}"]
    assert check("baselines-approve-something", baseline) == []


def test_a_secret_product_is_checked_by_the_program_not_refused_offline(tmp_path, capsys):
    path = tmp_path / "Pulumi.acme.yaml"
    path.write_text(
        "config:\n  patching:customer: acme\n  patching:baselines:\n    rhel:\n"
        "      operatingSystem: REDHAT_ENTERPRISE_LINUX\n      products: [{secure: v1:AAAA}]\n"
        "  patching:patchGroups:\n    acme-web:\n      baselines: [rhel]\n  aws:region: eu-west-1\n"
    )
    (warning,) = validate_json(capsys, str(path))["warnings"]
    assert warning["keyPath"] == "patching:baselines.rhel.products[0]" and "is a secret" in warning["message"]
    from patching_components.tools.engine import ProgramError

    with pytest.raises(ProgramError) as info:  # the engine hands the program the decrypted value
        run_config(
            {
                **MINIMAL,
                "baselines": {"rhel": {"operatingSystem": "REDHAT_ENTERPRISE_LINUX", "products": ["RHEL9"]}},
                "patchGroups": {"acme-web": {"baselines": ["rhel"]}},
            }
        )
    assert "'RHEL9' is not a PRODUCT value AWS lists for REDHAT_ENTERPRISE_LINUX" in str(info.value)


@time_machine.travel(TODAY, tick=False)
def test_centos_with_a_classification_filter_approves_none_of_the_default_repositories_updates(tmp_path, capsys):
    settings = {"operatingSystem": "CENTOS", "enableNonSecurity": True, "classifications": ["Security"]}
    (warning,) = warned_everywhere(tmp_path, capsys, settings, {"PatchingWaiver": "CentOS: no update notices"})
    assert warning["keyPath"] == "patching:baselines.b.classifications"
    assert warning["message"].startswith(
        "on CENTOS only update notices carry a CLASSIFICATION, and the default repositories have none"
    )
