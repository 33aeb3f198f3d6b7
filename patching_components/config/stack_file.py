"""Reading a ``Pulumi.<stack>.yaml`` offline (no Pulumi CLI), with line numbers in the issues."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import NAMESPACE, ConfigError, Issue, StackFileError
from .model import StackConfig
from .validation import split_namespace, validate


def stack_file_for(stack: str) -> str:
    """How messages name a stack's file (Pulumi.yaml sets stackConfigDir: stacks)."""
    return f"stacks/Pulumi.{stack}.yaml"


@functools.cache
def _stack_loader() -> type:
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when the wheel has it

    class StackLoader(base):  # type: ignore[misc, valid-type]
        pass

    StackLoader.yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    return StackLoader


def read_stack_yaml(text: str) -> Any:
    """Parse stack-file YAML the way the Pulumi CLI hands values to programs:
    dates stay text (``2026-12-01``), so an impossible date is a config error, not a crash."""
    import yaml

    return yaml.load(text, Loader=_stack_loader())


def read_stack_file(path: str | Path) -> str:
    """A stack file's text; a file that cannot be read is a StackFileError naming it."""
    source = str(path)
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StackFileError(source, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StackFileError(source, f"cannot read it: {exc}") from None


def parse_stack_text(text: str, source: str) -> StackConfig:
    """Validate a stack file's text (``source`` names it in the messages, with lines)."""
    import yaml

    try:
        document = read_stack_yaml(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        at = f" at line {where.line + 1}" if where else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise StackFileError(source, f"not valid YAML{at}: {problem}") from None
    if not isinstance(document, Mapping) or not isinstance(document.get("config"), Mapping):
        raise StackFileError(source, "not a Pulumi stack file: it needs a top-level 'config:' mapping")
    try:
        return validate(split_namespace(document["config"], source), source)
    except ConfigError as exc:
        raise ConfigError(source, with_lines(exc.issues, text)) from None


def load_stack_file(path: str | Path) -> StackConfig:
    """Read and validate a ``Pulumi.<stack>.yaml`` offline (no Pulumi CLI)."""
    return parse_stack_text(read_stack_file(path), str(path))


def with_lines(issues: list[Issue], text: str) -> list[Issue]:
    """The issues with the stack-file line of their key path (the deepest key that exists)."""
    import yaml

    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return issues

    def child(node: Any, step: str | int) -> Any:
        if isinstance(node, yaml.MappingNode):
            return next((v for k, v in node.value if k.value == step), None)
        if isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            return node.value[step]
        return None

    def key_line(node: Any, step: str | int) -> int | None:
        if isinstance(node, yaml.MappingNode):
            return next((k.start_mark.line + 1 for k, _ in node.value if k.value == step), None)
        return None

    config = child(root, "config")
    located = []
    for issue in issues:
        line, node = None, config
        for index, step in enumerate(issue.path):
            key = f"{NAMESPACE}:{step}" if index == 0 else step
            found = key_line(node, key)
            if found is None and child(node, key) is None:
                # A missing key: point at the map it belongs in.
                line = line or (node.start_mark.line + 1 if node is not None else None)
                break
            line = found or line
            node = child(node, key)
            if isinstance(step, int):
                line = node.start_mark.line + 1
        located.append(dataclasses.replace(issue, line=line))
    return located
