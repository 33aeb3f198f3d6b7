"""YAML as the Pulumi CLI reads a stack file, parsed once, with the line of every key.

The CLI reads stack files with go-yaml v3, a Go port of libyaml. We parse with
libyaml too (PyYAML's event parser, which never recurses, so deep nesting is
not a crash) and build the values ourselves with go-yaml v3's rules, so a file
means here what it means to ``pulumi up``:

- plain scalars resolve as in go-yaml v3 into ``interface{}``: booleans are
  only ``true``/``false`` (``yes``, ``on`` stay text), ``1_000`` is 1000,
  ``0x1f``/``0o17``/``017`` are integers, ``1:30`` and dates stay text, a
  number too big for 64 bits is text;
- a key defined twice in one map is an error, as are excessive aliasing
  (go-yaml's "billion laughs" rule), more than one document, a key that is a
  map or list, and tags whose value has no JSON form (``!!binary``, ``!!set``,
  custom tags): the CLI hands config to programs as JSON.

Map keys are text, as they reach a program (JSON object keys): ``2024:`` is ``"2024"``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

Path = tuple[str | int, ...]

MAX_DEPTH = 100
"""Deeper nesting is refused (go-yaml takes more, but nothing in a stack file needs it)."""

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{name}" for name in ("str", "int", "float", "bool", "null", "timestamp")} | {"!"}
_COLLECTION_TAGS = {f"{_TAG}map", f"{_TAG}seq"}
_FIXED = {
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), None),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), -math.inf),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), math.nan),
}
_GO_INT = re.compile(r"([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)")
_GO_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?")


class YamlProblem(ValueError):
    def __init__(self, line: int | None, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


@dataclass(frozen=True)
class Parsed:
    value: Any
    lines: dict[Path, int]
    """Key path -> 1-based line: of the key for map entries, of the item for list items."""


def _plain_scalar(text: str) -> Any:
    """go-yaml v3's resolve() for an untagged plain scalar decoded into interface{}."""
    if text in _FIXED:
        return _FIXED[text]
    first = text[0]
    if first == ".":
        return float(text) if _GO_FLOAT.fullmatch(text) else text
    if not (first.isascii() and (first.isdigit() or first in "+-")):
        return text
    plain = text.replace("_", "")
    match = _GO_INT.fullmatch(plain) if len(plain) <= 67 else None  # 64 binary digits and a prefix at most
    if match:
        sign, digits = match.groups()
        if len(digits) > 1 and digits[0] == "0" and digits[1].isdigit():
            number = int(digits, 8)  # Go's base 0: a leading 0 is octal
        else:
            number = int(digits, 0)
        number = -number if sign == "-" else number
        if -(2**63) <= number < 2**64:
            return number
    if _GO_FLOAT.fullmatch(plain) and len(plain) < 400:
        real = float(plain)
        if not math.isinf(real):
            return real
    return text  # e.g. dates, 1:30, numbers too large for 64 bits


def _tagged_scalar(tag: str, text: str, line: int) -> Any:
    short = tag.replace(_TAG, "!!")
    if tag in (f"{_TAG}str", "!"):
        return text
    if tag == f"{_TAG}timestamp":
        if _DATE.fullmatch(text):
            return text  # go-yaml hands timestamps to interface{} as text
        raise YamlProblem(line, f"cannot read {text!r} as a {short}")
    value = _plain_scalar(text)
    wanted = {"int": (int,), "float": (int, float), "bool": (bool,), "null": (type(None),)}[short[2:]]
    if (isinstance(value, bool) and bool not in wanted) or not isinstance(value, wanted):
        raise YamlProblem(line, f"cannot read {text!r} as a {short}")
    return float(value) if short == "!!float" and value is not None else value


def key_text(key: Any) -> str:
    """A map key as a program sees it: JSON object keys are text."""
    return key if isinstance(key, str) else json.dumps(key)


@dataclass
class _Collection:
    value: dict[str, Any] | list[Any]
    path: Path
    anchor: str | None
    line: int
    size: int = 1
    key: Any = None
    """A map's pending key (``_NO_KEY`` when the next scalar is a key)."""
    key_line: int = 0
    merges: list[dict[str, Any]] = field(default_factory=list)
    merge_lines: dict[str, int] = field(default_factory=dict)


_NO_KEY = object()
_MERGE_KEY = object()


def _allowed_alias_ratio(decoded: int) -> float:
    # go-yaml v3's rule against "billion laughs" documents (decode.go).
    low, high = 400_000, 4_000_000
    if decoded <= low:
        return 0.99
    if decoded >= high:
        return 0.10
    return 0.99 - 0.89 * (decoded - low) / (high - low)


def parse(text: str) -> Parsed:
    """Parse a stack file's YAML; YamlProblem names the line of what the CLI would refuse."""
    import yaml

    loader = None
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)  # libyaml's parser when PyYAML has it
        return _build(iter(loader.get_event, None))  # the events yaml.parse yields, without its generator
    except yaml.reader.ReaderError as exc:
        line = text[: exc.position].count("\n") + 1
        raise YamlProblem(line, f"character U+{exc.character:04X} is not allowed: {exc.reason}") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlProblem(mark.line + 1 if mark else None, exc.problem or exc.context or "invalid YAML") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(None, str(exc).splitlines()[0]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _build(events: Iterator[Any]) -> Parsed:
    import yaml

    lines: dict[Path, int] = {}
    anchors: dict[str, tuple[Any, int]] = {}
    stack: list[_Collection] = []
    documents = 0
    root: Any = None
    decoded = aliased = 0

    def place(value: Any, size: int, line: int, anchor: str | None) -> None:
        """Put a finished value where it belongs: a map's key or value, a list's item, the root."""
        nonlocal root
        if anchor:
            anchors[anchor] = (value, size)
        if not stack:
            root = value
            return
        parent = stack[-1]
        parent.size += size
        if isinstance(parent.value, list):
            parent.value.append(value)
            lines[(*parent.path, len(parent.value) - 1)] = line
        elif parent.key is _NO_KEY:
            if isinstance(value, (dict, list)):
                raise YamlProblem(line, "a key must be a plain value, not a map or a list")
            parent.key, parent.key_line = value, line
        else:
            key, parent.key = parent.key, _NO_KEY
            if key is _MERGE_KEY:
                sources = value if isinstance(value, list) else [value]
                if not all(isinstance(source, dict) for source in sources):
                    raise YamlProblem(parent.key_line, "a merge key (<<) takes a map or a list of maps")
                for source in sources:
                    for merged in source:
                        parent.merge_lines.setdefault(merged, parent.key_line)
                parent.merges += sources
                return
            name = key_text(key)
            assert isinstance(parent.value, dict)
            if name in parent.value:
                first = lines[(*parent.path, name)]
                raise YamlProblem(parent.key_line, f"key {name!r} is already defined at line {first}")
            parent.value[name] = value
            lines[(*parent.path, name)] = parent.key_line

    def child_path() -> Path:
        if not stack:
            return ()
        parent = stack[-1]
        if isinstance(parent.value, list):
            return (*parent.path, len(parent.value))
        if parent.key is _NO_KEY or parent.key is _MERGE_KEY:
            return parent.path
        return (*parent.path, key_text(parent.key))

    scalar, alias, document = yaml.ScalarEvent, yaml.AliasEvent, yaml.DocumentStartEvent
    starts = {yaml.MappingStartEvent: True, yaml.SequenceStartEvent: False}  # is it a map?
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    for event in events:
        kind = type(event)  # the parser's own classes (no subclasses): one dispatch per event
        line = event.start_mark.line + 1 if event.start_mark else 0
        if kind is scalar:
            decoded += 1
            tag = event.tag
            if tag is None:
                value = _plain_scalar(event.value) if not event.style else event.value
            elif tag in _SCALAR_TAGS:
                value = _tagged_scalar(tag, event.value, line)
            else:
                raise YamlProblem(line, f"tag {tag.replace(_TAG, '!!')} is not supported in a stack file")
            # A merge key only as a map's key: a list item ``- <<`` is the text "<<".
            if not event.style and event.value == "<<" and tag is None and stack:
                if isinstance(stack[-1].value, dict) and stack[-1].key is _NO_KEY:
                    value = _MERGE_KEY
            place(value, 1, line, event.anchor)
        elif kind in starts:
            decoded += 1
            if event.tag is not None and event.tag not in _COLLECTION_TAGS:
                raise YamlProblem(line, f"tag {event.tag.replace(_TAG, '!!')} is not supported in a stack file")
            if len(stack) >= MAX_DEPTH:
                raise YamlProblem(line, f"nested deeper than {MAX_DEPTH} levels")
            stack.append(_Collection({} if starts[kind] else [], child_path(), event.anchor, line, key=_NO_KEY))
        elif kind in ends:
            done = stack.pop()
            if isinstance(done.value, dict):
                for source in done.merges:  # explicit keys win over merged ones, as in go-yaml
                    for key, value in source.items():
                        if key not in done.value:
                            done.value[key] = value
                            lines[(*done.path, key)] = done.merge_lines[key]
            place(done.value, done.size, done.line, done.anchor)
        elif kind is alias:
            if event.anchor not in anchors:
                raise YamlProblem(line, f"unknown anchor {event.anchor!r} (or an anchor that contains itself)")
            value, size = anchors[event.anchor]
            decoded += size
            aliased += size
            if aliased > 100 and decoded > 1000 and aliased / decoded > _allowed_alias_ratio(decoded):
                raise YamlProblem(line, "the document contains excessive aliasing")
            place(value, size, line, None)
        elif kind is document:
            documents += 1
            if documents > 1:
                raise YamlProblem(line, "a stack file is one YAML document (found a second '---')")
    return Parsed(root, lines)
