"""Patch rings (``patching:rings``): patch groups that install in order, a later ring exactly the
patch set the ring before it was given, after a soak time. The ring model, and the rules across the
stack that rings need (:func:`ring_issues`, run by StackConfig). The soak check walks the windows'
schedules (``patching_components.calendar``, imported only when a stack has rings)."""

from __future__ import annotations

import bisect
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

from pydantic import Field, StringConstraints

from ..aws import os_rules
from .base import ConfigModel, Public
from .fields import PatchGroupName

if TYPE_CHECKING:
    from .model import StackConfig

Issues = list[tuple[tuple[str | int, ...], str]]

SECRET_KEYS: ContextVar[frozenset[str]] = ContextVar("ring_secret_keys", default=frozenset())
"""The top-level keys the running program holds secret (pulumi_config sets it): with ``maintenanceWindows``
secret, a soak error says which rings and windows, not when they open (their schedules are the secret)."""

RING_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,19}$"
SOAK_CHECK_DAYS = 365
"""How far ahead ``validate`` walks the schedules for the soak rule (12 months)."""
SOAK_LOOKBACK_DAYS = 92
"""How far back it looks for the previous ring's install before the first one ahead."""


class RingConfig(ConfigModel):
    """One patch ring: patch groups that install together. The first ring of ``patching:rings`` installs
    what its baselines approve; each later ring installs exactly the patch set the ring before it was given
    at its last good install at least ``soakDays`` earlier (see [Patch rings](#patch-rings))."""

    name: Annotated[str, StringConstraints(pattern=RING_NAME_PATTERN), Public()]
    """The ring's stable name (``dev``, ``prod``): lower-case letters, digits and '-', at most 20 characters.
    It names the ring's resources and its override object; reordering the list renames nothing."""
    patch_groups: Annotated[list[Annotated[PatchGroupName, Public()]], Field(min_length=1)]
    """Patch groups of ``patching:patchGroups`` in this ring; a group is in at most one ring, and every group of
    every ring has the same baselines."""
    soak_days: Annotated[int, Field(ge=1, le=90)] = 7
    """A later ring only: days (1-90, default 7, calendar days in the window's time zone) between the
    previous ring's install and this ring's: each of this ring's install windows must open at least this long
    after the previous ring's last install window opening (checked on the calendar for the next 12 months)."""


def ring_of_group(rings: list[RingConfig]) -> dict[str, str]:
    """Patch group -> the name of its ring."""
    return {group: ring.name for ring in rings for group in ring.patch_groups}


def install_windows(config: StackConfig, groups: list[str]) -> list[str]:
    """The windows (keys, stack order) that install on any of ``groups`` (``mode: scan-only`` builds none)."""
    if config.mode != "install":
        return []
    wanted = set(groups)
    return [
        key
        for key, window in config.maintenance_windows.items()
        if window.operation == "Install"
        and any(key in config.patch_groups[g].maintenance_windows for g in wanted if g in config.patch_groups)
    ]


MAX_RINGS = 2
"""dev, then prod: the promotion carries one ring's patch set to the next, once."""


def ring_issues(config: StackConfig) -> Issues:
    """Every rule of ``patching:rings`` (the structure first; the calendar only when it holds)."""
    rings = config.rings
    if not rings:
        return []
    issues: Issues = []
    if len(rings) < 2:
        issues.append((("rings",), "one ring orders nothing: give at least two (e.g. dev, then prod)"))
    if len(rings) > MAX_RINGS:
        # A third ring's cut-off would be computed from the second ring's install day, not capped at what the
        # second ring was itself given: it could install releases no ring has soaked.
        issues.append(
            (
                ("rings", MAX_RINGS, "name"),
                f"at most {MAX_RINGS} rings (e.g. dev, then prod): a ring after the second would not be held to "
                "the second ring's own cut-off; put its patch groups in the second ring",
            )
        )
    names = [r.name for r in rings]
    for i, name in enumerate(names):
        if names.index(name) != i:
            issues.append((("rings", i, "name"), f"ring {name!r} is listed twice: ring names are unique"))
    if rings and "soak_days" in rings[0].model_fields_set:
        issues.append(
            (
                ("rings", 0, "soakDays"),
                f"ring {rings[0].name!r} is the first ring: nothing comes before it to soak; "
                "set soakDays on a later ring",
            )
        )
    if not (config.logging and config.logging.enabled):
        issues.append(
            (
                ("rings",),
                "a later ring installs from an override object in the log bucket: set logging.s3Bucket "
                "(create, or an existing bucket)",
            )
        )
    seen: dict[str, str] = {}
    for i, ring in enumerate(rings):
        for j, group in enumerate(ring.patch_groups):
            where: tuple[str | int, ...] = ("rings", i, "patchGroups", j)
            if group not in config.patch_groups:
                issues.append((where, f"{group!r} is not a patch group of patching:patchGroups"))
            elif group in seen:
                issues.append(
                    (where, f"{group!r} is in ring {seen[group]!r} and ring {ring.name!r}: a group is in one ring")
                )
            else:
                seen[group] = ring.name
    if issues:
        return issues
    issues += _same_baselines(config)
    issues += _windows_of_one_ring(config)
    if issues or config.mode != "install":
        return issues
    return _soak_issues(config)


def _same_baselines(config: StackConfig) -> Issues:
    """A later ring installs the previous ring's patch set through the same baselines' rules: every group
    of every ring has the same baselines, each with an approval date (Debian family: none)."""
    issues: Issues = []
    first_ring = config.rings[0]
    first_group = first_ring.patch_groups[0]
    expected = sorted(config.patch_groups[first_group].baselines)
    for i, ring in enumerate(config.rings):
        for j, group in enumerate(ring.patch_groups):
            have = sorted(config.patch_groups[group].baselines)
            if have != expected:
                issues.append(
                    (
                        ("rings", i, "patchGroups", j),
                        f"{group!r} (ring {ring.name!r}) has baselines {have}, {first_group!r} (ring "
                        f"{first_ring.name!r}) has {expected}: every group of every ring needs the same baselines",
                    )
                )
    for key in expected:
        baseline = config.baselines.get(key)
        if baseline is not None and not os_rules.family_of(baseline.operating_system).supports_approval_delay:
            issues.append(
                (
                    ("rings",),
                    f"baseline {key!r} ({baseline.operating_system}) approves on release (AWS supports no approval "
                    "date there): a ring cannot hold back what the previous ring did not get; "
                    "leave those groups out of patching:rings",
                )
            )
    return issues


def _windows_of_one_ring(config: StackConfig) -> Issues:
    """An install window's task carries one override: a window installing on a later ring's groups installs
    on that ring's groups only; each ring has an install window."""
    issues: Issues = []
    ring_of = ring_of_group(config.rings)
    for i, ring in enumerate(config.rings):
        windows = install_windows(config, ring.patch_groups)
        if not windows and config.mode == "install":
            issues.append(
                (
                    ("rings", i, "patchGroups"),
                    f"ring {ring.name!r} has no Install window: give its groups one (maintenanceWindows)",
                )
            )
        for key in windows if i > 0 else []:
            for group, settings in config.patch_groups.items():
                if key in settings.maintenance_windows and ring_of.get(group) != ring.name:
                    other = ring_of.get(group)
                    issues.append(
                        (
                            ("patchGroups", group, "maintenanceWindows"),
                            f"window {key!r} installs on ring {ring.name!r} with its cut-off, and "
                            f"{group!r} is {'in ring ' + repr(other) if other else 'in no ring'}: give "
                            f"{group!r} a window of its own",
                        )
                    )
    return issues


def _soak_issues(config: StackConfig, now: datetime | None = None) -> Issues:
    """Each opening of a later ring's install windows in the next 12 months comes at least soakDays (calendar
    days, in that window's time zone: DST-exact) after the previous ring's latest install opening before it,
    in the same region. The first failing opening per window is reported, naming both rings."""
    today = (now or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0)
    end = today + timedelta(days=SOAK_CHECK_DAYS)
    issues: Issues = []
    rings = config.rings
    for i in range(1, len(rings)):
        ring, previous = rings[i], rings[i - 1]
        built_ins: list[str | None] = [*config.regions] if config.regions else [None]
        for built_in in built_ins:
            before = [k for k in install_windows(config, previous.patch_groups) if _built(config, k, built_in)]
            mine = [k for k in install_windows(config, ring.patch_groups) if _built(config, k, built_in)]
            region = built_in or "aws:region"
            if mine and not before:
                issues.append(
                    (
                        ("rings", i, "patchGroups"),
                        f"ring {ring.name!r} installs in {region} and ring {previous.name!r} has no install "
                        f"window there: nothing to promote from",
                    )
                )
                continue
            openings = sorted(
                (start, key)
                for key in before
                for start in _starts(config, key, today - timedelta(days=SOAK_LOOKBACK_DAYS), end)
            )
            stamps = [o[0].timestamp() for o in openings]
            for key in mine:
                zone = ZoneInfo(config.maintenance_windows[key].timezone)
                for start in _starts(config, key, today, end):
                    local = start.astimezone(zone)
                    latest = (local.replace(tzinfo=None) - timedelta(days=ring.soak_days)).replace(tzinfo=zone)
                    found = bisect.bisect_left(stamps, start.timestamp())
                    if not found:
                        continue  # the previous ring's schedule starts later: the first promotion is refused
                    last, last_key = openings[found - 1]
                    if last > latest:
                        if "maintenanceWindows" in SECRET_KEYS.get():
                            when = (
                                f"ring {ring.name}'s window {key!r} opens less than {ring.soak_days} days after "
                                f"ring {previous.name}'s window {last_key!r} (when is left out: the schedules are "
                                "secret)"
                            )
                        else:
                            gap = (start - last).total_seconds() / 86400
                            when = (
                                f"ring {ring.name}'s window {key!r} opens {local:%Y-%m-%d %H:%M %Z}, {gap:.1f} days "
                                f"after ring {previous.name}'s window {last_key!r} "
                                f"({last.astimezone(zone):%Y-%m-%d %H:%M %Z})"
                            )
                        issues.append(
                            (
                                ("rings", i, "soakDays"),
                                f"{when}, in {region}: soakDays is {ring.soak_days}; move one of the schedules (e.g. "
                                f"{previous.name!r} on the first Sunday of the month, {ring.name!r} on the third: "
                                "cron(0 2 ? * SUN#3 *)) or lower soakDays",
                            )
                        )
                        break
    return issues


def _built(config: StackConfig, key: str, region: str | None) -> bool:
    regions = config.maintenance_windows[key].regions
    return regions is None or region is None or region in regions


def _starts(config: StackConfig, key: str, start: datetime, end: datetime) -> list[datetime]:
    """The openings of window ``key`` in [start, end), aware in its time zone (as ``patching calendar`` walks
    them: the local wall clock, a time in a DST gap moved forward)."""
    from ..aws.schedule import cron_walls, parse_schedule

    window = config.maintenance_windows[key]
    zone = ZoneInfo(window.timezone)
    schedule = parse_schedule(window.schedule)
    if schedule.kind == "rate":
        count, unit = schedule.expression.split()
        step = timedelta(seconds=int(count) * {"minute": 60, "hour": 3600, "day": 86400}[unit.rstrip("s")])
        times, current = [], start
        while current < end and step < timedelta(days=SOAK_CHECK_DAYS):
            times.append(current.astimezone(zone))
            current += step
        return times
    if schedule.kind != "cron":
        return []
    offset = timedelta(days=window.schedule_offset or 0)
    wall = (start.astimezone(zone) - offset).replace(tzinfo=UTC) - timedelta(minutes=1)
    wall_end = end.astimezone(zone).replace(tzinfo=UTC)
    times = []
    for wall_time in cron_walls(schedule.expression, wall, wall_end):
        local = (wall_time + offset).replace(tzinfo=zone).astimezone(UTC).astimezone(zone)
        if start <= local < end:
            times.append(local)
    return times
