"""Pulumi ESC: stack files that import environments, and the values those environments give.

A stack file may import Pulumi ESC environments (``environment: [acme-prod]``, or an environment
definition ``environment: {imports: [acme-prod]}``: Pulumi's "Stack settings file reference"), whose
``pulumiConfig`` values become stack config when the Pulumi CLI runs the stack. Offline, the checks see
none of them: ``environment_warnings`` says so, and ``explain`` tells an error about a missing key that
the environment may set it.

``--esc-config FILE`` reads the JSON that ``pulumi env open ENV --format json`` prints; ``merged`` adds
its ``pulumiConfig`` to the file's config, the stack file's own value winning for a key set in both
(Pulumi's ESC "Outputs" reference: for ``pulumiConfig``, the explicit stack value wins). Issues about a
value from FILE name its key path, no line, and FILE; they never show the value (ESC values may be
secrets, and ``pulumi env open`` prints them in the clear). A value masked as ``[secret]`` or
``[unknown]`` (what ``pulumi env get`` shows for a secret) cannot be checked: it is an error.

Only the standard library and this package's light modules load here (no pulumi, no boto3).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import NAMESPACE, ConfigError, Issue
from .secrets import may_hold_secrets, redact
from .stack_file import StackDocument

MASKED = ("[secret]", "[unknown]")
"""How ESC shows a value it does not reveal: ``pulumi env get`` shows a secret as ``[unknown]``."""


class EscFileError(ValueError):
    """An ``--esc-config`` file that cannot be used: one line, exit 2."""


@dataclass(frozen=True)
class EscConfig:
    """The ``pulumiConfig`` of ``pulumi env open --format json`` output, keys with their namespace."""

    source: str
    config: Mapping[str, Any]
    environment_variables: tuple[str, ...] = ()
    """The names (never the values) of the output's ``environmentVariables``: what ``pulumi env run`` and
    ``pulumi up`` set for the provider (AWS credentials, AWS_PROFILE); patching reads only ``pulumiConfig``."""
    has_pulumi_config: bool = True
    """Whether the output has a ``pulumiConfig`` at all. ``pulumiConfig`` is a reserved property an
    environment may leave out (ESC "Reserved Properties"): one that gives only credentials prints none.
    Without it the file is accepted but sets no stack config, and the warning about the environments
    patching cannot see stays (fail closed: a file of bare keys is not what ``pulumi up`` would read)."""
    top_level_keys: tuple[str, ...] = ()
    """The output's top-level keys that look like config keys (``aws:region``): ``pulumi up`` ignores
    them (only ``pulumiConfig``'s keys become stack config), so the warning names them."""


def read_esc_config(path: str | Path) -> EscConfig:
    """Read ``--esc-config FILE``; EscFileError (one line) when it is not the output of ``pulumi env open``."""
    source = str(path)
    how = "give the output of: pulumi env open ENV --format json"
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EscFileError(f"--esc-config {source}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EscFileError(f"--esc-config {source}: cannot read it: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise EscFileError(f"--esc-config {source}: not JSON ({exc}); {how}") from None
    if not isinstance(data, dict):
        raise EscFileError(f"--esc-config {source}: not a JSON object; {how}")
    has_pulumi_config = "pulumiConfig" in data
    pulumi_config = data.get("pulumiConfig", {})
    if not isinstance(pulumi_config, dict):
        raise EscFileError(f"--esc-config {source}: pulumiConfig is not a JSON object; {how}")
    # A key without a namespace takes the project's (Pulumi's "Configuration" docs): ours is NAMESPACE.
    # A key given both ways: the one with its namespace is used.
    config = {f"{NAMESPACE}:{key}": value for key, value in pulumi_config.items() if ":" not in key}
    config |= {key: value for key, value in pulumi_config.items() if ":" in key}
    variables = data.get("environmentVariables")
    names = tuple(sorted(str(name) for name in variables)) if isinstance(variables, dict) else ()
    stray = tuple(sorted(str(key) for key in data if ":" in str(key)))
    return EscConfig(source, config, names, has_pulumi_config, stray)


def environments(value: Any) -> tuple[list[str], bool]:
    """The environments a stack file's ``environment:`` imports, and whether it defines values inline
    (``environment: {imports: [...], values: {...}}``)."""
    if value is None:
        return [], False
    if isinstance(value, Mapping):
        imports = value.get("imports") or []
        inline = bool(value.get("values"))
    else:
        imports, inline = value, False
    if not isinstance(imports, list):
        imports = [imports]
    names = [str(next(iter(item))) if isinstance(item, Mapping) and item else str(item) for item in imports]
    return names, inline


def _unseen(document: StackDocument) -> str | None:
    names, inline = environments(document.environment)
    if not names and not inline:
        return None
    parts = [", ".join(names)] if names else []
    if inline:
        parts.append("the values defined under environment:")
    return " and ".join(parts)


def _seen(esc: EscConfig | None) -> bool:
    """Whether ``--esc-config`` gave stack config: a file without ``pulumiConfig`` gives none."""
    return esc is not None and esc.has_pulumi_config


def environment_warnings(document: StackDocument, esc: EscConfig | None) -> list[Issue]:
    """The warning for a stack file importing ESC environments whose values were not given, and the
    one for an ``--esc-config`` file without ``pulumiConfig``."""
    warnings = []
    if esc is not None and not esc.has_pulumi_config:
        ignored = (
            f" (its top-level {', '.join(esc.top_level_keys)} is not stack config: pulumi up reads only the "
            "keys under pulumiConfig)"
            if esc.top_level_keys
            else ""
        )
        warnings.append(Issue((), f"--esc-config {esc.source} has no pulumiConfig: it sets no stack config{ignored}"))
    unseen = _unseen(document)
    if unseen is not None and not _seen(esc):
        warnings.append(
            Issue(
                (),
                f"imports Pulumi ESC environment(s) {unseen}: their pulumiConfig values were not checked; "
                "check them too: pulumi env open ENV --format json > esc.json, then --esc-config esc.json",
                document.lines.get(("environment",)),
            )
        )
    return warnings


ESC_HINT = "which may set it: check with pulumi env open ENV --format json > esc.json and --esc-config esc.json"
"""What an error about a missing key adds for a stack that imports environments (``explain``, ``plan``)."""


def missing_key_hint(document: StackDocument, esc: EscConfig | None) -> str:
    """``; the stack imports Pulumi ESC environment(s) X, which may set it: ...``; "" when none is unseen."""
    unseen = _unseen(document)
    if unseen is None or _seen(esc):
        return ""
    return f"; the stack imports Pulumi ESC environment(s) {unseen}, {ESC_HINT}"


def explain(exc: ConfigError, document: StackDocument, esc: EscConfig | None) -> ConfigError:
    """An error on a file importing environments: a missing key may be set there (how to check)."""
    hint = missing_key_hint(document, esc)
    if not hint:
        return exc
    issues = [
        dataclasses.replace(issue, message=issue.message + hint)
        if issue.message.startswith(("required key is missing", f"no {NAMESPACE}:* keys"))
        else issue
        for issue in exc.issues
    ]
    return type(exc)(exc.source, issues, exc.namespace) if type(exc) is ConfigError else exc


@dataclass(frozen=True)
class EscStackDocument(StackDocument):
    """A stack file with the values of ``--esc-config`` beneath its own."""

    esc_source: str = ""
    from_esc: frozenset[str] = frozenset()
    """The full keys (``patching:customer``, ``aws:region``) whose value came from the ESC file."""

    def cli_config(self) -> tuple[dict[str, Any], list[str]]:
        # Fail-closed: `pulumi env open` does not say which values are secrets, so each ESC value that
        # may be one is handed over as secret (every setting of another namespace but aws:region).
        config, secret_keys = super().cli_config()
        prefix = f"{NAMESPACE}:"
        secret = {
            key
            for key in self.from_esc
            if (may_hold_secrets(key[len(prefix) :]) if key.startswith(prefix) else key != "aws:region")
        }
        return config, sorted({*secret_keys, *secret})

    def locate(self, issues: list[Issue]) -> list[Issue]:
        prefix = f"{NAMESPACE}:"
        esc_keys = {key[len(prefix) :] for key in self.from_esc if key.startswith(prefix)}
        values = {key: self.config[prefix + key] for key in esc_keys}
        located = []
        for issue in redact(super().locate(issues), values, esc_keys):
            # aws:region is public (handed over as plain text, see cli_config): its issues may name it.
            region = not issue.path and "aws:region" in self.from_esc and issue.message.startswith("aws:region")
            if (issue.path and issue.path[0] in esc_keys) or region:
                issue = dataclasses.replace(issue, line=None, message=f"{issue.message} (from {self.esc_source})")
            located.append(issue)
        return located


def masked_issues(esc: EscConfig, document: StackDocument) -> list[Issue]:
    """ESC values the output masks (``[secret]``): they cannot be checked, so they are errors."""
    issues = []
    for key, value in esc.config.items():
        if key in document.config:
            continue  # the stack file's own value is used
        if any(text in MASKED for text in _texts(value)):
            namespace, _, name = key.partition(":")
            message = (
                f"the value is masked in {esc.source}: give the output of pulumi env open ENV --format json, "
                "which shows every value"
            )
            issues.append(Issue((name,), message) if namespace == NAMESPACE else Issue((), f"{key}: {message}"))
    return issues


def _texts(value: Any) -> list[str]:
    if isinstance(value, Mapping):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return [value] if isinstance(value, str) else []


def merged(document: StackDocument, esc: EscConfig | None) -> StackDocument:
    """The stack file's document with the ESC values it does not set itself; ConfigError for a masked one."""
    if esc is None:
        return document
    masked = masked_issues(esc, document)
    if masked:
        raise ConfigError(document.source, masked)
    from_esc = frozenset(key for key in esc.config if key not in document.config)
    config = {**{key: esc.config[key] for key in from_esc}, **document.config}
    return EscStackDocument(
        document.source, config, document.lines, document.environment, esc_source=esc.source, from_esc=from_esc
    )
