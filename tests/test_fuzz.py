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
from patching_components.config import ConfigError, StackFileError, read_stack_yaml
from patching_components.tools.cli import main
from patching_components.tools.engine import ProgramError
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
    # Issue 26 (items 11-14, 19-22): time bombs, zones, days of week, regions, huge and strict values.
    "at(2020-01-01T00:00:00)",
    "cron(0 2 ? * 7 *)",
    "cron(0 2 ? * 2-6 2020)",
    "rate(99999999999 days)",
    "rate(0001 day)",
    "EST",
    "CST",
    "UTC+1",
    "Etc/GMT+5",
    "0001-01-01",
    "9999-12-31T23:59",
    "EU-WEST-1",
    "eu-west-1a",
    "*",
    "eu-west-1 ",
    "x" * 100_000,
    "\U0001d400" * 129,
    False,
    ["x"] * 999,
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
            # A copy: a later mutation may change it in place, and ODD_VALUES must stay as it is for the
            # examples that follow (hypothesis replays each one and needs the same data).
            parent[path[-1]] = copy.deepcopy(
                draw(st.sampled_from(ODD_VALUES) | st.text(max_size=12) | st.integers(-5, 10**6))
            )
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
    (r"\n(\s+)- [^\n]+", r"\n\1- <<"),  # a merge key as a list item
    (r"\n  aws:region: .*", "\n  aws:region: EU-WEST-1"),
    (r"\n  aws:region: .*", ""),  # no aws:region (several regions need one)
    (r"\n  aws:region: (.*)", r"\n  aws:region: \1a"),  # an availability zone
]


@st.composite
def stack_text(draw):
    name, config = draw(mutated_config())
    text = yaml.safe_dump({"config": config}, sort_keys=False, allow_unicode=True, width=10**6)
    if draw(st.booleans()):
        pattern, replacement = draw(st.sampled_from(TEXT_EDITS))
        text = re.sub(pattern, replacement, text, count=1)
    return name, text


def check_messages(lines):
    """What every message holds to (issue 26, item 22): no value echoed whole, no internal class
    name, one line for the same mistake in many list items."""
    assert len(lines) <= 200, len(lines)
    for line in lines:
        assert len(line) < 3000, line[:300]
        assert not re.search(r"\b[A-Z][A-Za-z]*Config\b|instance of|Traceback", line), line


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
@given(st.tuples(stack_text(), st.sampled_from([False] * 9 + [True])).map(lambda m: (*m[0], m[1])))
def test_no_mutant_breaks_validate_plan_or_the_program(tmp_path_factory, mutant):
    name, text, latin1 = mutant
    path = tmp_path_factory.mktemp("fuzz") / name
    if latin1:  # a file saved in another encoding than the CLI's UTF-8
        path.write_bytes(text.replace("patching:customer: ", "patching:customer: \u00e9").encode("latin-1", "replace"))
    else:
        path.write_text(text)
    try:
        warnings = check_stack(path).warnings
        check_messages([w.message for w in warnings])
        offline = None
    except ConfigError as exc:
        lines = exc.lines()
        check_messages(lines)
        assert all(line.startswith(str(path)) for line in lines), lines
        assert all("\x1b" not in line for line in lines), lines
        offline = sorted(f"{i.key_path()}: {i.message}" for i in exc.issues)
        structural = isinstance(exc, StackFileError)  # not YAML the CLI reads, or no config
        event("refused as a file" if structural else "invalid config")
        if structural:
            assert plan(path)[0] == 2
            return
        # Every message names its key path (or, for namespace problems, the namespace; aws:region's, that key).
        assert all(issue.path or issue.message.startswith("aws:region: ") for issue in exc.issues), offline
    if offline is None:
        event("valid")
    code, out = plan(path)
    # plan never picks a region itself: without aws:region it refuses (issue 26, item 14).
    region_set = "\n  aws:region: " in text
    assert code == (0 if offline is None and region_set else 1)
    if offline is None and region_set:
        json.loads(out)
    # validate = the model and the patching standard; the program = the model, then the pack at preview.
    program = program_outcome(path)
    assert (offline is None) == (program is None), (offline, program)


@time_machine.travel(TODAY, tick=False)
@seed(20261204)
@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "150")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(mutated_config(), st.data())
def test_no_decrypted_secret_breaks_the_program(mutant, data):
    """``pulumi up`` hands the program a secret's plain text with its top-level key marked secret:
    whatever that text is, the program fails with a located RunError or builds, as it does when
    the same value is not secret."""
    from patching_components.config.secrets import is_secure, may_hold_secrets
    from tests.engine import run_program

    name, config = mutant
    config = {k: v for k, v in config.items() if not is_secure(v)}  # ciphertext: the engine decrypts it
    keys = sorted(k for k in config if k.startswith("patching:") and k != "patching:customer")
    if not keys:
        return
    key = data.draw(st.sampled_from(keys))
    stack = name[len("Pulumi.") : -len(".yaml")]

    def outcome(secret_keys):
        try:
            run_program(config, stack=stack, secret_keys=secret_keys)
            return None
        except ProgramError as exc:
            assert isinstance(exc.error, pulumi.RunError), f"the program crashed: {exc.error!r}"
            assert exc.resources == [], "an invalid stack registered resources"
            lines = str(exc).splitlines()
            check_messages(lines)
            return len(lines)

    secret = outcome([key])
    event("secret: program refused" if secret else "secret: program built")
    if may_hold_secrets(key.partition(":")[2]):
        assert (secret is None) == (outcome(None) is None)
    else:  # a key that names resources cannot be secret (URNs are not): always refused
        assert secret is not None
