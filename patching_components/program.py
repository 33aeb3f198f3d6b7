"""The per-customer Pulumi program: read the stack config, build, export.

``programs/customer_patching/__main__.py`` (Pulumi.yaml's ``main``) calls
:func:`main`; it lives in the package so that ``patching plan`` works from an
installed wheel too.
"""

from __future__ import annotations

import gc

import pulumi

from .config import ConfigError, load_pulumi_config
from .config.pulumi_config import secret_texts
from .customer import CustomerPatching

# Collect young objects after 20,000 allocations rather than 700. A Pulumi run
# keeps every resource's outputs and futures alive until it ends, so with the
# default the collector walks the same survivors over and over: a third of the
# time of a 1000-patch-group stack (see BENCHMARKS.md).
GC_THRESHOLDS = (20_000, 10, 10)


def main() -> None:
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        config = load_pulumi_config()
    except ConfigError as exc:
        # RunError prints the message without a Python traceback.
        raise pulumi.RunError(str(exc)) from None

    pulumi.export("customer", config.customer)
    pulumi.export("mode", config.mode)
    if config.mode == "disabled":
        pulumi.log.warn(
            f"patching:mode is 'disabled' for {config.customer}: no patching resources are built "
            "(an update removes any that exist)."
        )
        return

    secrets = secret_texts()
    opts = pulumi.ResourceOptions(transformations=[keep_secret(secrets)]) if secrets else None
    patching = CustomerPatching.from_config(config.customer, config, opts)
    pulumi.export("baselineIds", patching.baseline_ids)
    pulumi.export("patchGroups", patching.patch_groups)
    pulumi.export("instanceProfileName", patching.instance_profile_name)
    pulumi.export("instanceRoleArn", patching.instance_role_arn)
    pulumi.export("automationRoleArn", patching.automation_role_arn)
    pulumi.export("maintenanceWindowIds", patching.maintenance_window_ids)
    if patching.log_bucket is not None:
        pulumi.export("logBucket", patching.log_bucket)
    if patching.notification_topic_arn is not None:
        pulumi.export("notificationTopicArn", patching.notification_topic_arn)
    if config.golden_amis:
        pulumi.export("goldenAmis", patching.golden_amis)
    # With patching:regions, per region too (the outputs above are the primary region's).
    for key, value in (
        ("baselineIdsByRegion", patching.baseline_ids_by_region),
        ("maintenanceWindowIdsByRegion", patching.maintenance_window_ids_by_region),
        ("goldenAmisByRegion", patching.golden_amis_by_region),
        ("notificationTopicArnsByRegion", patching.notification_topic_arns_by_region),
    ):
        if value is not None:
            pulumi.export(key, value)


def keep_secret(texts: set[str]) -> pulumi.ResourceTransformation:
    """A transformation that makes secret every input holding the text of a secret config value,
    so that state and previews show it as [secret] (the components take plain config)."""

    def holds_secret(value: object) -> bool:
        if isinstance(value, str):
            return any(text in value for text in texts)
        if isinstance(value, dict):
            return any(holds_secret(item) for item in value.values())
        if isinstance(value, (list, tuple)):
            return any(holds_secret(item) for item in value)
        return False

    def secret_if_needed(value: object) -> object:
        return pulumi.Output.secret(value) if holds_secret(value) else value

    def transformation(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
        props = {
            # None: an output property, or an input not given; nothing to keep secret.
            key: value if value is None else pulumi.Output.from_input(value).apply(secret_if_needed)
            for key, value in (args.props or {}).items()
        }
        return pulumi.ResourceTransformationResult(props, args.opts)

    return transformation
