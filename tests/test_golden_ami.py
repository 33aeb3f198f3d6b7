"""GoldenAmiPipeline: the document, the AMI id parameter, permissions and the schedule."""

import json

import pytest
import yaml

from aws_shapes import problems, tags
from conftest import MINIMAL, run_config, run_stack
from patching_components import GoldenAmiPipeline
from patching_components.automation_doc import document_issues
from patching_components.config import ConfigError
from patching_components.mock_engine import ProgramError, run_program

DOCUMENT = "aws:ssm/document:Document"
PARAMETER = "aws:ssm/parameter:Parameter"
WINDOW = "aws:ssm/maintenanceWindow:MaintenanceWindow"
TASK = "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"


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
        "PatchGroupTagKey": "Patch Group",
        "PatchGroup": "acme-web",
        "TargetAmiName": "acme-golden-ami-al2023-base-{{ global:DATE_TIME }}",
        "AmiIdParameterName": "/patching/acme/golden-ami/al2023-base",
        "PipelineName": "acme-golden-ami-al2023-base",
        "Customer": "acme",
        "KeepLatest": 3,
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


def test_ami_id_parameter_is_an_image_parameter_the_runbook_owns(example_runs):
    run = example_runs["Pulumi.acme.yaml"]
    parameter = only(run, PARAMETER, "GoldenAmiPipeline::acme-golden-al2023-base")
    assert parameter.inputs["dataType"] == "aws:ec2:image"
    assert parameter.inputs["name"] == "/patching/acme/golden-ami/al2023-base"
    assert parameter.ignore_changes == ["value"]
    assert parameter.inputs["value"].startswith("ami-")  # the source AMI as first value
    assert "value" in parameter.secret_inputs
    request = {
        "Name": parameter.inputs["name"],
        "Value": parameter.inputs["value"],
        "Type": "String",
        "DataType": "aws:ec2:image",
    }
    assert problems("ssm", "PutParameter", request) == []


def test_automation_role_may_write_exactly_the_parameter(example_runs):
    run = example_runs["Pulumi.acme.yaml"]
    policy = json.loads(run.named("acme-golden-al2023-base-parameters").inputs["policy"])
    write, read = policy["Statement"]
    assert write["Action"] == ["ssm:PutParameter", "ssm:GetParameter"]
    assert write["Resource"] == "arn:aws:ssm:eu-west-1:123456789012:parameter/patching/acme/golden-ami/al2023-base"
    assert read == {
        "Sid": "ReadSourceAmi",
        "Effect": "Allow",
        "Action": "ssm:GetParameter",
        "Resource": [
            "arn:aws:ssm:eu-west-1::parameter/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
        ],
    }
    role = run.named("acme-golden-al2023-base-parameters").inputs["role"]
    assert role == run.outputs["automationRoleArn"].rsplit("/", 1)[1]


def test_windows_pipeline_with_a_fixed_ami_and_no_schedule(example_runs):
    run = example_runs["Pulumi.globex.yaml"]
    doc = document(run, "globex-golden-win2022-fileserver")
    assert document_issues(doc) == []
    names = [s["name"] for s in doc["mainSteps"]]
    assert names.index("installSecurityPatches") < names.index("generalizeWithSysprep") < names.index("createImage")
    assert defaults(doc)["SourceAmiId"] == "ami-0fedcba9876543210"
    assert defaults(doc)["PatchGroupTagKey"] == "PatchGroup"
    assert defaults(doc)["KeepLatest"] == 2
    parameter = only(run, PARAMETER, "GoldenAmiPipeline::globex-golden-win2022-fileserver")
    assert parameter.inputs["value"] == "ami-0fedcba9876543210"
    assert not [r for r in run.of_type(WINDOW) if "Golden" in (r.parent or "")]
    policy = json.loads(run.named("globex-golden-win2022-fileserver-parameters").inputs["policy"])
    assert len(policy["Statement"]) == 1  # no source parameter to read


def test_build_instance_is_tagged_with_the_patch_group(example_runs):
    doc = document(example_runs["Pulumi.acme.yaml"], "acme-golden-al2023-base")
    launch = next(s for s in doc["mainSteps"] if s["action"] == "aws:runInstances")
    (spec,) = launch["inputs"]["TagSpecifications"]
    assert {"Key": "{{ PatchGroupTagKey }}", "Value": "{{ PatchGroup }}"} in spec["Tags"]
    assert launch["inputs"]["IamInstanceProfileName"] == "{{ IamInstanceProfileName }}"
    patch = next(s for s in doc["mainSteps"] if s["action"] == "aws:runCommand")
    assert patch["inputs"]["DocumentName"] == "AWS-RunPatchBaseline"
    assert patch["inputs"]["Parameters"] == {"Operation": "Install", "RebootOption": "RebootIfNeeded"}
    assert doc["outputs"] == ["createImage.ImageId"]


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
        "GoldenAmiPipeline 'base': instance_profile_name: required",
        "GoldenAmiPipeline 'base': automation_role_arn: required",
        "GoldenAmiPipeline 'base': automation_role_name: required",
    ]
    assert info.value.resources == []


def test_no_pipelines_no_golden_resources():
    run = run_config(MINIMAL)
    assert run.of_type(DOCUMENT) == [] and run.of_type(PARAMETER) == []
    assert "goldenAmis" not in run.outputs
