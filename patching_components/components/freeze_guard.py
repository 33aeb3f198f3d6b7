"""ChangeFreezeGuard: change freezes that really stop patching, in one region.

Maintenance windows do not read Change Calendar (docs/aws-behaviour.md, "Schedules"), so a calendar alone stops
nothing. The guard makes it real: a small Automation runbook of ours reads the calendar
(``ssm:GetCalendarState``) and disables every window of the customer while it is CLOSED,
enabling them again when it is OPEN: only those it disabled itself (it tags them
``PatchingFreezeGuard``), so a window disabled by hand stays disabled. Each window is
switched on its own; one it cannot read or switch is listed and the run ends Failed after
the others. EventBridge starts it on each ``Calendar State Change`` event of this calendar,
and a State Manager association every 30 minutes and when it is created, so a freeze holds
after a missed event and when the stack is deployed in the middle of one. The windows
ignore changes to ``enabled`` (CustomerPatching sets that), so a ``pulumi up`` during a
freeze does not switch them back on.
"""

import copy
import functools
import json
from collections.abc import Mapping, Sequence
from datetime import UTC
from importlib import resources
from typing import TYPE_CHECKING, Any, Required, TypedDict

import pulumi
import pulumi_aws as aws
import yaml

from ..aws.automation_doc import dump_document
from ..iam_policies import freeze_events_document, freeze_guard_document
from ._base import TYPE_PREFIX, account_policy, child, lookup, register_declared_outputs
from .args import ChangeFreezeSettings

if TYPE_CHECKING:
    from ..config import ChangeFreezeConfig

GUARD_SCHEDULE = "rate(30 minutes)"
"""How often the association re-applies the calendar's state, besides every state change."""
CALENDAR_PRODID = "-//AWS//Change Calendar 1.0//EN"
"""What the Systems Manager console writes in a Change Calendar it creates."""


class ChangeFreezeGuardArgs(TypedDict, total=False):
    customer: Required[str]
    """The guard may switch the windows tagged Customer: <customer> (CustomerPatching tags every window)."""
    freezes: Required[Mapping[str, ChangeFreezeSettings]]
    """The freezes, keyed by a stable id: start, end (ISO 8601, local to timezone) and timezone."""
    window_ids: Required[pulumi.Input[Sequence[pulumi.Input[str]]]]
    """The maintenance windows to keep disabled during a freeze (patch windows and golden AMI rebuilds)."""
    guard_role_arn: Required[pulumi.Input[str]]
    """The role the runbook runs as (PatchingIam's freeze_guard_role_arn)."""
    guard_role_name: Required[pulumi.Input[str]]
    """Its name: the guard adds the policy for this region's calendar and windows."""
    events_role_arn: Required[pulumi.Input[str]]
    """The role EventBridge starts the runbook with (PatchingIam's freeze_events_role_arn)."""
    events_role_name: Required[pulumi.Input[str]]
    """Its name: the guard adds the policy to start this region's runbook."""
    calendar_name: str
    """Name of the Change Calendar document (default: <name>-change-freezes)."""
    guard_document_name: str
    """Name of the runbook (default: <name>-freeze-guard)."""
    notification_topic_arn: pulumi.Input[str]
    """SNS topic in this region told when a guard run fails (PatchReporting's topic_arn); the guard role may
    publish to it."""
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """Tags for the documents, rule and association."""


def calendar_content(freezes: Mapping[str, "ChangeFreezeConfig"], description: str) -> str:
    """The Change Calendar: DEFAULT_OPEN, one event (CLOSED) per freeze, times in UTC. The same
    freezes always give the same text (DTSTAMP is the freeze's start), so nothing diffs on re-run."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", CALENDAR_PRODID)
    calendar.add("version", "2.0")
    calendar.add("x-calendar-type", "DEFAULT_OPEN")
    calendar.add("x-wr-caldesc", description)
    for key, freeze in sorted(freezes.items()):
        start, end = (moment.astimezone(UTC) for moment in freeze.interval())
        event = Event()
        event.add("uid", f"{key}@patching-components")
        event.add("dtstamp", start)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", f"Change freeze: {key}")
        event.add("description", f"{freeze.start} to {freeze.end} {freeze.timezone}: no patch window starts")
        calendar.add_component(event)
    return calendar.to_ical().decode()


@functools.cache
def _template() -> dict[str, Any]:
    text = resources.files("patching_components").joinpath("documents/freeze-guard.yaml").read_text()
    return yaml.safe_load(text)


def guard_document(defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The runbook with its parameters defaulting to this region's role, calendar and windows."""
    document = copy.deepcopy(_template())
    for name, value in defaults.items():
        document["parameters"][name]["default"] = value
    return document


class ChangeFreezeGuard(pulumi.ComponentResource):
    """A Change Calendar of the customer's freezes and the guard that keeps the customer's
    maintenance windows disabled while it is CLOSED, in the region of its provider."""

    calendar_name: pulumi.Output[str]
    """The Change Calendar (its state: ``aws ssm get-calendar-state --calendar-names <name>``)."""
    calendar_arn: pulumi.Output[str]
    """ARN of the calendar document."""
    guard_document_name: pulumi.Output[str]
    """The guard runbook (run it by hand to re-apply the calendar's state now)."""

    def __init__(self, name: str, args: ChangeFreezeGuardArgs, opts: pulumi.ResourceOptions | None = None):
        freezes = _check(name, args)
        super().__init__(f"{TYPE_PREFIX}ChangeFreezeGuard", name, None, opts)
        tags = args.get("tags")
        customer = args["customer"]
        calendar_name = args.get("calendar_name") or f"{name}-change-freezes"
        guard_name = args.get("guard_document_name") or f"{name}-freeze-guard"
        where = pulumi.Output.all(lookup(self, "partition"), lookup(self, "region"), lookup(self, "account_id"))

        calendar = aws.ssm.Document(
            f"{name}-calendar",
            name=calendar_name,
            document_type="ChangeCalendar",
            document_format="TEXT",
            content=calendar_content(freezes, f"Change freezes of {name}: no patch window starts while CLOSED"),
            tags=tags,
            opts=child(self),
        )
        window_ids = pulumi.Output.from_input(args["window_ids"])
        topic_arn = pulumi.Output.from_input(args.get("notification_topic_arn") or "")
        guard = aws.ssm.Document(
            f"{name}-guard",
            name=guard_name,
            document_type="Automation",
            document_format="YAML",
            content=pulumi.Output.all(args["guard_role_arn"], window_ids, topic_arn).apply(
                lambda v: dump_document(
                    guard_document(
                        {
                            "AutomationAssumeRole": v[0],
                            "CalendarName": calendar_name,
                            "WindowIds": v[1],
                            "NotificationTopicArn": v[2],
                        }
                    )
                )
            ),
            tags=tags,
            opts=child(self, depends_on=[calendar]),
        )
        guard_policy = aws.iam.RolePolicy(
            f"{name}-guard",
            role=args["guard_role_name"],
            policy=account_policy(
                self,
                lambda topic, **account: freeze_guard_document(
                    calendar_name=calendar_name, customer=customer, topic_arn=topic or None, **account
                ),
                topic_arn,
            ),
            opts=child(self),
        )
        events_policy = aws.iam.RolePolicy(
            f"{name}-events",
            role=args["events_role_name"],
            policy=account_policy(
                self,
                lambda role, **account: freeze_events_document(
                    guard_document=guard_name, guard_role_arn=role, **account
                ),
                args["guard_role_arn"],
            ),
            opts=child(self),
        )
        rule = aws.cloudwatch.EventRule(
            f"{name}-state",
            description=f"State changes of {calendar_name}: re-apply it to the maintenance windows",
            event_pattern=calendar.arn.apply(
                lambda arn: json.dumps(
                    {"source": ["aws.ssm"], "detail-type": ["Calendar State Change"], "resources": [arn]}
                )
            ),
            tags=tags,
            opts=child(self),
        )
        aws.cloudwatch.EventTarget(
            f"{name}-state",
            rule=rule.name,
            arn=pulumi.Output.concat(
                "arn:", where[0], ":ssm:", where[1], ":", where[2], ":automation-definition/", guard.name, ":$DEFAULT"
            ),
            role_arn=args["events_role_arn"],
            # The runbook's parameters, as AWS documents for an automation-definition target
            # ("Run automations based on EventBridge events"): without Input, EventBridge sends the event.
            input=pulumi.Output.from_input(args["guard_role_arn"]).apply(
                lambda role: json.dumps({"AutomationAssumeRole": [role]})
            ),
            opts=child(self, depends_on=[events_policy]),
        )
        # Runs when created (a deployment in the middle of a freeze disables the windows at once),
        # then every 30 minutes: a missed event costs at most that long.
        aws.ssm.Association(
            f"{name}-guard",
            name=guard.name,
            association_name=guard_name,
            schedule_expression=GUARD_SCHEDULE,
            parameters={"AutomationAssumeRole": args["guard_role_arn"]},
            tags=tags,
            opts=child(self, depends_on=[guard_policy]),
        )

        self.calendar_name = calendar.name
        self.calendar_arn = calendar.arn
        self.guard_document_name = guard.name
        register_declared_outputs(self)


def _check(name: str, args: ChangeFreezeGuardArgs) -> dict[str, "ChangeFreezeConfig"]:
    """The args checked with the stack config's types before anything is registered; the freezes as models."""
    from pydantic import TypeAdapter

    from ..config import fields, sections  # pydantic loads on first use, not on import
    from ._check_args import check_args

    types = {
        "customer": fields.CustomerId,
        "freezes": dict[fields.Key, sections.ChangeFreezeConfig],
        "tags": fields.Tags,
        "calendar_name": fields.DocumentName,
        "guard_document_name": fields.DocumentName,
    }
    check_args("ChangeFreezeGuard", name, args, ChangeFreezeGuardArgs, types=types)
    return TypeAdapter(dict[fields.Key, sections.ChangeFreezeConfig]).validate_python(args["freezes"])
