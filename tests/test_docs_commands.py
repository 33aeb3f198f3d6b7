"""Every `patching` command the documentation shows is real (issue 25, item 2).

README.md and docs/**/*.md (whatever exists) are read fence by fence:

- A block whose first line is ``$ patching ...`` shows a command and its output. An offline command
  (OFFLINE) is RUN here, in-process through ``cli.main`` with stdout and stderr captured together, from
  the repository root, on a frozen clock (validate's warnings and a calendar without ``--start`` depend
  on today). The output is compared with the block by this rule: a line that is only ``...`` (indented
  or not) cuts the output; the shown lines between two cuts appear in the output one after the other,
  runs in the block's order; the lines before the first cut are the output's first lines, those after
  the last cut its last lines (a block without a cut is the whole output). The ``$`` line's own
  continuation lines (trailing backslash) are the command; the output ends at the next ``$`` line.
- Any other such block (the AWS commands: report, patch-now, notice, ...) must be listed in CHECKED_BY
  with the test that checks it; this test asserts that the named test exists.
- Every ``patching <command> ...`` line of a ```bash / ```sh / ```console block (commands shown without
  output) is parsed by the real argument parser: ``parse_args`` must not exit.

A block neither run nor listed fails, naming its file and line.
"""

from __future__ import annotations

import ast
import contextlib
import io
import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
import time_machine

from conftest import EXAMPLE_STACKS, ROOT
from patching_components.tools import cli

OFFLINE = {"validate", "plan", "calendar", "schema", "deploy-policy", "report-policy"}
"""Commands that read only files: run here. ``approve`` joins them with ``--dry-run`` (without it, it edits
the stack file: such a block is checked where a copy of the file is edited, see CHECKED_BY)."""

NOW = "2027-03-01T12:00:00Z"
"""The frozen clock: a date before the documentation's example calendars (March and April 2027)."""

PATCH_NOW = (
    "patching patch-now stacks/Pulumi.acme.yaml --groups acme-web "
    "--install-override-list https://patches.acme.example/cve-2026-0001.yaml --dry-run"
)
CHECKED_BY = {
    # the block's command (continuation lines joined) -> the test that checks the block's output
    PATCH_NOW: "tests/test_docs_commands.py::test_the_patch_now_block_is_a_dry_run_against_the_stubbed_account",
    "patching approve stacks/Pulumi.globex.yaml --window tue-install --date 2027-03-11": (
        "tests/test_approvals.py::test_the_readme_shows_real_approve_output"
    ),
}

SHELL_LANGUAGES = {"bash", "sh", "shell", "console"}
DOC_FILES = sorted([ROOT / "README.md", *(ROOT / "docs").rglob("*.md")])


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence, 1-based
    language: str
    lines: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def fenced_blocks(path: Path) -> list[Block]:
    """The fenced code blocks of a Markdown file, with their info string's first word and their lines
    (the fence's indentation removed)."""
    blocks, lines = [], path.read_text().splitlines()
    index = 0
    while index < len(lines):
        opening = re.match(r"^( *)(`{3,}|~{3,})\s*([\w+-]*)", lines[index])
        if not opening:
            index += 1
            continue
        indent, fence, language = len(opening[1]), opening[2], opening[3]
        start, body = index, []
        index += 1
        while index < len(lines) and not re.match(rf"^ *{fence[0]}{{{len(fence)},}}\s*$", lines[index]):
            body.append(lines[index][indent:] if not lines[index][:indent].strip() else lines[index].lstrip())
            index += 1
        blocks.append(Block(path, start + 1, language, tuple(body)))
        index += 1
    return blocks


def all_blocks() -> list[Block]:
    return [block for path in DOC_FILES for block in fenced_blocks(path)]


def command_and_output(block: Block) -> tuple[str, list[str]]:
    """A ``$ patching`` block's first command (its continuation lines joined) and the lines it shows
    as that command's output (up to the next ``$`` line)."""
    command, rest = block.lines[0][2:], list(block.lines[1:])
    while command.endswith("\\") and rest:
        command = command[:-1].rstrip() + " " + rest.pop(0).strip()
    output = []
    for line in rest:
        if line.startswith("$ "):
            break
        output.append(line)
    return " ".join(command.split()), output


def matches(shown: list[str], out: list[str]) -> str | None:
    """Why ``shown`` is not ``out`` under the module's rule (None when it is)."""
    runs: list[list[str]] = [[]]
    for line in shown:
        if line.strip() == "...":
            runs.append([])
        else:
            runs[-1].append(line)
    if len(runs) == 1:
        return None if shown == out else "the block shows the whole output (no `...`) and differs from it"
    if out[: len(runs[0])] != runs[0]:
        return "the lines before the first `...` are not the output's first lines"
    if runs[-1] and out[len(out) - len(runs[-1]) :] != runs[-1]:
        return "the lines after the last `...` are not the output's last lines"
    position = len(runs[0])
    for run in runs[1:-1]:
        found = next((i for i in range(position, len(out) - len(run) + 1) if out[i : i + len(run)] == run), None)
        if found is None:
            return f"these lines are not in the output, one after the other, in this order: {run}"
        position = found + len(run)
    if runs[-1] and len(out) - len(runs[-1]) < position:
        return "the last lines overlap the ones before them"
    return None


def runs_here(argv: list[str]) -> bool:
    return bool(argv) and (argv[0] in OFFLINE or (argv[0] == "approve" and "--dry-run" in argv))


def patching_commands(block: Block) -> list[tuple[int, list[str]]]:
    """The ``patching`` commands of a shell block, as (line number, argv after ``patching``): each
    command word ``patching`` (or a path ending in /patching), up to the next shell operator."""
    found, lines = [], list(block.lines)
    index = 0
    while index < len(lines):
        number, line = block.line + 1 + index, lines[index]
        while line.rstrip().endswith("\\") and index + 1 < len(lines):
            index += 1
            line = line.rstrip()[:-1] + " " + lines[index]
        index += 1
        line = line[2:] if line.startswith("$ ") else line
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split, lexer.commenters = True, "#"
        words = list(lexer)
        for position, word in enumerate(words):
            first_word = position == 0 or words[position - 1] in {"&&", "||", ";", "|", "(", "$("}
            if first_word and (word == "patching" or word.endswith("/patching")):
                argv = []
                for arg in words[position + 1 :]:
                    if arg in {"&&", "||", ";", "|", ">", ">>", "<", "2>", ")"}:
                        break
                    argv.append(arg)
                found.append((number, argv))
    return found


def run_offline(argv: list[str]) -> list[str]:
    buffer = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
            cli.main(argv)
    return buffer.getvalue().splitlines()


def output_block_problems(blocks: list[Block]) -> tuple[int, list[str]]:
    """How many ``$ patching`` blocks there are, and what is wrong with them (run from the current directory)."""
    problems, seen = [], 0
    for block in blocks:
        if not block.lines or not block.lines[0].startswith("$ patching "):
            continue
        seen += 1
        command, shown = command_and_output(block)
        if command in CHECKED_BY:
            continue
        argv = shlex.split(command)[1:]
        if not runs_here(argv):
            problems.append(
                f"{block.where}: `{command}` is neither run here (offline commands) nor listed in CHECKED_BY "
                "with the test that checks its output"
            )
            continue
        why = matches(shown, run_offline(argv))
        if why:
            problems.append(f"{block.where}: `{command}`: {why}")
    return seen, problems


def in_a_checkout_of_the_examples(monkeypatch, folder: Path) -> None:
    """The repository as the docs show it: every file in place, but stacks/ holding the three examples only, so
    that a command without files (the default, stacks/Pulumi.*.yaml) sees what the docs show and not the MSP's
    own customer stacks."""
    for entry in ROOT.iterdir():
        if entry.name != "stacks":
            (folder / entry.name).symlink_to(entry)
    (folder / "stacks").mkdir()
    for path in EXAMPLE_STACKS:
        (folder / "stacks" / path.name).write_text(path.read_text())
    monkeypatch.chdir(folder)


def test_every_output_block_is_run_or_checked_by_a_named_test(monkeypatch, tmp_path):
    in_a_checkout_of_the_examples(monkeypatch, tmp_path)
    seen, problems = output_block_problems(all_blocks())
    assert seen >= 5, "the documentation's `$ patching` blocks were not found"
    assert not problems, "\n".join(problems)


def test_a_block_neither_run_nor_listed_fails_with_its_file_and_line(monkeypatch):
    monkeypatch.chdir(ROOT)
    page = Block(ROOT / "docs" / "page.md", 7, "text", ("$ patching report stacks/Pulumi.acme.yaml", "# acme"))
    wrong = Block(ROOT / "docs" / "page.md", 20, "text", ("$ patching schema", '{"$schema": "not this"}'))
    cut = Block(ROOT / "docs" / "page.md", 30, "text", ("$ patching schema", "{", "..."))
    assert output_block_problems([page, wrong, cut]) == (
        3,
        [
            "docs/page.md:7: `patching report stacks/Pulumi.acme.yaml` is neither run here (offline commands) "
            "nor listed in CHECKED_BY with the test that checks its output",
            "docs/page.md:20: `patching schema`: the block shows the whole output (no `...`) and differs from it",
        ],
    )


def test_every_named_test_exists():
    for node in [*CHECKED_BY.values()]:
        file, name = node.split("::")
        tree = ast.parse((ROOT / file).read_text())
        names = {f.name for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
        assert name in names, f"{node} does not exist"


def test_every_listed_block_is_still_in_the_documentation():
    # A table entry whose block was rewritten would silently check nothing.
    commands = {
        command_and_output(block)[0]
        for block in all_blocks()
        if block.lines and block.lines[0].startswith("$ patching ")
    }
    assert set(CHECKED_BY) <= commands, set(CHECKED_BY) - commands


def shell_problems(blocks: list[Block]) -> tuple[int, list[str]]:
    """How many ``patching`` commands the shell blocks hold, and those the parser refuses."""
    problems, seen = [], 0
    for block in blocks:
        if block.language not in SHELL_LANGUAGES:
            continue
        for number, argv in patching_commands(block):
            seen += 1
            parser = cli.build_parser(argv[:1] if argv[:1] and argv[0] in cli.COMMANDS else [])
            error = io.StringIO()
            try:
                with contextlib.redirect_stderr(error), contextlib.redirect_stdout(io.StringIO()):
                    parser.parse_args(argv)
            except SystemExit:
                where = f"{block.path.relative_to(ROOT)}:{number}"
                problems.append(f"{where}: patching {shlex.join(argv)}: {error.getvalue().strip().splitlines()[-1]}")
    return seen, problems


def test_every_command_in_a_shell_block_parses():
    seen, problems = shell_problems(all_blocks())
    assert seen >= 3, "the documentation's shell blocks with `patching` were not found"
    assert not problems, "\n".join(problems)


def test_a_command_the_parser_refuses_fails_with_its_file_and_line():
    block = Block(
        ROOT / "docs" / "page.md", 3, "bash", ("# two", "patching validate a.yaml", "patching calendar --weeks 0")
    )
    assert shell_problems([block]) == (
        2,
        ["docs/page.md:6: patching calendar --weeks 0: patching calendar: error: argument --weeks: give 1-104 weeks"],
    )


def subset(shown: object, real: object) -> bool:
    """``shown`` is ``real`` with some keys left out (the docs' ``...`` inside a JSON line)."""
    if isinstance(shown, dict) and isinstance(real, dict):
        return all(key in real and subset(value, real[key]) for key, value in shown.items())
    if isinstance(shown, list) and isinstance(real, list):
        return len(shown) == len(real) and all(map(subset, shown, real))
    return shown == real


def test_the_patch_now_block_is_a_dry_run_against_the_stubbed_account(monkeypatch):
    import test_patch_now
    from aws_stubs import StubbedAccount, use_account

    (block,) = [b for b in all_blocks() if b.lines and command_and_output(b)[0] == PATCH_NOW]
    _, shown = command_and_output(block)
    # The account and role the docs show; the responses are tests/test_patch_now.py's for acme's weekly-install.
    account = StubbedAccount({"ssm": test_patch_now.ACME_INSTALL}, "eu-west-1")
    use_account(
        monkeypatch, account, "111122223333", "arn:aws:sts::111122223333:assumed-role/patching-operator/patching"
    )
    monkeypatch.chdir(ROOT)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(shlex.split(PATCH_NOW)[1:]) == 0
    account.assert_all_called()
    lines = out.getvalue().splitlines()
    assert shown[:2] == lines[:2]  # the account line and the plan line, exactly
    # The request line, its `...` left out: the keys shown have the values shown.
    requests = json.loads("\n".join(lines[2:]))
    assert len(shown) == 3 and subset(json.loads(shown[2].replace(", ...", "")), requests), shown[2]


# -- the rules themselves ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shown", "why"),
    [
        (["a", "b", "c"], None),
        (["a", "b"], "the block shows the whole output"),
        (["a", "..."], None),
        (["b", "..."], "the lines before the first"),
        (["...", "c"], None),
        (["...", "b"], "the lines after the last"),
        (["a", "  ...", "c"], None),
        (["...", "b", "..."], None),
        (["...", "c", "b", "..."], "one after the other"),
        (["...", "a", "c", "..."], "one after the other"),  # a run is contiguous
        (["a", "...", "a", "..."], "one after the other"),  # a run after the first is found after it
    ],
)
def test_the_comparison_rule(shown, why):
    result = matches(shown, ["a", "b", "c"])
    assert (result is None) if why is None else (result is not None and why in result)


def test_blocks_commands_and_continuations_are_read(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "text\n\n"
        "1. a step:\n\n"
        "   ```text\n"
        "   $ patching calendar stacks/Pulumi.acme.yaml \\\n"
        "       --weeks 2\n"
        "   out\n"
        "   ...\n"
        "   $ git commit -am x\n"
        "   ```\n\n"
        "```bash\n"
        "venv/bin/patching validate stacks/Pulumi.contoso.yaml   # offline check\n"
        "x=1 && .venv/bin/patching plan a.yaml | head\n"
        "echo patching schema\n"
        "```\n"
    )
    first, second = fenced_blocks(page)
    assert (first.line, first.language, second.line, second.language) == (5, "text", 13, "bash")
    assert command_and_output(first) == ("patching calendar stacks/Pulumi.acme.yaml --weeks 2", ["out", "..."])
    assert patching_commands(second) == [
        (14, ["validate", "stacks/Pulumi.contoso.yaml"]),
        (15, ["plan", "a.yaml"]),
    ]


def test_a_json_line_shown_in_part_is_a_subset():
    real = [{"region": "eu-west-1", "SendCommand": {"DocumentName": "AWS-RunPatchBaseline", "MaxErrors": "1"}}]
    assert subset([{"region": "eu-west-1", "SendCommand": {"DocumentName": "AWS-RunPatchBaseline"}}], real)
    assert not subset([{"region": "eu-west-1", "SendCommand": {"DocumentName": "AWS-RunShellScript"}}], real)
    assert not subset([{"region": "us-east-1"}], real) and not subset([], real)
