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
        # Field docstrings become descriptions: in `patching schema` (editor
        # hovers) and in the provider schema of CustomerPatching (config_args).
        use_attribute_docstrings=True,
    )

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
