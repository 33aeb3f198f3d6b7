"""The corpus of broken stack files: each must fail with its message and build nothing."""

import re

import pulumi
import pytest

from conftest import BAD_STACKS, run_stack
from patching_components.checks import check_stack
from patching_components.config import ConfigError
from patching_components.tools.cli import main
from patching_components.tools.engine import ProgramError


def expected_fragments(path):
    fragments = [
        line.split("# expect: ", 1)[1] for line in path.read_text().splitlines() if line.startswith("# expect: ")
    ]
    assert fragments, f"{path.name} has no '# expect:' line"
    return fragments


def test_corpus_is_large_enough():
    assert len(BAD_STACKS) >= 25


@pytest.mark.parametrize("path", BAD_STACKS, ids=lambda p: p.name[len("Pulumi.") : -len(".yaml")])
def test_offline_validation_reports_it(path):
    with pytest.raises(ConfigError) as info:
        check_stack(path)
    text = "\n".join(info.value.lines())
    for fragment in expected_fragments(path):
        assert fragment in text
    # file:line: key path: message (the line of the deepest key that exists)
    assert all(re.match(rf"{re.escape(str(path))}(:\d+)?: patching:", line) for line in info.value.lines())
    assert any(re.match(rf"{re.escape(str(path))}:\d+: ", line) for line in info.value.lines())


@pytest.mark.parametrize("path", BAD_STACKS, ids=lambda p: p.name[len("Pulumi.") : -len(".yaml")])
def test_program_registers_nothing(path):
    with pytest.raises(ProgramError) as info:
        run_stack(path)
    assert isinstance(info.value.error, pulumi.RunError)
    stack = path.name[len("Pulumi.") : -len(".yaml")]
    message = str(info.value)
    assert f"stacks/Pulumi.{stack}.yaml: patching:" in message
    for fragment in expected_fragments(path):
        assert fragment in message
    assert info.value.resources == []


@pytest.mark.parametrize("path", BAD_STACKS, ids=lambda p: p.name[len("Pulumi.") : -len(".yaml")])
def test_patching_validate_reports_it(capsys, path):
    assert main(["validate", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.startswith(f"FAIL {path}: ")
    for fragment in expected_fragments(path):
        assert fragment in out
    assert out.rstrip().endswith("0 valid, 1 invalid")
