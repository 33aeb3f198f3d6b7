"""Generates ``config_args.py``: the stack config model as TypedDicts.

``CustomerPatching`` takes the stack config as its args. Pulumi's component
provider (other languages) and type checkers need that shape as plain typed
classes with a docstring per field; the config model (pydantic) is the one
place it is defined, so the TypedDicts are generated from it and a test fails
when they are stale. Regenerate with ``python -m patching_components._typegen``.
"""

from __future__ import annotations

import sys
import textwrap
import types
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from . import config

OUTPUT = Path(__file__).with_name("config_args.py")

# Model -> TypedDict, dependencies first. Names must be unique in the provider
# schema across all components (PatchSourceArgs, PatchHooksArgs are taken).
NAMES: dict[type[BaseModel], str] = {
    config.PatchSourceConfig: "PatchSourceSettings",
    config.BaselineConfig: "BaselineSettings",
    config.HooksConfig: "HooksSettings",
    config.MaintenanceWindowConfig: "MaintenanceWindowSettings",
    config.PatchGroupConfig: "PatchGroupSettings",
    config.LoggingConfig: "LoggingSettings",
    config.NotificationsConfig: "NotificationsSettings",
    config.GoldenAmiConfig: "GoldenAmiSettings",
    config.StackConfig: "CustomerPatchingArgs",
}


def _strip(annotation: Any) -> Any:
    """``Annotated[X, ...] | None`` -> ``X``."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _strip(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        (inner,) = [arg for arg in get_args(annotation) if arg is not type(None)]
        return _strip(inner)
    return annotation


def type_expression(annotation: Any) -> str:
    annotation = _strip(annotation)
    origin = get_origin(annotation)
    if origin is Literal:
        (kind,) = {type(value) for value in get_args(annotation)}
        return kind.__name__
    if origin is list:
        return f"list[{type_expression(get_args(annotation)[0])}]"
    if origin is dict:
        return f"dict[str, {type_expression(get_args(annotation)[1])}]"
    if annotation in NAMES:
        return NAMES[annotation]
    if annotation is date:
        return "str"
    if annotation in (str, int, bool):
        return annotation.__name__
    raise TypeError(f"no TypedDict type for {annotation!r}")


def _allowed_values(annotation: Any) -> tuple[str, tuple[Any, ...]] | None:
    annotation = _strip(annotation)
    if get_origin(annotation) is Literal:
        return "One of", get_args(annotation)
    if get_origin(annotation) is list and get_origin(_strip(get_args(annotation)[0])) is Literal:
        return "Each one of", get_args(_strip(get_args(annotation)[0]))
    return None


def _description(field: Any) -> str:
    """The field's docstring, plus its allowed values and default where it does not say them."""
    text = " ".join(field.description.split())
    allowed = _allowed_values(field.annotation)
    if allowed and not any(str(value) in text for value in allowed[1]):
        text += f" {allowed[0]}: {', '.join(map(str, allowed[1]))}."
    default = field.default
    if not field.is_required() and default not in (None, PydanticUndefined, [], {}) and "default" not in text.lower():
        text += f" Default: {str(default).lower() if isinstance(default, bool) else default}."
    return text


def _docstring(text: str) -> list[str]:
    text = text.replace("\\", "\\\\").replace('"""', "'''")
    return textwrap.wrap(f'"""{text}"""', width=116, initial_indent="    ", subsequent_indent="    ")


def render() -> str:
    lines = [
        '"""The stack config as TypedDicts: ``CustomerPatching``\'s args.',
        "",
        "GENERATED from the config model (patching_components.config) by",
        "``python -m patching_components._typegen``: do not edit. Keys are the stack",
        "file's (camelCase); values are plain, they are validated before anything",
        'is registered."""',
        "",
        "from typing import Required, TypedDict",
    ]
    for model, name in NAMES.items():
        lines += ["", "", f"class {name}(TypedDict, total=False):", *_docstring(model.__doc__ or name)]
        for field in model.model_fields.values():
            annotation = type_expression(field.annotation)
            if field.is_required():
                annotation = f"Required[{annotation}]"
            lines += ["", f"    {field.alias}: {annotation}", *_docstring(_description(field))]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT}", file=sys.stderr)
