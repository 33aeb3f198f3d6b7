"""Generates ``args.py``: every component's args as a snake_case TypedDict, from the config model.

Pulumi's component provider (other languages) and type checkers need each
component's args as a plain typed class with a docstring per field. The config
model (pydantic) is the one place a setting is defined, so the TypedDicts are
generated from it and a test fails when they are stale:

- ``<Section>Settings``: one per section of the stack config (``BaselineSettings``
  ...), keys snake_case as Python callers write them (an IAM statement keeps IAM's
  own keys: ``Effect``, ``Action``); the component provider gives other languages
  the same keys in camelCase, as in the stack file;
- ``CustomerPatchingArgs``: the whole stack config;
- the other components' args: the fields of their config model (``SecurityBaseline``:
  ``BaselineConfig``; none for ``PatchingIam``, ``PatchReporting``, ``ChangeFreezeGuard``),
  plus the component's own plumbing (names, patch groups, roles, tags), declared in
  its module as ``<Component>Plumbing`` and copied here with its docstrings.

Regenerate with ``python -m patching_components.components._typegen``.
"""

from __future__ import annotations

import ast
import sys
import textwrap
from datetime import date
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from ..config import notices, rings, sections, services
from ..config.annotations import unwrap as _strip
from ..config.base import attach_descriptions
from ..config.model import StackConfig
from ._check_args import arg_name, snake_text

OUTPUT = Path(__file__).with_name("args.py")

# Model -> TypedDict, dependencies first. Names must be unique in the provider
# schema across all components.
NAMES: dict[type[BaseModel], str] = {
    sections.PatchSourceConfig: "PatchSourceSettings",
    sections.BaselineConfig: "BaselineSettings",
    sections.HooksConfig: "HooksSettings",
    sections.SnapshotBeforeInstallConfig: "SnapshotBeforeInstallSettings",
    sections.CatchUpConfig: "CatchUpSettings",
    sections.MaintenanceWindowConfig: "MaintenanceWindowSettings",
    sections.PatchGroupConfig: "PatchGroupSettings",
    services.CloudWatchOutputConfig: "CloudWatchOutputSettings",
    services.LoggingConfig: "LoggingSettings",
    services.PolicyStatementConfig: "PolicyStatementSettings",
    services.InstanceRoleConfig: "InstanceRoleSettings",
    notices.AdvanceNoticeConfig: "AdvanceNoticeSettings",
    services.NotificationsConfig: "NotificationsSettings",
    services.GoldenAmiConfig: "GoldenAmiSettings",
    sections.ComplianceConfig: "ComplianceSettings",
    sections.ChangeFreezeConfig: "ChangeFreezeSettings",
    rings.RingConfig: "RingSettings",
}
# (model of the settings or None, component module, plumbing class or "", args class).
COMPONENTS: tuple[tuple[type[BaseModel] | None, str, str, str], ...] = (
    (StackConfig, "customer", "", "CustomerPatchingArgs"),
    (sections.BaselineConfig, "baseline", "SecurityBaselinePlumbing", "SecurityBaselineArgs"),
    (sections.MaintenanceWindowConfig, "window", "PatchWindowPlumbing", "PatchWindowArgs"),
    (services.GoldenAmiConfig, "golden_ami", "GoldenAmiPipelinePlumbing", "GoldenAmiPipelineArgs"),
    (None, "iam", "PatchingIamPlumbing", "PatchingIamArgs"),
    (None, "patch_reporting", "PatchReportingPlumbing", "PatchReportingArgs"),
    (None, "freeze_guard", "ChangeFreezeGuardPlumbing", "ChangeFreezeGuardArgs"),
    (sections.MaintenanceWindowConfig, "catch_up", "WindowCatchUpPlumbing", "WindowCatchUpArgs"),
    (None, "notices", "PatchNoticesPlumbing", "PatchNoticesArgs"),
    (None, "ring_promotion", "RingPromotionPlumbing", "RingPromotionArgs"),
    (None, "circuit_breaker", "CircuitBreakerPlumbing", "CircuitBreakerArgs"),
)
CUSTOMER_DOC = (
    "CustomerPatching's args: every setting of one customer stack (the keys under ``patching:`` in the stack "
    "file, snake_case); a validated ``StackConfig`` is taken too."
)


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


def _description(model: type[BaseModel], field: Any) -> str:
    """The field's docstring in the args' spelling, plus its allowed values and default where it does
    not say them."""
    text = snake_text(" ".join(field.description.split()), model)
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


def _plumbing(module: str, name: str) -> tuple[str, list[tuple[str, str, str]]]:
    """The docstring and (field, annotation source, docstring) of a component's hand-written plumbing
    TypedDict, read from its module's source (not imported: the module imports this file's output)."""
    source = Path(__file__).with_name(f"{module}.py").read_text(encoding="utf-8")
    (cls,) = [n for n in ast.parse(source).body if isinstance(n, ast.ClassDef) and n.name == name]
    fields = []
    for node, after in zip(cls.body, [*cls.body[1:], None], strict=True):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            doc = ast.literal_eval(after.value) if isinstance(after, ast.Expr) else ""
            annotation = ast.get_source_segment(source, node.annotation) or ""
            fields.append((node.target.id, annotation, " ".join(str(doc).split())))
    return " ".join((ast.get_docstring(cls) or name).split()), fields


def _model_fields(model: type[BaseModel]) -> list[str]:
    lines = []
    for field_name, field in model.model_fields.items():
        annotation = type_expression(field.annotation)
        if field.is_required():
            annotation = f"Required[{annotation}]"
        lines += ["", f"    {arg_name(field_name, field)}: {annotation}", *_docstring(_description(model, field))]
    return lines


def render() -> str:
    attach_descriptions()  # the args' docstrings are the config fields' docstrings
    lines = [
        '"""Every component\'s args as a snake_case TypedDict, from the config model.',
        "",
        "GENERATED by ``python -m patching_components.components._typegen`` from the config",
        "model (patching_components.config) and each component's ``<Component>Plumbing``:",
        "do not edit. Keys are snake_case, as Python callers write them (the component",
        "provider gives other languages the same keys in camelCase). Values are checked",
        'once, with the stack file\'s rules, before anything is registered."""',
        "",
        "from collections.abc import Mapping, Sequence",
        "from typing import Required, TypedDict",
        "",
        "import pulumi",
    ]
    for model, name in NAMES.items():
        lines += ["", "", f"class {name}(TypedDict, total=False):", *_docstring(model.__doc__ or name)]
        lines += _model_fields(model)
    for settings, module, plumbing, name in COMPONENTS:
        doc, fields = _plumbing(module, plumbing) if plumbing else (CUSTOMER_DOC, [])
        lines += ["", "", f"class {name}(TypedDict, total=False):", *_docstring(doc)]
        if settings is not None:
            lines += _model_fields(settings)  # the settings, then the plumbing
        for field_name, annotation, text in fields:
            lines += ["", f"    {field_name}: {annotation}", *_docstring(text)]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT}", file=sys.stderr)
