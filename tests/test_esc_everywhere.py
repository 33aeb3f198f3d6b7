"""``--esc-config`` on every command that reads a stack file, and the schema of a stack file importing
Pulumi ESC environments (issue 25, item 3, the rest).

What Pulumi does, from its docs (docs/aws-behaviour.md, "Pulumi ESC"): a stack file's ``environment:``
imports environments whose ``pulumiConfig`` becomes stack config, an explicit stack value winning over
the environment's ("Outputs" reference of ESC); ``pulumi env open ENV --format json`` prints it. So the
account settings (``aws:region``, ``aws:assumeRoles``, ``aws:allowedAccountIds``, ``aws:profile``) may
live in the environment: an AWS command that cannot see them must not guess the account. These tests
run offline (the AWS calls are stood in for by a function that must not be called); the end-to-end
runs against moto are in tests/test_esc_aws.py.
"""

from __future__ import annotations

import json

import jsonschema
import pytest

from patching_components.tools import common
from patching_components.tools.aws_access import AccessError
from patching_components.tools.cli import main
from patching_components.tools.schema import stack_file_schema

GATED = """\
config:
  patching:baselines:
    al2023:
      operatingSystem: AMAZON_LINUX_2023
  patching:maintenanceWindows:
    tue-install:
      schedule: cron(0 3 ? * TUE#2 *)
      scheduleOffset: 2
      timezone: America/New_York
      durationHours: 4
      cutoffHours: 1
      operation: Install
      requiresApproval: true
      approvedOccurrences: [2027-01-14]
  patching:patchGroups:
    web:
      baselines: [al2023]
      maintenanceWindows: [tue-install]
"""
"""A stack whose customer and aws:* settings come from its environment (an approval-gated window:
the second Tuesday + 2 days, i.e. 2027-02-11 is an occurrence)."""

ENVIRONMENT = "environment:\n  - gate/prod\n"


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def esc_file(tmp_path, pulumi_config, **more):
    return write(tmp_path, "esc.json", json.dumps({"pulumiConfig": pulumi_config, **more}))


@pytest.fixture
def no_aws(monkeypatch):
    """No AWS call may be made: reaching the account fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the command reached for the account")

    monkeypatch.setattr(common, "open_account", refuse)


# -- the AWS commands: without --esc-config, a warning and (no account visible) a refusal ---------------------

AWS_COMMANDS = {
    "report": [],
    "patch-now": ["--dry-run"],
    "notice": [],
    "promote": ["--ring", "broad"],
    "resume": ["--dry-run"],
    "rollback": ["--instance", "i-0123456789abcdef0", "--dry-run"],
}


@pytest.mark.parametrize("command", list(AWS_COMMANDS))
def test_an_esc_stack_naming_no_account_is_refused_before_any_aws_call(capsys, tmp_path, no_aws, command):
    stack = write(
        tmp_path,
        "Pulumi.gate.yaml",
        ENVIRONMENT + GATED.replace("config:\n", "config:\n  aws:region: us-east-1\n  patching:customer: gate\n"),
    )
    code, out, err = run_cli(capsys, command, stack, *AWS_COMMANDS[command])
    assert (code, out) == (2, "")
    lines = err.splitlines()
    assert lines[0].startswith(f"warning: {stack}:1: imports Pulumi ESC environment(s) gate/prod: ")
    assert lines[1] == (
        f"warning: {stack}: aws:region, aws:profile, aws:assumeRoles, aws:allowedAccountIds may come from the Pulumi "
        "ESC environment(s) it imports, which patching cannot see without --esc-config: the account and region used "
        "are the stack file's own"
    )
    assert lines[2] == (
        f"patching: error: {stack} imports Pulumi ESC environment(s) and names no aws:allowedAccountIds patching can "
        "see: the account pulumi up deploys in may be set there (aws:assumeRoles, aws:profile), and these credentials "
        "may reach another; give --esc-config FILE (pulumi env open ENV --format json > FILE), or set "
        "aws:allowedAccountIds in the stack file"
    )
    assert len(lines) == 3


def test_an_esc_stack_with_its_own_allowed_accounts_is_only_warned_about(capsys, tmp_path, monkeypatch):
    """aws:allowedAccountIds in the file: whatever the environment would add, the account is checked."""
    stack = write(
        tmp_path,
        "Pulumi.gate.yaml",
        ENVIRONMENT
        + GATED.replace(
            "config:\n",
            'config:\n  aws:region: us-east-1\n  aws:allowedAccountIds: ["111122223333"]\n  patching:customer: gate\n',
        ),
    )
    reached = []

    def stand_in(settings, **kwargs):
        reached.append((dict(settings), kwargs))
        raise AccessError("stopped here")  # what open_account got is all this test looks at

    monkeypatch.setattr("patching_components.tools.aws_access.open_account", stand_in)
    code, _, err = run_cli(capsys, "report", stack)
    assert code == 2
    assert "may come from the Pulumi ESC environment(s) it imports" in err
    ((settings, kwargs),) = reached
    assert settings["aws:allowedAccountIds"] == ["111122223333"]
    assert kwargs["region"] == "us-east-1"


# -- with --esc-config: the environment's aws: values reach the account, beneath the file's own ---------------


def reached_with(monkeypatch):
    reached = []

    def stand_in(settings, **kwargs):
        reached.append((dict(settings), kwargs))
        raise AccessError("stopped here")

    monkeypatch.setattr("patching_components.tools.aws_access.open_account", stand_in)
    return reached


def test_the_environments_account_settings_reach_aws_access_as_the_files_would(capsys, tmp_path, monkeypatch):
    stack = write(tmp_path, "Pulumi.gate.yaml", ENVIRONMENT + GATED)
    roles = [{"roleArn": "arn:aws:iam::111122223333:role/patching-operator", "externalId": "gate-7f3c"}]
    esc = esc_file(
        tmp_path,
        {
            "aws:region": "us-east-1",
            "aws:assumeRoles": roles,
            "aws:allowedAccountIds": ["111122223333"],
            "aws:profile": "msp",
            "customer": "gate",  # no namespace: the project's (patching)
        },
    )
    reached = reached_with(monkeypatch)
    code, _, err = run_cli(capsys, "patch-now", stack, "--dry-run", "--esc-config", esc)
    assert (code, err) == (2, f"patching: error: {stack}: stopped here\n")  # no warning: the values were seen
    ((settings, kwargs),) = reached
    assert {k: settings[k] for k in common.ESC_ACCOUNT_SETTINGS} == {
        "aws:region": "us-east-1",
        "aws:profile": "msp",
        "aws:assumeRoles": roles,
        "aws:allowedAccountIds": ["111122223333"],
    }
    # pulumi env open printed them in the clear: none is an undecryptable {secure: ...} of the stack file.
    assert kwargs == {"region": "us-east-1", "profile": None, "secret_keys": frozenset()}


def test_the_stack_files_own_account_settings_win(capsys, tmp_path, monkeypatch):
    own = 'config:\n  aws:region: eu-west-1\n  aws:allowedAccountIds: ["444455556666"]\n'
    stack = write(tmp_path, "Pulumi.gate.yaml", ENVIRONMENT + GATED.replace("config:\n", own))
    esc = esc_file(
        tmp_path,
        {"aws:region": "us-east-1", "aws:allowedAccountIds": ["111122223333"], "patching:customer": "gate"},
    )
    reached = reached_with(monkeypatch)
    assert run_cli(capsys, "resume", stack, "--dry-run", "--esc-config", esc)[0] == 2
    ((settings, kwargs),) = reached
    assert settings["aws:allowedAccountIds"] == ["444455556666"]
    assert kwargs["region"] == "eu-west-1"


def test_a_secure_setting_of_the_file_stays_undecryptable_with_an_environment(capsys, tmp_path, monkeypatch):
    own = "config:\n  aws:region: us-east-1\n  aws:profile:\n    secure: AAABAKxyz\n"
    stack = write(tmp_path, "Pulumi.gate.yaml", ENVIRONMENT + GATED.replace("config:\n", own))
    esc = esc_file(tmp_path, {"aws:allowedAccountIds": ["111122223333"], "patching:customer": "gate"})
    reached = reached_with(monkeypatch)
    assert run_cli(capsys, "report", stack, "--esc-config", esc)[0] == 2
    ((_, kwargs),) = reached
    assert kwargs["secret_keys"] == frozenset({"aws:profile"})


def test_credentials_the_environment_exports_are_named_when_this_process_lacks_them(capsys, tmp_path, monkeypatch):
    stack = write(tmp_path, "Pulumi.gate.yaml", ENVIRONMENT + GATED)
    esc = esc_file(
        tmp_path,
        {"aws:region": "us-east-1", "aws:allowedAccountIds": ["111122223333"], "patching:customer": "gate"},
        environmentVariables={"AWS_ACCESS_KEY_ID": "ASIA...", "AWS_SECRET_ACCESS_KEY": "x", "GREETING": "hi"},
    )
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)
    reached_with(monkeypatch)
    code, _, err = run_cli(capsys, "notice", stack, "--esc-config", esc)
    assert code == 2
    assert err.splitlines()[0] == (
        f"warning: {esc} sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY for pulumi up; patching reads only its "
        "pulumiConfig and uses this process's credentials: to use the same ones, run pulumi env run ENV -- patching "
        "notice ..."
    )
    assert "ASIA" not in err  # never a value


def test_a_missing_customer_without_esc_config_says_the_environment_may_set_it(capsys, tmp_path, no_aws):
    stack = write(
        tmp_path, "Pulumi.gate.yaml", ENVIRONMENT + GATED.replace("config:\n", "config:\n  aws:region: us-east-1\n")
    )
    code, _, err = run_cli(capsys, "promote", stack, "--ring", "broad")
    assert code == 1
    assert "patching:customer: required key is missing" in err
    assert "the stack imports Pulumi ESC environment(s) gate/prod, which may set it" in err


def test_the_fleet_report_takes_no_single_esc_config(capsys, tmp_path, no_aws):
    stack = write(tmp_path, "Pulumi.gate.yaml", ENVIRONMENT + GATED)
    esc = esc_file(tmp_path, {"patching:customer": "gate"})
    code, out, err = run_cli(capsys, "report", "--fleet", stack, "--esc-config", esc)
    assert (code, out) == (2, "")
    assert err == (
        "patching: error: --esc-config is one stack's: report each ESC stack with patching report STACK --esc-config "
        "FILE --format json --out STACK.json, then give the saved .json reports to --fleet\n"
    )


# -- the offline commands that read a stack file ------------------------------------------------------------


def test_approve_takes_the_customer_from_the_environment(capsys, tmp_path):
    stack = write(tmp_path, "Pulumi.gate.yaml", ENVIRONMENT + GATED)
    esc = esc_file(tmp_path, {"patching:customer": "gate", "aws:region": "us-east-1"})
    code, _, err = run_cli(capsys, "approve", stack, "--window", "tue-install", "--date", "2027-02-11")
    assert code == 1
    assert "the stack imports Pulumi ESC environment(s) gate/prod, which may set it" in err
    code, out, err = run_cli(
        capsys, "approve", stack, "--window", "tue-install", "--date", "2027-02-11", "--esc-config", esc
    )
    assert (code, err) == (0, "")
    assert "-      approvedOccurrences: [2027-01-14]\n+      approvedOccurrences: [2027-01-14, 2027-02-11]\n" in out
    assert "patching:customer" not in stack.read_text()  # the environment's value stays there


def test_approve_checks_the_edited_file_with_the_environments_values(capsys, tmp_path):
    """An environment value the model refuses (an invalid customer id): nothing is written."""
    stack = write(tmp_path, "Pulumi.gate.yaml", ENVIRONMENT + GATED)
    before = stack.read_text()
    esc = esc_file(tmp_path, {"patching:customer": "Not An Id!"})
    code, _, err = run_cli(
        capsys, "approve", stack, "--window", "tue-install", "--date", "2027-02-11", "--esc-config", esc
    )
    assert code == 1
    assert f"(from {esc})" in err and "Not An Id!" not in err  # its key and file, never the value
    assert stack.read_text() == before


def test_report_policy_takes_the_region_from_the_environment(capsys, tmp_path):
    stack = write(tmp_path, "Pulumi.gate.yaml", ENVIRONMENT + GATED)
    esc = esc_file(tmp_path, {"patching:customer": "gate", "aws:region": "ap-southeast-2"})
    code, out, err = run_cli(capsys, "report-policy", stack)
    assert code == 1
    code, out, err = run_cli(capsys, "report-policy", stack, "--esc-config", esc)
    assert (code, err) == (0, "")
    assert '"aws:RequestedRegion": [\n            "ap-southeast-2"\n          ]' in out


# -- patching schema: required keys may come from the environment --------------------------------------------


def test_the_schema_requires_the_customer_only_of_a_stack_without_environment():
    schema = stack_file_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    without_customer = {"config": {"aws:region": "us-east-1", "patching:baselines": {}}}
    assert [e.message for e in validator.iter_errors(without_customer)] == [
        "'patching:customer' is a required property"
    ]
    for environment in (["gate/prod"], {"imports": ["gate/prod"]}):
        assert list(validator.iter_errors({"environment": environment, **without_customer})) == []
    # Everything else is checked as before, with or without the environment.
    misspelt = {"environment": ["gate/prod"], "config": {"patching:baslines": {}}}
    (error,) = validator.iter_errors(misspelt)
    assert list(error.absolute_path) == ["config"] and "'patching:baslines'" in error.message
    assert list(validator.iter_errors({"environment": ["gate/prod"]})) != []  # config: is still required
