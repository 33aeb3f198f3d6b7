"""The entry points: a raw mapping of ``patching:`` values (a stack file's, the Pulumi
program's, a component's) to a model, or a ConfigError with every issue at once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from .. import layout
from ..aws import limits as aws_limits
from ..errors import NAMESPACE, ConfigError, Issue, closest, cut, did_you_mean
from .messages import _issue_from_pydantic, group_list_items
from .model import TOP_LEVEL_KEYS, StackConfig
from .references import reference_issues

# ---------------------------------------------------------------------------
# Entry points


def validate(raw: Mapping[str, Any], source: str) -> StackConfig:
    """Validate the namespace's values (camelCase keys, without ``patching:``).

    Raises ConfigError with every issue of the mapping; ``source`` names where
    the values came from (a stack file) in each message.
    """
    issues: list[Issue] = []
    config = None
    try:
        config = StackConfig.model_validate(raw)
    except ValidationError as exc:
        issues += [_issue_from_pydantic(e) for e in exc.errors(include_url=False)]
    # Also on the raw mapping, so they are reported when other parts are broken;
    # the model's own check reports the same ones when the rest is valid.
    issues += [i for i in reference_issues(raw) if i not in issues]
    if issues:
        raise ConfigError(source, group_list_items(issues))
    assert config is not None
    return config


def account_ids(value: object) -> list[str] | None:
    """``aws:allowedAccountIds``/``aws:forbiddenAccountIds`` as pulumi-aws reads them: a list, one id, or the JSON
    list in a string that ``pulumi config set aws:allowedAccountIds '["<account id>"]'`` writes. [] when unset;
    None when it cannot be read (the caller fails closed: unknown is never "no account")."""
    import json

    if value is None or value == "" or value == []:
        return []
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if isinstance(value, str | int) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list) and all(isinstance(v, str | int) and not isinstance(v, bool) for v in value):
        return [str(v) for v in value]
    return None


def aws_region_issues(aws_region: object, line: int | None = None) -> list[Issue]:
    """``aws:region`` names a region exactly: it goes into every ARN of the IAM policies, so
    ``EU-WEST-1``, ``eu-west-1a``, ``*`` or a trailing space would build policies that match nothing."""
    if aws_region is None:
        return []
    known = aws_limits.regions()
    if isinstance(aws_region, str) and aws_region in known:
        return []
    if isinstance(aws_region, str) and aws_limits.REGION_PATTERN.fullmatch(aws_region):
        return []  # a region AWS launched after the shipped list: a warning (checks.unlisted_warnings)
    text = aws_region if isinstance(aws_region, str) else str(aws_region)
    guess = text.strip().lower()
    zone_of = next((r for r in known if guess.startswith(r)), None)  # eu-west-1a: the region of a zone
    hint = did_you_mean(guess if guess in known else zone_of or closest(guess, sorted(known)))
    return [
        Issue(
            (),
            f"aws:region: {cut(aws_region)} is not an AWS region (e.g. eu-west-1, us-east-1: lower case, "
            f"no availability-zone letter){hint}",
            line,
        )
    ]


def primary_region_issues(config: StackConfig, aws_region: object, line: int | None = None) -> list[Issue]:
    """The primary region is where the stack's default provider builds: ``aws:region``, given
    explicitly (the provider would otherwise take whatever AWS_REGION the machine has)."""
    issues = aws_region_issues(aws_region, line)
    if issues:
        return issues
    primary = layout.primary_region(config)
    if config.regions and len(config.regions) > 1 and aws_region in (None, ""):
        return [
            Issue(
                ("regions",),
                f"several regions and no aws:region: the stack's default provider builds the primary region's "
                f"resources (IAM, the log bucket) wherever AWS_REGION points; set aws:region: {primary} "
                "(the first region)",
            )
        ]
    if config.regions and aws_region not in (None, "") and primary != aws_region:
        return [
            Issue(
                ("regions", 0),
                f"the primary region (the first) is where the stack's default provider builds: "
                f"aws:region ({aws_region}); list it first",
            )
        ]
    # A KMS key is regional: the golden AMI of a one-region stack builds in aws:region.
    if not config.regions and isinstance(aws_region, str) and aws_region:
        for key, ami in config.golden_amis.items():
            key_region = ami.kms_key_arn.split(":")[3] if ami.kms_key_arn else None
            if key_region and key_region != aws_region:
                issues.append(
                    Issue(
                        ("goldenAmis", key, "kmsKeyArn"),
                        # Not the key's region: it is part of the ARN, which may be secret.
                        f"the key is not in {aws_region}, where the pipeline builds (aws:region): "
                        f"give a key of {aws_region}",
                    )
                )
    return issues


def split_namespace(values: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Pick the ``patching:`` keys of a whole stack config map.

    Unknown keys of our namespace are errors here (pydantic never sees them
    with their namespace); other namespaces (``aws:region``) are left alone.
    """
    raw: dict[str, Any] = {}
    issues: list[Issue] = []
    namespaces = {str(k).partition(":")[0] for k in values if ":" in str(k)}
    if NAMESPACE not in namespaces:
        close = closest(NAMESPACE, sorted(namespaces))
        hint = did_you_mean(close, show=lambda other: f"{NAMESPACE}: instead of {other}:")
        found = f" (namespaces found: {', '.join(sorted(namespaces))})" if namespaces else " (the config map is empty)"
        raise ConfigError(source, [Issue((), f"no {NAMESPACE}:* keys{found}{hint}")])
    for full_key, value in values.items():
        namespace, sep, key = str(full_key).partition(":")
        if not sep or namespace != NAMESPACE:
            continue
        if key not in TOP_LEVEL_KEYS:
            hint = did_you_mean(closest(key, TOP_LEVEL_KEYS), show=lambda close: f"{NAMESPACE}:{close}")
            issues.append(Issue((key,), f"unknown key{hint} (allowed: {', '.join(TOP_LEVEL_KEYS)})"))
            continue
        raw[key] = value
    if "customer" not in raw:
        issues.append(Issue(("customer",), "required key is missing (^[a-z][a-z0-9-]{1,30}$, e.g. acme)"))
    if issues:
        # Report the rest of the file too, not only the namespace problems.
        try:
            validate(raw, source)
        except ConfigError as exc:
            issues += [i for i in exc.issues if i.path != ("customer",)]
        raise ConfigError(source, issues)
    return raw
