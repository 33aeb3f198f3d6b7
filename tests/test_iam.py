"""PatchingIam: trust policies, least privilege, no literal account ids."""

import json
import re
from pathlib import Path

import pulumi
import pytest

from aws_shapes import problems, tags
from conftest import MINIMAL, ROOT, run_config
from patching_components import PatchingIam
from patching_components.aws.iam_grants import NO_RESOURCE_LEVEL_ACTIONS
from patching_components.config import read_stack_yaml
from tests.engine import run_program

OTHER_ACCOUNT = "210987654321"


def iam_alone(**kwargs):
    return run_program({}, stack="iam", program=lambda: PatchingIam("acme", {"tags": {"Customer": "acme"}}), **kwargs)


def policy(resource, key):
    return json.loads(resource.inputs[key])


def test_instance_role_is_for_ec2_only():
    run = iam_alone()
    role = run.named("acme-instance", "aws:iam/role:Role")
    assert policy(role, "assumeRolePolicy")["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ]
    core = run.named("acme-instance-ssm-core").inputs
    assert core == {"role": "acme-instance-mock", "policyArn": "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"}
    profile = run.named("acme-instance", "aws:iam/instanceProfile:InstanceProfile")
    assert profile.inputs["role"] == "acme-instance-mock"  # the role's name output
    assert profile.parent.endswith("PatchingIam::acme")


def test_automation_role_trust_has_confused_deputy_conditions():
    run = iam_alone(account_id=OTHER_ACCOUNT)
    (statement,) = policy(run.named("acme-automation", "aws:iam/role:Role"), "assumeRolePolicy")["Statement"]
    assert statement["Principal"] == {"Service": "ssm.amazonaws.com"}
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": OTHER_ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:ssm:*:{OTHER_ACCOUNT}:automation-execution/*"},
    }
    # No managed policy (AmazonSSMAutomationRole grants ssm:* on *): each pipeline adds what its runbook calls.
    attached = run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    assert [a.inputs["role"] for a in attached] == ["acme-instance-mock"]


def test_automation_role_passes_exactly_the_instance_role_to_ec2():
    run = iam_alone(account_id=OTHER_ACCOUNT)
    (statement,) = policy(run.named("acme-automation-pass-instance-role"), "policy")["Statement"]
    assert statement["Action"] == "iam:PassRole"
    assert statement["Resource"] == f"arn:aws:iam::{OTHER_ACCOUNT}:role/acme-instance-mock"
    assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}


def test_partition_comes_from_the_provider():
    run = iam_alone(partition="aws-cn")
    arns = [r.inputs["policyArn"] for r in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")]
    assert arns and all(a.startswith("arn:aws-cn:iam::aws:policy/") for a in arns)


def test_log_writes_are_limited_to_the_given_objects():
    arn = "arn:aws:s3:::acme-logs/patching/*"
    run = run_program({}, stack="iam", program=lambda: PatchingIam("acme", {"log_object_arns": [arn]}))
    (statement,) = policy(run.named("acme-instance-patch-logs"), "policy")["Statement"]
    assert statement["Action"] == "s3:PutObject" and statement["Resource"] == [arn]


def test_outputs_are_attributes():
    seen = {}

    def program():
        iam = PatchingIam("acme", {})
        pulumi.export("profile", iam.instance_profile_name)
        pulumi.export("automation", iam.automation_role_arn)
        seen["iam"] = iam

    run = run_program({}, stack="iam", program=program)
    assert run.outputs == {
        "profile": "acme-instance-mock",
        "automation": "arn:aws:iam::123456789012:role/acme-automation-mock",
    }


@pytest.mark.parametrize("account_id", ["123456789012", OTHER_ACCOUNT])
def test_no_wildcard_actions_and_resources_only_where_iam_has_no_other(account_id):
    run = run_config(MINIMAL, account_id=account_id)
    inline = run.of_type("aws:iam/rolePolicy:RolePolicy")
    assert inline
    for resource in inline:
        for statement in policy(resource, "policy")["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            assert not any(a == "*" or a.endswith(":*") for a in actions), (resource.name, statement)
            if "*" in resources:
                assert set(actions) <= NO_RESOURCE_LEVEL_ACTIONS, (resource.name, statement)


def test_actions_allowed_on_any_resource_really_have_no_resource_level_permission():
    """Checked against parliament's copy of AWS's service authorization reference."""
    import parliament

    # parliament parsed its iam_definition.json (10 MB) when imported: the same data, not read twice.
    definition = parliament.iam_definition
    privileges = {
        f"{service['prefix']}:{p['privilege']}": [r["resource_type"] for r in p["resource_types"]]
        for service in definition
        for p in service["privileges"]
    }
    assert {action: privileges[action] for action in NO_RESOURCE_LEVEL_ACTIONS} == {
        action: [""] for action in NO_RESOURCE_LEVEL_ACTIONS
    }


def test_no_account_id_is_written_in_the_source():
    sources = [*(ROOT / "patching_components").rglob("*.py"), *(ROOT / "programs").rglob("*.py")]
    offenders = [
        f"{path.relative_to(ROOT)}: {match}"
        for path in sources
        if path.name != "engine.py"  # the mock engine's placeholder account is the one allowed
        for match in re.findall(r"(?<![0-9])[0-9]{12}(?![0-9])", Path(path).read_text())
    ]
    assert offenders == []


def test_roles_are_valid_create_role_requests():
    run = run_config(MINIMAL)
    for role in run.of_type("aws:iam/role:Role"):
        request = {
            "RoleName": role.inputs.get("name", role.name),
            "AssumeRolePolicyDocument": role.inputs["assumeRolePolicy"],
            "Description": role.inputs["description"],
            "Tags": tags(role.inputs["tags"]),
        }
        assert problems("iam", "CreateRole", request) == []


def test_policy_documents_are_json_of_their_resolved_outputs_and_stay_secret():
    """json_document (used for every policy) gives Output.json_dumps's text and keeps secrets secret."""
    import pulumi_aws as aws

    from patching_components.components._base import json_document

    def program():
        document = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["s3:PutObject"],
                    "Resource": [pulumi.Output.concat("arn:aws:s3:::", pulumi.Output.secret("b"), "/*"), "x"],
                    "Condition": {"NumericLessThan": {"s3:max": 3}},
                }
            ],
        }
        aws.iam.Policy("ours", policy=json_document(document))
        aws.iam.Policy("pulumis", policy=pulumi.Output.json_dumps(document))

    run = run_program({}, stack="json", program=program)
    ours, pulumis = run.named("ours"), run.named("pulumis")
    assert ours.inputs["policy"] == pulumis.inputs["policy"]
    assert json.loads(ours.inputs["policy"])["Statement"][0]["Resource"] == ["arn:aws:s3:::b/*", "x"]
    assert ours.secret_inputs == ["policy"]


def test_permissions_boundary_is_on_every_role_the_stack_creates(example_runs):
    from conftest import EXAMPLE_STACKS

    boundary = "arn:aws:iam::111122223333:policy/msp-boundary"
    for path in EXAMPLE_STACKS:
        config = {
            f"patching:{k}" if ":" not in k else k: v for k, v in read_stack_yaml(path.read_text())["config"].items()
        }
        run = run_program({**config, "patching:permissionsBoundary": boundary}, stack=path.name.split(".")[1])
        roles = run.of_type("aws:iam/role:Role")
        assert len(roles) >= 3 and {r.inputs.get("permissionsBoundary") for r in roles} == {boundary}, path.name
        # Without it, none: AWS would refuse a boundary policy that does not exist.
        assert all("permissionsBoundary" not in r.inputs for r in example_runs[path.name].of_type("aws:iam/role:Role"))


def test_a_permissions_boundary_must_be_a_managed_policy_arn():
    from patching_components.config import ConfigError, validate

    with pytest.raises(ConfigError) as info:
        validate({**MINIMAL, "permissionsBoundary": "arn:aws:iam::111122223333:role/not-a-policy"}, "x")
    assert "patching:permissionsBoundary" in info.value.lines()[0]
