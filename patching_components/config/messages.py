"""pydantic's errors as located, readable issues: the key path, the allowed keys, a "did you mean"."""

from __future__ import annotations

import difflib
import typing
from collections.abc import Mapping
from typing import Annotated, Any, Union

from pydantic import BaseModel

from ..errors import Issue
from .model import KEY_RULES, StackConfig

# ---------------------------------------------------------------------------
# Turning pydantic's errors into issues


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated/Optional so the walk reaches the model, dict or list inside."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin is Union or str(origin) == "<class 'types.UnionType'>":
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0]
        else:
            return annotation


def _keys_at(root: type[BaseModel], path: tuple[str | int, ...]) -> list[str]:
    """The keys a model accepts at a (parent) path, for 'unknown key' messages."""
    current: Any = root
    steps = list(path)
    while steps:
        current = _unwrap(current)
        origin = typing.get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            step = steps.pop(0)
            field = next((f for f in current.model_fields.values() if f.alias == step), None)
            if field is None:
                return []
            current = field.annotation
        elif origin in (dict, list):
            steps.pop(0)
            current = typing.get_args(current)[-1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias for f in current.model_fields.values() if f.alias]
    return []


def _issue_from_pydantic(error: Mapping[str, Any], root: type[BaseModel] | None = None) -> Issue:
    loc = tuple(error["loc"])
    kind = error["type"]
    # Dict-key errors come as (..., key, "[key]"): report them on the key itself.
    if loc and loc[-1] == "[key]":
        loc = loc[:-1]
        rule = KEY_RULES.get(error.get("ctx", {}).get("pattern"), error["msg"])
        return Issue(loc, f"invalid name {loc[-1]!r}: {rule}")
    if kind == "extra_forbidden":
        allowed = _keys_at(root or StackConfig, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return Issue(loc, f"unknown key {loc[-1]!r}{hint} (allowed: {', '.join(allowed)})")
    if kind == "missing":
        return Issue(loc, "required key is missing")
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if kind == "string_pattern_mismatch":
        message = f"{error['input']!r} does not match {error['ctx']['pattern']}"
    elif kind not in ("patching", "value_error") and isinstance(error.get("input"), (str, int, float)):
        message = f"{message} (got {error['input']!r})"
    return Issue(loc, message)
