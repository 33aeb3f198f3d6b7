"""`patching report` makes the fewest AWS calls its data allows, counted against the AWS stand-in
(tests/moto_aws.py) on a realistic account: two regions, four patch groups (one without a node anywhere,
one of 120 nodes, hybrid nodes, untagged nodes, another customer's nodes), three windows with runs.

The minimum is worked out here by hand from the fixture and AWS's documented limits, read from botocore's
service models (MaxResults of each listing, the 50 instance ids DescribeInstancePatchStates takes), never
from the code under test. For the data the report shows, per region:

- every managed node (DescribeInstanceInformation, unfiltered: a node in no patch group is shown too) and
  every EC2 instance with the tag (DescribeInstances, filtered by tag key): ceil(nodes / page);
- the registrations, the stack's baselines, each default baseline: one call each;
- the windows of the stack, one listing filtered by their names; per window its targets, its tasks, its
  patch task and its runs of the period: one call each;
- the patch states of the nodes of the stack's groups: a group of n nodes costs ceil(n / 100) by group or
  n / 50 of the calls by instance id (50 ids a call), so the fewest calls read each group of more than 50
  by group and the rest by id, together;
- per window run read (the newest finished one, every failed one): its tasks, the task's invocations, and
  ceil(invocations / 50) pages of the command's per-node invocations;
- the topics (one page) and the subscriptions of the stack's topic.
"""

from __future__ import annotations

import math
from collections import Counter

import boto3
import botocore.session
import pytest

from patching_components.tools.report_nodes import state_calls
from tests.deploy_plan import deploy
from tests.report_setup import Fleet, run_report

OPERATOR = "123456789012"
STACK = """\
config:
  aws:region: eu-west-1
  aws:allowedAccountIds: ["123456789012"]
  patching:customer: northwind
  patching:regions: [eu-west-1, us-east-1]
  patching:baselines:
    al2023:
      operatingSystem: AMAZON_LINUX_2023
      default: true
    windows:
      operatingSystem: WINDOWS
  patching:maintenanceWindows:
    daily-scan:
      schedule: cron(0 1 ? * MON-SAT *)
      durationHours: 2
      cutoffHours: 1
      operation: Scan
    sun-install:
      schedule: cron(0 2 ? * SUN *)
      durationHours: 4
      cutoffHours: 1
      operation: Install
    sat-install:
      schedule: cron(0 2 ? * SAT *)
      durationHours: 4
      cutoffHours: 1
      operation: Install
      regions: [eu-west-1]
  patching:patchGroups:
    nw-web:
      baselines: [al2023]
      maintenanceWindows: [daily-scan, sun-install]
    nw-api:
      baselines: [al2023]
      maintenanceWindows: [daily-scan, sat-install]
    nw-win:
      baselines: [windows]
      maintenanceWindows: [daily-scan, sun-install]
    nw-batch:
      baselines: [al2023]
      maintenanceWindows: [daily-scan]
  patching:notifications:
    emails: [ops@northwind.example]
    summary: true
"""

# The fleet, by hand: (region, patch group or None, how many EC2 instances), and hybrid nodes.
FLEET = {
    "eu-west-1": {"nw-web": 120, "nw-api": 30, "nw-win": 12, None: 3, "globex-web": 2},
    "us-east-1": {"nw-web": 30, "nw-api": 15},
}
HYBRID = {"eu-west-1": 4, "us-east-1": 0}
"""Hybrid nodes (mi-) of nw-api: their patch state names their group."""
WINDOWS = {"eu-west-1": ["daily-scan", "sun-install", "sat-install"], "us-east-1": ["daily-scan", "sun-install"]}
GROUPS_OF = {"daily-scan": ["nw-web", "nw-api", "nw-win", "nw-batch"], "sun-install": ["nw-web", "nw-win"]}
GROUPS_OF["sat-install"] = ["nw-api"]
FAILED_BEFORE = {"eu-west-1": {"sun-install"}, "us-east-1": set()}
"""Windows whose run before the newest one failed: the report reads it too (its failed nodes)."""

_SSM = botocore.session.get_session().get_service_model("ssm")


def largest_page(operation: str) -> int:
    return _SSM.operation_model(operation).input_shape.members["MaxResults"].metadata["max"]


def pages(items: int, operation: str) -> int:
    """Calls to list ``items`` in AWS's largest pages (an empty listing still takes one call)."""
    return max(1, math.ceil(items / largest_page(operation)))


def minimum_calls() -> Counter[str]:
    """The fewest calls for what the report shows, from the fixture (see the module)."""
    ids_a_call = _SSM.operation_model("DescribeInstancePatchStates").input_shape.members["InstanceIds"].metadata["max"]
    calls: Counter[str] = Counter({"GetCallerIdentity": 1})
    for region, fleet in FLEET.items():
        ours = {g: n for g, n in fleet.items() if g is not None and g.startswith("nw-")}
        managed = sum(fleet.values()) + HYBRID[region]  # every instance is managed here
        calls["DescribeInstanceInformation"] += pages(managed, "DescribeInstanceInformation")
        calls["DescribeInstances"] += 1  # under EC2's 1000 a page
        for operation in ("DescribePatchGroups", "DescribePatchBaselines", "GetDefaultPatchBaseline"):
            calls[operation] += 1  # a handful of registrations and baselines; one default (al2023)
        calls["DescribeMaintenanceWindows"] += 1
        for operation in (
            "DescribeMaintenanceWindowTargets",
            "DescribeMaintenanceWindowTasks",
            "GetMaintenanceWindowTask",
            "DescribeMaintenanceWindowExecutions",
        ):
            calls[operation] += len(WINDOWS[region])
        big = {g: n for g, n in ours.items() if n > ids_a_call}
        by_id = sum(n for g, n in ours.items() if g not in big) + HYBRID[region]
        calls["DescribeInstancePatchStatesForPatchGroup"] += sum(
            pages(n, "DescribeInstancePatchStatesForPatchGroup") for n in big.values()
        )
        calls["DescribeInstancePatchStates"] += math.ceil(by_id / ids_a_call)
        for window in WINDOWS[region]:
            nodes = sum(ours.get(g, 0) for g in GROUPS_OF[window]) + (
                HYBRID[region] if "nw-api" in GROUPS_OF[window] else 0
            )
            runs = 2 if window in FAILED_BEFORE[region] else 1
            calls["DescribeMaintenanceWindowExecutionTasks"] += runs
            calls["DescribeMaintenanceWindowExecutionTaskInvocations"] += runs
            calls["ListCommandInvocations"] += runs * pages(nodes, "ListCommandInvocations")
        calls["ListTopics"] += 1
        calls["ListSubscriptionsByTopic"] += 1
        # The region's one document (summary: true builds the window-summary runbook, layout.document_names):
        # one DescribeDocument, and no GetDocument, since AWS's Hash of its default version (the stand-in's:
        # the SHA-256 of the content) is the one its version name carries.
        calls["DescribeDocument"] += 1
    return calls


def test_the_minimum_is_what_the_fixture_says():
    """The hand count of the module, spelled out: the worked example a reader can check on paper."""
    calls = minimum_calls()
    # eu-west-1: 171 EC2 + 4 hybrid = 175 managed nodes, 50 a page: 4; us-east-1: 45: 1.
    assert calls["DescribeInstanceInformation"] == 4 + 1
    # eu-west-1: nw-web (120) by group, 2 pages of 100; nw-api 30 + 4 hybrid + nw-win 12 = 46 ids: 1 call.
    # us-east-1: 30 + 15 = 45 ids: 1 call. nw-batch has no node: nothing.
    assert (calls["DescribeInstancePatchStatesForPatchGroup"], calls["DescribeInstancePatchStates"]) == (2, 1 + 1)
    # eu-west-1: daily-scan 166 nodes (4 pages of 50), sun-install 132 (3) and its failed run (3 more),
    # sat-install 34 (1); us-east-1: daily-scan 45 (1), sun-install 30 (1).
    assert calls["ListCommandInvocations"] == 4 + 3 + 3 + 1 + 1 + 1


def fleet(**sizes: int) -> dict[str, str | None]:
    """Node ids -> patch group (``hybrid``: None, a hybrid node's group is in its patch state)."""
    return {f"{g}-{n:03d}": (None if g == "hybrid" else g) for g, count in sizes.items() for n in range(count)}


@pytest.mark.parametrize(
    ("sizes", "by_group", "by_id"),
    [
        # (group sizes, groups read by group, ids per call by id): the fewest calls, worked out by hand.
        ({"a": 120, "b": 30, "hybrid": 4}, ["a"], [34]),  # 2 + 1; all by id: 4; all by group: 2 + 1 + 1 (hybrid)
        ({"a": 51}, ["a"], []),  # 1 by group; 2 by id
        ({"a": 50, "b": 50}, [], [50, 50]),  # 2 either way: by id
        ({"a": 20, "b": 20, "c": 20, "d": 20}, [], [50, 30]),  # 2 by id; 4 by group
        ({"a": 101, "b": 10}, ["a"], [10]),  # 2 + 1; all by id: 3
        ({"hybrid": 3}, [], [3]),
        ({}, [], []),  # nothing to read: no call
    ],
)
def test_patch_states_are_read_with_the_fewest_calls(sizes, by_group, by_id):
    groups, batches = state_calls(fleet(**sizes))
    assert (groups, [len(b) for b in batches]) == (by_group, by_id)
    assert all(g not in by_group for batch in batches for g in (fleet(**sizes)[i] for i in batch))


@pytest.mark.slow  # seconds of moto: .ci/run runs it with -m slow
def test_the_report_makes_the_fewest_calls(aws, tmp_path, capsys):
    stack = tmp_path / "Pulumi.northwind.yaml"
    stack.write_text(STACK)
    done = deploy(stack, aws, session=boto3.Session())
    names: dict[str, str] = {}
    nodes: dict[str, set[str]] = {}
    for region, fleet in FLEET.items():
        here = Fleet(aws, boto3.Session(), OPERATOR, region, names)
        by_group = {
            group: here.launch(f"{group or 'untagged'}-{region}", group, count) for group, count in fleet.items()
        }
        hybrids = [f"mi-0{n:016x}" for n in range(HYBRID[region])]
        here.managed([i for ids in by_group.values() for i in ids])
        here.seed(
            "DescribeInstanceInformation",
            [
                {"InstanceId": i, "PingStatus": "Online", "PlatformName": "Ubuntu", "ResourceType": "ManagedInstance"}
                for i in hybrids
            ],
        )
        baseline = done.id_of("northwind-al2023" if region == "eu-west-1" else "northwind-us-east-1-al2023")
        for group, ids in by_group.items():
            if group is not None:
                here.patch_state(ids, group, baseline, "2026-11-30T01:40")
        here.patch_state(hybrids, "nw-api", baseline, "2026-11-30T01:40")
        members = {g: ids for g, ids in by_group.items() if g is not None} | {"hybrid": hybrids}
        for window in WINDOWS[region]:
            name = f"northwind-{window}" if region == "eu-west-1" else f"northwind-{region}-{window}"
            ran = [i for g in GROUPS_OF[window] for i in members.get(g, [])]
            ran += hybrids if "nw-api" in GROUPS_OF[window] else []
            window_id = done.id_of(name)
            first = "FAILED" if window in FAILED_BEFORE[region] else "SUCCESS"
            here.run(
                window_id,
                f"{name}-1",
                "2026-11-28T01:00",
                first,
                {ran[0]: "Failed"} | dict.fromkeys(ran[1:], "Success"),
            )
            here.run(window_id, f"{name}-2", "2026-11-30T01:00", "SUCCESS", dict.fromkeys(ran, "Success"))
        nodes[region] = {i for ids in by_group.values() for i in ids} | set(hybrids)
    aws.layer.calls.clear()

    code, data, _ = run_report(capsys, stack, {})
    # Every node is in the report, in its region: no filter hid one (the other customer's nodes too).
    listed = {(n["region"], n["instanceId"]) for n in data["nodes"]}
    assert listed == {(region, i) for region, ids in nodes.items() for i in ids}
    assert code == 3  # nw-batch has no node, nw-win none in us-east-1, globex-web and 3 nodes in no group
    made = Counter(aws.layer.calls)
    expected = minimum_calls()
    assert made == expected  # exactly the minimum, operation by operation
    assert sum(made.values()) <= 1.2 * sum(expected.values())
