"""Per-stack CI roles (.github/stack-roles.yaml): each entry is a read-only and a deploy role in an
account its stack file allows; the previews, the drift check and the report assume the read-only one,
only deploy.yml the deploy role; .github/scripts/stack_role.py, run as the workflows run it, hands the
job exactly that role or fails it."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT

ROLES = ROOT / ".github" / "stack-roles.yaml"
WORKFLOWS = ROOT / ".github" / "workflows"
SCRIPT = ROOT / ".github" / "scripts" / "stack_role.py"
ROLE_ARN = re.compile(r"^arn:aws(-[a-z]+)*:iam::(\d{12}):role/[\w+=,.@/-]+$")
"""An IAM role's ARN (IAM User Guide, "IAM identifiers")."""
READ_STEP = "The stack's read-only role (.github/stack-roles.yaml)"
DEPLOY_STEP = "The stack's deploy role (.github/stack-roles.yaml)"


EXAMPLE_STACKS = ("acme", "globex", "initech")


def roles():
    return yaml.safe_load(ROLES.read_text())["stacks"]


def allowed_accounts(stack):
    config = yaml.safe_load((ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    return [str(a) for a in config.get("aws:allowedAccountIds") or []]


def mapped_stacks():
    """The entries whose stack file exists. A stack file without an entry fails its own CI job (with
    what to add, below), not this suite: adding or removing a customer never breaks the tests."""
    return sorted(s for s in roles() if (ROOT / "stacks" / f"Pulumi.{s}.yaml").is_file())


def test_the_example_stacks_have_roles():
    assert set(EXAMPLE_STACKS) <= set(roles())


@pytest.mark.parametrize("stack", mapped_stacks())
def test_each_stacks_roles_are_two_roles_in_an_account_it_allows(stack):
    entry = roles()[stack]
    assert set(entry) == {"read", "deploy"}
    assert entry["read"] != entry["deploy"]
    allowed = allowed_accounts(stack)
    assert allowed, f"stacks/Pulumi.{stack}.yaml: set aws:allowedAccountIds"
    for kind in ("read", "deploy"):
        match = ROLE_ARN.match(entry[kind])
        assert match, (stack, kind)
        assert match.group(2) in allowed, (stack, kind)


def workflow_steps(name):
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    return {
        job: {s.get("name") or s["uses"].split("@")[0]: s for s in spec["steps"]} for job, spec in data["jobs"].items()
    }


@pytest.mark.parametrize(
    ("workflow", "job", "step", "kind"),
    [
        ("pull-request.yml", "preview", READ_STEP, "read"),
        ("drift.yml", "check", READ_STEP, "read"),
        ("report.yml", "report", READ_STEP, "read"),
        ("deploy.yml", "deploy", DEPLOY_STEP, "deploy"),
    ],
)
def test_each_workflow_assumes_its_stacks_role_from_the_mapping(workflow, job, step, kind):
    job_steps = workflow_steps(workflow)[job]
    assert job_steps[step]["id"] == "role"
    assert job_steps[step]["run"].split()[-2:] == ['"$STACK"', kind]
    assert (
        job_steps["aws-actions/configure-aws-credentials"]["with"]["role-to-assume"] == "${{ steps.role.outputs.arn }}"
    )


def test_only_deploy_yml_asks_for_a_deploy_role_and_no_workflow_names_a_role_itself():
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text()
        assert "ROLE_ARN" not in text, path.name  # no repository-wide role variable besides the mapping
        assert ('stack_role.py "$STACK" deploy' in text) == (path.name == "deploy.yml"), path.name
        assert "arn:aws" not in text.replace("arn:aws:ssm", ""), path.name  # roles only from the mapping


@pytest.fixture
def checkout(tmp_path):
    """A copy of what the role step reads, with the job's virtualenv standing in as ./venv and ./.venv."""
    for part in (".github", "stacks"):
        shutil.copytree(ROOT / part, tmp_path / part)
    for venv in ("venv", ".venv"):
        (tmp_path / venv / "bin").mkdir(parents=True)
        (tmp_path / venv / "bin" / "python").symlink_to(sys.executable)
    return tmp_path


def run_step(checkout, workflow, job, step, stack, output):
    script = workflow_steps(workflow)[job][step]["run"]
    env = {**os.environ, "STACK": stack, "GITHUB_OUTPUT": str(output)}
    return subprocess.run(["bash", "-e", "-c", script], cwd=checkout, env=env, capture_output=True, text=True)


@pytest.mark.slow  # subprocesses, one per workflow
@pytest.mark.parametrize("stack", ["acme", "initech"])
def test_the_role_steps_hand_each_job_its_stacks_role(checkout, stack):
    cases = [
        ("pull-request.yml", "preview", READ_STEP, "read"),
        ("drift.yml", "check", READ_STEP, "read"),
        ("report.yml", "report", READ_STEP, "read"),
        ("deploy.yml", "deploy", DEPLOY_STEP, "deploy"),
    ]
    for workflow, job, step, kind in cases:
        output = checkout / f"{workflow}.out"
        result = run_step(checkout, workflow, job, step, stack, output)
        assert result.returncode == 0, result.stderr
        assert output.read_text() == f"arn={roles()[stack][kind]}\n"


def load_script():
    spec = importlib.util.spec_from_file_location("stack_role", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_stack_without_an_entry_fails_with_what_to_add(checkout, capsys):
    stack_role = load_script()
    (checkout / "stacks" / "Pulumi.contoso.yaml").write_text('config:\n  aws:allowedAccountIds: ["777788889999"]\n')
    with pytest.raises(stack_role.RoleError, match=r"stack contoso has no entry: add stacks\.contoso\.read"):
        stack_role.role_arn("contoso", "read", checkout / ".github" / "stack-roles.yaml", checkout)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"read": "arn:aws:iam::111122223333:role/r"}, r"stacks\.acme\.deploy None is not an IAM role ARN"),
        ({"read": "arn:aws:iam::111122223333:user/r", "deploy": "x"}, "is not an IAM role ARN"),
        (
            {"read": "arn:aws:iam::111122223333:role/same", "deploy": "arn:aws:iam::111122223333:role/same"},
            "different roles",
        ),
        (
            {"read": "arn:aws:iam::999999999999:role/r", "deploy": "arn:aws:iam::111122223333:role/d"},
            "account 999999999999",
        ),
    ],
)
def test_a_bad_entry_fails_the_job(checkout, entry, message):
    stack_role = load_script()
    roles_file = checkout / ".github" / "stack-roles.yaml"
    roles_file.write_text(yaml.safe_dump({"stacks": {"acme": entry}}))
    kind = "deploy" if "deploy" not in entry or "same" in str(entry) else "read"
    with pytest.raises(stack_role.RoleError, match=message):
        stack_role.role_arn("acme", kind, roles_file, checkout)


def test_the_script_fails_the_step_on_one_error_line(checkout):
    output = checkout / "out"
    result = run_step(checkout, "deploy.yml", "deploy", DEPLOY_STEP, "contoso", output)
    assert result.returncode == 1
    assert result.stderr.startswith("::error::.github/stack-roles.yaml: stack contoso has no entry")
    assert not output.exists()


def test_the_json_string_form_of_allowed_accounts_is_read_as_pulumi_aws_and_the_package_read_it(tmp_path):
    """`pulumi config set aws:allowedAccountIds '["..."]'` stores a JSON list in a string; pulumi-aws reads it as
    the list. The script (kept free of the package) reads it as config.validation.account_ids does."""
    from patching_components.config.validation import account_ids

    stack_role = load_script()
    (tmp_path / "stacks").mkdir()
    for value in ('\'["777788889999", "111122223333"]\'', '["777788889999"]', "777788889999"):
        (tmp_path / "stacks" / "Pulumi.contoso.yaml").write_text(f"config:\n  aws:allowedAccountIds: {value}\n")
        read = stack_role.allowed_accounts("contoso", tmp_path)
        assert read == account_ids(yaml.safe_load(f"v: {value}")["v"]) and read[0] == "777788889999"
    (tmp_path / "stacks" / "Pulumi.contoso.yaml").write_text("config:\n  aws:allowedAccountIds: '[\"7777'\n")
    with pytest.raises(stack_role.RoleError, match="is not a list of account ids"):
        stack_role.allowed_accounts("contoso", tmp_path)
