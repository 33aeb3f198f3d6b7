"""The per-customer Pulumi program: read the stack config, build, export.

``programs/customer_patching/__main__.py`` (Pulumi.yaml's ``main``) calls
:func:`main`; it lives in the package so that ``patching plan`` works from an
installed wheel too.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

import pulumi

from .config import ConfigError, StackConfig, load_pulumi_config
from .config.pulumi_config import secret_keys
from .config.secrets import SecretText, distinctive, secret_texts
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

    keys = secret_keys()
    # None without a secret key: nothing to look for, nothing is transformed.
    searched = searched_texts(config, keys) if keys else None
    export = _exporter(searched)
    export("customer", config.customer)
    export("mode", config.mode)
    if config.mode == "disabled":
        pulumi.log.warn(
            f"patching:mode is 'disabled' for {config.customer}: no patching resources are built "
            "(an update removes any that exist)."
        )
        return

    opts = pulumi.ResourceOptions(transformations=[keep_secret(searched)]) if searched is not None else None
    patching = CustomerPatching.from_config(config.customer, config, opts)
    export("baselineIds", patching.baseline_ids)
    export("patchGroups", patching.patch_groups)
    export("instanceProfileName", patching.instance_profile_name)
    export("instanceRoleArn", patching.instance_role_arn)
    export("automationRoleArn", patching.automation_role_arn)
    export("maintenanceWindowIds", patching.maintenance_window_ids)
    if patching.log_bucket is not None:
        export("logBucket", patching.log_bucket)
    if patching.notification_topic_arn is not None:
        export("notificationTopicArn", patching.notification_topic_arn)
    if config.golden_amis:
        export("goldenAmis", patching.golden_amis)
    # With patching:regions, per region too (the outputs above are the primary region's).
    for key, value in (
        ("baselineIdsByRegion", patching.baseline_ids_by_region),
        ("maintenanceWindowIdsByRegion", patching.maintenance_window_ids_by_region),
        ("goldenAmisByRegion", patching.golden_amis_by_region),
        ("notificationTopicArnsByRegion", patching.notification_topic_arns_by_region),
    ):
        if value is not None:
            export(key, value)


def searched_texts(config: StackConfig, keys: set[str]) -> set[str]:
    """What the program looks for inside the text of every input and output, besides the
    ``SecretText`` itself (see :func:`holds_secret`): the secret texts of ``keys`` that are
    distinctive, and the text the program derives from a secret ``patching:logging``: its prefix
    joined with the customer (``config.log_prefix``), below which every window writes, even
    when the prefix alone is too short to look for."""
    texts = {text for text in secret_texts(config, keys) if distinctive(text)}
    prefix = config.log_prefix()
    if "logging" in keys and prefix and isinstance(config.logging and config.logging.s3_prefix, SecretText):
        texts.add(prefix)
    return texts


def holds_secret(value: object, searched: set[str]) -> bool:
    """Whether a value, resolved, is built from a secret: it holds a ``SecretText`` (the secret
    itself, however short: marked at the source), or text containing one of ``searched``
    (:func:`searched_texts`: a secret bucket name inside an ARN or a policy, which no longer
    carries the mark). A short secret ("1", "UTC") counts only as itself: looked for inside
    other text, it would mark every trust policy and tag that merely contains a "1".
    pulumi-aws's typed arguments (``MaintenanceWindowTaskTaskInvocationParametersArgs`` ...)
    are searched through their attributes."""

    def holds(item: object) -> bool:
        if isinstance(item, SecretText):
            return True
        if isinstance(item, str):
            return any(text in item for text in searched)
        if isinstance(item, dict):
            return any(holds(key) or holds(child) for key, child in item.items())
        if isinstance(item, (list, tuple)):
            return any(holds(child) for child in item)
        if isinstance(item, (int, float, bool)) or item is None or isinstance(item, pulumi.Resource):
            return False
        attributes = getattr(item, "__dict__", None)  # an input type: its fields, resolved
        return attributes is not None and any(holds(child) for child in attributes.values())

    return holds(value)


def _exporter(searched: set[str] | None) -> Callable[[str, object], None]:
    """``pulumi.export`` that exports secret what is built from a secret (``logBucket`` naming
    an existing bucket of a secret ``patching:logging``, ``notificationTopicArn`` ...)."""

    def export(key: str, value: object) -> None:
        if searched is not None:
            value = pulumi.Output.from_input(value).apply(
                lambda v: pulumi.Output.secret(v) if holds_secret(v, searched) else v
            )
        pulumi.export(key, value)

    return export


def keep_secret(searched: set[str]) -> pulumi.ResourceTransformation:
    """A transformation that makes secret every input built from a secret config value (see
    :func:`holds_secret`), so that state and previews show it as [secret] (the components
    take plain config)."""

    def secret_if_needed(value: object) -> object:
        return pulumi.Output.secret(value) if holds_secret(value, searched) else value

    def transformation(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
        props = {
            # None: an output property, or an input not given; nothing to keep secret.
            key: value if value is None else pulumi.Output.from_input(value).apply(secret_if_needed)
            for key, value in (args.props or {}).items()
        }
        return pulumi.ResourceTransformationResult(props, args.opts)

    return transformation
