"""Generates ``config_args.py``: the components' args as TypedDicts, from the config model.

Pulumi's component provider (other languages) and type checkers need each
component's args as a plain typed class with a docstring per field. The config
model (pydantic) is the one place a setting is defined, so the TypedDicts are
generated from it and a test fails when they are stale:

- ``CustomerPatchingArgs``: the stack config, keys as in the stack file (camelCase);
- ``SecurityBaselineArgs``, ``PatchWindowArgs``, ``GoldenAmiPipelineArgs``: the
  fields of one model (snake_case, as Python callers write them), plus the
  component's own plumbing (names, patch groups, roles, tags), declared in its
  module as ``<Component>Plumbing`` and copied here with its docstrings.

Regenerate with ``python -m patching_components.components._typegen``.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
import textwrap
from datetime import date
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from ..config import StackConfig, sections, services
from ..config.annotations import unwrap as _strip

OUTPUT = Path(__file__).with_name("args.py")

# Model -> TypedDict, dependencies first. Names must be unique in the provider
# schema across all components (PatchSourceArgs, PatchHooksArgs are taken).
NAMES: dict[type[BaseModel], str] = {
    sections.PatchSourceConfig: "PatchSourceSettings",
    sections.BaselineConfig: "BaselineSettings",
    sections.HooksConfig: "HooksSettings",
    sections.MaintenanceWindowConfig: "MaintenanceWindowSettings",
    sections.PatchGroupConfig: "PatchGroupSettings",
    services.CloudWatchOutputConfig: "CloudWatchOutputSettings",
    services.LoggingConfig: "LoggingSettings",
    services.PolicyStatementConfig: "PolicyStatementSettings",
    services.InstanceRoleConfig: "InstanceRoleSettings",
    services.NotificationsConfig: "NotificationsSettings",
    services.GoldenAmiConfig: "GoldenAmiSettings",
    sections.ComplianceConfig: "ComplianceSettings",
    sections.ChangeFreezeConfig: "ChangeFreezeSettings",
    StackConfig: "CustomerPatchingArgs",
}


# Python callers' names of the nested models (snake_case keys).
SNAKE_NAMES: dict[type[BaseModel], str] = {
    sections.PatchSourceConfig: "PatchSourceArgs",
    sections.HooksConfig: "PatchHooksArgs",
}
# (model, component module, plumbing class, args class); nested ones first.
COMPONENTS: tuple[tuple[type[BaseModel], str, str, str], ...] = (
    (sections.PatchSourceConfig, "baseline", "PatchSourcePlumbing", "PatchSourceArgs"),
    (sections.HooksConfig, "window", "", "PatchHooksArgs"),
    (sections.BaselineConfig, "baseline", "SecurityBaselinePlumbing", "SecurityBaselineArgs"),
    (sections.MaintenanceWindowConfig, "window", "PatchWindowPlumbing", "PatchWindowArgs"),
    (services.GoldenAmiConfig, "golden_ami", "GoldenAmiPipelinePlumbing", "GoldenAmiPipelineArgs"),
)
# Fields whose Python shape differs from the stack file's (the component converts them).
SNAKE_OVERRIDES: dict[tuple[type[BaseModel], str], str] = {
    (sections.BaselineConfig, "sources"): "list[PatchSourceArgs]"
}


def type_expression(annotation: Any, names: dict[type[BaseModel], str] = NAMES) -> str:
    annotation = _strip(annotation)
    origin = get_origin(annotation)
    if origin is Literal:
        (kind,) = {type(value) for value in get_args(annotation)}
        return kind.__name__
    if origin is list:
        return f"list[{type_expression(get_args(annotation)[0], names)}]"
    if origin is dict:
        return f"dict[str, {type_expression(get_args(annotation)[1], names)}]"
    if annotation in names:
        return names[annotation]
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


def _plumbing(module: str, name: str) -> list[tuple[str, str, str]]:
    """(field, annotation source, docstring) of a component's hand-written plumbing TypedDict."""
    source = inspect.getsource(importlib.import_module(f"patching_components.components.{module}"))
    (cls,) = [n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == name]
    fields = []
    for node, after in zip(cls.body, [*cls.body[1:], None], strict=True):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            doc = ast.literal_eval(after.value) if isinstance(after, ast.Expr) else ""
            annotation = ast.get_source_segment(source, node.annotation) or ""
            fields.append((node.target.id, annotation, " ".join(str(doc).split())))
    return fields


def render() -> str:
    lines = [
        '"""The components\' args as TypedDicts, from the config model.',
        "",
        "GENERATED by ``python -m patching_components.components._typegen`` from the config",
        "model (patching_components.config) and each component's ``<Component>Plumbing``:",
        "do not edit. ``CustomerPatchingArgs`` and its parts use the stack file's keys",
        "(camelCase); the other components' args are snake_case, as Python callers",
        'write them. Values are validated before anything is registered."""',
        "",
        "from collections.abc import Mapping, Sequence",
        "from typing import Required, TypedDict",
        "",
        "import pulumi",
    ]
    for model, name in NAMES.items():
        lines += ["", "", f"class {name}(TypedDict, total=False):", *_docstring(model.__doc__ or name)]
        for field in model.model_fields.values():
            annotation = type_expression(field.annotation)
            if field.is_required():
                annotation = f"Required[{annotation}]"
            lines += ["", f"    {field.alias}: {annotation}", *_docstring(_description(field))]
    for model, module, plumbing, name in COMPONENTS:
        component_doc = importlib.import_module(f"patching_components.components.{module}").__dict__.get(plumbing)
        doc = (component_doc.__doc__ if component_doc is not None else None) or model.__doc__ or name
        lines += ["", "", f"class {name}(TypedDict, total=False):", *_docstring(doc)]
        for field_name, field in model.model_fields.items():
            annotation = SNAKE_OVERRIDES.get((model, field_name)) or type_expression(field.annotation, SNAKE_NAMES)
            if field.is_required():
                annotation = f"Required[{annotation}]"
            lines += ["", f"    {field_name}: {annotation}", *_docstring(_description(field))]
        for field_name, annotation, text in _plumbing(module, plumbing) if plumbing else []:
            lines += ["", f"    {field_name}: {annotation}", *_docstring(text)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT}", file=sys.stderr)
