"""Config errors: light enough for every module to import (no pydantic)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

NAMESPACE = "patching"


@dataclass(frozen=True)
class Issue:
    """One problem in a stack config: where (key path) and what."""

    path: tuple[str | int, ...]
    """Key path below the namespace, e.g. ("baselines", "al2023", "severities", 1)."""
    message: str
    line: int | None = None
    """Line in the stack file, where it was read from one."""

    def key_path(self, namespace: str | None = NAMESPACE) -> str:
        """``patching:baselines.al2023.severities[1]`` (no prefix for component args)."""
        return format_key_path(self.path, namespace)


def format_key_path(path: Iterable[str | int], namespace: str | None = NAMESPACE) -> str:
    text = ""
    for step in path:
        if not isinstance(step, (str, int)) or isinstance(step, bool):
            step = repr(step)  # a key from Python that is neither text nor an index: None, True
        if isinstance(step, int):
            text += f"[{step}]"
        elif not text:
            text = f"{namespace}:{step}" if namespace else str(step)
        elif re.fullmatch(r"[A-Za-z0-9_-]+", step):
            text += f".{step}"
        else:
            text += f"[{step!r}]"
    return text or (f"{namespace}:" if namespace else "(top level)")


class ConfigError(ValueError):
    """Every problem of one stack config, each naming file, key path and allowed values."""

    def __init__(self, source: str, issues: list[Issue], namespace: str | None = NAMESPACE):
        self.source = source
        self.issues = issues
        self.namespace = namespace
        lines = [f"{source}: {len(issues)} error(s) in the patching config:"]
        lines += [f"  {line}" for line in self.lines()]
        super().__init__("\n".join(lines))

    def lines(self) -> list[str]:
        """One ``source[:line]: key.path: message`` line per issue."""
        return issue_lines(self.source, self.issues, self.namespace)


def issue_lines(source: str, issues: Iterable[Issue], namespace: str | None = NAMESPACE) -> list[str]:
    """One ``source[:line]: key.path: message`` line per issue (errors and warnings alike)."""
    return [
        printable(
            f"{source}{f':{i.line}' if i.line else ''}: {f'{i.key_path(namespace)}: ' if i.path else ''}{i.message}"
        )
        for i in issues
    ]


def printable(text: str) -> str:
    """Text safe for a terminal or CI log: control characters (escape sequences, newlines) escaped."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


class StackFileError(ConfigError):
    """The file cannot be read as a stack file at all (missing, not YAML, no ``config:``)."""

    def __init__(self, source: str, message: str, line: int | None = None):
        super().__init__(source, [Issue((), message, line)])


MAX_ECHO = 80
"""The longest value a message repeats whole; a longer one is cut, with its length."""


def cut(value: object, limit: int = MAX_ECHO) -> str:
    """A value as a message quotes it (``repr``), cut at ``limit`` characters with an ellipsis and
    its length: a 100,000-character value must not become a 100 KB log line."""
    text = repr(value)
    if len(text) <= limit:
        return text
    length = f" ({len(value)} characters)" if isinstance(value, str) else ""
    return f"{text[:limit]}...{length}"


def closest(value: str, known: Iterable[str], *, ignore_case: bool = False) -> str | None:
    """The one of ``known`` a mistyped ``value`` most likely means (difflib's closest match), or None;
    with ``ignore_case``, one that differs only in case or surrounding space comes first."""
    known = list(known)
    if ignore_case:
        folded = value.strip().lower()
        same = next((k for k in known if k.lower() == folded), None)
        if same is not None:
            return same
    import difflib

    close = difflib.get_close_matches(value, known, n=1)
    return close[0] if close else None


def did_you_mean(suggestion: str | None, show: Callable[[str], str] = repr) -> str:
    """``; did you mean 'x'?`` for a suggestion (see :func:`closest`), nothing for None; ``show``
    writes it (quoted, by default)."""
    return f"; did you mean {show(suggestion)}?" if suggestion is not None else ""
