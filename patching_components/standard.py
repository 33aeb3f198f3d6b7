"""The patching standard: what every customer's patching must do, in one place.

Two kinds of rule, each run by `patching validate` (on the stack config) and by
the policy pack in ``policy/`` (on the resources of any program), from these
functions, with the same thresholds and waiver tag, so the two never disagree:

- violations (mandatory policies; `validate` errors): approval rules that are
  not security-only, non-critical patches approved without a delay, windows
  without a cutoff;
- advice (advisory policies; warnings, exit 0, also in the components' Pulumi
  log): settings AWS accepts that quietly stop patching. Each can be meant (a
  deliberate approval freeze), but none may go unnoticed, because Patch Manager
  reports nothing it did not approve as missing and the nodes stay COMPLIANT.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from . import os_rules

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
) -> list[Advice]:
    """What would keep a baseline from approving security fixes it should approve.

    ``priorities`` are the PRIORITY values of a Debian-family rule (``None`` = no
    filter: all of them); ``on`` is the day to judge dates by (default today, UTC).
    """
    advice = []
    if approve_until_date is not None and approve_until_date < (on or today()):
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


def approval_rule(settings: BaselineConfig) -> ApprovalRule:
    """The approval rule AWS receives for a validated baseline (SecurityBaseline builds it, the standard judges it)."""
    os_name = settings.operating_system
    return ApprovalRule(
        filters={f.key: f.values for f in os_rules.approval_filters(os_name, settings.filter_values())},
        approve_after_days=settings.effective_approve_after_days,
        approve_until_date=settings.approve_until_date,
        compliance_level=settings.compliance_level,
        # Only Linux rules know EnableNonSecurity; sending it elsewhere is a diff AWS never stores.
        enable_non_security=settings.enable_non_security if os_rules.family_of(os_name).linux else None,
    )


def baseline_advice_for(settings: BaselineConfig) -> list[Advice]:
    """The warnings for a validated baseline."""
    return baseline_advice(
        settings.operating_system, priorities=settings.priorities, approve_until_date=settings.approve_until_date
    )
