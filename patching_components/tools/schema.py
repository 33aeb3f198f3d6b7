"""``patching schema``: the JSON Schema of a whole stack file, generated from the config model."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .common import EXIT_OK


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No options: the schema is the same for every stack."""


def _portable_patterns(node: Any) -> Any:
    """Drop patterns using Unicode classes (\\p{L}): editors' ECMA-262 engines
    reject them; `patching validate` still applies them."""
    if isinstance(node, list):
        return [_portable_patterns(v) for v in node]
    if not isinstance(node, dict):
        return node
    result = {}
    for key, value in node.items():
        if key == "pattern" and "\\p{" in str(value):
            continue
        if key == "patternProperties" and any("\\p{" in p for p in value):
            # A map keyed by patch group names: keep the value schema, not the key rule.
            (result["additionalProperties"],) = [_portable_patterns(v) for v in value.values()]
            continue
        result[key] = _portable_patterns(value)
    return result


def stack_file_schema() -> dict[str, Any]:
    """JSON Schema of a whole ``Pulumi.<stack>.yaml``, generated from the config model."""
    from ..config import NAMESPACE, TOP_LEVEL_KEYS, StackConfig
    from ..config.base import SecretsJsonSchema

    model = _portable_patterns(StackConfig.model_json_schema(by_alias=True, schema_generator=SecretsJsonSchema))
    defs = model.pop("$defs", {})
    required = set(model.get("required", []))
    properties = {f"{NAMESPACE}:{key}": schema for key, schema in model["properties"].items()}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "patching-components stack file (Pulumi.<stack>.yaml)",
        "type": "object",
        "required": ["config"],
        # A stack file importing Pulumi ESC environments may take its required keys (patching:customer) from
        # their pulumiConfig, which an editor cannot see: required only without `environment:`
        # (`patching validate --esc-config` checks the merged values).
        "if": {"not": {"required": ["environment"]}},
        "then": {"properties": {"config": {"required": [f"{NAMESPACE}:{key}" for key in sorted(required)]}}},
        "properties": {
            "environment": {
                "description": "Pulumi ESC environments whose pulumiConfig values the stack takes (the file's own "
                "values win): with it, the keys patching requires may be set there; check them with "
                "patching validate --esc-config FILE (the output of pulumi env open ENV --format json)",
            },
            "config": {
                "type": "object",
                "properties": properties,
                # Other namespaces (aws:region ...) are free; ours has exactly these keys.
                "propertyNames": {
                    "anyOf": [
                        {"not": {"pattern": f"^{NAMESPACE}:"}},
                        {"enum": [f"{NAMESPACE}:{key}" for key in TOP_LEVEL_KEYS]},
                    ]
                },
            },
        },
        "$defs": defs,
    }


def run(args: argparse.Namespace) -> int:
    print(json.dumps(stack_file_schema(), indent=2, sort_keys=True))
    return EXIT_OK
