"""``patching calendar``'s notes on patch rings: each opening of a ring's window says its ring, and an install
of a later ring the cut-off it will use if its promotion succeeds (patching_components.rings.predict): the
previous ring's latest install opening at least soakDays earlier, and each baseline's last approved release day
then. Offline, from the stack file alone."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..calendar import Occurrence
    from ..config.model import StackConfig


def ring_notes(configs: Iterable[tuple[Any, str, StackConfig]], found: Iterable[Occurrence]) -> dict[Any, dict]:
    """Occurrence -> ``{"ring", "previousRing", "cutoffs", "cutoffFrom"}`` for the openings of ring install
    windows (``cutoffs``: baseline key -> YYYY-MM-DD, empty when no earlier install is in sight; only ``ring``
    for the first ring)."""
    from ..rings import predict, ring_of_window

    by_stack = {stack: config for _, stack, config in configs if config.rings}
    notes: dict[Any, dict] = {}
    if not by_stack:
        return notes
    for occurrence in found:
        config = by_stack.get(occurrence.stack)
        if config is None or occurrence.kind != "window" or occurrence.operation != "Install":
            continue  # a scan window may serve several rings: rings are about installs
        ring = ring_of_window(config, occurrence.window)
        if ring is None:
            continue
        note: dict[str, Any] = {"ring": ring}
        prediction = predict(config, occurrence.window, occurrence.start)
        if prediction is not None:
            note["previousRing"] = prediction.previous
            note["cutoffs"] = prediction.cutoffs
            note["cutoffFrom"] = prediction.source_start
        notes[occurrence] = note
    return notes


def ring_json(note: dict | None) -> dict:
    """The JSON entry's ring fields (``cutoffFrom`` as ISO 8601 with its offset)."""
    if not note:
        return {}
    source = note.get("cutoffFrom")
    return {**note, "cutoffFrom": source.isoformat()} if source is not None else dict(note)


def ring_text(note: dict | None) -> str:
    """The line's ring note: ``  ring prod: cut-off al2023 2026-12-01 (dev's install of 2026-12-08 04:00 GMT)``."""
    if not note:
        return ""
    if "cutoffs" not in note:
        return f"  ring {note['ring']}"
    if not note["cutoffs"]:
        return f"  ring {note['ring']}: no install of ring {note['previousRing']} in sight: nothing new"
    source = note["cutoffFrom"]
    cut = ", ".join(f"{key} {day}" for key, day in note["cutoffs"].items())
    return f"  ring {note['ring']}: cut-off {cut} (ring {note['previousRing']}'s install of {source:%Y-%m-%d %H:%M %Z})"
