"""What the offline runner relies on of the Pulumi SDK's internals (patching_components.tools._pulumi_sdk),
pinned: when an SDK release changes one of them, this fails before anything else does. The program
itself reads its config through public API only (config.pulumi_config.config_keys_present)."""

import asyncio

import pulumi

from patching_components.config.pulumi_config import config_keys_present
from patching_components.tools import _pulumi_sdk
from tests.engine import run_program


def test_the_config_keys_the_engine_hands_over_are_visible():
    seen = {}

    def program():
        seen["keys"] = config_keys_present()

    run_program(
        {"patching:customer": "acme", "patching:tgas": "{}", "aws:region": "eu-west-1"}, stack="sdk", program=program
    )
    # A misspelt key too (tgas), as the language host hands every key over in PULUMI_CONFIG.
    assert seen["keys"] == {"patching:customer", "patching:tgas", "aws:region"}


def test_without_the_language_hosts_variable_the_known_keys_are_still_found(monkeypatch):
    import pulumi.runtime

    seen = {}

    def program():
        # As an Automation API inline program runs: config set, PULUMI_CONFIG not.
        monkeypatch.delenv("PULUMI_CONFIG")
        seen["keys"] = config_keys_present()

    run_program({"patching:customer": "acme", "patching:tgas": "{}"}, stack="sdk", program=program)
    assert seen["keys"] == {"patching:customer"}
    assert pulumi.runtime.get_config_env() == {}  # the runner left the process as it found it


def test_secret_inputs_are_recognised_and_unwrapped():
    def program():
        pulumi.CustomResource("test:index:Thing", "thing", {"password": pulumi.Output.secret("hunter2"), "plain": "x"})

    run = run_program({}, stack="sdk", program=program)
    (thing,) = run.resources
    assert thing.inputs == {"password": "hunter2", "plain": "x"}
    assert thing.secret_inputs == ["password"]
    assert _pulumi_sdk.unwrap_secret({"plain": 1}) == (False, {"plain": 1})


def test_program_functions_run_with_a_stack_and_the_mock_monitor_is_subclassable():
    assert issubclass(_pulumi_sdk.mock_monitor_class(), object)
    assert hasattr(_pulumi_sdk.mock_monitor_class(), "RegisterResource")
    assert asyncio.iscoroutinefunction(_pulumi_sdk.run_program_function)


def test_pending_outputs_can_be_forgotten():
    from pulumi.runtime.settings import SETTINGS

    SETTINGS.outputs.add("left pending by a failed run")
    _pulumi_sdk.forget_pending_outputs()
    assert not SETTINGS.outputs


def test_nothing_outside_the_offline_runner_touches_an_sdk_internal():
    import re

    from conftest import ROOT

    internal = re.compile(r"pulumi\.runtime\.(rpc|stack|mocks|settings|config)\b|from pulumi\.runtime(\.\w+)? import")
    allowed = {"tools/_pulumi_sdk.py"}
    found = [
        str(path.relative_to(ROOT / "patching_components"))
        for path in (ROOT / "patching_components").rglob("*.py")
        if internal.search(path.read_text()) and str(path.relative_to(ROOT / "patching_components")) not in allowed
    ]
    assert found == []
