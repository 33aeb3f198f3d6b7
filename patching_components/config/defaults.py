"""Defaults that the config model, the components and the docs share, each written once."""

from typing import Literal

from ..aws.os_rules import PATCH_GROUP_TAG_KEYS

PATCH_GROUP_TAG_KEY = PATCH_GROUP_TAG_KEYS[0]
"""'Patch Group': the instance tag that names the patch group (use 'PatchGroup' with instance metadata tags)."""
NOTIFICATION_EVENTS: tuple[Literal["Failed", "TimedOut", "Cancelled"], ...] = ("Failed", "TimedOut", "Cancelled")
"""Statuses that notify. Cancelled is what the cutoff (CANCEL_TASK) leaves: installs killed mid-way."""
NOTIFICATION_TYPE: Literal["Invocation"] = "Invocation"
"""Per instance: a command whose failures stay under MaxErrors ends Success, so per-command notifications
would never mail them (docs/aws-behaviour.md, "Command statuses")."""
MINUTES_PER_NODE = {"Scan": 5, "Install": 15}
"""Minutes one node's patch task is assumed to take (an install with its reboot), per operation: no
invocation may start later than this before the cutoff, and validate checks that the rate control gets
through the targets in time."""
AWS_MIN_TASK_TIMEOUT_SECONDS = 30
"""MaintenanceWindowRunCommandParameters.TimeoutSeconds' minimum (botocore's model)."""
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
APPROVAL_LEAD_MINUTES = 60
"""How long before an approved occurrence its approval calendar opens: the freeze guard runs on each
calendar state change and every 30 minutes, so it enables the window before it opens even after a missed
event (twice the guard's period)."""
FREEZE_GUARD_LAG_MINUTES = 30
"""How long after a change freeze starts or ends the windows may still be in their old state: the freeze guard
switches them when EventBridge delivers the calendar's state change (seconds to minutes later), or, when that
event is missed, at its association's next run (every 30 minutes: the freeze guard's GUARD_SCHEDULE). An
opening that soon after a freeze's start may install during the freeze; after its end, it may find its window
still disabled and not run (AWS does not run a missed opening later)."""
