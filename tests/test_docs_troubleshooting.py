"""docs/troubleshooting.md quotes the messages users meet: each quote is what the code says today, and
the invalid-stack example is `patching validate`'s real output (a reworded message fails here)."""

from __future__ import annotations

import re

import pytest
from docs_pages import DOCS, ROOT

from patching_components.tools.cli import main

PAGE = (DOCS / "troubleshooting.md").read_text()
SOURCE = "\n".join(path.read_text() for path in (ROOT / "patching_components").rglob("*.py"))

# Each quoted message of the page, as a piece of the source text that prints it (by hand from the page).
QUOTED = [
    ("these credentials reach account ...", "these credentials reach account {account_id}"),
    ("but aws:allowedAccountIds allows only ...", "but aws:allowedAccountIds allows only "),
    ("imports Pulumi ESC environment(s) ...", "imports Pulumi ESC environment(s) {unseen}"),
    ("their pulumiConfig values were not checked", "their pulumiConfig values were not checked"),
    ("`aws:assumeRole is the provider's old single-role key`", "aws:assumeRole is the provider's old single-role key"),
    ("that patching cannot decrypt", "that patching cannot decrypt"),
    ("AWS refused ...", 'f"AWS refused {exc.operation_name}'),
    ("refresh your AWS credentials", "refresh your AWS credentials"),
    ("`no mock answer for invoke <token>: pass invokes={...}`", "no mock answer for invoke {token}: pass invokes="),
    ("`patching: error: nope.yaml: no such file`", "patching: error: <message>"),
]


@pytest.mark.parametrize(("shown", "code"), QUOTED, ids=[shown for shown, _ in QUOTED])
def test_a_quoted_message_is_the_codes(shown, code):
    assert shown in " ".join(PAGE.split())  # the page wraps its lines
    assert code in SOURCE


def test_the_invalid_stack_example_is_real_output(capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    (block,) = re.findall(r"```text\n(FAIL .*?)```", PAGE, re.S)
    assert main(["validate", "tests/bad_stacks/Pulumi.many-errors.yaml"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert [line for line in block.splitlines() if line not in out] == []


def test_a_missing_file_is_the_shown_usage_error(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert main(["validate", "nope.yaml"]) == 2
    assert "patching: error: nope.yaml: no such file" in capsys.readouterr().err
