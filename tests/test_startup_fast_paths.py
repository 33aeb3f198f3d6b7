"""The config checks' fast paths, which let `patching` start faster without changing what it says:
an e-mail address config.fields.plain_email takes without importing email-validator is one
email-validator accepts too, and a time zone on tzdata's list is one the walk over every zone file
finds; everything else, and every message, is still theirs."""

from __future__ import annotations

import email_validator
import pytest
from hypothesis import strategies as st

from conftest import quick_and_full
from patching_components.config import fields


def accepted(value: str) -> bool:
    try:
        email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return False
    return True


def test_the_special_use_names_are_email_validators():
    assert fields._SPECIAL_USE_DOMAINS == set(email_validator.SPECIAL_USE_DOMAIN_NAMES)


@pytest.mark.parametrize(
    "address",
    ["ops@acme.example", "oncall@msp.example", "first.last+tag@mail.example.com", "A_B-c@x-y.io", "1@2.de"],
)
def test_plain_addresses_skip_email_validator(address):
    assert fields.plain_email(address)
    assert accepted(address)


@pytest.mark.parametrize(
    "address",
    [
        "ops@@acme.example",  # these email-validator refuses, in its own words
        "ops@acme",
        ".ops@acme.example",
        "ops.@acme.example",
        "o..ps@acme.example",
        "ops@acme.test",
        "ops@acme.localhost",
        "ops@x.onion",
        "ops@-acme.example",
        "ops@ab--c.example",
        "ops@acme.123",
        "ops@" + "a" * 64 + ".example",
        "a" * 240 + "@acme.example.com",
        "ops@ACME.example",  # these it accepts: it judges them itself
        "ops@xn--bcher-kva.example",
        "o'ps@acme.example",
        "ops@bücher.example",
        "opé@acme.example",
    ],
)
def test_other_addresses_are_left_to_email_validator(address):
    assert not fields.plain_email(address)


def test_an_address_email_validator_refuses_keeps_its_message():
    with pytest.raises(ValueError) as caught:
        fields._email("ops@acme.test")
    with pytest.raises(email_validator.EmailNotValidError) as theirs:
        email_validator.validate_email("ops@acme.test", check_deliverability=False)
    assert str(caught.value) == f"'ops@acme.test' is not an e-mail address SNS can subscribe: {theirs.value}"


ALPHABET = "aZ09._+-@'é"  # the fast path's characters, and a few beyond them


def fast_path_implies_email_validator(local, labels):
    for address in (f"{local}@{'.'.join(labels)}", f"{local}@{'.'.join(labels)}".lower()):
        if fields.plain_email(address):
            assert accepted(address), address


test_the_fast_path_takes_only_what_email_validator_takes, test_the_fast_path_full = quick_and_full(
    fast_path_implies_email_validator,
    local=st.text(alphabet=ALPHABET, min_size=0, max_size=12),
    labels=st.lists(
        st.one_of(
            st.text(alphabet="az09-", min_size=0, max_size=6),
            st.sampled_from(["test", "local", "example", "xn--p1ai", "a" * 63, "a" * 64]),
        ),
        min_size=1,
        max_size=4,
    ),
    quick=100,
    full=5000,
    settings={"deadline": None, "derandomize": True},
)


@pytest.mark.slow  # a fresh interpreter validating three stacks
def test_validating_the_example_stacks_does_not_import_email_validator():
    """Their addresses are plain (the reason for the fast path: its import is a tenth of `patching validate`)."""
    import json
    import os
    import subprocess
    import sys

    from conftest import EXAMPLE_STACKS, ROOT

    probe = (
        "import contextlib, io, json, sys\n"
        "from patching_components.tools.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = main(['validate', *sys.argv[1:]])\n"
        "print(json.dumps([code, 'email_validator' in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *map(str, EXAMPLE_STACKS)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert json.loads(done.stdout) == [0, False]
    assert any("@" in path.read_text() for path in EXAMPLE_STACKS)  # the examples do subscribe addresses


def test_a_tzdata_zone_is_one_of_the_time_zones_aws_takes_without_the_walk(monkeypatch):
    """check_timezone takes tzdata's list first (config.fields._tzdata_zones): every zone on it is one
    of the zones it always took (available_timezones() starts from that list), and the walk over every
    zone file is left for the others (and every error)."""
    zones = fields._tzdata_zones()
    assert "Europe/London" in zones and "America/New_York" in zones
    assert zones - fields._NOT_TIMEZONES <= fields._timezones()

    def no_walk():
        raise AssertionError("walked the zone files")

    monkeypatch.setattr(fields, "_timezones", no_walk)
    assert fields.check_timezone("Europe/London") == "Europe/London"
    with pytest.raises(AssertionError, match="walked"):
        fields.check_timezone("Factory")  # in tzdata's list, and never a zone AWS takes: the walk decides


def test_every_shipped_runbook_loads_with_libyaml_exactly_as_with_safe_load():
    """aws.automation_doc._shipped reads our runbooks with libyaml's safe loader (ten times faster)."""
    import yaml

    from conftest import ROOT
    from patching_components.aws import automation_doc

    assert hasattr(yaml, "CSafeLoader")  # the fast loader is the one under test
    documents = sorted((ROOT / "patching_components" / "documents").glob("*.yaml"))
    assert len(documents) >= 8
    for path in documents:
        loaded, expected = automation_doc._shipped(path.name), yaml.safe_load(path.read_text())
        assert repr(loaded) == repr(expected), path.name  # the same values, types and key order
