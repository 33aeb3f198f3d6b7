"""The stack config: what a stack file may say, one model of every setting, and its validation.

One model serves the Pulumi program (values from ``pulumi.Config``), the offline ``patching``
commands (values read from the stack file), the components called from Python and the JSON
Schema. Every problem becomes an :class:`Issue` with the full key path, and
:class:`ConfigError` carries all of them at once.

One module per concern: ``fields`` (field types and their validators), ``base`` (the base model
and the markers a setting carries), ``sections`` and ``services`` (one model per stack-file
section), ``model`` (StackConfig and the rules across sections), ``references`` (between the
maps), ``annotations`` (reading the model's types: one unwrapper, one key-path walker),
``messages`` (pydantic's errors as located issues), ``validation`` (the entry points),
``stack_yaml`` (YAML as the Pulumi CLI reads it), ``handover`` (a value's way from the stack file
into the program), ``stack_file`` (reading a stack file offline), ``pulumi_config`` (reading it in
a Pulumi program), ``secrets``, ``defaults`` and ``reference`` (docs/reference/configuration.md).
This package exports what users need; internal users import the submodule they need.
"""

from __future__ import annotations

import importlib as _importlib
import typing as _typing

from ..errors import NAMESPACE, ConfigError, Issue, StackFileError

# Each name from the submodule that defines it, loaded on first use: a component that needs only
# ``config.defaults`` does not build the pydantic model at import.
_FROM = {
    "TOP_LEVEL_KEYS": "model",
    "StackConfig": "model",
    "load_pulumi_config": "pulumi_config",
    "BaselineConfig": "sections",
    "ChangeFreezeConfig": "sections",
    "MaintenanceWindowConfig": "sections",
    "GoldenAmiConfig": "services",
    "StackDocument": "stack_file",
    "load_stack_file": "stack_file",
    "parse_stack_text": "stack_file",
    "read_stack_document": "stack_file",
    "read_stack_file": "stack_file",
    "read_stack_yaml": "stack_file",
    "stack_file_for": "stack_file",
    "split_namespace": "validation",
    "validate": "validation",
}

if _typing.TYPE_CHECKING:
    from .model import TOP_LEVEL_KEYS, StackConfig
    from .pulumi_config import load_pulumi_config
    from .sections import BaselineConfig, ChangeFreezeConfig, MaintenanceWindowConfig
    from .services import GoldenAmiConfig
    from .stack_file import (
        StackDocument,
        load_stack_file,
        parse_stack_text,
        read_stack_document,
        read_stack_file,
        read_stack_yaml,
        stack_file_for,
    )
    from .validation import split_namespace, validate


def __getattr__(name: str) -> _typing.Any:
    if name in _FROM:
        value = getattr(_importlib.import_module(f"{__name__}.{_FROM[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "NAMESPACE",
    "TOP_LEVEL_KEYS",
    "BaselineConfig",
    "ChangeFreezeConfig",
    "ConfigError",
    "GoldenAmiConfig",
    "Issue",
    "MaintenanceWindowConfig",
    "StackConfig",
    "StackDocument",
    "StackFileError",
    "load_pulumi_config",
    "load_stack_file",
    "parse_stack_text",
    "read_stack_document",
    "read_stack_file",
    "read_stack_yaml",
    "split_namespace",
    "stack_file_for",
    "validate",
]
