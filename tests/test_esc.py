"""Stack files that import Pulumi ESC environments (issue 25, item 3).

The rules come from Pulumi's docs, not from the code: a stack file's ``environment:`` is a list of
environments or an environment definition with ``imports:`` ("Stack settings file reference");
``pulumi env open ENV --format json`` prints the environment's outputs, its stack config under
``pulumiConfig`` ("Outputs" reference of ESC); for a key set both in the stack file and in
``pulumiConfig``, the stack file's explicit value wins (same page); a key without a namespace takes
the project's (Pulumi "Configuration": our project is named ``patching``, Pulumi.yaml).
"""

from __future__ import annotations

import json
import re

import pytest

from conftest import ROOT
from patching_components.checks import check_stack
from patching_components.config.esc import read_esc_config
from patching_components.tools.cli import main

ACME = (ROOT / "stacks" / "Pulumi.acme.yaml").read_text()


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def stack(tmp_path, name, text, environment="environment:\n  - acme/prod\n"):
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(environment + text)
    return path


def esc_file(tmp_path, pulumi_config, **more):
    path = tmp_path / "esc.json"
    path.write_text(json.dumps({"pulumiConfig": pulumi_config, **more}))
    return path


def without(text, key):
    """The stack text without one top-level config key (a one-line key)."""
    kept = [line for line in text.splitlines() if not line.startswith(f"  {key}:")]
    assert len(kept) == len(text.splitlines()) - 1, key
    return "\n".join(kept) + "\n"


WARNING = re.compile(
    r"Pulumi\.acme-prod\.yaml:1: imports Pulumi ESC environment\(s\) acme/prod: .*not checked.*"
    r"pulumi env open ENV --format json.*--esc-config"
)


# -- without --esc-config: a warning, never an error --------------------------------------------


def test_validate_warns_about_environments_it_cannot_see_and_passes(capsys, tmp_path):
    path = stack(tmp_path, "acme-prod", ACME)
    code, out, _ = run_cli(capsys, "validate", path)
    assert code == 0
    (warning,) = [line for line in out.splitlines() if "ESC" in line]
    assert warning.startswith("  warning: ") and WARNING.search(warning)
    code, out, _ = run_cli(capsys, "validate", "--format", "json", path)
    (report,) = json.loads(out)["files"]
    assert any("acme/prod" in w["message"] and w["line"] == 1 for w in report["warnings"])


def test_the_environment_definition_form_is_read_too(capsys, tmp_path):
    definition = "environment:\n  imports:\n    - acme/common\n    - acme/prod\n"
    path = stack(tmp_path, "acme-prod", ACME, environment=definition)
    code, out, _ = run_cli(capsys, "validate", path)
    assert code == 0
    assert "imports Pulumi ESC environment(s) acme/common, acme/prod:" in out


def test_a_stack_without_environment_gets_no_such_warning(capsys, tmp_path):
    path = stack(tmp_path, "acme-prod", ACME, environment="")
    code, out, _ = run_cli(capsys, "validate", path)
    assert code == 0
    assert "ESC" not in out


def test_plan_and_calendar_warn_on_stderr(capsys, tmp_path):
    path = stack(tmp_path, "acme-prod", ACME)
    code, out, err = run_cli(capsys, "calendar", "--weeks", "1", "--start", "2027-03-01", path)
    assert code == 0
    assert WARNING.search(err) and "ESC" not in out
    code, out, err = run_cli(capsys, "plan", path)
    assert code == 0
    assert WARNING.search(err) and "ESC" not in out


def test_a_missing_customer_may_be_in_the_environment(capsys, tmp_path):
    path = stack(tmp_path, "acme-prod", without(ACME, "patching:customer"))
    code, out, _ = run_cli(capsys, "validate", path)
    assert code == 1
    (error,) = [line for line in out.splitlines() if "patching:customer" in line]
    assert "required key is missing" in error
    assert "acme/prod, which may set it" in error and "--esc-config" in error


# -- --esc-config FILE ----------------------------------------------------------------------------


def test_a_value_only_in_the_environment_is_used(capsys, tmp_path):
    path = stack(tmp_path, "acme-prod", without(ACME, "patching:customer"))
    esc = esc_file(tmp_path, {"patching:customer": "acme-esc"}, environmentVariables={"AWS_PROFILE": "acme"})
    code, out, _ = run_cli(capsys, "validate", "--esc-config", esc, path)
    assert code == 0, out
    assert "customer acme-esc," in out
    assert "ESC environment" not in out  # its values were seen


def test_a_key_without_namespace_is_the_projects(tmp_path):
    esc = esc_file(tmp_path, {"customer": "bare", "aws:region": "eu-west-1"})
    assert dict(read_esc_config(esc).config) == {"patching:customer": "bare", "aws:region": "eu-west-1"}


def test_the_stack_files_own_value_wins(capsys, tmp_path):
    path = stack(tmp_path, "acme-prod", ACME)  # customer: acme, aws:region: eu-west-1
    esc = esc_file(tmp_path, {"patching:customer": "other", "aws:region": "us-east-1"})
    code, out, _ = run_cli(capsys, "validate", "--esc-config", esc, path)
    assert code == 0
    assert "customer acme," in out
    checked = check_stack(path, read_esc_config(esc))
    assert checked.settings["aws:region"] == "eu-west-1"


def test_plan_takes_aws_region_from_the_environment(capsys, tmp_path):
    path = stack(tmp_path, "acme-prod", without(ACME, "aws:region"))
    code, _, err = run_cli(capsys, "plan", path)
    assert code == 1 and "aws:region is not set" in err
    esc = esc_file(tmp_path, {"aws:region": "eu-central-1"})
    code, out, err = run_cli(capsys, "plan", "--format", "json", "--esc-config", esc, path)
    assert code == 0, err
    regions = {r["region"] for r in json.loads(out) if r["region"]}
    assert regions == {"eu-central-1"}


def test_an_invalid_environment_value_names_its_key_and_the_esc_file_but_not_the_value(capsys, tmp_path):
    path = stack(tmp_path, "acme-prod", ACME)
    esc = esc_file(tmp_path, {"patching:mode": "weekly-please-x7"})
    code, out, _ = run_cli(capsys, "validate", "--esc-config", esc, path)
    assert code == 1
    (error,) = [line for line in out.splitlines() if "patching:mode" in line]
    # No line number: the value is not in the stack file; the ESC file is named.
    assert error.startswith(f"  {path}: patching:mode: ")
    assert error.endswith(f"(from {esc})")
    assert "weekly-please-x7" not in out  # ESC values may be secrets: never echoed


def test_a_masked_value_is_refused(capsys, tmp_path):
    path = stack(tmp_path, "acme-prod", without(ACME, "patching:customer"))
    esc = esc_file(tmp_path, {"patching:customer": "[secret]"})
    code, out, _ = run_cli(capsys, "validate", "--esc-config", esc, path)
    assert code == 1
    assert f"patching:customer: the value is masked in {esc}" in out


def test_settings_from_the_environment_are_handed_over_as_secrets_unless_they_are_public(tmp_path):
    path = stack(tmp_path, "acme-prod", without(ACME, "aws:region"))
    esc = esc_file(tmp_path, {"aws:region": "eu-west-1", "aws:secretKey": "wJalrXUtnFEMI"})
    checked = check_stack(path, read_esc_config(esc))
    assert "aws:secretKey" in checked.secret_keys
    assert "aws:region" not in checked.secret_keys


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"pulumiConfig": ', "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"pulumiConfig": ["patching:customer"]}', "pulumiConfig is not a JSON object"),
    ],
)
@pytest.mark.parametrize("command", ["validate", "plan", "calendar"])
def test_a_bad_esc_file_is_one_line_and_exit_2(capsys, tmp_path, command, content, problem):
    path = stack(tmp_path, "acme-prod", ACME)
    esc = tmp_path / "esc.json"
    esc.write_text(content)
    code, out, err = run_cli(capsys, command, "--esc-config", esc, path)
    assert code == 2
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith(f"patching: error: --esc-config {esc}: {problem}")


def test_a_missing_esc_file_is_a_usage_error(capsys, tmp_path):
    path = stack(tmp_path, "acme-prod", ACME)
    code, _, err = run_cli(capsys, "validate", "--esc-config", tmp_path / "nope.json", path)
    assert code == 2
    assert err.strip() == f"patching: error: --esc-config {tmp_path / 'nope.json'}: no such file"


def test_an_invalid_region_from_the_environment_is_named_with_the_esc_file(capsys, tmp_path):
    path = stack(tmp_path, "acme-prod", without(ACME, "aws:region"))
    esc = esc_file(tmp_path, {"aws:region": "eu-west-1a"})  # an availability zone, not a region
    code, out, _ = run_cli(capsys, "validate", "--esc-config", esc, path)
    assert code == 1
    (error,) = [line for line in out.splitlines() if "aws:region" in line]
    assert error.startswith(f"  {path}: aws:region: 'eu-west-1a' is not an AWS region")
    assert error.endswith(f"(from {esc})")
