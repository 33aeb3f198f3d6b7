"""CustomerPatching: one customer's whole patching setup from its stack config."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypedDict

import pulumi

from ._component import TYPE_PREFIX, child
from .baseline import SecurityBaseline, baseline_args
from .config import StackConfig, validate
from .iam import PatchingIam

MANAGED_BY = "patching-components"


class CustomerPatchingArgs(TypedDict, total=False):
    """The ``patching:`` stack config keys, as plain values (camelCase inside the maps).

    They are validated before anything is registered, so they cannot be Outputs.
    """

    customer: str
    """Customer id (^[a-z][a-z0-9-]{1,30}$), used in names and the Customer tag."""
    mode: str
    """install (default), scan-only or disabled."""
    patchGroupTagKey: str
    """'Patch Group' (default) or 'PatchGroup'."""
    tags: Mapping[str, str]
    """Tags for every taggable resource."""
    baselines: Mapping[str, Any]
    """Baselines keyed by logical id (see the README's config reference)."""
    maintenanceWindows: Mapping[str, Any]
    """Maintenance windows keyed by logical id."""
    patchGroups: Mapping[str, Any]
    """Patch groups keyed by the instance tag value."""
    logging: Mapping[str, Any]
    """Run Command output to S3."""
    notifications: Mapping[str, Any]
    """Run Command notifications."""
    goldenAmis: Mapping[str, Any]
    """Golden AMI pipelines keyed by logical id."""


def resource_tags(config: StackConfig) -> dict[str, str]:
    """``patching:tags`` plus the tags every resource of ours carries."""
    return {**config.tags, "Customer": config.customer, "ManagedBy": MANAGED_BY}


class CustomerPatching(pulumi.ComponentResource):
    """IAM, security baselines and patch groups for one customer, from one validated config."""

    customer: pulumi.Output[str]
    """The customer id."""
    baseline_ids: pulumi.Output[dict[str, str]]
    """Baseline id per baseline key."""
    patch_groups: pulumi.Output[dict[str, list[str]]]
    """Baseline keys registered per patch group."""
    instance_profile_name: pulumi.Output[str]
    """Instance profile to attach to the customer's instances."""
    instance_role_arn: pulumi.Output[str]
    """ARN of the instance role."""
    automation_role_arn: pulumi.Output[str]
    """ARN of the SSM Automation role."""

    def __init__(
        self,
        name: str,
        args: CustomerPatchingArgs | StackConfig,
        opts: pulumi.ResourceOptions | None = None,
    ):
        # Validate first: an invalid config must register nothing, not even this component.
        config = args if isinstance(args, StackConfig) else validate(dict(args), f"CustomerPatching {name!r}")
        super().__init__(f"{TYPE_PREFIX}CustomerPatching", name, None, opts)
        self.config = config
        tags = resource_tags(config)

        iam = PatchingIam(name, {"tags": tags}, opts=child(self))

        groups_of: dict[str, list[str]] = {key: [] for key in config.baselines}
        for group, group_cfg in config.patch_groups.items():
            for key in group_cfg.baselines:
                groups_of[key].append(group)
        baselines = {
            key: SecurityBaseline(
                f"{name}-{key}",
                {
                    **baseline_args(settings),
                    "baseline_name": f"{config.customer}-{key}",
                    "patch_groups": groups_of[key],
                    "tags": tags,
                },
                opts=child(self),
            )
            for key, settings in config.baselines.items()
        }

        self.customer = pulumi.Output.from_input(config.customer)
        self.baseline_ids = pulumi.Output.all(**{k: b.baseline_id for k, b in baselines.items()})
        self.patch_groups = pulumi.Output.from_input(
            {group: list(g.baselines) for group, g in config.patch_groups.items()}
        )
        self.instance_profile_name = iam.instance_profile_name
        self.instance_role_arn = iam.instance_role_arn
        self.automation_role_arn = iam.automation_role_arn
        self.register_outputs(
            {
                "customer": self.customer,
                "baseline_ids": self.baseline_ids,
                "patch_groups": self.patch_groups,
                "instance_profile_name": self.instance_profile_name,
                "instance_role_arn": self.instance_role_arn,
                "automation_role_arn": self.automation_role_arn,
            }
        )
