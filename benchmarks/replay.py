"""The baseline of the overhead figure: the same resources, registered by hand.

``direct_program(run)`` turns a recorded run of the real program into the
program an engineer would write for that customer with plain ``pulumi_aws``:
every custom resource of the run through its own class, with the same name,
inputs and resource options, and the same stack outputs; nothing else (no
components, no config model, no invokes: the account id and partition are
written out).

Like a hand-written program, it passes values between resources as outputs:
an input equal to an earlier resource's id, ARN or name becomes that
resource's output, a string that embeds an earlier resource's ARN is built
with ``Output.concat``, and a policy document that does is built in one
``apply`` over those outputs. Without that, every resource would register at
once and the baseline would miss the dependency waits any real program has.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws

from patching_components.tools.engine import mock_state
from tests.engine import Resource, Run


@dataclass(frozen=True)
class _Ref:
    """An output of the resource registered ``index``-th."""

    index: int
    attribute: str


@dataclass(frozen=True)
class _Concat:
    """A string built from literal parts and references."""

    parts: tuple[str | _Ref, ...]


@dataclass(frozen=True)
class _Json:
    """A JSON document (an IAM policy) holding references, rendered in one ``apply``."""

    document: Any


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _resource_class(type_token: str) -> type:
    """``aws:ssm/patchBaseline:PatchBaseline`` -> ``pulumi_aws.ssm.PatchBaseline``."""
    if type_token == "pulumi:providers:aws":  # a region's own provider
        return pulumi_aws.Provider
    package, module_path, class_name = type_token.split(":")
    if package != "aws":
        raise ValueError(f"not a pulumi_aws resource: {type_token}")
    return getattr(importlib.import_module(f"pulumi_aws.{module_path.split('/')[0]}"), class_name)


class _Outputs:
    """What the resources registered so far produce, to turn literal values back into references."""

    def __init__(self) -> None:
        self.exact: dict[str, _Ref] = {}
        self.arns: dict[str, int] = {}
        self._arn_lengths: list[int] = []  # the lengths of those ARNs, longest first

    def add(self, index: int, resource: Resource) -> None:
        state = mock_state(resource.type, resource.name, resource.inputs)
        values = {"id": resource.id, "arn": state.get("arn"), "name": state.get("name")}
        for attribute, value in values.items():
            if isinstance(value, str) and value:
                self.exact.setdefault(value, _Ref(index, attribute))
        arn = values["arn"]
        if isinstance(arn, str) and arn and arn not in self.arns:
            self.arns[arn] = index
            if len(arn) not in self._arn_lengths:
                self._arn_lengths = sorted({*self._arn_lengths, len(arn)}, reverse=True)

    def template(self, value: Any) -> Any:
        """``value`` with the earlier resources' outputs it contains turned into references."""
        if isinstance(value, dict):
            return {key: self.template(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.template(item) for item in value]
        if not isinstance(value, str):
            return value
        if value in self.exact:
            return self.exact[value]
        document = _json_document(value)
        if document is not None:
            document = self.template(document)
            return _Json(document) if _references(document) else value
        # The earlier resources' ARNs in the string, left to right, the longest at each place (every
        # ARN starts with "arn:": a dictionary lookup per length there, not one pattern of every ARN
        # so far, which made building the baseline quadratic).
        parts: list[str | _Ref] = []
        position = 0
        start = value.find("arn:")
        while start != -1:
            arn = next(
                (value[start : start + n] for n in self._arn_lengths if value[start : start + n] in self.arns), None
            )
            if arn is None:
                start = value.find("arn:", start + 1)
                continue
            parts += [value[position:start], _Ref(self.arns[arn], "arn")]
            position = start + len(arn)
            start = value.find("arn:", position)
        return _Concat((*parts, value[position:])) if parts else value


def _json_document(value: str) -> Any:
    """The document a JSON object string encodes, if ``json.dumps`` gives that string back."""
    if not value.startswith("{"):
        return None
    try:
        document = json.loads(value)
    except ValueError:
        return None
    return document if json.dumps(document) == value else None


def _provider_value(value: Any) -> Any:
    """A provider input as the program gave it: ``"false"`` was False."""
    if not isinstance(value, str):
        return value
    try:
        parsed = json.loads(value)
    except ValueError:
        return value
    return value if isinstance(parsed, str) else parsed


def _references(template: Any) -> list[_Ref]:
    if isinstance(template, _Ref):
        return [template]
    if isinstance(template, _Concat):
        return [part for part in template.parts if isinstance(part, _Ref)]
    if isinstance(template, dict):
        return [ref for item in template.values() for ref in _references(item)]
    if isinstance(template, list):
        return [ref for item in template for ref in _references(item)]
    return []


def _fill(template: Any, values: dict[_Ref, Any]) -> Any:
    if isinstance(template, _Ref):
        return values[template]
    if isinstance(template, _Concat):
        return "".join(values[part] if isinstance(part, _Ref) else part for part in template.parts)
    if isinstance(template, dict):
        return {key: _fill(item, values) for key, item in template.items()}
    if isinstance(template, list):
        return [_fill(item, values) for item in template]
    return template


def _resolve(template: Any, created: list[pulumi.CustomResource]) -> Any:
    if isinstance(template, _Ref):
        return getattr(created[template.index], template.attribute)
    if isinstance(template, _Json):
        # As one would write it by hand: one apply over the outputs the policy holds.
        refs = list(dict.fromkeys(_references(template.document)))
        outputs = [getattr(created[ref.index], ref.attribute) for ref in refs]
        document = template.document
        return pulumi.Output.all(*outputs).apply(
            lambda values: json.dumps(_fill(document, dict(zip(refs, values, strict=True))))
        )
    if isinstance(template, _Concat):
        return pulumi.Output.concat(*(_resolve(part, created) for part in template.parts))
    if isinstance(template, dict):
        return {key: _resolve(item, created) for key, item in template.items()}
    if isinstance(template, list):
        return [_resolve(item, created) for item in template]
    return template


class _BareComponent(pulumi.ComponentResource):
    """A component with the recorded type and name and nothing of ours inside."""

    def __init__(self, type_: str, name: str, parent: pulumi.Resource | None):
        super().__init__(type_, name, None, pulumi.ResourceOptions(parent=parent))
        self.register_outputs({})


def direct_program(run: Run, *, keep_components: bool = False) -> Callable[[], None]:
    """A Pulumi program registering ``run``'s custom resources by hand.

    With ``keep_components``, the resources sit under empty components of the
    recorded types and names: what the component tree alone costs the engine.
    """
    custom = [resource for resource in run.resources if resource.custom]
    components = [resource for resource in run.resources if not resource.custom] if keep_components else []
    outputs = _Outputs()
    providers: dict[str, int] = {}  # provider URN -> its index among the custom resources
    plan = []
    for index, resource in enumerate(custom):
        inputs = resource.inputs
        if resource.type == "pulumi:providers:aws":  # the engine records a provider's inputs as JSON text
            inputs = {key: _provider_value(value) for key, value in inputs.items()}
        kwargs = {_snake(key): outputs.template(value) for key, value in inputs.items()}
        opts = {"delete_before_replace": resource.delete_before_replace or None}
        opts["ignore_changes"] = resource.ignore_changes or None
        provider = providers.get(resource.provider.split("::")[0]) if resource.provider else None
        plan.append((_resource_class(resource.type), resource.name, resource.parent, kwargs, opts, provider))
        outputs.add(index, resource)
        if resource.type == "pulumi:providers:aws":
            providers[resource.urn] = index
    exports = {key: outputs.template(value) for key, value in run.outputs.items()}

    def program() -> None:
        parents: dict[str, pulumi.Resource] = {}
        for component in components:  # recorded parents first, so the tree rebuilds in order
            parents[component.urn] = _BareComponent(component.type, component.name, parents.get(component.parent))
        created: list[pulumi.CustomResource] = []
        for cls, name, parent, kwargs, opts, provider in plan:
            args = {key: _resolve(value, created) for key, value in kwargs.items()}
            on = None if provider is None else created[provider]
            options = pulumi.ResourceOptions(parent=parents.get(parent), provider=on, **opts)
            created.append(cls(name, opts=options, **args))
        for key, value in exports.items():
            pulumi.export(key, _resolve(value, created))

    return program


def same_resources(expected: Run, actual: Run) -> str | None:
    """What differs between two runs' custom resources (type, name, inputs, options) and outputs."""

    def canonical(run: Run) -> dict[tuple[str, str], str]:
        return {
            (r.type, r.name): json.dumps([r.inputs, r.delete_before_replace, sorted(r.ignore_changes)], sort_keys=True)
            for r in run.resources
            if r.custom
        }

    want, got = canonical(expected), canonical(actual)
    for key in sorted(want.keys() | got.keys()):
        if want.get(key) != got.get(key):
            return f"{key[0]} {key[1]!r}: expected {want.get(key)}, got {got.get(key)}"
    if expected.outputs != actual.outputs:
        return f"stack outputs: expected {expected.outputs}, got {actual.outputs}"
    return None
