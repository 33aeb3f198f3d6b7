"""Checking a component's args as the caller wrote them (snake_case), with the config model.

A component's args are its settings (the fields of one config model, e.g.
``BaselineConfig``: the same rules as the stack file) plus plumbing (names,
tags, the outputs of other components), whose plain values are checked against
the config model's own field types (a patch group name, the tag key ...).
Unknown arguments are errors with a "did you mean". Every message names the
argument in the caller's spelling; nothing is registered when one is wrong.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from ..config.annotations import unwrap as _unwrap
from ..config.annotations import walk
from ..config.messages import _issue_from_pydantic
from ..errors import ConfigError, Issue, closest, did_you_mean


def _snake_path(model: Any, path: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """A model error location (camelCase aliases) in the caller's field names."""
    names = [step.name for step in walk(model, path)]
    return (*names, *path[len(names) :])


def _camel_keys(model: Any, value: Any) -> Any:
    """Snake-case keys of (nested) settings as the model's aliases."""
    model = _unwrap(model)
    if isinstance(model, type) and issubclass(model, BaseModel) and isinstance(value, Mapping):
        fields = model.model_fields
        return {
            (fields[k].alias or k) if k in fields else k: _camel_keys(fields[k].annotation, v) if k in fields else v
            for k, v in value.items()
        }
    return value


def field_type(model: type[BaseModel], name: str) -> Any:
    """A model field's type with its constraints (``FieldInfo.annotation`` drops them)."""
    field = model.model_fields[name]
    return Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation


def _is_plain(value: Any) -> bool:
    import pulumi

    return not isinstance(value, pulumi.Output) and not inspect.isawaitable(value)


def check_args(
    component: str,
    name: str,
    args: Mapping[str, Any],
    args_type: Any,
    *,
    settings: type[BaseModel] | None = None,
    types: Mapping[str, Any] | None = None,
    convert: Mapping[str, Any] | None = None,
) -> Any:
    """Validate ``args`` (a dict of the ``args_type`` TypedDict); return the settings model or None.

    Keys of ``args_type`` that are ``settings`` fields go through that model;
    ``types`` gives the type a plain value of another key must have (others may
    be Outputs and are not checked offline); ``convert`` turns a caller's value
    into the model's shape (a list of sources into a map keyed by name ...).
    """
    source = f"{component} {name!r}"
    if not isinstance(args, Mapping):
        raise ConfigError(source, [Issue((), f"args must be a dict, got {type(args).__name__}")], None)
    fields = dict(settings.model_fields) if settings else {}
    allowed = list(args_type.__annotations__)
    issues = []
    for key in args:
        if key not in allowed:
            hint = did_you_mean(closest(str(key), allowed))
            issues.append(Issue((str(key),), f"unknown argument{hint} (allowed: {', '.join(allowed)})"))
    for key in sorted(args_type.__required_keys__ - set(fields)):
        if args.get(key) is None:
            issues.append(Issue((key,), "required argument is missing"))
    for key, kind in (types or {}).items():
        value = args.get(key)
        if value is None or not _is_plain(value):
            continue
        try:
            TypeAdapter(kind).validate_python(value)
        except ValidationError as exc:
            issues += [
                Issue((key, *e["loc"]), _issue_from_pydantic({**e, "loc": ()}).message)
                for e in exc.errors(include_url=False)
            ]
    model = None
    if settings is not None:
        raw = {k: (convert or {}).get(k, lambda v: v)(v) for k, v in args.items() if k in fields}
        try:
            model = settings.model_validate(_camel_keys(settings, raw))
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                issue = _issue_from_pydantic(error, settings)
                issues.append(Issue(_snake_path(settings, issue.path), _snake_message(issue.message, fields)))
    if issues:
        raise ConfigError(source, issues, None)
    return model


def _snake_message(message: str, fields: Mapping[str, Any]) -> str:
    """Model messages name fields by alias (approveAfterDays); the caller wrote approve_after_days."""
    for name, field in fields.items():
        if field.alias and field.alias != name:
            message = message.replace(field.alias, name)
    return message
