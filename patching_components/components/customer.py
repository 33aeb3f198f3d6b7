"""CustomerPatching: one customer's whole patching setup from its stack config."""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pulumi

from .. import layout
from ..config import defaults
from ..config.approvals import approved_openings
from ._base import TYPE_PREFIX, child, in_region, register_declared_outputs
from ._check_args import check_args, checked
from .args import CustomerPatchingArgs
from .baseline import SecurityBaseline
from .catch_up import WindowCatchUp
from .freeze_guard import ChangeFreezeGuard
from .golden_ami import GoldenAmiPipeline
from .iam import PatchingIam
from .notices import PatchNotices
from .patch_reporting import PatchReporting, PatchReportingArgs
from .window import PatchWindow

if TYPE_CHECKING:
    from typing import TypeAlias

    from ..config import StackConfig

    Args: TypeAlias = CustomerPatchingArgs | StackConfig
else:
    Args = CustomerPatchingArgs  # what the component provider reads: the TypedDict

MANAGED_BY = "patching-components"


def resource_tags(config: "StackConfig") -> dict[str, str]:
    """``patching:tags`` plus the tags every resource of ours carries."""
    return {**config.tags, defaults.CUSTOMER_TAG: config.customer, "ManagedBy": MANAGED_BY}


def _guarded(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
    """Windows whose ``enabled`` the change freeze guard owns."""
    if args.type_ != "aws:ssm/maintenanceWindow:MaintenanceWindow":
        return None
    keep = pulumi.ResourceOptions(ignore_changes=[*(args.opts.ignore_changes or []), "enabled"])
    return pulumi.ResourceTransformationResult(args.props, pulumi.ResourceOptions.merge(args.opts, keep))


def _all(outputs: Mapping[str, Any]) -> pulumi.Output[Any]:
    """``Output.all`` of a map, also of an empty one (which ``Output.all()`` makes a list)."""
    return pulumi.Output.all(**outputs) if outputs else pulumi.Output.from_input({})


@dataclass(frozen=True)
class _Groups:
    """The patch groups of each baseline and of each window (config.groups_by_*), inverted once for
    every region."""

    by_baseline: dict[str, list[str]]
    by_window: dict[str, list[str]]


@dataclass
class _Region:
    """What CustomerPatching built in one region."""

    baselines: dict[str, SecurityBaseline]
    windows: dict[str, PatchWindow]
    pipelines: dict[str, GoldenAmiPipeline]
    reporting: PatchReporting | None

    @property
    def baseline_ids(self) -> pulumi.Output[dict[str, str]]:
        return _all({k: b.baseline_id for k, b in self.baselines.items()})

    @property
    def window_ids(self) -> pulumi.Output[dict[str, str]]:
        return _all({k: w.window_id for k, w in self.windows.items()})

    @property
    def golden_amis(self) -> pulumi.Output[dict[str, dict[str, str]]]:
        return _all(
            {
                key: pulumi.Output.all(documentName=p.document_name, amiParameter=p.ami_parameter_name)
                for key, p in self.pipelines.items()
            }
        )


class CustomerPatching(pulumi.ComponentResource):
    """IAM, security baselines, patch groups, maintenance windows, reporting and
    golden AMI pipelines for one customer, from one validated config.

    ``args`` holds the settings of a stack file's ``patching:`` keys, snake_case
    (``maintenance_windows``, ``patch_groups``, ``cutoff_hours``: ``CustomerPatchingArgs``),
    checked with the stack file's rules; a ``StackConfig`` (``config.validate`` of a stack
    file's camelCase keys) is taken as it is.
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
    baseline_ids_by_region: pulumi.Output[dict[str, dict[str, str]]] | None
    """With regions: baseline_ids of every region (the attributes above are the primary region's)."""
    maintenance_window_ids_by_region: pulumi.Output[dict[str, dict[str, str]]] | None
    """With regions: maintenance_window_ids of every region."""
    golden_amis_by_region: pulumi.Output[dict[str, dict[str, dict[str, str]]]] | None
    """With regions: golden_amis of every region."""
    notification_topic_arns_by_region: pulumi.Output[dict[str, str]] | None
    """With regions and notifications: the SNS topic of every region (topics are regional)."""

    def __init__(
        self,
        name: str,
        args: Args,
        opts: pulumi.ResourceOptions | None = None,
        region_providers: Mapping[str, pulumi.ProviderResource] | None = None,
    ):
        """Every region builds through ``opts``' provider (or the stack's default one), each regional
        resource with pulumi-aws v7's ``region`` argument. ``region_providers``: a provider of its own
        for a region of ``regions`` but the first, for a caller who wants one (its resources still get
        ``region``)."""
        from ..checks import refuse_unbuildable

        # Checked first: an invalid config must register nothing, not even this component.
        config, _ = check_args("CustomerPatching", name, args, CustomerPatchingArgs, settings="StackConfig")
        config = refuse_unbuildable(config, f"CustomerPatching {name!r}")
        self._setup(name, config, opts, region_providers)

    def _setup(
        self,
        name: str,
        config: "StackConfig",
        opts: pulumi.ResourceOptions | None,
        region_providers: Mapping[str, pulumi.ProviderResource] | None = None,
    ) -> None:
        super().__init__(f"{TYPE_PREFIX}CustomerPatching", name, None, opts)
        self.config = config
        self._task_args: dict[tuple[str | None, str], dict[str, Any]] = {}  # each window's, for its catch-up
        tags = resource_tags(config)

        regions = list(layout.regions(config))
        primary_opts = self._opts_in(regions[0], region_providers)
        reporting = self._reporting(name, config, tags, primary_opts)
        iam_args: dict[str, Any] = {"tags": tags}
        if config.permissions_boundary is not None:
            iam_args["permissions_boundary"] = config.permissions_boundary
        if reporting is not None and reporting.log_objects_arn is not None:
            iam_args["log_object_arns"] = [reporting.log_objects_arn]
        if config.logging is not None and config.logging.kms_key_arn is not None:
            iam_args["log_kms_key_arn"] = config.logging.kms_key_arn
        if config.logging is not None and config.logging.cloud_watch is not None:
            iam_args["log_group_name"] = layout.log_group_name(config.customer, config.logging.cloud_watch.log_group)
            if regions[0].region is not None:  # the log group exists in every region
                iam_args["log_group_regions"] = [str(where.region) for where in regions]
        if config.instance_role is not None:
            if config.instance_role.managed_policy_arns:
                iam_args["instance_policy_arns"] = list(config.instance_role.managed_policy_arns)
            if config.instance_role.statements:
                iam_args["instance_statements"] = list(config.instance_role.statements)
        if config.patch_groups:
            iam_args["patch_groups"] = list(config.patch_groups)
            iam_args["patch_group_tag_key"] = config.patch_group_tag_key
        if reporting is not None and reporting.notification_role_arn is not None:
            iam_args["notification_role_arn"] = reporting.notification_role_arn
        if layout.guarded(config):  # freezes or approval gates: the guard's roles
            iam_args["change_freezes"] = True
        if _catch_up_windows(config):
            iam_args["catch_up"] = True
        if config.strict_trust_conditions:
            iam_args["strict_trust_conditions"] = True
        if _snapshot_windows(config):
            iam_args["snapshot_customer"] = config.customer

        if _notices_wanted(config):
            iam_args["notices"] = True
        if any(w.stop_on_alarms for w in config.maintenance_windows.values()):
            iam_args["circuit_breaker"] = True  # the breakers' roles (CircuitBreaker, per region)
        # IAM is global: once, whatever the regions
        iam = PatchingIam(name, checked(None, **iam_args), opts=child(self))

        # Every region through the stack's (or the caller's) provider, each regional resource with its
        # region; the primary region with the names of a one-region stack, every other one carrying it.
        groups = _Groups(config.groups_by_baseline(), config.groups_by_window())  # once, for every region
        built = {
            regions[0].region: self._region(
                name, config, groups, regions[0], tags, reporting, reporting, iam, primary_opts
            )
        }
        for where in regions[1:]:
            opts_in_region = self._opts_in(where, region_providers)
            regional_reporting = self._regional_reporting(
                where.pulumi_name(name), config, tags, reporting, opts_in_region
            )
            built[where.region] = self._region(
                name, config, groups, where, tags, reporting, regional_reporting, iam, opts_in_region
            )

        from ..checks import hook_permission_warnings, overlap_warnings, schedule_warnings, unlisted_warnings
        from ..config.secrets import marked_texts, redact_text

        secret = marked_texts(config)  # a warning names the key path, never a secret's value
        # When the windows open is what a secret schedule (or freeze) says: the warning leaves it out.
        secret_times = bool(marked_texts(config.maintenance_windows) or marked_texts(config.change_freezes))
        for issue in overlap_warnings(config):  # what validate warns about, also at preview
            message = redact_text(issue.message, secret, secret)
            if secret_times:
                message = (
                    "two of its windows are open at the same time (when is left out: their schedules are secret); "
                    "move or shorten one"
                )
            pulumi.log.warn(f"CustomerPatching {name!r}: {issue.key_path()}: {message}", resource=self)
        for issue in schedule_warnings(config) + hook_permission_warnings(config) + unlisted_warnings(config):
            message = redact_text(issue.message, secret, secret)
            pulumi.log.warn(f"CustomerPatching {name!r}: {issue.key_path()}: {message}", resource=self)

        primary = built[regions[0].region]
        self.customer = pulumi.Output.from_input(config.customer)
        self.baseline_ids = primary.baseline_ids
        self.patch_groups = pulumi.Output.from_input(
            {group: list(g.baselines) for group, g in config.patch_groups.items()}
        )
        self.instance_profile_name = iam.instance_profile_name
        self.instance_role_arn = iam.instance_role_arn
        self.automation_role_arn = iam.automation_role_arn
        self.maintenance_window_ids = primary.window_ids
        self.log_bucket = reporting.bucket_name if reporting else None
        self.notification_topic_arn = reporting.topic_arn if reporting else None
        self.golden_amis = primary.golden_amis
        self.baseline_ids_by_region = self.maintenance_window_ids_by_region = None
        self.golden_amis_by_region = self.notification_topic_arns_by_region = None
        if regions[0].region is not None:  # patching:regions: per region too
            self.baseline_ids_by_region = _all({r: b.baseline_ids for r, b in built.items() if r})
            self.maintenance_window_ids_by_region = _all({r: b.window_ids for r, b in built.items() if r})
            self.golden_amis_by_region = _all({r: b.golden_amis for r, b in built.items() if r})
            if config.notifications is not None:
                self.notification_topic_arns_by_region = _all(
                    {r: b.reporting.topic_arn for r, b in built.items() if r and b.reporting and b.reporting.topic_arn}
                )
        register_declared_outputs(self)

    def _opts_in(
        self, where: layout.RegionLayout, region_providers: Mapping[str, pulumi.ProviderResource] | None
    ) -> pulumi.ResourceOptions:
        """Options of what is built in a region: children of this component (so through its provider,
        the caller's or the stack's default one, unless the caller gives the region one of its own),
        each regional resource with the region when the config names it.

        A stack built when each extra region had an aws.Provider of its own moves to the default
        provider without replacing anything (docs/aws-behaviour.md, "Moving a region from its own
        provider").
        tests/test_regions.py keeps every URN and input of the multi-region stacks as they were."""
        provider = None if where.primary or where.region is None else (region_providers or {}).get(where.region)
        opts = child(self, provider=provider)
        return opts if where.region is None else pulumi.ResourceOptions.merge(opts, in_region(where.region))

    def _region(
        self,
        name: str,
        config: "StackConfig",
        groups: "_Groups",
        where: layout.RegionLayout,
        tags: dict[str, str],
        logs: PatchReporting | None,
        reporting: PatchReporting | None,
        iam: PatchingIam,
        opts: pulumi.ResourceOptions,
    ) -> "_Region":
        """Baselines, windows and golden AMI pipelines of one region, named ``<name>[-<region>]-<key>``;
        ``logs`` has the log bucket, ``reporting`` the region's topic."""
        groups_of = groups.by_baseline
        baselines = {
            key: SecurityBaseline(
                where.pulumi_name(name, key),
                checked(
                    settings,
                    baseline_name=where.baseline_name(key),
                    patch_groups=groups_of[key],
                    tags=tags,
                ),
                opts=opts,
            )
            for key, settings in config.baselines.items()
        }
        opts_of_windows = opts
        if layout.guarded(config, where.windows) or layout.stop_alarms(config, where):
            # The guard (and the circuit breaker) switch the windows off and on: `pulumi up` must not undo it.
            opts_of_windows = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(transformations=[_guarded]))
        windows = self._windows(name, config, groups, where, tags, logs, reporting, iam, opts_of_windows)
        pipelines = {}
        for key in where.golden_amis:
            document_name, parameter_name = where.pipeline_names(key)
            pipelines[key] = GoldenAmiPipeline(
                where.pulumi_name(name, "golden", key),
                checked(
                    config.golden_amis[key],
                    **{
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
                ),
                # The first build starts on creation: after every policy of the roles it uses.
                opts=pulumi.ResourceOptions.merge(opts_of_windows, pulumi.ResourceOptions(depends_on=[iam])),
            )
        if config.rings and logs is not None and config.mode == "install":
            self._rings(name, config, where, tags, logs, reporting, iam, windows, opts)
        if layout.guarded(config, where.windows):
            topic = reporting.topic_arn if reporting is not None else None
            self._freeze_guard(where.pulumi_name(name), config, where, tags, iam, windows, pipelines, topic, opts)
        for key in _catch_up_windows(config):
            if key in windows:
                self._catch_up(name, config, where, key, windows[key], iam, opts)

        if _notices_wanted(config):
            _notices(where.pulumi_name(name), config, where, tags, iam, windows, reporting, opts)
        if layout.stop_alarms(config, where):
            from .circuit_breaker import circuit_breaker

            topic = reporting.topic_arn if reporting is not None else None
            catch_ups = [key for key in _catch_up_windows(config) if key in windows]
            circuit_breaker(
                where.pulumi_name(name), config, where, tags, iam, windows, pipelines, topic, opts, catch_ups=catch_ups
            )
        return _Region(baselines, windows, pipelines, reporting)

    def _freeze_guard(
        self,
        name: str,
        config: "StackConfig",
        where: layout.RegionLayout,
        tags: dict[str, str],
        iam: PatchingIam,
        windows: dict[str, PatchWindow],
        pipelines: dict[str, GoldenAmiPipeline],
        topic_arn: pulumi.Output[str] | None,
        opts: pulumi.ResourceOptions,
    ) -> ChangeFreezeGuard:
        """The region's Change Calendar and the guard of every window in it (patch and rebuild)."""
        calendar_name, guard_name = where.freeze_names()
        window_ids = [w.window_id for w in windows.values()]
        window_ids += [p.window_id for p in pipelines.values() if p.window_id is not None]
        assert iam.freeze_guard_role_arn is not None and iam.freeze_guard_role_name is not None
        assert iam.freeze_events_role_arn is not None and iam.freeze_events_role_name is not None
        args: dict[str, Any] = {
            "customer": config.customer,
            "freezes": config.change_freezes,  # the models as they are
            "window_ids": pulumi.Output.all(*window_ids),
            "guard_role_arn": iam.freeze_guard_role_arn,
            "guard_role_name": iam.freeze_guard_role_name,
            "events_role_arn": iam.freeze_events_role_arn,
            "events_role_name": iam.freeze_events_role_name,
            "calendar_name": calendar_name,
            "guard_document_name": guard_name,
            "tags": tags,
        }
        if topic_arn is not None:
            args["notification_topic_arn"] = topic_arn
        gated = layout.approval_gated(config, where.windows)
        if gated:  # approval gates: a calendar per gated window, read with the freezes' for that window
            args["approval_window_ids"] = {key: windows[key].window_id for key in gated}
            args["approval_calendar_names"] = {
                key: layout.approval_calendar_name(config.customer, key, where.named_region) for key in gated
            }
            args["approval_openings"] = {key: _approval_openings(config, key) for key in gated}
        return ChangeFreezeGuard(name, checked(None, **args), opts=opts)

    def _reporting(
        self, name: str, config: "StackConfig", tags: dict[str, str], opts: pulumi.ResourceOptions
    ) -> PatchReporting | None:
        logging, notifications = config.logging, config.notifications
        if not (logging and (logging.enabled or logging.cloud_watch)) and not notifications:
            return None
        args: PatchReportingArgs = {"tags": tags}
        if config.permissions_boundary is not None:
            args["permissions_boundary"] = config.permissions_boundary
        if config.strict_trust_conditions:
            args["strict_trust_conditions"] = True
        prefix = layout.log_prefix(config)
        if logging and prefix is not None:
            args["s3_bucket"] = logging.s3_bucket
            args["s3_key_prefix"] = prefix
            if config.compliance is not None and config.compliance.data_sync:
                args["data_sync"] = True
            if logging.retention_days is not None:
                args["retention_days"] = logging.retention_days
        self._cloudwatch_args(config, args)
        if notifications and notifications.emails:
            args["emails"] = notifications.emails
        elif notifications and notifications.sns_topic_arn:
            args["sns_topic_arn"] = notifications.sns_topic_arn
        return PatchReporting(name, checked(None, **args), opts=opts)

    @staticmethod
    def _cloudwatch_args(config: "StackConfig", args: PatchReportingArgs) -> None:
        """The log group of the Run Command output, in every region."""
        cloud_watch = config.logging.cloud_watch if config.logging else None
        if cloud_watch is not None:
            args["cloudwatch_log_group"] = layout.log_group_name(config.customer, cloud_watch.log_group)
            args["cloudwatch_retention_days"] = cloud_watch.retention_days
            if cloud_watch.kms_key_arn is not None:
                args["cloudwatch_kms_key_arn"] = cloud_watch.kms_key_arn

    def _regional_reporting(
        self,
        name: str,
        config: "StackConfig",
        tags: dict[str, str],
        primary: PatchReporting | None,
        opts: pulumi.ResourceOptions,
    ) -> PatchReporting | None:
        """A non-primary region's topic (SNS topics are regional) and data sync, into the primary
        region's bucket and published with its role: no bucket and no role of its own."""
        notifications = config.notifications
        emails = notifications.emails if notifications else None
        data_sync = bool(config.compliance and config.compliance.data_sync)
        cloud_watch = bool(config.logging and config.logging.cloud_watch)
        if primary is None or not (emails or data_sync or cloud_watch):
            return None
        args: PatchReportingArgs = {"tags": tags}
        self._cloudwatch_args(config, args)
        if data_sync and primary.bucket_name is not None:
            args["s3_bucket"] = primary.bucket_name
            args["s3_key_prefix"] = layout.log_prefix(config) or ""
            args["s3_bucket_region"] = layout.primary_region(config) or ""
            args["data_sync"] = True
        if emails and primary.notification_role_name is not None and primary.notification_role_arn is not None:
            args["emails"] = emails
            args["notification_role_name"] = primary.notification_role_name
            args["notification_role_arn"] = primary.notification_role_arn
        return PatchReporting(name, checked(None, **args), opts=opts)

    def _windows(
        self,
        name: str,
        config: "StackConfig",
        groups: "_Groups",
        where: layout.RegionLayout,
        tags: dict[str, str],
        logs: PatchReporting | None,
        reporting: PatchReporting | None,
        iam: PatchingIam,
        opts: pulumi.ResourceOptions,
    ) -> dict[str, PatchWindow]:
        groups_of = groups.by_window
        notifications = config.notifications
        windows = {}
        for key in where.windows:
            args: dict[str, Any] = {
                "window_name": where.window_name(key),
                "patch_groups": groups_of[key],
                "patch_group_tag_key": config.patch_group_tag_key,
                "service_role_arn": iam.maintenance_window_role_arn,
                "tags": tags,
            }
            if logs is not None and logs.bucket_name is not None:
                # One bucket for every region: the agent finds the bucket's region itself.
                args["output_s3_bucket"] = logs.bucket_name
                args["output_s3_key_prefix"] = layout.window_log_prefix(config, key, where.named_region)
            override = _ring_override(config, key, where, logs)
            if override is not None:  # a later patch ring's install window: its cut-off, not the baselines'
                args["baseline_override"] = override
            if reporting is not None and reporting.log_group_name is not None:
                args["cloudwatch_log_group_name"] = reporting.log_group_name
            if reporting is not None and reporting.topic_arn is not None and notifications is not None:
                args["notification_topic_arn"] = reporting.topic_arn
                args["notification_role_arn"] = reporting.notification_role_arn
                args["notification_events"] = notifications.events
                args["notification_type"] = notifications.notification_type
            if key in _snapshot_windows(config) and iam.snapshot_role_arn is not None:
                args["customer"] = config.customer
                args["snapshot_role_arn"] = iam.snapshot_role_arn
                args["snapshot_role_name"] = iam.snapshot_role_name
                args["maintenance_window_role_name"] = iam.maintenance_window_role_name
            windows[key] = PatchWindow(
                where.pulumi_name(name, key), checked(layout.window_as_built(config, key), **args), opts=opts
            )
            self._task_args[where.region, key] = args
        return windows

    def _rings(
        self,
        name: str,
        config: "StackConfig",
        where: layout.RegionLayout,
        tags: dict[str, str],
        logs: PatchReporting,
        reporting: PatchReporting | None,
        iam: PatchingIam,
        windows: dict[str, PatchWindow],
        opts: pulumi.ResourceOptions,
    ) -> None:
        """Each later patch ring's promotion in this region (see RingPromotion)."""
        from .. import rings
        from ..config.rings import install_windows
        from .ring_promotion import RingPromotion, override_json

        assert logs.bucket_name is not None and iam.maintenance_window_role_arn is not None
        assert iam.maintenance_window_role_name is not None
        for index in range(1, len(config.rings)):
            ring, previous = config.rings[index], config.rings[index - 1]
            mine = [k for k in install_windows(config, ring.patch_groups) if k in windows]
            before = [k for k in install_windows(config, previous.patch_groups) if k in windows]
            key = layout.ring_override_key(config, ring.name, where.named_region)
            if not mine or key is None:
                continue
            template = rings.override_template(config, ring)
            by_window = config.groups_by_window()
            args: dict[str, Any] = {
                "customer": config.customer,
                "ring": ring.name,
                "previous_ring": previous.name,
                "previous_window_ids": [windows[k].window_id for k in before],
                "previous_patch_groups": list(previous.patch_groups),
                "previous_window_groups": [
                    sorted(set(by_window.get(k, [])) & set(previous.patch_groups)) for k in before
                ],
                "count_missing": index == 1,
                "soak_days": ring.soak_days,
                "window_ids": {k: windows[k].window_id for k in mine},
                "override_template": json.dumps(template),
                "initial_override": override_json(rings.promoted(template, None)),
                "bucket": logs.bucket_name,
                "override_key": key,
                "document_name": layout.ring_promotion_document_name(config.customer, ring.name, where.named_region),
                "maintenance_window_role_arn": iam.maintenance_window_role_arn,
                "maintenance_window_role_name": iam.maintenance_window_role_name,
                "instance_role_name": iam.instance_role_name,
                "tags": tags,
            }
            if config.permissions_boundary is not None:
                args["permissions_boundary"] = config.permissions_boundary
            if layout.primary_region(config) is not None:
                args["bucket_region"] = layout.primary_region(config)
            if config.logging is not None and config.logging.kms_key_arn is not None:
                args["kms_key_arn"] = config.logging.kms_key_arn
            if reporting is not None and reporting.topic_arn is not None:
                args["notification_topic_arn"] = reporting.topic_arn
            args["patch_group_tag_key"] = config.patch_group_tag_key  # the previous ring's nodes: tagged so
            roles: dict[str, RingPromotion] = self.__dict__.setdefault("_ring_roles", {})  # IAM is global
            if ring.name in roles:  # the ring's role, made in the first region it is built in
                args["role_arn"], args["role_name"] = roles[ring.name].role_arn, roles[ring.name].role_name
            promotion = RingPromotion(where.pulumi_name(name, "ring", ring.name), checked(None, **args), opts=opts)
            roles.setdefault(ring.name, promotion)

    def _catch_up(
        self,
        name: str,
        config: "StackConfig",
        where: layout.RegionLayout,
        key: str,
        window: PatchWindow,
        iam: PatchingIam,
        opts: pulumi.ResourceOptions,
    ) -> WindowCatchUp:
        """The catch-up of an install window in a region: its nodes that start after missing it are sent
        the window's own command (the args its PatchWindow got), while every calendar of the region is OPEN."""
        assert iam.catch_up_role_arn is not None and iam.catch_up_role_name is not None
        assert iam.catch_up_events_role_arn is not None and iam.catch_up_events_role_name is not None
        task_args = self._task_args[where.region, key]
        calendar_names = [where.freeze_names()[0]] if config.change_freezes else []
        if config.maintenance_windows[key].requires_approval:
            calendar_names.append(layout.approval_calendar_name(config.customer, key, where.named_region))
        args: dict[str, Any] = {
            **{k: v for k, v in task_args.items() if k not in ("window_name", "service_role_arn")},
            "customer": config.customer,
            "window_id": window.window_id,
            "role_arn": iam.catch_up_role_arn,
            "role_name": iam.catch_up_role_name,
            "events_role_arn": iam.catch_up_events_role_arn,
            "events_role_name": iam.catch_up_events_role_name,
            "document_name": layout.catch_up_document_name(config.customer, key, where.named_region),
            "calendar_names": calendar_names,
        }
        return WindowCatchUp(
            where.pulumi_name(name, key, "catch-up"), checked(layout.window_as_built(config, key), **args), opts=opts
        )


def _catch_up_windows(config: "StackConfig") -> list[str]:
    """The install windows (as built: not under ``mode: scan-only``) with ``catchUp``."""
    return [
        key
        for key, window in config.maintenance_windows.items()
        if window.catch_up is not None and layout.window_as_built(config, key).operation == "Install"
    ]


def _snapshot_windows(config: "StackConfig") -> list[str]:
    """The windows that snapshot each node before installing (maintenanceWindows.<k>.snapshotBeforeInstall),
    as built: none in mode scan-only (nothing is installed)."""
    return [
        key
        for key in config.maintenance_windows
        if config.maintenance_windows[key].snapshot_before_install is not None
        and layout.window_as_built(config, key).operation == "Install"
    ]


def _approval_openings(config: "StackConfig", key: str) -> Any:
    """The spans a gated window's approval calendar is OPEN, as ISO 8601 intervals; a secret when the
    window's settings hold one (its dates and times would show in the calendar)."""
    window = config.maintenance_windows[key]
    spans = [f"{a.isoformat()}/{b.isoformat()}" for a, b in approved_openings(window)]
    from ..config.secrets import marked_texts

    return pulumi.Output.secret(spans) if marked_texts(window) else spans


def _notices_wanted(config: "StackConfig") -> bool:
    """Whether the stack sends advance notices or window summaries (notifications.advanceNotice / summary)."""
    notifications = config.notifications
    return notifications is not None and (notifications.advance_notice is not None or notifications.summary)


def _notices(
    name: str,
    config: "StackConfig",
    where: layout.RegionLayout,
    tags: dict[str, str],
    iam: PatchingIam,
    windows: dict[str, PatchWindow],
    reporting: PatchReporting | None,
    opts: pulumi.ResourceOptions,
) -> PatchNotices | None:
    """The region's advance notices (its install windows) and summaries (every window), to its topic:
    the region's own, or the snsTopicArn the stack names (the runbooks publish in the topic's region)."""
    from .. import notice_runbooks, notices

    notifications = config.notifications
    assert notifications is not None and iam.notices_role_arn is not None and iam.notices_role_name is not None
    topic: pulumi.Input[str] | None = reporting.topic_arn if reporting is not None else None
    if topic is None:
        topic = notifications.sns_topic_arn
    if topic is None or not windows:
        return None
    keys = list(windows)
    calendar = where.freeze_names()[0] if config.change_freezes else ""
    installs = [k for k in keys if config.maintenance_windows[k].operation == "Install"]
    by_window = config.groups_by_window()

    advance = notifications.advance_notice
    settings = pulumi.Output.all(*(windows[k].window_id for k in keys)).apply(
        lambda ids: notices.settings(
            customer=config.customer,
            region=where.region or "",
            hours=advance.hours if advance is not None else 0,
            calendar=calendar,
            tag_key=config.patch_group_tag_key,
            scan_only=config.mode == "scan-only",
            windows=[notice_runbooks.notice_window(config, where, k, i) for k, i in zip(keys, ids, strict=True)],
        )
    )
    notice_name, summary_name = layout.notice_names(config.customer, where.named_region)
    args: dict[str, Any] = {
        "customer": config.customer,
        "runbook_settings": settings,
        "window_ids": pulumi.Output.all(*(windows[k].window_id for k in keys)),
        "topic_arn": topic,
        "role_arn": iam.notices_role_arn,
        "role_name": iam.notices_role_name,
        "events_role_arn": iam.notices_events_role_arn,
        "events_role_name": iam.notices_events_role_name,
        "advance_notice": advance is not None and bool(installs),
        "summary": notifications.summary,
        "patch_group_tag_key": config.patch_group_tag_key,
        "patch_groups": sorted({g for k in keys for g in by_window.get(k, [])}),
        "notice_document_name": notice_name,
        "summary_document_name": summary_name,
        "tags": tags,
    }
    if calendar:
        args["calendar_name"] = calendar
    gated = [
        layout.approval_calendar_name(config.customer, k, where.named_region)
        for k in layout.approval_gated(config, tuple(keys))
    ]
    if gated:
        args["approval_calendar_names"] = gated
    return PatchNotices(name, checked(None, **args), opts=opts)


def _ring_override(
    config: "StackConfig", key: str, where: layout.RegionLayout, logs: PatchReporting | None
) -> pulumi.Output[str] | None:
    """``s3://<log bucket>/<override key>`` when window ``key`` installs on a later patch ring."""
    if not config.rings or config.mode != "install" or logs is None or logs.bucket_name is None:
        return None
    from ..config.rings import install_windows

    for ring in config.rings[1:]:
        if key in install_windows(config, ring.patch_groups):
            override_key = layout.ring_override_key(config, ring.name, where.named_region)
            return pulumi.Output.concat("s3://", logs.bucket_name, "/", override_key or "")
    return None
