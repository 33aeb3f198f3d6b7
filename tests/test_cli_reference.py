"""docs/reference/cli.md is the argument parser's: rendered from it by
patching_components.tools.cli_reference, never kept by hand."""

from __future__ import annotations

import argparse

from conftest import ROOT
from patching_components.tools import cli, cli_reference

PAGE = ROOT / "docs" / "reference" / "cli.md"


def test_the_page_is_the_rendering():
    assert cli_reference.main(["--check", str(PAGE)]) == 0, (
        "docs/reference/cli.md differs from the parser: run python -m patching_components.tools.cli_reference"
    )


def test_a_changed_help_text_fails_the_check_and_writing_makes_it_current(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "cli.md"
    stale.write_text(PAGE.read_text())
    build = cli.build_parser

    def edited_parser(commands=None):
        parser = build(commands)
        (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        (weeks,) = [a for a in sub.choices["calendar"]._actions if "--weeks" in a.option_strings]
        weeks.help = "how many weeks to list"
        return parser

    monkeypatch.setattr(cli_reference, "build_parser", edited_parser)
    assert cli_reference.main(["--check", str(stale)]) == 1
    assert "differs from the argument parser" in capsys.readouterr().err
    assert cli_reference.main([str(stale)]) == 0
    assert "| `--weeks WEEKS` | `4` | how many weeks to list |" in stale.read_text()
    assert cli_reference.main(["--check", str(stale)]) == 0


def test_a_missing_page_fails_the_check(tmp_path):
    assert cli_reference.main(["--check", str(tmp_path / "cli.md")]) == 1


def test_every_command_and_option_is_on_the_page():
    # Hand-picked rows, written from each command's options (tests/test_cli_startup.py lists them all).
    page = PAGE.read_text()
    for name in cli.COMMANDS:
        assert f"\n## patching {name}\n" in page and f"](#patching-{name}) |" in page
    assert "| `[STACK_FILE ...]` |  | default: stacks/Pulumi.\\*.yaml |" in page  # validate: nargs="*"
    assert "| `[STACK_FILE]` |  | limit the policy to this stack's regions and partition |" in page  # report-policy
    assert "| `--instance ID` | required | the node to roll back (i-...) |" in page  # rollback: a required option
    assert "| `--operation {Scan,Install}` | `Install` |" in page  # patch-now: choices and the default
    assert "| `--yes` |  | send without asking |" in page  # a flag: no default shown
    assert (
        "usage: patching approve [-h] --window KEY --date YYYY-MM-DD [--dry-run] [--esc-config FILE]\n"
        "                        STACK_FILE\n"
    ) in page
    assert "## patching schema\n\nprint the JSON Schema of a stack file.\n" in page


def test_exit_codes_are_on_the_page_and_in_help():
    page = PAGE.read_text()
    assert [code for code in range(5) if f"\n| {code} | " in page] == [0, 1, 2, 3, 4]
    assert "| 4 | refused: `patch-now` inside a change freeze" in page
    help_text = " ".join(cli.build_parser([]).format_help().split())  # `patching --help`
    assert "exit codes: 0 success; 1 an invalid stack file" in help_text
    assert "; 3 `report` found something non-compliant, not covered or past its SLA;" in help_text
    assert help_text.endswith("`resume` while a stop alarm is in ALARM")


def test_usage_lines_do_not_depend_on_the_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    narrow = cli_reference.render()
    monkeypatch.setenv("COLUMNS", "300")
    assert cli_reference.render() == narrow == PAGE.read_text()
