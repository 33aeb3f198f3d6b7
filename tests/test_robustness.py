"""Values of any shape where names go, names that would collide, text that would reach a
terminal: a clear error with its key path, never a traceback, and nothing the engine refuses."""

from __future__ import annotations

import pulumi
import pytest

from conftest import MINIMAL, run_config
from patching_components import SecurityBaseline
from patching_components.config import ConfigError, validate
from patching_components.tools.engine import DuplicateUrnError, ProgramError
from tests.engine import run_program

ODD = [["a"], {"a": 1}, {"secure": "v1:AAAA"}, 5, None, True, 1.5]


def errors(raw):
    with pytest.raises(ConfigError) as info:
        validate(raw, "stacks/Pulumi.test.yaml")
    return info.value.lines()


@pytest.mark.parametrize("value", ODD, ids=repr)
@pytest.mark.parametrize(
    "where",
    [
        ("patchGroups", "acme-web", "baselines", 0),
        ("patchGroups", "acme-web", "baselines"),
        ("patchGroups", "acme-web", "maintenanceWindows"),
        ("baselines", "al2023", "operatingSystem"),
        ("baselines", "al2023", "default"),
        ("goldenAmis", "web", "patchGroup"),
        ("goldenAmis", "web", "platform"),
        ("goldenAmis",),
        ("tags",),
    ],
)
def test_any_value_where_a_name_goes_is_an_error_naming_its_key(value, where):
    raw = {
        **MINIMAL,
        "goldenAmis": {"web": {"platform": "Linux", "sourceAmiId": "ami-0123456789abcdef0", "patchGroup": "acme-web"}},
    }
    raw = {key: (dict(v) if isinstance(v, dict) else v) for key, v in raw.items()}
    parent = raw
    for step in where[:-1]:
        parent[step] = parent[step].copy() if hasattr(parent[step], "copy") else parent[step]
        parent = parent[step]
    parent[where[-1]] = value
    if (where[-1], value) in (("default", True), ("tags", {"secure": "v1:AAAA"})):
        validate(raw, "x")  # valid: a default baseline; a tag named "secure" (from Python, not a secret)
        return
    lines = errors(raw)
    key_path = "patching:" + ".".join(str(s) for s in where if not isinstance(s, int))
    assert any(key_path in line for line in lines), lines


def test_keys_that_are_not_text_are_named_not_crashed_on():
    lines = errors({**MINIMAL, "baselines": {None: {"operatingSystem": "AMAZON_LINUX_2023"}, 7: {}}})
    assert any("patching:baselines[None]" in line or "patching:baselines.None" in line for line in lines), lines


def test_control_characters_never_reach_the_terminal():
    lines = errors({**MINIMAL, "tags": {"a\x1b[31m\nb": "x"}})
    assert lines and all("\x1b" not in line and "\n" not in line for line in lines)
    assert any("\\x1b[31m\\nb" in line for line in lines), lines


def test_registration_names_that_would_collide_are_an_error():
    raw = {
        "customer": "acme",
        "baselines": {
            "a": {"operatingSystem": "AMAZON_LINUX_2023"},
            "a-b": {"operatingSystem": "AMAZON_LINUX_2023"},
        },
        "patchGroups": {"b-c": {"baselines": ["a"]}, "c": {"baselines": ["a-b"]}},
    }
    (line,) = errors(raw)
    assert line == (
        "stacks/Pulumi.test.yaml: patching:patchGroups.c.baselines[0]: baseline 'a-b' with patch group 'c' and "
        "baseline 'a' with patch group 'b-c' both name their registration '<customer>-a-b-c'; rename one key"
    )


def test_the_offline_runner_refuses_a_duplicate_urn_as_the_engine_does():
    def program():
        SecurityBaseline("acme-a", {"operating_system": "AMAZON_LINUX_2023", "patch_groups": ["b-c"]})
        SecurityBaseline("acme-a-b", {"operating_system": "AMAZON_LINUX_2023", "patch_groups": ["c"]})

    with pytest.raises(ProgramError) as info:
        run_program({}, stack="dup", program=program)
    assert isinstance(info.value.error, DuplicateUrnError) or "Duplicate resource URN" in str(info.value)
    assert "SecurityBaseline$aws:ssm/patchGroup:PatchGroup::acme-a-b-c" in str(info.value)


def test_the_same_address_twice_is_one_error_not_a_duplicate_urn():
    with pytest.raises(ProgramError) as info:
        run_config({**MINIMAL, "notifications": {"emails": ["ops@acme.example", "ops@acme.example"]}})
    assert isinstance(info.value.error, pulumi.RunError)
    assert "patching:notifications.emails[1]: 'ops@acme.example' is listed twice" in str(info.value)
    assert info.value.resources == []
