"""How ``report`` and ``patch-now`` read AWS listings: every page as large as AWS allows.

A listing's call count is ``ceil(items / page size)``; botocore's paginators ask for the service's
default page (10 for most Systems Manager listings) unless told, so every listing made here names its
largest page (``MaxResults``, from botocore's service models: tests/test_report.py reads them there).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from .. import layout

if TYPE_CHECKING:
    from ..config import StackConfig

Clients = Callable[[str, str], Any]
"""``clients(service, region)``: a boto3 client (tests hand in stubbed ones)."""

PAGE_SIZES = {
    "describe_instance_information": 50,
    "describe_instances": 1000,
    "describe_patch_groups": 100,
    "describe_patch_baselines": 100,
    "describe_instance_patch_states": 100,
    "describe_instance_patch_states_for_patch_group": 100,
    "describe_maintenance_windows": 100,
    "describe_maintenance_window_targets": 100,
    "describe_maintenance_window_tasks": 100,
    "describe_maintenance_window_executions": 100,
    "describe_maintenance_window_execution_tasks": 100,
    "describe_maintenance_window_execution_task_invocations": 100,
    "list_command_invocations": 50,
    "describe_automation_executions": 50,
}
"""AWS's largest page (MaxResults) of each listing (botocore's service models; tests/test_report.py checks).
SNS's ListTopics and ListSubscriptionsByTopic take no page size (100 a page, fixed by SNS)."""

PATCH_STATE_IDS = 50
"""DescribeInstancePatchStates takes at most 50 instance ids a call (botocore: InstanceIdList, max 50)."""


def pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item (``key`` of each page) of a listing, read in AWS's largest pages."""
    config = {"PageSize": PAGE_SIZES[operation]} if operation in PAGE_SIZES else {}
    for page in client.get_paginator(operation).paginate(**kwargs, PaginationConfig=config):
        yield from page.get(key, [])


def error_code(exc: Exception) -> str:
    """The AWS error code of a botocore ClientError ("" for anything else)."""
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def region_layouts(config: StackConfig, regions: Sequence[str], stack_region: str) -> dict[str, layout.RegionLayout]:
    """The layout (:mod:`layout`: what is built there, under which names) of each AWS region asked for;
    ``stack_region``: the region of the stack's primary region (its aws:region, which a stack without
    patching:regions builds in). A region the stack does not build in gets the layout the stack would
    give it."""
    known = {where.region_or(stack_region): where for where in layout.regions(config)}
    return {region: known.get(region) or layout.region_layout(config, region) for region in regions}
