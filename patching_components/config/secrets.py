"""Pulumi secrets in a stack file, offline.

``pulumi config set --secret`` stores ``{secure: <ciphertext>}``; the CLI hands
the program the plain value and marks its top-level key secret. Offline
(``validate``, ``plan``) there is no plain value, so each secret becomes the
placeholder its setting declares (``Secretable`` in the model), and what needs
the plain value is reported as skipped. A secret where the model has no
placeholder (a name another key refers to, an allowed value, a number) is an
error that names the settings that may be secret. A whole optional top-level
key that is secret is left out offline, with a note.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel

from ..errors import Issue
from .messages import _unwrap
from .model import Secretable, StackConfig

SECURE = "secure"


def is_secure(value: Any) -> bool:
    """A secure value as the Pulumi CLI writes it: a map whose only key is ``secure``."""
    return isinstance(value, Mapping) and list(value) == [SECURE] and isinstance(value[SECURE], str)


def _secretable(path: tuple[str | int, ...]) -> Secretable | None:
    """The Secretable marker of the setting at a key path (camelCase, below the namespace)."""
    current: Any = StackConfig
    for step in path:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for f in current.model_fields.values() if f.alias == step), None)
            if field is None:
                return None
            current = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
        elif typing.get_origin(current) in (dict, list):
            current = typing.get_args(current)[-1]
        else:
            return None
    while True:  # Optional[Annotated[..., Secretable]]: look through the union for the marker
        if typing.get_origin(current) is Annotated:
            found = [m for m in typing.get_args(current)[1:] if isinstance(m, Secretable)]
            if found:
                return found[0]
            current = typing.get_args(current)[0]
        elif typing.get_origin(current) in (typing.Union, type(int | None)):
            options = [a for a in typing.get_args(current) if a is not type(None)]
            if len(options) != 1:
                return None
            current = options[0]
        else:
            return None


SECRETABLE_SETTINGS = (
    "tags values, notifications.emails and snsTopicArn, descriptions, patch source configuration, "
    "golden AMI kmsKeyArn and subnetId"
)


@dataclass
class Offline:
    """A stack's ``patching:`` values with placeholders for their secrets."""

    values: dict[str, Any]
    secret_keys: set[str]
    """Top-level keys holding a secret (the CLI marks them secret for the program)."""
    errors: list[Issue]
    notes: list[Issue]
    """What was not checked because it is secret (warnings, exit 0)."""


def with_placeholders(values: Mapping[str, Any]) -> Offline:
    """``values`` (camelCase keys without the namespace) with every secret replaced."""
    result = Offline({}, set(), [], [])
    counter = 0

    def walk(value: Any, path: tuple[str | int, ...]) -> Any:
        nonlocal counter
        if is_secure(value):
            result.secret_keys.add(str(path[0]))
            marker = _secretable(path)
            if marker is None:
                result.errors.append(
                    Issue(
                        path, f"cannot be a secret offline or in names AWS shows; may be secret: {SECRETABLE_SETTINGS}"
                    )
                )
                return value
            counter += 1
            result.notes.append(Issue(path, "is a secret: checked as text only here; the program checks its value"))
            return marker.placeholder.replace("{n}", str(counter))
        if isinstance(value, Mapping):
            return {key: walk(item, (*path, key)) for key, item in value.items()}
        if isinstance(value, list):
            return [walk(item, (*path, index)) for index, item in enumerate(value)]
        return value

    for key, value in values.items():
        field = StackConfig.model_fields.get(
            next((n for n, f in StackConfig.model_fields.items() if f.alias == key), "")
        )
        if is_secure(value) and field is not None and not field.is_required() and _secretable((key,)) is None:
            # `pulumi config set --secret patching:notifications '{...}'`: nothing to read offline.
            result.secret_keys.add(key)
            result.notes.append(Issue((key,), "is a secret as a whole: not checked offline (the program checks it)"))
            continue
        result.values[key] = walk(value, (key,))
    return result


def secretable_texts(key: str, value: Any) -> set[str]:
    """The text of a top-level value at the settings that may be secret. The engine marks a
    whole key secret, not which of its settings were: these are what the program keeps secret."""
    texts: set[str] = set()

    def walk(item: Any, path: tuple[str | int, ...]) -> None:
        if isinstance(item, str):
            if item and _secretable(path) is not None:
                texts.add(item)
        elif isinstance(item, Mapping):
            for name, child in item.items():
                walk(child, (*path, name))
        elif isinstance(item, list):
            for index, child in enumerate(item):
                walk(child, (*path, index))

    walk(value, (key,))
    return texts


def may_hold_secrets(key: str) -> bool:
    """Whether any setting under a top-level key may be secret (``customer`` may not, ``tags`` may)."""

    def search(annotation: Any, seen: set[type]) -> bool:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            args = typing.get_args(annotation)
            return any(isinstance(m, Secretable) for m in args[1:]) or search(args[0], seen)
        if origin is not None:
            return any(search(arg, seen) for arg in typing.get_args(annotation))
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and annotation not in seen:
            seen.add(annotation)
            return any(
                search(Annotated[(f.annotation, *f.metadata)] if f.metadata else f.annotation, seen)
                for f in annotation.model_fields.values()
            )
        return False

    field = next((f for f in StackConfig.model_fields.values() if f.alias == key), None)
    return field is not None and search(
        Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation, set()
    )
