"""The settings of the advance notice and post-window summary (``patching:notifications``):
what the customer is told before each install window opens and after each window ran."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import ConfigModel

MAX_NOTICE_HOURS = 168
"""At most a week ahead: the runbook asks AWS for the next occurrence only."""


class AdvanceNoticeConfig(ConfigModel):
    """A message to the notification topic before each occurrence of each install window."""

    hours: Annotated[int, Field(ge=1, le=MAX_NOTICE_HOURS)] = 24
    """How many hours before the window opens the notice is sent (1-168). A check runs every hour: the notice
    goes out in the first check inside this span, late but still before the window opens when checks were
    missed."""
