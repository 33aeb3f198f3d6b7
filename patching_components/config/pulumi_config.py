"""Reading the ``patching:`` namespace inside a running Pulumi program, through ``pulumi.Config``."""

from __future__ import annotations

from typing import Any

from ..errors import NAMESPACE
from .handover import program_value
from .model import TOP_LEVEL_KEYS, StackConfig
from .stack_file import stack_file_for
from .validation import split_namespace, validate


def load_pulumi_config() -> StackConfig:
    """Read the namespace through ``pulumi.Config`` inside a running Pulumi program."""
    import pulumi

    from .._pulumi_sdk import config_keys_present

    source = stack_file_for(pulumi.get_stack())
    # pulumi.Config reads one known key at a time; to report misspelt keys we
    # also need the names present, which the engine hands over in these maps.
    present = config_keys_present()
    cfg = pulumi.Config(NAMESPACE)
    values: dict[str, Any] = {key: None for key in present}
    for key in TOP_LEVEL_KEYS:
        full = f"{NAMESPACE}:{key}"
        if full in present:
            values[full] = program_value(key, cfg.get(key))
    return validate(split_namespace(values, source), source)
