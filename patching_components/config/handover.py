"""How a config value travels from the stack file into the program, written once so that
``patching validate`` judges exactly what ``pulumi up`` builds.

The Pulumi CLI hands each ``patching:<key>`` value to the program as text
(maps and lists as JSON); the program reads it back by the key's type, as
``pulumi.Config.get`` and ``get_object`` would: text settings stay text
(``customer: 'null'`` is the customer ``null``), every other setting is JSON
(so ``patching:tags`` set to the text ``{"Owner": "x"}`` is a map, as it is
after ``pulumi config set patching:tags '{"Owner": "x"}'``).
"""

from __future__ import annotations

import json
import typing
from typing import Any, Literal

from .annotations import unwrap as _unwrap
from .model import StackConfig


def config_text(value: Any) -> str:
    """A stack-file value as the Pulumi CLI hands it to a program: objects as JSON, scalars as text."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""  # an empty value (`patching:customer:`) is no text, not the text "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Go's JSON writes 9, not 9.0
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(value)


def _is_text(annotation: Any) -> bool:
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) is Literal:
        return all(isinstance(choice, str) for choice in typing.get_args(annotation))
    return annotation is str


TEXT_KEYS = frozenset(f.alias or name for name, f in StackConfig.model_fields.items() if _is_text(f.annotation))
"""Top-level settings read as text; all others are read as JSON."""


def program_value(key: str, text: str | None) -> Any:
    """A ``patching:<key>`` value as the program reads it from the text the CLI handed over."""
    if text is None or key in TEXT_KEYS:
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text  # not JSON: the model reports it as the wrong type, with the text


def handed_over(key: str, value: Any) -> Any:
    """``program_value(key, config_text(value))``: a stack-file value as the program reads it.
    A map or list for a JSON setting comes back equal to itself (the stack file's YAML holds only
    what JSON holds, with text keys), so it skips the JSON text in between."""
    if isinstance(value, (dict, list)) and key not in TEXT_KEYS:
        return value
    return program_value(key, config_text(value))
