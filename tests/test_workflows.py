"""The GitHub Actions workflows (pull-request previews, deploys, drift checks): their structure,
their scripts run for real on throw-away repositories, and two linters we did not write."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
SCRIPTS = ROOT / ".github" / "scripts"
BIN = Path(sys.executable).parent
EXAMPLES = ["acme", "globex", "initech"]
"""The example stacks by name: the throw-away repositories hold these, whatever customers stacks/ has."""


def load(name):
    # PyYAML reads the key `on` as True (YAML 1.1).
    return yaml.safe_load((WORKFLOWS / name).read_text())


@pytest.fixture(scope="module")
def pull_request():
    return load("pull-request.yml")


@pytest.fixture(scope="module")
def deploy():
    return load("deploy.yml")


@pytest.fixture(scope="module")
def drift():
    return load("drift.yml")


def steps(job):
    return {step.get("name") or step["uses"].split("@")[0]: step for step in job["steps"]}


# -- linters -------------------------------------------------------------------------------------


@pytest.mark.slow  # a linter over the workflow files, with the tooling tests (.ci/run runs them)
def test_actionlint_with_shellcheck_finds_nothing():
    # actionlint knows each action's inputs and runtime: an action on the removed node20 runtime
    # (actions/checkout@v4 and friends) is an error. shellcheck checks every `run:` script.
    result = subprocess.run(
        [str(BIN / "actionlint"), "-shellcheck", str(BIN / "shellcheck"), "-no-color"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow  # a linter over the workflow files, with the tooling tests (.ci/run runs them)
def test_zizmor_finds_nothing():
    result = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--no-progress", str(WORKFLOWS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_workflows_name_no_stack_that_does_not_exist():
    for path in WORKFLOWS.glob("*.yml"):
        words = path.read_text().split()
        mentioned = {w.split(".")[1] for w in words if w.startswith("stacks/Pulumi.") and "*" not in w}
        assert mentioned <= set(EXAMPLES), path


# -- the stack selection, on throw-away repositories ---------------------------------------------


class Repo:
    """A git repository with the example stacks and some shared code, to change and select from."""

    def __init__(self, path: Path):
        self.path = path
        (path / "stacks").mkdir(parents=True)
        for name in EXAMPLES:
            shutil.copy(ROOT / "stacks" / f"Pulumi.{name}.yaml", path / "stacks")
        (path / "patching_components").mkdir()
        (path / "patching_components" / "model.py").write_text("# code\n")
        (path / "README.md").write_text("# docs\n")
        self.git("init", "-q", "-b", "main")
        self.base = self.commit("base")

    def git(self, *args):
        return subprocess.run(["git", *args], cwd=self.path, check=True, capture_output=True, text=True).stdout

    def commit(self, message):
        self.git("add", "-A")
        self.git("-c", "user.email=ci@example.com", "-c", "user.name=ci", "commit", "-qm", message, "--allow-empty")
        return self.git("rev-parse", "HEAD").strip()

    def write(self, relative, text):
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)

    def run_step(self, script, **env):
        """A workflow step's `run:` script, as the runner runs it (bash -e, GITHUB_OUTPUT)."""
        output = self.path.parent / "github-output"
        output.write_text("")
        shutil.copytree(SCRIPTS, self.path / ".github" / "scripts", dirs_exist_ok=True)
        environment = {**os.environ, "GITHUB_OUTPUT": str(output), "PATH": f"{BIN}:{os.environ['PATH']}", **env}
        result = subprocess.run(
            ["bash", "-e", "-c", script], cwd=self.path, env=environment, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
        key, _, value = output.read_text().strip().partition("=")
        assert key == "stacks"
        return json.loads(value)


@pytest.fixture
def repo(tmp_path):
    return Repo(tmp_path / "repo")


def pr_selection(repo, pull_request):
    script = steps(pull_request["jobs"]["validate"])["Stacks to preview"]["run"]
    return repo.run_step(script, BASE_SHA=repo.base)


def test_a_changed_stack_file_selects_that_stack_only(repo, pull_request):
    repo.write("stacks/Pulumi.globex.yaml", (repo.path / "stacks/Pulumi.globex.yaml").read_text() + "# reviewed\n")
    repo.commit("globex")
    assert pr_selection(repo, pull_request) == ["globex"]


def test_a_new_customer_stack_is_selected(repo, pull_request):
    repo.write("stacks/Pulumi.contoso.yaml", "config:\n  patching:customer: contoso\n")
    repo.commit("onboard contoso")
    assert pr_selection(repo, pull_request) == ["contoso"]


def test_a_deleted_stack_is_not_selected(repo, pull_request):
    (repo.path / "stacks" / "Pulumi.initech.yaml").unlink()
    repo.commit("offboard initech")
    assert pr_selection(repo, pull_request) == []


def test_shared_code_selects_every_stack(repo, pull_request):
    repo.write("patching_components/model.py", "# changed\n")
    repo.commit("code")
    assert pr_selection(repo, pull_request) == EXAMPLES


@pytest.mark.parametrize("path", ["README.md", "docs/fleet.md", "tests/test_new.py", ".github/workflows/x.yml"])
def test_docs_tests_and_ci_select_nothing(repo, pull_request, path):
    repo.write(path, "changed\n")
    repo.commit("docs")
    assert pr_selection(repo, pull_request) == []


def test_docs_and_one_stack_select_that_stack(repo, pull_request):
    repo.write("README.md", "# more docs\n")
    repo.write("stacks/Pulumi.acme.yaml", (repo.path / "stacks/Pulumi.acme.yaml").read_text() + "# reviewed\n")
    repo.commit("acme and docs")
    assert pr_selection(repo, pull_request) == ["acme"]


def deploy_selection(repo, deploy, **env):
    script = steps(deploy["jobs"]["select"])["Stacks to deploy"]["run"]
    return repo.run_step(script, **{"EVENT": "push", "BEFORE": "", "ONLY": "", **env})


def test_a_push_deploys_what_it_changed(repo, deploy):
    repo.write("stacks/Pulumi.contoso.yaml", "config:\n  patching:customer: contoso\n")
    repo.commit("onboard contoso")
    repo.write("stacks/Pulumi.acme.yaml", (repo.path / "stacks/Pulumi.acme.yaml").read_text() + "# reviewed\n")
    repo.commit("acme")
    # `before` is the commit main was at before the push: both commits of the push count.
    assert deploy_selection(repo, deploy, BEFORE=repo.base) == ["acme", "contoso"]


def test_a_push_with_no_known_before_deploys_every_stack(repo, deploy):
    # A new branch (before is all zeros) or a force push (before is gone): every stack.
    assert deploy_selection(repo, deploy, BEFORE="0" * 40) == EXAMPLES
    assert deploy_selection(repo, deploy, BEFORE="1" * 40) == EXAMPLES


def test_a_dispatch_deploys_the_stacks_asked_for_or_every_stack(repo, deploy):
    dispatch = {"EVENT": "workflow_dispatch"}
    assert deploy_selection(repo, deploy, **dispatch, ONLY="initech, acme") == ["acme", "initech"]
    assert deploy_selection(repo, deploy, **dispatch) == EXAMPLES


def test_an_unknown_stack_or_too_many_stacks_fail_the_selection(repo):
    script = SCRIPTS / "select_stacks.py"
    result = subprocess.run(
        [sys.executable, str(script), "--only", "acme,nope"], cwd=repo.path, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr == "select_stacks: error: no stack file for nope (stacks: acme, globex, initech)\n"
    for index in range(260):
        repo.write(f"stacks/Pulumi.c{index:03}.yaml", f"config:\n  patching:customer: c{index:03}\n")
    repo.commit("many customers")
    result = subprocess.run([sys.executable, str(script), "--all"], cwd=repo.path, capture_output=True, text=True)
    assert result.returncode == 1
    assert "263 stacks exceed GitHub's 256-job matrix limit" in result.stderr


def test_drift_checks_every_stack_or_the_ones_asked_for(repo, drift):
    script = steps(drift["jobs"]["select"])["Stacks to check"]["run"]
    assert repo.run_step(script, ONLY="") == EXAMPLES
    assert repo.run_step(script, ONLY="globex") == ["globex"]


# -- the pull-request workflow -------------------------------------------------------------------


def test_runs_on_pull_requests_one_run_per_pr(pull_request):
    assert "pull_request" in pull_request[True]
    assert pull_request["concurrency"]["group"] == "pull-request-${{ github.event.pull_request.number }}"
    assert pull_request["permissions"] == {}


def test_validate_job_runs_validation_and_the_tests(pull_request):
    job = pull_request["jobs"]["validate"]
    runs = " ".join(step.get("run", "") for step in job["steps"])
    assert 'pip install -e ".[test]"' in runs
    assert ".venv/bin/patching validate" in runs and ".venv/bin/pytest" in runs
    assert job["permissions"] == {"contents": "read"}


def test_preview_job_uses_oidc_and_comments_on_the_pr(pull_request):
    job = pull_request["jobs"]["preview"]
    assert job["needs"] == "validate"
    assert job["permissions"] == {"contents": "read", "id-token": "write", "pull-requests": "write"}
    assert job["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.validate.outputs.stacks) }}"
    job_steps = steps(job)
    aws = job_steps["aws-actions/configure-aws-credentials"]["with"]
    assert aws["role-to-assume"] == "${{ steps.role.outputs.arn }}"  # the stack's read-only role
    assert job_steps["The stack's read-only role (.github/stack-roles.yaml)"]["run"].endswith('"$STACK" read')
    assert "aws-access-key-id" not in aws  # OIDC only: no long-lived keys
    pulumi = job_steps["pulumi/actions"]["with"]
    assert pulumi["command"] == "preview" and pulumi["diff"] is True and pulumi["comment-on-pr"] is True
    assert pulumi["stack-name"] == "${{ matrix.stack }}"
    assert pulumi["upsert"] is True  # a new stack file previews without a `pulumi stack init` first
    assert pulumi["policyPacks"] == "policy"
    assert job["env"]["PULUMI_BACKEND_URL"] == "${{ vars.PULUMI_BACKEND_URL }}"


# -- deploys --------------------------------------------------------------------------------------


def test_deploys_run_on_pushes_to_main_and_by_hand(deploy):
    assert deploy[True]["push"] == {"branches": ["main"]}
    assert "stacks" in deploy[True]["workflow_dispatch"]["inputs"]
    assert deploy["permissions"] == {}
    assert "refs/heads/main" in deploy["jobs"]["deploy"]["if"]  # a dispatch from a branch deploys nothing


def test_one_update_per_stack_at_a_time_never_cancelled(deploy):
    job = deploy["jobs"]["deploy"]
    assert job["concurrency"] == {"group": "pulumi-up-${{ matrix.stack }}", "cancel-in-progress": False}
    assert "concurrency" not in deploy  # a workflow-wide group would serialise every customer
    strategy = job["strategy"]
    assert strategy["fail-fast"] is False
    assert isinstance(strategy["max-parallel"], int) and 1 <= strategy["max-parallel"] <= 10
    assert strategy["matrix"]["stack"] == "${{ fromJSON(needs.select.outputs.stacks) }}"


def test_each_stack_deploys_in_its_own_environment_with_oidc_and_the_policy_pack(deploy):
    job = deploy["jobs"]["deploy"]
    assert job["environment"] == "${{ matrix.stack }}"
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    job_steps = steps(job)
    aws = job_steps["aws-actions/configure-aws-credentials"]["with"]
    assert aws["role-to-assume"] == "${{ steps.role.outputs.arn }}"  # the stack's deploy role
    assert job_steps["The stack's deploy role (.github/stack-roles.yaml)"]["run"].endswith('"$STACK" deploy')
    assert not any(key.startswith("aws-secret") or key.startswith("aws-access") for key in aws)
    pulumi = job_steps["pulumi/actions"]["with"]
    assert pulumi["command"] == "up" and pulumi["stack-name"] == "${{ matrix.stack }}"
    assert pulumi["upsert"] is True and pulumi["policyPacks"] == "policy"
    assert ".venv/bin/patching validate" in steps(deploy["jobs"]["select"])["Validate every stack file"]["run"]


# -- drift ----------------------------------------------------------------------------------------


def test_drift_runs_nightly_and_by_hand_with_the_read_only_role(drift):
    assert drift[True]["schedule"][0]["cron"]
    assert "workflow_dispatch" in drift[True]
    job = drift["jobs"]["check"]
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert steps(job)["aws-actions/configure-aws-credentials"]["with"]["role-to-assume"] == (
        "${{ steps.role.outputs.arn }}"
    )
    assert steps(job)["The stack's read-only role (.github/stack-roles.yaml)"]["run"].endswith('"$STACK" read')
    assert job["strategy"]["fail-fast"] is False and isinstance(job["strategy"]["max-parallel"], int)
    # Not the deploys' group: GitHub keeps one waiting job per group, a waiting check would cancel a deploy.
    assert "concurrency" not in job and "environment" not in job
    report = drift["jobs"]["report"]
    assert report["if"].startswith("always()")
    assert report["permissions"] == {"contents": "read", "issues": "write"}
    assert steps(report)["Open or update an issue per drifted stack"]["if"] == "vars.DRIFT_OPEN_ISSUES == 'true'"


FAKE_PULUMI = """#!/bin/sh
# Records its arguments and answers like `pulumi preview --json` on a stack that drifted.
echo "$@" > "$ARGS_FILE"
cat "$PREVIEW_JSON"
echo 'error: no changes were expected but changes were proposed' >&2
exit 255
"""


def digest(*ops):
    """A PreviewDigest as `pulumi preview --json` prints it (sdk/go/common/display/json.go)."""
    urn = "urn:pulumi:acme::patching::patching-components:index:CustomerPatching$aws:ssm/patchBaseline:PatchBaseline::"
    return {
        "config": {"aws:region": "eu-west-1"},
        "steps": [{"op": op, "urn": urn + name, "detailedDiff": None} for op, name in ops],
        "changeSummary": {op: 1 for op, _ in ops},
        "duration": 1500000000,
    }


def test_the_drift_step_records_a_failing_preview_and_goes_on(tmp_path, drift):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "pulumi").write_text(FAKE_PULUMI)
    (fake / "pulumi").chmod(0o755)
    preview = tmp_path / "preview.json"
    preview.write_text(json.dumps(digest(("same", "acme-web"), ("update", "acme-al2023"))))
    workdir = tmp_path / "work"
    workdir.mkdir()
    script = steps(drift["jobs"]["check"])["Preview with refresh"]["run"]
    env = {
        **os.environ,
        "PATH": f"{fake}:{os.environ['PATH']}",
        "STACK": "acme",
        "ARGS_FILE": str(tmp_path / "args"),
        "PREVIEW_JSON": str(preview),
    }
    result = subprocess.run(["bash", "-e", "-c", script], cwd=workdir, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr  # the report job judges; the artifact must be uploaded
    args = (tmp_path / "args").read_text().split()
    assert args[:3] == ["preview", "--stack", "acme"]
    assert {"--refresh", "--expect-no-changes", "--json", "--non-interactive"} <= set(args)
    assert args[args.index("--policy-pack") + 1] == "policy"
    assert (workdir / "drift" / "acme" / "exit-code").read_text() == "255\n"
    assert json.loads((workdir / "drift" / "acme" / "preview.json").read_text()) == json.loads(preview.read_text())


def write_result(root, stack, code=None, preview=None, stderr=""):
    directory = root / stack
    directory.mkdir(parents=True)
    if code is not None:
        (directory / "exit-code").write_text(f"{code}\n")
    (directory / "preview.json").write_text(preview if isinstance(preview, str) else json.dumps(preview or {}))
    (directory / "stderr.txt").write_text(stderr)


def test_the_drift_report_tells_drift_from_failure(tmp_path):
    results = tmp_path / "drift"
    write_result(results, "acme", 255, digest(("same", "a"), ("update", "acme-al2023"), ("create", "acme-web")))
    write_result(results, "globex", 0, digest(("same", "a"), ("refresh", "b")))
    write_result(results, "initech", 255, "", stderr="warning: x\nerror: failed to decrypt: passphrase wrong\n")
    stacks = json.dumps(["acme", "globex", "initech", "umbrella"])  # umbrella's job left nothing
    command = [sys.executable, str(SCRIPTS / "drift_report.py"), str(results), "--stacks", stacks]
    result = subprocess.run(
        [*command, "--issues-dir", str(tmp_path / "issues"), "--run-url", "https://example.com/run/1"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    rows = [line for line in result.stdout.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert rows == [
        "| acme | drift | 1 create, 1 update |",
        "| globex | no drift |  |",
        "| initech | error | error: failed to decrypt: passphrase wrong |",
        "| umbrella | error | the job left no output (it failed before the preview) |",
    ]
    assert "4 stack(s): 1 drifted, 2 failed, 1 as deployed." in result.stdout
    assert "- `update` aws:ssm/patchBaseline:PatchBaseline acme-al2023" in result.stdout
    assert [p.name for p in (tmp_path / "issues").iterdir()] == ["acme.md"]
    issue = (tmp_path / "issues" / "acme.md").read_text()
    assert "`update` aws:ssm/patchBaseline:PatchBaseline acme-al2023" in issue
    assert "https://example.com/run/1" in issue
    clean = subprocess.run([*command[:3], "--stacks", '["globex"]'], capture_output=True, text=True)
    assert clean.returncode == 0 and "| globex | no drift |" in clean.stdout


# -- monthly reports ------------------------------------------------------------------------------


FAKE_PATCHING = """#!/bin/sh
# Answers like `patching report` on a customer with something not covered: writes every --out, exits 3.
while [ $# -gt 0 ]; do
  if [ "$1" = --out ]; then echo "report of $2" > "$2"; shift; fi
  shift
done
exit 3
"""


def test_the_monthly_report_keeps_every_file_and_fails_on_exit_3(tmp_path):
    report = load("report.yml")
    assert report[True]["schedule"][0]["cron"] == "0 6 1 * *"
    job = report["jobs"]["report"]
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    assert steps(job)["aws-actions/configure-aws-credentials"]["with"]["role-to-assume"] == (
        "${{ steps.role.outputs.arn }}"
    )
    assert steps(job)["The stack's read-only role (.github/stack-roles.yaml)"]["run"].endswith('"$STACK" read')
    assert steps(job)["actions/upload-artifact"]["if"] == "always()"  # a failing customer's report is kept
    workdir = tmp_path / "work"
    (workdir / ".venv" / "bin").mkdir(parents=True)
    fake = workdir / ".venv" / "bin" / "patching"
    fake.write_text(FAKE_PATCHING)
    fake.chmod(0o755)
    summary = tmp_path / "summary.md"
    env = {**os.environ, "STACK": "acme", "GITHUB_STEP_SUMMARY": str(summary)}
    script = steps(job)["Report"]["run"]
    result = subprocess.run(["bash", "-e", "-c", script], cwd=workdir, env=env, capture_output=True, text=True)
    assert result.returncode == 3
    assert sorted(p.name for p in (workdir / "reports").iterdir()) == ["acme.html", "acme.json", "acme.md"]
    assert summary.read_text() == "report of reports/acme.md\n"


# -- stack files named *.yml ----------------------------------------------------------------------
# The Pulumi CLI reads Pulumi.<stack>.yaml only: a *.yml stack would be neither previewed nor
# deployed, so the selection fails with the rename rather than quietly leaving it out.


def test_a_yml_stack_file_fails_every_selection_with_the_rename(repo, pull_request):
    repo.write("stacks/Pulumi.contoso.yml", "config:\n  patching:customer: contoso\n")
    repo.commit("onboard contoso, misnamed")
    expected = (
        "select_stacks: error: stacks/Pulumi.contoso.yml: the Pulumi CLI reads only Pulumi.<stack>.yaml stack "
        "files and would ignore this one; rename it to stacks/Pulumi.contoso.yaml\n"
    )
    script = str(SCRIPTS / "select_stacks.py")
    for args in (["--base", repo.base], ["--all"], ["--only", "acme"]):
        result = subprocess.run([sys.executable, script, *args], cwd=repo.path, capture_output=True, text=True)
        assert (result.returncode, result.stdout, result.stderr) == (1, "", expected), args


def test_renaming_a_yml_stack_file_selects_that_stack_only(repo, pull_request):
    repo.write("stacks/Pulumi.contoso.yml", "config:\n  patching:customer: contoso\n")
    base = repo.commit("onboard contoso, misnamed")
    repo.git("mv", "stacks/Pulumi.contoso.yml", "stacks/Pulumi.contoso.yaml")
    repo.commit("rename")
    script = steps(pull_request["jobs"]["validate"])["Stacks to preview"]["run"]
    assert repo.run_step(script, BASE_SHA=base) == ["contoso"]


# -- releases ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def release():
    return load("release.yml")


def test_a_release_runs_on_version_tags_only(release):
    assert release[True] == {"push": {"tags": ["v[0-9]+.[0-9]+.[0-9]+"]}}
    assert release["permissions"] == {}
    assert release["concurrency"]["cancel-in-progress"] is False  # never cut an upload in half


def test_only_the_pypi_job_gets_an_oidc_token_and_it_stores_no_password(release):
    jobs = release["jobs"]
    assert {name: job["permissions"] for name, job in jobs.items()} == {
        "build": {"contents": "read"},
        "github-release": {"contents": "write"},
        "pypi": {"id-token": "write"},
    }
    pypi = jobs["pypi"]
    assert pypi["environment"]["name"] == "pypi"
    assert pypi["needs"] == ["build", "github-release"]  # nothing reaches PyPI unchecked
    publish = steps(pypi)["pypa/gh-action-pypi-publish"]
    assert publish["uses"] == "pypa/gh-action-pypi-publish@release/v1"
    assert not {"password", "user"} & set(publish.get("with", {}))  # trusted publishing, no token
    assert "secrets." not in (WORKFLOWS / "release.yml").read_text()


def test_the_build_job_checks_before_anything_is_published(release):
    build = steps(release["jobs"]["build"])
    runs = [step.get("run", "") for step in release["jobs"]["build"]["steps"]]
    versions = next(i for i, run in enumerate(runs) if "release_check.py versions" in run)
    built = next(i for i, run in enumerate(runs) if "-m build" in run)
    assert versions < built
    checks = build["Check the distributions"]["run"]
    assert 'twine" check --strict dist/*' in checks and "release_check.py wheel dist/*.whl" in checks
    install = build["Install the wheel into a clean virtualenv and validate an example stack"]["run"]
    assert 'pip" install dist/*.whl' in install and '/bin/patching" validate ' in install
    assert "pip install -e" not in install  # the wheel, not the checkout
    notes = steps(release["jobs"]["github-release"])["Create the release with the distributions"]["run"]
    assert "--notes-file notes.md" in notes and "--verify-tag" in notes


def run_release_step(release, name, env, cwd=ROOT):
    script = steps(release["jobs"]["build"])[name]["run"]
    return subprocess.run(
        ["bash", "-e", "-c", script], cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True
    )


def test_the_version_step_passes_on_this_version_and_fails_on_another(release):
    from patching_components import __version__

    name = "Tag, version and CHANGELOG agree"
    assert run_release_step(release, name, {"TAG": f"v{__version__}"}).returncode == 0
    wrong = run_release_step(release, name, {"TAG": "v99.0.0"})
    assert wrong.returncode == 1
    assert wrong.stderr.startswith("release_check: error: versions disagree: tag v99.0.0, ")


def test_the_notes_step_writes_the_changelog_entry(release, tmp_path):
    shutil.copy(ROOT / "CHANGELOG.md", tmp_path / "CHANGELOG.md")
    shutil.copytree(SCRIPTS, tmp_path / ".github" / "scripts")
    result = run_release_step(release, "Release notes (the CHANGELOG entry)", {}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    from patching_components import __version__

    # The text between the version's heading and the next one, by hand.
    entry = (ROOT / "CHANGELOG.md").read_text().split(f"\n## [{__version__}] - ", 1)[1].split("\n", 1)[1]
    entry = entry.split("\n## [", 1)[0].strip("\n") + "\n"
    assert (tmp_path / "notes.md").read_text() == entry


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy.yml", "drift.yml"])
def test_stack_matrices_are_bounded_and_pip_downloads_cached(name):
    # Issue 25: one job per customer stack must not run unbounded (the backend's and AWS's rate
    # limits), and each installs the same dependencies: setup-python caches pip's downloads, keyed
    # on the files the job installs from.
    for job_name, job in load(name)["jobs"].items():
        if "matrix" in job.get("strategy", {}):
            assert 1 <= job["strategy"].get("max-parallel", 0) <= 8, job_name
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/setup-python@"):
                assert step["with"]["cache"] == "pip", job_name
                keys = step["with"]["cache-dependency-path"].split()
                assert "pyproject.toml" in keys, job_name
                installs = " ".join(s.get("run", "") for s in job["steps"])
                assert ("requirements.txt" in installs) == ("policy/requirements.txt" in keys), job_name


def test_ci_builds_its_own_virtualenv_and_leaves_the_developers_alone():
    run = (ROOT / ".ci" / "run").read_text()
    commands = [line for line in run.splitlines() if not line.startswith("#")]
    assert not any(".venv" in line for line in commands)
    assert "venv=.ci/venv" in commands and 'rm -rf "$venv"' in commands


# -- monthly SLA and fleet reports ---------------------------------------------------------------

RECORDING_PATCHING = """#!/bin/sh
# Records its arguments, writes every --out, exits 3 (a breach).
echo "$*" >> "$ARGS_LOG"
while [ $# -gt 0 ]; do
  if [ "$1" = --out ]; then echo "report of $2" > "$2"; shift; fi
  shift
done
exit 3
"""
# `date` as on 2026-12-01: the month before the run's is 2026-11.
FAKE_DATE = """#!/bin/sh
case "$*" in
  *"-1 day"*) echo 2026-11 ;;
  *) echo 2026-12-01 ;;
esac
"""


def _fake_tools(tmp_path):
    workdir = tmp_path / "work"
    (workdir / ".venv" / "bin").mkdir(parents=True)
    fake = workdir / ".venv" / "bin" / "patching"
    fake.write_text(RECORDING_PATCHING)
    fake.chmod(0o755)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "date").write_text(FAKE_DATE)
    (bindir / "date").chmod(0o755)
    log = tmp_path / "args.log"
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "ARGS_LOG": str(log)}
    return workdir, env, log


def test_the_monthly_report_runs_the_sla_of_the_month_just_ended(tmp_path):
    job = load("report.yml")["jobs"]["report"]
    workdir, env, log = _fake_tools(tmp_path)
    env |= {"STACK": "acme", "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md")}
    result = subprocess.run(
        ["bash", "-e", "-c", steps(job)["Report"]["run"]], cwd=workdir, env=env, capture_output=True, text=True
    )
    assert result.returncode == 3  # a breach fails the customer's job
    assert log.read_text().startswith("report stacks/Pulumi.acme.yaml --sla --month 2026-11 ")


def test_the_fleet_page_is_made_from_every_saved_json_report(tmp_path):
    workflow = load("report.yml")
    job = workflow["jobs"]["fleet"]
    assert job["needs"] == ["select", "report"] and job["if"].startswith("always()")  # also when a customer failed
    assert job["permissions"] == {"contents": "read"}  # offline: no AWS credentials
    assert steps(job)["actions/download-artifact"]["with"]["pattern"] == "report-*"
    assert steps(job)["actions/upload-artifact"]["if"] == "always()"
    # The stacks the report jobs ran for reach the step from the select job's output, through the environment
    # (never expanded into the script).
    assert steps(job)["Fleet"]["env"] == {"EXPECTED": "${{ needs.select.outputs.stacks }}"}
    assert "${{" not in steps(job)["Fleet"]["run"]
    workdir, env, log = _fake_tools(tmp_path)
    env["GITHUB_STEP_SUMMARY"] = str(tmp_path / "summary.md")
    env["EXPECTED"] = '["acme","globex","initech"]'  # initech's report job died before saving its JSON
    (workdir / "reports").mkdir()
    for customer in ("acme", "globex"):
        (workdir / "reports" / f"{customer}.json").write_text("{}")
    script = steps(job)["Fleet"]["run"]
    result = subprocess.run(["bash", "-e", "-c", script], cwd=workdir, env=env, capture_output=True, text=True)
    assert result.returncode == 3
    assert log.read_text().strip() == (
        'report --fleet reports/acme.json reports/globex.json --expect ["acme","globex","initech"] '
        "--max-age-days 7 --out fleet/fleet.html --out fleet/fleet.md"
    )
    assert (tmp_path / "summary.md").read_text() == "report of fleet/fleet.md\n"
    # No saved report at all is a failure, never an empty green page.
    for path in (workdir / "reports").iterdir():
        path.unlink()
    result = subprocess.run(["bash", "-e", "-c", script], cwd=workdir, env=env, capture_output=True, text=True)
    assert result.returncode == 3 and "no customer report was saved" in result.stderr
