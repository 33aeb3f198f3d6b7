"""ChangeFreezeGuard: change freezes and approval gates that really stop patching, in one region.

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

Approval gates (``approval_window_ids``): per gated window a Change Calendar closed by default,
OPEN in each approved span (``approval_openings``). The runbook asks ``GetCalendarState`` per
window over [the freeze calendar (when there are freezes), the window's approval calendar]: OPEN
only when all are OPEN. A gated window is created disabled and its state is the guard's alone.
The guard never enables a window tagged ``PatchingCircuitBreaker`` (the circuit breaker's mark).
"""

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Required, TypedDict

import pulumi
import pulumi_aws as aws

from ..aws.automation_doc import dump_document, shipped_runbook
from ..aws.change_calendar import approval_calendar_content, calendar_content
from ..iam_policies import freeze_events_document, freeze_guard_document
from ._base import (
    TYPE_PREFIX,
    account_policy,
    automation_definition,
    child,
    lookup,
    register_declared_outputs,
)
from ._check_args import check_args
from .args import ChangeFreezeGuardArgs, ChangeFreezeSettings

if TYPE_CHECKING:
    from ..config import ChangeFreezeConfig

GUARD_SCHEDULE = "rate(30 minutes)"
"""How often the association re-applies the calendar's state, besides every state change."""


class ChangeFreezeGuardPlumbing(TypedDict, total=False):
    """ChangeFreezeGuard's args (no config model's settings: each is checked with the stack file's type of it)."""

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
    approval_window_ids: Mapping[str, pulumi.Input[str]]
    """The approval-gated windows (also in window_ids), keyed by window key: each is enabled only while its
    approval calendar (and the freeze calendar) is OPEN."""
    approval_openings: Mapping[str, pulumi.Input[Sequence[str]]]
    """Per gated window key, the spans its approval calendar is OPEN: ISO 8601 intervals ``<start>/<end>`` with
    their UTC offsets (an approved occurrence, from a lead time before it opens until it closes)."""
    approval_calendar_names: Mapping[str, str]
    """Per gated window key, the name of its approval calendar (default: <name>-<key>-approvals)."""


def guard_document(defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The runbook with its parameters defaulting to this region's role, calendar and windows."""
    return shipped_runbook("freeze-guard.yaml", defaults)


class ChangeFreezeGuard(pulumi.ComponentResource):
    """A Change Calendar of the customer's freezes and the guard that keeps the customer's
    maintenance windows disabled while it is CLOSED, in the region of its provider."""

    calendar_name: pulumi.Output[str] | None
    """The Change Calendar of the freezes (its state: ``aws ssm get-calendar-state --calendar-names <name>``;
    None without freezes)."""
    calendar_arn: pulumi.Output[str] | None
    """ARN of the calendar document (None without freezes)."""
    guard_document_name: pulumi.Output[str]
    """The guard runbook (run it by hand to re-apply the calendar's state now)."""
    approval_calendar_names: pulumi.Output[dict[str, str]] | None
    """Per approval-gated window key, its approval calendar (None without gated windows)."""

    def __init__(self, name: str, args: ChangeFreezeGuardArgs, opts: pulumi.ResourceOptions | None = None):
        _, plumbing = check_args("ChangeFreezeGuard", name, args, ChangeFreezeGuardArgs, types=_types)
        freezes: Mapping[str, ChangeFreezeConfig] = plumbing["freezes"]  # models: checked once, or handed over
        args = plumbing
        super().__init__(f"{TYPE_PREFIX}ChangeFreezeGuard", name, None, opts)
        tags = args.get("tags")
        customer = args["customer"]
        calendar_name = args.get("calendar_name") or f"{name}-change-freezes"
        guard_name = args.get("guard_document_name") or f"{name}-freeze-guard"
        where = pulumi.Output.all(lookup(self, "partition"), lookup(self, "region"), lookup(self, "account_id"))

        calendars: list[aws.ssm.Document] = []
        if freezes:  # approval gates alone need no freeze calendar
            calendars.append(
                aws.ssm.Document(
                    f"{name}-calendar",
                    name=calendar_name,
                    document_type="ChangeCalendar",
                    document_format="TEXT",
                    content=calendar_content(freezes, f"Change freezes of {name}: no patch window starts while CLOSED"),
                    tags=tags,
                    opts=child(self),
                )
            )
        approval_names, approval_ids = _approval_calendars(self, name, args, tags)
        calendars += approval_names.values()
        read = ([calendar_name] if freezes else []) + [str(n) for n in approval_calendar_names(name, args).values()]
        window_ids = pulumi.Output.from_input(args["window_ids"])
        topic_arn = pulumi.Output.from_input(args.get("notification_topic_arn") or "")
        by_window = (
            pulumi.Output.all(**{key: pulumi.Output.from_input(i) for key, i in approval_ids.items()})
            if approval_ids
            else pulumi.Output.from_input({})
        )
        names_of = approval_calendar_names(name, args)
        guard = aws.ssm.Document(
            f"{name}-guard",
            name=guard_name,
            document_type="Automation",
            document_format="YAML",
            content=pulumi.Output.all(args["guard_role_arn"], window_ids, topic_arn, by_window).apply(
                lambda v: dump_document(
                    guard_document(
                        {
                            "AutomationAssumeRole": v[0],
                            "CalendarName": calendar_name if freezes else "",
                            "WindowIds": v[1],
                            "NotificationTopicArn": v[2],
                            **(
                                {"ApprovalCalendars": {v[3][key]: names_of[key] for key in sorted(v[3])}}
                                if v[3]
                                else {}
                            ),
                        }
                    )
                )
            ),
            tags=tags,
            opts=child(self, depends_on=calendars),
        )
        guard_policy = aws.iam.RolePolicy(
            f"{name}-guard",
            role=args["guard_role_name"],
            policy=account_policy(
                self,
                lambda topic, **account: freeze_guard_document(
                    calendar_name=read[0] if len(read) == 1 else read,
                    customer=customer,
                    topic_arn=topic or None,
                    **account,
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
            description=f"State changes of {', '.join(read)}: re-apply them to the maintenance windows",
            event_pattern=pulumi.Output.all(*(c.arn for c in calendars)).apply(
                lambda arns: json.dumps(
                    {"source": ["aws.ssm"], "detail-type": ["Calendar State Change"], "resources": list(arns)}
                )
            ),
            tags=tags,
            opts=child(self),
        )
        aws.cloudwatch.EventTarget(
            f"{name}-state",
            rule=rule.name,
            arn=automation_definition(where, guard.name),
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

        self.calendar_name = calendars[0].name if freezes else None
        self.calendar_arn = calendars[0].arn if freezes else None
        self.guard_document_name = guard.name
        self.approval_calendar_names = (
            pulumi.Output.all(**{key: c.name for key, c in approval_names.items()}) if approval_names else None
        )
        register_declared_outputs(self)


def approval_calendar_names(name: str, args: Mapping[str, Any]) -> dict[str, str]:
    """Each gated window's approval calendar name, keyed by window key."""
    given = args.get("approval_calendar_names") or {}
    return {key: given.get(key) or f"{name}-{key}-approvals" for key in args.get("approval_window_ids") or {}}


def _approval_calendars(
    parent: pulumi.Resource, name: str, args: Mapping[str, Any], tags: Any
) -> tuple[dict[str, aws.ssm.Document], dict[str, pulumi.Input[str]]]:
    """One Change Calendar per gated window: DEFAULT_CLOSED, OPEN in each approved span."""
    from datetime import datetime

    ids: dict[str, pulumi.Input[str]] = dict(args.get("approval_window_ids") or {})
    openings = args.get("approval_openings") or {}
    documents = {}
    for key, calendar_name in approval_calendar_names(name, args).items():

        def content(intervals: Sequence[str], key: str = key) -> str:
            spans = [
                (datetime.fromisoformat(a), datetime.fromisoformat(b)) for a, b in (i.split("/") for i in intervals)
            ]
            return approval_calendar_content(
                spans, key, f"Approved occurrences of {key}: the window runs only while OPEN"
            )

        documents[key] = aws.ssm.Document(
            f"{name}-approvals-{key}",
            name=calendar_name,
            document_type="ChangeCalendar",
            document_format="TEXT",
            # An Output when the window's settings are secret: the calendar stays secret too.
            content=pulumi.Output.from_input(openings.get(key, [])).apply(content),
            tags=tags,
            opts=child(parent),
        )
    return documents, ids


def _types(config: Any) -> dict[str, Any]:
    """The types of the args' plain values, as the stack file has them (the freezes become models)."""
    return {
        "customer": config.CustomerId,
        "freezes": dict[config.Key, config.ChangeFreezeConfig],
        "tags": config.Tags,
        "calendar_name": config.DocumentName,
        "guard_document_name": config.DocumentName,
        "approval_openings": dict[config.Key, list[str]],
        "approval_calendar_names": dict[config.Key, config.DocumentName],
    }
