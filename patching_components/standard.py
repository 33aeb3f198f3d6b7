"""The patching standard: what every customer's patching must do, in one place.

Two kinds of rule, each run by `patching validate` (on the stack config) and by
the policy pack in ``policy/`` (on the resources of any program), from these
functions, with the same thresholds and waiver tag, so the two never disagree:

- violations (mandatory policies; `validate` errors): approval rules that are
  not security-only, non-critical patches approved without a delay, windows
  without a cutoff, rules that cannot approve anything where they run (CentOS
  without EnableNonSecurity);
- advice (advisory policies; warnings, exit 0, also in the components' Pulumi
  log): settings AWS accepts that quietly stop patching. Each can be meant (a
  deliberate approval freeze), but none may go unnoticed, because Patch Manager
  reports nothing it did not approve as missing and the nodes stay COMPLIANT.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from .aws import os_rules

if TYPE_CHECKING:
    from .config import BaselineConfig

WAIVER_TAG = "PatchingWaiver"
"""A baseline tagged ``PatchingWaiver=<reason>`` is exempt from the security-only rule."""
MINIMUM_DELAY_DAYS = os_rules.DEFAULT_APPROVE_AFTER_DAYS
"""Non-critical patches wait at least this long before approval."""
MINIMUM_CUTOFF_HOURS = 1
"""Windows stop starting tasks at least this long before they close."""


@dataclass(frozen=True)
class Advice:
    field: str
    """The setting (camelCase, as in the stack file) the finding is about."""
    message: str


@dataclass(frozen=True)
class ApprovalRule:
    """One approval rule of a baseline, as AWS receives it."""

    filters: Mapping[str, tuple[str, ...]]
    """Patch filter key (CLASSIFICATION, PRIORITY ...) -> values."""
    approve_after_days: int | None = None
    approve_until_date: date | None = None
    enable_non_security: bool | None = None
    compliance_level: str | None = None

    @classmethod
    def from_inputs(cls, rule: Mapping[str, Any]) -> ApprovalRule:
        """From a PatchBaseline's ``approvalRules`` entry as the engine sends it (camelCase)."""
        until = rule.get("approveUntilDate")
        days = rule.get("approveAfterDays")
        return cls(
            filters={f.get("key"): tuple(f.get("values") or ()) for f in rule.get("patchFilters") or []},
            approve_after_days=None if days is None else int(days),
            approve_until_date=date.fromisoformat(str(until)[:10]) if until else None,
            enable_non_security=rule.get("enableNonSecurity"),
            compliance_level=rule.get("complianceLevel"),
        )


def security_only_violations(operating_system: str, rule: ApprovalRule) -> list[Advice]:
    """What makes a rule approve more than security updates (waivable with WAIVER_TAG)."""
    found = []
    if rule.enable_non_security:
        found.append(Advice("enableNonSecurity", "sets enableNonSecurity: it installs non-security updates"))
    family = os_rules.family_of(operating_system)
    security = os_rules.security_filter(operating_system)
    if security is None or family.security_field is None:
        return found  # Debian family: enableNonSecurity=false is what makes a rule security-only
    field = os_rules.camel(family.security_field)
    allowed = ", ".join(security.default)
    values = rule.filters.get(security.filter_key)
    if values is None:
        found.append(
            Advice(
                field,
                f"has no {security.filter_key} filter, so it approves non-security {operating_system} updates "
                f"too; filter on {security.filter_key} = {allowed}",
            )
        )
    elif extra := [v for v in values if v not in security.default]:
        found.append(
            Advice(
                field,
                f"approves {security.filter_key} {', '.join(extra)}: only {allowed} are security updates on "
                f"{operating_system}",
            )
        )
    return found


def approval_delay_violations(
    operating_system: str, rule: ApprovalRule, minimum_days: int = MINIMUM_DELAY_DAYS
) -> list[Advice]:
    """Non-critical patches approved sooner than ``minimum_days`` after release."""
    if not os_rules.family_of(operating_system).supports_approval_delay:
        return []  # Ubuntu/Debian approve on release: AWS has no delay to require
    if rule.approve_until_date is not None:
        # A fixed cut-off the operator moves on purpose; one in the past is advice.
        return []
    severity = os_rules.severity_filter(operating_system)
    severities = rule.filters.get(severity.filter_key) if severity else None
    if severities is not None and set(severities) <= {"Critical"}:
        return []  # critical-only rules may approve at once
    which = ", ".join(v for v in severities if v != "Critical") if severities else "all severities"
    days = rule.approve_after_days or 0
    if days >= minimum_days:
        return []
    return [
        Advice(
            "approveAfterDays",
            f"approves {which} after {days} days; non-critical patches must wait at least {minimum_days} days "
            f"(approveAfterDays >= {minimum_days})",
        )
    ]


def cutoff_violations(cutoff_hours: int | None, minimum_hours: int = MINIMUM_CUTOFF_HOURS) -> list[Advice]:
    if cutoff_hours is None or cutoff_hours >= minimum_hours:
        return []
    return [
        Advice(
            "cutoffHours",
            f"cutoff is {cutoff_hours} h: tasks could start until the window closes and be cut off mid-install; "
            f"set cutoff >= {minimum_hours} h",
        )
    ]


def today() -> date:
    """The date Patch Manager compares ``ApproveUntilDate`` with (UTC)."""
    return datetime.now(UTC).date()


def baseline_advice(
    operating_system: str,
    *,
    priorities: Sequence[str] | None = None,
    approve_until_date: date | None = None,
    on: date | None = None,
    approve_after_days: int | None = None,
    products: Sequence[str] | None = None,
    enable_non_security: bool | None = None,
    has_sources: bool = False,
    filter_keys: Collection[str] = (),
) -> list[Advice]:
    """What would keep a baseline's rule from approving security fixes it should approve.

    ``priorities`` are the PRIORITY values of a Debian-family rule (``None`` = no
    filter: all of them); ``products`` its PRODUCT values (``None``: every release);
    ``on`` is the day to judge dates by (default today, UTC).
    """
    advice = []
    day = on or today()
    if (
        operating_system in os_rules.WINDOWS_ONLY_COMPLIANCE_STATUS
        and approve_after_days is not None
        and approve_after_days > os_rules.MAX_WINDOWS_APPROVAL_DELAY_DAYS
    ):
        advice.append(
            Advice(
                "approveAfterDays",
                f"approveAfterDays {approve_after_days} is longer than Microsoft's monthly release cycle: each "
                "month's security updates are still unapproved when the next ones come, and an update re-released "
                "in the wait starts it over (AWS, CreatePatchBaseline: AvailableSecurityUpdatesComplianceStatus); "
                f"approve within {os_rules.MAX_WINDOWS_APPROVAL_DELAY_DAYS} days",
            )
        )
    advice += _end_of_support_advice(operating_system, products, day)
    advice += _pinned_minor_release_advice(operating_system, products)
    if operating_system in os_rules.NO_UPDATE_NOTICES:
        notice_keys = [k for k in filter_keys if k in ("CLASSIFICATION", "SEVERITY")]
        if enable_non_security and notice_keys:
            advice.append(
                Advice(
                    "classifications" if "CLASSIFICATION" in notice_keys else "severities",
                    f"on {operating_system} only update notices carry a {' or '.join(notice_keys)}, and the default "
                    "repositories have none: this rule approves none of their updates, and the nodes still report "
                    "COMPLIANT; remove classifications and severities to approve them (bug fixes too)",
                )
            )
        elif enable_non_security:
            advice.append(
                Advice(
                    "enableNonSecurity",
                    f"on {operating_system} enableNonSecurity approves every update of the default repositories "
                    "that the filters let through (they carry no update notices, so no classification tells "
                    "security fixes apart): bug fixes and enhancements are installed too",
                )
            )
        elif has_sources:
            advice.append(
                Advice(
                    "sources",
                    f"without enableNonSecurity this {operating_system} baseline approves only the security "
                    "updates that the repositories in sources describe in update notices; if they carry none it "
                    "approves nothing and the nodes still report COMPLIANT",
                )
            )
    if approve_until_date is not None and approve_until_date < day:
        advice.append(
            Advice(
                "approveUntilDate",
                f"approveUntilDate {approve_until_date.isoformat()} is in the past: nothing released after it "
                "is ever approved, and unapproved patches are not reported missing, so nodes stay COMPLIANT "
                "while new security fixes go uninstalled; move the date forward or use approveAfterDays",
            )
        )
    family = os_rules.family_of(operating_system)
    if priorities is not None and family.security_field is None:
        left_out = [p for p in os_rules.DEBIAN_PRIORITIES if p not in priorities]
        if left_out:
            advice.append(
                Advice(
                    "priorities",
                    f"priorities leave out {', '.join(left_out)}: security fixes to packages of those "
                    "priorities are never approved nor reported missing (openssl, openssh-server, libc6, sudo, "
                    "curl and the kernel are Optional); remove priorities to approve every security fix",
                )
            )
    return advice


NO_UPDATE_NOTICES_REASON = os_rules.NO_UPDATE_NOTICES_REASON


def approves_nothing_violations(operating_system: str, rule: ApprovalRule, has_sources: bool) -> list[Advice]:
    """A rule that cannot approve anything where it runs, while the nodes report COMPLIANT (not waivable)."""
    if operating_system in os_rules.NO_UPDATE_NOTICES and not rule.enable_non_security and not has_sources:
        return [Advice("enableNonSecurity", NO_UPDATE_NOTICES_REASON.format(os=operating_system))]
    return []


def _end_of_support_advice(operating_system: str, products: Sequence[str] | None, on: date) -> list[Advice]:
    advice = []
    for entry in os_rules.end_of_support(operating_system, products):
        field = "operatingSystem" if entry.products is None else "products"
        days = (entry.ends - on).days
        if days < 0:
            advice.append(
                Advice(
                    field,
                    f"{entry.release} reached the end of its security updates on {entry.ends.isoformat()} "
                    f"({entry.source}): no new fixes are released for it, so its nodes report COMPLIANT while "
                    f"unpatched; move them to {entry.replacement}",
                )
            )
        elif days <= os_rules.END_OF_SUPPORT_NOTICE_DAYS:
            advice.append(
                Advice(
                    field,
                    f"{entry.release} reaches the end of its security updates on {entry.ends.isoformat()}, in "
                    f"{days} days ({entry.source}); plan the move to {entry.replacement}",
                )
            )
    return advice


def _pinned_minor_release_advice(operating_system: str, products: Sequence[str] | None) -> list[Advice]:
    advice = []
    for major, later in os_rules.later_minor_releases(operating_system, products or []).items():
        missed = f"{', '.join(later)} or any later one" if later else "any later minor release"
        advice.append(
            Advice(
                "products",
                f"products pin minor releases of {operating_system} {major}: a node upgraded to {missed} matches "
                "no rule, gets nothing approved and still reports COMPLIANT (PRODUCT is the node's own release); "
                "remove products (the patch group decides which nodes the baseline patches) or use '*'",
            )
        )
    return advice


def window_advice(cutoff_behavior: str | None) -> list[Advice]:
    """A patch task that goes on past the cutoff (``None``: AWS's default, CONTINUE_TASK)."""
    if cutoff_behavior == "CANCEL_TASK":
        return []
    return [
        Advice(
            "cutoffBehavior",
            f"cutoffBehavior {cutoff_behavior or 'CONTINUE_TASK (the AWS default)'} lets the patch command run on "
            "after the cutoff: installs and reboots go on past the window's end, into the customer's working "
            "hours; CANCEL_TASK cancels it at the cutoff",
        )
    ]


NAMED_PATCH_GROUPS_BUDGET = 6000
"""Characters of patch group names the maintenance window role's policy may list: IAM allows
10,240 for all inline policies of a role (the rest of the policy, and a schedule policy per
golden AMI pipeline, need the remainder)."""


def names_patch_groups(groups: Sequence[str]) -> bool:
    """Whether the maintenance window role can name these groups in its SendCommand condition."""
    return sum(len(g) + 3 for g in groups) <= NAMED_PATCH_GROUPS_BUDGET  # quotes and a comma each


def window_role_advice(groups: Sequence[str], tag_key: str) -> list[Advice]:
    if names_patch_groups(groups):
        return []
    return [
        Advice(
            "patchGroups",
            f"{len(groups)} patch groups are too many to name in the maintenance window role's policy (IAM "
            f"allows 10,240 characters): it may send the patch documents to any instance tagged {tag_key!r} in "
            "the account; split the customer into several stacks to keep it to this customer's groups",
        )
    ]


def baseline_settings_advice(
    operating_system: str,
    *,
    approved_patches: Sequence[str] = (),
    approved_patches_enable_non_security: bool | None = None,
    available_security_updates_compliance_status: str | None = None,
) -> list[Advice]:
    """What the baseline's own settings (not its rules) approve or hide: which approvedPatches Linux installs,
    and Windows security updates the baseline leaves unapproved (``None``: AWS's default, COMPLIANT)."""
    advice = []
    family = os_rules.family_of(operating_system)
    if family.linux and approved_patches:
        if approved_patches_enable_non_security:
            message = (
                "approvedPatchesEnableNonSecurity is true: every listed patch is installed, security update or not"
            )
        else:
            message = (
                f"on {operating_system} Patch Manager installs only the approvedPatches that are security updates "
                "(approvedPatchesEnableNonSecurity: false, AWS's default): a listed bug-fix or enhancement update is "
                "neither installed nor reported missing; set approvedPatchesEnableNonSecurity: true to install them"
            )
        advice.append(Advice("approvedPatches", message))
    if operating_system in os_rules.WINDOWS_ONLY_COMPLIANCE_STATUS and (
        available_security_updates_compliance_status != "NON_COMPLIANT"
    ):
        status = available_security_updates_compliance_status or "unset (AWS's default, COMPLIANT)"
        advice.append(
            Advice(
                "availableSecurityUpdatesComplianceStatus",
                f"availableSecurityUpdatesComplianceStatus is {status}: a node missing security updates the baseline "
                "does not (yet) approve reports COMPLIANT; NON_COMPLIANT shows it",
            )
        )
    return advice


def approval_rule(settings: BaselineConfig) -> ApprovalRule:
    """The approval rule AWS receives for a validated baseline (SecurityBaseline builds it, the standard judges it)."""
    os_name = settings.operating_system
    return ApprovalRule(
        filters={
            f.key: f.values
            for f in os_rules.approval_filters(os_name, settings.filter_values(), settings.enable_non_security)
        },
        approve_after_days=settings.effective_approve_after_days,
        approve_until_date=settings.approve_until_date,
        compliance_level=settings.compliance_level,
        # Only Linux rules know EnableNonSecurity; sending it elsewhere is a diff AWS never stores.
        enable_non_security=settings.enable_non_security if os_rules.family_of(os_name).linux else None,
    )


def baseline_advice_for(settings: BaselineConfig) -> list[Advice]:
    """The warnings for a validated baseline."""
    os_name = settings.operating_system
    return baseline_advice(
        os_name,
        filter_keys=tuple(approval_rule(settings).filters),
        priorities=settings.priorities,
        approve_until_date=settings.approve_until_date,
        approve_after_days=settings.effective_approve_after_days,
        products=settings.products,
        enable_non_security=settings.enable_non_security,
        has_sources=bool(settings.sources),
    ) + baseline_settings_advice(
        os_name,
        approved_patches=settings.approved_patches,
        approved_patches_enable_non_security=settings.approved_patches_enable_non_security,
        available_security_updates_compliance_status=settings.effective_available_security_updates_compliance_status,
    )
