"""The pre-patch snapshot setting of an install window (``maintenanceWindows.<k>.snapshotBeforeInstall``).

Its own module so that the window model only appends one field; the rules across settings (not on a
scan window) are MaintenanceWindowConfig's."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from .base import ConfigModel

MAX_RETAIN_DAYS = 3650
"""Ten years: far past any patch cycle; a longer figure is a typo."""


class SnapshotBeforeInstallConfig(ConfigModel):
    """Snapshot every EBS volume of each node before its install starts; the install does not start on a node
    whose snapshot request failed. ``patching rollback`` restores a node's root volume from it."""

    retain_days: Annotated[int, Field(strict=True, ge=1, le=MAX_RETAIN_DAYS)] = 7
    """Days a pre-patch snapshot of this window is kept, 1-3650: each run deletes this window's snapshots older
    than that (you pay for their storage until then)."""
