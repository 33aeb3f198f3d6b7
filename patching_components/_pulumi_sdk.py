"""The Pulumi SDK internals this package relies on, in one place.

Everything else uses Pulumi's public API. These few have no public equivalent;
each can move in any SDK release, so tests/test_pulumi_sdk.py pins what they do
and fails first when one changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def config_keys_present() -> set[str]:
    """Every ``namespace:key`` the engine handed the program (``pulumi.Config`` reads one
    known key at a time; reporting a misspelt key needs the names that are there)."""
    from pulumi.runtime import config as runtime_config

    return {*runtime_config.get_config_env(), *runtime_config.CONFIG.get()}


def unwrap_secret(value: Any) -> tuple[bool, Any]:
    """(is it a secret, its plain value) for a deserialized property value."""
    from pulumi.runtime import rpc

    if isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig:
        return True, value["value"]
    return False, value


def deserialize_properties(struct: Any) -> Any:
    """A RegisterResource request's protobuf inputs as Python values (secrets still marked)."""
    from pulumi.runtime import rpc

    return rpc.deserialize_properties(struct)


async def run_program_function(program: Callable[[], None]) -> None:
    """Run a Pulumi program function as the language host does (stack resource, outputs)."""
    from pulumi.runtime.stack import run_pulumi_func

    await run_pulumi_func(program)


def mock_monitor_class() -> type:
    """Pulumi's mock resource monitor, to subclass for recording what the mocks do not pass on."""
    from pulumi.runtime import mocks

    return mocks.MockMonitor


__all__ = [
    "config_keys_present",
    "deserialize_properties",
    "mock_monitor_class",
    "run_program_function",
    "unwrap_secret",
]
