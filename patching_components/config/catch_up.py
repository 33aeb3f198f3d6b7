"""``maintenanceWindows.<k>.catchUp``: patch a node that missed its install window when it starts again.

Its own module so the window model gains one field; the runbook and the decision are
``aws/catch_up.py`` and ``documents/catch-up.yaml``, the resources ``components/catch_up.py``."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import ConfigModel

MAX_AGE_DAYS_RANGE = (1, 366)
"""maxAgeDays' bounds: at least a day (a node that just installed is never patched again on a restart),
at most a year (a node older than that is not "caught up", it needs an operator)."""


class CatchUpConfig(ConfigModel):
    """Install only. A node of this window's patch groups that starts (EC2 state ``running``) and whose last
    install is older than ``maxAgeDays`` (or that never installed) is patched at once with this window's own
    settings: its document and hooks, operation, reboot option, S3/CloudWatch output and notifications. Not
    while the window is disabled, a change freeze (or, where the stack has one, the window's approval calendar)
    is CLOSED, or a circuit breaker has tripped; see [Catch-up for missed
    windows](#catch-up-for-missed-windows)."""

    max_age_days: Annotated[int, Field(strict=True, ge=MAX_AGE_DAYS_RANGE[0], le=MAX_AGE_DAYS_RANGE[1])]
    """Days, 1-366: a starting node whose last install ended longer ago than this is patched. Set it a little
    above the window's interval (e.g. ``35`` for a monthly window, ``8`` for a weekly one) so a node that was
    only off for a reboot is not patched twice."""
