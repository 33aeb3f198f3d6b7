"""``patching:sla``: the customer's patching SLA, days from a fix's release to its install per severity.

Its own module (a few lines, no imports beyond pydantic): ``patching report --sla`` judges installs and
missing patches by it (tools/report_sla.py), and nothing is built from it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

SLA_SEVERITIES: tuple[str, ...] = ("Critical", "Important", "Medium", "Low")
"""The keys of ``patching:sla``, most severe first. How each operating system's own severity values map
onto them: tools/report_sla.py, ``SEVERITY_OF``, and docs/report.md ("SLA report")."""
MAX_SLA_DAYS = 365

SlaSeverity = Literal["Critical", "Important", "Medium", "Low"]


def _whole_days(value: object) -> object:
    # YAML reads `7` as an int; `true` would be 1 to pydantic's lax mode, and 7.5 days is not a policy.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"give a whole number of days, 1-{MAX_SLA_DAYS} (got {value!r})")
    return value


SlaDays = Annotated[int, BeforeValidator(_whole_days), Field(ge=1, le=MAX_SLA_DAYS)]
Sla = Annotated[dict[SlaSeverity, SlaDays], Field(min_length=1)]
