"""The `patching` command through its entry point."""

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from conftest import BAD_STACKS, EXAMPLE_STACKS, ROOT
from patching_components.config import read_stack_yaml
from patching_components.tools.cli import main
from patching_components.tools.schema import stack_file_schema


def run_cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_validate_defaults_to_the_stacks_folder(capsys, monkeypatch, tmp_path):
    # A folder of its own: the repository's stacks/ is the MSP's fleet, which grows and changes.
    (tmp_path / "stacks").mkdir()
    for path in EXAMPLE_STACKS:
        (tmp_path / "stacks" / path.name).write_text(path.read_text())
    monkeypatch.chdir(tmp_path)
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
    assert f"  {bad}:13: patching:maintenanceWindows.w.timezone: 'Mars/Olympus' is not an IANA time zone name" in out
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
    assert all(set(r) == {"type", "name", "parent", "region", "inputs"} for r in resources)
    assert {r["region"] for r in resources if r["type"].startswith("aws:")} == {"us-east-1"}  # aws:region
    ubuntu = next(
        r for r in resources if r["type"] == "aws:ssm/patchBaseline:PatchBaseline" and r["name"] == "globex-ubuntu"
    )
    assert ubuntu["inputs"]["operatingSystem"] == "UBUNTU"
    assert ubuntu["parent"].endswith("SecurityBaseline::globex-ubuntu")
    # ARNs in the stack's own region (aws:region us-east-1), never a fixed one.
    text = json.dumps(resources)
    assert "arn:aws:ssm:us-east-1:123456789012:parameter/patching/globex/golden-ami/win2022-fileserver" in text
    assert "eu-west-1" not in text


def test_plan_of_an_invalid_stack_exits_1_with_the_errors(capsys):
    code, out, err = run_cli(capsys, "plan", str(BAD_STACKS[0]))
    assert code == 1 and out == ""
    assert err.startswith(f"{BAD_STACKS[0]}:")
    assert ": patching:" in err.splitlines()[0]


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


@pytest.mark.slow  # 2 s of subprocesses; test_packaging runs the installed `patching` in the slow run too
def test_console_script_is_installed():
    exe = Path(sys.executable).parent / "patching"  # installed beside the interpreter running the tests
    example = EXAMPLE_STACKS[0]
    result = subprocess.run([exe, "validate", str(example)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "1 valid, 0 invalid" in result.stdout
    result = subprocess.run(
        [sys.executable, "-m", "patching_components.tools.cli", "--help"], capture_output=True, text=True
    )
    assert result.returncode == 0 and "validate" in result.stdout


def test_validate_json_report(capsys):
    bad = ROOT / "tests" / "bad_stacks" / "Pulumi.al-severity-value.yaml"
    code, out, _ = run_cli(capsys, "validate", "--format", "json", str(EXAMPLE_STACKS[0]), str(bad))
    assert code == 1
    report = json.loads(out)
    assert (report["valid"], report["invalid"]) == (1, 1)
    ok, failed = report["files"]
    assert ok["valid"] and ok["errors"] == [] and ok["summary"].startswith("customer acme")
    assert failed == {
        "file": str(bad),
        "valid": False,
        "readable": True,
        "warnings": [],
        "errors": [
            {
                "line": 7,
                "keyPath": "patching:baselines.al2023.severities[1]",
                "message": "'Moderate' is not a SEVERITY value for AMAZON_LINUX_2023; "
                "allowed: Critical, Important, Medium, Low",
            }
        ],
    }


@pytest.mark.parametrize(
    ("content", "code", "message"),
    [
        ("config: [\n", 2, ":2: not valid YAML: "),
        ("just: a mapping\n", 2, "not a Pulumi stack file: it needs a top-level 'config:' mapping"),
        ("- a\n- list\n", 2, "not a Pulumi stack file"),
        ("", 2, "not a Pulumi stack file"),
        ("config: {}\n", 1, "no patching:* keys (the config map is empty)"),
        (
            "config:\n  aws:region: eu-west-1\n  patchng:customer: acme\n",
            1,
            "no patching:* keys (namespaces found: aws, patchng); did you mean patching: instead of patchng:?",
        ),
        ("config:\n  patching:customer: acme\n  patching:baselines: {}\n", 1, "at least one baseline is required"),
    ],
)
def test_friendly_one_line_failures(capsys, tmp_path, content, code, message):
    path = tmp_path / "Pulumi.broken.yaml"
    path.write_text(content)
    exit_code, out, err = run_cli(capsys, "validate", str(path))
    assert exit_code == code
    assert "Traceback" not in out + err
    (line,) = [line for line in out.splitlines() if line.startswith("  ")]
    assert line.startswith(f"  {path}") and message in line


def test_unreadable_file_in_plan_and_calendar_is_a_usage_error(capsys, tmp_path):
    path = tmp_path / "Pulumi.broken.yaml"
    path.write_text("config: [\n")
    for command in ("plan", "calendar"):
        code, out, err = run_cli(capsys, command, str(path))
        assert code == 2 and out == ""
        assert err.startswith(f"patching: error: {path}:2: not valid YAML: ")
        assert len(err.strip().splitlines()) == 1


def test_no_stack_files_is_a_usage_error(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "validate")
    assert code == 2 and "no stack files given and none match stacks/Pulumi.*.yaml" in err


def test_plan_is_the_same_text_every_time_and_shows_every_input_in_full(capsys):
    """Reviewers diff plans: the order must not follow the engine's scheduling, and no value is cut."""
    stack = str(ROOT / "stacks" / "Pulumi.globex.yaml")
    outputs = [run_cli(capsys, "plan", stack)[1] for _ in range(3)]
    assert outputs[0] == outputs[1] == outputs[2]
    assert "..." not in outputs[0]
    # A whole policy statement and a whole runbook step are there to read.
    assert '"Sid": "PatchThisCustomersGroups"' in outputs[0]
    assert "ec2.terminate_instances(InstanceIds=instances)" in outputs[0]
    json_outputs = [run_cli(capsys, "plan", stack, "--format", "json")[1] for _ in range(2)]
    assert json_outputs[0] == json_outputs[1]


def test_plan_masks_secret_inputs_in_every_format():
    from patching_components.tools.plan import input_line, masked
    from tests.engine import Resource

    resource = Resource("t:i:T", "t", "urn:t", None, {"password": "hunter2", "a": 1}, True)
    resource.secret_inputs = ["password"]
    assert masked(resource) == {"password": "[secret]", "a": 1}  # what both formats print
    assert input_line("", "password", masked(resource)["password"]) == 'password: "[secret]"'


# -- inputs that used to end in a traceback (issue 26, item 19) ---------------------------

STACK_HEAD = """config:
  aws:region: eu-west-1
  patching:customer: acme
  patching:baselines:
    al2023: {operatingSystem: AMAZON_LINUX_2023}
"""
TWO_WINDOWS = """  patching:maintenanceWindows:
    scan: {schedule: "cron(0 1 ? * * *)", durationHours: 2, cutoffHours: 1, operation: Scan}
    install: {schedule: "RATE", durationHours: 2, cutoffHours: 1, operation: Install}
  patching:patchGroups:
    web: {baselines: [al2023], maintenanceWindows: [scan, install]}
"""


def written(tmp_path, text, name="acme"):
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(text)
    return path


def test_a_merge_key_as_a_list_item_is_an_error_in_validate_plan_and_calendar(capsys, tmp_path):
    path = written(tmp_path, STACK_HEAD + "  patching:patchGroups:\n    web:\n      baselines:\n        - <<\n")
    for command in ("validate", "plan", "calendar"):
        code, out, err = run_cli(capsys, command, str(path))
        assert code == 1, (command, out, err)
        assert "Traceback" not in out + err
        assert f"{path}:9: patching:patchGroups.web.baselines[0]: unknown baseline '<<'" in out + err


@pytest.mark.parametrize("count", ["99999999999 days", "9999999999999999999999 minutes"])
def test_a_rate_beyond_any_date_is_no_traceback(capsys, tmp_path, count):
    from tests.engine import run_stack_file

    path = written(tmp_path, STACK_HEAD + TWO_WINDOWS.replace("RATE", f"rate({count})"))
    for command in ("validate", "plan", "calendar"):
        code, out, err = run_cli(capsys, command, str(path))
        assert code == 0 and "Traceback" not in out + err, (command, err)
    run_stack_file(path)  # the program, which also checks the overlaps


@pytest.mark.parametrize(("start", "end"), [("0001-01-01", "0001-01-03"), ("9999-12-30", "9999-12-31T23:59")])
def test_freezes_in_year_1_or_9999_are_located_errors_everywhere(capsys, tmp_path, start, end):
    import pulumi

    from patching_components.tools.engine import ProgramError
    from tests.engine import run_stack_file

    freeze = f'  patching:changeFreezes:\n    odd: {{start: "{start}", end: "{end}", timezone: America/New_York}}\n'
    path = written(tmp_path, STACK_HEAD + "  patching:patchGroups:\n    web: {baselines: [al2023]}\n" + freeze)
    expected = f"{path}:9: patching:changeFreezes.odd.start: '{start}': the year must be 1970-2199"
    for command in ("validate", "plan", "calendar"):
        code, out, err = run_cli(capsys, command, str(path))
        assert code == 1 and expected in out + err and "Traceback" not in out + err, (command, out, err)
    with pytest.raises(ProgramError) as info:
        run_stack_file(path)
    assert isinstance(info.value.error, pulumi.RunError)
    assert "patching:changeFreezes.odd.start: " in str(info.value)


def test_a_file_that_is_not_utf8_is_a_located_error_also_for_the_program(capsys, tmp_path):
    from patching_components.config import StackFileError
    from tests.engine import run_stack_file

    path = tmp_path / "Pulumi.acme.yaml"
    path.write_bytes(STACK_HEAD.encode().replace(b"acme", b"acm\xe9"))
    with pytest.raises(StackFileError) as info:
        run_stack_file(path)
    assert info.value.lines() == [
        f"{path}:3: not UTF-8 text (byte 0xe9 at line 3); the Pulumi CLI reads stack files as UTF-8: "
        "save the file as UTF-8"
    ]
    code, out, _ = run_cli(capsys, "validate", str(path))
    assert code == 2 and f"{path}:3: not UTF-8 text" in out


def test_plan_never_defaults_the_region(capsys, tmp_path):
    path = written(
        tmp_path,
        STACK_HEAD.replace("  aws:region: eu-west-1\n", "") + "  patching:patchGroups:\n"
        "    web: {baselines: [al2023]}\n",
    )
    code, out, err = run_cli(capsys, "plan", str(path))
    assert code == 1 and out == ""
    assert err.strip() == (
        f"{path}: aws:region is not set: the stack's default provider builds in it (IAM, the log bucket, the "
        "primary region); set it: pulumi config set aws:region eu-west-1 --stack acme"
    )
    path.write_text(path.read_text().replace("config:\n", "config:\n  aws:region: ap-south-1\n"))
    code, out, _ = run_cli(capsys, "plan", str(path), "--format", "json")
    assert code == 0
    regions = {r["region"] for r in json.loads(out) if r["region"] and "," not in r["region"]}
    assert regions == {"ap-south-1"}


def test_plan_of_a_file_not_named_like_a_stack_is_a_usage_error(capsys, tmp_path):
    path = tmp_path / "acme.yaml"
    path.write_text(STACK_HEAD + "  patching:patchGroups:\n    web: {baselines: [al2023]}\n")
    code, _, err = run_cli(capsys, "plan", str(path))
    assert code == 2 and "a stack file is named Pulumi.<stack>.yaml" in err and "Traceback" not in err
