"""What every config model stands on: the base model (camelCase keys, no others, no booleans for
numbers), located errors from one validator, and the markers a setting carries (Secretable,
Public) with the JSON Schema they make."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic.alias_generators import to_camel
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import InitErrorDetails, PydanticCustomError

from .annotations import layers


@dataclass(frozen=True)
class Secretable:
    """What stands in offline for a Pulumi secret (``{secure: ...}``) at this setting, where the
    generic stand-ins (see config.secrets) would not pass its rules: an e-mail address, an ARN.
    ``{n}`` numbers it, so that two secrets are two different values."""

    placeholder: str


@dataclass(frozen=True)
class Public:
    """Marks text that is never a secret: it names resources or refers to a key, and URNs and
    AWS names are public (``customer``, a patch group's baselines and windows)."""

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> Any:
        schema = handler(core_schema)
        if isinstance(schema, dict) and schema.get("anyOf", [None])[-1] == SECURE_VALUE_SCHEMA:
            return schema["anyOf"][0]  # no secure form for a name
        return schema


class SecretsJsonSchema(GenerateJsonSchema):
    """The JSON Schema editors check stack files with: wherever text goes, a Pulumi secret may."""

    def str_schema(self, schema: Any) -> Any:
        return {"anyOf": [super().str_schema(schema), SECURE_VALUE_SCHEMA]}

    def literal_schema(self, schema: Any) -> Any:
        result = super().literal_schema(schema)
        if all(isinstance(value, str) for value in schema["expected"]):
            return {"anyOf": [result, SECURE_VALUE_SCHEMA]}
        return result


SECURE_VALUE_SCHEMA = {
    "type": "object",
    "properties": {"secure": {"type": "string"}},
    "required": ["secure"],
    "additionalProperties": False,
    "description": "A Pulumi secret (pulumi config set --secret)",
}

PLACEHOLDER_ACCOUNT = "0" * 12  # placeholders' account (no account id is written in the source)
# Booleans are true or false only: YAML 1.1's yes/no/on/off are text to the Pulumi CLI,
# and pydantic's lax mode would read them (and "1", "t") as booleans.


class ConfigModel(BaseModel):
    """Every section's base: camelCase keys, no others, frozen, field docstrings as descriptions."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        frozen=True,
        defer_build=True,  # validators built on first use: StackConfig's once, not each section's on import
        # Field docstrings become descriptions (`patching schema`'s editor hovers, the docs'
        # reference, the components' argument docstrings), but only when those are made:
        # reading every model's source on import (pydantic's use_attribute_docstrings) would cost
        # every command that only validates. See attach_descriptions.
    )

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        attach_descriptions()  # a JSON Schema always carries the field docstrings
        return super().model_json_schema(*args, **kwargs)

    @model_validator(mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, data: Any) -> Any:
        # pydantic's lax mode reads true as 1: `retentionDays: true` would delete logs after a day.
        if isinstance(data, dict):
            raise_issues(
                [
                    ((str(field.alias),), f"{str(data[field.alias]).lower()} is a boolean: give {allowed}")
                    for field in cls.model_fields.values()
                    if field.alias in data
                    and isinstance(data[field.alias], bool)
                    and (allowed := whole_number_rule(field.annotation, field.metadata))
                ]
            )
        return data


def whole_number_rule(annotation: Any, metadata: Iterable[Any] = ()) -> str | None:
    """'a whole number 1-3650' for an int setting (through Optional and Annotated), else None."""
    annotation, inner = layers(annotation)
    metadata = [*metadata, *inner]
    if annotation is not int:
        return None
    for item in list(metadata):
        metadata += list(getattr(item, "metadata", []) or [])
    low = next((m.ge for m in metadata if hasattr(m, "ge")), None)
    high = next((m.le for m in metadata if hasattr(m, "le")), None)
    if low is not None and high is not None:
        return f"a whole number {low}-{high}"
    return "a whole number"


def raise_issues(issues: list[tuple[tuple[str | int, ...], str]]) -> None:
    """Raise several located errors from one validator (pydantic nests their locations)."""
    if issues:
        raise ValidationError.from_exception_data(
            "patching",
            [
                InitErrorDetails(
                    type=PydanticCustomError("patching", "{message}", {"message": message}),
                    loc=loc,
                    input=None,
                )
                for loc, message in issues
            ],
        )


_DESCRIBED = False


def attach_descriptions() -> None:
    """Give every config model's fields their docstrings as descriptions, as pydantic's
    ``use_attribute_docstrings`` would have on import (a field takes the docstring of the class
    that declares it; an explicit ``Field(description=...)`` stays), and rebuild the models so
    that their JSON Schema carries them. Once per process; what validation does is unchanged."""
    global _DESCRIBED
    if _DESCRIBED:
        return
    import inspect

    models = _config_models()
    docs = _attribute_docstrings(models)
    for model in models:
        for name, info in model.model_fields.items():
            owner = next((k for k in model.__mro__ if name in inspect.get_annotations(k)), None)
            if info.description is None and owner in docs and name in docs[owner]:
                info.description = docs[owner][name]
    built = [model for model in models if model.__pydantic_complete__]  # (defer_build: the others build later)
    for model in built:  # the models a model contains first: their schemas are reused
        model.model_rebuild(force=True)
    _DESCRIBED = True


def _config_models() -> list[type[ConfigModel]]:
    """Every ConfigModel subclass, each after the models its fields contain."""
    import typing

    found: list[type[ConfigModel]] = []

    def contained(annotation: Any) -> Iterable[type[ConfigModel]]:
        if isinstance(annotation, type) and issubclass(annotation, ConfigModel):
            yield annotation
        for argument in typing.get_args(annotation):
            yield from contained(argument)

    def visit(model: type[ConfigModel]) -> None:
        if model in found:
            return
        for info in model.model_fields.values():
            for inner in contained(info.annotation):
                if inner is not model:
                    visit(inner)
        found.append(model)

    pending: list[type[ConfigModel]] = [ConfigModel]
    while pending:
        model = pending.pop(0)
        visit(model)
        pending += model.__subclasses__()
    return found


def _attribute_docstrings(models: list[type[ConfigModel]]) -> dict[type[ConfigModel], dict[str, str]]:
    """Each model's attribute docstrings, as pydantic's use_attribute_docstrings reads them (its
    own visitor over the class's statements), each module's source parsed once (not once per
    class, as inspect.getsource of a class does)."""
    import ast
    import inspect
    import sys

    from pydantic._internal._docs_extraction import DocstringVisitor, extract_docstrings_from_cls

    trees: dict[str, ast.Module] = {}
    found: dict[type[ConfigModel], dict[str, str]] = {}
    for model in models:
        if model.__module__ not in trees:
            try:
                trees[model.__module__] = ast.parse(inspect.getsource(sys.modules[model.__module__]))
            except (OSError, TypeError, KeyError):  # no source (a class made in `python -c`): no docstrings
                trees[model.__module__] = ast.Module(body=[], type_ignores=[])
        node = next(
            (n for n in trees[model.__module__].body if isinstance(n, ast.ClassDef) and n.name == model.__qualname__),
            None,
        )
        if node is None:  # not a module's top-level class: pydantic's own way
            try:
                found[model] = extract_docstrings_from_cls(model, use_inspect=True)
            except (OSError, TypeError):
                found[model] = {}
            continue
        visitor = DocstringVisitor()
        visitor.generic_visit(node)
        found[model] = visitor.attrs
    return found
