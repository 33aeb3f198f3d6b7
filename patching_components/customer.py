"""CustomerPatching: one customer's whole patching setup from its stack config."""

from typing import TYPE_CHECKING, Any

import pulumi

from ._component import TYPE_PREFIX, child, register_declared_outputs
from .baseline import SecurityBaseline
from .config_args import CustomerPatchingArgs
from .golden_ami import GoldenAmiPipeline
from .iam import PatchingIam, PatchingIamArgs
from .policies import pipeline_names
from .reporting import PatchReporting, PatchReportingArgs
from .window import PatchWindow

if TYPE_CHECKING:
    from .config import StackConfig

MANAGED_BY = "patching-components"


def resource_tags(config: "StackConfig") -> dict[str, str]:
    """``patching:tags`` plus the tags every resource of ours carries."""
    return {**config.tags, "Customer": config.customer, "ManagedBy": MANAGED_BY}


class CustomerPatching(pulumi.ComponentResource):
    """IAM, security baselines, patch groups, maintenance windows, reporting and
    golden AMI pipelines for one customer, from one validated config.

    ``args`` holds the ``patching:`` keys of a stack file (the TypedDicts of
    ``config_args``); a ``StackConfig`` that was already validated is taken as is.
    """

    customer: pulumi.Output[str]
    """The customer id."""
    baseline_ids: pulumi.Output[dict[str, str]]
    """Baseline id per baseline key."""
    patch_groups: pulumi.Output[dict[str, list[str]]]
    """Baseline keys registered per patch group."""
    instance_profile_name: pulumi.Output[str]
    """Instance profile to attach to the customer's instances."""
    instance_role_arn: pulumi.Output[str]
    """ARN of the instance role."""
    automation_role_arn: pulumi.Output[str]
    """ARN of the SSM Automation role."""
    maintenance_window_ids: pulumi.Output[dict[str, str]]
    """Maintenance window id per window key."""
    log_bucket: pulumi.Output[str] | None
    """Bucket receiving Run Command output (None without logging)."""
    notification_topic_arn: pulumi.Output[str] | None
    """SNS topic of the patch notifications (None without notifications)."""
    golden_amis: pulumi.Output[dict[str, dict[str, str]]]
    """Per golden AMI pipeline: its documentName and amiParameter."""

    def __init__(
        self,
        name: str,
        args: CustomerPatchingArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        from .config import StackConfig, validate  # pydantic loads on first use, not on import

        # Validate first: an invalid config must register nothing, not even this component.
        config = args if isinstance(args, StackConfig) else validate(dict(args), f"CustomerPatching {name!r}")
        self._setup(name, config, opts)

    @classmethod
    def from_config(
        cls, name: str, config: "StackConfig", opts: pulumi.ResourceOptions | None = None
    ) -> "CustomerPatching":
        """The whole setup from a StackConfig (valid by construction), as the Pulumi program builds it."""
        component = cls.__new__(cls)
        component._setup(name, config, opts)
        return component

    def _setup(self, name: str, config: "StackConfig", opts: pulumi.ResourceOptions | None) -> None:
        super().__init__(f"{TYPE_PREFIX}CustomerPatching", name, None, opts)
        self.config = config
        tags = resource_tags(config)

        reporting = self._reporting(name, config, tags)
        iam_args: PatchingIamArgs = {"tags": tags}
        if config.permissions_boundary is not None:
            iam_args["permissions_boundary"] = config.permissions_boundary
        if reporting is not None and reporting.log_objects_arn is not None:
            iam_args["log_object_arns"] = [reporting.log_objects_arn]
        if config.patch_groups:
            iam_args["patch_groups"] = list(config.patch_groups)
            iam_args["patch_group_tag_key"] = config.patch_group_tag_key
        if reporting is not None and reporting.notification_role_arn is not None:
            iam_args["notification_role_arn"] = reporting.notification_role_arn
        iam = PatchingIam(name, iam_args, opts=child(self))

        groups_of = config.groups_by_baseline()
        baselines = {
            key: SecurityBaseline.from_config(
                f"{name}-{key}",
                settings,
                {"baseline_name": f"{config.customer}-{key}", "patch_groups": groups_of[key], "tags": tags},
                opts=child(self),
            )
            for key, settings in config.baselines.items()
        }

        windows = self._windows(name, config, tags, reporting, iam)
        from .checks import overlap_warnings

        for issue in overlap_warnings(config):  # what validate warns about, also at preview
            pulumi.log.warn(f"CustomerPatching {name!r}: {issue.key_path()}: {issue.message}", resource=self)
        pipelines = {}
        for key, ami in config.golden_amis.items():
            document_name, parameter_name = pipeline_names(config.customer, key)
            pipelines[key] = GoldenAmiPipeline.from_config(
                f"{name}-golden-{key}",
                ami,
                {
                    "customer": config.customer,
                    "patch_group_tag_key": config.patch_group_tag_key,
                    "instance_profile_name": iam.instance_profile_name,
                    "automation_role_arn": iam.automation_role_arn,
                    "automation_role_name": iam.automation_role_name,
                    **(
                        {
                            "maintenance_window_role_arn": iam.maintenance_window_role_arn,
                            "maintenance_window_role_name": iam.maintenance_window_role_name,
                        }
                        if iam.maintenance_window_role_arn is not None
                        else {}
                    ),
                    "document_name": document_name,
                    "ami_parameter_name": parameter_name,
                    "tags": tags,
                },
                # The first build starts on creation: after every policy of the roles it uses.
                opts=child(self, depends_on=[iam]),
            )

        self.customer = pulumi.Output.from_input(config.customer)
        self.baseline_ids = pulumi.Output.all(**{k: b.baseline_id for k, b in baselines.items()})
        self.patch_groups = pulumi.Output.from_input(
            {group: list(g.baselines) for group, g in config.patch_groups.items()}
        )
        self.instance_profile_name = iam.instance_profile_name
        self.instance_role_arn = iam.instance_role_arn
        self.automation_role_arn = iam.automation_role_arn
        self.maintenance_window_ids = pulumi.Output.all(**{k: w.window_id for k, w in windows.items()})
        self.log_bucket = reporting.bucket_name if reporting else None
        self.notification_topic_arn = reporting.topic_arn if reporting else None
        self.golden_amis = pulumi.Output.all(
            **{
                key: pulumi.Output.all(documentName=p.document_name, amiParameter=p.ami_parameter_name)
                for key, p in pipelines.items()
            }
        )
        register_declared_outputs(self)

    def _reporting(self, name: str, config: "StackConfig", tags: dict[str, str]) -> PatchReporting | None:
        logging, notifications = config.logging, config.notifications
        if not (logging and logging.enabled) and not notifications:
            return None
        args: PatchReportingArgs = {"tags": tags}
        if config.permissions_boundary is not None:
            args["permissions_boundary"] = config.permissions_boundary
        prefix = config.log_prefix()
        if logging and prefix is not None:
            args["s3_bucket"] = logging.s3_bucket
            args["s3_key_prefix"] = prefix
            if config.compliance is not None and config.compliance.data_sync:
                args["data_sync"] = True
            if logging.retention_days is not None:
                args["retention_days"] = logging.retention_days
        if notifications and notifications.emails:
            args["emails"] = notifications.emails
        elif notifications and notifications.sns_topic_arn:
            args["sns_topic_arn"] = notifications.sns_topic_arn
        return PatchReporting(name, args, opts=child(self))

    def _windows(
        self,
        name: str,
        config: "StackConfig",
        tags: dict[str, str],
        reporting: PatchReporting | None,
        iam: PatchingIam,
    ) -> dict[str, PatchWindow]:
        groups_of = config.groups_by_window()
        notifications = config.notifications
        windows = {}
        for key in config.maintenance_windows:
            args: dict[str, Any] = {
                "window_name": f"{config.customer}-{key}",
                "patch_groups": groups_of[key],
                "patch_group_tag_key": config.patch_group_tag_key,
                "service_role_arn": iam.maintenance_window_role_arn,
                "tags": tags,
            }
            if reporting is not None and reporting.bucket_name is not None:
                args["output_s3_bucket"] = reporting.bucket_name
                args["output_s3_key_prefix"] = config.window_log_prefix(key)
            if reporting is not None and notifications is not None:
                args["notification_topic_arn"] = reporting.topic_arn
                args["notification_role_arn"] = reporting.notification_role_arn
                args["notification_events"] = notifications.events
                args["notification_type"] = notifications.notification_type
            windows[key] = PatchWindow.from_config(f"{name}-{key}", config.window_as_built(key), args, opts=child(self))
        return windows
