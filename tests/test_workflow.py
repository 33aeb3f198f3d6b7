"""The pull-request workflow: structure, the stack selection script, and a security lint."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import EXAMPLE_STACKS, ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "pull-request.yml"


@pytest.fixture(scope="module")
def workflow():
    # PyYAML reads the key `on` as True (YAML 1.1).
    return yaml.safe_load(WORKFLOW.read_text())


def steps(job):
    return {step.get("name") or step["uses"].split("@")[0]: step for step in job["steps"]}


def test_runs_on_pull_requests_one_run_per_pr(workflow):
    assert "pull_request" in workflow[True]
    assert workflow["concurrency"]["group"] == "pull-request-${{ github.event.pull_request.number }}"
    assert workflow["permissions"] == {}


def test_validate_job_runs_validation_and_the_tests(workflow):
    job = workflow["jobs"]["validate"]
    runs = " ".join(step.get("run", "") for step in job["steps"])
    assert 'pip install -e ".[test]"' in runs
    assert ".venv/bin/patching validate" in runs and ".venv/bin/pytest" in runs
    assert job["permissions"] == {"contents": "read"}


def test_preview_job_uses_oidc_and_comments_on_the_pr(workflow):
    job = workflow["jobs"]["preview"]
    assert job["needs"] == "validate"
    assert job["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    assert job["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.validate.outputs.stacks) }}"
    job_steps = steps(job)
    aws = job_steps["aws-actions/configure-aws-credentials"]["with"]
    assert aws["role-to-assume"] == "${{ vars.AWS_PREVIEW_ROLE_ARN }}"
    assert "aws-access-key-id" not in aws  # OIDC only: no long-lived keys
    pulumi = job_steps["pulumi/actions"]["with"]
    assert pulumi["command"] == "preview" and pulumi["diff"] is True and pulumi["comment-on-pr"] is True
    assert pulumi["stack-name"] == "${{ matrix.stack }}"
    assert pulumi["upsert"] is True  # a new stack file previews without a `pulumi stack init` first
    assert job["env"]["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}"


def test_the_workflow_names_no_stack_that_does_not_exist(workflow):
    names = {p.name[len("Pulumi.") : -len(".yaml")] for p in EXAMPLE_STACKS}
    text = WORKFLOW.read_text()
    mentioned = {word.split(".")[1] for word in text.split() if word.startswith("stacks/Pulumi.") and "*" not in word}
    assert mentioned <= names


def select_stacks(tmp_path, workflow, change):
    """Run the workflow's own selection script on a throw-away repository."""
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "stacks", repo / "stacks")
    (repo / "patching_components").mkdir()
    (repo / "patching_components" / "config.py").write_text("# code\n")

    def git(*args):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)

    git("init", "-q")
    git("add", "-A")
    git("-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-qm", "base")
    base = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    change(repo)
    git("add", "-A")
    git("-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-qm", "change")
    script = steps(workflow["jobs"]["validate"])["Stacks to preview"]["run"]
    output = tmp_path / "output"
    env = {
        **os.environ,
        "BASE_SHA": base,
        "GITHUB_OUTPUT": str(output),
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
    }
    subprocess.run(["bash", "-e", "-c", script], cwd=repo, env=env, check=True, capture_output=True)
    key, _, value = output.read_text().strip().partition("=")
    assert key == "stacks"
    return json.loads(value)


def test_a_changed_stack_file_previews_that_stack_only(tmp_path, workflow):
    def change(repo):
        path = repo / "stacks" / "Pulumi.globex.yaml"
        path.write_text(path.read_text() + "  # reviewed\n")

    assert select_stacks(tmp_path, workflow, change) == ["globex"]


def test_a_code_change_previews_every_stack(tmp_path, workflow):
    def change(repo):
        (repo / "patching_components" / "config.py").write_text("# changed\n")

    assert select_stacks(tmp_path, workflow, change) == sorted(p.name.split(".")[1] for p in EXAMPLE_STACKS)


def test_a_deleted_stack_is_not_previewed(tmp_path, workflow):
    def change(repo):
        (repo / "stacks" / "Pulumi.initech.yaml").unlink()

    assert select_stacks(tmp_path, workflow, change) == []


def test_zizmor_finds_nothing():
    zizmor = Path(sys.executable).parent / "zizmor"
    result = subprocess.run(
        [str(zizmor), "--offline", "--no-progress", str(WORKFLOW)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
