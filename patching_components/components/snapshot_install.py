"""Pre-patch snapshots of an install window (``maintenanceWindows.<k>.snapshotBeforeInstall``).

Separate window tasks do not gate each other per node: a task of a lower priority number runs before
the install task, but the install task still starts on every target whatever the first one did on a
node ("Maintenance window tasks": tasks of different priorities run one after the other; nothing in
RegisterTaskWithMaintenanceWindow ties a target of one task to the outcome of another). So the window's
task itself becomes an Automation task (``AUTOMATION``, same targets, same rate control, same cutoff
behaviour, same priority and name) that runs our runbook (documents/snapshot-install.yaml) once per node
(the pseudo parameter ``{{RESOURCE_ID}}``): the runbook snapshots the node's volumes and only when that
succeeded runs the window's own patch command on it (``aws:runCommand`` with the parameters, output and
notifications the Run Command task would have had). A node whose snapshot failed is never patched, and
its run ends Failed (counted against the window's maxErrors, told to the customer's topic).

PatchWindow calls :func:`install_task_factory` where it registers its task: everything else about the
window stays as it is, and windows without the setting are built exactly as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from ..aws.automation_doc import dump_document, shipped_runbook
from ..iam_policies import schedule_policy_document, snapshot_notify_document
from ._base import account_policy, child

if TYPE_CHECKING:
    from ..config import MaintenanceWindowConfig

INSTALL_STEP = "installPatches"


def snapshot_install_document(
    defaults: Mapping[str, Any], run_command: Mapping[str, Any], install_timeout_seconds: int
) -> dict[str, Any]:
    """The runbook of one window: parameters defaulting to ``defaults`` (AutomationAssumeRole, Customer,
    WindowName, RetainDays, NotificationTopicArn), and the install step sending ``run_command`` (the aws:runCommand
    inputs: DocumentName, Parameters, output, notifications) to the node."""
    document = shipped_runbook("snapshot-install.yaml", defaults)
    (step,) = [s for s in document["mainSteps"] if s["name"] == INSTALL_STEP]
    step["inputs"] = {"InstanceIds": ["{{ InstanceId }}"], **{k: v for k, v in run_command.items() if v is not None}}
    step["timeoutSeconds"] = install_timeout_seconds
    return document


def run_command_inputs(run: Any, document_name: str) -> dict[str, Any]:
    """The aws:runCommand inputs ("aws:runCommand - Run a command on a managed instance") of the window's Run
    Command parameters (pulumi-aws's RunCommandParametersArgs, plain values once resolved)."""
    notification = run.notification_config
    cloudwatch = run.cloudwatch_config
    return {
        "DocumentName": document_name,
        "Parameters": {p.name: list(p.values) for p in run.parameters or []},
        "Comment": run.comment,
        "OutputS3BucketName": run.output_s3_bucket,
        "OutputS3KeyPrefix": run.output_s3_key_prefix,
        "TimeoutSeconds": run.timeout_seconds,
        "CloudWatchOutputConfig": (
            {"CloudWatchOutputEnabled": True, "CloudWatchLogGroupName": cloudwatch.cloudwatch_log_group_name}
            if cloudwatch is not None
            else None
        ),
        "ServiceRoleArn": run.service_role_arn,
        "NotificationConfig": (
            {
                "NotificationArn": notification.notification_arn,
                "NotificationEvents": list(notification.notification_events),
                "NotificationType": notification.notification_type,
            }
            if notification is not None
            else None
        ),
    }


def _plain(run: Any) -> pulumi.Output[Any]:
    """The Run Command parameters with every output in them resolved (document parameters, bucket, topic,
    roles)."""
    values = {
        # A later patch ring's BaselineOverride is an output (the log bucket's name): resolved with the rest.
        "parameters": {p.name: list(p.values) for p in run.parameters or []},
        "bucket": run.output_s3_bucket,
        "prefix": run.output_s3_key_prefix,
        "role": run.service_role_arn,
        "group": run.cloudwatch_config.cloudwatch_log_group_name if run.cloudwatch_config else None,
        "topic": run.notification_config.notification_arn if run.notification_config else None,
    }
    given = {k: v for k, v in values.items() if v is not None}
    return pulumi.Output.all(**given) if given else pulumi.Output.from_input({})


def install_task_factory(
    parent: pulumi.Resource,
    name: str,
    window_name: str,
    settings: MaintenanceWindowConfig,
    args: Mapping[str, Any],
) -> Callable[..., aws.ssm.MaintenanceWindowTask]:
    """What PatchWindow registers its task with when the window has snapshotBeforeInstall: called with the
    Run Command task's arguments, it builds the window's runbook and registers the Automation task that runs
    it per node, with every other argument (targets, rate control, cutoff, priority, name, alarms) as given."""
    snapshots = settings.snapshot_before_install
    assert snapshots is not None
    role_arn, role_name = args.get("snapshot_role_arn"), args.get("snapshot_role_name")
    if role_arn is None or args.get("customer") is None:
        raise ValueError(
            f"PatchWindow {name!r}: snapshot_before_install needs customer and snapshot_role_arn "
            "(PatchingIam's snapshot_role_arn, built with snapshot_customer)"
        )
    window_name = window_name if isinstance(window_name, str) else name
    document_name = args.get("snapshot_document_name") or f"{window_name}-snapshot-install"
    tags = args.get("tags")
    topic = args.get("notification_topic_arn")

    def register(
        resource_name: str,
        *,
        task_invocation_parameters: Any,
        task_arn: str,
        opts: pulumi.ResourceOptions | None = None,
        **task: Any,
    ) -> aws.ssm.MaintenanceWindowTask:
        run = task_invocation_parameters.run_command_parameters

        def render(values: Mapping[str, Any]) -> str:
            inputs = run_command_inputs(run, task_arn)
            inputs.update(
                Parameters=values["parameters"],
                OutputS3BucketName=values.get("bucket"),
                OutputS3KeyPrefix=values.get("prefix"),
                ServiceRoleArn=values.get("role"),
            )
            if inputs["CloudWatchOutputConfig"] is not None:
                inputs["CloudWatchOutputConfig"]["CloudWatchLogGroupName"] = values["group"]
            if inputs["NotificationConfig"] is not None:
                inputs["NotificationConfig"]["NotificationArn"] = values["topic"]
            return dump_document(
                snapshot_install_document(
                    {
                        "AutomationAssumeRole": values["assume"],
                        "Customer": args["customer"],
                        "WindowName": window_name,
                        "RetainDays": snapshots.retain_days,
                        "NotificationTopicArn": values.get("failure_topic") or "",
                    },
                    inputs,
                    settings.duration_hours * 3600,
                )
            )

        resolved = pulumi.Output.all(_plain(run), role_arn, topic if topic is not None else "").apply(
            lambda v: {**v[0], "assume": v[1], "failure_topic": v[2]}
        )
        document = aws.ssm.Document(
            f"{name}-snapshot-install",
            name=document_name,
            document_type="Automation",
            document_format="YAML",
            content=resolved.apply(render),
            tags=tags,
            opts=child(parent),
        )
        policies: list[pulumi.Resource] = []
        window_role = args.get("maintenance_window_role_name")
        if window_role is not None:
            # The window's service role starts exactly this runbook, handing it exactly the snapshot role.
            policies.append(
                aws.iam.RolePolicy(
                    f"{name}-snapshot-install",
                    role=window_role,
                    policy=account_policy(
                        parent,
                        lambda role, **account: schedule_policy_document(
                            document_name=document_name, automation_role_arn=role, **account
                        ),
                        role_arn,
                    ),
                    opts=child(parent),
                )
            )
        if topic is not None and role_name is not None:
            policies.append(
                aws.iam.RolePolicy(
                    f"{name}-snapshot-notify",
                    role=role_name,
                    policy=pulumi.Output.from_input(topic).apply(
                        lambda arn: json.dumps(snapshot_notify_document(topic_arn=arn))
                    ),
                    opts=child(parent),
                )
            )
        task.pop("task_type", None)
        return aws.ssm.MaintenanceWindowTask(
            resource_name,
            **task,
            task_type="AUTOMATION",
            task_arn=document.name,
            task_invocation_parameters=aws.ssm.MaintenanceWindowTaskTaskInvocationParametersArgs(
                automation_parameters=aws.ssm.MaintenanceWindowTaskTaskInvocationParametersAutomationParametersArgs(
                    document_version="$DEFAULT",
                    parameters=[
                        aws.ssm.MaintenanceWindowTaskTaskInvocationParametersAutomationParametersParameterArgs(
                            name=k, values=v
                        )
                        for k, v in (
                            ("AutomationAssumeRole", [role_arn]),
                            ("InstanceId", ["{{RESOURCE_ID}}"]),
                            ("WindowExecutionId", ["{{WINDOW_EXECUTION_ID}}"]),
                        )
                    ],
                )
            ),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=policies)),
        )

    return register
