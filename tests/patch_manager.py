"""A small model of Patch Manager's documented approval rules, to judge the baselines
we build by what they would approve, not by their shape.

Written from the Patch Manager user guide ("How security patches are selected",
"Package repository and approval rules" per OS) and AWS-FACTS.md, independently
of patching_components. It reads a PatchBaseline's inputs as AWS receives them
(camelCase, as the mock engine records them):

- Rejected patches are never approved (ALLOW_AS_DEPENDENCY only lets them in as
  another package's dependency); approved patches always are.
- A rule approves an update that matches every one of its patch filters (a
  filter key the rule lacks matches everything; values may use ``*``).
- ``enableNonSecurity: false``: only security updates are candidates. On the
  Debian family that means packages from the ``*-security`` repositories, and
  PRIORITY is the package's Priority field; on yum/zypper systems, updates
  whose advisory is a security advisory.
- Approval delay: ``approveAfterDays`` after release, or released on or before
  ``approveUntilDate``; the Debian family approves on release.
- Filter values match exactly, or ``*`` matches every value (PatchFilter: "exact
  values for the patch property ... or a wildcard (*), which matches all values").
  PRODUCT is the node's own release as the agent reports it ("How patch baseline
  rules work on RHEL"): ``RedhatEnterpriseLinux9.4`` matches 9.4 nodes only.
- CentOS default repositories carry no update notices ("How security patches are
  selected", CentOS tab): their updates are not security updates and have no
  classification or severity, so only a rule with ``enableNonSecurity`` and no
  CLASSIFICATION/SEVERITY filter can approve them.
- ``approvedPatches`` on Linux: a listed patch that is not a security update is
  approved only with ``approvedPatchesEnableNonSecurity`` (CreatePatchBaseline:
  "Indicates whether the list of approved patches includes non-security updates
  ... The default value is false. Applies to Linux managed nodes only.").
- Compliance ("Patch compliance state values"): an approved update that is not
  installed is MISSING, and the node NON_COMPLIANT; an update the baseline does not
  approve is not reported missing, except on Windows, where a security update that
  is available but not approved makes the node NON_COMPLIANT exactly when the
  baseline's ``availableSecurityUpdatesComplianceStatus`` is NON_COMPLIANT (unset:
  COMPLIANT, AWS's default; CreatePatchBaseline, InstancePatchState
  ``AvailableSecurityUpdateCount``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from fnmatch import fnmatchcase
from typing import Any

DEBIAN_FAMILY = ("UBUNTU", "DEBIAN", "RASPBIAN")


@dataclass(frozen=True)
class Update:
    package: str
    version: str
    security: bool
    """From a security repository (Debian family) or a security advisory (yum/zypper)."""
    released: date | None = None
    classification: str | None = None
    severity: str | None = None
    priority: str | None = None
    """Debian Priority control field as Patch Manager spells it (Optional, Required ...)."""
    section: str | None = None
    product: str | None = None

    def value(self, key: str) -> str | None:
        return {
            "CLASSIFICATION": self.classification,
            "SEVERITY": self.severity,
            "MSRC_SEVERITY": self.severity,
            "PRIORITY": self.priority,
            "SECTION": self.section,
            "PRODUCT": self.product,
        }.get(key)


LINUX_ONLY_EXCEPTIONS = ("WINDOWS", "MACOS")


def _matches(patterns: list[str], value: str | None) -> bool:
    return value is not None and any(p == "*" or p == value for p in patterns)


def approves(baseline: Mapping[str, Any], update: Update, today: date) -> bool:
    """Would a baseline with these inputs approve this update on this day?"""
    if any(fnmatchcase(update.package, p) for p in baseline.get("rejectedPatches") or []):
        return False
    if any(fnmatchcase(update.package, p) for p in baseline.get("approvedPatches") or []):
        linux = baseline.get("operatingSystem", "WINDOWS") not in LINUX_ONLY_EXCEPTIONS
        if update.security or not linux or baseline.get("approvedPatchesEnableNonSecurity"):
            return True
    debian = baseline.get("operatingSystem") in DEBIAN_FAMILY
    for rule in baseline.get("approvalRules") or []:
        if not update.security and not rule.get("enableNonSecurity"):
            continue
        filters = {f["key"]: f["values"] for f in rule.get("patchFilters") or []}
        if not all(_matches(values, update.value(key)) for key, values in filters.items()):
            continue
        if debian:
            return True
        if "approveUntilDate" in rule:
            if update.released <= date.fromisoformat(rule["approveUntilDate"]):
                return True
        elif update.released + timedelta(days=rule.get("approveAfterDays", 0)) <= today:
            return True
    return False


def node_compliance(baseline: Mapping[str, Any], available: list[Update], today: date) -> str:
    """COMPLIANT or NON_COMPLIANT for a node with these updates available (not installed), after a scan."""
    missing = [u for u in available if approves(baseline, u, today)]
    if missing:
        return "NON_COMPLIANT"
    if baseline.get("operatingSystem", "WINDOWS") == "WINDOWS":
        unapproved_security = [u for u in available if u.security]  # none of them is approved here
        if unapproved_security and baseline.get("availableSecurityUpdatesComplianceStatus") == "NON_COMPLIANT":
            return "NON_COMPLIANT"
    return "COMPLIANT"
