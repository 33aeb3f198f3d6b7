"""References between the maps of a stack config (a patch group naming a baseline or window,
a golden AMI naming a patch group), checked on the raw mapping so that they are reported
even when other parts of the file are broken."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from ..aws import os_rules
from ..aws.os_rules import MAX_GROUPS_PER_WINDOW
from ..errors import Issue, closest, did_you_mean

# ---------------------------------------------------------------------------
# Cross references, checked on the raw mapping


def _as_map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _names(value: Any) -> list[tuple[int, str]]:
    """The text items of a list of names with their indexes; the model reports any other item."""
    return [(i, name) for i, name in enumerate(value) if isinstance(name, str)] if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _unknown(kind: str, name: Any, known: Iterable[Any]) -> str:
    known = sorted(map(str, known))
    hint = did_you_mean(closest(str(name), known))
    defined = ", ".join(known) if known else "none"
    return f"unknown {kind} {name!r}{hint} (defined: {defined})"


def reference_issues(raw: Mapping[str, Any]) -> list[Issue]:
    """References between the maps, readable even when other parts are malformed."""
    issues: list[Issue] = []
    baselines = _as_map(raw.get("baselines"))
    windows = _as_map(raw.get("maintenanceWindows"))
    groups = _as_map(raw.get("patchGroups"))
    os_of = {key: _text(_as_map(b).get("operatingSystem")) for key, b in baselines.items()}

    if raw.get("mode", "install") != "disabled" and isinstance(raw.get("baselines", {}), Mapping) and not baselines:
        issues.append(Issue(("baselines",), "at least one baseline is required (or set mode: disabled)"))

    first_default: dict[Any, str] = {}
    for key, baseline in baselines.items():
        if _as_map(baseline).get("default") is True and os_of[key] is not None:
            os_name = os_of[key]
            if os_name in first_default:
                issues.append(
                    Issue(
                        ("baselines", key, "default"),
                        f"{first_default[os_name]!r} is already the default {os_name} baseline; "
                        "an account/region has one default per operating system",
                    )
                )
            else:
                first_default[os_name] = key

    window_users: Counter[str] = Counter()
    registrations: dict[str, tuple[str, str]] = {}
    for group, group_cfg in groups.items():
        group_cfg = _as_map(group_cfg)
        seen_os: dict[Any, str] = {}
        names = group_cfg.get("baselines", [])
        for index, name in _names(names):
            path = ("patchGroups", group, "baselines", index)
            # SecurityBaseline names each patch group registration "<customer>-<baseline>-<group>".
            joined = f"{name}-{group}"
            if name not in baselines:
                issues.append(Issue(path, _unknown("baseline", name, baselines)))
            elif names.index(name) != index:
                issues.append(Issue(path, f"baseline {name!r} is listed twice"))
            elif joined in registrations:
                other_baseline, other_group = registrations[joined]
                issues.append(
                    Issue(
                        path,
                        f"baseline {name!r} with patch group {group!r} and baseline {other_baseline!r} with patch "
                        f"group {other_group!r} both name their registration '<customer>-{joined}'; rename one key",
                    )
                )
            elif os_of[name] is not None and os_of[name] in seen_os:
                issues.append(
                    Issue(
                        path,
                        f"{name!r} and {seen_os[os_of[name]]!r} are both {os_of[name]} baselines; "
                        "a patch group takes at most one baseline per operating system",
                    )
                )
            else:
                seen_os[os_of[name]] = name
            registrations.setdefault(joined, (name, group))
        names = group_cfg.get("maintenanceWindows", [])
        if _names(names) and group_cfg.get("baselines") in (None, []) and raw.get("mode", "install") != "disabled":
            issues.append(
                Issue(
                    ("patchGroups", group, "baselines"),
                    f"patch group {group!r} has maintenance windows but no baselines: its nodes would be scanned and "
                    "patched with the account's default baseline for their OS (AWS's own approves bug fixes too on "
                    "Amazon Linux and RHEL) or another stack's; add baselines: [<key>] with one baseline per OS "
                    f"of the group (defined: {', '.join(sorted(map(str, baselines))) or 'none'})",
                )
            )
        for index, name in _names(names):
            path = ("patchGroups", group, "maintenanceWindows", index)
            if name not in windows:
                issues.append(Issue(path, _unknown("maintenance window", name, windows)))
            elif names.index(name) != index:
                issues.append(Issue(path, f"maintenance window {name!r} is listed twice"))
            else:
                window_users[name] += 1

    for name in windows:
        if window_users[name] > MAX_GROUPS_PER_WINDOW:
            issues.append(
                Issue(
                    ("maintenanceWindows", name),
                    f"{window_users[name]} patch groups use this window; a window targets at most "
                    f"{MAX_GROUPS_PER_WINDOW} (split it into several windows)",
                )
            )
        if not window_users[name]:
            issues.append(
                Issue(
                    ("maintenanceWindows", name),
                    "no patch group uses this window, so it would target nothing; "
                    "add it to a patch group's maintenanceWindows or remove it",
                )
            )

    for key, ami in _as_map(raw.get("goldenAmis")).items():
        settings = _as_map(ami)
        ami_group = _text(settings.get("patchGroup"))
        if ami_group is None:
            continue
        if ami_group not in groups:
            issues.append(Issue(("goldenAmis", key, "patchGroup"), _unknown("patch group", ami_group, groups)))
            continue
        group_os = {os_of[b] for _, b in _names(_as_map(groups[ami_group]).get("baselines")) if os_of.get(b)}
        platform = settings.get("platform")
        wanted = {"WINDOWS"} if platform == "Windows" else set(os_rules.OPERATING_SYSTEMS) - {"WINDOWS", "MACOS"}
        if platform in ("Linux", "Windows") and group_os and not group_os & wanted:
            issues.append(
                Issue(
                    ("goldenAmis", key, "patchGroup"),
                    f"patch group {ami_group!r} has no {platform} baseline "
                    f"(its baselines are for {', '.join(sorted(map(str, group_os)))})",
                )
            )
    return issues
