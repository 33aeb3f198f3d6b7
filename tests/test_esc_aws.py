"""`patching report` and `patching patch-now` end to end against the AWS stand-in (tests/moto_aws.py) for a
stack whose account settings live in a Pulumi ESC environment, given with ``--esc-config``.

The stacks are those of tests/report_setup.py and tests/test_patch_now_e2e.py, with their ``aws:``
settings (``aws:region``, ``aws:assumeRoles``, ``aws:allowedAccountIds``) and ``patching:customer`` moved
out of the stack file into the ``pulumiConfig`` of ``pulumi env open ENV --format json`` output, as Pulumi
would give them to the stack ("Outputs" reference of ESC: ``pulumiConfig`` becomes stack config, the stack
file's own value winning). The expected results are those the same modules write by hand for the plain
stack files: the same account, role chain, regions and requests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from patching_components.tools import cli
from tests.report_setup import FABRIKAM_STACK, run_report
from tests.test_patch_now_e2e import (  # noqa: F401 - the fixtures are used by name
    OPERATOR,
    PROD,
    PROD_STACK,
    _fresh_clients,
    _plans,
    decoy,
    deployed,
    nothing_sent_anywhere,
    request,
    sent,
    stacks,
)
from tests.test_report_aws import FABRIKAM_ROLE, nothing_deployed

FABRIKAM = "444455556666"
MOVED = ("aws:region", "aws:assumeRoles", "aws:allowedAccountIds", "patching:customer")


def esc_stack(folder: Path, name: str, text: str, **changes: object) -> tuple[Path, Path]:
    """``Pulumi.<name>.yaml`` importing ``<name>/prod``, without MOVED, and the ESC output holding them
    (``changes``: other ESC values, None to drop one)."""
    document = yaml.safe_load(text)
    moved = {key: document["config"].pop(key) for key in MOVED}
    for key, value in changes.items():
        key = key.replace("__", ":")
        if value is None:
            moved.pop(key)
        else:
            moved[key] = value
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump({"environment": [f"{name}/prod"], **document}, sort_keys=False))
    esc = folder / "esc.json"
    esc.write_text(json.dumps({"pulumiConfig": moved, "environmentVariables": {}}))
    return path, esc


# -- report ------------------------------------------------------------------------------------------------


@pytest.mark.slow  # seconds of moto
def test_report_reads_the_account_and_region_the_environment_names(aws, tmp_path, capsys):
    stack, esc = esc_stack(tmp_path, "fabrikam", FABRIKAM_STACK)
    code, data, err = run_report(capsys, stack, {}, "--esc-config", str(esc))
    assert (code, err) == (3, "")  # nothing deployed there: every resource a gap, read in fabrikam's account
    assert data == nothing_deployed(FABRIKAM, FABRIKAM_ROLE, region="us-east-1")


def test_report_refuses_the_operators_account_when_the_environment_allows_only_the_customers(aws, tmp_path, capsys):
    stack, esc = esc_stack(tmp_path, "fabrikam", FABRIKAM_STACK, aws__assumeRoles=None)
    code, data, err = run_report(capsys, stack, {}, "--esc-config", str(esc))
    assert (code, data) == (2, None)
    (line,) = err.splitlines()
    assert line == (
        f"patching: error: {stack}: these credentials reach account {OPERATOR} (as arn:aws:sts::{OPERATOR}:user/moto, "
        f"with no aws:assumeRoles), but aws:allowedAccountIds allows only {FABRIKAM}: use credentials of that "
        "account (--profile) or set aws:assumeRoles to a role in it"
    )
    assert dict(aws.layer.calls) == {"GetCallerIdentity": 1}  # who it is, then nothing read


def test_report_without_esc_config_warns_and_refuses_before_any_call(aws, tmp_path, capsys):
    stack, _ = esc_stack(tmp_path, "fabrikam", FABRIKAM_STACK)
    text = stack.read_text()
    stack.write_text(text.replace("config:\n", "config:\n  aws:region: us-east-1\n  patching:customer: fabrikam\n"))
    code, data, err = run_report(capsys, stack, {})
    assert (code, data) == (2, None)
    assert [line.split(":")[0] for line in err.splitlines()] == ["warning", "warning", "patching"]
    assert "names no aws:allowedAccountIds patching can see" in err
    assert dict(aws.layer.calls) == {}


# -- patch-now -----------------------------------------------------------------------------------------------


@pytest.mark.slow  # the program's plan and moto: seconds
@pytest.mark.usefixtures("decoy")  # acme-prod deployed in its account, and its windows in the operator's
def test_patch_now_sends_in_the_account_the_environments_role_chain_reaches(aws, tmp_path, capsys):
    stack, esc = esc_stack(tmp_path / "esc", "acme-prod", PROD_STACK)
    assert cli.main(["patch-now", str(stack), "--groups", "acme-web,acme-db", "--yes", "--esc-config", str(esc)]) == 0
    assert capsys.readouterr().out.startswith(
        f"# acme: account {PROD} as arn:aws:sts::{PROD}:assumed-role/patching-operator/patching\n"
    )
    assert sent(PROD, "eu-west-1") == [
        request(["acme-db"], "Install", "RebootIfNeeded", "patching/acme/patch-now"),
        request(["acme-web"], "Install", "NoReboot", "patching/acme/patch-now"),
    ]
    assert sent(PROD, "us-east-1") == [
        request(["acme-db"], "Install", "RebootIfNeeded", "patching/acme/us-east-1/patch-now"),
        request(["acme-web"], "Install", "NoReboot", "patching/acme/us-east-1/patch-now"),
    ]
    assert sent(OPERATOR, "eu-west-1") == sent(OPERATOR, "us-east-1") == []  # the decoy's windows, untouched


@pytest.mark.slow  # the program's plan and moto: seconds
@pytest.mark.usefixtures("decoy")
def test_patch_now_refuses_a_wrong_account_from_the_environment(aws, tmp_path, capsys):
    stack, esc = esc_stack(tmp_path / "esc", "acme-prod", PROD_STACK, aws__allowedAccountIds=["444444444444"])
    assert cli.main(["patch-now", str(stack), "--yes", "--esc-config", str(esc)]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(
        f"patching: error: {stack}: these credentials reach account {PROD} (as arn:aws:sts::{PROD}:assumed-role/"
        "patching-operator/patching, through aws:assumeRoles), but aws:allowedAccountIds allows only 444444444444: "
    )
    assert nothing_sent_anywhere()


def test_patch_now_without_esc_config_sends_nothing(aws, tmp_path, capsys):
    stack, _ = esc_stack(tmp_path, "acme-prod", PROD_STACK)
    stack.write_text(
        stack.read_text().replace("config:\n", "config:\n  aws:region: eu-west-1\n  patching:customer: acme\n")
    )
    assert cli.main(["patch-now", str(stack), "--yes"]) == 2
    assert "names no aws:allowedAccountIds patching can see" in capsys.readouterr().err
    assert dict(aws.layer.calls) == {}
