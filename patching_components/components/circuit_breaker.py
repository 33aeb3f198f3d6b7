"""CircuitBreaker: stop patching in one region when one of the customer's stop alarms goes to ALARM.

An EventBridge rule on the alarms' state changes (``CloudWatch Alarm State Change``, state ``ALARM``, matched by
the alarms' ARNs in this account and region) starts a runbook of ours (documents/circuit-breaker.yaml) with the
alarm's name. The runbook tags every window of the customer in the region ``PatchingCircuitBreaker`` (value: the
alarm) and disables it, cancels their pending and in-progress executions and the customer's catch-up runs in the
region (started by EventBridge, not by a window: ``catch_up_document_names``), and tells the customer's topic. The
windows stay disabled until an operator runs ``patching resume STACK``: nothing here enables them again, and the
freeze guard never enables a window that carries the tag. Any ALARM trips it, inside a window or not (see the
docs/freezes.md, "Circuit breaker"): an alarm that fires an hour before patch night must stop that night too.

pulumi-aws's ``aws.ssm.MaintenanceWindowTask`` has no ``alarm_configuration`` (7.51), so AWS's own per-task alarm
(RegisterTaskWithMaintenanceWindow ``AlarmConfiguration``) is not set: this component is the whole stop.
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any, Required, TypedDict

import pulumi
import pulumi_aws as aws

from ..aws.alarms import ALARM_STATE_CHANGE
from ..aws.automation_doc import dump_document, shipped_runbook
from ..iam_policies import circuit_breaker_document, circuit_breaker_events_document
from ._base import (
    TYPE_PREFIX,
    account_policy,
    automation_definition,
    child,
    lookup,
    register_declared_outputs,
)
from ._check_args import check_args
from .args import CircuitBreakerArgs


class CircuitBreakerPlumbing(TypedDict, total=False):
    """CircuitBreaker's args (no config model's settings: each is checked with the stack file's type of it)."""

    customer: Required[str]
    """The breaker may stop the windows tagged Customer: <customer> (CustomerPatching tags every window)."""
    alarm_names: Required[Sequence[str]]
    """The stop alarms in this region: any of them going to ALARM trips the breaker."""
    window_ids: Required[pulumi.Input[Sequence[pulumi.Input[str]]]]
    """Every maintenance window of the customer in this region (patch windows and golden AMI rebuilds)."""
    gated_window_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """The approval-gated windows among them: disabled between approved openings, tagged on a trip all the same
    (the freeze guard would enable them for an approved opening)."""
    catch_up_document_names: Sequence[str]
    """The customer's catch-up runbooks in this region (WindowCatchUp's document_name): their runs still going are
    cancelled with the patch command each sent (a run that decided before the trip would patch and reboot)."""
    breaker_role_arn: Required[pulumi.Input[str]]
    """The role the runbook runs as (PatchingIam's breaker_role_arn)."""
    breaker_role_name: Required[pulumi.Input[str]]
    """Its name: the breaker adds the policy for this region's windows."""
    events_role_arn: Required[pulumi.Input[str]]
    """The role EventBridge starts the runbook with (PatchingIam's breaker_events_role_arn)."""
    events_role_name: Required[pulumi.Input[str]]
    """Its name: the breaker adds the policy to start this region's runbook."""
    document_name: str
    """Name of the runbook (default: <name>-circuit-breaker)."""
    notification_topic_arn: pulumi.Input[str]
    """SNS topic in this region told of every trip and every failed run (PatchReporting's topic_arn)."""
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """Tags for the document and the rule."""


def breaker_document(defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The runbook with its parameters defaulting to this region's role, windows and topic."""
    return shipped_runbook("circuit-breaker.yaml", defaults)


def alarm_pattern(alarm_arns: Sequence[str]) -> dict[str, Any]:
    """The EventBridge pattern of a stop alarm going to ALARM ("Alarm events and EventBridge", CloudWatch User
    Guide: source aws.cloudwatch, the alarm's ARN in resources, detail.state.value)."""
    return {
        "source": ["aws.cloudwatch"],
        "detail-type": [ALARM_STATE_CHANGE],
        "resources": list(alarm_arns),
        "detail": {"state": {"value": ["ALARM"]}},
    }


def breaker_input(role_arn: str) -> dict[str, Any]:
    """The rule target's InputTransformer: the runbook's parameters, the alarm's name from the event
    ("Transforming target input", EventBridge User Guide: a variable outside quotes keeps its JSON string)."""
    return {
        "input_paths": {"alarm": "$.detail.alarmName"},
        "input_template": '{"AutomationAssumeRole": [' + json.dumps(role_arn) + '], "AlarmName": [<alarm>]}',
    }


class CircuitBreaker(pulumi.ComponentResource):
    """Disables every maintenance window of the customer in the region of its provider, and cancels their running
    executions and the Run Command commands those already started, when one of the stop alarms goes to ALARM; they
    stay disabled until ``patching resume``."""

    document_name: pulumi.Output[str]
    """The breaker runbook (run it by hand to stop patching in the region now)."""
    rule_name: pulumi.Output[str]
    """The EventBridge rule on the stop alarms."""

    def __init__(self, name: str, args: CircuitBreakerArgs, opts: pulumi.ResourceOptions | None = None):
        _, args = check_args("CircuitBreaker", name, args, CircuitBreakerArgs, types=_types)
        super().__init__(f"{TYPE_PREFIX}CircuitBreaker", name, None, opts)
        tags = args.get("tags")
        customer = args["customer"]
        document_name = args.get("document_name") or f"{name}-circuit-breaker"
        where = pulumi.Output.all(lookup(self, "partition"), lookup(self, "region"), lookup(self, "account_id"))
        window_ids = pulumi.Output.from_input(args["window_ids"])
        catch_ups = list(args.get("catch_up_document_names") or [])
        topic_arn = pulumi.Output.from_input(args.get("notification_topic_arn") or "")
        document = aws.ssm.Document(
            f"{name}-breaker",
            name=document_name,
            document_type="Automation",
            document_format="YAML",
            content=pulumi.Output.all(
                args["breaker_role_arn"], window_ids, topic_arn, args.get("gated_window_ids") or []
            ).apply(
                lambda v: dump_document(
                    breaker_document(
                        {
                            "AutomationAssumeRole": v[0],
                            "WindowIds": v[1],
                            "NotificationTopicArn": v[2],
                            "GatedWindowIds": v[3],
                            "CatchUpDocumentNames": catch_ups,
                        }
                    )
                )
            ),
            tags=tags,
            opts=child(self),
        )
        aws.iam.RolePolicy(
            f"{name}-breaker",
            role=args["breaker_role_name"],
            policy=account_policy(
                self,
                lambda topic, **account: circuit_breaker_document(
                    customer=customer, topic_arn=topic or None, **account
                ),
                topic_arn,
            ),
            opts=child(self),
        )
        events_policy = aws.iam.RolePolicy(
            f"{name}-breaker-events",
            role=args["events_role_name"],
            policy=account_policy(
                self,
                lambda role, **account: circuit_breaker_events_document(
                    breaker_document=document_name, breaker_role_arn=role, **account
                ),
                args["breaker_role_arn"],
            ),
            opts=child(self),
        )
        alarms = list(args["alarm_names"])
        rule = aws.cloudwatch.EventRule(
            f"{name}-stop-alarms",
            description=f"Stop alarms of {customer} in ALARM: trip the circuit breaker {document_name}",
            event_pattern=where.apply(
                lambda v: json.dumps(alarm_pattern([f"arn:{v[0]}:cloudwatch:{v[1]}:{v[2]}:alarm:{a}" for a in alarms]))
            ),
            tags=tags,
            opts=child(self),
        )
        aws.cloudwatch.EventTarget(
            f"{name}-stop-alarms",
            rule=rule.name,
            arn=automation_definition(where, document.name),
            role_arn=args["events_role_arn"],
            input_transformer=aws.cloudwatch.EventTargetInputTransformerArgs(
                input_paths=breaker_input("")["input_paths"],
                input_template=pulumi.Output.from_input(args["breaker_role_arn"]).apply(
                    lambda role: breaker_input(role)["input_template"]
                ),
            ),
            opts=child(self, depends_on=[events_policy]),
        )
        self.document_name = document.name
        self.rule_name = rule.name
        register_declared_outputs(self)


def _types(config: Any) -> dict[str, Any]:
    """The types of the args' plain values, as the stack file has them."""
    return {
        "customer": config.CustomerId,
        "tags": config.Tags,
        "document_name": config.DocumentName,
        "catch_up_document_names": list[config.DocumentName],
    }


def circuit_breaker(
    name: str,
    config: Any,
    where: Any,
    tags: Mapping[str, str],
    iam: Any,
    windows: Mapping[str, Any],
    pipelines: Mapping[str, Any],
    topic_arn: pulumi.Output[str] | None,
    opts: pulumi.ResourceOptions,
    catch_ups: Sequence[str] = (),
) -> CircuitBreaker:
    """CustomerPatching's breaker of one region (``layout.RegionLayout``): every window of the customer there (patch
    and rebuild), the catch-up runbooks of the install windows ``catch_ups``, the region's stop alarms, PatchingIam's
    breaker roles."""
    from .. import layout
    from ._check_args import checked

    window_ids = [w.window_id for w in windows.values()]
    window_ids += [p.window_id for p in pipelines.values() if p.window_id is not None]
    assert iam.breaker_role_arn is not None and iam.breaker_events_role_arn is not None
    args: dict[str, Any] = {
        "customer": config.customer,
        "alarm_names": layout.stop_alarms(config, where),
        "window_ids": pulumi.Output.all(*window_ids),
        "gated_window_ids": pulumi.Output.all(
            *(windows[k].window_id for k in layout.approval_gated(config, tuple(windows)))
        ),
        "catch_up_document_names": [
            layout.catch_up_document_name(config.customer, key, where.named_region) for key in catch_ups
        ],
        "breaker_role_arn": iam.breaker_role_arn,
        "breaker_role_name": iam.breaker_role_name,
        "events_role_arn": iam.breaker_events_role_arn,
        "events_role_name": iam.breaker_events_role_name,
        "document_name": layout.circuit_breaker_name(config.customer, where.named_region),
        "tags": tags,
    }
    if topic_arn is not None:
        args["notification_topic_arn"] = topic_arn
    return CircuitBreaker(name, checked(None, **args), opts=opts)
