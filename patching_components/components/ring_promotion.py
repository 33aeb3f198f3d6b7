"""RingPromotion: a later patch ring's promotion in one region.

The ring's install windows run ``AWS-RunPatchBaseline`` with ``BaselineOverride`` = an object in the log bucket
(PatchWindow's ``baseline_override``): the ring's baselines with every approval rule cut off at a date. This
component writes the first such object, which approves nothing (a ring nobody promoted installs nothing new),
and never touches it again (``ignore_changes``): the promotion runbook (documents/ring-promotion.yaml) owns it.
The runbook runs as a priority-0 task of each of the ring's install windows, before the patch task (priority
1), as a role of its own that may read this customer's window executions, patch states and the EC2 instances
tagged with the previous ring's groups (each must have reported the install), read and write this
one object, and tell the customer's topic. The instance role may read the object (the agent downloads it).
"""

import json
from collections.abc import Mapping, Sequence
from typing import Any, Required, TypedDict

import pulumi
import pulumi_aws as aws

from ..aws.automation_doc import dump_document, shipped_runbook
from ..config.defaults import PATCH_GROUP_TAG_KEY
from ..iam_policies import ring_override_read_document, ring_promotion_document, schedule_policy_document
from ._base import TYPE_PREFIX, account_policy, child, lookup, register_declared_outputs
from ._check_args import check_args
from .args import RingPromotionArgs
from .iam import ssm_service_role

PROMOTION_PRIORITY = 0
"""The promotion task's priority: before the patch task (PatchWindow's, priority 1). A window runs its tasks in
priority order ("Maintenance window task priority"); a promotion that fails or is refused leaves the override in
force, so the patch task that follows installs nothing newer."""


class RingPromotionPlumbing(TypedDict, total=False):
    """RingPromotion's args."""

    customer: Required[str]
    """The runbook may read the executions of windows tagged Customer: <customer>."""
    ring: Required[str]
    """This ring's name."""
    previous_ring: Required[str]
    """The ring before it."""
    previous_window_ids: Required[pulumi.Input[Sequence[pulumi.Input[str]]]]
    """The previous ring's install windows in this region."""
    previous_patch_groups: Required[Sequence[str]]
    """The previous ring's patch groups."""
    previous_window_groups: Sequence[Sequence[str]]
    """The previous ring's patch groups each of ``previous_window_ids`` installs on, in the same order: a node is
    judged against the latest soaked execution of its own group's window(s). Default: each window counts for
    every group (a node must have reported since the latest of them started)."""
    count_missing: bool
    """Refuse when a node of the previous ring misses approved patches (default true; false when the previous
    ring is itself a later ring, whose scans compare with its baseline beyond its cut-off)."""
    soak_days: Required[int]
    """Days between the previous ring's install and this ring's promotion."""
    window_ids: Required[Mapping[str, pulumi.Input[str]]]
    """This ring's install windows in this region, by window key: each gets the promotion task."""
    override_template: Required[str]
    """This ring's baselines as BaselineOverride takes them, each rule with its own approval (JSON)."""
    initial_override: Required[str]
    """The override written when the ring is created: approves nothing (JSON)."""
    bucket: Required[pulumi.Input[str]]
    """The log bucket."""
    override_key: Required[str]
    """The key of the override object."""
    document_name: Required[str]
    """Name of the promotion runbook."""
    maintenance_window_role_arn: Required[pulumi.Input[str]]
    """The windows' service role (PatchingIam's): it starts the runbook."""
    maintenance_window_role_name: Required[pulumi.Input[str]]
    """Its name: it is granted starting exactly this runbook with the promotion role."""
    instance_role_name: Required[pulumi.Input[str]]
    """The instance role (PatchingIam's): it may read the override object."""
    permissions_boundary: pulumi.Input[str]
    """Permissions boundary of the promotion role."""
    kms_key_arn: pulumi.Input[str]
    """The log bucket's KMS key (logging.kmsKeyArn), when it has one."""
    notification_topic_arn: pulumi.Input[str]
    """SNS topic told of a refusal or a failed run."""
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """Tags for the role, runbook and object."""
    bucket_region: str
    """The log bucket's region (the stack's first region), where the override object is written from any region;
    default: the provider's."""
    role_arn: pulumi.Input[str]
    """The ring's promotion role, made by the ring's RingPromotion in the stack's first region (IAM is global:
    one role per ring); without it, this component makes it."""
    role_name: pulumi.Input[str]
    """Its name (with role_arn): this region's policy is added to it."""
    patch_group_tag_key: str
    """The tag key naming an instance's patch group (patching:patchGroupTagKey; default ``Patch Group``): every
    EC2 instance tagged with one of the previous ring's groups belongs to it and must have reported its install."""


def promotion_document(defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The runbook with its parameters defaulting to this ring's settings (it runs with no arguments)."""
    return shipped_runbook("ring-promotion.yaml", defaults)


class RingPromotion(pulumi.ComponentResource):
    """A later ring's override object, promotion runbook and role, and the promotion task in each of the ring's
    install windows, in the region of its provider."""

    document_name: pulumi.Output[str]
    """The promotion runbook (``patching promote`` runs its steps; it also runs by hand with no arguments)."""
    override_url: pulumi.Output[str]
    """``s3://<bucket>/<key>``: the BaselineOverride of the ring's install tasks."""
    role_arn: pulumi.Output[str]
    """The promotion role."""
    role_name: pulumi.Output[str]
    """Its name."""

    def __init__(self, name: str, args: RingPromotionArgs, opts: pulumi.ResourceOptions | None = None):
        _, args = check_args("RingPromotion", name, args, RingPromotionArgs, types=_types)
        window_groups = args.get("previous_window_groups")
        previous_ids = args["previous_window_ids"]
        if window_groups is not None and isinstance(previous_ids, Sequence) and len(window_groups) != len(previous_ids):
            raise ValueError(
                f"RingPromotion {name}: previous_window_groups has {len(window_groups)} entries and "
                f"previous_window_ids {len(previous_ids)}: give one list of patch groups per window, in the same order"
            )
        super().__init__(f"{TYPE_PREFIX}RingPromotion", name, None, opts)
        tags = args.get("tags")
        bucket = pulumi.Output.from_input(args["bucket"])
        key = args["override_key"]
        kms = pulumi.Output.from_input(args.get("kms_key_arn") or "")
        topic = pulumi.Output.from_input(args.get("notification_topic_arn") or "")
        if args.get("role_arn") is not None and args.get("role_name") is not None:
            role_arn, role_name = pulumi.Output.from_input(args["role_arn"]), args["role_name"]
        else:
            role = ssm_service_role(
                self,
                f"{name}-role",
                f"Patch ring {args['ring']}: promote ring {args['previous_ring']}'s patch set",
                lookup(self, "partition"),
                lookup(self, "account_id"),
                args.get("permissions_boundary"),
                tags,
            )
            role_arn, role_name = role.arn, role.name
        policy = aws.iam.RolePolicy(
            f"{name}-role",
            role=role_name,
            policy=account_policy(
                self,
                lambda b, t, k, **account: ring_promotion_document(
                    customer=args["customer"],
                    bucket=b,
                    override_key=key,
                    topic_arn=t or None,
                    kms_key_arn=k or None,
                    **account,
                ),
                bucket,
                topic,
                kms,
            ),
            opts=child(self),
        )
        aws.iam.RolePolicy(
            f"{name}-read-override",
            role=args["instance_role_name"],
            policy=account_policy(
                self,
                lambda b, k, partition, **_: ring_override_read_document(
                    partition=partition, bucket=b, override_key=key, kms_key_arn=k or None
                ),
                bucket,
                kms,
            ),
            opts=child(self),
        )
        # Written once, then the runbook's: a `pulumi up` never puts back the approve-nothing override.
        aws.s3.BucketObjectv2(
            f"{name}-override",
            bucket=bucket,
            key=key,
            content=args["initial_override"],
            content_type="application/json",
            region=args.get("bucket_region"),  # the bucket's, whatever region this ring's windows are in
            metadata={"ring": args["ring"], "source-execution": "none", "cutoffs": "none (nothing approved)"},
            tags=tags,
            opts=child(self, ignore_changes=["content", "metadata", "contentType", "source", "etag"]),
        )
        document_name = args["document_name"]
        document = aws.ssm.Document(
            f"{name}-promotion",
            name=document_name,
            document_type="Automation",
            document_format="YAML",
            content=pulumi.Output.all(
                role_arn, bucket, pulumi.Output.from_input(args["previous_window_ids"]), topic
            ).apply(
                lambda v: dump_document(
                    promotion_document(
                        {
                            "AutomationAssumeRole": v[0],
                            "Ring": args["ring"],
                            "PreviousRing": args["previous_ring"],
                            "PreviousWindowIds": list(v[2]),
                            "PreviousPatchGroups": list(args["previous_patch_groups"]),
                            "PreviousWindowGroups": _window_groups(list(v[2]), window_groups),
                            "PatchGroupTagKey": args.get("patch_group_tag_key", PATCH_GROUP_TAG_KEY),
                            "CountMissing": args.get("count_missing", True),
                            "SoakDays": args["soak_days"],
                            "Bucket": v[1],
                            "OverrideKey": key,
                            "OverrideTemplate": args["override_template"],
                            "NotificationTopicArn": v[3],
                        }
                    )
                )
            ),
            tags=tags,
            opts=child(self),
        )
        start_policy = aws.iam.RolePolicy(
            f"{name}-start",
            role=args["maintenance_window_role_name"],
            policy=account_policy(
                self,
                lambda arn, **account: schedule_policy_document(
                    document_name=document_name, automation_role_arn=arn, **account
                ),
                role_arn,
            ),
            opts=child(self),
        )
        for window, window_id in args["window_ids"].items():
            aws.ssm.MaintenanceWindowTask(
                f"{name}-{window}",
                window_id=window_id,
                name=f"{document_name}-task"[:128],
                description=f"Ring {args['ring']}: promote ring {args['previous_ring']}'s patch set first",
                task_type="AUTOMATION",
                task_arn=document.name,
                priority=PROMOTION_PRIORITY,
                cutoff_behavior="CANCEL_TASK",
                service_role_arn=args["maintenance_window_role_arn"],
                task_invocation_parameters={
                    "automation_parameters": {
                        "document_version": "$DEFAULT",
                        "parameters": [{"name": "AutomationAssumeRole", "values": [role_arn]}],
                    }
                },
                opts=child(self, depends_on=[policy, start_policy]),
            )

        self.document_name = document.name
        self.override_url = bucket.apply(lambda b: f"s3://{b}/{key}")
        self.role_arn = role_arn
        self.role_name = pulumi.Output.from_input(role_name)
        register_declared_outputs(self)


def _types(config: Any) -> dict[str, Any]:
    """The types of the args' plain values."""
    return {
        "customer": config.CustomerId,
        "tags": config.Tags,
        "document_name": config.DocumentName,
        "previous_patch_groups": list[config.PatchGroupName],
        "patch_group_tag_key": config.PatchGroupTagKey,
    }


def _window_groups(window_ids: list[str], groups: Sequence[Sequence[str]] | None) -> str:
    """The runbook's PreviousWindowGroups: window id -> the groups it installs on (JSON; {} without them)."""
    if groups is None:
        return "{}"
    return json.dumps({w: sorted(g) for w, g in zip(window_ids, groups, strict=True)}, sort_keys=True)


def override_json(baselines: list[dict[str, Any]]) -> str:
    """The override object's text."""
    return json.dumps(baselines, indent=2)
