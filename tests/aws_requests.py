"""The AWS API calls the provider (terraform-provider-aws, under pulumi-aws) makes to create
each resource we register, built from the inputs the engine recorded, so that they can be
checked against botocore's models (aws_shapes.problems).

Every resource type the package registers has a builder here: ``api_calls`` raises for a
type without one, so a new resource type cannot skip the check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aws_shapes import tags

Call = tuple[str, str, dict[str, Any]]
"""(service, operation, request parameters)"""


def _autoname(resource) -> str:
    """The physical name Pulumi gives a resource without one: its name and 7 random hex digits."""
    return f"{resource.name}-0a1b2c3"


def _pascal(value: Any, renames: dict[str, str] | None = None) -> Any:
    """Terraform's camelCase blocks as the API's PascalCase members (``renames`` where they differ)."""
    renames = renames or {}
    if isinstance(value, dict):
        return {renames.get(k, k[:1].upper() + k[1:]): _pascal(v, renames) for k, v in value.items()}
    if isinstance(value, list):
        return [_pascal(v, renames) for v in value]
    return value


def _compact(request: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in request.items() if v is not None}


def patch_baseline(resource) -> list[Call]:
    i = resource.inputs
    rules = [
        _compact(
            {
                "PatchFilterGroup": {
                    "PatchFilters": [{"Key": f["key"], "Values": f["values"]} for f in r["patchFilters"]]
                },
                "ComplianceLevel": r.get("complianceLevel"),
                "ApproveAfterDays": int(r["approveAfterDays"]) if "approveAfterDays" in r else None,
                "ApproveUntilDate": r.get("approveUntilDate"),
                "EnableNonSecurity": r.get("enableNonSecurity"),
            }
        )
        for r in i["approvalRules"]
    ]
    request = {
        "Name": i["name"],
        "OperatingSystem": i["operatingSystem"],
        "Description": i.get("description"),
        "ApprovalRules": {"PatchRules": rules},
        "ApprovedPatches": i.get("approvedPatches"),
        "ApprovedPatchesComplianceLevel": i.get("approvedPatchesComplianceLevel"),
        "ApprovedPatchesEnableNonSecurity": i.get("approvedPatchesEnableNonSecurity"),
        "AvailableSecurityUpdatesComplianceStatus": i.get("availableSecurityUpdatesComplianceStatus"),
        "RejectedPatches": i.get("rejectedPatches"),
        "RejectedPatchesAction": i.get("rejectedPatchesAction"),
        "Sources": [
            {"Name": s["name"], "Products": s["products"], "Configuration": s["configuration"]}
            for s in i.get("sources", [])
        ]
        or None,
        "Tags": tags(i.get("tags")),
    }
    return [("ssm", "CreatePatchBaseline", _compact(request))]


def maintenance_window(resource) -> list[Call]:
    w = resource.inputs
    request = {
        "Name": w["name"],
        "Schedule": w["schedule"],
        "ScheduleTimezone": w.get("scheduleTimezone"),
        "ScheduleOffset": w.get("scheduleOffset"),
        "Duration": w["duration"],
        "Cutoff": w["cutoff"],
        "AllowUnassociatedTargets": w["allowUnassociatedTargets"],
        "Description": w.get("description"),
        "Tags": tags(w.get("tags")),
    }
    return [("ssm", "CreateMaintenanceWindow", _compact(request))]


def _targets(inputs) -> list[dict[str, Any]]:
    return [{"Key": t["key"], "Values": t["values"]} for t in inputs["targets"]]


def maintenance_window_target(resource) -> list[Call]:
    i = resource.inputs
    request = {
        "WindowId": i["windowId"],
        "ResourceType": i["resourceType"],
        "Targets": _targets(i),
        "Name": i.get("name"),
        "Description": i.get("description"),
    }
    return [("ssm", "RegisterTargetWithMaintenanceWindow", _compact(request))]


def run_command_parameters(task) -> dict[str, list[str]]:
    (run_command,) = [task.inputs["taskInvocationParameters"]["runCommandParameters"]]
    return {p["name"]: p["values"] for p in run_command.get("parameters", [])}


def maintenance_window_task(resource) -> list[Call]:
    i = resource.inputs
    invocation: dict[str, Any] = {}
    parameters = i.get("taskInvocationParameters", {})
    if "runCommandParameters" in parameters:
        rc = parameters["runCommandParameters"]
        notification = rc.get("notificationConfig")
        invocation["RunCommand"] = _compact(
            {
                "Parameters": run_command_parameters(resource) or None,
                "Comment": rc.get("comment"),
                "OutputS3BucketName": rc.get("outputS3Bucket"),
                "OutputS3KeyPrefix": rc.get("outputS3KeyPrefix"),
                "ServiceRoleArn": rc.get("serviceRoleArn"),
                "TimeoutSeconds": rc.get("timeoutSeconds"),
                "NotificationConfig": _pascal(notification) if notification else None,
                "CloudWatchOutputConfig": (
                    {
                        "CloudWatchLogGroupName": rc["cloudwatchConfig"].get("cloudwatchLogGroupName"),
                        "CloudWatchOutputEnabled": rc["cloudwatchConfig"]["cloudwatchOutputEnabled"],
                    }
                    if rc.get("cloudwatchConfig")
                    else None
                ),
            }
        )
    if "automationParameters" in parameters:
        automation = parameters["automationParameters"]
        invocation["Automation"] = _compact(
            {
                "DocumentVersion": automation.get("documentVersion"),
                "Parameters": {p["name"]: p["values"] for p in automation.get("parameters", [])} or None,
            }
        )
    request = {
        "WindowId": i["windowId"],
        "Targets": _targets(i) if i.get("targets") else None,
        "TaskArn": i["taskArn"],
        "ServiceRoleArn": i.get("serviceRoleArn"),
        "TaskType": i["taskType"],
        "Priority": i.get("priority"),
        "MaxConcurrency": i.get("maxConcurrency"),
        "MaxErrors": i.get("maxErrors"),
        "CutoffBehavior": i.get("cutoffBehavior"),
        "Name": i.get("name"),
        "Description": i.get("description"),
        "TaskInvocationParameters": invocation or None,
    }
    return [("ssm", "RegisterTaskWithMaintenanceWindow", _compact(request))]


def _tag_list(resource) -> list[dict[str, str]] | None:
    return tags(resource.inputs.get("tags"))


BUILDERS: dict[str, Callable[[Any], list[Call]]] = {
    "aws:ssm/patchBaseline:PatchBaseline": patch_baseline,
    "aws:ssm/patchGroup:PatchGroup": lambda r: [
        (
            "ssm",
            "RegisterPatchBaselineForPatchGroup",
            {"BaselineId": r.inputs["baselineId"], "PatchGroup": r.inputs["patchGroup"]},
        )
    ],
    "aws:ssm/defaultPatchBaseline:DefaultPatchBaseline": lambda r: [
        ("ssm", "RegisterDefaultPatchBaseline", {"BaselineId": r.inputs["baselineId"]})
    ],
    "aws:ssm/maintenanceWindow:MaintenanceWindow": maintenance_window,
    "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget": maintenance_window_target,
    "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask": maintenance_window_task,
    "aws:ssm/document:Document": lambda r: [
        (
            "ssm",
            "CreateDocument",
            _compact(
                {
                    "Name": r.inputs["name"],
                    "Content": r.inputs["content"],
                    "DocumentFormat": r.inputs.get("documentFormat"),
                    "DocumentType": r.inputs.get("documentType"),
                    "Tags": _tag_list(r),
                }
            ),
        )
    ],
    "aws:ssm/association:Association": lambda r: [
        (
            "ssm",
            "CreateAssociation",
            _compact(
                {
                    "Name": r.inputs["name"],
                    "AssociationName": r.inputs.get("associationName"),
                    "Parameters": {k: [v] for k, v in r.inputs.get("parameters", {}).items()} or None,
                    "ScheduleExpression": r.inputs.get("scheduleExpression"),
                    "Targets": _targets(r.inputs) if r.inputs.get("targets") else None,
                    "Tags": _tag_list(r),
                }
            ),
        )
    ],
    "aws:ssm/resourceDataSync:ResourceDataSync": lambda r: [
        (
            "ssm",
            "CreateResourceDataSync",
            {
                "SyncName": r.inputs["name"],
                "S3Destination": _compact(
                    {
                        "BucketName": r.inputs["s3Destination"]["bucketName"],
                        "Prefix": r.inputs["s3Destination"].get("prefix"),
                        "Region": r.inputs["s3Destination"]["region"],
                        "SyncFormat": r.inputs["s3Destination"].get("syncFormat"),
                        "AWSKMSKeyARN": r.inputs["s3Destination"].get("kmsKeyArn"),
                    }
                ),
            },
        )
    ],
    "aws:cloudwatch/logGroup:LogGroup": lambda r: [
        (
            "logs",
            "CreateLogGroup",
            _compact(
                {"logGroupName": r.inputs["name"], "kmsKeyId": r.inputs.get("kmsKeyId"), "tags": r.inputs.get("tags")}
            ),
        ),
        (
            "logs",
            "PutRetentionPolicy",
            {"logGroupName": r.inputs["name"], "retentionInDays": r.inputs["retentionInDays"]},
        ),
    ],
    "aws:cloudwatch/eventRule:EventRule": lambda r: [
        (
            "events",
            "PutRule",
            _compact(
                {
                    "Name": r.inputs.get("name") or _autoname(r),
                    "EventPattern": r.inputs.get("eventPattern"),
                    "Description": r.inputs.get("description"),
                    "State": "ENABLED",
                    "Tags": _tag_list(r),
                }
            ),
        )
    ],
    "aws:cloudwatch/eventTarget:EventTarget": lambda r: [
        (
            "events",
            "PutTargets",
            {
                "Rule": r.inputs["rule"],
                "Targets": [
                    _compact(
                        {
                            "Id": r.inputs.get("targetId") or _autoname(r),
                            "Arn": r.inputs["arn"],
                            "RoleArn": r.inputs.get("roleArn"),
                            "Input": r.inputs.get("input"),
                        }
                    )
                ],
            },
        )
    ],
    "aws:iam/role:Role": lambda r: [
        (
            "iam",
            "CreateRole",
            _compact(
                {
                    "RoleName": r.inputs.get("name") or _autoname(r),
                    "AssumeRolePolicyDocument": r.inputs["assumeRolePolicy"],
                    "Description": r.inputs.get("description"),
                    "PermissionsBoundary": r.inputs.get("permissionsBoundary"),
                    "Tags": _tag_list(r),
                }
            ),
        )
    ],
    "aws:iam/rolePolicy:RolePolicy": lambda r: [
        (
            "iam",
            "PutRolePolicy",
            {
                "RoleName": r.inputs["role"],
                "PolicyName": r.inputs.get("name") or _autoname(r),
                "PolicyDocument": r.inputs["policy"],
            },
        )
    ],
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": lambda r: [
        ("iam", "AttachRolePolicy", {"RoleName": r.inputs["role"], "PolicyArn": r.inputs["policyArn"]})
    ],
    "aws:iam/instanceProfile:InstanceProfile": lambda r: [
        ("iam", "CreateInstanceProfile", _compact({"InstanceProfileName": _autoname(r), "Tags": _tag_list(r)})),
        ("iam", "AddRoleToInstanceProfile", {"InstanceProfileName": _autoname(r), "RoleName": r.inputs["role"]}),
    ],
    "aws:s3/bucket:Bucket": lambda r: [
        ("s3", "CreateBucket", {"Bucket": r.inputs.get("bucket") or _autoname(r)}),
        ("s3", "PutBucketTagging", {"Bucket": _autoname(r), "Tagging": {"TagSet": _tag_list(r) or []}}),
    ],
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": lambda r: [
        (
            "s3",
            "PutBucketLifecycleConfiguration",
            {
                "Bucket": r.inputs["bucket"],
                "LifecycleConfiguration": {"Rules": _pascal(r.inputs["rules"], {"id": "ID"})},
            },
        )
    ],
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": lambda r: [
        (
            "s3",
            "PutBucketOwnershipControls",
            {"Bucket": r.inputs["bucket"], "OwnershipControls": {"Rules": [_pascal(r.inputs["rule"])]}},
        )
    ],
    "aws:s3/bucketPolicy:BucketPolicy": lambda r: [
        ("s3", "PutBucketPolicy", {"Bucket": r.inputs["bucket"], "Policy": r.inputs["policy"]})
    ],
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": lambda r: [
        (
            "s3",
            "PutPublicAccessBlock",
            {
                "Bucket": r.inputs["bucket"],
                "PublicAccessBlockConfiguration": _pascal({k: v for k, v in r.inputs.items() if k != "bucket"}),
            },
        )
    ],
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": lambda r: [
        (
            "s3",
            "PutBucketEncryption",
            {
                "Bucket": r.inputs["bucket"],
                "ServerSideEncryptionConfiguration": {
                    "Rules": _pascal(
                        r.inputs["rules"], {"sseAlgorithm": "SSEAlgorithm", "kmsMasterKeyId": "KMSMasterKeyID"}
                    )
                },
            },
        )
    ],
    "aws:s3/bucketVersioning:BucketVersioning": lambda r: [
        (
            "s3",
            "PutBucketVersioning",
            {"Bucket": r.inputs["bucket"], "VersioningConfiguration": _pascal(r.inputs["versioningConfiguration"])},
        )
    ],
    "aws:sns/topic:Topic": lambda r: [
        (
            "sns",
            "CreateTopic",
            _compact(
                {
                    "Name": r.inputs.get("name") or re.sub(r"[^A-Za-z0-9_-]", "-", _autoname(r)),
                    "Attributes": {"KmsMasterKeyId": r.inputs["kmsMasterKeyId"]}
                    if "kmsMasterKeyId" in r.inputs
                    else None,
                    "Tags": _tag_list(r),
                }
            ),
        )
    ],
    "aws:sns/topicSubscription:TopicSubscription": lambda r: [
        (
            "sns",
            "Subscribe",
            {"TopicArn": r.inputs["topic"], "Protocol": r.inputs["protocol"], "Endpoint": r.inputs["endpoint"]},
        )
    ],
    "aws:s3/bucketObjectv2:BucketObjectv2": lambda r: [
        (
            "s3",
            "PutObject",
            _compact(
                {
                    "Bucket": r.inputs["bucket"],
                    "Key": r.inputs["key"],
                    "Body": r.inputs.get("content", "").encode(),
                    "ContentType": r.inputs.get("contentType"),
                    "Metadata": r.inputs.get("metadata"),
                    "Tagging": "&".join(f"{k}={v}" for k, v in (r.inputs.get("tags") or {}).items()) or None,
                }
            ),
        )
    ],
}


def api_calls(resource) -> list[Call]:
    """The create calls for one custom resource (providers excluded)."""
    if resource.type.startswith("pulumi:providers:"):
        return []
    if resource.type not in BUILDERS:
        raise KeyError(f"no AWS request builder for {resource.type}: add one to tests/aws_requests.py")
    return BUILDERS[resource.type](resource)
