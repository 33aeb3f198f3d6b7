"""What the package relies on of the Pulumi SDK's internals (patching_components._pulumi_sdk),
pinned: when an SDK release changes one of them, this fails before anything else does."""

import asyncio

import pulumi

from patching_components import _pulumi_sdk
from tests.engine import run_program


def test_the_config_keys_the_engine_hands_over_are_visible():
    seen = {}

    def program():
        seen["keys"] = _pulumi_sdk.config_keys_present()

    run_program(
        {"patching:customer": "acme", "patching:tgas": "{}", "aws:region": "eu-west-1"}, stack="sdk", program=program
    )
    assert seen["keys"] >= {"patching:customer", "patching:tgas", "aws:region"}


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
