"""A region or EC2 instance type AWS launches after a release is a warning naming the shipped
list's date, not an error; a malformed one (a typo, an availability zone, upper case) stays an
error with its "did you mean". Names below are written by hand from AWS's naming (the Regions
page of the AWS General Reference, EC2's "Amazon EC2 instance type naming conventions")."""

from __future__ import annotations

import botocore.loaders
import botocore.session
import pytest

from conftest import MINIMAL, run_config
from patching_components.aws import limits as aws_limits
from patching_components.checks import check_stack
from patching_components.config import ConfigError, validate

# Well-formed, and in no list AWS publishes today (a future launch).
FUTURE_REGIONS = ("eu-north-9", "ap-southeast-9", "us-gov-south-9", "mx-west-7", "eusc-fr-east-3")
MALFORMED_REGIONS = {
    # value: the region a "did you mean" names
    "eu-west-1a": "eu-west-1",  # an availability zone
    "us-east1": "us-east-1",
    "eu-wset-1": "eu-west-1",  # a typo in the direction
    "EU-WEST-1": "eu-west-1",
}
FUTURE_TYPES = ("t9.medium", "m9i-flex.2xlarge", "z9gd.metal-48xl", "u9i-12tb.224xlarge")
MALFORMED_TYPES = {"t3.medum": "t3.medium", "t3medium": "t3.medium", "T3.medium": "t3.medium"}


def stack(tmp_path, body: str, name: str = "acme"):
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(
        "config:\n"
        "  aws:region: eu-west-1\n"
        "  patching:customer: acme\n"
        "  patching:baselines:\n"
        "    al2023: {operatingSystem: AMAZON_LINUX_2023}\n"
        "  patching:patchGroups:\n"
        "    acme-web: {baselines: [al2023]}\n" + body
    )
    return path


def golden_ami(instance_type: str) -> str:
    return (
        "  patching:goldenAmis:\n"
        "    base:\n"
        "      platform: Linux\n"
        "      sourceAmiParameter: /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64\n"
        "      patchGroup: acme-web\n"
        "      subnetId: subnet-0123456789abcdef0\n"
        "      securityGroupIds: [sg-0123456789abcdef0]\n"
        f"      instanceType: {instance_type}\n"
    )


def test_the_naming_patterns_take_every_name_botocore_knows():
    # botocore (a test dependency) is newer or older than the shipped lists: its names are the
    # independent sample of how AWS names regions and instance types.
    partitions = botocore.loaders.create_loader().load_data("endpoints")["partitions"]
    regions = {region: p["partition"] for p in partitions for region in p["regions"]}
    assert [r for r in regions if not aws_limits.REGION_PATTERN.fullmatch(r)] == []
    assert {r: aws_limits.partition_of(r) for r in regions} == regions
    types = botocore.session.get_session().get_service_model("ec2").shape_for("InstanceType").enum
    assert [t for t in types if not aws_limits.INSTANCE_TYPE_PATTERN.fullmatch(t)] == []


@pytest.mark.parametrize("name", [*FUTURE_REGIONS])
def test_future_regions_are_well_formed_and_unlisted(name):
    assert aws_limits.REGION_PATTERN.fullmatch(name)
    assert name not in aws_limits.regions()


@pytest.mark.parametrize("name", [*MALFORMED_REGIONS, "*", "eu-west-1 ", "eu-west", "mars"])
def test_malformed_regions_do_not_match(name):
    assert not aws_limits.REGION_PATTERN.fullmatch(name)


def test_partition_of_an_unlisted_region_is_read_from_its_name():
    assert aws_limits.partition_of("us-gov-south-9") == "aws-us-gov"
    assert aws_limits.partition_of("cn-south-3") == "aws-cn"
    assert aws_limits.partition_of("us-isob-west-5") == "aws-iso-b"
    assert aws_limits.partition_of("eu-north-9") == "aws"


def test_a_future_region_is_a_warning_naming_the_lists_date(tmp_path):
    path = stack(tmp_path, "  patching:regions: [eu-west-1, eu-north-9]\n")
    checked = check_stack(path)
    assert checked.config.regions == ["eu-west-1", "eu-north-9"]
    (warning,) = [w for w in checked.warnings if w.path == ("regions", 1)]
    assert warning.line == 8
    assert "'eu-north-9' is an AWS region name not in the list of 2026-12-01" in warning.message
    assert aws_limits.LISTS_DATE == "2026-12-01"


def test_a_future_aws_region_is_a_warning_with_its_line(tmp_path):
    path = stack(tmp_path, "").read_text().replace("aws:region: eu-west-1", "aws:region: ap-southeast-9")
    (tmp_path / "Pulumi.acme.yaml").write_text(path)
    (warning,) = [w for w in check_stack(tmp_path / "Pulumi.acme.yaml").warnings if "aws:region" in w.message]
    assert warning.line == 2
    assert warning.message.startswith("aws:region: 'ap-southeast-9' is an AWS region name not in the list of")


def test_a_future_region_keeps_the_partition_rule():
    with pytest.raises(ConfigError) as info:
        validate({**MINIMAL, "regions": ["us-east-1", "us-gov-south-9"]}, "x")
    assert info.value.lines() == [
        "x: patching:regions: one stack is one account, in one partition; these regions span ['aws', 'aws-us-gov']"
    ]


@pytest.mark.parametrize(("name", "meant"), MALFORMED_REGIONS.items())
def test_a_malformed_region_stays_an_error_with_did_you_mean(name, meant):
    with pytest.raises(ConfigError) as info:
        validate({**MINIMAL, "regions": ["eu-west-1", name]}, "x")
    (line,) = info.value.lines()
    assert line == (
        f"x: patching:regions[1]: {name!r} is not an AWS region (e.g. eu-west-1, us-east-1); did you mean {meant!r}?"
    )


@pytest.mark.parametrize("name", FUTURE_TYPES)
def test_a_future_instance_type_is_a_warning(tmp_path, name):
    assert name not in aws_limits.instance_types()
    checked = check_stack(stack(tmp_path, golden_ami(name)))
    assert checked.config.golden_amis["base"].instance_type == name
    (warning,) = [w for w in checked.warnings if w.path == ("goldenAmis", "base", "instanceType")]
    assert f"{name!r} is an EC2 instance type name not in the list of 2026-12-01" in warning.message


@pytest.mark.parametrize(("name", "meant"), MALFORMED_TYPES.items())
def test_a_malformed_instance_type_stays_an_error_with_did_you_mean(tmp_path, name, meant):
    with pytest.raises(ConfigError) as info:
        check_stack(stack(tmp_path, golden_ami(name)))
    (line,) = info.value.lines()
    assert line.endswith(
        f": patching:goldenAmis.base.instanceType: {name!r} is not an EC2 instance type; did you mean {meant!r}?"
    )


def test_listed_names_warn_about_nothing(tmp_path):
    checked = check_stack(stack(tmp_path, "  patching:regions: [eu-west-1, us-east-1]\n" + golden_ami("t3.medium")))
    assert [w for w in checked.warnings if "not in the list of" in w.message] == []


def test_the_program_warns_too():
    run = run_config({**MINIMAL, "regions": ["eu-west-1", "eu-north-9"], "aws:region": "eu-west-1"})
    assert any("patching:regions[1]: 'eu-north-9' is an AWS region name not in the list of" in w for w in run.warnings)
