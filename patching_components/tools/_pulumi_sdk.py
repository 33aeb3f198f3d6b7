"""The Pulumi SDK internals the offline runner (``tools.engine``) relies on, in one place.

Only the runner, which plays the engine and the language host, uses them: the program and the
components use Pulumi's public API alone. These few have no public equivalent; each can move in
any SDK release, so tests/test_pulumi_sdk.py pins what they do and fails first when one changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


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


def forget_pending_outputs() -> None:
    """Drop the outputs a run left pending. A failed run leaves its pending tasks in Pulumi's set of
    outputs, whose default every context shares: the next run in this process would wait for them,
    on its own loop, closed by then."""
    from pulumi.runtime.settings import SETTINGS

    SETTINGS.outputs.clear()


__all__ = [
    "deserialize_properties",
    "forget_pending_outputs",
    "mock_monitor_class",
    "run_program_function",
    "unwrap_secret",
]
