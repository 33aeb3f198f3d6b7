"""Settings AWS accepts that quietly stop patching: the warnings of the patching standard.

`patching validate`, the components (in the Pulumi log) and the policy pack
(an advisory policy) all report these from here, so they never disagree. They
are warnings, not errors: each can be meant (a deliberate approval freeze), but
none may go unnoticed, because Patch Manager reports nothing it did not approve
as missing and the nodes stay COMPLIANT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from . import os_rules


@dataclass(frozen=True)
class Advice:
    field: str
    """The baseline setting (camelCase, as in the stack file) the advice is about."""
    message: str


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
            f"cutoffBehavior {cutoff_behavior or 'CONTINUE_TASK (the AWS default)'} keeps starting installs and "
            "reboots after the cutoff and past the window's end, until every target is done; CANCEL_TASK stops them",
        )
    ]
