"""Check request parameters against botocore's service models (the authority on
AWS API shapes): required members, types, lengths, ranges, enums and patterns.

botocore's own ParamValidator checks types and required members; enums and
patterns it leaves to the service, so they are walked here.
"""

from __future__ import annotations

from typing import Any

import botocore.session
import regex  # the AWS patterns use \p{L} classes, which `re` lacks
from botocore.validate import ParamValidator

_session = botocore.session.get_session()


def problems(service: str, operation: str, params: dict[str, Any]) -> list[str]:
    model = _session.get_service_model(service)
    shape = model.operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    found = [report.generate_report()] if report.has_errors() else []
    _walk(shape, params, operation, found)
    return found


def _walk(shape, value, path: str, found: list[str]) -> None:
    if value is None:
        return
    kind = shape.type_name
    if kind == "structure":
        for name, member in shape.members.items():
            if isinstance(value, dict) and name in value:
                _walk(member, value[name], f"{path}.{name}", found)
    elif kind == "list":
        for index, item in enumerate(value):
            _walk(shape.member, item, f"{path}[{index}]", found)
    elif kind == "map":
        for key, item in value.items():
            _walk(shape.key, key, f"{path}.<key>", found)
            _walk(shape.value, item, f"{path}.{key}", found)
    elif kind == "string":
        if shape.enum and value not in shape.enum:
            found.append(f"{path}: {value!r} not in {shape.enum}")
        pattern = shape.metadata.get("pattern")
        if pattern and not regex.search(pattern, value):
            found.append(f"{path}: {value!r} does not match {pattern}")
        if len(value) > shape.metadata.get("max", 10**9):
            found.append(f"{path}: longer than {shape.metadata['max']}")
    elif kind in ("integer", "long"):
        if not shape.metadata.get("min", -(10**18)) <= value <= shape.metadata.get("max", 10**18):
            found.append(f"{path}: {value} out of range")


def tags(mapping: dict[str, str] | None) -> list[dict[str, str]] | None:
    return [{"Key": k, "Value": v} for k, v in mapping.items()] if mapping else None
