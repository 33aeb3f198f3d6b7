"""Pulumi secrets in a stack file, offline.

``pulumi config set --secret`` stores ``{secure: <ciphertext>}``; the CLI hands
the program the plain text and marks its top-level key secret. Offline
(``validate``, ``plan``) there is no plain value, so each secret becomes a
placeholder the setting accepts (the one its ``Secretable`` marker declares,
else the first of a few that its type takes), and a note says what was not
checked. A secret is text: a setting that takes no text (a boolean) cannot be
one, and neither can a name that names resources (``customer``, a patch
group's baselines and windows, a golden AMI's patch group): URNs are never
secret. A whole optional top-level key that is secret is left out offline; a whole key that
holds no setting that may be secret (``patchGroups``, ``regions``, ``compliance``) is an error,
as the program refuses it.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, TypeAdapter, ValidationError

from .. import layout
from ..aws import os_rules
from ..errors import Issue, cut
from .annotations import layers, setting_at
from .annotations import unwrap as _unwrap
from .base import Public, Secretable
from .model import StackConfig
from .services import LoggingConfig

SECURE = "secure"
# Tried in order for a setting without a Secretable marker: the first its rules accept stands in.
# "7" before "1": a delay of 7 days meets the patching standard, so a stand-in breaks no rule of it.
_CANDIDATES = ("secret", "7", "1", "UTC", "cron(0 0 ? * SUN *)", "10%", "2099-12-31", f"ami-{'0' * 17}", "/secret")
# Then the values of the lists that depend on a baseline's operating system (classifications, severities,
# priorities): its rules take only its own.
_OS_CANDIDATES = tuple(
    dict.fromkeys(v for family in os_rules.FAMILIES for spec in family.fields.values() for v in spec.allowed or ())
)


def is_secure(value: Any) -> bool:
    """A secure value as the Pulumi CLI writes it: a map whose only key is ``secure``."""
    return isinstance(value, Mapping) and list(value) == [SECURE] and isinstance(value[SECURE], str)


def _names_resources(path: tuple[str | int, ...]) -> bool:
    """Text marked Public in the model: it names resources (URNs are never secret)."""
    return _has_marker(_setting(path)[0], Public)


def _setting(path: tuple[str | int, ...]) -> tuple[Any, Any]:
    """The annotation (with its constraints) and default of the setting at a key path
    (``(None, None)`` for no setting; the default is None inside lists and maps)."""
    setting = setting_at(StackConfig, path)
    return (None, None) if setting is None else (setting.annotation, setting.default)


def _has_marker(annotation: Any, kind: type) -> bool:
    return _marker(annotation, kind) is not None


def _marker(annotation: Any, kind: type = Secretable) -> Any:
    return next((m for m in layers(annotation)[1] if isinstance(m, kind)), None)  # through Optional[Annotated[...]]


def _choices(annotation: Any) -> tuple[str, ...]:
    inner = _unwrap(annotation)
    return tuple(typing.get_args(inner)) if typing.get_origin(inner) is Literal else ()


def _stand_ins(path: tuple[str | int, ...], number: int) -> list[str]:
    """What may stand in offline for a secret at ``path``, best first (none: it cannot be secret)."""
    annotation, default = _setting(path)
    if annotation is None or _names_resources(path):
        return []
    marker = _marker(annotation)
    inner = _unwrap(annotation)
    if marker is None and typing.get_origin(inner) is list:
        marker = _marker(typing.get_args(inner)[0])  # one or a list (Action: s3:GetObject): an item's stand-in
    if marker is not None:
        return [marker.placeholder.replace("{n}", str(number))]
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    fitting = []
    defaults = (default,) if isinstance(default, str) else ()
    for candidate in dict.fromkeys((*defaults, *_choices(annotation), *_CANDIDATES, *_OS_CANDIDATES)):
        try:
            adapter.validate_python(candidate)
        except ValidationError:
            continue
        fitting.append(candidate)
    return fitting


def _error_locations(values: Mapping[str, Any]) -> list[tuple[str | int, ...]]:
    try:
        StackConfig.model_validate(values)
    except ValidationError as exc:
        return [tuple(error["loc"]) for error in exc.errors(include_url=False)]
    return []


def _put(values: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    parent: Any = values
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value


@dataclass
class Offline:
    """A stack's ``patching:`` values with placeholders for their secrets."""

    values: dict[str, Any]
    secret_keys: set[str]
    """Top-level keys holding a secret (the CLI marks them secret for the program)."""
    errors: list[Issue]
    notes: list[Issue]
    """What was not checked because it is secret (warnings, exit 0)."""


def with_placeholders(values: Mapping[str, Any]) -> Offline:
    """``values`` (camelCase keys without the namespace) with every secret replaced."""
    result = Offline({}, set(), [], [])
    options: dict[tuple[str | int, ...], list[str]] = {}

    def walk(value: Any, path: tuple[str | int, ...]) -> Any:
        if is_secure(value):
            result.secret_keys.add(str(path[0]))
            options[path] = _stand_ins(path, len(options) + 1)
            if not options[path]:
                result.errors.append(Issue(path, why_not_secret(path)))
                del options[path]
                return value
            result.notes.append(Issue(path, "is a secret: checked as text only here; the program checks its value"))
            return options[path][0]
        if isinstance(value, Mapping):
            return {key: walk(item, (*path, key)) for key, item in value.items()}
        if isinstance(value, list):
            items = [walk(item, (*path, index)) for index, item in enumerate(value)]
            for index in range(len(value)):  # a stand-in equal to another item would be "listed twice"
                left = options.get((*path, index), [])
                others = {other for i, other in enumerate(items) if i != index and isinstance(other, str)}
                if len(left) > 1:
                    left[:] = [c for c in left if c not in others] or left
                    items[index] = left[0]
            return items
        return value

    for key, value in values.items():
        field = next((f for f in StackConfig.model_fields.values() if f.alias == key), None)
        if is_secure(value) and field is not None and not may_hold_secrets(key):
            # Refused, as the program refuses it (config.pulumi_config): no setting of the key may be secret.
            result.secret_keys.add(key)
            result.errors.append(Issue((key,), why_not_secret((key,))))
            result.values[key] = value
            continue
        if is_secure(value) and field is not None and not field.is_required() and not _stand_ins((key,), 0):
            # `pulumi config set --secret patching:notifications '{...}'`: nothing to read offline.
            result.secret_keys.add(key)
            result.notes.append(Issue((key,), "is a secret as a whole: not checked offline (the program checks it)"))
            continue
        result.values[key] = walk(value, (key,))
        if key in result.secret_keys and field is not None and not may_hold_secrets(key):
            # One secret inside the key makes the whole key secret for the program (Pulumi marks top-level keys),
            # which refuses it (config.pulumi_config): the same one error here, instead of a note.
            result.notes = [note for note in result.notes if note.path[:1] != (key,)]
            if not any(error.path[:1] == (key,) for error in result.errors):
                result.errors.append(Issue((key,), why_not_secret((key,))))
    # A stand-in the setting's own rules refuse (a schedule is not "secret"): the next one.
    while options:
        failing = set(_error_locations(result.values))
        moved = False
        for path, left in options.items():
            if len(left) > 1 and any(loc[: len(path)] == path for loc in failing):
                left.pop(0)
                _put(result.values, path, left[0])
                moved = True
        if not moved:
            break
    return result


def why_not_secret(path: tuple[str | int, ...]) -> str:
    """Why the setting (or top-level key) at ``path`` cannot be a secret: it names resources (it
    is, or holds, text marked Public: ``customer``, ``patchGroups``, ``regions``), or it takes no
    text at all (``compliance``, ``strictTrustConditions``, a boolean)."""
    if _holds_public_text(_setting(path)[0], set()):
        return "cannot be a secret: it names resources, and URNs and AWS names are never secret"
    return "cannot be a secret: a secret is text, and this setting takes none"


def _holds_public_text(annotation: Any, seen: set[type]) -> bool:
    if annotation is None:
        return False
    if _has_marker(annotation, Public):
        return True
    inner = _unwrap(annotation)
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        if inner in seen:
            return False
        seen.add(inner)
        return any(
            _holds_public_text(Annotated[(f.annotation, *f.metadata)] if f.metadata else f.annotation, seen)
            for f in inner.model_fields.values()
        )
    return typing.get_origin(inner) in (list, dict) and _holds_public_text(typing.get_args(inner)[-1], seen)


def secretable_texts(key: str, value: Any, defaults: bool = True) -> set[str]:
    """The text a program keeps secret in a top-level value the engine marks secret. The engine
    marks the whole key, not which settings in it were secret: every free-text setting counts
    (values from a fixed list, such as ``operation``, are public choices and do not). Without
    ``defaults``, a value equal to its setting's default does not count either (``s3Prefix:
    patching``): every stack that leaves the setting out has it, so it tells nothing."""
    texts: set[str] = set()
    for path, item in _text_leaves(value, (key,)):
        annotation, default = _setting(path)
        if (
            item
            and annotation is not None
            and not _names_resources(path)
            and not _choices(annotation)
            and (defaults or item != default)
        ):
            texts.add(item)
    return texts


def _text_leaves(item: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """Every text in a value, with its path below ``path``."""
    if isinstance(item, str):
        yield path, item
    elif isinstance(item, Mapping):
        for name, child in item.items():
            yield from _text_leaves(child, (*path, name))
    elif isinstance(item, list):
        for index, child in enumerate(item):
            yield from _text_leaves(child, (*path, index))


def may_hold_secrets(key: str) -> bool:
    """Whether a top-level key holds text that may be secret (``customer`` and ``patchGroups`` do not)."""

    def search(annotation: Any, seen: set[type]) -> bool:
        if _has_marker(annotation, Public):
            return False
        inner = _unwrap(annotation)
        if inner is str or _choices(inner):
            return True
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            if inner in seen:
                return False
            seen.add(inner)
            return any(
                search(Annotated[(f.annotation, *f.metadata)] if f.metadata else f.annotation, seen)
                for f in inner.model_fields.values()
            )
        return typing.get_origin(inner) in (list, dict) and search(typing.get_args(inner)[-1], seen)

    annotation, _ = _setting((key,))
    return annotation is not None and search(annotation, set())


class SecretText(str):
    """Text the program read from a ``patching:`` key the engine marks secret.

    A ``str`` in every way (the components use it as they would any text), it only carries
    where it came from: an input holding this very object is built from a secret, whatever
    its text. Marking the source, rather than searching every input for the secret's
    text, is what keeps a short common value from tainting unrelated inputs: with
    ``patching:maintenanceWindows`` secret, its ``maxErrors: "1"`` makes the task's
    ``maxErrors`` secret, not every trust policy and tag that happens to contain a "1".
    Text derived from it (an f-string, JSON, ``Output.concat``) is a new ``str``; see
    :func:`distinctive` for how the program still finds it there.
    """

    __slots__ = ()


class SecretDate(date):
    """A date the program read from a secret key (``approveUntilDate``): as :class:`SecretText`,
    it only carries where it came from. Its text (``isoformat``) is a new ``str``, so the
    program looks for it as itself (``SecretSearch.whole``) and messages leave it out."""


DISTINCTIVE_LENGTH = 6
"""A secret text this long or longer is also looked for inside derived text (see :func:`distinctive`)."""


def distinctive(text: str) -> bool:
    """Whether a secret text is unlikely enough to occur by chance that finding it inside a
    longer text (a policy document, an ARN, a prefix) means it was built from the secret.
    Shorter texts ("1", "10%", "UTC") are only recognised as themselves (SecretText)."""
    return len(text) >= DISTINCTIVE_LENGTH


def mark_secret_texts(config: StackConfig, keys: Collection[str]) -> StackConfig:
    """``config`` with every free-text setting under the top-level ``keys`` (camelCase) as a
    :class:`SecretText`: what the program keeps secret, wherever the components put it. Only
    what the stack sets is marked (a default is not the secret's text); names of resources
    (Public) and values from a fixed list are public, as :func:`secretable_texts` says."""

    def mark(value: Any, path: tuple[str | int, ...]) -> Any:
        if isinstance(value, date) and not isinstance(value, datetime) and not _names_resources(path):
            return SecretDate(value.year, value.month, value.day)
        if isinstance(value, str):
            annotation, _ = _setting(path)
            if value and annotation is not None and not _names_resources(path) and not _choices(annotation):
                return SecretText(value)
            return value
        if isinstance(value, BaseModel):
            update = {}
            for name in value.model_fields_set:
                alias = type(value).model_fields[name].alias or name
                before = getattr(value, name)
                after = mark(before, (*path, alias))
                if after is not before:
                    update[name] = after
            return value.model_copy(update=update) if update else value
        if isinstance(value, dict):
            marked = {key: mark(item, (*path, key)) for key, item in value.items()}
            return marked if any(marked[k] is not value[k] for k in value) else value
        if isinstance(value, list):
            items = [mark(item, (*path, index)) for index, item in enumerate(value)]
            return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
        return value

    update = {}
    for name, field in StackConfig.model_fields.items():
        alias = field.alias or name
        if alias in keys and name in config.model_fields_set:
            before = getattr(config, name)
            after = mark(before, (alias,))
            if after is not before:
                update[name] = after
    return config.model_copy(update=update) if update else config


def marked_texts(value: Any, dates: bool = True) -> set[str]:
    """The ``SecretText`` in a config model (:func:`mark_secret_texts`), and the text of its
    ``SecretDate`` (unless not ``dates``), e.g. to keep them out of a message."""
    texts: set[str] = set()

    def walk(item: Any) -> None:
        if isinstance(item, SecretText):
            texts.add(str(item))
        elif dates and isinstance(item, SecretDate):
            texts.add(item.isoformat())
        elif isinstance(item, Mapping):
            for child in item.values():
                walk(child)
        elif isinstance(item, (list, tuple)):
            for child in item:
                walk(child)
        elif isinstance(item, BaseModel):
            for name in item.model_fields_set:
                walk(getattr(item, name))

    walk(value)
    return texts


@dataclass(frozen=True)
class SecretSearch:
    """What the program looks for in the text it builds, besides a ``SecretText`` itself: the
    secret's text inside text derived from it (a bucket name inside an ARN or a policy, an
    instance type inside a runbook), which no longer carries the mark."""

    inside: frozenset[str]
    """Distinctive secret texts that are marked where the program puts them: found inside a
    longer text, it was built from the secret; a text equal to one of them but without the mark
    came from a public setting with the same value (a golden AMI's time zone, public, equal to
    a secret window's), which stays public."""
    whole: frozenset[str]
    """Secret text that carries no mark, found as itself too: a date's (``approveUntilDate``,
    written as text from a ``SecretDate``) and the customer's log prefix derived from a secret
    ``s3Prefix`` (however short the prefix, every window writes below ``<s3Prefix>/<customer>``)."""

    def finds(self, text: str) -> bool:
        """Whether ``text`` holds a secret's text."""
        return any(secret in text for secret in self.whole) or any(
            secret in text and secret != text for secret in self.inside
        )


def secret_search(config: StackConfig, keys: Collection[str], log_prefix: str | None) -> SecretSearch:
    """The :class:`SecretSearch` of a config marked by :func:`mark_secret_texts` with the secret top-level ``keys``;
    ``log_prefix``: the stack's (``layout.log_prefix``), which holds ``s3Prefix``. Only distinctive texts are
    looked for (a short one, "1", would be found in every other text), no value equal to its setting's default
    (``s3Bucket: create``), and no text that is (part of) one of the stack's names (a secret tag ``Service:
    acme-web`` naming a patch group): names are built from public settings and URNs show them, so text holding
    one holds a name, and stays public (the inputs holding the secret itself stay secret)."""
    values = config.model_dump(by_alias=True, mode="json", exclude_unset=True)
    names = _public_names(config, values)
    texts = {
        text
        for key in keys
        if key in values
        for text in secretable_texts(key, values[key], defaults=False)
        if distinctive(text) and not any(text in name for name in names)
    }
    marked = marked_texts(config, dates=False)  # what is marked where it is put
    whole = texts - marked
    logging = config.logging
    if "logging" in keys and logging is not None and isinstance(logging.s3_prefix, SecretText):
        if logging.s3_prefix != LoggingConfig.model_fields["s3_prefix"].default and log_prefix:
            whole.add(log_prefix)
    return SecretSearch(frozenset(texts & marked), frozenset(whole))


def _public_names(config: StackConfig, values: Mapping[str, Any]) -> set[str]:
    """What the stack's names are made of, all public: the customer, the keys of its baselines,
    windows, patch groups, golden AMIs and freezes, each also after the customer's prefix
    (``acme-weekly-install``), and every value marked Public (a golden AMI's ``patchGroup``, a
    patch group's windows, ``regions``, a log group). ``values``: ``config`` dumped by alias."""
    customer = str(config.customer)
    mappings = (
        config.baselines,
        config.maintenance_windows,
        config.patch_groups,
        config.golden_amis,
        config.change_freezes,
    )
    keys = {str(key) for mapping in mappings for key in mapping}
    names = {customer, *keys, *(layout.keyed_name(customer, key) for key in keys)}
    for key, value in values.items():
        names.update(item for path, item in _text_leaves(value, (key,)) if item and _names_resources(path))
    return names


def redact_text(
    message: str,
    quoted: Collection[str],
    bare: Collection[str] = (),
    fragments_of: Collection[str] = (),
    words: Collection[str] = (),
) -> str:
    """``message`` with secret text shown as [secret]: each of ``quoted`` where the message quotes
    it (as messages quote a value), each distinctive one of ``bare`` also unquoted (a short text
    is left where it is not quoted: "1" is also in "1-24"), each of ``words`` wherever it stands
    as a word, and any quoted part of one of ``fragments_of`` (a cron parser quoting the field it
    refused)."""
    for text in sorted({*quoted, *bare, *words}, key=len, reverse=True):  # longest first: one in another goes whole
        # cut(): a long value quoted as its first characters, "...", its length (errors.cut).
        for form in (cut(text), repr(text), f'"{text}"', f"'{text}'"):
            message = message.replace(form, "[secret]")
        if text in bare and distinctive(text):
            message = message.replace(text, "[secret]")
        elif text in words:
            message = re.sub(rf"(?<![\w-]){re.escape(text)}(?![\w-])", "[secret]", message)
    if fragments_of:

        def fragment(match: re.Match[str]) -> str:
            part = match.group(0)[1:-1]
            return "[secret]" if part and any(part in text for text in fragments_of) else match.group(0)

        message = re.sub(r"'[^']*'|\"[^\"]*\"", fragment, message)
    return message


def redact(issues: list[Issue], values: Mapping[str, Any], keys: Collection[str]) -> list[Issue]:
    """``issues`` with the text of the secret top-level ``keys`` of ``values`` kept out of their
    messages: an error about a secret names its key path and the rule, never the value (the
    program's errors end up in CI logs). The value an issue is about is left out wherever it
    shows (also an invalid one, of the wrong type or at an unknown key: it is still the
    secret), and so are the other settings beside it, which a rule across settings names
    ("end (...) must be after start (...)"); any other secret text where it is quoted. Values
    from a fixed list and names of resources stay: they are the rule's words ("allowed:
    Critical, Important"), not secrets; but a value that is none of its list's is the stack's
    own text, left out wherever it stands as a word (a rule of another key may name it)."""
    if not keys:
        return issues
    quoted = {text for key in keys if key in values for text in secretable_texts(key, values[key])}
    words = {text for key in keys if key in values for text in _not_a_choice(key, values[key])}
    result = []
    for issue in issues:
        own: set[str] = set()
        beside: set[str] = set()
        if issue.path and issue.path[0] in keys:
            own = _texts(_at(values, issue.path))
            parent = issue.path[:-1]
            while parent and isinstance(parent[-1], int):  # an item of a list: the settings of its map
                parent = parent[:-1]
            siblings = _at(values, parent) if parent else None
            if isinstance(siblings, Mapping):  # free text only: names and fixed choices are public
                beside = {
                    text
                    for name, item in siblings.items()
                    if isinstance(item, str)
                    for text in secretable_texts(str(parent[0]), _nest((*parent[1:], name), item))
                }
        message = redact_text(issue.message, quoted | own, own | beside, own, words)
        result.append(Issue(issue.path, message, issue.line))
    return result


def _not_a_choice(key: str, value: Any) -> set[str]:
    """The texts of a top-level value at settings that take a fixed list of values but that are
    none of them (``operatingSystem: Zq7``)."""
    return {
        item
        for path, item in _text_leaves(value, (key,))
        if item and (choices := _choices(_setting(path)[0])) and item not in choices
    }


def _nest(path: tuple[str | int, ...], item: Any) -> Any:
    """``item`` at ``path`` below a top-level key, as secretable_texts walks it."""
    for step in reversed(path):
        item = [item] if isinstance(step, int) else {step: item}
    return item


def _at(values: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        if isinstance(values, Mapping) and step in values:
            values = values[step]
        elif isinstance(values, list) and isinstance(step, int) and 0 <= step < len(values):
            values = values[step]
        else:
            return None
    return values


def _texts(item: Any) -> set[str]:
    """Every text in a value (its own, not only what the model reads as text)."""
    if isinstance(item, str):
        return {item} if item else set()
    if isinstance(item, Mapping):
        return {text for child in item.values() for text in _texts(child)}
    if isinstance(item, list):
        return {text for child in item for text in _texts(child)}
    return set()
