"""What a newcomer's try of the docs found in the code (issue: fail closed, clear errors).

Expected texts come from Pulumi's docs, not from the code: ``pulumi env open ENV --format json`` prints
the environment's evaluated values, where ``pulumiConfig`` is a reserved property an environment may
leave out (ESC "Reserved Properties"; "Outputs"): an environment that only gives credentials prints
``{"environmentVariables": {...}}``; only the keys under ``pulumiConfig`` become stack config. The AWS
provider takes its region from ``aws:region`` or else from AWS_REGION in the environment (pulumi-aws
"Installation & Configuration"), so a stack without ``aws:region`` is a warning, not an error.
"""

from __future__ import annotations

import json

from conftest import EXAMPLE_STACKS, ROOT
from patching_components.tools.cli import main

ACME = (ROOT / "stacks" / "Pulumi.acme.yaml").read_text()


def run_cli(capsys, *args):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def without_region(text: str) -> str:
    kept = [line for line in text.splitlines() if not line.startswith("  aws:region:")]
    assert len(kept) == len(text.splitlines()) - 1
    return "\n".join(kept) + "\n"


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


# -- 1. --esc-config without pulumiConfig: accepted (an environment may set none), never silent -----


def test_an_esc_file_without_pulumi_config_keeps_the_environment_warning(capsys, tmp_path):
    path = write(tmp_path, "Pulumi.acme-prod.yaml", "environment:\n  - acme/prod\n" + ACME)
    esc = write(tmp_path, "esc.json", json.dumps({"aws:region": "eu-west-1"}))
    code, out, _ = run_cli(capsys, "validate", "--esc-config", esc, path)
    assert code == 0
    warnings = [line.strip() for line in out.splitlines() if "warning:" in line]
    assert (
        f"warning: {path}: --esc-config {esc} has no pulumiConfig: it sets no stack config (its top-level "
        "aws:region is not stack config: pulumi up reads only the keys under pulumiConfig)"
    ) in warnings
    assert any(line.startswith(f"warning: {path}:1: imports Pulumi ESC environment(s) acme/prod") for line in warnings)


def test_an_esc_file_of_only_environment_variables_is_accepted_with_the_warning(capsys, tmp_path):
    path = write(tmp_path, "Pulumi.acme-prod.yaml", "environment:\n  - acme/prod\n" + ACME)
    esc = write(tmp_path, "esc.json", json.dumps({"environmentVariables": {"AWS_PROFILE": "acme"}}))
    code, out, _ = run_cli(capsys, "validate", "--esc-config", esc, path)
    assert code == 0
    assert f"--esc-config {esc} has no pulumiConfig: it sets no stack config\n" in out
    assert "imports Pulumi ESC environment(s) acme/prod" in out


def test_a_missing_key_with_an_esc_file_without_pulumi_config_still_says_the_environment_may_set_it(capsys, tmp_path):
    text = "\n".join(line for line in ACME.splitlines() if not line.startswith("  patching:customer:")) + "\n"
    path = write(tmp_path, "Pulumi.acme-prod.yaml", "environment:\n  - acme/prod\n" + text)
    esc = write(tmp_path, "esc.json", json.dumps({"environmentVariables": {}}))
    code, out, _ = run_cli(capsys, "validate", "--esc-config", esc, path)
    assert code == 1
    assert "acme/prod, which may set it" in out


def test_an_esc_file_with_pulumi_config_has_no_warning(capsys, tmp_path):
    path = write(tmp_path, "Pulumi.acme-prod.yaml", "environment:\n  - acme/prod\n" + ACME)
    esc = write(tmp_path, "esc.json", json.dumps({"pulumiConfig": {}}))
    code, out, _ = run_cli(capsys, "validate", "--esc-config", esc, path)
    assert code == 0
    assert "pulumiConfig" not in out


# -- 2. plan: aws:region missing on a stack importing environments --------------------------------


def test_plan_without_region_on_a_stack_with_environments_gives_the_esc_hint(capsys, tmp_path):
    path = write(tmp_path, "Pulumi.acme-prod.yaml", "environment:\n  - acme/prod\n" + without_region(ACME))
    code, out, err = run_cli(capsys, "plan", path)
    assert code == 1 and out == ""
    (error,) = [line for line in err.splitlines() if "aws:region is not set" in line]
    assert "set it: pulumi config set aws:region eu-west-1 --stack acme-prod" in error
    assert error.endswith(
        "; the stack imports Pulumi ESC environment(s) acme/prod, which may set it: "
        "check with pulumi env open ENV --format json > esc.json and --esc-config esc.json"
    )


def test_plan_without_region_and_without_environments_has_no_esc_hint(capsys, tmp_path):
    path = write(tmp_path, "Pulumi.acme-prod.yaml", without_region(ACME))
    code, _, err = run_cli(capsys, "plan", path)
    assert code == 1
    assert "aws:region is not set" in err and "ESC" not in err


# -- 3. validate warns about a stack without aws:region ------------------------------------------


def test_validate_warns_about_a_stack_without_region_at_the_config_line(capsys, tmp_path):
    path = write(tmp_path, "Pulumi.acme-prod.yaml", without_region(ACME))
    config_line = without_region(ACME).splitlines().index("config:") + 1
    code, out, _ = run_cli(capsys, "validate", path)
    assert code == 0
    (warning,) = [line.strip() for line in out.splitlines() if "aws:region" in line]
    assert warning.startswith(f"warning: {path}:{config_line}: aws:region is not set:")
    assert warning.endswith("set it: pulumi config set aws:region eu-west-1 --stack acme-prod")


def test_the_region_warning_is_left_to_the_esc_warning_when_an_environment_may_set_it(capsys, tmp_path):
    path = write(tmp_path, "Pulumi.acme-prod.yaml", "environment:\n  - acme/prod\n" + without_region(ACME))
    code, out, _ = run_cli(capsys, "validate", path)
    assert code == 0
    assert "aws:region is not set" not in out and "imports Pulumi ESC environment(s) acme/prod" in out


def test_a_region_from_the_esc_file_is_enough(capsys, tmp_path):
    path = write(tmp_path, "Pulumi.acme-prod.yaml", "environment:\n  - acme/prod\n" + without_region(ACME))
    esc = write(tmp_path, "esc.json", json.dumps({"pulumiConfig": {"aws:region": "eu-west-1"}}))
    code, out, _ = run_cli(capsys, "validate", "--esc-config", esc, path)
    assert code == 0 and "warning" not in out


def test_the_example_stacks_have_no_region_warning(capsys):
    code, out, _ = run_cli(capsys, "validate", *map(str, EXAMPLE_STACKS))
    assert code == 0 and "aws:region is not set" not in out


# -- 4. what --help says: which commands need AWS credentials; what --profile does -----------------

AWS_COMMANDS = ["report", "patch-now", "rollback", "notice", "promote", "resume"]
"""The commands that reach the stack's account (hand-listed from each command's module: aws_stack)."""
OFFLINE = ["validate", "plan", "calendar", "schema", "approve", "deploy-policy", "report-policy"]


def test_the_description_names_the_offline_commands_and_those_that_need_credentials():
    from patching_components.tools.cli import COMMANDS, description

    text = description()
    assert f"Offline, with no AWS credentials: {', '.join(n for n in COMMANDS if n in OFFLINE)}." in text
    assert f"With AWS credentials for the stack's account (see --profile): {', '.join(AWS_COMMANDS)}." in text
    assert "None needs the Pulumi CLI." in text


def test_every_aws_command_has_the_one_profile_help():
    from patching_components.tools.cli import build_parser
    from patching_components.tools.common import PROFILE_HELP

    parser = build_parser(AWS_COMMANDS)
    subparsers = next(a for a in parser._actions if a.dest == "command").choices
    for name in AWS_COMMANDS:
        (option,) = [a for a in subparsers[name]._actions if "--profile" in a.option_strings]
        assert option.help == PROFILE_HELP, name
    for name in OFFLINE:
        assert not [a for a in subparsers[name]._actions if "--profile" in a.option_strings], name


def test_the_profile_help_says_what_the_code_does(monkeypatch):
    """The environment's credentials win over the stack's aws:profile (aws_access.stack_profile)."""
    from patching_components.tools.aws_access import stack_profile
    from patching_components.tools.common import PROFILE_HELP

    settings = {"aws:profile": "acme"}
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    assert stack_profile(settings) == "acme"
    monkeypatch.setenv("AWS_PROFILE", "ci")
    assert stack_profile(settings) is None
    monkeypatch.delenv("AWS_PROFILE")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    assert stack_profile(settings) is None
    assert "AWS_PROFILE or AWS_ACCESS_KEY_ID from the environment if set, else the stack's aws:profile" in PROFILE_HELP


# -- 5. the configuration reference has a table for rings[] items and changeFreezes.<key> ---------


def test_the_reference_has_the_ring_item_settings():
    from patching_components.config.reference import render

    rows = {line.split(" | ")[0].strip("| `"): line for line in render("rings").splitlines()[2:]}
    assert set(rows) == {"rings[].name", "rings[].patchGroups", "rings[].soakDays"}
    assert "| required |" in rows["rings[].name"] and "| required |" in rows["rings[].patchGroups"]
    assert "| `7` |" in rows["rings[].soakDays"] and "1-90" in rows["rings[].soakDays"]


def test_the_reference_has_the_change_freeze_settings():
    from patching_components.config.reference import render

    rows = {line.split(" | ")[0].strip("| `"): line for line in render("changeFreezes").splitlines()[2:]}
    assert set(rows) == {"changeFreezes.<key>.start", "changeFreezes.<key>.end", "changeFreezes.<key>.timezone"}
    assert "| `UTC` |" in rows["changeFreezes.<key>.timezone"]
    assert "| required |" in rows["changeFreezes.<key>.start"]


def test_the_reference_page_has_both_tables_under_their_headings():
    page = (ROOT / "docs" / "reference" / "configuration.md").read_text()
    assert page.index("## `rings[]`") < page.index("<!-- config-reference:rings -->")
    assert page.index("## `changeFreezes.<key>`") < page.index("<!-- config-reference:changeFreezes -->")


# -- 6. descriptions link to the docs' sections, not name them in quotes ---------------------------

QUOTED_SECTIONS = [
    '"Several regions"',
    '"Freezes and emergencies"',
    '"SLA report"',
    '"Patch rings"',
    '"Circuit breaker"',
]


def _slug(heading: str) -> str:
    """MkDocs' toc anchor of a heading (lower case, punctuation dropped, spaces as '-')."""
    import re

    text = re.sub(r"[^\w\s-]", "", heading.strip().lower())
    return re.sub(r"[\s]+", "-", text)


def test_no_description_names_a_section_in_quotes():
    from patching_components.config.base import attach_descriptions
    from patching_components.tools.schema import stack_file_schema

    attach_descriptions()
    text = json.dumps(stack_file_schema())
    assert "[Several regions](#several-regions)" in text  # a Markdown link reads as its text
    for quoted in QUOTED_SECTIONS:
        assert quoted.replace('"', '\\"') not in text, quoted


def test_every_link_of_the_reference_names_a_heading_of_its_page():
    import re

    from patching_components.config.reference import BLOCKS, render

    links = {
        (page, anchor)
        for block in BLOCKS
        for page, anchor in re.findall(r"\]\(\.\./([\w-]+\.md)#([\w-]+)\)", render(block))
    }
    for page, anchor in [
        ("regions-and-accounts.md", "several-regions"),
        ("freezes.md", "freezes-and-the-circuit-breaker"),
        ("report.md", "sla-report-and-the-fleet-at-a-glance"),
        ("rings-and-approvals.md", "patch-rings"),
        ("freezes.md", "circuit-breaker-stop-patching-when-an-alarm-fires"),
    ]:
        assert (page, anchor) in links
    for page, anchor in links:
        headings = [
            line.lstrip("#") for line in (ROOT / "docs" / page).read_text().splitlines() if line.startswith("#")
        ]
        assert anchor in {_slug(h) for h in headings}, (page, anchor)
