"""Stack files are read once, as the Pulumi CLI reads them (go-yaml v3), and ``validate``
judges the values the program receives, so the two never disagree."""

from __future__ import annotations

import pulumi
import pytest

from conftest import ROOT
from patching_components.config import ConfigError, load_stack_file
from patching_components.config.stack_yaml import YamlProblem, parse
from patching_components.tools.cli import main
from patching_components.tools.engine import ProgramError
from tests.engine import run_stack_file

ACME = (ROOT / "stacks" / "Pulumi.acme.yaml").read_text()


# go-yaml v3's resolution of plain scalars into interface{}, from its resolve.go and README:
# YAML 1.1 booleans and sexagesimals are text, underscores and Go's base prefixes make integers.
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", "yes"),
        ("on", "on"),
        ("No", "No"),
        ("true", True),
        ("FALSE", False),
        ("~", None),
        ("", None),
        ("1_000", 1000),
        ("0x1f", 31),
        ("0o17", 15),
        ("017", 15),
        ("-0b11", -3),
        ("1:30", "1:30"),
        ("2026-12-01", "2026-12-01"),
        ("09", 9.0),
        ("1e3", 1000.0),
        (".5", 0.5),
        ("18446744073709551615", 2**64 - 1),
        ("1" * 5000, "1" * 5000),
        ("'5'", "5"),
        ("!!str 5", "5"),
        ("!!float 3", 3.0),
    ],
)
def test_plain_scalars_mean_what_they_mean_to_the_cli(text, value):
    assert parse(f"a: {text}\n").value == {"a": value}


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a: 1\nb: 2\na: 3\n", 3, "key 'a' is already defined at line 1"),
        ("a: !!int abc\n", 1, "cannot read 'abc' as a !!int"),
        ("a:\n  b: !!bool maybe\n", 2, "cannot read 'maybe' as a !!bool"),
        ("a: !!timestamp soon\n", 1, "cannot read 'soon' as a !!timestamp"),
        ("a: !!binary aGk=\n", 1, "tag !!binary is not supported"),
        ("a: !!set {x}\n", 1, "tag !!set is not supported"),
        ("a: !custom x\n", 1, "tag !custom is not supported"),
        ("a: [\n" + "[" * 150 + "]" * 150 + "]\n", 2, "nested deeper than 100 levels"),
        ("a: 1\n---\nb: 2\n", 2, "one YAML document"),
        ("? [a]\n: 1\n", 1, "a key must be a plain value"),
        ("a: *nowhere\n", 1, "unknown anchor 'nowhere'"),
        ("a:\n  b: \x1b[31m\n", 2, "U+001B is not allowed"),
        ("a: [1\n", 2, "expected ',' or ']'"),
    ],
)
def test_what_the_cli_refuses_is_an_error_with_its_line(text, line, message):
    with pytest.raises(YamlProblem) as info:
        parse(text)
    assert (info.value.line, message in info.value.message) == (line, True), info.value.message


def test_billion_laughs_is_refused_before_it_grows():
    text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for name, previous in zip("bcdefghi", "abcdefgh", strict=True):
        text += f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]\n"
    with pytest.raises(YamlProblem, match="excessive aliasing"):
        parse(text)


def test_anchors_and_merge_keys_work_as_in_go_yaml():
    parsed = parse("base: &w {durationHours: 2, cutoffHours: 1}\nnight:\n  <<: *w\n  cutoffHours: 0\n")
    assert parsed.value["night"] == {"durationHours": 2, "cutoffHours": 0}  # explicit keys win
    assert parsed.lines[("night", "durationHours")] == 3  # the merge key's line


def test_every_key_and_item_has_its_line_in_flow_style_too():
    parsed = parse("a:\n  b: {c: [x, {d: 'cron(0 2 ? * SUN *)'}],\n      e: 1}\n")
    assert parsed.lines == {("a",): 1, ("a", "b"): 2, ("a", "b", "c"): 2, ("a", "b", "c", 0): 2} | {
        ("a", "b", "c", 1): 2,
        ("a", "b", "c", 1, "d"): 2,
        ("a", "b", "e"): 3,
    }


def write(tmp_path, text: str, stack: str = "fuzzed"):
    path = tmp_path / f"Pulumi.{stack}.yaml"
    path.write_text(text)
    return path


def outcomes(path):
    """What validate and the program make of one stack file: None (ok) or each one's messages."""
    try:
        load_stack_file(path)
        offline = None
    except ConfigError as exc:
        offline = sorted(f"{i.key_path()}: {i.message}" for i in exc.issues)
    try:
        run_stack_file(path)
        program = None
    except ProgramError as exc:
        assert isinstance(exc.error, pulumi.RunError), exc.error
        assert exc.resources == []
        program = sorted(line.split(": ", 1)[1] for line in str(exc).splitlines()[1:])
    return offline, program


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("patching:customer: acme", "patching:customer: 'null'"),  # the customer "null", to both
        ("patching:customer: acme", "patching:customer: 'true'"),
        ("patching:customer: acme", "patching:customer: null"),  # no customer, to both
        ('  patching:tags:\n    Owner: msp-ops\n    CostCenter: "4711"', '  patching:tags: \'{"Owner": "x"}\''),
        ("    acme-web:\n", "    2024:\n"),  # an integer key is the text "2024" to both
        ("      cutoffHours: 1\n      operation: Scan", "      cutoffHours: on\n      operation: Scan"),
        ("      durationHours: 2\n", "      durationHours: 0x2\n"),
        ("      durationHours: 2\n", "      durationHours: 2.0\n"),
        ("      approveAfterDays: 7", "      approveAfterDays: 1_0"),
        ("      default: true", "      default: yes"),
    ],
)
def test_validate_and_the_program_agree(tmp_path, old, new):
    assert old in ACME
    offline, program = outcomes(write(tmp_path, ACME.replace(old, new, 1)))
    assert offline == program


def test_yaml_1_1_booleans_are_not_booleans(tmp_path):
    offline, _ = outcomes(write(tmp_path, ACME.replace("      default: true", "      default: yes", 1)))
    assert offline == ["patching:baselines.al2023.default: got 'yes' (text); allowed: true or false"]


def test_a_yaml_error_names_file_and_line_in_validate_and_plan(tmp_path, capsys):
    path = write(tmp_path, ACME.replace("    al2023:\n", "    al2023:\n      default: false\n", 1))
    assert main(["validate", str(path)]) == 2  # not a stack file the CLI reads
    out = capsys.readouterr().out
    assert f"{path}:14: not valid YAML: key 'default' is already defined at line 10" in out
    assert main(["plan", str(path)]) == 2
    assert "key 'default' is already defined" in capsys.readouterr().err
