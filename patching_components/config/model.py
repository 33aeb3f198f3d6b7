"""The whole stack (namespace ``patching``): StackConfig, its sections (see sections, services),
and the rules across them (references, regions, names AWS takes). A StackConfig is valid by
construction; what only the built artefacts can tell (a Change Calendar's size, the inline
policies' size) is checked by :func:`patching_components.checks.built_artifact_issues`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

from pydantic import StrictBool, field_validator, model_validator

from .. import layout
from ..aws import limits as aws_limits
from . import defaults
from .base import PLACEHOLDER_ACCOUNT, ConfigModel, raise_issues
from .fields import (
    RESERVED_TAG_KEYS,
    CustomerId,
    Key,
    PatchGroupName,
    PatchGroupTagKey,
    PermissionsBoundaryArn,
    Regions,
    Tags,
)
from .references import reference_issues
from .rings import RingConfig, ring_issues
from .sections import BaselineConfig, ChangeFreezeConfig, ComplianceConfig, MaintenanceWindowConfig, PatchGroupConfig
from .services import GoldenAmiConfig, InstanceRoleConfig, LoggingConfig, NotificationsConfig
from .sla import Sla


class StackConfig(ConfigModel):
    """Everything under the ``patching:`` namespace of one customer stack."""

    customer: CustomerId
    """Customer id, ``^[a-z][a-z0-9-]{1,30}$``: used in names and the ``Customer`` tag."""
    mode: Literal["install", "scan-only", "disabled"] = "install"
    """``install`` (default), ``scan-only`` (every task scans) or ``disabled`` (nothing is built; an update removes
    what exists)."""
    patch_group_tag_key: PatchGroupTagKey = defaults.PATCH_GROUP_TAG_KEY
    """Instance tag key that names the patch group: ``Patch Group`` or ``PatchGroup`` (the only one that works with
    instance metadata tags)."""
    tags: Tags = {}
    """Tags added to every taggable resource, besides ``Customer`` and ``ManagedBy`` (reserved)."""
    permissions_boundary: PermissionsBoundaryArn | None = None
    """A managed policy ARN set as the permissions boundary of every role the stack creates (instance, automation,
    maintenance window, notification); landing zones require one."""
    strict_trust_conditions: StrictBool = False
    """Also put ``aws:SourceAccount``/``aws:SourceArn`` in the trust policies of the maintenance window and
    notification roles (the Automation role always has them, as AWS documents). AWS documents no condition for
    these two, and a condition key the service does not send denies every patch task or drops every notification:
    if you turn it on, **verify with one canary run** (a scan window with a notification, checking the task ran and
    the mail came) before relying on it."""
    instance_role: InstanceRoleConfig | None = None
    """Extra permissions of the instance role, for what runs on the nodes under it (patch hooks)."""
    regions: Regions | None = None
    """The regions to patch in, each built alike: no duplicates, one partition. The first is the primary region and
    must be ``aws:region``, which several regions require: IAM and the log bucket live there, and its resources
    keep the names of a one-region stack (see [Several regions](#several-regions))."""
    baselines: dict[Key, BaselineConfig] = {}
    """Security-only baselines, one OS each (see below); at least one unless ``mode: disabled``."""
    maintenance_windows: dict[Key, MaintenanceWindowConfig] = {}
    """Scan and install windows (see below)."""
    patch_groups: dict[PatchGroupName, PatchGroupConfig] = {}
    """Patch groups, keyed by the literal tag value on the instances (see below)."""
    logging: LoggingConfig | None = None
    """Run Command output to S3 and/or CloudWatch Logs (see below)."""
    notifications: NotificationsConfig | None = None
    """Run Command notifications through SNS (see below)."""
    golden_amis: dict[Key, GoldenAmiConfig] = {}
    """Golden AMI pipelines (see below)."""
    compliance: ComplianceConfig | None = None
    """Patch compliance evidence: a Resource Data Sync into the log bucket (see below)."""
    change_freezes: dict[Key, ChangeFreezeConfig] = {}
    """Periods in which no patch window starts (Black Friday, quarter close): ``<key>: {start, end, timezone}``, a
    Change Calendar per region and a runbook that keeps every window of the customer disabled while it is CLOSED
    (see [Freezes](#freezes-and-the-circuit-breaker))."""
    sla: Sla | None = None
    """Days from a fix's release to its install, per severity: ``{Critical: 7, Important: 14, Medium: 30}``
    (keys ``Critical``, ``Important``, ``Medium``, ``Low``; 1-365 whole days; a severity left out has no SLA).
    Nothing is built from it: ``patching report --sla`` judges installs and missing patches by it (see [SLA
    report](#sla-report-and-the-fleet-at-a-glance), which maps each operating system's severity values onto
    these four)."""
    rings: list[RingConfig] = []
    """Patch rings in install order, two (``- name: dev``, ``- name: prod``): the second installs exactly the patch
    set the first was given, at least ``soakDays`` after it, and nothing when that ring's last install failed (see
    [Patch rings](#patch-rings)). Needs ``logging.s3Bucket``."""

    @field_validator("customer")
    @classmethod
    def _not_an_aws_prefix(cls, customer: str) -> str:
        # The customer starts SSM document names, and AWS reserves these prefixes for its own.
        if customer.startswith(("aws", "amazon", "amzn")):
            raise ValueError(f"{customer!r} starts with a prefix AWS reserves for its documents (aws, amazon, amzn)")
        return customer

    @field_validator("tags")
    @classmethod
    def _no_reserved_tags(cls, tags: dict[str, str]) -> dict[str, str]:
        # IAM compares tag keys ignoring case: "customer" is the Customer tag, "Owner" and "owner" one key.
        reserved = {key.lower() for key in RESERVED_TAG_KEYS}
        lowered = [key.lower() for key in tags]
        issues: list[tuple[tuple[str | int, ...], str]] = [
            ((key,), f"tag {key!r} is set by patching-components; reserved: {', '.join(RESERVED_TAG_KEYS)}")
            for key in tags
            if key.lower() in reserved
        ]
        issues += [
            (
                (key,),
                f"tag {key!r} repeats {list(tags)[lowered.index(key.lower())]!r}: IAM ignores the case of tag keys",
            )
            for i, key in enumerate(tags)
            if lowered.index(key.lower()) != i
        ]
        issues += [
            ((key,), "tag keys starting with 'aws:' are reserved by AWS")
            for key in tags
            if key.lower().startswith("aws:")
        ]
        raise_issues(issues)
        return tags

    def groups_by_baseline(self) -> dict[str, list[str]]:
        """The patch groups each baseline is registered to (patchGroups.<group>.baselines, inverted):
        every baseline key, its groups in the order of patchGroups."""
        return _inverted(self.baselines, {group: c.baselines for group, c in self.patch_groups.items()})

    def groups_by_window(self) -> dict[str, list[str]]:
        """The patch groups each window targets (patchGroups.<group>.maintenanceWindows, inverted):
        every window key, its groups in the order of patchGroups."""
        return _inverted(
            self.maintenance_windows, {group: c.maintenance_windows for group, c in self.patch_groups.items()}
        )

    @model_validator(mode="after")
    def _references_hold(self) -> StackConfig:
        # The same checks validate() runs on the raw mapping (where they also report
        # references of a file broken elsewhere), here so that a StackConfig built in
        # Python is valid by construction: no patch group names a missing baseline.
        issues = reference_issues(self.model_dump(by_alias=True, include=_REFERENCED))
        raise_issues([(issue.path, issue.message) for issue in issues])
        return self

    @model_validator(mode="after")
    def _regions_hold(self) -> StackConfig:
        issues: list[tuple[tuple[str | int, ...], str]] = []
        regions = self.regions or []
        issues += [
            (("regions", i), f"{region!r} is listed twice")
            for i, region in enumerate(regions)
            if regions.index(region) != i
        ]
        partitions = {aws_limits.partition_of(r) for r in regions}
        if len(partitions) > 1:
            issues.append(
                (("regions",), f"one stack is one account, in one partition; these regions span {sorted(partitions)}")
            )
        for key, window in self.maintenance_windows.items():
            for i, region in enumerate(window.regions or []):
                if region not in regions:
                    issues.append((("maintenanceWindows", key, "regions", i), _unlisted_region(region, self.regions)))
        for key, ami in self.golden_amis.items():
            if ami.region is not None and ami.region not in regions:
                issues.append((("goldenAmis", key, "region"), _unlisted_region(ami.region, self.regions)))
        cloud_watch = self.logging.cloud_watch if self.logging else None
        if cloud_watch is not None and cloud_watch.kms_key_arn is not None and len(regions) > 1:
            # A log group's key is in the group's region, and the stack creates one group per region.
            issues.append(
                (
                    ("logging", "cloudWatch", "kmsKeyArn"),
                    "a KMS key is in one region and the stack creates a log group in each of patching:regions: "
                    "remove kmsKeyArn (CloudWatch Logs encrypts with its own keys) or use one region",
                )
            )
        if len(regions) > 1 and self.notifications is not None and self.notifications.sns_topic_arn is not None:
            issues.append(
                (
                    ("notifications", "snsTopicArn"),
                    "Run Command publishes to a topic in the window's own region, and a topic is in one: "
                    "with several regions, give emails (a topic per region)",
                )
            )
        # "<customer>-<region>-<key>" names a non-primary region's resources: no key may look like one.
        for section, keys in (
            ("baselines", self.baselines),
            ("maintenanceWindows", self.maintenance_windows),
            ("goldenAmis", self.golden_amis),
        ):
            for key in keys:
                clash = layout.name_clash(self.customer, key, layout.other_regions(self))
                if clash:
                    issues.append(
                        (
                            (section, key),
                            f"starts with region {clash!r}: its resources would share names with "
                            f"{clash}'s; rename the key",
                        )
                    )
        raise_issues(issues)
        return self

    @model_validator(mode="after")
    def _data_sync_needs_the_bucket(self) -> StackConfig:
        if self.compliance is not None and self.compliance.data_sync and not (self.logging and self.logging.enabled):
            raise_issues([(("compliance", "dataSync"), "writes to the log bucket: set logging.s3Bucket")])
        return self

    @model_validator(mode="after")
    def _advance_notice_needs_an_install_window(self) -> StackConfig:
        notifications = self.notifications
        if notifications is None or notifications.advance_notice is None:
            return self
        if not any(w.operation == "Install" for w in self.maintenance_windows.values()):
            raise_issues(
                [
                    (
                        ("notifications", "advanceNotice"),
                        "announces install windows, and no maintenance window has operation: Install; "
                        "remove advanceNotice or add an install window",
                    )
                ]
            )
        return self

    @model_validator(mode="after")
    def _rings_hold(self) -> StackConfig:
        raise_issues(ring_issues(self))
        return self


def _inverted(keys: Iterable[str], named_by: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """For each of ``keys``, the groups of ``named_by`` (group -> the keys it names, none twice) that
    name it, in the order of ``named_by``: one pass over the groups (a scan of every group per key
    made the program quadratic in the fleet)."""
    inverted: dict[str, list[str]] = {key: [] for key in keys}
    for group, named in named_by.items():
        for key in named:
            if key in inverted:
                inverted[key].append(group)
    return inverted


def stand_in(arn: str) -> bool:
    """An ARN that stands in offline for a Pulumi secret (see Secretable): its region says nothing."""
    return f":{PLACEHOLDER_ACCOUNT}:" in arn


def _unlisted_region(region: str, regions: list[str] | None) -> str:
    if not regions:
        return f"{region!r}: a stack without patching:regions builds in aws:region only; list its regions there"
    return f"{region!r} is not one of patching:regions ({', '.join(regions)})"


_REFERENCED = {"mode", "baselines", "maintenance_windows", "patch_groups", "golden_amis"}
TOP_LEVEL_KEYS: tuple[str, ...] = tuple(f.alias or name for name, f in StackConfig.model_fields.items())
