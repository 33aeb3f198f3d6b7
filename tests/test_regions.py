"""patching:regions: one stack, every region, one set of IAM roles, and nothing replaced when a
region is added (the program under the mock engine, recording each resource's provider and its
``region`` input: pulumi-aws v7 builds a resource in its ``region``, else in its provider's)."""

import json
import os

import pytest

from conftest import EXAMPLE_STACKS, ROOT
from patching_components.config import read_stack_yaml
from patching_components.tools.cli import main
from tests.engine import run_program

SNAPSHOT = json.loads((ROOT / "tests" / "snapshots" / "urns.json").read_text())
# The settings a customer stack gives its default provider, which now builds every region.
CREDENTIALS = {
    "aws:profile": "msp-admin",
    "aws:assumeRoles": [
        {"roleArn": "arn:aws:iam::111122223333:role/patching-deploy", "externalId": "shared-secret-123"}
    ],
    "aws:allowedAccountIds": ["111122223333"],
    "aws:skipMetadataApiCheck": "false",
}


def example_config(path):
    return dict(read_stack_yaml(path.read_text())["config"])


def with_regions(config, *extra):
    primary = config["aws:region"]
    return {**config, **CREDENTIALS, "patching:regions": [primary, *extra]}


def region_of(run, resource):
    """Where pulumi-aws builds a resource: its ``region`` input, else its provider's region (the
    explicit providers' ``region`` input, the default provider's the stack's aws:region)."""
    providers = {f"{r.urn}::{r.id}": r.inputs["region"] for r in run.of_type("pulumi:providers:aws")}
    return resource.inputs.get("region") or providers.get(resource.provider, run.region)


@pytest.fixture(scope="module")
def acme_two_regions():
    config = with_regions(example_config(ROOT / "stacks" / "Pulumi.acme.yaml"), "us-east-1")
    return run_program(config, stack="acme", secret_keys=["aws:assumeRoles"])


def primary_urns(run, other):
    """The URNs a region added to the stack leaves to the primary region (not its provider)."""
    return sorted(r.urn for r in run.resources if f"-{other}" not in r.name)


@pytest.mark.parametrize("path", [p for p in EXAMPLE_STACKS if p.name in SNAPSHOT], ids=lambda p: p.name)
def test_adding_a_region_replaces_nothing_in_the_primary_region(path):
    # The stacks the snapshot knows: a customer stack added since has no live resources to keep.
    config = example_config(path)
    other = "us-west-2"
    stack = path.name.split(".")[1]
    if "snsTopicArn" in config.get("patching:notifications", {}):
        # globex notifies an existing topic, which is in one region: a second region needs a topic of
        # its own (see the next test). Without notifications, its primary region stays as it is.
        del config["patching:notifications"]
        expected = sorted(r.urn for r in run_program(config, stack=stack).resources)
    else:
        expected = SNAPSHOT[path.name]
    run = run_program(with_regions(config, other), stack=stack)
    assert primary_urns(run, other) == expected  # the same URNs: every live resource stays
    assert {region_of(run, r) for r in run.resources if r.custom} == {config["aws:region"], other}


def test_an_existing_topic_and_a_second_region_is_a_clear_error(capsys, tmp_path):
    text = (ROOT / "stacks" / "Pulumi.globex.yaml").read_text()
    path = tmp_path / "Pulumi.globex.yaml"
    path.write_text(
        text.replace(
            "  patching:customer: globex\n", "  patching:customer: globex\n  patching:regions: [us-east-1, us-west-2]\n"
        )
    )
    assert main(["validate", str(path)]) == 1
    assert "patching:notifications.snsTopicArn: Run Command publishes to a topic in the window's own region" in (
        capsys.readouterr().out
    )


def test_iam_is_built_once_and_everything_else_in_every_region(acme_two_regions):
    run = acme_two_regions
    iam = [r for r in run.resources if r.type.startswith("aws:iam/")]
    # The roles, profile and their policies: all through the default provider, once.
    # instance, automation, window, notify, ring prod's promotion role (one for both regions) and the circuit
    # breaker's two (acme's install window has a stop alarm)
    assert len([r for r in iam if r.type == "aws:iam/role:Role"]) == 7
    assert len(run.of_type("aws:iam/instanceProfile:InstanceProfile")) == 1
    assert len(run.of_type("aws:s3/bucket:Bucket")) == 1 and not run.of_type("aws:s3/bucket:Bucket")[0].provider
    regional_types = [
        "aws:ssm/patchBaseline:PatchBaseline",
        "aws:ssm/patchGroup:PatchGroup",
        "aws:ssm/defaultPatchBaseline:DefaultPatchBaseline",
        "aws:ssm/maintenanceWindow:MaintenanceWindow",
        "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget",
        "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask",
        "aws:sns/topic:Topic",
        "aws:ssm/resourceDataSync:ResourceDataSync",
    ]
    for type_ in regional_types:
        # One of each per region; the golden AMI pipeline's schedule window is in its one region.
        found = [region_of(run, r) for r in run.of_type(type_) if "golden" not in r.name]
        assert sorted(found) == sorted(["eu-west-1", "us-east-1"] * (len(found) // 2)) and found, type_
    # The golden AMI pipeline builds in its one region, the primary by default.
    assert {region_of(run, r) for r in run.of_type("aws:ssm/document:Document") if "golden" in r.name} == {"eu-west-1"}
    # Ring prod's promotion runbook in each region; its override objects in the log bucket's region.
    assert sorted(region_of(run, r) for r in run.of_type("aws:ssm/document:Document") if "ring" in r.name) == [
        "eu-west-1",
        "us-east-1",
    ]
    objects = run.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
    assert sorted(o.inputs["key"] for o in objects) == [
        "patching/acme.rings/prod.json",
        "patching/acme.rings/us-east-1/prod.json",
    ]
    assert {region_of(run, o) for o in objects} == {"eu-west-1"}
    # The circuit breaker (acme's install window has a stop alarm) runs in every region of that window.
    breakers = [r for r in run.of_type("aws:ssm/document:Document") if r.name.endswith("breaker")]
    assert sorted(region_of(run, r) for r in breakers) == ["eu-west-1", "us-east-1"]


def test_other_regions_carry_the_region_in_their_names_but_not_in_patch_groups(acme_two_regions):
    run = acme_two_regions
    east = [r for r in run.resources if r.custom and region_of(run, r) == "us-east-1"]
    assert all("us-east-1" in r.name for r in east)
    baseline = run.named("acme-us-east-1-al2023", "aws:ssm/patchBaseline:PatchBaseline")
    assert baseline.inputs["name"] == "acme-us-east-1-al2023"
    window = run.named("acme-us-east-1-weekly-install", "aws:ssm/maintenanceWindow:MaintenanceWindow")
    assert window.inputs["name"] == "acme-us-east-1-weekly-install"
    assert {r.inputs["patchGroup"] for r in run.of_type("aws:ssm/patchGroup:PatchGroup")} == {"acme-web", "acme-dev"}
    target = run.named("acme-us-east-1-weekly-install-targets")
    assert target.inputs["targets"] == [{"key": "tag:Patch Group", "values": ["acme-web"]}]


def test_references_never_cross_regions(acme_two_regions):
    run = acme_two_regions
    by_id = {r.id: r for r in run.resources if r.custom}
    checked = 0
    for r in run.resources:
        for key in ("windowId", "baselineId"):
            if key in r.inputs:
                assert region_of(run, by_id[r.inputs[key]]) == region_of(run, r), (r.name, key)
                checked += 1
        task = r.inputs.get("taskInvocationParameters", {}).get("runCommandParameters")  # not AUTOMATION
        if task and "notificationConfig" in task:
            topic = task["notificationConfig"]["notificationArn"]
            assert topic.split(":")[3] == region_of(run, r), r.name  # a topic of the window's region
        for target_id in r.inputs.get("targets", []) if r.type.endswith("MaintenanceWindowTask") else []:
            (window_target,) = [t for t in run.resources if t.id in target_id["values"]]
            assert region_of(run, window_target) == region_of(run, r)
    assert checked >= 12


def test_one_log_bucket_receives_every_region(acme_two_regions):
    run = acme_two_regions
    (bucket,) = run.of_type("aws:s3/bucket:Bucket")
    prefixes = {}
    for task in run.of_type("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"):
        if task.inputs["taskType"] != "RUN_COMMAND":
            continue  # the golden AMI rebuild (Automation) writes no Run Command output
        command = task.inputs["taskInvocationParameters"]["runCommandParameters"]
        assert command["outputS3Bucket"] == bucket.inputs.get("bucket", "acme-logs-mock")
        prefixes[task.name] = command["outputS3KeyPrefix"]
    assert prefixes["acme-weekly-install-patch"] == "patching/acme/weekly-install"  # as before
    assert prefixes["acme-us-east-1-weekly-install-patch"] == "patching/acme/us-east-1/weekly-install"
    # The instance role may write the customer's prefix, which holds every region's.
    policy = json.loads(run.named("acme-instance-patch-logs").inputs["policy"])
    assert policy["Statement"][0]["Resource"] == ["arn:aws:s3:::acme-logs-mock/patching/acme/*"]
    sync = run.named("acme-us-east-1-sync").inputs["s3Destination"]
    assert sync["region"] == "eu-west-1" and sync["prefix"] == "patching/acme/sync"  # the bucket's region


def test_one_notification_role_publishes_to_every_regions_topic(acme_two_regions):
    run = acme_two_regions
    (role,) = [r for r in run.of_type("aws:iam/role:Role") if "notify" in r.name]
    publish = [p for p in run.of_type("aws:iam/rolePolicy:RolePolicy") if p.name.endswith("notify-publish")]
    assert {p.inputs["role"] for p in publish} == {role.inputs.get("name", "acme-notify-mock")}
    topics = {json.loads(p.inputs["policy"])["Statement"][0]["Resource"] for p in publish}
    assert {t.split(":")[3] for t in topics} == {"eu-west-1", "us-east-1"}
    # Each region's topic has the customer's subscriptions (each address confirms each topic).
    subscriptions = run.of_type("aws:sns/topicSubscription:TopicSubscription")
    assert sorted(region_of(run, s) for s in subscriptions) == ["eu-west-1"] * 2 + ["us-east-1"] * 2


def test_every_region_builds_through_the_stacks_provider_with_its_region(acme_two_regions):
    # No copied aws.Provider (which read the stack's aws: settings through SDK internals): every
    # resource goes through the stack's default provider, configured by its aws: keys as always.
    run = acme_two_regions
    assert not run.of_type("pulumi:providers:aws")
    assert {r.provider for r in run.resources if r.custom} == {""}
    # Each regional resource names its region: the primary one too, so that pulumi-aws v7 (which
    # records the region in the state) sees the same region as the explicit provider used to give it.
    for r in run.resources:
        if r.custom and r.type.startswith("aws:iam/"):
            assert "region" not in r.inputs, r.name  # IAM is global: pulumi-aws v7 takes no region
        elif r.type == "aws:s3/bucketObjectv2:BucketObjectv2":  # a ring's override: in the one log bucket
            assert r.inputs["region"] == "eu-west-1", r.name
        elif r.custom:
            assert r.inputs["region"] == ("us-east-1" if "us-east-1" in r.name else "eu-west-1"), r.name
            assert r.region == r.inputs["region"]  # what plan shows and snapshots


def test_invokes_go_through_the_stacks_provider_and_ask_no_region(acme_two_regions):
    run = acme_two_regions
    assert {i.provider for i in run.invokes} == {""}
    # Partition and account are global (one lookup each); a region the config names is not looked up.
    assert sorted(i.token for i in run.invokes) == [
        "aws:index/getCallerIdentity:getCallerIdentity",
        "aws:index/getPartition:getPartition",
    ]


def test_a_region_the_config_names_is_in_the_policies_that_need_one(acme_two_regions):
    run = acme_two_regions
    # The freeze guard's and the runbook's documents name their own region's ARNs.
    east = [r for r in run.of_type("aws:iam/rolePolicy:RolePolicy") if "us-east-1" in r.name]
    assert east and all(":eu-west-1:" not in r.inputs["policy"] for r in east)
    assert any(":us-east-1:" in r.inputs["policy"] for r in east)


# acme as the region snapshots (made by the old code) have it: before its dev ring (patching:rings).
ACME_BEFORE_RINGS = ROOT / "tests" / "data" / "acme-before-rings" / "Pulumi.acme.yaml"


def test_window_and_golden_ami_regions():
    config = with_regions(example_config(ACME_BEFORE_RINGS), "us-east-1", "ap-southeast-2")
    config["patching:maintenanceWindows"]["weekly-install"]["regions"] = ["eu-west-1", "ap-southeast-2"]
    config["patching:goldenAmis"]["al2023-base"]["region"] = "us-east-1"
    run = run_program(config, stack="acme")
    windows = {
        (r.inputs["name"], region_of(run, r)) for r in run.of_type("aws:ssm/maintenanceWindow:MaintenanceWindow")
    }
    assert {name for name, _ in windows if "install" in name} == {
        "acme-weekly-install",
        "acme-ap-southeast-2-weekly-install",
    }
    assert ("acme-us-east-1-daily-scan", "us-east-1") in windows
    (document,) = [d for d in run.of_type("aws:ssm/document:Document") if "golden" in d.name]
    assert region_of(run, document) == "us-east-1"
    assert document.inputs["name"] == "acme-us-east-1-golden-ami-al2023-base"
    # The runbook's policy (IAM, global) names the pipeline's region, looked up through its provider.
    policy = run.named("acme-us-east-1-golden-al2023-base-runbook").inputs["policy"]
    assert ":ssm:us-east-1:" in policy and ":ssm:eu-west-1:" not in policy
    assert run.outputs["maintenanceWindowIdsByRegion"].keys() == {"eu-west-1", "us-east-1", "ap-southeast-2"}
    assert set(run.outputs["maintenanceWindowIdsByRegion"]["us-east-1"]) == {"daily-scan"}
    assert run.outputs["goldenAmisByRegion"]["us-east-1"]["al2023-base"]["documentName"] == (
        "acme-us-east-1-golden-ami-al2023-base"
    )
    assert run.outputs["goldenAmis"] == {}  # today's output is the primary region's


def test_a_one_region_stack_exports_what_it_always_did():
    run = run_program(example_config(ROOT / "stacks" / "Pulumi.acme.yaml"), stack="acme")
    assert not any(key.endswith("ByRegion") for key in run.outputs)
    assert not run.of_type("pulumi:providers:aws")


def test_plan_groups_resources_by_region(capsys, tmp_path):
    text = (ROOT / "stacks" / "Pulumi.acme.yaml").read_text()
    path = tmp_path / "Pulumi.acme.yaml"
    path.write_text(
        text.replace(
            "  patching:customer: acme\n", "  patching:customer: acme\n  patching:regions: [eu-west-1, us-east-1]\n"
        )
    )
    assert main(["plan", str(path)]) == 0
    out = capsys.readouterr().out
    first, second = out.index("## eu-west-1 (primary region; IAM is global)"), out.index("## us-east-1\n")
    assert first < second
    assert "aws:iam/role:Role acme-instance" in out[first:second]
    assert "aws:iam/role:Role" not in out[second:]
    assert "aws:ssm/patchBaseline:PatchBaseline acme-us-east-1-al2023" in out[second:]
    assert "aws:ssm/patchBaseline:PatchBaseline acme-al2023\n" in out[first:second]


def test_the_stacks_aws_settings_are_left_to_its_provider():
    # Nothing reads the aws: namespace any more: a setting the provider does not know is its business.
    config = with_regions(example_config(ROOT / "stacks" / "Pulumi.initech.yaml"), "eu-west-1")
    run = run_program({**config, "aws:maxRetries": "7", "aws:noSuchSetting": "x"}, stack="initech")
    assert not run.of_type("pulumi:providers:aws")
    assert not any("aws:" in w for w in run.warnings)


def test_a_callers_provider_for_a_region_builds_that_region():
    import pulumi
    import pulumi_aws as aws

    from patching_components import CustomerPatching
    from patching_components.config import read_stack_yaml as read
    from patching_components.config import validate

    raw = read((ROOT / "stacks" / "Pulumi.initech.yaml").read_text())["config"]
    args = {k.split(":", 1)[1]: v for k, v in raw.items() if k.startswith("patching:")}
    args["regions"] = ["eu-central-1", "eu-west-1"]

    def program():
        west = aws.Provider("mine", region="eu-west-1")
        CustomerPatching("initech", validate(args, "initech"), region_providers={"eu-west-1": west})
        pulumi.export("ok", True)

    run = run_program({"aws:region": "eu-central-1"}, stack="initech", program=program)
    (provider,) = run.of_type("pulumi:providers:aws")
    assert provider.name == "mine"
    west = f"{provider.urn}::{provider.id}"
    in_west = [r for r in run.resources if r.custom and "eu-west-1" in r.name]
    assert in_west and {r.provider for r in in_west} == {west}
    assert {r.inputs.get("region") for r in in_west if not r.type.startswith("aws:iam/")} == {"eu-west-1"}
    # The primary region through the stack's default provider, as without the caller's provider.
    assert {r.provider for r in run.resources if r.custom and r not in in_west} == {""}


REGION_PLANS = ROOT / "tests" / "snapshots" / "regions"


def multi_region_config(*extra, pinned=False):
    config = with_regions(example_config(ACME_BEFORE_RINGS), *extra)
    if pinned:  # a window in two of the regions, the pipeline in another than the primary
        config["patching:maintenanceWindows"]["weekly-install"]["regions"] = ["eu-west-1", "ap-southeast-2"]
        config["patching:goldenAmis"]["al2023-base"]["region"] = "us-east-1"
    return config


@pytest.mark.parametrize(
    ("label", "extra", "pinned"),
    [
        ("acme+us-east-1", ["us-east-1"], False),
        ("acme+us-east-1+ap-southeast-2", ["us-east-1", "ap-southeast-2"], True),
    ],
)
def test_every_region_keeps_its_urns_and_inputs(label, extra, pinned):
    # The snapshots were taken when each extra region had its own aws.Provider (before the change to
    # region=): every URN and every input but `region` is the same, so a live stack replaces nothing.
    # Regenerate with UPDATE_SNAPSHOTS=1 only for a change meant to reach live stacks.
    run = run_program(multi_region_config(*extra, pinned=pinned), stack="acme")
    plan = {r.urn: {"inputs": {k: v for k, v in r.inputs.items() if k != "region"}} for r in run.resources}
    current = json.dumps(plan, indent=1, sort_keys=True, default=str) + "\n"
    snapshot = REGION_PLANS / f"{label}.json"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        snapshot.write_text(current)
    assert current == snapshot.read_text()


def test_in_region_gives_regional_resources_their_region_and_global_ones_none():
    import pulumi
    import pulumi_aws as aws

    from patching_components.components._base import in_region, lookup, region_of

    seen = {}

    def program():
        outer = pulumi.ComponentResource("test:index:Outer", "outer", None, in_region("ap-south-1"))
        inner = pulumi.ComponentResource("test:index:Inner", "inner", None, pulumi.ResourceOptions(parent=outer))
        aws.sns.Topic("topic", opts=pulumi.ResourceOptions(parent=inner))
        aws.sns.Topic("elsewhere", region="sa-east-1", opts=pulumi.ResourceOptions(parent=inner))
        aws.iam.Role("role", assume_role_policy="{}", opts=pulumi.ResourceOptions(parent=inner))
        seen["regions"] = (region_of(outer), region_of(inner))
        lookup(inner, "region").apply(lambda region: seen.setdefault("looked up", region))

    run = run_program({"aws:region": "eu-west-1"}, stack="acme", program=program)
    assert seen == {"regions": ("ap-south-1", "ap-south-1"), "looked up": "ap-south-1"}
    assert run.named("topic").inputs["region"] == "ap-south-1" and run.named("topic").region == "ap-south-1"
    assert run.named("elsewhere").inputs["region"] == "sa-east-1"  # a region given is kept
    assert "region" not in run.named("role").inputs  # IAM is global: aws.iam.Role takes no region
    assert not run.invokes  # the region is known: nothing to look up


def test_the_callers_provider_builds_every_region():
    import pulumi
    import pulumi_aws as aws

    from patching_components import CustomerPatching
    from patching_components.config import read_stack_yaml as read
    from patching_components.config import validate

    raw = read((ROOT / "stacks" / "Pulumi.initech.yaml").read_text())["config"]
    args = {k.split(":", 1)[1]: v for k, v in raw.items() if k.startswith("patching:")}
    args["regions"] = ["eu-central-1", "eu-west-1"]

    def program():
        account = aws.Provider("customer-account", region="eu-central-1")
        CustomerPatching("initech", validate(args, "initech"), opts=pulumi.ResourceOptions(provider=account))

    run = run_program({"aws:region": "us-east-1"}, stack="initech", program=program)
    (provider,) = run.of_type("pulumi:providers:aws")
    custom = [r for r in run.resources if r.custom and r is not provider]
    assert {r.provider for r in custom} == {f"{provider.urn}::{provider.id}"}  # no provider of its own
    assert {r.region for r in custom if "eu-west-1" in r.name and not r.type.startswith("aws:iam/")} == {"eu-west-1"}
    assert {i.provider for i in run.invokes} == {f"{provider.urn}::{provider.id}"}
