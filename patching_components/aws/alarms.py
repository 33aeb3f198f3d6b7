"""CloudWatch alarms as a circuit breaker of patching: the limits and names the config model, the
runbook and ``patching patch-now`` share. Plain values only (no boto3, no Pulumi): ``validate`` imports it.

``tests/test_circuit_breaker.py`` compares each limit with botocore's service models.
"""

from __future__ import annotations

import re

ALARM_NAME_LENGTHS = (1, 255)
"""CloudWatch ``PutMetricAlarm`` AlarmName: 1-255 characters (and SSM's ``Alarm.Name`` alike)."""
MAX_ALARMS = 1
"""``AlarmConfiguration.Alarms`` of ``SendCommand`` and ``RegisterTaskWithMaintenanceWindow``: at most 1 (botocore's
model), so a window, and a patch-now command, names at most one stop alarm."""
CIRCUIT_BREAKER_TAG = "PatchingCircuitBreaker"
"""The tag the circuit breaker puts on every window of the customer it disables (value: the alarm, made a valid tag
value); ``patching resume`` removes it. The freeze guard never enables a window that carries it."""
ALARM_STATE_CHANGE = "CloudWatch Alarm State Change"
"""The EventBridge detail-type of an alarm's state change (source ``aws.cloudwatch``)."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TAG_VALUE_UNSAFE = re.compile(r"[^\w\s.:/=+\-@]")
MAX_TAG_VALUE = 256


def alarm_name_problem(name: str) -> str | None:
    """Why CloudWatch refuses ``name`` as an alarm name (None: it takes it)."""
    low, high = ALARM_NAME_LENGTHS
    if not low <= len(name) <= high:
        return f"an alarm name has {low}-{high} characters (this one: {len(name)})"
    if not name.strip():
        return "an alarm name is not only white space"
    if _CONTROL.search(name):
        return "an alarm name has no control characters (CloudWatch: ASCII control characters are not allowed)"
    return None


def tag_value(alarm: str) -> str:
    """The alarm's name as a Systems Manager tag value (``^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$``, at most 256): every
    other character becomes ``_``. The runbook writes this (the same expression is in circuit-breaker.yaml)."""
    return _TAG_VALUE_UNSAFE.sub("_", alarm)[:MAX_TAG_VALUE]
