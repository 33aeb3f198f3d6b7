"""The automation role may do exactly what the golden AMI runbooks do.

The API calls are derived from the rendered documents: each step's action (what
AWS documents it calls), each aws:executeAwsApi / aws:waitForAwsResourceProperty
call, and each boto3 call in an aws:executeScript (read from the script's syntax
tree). The resources and condition keys each call is authorized on are written
from AWS's service authorization reference. tests/iam_model.py evaluates them
against the policies the stack gives the role: every call is allowed, nothing
else is granted, and the same calls on other pipelines' resources are denied.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from dataclasses import dataclass, replace
from typing import Any

import botocore.session
import pytest
import yaml
from iam_model import Request, allowed, granted_actions

from conftest import EXAMPLE_STACKS, example_run, run_config

DOCUMENT = "aws:ssm/document:Document"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
EXECUTION_ID = "0e1f2a3b-exec"
KMS_KEY = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789"


@functools.cache
def _api_names(service: str) -> dict[str, str]:
    """boto3 method name -> API name (``describe_images`` -> ``DescribeImages``), from botocore's model."""
    model = botocore.session.get_session().get_service_model(service)
    return {botocore.xform_name(op): op for op in model.operation_names}


@dataclass(frozen=True)
class Call:
    step: str
    service: str
    api: str
    inputs: dict[str, Any]


def script_calls(script: str) -> list[tuple[str, str, set[str]]]:
    """(service, API, keyword names) of every ``boto3.client(svc).<method>(...)`` call in a script."""
    tree = ast.parse(script)
    clients: dict[str, str] = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and getattr(node.value.func, "attr", None) == "client"
        ):
            (target,) = node.targets
            clients[target.id] = node.value.args[0].value
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id in clients:
                service = clients[owner.id]
                found.append((service, _api_names(service)[node.func.attr], {k.arg for k in node.keywords}))
    return found


def runbook_calls(document: dict[str, Any]) -> list[Call]:
    """Every AWS API call the runbook's steps make."""
    calls = []
    for step in document["mainSteps"]:
        name, action, inputs = step["name"], step["action"], step.get("inputs", {})
        if action in ("aws:executeAwsApi", "aws:waitForAwsResourceProperty"):
            calls.append(Call(name, inputs["Service"], inputs["Api"], inputs))
        elif action == "aws:executeScript":
            for service, api, keywords in script_calls(inputs["Script"]):
                calls.append(Call(name, service, api, {k: True for k in keywords}))
        elif action == "aws:runCommand":
            # The action sends the command and follows it until it ends.
            calls += [
                Call(name, "ssm", "SendCommand", inputs),
                Call(name, "ssm", "ListCommands", {}),
                Call(name, "ssm", "ListCommandInvocations", {}),
            ]
        elif action == "aws:changeInstanceState":
            api = {"stopped": "StopInstances", "terminated": "TerminateInstances", "running": "StartInstances"}
            calls += [
                Call(name, "ec2", api[inputs["DesiredState"]], inputs),
                Call(name, "ec2", "DescribeInstanceStatus", {}),
            ]
        else:
            raise AssertionError(f"step {name!r}: no model of what {action} calls; add one here")
    return calls


def resolve(value: Any, document: dict[str, Any]) -> Any:
    """Fill in parameter defaults and the execution id, as a run with no arguments would."""
    defaults = {k: str(v.get("default", "")) for k, v in document["parameters"].items()}
    if isinstance(value, str):
        value = value.replace("{{ automation:EXECUTION_ID }}", EXECUTION_ID)
        return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: defaults.get(m.group(1), m.group(0)), value)
    if isinstance(value, list):
        return [resolve(v, document) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, document) for k, v in value.items()}
    return value


def tags_of(step: dict[str, Any], resource_type: str, document) -> dict[str, str]:
    """The tags a creating step requests (aws:executeAwsApi inputs, or an aws:executeScript's payload)."""
    inputs = step["inputs"]
    specs = inputs.get("TagSpecifications") or inputs.get("InputPayload", {}).get("TagSpecifications")
    (spec,) = [s for s in specs if s["ResourceType"] == resource_type]
    return {t["Key"]: t["Value"] for t in resolve(spec["Tags"], document)}


@dataclass(frozen=True)
class Pipeline:
    document: dict[str, Any]
    region: str
    account: str
    instance_role_arn: str

    def step(self, name: str) -> dict[str, Any]:
        return next(s for s in self.document["mainSteps"] if s["name"] == name)

    @property
    def defaults(self) -> dict[str, Any]:
        return {k: v.get("default", "") for k, v in self.document["parameters"].items()}


def requests(call: Call, p: Pipeline) -> list[Request]:
    """What IAM authorizes for one call (AWS's service authorization reference)."""
    region, account, d = p.region, p.account, p.defaults
    ec2 = f"arn:aws:ec2:{region}:{account}:"
    instance, volume = ec2 + "instance/i-0build", ec2 + "volume/vol-0build"
    new_image, new_snapshot = f"arn:aws:ec2:{region}::image/ami-0new", f"arn:aws:ec2:{region}::snapshot/snap-0new"
    build_tags = tags_of(p.step("launchBuildInstance"), "instance", p.document)
    image_tags = tags_of(p.step("createImage"), "image", p.document)
    base = {"aws:RequestedRegion": region}

    def on_tagged(action: str, arn: str, tags: dict[str, str]) -> Request:
        context = {**base, **{f"aws:ResourceTag/{k}": v for k, v in tags.items()}}
        context |= {f"ssm:resourceTag/{k}": v for k, v in tags.items()}
        return Request(action, arn, context)

    def tagging(action: str, arn: str, tags: dict[str, str], **extra: str) -> Request:
        return Request(action, arn, {**base, **{f"aws:RequestTag/{k}": v for k, v in tags.items()}, **extra})

    def kms() -> list[Request]:
        if not d["KmsKeyId"]:
            return []
        actions = ("kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKeyWithoutPlaintext")
        # EC2 makes these calls on the caller's behalf: KMS sees kms:ViaService ec2.<region>.amazonaws.com.
        via = {**base, "kms:ViaService": f"ec2.{region}.amazonaws.com"}
        return [
            Request("kms:CreateGrant", d["KmsKeyId"], {**via, "kms:GrantIsForAWSResource": "true"}),
            *(Request(a, d["KmsKeyId"], via) for a in (*actions, "kms:ReEncryptFrom", "kms:ReEncryptTo")),
        ]

    key = (call.service, call.api)
    if key == ("ec2", "RunInstances"):
        subnet = d["SubnetId"] or "subnet-0default"
        groups = d["SecurityGroupIds"] or ["sg-0default"]
        return [
            tagging("ec2:RunInstances", instance, build_tags),
            tagging("ec2:RunInstances", volume, build_tags),
            *(
                Request("ec2:RunInstances", arn, base)
                for arn in (
                    f"arn:aws:ec2:{region}::image/ami-0source",
                    ec2 + f"subnet/{subnet}",
                    ec2 + "network-interface/eni-0build",
                    *(ec2 + f"security-group/{group}" for group in groups),
                )
            ),
            tagging("ec2:CreateTags", instance, build_tags, **{"ec2:CreateAction": "RunInstances"}),
            tagging("ec2:CreateTags", volume, build_tags, **{"ec2:CreateAction": "RunInstances"}),
            Request("iam:PassRole", p.instance_role_arn, {"iam:PassedToService": "ec2.amazonaws.com"}),
            *kms(),
        ]
    if key == ("ec2", "CreateImage"):
        return [
            on_tagged("ec2:CreateImage", instance, build_tags),
            tagging("ec2:CreateImage", new_image, image_tags),
            tagging("ec2:CreateImage", new_snapshot, image_tags),
            tagging("ec2:CreateTags", new_image, image_tags, **{"ec2:CreateAction": "CreateImage"}),
            tagging("ec2:CreateTags", new_snapshot, image_tags, **{"ec2:CreateAction": "CreateImage"}),
            *kms(),
        ]
    if key in (("ec2", "StopInstances"), ("ec2", "TerminateInstances")):
        return [on_tagged(f"ec2:{call.api}", instance, build_tags)]
    if key == ("ec2", "DeregisterImage"):
        found = [on_tagged("ec2:DeregisterImage", new_image, image_tags)]
        if call.inputs.get("DeleteAssociatedSnapshots"):
            found.append(on_tagged("ec2:DeleteSnapshot", new_snapshot, image_tags))
        return found
    if key == ("ec2", "DeleteSnapshot"):
        return [on_tagged("ec2:DeleteSnapshot", new_snapshot, image_tags)]
    if key == ("ssm", "SendCommand"):
        document = f"arn:aws:ssm:{region}::document/{call.inputs['DocumentName']}"
        return [Request("ssm:SendCommand", document, base), on_tagged("ssm:SendCommand", instance, build_tags)]
    if key == ("ssm", "DescribeInstancePatchStates"):
        return [on_tagged("ssm:DescribeInstancePatchStates", instance, build_tags)]
    if key == ("ssm", "GetParameter") and call.step != "prepareBuild":
        # The clean-up and the pruning read the AMI id parameter first.
        return [Request("ssm:GetParameter", f"arn:aws:ssm:{region}:{account}:parameter{d['AmiIdParameterName']}", base)]
    if key == ("ssm", "GetParameter"):
        path = d["SourceAmiParameter"]
        if not path:
            return []  # a fixed source AMI: the script does not read a parameter
        owner = "" if path.startswith("/aws/service/") else account
        return [Request("ssm:GetParameter", f"arn:aws:ssm:{region}:{owner}:parameter{path}", base)]
    if key == ("ssm", "PutParameter"):
        name = resolve(call.inputs["Name"], p.document)
        return [Request("ssm:PutParameter", f"arn:aws:ssm:{region}:{account}:parameter{name}", base)]
    if call.api.startswith(("Describe", "List")):
        return [Request(f"{call.service}:{call.api}", "*", base)]
    raise AssertionError(f"step {call.step!r}: no authorization model for {call.service}:{call.api}; add one here")


def pipelines(run, region: str) -> list[tuple[Pipeline, list[str]]]:
    """Each golden AMI pipeline of a run, with the automation role's policies."""
    role = run.outputs["automationRoleArn"].rsplit("/", 1)[1]
    policies = [r.inputs["policy"] for r in run.of_type(ROLE_POLICY) if r.inputs["role"] == role]
    account = run.outputs["automationRoleArn"].split(":")[4]
    return [
        (Pipeline(yaml.safe_load(d.inputs["content"]), region, account, run.outputs["instanceRoleArn"]), policies)
        for d in run.of_type(DOCUMENT)
        if "GoldenAmiPipeline" in (d.parent or "")  # not the change freeze guard's documents
    ]


def example_stacks_with_pipelines() -> list[tuple]:
    """(stack file, its aws:region) of every example stack with golden AMI pipelines."""
    configs = {path: yaml.safe_load(path.read_text())["config"] for path in EXAMPLE_STACKS}
    return [(path, c["aws:region"]) for path, c in configs.items() if c.get("patching:goldenAmis")]


KMS_STACK = {
    "customer": "acme",
    "baselines": {"al2023": {"operatingSystem": "AMAZON_LINUX_2023"}},
    "patchGroups": {"acme-web": {"baselines": ["al2023"]}},
    "goldenAmis": {
        "base": {"platform": "Linux", "sourceAmiId": "ami-0123456789abcdef0", "patchGroup": "acme-web"},
        "encrypted": {
            "platform": "Linux",
            "sourceAmiParameter": "/acme/base-ami",
            "patchGroup": "acme-web",
            "kmsKeyArn": KMS_KEY,
        },
    },
}


def all_pipelines():
    runs = [(example_run(path), region, path.name) for path, region in example_stacks_with_pipelines()]
    runs.append((run_config({**KMS_STACK, "aws:region": "eu-west-1"}), "eu-west-1", "kms-stack"))
    found = [(p, policies, name) for run, region, name in runs for p, policies in pipelines(run, region)]
    # One order whatever the hash seed (the engine's registration order of a stack's documents is not fixed): each
    # pytest-xdist worker collects the same list.
    return sorted(found, key=lambda item: (item[2], item[0].defaults["PipelineName"]))


PIPELINES = all_pipelines()
IDS = [f"{name}:{p.defaults['PipelineName']}" for p, _, name in PIPELINES]


@pytest.mark.parametrize(("pipeline", "policies", "_"), PIPELINES, ids=IDS)
def test_every_call_of_the_runbook_is_allowed(pipeline, policies, _):
    calls = runbook_calls(pipeline.document)
    assert {c.api for c in calls} >= {"RunInstances", "CreateImage", "SendCommand", "PutParameter", "DeregisterImage"}
    denied = [f"{c.step}: {r}" for c in calls for r in requests(c, pipeline) if not allowed(policies, r)]
    assert denied == []


@pytest.mark.parametrize(("pipeline", "policies", "_"), PIPELINES, ids=IDS)
def test_the_role_is_granted_nothing_the_runbooks_do_not_call(pipeline, policies, _):
    used = {r.action for c in runbook_calls(pipeline.document) for r in requests(c, pipeline)}
    # The role serves every pipeline of the customer: what any of them uses counts.
    used |= {
        r.action
        for other, other_policies, _name in PIPELINES
        if other_policies == policies
        for c in runbook_calls(other.document)
        for r in requests(c, other)
    }
    assert granted_actions(policies) - used == set()


@pytest.mark.parametrize(("pipeline", "policies", "_"), PIPELINES, ids=IDS)
def test_other_resources_are_out_of_reach(pipeline, policies, _):
    """The same calls on resources that are not this customer's pipeline's are denied."""
    foreign_tags = {"aws:ResourceTag/GoldenAmiPipeline": "someone-else", "ssm:resourceTag/GoldenAmiPipeline": "x"}
    for call in runbook_calls(pipeline.document):
        for request in requests(call, pipeline):
            context = dict(request.context)
            if any(k.startswith(("aws:ResourceTag/", "ssm:resourceTag/")) for k in context):
                untagged = {k: v for k, v in context.items() if "esourceTag/" not in k}
                assert not allowed(policies, replace(request, context=untagged)), f"{call.step}: untagged {request}"
                assert not allowed(policies, replace(request, context={**untagged, **foreign_tags})), request
            if any(k.startswith("aws:RequestTag/") for k in context):
                untagged = {k: v for k, v in context.items() if not k.startswith("aws:RequestTag/")}
                assert not allowed(policies, replace(request, context=untagged)), f"{call.step}: untagged {request}"
            if request.resource == "*":
                other_region = {**context, "aws:RequestedRegion": "ap-south-1"}
                assert not allowed(policies, replace(request, context=other_region)), request
    region, account = pipeline.region, pipeline.account
    for request in [
        Request("ssm:PutParameter", f"arn:aws:ssm:{region}:{account}:parameter/other/customer/ami"),
        Request("ssm:GetParameter", f"arn:aws:ssm:{region}:{account}:parameter/secret/db-password"),
        Request("ssm:SendCommand", f"arn:aws:ssm:{region}::document/AWS-RunShellScript"),
        Request("iam:PassRole", f"arn:aws:iam::{account}:role/admin", {"iam:PassedToService": "ec2.amazonaws.com"}),
        Request("kms:Decrypt", "arn:aws:kms:eu-west-1:123456789012:key/another-key"),
    ]:
        assert not allowed(policies, request), request


def test_a_runbook_step_without_its_permission_fails_this_suite():
    pipeline, policies, _ = PIPELINES[0]
    document = json.loads(json.dumps(pipeline.document))
    document["mainSteps"].insert(
        3,
        {
            "name": "addSecurityGroup",
            "action": "aws:executeAwsApi",
            "inputs": {"Service": "ec2", "Api": "ModifyInstanceAttribute"},
        },
    )
    with pytest.raises(AssertionError, match="no authorization model for ec2:ModifyInstanceAttribute"):
        [requests(c, replace(pipeline, document=document)) for c in runbook_calls(document)]
    document["mainSteps"][3]["inputs"]["Api"] = "DescribeVolumes"
    denied = [r for c in runbook_calls(document) for r in requests(c, pipeline) if not allowed(policies, r)]
    assert [str(r) for r in denied] == ["ec2:DescribeVolumes on *"]
    document["mainSteps"][3]["action"] = "aws:createStack"
    with pytest.raises(AssertionError, match="no model of what aws:createStack calls"):
        runbook_calls(document)


def test_kms_grants_only_with_a_key_and_only_on_it():
    run = run_config({**KMS_STACK, "aws:region": "eu-west-1"})
    policies = {r.name: json.loads(r.inputs["policy"]) for r in run.of_type(ROLE_POLICY)}
    kms = {
        name: [s for s in p["Statement"] if any(a.startswith("kms:") for a in _actions(s))]
        for name, p in policies.items()
    }
    assert kms["acme-golden-base-runbook"] == []
    grant = next(s for s in kms["acme-golden-encrypted-runbook"] if "kms:CreateGrant" in _actions(s))
    assert grant["Resource"] == KMS_KEY
    assert grant["Condition"] == {
        "Bool": {"kms:GrantIsForAWSResource": "true"},
        "StringEquals": {"kms:ViaService": "ec2.eu-west-1.amazonaws.com"},
    }
    # Through EC2 only: the role cannot use the key directly, nor through another service or region.
    policies_of_role = [json.dumps(policies["acme-golden-encrypted-runbook"])]
    direct = Request("kms:Decrypt", KMS_KEY, {"aws:RequestedRegion": "eu-west-1"})
    via_s3 = Request("kms:Decrypt", KMS_KEY, {"kms:ViaService": "s3.eu-west-1.amazonaws.com"})
    via_ec2 = Request("kms:Decrypt", KMS_KEY, {"kms:ViaService": "ec2.eu-west-1.amazonaws.com"})
    assert allowed(policies_of_role, via_ec2)
    assert not allowed(policies_of_role, direct)
    assert not allowed(policies_of_role, via_s3)
    grant = {"kms:GrantIsForAWSResource": "true"}
    assert not allowed(policies_of_role, Request("kms:CreateGrant", KMS_KEY, grant))
    assert allowed(
        policies_of_role,
        Request("kms:CreateGrant", KMS_KEY, {**grant, "kms:ViaService": "ec2.eu-west-1.amazonaws.com"}),
    )


def _actions(statement) -> list[str]:
    return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]


@pytest.mark.parametrize("path", [path for path, _ in example_stacks_with_pipelines()], ids=lambda p: p.name)
def test_no_managed_automation_policy_is_attached(path):
    run = example_run(path)
    attached = [r.inputs["policyArn"] for r in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")]
    assert not any("AmazonSSMAutomationRole" in arn for arn in attached)
