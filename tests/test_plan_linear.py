"""`patching plan` stays linear in the number of resources (issue 27, item 8: `_regions_of` scanned the
whole list for each ancestor of each resource, 5.3 s at 9,358 resources)."""

from __future__ import annotations

import io
import time
from contextlib import redirect_stdout
from types import SimpleNamespace

import pytest

from conftest import EXAMPLE_STACKS
from patching_components.tools import engine, plan
from patching_components.tools.engine import ProgramRun, RegisteredResource

REGIONS = ("eu-west-1", "eu-central-1", "us-east-1")


def resource(urn: str, parent: str | None, *, custom: bool, region: str = "", inputs=None) -> RegisteredResource:
    type_, name = urn.rsplit("::", 2)[-2:]
    return RegisteredResource(type_, name, urn, parent, dict(inputs or {}), custom, region=region)


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:acme::patching::{type_}::{name}"


def test_each_resource_gets_its_own_region_and_each_component_the_regions_below_it():
    customer, baseline, empty = urn("c:i:Customer", "acme"), urn("c:i:Baseline", "al2023"), urn("c:i:Empty", "e")
    provider = urn("pulumi:providers:aws", "us-east-1")
    dublin, virginia = urn("aws:ssm/patchBaseline:PatchBaseline", "a"), urn("aws:ssm/patchGroup:PatchGroup", "b")
    resources = [
        resource(customer, None, custom=False),
        resource(baseline, customer, custom=False),
        resource(empty, customer, custom=False),
        # a provider's region is its own `region` input, not the region of the provider that built it
        resource(provider, customer, custom=True, region="eu-west-1", inputs={"region": "us-east-1"}),
        resource(dublin, baseline, custom=True, region="eu-west-1"),
        resource(virginia, baseline, custom=True, region="us-east-1"),
        resource(urn("aws:iam/role:Role", "r"), None, custom=True, region="eu-west-1"),
        resource(urn("aws:s3/bucket:Bucket", "orphan"), urn("c:i:Gone", "x"), custom=True, region="eu-central-1"),
    ]
    assert plan.regions_of(resources) == {
        customer: "eu-west-1,us-east-1",
        baseline: "eu-west-1,us-east-1",
        empty: "",
        provider: "us-east-1",
        dublin: "eu-west-1",
        virginia: "us-east-1",
        urn("aws:iam/role:Role", "r"): "eu-west-1",
        urn("aws:s3/bucket:Bucket", "orphan"): "eu-central-1",
    }


def synthetic_run(groups: int) -> ProgramRun:
    """A customer as the program builds one, grown: per group a window component in each region, four
    custom resources in each, and a role (16 resources a group), under the customer component."""
    customer = urn("patching-components:index:CustomerPatching", "acme")
    resources = [resource(customer, None, custom=False)]
    for region in REGIONS:
        provider = urn("pulumi:providers:aws", region)
        resources.append(resource(provider, customer, custom=True, region="eu-west-1", inputs={"region": region}))
    for group in range(groups):
        for region in REGIONS:
            window = urn("patching-components:index:PatchWindow", f"g{group}-{region}")
            resources.append(resource(window, customer, custom=False))
            for kind in ("MaintenanceWindow", "MaintenanceWindowTarget", "MaintenanceWindowTask", "PatchGroup"):
                name = f"g{group}-{region}-{kind}"
                resources.append(resource(urn(f"aws:ssm/{kind}:{kind}", name), window, custom=True, region=region))
        resources.append(resource(urn("aws:iam/role:Role", f"g{group}"), customer, custom=True, region="eu-west-1"))
    return ProgramRun(resources=resources, outputs={}, warnings=[], region="eu-west-1")


class Counted(RegisteredResource):
    """A resource that counts how often its urn and parent are read (the work of finding a parent)."""

    reads = 0

    def __getattribute__(self, name: str):
        if name in ("urn", "parent"):
            Counted.reads += 1
        return super().__getattribute__(name)


def test_regions_of_reads_each_resource_a_bounded_number_of_times():
    """Cheap and exact: the old scan read ~n urns per ancestor of each of the n resources."""
    resources = [
        Counted(r.type, r.name, r.urn, r.parent, r.inputs, r.custom, region=r.region)
        for r in synthetic_run(200).resources
    ]
    Counted.reads = 0
    region_of = plan.regions_of(resources)
    assert len(region_of) == len(resources) == 1 + 3 + 200 * (3 * 5 + 1)
    # each resource: its urn and parent in the index, its parent again, and one look-up per ancestor (depth 2)
    assert Counted.reads <= 8 * len(resources), f"{Counted.reads} reads for {len(resources)} resources"


def plan_seconds(monkeypatch, groups: int, output: str) -> float:
    """CPU time of `patching plan` (all of plan's own work: sort, regions, tree, inputs) on a synthetic run: this
    process's alone, so that other processes (a busy machine, pytest-xdist's other workers) do not count."""
    run, checked = synthetic_run(groups), plan.load(EXAMPLE_STACKS[0])
    monkeypatch.setattr(engine, "run_stack_file", lambda path: run)
    monkeypatch.setattr(plan, "load", lambda path, esc=None: checked)  # the stack file is read once, outside the timing
    args = SimpleNamespace(stack_file=str(EXAMPLE_STACKS[0]), format=output)
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        with redirect_stdout(io.StringIO()):
            assert plan.run(args) == 0
        best = min(best, time.process_time() - started)
    return best


@pytest.mark.slow
@pytest.mark.parametrize("output", ["text", "json"])
def test_plan_time_grows_linearly_with_the_resources(monkeypatch, output):
    """4x the resources (3.2k to 12.8k): linear work takes ~4x as long, the old quadratic step ~16x."""
    small, large = plan_seconds(monkeypatch, 200, output), plan_seconds(monkeypatch, 800, output)
    assert large / small < 8, f"{small:.3f} s for 200 groups, {large:.3f} s for 800"
