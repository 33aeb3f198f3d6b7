"""The per-customer Pulumi program: read the stack config, build, export.

``programs/customer_patching/__main__.py`` (Pulumi.yaml's ``main``) calls
:func:`main`; it lives in the package so that ``patching plan`` works from an
installed wheel too.
"""

from __future__ import annotations

import gc
from collections.abc import Callable

import pulumi

from . import layout
from .checks import refuse_unbuildable
from .components.customer import CustomerPatching
from .config import ConfigError, load_pulumi_config, stack_file_for
from .config.pulumi_config import secret_keys
from .config.secrets import SecretSearch, SecretText, secret_search


def main() -> None:
    # No cyclic garbage collection while the program runs (the process ends with the run; an
    # in-process run, tools.engine.run_program, restores the collector after it). Pulumi keeps every
    # resource's outputs and futures alive to the end of the run, and as the run resolves them old
    # objects die as fast as new ones are made, so the young generation grows with the fleet and the
    # collector walks it again and again: with collections after 20,000 allocations (the earlier
    # setting) they were a tenth of a 200-group run and a third to two fifths of a 2,000-group run,
    # for the cycles that are a tenth of the memory (peak RSS 575 to 625 MB at 2,000 groups, three
    # regions). Reference counting frees everything else as before.
    gc.disable()
    try:
        config = refuse_unbuildable(load_pulumi_config(), stack_file_for(pulumi.get_stack()))
    except ConfigError as exc:
        # RunError prints the message without a Python traceback.
        raise pulumi.RunError(str(exc)) from None

    keys = secret_keys()
    # None without a secret key: nothing to look for, nothing is transformed.
    search = secret_search(config, keys, layout.log_prefix(config)) if keys else None
    export = _exporter(search)
    export("customer", config.customer)
    export("mode", config.mode)
    if config.mode == "disabled":
        pulumi.log.warn(
            f"patching:mode is 'disabled' for {config.customer}: no patching resources are built "
            "(an update removes any that exist)."
        )
        return

    opts = pulumi.ResourceOptions(transformations=[keep_secret(search)]) if search is not None else None
    patching = CustomerPatching(config.customer, config, opts)
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


def holds_secret(value: object, search: SecretSearch) -> bool:
    """Whether a value, resolved, is built from a secret.

    Marked at the source: ``load_pulumi_config`` gives the text of a secret key as
    ``SecretText``, and an input holding that object holds the secret, however short ("1",
    "UTC"). That, not a search for the secret's text, is what keeps short common values from
    marking unrelated inputs: searched for, ``maxErrors: "1"`` made every trust policy and tag
    secret. Text built from a secret (an ARN, a policy, a runbook) is a new ``str`` without the
    mark; there ``search`` finds the distinctive secret texts (``config.secrets.SecretSearch``).
    pulumi-aws's typed arguments (``MaintenanceWindowTaskTaskInvocationParametersArgs`` ...)
    are searched through their attributes."""

    def holds(item: object) -> bool:
        if isinstance(item, SecretText):
            return True
        if isinstance(item, str):
            return search.finds(item)
        if isinstance(item, dict):
            return any(holds(key) or holds(child) for key, child in item.items())
        if isinstance(item, (list, tuple)):
            return any(holds(child) for child in item)
        if isinstance(item, (int, float, bool)) or item is None or isinstance(item, pulumi.Resource):
            return False
        attributes = getattr(item, "__dict__", None)  # an input type: its fields, resolved
        return attributes is not None and any(holds(child) for child in attributes.values())

    return holds(value)


def _exporter(search: SecretSearch | None) -> Callable[[str, object], None]:
    """``pulumi.export`` that exports secret what is built from a secret (``logBucket`` naming
    an existing bucket of a secret ``patching:logging``, ``notificationTopicArn`` ...)."""

    def export(key: str, value: object) -> None:
        if search is not None:
            value = pulumi.Output.from_input(value).apply(
                lambda v: pulumi.Output.secret(v) if holds_secret(v, search) else v
            )
        pulumi.export(key, value)

    return export


def keep_secret(search: SecretSearch) -> pulumi.ResourceTransformation:
    """A transformation that makes secret every input built from a secret config value (see
    :func:`holds_secret`), so that state and previews show it as [secret] (the components
    take plain config)."""

    def secret_if_needed(value: object) -> object:
        return pulumi.Output.secret(value) if holds_secret(value, search) else value

    def transformation(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
        props = {
            # None: an output property, or an input not given; nothing to keep secret.
            key: value if value is None else pulumi.Output.from_input(value).apply(secret_if_needed)
            for key, value in (args.props or {}).items()
        }
        return pulumi.ResourceTransformationResult(props, args.opts)

    return transformation
