"""The stack config: one model of every setting, and its validation.

One model serves the Pulumi program (values from ``pulumi.Config``), the
offline ``patching`` commands (values read from the stack file), the
components called from Python and the JSON Schema. One module per concern:
``model`` (the pydantic models), ``references`` (between the maps),
``messages`` (pydantic's errors as located issues), ``validation`` (the entry
points), ``stack_yaml`` (YAML as the Pulumi CLI reads it), ``handover`` (a value's way from the
stack file into the program), ``stack_file`` (reading a stack file offline) and ``pulumi_config``
(reading it in a Pulumi program). Every problem becomes an :class:`Issue` with
the full key path, and :class:`ConfigError` carries all of them at once.
"""

from ..errors import NAMESPACE, ConfigError, Issue, StackFileError, format_key_path
from .messages import _issue_from_pydantic, _keys_at, _unwrap
from .model import *  # noqa: F403  (the models and field types, as before the split
from .model import TOP_LEVEL_KEYS, StackConfig
from .pulumi_config import load_pulumi_config
from .references import reference_issues
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

__all__ = [
    "NAMESPACE",
    "TOP_LEVEL_KEYS",
    "ConfigError",
    "Issue",
    "StackConfig",
    "StackDocument",
    "StackFileError",
    "_issue_from_pydantic",
    "_keys_at",
    "_unwrap",
    "format_key_path",
    "load_pulumi_config",
    "load_stack_file",
    "parse_stack_text",
    "read_stack_document",
    "read_stack_file",
    "read_stack_yaml",
    "reference_issues",
    "split_namespace",
    "stack_file_for",
    "validate",
]
