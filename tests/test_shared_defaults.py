"""Two stacks of one account and region both registering the default baseline of one OS (review finding).

AWS keeps one default patch baseline per operating system in an account and region:
RegisterDefaultPatchBaseline "defines the default patch baseline for the relevant operating system"
(https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_RegisterDefaultPatchBaseline.html), and
a node outside every patch group is patched with it ("Patch groups",
https://docs.aws.amazon.com/systems-manager/latest/userguide/patch-manager-patch-groups.html). Two stacks
setting ``default: true`` for one OS in one account and region overwrite each other on every ``pulumi up``.
``patching validate`` over several files reports the pair on both files. The stack files are written
here (tests/ fixtures in tmp_path), never in stacks/.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from conftest import EXAMPLE_STACKS, ROOT
from patching_components.tools.cli import main


def stack(tmp_path: Path, name: str, *, account: str | None = "111122223333", region: str | None = "eu-west-1",
          os_name: str = "AMAZON_LINUX_2023", default: bool = True, more: str = "") -> Path:  # fmt: skip
    lines = ["config:"]
    if region:
        lines.append(f"  aws:region: {region}")
    if account:
        lines.append(f'  aws:allowedAccountIds: ["{account}"]')
    lines += [
        f"  patching:customer: {name}",
        "  patching:baselines:",
        "    linux:",
        f"      operatingSystem: {os_name}",
    ]
    if default:
        lines.append("      default: true")
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text("\n".join(lines) + "\n" + more)
    return path


def validate(capsys, *args):
    code = main(["validate", *(str(a) for a in args)])
    out = capsys.readouterr()
    return code, out.out, out.err


def error_text(other: Path, os_name: str, where: str) -> str:
    return (
        f"{other} (baseline 'linux') also registers the default {os_name} baseline in {where}: an account and "
        "region has one default per operating system, so the last pulumi up wins and the other stack's nodes outside "
        "its patch groups silently switch baseline; keep default: true in one of the two stacks"
    )


def test_two_stacks_of_one_account_and_region_are_an_error_on_both_files(capsys, tmp_path):
    contoso, fabrikam = stack(tmp_path, "contoso"), stack(tmp_path, "fabrikam")
    code, out, err = validate(capsys, contoso, fabrikam)
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        f"FAIL {contoso}: 1 error(s)",
        f"  {contoso}:8: patching:baselines.linux.default: "
        + error_text(fabrikam, "AMAZON_LINUX_2023", "account 111122223333, region eu-west-1"),
        f"FAIL {fabrikam}: 1 error(s)",
        f"  {fabrikam}:8: patching:baselines.linux.default: "
        + error_text(contoso, "AMAZON_LINUX_2023", "account 111122223333, region eu-west-1"),
        "0 valid, 2 invalid",
    ]


def test_each_file_alone_is_valid(capsys, tmp_path):
    for path in (stack(tmp_path, "contoso"), stack(tmp_path, "fabrikam")):
        assert validate(capsys, path)[0] == 0


def test_the_json_output_names_the_key_path_and_line(capsys, tmp_path):
    contoso, fabrikam = stack(tmp_path, "contoso"), stack(tmp_path, "fabrikam")
    code, out, _ = validate(capsys, "--format", "json", contoso, fabrikam)
    assert code == 1
    files = json.loads(out)["files"]
    assert [(f["file"], f["valid"]) for f in files] == [(str(contoso), False), (str(fabrikam), False)]
    assert files[0]["errors"] == [
        {
            "line": 8,
            "keyPath": "patching:baselines.linux.default",
            "message": error_text(fabrikam, "AMAZON_LINUX_2023", "account 111122223333, region eu-west-1"),
        }
    ]


def test_a_shared_region_of_patching_regions_is_named(capsys, tmp_path):
    contoso = stack(tmp_path, "contoso", more="  patching:regions: [eu-west-1, us-east-1]\n")
    fabrikam = stack(tmp_path, "fabrikam", region="us-east-1")
    code, out, _ = validate(capsys, contoso, fabrikam)
    assert code == 1
    assert error_text(fabrikam, "AMAZON_LINUX_2023", "account 111122223333, region us-east-1") in out


def test_another_account_region_or_os_or_no_default_is_fine(capsys, tmp_path):
    contoso = stack(tmp_path, "contoso")
    for other in (
        stack(tmp_path, "fabrikam", account="444455556666"),
        stack(tmp_path, "fabrikam", region="us-east-1"),
        stack(tmp_path, "fabrikam", os_name="UBUNTU"),
        stack(tmp_path, "fabrikam", default=False),
        stack(tmp_path, "fabrikam", more="  patching:mode: disabled\n"),  # builds nothing
    ):
        code, out, _ = validate(capsys, contoso, other)
        assert (code, out.splitlines()[-1]) == (0, "2 valid, 0 invalid"), other.read_text()
        assert "warning" not in out


def test_one_file_given_twice_is_not_its_own_pair(capsys, tmp_path):
    contoso = stack(tmp_path, "contoso")
    assert validate(capsys, contoso, contoso)[0] == 0


def test_a_stack_naming_no_account_is_compared_as_a_warning(capsys, tmp_path):
    contoso, initech = stack(tmp_path, "contoso"), stack(tmp_path, "initech", account=None)
    code, out, _ = validate(capsys, contoso, initech)
    assert code == 0
    warning = (
        "(baseline 'linux') also registers the default AMAZON_LINUX_2023 baseline in region eu-west-1, perhaps the "
        f"same account and region; {initech} names no aws:allowedAccountIds, so this cannot be checked: if they are "
        "the same, the last pulumi up wins and the other stack's nodes outside its patch groups silently switch "
        "baseline; set aws:allowedAccountIds and aws:region in both, and keep default: true in one stack per account "
        "and region"
    )
    assert f"  warning: {contoso}:8: patching:baselines.linux.default: {initech} {warning}" in out.splitlines()
    assert f"  warning: {initech}:7: patching:baselines.linux.default: {contoso} {warning}" in out.splitlines()


def test_a_stack_without_a_region_is_compared_as_a_warning(capsys, tmp_path):
    contoso, initech = stack(tmp_path, "contoso"), stack(tmp_path, "initech", region=None)
    code, out, _ = validate(capsys, contoso, initech)
    assert code == 0
    assert (
        f"{initech} (baseline 'linux') also registers the default AMAZON_LINUX_2023 baseline in account 111122223333, "
        f"the region it builds in, perhaps the same account and region; {initech} sets no aws:region, so this cannot "
        "be checked" in out
    )


def test_the_account_may_come_from_the_esc_config(capsys, tmp_path):
    environment = "environment:\n  - shared/prod\n"
    contoso = stack(tmp_path, "contoso")
    fabrikam = stack(tmp_path, "fabrikam", account=None)
    fabrikam.write_text(environment + fabrikam.read_text())
    esc = tmp_path / "esc.json"
    esc.write_text(json.dumps({"pulumiConfig": {"aws:allowedAccountIds": ["111122223333"]}}))
    code, out, _ = validate(capsys, contoso, fabrikam)
    assert code == 0 and "perhaps the same account and region" in out  # unseen: a warning
    code, out, _ = validate(capsys, contoso, fabrikam, "--esc-config", esc)
    assert code == 1
    assert error_text(fabrikam, "AMAZON_LINUX_2023", "account 111122223333, region eu-west-1") in out


def test_the_pull_request_workflow_validates_every_stack_file_together():
    """One `patching validate` over all stack files (its default: stacks/Pulumi.*.yaml), so that pairs are seen."""
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "pull-request.yml").read_text())
    runs = [step.get("run", "") for job in workflow["jobs"].values() for step in job.get("steps", [])]
    assert ".venv/bin/patching validate" in runs


def test_the_example_stacks_register_no_default_twice(capsys):
    code, out, _ = validate(capsys, *EXAMPLE_STACKS)  # by name: the MSP's own stack files are not ours to judge
    assert code == 0 and "also registers the default" not in out


def test_stacks_allowing_several_accounts_conflict_on_the_ones_they_share(capsys, tmp_path):
    contoso = stack(tmp_path, "contoso", account='111122223333", "444455556666')
    fabrikam = stack(tmp_path, "fabrikam", account='444455556666", "777788889999')
    code, out, _ = validate(capsys, contoso, fabrikam)
    assert code == 1
    assert error_text(fabrikam, "AMAZON_LINUX_2023", "account 444455556666, region eu-west-1") in out


def test_the_json_string_form_of_allowed_accounts_is_one_account_too(capsys, tmp_path):
    """`pulumi config set aws:allowedAccountIds '["111122223333"]'` writes a JSON list in a string (pulumi-aws reads
    it as the list): the same account as the list form, so the pair is still an error."""
    contoso, fabrikam = stack(tmp_path, "contoso"), stack(tmp_path, "fabrikam")
    text = fabrikam.read_text()
    fabrikam.write_text(
        text.replace('aws:allowedAccountIds: ["111122223333"]', "aws:allowedAccountIds: '[\"111122223333\"]'")
    )
    assert fabrikam.read_text() != text
    code, out, _ = validate(capsys, contoso, fabrikam)
    assert code == 1
    assert error_text(contoso, "AMAZON_LINUX_2023", "account 111122223333, region eu-west-1") in out


def test_an_unreadable_allowed_accounts_value_is_unknown_and_warned_about(capsys, tmp_path):
    contoso, fabrikam = stack(tmp_path, "contoso"), stack(tmp_path, "fabrikam")
    text = fabrikam.read_text()
    fabrikam.write_text(text.replace('aws:allowedAccountIds: ["111122223333"]', "aws:allowedAccountIds: '[\"1111'"))
    code, out, _ = validate(capsys, contoso, fabrikam)
    assert code == 0 and "also registers the default" in out and "warning" in out
