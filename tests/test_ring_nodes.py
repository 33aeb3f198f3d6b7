"""Ring promotion judges every node of the previous ring, not only those that reported (review of #23/#24).

The previous ring's nodes are what ``patching report`` lists for its patch groups (tools/report_nodes.py): every
EC2 instance tagged with one of the groups, in any state but terminated / shutting-down, plus every node that
reported a patch state in one. A tagged instance with no patch state in its group did not report the install
(it never ran it, was stopped, lost its agent): the promotion refuses, names it, tells the topic and ends Failed,
unless ``--force``. A stopped instance counts: promoting past it would promote a patch set it was never given.
A ring with no node at all refuses (nothing was tested).

The runbook's real steps run against moto (tests/runbook_sim.py): EC2 instances are moto's, tagged with a tag key
of each path's own so that paths sharing the module's moto account do not see each other's nodes; patch states
come from RingRunner's documented fixture. Clock frozen.
"""

from __future__ import annotations

import itertools
import json

import boto3
import pytest
import time_machine
from moto import mock_aws
from runbook_sim import REGION, Fault, RingRunner, fault_matrix
from test_rings import BUCKET, NOW, PROMOTION, RingPath, node

_keys = itertools.count()


@pytest.fixture(scope="module")
def aws():
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        yield


class NodesPath(RingPath):
    """A RingPath whose previous ring also has real (moto) EC2 instances, tagged with a tag key of its own."""

    def __init__(self, instances: dict[str, str], reported: set[str], *, other_group: str | None = None):
        """``instances``: name -> the state to leave it in (running, stopped, terminated); ``reported``: the names
        whose patch state (a good install) is in acme-dev. Unnamed states i-1..i-3 are left out."""
        self.tag_key = f"Patch Group {next(_keys)}"
        ec2 = boto3.client("ec2", region_name=REGION)
        image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        self.ids: dict[str, str] = {}
        for name, state in instances.items():
            group = other_group if name.startswith("other") and other_group else "acme-dev"
            (instance,) = ec2.run_instances(
                ImageId=image,
                MinCount=1,
                MaxCount=1,
                TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": self.tag_key, "Value": group}]}],
            )["Instances"]
            self.ids[name] = instance["InstanceId"]
            if state == "stopped":
                ec2.stop_instances(InstanceIds=[instance["InstanceId"]])
            elif state == "terminated":
                ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
        super().__init__(nodes=[node(self.ids[name]) for name in sorted(reported)])

    def run(self, fault=None, force=False):
        runner = RingRunner(
            PROMOTION,
            {
                "PreviousWindowIds": ["mw-dev"],
                "PatchGroupTagKey": self.tag_key,
                "Bucket": BUCKET,
                "OverrideKey": self.key,
                "NotificationTopicArn": self.topic,
                "Force": force,
            },
            execution_id=f"nodes-{self.key}",
            fault=fault,
            executions=self.executions,
            patch_states=self.nodes,
        )
        with time_machine.travel(NOW, tick=False):
            return runner.run()


def refused(path: NodesPath, result, reason: str) -> None:
    """Refused as every refusal is: nothing written, the topic told with the reason, the run Failed."""
    assert result.status == "Failed", (result.history, result.failures)
    assert result.history[-2:] == [("notifyRefusal", "Success"), ("endFailed", "Failed")]
    assert reason in result.outputs["assess"]["Reasons"], result.outputs["assess"]["Reasons"]
    assert path.override()[0] == json.loads(path.initial)
    ((subject, message),) = path.messages()
    assert subject == "Ring prod: promotion refused, nothing new installed"
    assert reason in message


def test_a_tagged_node_that_never_reported_the_install_refuses_and_is_named(aws):
    path = NodesPath({"a": "running", "b": "running", "silent": "running"}, reported={"a", "b"})
    result = path.run()
    refused(path, result, f"{path.ids['silent']} (acme-dev, running) has no patch state: it did not report the install")
    assert [r for r in result.outputs["assess"]["Reasons"] if "has no patch state" in r] == [
        f"{path.ids['silent']} (acme-dev, running) has no patch state: it did not report the install"
    ]


@pytest.mark.slow
def test_a_stopped_node_without_a_patch_state_refuses_too(aws):
    path = NodesPath({"a": "running", "asleep": "stopped"}, reported={"a"})
    refused(
        path, path.run(), f"{path.ids['asleep']} (acme-dev, stopped) has no patch state: it did not report the install"
    )


@pytest.mark.slow
def test_every_node_reported_promotes_and_a_terminated_or_other_groups_node_does_not_count(aws):
    path = NodesPath(
        {"a": "running", "b": "stopped", "gone": "terminated", "other": "running"},
        reported={"a", "b"},
        other_group="acme-web",  # prod's group, not the previous ring's: not judged here
    )
    result = path.run()
    assert result.status == "Success", (result.history, result.outputs.get("assess"))
    assert result.outputs["assess"]["Reasons"] == []
    assert path.override()[1]["source-execution"] == "exec-mw-dev-12080400" and path.messages() == []


def test_a_ring_with_no_node_at_all_refuses_nothing_was_tested(aws):
    path = NodesPath({}, reported=set())
    refused(
        path,
        path.run(),
        "no node of the previous ring reported a patch state, and no instance is tagged with its patch groups: "
        "nothing was tested",
    )


@pytest.mark.slow
def test_a_ring_whose_nodes_all_stayed_silent_refuses_naming_each(aws):
    path = NodesPath({"a": "running", "b": "running"}, reported=set())
    result = path.run()
    reasons = result.outputs["assess"]["Reasons"]
    refused(path, result, "no node of the previous ring reported a patch state")
    for name in ("a", "b"):
        assert f"{path.ids[name]} (acme-dev, running) has no patch state: it did not report the install" in reasons


@pytest.mark.slow
def test_force_accepts_a_silent_node_for_that_install_only(aws):
    path = NodesPath({"a": "running", "silent": "running"}, reported={"a"})
    forced = path.run(force=True)
    assert forced.status == "Success"
    assert path.override()[1]["forced"] == "true"


def _assess_faults() -> list[Fault]:
    return fault_matrix(PROMOTION, steps=["assess"])


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(f, id=str(f), marks=() if str(f) == "assess:DescribeInstances:error" else pytest.mark.slow)
        for f in _assess_faults()
    ],
)
def test_a_failing_read_of_the_nodes_never_promotes_past_a_silent_node(aws, fault):
    """Every AWS call of the assess step failing in turn (error, timeout, lost response, cancel): the silent node
    is still found (the step is retried) or the run fails; never a promotion, never Success."""
    path = NodesPath({"a": "running", "silent": "running"}, reported={"a"})
    result = path.run(fault)
    assert result.injected
    assert result.status == ("Cancelled" if fault.kind == "cancel" else "Failed"), (result.history, result.failures)
    assert path.override()[0] == json.loads(path.initial)
    if fault.kind != "cancel":
        (subject,) = [s for s, _ in path.messages()]
        assert subject.startswith("Ring prod: promotion ")  # refused (retried read) or failed: told either way


def test_the_runbook_reads_the_nodes_with_the_stacks_tag_key():
    """The component gives the runbook the stack's patch group tag key (patching:patchGroupTagKey)."""
    import yaml

    from conftest import ROOT, example_run

    run = example_run(ROOT / "stacks" / "Pulumi.acme.yaml")
    (document,) = [
        r for r in run.of_type("aws:ssm/document:Document") if r.inputs["name"] == "acme-ring-prod-promotion"
    ]
    parameters = yaml.safe_load(document.inputs["content"])["parameters"]
    assert parameters["PatchGroupTagKey"]["default"] == "Patch Group"  # acme's: the default (AWS's own key)
    assert parameters["PreviousPatchGroups"]["default"] == ["acme-dev"]
