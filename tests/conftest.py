"""Shared helpers: run the real program (programs/customer_patching) under the mock engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.engine import Run, run_program, run_stack_file

ROOT = Path(__file__).resolve().parent.parent
PROGRAM_DIR = ROOT / "programs" / "customer_patching"
EXAMPLE_STACKS = sorted((ROOT / "stacks").glob("Pulumi.*.yaml"))
BAD_STACKS = sorted((Path(__file__).parent / "bad_stacks").glob("Pulumi.*.yaml"))


def run_stack(path: Path) -> Run:
    return run_stack_file(path, program=PROGRAM_DIR)


def run_config(config: dict[str, Any], stack: str = "test", **kwargs: Any) -> Run:
    """Run the real program with ``patching:`` keys given without their namespace."""
    full = {key if ":" in key else f"patching:{key}": value for key, value in config.items()}
    return run_program(full, stack=stack, program=PROGRAM_DIR, **kwargs)


MINIMAL = {
    "customer": "acme",
    "baselines": {"al2023": {"operatingSystem": "AMAZON_LINUX_2023"}},
    "patchGroups": {"acme-web": {"baselines": ["al2023"]}},
}


@pytest.fixture(scope="session")
def example_runs() -> dict[str, Run]:
    """Each example stack run once per session (the runs are deterministic)."""
    return {path.name: run_stack(path) for path in EXAMPLE_STACKS}
