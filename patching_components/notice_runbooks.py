"""The two notice runbooks as built (documents/advance-notice.yaml, window-summary.yaml with
patching_components/notices.py in their first step), and what AWS would refuse of them for a stack:
a document over SSM's content limit, or a notices role whose inline policies (one per region) are
over IAM's. No Pulumi: `patching validate` refuses these before anything is built."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import StackConfig
    from .layout import RegionLayout

FILES = ("advance-notice.yaml", "window-summary.yaml")


@functools.cache
def module_source() -> str:
    """patching_components/notices.py, as the runbooks run it."""
    return resources.files("patching_components").joinpath("notices.py").read_text()


def notice_runbook(file: str, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The runbook ``file`` (one of ``FILES``) with the notices module in its first step and its
    parameters defaulting to ``defaults``."""
    from .aws.automation_doc import shipped_runbook

    document = shipped_runbook(file, defaults)
    document["mainSteps"][0]["inputs"]["Script"] = module_source()
    return document


def notice_issues(config: StackConfig) -> list[tuple[tuple[str | int, ...], str]]:
    """The notices of a stack that AWS would refuse, rendered with the longest ARNs and ids AWS has."""
    from . import layout, notices
    from .aws.automation_doc import dump_document
    from .aws.limits import MAX_DOCUMENT_CONTENT_BYTES, MAX_INLINE_POLICIES_PER_ROLE
    from .iam_policies import notices_document, policy_size

    wanted = config.notifications
    if wanted is None or (wanted.advance_notice is None and not wanted.summary):
        return []
    issues: list[tuple[tuple[str | int, ...], str]] = []
    partition, region, account = "aws-us-gov", "ap-southeast-2", "0" * 12
    topic = f"arn:{partition}:sns:{region}:{account}:{'t' * 256}"
    role = f"arn:{partition}:iam::{account}:role/{'r' * 64}"
    policies = 0
    for where in layout.regions(config):
        windows = [notice_window(config, where, key, "mw-" + "0" * 17) for key in where.windows]
        if not windows:
            continue
        settings = notices.settings(
            customer=config.customer,
            region=region,
            hours=wanted.advance_notice.hours if wanted.advance_notice else 0,
            calendar=where.freeze_names()[0] if config.change_freezes else "",
            tag_key=config.patch_group_tag_key,
            scan_only=config.mode == "scan-only",
            windows=windows,
        )
        for file in FILES:
            content = dump_document(
                notice_runbook(
                    file, {"AutomationAssumeRole": role, "Settings": settings, "NotificationTopicArn": topic}
                )
            )
            size = len(content.encode())
            if size > MAX_DOCUMENT_CONTENT_BYTES:
                issues.append(
                    (
                        ("notifications",),
                        f"the {file.removesuffix('.yaml')} runbook of {where.prefix} would be {size:,} bytes; SSM "
                        f"allows {MAX_DOCUMENT_CONTENT_BYTES:,}: fewer windows or patch groups per stack",
                    )
                )
        groups = sorted({g for w in windows for g in w["patchGroups"]})
        policies += policy_size(
            notices_document(
                partition=partition,
                region=region,
                account_id=account,
                customer=config.customer,
                topic_arn=topic,
                calendar_name=where.freeze_names()[0] if config.change_freezes else None,
                tag_key=config.patch_group_tag_key,
                groups=groups,
            )
        )
    if policies > MAX_INLINE_POLICIES_PER_ROLE:
        issues.append(
            (
                ("notifications",),
                f"the notices role's inline policies (one per region) would be up to {policies:,} characters; IAM "
                f"allows {MAX_INLINE_POLICIES_PER_ROLE:,} per role: split the customer into several stacks",
            )
        )
    return issues


def notice_window(config: StackConfig, where: RegionLayout, key: str, window_id: str) -> dict[str, Any]:
    """One window as the notice runbooks and ``patching notice`` read it (patching_components/notices.py)."""
    from . import layout
    from .rings import promotion_document, ring_note

    settings = config.maintenance_windows[key]
    return {
        "id": window_id,
        "key": key,
        "name": where.window_name(key),
        "timezone": settings.timezone,
        "durationHours": settings.duration_hours,
        "cutoffHours": settings.cutoff_hours,
        "operation": settings.operation,
        "rebootOption": settings.reboot_option,
        "patchGroups": sorted(config.groups_by_window().get(key, [])),
        "notice": settings.operation == "Install",
        "approvalCalendar": layout.approval_calendar_name(config.customer, key, where.named_region)
        if settings.requires_approval
        else "",
        "ringNote": ring_note(config, key),
        "promotion": promotion_document(config, key, where.named_region),  # the summary reports its task apart
    }
