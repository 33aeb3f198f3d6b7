"""The explicit aws provider of each non-primary region, with the stack's own provider settings.

The stack's default provider is configured by its ``aws:`` keys (``aws:profile``,
``aws:assumeRoles``, ``aws:allowedAccountIds``, ...). A provider created in the
program reads none of them: left alone, it would use whatever credentials the
environment has. So each regional provider gets every ``aws:`` setting of the
stack but ``aws:region``, parsed as the engine parses provider config (text for
text settings, JSON for the others), secret where the stack's value is secret.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from typing import Any

import pulumi


@functools.cache
def _provider_parameters() -> dict[str, bool]:
    """aws.Provider's settings (snake_case), each with whether it takes text."""
    import pulumi_aws as aws

    parameters = inspect.signature(aws.Provider._internal_init).parameters
    return {
        name: str(p.annotation).startswith("typing.Union[str,")
        for name, p in parameters.items()
        if name not in ("__self__", "resource_name", "opts", "__props__")
    }


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def stack_provider_settings() -> dict[str, Any]:
    """The stack's ``aws:`` settings as aws.Provider arguments, for the running program.
    A setting aws.Provider does not know is left out with a warning."""
    from ._pulumi_sdk import config_keys_present

    config = pulumi.Config("aws")
    settings: dict[str, Any] = {}
    for key in sorted(k for k in config_keys_present() if k.startswith("aws:") and k != "aws:region"):
        name = key.split(":", 1)[1]
        argument = _snake(name)
        takes_text = _provider_parameters().get(argument)
        if takes_text is None:
            pulumi.log.warn(f"{key} is not an aws provider setting: the regional providers leave it out")
            continue
        text = config.get(name)
        if text is None:
            continue
        try:
            value: Any = text if takes_text else json.loads(text)
        except ValueError:  # the provider reports a malformed value itself
            value = text
        settings[argument] = pulumi.Output.secret(value) if pulumi.runtime.is_config_secret(key) else value
    return settings


def regional_provider(parent: pulumi.Resource, name: str, region: str) -> pulumi.ProviderResource:
    """An aws provider for ``region`` with the stack's settings, named ``<name>-<region>``."""
    import pulumi_aws as aws

    return aws.Provider(
        f"{name}-{region}", region=region, **stack_provider_settings(), opts=pulumi.ResourceOptions(parent=parent)
    )
