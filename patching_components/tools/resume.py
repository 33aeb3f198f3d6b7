"""`patching resume`: undo a circuit breaker trip (components/circuit_breaker.py) in every region of a stack.

The breaker tags each window of the customer it disabled ``PatchingCircuitBreaker``; only an operator lifts it:
- in a region with a freeze guard (the one place that decides whether windows run while calendars exist), each
  window is handed to the guard: tagged ``PatchingFreezeGuard`` (the guard's mark of a window it keeps disabled
  while a calendar is CLOSED and enables when it is OPEN), then untagged ``PatchingCircuitBreaker``, then the guard
  runbook is started, so it enables them now if its calendars are OPEN, later if not;
- in a region without one, each window is enabled, then untagged.
Tag first, untag last: a run that stops half-way leaves every window it did not finish still marked, and a second
run finishes it. A stop alarm still in ALARM refuses the region (the breaker trips on the alarm's change to ALARM:
resuming under a standing alarm would patch into it unguarded), unless told otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import layout
from ..aws.alarms import CIRCUIT_BREAKER_TAG
from ..config import StackConfig, defaults
from .aws_pages import pages, region_layouts

FREEZE_GUARD_TAG = "PatchingFreezeGuard"
HANDED_TO_GUARD = "resumed-after-circuit-breaker"
"""The PatchingFreezeGuard value resume writes (the guard only looks at the key)."""
Clients = Callable[[str, str], Any]


class AlarmStillFiring(Exception):
    """A stop alarm of the region is in ALARM."""


@dataclass
class RegionPlan:
    region: str
    guard: str | None
    """The freeze guard runbook of the region, when the stack has one there."""
    tripped: list[tuple[str, str, str]] = field(default_factory=list)
    """(window name, window id, the alarm the tag names) of each window the breaker disabled."""
    missing_alarms: list[str] = field(default_factory=list)
    """Stop alarms CloudWatch does not know in the region: the breaker cannot trip on them."""


def alarm_states(cloudwatch: Any, alarms: Sequence[str]) -> dict[str, str]:
    """Each alarm's StateValue (metric and composite alarms; one missing is not in it), read in DescribeAlarms'
    pages (AlarmNames: at most 100 a call, botocore's model)."""
    states: dict[str, str] = {}
    for start in range(0, len(alarms), 100):
        paginator = cloudwatch.get_paginator("describe_alarms")
        for page in paginator.paginate(
            AlarmNames=list(alarms[start : start + 100]), AlarmTypes=["MetricAlarm", "CompositeAlarm"]
        ):
            for kind in ("MetricAlarms", "CompositeAlarms"):
                states.update({a["AlarmName"]: a["StateValue"] for a in page.get(kind, [])})
    return states


def window_names(config: StackConfig, where: layout.RegionLayout) -> list[str]:
    """Every window of the stack in the region, patch windows and golden AMI rebuilds (what the breaker disables)."""
    names = [where.window_name(key) for key in where.windows]
    names += [
        f"{where.pipeline_names(key)[0]}-schedule" for key in where.golden_amis if config.golden_amis[key].schedule
    ]
    return names


def guard_of(config: StackConfig, where: layout.RegionLayout) -> str | None:
    """The freeze guard runbook of the region, or None: a region with change freezes or an approval-gated
    window has one, and then only the guard may enable a window (an unapproved opening must stay shut)."""
    return where.freeze_names()[1] if layout.guarded(config, where.windows) else None


def plan(
    config: StackConfig, regions: Sequence[str], clients: Clients, *, primary_region: str, ignore_alarms: bool = False
) -> list[RegionPlan]:
    """What resume would do in each region: read only. AlarmStillFiring when a stop alarm is in ALARM."""
    layouts = region_layouts(config, regions, primary_region)
    plans = []
    for region in regions:
        where = layouts[region]
        ssm = clients("ssm", region)
        alarms = layout.stop_alarms(config, where)
        found = RegionPlan(region, guard_of(config, where))
        if alarms:
            states = alarm_states(clients("cloudwatch", region), alarms)
            firing = [a for a in alarms if states.get(a) == "ALARM"]
            if firing and not ignore_alarms:
                raise AlarmStillFiring(
                    f"{region}: stop alarm {', '.join(firing)} is in ALARM: patching would run into it and the "
                    "breaker would not trip again (it trips on the change to ALARM); fix it first, or "
                    "--ignore-alarms"
                )
            found.missing_alarms = [a for a in alarms if a not in states]
        names = window_names(config, where)
        windows = (
            [
                w
                for w in pages(
                    ssm,
                    "describe_maintenance_windows",
                    "WindowIdentities",
                    Filters=[{"Key": "Name", "Values": sorted(names)}],
                )
            ]
            if names
            else []
        )
        for window in sorted(
            windows, key=lambda w: (names.index(w["Name"]) if w["Name"] in names else len(names), w["WindowId"])
        ):
            if window.get("Name") not in names:
                continue
            tags = {
                t["Key"]: t["Value"]
                for t in ssm.list_tags_for_resource(
                    ResourceType="MaintenanceWindow", ResourceId=window["WindowId"]
                ).get("TagList", [])
            }
            if tags.get(defaults.CUSTOMER_TAG) != config.customer or CIRCUIT_BREAKER_TAG not in tags:
                continue  # another customer's window of that name, or not tripped
            found.tripped.append((window["Name"], window["WindowId"], tags[CIRCUIT_BREAKER_TAG]))
        plans.append(found)
    return plans


def resume(plans: Sequence[RegionPlan], clients: Clients) -> Iterator[str]:
    """Lift each trip as the module says; one line per thing done, as it is done."""
    for region_plan in plans:
        if not region_plan.tripped:
            continue
        region = region_plan.region
        ssm = clients("ssm", region)
        for name, window_id, _ in region_plan.tripped:
            if region_plan.guard:
                ssm.add_tags_to_resource(
                    ResourceType="MaintenanceWindow",
                    ResourceId=window_id,
                    Tags=[{"Key": FREEZE_GUARD_TAG, "Value": HANDED_TO_GUARD}],
                )
                ssm.remove_tags_from_resource(
                    ResourceType="MaintenanceWindow", ResourceId=window_id, TagKeys=[CIRCUIT_BREAKER_TAG]
                )
                yield f"{region}: {name} ({window_id}) handed to the freeze guard"
            else:
                ssm.update_maintenance_window(WindowId=window_id, Enabled=True)
                ssm.remove_tags_from_resource(
                    ResourceType="MaintenanceWindow", ResourceId=window_id, TagKeys=[CIRCUIT_BREAKER_TAG]
                )
                yield f"{region}: {name} ({window_id}) enabled"
        if region_plan.guard:
            execution = ssm.start_automation_execution(DocumentName=region_plan.guard)["AutomationExecutionId"]
            yield (
                f"{region}: started the freeze guard {region_plan.guard} (execution {execution}): it enables the "
                "windows if its calendars are OPEN, at the freeze's end if not; follow it: aws ssm "
                f"get-automation-execution --automation-execution-id {execution} --region {region}"
            )
