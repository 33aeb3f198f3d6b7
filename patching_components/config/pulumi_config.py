"""Reading the ``patching:`` namespace inside a running Pulumi program, through ``pulumi.Config``."""

from __future__ import annotations

from typing import Any

from ..errors import NAMESPACE, ConfigError, Issue
from .handover import program_value
from .model import TOP_LEVEL_KEYS, StackConfig
from .secrets import may_hold_secrets
from .stack_file import stack_file_for
from .validation import primary_region_issues, split_namespace, validate


def load_pulumi_config() -> StackConfig:
    """Read the namespace through ``pulumi.Config`` inside a running Pulumi program."""
    import pulumi

    from .._pulumi_sdk import config_keys_present

    source = stack_file_for(pulumi.get_stack())
    # pulumi.Config reads one known key at a time; to report misspelt keys we
    # also need the names present, which the engine hands over in these maps.
    present = config_keys_present()
    cfg = pulumi.Config(NAMESPACE)
    values: dict[str, Any] = {key: None for key in present}
    for key in TOP_LEVEL_KEYS:
        full = f"{NAMESPACE}:{key}"
        if full in present:
            values[full] = program_value(key, cfg.get(key))
    # The engine marks a whole key secret; one whose settings may not be secret is refused, as
    # validate refuses its {secure: ...} value (see secrets).
    refused = [
        Issue((key,), "cannot be a secret: it names resources, and URNs and AWS names are never secret")
        for key in TOP_LEVEL_KEYS
        if f"{NAMESPACE}:{key}" in present
        and pulumi.runtime.is_config_secret(f"{NAMESPACE}:{key}")
        and not may_hold_secrets(key)
    ]
    if refused:
        raise ConfigError(source, refused)
    config = validate(split_namespace(values, source), source)
    issues = primary_region_issues(config, pulumi.Config("aws").get("region"))
    if issues:
        raise ConfigError(source, issues)
    return config


def secret_texts() -> set[str]:
    """The text of the secret ``patching:`` settings, inside a running program."""
    import pulumi

    from .secrets import secretable_texts

    cfg = pulumi.Config(NAMESPACE)
    return {
        text
        for key in TOP_LEVEL_KEYS
        if pulumi.runtime.is_config_secret(f"{NAMESPACE}:{key}")
        for text in secretable_texts(key, program_value(key, cfg.get(key)))
    }
