"""Every runbook we ship, run step by step along every path (tests/runbook_sim.py) against moto:
each AWS call of each step failing, timing out, losing its response, or the execution cancelled
while the step runs; each command ending each other way. After each path: nothing left behind
that should not be, the AMI id parameter names only a good image, the execution ends as AWS would
report it, and the freeze guard switched every window it could and left hand-disabled ones alone.

The expected statuses are written here from AWS's rules (Abort ends the run with the failed step's
status; a cancelled run ends Cancelled; our clean-up path ends in a step that fails), not read from
the runner. The full matrix is marked slow; a representative subset runs by default.
"""

from __future__ import annotations

import itertools
import os
from datetime import datetime

import boto3
import pytest
import yaml
from moto import mock_aws
from runbook_sim import ACCOUNT, REGION, Fault, Runner, fault_matrix, script_calls, set_window_enabled, window_enabled

from conftest import ROOT, example_run

DOCUMENT = "aws:ssm/document:Document"


def example(stack: str):
    return example_run(ROOT / "stacks" / f"Pulumi.{stack}.yaml")


def shipped(stack: str, parent: str) -> dict:
    """The document a component of an example stack builds, with its parameter defaults."""
    run = example(stack)
    (document,) = [d for d in run.of_type(DOCUMENT) if parent in (d.parent or "") + d.name]
    return yaml.safe_load(document.inputs["content"])


LINUX = shipped("acme", "GoldenAmiPipeline::acme-golden-al2023-base")
WINDOWS = shipped("globex", "GoldenAmiPipeline::globex-golden-win2022-fileserver")
GUARD = shipped("globex", "globex-guard")
GOLDEN = {"Linux": LINUX, "Windows": WINDOWS}


@pytest.fixture(scope="module")
def aws():
    """One moto account for the module; every path works on resources of its own (its own pipeline
    name, parameter and windows), so paths do not see each other."""
    # Without moto's thousands of public images: every DescribeImages / DescribeSnapshots stays fast.
    previous = os.environ.get("MOTO_EC2_LOAD_DEFAULT_AMIS")
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        iam = boto3.client("iam", region_name=REGION)
        iam.create_instance_profile(InstanceProfileName="sim-build-profile")
        source = ec2.register_image(
            Name="sim-source-al2023",
            RootDeviceName="/dev/xvda",
            BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}],
        )
        boto3.client("ssm", region_name=REGION).put_parameter(
            Name="/sim/source-ami", Value=source["ImageId"], Type="String"
        )
        vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
        group = ec2.create_security_group(GroupName="sim-build", Description="build", VpcId=vpc)["GroupId"]
        yield {"source": source["ImageId"], "group": group}
    if previous is None:
        os.environ.pop("MOTO_EC2_LOAD_DEFAULT_AMIS")
    else:
        os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = previous


_paths = itertools.count()


class GoldenPath:
    """One golden AMI execution with its own pipeline, parameter and three older images (the newest
    of them published), keeping 2, so pruning and publishing are both exercised."""

    def __init__(self, aws, document, fault=None, **runner):
        n = next(_paths)
        self.pipeline, self.parameter = f"sim-{n}-golden", f"/sim/{n}/golden-ami"
        self.execution = f"exec-{n:04d}-0000-0000-0000-000000000000"
        ec2, self.ec2, self.ssm = self._ec2(), self._ec2(), boto3.client("ssm", region_name=REGION)
        self.customer = document["parameters"]["Customer"]["default"]
        self.old = self._seed_images(ec2, aws["source"])
        self.ssm.put_parameter(Name=self.parameter, Value=self.old[-1], Type="String", DataType="aws:ec2:image")
        parameters = {
            "SourceAmiId": "",
            "SourceAmiParameter": "/sim/source-ami",
            "SubnetId": "",
            "SecurityGroupIds": [aws["group"]],
            "IamInstanceProfileName": "sim-build-profile",
            "PipelineName": self.pipeline,
            "AmiIdParameterName": self.parameter,
            "TargetAmiName": f"{self.pipeline}-image",
            "KeepLatest": 2,
        }
        self.document, self.parameters = document, parameters
        self.published = {self.old[-1]}
        """Every image the parameter has named."""
        self.earlier: set[str] = set()
        """Images of this path's earlier builds made from a verified instance."""
        self.runner = Runner(document, parameters, execution_id=self.execution, fault=fault, **runner)
        self.result = self.runner.run()

    def rebuild(self):
        """The next build of the same pipeline (the schedule's, or an operator's)."""
        if self.result.ran("verifyNoMissingPatches")[-1:] == ["Success"]:
            self.earlier.add(self.result.outputs["createImage"]["ImageId"])
        execution = self.execution.replace("-0000-0000-", "-1111-1111-")
        self.result = Runner(self.document, self.parameters, execution_id=execution).run()
        assert self.result.status == "Success", self.result.failures

    @staticmethod
    def _ec2():
        return boto3.client("ec2", region_name=REGION)

    def _seed_images(self, ec2, source: str) -> list[str]:
        from moto.ec2.models import ec2_backends

        (instance,) = ec2.run_instances(ImageId=source, MinCount=1, MaxCount=1)["Instances"]
        images = []
        for month in range(1, 4):
            tags = [
                {"Key": "GoldenAmiPipeline", "Value": self.pipeline},
                {"Key": "Customer", "Value": self.customer},
                {"Key": "GoldenAmiBuild", "Value": f"old-{month}"},
            ]
            image = ec2.create_image(
                InstanceId=instance["InstanceId"],
                Name=f"{self.pipeline}-old-{month}",
                TagSpecifications=[{"ResourceType": "image", "Tags": tags}],
            )["ImageId"]
            ec2_backends[ACCOUNT][REGION].amis[image].creation_date = datetime(2026, month, 1)
            images.append(image)
            # As the runbook's CreateImage tags them (moto cannot take snapshot tags at creation).
            ec2.create_tags(Resources=self.snapshots_of(image), Tags=tags)
        ec2.terminate_instances(InstanceIds=[instance["InstanceId"]])
        self.old_snapshots = {i: self.snapshots_of(i) for i in images}
        return images

    def snapshots_of(self, image_id: str) -> list[str]:
        (image,) = self.ec2.describe_images(ImageIds=[image_id])["Images"]
        return [m["Ebs"]["SnapshotId"] for m in image["BlockDeviceMappings"] if "Ebs" in m]

    def tagged(self, kind: str, **tags: str) -> list[dict]:
        filters = [{"Name": f"tag:{k}", "Values": [v]} for k, v in tags.items()]
        if kind == "instances":
            reservations = self.ec2.describe_instances(Filters=filters)["Reservations"]
            return [i for r in reservations for i in r["Instances"]]
        if kind == "images":
            return self.ec2.describe_images(Owners=["self"], Filters=filters)["Images"]
        return self.ec2.describe_snapshots(OwnerIds=["self"], Filters=filters)["Snapshots"]

    def check_nothing_is_left_behind_and_the_parameter_names_a_good_image(self, pruning=True):
        mine = {"GoldenAmiBuild": self.execution}
        live = [i["InstanceId"] for i in self.tagged("instances", **mine) if i["State"]["Name"] != "terminated"]
        assert live == [], f"build instances left running: {live}"
        assert self.runner.launches <= 1, "a second build instance was launched"
        published = self.ssm.get_parameter(Name=self.parameter)["Parameter"]["Value"]
        self.published.add(published)
        new_images = [i["ImageId"] for i in self.tagged("images", **mine)]
        assert set(new_images) <= self.published, f"an image of this build was never published: {new_images}"
        (image,) = self.ec2.describe_images(ImageIds=[published])["Images"]  # it exists
        assert image["State"] == "available"
        # The last good image, untouched, or one made from a verified, fully patched instance.
        verified = self.result.ran("verifyNoMissingPatches")[-1:] == ["Success"]
        made = self.result.outputs.get("createImage", {}).get("ImageId")
        assert published == self.old[-1] or (published == made and verified) or published in self.earlier
        kept = {i["ImageId"] for i in self.tagged("images", GoldenAmiPipeline=self.pipeline)}
        snapshots = {s["SnapshotId"] for s in self.tagged("snapshots", **mine)}
        assert snapshots <= {s for i in kept for s in self.snapshots_of(i)}, "snapshots of no image left behind"
        if not pruning:
            return
        existing = {s["SnapshotId"] for s in self.ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"]}
        for old, its_snapshots in self.old_snapshots.items():
            if old not in kept:  # pruned: its snapshots went with it
                assert not set(its_snapshots) & existing, f"snapshots of the pruned {old} left behind"


def expected_golden_status(fault: Fault | None) -> str:
    """What AWS reports (see the module docstring)."""
    if fault is None:
        return "Success"
    if fault.kind == "cancel":
        return "Cancelled"
    if (fault.step, fault.api, fault.kind) == ("deregisterOldImages", "DeregisterImage", "lost"):
        return "Success"  # it took effect: the pruning sees the image gone and deletes its snapshots
    if fault.step in ("prepareBuild", "deregisterOldImages") and fault.kind == "timeout":
        return "TimedOut"  # Abort: the run ends with the step's status
    return "Failed"  # before the launch: Abort; after it: clean-up, then buildFailed


MAIN_PATH = [
    "prepareBuild",
    "launchBuildInstance",
    "waitForManagedInstance",
    "installSecurityPatches",
    "verifyNoMissingPatches",
    "generalizeWithSysprep",
    "stopBuildInstance",
    "createImage",
    "waitForImage",
    "terminateBuildInstance",
    "publishAmiId",
    "deregisterOldImages",
]


def golden_faults(platform: str) -> list[tuple[str, Fault]]:
    return [(platform, f) for f in fault_matrix(GOLDEN[platform], MAIN_PATH)]


ALL_GOLDEN = golden_faults("Linux") + golden_faults("Windows")
# The default run: every failure kind, on the steps where a mistake would cost most (the launch,
# the image, the publish, the pruning) and one cancellation; the slow run has every path.
REPRESENTATIVE = {
    ("Linux", "launchBuildInstance:RunInstances:lost"),
    ("Linux", "installSecurityPatches:SendCommand:command:Cancelled"),
    ("Linux", "publishAmiId:PutParameter:lost"),
    ("Linux", "publishAmiId:-:cancel"),
    ("Linux", "deregisterOldImages:DeregisterImage:lost"),
    ("Windows", "generalizeWithSysprep:SendCommand:command:Failed"),
}


def golden_params():
    for platform, fault in ALL_GOLDEN:
        marks = () if (platform, str(fault)) in REPRESENTATIVE else (pytest.mark.slow,)
        yield pytest.param(platform, fault, marks=marks, id=f"{platform}-{fault}")


def test_the_matrix_covers_every_step_and_every_call_of_the_shipped_runbooks():
    names = {s["name"] for s in LINUX["mainSteps"]} | {s["name"] for s in WINDOWS["mainSteps"]}
    assert names == {*MAIN_PATH, "cleanUpAfterFailure", "buildFailed"}
    faulted = {(f.step, f.api) for _, f in ALL_GOLDEN}
    assert ("launchBuildInstance", "RunInstances") in faulted and ("publishAmiId", "PutParameter") in faulted
    assert ("deregisterOldImages", "GetParameter") in faulted and ("deregisterOldImages", "DeleteSnapshot") in faulted
    assert {str(f) for _, f in ALL_GOLDEN} >= {p for _, p in REPRESENTATIVE}
    assert len(ALL_GOLDEN) == len(set(ALL_GOLDEN))


def test_a_clean_build_publishes_its_image_and_prunes_the_oldest(aws):
    path = GoldenPath(aws, LINUX)
    assert path.result.status == "Success", path.result.failures
    published = path.ssm.get_parameter(Name=path.parameter)["Parameter"]["Value"]
    assert published == path.result.outputs["createImage"]["ImageId"]
    kept = {i["ImageId"] for i in path.tagged("images", GoldenAmiPipeline=path.pipeline)}
    assert kept == {published, path.old[2]}  # KeepLatest 2: the two oldest pruned with their snapshots
    assert path.result.ran("cleanUpAfterFailure") == []
    (instance,) = path.tagged("instances", GoldenAmiBuild=path.execution)
    assert instance["State"]["Name"] == "terminated"
    path.check_nothing_is_left_behind_and_the_parameter_names_a_good_image()


def test_the_first_build_waits_for_iam_and_launches_one_instance(aws):
    """The instance profile is not yet visible to EC2 for the first three launches (IAM propagation):
    the launch is repeated with the same ClientToken and one instance is built."""
    path = GoldenPath(aws, LINUX, profile_ready_after=3)
    assert path.result.status == "Success", path.result.failures
    assert path.runner.launches == 1 and path.runner.sleeps[:3] == [10, 10, 10]
    path.check_nothing_is_left_behind_and_the_parameter_names_a_good_image()


def test_a_repeated_launch_request_returns_the_first_instance(aws):
    """The response of the launch is lost and the step repeated (maxAttempts, as an operator might
    set): EC2's ClientToken returns the instance already launched, never a second one."""
    document = yaml.safe_load(yaml.safe_dump(LINUX))
    (launch,) = [s for s in document["mainSteps"] if s["name"] == "launchBuildInstance"]
    launch["maxAttempts"] = 2
    path = GoldenPath(aws, document, Fault("launchBuildInstance", "RunInstances", "lost"))
    assert path.result.ran("launchBuildInstance") == ["Failed", "Success"]
    assert path.result.status == "Success" and path.runner.launches == 1
    path.check_nothing_is_left_behind_and_the_parameter_names_a_good_image()


@pytest.mark.parametrize(("platform", "fault"), list(golden_params()))
def test_every_golden_ami_path_fails_closed(aws, platform, fault):
    path = GoldenPath(aws, GOLDEN[platform], fault)
    assert path.result.injected, f"{fault} was never reached"
    assert path.result.status == expected_golden_status(fault), (path.result.history, path.result.failures)
    if fault.kind != "cancel" and fault.step not in ("prepareBuild", "deregisterOldImages"):
        assert path.result.ran("cleanUpAfterFailure")[-1:] == ["Success"]
        assert path.result.ran("buildFailed") == ["Failed"]  # never Success after a clean-up
    if fault.step == "deregisterOldImages":
        # The image is published; a pruning that stopped half-way may leave an old image's snapshots
        # until the next build, whose pruning deletes the pipeline's snapshots no image uses.
        path.check_nothing_is_left_behind_and_the_parameter_names_a_good_image(pruning=False)
        path.rebuild()
    path.check_nothing_is_left_behind_and_the_parameter_names_a_good_image()


def cleanup_calls():
    (cleanup,) = [s for s in LINUX["mainSteps"] if s["name"] == "cleanUpAfterFailure"]
    return [api for _, api in script_calls(cleanup["inputs"]["Script"])]


@pytest.mark.parametrize(
    "fault",
    [
        # By default the lost answer on DeregisterImage: the retry comes after the call took effect, the
        # hardest of the three kinds; the slow run has every kind on every call.
        pytest.param(
            Fault("cleanUpAfterFailure", api, kind),
            marks=() if (api, kind) == ("DeregisterImage", "lost") else pytest.mark.slow,
        )
        for api in cleanup_calls()
        for kind in ("error", "timeout", "lost")
    ],
    ids=str,
)
def test_a_failing_clean_up_is_retried_and_still_removes_everything(aws, fault):
    """The image is made, then its wait times out: the clean-up has an instance and an image to remove.
    Its own first call to each API then fails each way; it is retried (maxAttempts 3)."""
    path = GoldenPath(aws, LINUX, fault)
    assert path.result.injected
    assert path.result.ran("cleanUpAfterFailure")[-1] == "Success"
    assert path.result.status == "Failed"
    path.check_nothing_is_left_behind_and_the_parameter_names_a_good_image()


@pytest.fixture(autouse=True)
def _wait_for_image_times_out(request, monkeypatch):
    """For the clean-up tests: the image never becomes available, so the clean-up runs with an image."""
    if request.node.originalname != "test_a_failing_clean_up_is_retried_and_still_removes_everything":
        return
    original = Runner._wait_for_property

    def wait(self, step, inputs):
        if step["name"] == "waitForImage":
            from runbook_sim import StepTimedOut

            raise StepTimedOut("the image stayed pending")
        return original(self, step, inputs)

    monkeypatch.setattr(Runner, "_wait_for_property", wait)


# -- the freeze guard ---------------------------------------------------------------------------


class GuardPath:
    """The customer's windows: two enabled, one disabled by hand, and, when ``broken``, one deleted
    and one the guard role may not touch."""

    def __init__(self, broken=False):
        n = next(_paths)
        self.ssm = boto3.client("ssm", region_name=REGION)

        def window(name):
            return self.ssm.create_maintenance_window(
                Name=f"sim-{n}-{name}",
                Schedule="cron(0 2 ? * SUN *)",
                Duration=4,
                Cutoff=1,
                AllowUnassociatedTargets=False,
                Tags=[{"Key": "Customer", "Value": "globex"}],
            )["WindowId"]

        self.enabled = [window("scan"), window("install")]
        self.by_hand = window("paused")
        self._set_enabled(self.by_hand, False)
        self.deleted, self.denied = [], frozenset()
        if broken:
            gone, locked = window("gone"), window("locked")
            self.ssm.delete_maintenance_window(WindowId=gone)
            self.deleted, self.denied = [gone], frozenset({locked})
        self.windows = [*self.enabled, self.by_hand, *self.deleted, *self.denied]

    @staticmethod
    def _set_enabled(window_id, enabled):
        set_window_enabled(window_id, enabled)

    def run(self, state, fault=None, topic=""):
        runner = Runner(
            GUARD,
            {"WindowIds": self.windows, "NotificationTopicArn": topic},
            execution_id=f"guard-{next(_paths)}",
            fault=fault,
            calendar_state=state,
            denied=self.denied,
        )
        return runner.run()

    def state(self, window_id):
        from moto.ssm.models import ssm_backends

        enabled = window_enabled(ssm_backends[ACCOUNT][REGION].windows[window_id])
        tags = self.ssm.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=window_id)["TagList"]
        return enabled, any(t["Key"] == "PatchingFreezeGuard" for t in tags)


def test_the_guard_holds_a_freeze_and_lifts_it_leaving_a_hand_disabled_window_alone(aws):
    path = GuardPath()
    closed = path.run("CLOSED")
    assert closed.status == "Success", closed.failures
    assert [path.state(w) for w in path.enabled] == [(False, True), (False, True)]
    assert path.state(path.by_hand) == (False, False)
    opened = path.run("OPEN")
    assert opened.status == "Success", opened.failures
    assert [path.state(w) for w in path.enabled] == [(True, False), (True, False)]
    assert path.state(path.by_hand) == (False, False)  # disabled by hand: stays disabled
    assert opened.outputs["applyState"]["LeftDisabled"] == [path.by_hand]


def test_a_failed_run_tells_the_customers_topic_and_still_ends_failed(aws):
    from moto.sns.models import sns_backends

    topic = boto3.client("sns", region_name=REGION).create_topic(Name="sim-alerts")["TopicArn"]
    path = GuardPath(broken=True)
    closed = path.run("CLOSED", topic=topic)
    assert closed.status == "Failed", closed.history
    assert closed.history[-2:] == [("notifyFailure", "Success"), ("endFailed", "Failed")], closed.failures
    assert closed.outputs["notifyFailure"]["Published"] is True
    ((_, message, subject, *_),) = sns_backends[ACCOUNT][REGION].topics[topic].sent_notifications
    assert subject == "Change freeze guard failed: windows may not be switched"
    assert "(Automation execution guard-" in message  # the run to look up
    # A run that succeeds tells nobody.
    quiet = GuardPath().run("CLOSED", topic=topic)
    assert quiet.status == "Success" and "notifyFailure" not in quiet.outputs
    assert len(sns_backends[ACCOUNT][REGION].topics[topic].sent_notifications) == 1


def test_a_deleted_and_a_denied_window_do_not_stop_the_freeze_and_the_run_fails(aws):
    path = GuardPath(broken=True)
    closed = path.run("CLOSED")
    assert [path.state(w) for w in path.enabled] == [(False, True), (False, True)]  # the freeze holds
    assert closed.status == "Failed"
    failed = closed.outputs["applyState"]["Failed"]
    assert [f.split(":")[0] for f in failed] == [*path.deleted, *path.denied]
    assert "windows not switched" in closed.failures["failOnWindowsNotSwitched"]
    opened = path.run("OPEN")
    assert [path.state(w) for w in path.enabled] == [(True, False), (True, False)]
    assert path.state(path.by_hand) == (False, False)
    assert opened.status == "Failed"


def expected_guard_status(fault: Fault) -> str:
    if fault.kind == "cancel":
        return "Cancelled"
    if fault.api == "GetCalendarState" and fault.kind in ("error", "lost"):
        return "Success"  # a read, retried (three attempts in applyState): the fault hits the first only
    # A window not switched (listed, the others switched) or a step timed out: onFailure goes on to
    # notifyFailure and endFailed, whose failure is the run's.
    return "Failed"


FAILURE_ONLY_STEPS = ("notifyFailure", "endFailed")
"""Steps a run reaches only after another failed: a fault there is not met on a run that succeeds."""


GUARD_REPRESENTATIVE = {
    "applyState:GetCalendarState:error-CLOSED",
    "applyState:GetMaintenanceWindow:error-CLOSED",
    "applyState:UpdateMaintenanceWindow:lost-CLOSED",
    "applyState:RemoveTagsFromResource:error-OPEN",
    "applyState:-:cancel-OPEN",
}
GUARD_PATHS = [
    pytest.param(
        fault,
        state,
        id=f"{fault}-{state}",
        marks=() if f"{fault}-{state}" in GUARD_REPRESENTATIVE else pytest.mark.slow,
    )
    for fault in fault_matrix(GUARD)
    for state in ("CLOSED", "OPEN")
]


@pytest.mark.parametrize(("fault", "state"), GUARD_PATHS)
def test_every_guard_path_switches_what_it_can_and_the_next_run_repairs_the_rest(aws, fault, state):
    path = GuardPath()
    if state == "OPEN":  # a freeze is ending: the guard disabled the enabled windows
        assert path.run("CLOSED").status == "Success"
    result = path.run(state, fault)
    assert (
        result.injected
        or fault.api in ("AddTagsToResource", "UpdateMaintenanceWindow", "RemoveTagsFromResource")
        or fault.step in FAILURE_ONLY_STEPS
    )
    if not result.injected:  # a call this state does not make (OPEN never tags; CLOSED never untags)
        assert result.status == "Success"
        return
    assert result.status == expected_guard_status(fault), (result.history, result.failures)
    if fault.step == "applyState" and fault.kind in ("error", "lost") and fault.api != "GetCalendarState":
        # Only the window whose call failed is missed; the other one is switched.
        ((missed, _),) = [f.split(":", 1) for f in result.outputs["applyState"]["Failed"]]
        other = next(w for w in path.enabled if w != missed)
        assert path.state(other) == ((False, True) if state == "CLOSED" else (True, False))
    assert path.state(path.by_hand) == (False, False)
    # Thirty minutes later the association runs it again: every window where the calendar wants it.
    assert path.run(state).status == "Success"
    want = (False, True) if state == "CLOSED" else (True, False)
    assert [path.state(w) for w in path.enabled] == [want, want]
    assert path.state(path.by_hand) == (False, False)


# -- the runner itself --------------------------------------------------------------------------


def test_the_runner_follows_branches_continue_and_is_critical_as_aws_documents(aws):
    """A toy runbook, to pin the rules the runbook paths rely on: onFailure Continue goes on and the
    run ends Success; a failed step routed elsewhere ends it Failed only with isCritical: true."""

    def document(is_critical):
        failing = {"name": "fail", "action": "aws:executeScript", "onFailure": "step:tidy"}
        failing["inputs"] = {"Runtime": "python3.11", "Handler": "h", "Script": "def h(e, c):\n    raise ValueError"}
        if is_critical is not None:
            failing["isCritical"] = is_critical
        return {
            "schemaVersion": "0.3",
            "parameters": {"Mode": {"type": "String", "default": "fail"}},
            "mainSteps": [
                {
                    "name": "choose",
                    "action": "aws:branch",
                    "inputs": {
                        "Choices": [{"NextStep": "fail", "Variable": "{{ Mode }}", "StringEquals": "fail"}],
                        "Default": "tidy",
                    },
                },
                failing,
                {"name": "tidy", "action": "aws:sleep", "isEnd": True, "inputs": {"Duration": "PT1S"}},
            ],
        }

    def run(doc, **parameters):
        return Runner(doc, parameters, execution_id="toy").run()

    assert run(document(None)).status == "Success"  # isCritical not set: not evaluated
    assert run(document(True)).status == "Failed"
    assert [s for s, _ in run(document(True), Mode="skip").history] == ["choose", "tidy"]
