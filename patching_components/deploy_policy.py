"""The least-privilege policy of the role that deploys a stack (``pulumi up``), derived from its plan.

Input: the resources a stack's plan registers (``patching plan``'s offline run) and the invokes the
program makes. For each resource type, ``data/provider-calls.json`` lists the AWS API calls the Pulumi
AWS provider makes to create, read (refresh), update and delete it (read from the Terraform AWS
provider's source, which pulumi-aws wraps). Each call becomes its IAM action on this stack's resources:

- the resource's own ARN where its name is known: names from config keys, and Pulumi's autonames
  (``<logical name>-`` and 7 random characters, written as seven ``?``: a customer whose name starts
  with another's, ``acme-x`` beside ``acme``, is not matched);
- where AWS assigns the id (maintenance windows, patch baselines, associations), every such resource
  of the stack's account and region, with the stack's ``Customer`` tag as condition
  (``aws:ResourceTag``; ``aws:RequestTag`` on create);
- ``*`` only where the Service Authorization Reference lists no resource type for the action; each
  such statement says so in its Sid.

``iam:PassRole`` goes only on the stack's own roles, each only to the services its trust policy names
(``iam:PassedToService``). A resource type missing from the table is an error (UnknownResourceType):
never a policy that silently lacks what a deploy needs. Documents are split to stay within IAM's
managed policy size (6,144 characters without whitespace).

No Pulumi and no boto3 here: the plan comes in as plain data.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

MAX_MANAGED_POLICY_SIZE = 6_144
"""IAM: a customer managed policy's size in characters, whitespace excluded (IAM User Guide, "IAM and
AWS STS quotas")."""

AUTONAME_SUFFIX = "-???????"
"""Pulumi's autoname: the logical name, '-' and 7 random hex digits ("Resource names", Pulumi docs)."""

CUSTOMER_TAG = "Customer"
"""The tag every taggable resource of a stack carries with the customer's name (components' tags)."""


class UnknownResourceType(Exception):
    """A plan resource whose provider calls are not in data/provider-calls.json."""


@functools.cache
def provider_calls() -> dict[str, Any]:
    """data/provider-calls.json: per resource type the provider's API calls, and where they were read."""
    text = resources.files("patching_components").joinpath("data/provider-calls.json").read_text()
    return json.loads(text)


def iam_action(call: str) -> str:
    """The IAM action that authorizes an API call (they differ for some S3 operations)."""
    return provider_calls()["iamActions"].get(call, call)


PHASES = ("create", "read", "update", "delete")
READ_ONLY = ("read",)
"""What a refresh (``pulumi preview --refresh``, the drift check) calls: the provider's reads only."""


def calls_of(type_: str, inputs: Mapping[str, Any] | None = None, phases: Sequence[str] = PHASES) -> list[str]:
    """Every API call the provider makes for a resource of ``type_`` in ``phases`` (with these inputs: a
    call listed ``onlyWhen`` an input is set is left out when it is not); UnknownResourceType if not in
    the table."""
    entry = provider_calls()["resources"].get(type_)
    if entry is None:
        raise UnknownResourceType(type_)
    when = entry.get("onlyWhen", {})
    calls: list[str] = []
    for phase in phases:
        for call in entry["calls"][phase]:
            if call in when and inputs is not None and not inputs.get(when[call]):
                continue
            if call not in calls:
                calls.append(call)
    return calls


@dataclass(frozen=True)
class PlannedResource:
    """One custom resource of a plan, as the policy needs it."""

    type: str
    name: str
    """The Pulumi (logical) name."""
    region: str
    inputs: Mapping[str, Any]
    id: str = ""
    """The id the offline engine gave it (how other resources' inputs refer to it)."""
    outputs: Mapping[str, Any] = field(default_factory=dict)
    """The offline engine's outputs (name, arn, bucket: how references to it look)."""


@dataclass
class _Grant:
    sid: str
    actions: set[str]
    resources: set[str]
    condition: dict[str, dict[str, Any]] | None = None


def _sid(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", text.title().replace(" ", ""))


class _Builder:
    def __init__(
        self, partition: str, account: str, customer: str, plan: Sequence[PlannedResource], phases: Sequence[str]
    ):
        self.p, self.account, self.customer = partition, account, customer
        self.phases = phases
        self.plan = plan
        self.grants: dict[tuple[str, ...], _Grant] = {}
        # How a resource is referred to in other resources' inputs: by its id, name, ARN or bucket.
        self.by_reference: dict[tuple[str, str], PlannedResource] = {}
        for r in plan:
            for value in (r.id, *(r.outputs.get(k) for k in ("name", "arn", "bucket", "id"))):
                if isinstance(value, str) and value:
                    self.by_reference.setdefault((r.type, value), r)

    # -- names and ARNs ---------------------------------------------------------------------------

    def physical(self, r: PlannedResource, key: str = "name") -> str:
        """The AWS name: the explicit input, else Pulumi's autoname pattern."""
        explicit = r.inputs.get(key)
        return str(explicit) if explicit else f"{r.name}{AUTONAME_SUFFIX}"

    def referenced(self, r: PlannedResource, key: str, type_: str) -> PlannedResource:
        value = r.inputs.get(key)
        found = self.by_reference.get((type_, str(value))) if value is not None else None
        if found is None:
            raise UnknownResourceType(
                f"{r.type} {r.name}: its {key} ({value!r}) is no {type_} of this stack: the policy cannot name it"
            )
        return found

    def role_arn(self, role: PlannedResource) -> str:
        return f"arn:{self.p}:iam::{self.account}:role{role.inputs.get('path') or '/'}{self.physical(role)}"

    def bucket_arn(self, bucket: PlannedResource) -> str:
        return f"arn:{self.p}:s3:::{self.physical(bucket, 'bucket')}"

    def topic_arn(self, topic: PlannedResource) -> str:
        return f"arn:{self.p}:sns:{topic.region}:{self.account}:{self.physical(topic)}"

    def ssm(self, region: str, resource: str, account: str | None = None) -> str:
        return f"arn:{self.p}:ssm:{region}:{self.account if account is None else account}:{resource}"

    def document_arn(self, region: str, name: str) -> str:
        # AWS's own documents (AWS-*) have ARNs without an account.
        return self.ssm(region, f"document/{name}", "" if name.startswith("AWS") else None)

    def tag(self, kind: str = "ResourceTag") -> dict[str, dict[str, Any]]:
        return {"StringEquals": {f"aws:{kind}/{CUSTOMER_TAG}": self.customer}}

    # -- grants ------------------------------------------------------------------------------------

    def allow(
        self,
        sid: str,
        calls: Iterable[str],
        resources_: Iterable[str],
        condition: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        actions = {iam_action(c) for c in calls}
        if not actions:
            return
        key = (sid, json.dumps(condition, sort_keys=True))
        grant = self.grants.setdefault(key, _Grant(sid, set(), set(), condition))
        grant.actions |= actions
        grant.resources |= set(resources_)

    def unscoped(self, what: str, calls: Iterable[str]) -> None:
        self.allow(f"{what}NoResourceLevelPermissions", calls, ["*"])

    # -- per type ----------------------------------------------------------------------------------

    def add(self, r: PlannedResource) -> None:
        calls = calls_of(r.type, r.inputs, self.phases)
        handler = _HANDLERS.get(r.type)
        if handler is None:
            raise UnknownResourceType(r.type)
        handler(self, r, calls)


def _take(calls: list[str], *names: str) -> list[str]:
    """The calls among ``names`` (removed from ``calls``)."""
    taken = [c for c in calls if c in names]
    for c in taken:
        calls.remove(c)
    return taken


def _role(b: _Builder, r: PlannedResource, calls: list[str]) -> None:
    arn = b.role_arn(r)
    boundary = r.inputs.get("permissionsBoundary")
    if boundary:
        # A role may be created (or get a boundary) only with the stack's boundary.
        b.allow(
            "IamRolesWithBoundary",
            _take(calls, "iam:CreateRole", "iam:PutRolePermissionsBoundary"),
            [arn],
            {"StringEquals": {"iam:PermissionsBoundary": str(boundary)}},
        )
    profile_calls = _take(calls, "iam:RemoveRoleFromInstanceProfile")
    profiles = [
        b.role_arn(p).replace(":role/", ":instance-profile/")
        for p in b.plan
        if p.type == "aws:iam/instanceProfile:InstanceProfile"
        and b.by_reference.get((r.type, str(p.inputs.get("role")))) is r
    ]
    b.allow("IamInstanceProfiles", profile_calls, profiles)
    b.allow("IamRoles", calls, [arn])
    trust = r.inputs.get("assumeRolePolicy")
    services: set[str] = set()
    for statement in json.loads(trust)["Statement"] if isinstance(trust, str) else []:
        principal = statement.get("Principal")
        service = principal.get("Service") if isinstance(principal, dict) else None
        services |= {service} if isinstance(service, str) else set(service or [])
    for service in sorted(services) if "create" in b.phases else []:
        b.allow(
            f"PassRolesTo{_sid(service.split('.')[0])}",
            ["iam:PassRole"],
            [arn],
            {"StringEquals": {"iam:PassedToService": service}},
        )


def _role_policy(b: _Builder, r: PlannedResource, calls: list[str]) -> None:
    b.allow("IamRoles", calls, [b.role_arn(b.referenced(r, "role", "aws:iam/role:Role"))])


def _role_policy_attachment(b: _Builder, r: PlannedResource, calls: list[str]) -> None:
    role = b.role_arn(b.referenced(r, "role", "aws:iam/role:Role"))
    policy = r.inputs.get("policyArn")
    if not isinstance(policy, str) or not policy.startswith("arn:") or any(v == policy for _, v in b.by_reference):
        raise UnknownResourceType(f"{r.type} {r.name}: attaches {policy!r}, which the policy cannot name")
    attach = _take(calls, "iam:AttachRolePolicy", "iam:DetachRolePolicy")
    b.allow("IamAttachOnlyThesePolicies", attach, [role], {"ArnEquals": {"iam:PolicyARN": [policy]}})
    b.allow("IamRoles", calls, [role])


def _instance_profile(b: _Builder, r: PlannedResource, calls: list[str]) -> None:
    arn = f"arn:{b.p}:iam::{b.account}:instance-profile{r.inputs.get('path') or '/'}{b.physical(r)}"
    role = b.referenced(r, "role", "aws:iam/role:Role")  # the stack's: PassRole comes with the role
    b.allow("IamRoles", _take(calls, "iam:GetRole"), [b.role_arn(role)])
    b.allow("IamInstanceProfiles", calls, [arn])


def _bucket(b: _Builder, r: PlannedResource, calls: list[str]) -> None:
    arn = b.bucket_arn(r)
    deletes = _take(calls, "s3:DeleteObjects")
    b.allow("S3LogBucket", calls, [arn])
    b.allow("S3LogBucketObjects", deletes, [f"{arn}/*"])


def _bucket_part(b: _Builder, r: PlannedResource, calls: list[str]) -> None:
    bucket = b.referenced(r, "bucket", "aws:s3/bucket:Bucket")
    b.allow("S3LogBucket", calls, [b.bucket_arn(bucket)])


def _bucket_object(b: _Builder, r: PlannedResource, calls: list[str]) -> None:
    bucket = b.referenced(r, "bucket", "aws:s3/bucket:Bucket")
    b.allow("S3LogBucket", _take(calls, "s3:ListObjectVersions"), [b.bucket_arn(bucket)])
    if "s3:DeleteObject" in calls:  # with a VersionId (a versioned bucket): IAM checks s3:DeleteObjectVersion
        calls.append("s3:DeleteObjectVersion")
    b.allow("S3Objects", calls, [f"{b.bucket_arn(bucket)}/{r.inputs['key']}"])


def _topic(b: _Builder, r: PlannedResource, calls: list[str]) -> None:
    b.allow("SnsTopics", calls, [b.topic_arn(r)])


def _subscription(b: _Builder, r: PlannedResource, calls: list[str]) -> None:
    topic = b.referenced(r, "topic", "aws:sns/topic:Topic")
    b.allow("SnsTopics", _take(calls, "sns:Subscribe"), [b.topic_arn(topic)])
    # Get/SetSubscriptionAttributes and Unsubscribe: the Service Authorization Reference lists no resource type.
    b.unscoped("SnsSubscriptions", calls)


def _event_rule(b: _Builder, r: PlannedResource, calls: list[str]) -> None:
    b.allow("EventRules", calls, [f"arn:{b.p}:events:{r.region}:{b.account}:rule/{b.physical(r)}"])


def _event_target(b: _Builder, r: PlannedResource, calls: list[str]) -> None:
    rule = b.referenced(r, "rule", "aws:cloudwatch/eventRule:EventRule")
    b.allow("EventRules", calls, [f"arn:{b.p}:events:{rule.region}:{b.account}:rule/{b.physical(rule)}"])


def _log_group(b: _Builder, r: PlannedResource, calls: list[str]) -> None:
    # DescribeLogGroups has no resource type; the others take the group's ARN.
    b.unscoped("LogsDescribeGroups", _take(calls, "logs:DescribeLogGroups"))
    b.allow("LogsLogGroups", calls, [f"arn:{b.p}:logs:{r.region}:{b.account}:log-group:{b.physical(r)}"])


def _document(b: _Builder, r: PlannedResource, calls: list[str]) -> None:
    b.allow("SsmDocuments", calls, [b.document_arn(r.region, str(r.inputs["name"]))])


def _window(b: _Builder, r: PlannedResource, calls: list[str]) -> None:
    # CreateMaintenanceWindow has no resource type: the request must carry the customer's tag.
    b.allow("SsmCreateTaggedNoResourceType", _take(calls, "ssm:CreateMaintenanceWindow"), ["*"], b.tag("RequestTag"))
    b.allow("SsmTaggedWindows", calls, [b.ssm(r.region, "maintenancewindow/*")], b.tag())


def _window_child(kind: str) -> Any:
    def handler(b: _Builder, r: PlannedResource, calls: list[str]) -> None:
        # Every call names the window (tagged: the customer's) and, for Update/Deregister, the target or
        # task too, whose id AWS assigns and which carries no tags: the window's tag decides.
        b.allow("SsmTaggedWindows", calls, [b.ssm(r.region, "maintenancewindow/*")], b.tag())
        b.allow(
            f"SsmWindow{kind.title()}sOfTaggedWindows",
            [c for c in calls if c.startswith(("ssm:Update", "ssm:Deregister"))],
            [b.ssm(r.region, f"window{kind}/*")],
        )

    return handler


DEFAULT_BASELINE = "aws:ssm/defaultPatchBaseline:DefaultPatchBaseline"


def _baseline(b: _Builder, r: PlannedResource, calls: list[str]) -> None:
    b.allow("SsmCreateTaggedNoResourceType", _take(calls, "ssm:CreatePatchBaseline"), ["*"], b.tag("RequestTag"))
    if not any(p.type == DEFAULT_BASELINE for p in b.plan):
        # The provider restores AWS's default before deleting a baseline only when it is the account's default,
        # which only a stack with a default baseline makes it. The account-wide setting (no tag condition
        # exists for it) stays out of every other customer's deploy role.
        _take(calls, "ssm:RegisterDefaultPatchBaseline")
    _baseline_common(b, r, calls)


def _baseline_common(b: _Builder, r: PlannedResource, calls: list[str]) -> None:
    b.unscoped("SsmListBaselines", _take(calls, "ssm:DescribePatchBaselines", "ssm:DescribePatchGroups"))
    # The default baseline of an OS is an account setting; on delete the provider restores AWS's own
    # baseline, which lives in an AWS account (its ARN names no account of ours) and carries no tag.
    b.allow(
        "SsmDefaultBaselineAnyOwner",
        _take(calls, "ssm:RegisterDefaultPatchBaseline", "ssm:GetDefaultPatchBaseline"),
        [b.ssm(r.region, "patchbaseline/*", "*")],
    )
    b.allow("SsmTaggedBaselines", calls, [b.ssm(r.region, "patchbaseline/*")], b.tag())


def _association(b: _Builder, r: PlannedResource, calls: list[str]) -> None:
    document = b.document_arn(r.region, str(r.inputs["name"]))
    association = b.ssm(r.region, "association/*")
    b.allow(
        "SsmCreateTaggedAssociations",
        _take(calls, "ssm:CreateAssociation"),
        [association, document],
        b.tag("RequestTag"),
    )
    b.allow("SsmTaggedAssociations", calls, [association, document], b.tag())


def _data_sync(b: _Builder, r: PlannedResource, calls: list[str]) -> None:
    b.unscoped("SsmListDataSyncs", _take(calls, "ssm:ListResourceDataSync"))
    b.allow("SsmDataSyncs", calls, [b.ssm(r.region, f"resource-data-sync/{r.inputs['name']}")])


_HANDLERS = {
    "aws:iam/role:Role": _role,
    "aws:iam/rolePolicy:RolePolicy": _role_policy,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _role_policy_attachment,
    "aws:iam/instanceProfile:InstanceProfile": _instance_profile,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _bucket_part,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _bucket_part,
    "aws:s3/bucketPolicy:BucketPolicy": _bucket_part,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _bucket_part,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _bucket_part,
    "aws:s3/bucketVersioning:BucketVersioning": _bucket_part,
    "aws:s3/bucketObjectv2:BucketObjectv2": _bucket_object,
    "aws:sns/topic:Topic": _topic,
    "aws:sns/topicSubscription:TopicSubscription": _subscription,
    "aws:cloudwatch/eventRule:EventRule": _event_rule,
    "aws:cloudwatch/eventTarget:EventTarget": _event_target,
    "aws:ssm/document:Document": _document,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:ssm/maintenanceWindow:MaintenanceWindow": _window,
    "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget": _window_child("target"),
    "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask": _window_child("task"),
    "aws:ssm/patchBaseline:PatchBaseline": _baseline,
    "aws:ssm/patchGroup:PatchGroup": _baseline_common,
    "aws:ssm/defaultPatchBaseline:DefaultPatchBaseline": _baseline_common,
    "aws:ssm/association:Association": _association,
    "aws:ssm/resourceDataSync:ResourceDataSync": _data_sync,
}


def _policy_size(document: Mapping[str, Any]) -> int:
    return len(re.sub(r"\s", "", json.dumps(document)))


def _statement(grant: _Grant) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": grant.sid,
        "Effect": "Allow",
        "Action": sorted(grant.actions),
        "Resource": sorted(grant.resources) if len(grant.resources) > 1 else next(iter(grant.resources)),
    }
    if grant.condition:
        statement["Condition"] = grant.condition
    return statement


def deploy_policy_documents(
    plan: Sequence[PlannedResource],
    invokes: Iterable[tuple[str, Mapping[str, Any], str]],
    *,
    partition: str,
    account: str,
    customer: str,
    phases: Sequence[str] = PHASES,
) -> list[dict[str, Any]]:
    """The deploying role's policy for a stack's plan, as one or more documents (each within IAM's
    managed policy size). ``invokes``: (token, args, region) of each data source the program reads.
    ``phases=READ_ONLY``: the read-only role's (previews and the drift check's refresh)."""
    builder = _Builder(partition, account, customer, plan, phases)
    known = set(_HANDLERS) & set(provider_calls()["resources"])
    missing = sorted({r.type for r in plan} - known)
    if missing:
        raise UnknownResourceType(", ".join(missing))
    for r in plan:
        builder.add(r)
    table = provider_calls()["invokes"]
    identity = list(provider_calls()["provider"]["calls"])
    for token, args, region in invokes:
        if token not in table:
            raise UnknownResourceType(f"invoke {token}")
        calls = list(table[token])
        identity += _take(calls, "sts:GetCallerIdentity")
        if calls:  # ssm:GetParameter: a public parameter (/aws/service/...) has no account in its ARN
            name = str(args.get("name", ""))
            owner = "" if name.startswith("/aws/") else account
            builder.allow("SsmReadParameters", calls, [builder.ssm(region, f"parameter{name}", owner)])
    # AWS requires no permission for GetCallerIdentity (AWS STS API Reference); listed so that the
    # provider's configure-time check is visibly accounted for.
    builder.unscoped("StsCallerIdentity", identity)
    statements = [
        _statement(g) for g in sorted(builder.grants.values(), key=lambda g: (g.sid, json.dumps(g.condition)))
    ]
    # One Sid per statement: grants that share a purpose but not a condition (each role its own
    # attachable policies) are numbered.
    count: dict[str, int] = {}
    for statement in statements:
        count[statement["Sid"]] = count.get(statement["Sid"], 0) + 1
        if count[statement["Sid"]] > 1:
            statement["Sid"] += str(count[statement["Sid"]])
    return split_documents(statements)


def split_documents(statements: Sequence[dict[str, Any]], limit: int = MAX_MANAGED_POLICY_SIZE) -> list[dict[str, Any]]:
    """Statements packed in order into documents of at most ``limit`` characters (whitespace excluded)."""
    documents: list[dict[str, Any]] = []
    current: list[dict[str, Any]] = []
    for statement in statements:
        candidate = {"Version": "2012-10-17", "Statement": [*current, statement]}
        if current and _policy_size(candidate) > limit:
            documents.append({"Version": "2012-10-17", "Statement": current})
            current = [statement]
        else:
            current.append(statement)
        if _policy_size({"Version": "2012-10-17", "Statement": [statement]}) > limit:
            raise ValueError(f"statement {statement['Sid']} alone exceeds IAM's {limit}-character policy size")
    if current:
        documents.append({"Version": "2012-10-17", "Statement": current})
    return documents
