"""Patch rings, the mechanism: a later ring installs with ``AWS-RunPatchBaseline``'s ``BaselineOverride``, a
JSON object in the log bucket holding the ring's own baselines with every approval rule cut off at a date
(``ApproveUntilDate``) so that it approves exactly what the previous ring's baselines approved on the day of
its install (docs/aws-behaviour.md, "Patch rings"). The promotion runbook (documents/ring-promotion.yaml)
rewrites that object when the previous ring's install went well; the program writes the first one, which
approves nothing.

Pure functions (no Pulumi, no boto3): what the runbook is given, the cut-off a day gives, and what
``patching calendar`` predicts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from .config.model import StackConfig
    from .config.rings import RingConfig

APPROVE_NOTHING = "1970-01-01"
"""The ApproveUntilDate of the override the program writes before the first promotion: nothing released
since is approved (and the approved-patches list is left out), so the ring installs nothing until promoted."""
SOAK_TOLERANCE_HOURS = 2
"""The runbook takes the previous ring's latest install started at least soakDays ago, less this: a window
opens a few minutes late, and a DST change moves the wall clock by an hour."""


def cutoff(approve_after_days: int | None, approve_until_date: date | None, install_day: date) -> date:
    """The last release day a rule approves on ``install_day``: ``approveAfterDays`` A approves what was
    released on or before the day A days earlier, ``approveUntilDate`` U what was released on or before U
    (and on that day nothing later exists yet)."""
    if approve_until_date is not None:
        return min(approve_until_date, install_day)
    return install_day - timedelta(days=approve_after_days or 0)


def ring_baselines(config: StackConfig, ring: RingConfig) -> list[str]:
    """The baseline keys of a ring (validate: every group of every ring has the same ones)."""
    return sorted(config.patch_groups[ring.patch_groups[0]].baselines)


def override_template(config: StackConfig, ring: RingConfig) -> list[dict[str, Any]]:
    """The ring's baselines as BaselineOverride takes them (CreatePatchBaseline's fields), each rule still with
    its own approval (ApproveAfterDays or ApproveUntilDate): the runbook replaces it by the cut-off."""
    from .aws import os_rules
    from .standard import approval_rule

    entries = []
    for key in ring_baselines(config, ring):
        settings = config.baselines[key]
        rule = approval_rule(settings)
        patch_rule: dict[str, Any] = {
            "PatchFilterGroup": {"PatchFilters": [{"Key": k, "Values": list(v)} for k, v in rule.filters.items()]},
            "ComplianceLevel": rule.compliance_level,
        }
        if rule.approve_until_date is not None:
            patch_rule["ApproveUntilDate"] = rule.approve_until_date.isoformat()
        else:
            patch_rule["ApproveAfterDays"] = rule.approve_after_days or 0
        if rule.enable_non_security is not None:
            patch_rule["EnableNonSecurity"] = rule.enable_non_security
        entry: dict[str, Any] = {
            "OperatingSystem": settings.operating_system,
            "ApprovalRules": {"PatchRules": [patch_rule]},
            "RejectedPatches": list(settings.rejected_patches),
            "RejectedPatchesAction": settings.rejected_patches_action,
        }
        if settings.approved_patches:
            entry["ApprovedPatches"] = list(settings.approved_patches)
            entry["ApprovedPatchesComplianceLevel"] = settings.compliance_level
            if os_rules.family_of(settings.operating_system).linux:
                entry["ApprovedPatchesEnableNonSecurity"] = settings.approved_patches_enable_non_security
        status = settings.effective_available_security_updates_compliance_status
        if status is not None:
            entry["AvailableSecurityUpdatesComplianceStatus"] = status
        if settings.sources:
            entry["Sources"] = [
                {"Name": k, "Products": list(s.products), "Configuration": s.configuration}
                for k, s in settings.sources.items()
            ]
        entries.append(entry)
    return entries


def promoted(template: list[dict[str, Any]], install_day: date | None) -> list[dict[str, Any]]:
    """The override for a previous-ring install on ``install_day`` (None: approve nothing). The runbook's
    writeOverride step does the same (tests compare the two)."""
    result = json.loads(json.dumps(template))
    for entry in result:
        if install_day is None:
            entry.pop("ApprovedPatches", None)
            entry.pop("ApprovedPatchesComplianceLevel", None)
            entry.pop("ApprovedPatchesEnableNonSecurity", None)
        for rule in entry["ApprovalRules"]["PatchRules"]:
            until = rule.pop("ApproveUntilDate", None)
            days = rule.pop("ApproveAfterDays", None)
            if install_day is None:
                rule["ApproveUntilDate"] = APPROVE_NOTHING
            else:
                until_day = date.fromisoformat(until) if until else None
                rule["ApproveUntilDate"] = cutoff(days, until_day, install_day).isoformat()
    return result


@dataclass(frozen=True)
class Prediction:
    """What a later ring's window opening will install, if the promotion before it succeeds."""

    ring: str
    previous: str
    source_start: datetime | None
    """The previous ring's install opening it takes its patch set from, the earliest of its windows' latest soaked
    ones (None: none in sight)."""
    cutoffs: dict[str, str]
    """Baseline key -> the ApproveUntilDate it will use (YYYY-MM-DD)."""


def predict(config: StackConfig, window: str, opening: datetime, lookback_days: int = 92) -> Prediction | None:
    """The ring of ``window`` and, for a later ring, the cut-off its opening at ``opening`` will use: the earliest
    of the previous ring's install windows' latest openings at least soakDays (wall clock, in the window's zone)
    earlier; none when one of those windows has no such opening (the runbook refuses)."""
    from .calendar import schedule_starts
    from .config.rings import install_windows

    rings = config.rings
    index = next(
        (
            i
            for i, ring in enumerate(rings)
            if any(window in config.patch_groups[g].maintenance_windows for g in ring.patch_groups)
        ),
        None,
    )
    if index is None or index == 0 or config.maintenance_windows[window].operation != "Install":
        return None
    ring, previous = rings[index], rings[index - 1]
    zone = ZoneInfo(config.maintenance_windows[window].timezone)
    local = opening.astimezone(zone)
    latest = (local.replace(tzinfo=None) - timedelta(days=ring.soak_days)).replace(tzinfo=zone)
    latest += timedelta(hours=SOAK_TOLERANCE_HOURS)
    # Each previous-ring window's latest opening soaked long enough; the earliest of them decides (the runbook
    # promotes what every node of the previous ring was given).
    latest_per_window = [
        max(
            schedule_starts(
                config.maintenance_windows[key].schedule,
                config.maintenance_windows[key].timezone,
                latest - timedelta(days=lookback_days),
                latest,
                config.maintenance_windows[key].schedule_offset or 0,
            ),
            default=None,
        )
        for key in install_windows(config, previous.patch_groups)
    ]
    soaked = [start for start in latest_per_window if start is not None]
    source = min(soaked) if soaked and len(soaked) == len(latest_per_window) else None
    cutoffs = {}
    if source is not None:
        day = source.astimezone(ZoneInfo("UTC")).date()
        for key in ring_baselines(config, ring):
            settings = config.baselines[key]
            cutoffs[key] = cutoff(settings.effective_approve_after_days, settings.approve_until_date, day).isoformat()
    return Prediction(ring.name, previous.name, source, cutoffs)


def ring_of_window(config: StackConfig, window: str) -> str | None:
    """The ring whose groups a window targets (None: no ring)."""
    for ring in config.rings:
        if any(window in config.patch_groups[g].maintenance_windows for g in ring.patch_groups):
            return ring.name
    return None


def ring_note(config: StackConfig, window: str) -> str:
    """The line an advance notice of ``window``'s openings adds for its ring ("" when it installs for no
    ring): the notice is sent before the opening's promotion runs, so it says how the cut-off is chosen;
    ``patching calendar`` shows the predicted one."""
    from .config.rings import install_windows

    ring = ring_of_window(config, window)
    if ring is None or window not in install_windows(config, [g for r in config.rings for g in r.patch_groups]):
        return ""
    index = [r.name for r in config.rings].index(ring)
    if index == 0:
        return f"Patch ring {ring}: the first ring; its baselines decide what is installed."
    previous, soak = config.rings[index - 1].name, config.rings[index].soak_days
    return (
        f"Patch ring {ring}: installs only what ring {previous} was given at its latest install at least "
        f"{soak} day(s) before, if that install succeeded (promoted as the window opens; `patching calendar` "
        "shows the predicted cut-off); nothing new otherwise."
    )


def promotion_document(config: StackConfig, window: str, region: str | None = None) -> str:
    """The promotion runbook that runs as a task of ``window`` in ``region`` (a non-primary region's name, as
    layout names it; "" when the window has none): a later ring's install window, with the log bucket that holds
    the override (CustomerPatching builds RingPromotion under the same conditions)."""
    from . import layout
    from .config.rings import install_windows

    ring = ring_of_window(config, window)
    names = [r.name for r in config.rings]
    if ring is None or names.index(ring) == 0 or layout.ring_override_key(config, ring, region) is None:
        return ""
    if window not in install_windows(config, config.rings[names.index(ring)].patch_groups):
        return ""
    return layout.ring_promotion_document_name(config.customer, ring, region)
