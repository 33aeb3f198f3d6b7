"""A user's provider (a customer account, a region) reaches every child and every invoke
of every component, whether given as ``providers={"aws": p}`` or ``provider=p``."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pytest

from patching_components import (
    ChangeFreezeGuard,
    CircuitBreaker,
    CustomerPatching,
    GoldenAmiPipeline,
    PatchingIam,
    PatchReporting,
    PatchWindow,
    SecurityBaseline,
    WindowCatchUp,
)
from tests.engine import run_program

WINDOW = {"schedule": "rate(1 day)", "duration_hours": 2, "cutoff_hours": 1, "operation": "Scan"}
PIPELINE = {
    "platform": "Linux",
    "source_ami_parameter": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
    "patch_group": "acme-web",
    "schedule": "cron(0 4 ? * MON#1 *)",
    "customer": "acme",
    "instance_profile_name": "acme-instance",
    "automation_role_arn": "arn:aws:iam::123456789012:role/acme-automation",
    "automation_role_name": "acme-automation",
}
FREEZE_GUARD = {
    "customer": "acme",
    "freezes": {"black-friday": {"start": "2026-11-26", "end": "2026-12-01", "timezone": "America/New_York"}},
    "window_ids": ["mw-0123456789abcdef0"],
    "guard_role_arn": "arn:aws:iam::123456789012:role/acme-freeze-guard",
    "guard_role_name": "acme-freeze-guard",
    "events_role_arn": "arn:aws:iam::123456789012:role/acme-freeze-events",
    "events_role_name": "acme-freeze-events",
}
CATCH_UP = {
    **WINDOW,
    "operation": "Install",
    "catch_up": {"max_age_days": 35},
    "customer": "acme",
    "window_id": "mw-0123456789abcdef0",
    "patch_groups": ["acme-web"],
    "role_arn": "arn:aws:iam::123456789012:role/acme-catch-up",
    "role_name": "acme-catch-up",
    "events_role_arn": "arn:aws:iam::123456789012:role/acme-catch-up-events",
    "events_role_name": "acme-catch-up-events",
}
BREAKER = {
    "customer": "acme",
    "alarm_names": ["acme-web-5xx"],
    "window_ids": ["mw-0123456789abcdef0"],
    "breaker_role_arn": "arn:aws:iam::123456789012:role/acme-circuit-breaker",
    "breaker_role_name": "acme-circuit-breaker",
    "events_role_arn": "arn:aws:iam::123456789012:role/acme-breaker-events",
    "events_role_name": "acme-breaker-events",
}
STACK = {  # CustomerPatching's args: snake_case, as every component's
    "customer": "acme",
    "baselines": {"al2023": {"operating_system": "AMAZON_LINUX_2023"}},
    "maintenance_windows": {"w": WINDOW},
    "patch_groups": {"acme-web": {"baselines": ["al2023"], "maintenance_windows": ["w"]}},
    "logging": {"s3_bucket": "create"},
    "notifications": {"emails": ["ops@acme.example"]},
    "golden_amis": {"base": {"platform": "Linux", "source_ami_id": "ami-0123456789abcdef0", "patch_group": "acme-web"}},
}
COMPONENTS = {
    "PatchingIam": lambda opts: PatchingIam("acme", {"patch_groups": ["acme-web"]}, opts),
    "SecurityBaseline": lambda opts: SecurityBaseline(
        "al2023", {"operating_system": "AMAZON_LINUX_2023", "patch_groups": ["acme-web"], "default": True}, opts
    ),
    "PatchWindow": lambda opts: PatchWindow("w", {**WINDOW, "patch_groups": ["acme-web"]}, opts),
    "PatchReporting": lambda opts: PatchReporting(
        "acme", {"s3_bucket": "create", "emails": ["ops@acme.example"]}, opts
    ),
    "GoldenAmiPipeline": lambda opts: GoldenAmiPipeline("base", PIPELINE, opts),
    "ChangeFreezeGuard": lambda opts: ChangeFreezeGuard("acme", FREEZE_GUARD, opts),
    "CustomerPatching": lambda opts: CustomerPatching("acme", STACK, opts),
    "WindowCatchUp": lambda opts: WindowCatchUp("w-catch-up", CATCH_UP, opts),
    "CircuitBreaker": lambda opts: CircuitBreaker("acme", BREAKER, opts),
}


@pytest.mark.parametrize("how", ["providers", "provider"])
@pytest.mark.parametrize("component", sorted(COMPONENTS))
def test_the_callers_provider_reaches_every_child_and_invoke(component, how):
    def program():
        customer_account = aws.Provider("customer-account", region="us-east-2")
        opts = (
            pulumi.ResourceOptions(providers={"aws": customer_account})
            if how == "providers"
            else pulumi.ResourceOptions(provider=customer_account)
        )
        COMPONENTS[component](opts)

    run = run_program({}, stack="providers", program=program)
    (provider,) = run.of_type("pulumi:providers:aws")
    children = [r for r in run.resources if r.custom and r is not provider]
    assert children
    missed = [f"{r.type} {r.name}" for r in children if not r.provider.startswith(provider.urn + "::")]
    assert missed == []
    assert run.invokes or component in ("SecurityBaseline", "PatchWindow")
    assert [i.token for i in run.invokes if not i.provider.startswith(provider.urn + "::")] == []


def test_without_a_provider_everything_uses_the_default_one():
    run = run_program({}, stack="providers", program=lambda: CustomerPatching("acme", STACK))
    assert {r.provider for r in run.resources if r.custom} == {""}
    assert {i.provider for i in run.invokes} == {""}
