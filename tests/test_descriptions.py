"""Field docstrings are attached as descriptions when a schema, the docs' reference or the
components' args are made, not on import: whatever ran before, the outputs carry them."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import EXAMPLE_STACKS, ROOT

PROBE = """
import contextlib, io, json, sys
from patching_components.config import MaintenanceWindowConfig, StackConfig
from patching_components.tools.cli import main
with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
    if sys.argv[1:]:
        main(["validate", *sys.argv[1:]])  # the models are built (and used) first
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["schema"])
print(out.getvalue())
"""


def schema_after(*stacks: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, *stacks],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


def test_the_schema_carries_the_descriptions_whether_or_not_a_stack_was_validated_first():
    fresh, after_validating = schema_after(), schema_after(*map(str, EXAMPLE_STACKS))
    assert fresh == after_validating
    window = fresh["$defs"]["MaintenanceWindowConfig"]["properties"]
    # The field's docstring in the config model (sections.MaintenanceWindowConfig.cutoff_hours).
    assert window["cutoffHours"]["description"].startswith("Hours before the end from which no new task starts")
