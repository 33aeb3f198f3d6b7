"""The `patching` command through its entry point."""

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from conftest import BAD_STACKS, EXAMPLE_STACKS, ROOT
from patching_components.cli import main, stack_file_schema
from patching_components.config import read_stack_yaml


def run_cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_validate_defaults_to_the_stacks_folder(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    code, out, _ = run_cli(capsys, "validate")
    assert code == 0
    for path in EXAMPLE_STACKS:
        assert f"ok   stacks/{path.name}: customer " in out
    assert out.strip().endswith(f"{len(EXAMPLE_STACKS)} valid, 0 invalid")


def test_validate_lists_every_error_and_exits_1(capsys):
    bad = ROOT / "tests" / "bad_stacks" / "Pulumi.many-errors.yaml"
    code, out, _ = run_cli(capsys, "validate", str(EXAMPLE_STACKS[0]), str(bad))
    assert code == 1
    assert f"FAIL {bad}: 4 error(s)" in out
    assert f"  {bad}: patching:maintenanceWindows.w.timezone: 'Mars/Olympus' is not an IANA time zone name" in out
    assert out.strip().endswith("1 valid, 1 invalid")


def test_validate_a_missing_file_is_a_usage_error(capsys):
    code, _, err = run_cli(capsys, "validate", "stacks/Pulumi.nobody.yaml")
    assert code == 2
    assert err.strip() == "patching: error: stacks/Pulumi.nobody.yaml: no such file"


def test_plan_prints_the_tree_and_says_it_is_not_a_diff(capsys):
    code, out, _ = run_cli(capsys, "plan", str(ROOT / "stacks" / "Pulumi.acme.yaml"))
    assert code == 0
    assert "not a diff against live state" in out
    lines = out.splitlines()
    top = lines.index("patching-components:index:CustomerPatching acme")
    assert "  patching-components:index:SecurityBaseline acme-al2023" in lines[top:]
    assert "    aws:ssm/patchGroup:PatchGroup acme-al2023-acme-web" in lines
    assert '        patchGroup: "acme-web"' in lines


def test_plan_json_lists_resources_with_inputs(capsys):
    code, out, _ = run_cli(capsys, "plan", str(ROOT / "stacks" / "Pulumi.globex.yaml"), "--format", "json")
    assert code == 0
    resources = json.loads(out)
    assert all(set(r) == {"type", "name", "parent", "inputs"} for r in resources)
    ubuntu = next(
        r for r in resources if r["type"] == "aws:ssm/patchBaseline:PatchBaseline" and r["name"] == "globex-ubuntu"
    )
    assert ubuntu["inputs"]["operatingSystem"] == "UBUNTU"
    assert ubuntu["parent"].endswith("SecurityBaseline::globex-ubuntu")


def test_plan_of_an_invalid_stack_exits_1_with_the_errors(capsys):
    code, out, err = run_cli(capsys, "plan", str(BAD_STACKS[0]))
    assert code == 1 and out == ""
    assert err.startswith(f"{BAD_STACKS[0]}: patching:")


def test_schema_validates_examples_and_rejects_unknown_keys(capsys):
    code, out, _ = run_cli(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    assert schema == stack_file_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in EXAMPLE_STACKS:
        jsonschema.validate(read_stack_yaml(path.read_text()), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"config": {"patching:customer": "acme", "patching:baslines": {}}}, schema)
    with pytest.raises(jsonschema.ValidationError):
        bad = {"config": {"patching:customer": "acme", "patching:baselines": {"b": {"operatingSystem": "BEOS"}}}}
        jsonschema.validate(bad, schema)


def test_console_script_is_installed():
    exe = Path(sys.executable).parent / "patching"  # installed beside the interpreter running the tests
    result = subprocess.run([exe, "validate"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "valid, 0 invalid" in result.stdout
    result = subprocess.run([sys.executable, "-m", "patching_components.cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "validate" in result.stdout
