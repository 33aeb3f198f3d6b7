"""The `patching` command's layout and start-up: one module per subcommand, only the one given is
loaded, and the offline commands never import Pulumi or the AWS SDK (issue 27, items 6 and 8)."""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys

import pytest

from conftest import BAD_STACKS, EXAMPLE_STACKS, ROOT
from patching_components.tools import cli

# Every option of every subcommand, written out by hand from the command's documentation (docs/cli.md,
# "The patching command"): the split into modules must not lose or rename one.
OPTIONS = {
    "validate": {"stack_files", "--format", "--esc-config"},
    "plan": {"stack_file", "--format", "--esc-config"},
    "calendar": {
        "stack_files",
        "--weeks",
        "--start",
        "--ics",
        "--ics-dir",
        "--max-concurrent",
        "--format",
        "--esc-config",
    },
    "report": {
        "stack_file",
        "--format",
        "--out",
        "--region",
        "--profile",
        "--days",
        "--max-scan-age",
        "--sla",
        "--month",
        "--fleet",
        "--expect",
        "--max-age-days",
        "--esc-config",
    },
    "patch-now": {
        "stack_file",
        "--groups",
        "--operation",
        "--install-override-list",
        "--reboot",
        "--region",
        "--profile",
        "--ignore-freeze",
        "--install-scan-only",
        "--stop-on-alarm",
        "--yes",
        "--dry-run",
        "--esc-config",
    },
    "schema": set(),
    "rollback": {
        "stack_file",
        "--instance",
        "--execution",
        "--region",
        "--profile",
        "--yes",
        "--dry-run",
        "--esc-config",
    },
    "approve": {"stack_file", "--window", "--date", "--dry-run", "--esc-config"},
    "notice": {"stack_file", "--window", "--region", "--profile", "--dry-run", "--esc-config"},
    "deploy-policy": {"stack_file", "--format", "--account-id", "--read-only", "--esc-config"},
    "report-policy": {"stack_file", "--esc-config"},
    "promote": {"stack_file", "--ring", "--region", "--profile", "--force", "--dry-run", "--esc-config"},
    "resume": {"stack_file", "--region", "--profile", "--ignore-alarms", "--yes", "--dry-run", "--esc-config"},
}

HEAVY = {"pulumi", "pulumi_aws", "boto3", "botocore", "jinja2", "grpc"}
"""What the offline commands must not import: Pulumi (and its gRPC), the AWS SDK, the report's templates."""


def subparsers(parser):
    (action,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return action.choices


def test_every_subcommand_keeps_its_options_in_the_documented_order():
    commands = subparsers(cli.build_parser())
    assert list(commands) == [
        "validate",
        "plan",
        "calendar",
        "report",
        "patch-now",
        "schema",
        "rollback",
        "approve",
        "notice",
        "deploy-policy",
        "report-policy",
        "promote",
        "resume",
    ]  # --help's order
    for name, sub in commands.items():
        options = {a.option_strings[0] if a.option_strings else a.dest for a in sub._actions}
        assert options - {"-h"} == OPTIONS[name], name


@pytest.mark.parametrize("command", list(OPTIONS))
def test_a_parser_built_for_one_command_helps_exactly_like_the_whole_one(command):
    whole, only = cli.build_parser(), cli.build_parser([command])
    assert only.format_help() == whole.format_help()  # `patching --help`
    assert subparsers(only)[command].format_help() == subparsers(whole)[command].format_help()
    assert subparsers(only)[command].get_default("func") is subparsers(whole)[command].get_default("func")


def test_no_command_module_is_under_300_lines():
    tools = ROOT / "patching_components" / "tools"
    for module, _ in cli.COMMANDS.values():
        lines = len((tools / f"{module}.py").read_text().splitlines())
        assert lines <= 300, f"tools/{module}.py has {lines} lines"
    assert len((tools / "cli.py").read_text().splitlines()) <= 300


# -- what each command imports ---------------------------------------------------------------------

PROBE = """
import contextlib, io, json, sys
from patching_components.tools.cli import main
HEAVY = set(json.loads(sys.argv[2]))
found = []
for argv in json.loads(sys.argv[3]):  # one after the other, each what it added to sys.modules
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(argv)
    found.append({"argv": argv, "code": code, "loaded": sorted({m.split(".")[0] for m in sys.modules} & HEAVY)})
import patching_components  # the positive control: the components do bring Pulumi
patching_components.CustomerPatching
found.append({"argv": "patching_components.CustomerPatching", "code": 0,
              "loaded": sorted({m.split(".")[0] for m in sys.modules} & HEAVY)})
with open(sys.argv[1], "w") as file:
    json.dump(found, file)
"""

OFFLINE = [
    (["validate", *map(str, EXAMPLE_STACKS)], 0),
    (["validate", "--format", "json", *map(str, BAD_STACKS)], 1),  # every error path of validation
    (["calendar", *map(str, EXAMPLE_STACKS), "--weeks", "2", "--max-concurrent", "1", "--ics", "all.ics"], 0),
    (["calendar", str(EXAMPLE_STACKS[1]), "--format", "json", "--ics-dir", "ics"], 0),
    (["schema"], 0),
    (["report-policy", str(EXAMPLE_STACKS[0])], 0),  # the report's policy: no AWS SDK to print it
]


def test_the_offline_commands_import_neither_pulumi_nor_the_aws_sdk(tmp_path):
    """One fresh interpreter runs each offline command through cli.main, then asks the package for a
    component: nothing of HEAVY until then, Pulumi after (so the probe can see what it looks for)."""
    out = tmp_path / "probe.json"
    commands = json.dumps([argv for argv, _ in OFFLINE])
    subprocess.run(
        [sys.executable, "-c", PROBE, str(out), json.dumps(sorted(HEAVY)), commands],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=180,
        check=True,
    )
    *offline, components = json.loads(out.read_text())
    assert [(r["argv"], r["code"], r["loaded"]) for r in offline] == [(argv, code, []) for argv, code in OFFLINE]
    assert {"pulumi", "pulumi_aws", "grpc"} <= set(components["loaded"])


# -- start-up time -----------------------------------------------------------------------------------


def cpu_seconds(argv: list[str], runs: int) -> float:
    """Median CPU time (user + system) of ``python <argv>`` over ``runs`` runs: CPU rather than wall
    time, so that other work on a shared 2-core machine does not decide the result."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed package runs from its bytecode
    times = []
    for _ in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([sys.executable, *argv], cwd=ROOT, env=env, capture_output=True, timeout=120, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times[1:])  # the first run writes the bytecode


PATCHING = ["-m", "patching_components.tools.cli"]


@pytest.fixture(scope="module")
def baseline() -> float:
    """Python that imports pydantic and PyYAML, what every offline command needs at the least."""
    return cpu_seconds(["-c", "import pydantic, yaml"], 7)


@pytest.mark.slow
@pytest.mark.parametrize("command", ["validate", "calendar", "schema"])
def test_a_command_reaches_its_work_within_a_quarter_more_than_python_with_pydantic_and_yaml(command, baseline):
    """What `patching` itself costs before the command's work: the parser and the command's module
    (``<command> --help`` runs exactly that much)."""
    start = cpu_seconds([*PATCHING, command, "--help"], 7)
    assert start <= 1.25 * baseline, f"{command}: {start * 1000:.0f} ms against {baseline * 1000:.0f} ms"


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="issue 27 item 8, not met yet (measured ~3x CPU, was 3-5x): the baseline's `import pydantic` is lazy; "
    "BaseModel's machinery adds ~0.3x, pydantic's plugin discovery (importlib.metadata over every installed "
    "distribution) ~0.25x, the config model and StackConfig's validator ~0.5x, the checks' modules and the "
    "work the rest",
)
@pytest.mark.parametrize(
    "argv",
    [["validate", "stacks/Pulumi.acme.yaml"], ["calendar", "stacks/Pulumi.acme.yaml", "--weeks", "1"], ["schema"]],
    ids=lambda argv: argv[0],
)
def test_a_whole_offline_command_costs_within_a_quarter_more_than_python_with_pydantic_and_yaml(argv, baseline):
    whole = cpu_seconds([*PATCHING, *argv], 7)
    assert whole <= 1.25 * baseline, f"{argv[0]}: {whole * 1000:.0f} ms against {baseline * 1000:.0f} ms"
