"""Small helpers shared by the components (not public API)."""

from __future__ import annotations

import pulumi

TYPE_PREFIX = "patching-components:index:"


def camel(snake: str) -> str:
    """``approve_after_days`` -> ``approveAfterDays`` (component args -> config keys)."""
    first, *rest = snake.split("_")
    return first + "".join(word.capitalize() for word in rest)


def child(parent: pulumi.Resource, **kwargs) -> pulumi.ResourceOptions:
    """Options for a component's child: parented to it (aliases, providers and
    protection flow from the parent), plus any per-resource option."""
    return pulumi.ResourceOptions(parent=parent, **kwargs)


def invoke_options(parent: pulumi.Resource) -> pulumi.InvokeOutputOptions:
    """Invokes use the parent's provider (region, profile) like its children do."""
    return pulumi.InvokeOutputOptions(parent=parent)
