"""The documentation's configuration reference, rendered from the model: each setting's key,
default and meaning (its field description, the same text the JSON Schema and the components'
docstrings carry). ``docs/reference/configuration.md`` holds the tables between
``<!-- config-reference:<block> -->`` and ``<!-- /config-reference:<block> -->``; the text around
them is hand-written (what the settings build: ``docs/configuration.md``).

``python -m patching_components.config.reference [FILE]`` rewrites the tables in that file
(default ``docs/reference/configuration.md``); ``--check`` only compares and exits 1 when it
differs (the test suite does the same).
"""

from __future__ import annotations

import re
import sys
import typing
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from ..aws import os_rules
from . import defaults
from .annotations import is_model, unwrap
from .base import attach_descriptions
from .model import StackConfig
from .rings import RingConfig
from .sections import BaselineConfig, ChangeFreezeConfig, ComplianceConfig, MaintenanceWindowConfig, PatchGroupConfig
from .services import GoldenAmiConfig, LoggingConfig, NotificationsConfig

# Defaults that are not the field's own (None there: decided by the OS, the operation, the stack).
SHOWN_DEFAULTS: dict[tuple[type[BaseModel], str], str] = {
    (StackConfig, "regions"): "`[aws:region]`",
    (StackConfig, "baselines"): "required",
    (BaselineConfig, "approve_after_days"): f"`{os_rules.DEFAULT_APPROVE_AFTER_DAYS}`",
    (BaselineConfig, "classifications"): "per OS, below",
    (BaselineConfig, "severities"): "`[Critical, Important]`",
    (BaselineConfig, "priorities"): "all five",
    (BaselineConfig, "products"): "all",
    (BaselineConfig, "available_security_updates_compliance_status"): (
        f"`{os_rules.DEFAULT_AVAILABLE_SECURITY_UPDATES_STATUS}` (Windows)"
    ),
    (MaintenanceWindowConfig, "minutes_per_node"): ", ".join(
        f"`{minutes}` ({operation})"
        for operation, minutes in sorted(defaults.MINUTES_PER_NODE.items(), key=lambda m: -m[1])
    ),
    (MaintenanceWindowConfig, "regions"): "all of `patching:regions`",
    (LoggingConfig, "retention_days"): f"`{defaults.RETENTION_DAYS}`",
    (GoldenAmiConfig, "region"): "the primary region",
    (GoldenAmiConfig, "associate_public_ip_address"): "unset",
}
_CLOUD_WATCH_LOG_GROUP = "`/patching/<customer>`"

BLOCKS: dict[str, list[tuple[str, type[BaseModel], frozenset[str]]]] = {
    # block: (key prefix, model, nested settings written out key by key)
    "patching": [("", StackConfig, frozenset({"instanceRole"}))],
    "baselines": [("", BaselineConfig, frozenset())],
    "patchGroups": [("", PatchGroupConfig, frozenset())],
    "maintenanceWindows": [("", MaintenanceWindowConfig, frozenset())],
    "logging-notifications-goldenAmis": [
        ("logging.", LoggingConfig, frozenset({"cloudWatch"})),
        ("notifications.", NotificationsConfig, frozenset()),
        ("goldenAmis.<key>.", GoldenAmiConfig, frozenset()),
        ("compliance.", ComplianceConfig, frozenset()),
    ],
    "rings": [("rings[].", RingConfig, frozenset())],
    "changeFreezes": [("changeFreezes.<key>.", ChangeFreezeConfig, frozenset())],
}
"""The tables of the configuration reference, in their order there."""

REFERENCE = Path("docs/reference/configuration.md")
"""The page holding the tables, relative to the repository root."""

ANCHOR_PAGES: dict[str, str] = {
    # A description's link to a section of the docs, ``[text](#anchor)``: the page (relative to
    # docs/reference/) whose heading has that anchor. A new anchor must be added here.
    "roles-and-what-each-may-do": "../configuration.md",
    "encryption-keys": "../configuration.md",
    "the-cutoff-what-aws-does-when-patch-night-runs-long": "../configuration.md",
    "catch-up-for-missed-windows": "../snapshots.md",
    "pre-patch-snapshots-and-rollback": "../snapshots.md",
    "approval-gates-install-only-on-approved-nights": "../rings-and-approvals.md",
    "patch-rings": "../rings-and-approvals.md",
    "freezes-and-the-circuit-breaker": "../freezes.md",
    "circuit-breaker-stop-patching-when-an-alarm-fires": "../freezes.md",
    "notices-before-and-after-each-window": "../notices.md",
    "several-regions": "../regions-and-accounts.md",
    "sla-report-and-the-fleet-at-a-glance": "../report.md",
}

_ANCHOR_LINK = re.compile(r"\]\(#([\w-]+)\)")


def _link(match: re.Match[str]) -> str:
    page = ANCHOR_PAGES.get(match[1])
    if page is None:
        raise ValueError(f"a description links to #{match[1]}: add its page to reference.ANCHOR_PAGES")
    return f"]({page}#{match[1]})"


def _text(description: str | None, annotation: object) -> str:
    """A field description as one Markdown table cell: ``code`` as `code`, one line, no bare '|';
    the values a fixed list allows are added where the description does not name them all."""
    text = " ".join((description or "").split()).replace("``", "`")
    inner = unwrap(annotation)
    if typing.get_origin(inner) is typing.Literal:
        choices = [str(choice) for choice in typing.get_args(inner)]
        if not all(f"`{choice}`" in text for choice in choices):
            text += " One of " + ", ".join(f"`{choice}`" for choice in choices) + "."
    return _ANCHOR_LINK.sub(_link, text).replace("|", "\\|")


def _default(model: type[BaseModel], name: str, prefix: str) -> str:
    shown = SHOWN_DEFAULTS.get((model, name))
    if shown is not None:
        return shown
    if prefix.endswith("cloudWatch.") and name == "log_group":
        return _CLOUD_WATCH_LOG_GROUP
    field = model.model_fields[name]
    if field.is_required():
        return "required"
    value = field.get_default(call_default_factory=True)
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, (list, tuple)):
        return "`[" + ", ".join(map(str, value)) + "]`"
    if isinstance(value, dict):
        return "`{}`" if not value else f"`{value}`"
    return f"`{value}`"


def _rows(prefix: str, model: type[BaseModel], expand: frozenset[str]) -> Iterator[str]:
    for name, field in model.model_fields.items():
        key = field.alias or name
        inner = unwrap(field.annotation)
        if key in expand and is_model(inner):
            yield from _rows(f"{prefix}{key}.", inner, frozenset())
            continue
        if key in expand and typing.get_origin(inner) is dict and is_model(unwrap(typing.get_args(inner)[1])):
            yield from _rows(f"{prefix}{key}.<name>.", unwrap(typing.get_args(inner)[1]), frozenset())
            continue
        yield f"| `{prefix}{key}` | {_default(model, name, prefix)} | {_text(field.description, field.annotation)} |"


def render(block: str) -> str:
    """One table of the reference, as Markdown."""
    attach_descriptions()  # the meanings are the field docstrings
    lines = ["| key | default | meaning |", "|---|---|---|"]
    for prefix, model, expand in BLOCKS[block]:
        lines += _rows(prefix, model, expand)
    return "\n".join(lines)


_BLOCK = re.compile(
    r"(<!-- config-reference:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /config-reference:(?P=name) -->)", re.S
)


def with_reference(page: str) -> str:
    """The page's text with every generated table rendered anew (the rest unchanged)."""
    found = {match["name"] for match in _BLOCK.finditer(page)}
    missing = set(BLOCKS) - found
    if missing:
        raise ValueError(f"the page has no config-reference block for {', '.join(sorted(missing))}")
    return _BLOCK.sub(lambda m: f"{m[1]}\n{render(m['name'])}\n\n{m[4]}", page)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    page = Path(args[-1]) if args and not args[-1].startswith("-") else REFERENCE
    text = page.read_text()
    rendered = with_reference(text)
    if "--check" in args:
        if rendered != text:
            print(
                f"{page}: the configuration reference differs from the model; run "
                "python -m patching_components.config.reference",
                file=sys.stderr,
            )
            return 1
        return 0
    page.write_text(rendered)
    print(f"wrote the configuration reference in {page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
