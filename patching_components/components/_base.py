"""Small helpers shared by the components (not public API)."""

import contextvars
import inspect
import json
from typing import Any

import pulumi

from ..aws.os_rules import camel

__all__ = [
    "PACKAGE",
    "TYPE_PREFIX",
    "account_policy",
    "camel",
    "child",
    "in_region",
    "invoke_options",
    "json_document",
    "lookup",
    "region_of",
    "register_declared_outputs",
]

PACKAGE = "patching-components"
"""The Pulumi package name: the provider's name and the first part of every type token."""
TYPE_PREFIX = f"{PACKAGE}:index:"


def child(parent: pulumi.Resource, **kwargs) -> pulumi.ResourceOptions:
    """Options for a component's child: parented to it (aliases, providers and
    protection flow from the parent), plus any per-resource option."""
    return pulumi.ResourceOptions(parent=parent, **kwargs)


def register_declared_outputs(component: pulumi.ComponentResource) -> None:
    """``register_outputs`` with every output the component's class declares (its annotated
    attributes, which the provider schema is read from), as assigned: outputs are written once."""
    declared = inspect.get_annotations(type(component))
    names = [name for name, kind in declared.items() if "Output" in str(kind)]
    component.register_outputs({name: getattr(component, name) for name in names})


def invoke_options(parent: pulumi.Resource) -> pulumi.InvokeOutputOptions:
    """Invokes use the parent's provider (region, profile) like its children do."""
    return pulumi.InvokeOutputOptions(parent=parent)


_REGION_ATTRIBUTE = "_patching_region"


_TAKES_REGION: dict[str, bool] = {}


def _takes_region(resource_class: type) -> bool:
    """Whether a pulumi_aws resource class has pulumi-aws v7's top-level ``region`` argument (IAM and
    the other global services have none)."""
    key = f"{resource_class.__module__}.{resource_class.__qualname__}"
    if key not in _TAKES_REGION:
        init = getattr(resource_class, "_internal_init", None)
        _TAKES_REGION[key] = init is not None and "region" in inspect.signature(init).parameters
    return _TAKES_REGION[key]


def in_region(region: str) -> pulumi.ResourceOptions:
    """Options that build a component and everything below it in ``region``, through the parent's
    (or the stack's default) provider: each regional aws resource gets pulumi-aws v7's ``region``
    argument (a resource given one keeps it), global ones (IAM) none, and the components below
    answer ``region_of`` with it (their lookups need no provider of that region)."""

    def transformation(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if isinstance(args.resource, pulumi.ComponentResource):
            setattr(args.resource, _REGION_ATTRIBUTE, region)
            return None
        if not _takes_region(type(args.resource)) or (args.props or {}).get("region") is not None:
            return None
        return pulumi.ResourceTransformationResult({**args.props, "region": region}, args.opts)

    return pulumi.ResourceOptions(transformations=[transformation])


def region_of(resource: pulumi.Resource) -> str | None:
    """The region ``in_region`` built a component in; None: its provider's."""
    return getattr(resource, _REGION_ATTRIBUTE, None)


# What the stack's account looks like (partition, account id, region), looked up once per
# provider and program run rather than once per component: each lookup is an engine call.
_LOOKUPS: contextvars.ContextVar[dict[tuple[Any, str], pulumi.Output[str]]] = contextvars.ContextVar("lookups")


def lookup(parent: pulumi.Resource, what: str) -> pulumi.Output[str]:
    """``partition``, ``account_id`` or ``region`` as the parent's aws provider sees them; the region
    of a component built ``in_region`` is that region, with no lookup. Partition and account are
    global (``aws.get_partition``, ``aws.get_caller_identity`` take no region in pulumi-aws v7)."""
    import pulumi_aws as aws

    if what == "region" and region_of(parent) is not None:
        return pulumi.Output.from_input(str(region_of(parent)))
    cache = _LOOKUPS.get(None)
    if cache is None:
        cache = {}
        _LOOKUPS.set(cache)
    key = (parent.get_provider("aws::getPartition"), what)
    if key not in cache:
        opts = invoke_options(parent)
        if what == "partition":
            cache[key] = aws.get_partition_output(opts=opts).partition
        elif what == "account_id":
            cache[key] = aws.get_caller_identity_output(opts=opts).account_id
        elif what == "region":
            cache[key] = aws.get_region_output(opts=opts).region
        else:
            raise ValueError(f"unknown lookup {what!r}")
    return cache[key]


def account_policy(parent: pulumi.Resource, document: Any, *inputs: pulumi.Input[Any]) -> pulumi.Output[str]:
    """The JSON of ``document(*inputs, partition=, region=, account_id=)``, with the account as the
    parent's provider sees it: the policies that name this account's ARNs."""
    values = pulumi.Output.all(
        lookup(parent, "partition"), lookup(parent, "region"), lookup(parent, "account_id"), *inputs
    )
    return values.apply(lambda v: json.dumps(document(*v[3:], partition=v[0], region=v[1], account_id=v[2])))


class _Slot(int):
    """Where the n-th output goes in a document (see json_document)."""


def automation_definition(where: pulumi.Output[Any], document_name: pulumi.Input[str]) -> pulumi.Output[str]:
    """The EventBridge target that starts a runbook's default version (``where``: partition, region and
    account, as ``Output.all`` of the lookups): "Run automations based on EventBridge events"."""
    return pulumi.Output.concat(
        "arn:", where[0], ":ssm:", where[1], ":", where[2], ":automation-definition/", document_name, ":$DEFAULT"
    )


def json_document(document: object) -> pulumi.Output[str]:
    """``Output.json_dumps`` for a document holding a few outputs (IAM policies).

    ``Output.json_dumps`` wraps every string and number of the document in an
    Output of its own; this waits only for the outputs that are in it, which
    took a fifth of the engine's work off a small stack (BENCHMARKS.md). Same
    text, and unknown or secret outputs make the result unknown or secret.
    """
    outputs: list[pulumi.Output] = []

    def hollow(value: object) -> object:
        if isinstance(value, pulumi.Output):
            outputs.append(value)
            return _Slot(len(outputs) - 1)
        if isinstance(value, dict):
            return {key: hollow(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [hollow(item) for item in value]
        return value

    def fill(value: object, resolved: list) -> object:
        if isinstance(value, _Slot):
            return fill(resolved[value], resolved)
        if isinstance(value, dict):
            return {key: fill(item, resolved) for key, item in value.items()}
        if isinstance(value, list):
            return [fill(item, resolved) for item in value]
        return value

    template = hollow(document)
    return pulumi.Output.all(*outputs).apply(lambda resolved: json.dumps(fill(template, resolved)))
