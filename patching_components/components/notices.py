"""PatchNotices: tell the customer before each install window opens and after each window ran, in one region.

Advance notice (``advance_notice_hours``): a runbook of ours (documents/advance-notice.yaml) that a State
Manager association runs every hour and when it is created. For each install window it asks Systems
Manager for the next opening (``DescribeMaintenanceWindowSchedule``: AWS's own reading of the cron with
``L``, ``#``, its offset and time zone) and, once inside the notice span, publishes the notice and records
the opening on the window (tag ``PatchingNotice``): one notice per opening, late rather than never when
runs were missed, never after the window opened.

Summary (``summary``): EventBridge's "Maintenance Window Execution State-change Notification" of the
customer's windows in a final state starts a runbook (documents/window-summary.yaml) that reads the run's
tasks, per-node commands and patch states and publishes one message.

Both runbooks embed patching_components/notices.py whole (``patching notice`` renders with the same module).
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any, Required, TypedDict

import pulumi
import pulumi_aws as aws

from ..aws.automation_doc import dump_document
from ..iam_policies import notices_document, notices_events_document
from ..notice_runbooks import notice_runbook
from ..notices import CHECK_EVERY, TERMINAL_STATUSES
from ._base import (
    TYPE_PREFIX,
    account_policy,
    automation_definition,
    child,
    lookup,
    register_declared_outputs,
)
from ._check_args import check_args
from .args import PatchNoticesArgs

NOTICE_SCHEDULE = f"rate({int(CHECK_EVERY.total_seconds() // 3600)} hour)"
"""How often the advance-notice runbook checks the next openings."""


class PatchNoticesPlumbing(TypedDict, total=False):
    """PatchNotices' args."""

    customer: Required[str]
    """The runbooks may read and mark the windows tagged Customer: <customer> (CustomerPatching tags every window)."""
    runbook_settings: Required[pulumi.Input[str]]
    """The windows noticed and summarised, as ``patching_components.notices.settings`` writes them (JSON)."""
    window_ids: Required[pulumi.Input[Sequence[pulumi.Input[str]]]]
    """The windows whose runs are summarised (the EventBridge rule's filter)."""
    topic_arn: Required[pulumi.Input[str]]
    """The customer's SNS topic in this region (PatchReporting's topic_arn)."""
    role_arn: Required[pulumi.Input[str]]
    """The role the runbooks run as (PatchingIam's notices_role_arn)."""
    role_name: Required[pulumi.Input[str]]
    """Its name: the component adds the policy for this region."""
    events_role_arn: pulumi.Input[str]
    """The role EventBridge starts the summary with (PatchingIam's notices_events_role_arn); needed with summary."""
    events_role_name: pulumi.Input[str]
    """Its name."""
    advance_notice: bool
    """Send the advance notices (the settings give the hours)."""
    summary: bool
    """Send a summary after each window run."""
    calendar_name: str
    """The change freeze calendar the notices read (the runbook role may read it)."""
    approval_calendar_names: Sequence[str]
    """The approval calendars of the approval-gated windows the notices read (the runbook role may read them)."""
    patch_group_tag_key: str
    """'Patch Group' (default) or 'PatchGroup'."""
    patch_groups: Sequence[str]
    """The patch groups whose nodes' patch states the summary reads."""
    notice_document_name: str
    """Name of the advance-notice runbook (default: <name>-advance-notice)."""
    summary_document_name: str
    """Name of the window-summary runbook (default: <name>-window-summary)."""
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """Tags for the documents, rule and association."""


def summary_event_pattern(window_ids: Sequence[Any]) -> str:
    """The runs of these windows that ended (EventBridge's event of maintenance window executions)."""
    return json.dumps(
        {
            "source": ["aws.ssm"],
            "detail-type": ["Maintenance Window Execution State-change Notification"],
            "detail": {"window-id": list(window_ids), "status": list(TERMINAL_STATUSES)},
        }
    )


def summary_input_template(role_arn: str) -> str:
    """The summary runbook's parameters, from the event's ``<window>`` and ``<execution>`` (input paths)."""
    fixed = json.dumps({"AutomationAssumeRole": [role_arn]})
    return fixed[:-1] + ', "WindowId": ["<window>"], "WindowExecutionId": ["<execution>"]}'


class PatchNotices(pulumi.ComponentResource):
    """Advance notices before each install window and a summary after each window run, to the customer's
    topic, in the region of its provider."""

    notice_document_name: pulumi.Output[str] | None
    """The advance-notice runbook (None without advance_notice)."""
    summary_document_name: pulumi.Output[str] | None
    """The window-summary runbook (None without summary)."""

    def __init__(self, name: str, args: PatchNoticesArgs, opts: pulumi.ResourceOptions | None = None):
        _, args = check_args("PatchNotices", name, args, PatchNoticesArgs, types=_types)
        super().__init__(f"{TYPE_PREFIX}PatchNotices", name, None, opts)
        tags = args.get("tags")
        customer = args["customer"]
        notice_name = args.get("notice_document_name") or f"{name}-advance-notice"
        summary_name = args.get("summary_document_name") or f"{name}-window-summary"
        where = pulumi.Output.all(lookup(self, "partition"), lookup(self, "region"), lookup(self, "account_id"))
        topic = pulumi.Output.from_input(args["topic_arn"])
        calendar = args.get("calendar_name")
        policy = aws.iam.RolePolicy(
            f"{name}-notices",
            role=args["role_name"],
            policy=account_policy(
                self,
                lambda topic_arn, **account: notices_document(
                    customer=customer,
                    topic_arn=topic_arn,
                    calendar_name=calendar,
                    approval_calendars=list(args.get("approval_calendar_names") or []),
                    tag_key=args.get("patch_group_tag_key", "Patch Group"),
                    groups=list(args.get("patch_groups") or []),
                    **account,
                ),
                topic,
            ),
            opts=child(self),
        )
        defaults = pulumi.Output.all(args["role_arn"], args["runbook_settings"], topic)
        self.notice_document_name = self.summary_document_name = None
        if args.get("advance_notice"):
            notice = aws.ssm.Document(
                f"{name}-advance-notice",
                name=notice_name,
                document_type="Automation",
                document_format="YAML",
                content=defaults.apply(
                    lambda v: dump_document(
                        notice_runbook(
                            "advance-notice.yaml",
                            {"AutomationAssumeRole": v[0], "Settings": v[1], "NotificationTopicArn": v[2]},
                        )
                    )
                ),
                tags=tags,
                opts=child(self),
            )
            # Runs when created, then every hour: a notice is due at most an hour after its span opens.
            aws.ssm.Association(
                f"{name}-advance-notice",
                name=notice.name,
                association_name=notice_name,
                schedule_expression=NOTICE_SCHEDULE,
                parameters={"AutomationAssumeRole": args["role_arn"]},
                tags=tags,
                opts=child(self, depends_on=[policy]),
            )
            self.notice_document_name = notice.name
        if args.get("summary"):
            summary = aws.ssm.Document(
                f"{name}-window-summary",
                name=summary_name,
                document_type="Automation",
                document_format="YAML",
                content=defaults.apply(
                    lambda v: dump_document(
                        notice_runbook(
                            "window-summary.yaml",
                            {"AutomationAssumeRole": v[0], "Settings": v[1], "NotificationTopicArn": v[2]},
                        )
                    )
                ),
                tags=tags,
                opts=child(self),
            )
            events_policy = aws.iam.RolePolicy(
                f"{name}-notices-events",
                role=args["events_role_name"],
                policy=account_policy(
                    self,
                    lambda role, **account: notices_events_document(
                        summary_document=summary_name, role_arn=role, **account
                    ),
                    args["role_arn"],
                ),
                opts=child(self),
            )
            rule = aws.cloudwatch.EventRule(
                f"{name}-window-runs",
                description=f"Runs of {customer}'s maintenance windows that ended: send their summary",
                event_pattern=pulumi.Output.from_input(args["window_ids"]).apply(summary_event_pattern),
                tags=tags,
                opts=child(self),
            )
            aws.cloudwatch.EventTarget(
                f"{name}-window-runs",
                rule=rule.name,
                arn=automation_definition(where, summary.name),
                role_arn=args["events_role_arn"],
                # The runbook's parameters from the event ("Run automations based on EventBridge events").
                input_transformer=aws.cloudwatch.EventTargetInputTransformerArgs(
                    input_paths={"window": "$.detail.window-id", "execution": "$.detail.window-execution-id"},
                    input_template=pulumi.Output.from_input(args["role_arn"]).apply(summary_input_template),
                ),
                opts=child(self, depends_on=[events_policy, policy]),
            )
            self.summary_document_name = summary.name
        register_declared_outputs(self)


def _types(config: Any) -> dict[str, Any]:
    """The types of the args' plain values, as the stack file has them."""
    return {
        "customer": config.CustomerId,
        "tags": config.Tags,
        "patch_group_tag_key": config.PatchGroupTagKey,
        "patch_groups": list[config.PatchGroupName],
        "calendar_name": config.DocumentName,
        "approval_calendar_names": list[config.DocumentName],
        "notice_document_name": config.DocumentName,
        "summary_document_name": config.DocumentName,
    }
