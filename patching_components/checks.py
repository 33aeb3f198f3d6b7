"""Everything `patching validate` checks about a stack file, offline.

Beyond the config model: the parameters of every patch task (AWS checks them
only when the window opens) and the Automation document of every golden AMI
pipeline, exactly as the components would build them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import calendar, standard
from .config import ConfigError, Issue, StackConfig, read_stack_document, read_stack_file
from .standard import approval_rule, baseline_advice_for


def standard_issues(config: StackConfig) -> list[Issue]:
    """The patching standard's mandatory rules, as the policy pack applies them at preview."""
    waivable = f"the patching standard; waive with patching:tags.{standard.WAIVER_TAG}: <reason>"
    waived = bool(config.tags.get(standard.WAIVER_TAG))  # every baseline carries patching:tags
    issues = []
    for key, baseline in config.baselines.items():
        rule = approval_rule(baseline)
        found = (
            []
            if waived
            else [(v, waivable) for v in standard.security_only_violations(baseline.operating_system, rule)]
        )
        found += [
            (v, "the patching standard") for v in standard.approval_delay_violations(baseline.operating_system, rule)
        ]
        issues += [Issue(("baselines", key, v.field), f"the approval rule {v.message} ({why})") for v, why in found]
    for key, window in config.maintenance_windows.items():
        issues += [
            Issue(("maintenanceWindows", key, v.field), f"{v.message} (the patching standard)")
            for v in standard.cutoff_violations(window.cutoff_hours)
        ]
    return issues


def build_issues(config: StackConfig) -> list[Issue]:
    """Problems the built resources would have, for a config that validated."""
    return standard_issues(config)


OVERLAP_HORIZON_WEEKS = 53
"""How far ahead `validate` looks for windows of one patch group open at once: every
cron pattern but a year-bound one repeats within a year."""
OVERLAP_OCCURRENCES = 2000
"""Openings per window it looks at: a rate(1 minute) window would have half a million."""


def overlap_warnings(config: StackConfig, now: datetime | None = None) -> list[Issue]:
    """Two windows of one patch group open at the same time: two AWS-RunPatchBaseline runs on the
    same nodes, where the second fails or patches under the first. One warning per pair of windows."""
    # From the start of the day: every stack checked today shares the cached schedule walks.
    today = (now or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0)
    return [
        Issue(
            ("patchGroups", group, "maintenanceWindows"),
            f"the windows {a} and {b} are open at the same time ({first} first): two AWS-RunPatchBaseline "
            f"runs on the nodes of {group}; move or shorten one (`patching calendar` lists them)",
        )
        for group, a, b, first in _first_overlaps(config, today)
    ]


_OVERLAPS: dict[tuple[str, datetime], tuple[tuple[str, str, str, str], ...]] = {}
"""Computed overlaps by what they depend on: the same windows of many stacks (an MSP's standard
patch nights) are walked once per day and process."""


def _first_overlaps(config: StackConfig, today: datetime) -> tuple[tuple[str, str, str, str], ...]:
    """(patch group, window, window, first overlap) of a config."""
    shared = {w for g in config.patch_groups.values() if len(g.maintenance_windows) > 1 for w in g.maintenance_windows}
    if not shared:
        return ()  # a fleet of one window per patch group: nothing can overlap
    inputs = {
        "mode": config.mode,
        "regions": config.regions,
        "windows": {k: w.model_dump() for k, w in config.maintenance_windows.items() if k in shared},
        "groups": {g: c.maintenance_windows for g, c in config.patch_groups.items()},
        "freezes": {k: f.model_dump() for k, f in config.change_freezes.items()},
    }
    key = (json.dumps(inputs, sort_keys=True, default=str), today)
    if key not in _OVERLAPS:
        if len(_OVERLAPS) > 1024:
            _OVERLAPS.clear()
        found = calendar.occurrences(config, today, OVERLAP_HORIZON_WEEKS, limit=OVERLAP_OCCURRENCES, windows=shared)
        first: dict[tuple[str, str, str], str] = {}
        for overlap in calendar.overlaps(found):
            when = f"{overlap.second.start:%a %Y-%m-%d %H:%M %Z}"
            first.setdefault((overlap.patch_group, overlap.first.window, overlap.second.window), when)
        _OVERLAPS[key] = tuple((group, a, b, when) for (group, a, b), when in first.items())
    return _OVERLAPS[key]


def ended_freeze_warnings(config: StackConfig, now: datetime | None = None) -> list[Issue]:
    """A change freeze that has ended freezes nothing: it only clutters the calendar."""
    now = now or datetime.now(UTC)
    return [
        Issue(
            ("changeFreezes", key, "end"), f"ended on {freeze.end} ({freeze.timezone}): it freezes nothing; remove it"
        )
        for key, freeze in config.change_freezes.items()
        if freeze.interval()[1] <= now
    ]


def golden_ami_network_warnings(config: StackConfig) -> list[Issue]:
    """A pipeline with neither a subnet nor security groups builds in the default VPC's default
    security group, which accounts hardened per Security Hub EC2.2 close: the build instance never
    reaches Systems Manager and every build fails after waiting 30 minutes for it."""
    return [
        Issue(
            ("goldenAmis", key),
            "neither subnetId nor securityGroupIds: the build instance gets the default VPC's default "
            "security group, which accounts hardened per Security Hub EC2.2 close (no traffic), so it never "
            "reaches Systems Manager and every build fails; set securityGroupIds (outbound HTTPS to Systems "
            "Manager) and subnetId",
        )
        for key, pipeline in config.golden_amis.items()
        if not pipeline.subnet_id and not pipeline.security_group_ids
    ]


def warnings(config: StackConfig) -> list[Issue]:
    """What AWS accepts but would quietly not do the job (exit 0; see :mod:`standard`)."""
    return (
        overlap_warnings(config)
        + ended_freeze_warnings(config)
        + golden_ami_network_warnings(config)
        + (
            [
                Issue(("baselines", key, advice.field), advice.message)
                for key, baseline in config.baselines.items()
                for advice in baseline_advice_for(baseline)
            ]
            + [
                Issue(("maintenanceWindows", key, advice.field), advice.message)
                for key, window in config.maintenance_windows.items()
                for advice in standard.window_advice(window.cutoff_behavior)
            ]
            + [
                Issue((advice.field,), advice.message)
                for advice in standard.window_role_advice(list(config.patch_groups), config.patch_group_tag_key)
            ]
        )
    )


@dataclass(frozen=True)
class CheckedStack:
    config: StackConfig
    warnings: list[Issue]
    """What AWS accepts but would quietly not do the job, with their stack-file lines."""
    settings: Mapping[str, Any]
    """The stack's whole config map as the CLI hands it over (``aws:region``, ``aws:profile`` ...)."""


def check_stack(path: str | Path) -> CheckedStack:
    """Read a stack file once; validate it, apply the patching standard, find its warnings.
    ConfigError lists every problem, each with its line."""
    source = str(path)
    document = read_stack_document(read_stack_file(path), source)
    config = document.validate()
    # The standard on a secret's stand-in says nothing about its value: that check is skipped (noted).
    secrets = [note.path for note in document.offline.notes]
    issues = [i for i in build_issues(config) if not any(i.path[: len(path)] == path for path in secrets)]
    if issues:
        raise ConfigError(source, document.locate(issues))
    return CheckedStack(config, document.locate(document.offline.notes + warnings(config)), document.cli_config()[0])


def check_stack_file(path: str | Path) -> StackConfig:
    """What `patching validate` checks, for a stack file; ConfigError lists every problem."""
    return check_stack(path).config
