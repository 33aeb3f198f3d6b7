"""Reading a ``Pulumi.<stack>.yaml`` offline (no Pulumi CLI), with line numbers in the issues."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import NAMESPACE, ConfigError, Issue, StackFileError
from . import stack_yaml
from .handover import handed_over
from .model import StackConfig
from .secrets import Offline, is_secure, with_placeholders
from .validation import aws_region_issues, primary_region_issues, split_namespace, validate


def stack_file_for(stack: str) -> str:
    """How messages name a stack's file (Pulumi.yaml sets stackConfigDir: stacks)."""
    return f"stacks/Pulumi.{stack}.yaml"


def read_stack_yaml(text: str) -> Any:
    """A stack file's YAML as the Pulumi CLI reads it (see stack_yaml); YamlProblem if it refuses it."""
    return stack_yaml.parse(text).value


def read_stack_file(path: str | Path) -> str:
    """A stack file's text; a file that cannot be read is a StackFileError naming it."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise StackFileError(source, "no such file") from None
    except OSError as exc:
        raise StackFileError(source, f"cannot read it: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise StackFileError(
            source,
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at line {line}); the Pulumi CLI reads stack files "
            "as UTF-8: save the file as UTF-8",
            line,
        ) from None


@dataclass(frozen=True)
class StackDocument:
    """A stack file parsed once: its ``config:`` map and the line of every key."""

    source: str
    config: Mapping[str, Any]
    lines: Mapping[tuple[str | int, ...], int]
    environment: Any = None
    """The file's ``environment:`` (Pulumi ESC environments it imports; see esc)."""

    @functools.cached_property
    def offline(self) -> Offline:
        """The ``patching:`` values with placeholders for their secrets (see secrets)."""
        prefix = f"{NAMESPACE}:"
        return with_placeholders(
            {str(k)[len(prefix) :]: v for k, v in self.config.items() if str(k).startswith(prefix)}
        )

    def cli_config(self) -> tuple[dict[str, Any], list[str]]:
        """The config map as the CLI hands it over (secrets as their placeholders), and its secret keys."""
        offline = self.offline
        config = {k: v for k, v in self.config.items() if not str(k).startswith(f"{NAMESPACE}:")}
        # Other namespaces' secrets (an aws:assumeRoles externalId) are text offline, the whole key secret.
        other_secrets = [str(k) for k, v in config.items() if _holds_secure(v)]
        config |= {key: _without_secure(config[key]) for key in other_secrets}
        config |= {f"{NAMESPACE}:{key}": value for key, value in offline.values.items()}
        return config, sorted([*other_secrets, *(f"{NAMESPACE}:{key}" for key in offline.secret_keys)])

    def patching_values(self) -> dict[str, Any]:
        """The ``patching:`` keys as the program reads them (see handover), other namespaces left out."""
        config, _ = self.cli_config()
        return split_namespace(
            {
                key: handed_over(str(key).partition(":")[2], value) if str(key).startswith(f"{NAMESPACE}:") else value
                for key, value in config.items()
            },
            self.source,
        )

    def validate(self) -> StackConfig:
        """The model of the ``patching:`` namespace; ConfigError lists every issue with its line."""
        refused = self.offline.errors  # secrets where the model takes none
        if any(len(issue.path) == 1 for issue in refused):  # a whole key: the program refuses it before reading any
            raise ConfigError(self.source, self.locate(refused))
        aws_region = self.config.get("aws:region")
        aws_region = None if is_secure(aws_region) else aws_region  # a secret region is checked by the CLI
        region_line = self.lines.get(("config", "aws:region"))
        try:
            config = validate(self.patching_values(), self.source)
        except ConfigError as exc:
            at_secret = {issue.path for issue in refused}
            issues = refused + [i for i in exc.issues if not any(i.path[: len(p)] == p for p in at_secret)]
            raise ConfigError(self.source, self.locate(issues + aws_region_issues(aws_region, region_line))) from None
        issues = refused + primary_region_issues(config, aws_region, region_line)
        if issues:
            raise ConfigError(self.source, self.locate(issues))
        return config

    def locate(self, issues: list[Issue]) -> list[Issue]:
        """The issues with the line of their key path (of the deepest key that exists)."""
        located = []
        for issue in issues:
            path: tuple[str | int, ...] = ("config",)
            if issue.path:
                path += (f"{NAMESPACE}:{issue.path[0]}", *issue.path[1:])
            while path and path not in self.lines:
                path = path[:-1]
            located.append(dataclasses.replace(issue, line=issue.line or self.lines.get(path)))
        return located


def _holds_secure(value: Any) -> bool:
    if is_secure(value):
        return True
    if isinstance(value, Mapping):
        return any(_holds_secure(v) for v in value.values())
    return isinstance(value, list) and any(_holds_secure(v) for v in value)


def _without_secure(value: Any) -> Any:
    """A value with each ``{secure: ...}`` replaced by text standing in for its plaintext."""
    if is_secure(value):
        return "secret"
    if isinstance(value, Mapping):
        return {k: _without_secure(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_secure(v) for v in value]
    return value


def read_stack_document(text: str, source: str) -> StackDocument:
    """Parse a stack file's text; StackFileError if it is not YAML the CLI reads or has no ``config:``."""
    try:
        parsed = stack_yaml.parse(text)
    except stack_yaml.YamlProblem as exc:
        raise StackFileError(source, f"not valid YAML: {exc.message}", exc.line) from None
    document = parsed.value
    if not isinstance(document, Mapping) or not isinstance(document.get("config"), Mapping):
        raise StackFileError(source, "not a Pulumi stack file: it needs a top-level 'config:' mapping")
    return StackDocument(source, document["config"], parsed.lines, document.get("environment"))


def parse_stack_text(text: str, source: str) -> StackConfig:
    """Validate a stack file's text (``source`` names it in the messages, with lines)."""
    return read_stack_document(text, source).validate()


def load_stack_file(path: str | Path) -> StackConfig:
    """Read and validate a ``Pulumi.<stack>.yaml`` offline (no Pulumi CLI)."""
    return parse_stack_text(read_stack_file(path), str(path))
