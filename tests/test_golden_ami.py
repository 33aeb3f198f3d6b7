"""GoldenAmiPipeline: the document, the AMI id parameter, permissions and the schedule."""

import json

import pytest
import yaml

from aws_shapes import problems, tags
from conftest import MINIMAL, run_config, run_stack
from patching_components import GoldenAmiPipeline
from patching_components.aws.automation_doc import document_issues
from patching_components.config import ConfigError
from patching_components.tools.engine import ProgramError
from tests.engine import run_program

DOCUMENT = "aws:ssm/document:Document"
PARAMETER = "aws:ssm/parameter:Parameter"
WINDOW = "aws:ssm/maintenanceWindow:MaintenanceWindow"
TASK = "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"
ASSOCIATION = "aws:ssm/association:Association"


def only(run, type_, parent_suffix):
    (resource,) = [r for r in run.of_type(type_) if r.parent and r.parent.endswith(parent_suffix)]
    return resource


def document(run, pipeline):
    return yaml.safe_load(only(run, DOCUMENT, f"GoldenAmiPipeline::{pipeline}").inputs["content"])


def defaults(doc):
    return {name: spec.get("default") for name, spec in doc["parameters"].items()}


def test_linux_pipeline_from_a_public_parameter_on_a_schedule(example_runs):
    run = example_runs["Pulumi.acme.yaml"]
    resource = only(run, DOCUMENT, "GoldenAmiPipeline::acme-golden-al2023-base")
    assert (resource.inputs["documentType"], resource.inputs["documentFormat"]) == ("Automation", "YAML")
    assert resource.inputs["name"] == "acme-golden-ami-al2023-base"
    doc = yaml.safe_load(resource.inputs["content"])
    assert document_issues(doc) == []
    assert defaults(doc) == {
        "AutomationAssumeRole": run.outputs["automationRoleArn"],
        "SourceAmiId": "",
        "SourceAmiParameter": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
        "IamInstanceProfileName": run.outputs["instanceProfileName"],
        "InstanceType": "t3.small",
        "SubnetId": "subnet-0a1b2c3d4e5f60718",
        "SecurityGroupIds": [],
        "AssociatePublicIpAddress": "",
        "PatchGroupTagKey": "Patch Group",
        "PatchGroup": "acme-web",
        "TargetAmiName": "acme-golden-ami-al2023-base-{{ global:DATE_TIME }}",
        "AmiIdParameterName": "/patching/acme/golden-ami/al2023-base",
        "PipelineName": "acme-golden-ami-al2023-base",
        "Customer": "acme",
        "KeepLatest": 3,
        "KmsKeyId": "",
    }
    assert "generalizeWithSysprep" not in [s["name"] for s in doc["mainSteps"]]
    assert (
        problems(
            "ssm",
            "CreateDocument",
            {
                "Name": resource.inputs["name"],
                "Content": resource.inputs["content"],
                "DocumentType": resource.inputs["documentType"],
                "DocumentFormat": resource.inputs["documentFormat"],
                "Tags": tags(resource.inputs["tags"]),
            },
        )
        == []
    )

    window = only(run, WINDOW, "GoldenAmiPipeline::acme-golden-al2023-base")
    assert (window.inputs["schedule"], window.inputs["scheduleTimezone"]) == ("cron(0 4 ? * MON#1 *)", "Europe/London")
    task = only(run, TASK, "GoldenAmiPipeline::acme-golden-al2023-base")
    assert (task.inputs["taskType"], task.inputs["taskArn"]) == ("AUTOMATION", "acme-golden-ami-al2023-base")
    assert task.inputs["taskInvocationParameters"] == {
        "automationParameters": {
            "documentVersion": "$DEFAULT",
            "parameters": [{"name": "AutomationAssumeRole", "values": [run.outputs["automationRoleArn"]]}],
        }
    }
    request = {
        "WindowId": window.id,
        "TaskArn": task.inputs["taskArn"],
        "TaskType": "AUTOMATION",
        "Priority": 1,
        "CutoffBehavior": task.inputs["cutoffBehavior"],
        "ServiceRoleArn": task.inputs["serviceRoleArn"],
        "Name": task.inputs["name"],
        "TaskInvocationParameters": {
            "Automation": {
                "DocumentVersion": "$DEFAULT",
                "Parameters": {"AutomationAssumeRole": [run.outputs["automationRoleArn"]]},
            }
        },
    }
    assert problems("ssm", "RegisterTaskWithMaintenanceWindow", request) == []
    assert run.outputs["goldenAmis"] == {
        "al2023-base": {
            "documentName": "acme-golden-ami-al2023-base",
            "amiParameter": "/patching/acme/golden-ami/al2023-base",
        }
    }


def test_the_ami_parameter_only_ever_holds_a_patched_image_of_the_runbook(example_runs):
    """No parameter resource seeded with the source AMI: the runbook writes it, last, after
    the install, the patch-state check and the image being available."""
    run = example_runs["Pulumi.acme.yaml"]
    assert run.of_type(PARAMETER) == []
    doc = document(run, "acme-golden-al2023-base")
    names = [s["name"] for s in doc["mainSteps"]]
    writers = [s["name"] for s in doc["mainSteps"] if s["inputs"].get("Api") == "PutParameter"]
    assert writers == ["publishAmiId"]
    order = ["installSecurityPatches", "verifyNoMissingPatches", "createImage", "waitForImage", "publishAmiId"]
    assert [names.index(n) for n in order] == sorted(names.index(n) for n in order)
    publish = next(s for s in doc["mainSteps"] if s["name"] == "publishAmiId")["inputs"]
    request = {k: v for k, v in publish.items() if k not in ("Service", "Api")}
    request |= {"Name": defaults(doc)["AmiIdParameterName"], "Value": "ami-0123456789abcdef0"}
    assert request["DataType"] == "aws:ec2:image"
    assert problems("ssm", "PutParameter", request) == []


def test_the_first_build_starts_when_the_pipeline_is_created(example_runs):
    run = example_runs["Pulumi.acme.yaml"]
    association = only(run, ASSOCIATION, "GoldenAmiPipeline::acme-golden-al2023-base")
    assert association.inputs["name"] == "acme-golden-ami-al2023-base"
    assert association.inputs["parameters"] == {"AutomationAssumeRole": run.outputs["automationRoleArn"]}
    assert "scheduleExpression" not in association.inputs  # runs once, on creation; the window rebuilds
    request = {
        "Name": association.inputs["name"],
        "AssociationName": association.inputs["associationName"],
        "Parameters": {k: [v] for k, v in association.inputs["parameters"].items()},
    }
    assert problems("ssm", "CreateAssociation", request) == []
    # Only once the role may do what the runbook does.
    urns = {r.name: r.urn for r in run.of_type("aws:iam/rolePolicy:RolePolicy")}
    assert urns["acme-golden-al2023-base-runbook"] in association.dependencies
    assert urns["acme-automation-pass-instance-role"] in association.dependencies


def test_the_build_policy_publishes_exactly_the_parameter_and_reads_the_source(example_runs):
    run = example_runs["Pulumi.acme.yaml"]
    policy = json.loads(run.named("acme-golden-al2023-base-runbook").inputs["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    # Written last; read by the clean-up and the pruning, which never remove the image it names.
    assert by_sid["PublishGoldenAmiId"]["Action"] == ["ssm:PutParameter", "ssm:GetParameter"]
    assert (
        by_sid["PublishGoldenAmiId"]["Resource"]
        == "arn:aws:ssm:eu-west-1:123456789012:parameter/patching/acme/golden-ami/al2023-base"
    )
    assert by_sid["ReadSourceAmi"]["Resource"] == (
        "arn:aws:ssm:eu-west-1::parameter/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    )
    role = run.named("acme-golden-al2023-base-runbook").inputs["role"]
    assert role == run.outputs["automationRoleArn"].rsplit("/", 1)[1]


def test_windows_pipeline_with_a_fixed_ami_and_no_schedule(example_runs):
    run = example_runs["Pulumi.globex.yaml"]
    doc = document(run, "globex-golden-win2022-fileserver")
    assert document_issues(doc) == []
    names = [s["name"] for s in doc["mainSteps"]]
    assert names.index("verifyNoMissingPatches") < names.index("generalizeWithSysprep") < names.index("createImage")
    assert "generalizeWithSysprep" not in [
        s["name"] for s in document(example_runs["Pulumi.acme.yaml"], "acme-golden-al2023-base")["mainSteps"]
    ]
    assert defaults(doc)["SourceAmiId"] == "ami-0fedcba9876543210"
    assert defaults(doc)["PatchGroupTagKey"] == "PatchGroup"
    assert defaults(doc)["KeepLatest"] == 2
    assert not [r for r in run.of_type(WINDOW) if "Golden" in (r.parent or "")]
    policy = json.loads(run.named("globex-golden-win2022-fileserver-runbook").inputs["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert "ReadSourceAmi" not in by_sid  # no source parameter to read
    assert by_sid["RunPatchDocuments"]["Resource"] == [
        "arn:aws:ssm:us-east-1::document/AWS-RunPatchBaseline",
        "arn:aws:ssm:us-east-1::document/AWSEC2-RunSysprep",
    ]


def test_the_build_instance_is_tagged_imdsv2_encrypted_and_launched_once(example_runs):
    doc = document(example_runs["Pulumi.acme.yaml"], "acme-golden-al2023-base")
    (launch,) = [s for s in doc["mainSteps"] if "run_instances(" in s["inputs"].get("Script", "")]
    payload = launch["inputs"]["InputPayload"]
    assert "maxAttempts" not in launch  # the step is never retried; its script retries one request
    assert payload["ClientToken"] == "{{ automation:EXECUTION_ID }}"  # a repeated request returns the same one
    assert payload["BlockDeviceMappings"] == "{{ prepareBuild.BlockDeviceMappings }}"
    assert payload["NetworkInterfaces"] == "{{ prepareBuild.NetworkInterfaces }}"
    assert payload["IamInstanceProfileName"] == "{{ IamInstanceProfileName }}"
    assert [s["ResourceType"] for s in payload["TagSpecifications"]] == ["instance", "volume"]
    for spec in payload["TagSpecifications"]:
        assert {"Key": "{{ PatchGroupTagKey }}", "Value": "{{ PatchGroup }}"} in spec["Tags"]
        assert {"Key": "GoldenAmiBuild", "Value": "{{ automation:EXECUTION_ID }}"} in spec["Tags"]
    # The request itself (IMDSv2, one instance) is checked against EC2's model in test_golden_ami_scripts.py.
    patch = next(s for s in doc["mainSteps"] if s["action"] == "aws:runCommand")
    assert patch["inputs"]["DocumentName"] == "AWS-RunPatchBaseline"
    assert patch["inputs"]["Parameters"] == {"Operation": "Install", "RebootOption": "RebootIfNeeded"}
    assert doc["outputs"] == ["createImage.ImageId"]


def test_the_image_and_its_snapshots_are_tagged_as_they_are_created(example_runs):
    doc = document(example_runs["Pulumi.acme.yaml"], "acme-golden-al2023-base")
    (create,) = [s for s in doc["mainSteps"] if s["inputs"].get("Api") == "CreateImage"]
    assert [s["ResourceType"] for s in create["inputs"]["TagSpecifications"]] == ["image", "snapshot"]
    request = {k: v for k, v in create["inputs"].items() if k not in ("Service", "Api", "TagSpecifications")}
    request |= {"InstanceId": "i-0123456789abcdef0", "Name": "acme-golden-ami-al2023-base-2026-12-01"}
    assert problems("ec2", "CreateImage", request) == []
    assert "aws:createImage" not in {s["action"] for s in doc["mainSteps"]}  # it cannot tag at creation


def test_document_content_is_canonical(example_runs):
    first = only(example_runs["Pulumi.acme.yaml"], DOCUMENT, "GoldenAmiPipeline::acme-golden-al2023-base")
    again = only(run_stack_path("Pulumi.acme.yaml"), DOCUMENT, "GoldenAmiPipeline::acme-golden-al2023-base")
    assert first.inputs["content"] == again.inputs["content"]
    assert "\n    Script: |-\n" in first.inputs["content"]  # scripts stay readable blocks


def run_stack_path(name):
    from conftest import ROOT

    return run_stack(ROOT / "stacks" / name)


def test_pipeline_alone_checks_its_args_first():
    def program():
        GoldenAmiPipeline(
            "base",
            {"platform": "Linux", "source_ami_id": "ami-0123456789abcdef0", "patch_group": "web", "customer": "acme"},
        )

    with pytest.raises(ProgramError) as info:
        run_program({}, stack="alone", program=program)
    assert isinstance(info.value.error, ConfigError)
    assert info.value.error.lines() == [
        "GoldenAmiPipeline 'base': automation_role_arn: required argument is missing",
        "GoldenAmiPipeline 'base': automation_role_name: required argument is missing",
        "GoldenAmiPipeline 'base': instance_profile_name: required argument is missing",
    ]
    assert info.value.resources == []


def test_no_pipelines_no_golden_resources():
    run = run_config(MINIMAL)
    assert run.of_type(DOCUMENT) == [] and run.of_type(PARAMETER) == []
    assert "goldenAmis" not in run.outputs


# -- the build instance's network (issue #26 item 10) ---------------------------------------------

NETWORK_STACK = """\
config:
  aws:region: eu-west-1
  patching:customer: acme
  patching:baselines:
    al2023:
      operatingSystem: AMAZON_LINUX_2023
  patching:patchGroups:
    acme-web:
      baselines: [al2023]
  patching:goldenAmis:
    open:
      platform: Linux
      sourceAmiId: ami-0123456789abcdef0
      patchGroup: acme-web
    closed:
      platform: Linux
      sourceAmiId: ami-0123456789abcdef0
      patchGroup: acme-web
      securityGroupIds: [sg-0123456789abcdef0, sg-0fedcba9876543210]
      associatePublicIpAddress: false
    subnet:
      platform: Linux
      sourceAmiId: ami-0123456789abcdef0
      patchGroup: acme-web
      subnetId: subnet-0a1b2c3d4e5f60718
"""


def test_validate_warns_when_a_pipeline_gives_neither_subnet_nor_security_groups(tmp_path, capsys):
    from patching_components.checks import check_stack
    from patching_components.tools.cli import main

    path = tmp_path / "Pulumi.acme.yaml"
    path.write_text(NETWORK_STACK)
    (warning,) = [w for w in check_stack(path).warnings if w.path[0] == "goldenAmis"]
    assert warning.key_path() == "patching:goldenAmis.open"
    assert warning.line == NETWORK_STACK.splitlines().index("    open:") + 1
    assert "Security Hub EC2.2" in warning.message and "set securityGroupIds" in warning.message
    assert main(["validate", str(path)]) == 0  # a warning, not an error
    assert "patching:goldenAmis.open" in capsys.readouterr().out


def test_security_groups_and_the_public_ip_choice_reach_the_launch_and_scope_the_role():
    run = run_config(yaml.safe_load(NETWORK_STACK)["config"])
    closed = document(run, "acme-golden-closed")
    assert defaults(closed)["SecurityGroupIds"] == ["sg-0123456789abcdef0", "sg-0fedcba9876543210"]
    assert defaults(closed)["AssociatePublicIpAddress"] == "false"
    assert defaults(document(run, "acme-golden-open"))["AssociatePublicIpAddress"] == ""  # the subnet's setting
    policy = json.loads(run.named("acme-golden-closed-runbook").inputs["policy"])
    (launch,) = [s for s in policy["Statement"] if s["Sid"] == "LaunchFromSourceImage"]
    groups = [r for r in launch["Resource"] if ":security-group/" in r]
    assert groups == [
        "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0123456789abcdef0",
        "arn:aws:ec2:eu-west-1:123456789012:security-group/sg-0fedcba9876543210",
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["sg-123"], "securityGroupIds[0]: 'sg-123' does not match"),
        ([], "securityGroupIds"),
        ("sg-0123456789abcdef0", "securityGroupIds"),
    ],
)
def test_security_group_ids_are_sg_ids(value, message):
    config = yaml.safe_load(NETWORK_STACK)["config"]
    config["patching:goldenAmis"]["closed"]["securityGroupIds"] = value
    with pytest.raises(ProgramError) as info:
        run_config(config)
    assert message in str(info.value)
