"""Default patch baselines across stack files: two stacks of one account and region registering the
default baseline of the same operating system (``baselines.<key>.default: true``).

AWS keeps one default baseline per operating system in an account and region
(RegisterDefaultPatchBaseline replaces it), and a node in no patch group, or in one without a baseline
for its OS, is patched with it ("Patch groups", Systems Manager User Guide). Two stacks that both set it
take turns: the last ``pulumi up`` wins and the other customer's nodes silently switch baseline. One
stack file cannot see another; ``patching validate`` over several files can, and reports each pair:

- an error when both stacks name their account (``aws:allowedAccountIds``, what ``pulumi up`` refuses to
  leave) and share one, share a region and an OS;
- a warning when either names no account (the check cannot know whether they share it) and they share
  a region (or one has none set) and an OS.

A stack with ``mode: disabled`` builds nothing and registers nothing. Only the standard library here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import Issue
from .validation import account_ids


@dataclass(frozen=True)
class StackDefaults:
    """What one valid stack file registers as a default baseline, and where."""

    source: str
    accounts: frozenset[str] | None
    """``aws:allowedAccountIds`` (None: the stack names none, its account is unknown)."""
    regions: frozenset[str] | None
    """``patching:regions``, else ``aws:region`` (None: neither is set)."""
    defaults: Mapping[str, str]
    """Operating system -> the baseline key registering its default."""


def stack_defaults(source: str, config: Any, settings: Mapping[str, Any]) -> StackDefaults | None:
    """The default baselines of one checked stack (a StackConfig and its settings), None if it registers none."""
    if config.mode == "disabled":
        return None
    defaults = {str(b.operating_system): key for key, b in config.baselines.items() if b.default}
    if not defaults:
        return None
    allowed = account_ids(settings.get("aws:allowedAccountIds"))
    accounts = frozenset(allowed) if allowed else None  # unset or unreadable: unknown (a warning, not a pass)
    region = settings.get("aws:region")
    regions = frozenset(config.regions) if config.regions else (frozenset([str(region)]) if region else None)
    return StackDefaults(source, accounts, regions, defaults)


def _shared(a: frozenset[str] | None, b: frozenset[str] | None) -> list[str] | None:
    """What both share (sorted); None when either is unknown."""
    return None if a is None or b is None else sorted(a & b)


def conflicts(stacks: Sequence[StackDefaults]) -> tuple[dict[str, list[Issue]], dict[str, list[Issue]]]:
    """Errors and warnings per source (see the module): each pair is reported on both files, at
    ``baselines.<key>.default``, naming the other file, the account(s), the region(s) and the OS."""
    errors: dict[str, list[Issue]] = {}
    warnings: dict[str, list[Issue]] = {}
    for i, mine in enumerate(stacks):
        for other in stacks[i + 1 :]:
            if mine.source == other.source:
                continue
            oses = sorted(set(mine.defaults) & set(other.defaults))
            regions = _shared(mine.regions, other.regions)
            accounts = _shared(mine.accounts, other.accounts)
            if not oses or regions == [] or accounts == []:
                continue
            where = f"region {', '.join(regions)}" if regions else "the region it builds in"
            place = f"account {', '.join(accounts)}, {where}" if accounts else where
            for os_name in oses:
                for this, that in ((mine, other), (other, mine)):
                    path = ("baselines", this.defaults[os_name], "default")
                    also = (
                        f"{that.source} (baseline {that.defaults[os_name]!r}) also registers the default {os_name} "
                        f"baseline in {place}"
                    )
                    if accounts is not None and regions is not None:
                        message = (
                            f"{also}: an account and region has one default per operating system, so the last "
                            "pulumi up wins and the other stack's nodes outside its patch groups silently switch "
                            "baseline; keep default: true in one of the two stacks"
                        )
                        errors.setdefault(this.source, []).append(Issue(path, message))
                        continue
                    unknown = [f"{s.source} names no aws:allowedAccountIds" for s in (this, that) if s.accounts is None]
                    unknown += [f"{s.source} sets no aws:region" for s in (this, that) if s.regions is None]
                    message = (
                        f"{also}, perhaps the same account and region; {' and '.join(unknown)}, so this cannot be "
                        "checked: if they are the same, the last pulumi up wins and the other stack's nodes outside "
                        "its patch groups silently switch baseline; set aws:allowedAccountIds and aws:region in both, "
                        "and keep default: true in one stack per account and region"
                    )
                    warnings.setdefault(this.source, []).append(Issue(path, message))
    return errors, warnings
