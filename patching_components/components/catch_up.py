"""WindowCatchUp: a node that missed its install window is patched when it starts again, in one region.

EventBridge sees every EC2 instance of the region enter ``running`` ("State change events for Amazon EC2
instances") and starts this window's catch-up runbook (documents/catch-up.yaml) with the instance id
("Run automations based on EventBridge events": an InputTransformer gives the document its parameters).
The runbook ends at once for a node of none of the window's patch groups; for one of them it waits until
Systems Manager manages it, decides with ``aws/catch_up.decide`` (embedded in the runbook: window enabled,
no circuit breaker, every calendar OPEN, last install older than ``maxAgeDays``) and sends the window's own
patch command: the document and parameters ``window.window_task`` builds for the window's task, its
delivery timeout, S3 and CloudWatch output and notifications as the window's task has them.
"""

import copy
import functools
import inspect
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Required, TypedDict

import pulumi
import pulumi_aws as aws

from ..aws import catch_up as decision
from ..aws.automation_doc import dump_document, shipped_runbook
from ..config import defaults
from ..iam_policies import catch_up_document, catch_up_events_document
from ._base import (
    TYPE_PREFIX,
    account_policy,
    automation_definition,
    child,
    lookup,
    register_declared_outputs,
)
from ._check_args import check_args, field_type
from .args import WindowCatchUpArgs
from .window import delivery_timeout_seconds, window_task

if TYPE_CHECKING:
    from ..config import MaintenanceWindowConfig

DECISION_MARKER = "# DECISION\n"
"""Where the decide step's script takes the decision module's source."""
EVENT_PATTERN = {
    "source": ["aws.ec2"],
    "detail-type": ["EC2 Instance State-change Notification"],
    "detail": {"state": ["running"]},
}
"""Every instance of the region that enters running (started, or launched)."""


class WindowCatchUpPlumbing(TypedDict, total=False):
    """WindowCatchUp's args: the install window's settings (MaintenanceWindowConfig's, snake_case, with
    ``catch_up``) and these: the same values its PatchWindow takes, so the command is the window task's."""

    customer: Required[str]
    """The runbook may read the windows tagged Customer: <customer> (CustomerPatching tags every window)."""
    window_id: Required[pulumi.Input[str]]
    """The install window (the runbook reads whether it is enabled and its circuit breaker tag)."""
    patch_groups: Required[Sequence[str]]
    """The window's patch group tag values: only their nodes are caught up."""
    patch_group_tag_key: str
    """'Patch Group' (default) or 'PatchGroup'."""
    role_arn: Required[pulumi.Input[str]]
    """The role the runbook runs as (PatchingIam's catch_up_role_arn)."""
    role_name: Required[pulumi.Input[str]]
    """Its name: the component adds the policy for this window's runbook."""
    events_role_arn: Required[pulumi.Input[str]]
    """The role EventBridge starts the runbook with (PatchingIam's catch_up_events_role_arn)."""
    events_role_name: Required[pulumi.Input[str]]
    """Its name: the component adds the policy to start this runbook."""
    document_name: str
    """Name of the runbook (default: <name>)."""
    calendar_names: Sequence[str]
    """Change Calendars that must all be OPEN for a catch-up (the change freezes, the window's approvals)."""
    output_s3_bucket: pulumi.Input[str]
    """Bucket for Run Command output (the window's)."""
    output_s3_key_prefix: pulumi.Input[str]
    """Key prefix of the window's output."""
    cloudwatch_log_group_name: pulumi.Input[str]
    """Also stream Run Command output to this CloudWatch log group (the window's)."""
    notification_topic_arn: pulumi.Input[str]
    """SNS topic for Run Command notifications (the window's), also told when a catch-up run fails."""
    notification_role_arn: pulumi.Input[str]
    """Role Run Command assumes to publish to the topic."""
    notification_events: Sequence[str]
    """Statuses that notify (default Failed, TimedOut, Cancelled)."""
    notification_type: str
    """Invocation (default) or Command."""
    baseline_override: pulumi.Input[str]
    """The window's BaselineOverride (a later patch ring's cut-off, ``s3://bucket/key``): a caught-up node gets
    exactly what its ring's window installs."""
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """Tags for the runbook and the rule."""


def _types(config: Any) -> dict[str, Any]:
    """The types of the plumbing's plain values (the settings are MaintenanceWindowConfig's)."""
    return {
        "customer": config.CustomerId,
        "patch_groups": list[config.PatchGroupName],
        "patch_group_tag_key": config.PatchGroupTagKey,
        "document_name": config.DocumentName,
        "calendar_names": list[config.DocumentName],
        "notification_events": field_type(config.NotificationsConfig, "events"),
        "notification_type": config.NotificationType,
        "tags": config.Tags,
    }


@functools.cache
def _template() -> dict[str, Any]:
    document = shipped_runbook("catch-up.yaml")
    (decide,) = [s for s in document["mainSteps"] if s["name"] == "decide"]
    script = decide["inputs"]["Script"]
    assert DECISION_MARKER in script, "documents/catch-up.yaml: the decide step lost its marker"
    decide["inputs"]["Script"] = script.replace(DECISION_MARKER, inspect.getsource(decision), 1)
    return document


def patch_command(settings: "MaintenanceWindowConfig", name: str, args: Mapping[str, Any]) -> dict[str, Any]:
    """The aws:runCommand inputs (SendCommand's parameters) of the window's task on one node: the document
    and parameters of ``window_task``, the delivery timeout of ``delivery_timeout_seconds``, and the
    window's output and notifications from ``args`` (plain values: PatchWindow's keys)."""
    task = window_task(settings)
    command: dict[str, Any] = {
        "DocumentName": task.document,
        "InstanceIds": ["{{ InstanceId }}"],
        "Parameters": {k: list(v) for k, v in task.parameters.items()}
        | ({"BaselineOverride": [args["baseline_override"]]} if args.get("baseline_override") else {}),
        "Comment": f"catch-up {settings.operation} ({name})"[:100],
        "TimeoutSeconds": delivery_timeout_seconds(settings),
    }
    if args.get("output_s3_bucket"):
        command["OutputS3BucketName"] = args["output_s3_bucket"]
        if args.get("output_s3_key_prefix"):
            command["OutputS3KeyPrefix"] = args["output_s3_key_prefix"]
    if args.get("cloudwatch_log_group_name"):
        command["CloudWatchOutputConfig"] = {
            "CloudWatchLogGroupName": args["cloudwatch_log_group_name"],
            "CloudWatchOutputEnabled": True,
        }
    if args.get("notification_topic_arn"):
        command["NotificationConfig"] = {
            "NotificationArn": args["notification_topic_arn"],
            "NotificationEvents": list(args.get("notification_events") or defaults.NOTIFICATION_EVENTS),
            "NotificationType": args.get("notification_type") or defaults.NOTIFICATION_TYPE,
        }
        if args.get("notification_role_arn"):
            command["ServiceRoleArn"] = args["notification_role_arn"]
    return command


def catch_up_runbook(
    settings: "MaintenanceWindowConfig", name: str, args: Mapping[str, Any], defaults_: Mapping[str, Any]
) -> dict[str, Any]:
    """The runbook of one window (plain values): the template, the window's command in its patch step,
    its parameters defaulting to ``defaults_``."""
    document = copy.deepcopy(_template())
    for key, value in defaults_.items():
        document["parameters"][key]["default"] = value
    (patch,) = [s for s in document["mainSteps"] if s["name"] == "patch"]
    patch["inputs"] = patch_command(settings, name, args)
    # The step may run as long as the window lets a command run (its duration), then it times out.
    patch["timeoutSeconds"] = settings.duration_hours * 3600
    return document


_OUTPUT_KEYS = (
    "baseline_override",
    "output_s3_bucket",
    "output_s3_key_prefix",
    "cloudwatch_log_group_name",
    "notification_topic_arn",
    "notification_role_arn",
)


class WindowCatchUp(pulumi.ComponentResource):
    """The catch-up runbook of one install window, the EventBridge rule that starts it when an instance of
    the region starts, and the policies of its two roles, in the region of its provider."""

    document_name: pulumi.Output[str]
    """The runbook (run it by hand with an InstanceId to catch one node up now)."""
    rule_arn: pulumi.Output[str]
    """The EventBridge rule on EC2 instances entering running."""

    def __init__(self, name: str, args: WindowCatchUpArgs, opts: pulumi.ResourceOptions | None = None):
        settings, plumbing = check_args(
            "WindowCatchUp", name, args, WindowCatchUpArgs, settings="MaintenanceWindowConfig", types=_types
        )
        self._setup(name, settings, plumbing, opts)

    def _setup(
        self,
        name: str,
        settings: "MaintenanceWindowConfig",
        args: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None,
    ) -> None:
        if settings.operation != "Install" or settings.catch_up is None:
            from ..errors import ConfigError, Issue

            message = "a catch-up needs operation: Install and catch_up (max_age_days) set"
            raise ConfigError(f"WindowCatchUp {name!r}", [Issue(("catch_up",), message)], None)
        super().__init__(f"{TYPE_PREFIX}WindowCatchUp", name, None, opts)
        tags = args.get("tags")
        customer = args["customer"]
        document_name = args.get("document_name") or name
        tag_key = args.get("patch_group_tag_key", defaults.PATCH_GROUP_TAG_KEY)
        groups = sorted(args["patch_groups"])
        calendars = list(args.get("calendar_names") or [])
        max_age = settings.catch_up.max_age_days
        where = pulumi.Output.all(lookup(self, "partition"), lookup(self, "region"), lookup(self, "account_id"))
        outputs = {k: args[k] for k in _OUTPUT_KEYS if args.get(k) is not None}
        plain = {k: args[k] for k in ("notification_events", "notification_type") if args.get(k) is not None}
        topic = pulumi.Output.from_input(args.get("notification_topic_arn") or "")

        def content(values: Mapping[str, Any]) -> str:
            return dump_document(
                catch_up_runbook(
                    settings,
                    name,
                    {**plain, **values},
                    {
                        "AutomationAssumeRole": values["role"],
                        "WindowId": values["window"],
                        "PatchGroupTagKey": tag_key,
                        "PatchGroups": groups,
                        "CalendarNames": calendars,
                        "MaxAgeDays": max_age,
                        "NotificationTopicArn": values.get("notification_topic_arn") or "",
                    },
                )
            )

        document = aws.ssm.Document(
            f"{name}-runbook",
            name=document_name,
            document_type="Automation",
            document_format="YAML",
            content=pulumi.Output.all(role=args["role_arn"], window=args["window_id"], **outputs).apply(content),
            tags=tags,
            opts=child(self),
        )
        task_document = window_task(settings).document
        policy = aws.iam.RolePolicy(
            f"{name}-runbook",
            role=args["role_name"],
            policy=account_policy(
                self,
                lambda topic_arn, notification_role, **account: catch_up_document(
                    customer=customer,
                    document=task_document,
                    groups=groups,
                    tag_key=tag_key,
                    calendar_names=calendars,
                    topic_arn=topic_arn or None,
                    notification_role_arn=notification_role or None,
                    **account,
                ),
                topic,
                pulumi.Output.from_input(args.get("notification_role_arn") or ""),
            ),
            opts=child(self),
        )
        events_policy = aws.iam.RolePolicy(
            f"{name}-events",
            role=args["events_role_name"],
            policy=account_policy(
                self,
                lambda role, **account: catch_up_events_document(document=document_name, role_arn=role, **account),
                args["role_arn"],
            ),
            opts=child(self),
        )
        rule = aws.cloudwatch.EventRule(
            f"{name}-start",
            description=f"EC2 instances entering running: catch up the nodes of {document_name}'s window",
            event_pattern=json.dumps(EVENT_PATTERN),
            tags=tags,
            opts=child(self),
        )
        aws.cloudwatch.EventTarget(
            f"{name}-start",
            rule=rule.name,
            arn=automation_definition(where, document.name),
            role_arn=args["events_role_arn"],
            # The runbook's parameters from the event, as AWS documents for an automation-definition target.
            input_transformer=aws.cloudwatch.EventTargetInputTransformerArgs(
                input_paths={"instance": "$.detail.instance-id"},
                input_template=pulumi.Output.from_input(args["role_arn"]).apply(
                    lambda role: json.dumps({"InstanceId": ["<instance>"], "AutomationAssumeRole": [role]})
                ),
            ),
            opts=child(self, depends_on=[events_policy, policy]),
        )
        self.document_name = document.name
        self.rule_arn = rule.arn
        register_declared_outputs(self)
