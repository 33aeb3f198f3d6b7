"""PatchWindow: a maintenance window that scans or installs patches on its patch groups."""

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Required, TypedDict

import pulumi
import pulumi_aws as aws

from .. import standard
from ..aws.os_rules import MAX_GROUPS_PER_WINDOW
from ..aws.run_patch_baseline import PatchTask, patch_task
from ..config import defaults
from ._base import TYPE_PREFIX, child, register_declared_outputs
from ._check_args import check_args, field_type
from .args import PatchWindowArgs

if TYPE_CHECKING:
    from ..config import MaintenanceWindowConfig


class PatchWindowPlumbing(TypedDict, total=False):
    """PatchWindow's args: MaintenanceWindowConfig's settings (snake_case) and these."""

    window_name: pulumi.Input[str]
    """Window name in AWS (^[a-zA-Z0-9_.-]{3,128}$); defaults to the component name."""
    patch_groups: Required[Sequence[str]]
    """Patch group tag values this window targets (1-50). Required; plain values."""
    patch_group_tag_key: str
    """'Patch Group' (default) or 'PatchGroup'."""
    output_s3_bucket: pulumi.Input[str]
    """Bucket for Run Command output."""
    output_s3_key_prefix: pulumi.Input[str]
    """Key prefix for this window's output; give each window its own."""
    cloudwatch_log_group_name: pulumi.Input[str]
    """Also stream Run Command output to this CloudWatch log group (in the window's region; the instance
    role must be allowed to write it: PatchingIam's log_group_name)."""
    service_role_arn: pulumi.Input[str]
    """Role the task runs as (PatchingIam's maintenance_window_role_arn); without it AWS uses the SSM
    service-linked role, which it no longer recommends and which cannot pass the notification role."""
    notification_topic_arn: pulumi.Input[str]
    """SNS topic for Run Command notifications."""
    notification_role_arn: pulumi.Input[str]
    """Role Run Command assumes to publish to the topic."""
    notification_events: Sequence[str]
    """Statuses that notify (default Failed, TimedOut, Cancelled)."""
    notification_type: str
    """Invocation (default: one message per instance) or Command (one per command, which ends Success while
    its failures stay under maxErrors)."""
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """Tags for the window."""
    customer: str
    """With snapshot_before_install: the Customer tag of the pre-patch snapshots (CustomerPatching's customer)."""
    snapshot_role_arn: pulumi.Input[str]
    """With snapshot_before_install: the role the snapshot-then-install runbook runs as (PatchingIam's
    snapshot_role_arn)."""
    snapshot_role_name: pulumi.Input[str]
    """Its name: the window lets it publish to notification_topic_arn when a run fails."""
    maintenance_window_role_name: pulumi.Input[str]
    """With snapshot_before_install: the name of service_role_arn's role, granted starting this window's runbook."""
    snapshot_document_name: str
    """With snapshot_before_install: the runbook's name (default: <window name>-snapshot-install)."""
    baseline_override: pulumi.Input[str]
    """Install with this BaselineOverride (``s3://bucket/key`` of a JSON list of baselines) instead of the patch
    groups' baselines: a later patch ring's cut-off (RingPromotion's override_url). Install windows only."""


def _types(config: Any) -> dict[str, Any]:
    """The types of the plumbing's plain values (the settings are MaintenanceWindowConfig's)."""
    from typing import Annotated

    from pydantic import Field

    return {
        "window_name": config.ResourceName,
        "patch_groups": Annotated[list[config.PatchGroupName], Field(min_length=1, max_length=MAX_GROUPS_PER_WINDOW)],
        "patch_group_tag_key": config.PatchGroupTagKey,
        "notification_events": field_type(config.NotificationsConfig, "events"),
        "notification_type": config.NotificationType,
        "tags": config.Tags,
        "customer": config.CustomerId,
        "snapshot_document_name": config.DocumentName,
    }


class PatchWindow(pulumi.ComponentResource):
    """A maintenance window, a target selecting its patch groups by tag, and one
    Run Command task running AWS-RunPatchBaseline (or ...WithHooks)."""

    window_id: pulumi.Output[str]
    """ID of the maintenance window."""
    target_id: pulumi.Output[str]
    """ID of the window target."""
    task_id: pulumi.Output[str]
    """ID of the patch task."""
    document: pulumi.Output[str]
    """The SSM document the task runs."""
    operation: pulumi.Output[str]
    """Scan or Install."""

    def __init__(self, name: str, args: PatchWindowArgs, opts: pulumi.ResourceOptions | None = None):
        # Checked before registering anything: bad args build nothing.
        settings, plumbing = check_args(
            "PatchWindow", name, args, PatchWindowArgs, settings="MaintenanceWindowConfig", types=_types
        )
        self._setup(name, settings, plumbing, opts)

    def _setup(
        self,
        name: str,
        settings: "MaintenanceWindowConfig",
        args: Mapping[str, Any],
        opts: pulumi.ResourceOptions | None,
    ) -> None:
        task_spec = window_task(settings)
        task_class = self._task_class(name, args.get("window_name") or name, settings, args)  # checked first
        super().__init__(f"{TYPE_PREFIX}PatchWindow", name, None, opts)

        window_name = args.get("window_name") or name
        window = aws.ssm.MaintenanceWindow(
            name,
            name=window_name,
            description=settings.description,
            schedule=settings.schedule,
            schedule_timezone=settings.timezone,
            schedule_offset=settings.schedule_offset,
            duration=settings.duration_hours,
            cutoff=settings.cutoff_hours,
            # Tasks run only on registered targets, never on whatever else is tagged.
            allow_unassociated_targets=False,
            # An approval-gated window starts disabled: the freeze guard enables it around approved occurrences.
            enabled=False if settings.requires_approval else None,
            tags=args.get("tags"),
            opts=child(self),
        )
        tag_key = args.get("patch_group_tag_key", defaults.PATCH_GROUP_TAG_KEY)
        target = aws.ssm.MaintenanceWindowTarget(
            f"{name}-targets",
            window_id=window.id,
            name=pulumi.Output.concat(window_name, "-patch-groups"),
            description=f"Instances tagged {tag_key!r} with one of this window's patch groups",
            resource_type="INSTANCE",
            # Sorted: the order of the stack file must not show up as a diff.
            targets=[{"key": f"tag:{tag_key}", "values": sorted(args["patch_groups"])}],
            opts=child(self),
        )

        ssm = aws.ssm
        notification = None
        if args.get("notification_topic_arn") is not None:
            notification = ssm.MaintenanceWindowTaskTaskInvocationParametersRunCommandParametersNotificationConfigArgs(
                notification_arn=args["notification_topic_arn"],
                notification_events=list(args.get("notification_events") or defaults.NOTIFICATION_EVENTS),
                notification_type=args.get("notification_type", defaults.NOTIFICATION_TYPE),
            )
        parameters = [
            ssm.MaintenanceWindowTaskTaskInvocationParametersRunCommandParametersParameterArgs(name=k, values=v)
            for k, v in task_spec.parameters.items()
        ]
        if args.get("baseline_override") is not None and settings.operation == "Install":  # a later patch ring
            parameters.append(
                ssm.MaintenanceWindowTaskTaskInvocationParametersRunCommandParametersParameterArgs(
                    name="BaselineOverride", values=[args["baseline_override"]]
                )
            )
        run_command = ssm.MaintenanceWindowTaskTaskInvocationParametersRunCommandParametersArgs(
            comment=f"{settings.operation} ({name})",
            parameters=parameters,
            output_s3_bucket=args.get("output_s3_bucket"),
            output_s3_key_prefix=args.get("output_s3_key_prefix"),
            timeout_seconds=delivery_timeout_seconds(settings),
            cloudwatch_config=(
                ssm.MaintenanceWindowTaskTaskInvocationParametersRunCommandParametersCloudwatchConfigArgs(
                    cloudwatch_output_enabled=True, cloudwatch_log_group_name=args["cloudwatch_log_group_name"]
                )
                if args.get("cloudwatch_log_group_name") is not None
                else None
            ),
            # The role Run Command publishes the notifications with.
            service_role_arn=args.get("notification_role_arn") if notification else None,
            notification_config=notification,
        )
        task = task_class(
            f"{name}-patch",
            window_id=window.id,
            name=pulumi.Output.concat(window_name, "-patch"),
            description=f"{settings.operation} patches with the patch group's baseline",
            task_type="RUN_COMMAND",
            task_arn=task_spec.document,
            priority=1,
            cutoff_behavior=settings.cutoff_behavior,
            service_role_arn=args.get("service_role_arn"),
            max_concurrency=settings.max_concurrency,
            max_errors=settings.max_errors,
            targets=[aws.ssm.MaintenanceWindowTaskTargetArgs(key="WindowTargetIds", values=[target.id])],
            task_invocation_parameters=ssm.MaintenanceWindowTaskTaskInvocationParametersArgs(
                run_command_parameters=run_command
            ),
            opts=child(self),
        )

        for advice in standard.window_advice(settings.cutoff_behavior):
            pulumi.log.warn(f"PatchWindow {name!r}: {advice.field}: {advice.message}", resource=self)

        self.window_id = window.id
        self.target_id = target.id
        self.task_id = task.id
        self.document = pulumi.Output.from_input(task_spec.document)
        self.operation = pulumi.Output.from_input(settings.operation)
        register_declared_outputs(self)

    def _task_class(self, name: str, window_name: Any, settings: "MaintenanceWindowConfig", args: Mapping[str, Any]):
        """The window's task: Run Command, or with snapshotBeforeInstall (install windows only) the Automation
        task that snapshots each node before its install (components/snapshot_install.py)."""
        if settings.snapshot_before_install is None or settings.operation != "Install":
            return aws.ssm.MaintenanceWindowTask
        from .snapshot_install import install_task_factory

        return install_task_factory(self, name, window_name, settings, args)


def delivery_timeout_seconds(settings: "MaintenanceWindowConfig") -> int:
    """The task's TimeoutSeconds: "if this time is reached and the command hasn't already started running,
    it doesn't run" (MaintenanceWindowRunCommandParameters). Nodes still waiting for their turn under the rate
    control then start no later than minutesPerNode before the cutoff, so an install that starts has that long
    before CANCEL_TASK cancels what is still running (docs/aws-behaviour.md, "The cutoff")."""
    before_cutoff = (settings.duration_hours - settings.cutoff_hours) * 60
    return max(defaults.AWS_MIN_TASK_TIMEOUT_SECONDS, (before_cutoff - settings.node_minutes) * 60)


def window_task(settings: "MaintenanceWindowConfig") -> PatchTask:
    """The Run Command task a window runs."""
    hooks = settings.hooks.model_dump() if settings.hooks else None
    return patch_task(settings.operation, settings.reboot_option, hooks)
