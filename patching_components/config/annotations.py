"""Reading the config model's own annotations: the type inside ``Annotated``/``Optional`` and the
setting at a key path. One unwrapper and one key-path walker, for the messages (allowed keys and
values), the secrets (which setting a secret is) and the components' argument checks."""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel


def layers(annotation: Any) -> tuple[Any, list[Any]]:
    """The type inside ``Annotated`` and ``Optional`` (a union of one type and None), and the
    metadata found on the way, outermost first. A union of several types is returned as it is."""
    metadata: list[Any] = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            metadata += typing.get_args(annotation)[1:]
            annotation = typing.get_args(annotation)[0]
        elif origin is typing.Union or origin is types.UnionType:
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return annotation, metadata
            annotation = options[0]
        else:
            return annotation, metadata


def unwrap(annotation: Any) -> Any:
    """The type inside ``Annotated`` and ``Optional``: the model, dict, list or scalar of a setting."""
    return layers(annotation)[0]


def is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


@dataclass(frozen=True)
class Step:
    """One step of a key path through the model."""

    key: str | int
    """The step as written (a camelCase key, a map key, a list index)."""
    name: str | int
    """The same in the model's field names (snake_case); map keys and indexes as they are."""
    annotation: Any
    """The setting's type there, with its field's constraints (``Annotated``)."""
    default: Any
    """The field's default (None inside lists and maps)."""


def walk(root: Any, path: tuple[str | int, ...]) -> Iterator[Step]:
    """The settings along a key path (camelCase keys) from ``root``; it stops where the model
    has no such key (fewer steps than the path)."""
    current: Any = root
    for key in path:
        inner = unwrap(current)
        if is_model(inner):
            name = next((n for n, f in inner.model_fields.items() if f.alias == key), None)
            if name is None:
                return
            field = inner.model_fields[name]
            current = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
            yield Step(key, name, current, field.default)
        elif typing.get_origin(inner) in (dict, list):
            current = typing.get_args(inner)[-1]
            yield Step(key, key, current, None)
        else:
            return


def setting_at(root: Any, path: tuple[str | int, ...]) -> Step | None:
    """The setting at a key path (``root`` itself for the empty path), or None if there is none."""
    if not path:
        return Step("", "", root, None)
    steps = list(walk(root, path))
    return steps[-1] if len(steps) == len(path) else None


def keys_at(root: Any, path: tuple[str | int, ...]) -> list[str]:
    """The keys the model accepts at a (parent) key path, for 'unknown key' messages."""
    setting = setting_at(root, path)
    inner: Any = unwrap(setting.annotation) if setting is not None else None
    if not is_model(inner):
        return []
    return [f.alias for f in inner.model_fields.values() if f.alias]
