"""The benchmark runner measures what it claims to (figures themselves are not asserted:
a slow machine must not fail the build)."""

import dataclasses
import json

import pytest

from benchmarks.__main__ import main as benchmarks_main
from benchmarks.fleet import scaled_fleet, write_stack_corpus
from benchmarks.replay import direct_program, same_resources
from conftest import EXAMPLE_STACKS
from patching_components.checks import check_stack_file
from patching_components.config import split_namespace, validate
from tests.engine import run_program

# Tooling, not the product: .ci/run runs it with the slow tests; the default run stays quick.
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("path", EXAMPLE_STACKS, ids=lambda p: p.name)
@pytest.mark.parametrize("keep_components", [False, True])
def test_the_hand_written_baseline_registers_exactly_what_the_program_does(path, keep_components, example_runs):
    recorded = example_runs[path.name]
    replayed = run_program({}, stack="replay", program=direct_program(recorded, keep_components=keep_components))
    assert same_resources(recorded, replayed) is None
    assert sum(not r.custom for r in replayed.resources) == (
        sum(not r.custom for r in recorded.resources) if keep_components else 0
    )


def test_the_baseline_passes_outputs_between_resources_like_a_program_would(example_runs):
    """Tasks wait for their window and target: they register after both, as in the real program."""
    replayed = run_program({}, stack="replay", program=direct_program(example_runs["Pulumi.globex.yaml"]))
    order = [r.name for r in replayed.resources]
    for window in ("nightly-scan", "tue-install", "sat-install"):
        assert order.index(f"globex-{window}-patch") > order.index(f"globex-{window}-targets")
        assert order.index(f"globex-{window}-targets") > order.index(f"globex-{window}")


def test_a_baseline_that_differs_is_reported(example_runs):
    recorded = example_runs["Pulumi.initech.yaml"]
    changed = dataclasses.replace(recorded, resources=list(recorded.resources))
    index = next(i for i, r in enumerate(changed.resources) if r.type == "aws:ssm/patchBaseline:PatchBaseline")
    baseline = changed.resources[index]
    changed.resources[index] = dataclasses.replace(baseline, inputs={**baseline.inputs, "description": "edited"})
    problem = same_resources(recorded, changed)
    assert problem is not None and baseline.name in problem and "edited" in problem


def test_scaled_fleets_are_valid_and_proportioned():
    config = validate(split_namespace(scaled_fleet(120), "scaled"), "scaled")
    assert len(config.patch_groups) == 120
    assert len(config.baselines) == 12 and len(config.maintenance_windows) == 12
    assert {b.operating_system for b in config.baselines.values()} == {
        "AMAZON_LINUX_2023",
        "UBUNTU",
        "WINDOWS",
        "REDHAT_ENTERPRISE_LINUX",
    }


def test_the_validation_corpus_is_valid(tmp_path):
    paths = write_stack_corpus(tmp_path, 7)
    assert len({p.name for p in paths}) == 7
    assert len({check_stack_file(p).customer for p in paths}) == 7


def test_quick_run_prints_and_writes_every_figure(tmp_path, capsys):
    output = tmp_path / "results.json"
    assert benchmarks_main(["--quick", "--output", str(output)]) == 0
    report = json.loads(output.read_text())
    names = [figure["name"] for figure in report["figures"]]
    assert [name.split(":")[0].split(" (")[0] for name in names] == [
        "component overhead",
        "scaling",
        "scaling",
        "import",
        "validation",
    ]
    for figure in report["figures"]:
        assert figure["value"] > 0 and figure["target"] and isinstance(figure["ok"], bool)
    table = capsys.readouterr().out
    assert all(name in table for name in names)
