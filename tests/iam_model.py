"""A small IAM policy evaluator, written from the IAM user guide's policy evaluation logic
for identity policies within one account, to judge the roles we build by what they allow.

A request is (action, resource ARN, request context). It is allowed when some Allow
statement matches it and no Deny statement does. A statement matches when its
Action (NotAction) and Resource (NotResource) patterns match (``*`` and ``?``
wildcards, actions case-insensitive) and every condition holds: each operator
against each key, any of the listed values (a key missing from the context fails
the condition unless the operator ends in IfExists).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)
    """Condition keys: aws:ResourceTag/K, aws:RequestTag/K, ec2:CreateAction, iam:PassedToService ..."""

    def __str__(self) -> str:
        return f"{self.action} on {self.resource}"


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _string_like(pattern: str, value: str) -> bool:
    return fnmatchcase(value, pattern)


_OPERATORS = {
    "StringEquals": lambda expected, actual: expected == actual,
    "StringNotEquals": lambda expected, actual: expected != actual,
    "StringEqualsIgnoreCase": lambda expected, actual: expected.lower() == actual.lower(),
    "StringLike": _string_like,
    "ArnEquals": lambda expected, actual: expected == actual,
    "ArnLike": _string_like,
    "Bool": lambda expected, actual: str(expected).lower() == str(actual).lower(),
}


def _condition_holds(conditions: Mapping[str, Mapping[str, Any]], context: Mapping[str, Any]) -> bool:
    for operator, tests in conditions.items():
        if operator == "Null":  # "true": the key is absent from the request; "false": it is there
            for key, expected in tests.items():
                present = any(k.lower() == key.lower() for k in context)
                if present == (str(expected).lower() == "true"):
                    return False
            continue
        # ForAllValues: every value of a multi-valued key matches one expected value (true when the
        # request has no such key, as IAM documents); ForAnyValue: at least one does.
        qualifier, _, bare = operator.rpartition(":")
        if_exists = bare.endswith("IfExists")
        compare = _OPERATORS[bare.removesuffix("IfExists")]  # KeyError: an operator this model lacks
        for key, expected in tests.items():
            # Condition keys are case-insensitive; tag keys in them are case-sensitive, close enough here.
            actual = next((v for k, v in context.items() if k.lower() == key.lower()), None)
            if qualifier == "ForAllValues":
                if not all(any(compare(str(e), str(a)) for e in _list(expected)) for a in _list(actual or [])):
                    return False
                continue
            if actual is None:
                if if_exists:
                    continue
                return False
            if not any(compare(str(e), str(a)) for e in _list(expected) for a in _list(actual)):
                return False
    return True


def _matches(statement: Mapping[str, Any], request: Request) -> bool:
    if "Action" in statement:
        if not any(fnmatchcase(request.action.lower(), a.lower()) for a in _list(statement["Action"])):
            return False
    elif any(fnmatchcase(request.action.lower(), a.lower()) for a in _list(statement["NotAction"])):
        return False
    if "Resource" in statement:
        if not any(fnmatchcase(request.resource, r) for r in _list(statement["Resource"])):
            return False
    elif any(fnmatchcase(request.resource, r) for r in _list(statement["NotResource"])):
        return False
    return _condition_holds(statement.get("Condition") or {}, request.context)


def statements(policies: Iterable[str | Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    found = []
    for policy in policies:
        document = json.loads(policy) if isinstance(policy, str) else policy
        found += _list(document["Statement"])
    return found


def allowed(policies: Iterable[str | Mapping[str, Any]], request: Request) -> bool:
    every = statements(policies)
    if any(s["Effect"] == "Deny" and _matches(s, request) for s in every):
        return False
    return any(s["Effect"] == "Allow" and _matches(s, request) for s in every)


def granted_actions(policies: Iterable[str | Mapping[str, Any]]) -> set[str]:
    """Every action an Allow statement names (wildcards as written)."""
    return {a for s in statements(policies) if s["Effect"] == "Allow" for a in _list(s.get("Action", []))}
