"""Defaults that the config model, the components and the docs share, each written once."""

from typing import Literal

from .os_rules import PATCH_GROUP_TAG_KEYS

PATCH_GROUP_TAG_KEY = PATCH_GROUP_TAG_KEYS[0]
"""'Patch Group': the instance tag that names the patch group (use 'PatchGroup' with instance metadata tags)."""
NOTIFICATION_EVENTS: tuple[Literal["Failed", "TimedOut"], ...] = ("Failed", "TimedOut")
"""Command statuses that notify."""
NOTIFICATION_TYPE: Literal["Command"] = "Command"
"""Notify per command (Command) or per instance (Invocation)."""
LOG_PREFIX = "patching"
"""S3 key prefix of Run Command output."""
RETENTION_DAYS = 90
"""Days before log objects expire in a bucket we create."""
GOLDEN_AMI_WINDOW_HOURS = 2
"""Length of a golden AMI pipeline's rebuild window (its calendar entry too)."""
GOLDEN_AMI_WINDOW_CUTOFF_HOURS = 1
"""No rebuild starts in the last hour of its window."""
CUSTOMER_TAG = "Customer"
"""The tag on every taggable resource of a customer's stack, with the customer id (IAM conditions use it)."""
