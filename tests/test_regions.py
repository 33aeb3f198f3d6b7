"""patching:regions: one stack, every region, one set of IAM roles, and nothing replaced when a
region is added (the program under the mock engine, recording each resource's provider)."""

import json

import pytest

from conftest import EXAMPLE_STACKS, ROOT
from patching_components.config import read_stack_yaml
from patching_components.tools.cli import main
from tests.engine import run_program

SNAPSHOT = json.loads((ROOT / "tests" / "snapshots" / "urns.json").read_text())
# The settings a customer stack gives its default provider: the regional providers need them all.
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


def providers(run):
    """Provider reference (``<urn>::<id>``) -> region, for the explicit aws providers."""
    return {f"{r.urn}::{r.id}": r.inputs["region"] for r in run.of_type("pulumi:providers:aws")}


def region_of(run, resource):
    return providers(run).get(resource.provider, run.region)


@pytest.fixture(scope="module")
def acme_two_regions():
    config = with_regions(example_config(ROOT / "stacks" / "Pulumi.acme.yaml"), "us-east-1")
    return run_program(config, stack="acme", secret_keys=["aws:assumeRoles"])


def primary_urns(run, other):
    """The URNs a region added to the stack leaves to the primary region (not its provider)."""
    return sorted(
        r.urn
        for r in run.resources
        if r.type != "pulumi:providers:aws" and not r.provider and f"-{other}" not in r.name
    )


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
    assert len([r for r in iam if r.type == "aws:iam/role:Role"]) == 4  # instance, automation, window, notify
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
    assert {region_of(run, r) for r in run.of_type("aws:ssm/document:Document")} == {"eu-west-1"}


def test_other_regions_carry_the_region_in_their_names_but_not_in_patch_groups(acme_two_regions):
    run = acme_two_regions
    east = [r for r in run.resources if r.custom and region_of(run, r) == "us-east-1"]
    assert all("us-east-1" in r.name for r in east)
    baseline = run.named("acme-us-east-1-al2023", "aws:ssm/patchBaseline:PatchBaseline")
    assert baseline.inputs["name"] == "acme-us-east-1-al2023"
    window = run.named("acme-us-east-1-weekly-install", "aws:ssm/maintenanceWindow:MaintenanceWindow")
    assert window.inputs["name"] == "acme-us-east-1-weekly-install"
    assert {r.inputs["patchGroup"] for r in run.of_type("aws:ssm/patchGroup:PatchGroup")} == {"acme-web"}
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


def test_the_regional_provider_carries_the_stacks_credentials_settings(acme_two_regions):
    run = acme_two_regions
    (provider,) = run.of_type("pulumi:providers:aws")
    # Pulumi sends a provider's inputs as text, the structured ones as JSON (as config reaches a default provider).
    assert provider.inputs["region"] == "us-east-1"
    assert provider.inputs["profile"] == "msp-admin"
    assert json.loads(provider.inputs["allowedAccountIds"]) == ["111122223333"]
    assert json.loads(provider.inputs["skipMetadataApiCheck"]) is False
    assert json.loads(provider.inputs["assumeRoles"]) == [
        {"roleArn": "arn:aws:iam::111122223333:role/patching-deploy", "externalId": "shared-secret-123"}
    ]
    assert "assumeRoles" in provider.secret_inputs  # secret in the stack, secret in the provider's state


def test_every_invoke_in_a_region_goes_through_its_provider(acme_two_regions):
    run = acme_two_regions
    (east,) = providers(run)
    assert {i.provider for i in run.invokes} == {"", east}
    assert {i.token for i in run.invokes if i.provider == east} >= {
        "aws:index/getPartition:getPartition",
        "aws:index/getCallerIdentity:getCallerIdentity",
    }


def test_window_and_golden_ami_regions():
    config = with_regions(example_config(ROOT / "stacks" / "Pulumi.acme.yaml"), "us-east-1", "ap-southeast-2")
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
    (document,) = run.of_type("aws:ssm/document:Document")
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


def test_a_setting_the_aws_provider_does_not_know_is_left_out_with_a_warning():
    config = with_regions(example_config(ROOT / "stacks" / "Pulumi.initech.yaml"), "eu-west-1")
    run = run_program({**config, "aws:maxRetries": "7", "aws:noSuchSetting": "x"}, stack="initech")
    (provider,) = run.of_type("pulumi:providers:aws")
    assert json.loads(provider.inputs["maxRetries"]) == 7 and "noSuchSetting" not in provider.inputs
    assert any("aws:noSuchSetting is not an aws provider setting" in w for w in run.warnings)


def test_the_callers_providers_replace_the_ones_made_from_the_stack():
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
    assert {r.provider for r in run.resources if r.custom and "eu-west-1" in r.name} == {west}
