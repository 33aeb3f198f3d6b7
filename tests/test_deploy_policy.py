"""`patching deploy-policy` and `patching report-policy`: the deploy role's policy judged by what it
allows (tests/iam_model.py), request by request, for every resource of every example plan.

The requests are built here, not by the code under test: each API call of a resource's type (the
provider-calls table) as the IAM action AWS authorizes it with, on the resource types the Service
Authorization Reference lists for that action (parliament ships it: iam_definition.json), with ARNs
written from AWS's ARN formats and the names AWS would give (Pulumi's autoname: the logical name, '-'
and 7 hex digits; ids such as mw-0123456789abcdef0 for what AWS names itself).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import botocore.session
import parliament
import pytest
from iam_model import Request, allowed
from parliament import analyze_policy_string
from test_golden_ami_iam import KMS_STACK
from test_iam_instance import EXTRAS
from test_iam_policies import ignored

from conftest import EXAMPLE_STACKS, PROGRAM_DIR, ROOT
from patching_components import deploy_policy
from patching_components.deploy_policy import (
    MAX_MANAGED_POLICY_SIZE,
    UnknownResourceType,
    calls_of,
    deploy_policy_documents,
    iam_action,
    provider_calls,
    split_documents,
)
from patching_components.iam_policies import report_policy_document
from patching_components.tools.cli import main
from patching_components.tools.deploy_policy_command import recorded_plan
from patching_components.tools.engine import run_program, run_stack_file

ACCOUNT = "111122223333"
SUFFIX = "-abc1234"
"""An autoname suffix as Pulumi makes them: 7 hex digits."""
OTHER = "acme-x"
"""Another customer of the same account, whose name starts with one of ours."""


@cache
def sar() -> dict[str, dict]:
    """The Service Authorization Reference (parliament's copy): action (lower case) -> its entry."""
    path = Path(parliament.__file__).parent / "iam_definition.json"
    return {
        f"{service['prefix']}:{p['privilege']}".lower(): p
        for service in json.loads(path.read_text())
        for p in service["privileges"]
    }


def _config_case(config: dict, stack: str):
    full = {key if ":" in key else f"patching:{key}": value for key, value in config.items()}
    return lambda engine: run_program(full, stack=stack, program=PROGRAM_DIR, engine=engine)


CASES = {
    **{
        path.name: ((lambda engine, path=path: run_stack_file(path, engine=engine)), path.name.split(".")[1])
        for path in EXAMPLE_STACKS
    },
    # Every optional setting the examples leave out: two regions, an existing encrypted log bucket with
    # CloudWatch output (a log group), the instance role's extra policies, a golden AMI from the
    # customer's own parameter with a customer managed key.
    "instance-extras": (_config_case(EXTRAS, "acme"), "acme"),
    "kms-stack": (_config_case({**KMS_STACK, "aws:region": "eu-west-1"}, "kms-stack"), "acme"),
}
"""Plans by name: how to run each, and its customer."""
EXAMPLES = [path.name for path in EXAMPLE_STACKS]


@cache
def policy_of(case: str) -> tuple[list, list, list[dict]]:
    planned, invokes = recorded_plan(CASES[case][0], ACCOUNT, "aws")
    documents = deploy_policy_documents(planned, invokes, partition="aws", account=ACCOUNT, customer=customer_of(case))
    return planned, invokes, documents


def customer_of(case: str) -> str:
    return CASES[case][1]


# -- the table ---------------------------------------------------------------------------------------


def test_every_type_any_example_plan_uses_is_in_the_table():
    types = {r.type for case in CASES for r in policy_of(case)[0]}
    assert types - set(provider_calls()["resources"]) == set()
    assert {t for case in CASES for t, _, _ in policy_of(case)[1]} <= set(provider_calls()["invokes"])
    assert "aws:cloudwatch/logGroup:LogGroup" in types  # the fixtures reach beyond the examples


def test_every_call_is_an_operation_of_the_services_api():
    session = botocore.session.get_session()
    services = {"ssm": "ssm", "iam": "iam", "s3": "s3", "sns": "sns", "events": "events", "sts": "sts", "logs": "logs"}
    calls = {c for e in provider_calls()["resources"].values() for phase in e["calls"].values() for c in phase}
    calls |= {c for v in provider_calls()["invokes"].values() for c in v} | set(provider_calls()["provider"]["calls"])
    for call in sorted(calls):
        prefix, operation = call.split(":")
        assert operation in session.get_service_model(services[prefix]).operation_names, call


def test_every_call_maps_to_an_action_of_the_service_authorization_reference():
    calls = {c for e in provider_calls()["resources"].values() for phase in e["calls"].values() for c in phase}
    assert [c for c in sorted(calls) if iam_action(c).lower() not in sar()] == []


def test_every_entry_names_the_provider_file_it_was_read_from():
    for type_, entry in provider_calls()["resources"].items():
        assert entry["file"].startswith("internal/service/") and entry["file"].endswith(".go"), type_
        assert entry["terraform"].startswith("aws_"), type_
        assert set(entry["readFunctions"]) <= {"create", "read", "update", "delete"}, type_
        if entry["readFunctions"]:  # read in a version of the file that can be found again
            assert len(entry["commit"]) == 40 and int(entry["commit"], 16) >= 0, type_


def test_a_type_missing_from_the_table_fails_the_command(monkeypatch):
    planned, invokes, _ = policy_of(EXAMPLES[0])
    table = {**provider_calls(), "resources": dict(provider_calls()["resources"])}
    del table["resources"]["aws:ssm/patchGroup:PatchGroup"]
    monkeypatch.setattr(deploy_policy, "provider_calls", lambda: table)
    with pytest.raises(UnknownResourceType, match="aws:ssm/patchGroup:PatchGroup"):
        deploy_policy_documents(planned, invokes, partition="aws", account=ACCOUNT, customer="acme")


def test_calls_only_made_for_an_input_are_left_out_without_it():
    assert "s3:DeleteObjects" not in calls_of("aws:s3/bucket:Bucket", {})
    assert "s3:DeleteObjects" in calls_of("aws:s3/bucket:Bucket", {"forceDestroy": True})
    assert "iam:PutRolePermissionsBoundary" not in calls_of("aws:iam/role:Role", {})


# -- the requests, written from AWS's ARN formats -------------------------------------------------------

_ID = {
    "maintenancewindow": "mw-0123456789abcdef0",
    "windowtarget": "e32eecb2-646c-4f4b-8ed1-205fbEXAMPLE",
    "windowtask": "4f7ca192-7e9a-40fe-9192-5cb15EXAMPLE",
    "patchbaseline": "pb-0123456789abcdef0",
    "association": "b5c8e4e5-3b4a-4c1e-9a6f-2d4aEXAMPLE",
}


def aws_name(value: str, customer: str, other: bool) -> str:
    """What AWS names a resource the plan refers to (offline: '<logical>-mock'): the autoname."""
    name = value[: -len("-mock")] + SUFFIX if value.endswith("-mock") else value
    return name.replace(customer, OTHER, 1) if other else name


def arns_of(resource, customer: str, other: bool) -> dict[str, str]:
    """SAR resource type -> the ARN a request about this plan resource names."""
    region, i = resource.region, resource.inputs
    own = aws_name(f"{resource.name}-mock", customer, other)
    ssm = f"arn:aws:ssm:{region}:{ACCOUNT}"
    kind = resource.type.split(":")[1]
    arns = {f"{k}": f"{ssm}:{k}/{v}" for k, v in _ID.items()}
    if kind == "iam/role":
        arns["role"] = f"arn:aws:iam::{ACCOUNT}:role/{own}"
    if kind in ("iam/rolePolicy", "iam/rolePolicyAttachment", "iam/instanceProfile"):
        arns["role"] = f"arn:aws:iam::{ACCOUNT}:role/{aws_name(i['role'], customer, other)}"
    if kind == "iam/instanceProfile":
        arns["instance-profile"] = f"arn:aws:iam::{ACCOUNT}:instance-profile/{own}"
    if kind == "s3/bucket":
        arns["bucket"] = f"arn:aws:s3:::{own}"
    elif kind.startswith("s3/"):
        arns["bucket"] = f"arn:aws:s3:::{aws_name(i['bucket'], customer, other)}"
    if kind == "s3/bucketObjectv2":
        key = i["key"].replace(customer, OTHER, 1) if other else i["key"]
        arns["object"] = f"{arns['bucket']}/{key}"
    if kind == "sns/topic":
        arns["topic"] = f"arn:aws:sns:{region}:{ACCOUNT}:{own}"
    if kind == "sns/topicSubscription":
        arns["topic"] = aws_name(i["topic"], customer, other)
    if kind == "cloudwatch/eventRule":
        arns["rule-on-default-event-bus"] = f"arn:aws:events:{region}:{ACCOUNT}:rule/{own}"
    if kind == "cloudwatch/eventTarget":
        arns["rule-on-default-event-bus"] = (
            f"arn:aws:events:{region}:{ACCOUNT}:rule/{aws_name(i['rule'], customer, other)}"
        )
    if kind in ("ssm/document", "ssm/association"):
        name = i["name"].replace(customer, OTHER, 1) if other else i["name"]
        arns["document"] = f"{ssm}:document/{name}"
    if kind == "cloudwatch/logGroup":
        name = i["name"].replace(customer, OTHER, 1) if other else i["name"]
        arns["log-group"] = f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{name}"
    if kind == "ssm/resourceDataSync":
        name = i["name"].replace(customer, OTHER, 1) if other else i["name"]
        arns["resourcedatasync"] = f"{ssm}:resource-data-sync/{name}"
    return arns


PRIMARY = {
    "aws:ssm/maintenanceWindow:MaintenanceWindow": "maintenancewindow",
    "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget": "maintenancewindow",
    "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask": "maintenancewindow",
    "aws:ssm/patchBaseline:PatchBaseline": "patchbaseline",
    "aws:ssm/patchGroup:PatchGroup": "patchbaseline",
    "aws:ssm/defaultPatchBaseline:DefaultPatchBaseline": "patchbaseline",
    "aws:ssm/association:Association": "association",
    "aws:ssm/document:Document": "document",
    "aws:iam/role:Role": "role",
}
"""For a tagging action (which lists many resource types), the one this resource is."""


def requests_for(resource, customer: str, other: bool = False, plan=()) -> list[tuple[str, list[Request]]]:
    """(call, the requests IAM evaluates for it: all must be allowed) for every call of the resource.
    A role is taken out of the instance profiles that hold it (``plan``'s) before it is deleted."""
    arns = arns_of(resource, customer, other)
    profiles = [
        p
        for p in plan
        if p.type == "aws:iam/instanceProfile:InstanceProfile" and p.inputs["role"] == f"{resource.name}-mock"
    ]
    if resource.type == "aws:iam/role:Role" and profiles:
        arns["instance-profile"] = (
            f"arn:aws:iam::{ACCOUNT}:instance-profile/{aws_name(profiles[0].name + '-mock', customer, other)}"
        )
    tag = OTHER if other else customer
    context = {"aws:ResourceTag/Customer": tag, "aws:RequestTag/Customer": tag}
    if resource.type == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
        context["iam:PolicyARN"] = resource.inputs["policyArn"]
    out = []
    defaults = any(p.type == "aws:ssm/defaultPatchBaseline:DefaultPatchBaseline" for p in plan)
    for call in calls_of(resource.type, resource.inputs):
        if call == "ssm:RegisterDefaultPatchBaseline" and resource.type.endswith("patchBaseline:PatchBaseline"):
            if not defaults:
                continue  # made only for the account's default baseline, which only a default: true stack sets
        action = iam_action(call)
        if action == "iam:RemoveRoleFromInstanceProfile" and "instance-profile" not in arns:
            continue  # the role is in no instance profile: the provider finds none to leave
        types = [t["resource_type"] for t in sar()[action.lower()]["resource_types"] if t["resource_type"]]
        required = [t.rstrip("*") for t in types if t.endswith("*")]
        listed = [t.rstrip("*") for t in types]
        if required:
            chosen = required
        elif resource.type in PRIMARY and PRIMARY[resource.type] in listed:
            chosen = [PRIMARY[resource.type]]
        else:
            chosen = [t for t in listed if t in arns][:1]
        out.append((call, [Request(action, arns[t], context) for t in chosen] or [Request(action, "*", context)]))
    return out


NO_RESOURCE_LEVEL = {
    "sns:GetSubscriptionAttributes",
    "sns:SetSubscriptionAttributes",
    "sns:Unsubscribe",
    "ssm:DescribePatchBaselines",
    "ssm:DescribePatchGroups",
    "ssm:ListResourceDataSync",
    "logs:DescribeLogGroups",
}
"""Calls the Service Authorization Reference lists no resource type for: no ARN can tell customers apart."""
ACCOUNT_SETTINGS = {"ssm:RegisterDefaultPatchBaseline", "ssm:GetDefaultPatchBaseline"}
"""The default baseline per OS is a setting of the account and region, and restoring AWS's own baseline
names a baseline of an AWS account: granted on any baseline."""


@pytest.mark.parametrize("path", sorted(CASES))
def test_every_call_of_every_resource_is_allowed_on_its_arn(path):
    planned, _, documents = policy_of(path)
    refused = [
        f"{r.type} {r.name}: {call}: {req}"
        for r in planned
        for call, reqs in requests_for(r, customer_of(path), plan=planned)
        for req in reqs
        if not allowed(documents, req)
    ]
    assert refused == []


@pytest.mark.parametrize("path", sorted(CASES))
def test_the_same_calls_on_another_customers_resources_are_denied(path):
    planned, _, documents = policy_of(path)
    let_through = [
        f"{r.type} {r.name}: {call}"
        for r in planned
        for call, reqs in requests_for(r, customer_of(path), other=True, plan=planned)
        if iam_action(call) not in NO_RESOURCE_LEVEL | ACCOUNT_SETTINGS and all(allowed(documents, q) for q in reqs)
    ]
    assert let_through == []


@pytest.mark.parametrize("path", sorted(CASES))
def test_roles_are_passed_only_to_the_services_that_trust_them(path):
    planned, _, documents = policy_of(path)
    roles = [r for r in planned if r.type == "aws:iam/role:Role"]
    assert roles
    for role in roles:
        arn = f"arn:aws:iam::{ACCOUNT}:role/{role.name}{SUFFIX}"
        trusted = {s["Principal"]["Service"] for s in json.loads(role.inputs["assumeRolePolicy"])["Statement"]}
        for service in ("ssm.amazonaws.com", "ec2.amazonaws.com", "events.amazonaws.com", "lambda.amazonaws.com"):
            request = Request("iam:PassRole", arn, {"iam:PassedToService": service})
            assert allowed(documents, request) == (service in trusted), (role.name, service)
        other = arn.replace(customer_of(path), OTHER, 1)
        assert not allowed(documents, Request("iam:PassRole", other, {"iam:PassedToService": "ssm.amazonaws.com"}))


def test_only_the_plans_managed_policies_may_be_attached():
    _, _, documents = policy_of(EXAMPLES[0])
    role = f"arn:aws:iam::{ACCOUNT}:role/acme-instance{SUFFIX}"
    core = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
    assert allowed(documents, Request("iam:AttachRolePolicy", role, {"iam:PolicyARN": core}))
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    assert not allowed(documents, Request("iam:AttachRolePolicy", role, {"iam:PolicyARN": admin}))


def test_a_window_or_baseline_created_without_the_customers_tag_is_refused():
    _, _, documents = policy_of(EXAMPLES[0])
    for action in ("ssm:CreateMaintenanceWindow", "ssm:CreatePatchBaseline"):
        assert allowed(documents, Request(action, "*", {"aws:RequestTag/Customer": "acme"}))
        assert not allowed(documents, Request(action, "*", {}))


def test_unscoped_statements_say_so_and_hold_only_actions_without_resource_types():
    for case in CASES:
        for document in policy_of(case)[2]:
            for statement in document["Statement"]:
                if statement["Resource"] == "*" and "Condition" not in statement:
                    assert statement["Sid"].endswith("NoResourceLevelPermissions"), statement
                    actions = statement["Action"]
                    assert [
                        a for a in actions if [t for t in sar()[a.lower()]["resource_types"] if t["resource_type"]]
                    ] == []


WINDOW_CHILD_ACTIONS = {
    "ssm:UpdateMaintenanceWindowTarget",
    "ssm:DeregisterTargetFromMaintenanceWindow",
    "ssm:UpdateMaintenanceWindowTask",
    "ssm:DeregisterTaskFromMaintenanceWindow",
}
"""Each names the window (granted by its tag) and the target or task (granted by id, in another
statement): parliament judges one statement at a time."""


def deploy_ignored(finding, document) -> bool:
    """parliament's findings that are the deploy role's job, each with its reason."""
    statements = document["Statement"]
    if finding.issue == "PERMISSIONS_MANAGEMENT_ACTIONS":
        # The deploy role creates the stack's roles, their policies, the log bucket's policy and the
        # topic's: permissions management, but only on the stack's own named resources.
        flagged = set(finding.location["actions"])
        return all(s["Resource"] != "*" for s in statements for a in _actions(s) if a.lower() in flagged)
    if finding.issue == "RESOURCE_POLICY_PRIVILEGE_ESCALATION":
        # It writes the log bucket's policy: the bucket is the stack's own (named by the plan).
        return "arn:aws:s3:::" in finding.detail and "-???????" in finding.detail
    if finding.issue == "RESOURCE_MISMATCH":
        return {m["action"] for m in finding.detail} <= WINDOW_CHILD_ACTIONS
    return ignored(finding, document)


def _actions(statement):
    return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]


@pytest.mark.parametrize("path", sorted(CASES))
def test_parliament_finds_nothing(path):
    found = []
    for document in policy_of(path)[2]:
        text = json.dumps(document)
        findings = analyze_policy_string(text, include_community_auditors=True).findings
        found += [f"{f.issue} {f.detail}" for f in findings if not deploy_ignored(f, document)]
    assert found == []


def test_parliament_would_report_a_role_grant_on_every_role():
    """The filter above hides the deploy role's job, not a wildcard grant."""
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": "*"}],
    }
    findings = analyze_policy_string(json.dumps(document), include_community_auditors=True).findings
    assert [f for f in findings if not deploy_ignored(f, document)]


def test_documents_stay_within_the_managed_policy_size():
    for case in CASES:
        for document in policy_of(case)[2]:
            assert len("".join(json.dumps(document).split())) <= MAX_MANAGED_POLICY_SIZE


def test_many_statements_are_split_into_documents_within_the_size():
    statements = [
        {
            "Sid": f"S{i}",
            "Effect": "Allow",
            "Action": "ssm:GetDocument",
            "Resource": f"arn:aws:ssm:eu-west-1:{ACCOUNT}:document/{'d' * 100}{i}",
        }
        for i in range(100)
    ]
    documents = split_documents(statements)
    assert len(documents) > 1
    assert [s for d in documents for s in d["Statement"]] == statements
    assert all(len("".join(json.dumps(d).split())) <= MAX_MANAGED_POLICY_SIZE for d in documents)


# -- the commands -----------------------------------------------------------------------------------------


def test_deploy_policy_through_the_entry_point(capsys):
    assert main(["deploy-policy", str(EXAMPLE_STACKS[0]), "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["account"] == ACCOUNT and printed["stack"] == "acme"
    assert printed["documents"] == policy_of(EXAMPLES[0])[2]


def test_deploy_policy_text_is_each_json_document_after_its_comment(capsys):
    assert main(["deploy-policy", str(EXAMPLE_STACKS[2]), "--format", "json"]) == 0
    documents = json.loads(capsys.readouterr().out)["documents"]
    assert main(["deploy-policy", str(EXAMPLE_STACKS[2]), "--account-id", "444455556666"]) == 0
    out = capsys.readouterr().out
    bodies, body = [], []
    for line in [*out.splitlines(), "# end"]:
        if line.startswith("#"):
            if "".join(body).strip():
                bodies.append(json.loads("\n".join(body)))
            body = []
        else:
            body.append(line)
    assert bodies == documents
    assert len(documents) > 1 and f"# Document 1 of {len(documents)}" in out  # initech needs two
    assert "444455556666" in json.dumps(documents)  # the stack's own account, not the offline stand-in


def test_deploy_policy_refuses_to_guess_the_account(tmp_path, capsys):
    stack = tmp_path / "Pulumi.acme.yaml"
    text = (ROOT / "stacks" / "Pulumi.acme.yaml").read_text()
    stack.write_text("\n".join(line for line in text.splitlines() if "aws:allowedAccountIds" not in line) + "\n")
    assert main(["deploy-policy", str(stack)]) == 2
    assert "aws:allowedAccountIds" in capsys.readouterr().err
    assert main(["deploy-policy", str(stack), "--account-id", "12345"]) == 2


def test_deploy_policy_refuses_an_account_the_stack_does_not_allow(capsys):
    assert main(["deploy-policy", str(EXAMPLE_STACKS[0]), "--account-id", "999999999999"]) == 2
    assert "allows only" in capsys.readouterr().err


def test_report_policy_prints_the_reports_document(capsys):
    assert main(["report-policy"]) == 0
    assert json.loads(capsys.readouterr().out) == report_policy_document()
    assert main(["report-policy", str(EXAMPLE_STACKS[1])]) == 0
    assert json.loads(capsys.readouterr().out) == report_policy_document("aws", ["us-east-1"], "globex")


# -- the read-only role (previews, drift) ---------------------------------------------------------------


@cache
def read_only_policy_of(path: str) -> list[dict]:
    planned, invokes, _ = policy_of(path)
    return deploy_policy_documents(
        planned, invokes, partition="aws", account=ACCOUNT, customer=customer_of(path), phases=deploy_policy.READ_ONLY
    )


@pytest.mark.parametrize("path", sorted(CASES))
def test_the_read_only_policy_allows_every_read_of_a_refresh_and_nothing_else(path):
    planned, _, _ = policy_of(path)
    documents = read_only_policy_of(path)
    reads = {(r.type, c) for r in planned for c in calls_of(r.type, r.inputs, ("read",))}
    read_actions = {iam_action(c) for _, c in reads}
    for r in planned:
        for call, reqs in requests_for(r, customer_of(path), plan=planned):
            if (r.type, call) in reads:
                assert all(allowed(documents, q) for q in reqs), (r.type, r.name, call)
            elif iam_action(call) not in read_actions:  # a write: refused on every resource it names
                assert not any(allowed(documents, q) for q in reqs), (r.type, r.name, call)
    levels = {
        a: sar()[a.lower()]["access_level"]
        for d in documents
        for s in d["Statement"]
        for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    }
    assert {a: level for a, level in levels.items() if level not in ("Read", "List")} == {}


@pytest.mark.parametrize("path", sorted(CASES))
def test_the_read_only_policy_reads_nothing_of_another_customer(path):
    planned, _, _ = policy_of(path)
    documents = read_only_policy_of(path)
    let_through = [
        f"{r.type} {r.name}: {call}"
        for r in planned
        for call, reqs in requests_for(r, customer_of(path), other=True, plan=planned)
        if iam_action(call) not in NO_RESOURCE_LEVEL | ACCOUNT_SETTINGS and all(allowed(documents, q) for q in reqs)
    ]
    assert let_through == []


def test_deploy_policy_read_only_through_the_entry_point(capsys):
    assert main(["deploy-policy", str(EXAMPLE_STACKS[0]), "--read-only", "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["role"] == "read-only" and printed["documents"] == read_only_policy_of(EXAMPLES[0])


def test_every_statement_has_its_own_sid():
    for case in CASES:
        for documents in (policy_of(case)[2], read_only_policy_of(case)):
            sids = [s["Sid"] for d in documents for s in d["Statement"]]
            assert len(sids) == len(set(sids)), case


def test_deploy_policy_reads_the_account_and_region_from_pulumi_esc(tmp_path, capsys):
    text = (ROOT / "stacks" / "Pulumi.acme.yaml").read_text()
    kept = [line for line in text.splitlines() if not line.startswith(("  aws:region:", "  aws:allowedAccountIds:"))]
    stack = tmp_path / "Pulumi.acme-prod.yaml"
    stack.write_text("environment:\n  - acme/prod\n" + "\n".join(kept) + "\n")
    assert main(["deploy-policy", str(stack)]) == 1  # no region, no account: nothing printed
    assert capsys.readouterr().out == ""
    esc = tmp_path / "esc.json"
    esc.write_text(
        json.dumps({"pulumiConfig": {"aws:region": "eu-central-1", "aws:allowedAccountIds": ["777788889999"]}})
    )
    assert main(["deploy-policy", str(stack), "--esc-config", str(esc), "--format", "json"]) == 0
    documents = json.loads(capsys.readouterr().out)["documents"]
    request = Request(
        "ssm:GetMaintenanceWindow",
        "arn:aws:ssm:eu-central-1:777788889999:maintenancewindow/mw-0123456789abcdef0",
        {"aws:ResourceTag/Customer": "acme"},
    )
    assert allowed(documents, request)
    assert not allowed(
        documents, Request(request.action, request.resource.replace("eu-central-1", "eu-west-1"), request.context)
    )


def test_only_a_stack_with_a_default_baseline_may_change_the_accounts_default():
    # An account-wide setting with no condition key: one customer's deploy role must not hold it for another's.
    def grants(case):
        return {a for d in policy_of(case)[2] for st in d["Statement"] for a in _actions(st)}

    assert "ssm:RegisterDefaultPatchBaseline" in grants("Pulumi.acme.yaml")  # baselines.al2023.default: true
    assert "ssm:RegisterDefaultPatchBaseline" not in grants("Pulumi.globex.yaml")  # no default baseline
