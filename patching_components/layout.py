"""What a customer's stack builds in each region, and under which names: the one home of both.

Data flows one way: stack file -> ``config.validate`` -> ``StackConfig`` -> here -> the components,
``patching plan``/``calendar``/``report``/``patch-now``, the freeze guard and the pipelines. Nothing
else computes a resource name or decides which region is the primary one.

The primary region is the first of ``patching:regions``, or, without that key, the stack's own
``aws:region`` (which the config does not name: ``RegionLayout.region`` is then None). Resources of the
primary region keep the names of a one-region stack; those of another region carry it in their
names, so adding a region renames nothing that exists.

It imports nothing else of the package (the config only as type hints), so ``config`` may check a
stack file's keys against the names made of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config.model import MaintenanceWindowConfig, StackConfig


def name_prefix(customer: str, region: str | None = None) -> str:
    """What a stack's resources are named with: the customer, and the region when it is not the
    primary one (None), whose resources keep the names of a one-region stack."""
    return customer if region is None else f"{customer}-{region}"


def keyed_name(customer: str, key: str, region: str | None = None) -> str:
    """The AWS name of a resource named after a config key (of a non-primary ``region``): ``<prefix>-<key>``."""
    return f"{name_prefix(customer, region)}-{key}"


def name_clash(customer: str, key: str, other_regions: Iterable[str]) -> str | None:
    """The non-primary region whose names the primary region's ``key`` would look like: key
    ``eu-west-1-nightly`` is named ``acme-eu-west-1-nightly``, as key ``nightly`` is in eu-west-1."""
    name = keyed_name(customer, key)
    return next((r for r in other_regions if name.startswith(f"{name_prefix(customer, r)}-")), None)


def window_name(customer: str, key: str, region: str | None = None) -> str:
    """The AWS name of a stack's maintenance window (of a non-primary ``region``)."""
    return keyed_name(customer, key, region)


def baseline_name(customer: str, key: str, region: str | None = None) -> str:
    """The AWS name of a stack's patch baseline (of a non-primary ``region``)."""
    return keyed_name(customer, key, region)


def alerts_topic_name(customer: str, region: str | None = None) -> str:
    """The Pulumi name of a stack's notification topic (of a non-primary ``region``): Pulumi names the
    topic in AWS with it and a random suffix of 7 hex digits (the program names its CustomerPatching
    after the customer)."""
    return f"{name_prefix(customer, region)}-alerts"


def pipeline_names(customer: str, key: str, region: str | None = None) -> tuple[str, str]:
    """Document name and AMI id parameter of a stack's pipeline (of a non-primary ``region``)."""
    path = customer if region is None else f"{customer}/{region}"
    return f"{name_prefix(customer, region)}-golden-ami-{key}", f"/patching/{path}/golden-ami/{key}"


def freeze_names(customer: str, region: str | None = None) -> tuple[str, str]:
    """The Change Calendar and the guard runbook of a stack's change freezes (in a non-primary ``region``)."""
    prefix = name_prefix(customer, region)
    return f"{prefix}-change-freezes", f"{prefix}-freeze-guard"


def log_group_name(customer: str, setting: str | None = None) -> str:
    """The CloudWatch log group of a stack's Run Command output (logging.cloudWatch.logGroup)."""
    return setting or f"/patching/{customer}"


def log_bucket_prefix(customer: str) -> str:
    """How the created log bucket's AWS name starts: Pulumi auto-names it ``<name>-logs-<7 hex digits>``,
    and the program names the customer's PatchReporting after the customer."""
    return f"{customer}-logs-"


def subscription_name(name: str, email: str) -> str:
    """Keyed by the address, so reordering the list replaces nothing, but by its digest: a URN is
    never secret, and the address may be (a Pulumi secret, or just personal data)."""
    return f"{name}-alerts-{hashlib.sha256(email.lower().encode()).hexdigest()[:16]}"


def primary_region(config: StackConfig) -> str | None:
    """The first of ``patching:regions`` (None without it: the stack's aws:region, unnamed here)."""
    return config.regions[0] if config.regions else None


def other_regions(config: StackConfig) -> list[str]:
    """The regions built besides the primary one, in the stack file's order."""
    return list(config.regions[1:]) if config.regions else []


def log_prefix(config: StackConfig) -> str | None:
    """``<s3Prefix>/<customer>``: customers can share a bucket without sharing write access."""
    if config.logging is None or not config.logging.enabled:
        return None
    return f"{config.logging.s3_prefix}/{config.customer}"


def data_sync_prefix(log_prefix: str) -> str:
    """Where a Resource Data Sync writes, below the stack's ``log_prefix``."""
    return f"{log_prefix}/sync"


def window_log_prefix(config: StackConfig, key: str, region: str | None = None) -> str | None:
    """One prefix per window (its OutputS3KeyPrefix), so scan and install output never mix; a window of
    a non-primary ``region`` writes below ``<log prefix>/<region>``."""
    prefix = log_prefix(config)
    if prefix is None:
        return None
    return f"{prefix}/{key}" if region is None else f"{prefix}/{region}/{key}"


def window_as_built(config: StackConfig, key: str) -> MaintenanceWindowConfig:
    """The window as it is built: ``mode: scan-only`` turns an install into a scan (no hooks)."""
    window = config.maintenance_windows[key]
    if config.mode == "scan-only" and window.operation == "Install":
        return window.model_copy(update={"operation": "Scan", "hooks": None})
    return window


@dataclass(frozen=True)
class RegionLayout:
    """One region of a stack: what is built there, and every name it is built under."""

    customer: str
    region: str | None
    """The region as ``patching:regions`` names it; None for the primary region of a stack without
    ``patching:regions`` (the stack's ``aws:region``)."""
    primary: bool
    windows: tuple[str, ...]
    """The maintenance windows built here (``maintenanceWindows.<k>.regions``, default: every region)."""
    golden_amis: tuple[str, ...]
    """The golden AMI pipelines built here (``goldenAmis.<k>.region``, default: the primary region)."""

    @property
    def named_region(self) -> str | None:
        """The region names carry: None in the primary region (its resources keep one-region names)."""
        return None if self.primary else self.region

    def region_or(self, stack_region: str) -> str:
        """The AWS region, given the stack's ``aws:region`` (which a stack without regions builds in)."""
        return self.region or stack_region

    @property
    def prefix(self) -> str:
        return name_prefix(self.customer, self.named_region)

    def pulumi_name(self, name: str, *parts: str) -> str:
        """A Pulumi resource name of the region, from the component's ``name``: the region in it when
        it is not the primary one, as in its AWS names (so the primary region keeps its URNs)."""
        return "-".join([name_prefix(name, self.named_region), *parts])

    def window_name(self, key: str) -> str:
        return window_name(self.customer, key, self.named_region)

    def baseline_name(self, key: str) -> str:
        return baseline_name(self.customer, key, self.named_region)

    def alerts_topic_name(self) -> str:
        return alerts_topic_name(self.customer, self.named_region)

    def pipeline_names(self, key: str) -> tuple[str, str]:
        return pipeline_names(self.customer, key, self.named_region)

    def freeze_names(self) -> tuple[str, str]:
        return freeze_names(self.customer, self.named_region)


def region_layout(config: StackConfig, region: str | None = None) -> RegionLayout:
    """The layout of ``region`` (None or the primary region's name: the primary region)."""
    primary = primary_region(config)
    region = region or primary
    is_primary = region == primary
    return RegionLayout(
        customer=config.customer,
        region=region,
        primary=is_primary,
        windows=tuple(k for k, w in config.maintenance_windows.items() if w.regions is None or region in w.regions),
        golden_amis=tuple(k for k, a in config.golden_amis.items() if (a.region or primary) == region),
    )


def regions(config: StackConfig) -> Iterator[RegionLayout]:
    """Every region the stack builds in, the primary one first."""
    yield region_layout(config, None)
    for region in other_regions(config):
        yield region_layout(config, region)


def circuit_breaker_name(customer: str, region: str | None = None) -> str:
    """The circuit breaker runbook of a stack (in a non-primary ``region``): ``<prefix>-circuit-breaker``."""
    return f"{name_prefix(customer, region)}-circuit-breaker"


def stop_alarms(config: StackConfig, where: RegionLayout) -> list[str]:
    """The stop alarms (``maintenanceWindows.<k>.stopOnAlarms``) of the windows built in ``where``, each once, in the
    stack file's order: the region has a circuit breaker when there is one. None with ``mode: disabled``."""
    if config.mode == "disabled":
        return []
    found: list[str] = []
    for key in where.windows:
        for alarm in config.maintenance_windows[key].stop_on_alarms:
            if alarm not in found:
                found.append(alarm)
    return found


def ring_override_key(config: StackConfig, ring: str, region: str | None = None) -> str | None:
    """The S3 key of a later ring's BaselineOverride object in the log bucket (of a non-primary ``region``):
    ``<s3Prefix>/<customer>.rings[/<region>]/<ring>.json`` (None without the log bucket). Beside the
    customer's log prefix, not in it: the instances may write their output there (``<s3Prefix>/<customer>/*``),
    and no node may change what a ring installs; no customer id holds a '.', so no stack's nodes write there."""
    prefix = log_prefix(config)
    if prefix is None:
        return None
    return f"{prefix}.rings/{ring}.json" if region is None else f"{prefix}.rings/{region}/{ring}.json"


def ring_promotion_document_name(customer: str, ring: str, region: str | None = None) -> str:
    """The promotion runbook of a stack's later ring (of a non-primary ``region``)."""
    return f"{name_prefix(customer, region)}-ring-{ring}-promotion"


def notice_names(customer: str, region: str | None = None) -> tuple[str, str]:
    """The advance-notice and window-summary runbooks of a stack (in a non-primary ``region``)."""
    prefix = name_prefix(customer, region)
    return f"{prefix}-advance-notice", f"{prefix}-window-summary"


def catch_up_document_name(customer: str, key: str, region: str | None = None) -> str:
    """The catch-up runbook of a stack's install window ``key`` (in a non-primary ``region``)."""
    return f"{name_prefix(customer, region)}-{key}-catch-up"


def approval_calendar_name(customer: str, key: str, region: str | None = None) -> str:
    """The Change Calendar of a stack's approval-gated window (of a non-primary ``region``): closed by
    default, open around each approved occurrence."""
    return f"{name_prefix(customer, region)}-{key}-approvals"


def approval_gated(config: StackConfig, windows: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The windows (of ``windows``, default every one) with ``requiresApproval``, in the stack file's order."""
    keys = config.maintenance_windows if windows is None else windows
    return tuple(k for k in keys if config.maintenance_windows[k].requires_approval)


def guarded(config: StackConfig, windows: tuple[str, ...] | None = None) -> bool:
    """Whether a region building ``windows`` (default every one) has the freeze guard: it has change
    freezes or an approval-gated window."""
    return bool(config.change_freezes) or bool(approval_gated(config, windows))


def document_names(config: StackConfig, where: RegionLayout) -> list[str]:
    """Every SSM document (runbook or Change Calendar) the stack builds in ``where``, by its AWS name, as
    components/customer.py builds them: `patching report` reads each one's default version back
    (tools/report_deployment.documents); tests/test_report_documents.py checks this list against the
    documents the program registers."""
    if config.mode == "disabled":
        return []
    region = where.named_region
    names: list[str] = [pipeline_names(config.customer, key, region)[0] for key in where.golden_amis]
    if config.rings and log_prefix(config) is not None and config.mode == "install":
        for ring in config.rings[1:]:  # config.rings.install_windows (layout imports nothing of config)
            groups = [config.patch_groups[g] for g in ring.patch_groups if g in config.patch_groups]
            mine = [
                k
                for k in where.windows
                if config.maintenance_windows[k].operation == "Install"
                and any(k in group.maintenance_windows for group in groups)
            ]
            if mine and ring_override_key(config, ring.name, region) is not None:
                names.append(ring_promotion_document_name(config.customer, ring.name, region))
    if guarded(config, where.windows):
        calendar, guard = freeze_names(config.customer, region)
        if config.change_freezes:
            names.append(calendar)
        names += [approval_calendar_name(config.customer, k, region) for k in approval_gated(config, where.windows)]
        names.append(guard)
    for key in where.windows:
        as_built = window_as_built(config, key)
        window = config.maintenance_windows[key]
        if as_built.operation == "Install" and window.catch_up is not None:
            names.append(catch_up_document_name(config.customer, key, region))
        if as_built.operation == "Install" and window.snapshot_before_install is not None:
            names.append(f"{window_name(config.customer, key, region)}-snapshot-install")
    notifications = config.notifications
    if notifications is not None and where.windows and (notifications.emails or notifications.sns_topic_arn):
        notice, summary = notice_names(config.customer, region)
        installs = [k for k in where.windows if config.maintenance_windows[k].operation == "Install"]
        if notifications.advance_notice is not None and installs:
            names.append(notice)
        if notifications.summary:
            names.append(summary)
    if stop_alarms(config, where):
        names.append(circuit_breaker_name(config.customer, region))
    return names
