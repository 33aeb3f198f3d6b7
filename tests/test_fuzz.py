"""Mutated example stacks (hypothesis, fixed seed): no input breaks validate, plan or the
program, validate and the program always agree, and every AWS request of a valid mutant
satisfies botocore's models.

Slow (a program run per mutant): ``pytest -m slow`` runs it, as ``.ci/run`` does.
Set FUZZ_EXAMPLES for a longer search.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import re

import pulumi
import pytest
import time_machine
import yaml
from hypothesis import HealthCheck, event, given, seed, settings
from hypothesis import strategies as st
from test_aws_limits import every_request_problem
from test_standard_agreement import TODAY, pack_findings

from conftest import EXAMPLE_STACKS
from patching_components.checks import check_stack
from patching_components.cli import main
from patching_components.config import ConfigError, read_stack_yaml
from patching_components.mock_engine import ProgramError
from tests.engine import run_stack_file

pytestmark = pytest.mark.slow

EXAMPLES = {path.name: path.read_text() for path in EXAMPLE_STACKS}

# Values that broke something once, or sit on an edge of a rule.
ODD_VALUES = [
    None,
    True,
    0,
    -1,
    7,
    2**70,
    1.5,
    "",
    "null",
    "true",
    "x" * 300,
    "a\nb",
    "\x1b[31mred",
    "ünïcödé",
    "cron(0 0 30 2 ? *)",
    "cron(0 2 ? * SUN 2001)",
    "rate(1 day)",
    "localtime",
    "12345678",
    "100%",
    "0",
    [],
    {},
    [1, "a", None],
    {"secure": "v1:AAAABBBB"},
    {"a": [1, {"b": None}]},
    '{"Owner": "x"}',
    "Customer",
    "customer",
    "xn--bucket",
    "a" * 3,
    "ops@@example",
    "t3.notatype",
]


def paths(value, prefix=()):
    """Every key path below a value."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*prefix, index))


@st.composite
def mutated_config(draw):
    name = draw(st.sampled_from(sorted(EXAMPLES)))
    config = copy.deepcopy(read_stack_yaml(EXAMPLES[name])["config"])
    for _ in range(draw(st.integers(1, 3))):
        targets = [p for p in paths(config) if p and str(p[0]).startswith("patching:")]
        path = draw(st.sampled_from(targets))
        parent = config
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "replace", "secret", "delete", "rename", "copy"]))
        if action == "secret":  # as `pulumi config set --secret --path` stores it
            parent[path[-1]] = {"secure": "v1:" + draw(st.text("ABCDEF0123456789", min_size=4, max_size=8))}
        elif action == "replace":
            parent[path[-1]] = draw(st.sampled_from(ODD_VALUES) | st.text(max_size=12) | st.integers(-5, 10**6))
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            key = draw(st.sampled_from([*map(str, parent), "a", "a-b", "b-c", "2024", "Weird Key", "x" * 41]))
            if action == "rename":
                parent[key] = parent.pop(path[-1])
            else:
                parent[key] = copy.deepcopy(parent[path[-1]])
        else:
            parent.append(copy.deepcopy(parent[path[-1]]))
    return name, config


TEXT_EDITS = [
    (r": true\b", ": yes"),
    (r": (\d+)\n", r": !!int \1\n"),
    (r": (\d+)\n", r": \1_0\n"),
    (r"(\n  patching:customer: .*)", r"\1\1"),
    (r": (cron\([^)]*\))", r": \1\n"),
    (r": (\w+)\n", r": !!binary \1\n"),
    (r": (\w+)\n", r": &x \1\n"),
    (r"(\n  aws:region: .*)", "\n  aws:deep: " + "[" * 120 + "]" * 120),
]


@st.composite
def stack_text(draw):
    name, config = draw(mutated_config())
    text = yaml.safe_dump({"config": config}, sort_keys=False, allow_unicode=True, width=10**6)
    if draw(st.booleans()):
        pattern, replacement = draw(st.sampled_from(TEXT_EDITS))
        text = re.sub(pattern, replacement, text, count=1)
    return name, text


def plan(path):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["plan", "--format", "json", str(path)])
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue()


def program_outcome(path):
    """The program's config errors, or the policy pack's mandatory findings on what it built."""
    try:
        run = run_stack_file(path)
    except ProgramError as exc:
        assert isinstance(exc.error, pulumi.RunError), f"the program crashed: {exc.error!r}"
        assert exc.resources == [], "an invalid stack registered resources"
        return sorted(line.split(": ", 1)[1] for line in str(exc).splitlines()[1:])
    # What the program builds, AWS accepts: every create call satisfies botocore's models.
    assert every_request_problem(run) == []
    return pack_findings(run.resources)[0] or None


@time_machine.travel(TODAY, tick=False)
@seed(20261201)
@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(stack_text())
def test_no_mutant_breaks_validate_plan_or_the_program(tmp_path_factory, mutant):
    name, text = mutant
    path = tmp_path_factory.mktemp("fuzz") / name
    path.write_text(text)
    try:
        check_stack(path)
        offline = None
    except ConfigError as exc:
        lines = exc.lines()
        assert all(line.startswith(str(path)) for line in lines), lines
        assert all("\x1b" not in line for line in lines), lines
        offline = sorted(f"{i.key_path()}: {i.message}" for i in exc.issues)
        structural = any(not issue.path for issue in exc.issues)  # not YAML the CLI reads, or no config
        event("refused as a file" if structural else "invalid config")
        if structural:
            assert plan(path)[0] == 2
            return
        # Every message names its key path (or, for namespace problems, the namespace).
        assert all(issue.path for issue in exc.issues), offline
    if offline is None:
        event("valid")
    code, out = plan(path)
    assert code == (0 if offline is None else 1)
    if offline is None:
        json.loads(out)
    # validate = the model and the patching standard; the program = the model, then the pack at preview.
    program = program_outcome(path)
    assert (offline is None) == (program is None), (offline, program)
