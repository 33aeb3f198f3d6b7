"""Stack files named `*.yml`: the Pulumi CLI reads `Pulumi.<stack>.yaml` only ("Stack settings file
reference", https://www.pulumi.com/docs/iac/concepts/projects/stack-settings-file/), so `pulumi up`
would run such a stack without its config. `patching` refuses them with the rename, never skips them.
(The workflows' stack selection: tests/test_workflows.py.)"""

import shutil

import pytest

from conftest import EXAMPLE_STACKS
from patching_components.tools.cli import main

REFUSAL = "the Pulumi CLI reads only Pulumi.<stack>.yaml stack files and would ignore this one"


def run_cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    # The examples by name: a customer's stack beside them must not change what these tests see.
    (tmp_path / "stacks").mkdir()
    for path in EXAMPLE_STACKS:
        shutil.copy(path, tmp_path / "stacks")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("command", [["validate"], ["plan"], ["calendar"]])
def test_a_yml_stack_file_named_on_the_command_line_is_refused_with_the_rename(capsys, checkout, command):
    shutil.copy(checkout / "stacks" / "Pulumi.acme.yaml", checkout / "stacks" / "Pulumi.contoso.yml")
    code, out, err = run_cli(capsys, *command, "stacks/Pulumi.contoso.yml")
    assert code == 2 and out == ""
    assert err == f"patching: error: stacks/Pulumi.contoso.yml: {REFUSAL}; rename it to stacks/Pulumi.contoso.yaml\n"


def test_default_discovery_reports_every_stray_yml_file_in_stacks(capsys, checkout):
    # The .yaml files alone would all be "ok": a stack CI never sees must not pass for checked.
    (checkout / "stacks" / "Pulumi.contoso.yml").write_text("config:\n  patching:customer: contoso\n")
    (checkout / "stacks" / "Pulumi.umbrella.YML").write_text("config:\n  patching:customer: umbrella\n")
    code, out, err = run_cli(capsys, "validate")
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"patching: error: stacks/Pulumi.contoso.yml: {REFUSAL}; rename it to stacks/Pulumi.contoso.yaml",
        f"  stacks/Pulumi.umbrella.YML: {REFUSAL}; rename it to stacks/Pulumi.umbrella.yaml",
    ]


def test_a_stacks_folder_of_yml_files_only_names_them_rather_than_finding_nothing(capsys, tmp_path, monkeypatch):
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.dev.yml").write_text("config: {}\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(capsys, "validate")
    assert code == 2
    assert err == f"patching: error: stacks/Pulumi.dev.yml: {REFUSAL}; rename it to stacks/Pulumi.dev.yaml\n"


def test_after_the_rename_the_stack_is_validated(capsys, checkout):
    text = "config:\n  patching:customer: contoso\n  patching:mode: disabled\n"
    (checkout / "stacks" / "Pulumi.contoso.yml").write_text(text)
    assert run_cli(capsys, "validate")[0] == 2
    (checkout / "stacks" / "Pulumi.contoso.yml").rename(checkout / "stacks" / "Pulumi.contoso.yaml")
    code, out, _ = run_cli(capsys, "validate")
    assert code == 0
    assert "ok   stacks/Pulumi.contoso.yaml: customer contoso, mode disabled" in out
