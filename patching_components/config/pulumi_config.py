"""Reading the ``patching:`` namespace inside a running Pulumi program, through ``pulumi.Config``."""

from __future__ import annotations

from typing import Any

from ..errors import NAMESPACE, ConfigError, Issue
from .handover import program_value
from .model import TOP_LEVEL_KEYS, StackConfig
from .secrets import mark_secret_texts, may_hold_secrets, redact, why_not_secret
from .stack_file import stack_file_for
from .validation import primary_region_issues, split_namespace, validate


def load_pulumi_config() -> StackConfig:
    """Read the namespace through ``pulumi.Config`` inside a running Pulumi program.

    The text of a key the engine marks secret comes back as ``secrets.SecretText``, so that
    the program keeps secret exactly what is built from it; an error about it never
    prints its value (``pulumi preview`` output ends up in CI logs)."""
    import pulumi

    source = stack_file_for(pulumi.get_stack())
    present = config_keys_present()
    cfg = pulumi.Config(NAMESPACE)
    values: dict[str, Any] = {key: None for key in present}
    for key in TOP_LEVEL_KEYS:
        full = f"{NAMESPACE}:{key}"
        if full in present:
            values[full] = program_value(key, cfg.get(key))
    # The engine marks a whole key secret; one whose settings may not be secret is refused, as
    # validate refuses its {secure: ...} value (see secrets).
    secret = secret_keys()
    refused = [
        Issue((key,), why_not_secret((key,))) for key in TOP_LEVEL_KEYS if key in secret and not may_hold_secrets(key)
    ]
    if refused:
        raise ConfigError(source, refused)
    from .rings import SECRET_KEYS  # patch rings: a soak error does not say when secret schedules open

    token = SECRET_KEYS.set(frozenset(secret))
    try:
        config = validate(split_namespace(values, source), source)
    except ConfigError as exc:
        plain = {key: values.get(f"{NAMESPACE}:{key}") for key in secret}
        raise ConfigError(exc.source, redact(exc.issues, plain, secret), exc.namespace) from None
    finally:
        SECRET_KEYS.reset(token)
    issues = primary_region_issues(config, pulumi.Config("aws").get("region"))
    if issues:
        raise ConfigError(source, issues)
    return mark_secret_texts(config, secret)


def config_keys_present() -> set[str]:
    """Every ``namespace:key`` the stack sets, through Pulumi's public API. ``pulumi.Config`` reads one
    known key at a time; to report a misspelt key we also need the names that are there: the Pulumi
    language host hands a program all of them in ``PULUMI_CONFIG`` (``pulumi.runtime.get_config_env``).
    A program run without it (the Automation API's inline programs) still finds every known key."""
    import pulumi

    present = {str(key) for key in pulumi.runtime.get_config_env()}
    config = pulumi.Config(NAMESPACE)
    return present | {f"{NAMESPACE}:{key}" for key in TOP_LEVEL_KEYS if config.get(key) is not None}


def secret_keys() -> set[str]:
    """The top-level ``patching:`` keys (camelCase) the engine marks secret, in a running program."""
    import pulumi

    present = config_keys_present()
    return {
        key
        for key in TOP_LEVEL_KEYS
        if f"{NAMESPACE}:{key}" in present and pulumi.runtime.is_config_secret(f"{NAMESPACE}:{key}")
    }
