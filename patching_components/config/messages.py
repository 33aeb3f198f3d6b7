"""pydantic's errors as located, readable issues: the key path, the allowed keys, a "did you mean"."""

from __future__ import annotations

import re
import typing
from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel

from ..errors import MAX_ECHO, Issue, closest, cut, did_you_mean
from .annotations import keys_at, layers, setting_at
from .base import whole_number_rule
from .fields import KEY_RULES
from .model import StackConfig

# ---------------------------------------------------------------------------
# Turning pydantic's errors into issues


def _issue_from_pydantic(error: Mapping[str, Any], root: type[BaseModel] | None = None) -> Issue:
    loc = tuple(error["loc"])
    kind = error["type"]
    # Dict-key errors come as (..., key, "[key]"): report them on the key itself.
    if loc and loc[-1] == "[key]":
        loc = loc[:-1]
        rule = KEY_RULES.get(error.get("ctx", {}).get("pattern"), error["msg"])
        return Issue(loc, f"invalid name {loc[-1]!r}: {rule}")
    if kind == "extra_forbidden":
        allowed = keys_at(root or StackConfig, loc[:-1])
        hint = did_you_mean(closest(str(loc[-1]), allowed))
        return Issue(loc, f"unknown key {loc[-1]!r}{hint} (allowed: {', '.join(allowed)})")
    if kind == "missing":
        return Issue(loc, "required key is missing")
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    value = error.get("input")
    if kind == "string_pattern_mismatch":
        message = f"{cut(value)} does not match {error['ctx']['pattern']}"
    elif loc and (kind in _TYPE_ERRORS or kind.endswith(("_type", "_parsing"))):
        # "Input should be a valid dictionary or instance of LoggingConfig": the allowed values
        # instead, in the stack file's words, never a class name.
        rule = allowed_at(root or StackConfig, loc)
        message = f"got {_shown(value)}; allowed: {rule}" if rule else f"{message} (got {_shown(value)})"
        if kind == "literal_error" and isinstance(value, str):
            options = [str(v) for v in error.get("ctx", {}).get("expected", "").replace("'", "").split(", ")]
            options = [o for part in options for o in part.split(" or ")]
            message += did_you_mean(closest(value, options, ignore_case=True))
    elif kind not in ("patching", "value_error") and isinstance(value, (str, int, float)):
        message = f"{message} (got {cut(value)})"
    elif isinstance(value, str) and len(value) > MAX_ECHO and repr(value) in message:
        message = message.replace(repr(value), cut(value))  # a validator's own message quoting it whole
    return Issue(loc, re.sub(r" or instance of \w+", "", message))  # no internal class names


_TYPE_ERRORS = frozenset({"model_type", "model_attributes_type", "literal_error", "enum", "int_from_float"})


def _shown(value: Any) -> str:
    """A value as an error shows it: cut, with what YAML made of it."""
    kind = {bool: "a boolean", int: "a number", float: "a number", str: "text", list: "a list", dict: "a map"}
    what = next((name for t, name in kind.items() if type(value) is t), None)
    if value is None:
        return "nothing (null)"
    if isinstance(value, (dict, list)):
        return f"{what} of {len(value)} item(s)"
    return f"{cut(value)} ({what})" if what else cut(value)


def allowed_at(root: type[BaseModel], path: tuple[str | int, ...]) -> str | None:
    """What a setting takes, in the stack file's words: 'a whole number 1-24', 'one of: Scan, Install',
    'true or false', 'text (1-128 characters)', 'a map of settings (keys: ...)'."""
    setting = setting_at(root, path)
    if setting is None:
        return None
    annotation, metadata = layers(setting.annotation)
    return _describe(annotation, list(metadata))


def _describe(annotation: Any, metadata: list[Any]) -> str | None:
    number = whole_number_rule(annotation, metadata)
    if number:
        return number
    annotation, inner = layers(annotation)
    metadata = metadata + inner
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return "one of: " + ", ".join(str(v) for v in typing.get_args(annotation))
    if annotation is bool:
        return "true or false"
    if annotation is date:
        return "a date, YYYY-MM-DD"
    if origin is list:
        return "a list" + _size(metadata, "item") + f" of {_describe(typing.get_args(annotation)[0], []) or 'values'}"
    if origin is dict:
        return "a map" + _size(metadata, "entry", "entries") + " of name: value"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        keys = [f.alias for f in annotation.model_fields.values() if f.alias]
        return f"a map of settings (keys: {', '.join(keys)})"
    if annotation is str:
        for item in list(metadata):
            metadata += list(getattr(item, "metadata", []) or [])
        low = next((m.min_length for m in metadata if getattr(m, "min_length", None) is not None), None)
        high = next((m.max_length for m in metadata if getattr(m, "max_length", None) is not None), None)
        pattern = next((m.pattern for m in metadata if getattr(m, "pattern", None)), None)
        size = f"{low or 0}-{high} characters" if high else (f"at least {low} characters" if low else "")
        details = ", ".join(d for d in (size, f"matching {pattern}" if pattern else "") if d)
        return "text" + (f" ({details})" if details else "")
    return None


def _size(metadata: list[Any], one: str, many: str | None = None) -> str:
    for item in list(metadata):
        metadata = metadata + list(getattr(item, "metadata", []) or [])
    low = next((m.min_length for m in metadata if getattr(m, "min_length", None) is not None), None)
    high = next((m.max_length for m in metadata if getattr(m, "max_length", None) is not None), None)
    many = many or f"{one}s"
    if low and high:
        return f" of {low}-{high} {many}"
    if high:
        return f" of at most {high} {many}"
    if low:
        return f" of at least {low} {one if low == 1 else many}"
    return ""


_VALUE = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|\b-?[0-9]+(?:\.[0-9]+)?\b")


def group_list_items(issues: list[Issue], least: int = 3) -> list[Issue]:
    """The same mistake in many items of one list as one issue naming the indexes: 999 items of
    the wrong type are one line, not 999. Fewer than ``least`` stay one issue each."""
    groups: dict[tuple[Any, ...], list[Issue]] = {}
    for issue in issues:
        if issue.path and isinstance(issue.path[-1], int) and not isinstance(issue.path[-1], bool):
            groups.setdefault((issue.path[:-1], _VALUE.sub("_", issue.message)), []).append(issue)
    result = []
    done: set[tuple[Any, ...]] = set()
    for issue in issues:
        key = (issue.path[:-1], _VALUE.sub("_", issue.message))
        members = groups.get(key) if issue.path and isinstance(issue.path[-1], int) else None
        if not members or len(members) < least:
            result.append(issue)
        elif key not in done:
            done.add(key)
            indexes = [m.path[-1] for m in members]
            result.append(Issue(issue.path, f"{issue.message} (the same for {len(indexes)} items: {_ranges(indexes)})"))
    return result


def _ranges(indexes: list[Any]) -> str:
    """[0, 1, 2, 5, 7, 8] -> 'indexes 0-2, 5, 7-8'."""
    numbers = sorted(set(indexes))
    parts: list[str] = []
    start = previous = numbers[0]
    for number in [*numbers[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return "indexes " + ", ".join(parts)
