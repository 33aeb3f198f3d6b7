"""`patching report --fleet` over stack files read live against the AWS stand-in (tests/moto_aws.py): each stack
is read in the account its own aws:assumeRoles reaches, as `patching report STACK_FILE` reads it."""

from __future__ import annotations

import json

import pytest
import time_machine

from patching_components.tools import cli
from tests.report_setup import CONTOSO, CONTOSO_STACK, FABRIKAM, FABRIKAM_STACK, NOW


@pytest.mark.slow  # seconds of moto: .ci/run runs it with -m slow
def test_each_stack_is_read_in_its_own_account(aws, tmp_path, capsys):
    paths = []
    for name, text in (("fabrikam", FABRIKAM_STACK), ("contoso", CONTOSO_STACK)):
        path = tmp_path / f"Pulumi.{name}.yaml"
        path.write_text(text)
        paths.append(str(path))
    with time_machine.travel(NOW, tick=False):
        code = cli.main(["report", "--fleet", *paths, "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    # Nothing deployed, no node: neither customer is ok (an empty account is never green).
    assert code == 3 and data["ok"] is False
    rows = {c["customer"]: c for c in data["customers"]}
    assert (rows["contoso"]["account"], rows["fabrikam"]["account"]) == (CONTOSO, FABRIKAM)
    assert all(c["error"] is None and c["nodes"] == 0 and c["gaps"] > 0 and not c["ok"] for c in rows.values())
    # Equal risk: by customer.
    assert [c["customer"] for c in data["customers"]] == ["contoso", "fabrikam"]
    assert data["totals"]["gaps"] == rows["contoso"]["gaps"] + rows["fabrikam"]["gaps"]


@pytest.mark.slow  # seconds of moto: .ci/run runs it with -m slow
def test_a_report_of_one_of_the_stacks_regions_is_partial_on_the_page(aws, tmp_path, capsys):
    """contoso's stack has eu-west-1 and us-east-1: `patching report --region eu-west-1` saves a report that says
    so (stackRegions, regionsNarrowed), and the fleet page, offline or live with --region, calls it partial."""
    stack = tmp_path / "Pulumi.contoso.yaml"
    stack.write_text(CONTOSO_STACK)
    saved = tmp_path / "contoso.json"
    with time_machine.travel(NOW, tick=False):
        cli.main(["report", str(stack), "--region", "eu-west-1", "--format", "json", "--out", str(saved)])
        data = json.loads(saved.read_text())
        assert (data["regions"], data["stackRegions"], data["regionsNarrowed"]) == (
            ["eu-west-1"],
            ["eu-west-1", "us-east-1"],
            True,
        )
        capsys.readouterr()
        assert "only (--region): not us-east-1, also the stack's" in (
            cli.main(["report", str(stack), "--region", "eu-west-1"]) and capsys.readouterr().out
        )
        for inputs in ([str(saved)], [str(stack), "--region", "eu-west-1"]):
            assert cli.main(["report", "--fleet", *inputs, "--format", "json"]) == 3
            (row,) = json.loads(capsys.readouterr().out)["customers"]
            assert row["problems"] == ["partial: read eu-west-1 only (--region), not the stack's us-east-1"]
