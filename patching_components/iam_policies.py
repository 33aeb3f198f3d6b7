"""The IAM policy documents we write, as plain documents, and IAM's size limit on them.

The components render them with their account, partition and region;
``inline_policy_issues`` renders a customer's with the longest ones AWS has, so
that ``validate`` (through the config model) refuses a stack whose roles AWS
would refuse (IAM allows 10,240 characters of inline policy per role).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from . import layout, standard
from .aws import limits as aws_limits
from .aws import run_patch_baseline
from .aws.iam_grants import GOLDEN_AMI_READ_ACTIONS, LOG_GROUP_LOOKUP_ACTIONS, MAINTENANCE_WINDOW_READ_ACTIONS
from .config import defaults

if TYPE_CHECKING:
    from .config import GoldenAmiConfig, StackConfig


REPORT_READ_ACTIONS = (
    "ec2:DescribeInstances",
    "sns:ListSubscriptionsByTopic",
    "sns:ListTopics",
    "ssm:DescribeAutomationExecutions",
    "ssm:DescribeInstanceInformation",
    "ssm:DescribeInstancePatchStates",
    "ssm:DescribeInstancePatchStatesForPatchGroup",
    "ssm:DescribeMaintenanceWindowExecutionTaskInvocations",
    "ssm:DescribeMaintenanceWindowExecutionTasks",
    "ssm:DescribeMaintenanceWindowExecutions",
    "ssm:DescribeMaintenanceWindowTargets",
    "ssm:DescribeMaintenanceWindowTasks",
    "ssm:DescribeMaintenanceWindows",
    "ssm:DescribePatchBaselines",
    "ssm:DescribePatchGroups",
    "ssm:GetDefaultPatchBaseline",
    "ssm:GetMaintenanceWindowTask",
    "ssm:GetParameter",
    "ssm:ListCommandInvocations",
    "sts:GetCallerIdentity",
    "ssm:GetAutomationExecution",  # a snapshotBeforeInstall window's failed per-node runs (which step failed)
    "ssm:GetDocument",  # a snapshotBeforeInstall window's runbook (its install step's patch command)
    "ssm:DescribeDocument",  # each document of the stack: its default version (report_deployment.documents)
)
"""Every call `patching report` makes: all read-only (tests/test_report.py records them).
sts:GetCallerIdentity needs no permission ("GetCallerIdentity", AWS STS API Reference): it is listed
because the report makes it, and left out of the policy."""


REPORT_WINDOW_ACTIONS = ("ssm:DescribeMaintenanceWindowExecutions",)
"""The report's calls IAM scopes to a maintenance window; the others take no resource ARN."""

REPORT_PARAMETER_ACTIONS = ("ssm:GetParameter",)
"""The report's calls IAM scopes to a parameter: the golden AMI pipelines' (``pipeline_names``)."""

REPORT_DOCUMENT_ACTIONS = ("ssm:GetDocument",)
"""The report reads only our runbooks: the snapshot-install ones (``<window>-snapshot-install``) and the rings'
promotion ones (``ring_report_statements``), never another document of the account."""

_NO_PERMISSION_NEEDED = ("sts:GetCallerIdentity",)


def report_policy_document(
    partition: str = "aws", regions: Sequence[str] | None = None, customer: str | None = None
) -> dict[str, Any]:
    """The operator's policy for `patching report`: read-only, optionally limited to ``regions`` (and its
    documents to ``customer``'s)."""
    condition = {"StringEquals": {"aws:RequestedRegion": list(regions)}} if regions else None
    scoped = (
        *REPORT_WINDOW_ACTIONS,
        *REPORT_PARAMETER_ACTIONS,
        *REPORT_DOCUMENT_ACTIONS,
        *_NO_PERMISSION_NEEDED,
        *REPORT_OWN_DOCUMENT_ACTIONS,
    )
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadPatchCompliance",
            "Effect": "Allow",
            "Action": [a for a in REPORT_READ_ACTIONS if a not in scoped],
            "Resource": "*",
        },
        {
            "Sid": "ReadSnapshotInstallRunbooks",
            "Effect": "Allow",
            "Action": list(REPORT_DOCUMENT_ACTIONS),
            "Resource": f"arn:{partition}:ssm:*:*:document/*-snapshot-install",
        },
        {
            "Sid": "ReadWindowRuns",
            "Effect": "Allow",
            "Action": list(REPORT_WINDOW_ACTIONS),
            "Resource": f"arn:{partition}:ssm:*:*:maintenancewindow/*",
        },
        {
            "Sid": "ReadGoldenAmiParameters",
            "Effect": "Allow",
            "Action": list(REPORT_PARAMETER_ACTIONS),
            "Resource": f"arn:{partition}:ssm:*:*:parameter/patching/*",
        },
        {
            # `patching report --sla`: Windows release dates, Amazon Inspector's status and findings.
            "Sid": "ReadPatchSla",
            "Effect": "Allow",
            "Action": [a for a in REPORT_SLA_READ_ACTIONS if a not in REPORT_NODE_ACTIONS],
            "Resource": "*",
        },
        {
            # `patching report --sla`: each node's patches (IAM scopes the call to the node).
            "Sid": "ReadNodePatches",
            "Effect": "Allow",
            "Action": list(REPORT_NODE_ACTIONS),
            "Resource": [f"arn:{partition}:ec2:*:*:instance/*", f"arn:{partition}:ssm:*:*:managed-instance/*"],
        },
    ]
    statements += ring_report_statements(partition)  # patch rings: each later ring's cut-off in force
    statements += document_report_statements(partition, customer)  # each document's default version
    for statement in statements if condition else []:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": statements}


def pass_role_statement(sid: str, role_arn: str, service: str) -> dict[str, Any]:
    """Hand exactly one role on, to exactly one service (``ssm``, ``ec2``)."""
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Action": "iam:PassRole",
        "Resource": role_arn,
        "Condition": {"StringEquals": {"iam:PassedToService": f"{service}.amazonaws.com"}},
    }


FREEZE_GUARD_TAG = "PatchingFreezeGuard"
"""The tag the freeze guard puts on a window it disables (documents/freeze-guard.yaml) and removes
when it enables it again: a window disabled without it was disabled by hand and stays so."""


def freeze_guard_document(
    *,
    partition: str,
    region: str,
    account_id: str,
    calendar_name: str | list[str],
    customer: str,
    topic_arn: str | None = None,
) -> dict[str, Any]:
    """What the guard runbook may do in its region: read its calendar, and get, switch and mark
    (``FREEZE_GUARD_TAG`` only) the windows tagged ``Customer: <customer>`` (every window
    CustomerPatching builds carries it), and tell ``topic_arn`` when a run fails.
    By tag rather than by id: one statement whatever the number of windows and regions, within
    IAM's limit on the one role every region's guard shares."""
    prefix = f"arn:{partition}:ssm:{region}:{account_id}:"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadTheChangeCalendar",
                "Effect": "Allow",
                "Action": "ssm:GetCalendarState",
                # The freeze calendar and the approval calendars of this region's gated windows.
                "Resource": (
                    f"{prefix}document/{calendar_name}"
                    if isinstance(calendar_name, str)
                    else [f"{prefix}document/{name}" for name in calendar_name]
                ),
            },
            {
                "Sid": "SwitchThisCustomersWindows",
                "Effect": "Allow",
                "Action": ["ssm:GetMaintenanceWindow", "ssm:UpdateMaintenanceWindow", "ssm:ListTagsForResource"],
                "Resource": f"{prefix}maintenancewindow/*",
                "Condition": {"StringEquals": {f"aws:ResourceTag/{defaults.CUSTOMER_TAG}": customer}},
            },
            {
                # The mark of a window the guard disabled: only that tag key, so the guard can never
                # change the Customer tag that scopes it.
                "Sid": "MarkWindowsItDisabled",
                "Effect": "Allow",
                "Action": ["ssm:AddTagsToResource", "ssm:RemoveTagsFromResource"],
                "Resource": f"{prefix}maintenancewindow/*",
                "Condition": {
                    "StringEquals": {f"aws:ResourceTag/{defaults.CUSTOMER_TAG}": customer},
                    "ForAllValues:StringEquals": {"aws:TagKeys": [FREEZE_GUARD_TAG]},
                },
            },
            *(
                # A failed run tells the customer's topic (the runbook's notifyFailure step).
                [
                    {
                        "Sid": "TellTheCustomerOfAFailedRun",
                        "Effect": "Allow",
                        "Action": "sns:Publish",
                        "Resource": topic_arn,
                    }
                ]
                if topic_arn
                else []
            ),
        ],
    }


def freeze_events_document(
    *, partition: str, region: str, account_id: str, guard_document: str, guard_role_arn: str
) -> dict[str, Any]:
    """What EventBridge may do on a calendar state change: start the guard, as the guard role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "StartTheGuard",
                "Effect": "Allow",
                "Action": "ssm:StartAutomationExecution",
                "Resource": f"arn:{partition}:ssm:{region}:{account_id}:automation-definition/{guard_document}:*",
            },
            pass_role_statement("PassTheGuardRole", guard_role_arn, "ssm"),
        ],
    }


PIPELINE_TAG = "GoldenAmiPipeline"


def build_policy_document(
    settings: GoldenAmiConfig, *, partition: str, region: str, account_id: str, pipeline: str, parameter_name: str
) -> dict[str, Any]:
    """What the automation role may do for one pipeline: exactly the API calls of its
    runbook, on this pipeline's tagged resources (tests/test_golden_ami_iam.py derives
    the calls from the rendered document and evaluates them against this)."""
    platform, source_parameter = settings.platform, settings.source_ami_parameter
    subnet_id, kms_key_arn = settings.subnet_id, settings.kms_key_arn
    groups = [f"security-group/{g}" for g in settings.security_group_ids or []] or ["security-group/*"]

    def arn(service: str, resource: str, account: str = account_id) -> str:
        return f"arn:{partition}:{service}:{region}:{account}:{resource}"

    tagged = {"StringEquals": {f"aws:ResourceTag/{PIPELINE_TAG}": pipeline}}
    tagging = {"StringEquals": {f"aws:RequestTag/{PIPELINE_TAG}": pipeline}}
    instances, volumes = arn("ec2", "instance/*"), arn("ec2", "volume/*")
    images, snapshots = arn("ec2", "image/*", ""), arn("ec2", "snapshot/*", "")
    documents = [arn("ssm", f"document/{run_patch_baseline.DOCUMENT}", "")]
    if platform == "Windows":
        documents.append(arn("ssm", "document/AWSEC2-RunSysprep", ""))
    statements: list[dict[str, Any]] = [
        {
            "Sid": "LaunchTaggedBuildInstance",
            "Effect": "Allow",
            "Action": "ec2:RunInstances",
            "Resource": [instances, volumes],
            "Condition": tagging,
        },
        {
            # The source AMI may be anyone's (Amazon's public images); the network is the pipeline's
            # subnet and security groups.
            "Sid": "LaunchFromSourceImage",
            "Effect": "Allow",
            "Action": "ec2:RunInstances",
            "Resource": [
                images,
                arn("ec2", f"subnet/{subnet_id}" if subnet_id else "subnet/*"),
                arn("ec2", "network-interface/*"),
                *(arn("ec2", group) for group in groups),
            ],
        },
        {
            "Sid": "TagOnlyAtCreation",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": [instances, volumes, images, snapshots],
            "Condition": {
                "StringEquals": {
                    "ec2:CreateAction": ["RunInstances", "CreateImage"],
                    f"aws:RequestTag/{PIPELINE_TAG}": pipeline,
                }
            },
        },
        {
            "Sid": "OperateBuildInstance",
            "Effect": "Allow",
            "Action": ["ec2:StopInstances", "ec2:TerminateInstances", "ec2:CreateImage"],
            "Resource": instances,
            "Condition": tagged,
        },
        {
            "Sid": "CreateTaggedImage",
            "Effect": "Allow",
            "Action": "ec2:CreateImage",
            "Resource": [images, snapshots],
            "Condition": tagging,
        },
        {
            "Sid": "RemovePipelineImages",
            "Effect": "Allow",
            "Action": ["ec2:DeregisterImage", "ec2:DeleteSnapshot"],
            "Resource": [images, snapshots],
            "Condition": tagged,
        },
        {
            "Sid": "PatchBuildInstance",
            "Effect": "Allow",
            "Action": ["ssm:SendCommand", "ssm:DescribeInstancePatchStates"],
            "Resource": instances,
            "Condition": {"StringEquals": {f"ssm:resourceTag/{PIPELINE_TAG}": pipeline}},
        },
        {"Sid": "RunPatchDocuments", "Effect": "Allow", "Action": "ssm:SendCommand", "Resource": documents},
        {
            # Read by the clean-up and the pruning, which never remove the image it names.
            "Sid": "PublishGoldenAmiId",
            "Effect": "Allow",
            "Action": ["ssm:PutParameter", "ssm:GetParameter"],
            "Resource": arn("ssm", f"parameter{parameter_name}"),
        },
        {
            "Sid": "ReadWithoutResourceLevelPermissions",
            "Effect": "Allow",
            "Action": list(GOLDEN_AMI_READ_ACTIONS),
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
        },
    ]
    if source_parameter:
        owner = "" if source_parameter.startswith("/aws/service/") else account_id  # public parameters have no account
        source = arn("ssm", f"parameter{source_parameter}", owner)
        statements.append({"Sid": "ReadSourceAmi", "Effect": "Allow", "Action": "ssm:GetParameter", "Resource": source})
    if kms_key_arn:
        # What EC2 needs from the caller to launch and image encrypted volumes on a customer managed key
        # ("Requirements for Amazon EBS encryption", EBS User Guide), through EC2 only (kms:ViaService).
        via_ec2 = {"kms:ViaService": f"ec2.{region}.amazonaws.com"}
        statements += [
            {
                "Sid": "UseEbsKey",
                "Effect": "Allow",
                "Action": [
                    "kms:Decrypt",
                    "kms:DescribeKey",
                    "kms:GenerateDataKeyWithoutPlaintext",
                    "kms:ReEncryptFrom",
                    "kms:ReEncryptTo",
                ],
                "Resource": kms_key_arn,
                "Condition": {"StringEquals": via_ec2},
            },
            {
                "Sid": "GrantEbsKeyToEc2",
                "Effect": "Allow",
                "Action": "kms:CreateGrant",
                "Resource": kms_key_arn,
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}, "StringEquals": via_ec2},
            },
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def schedule_policy_document(
    *,
    partition: str,
    region: str,
    account_id: str,
    document_name: str,
    automation_role_arn: str,
) -> dict[str, Any]:
    """What the maintenance window role needs to start this runbook on schedule."""
    prefix = f"arn:{partition}:ssm:{region}:{account_id}:"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "StartThisRunbook",
                "Effect": "Allow",
                "Action": "ssm:StartAutomationExecution",
                "Resource": f"{prefix}automation-definition/{document_name}:*",
            },
            {
                "Sid": "FollowItsExecutions",
                "Effect": "Allow",
                "Action": "ssm:GetAutomationExecution",
                "Resource": f"{prefix}automation-execution/*",
            },
            pass_role_statement("PassTheAutomationRole", automation_role_arn, "ssm"),
        ],
    }


def pass_instance_role_document(instance_role_arn: str) -> dict[str, Any]:
    """The automation role hands the instance role to the build instance, and nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [pass_role_statement("PassInstanceRoleToEc2", instance_role_arn, "ec2")],
    }


def maintenance_window_tasks_document(
    partition: str, account_id: str, groups: Sequence[str], tag_key: str, notification_role_arn: str | None
) -> dict[str, Any]:
    """The maintenance window role: the patch documents, on this customer's patch groups."""
    # Only this customer's patch groups, named; past IAM's size limit, instances in any patch group.
    instances = (
        {"StringEquals": {f"ssm:resourceTag/{tag_key}": list(groups)}}
        if standard.names_patch_groups(groups)
        else {"Null": {f"ssm:resourceTag/{tag_key}": "false"}}
    )
    statements: list[dict[str, Any]] = [
        {
            "Sid": "PatchThisCustomersGroups",
            "Effect": "Allow",
            "Action": "ssm:SendCommand",
            "Resource": f"arn:{partition}:ec2:*:{account_id}:instance/*",
            "Condition": instances,
        },
        {
            "Sid": "RunPatchDocuments",
            "Effect": "Allow",
            "Action": "ssm:SendCommand",
            "Resource": [f"arn:{partition}:ssm:*::document/{d}" for d in run_patch_baseline.DOCUMENTS],
        },
        {
            "Sid": "FollowAndCancelTasks",
            "Effect": "Allow",
            "Action": list(MAINTENANCE_WINDOW_READ_ACTIONS),
            "Resource": "*",
        },
    ]
    if notification_role_arn is not None:
        statements.append(
            # AWS's documented setup: Run Command publishes with the notification role,
            # which the task's service role hands to it.
            pass_role_statement("PassNotificationRole", notification_role_arn, "ssm")
        )
    return {"Version": "2012-10-17", "Statement": statements}


RUN_COMMAND_LOG_ACTIONS = ("logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents")
"""What the SSM agent calls on the task's log group to stream Run Command output ("Configuring Amazon
CloudWatch Logs for Run Command"; aws/amazon-ssm-agent, cloudwatchlogsservice): it first looks the
group up (logs:DescribeLogGroups, no resource-level permission) and creates it if it does not find it
(logs:CreateLogGroup, ResourceAlreadyExists ignored)."""


def log_group_arn(partition: str, region: str, account_id: str, name: str) -> str:
    """The ARN IAM matches a log group's own actions against."""
    return f"arn:{partition}:logs:{region}:{account_id}:log-group:{name}"


def kms_key_region(key_arn: str) -> str:
    """The region of a key ARN (arn:partition:kms:REGION:account:key/id)."""
    return key_arn.split(":")[3]


def instance_output_document(
    log_object_arns: Any,
    log_kms_key_arn: Any | None = None,
    log_group_arns: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """What the instances' SSM agent needs to write Run Command output: PutObject below the log
    prefix; with the bucket's customer managed key, that key through S3 only (PutObject under SSE-KMS
    needs kms:GenerateDataKey, a multipart upload also kms:Decrypt: "Using server-side encryption with
    AWS KMS keys (SSE-KMS)", S3 User Guide; kms:ViaService, AWS KMS Developer Guide); and the task's
    CloudWatch log group in each region. The values may be Outputs (json_document renders them)."""
    statements: list[dict[str, Any]] = []
    if log_object_arns is not None:
        statements.append(
            {"Sid": "WritePatchingOutput", "Effect": "Allow", "Action": "s3:PutObject", "Resource": log_object_arns}
        )
    if log_kms_key_arn is not None:
        statements.append(
            {
                "Sid": "EncryptPatchingOutput",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": log_kms_key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": s3_via_service(log_kms_key_arn)}},
            }
        )
    if log_group_arns:
        statements += [
            {
                "Sid": "StreamPatchingOutput",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", *RUN_COMMAND_LOG_ACTIONS],
                "Resource": [r for arn in log_group_arns for r in (arn, _concat(arn, ":*"))],
            },
            {"Sid": "FindTheLogGroup", "Effect": "Allow", "Action": list(LOG_GROUP_LOOKUP_ACTIONS), "Resource": "*"},
        ]
    return {"Version": "2012-10-17", "Statement": statements}


def _concat(value: Any, suffix: str) -> Any:
    import pulumi

    return pulumi.Output.concat(value, suffix) if isinstance(value, pulumi.Output) else f"{value}{suffix}"


def s3_via_service(key_arn: Any) -> Any:
    """``s3.<region>.amazonaws.com`` of the key's region: a bucket's SSE-KMS key is in the bucket's region."""
    import pulumi

    if isinstance(key_arn, pulumi.Output):
        return key_arn.apply(lambda arn: f"s3.{kms_key_region(arn)}.amazonaws.com")
    return f"s3.{kms_key_region(key_arn)}.amazonaws.com"


def instance_extra_document(statements: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The customer's own statements for the instance role (patching:instanceRole.statements)."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


# The longest values a customer's policies can be rendered with, so a stack that fits fits anywhere.
_PARTITION, _REGION, _ACCOUNT = "aws-us-gov", "ap-southeast-2", "0" * 12
_ROLE_ARN = f"arn:{_PARTITION}:iam::{_ACCOUNT}:role/{'r' * 64}"  # role names have at most 64 characters


def policy_size(document: dict[str, Any]) -> int:
    """A policy's size as IAM counts it: characters, whitespace excluded."""
    return len(re.sub(r"\s", "", json.dumps(document)))


def inline_policy_issues(config: StackConfig) -> list[tuple[tuple[str | int, ...], str]]:
    """The roles of a customer whose inline policies IAM would refuse, as located issues."""
    automation = [pass_instance_role_document(_ROLE_ARN)]
    window: list[dict[str, Any]] = []
    if config.patch_groups:
        window.append(
            maintenance_window_tasks_document(
                _PARTITION,
                _ACCOUNT,
                sorted(config.patch_groups),
                config.patch_group_tag_key,
                _ROLE_ARN if config.notifications else None,
            )
        )
    for key, settings in config.golden_amis.items():
        region = settings.region if settings.region != layout.primary_region(config) else None
        document_name, parameter_name = layout.pipeline_names(config.customer, key, region)
        automation.append(
            build_policy_document(
                settings,
                partition=_PARTITION,
                region=_REGION,
                account_id=_ACCOUNT,
                pipeline=document_name,
                parameter_name=parameter_name,
            )
        )
        if settings.schedule and config.patch_groups:
            window.append(
                schedule_policy_document(
                    partition=_PARTITION,
                    region=_REGION,
                    account_id=_ACCOUNT,
                    document_name=document_name,
                    automation_role_arn=_ROLE_ARN,
                )
            )
    window += _snapshot_window_documents(config)  # snapshotBeforeInstall: each window's runbook, per region
    instance: list[dict[str, Any]] = []
    logging = config.logging
    if logging is not None:
        buckets = [f"arn:{_PARTITION}:s3:::{'b' * 63}/{layout.log_prefix(config)}/*"] if logging.enabled else None
        cloud_watch = logging.cloud_watch
        group = layout.log_group_name(config.customer, cloud_watch.log_group) if cloud_watch else ""
        groups = [log_group_arn(_PARTITION, _REGION, _ACCOUNT, group)] * len(list(layout.regions(config)))
        instance.append(instance_output_document(buckets, logging.kms_key_arn, groups if cloud_watch else None))
    if config.instance_role is not None and config.instance_role.statements:
        instance.append(instance_extra_document([s.document() for s in config.instance_role.statements]))
    issues: list[tuple[tuple[str | int, ...], str]] = []
    for role, path, documents in (
        ("automation role", ("goldenAmis",), automation),
        ("maintenance window role", ("patchGroups",), window),
        ("instance role", ("instanceRole", "statements"), instance),
    ):
        size = sum(map(policy_size, documents))
        if size > aws_limits.MAX_INLINE_POLICIES_PER_ROLE:
            issues.append(
                (
                    path,
                    f"the {role}'s inline policies would be up to {size:,} characters; IAM allows "
                    f"{aws_limits.MAX_INLINE_POLICIES_PER_ROLE:,} per role: split the customer into several stacks",
                )
            )
    return issues + catch_up_policy_issues(config)


REPORT_SLA_READ_ACTIONS = (
    "inspector2:BatchGetAccountStatus",
    "inspector2:ListCoverage",  # which EC2 nodes Inspector actively scans (no resource type in IAM's table)
    "inspector2:ListFindings",
    "ssm:DescribeAvailablePatches",
    "ssm:DescribeInstancePatches",
)
"""Every call `patching report --sla` adds (tools/report_sla.py), all read-only and taking no resource ARN in
IAM ("Actions, resources, and condition keys" for Systems Manager and for Amazon Inspector, Service
Authorization Reference) but one, DescribeInstancePatches (``REPORT_NODE_ACTIONS``): tests/test_report_sla.py checks
the operator policy allows exactly these."""

REPORT_NODE_ACTIONS = ("ssm:DescribeInstancePatches",)
"""The SLA's calls IAM scopes to a node: an EC2 instance or a managed (hybrid) instance."""


# -- pre-patch snapshots (maintenanceWindows.<k>.snapshotBeforeInstall) --------------------------------

SNAPSHOT_TAGS = (
    "PatchingWindow",
    "PatchingWindowExecution",
    "PatchingInstance",
    "PatchingRootVolume",
    "PatchingAutomationExecution",
)
"""The tags documents/snapshot-install.yaml puts on each pre-patch snapshot, besides Customer."""

SNAPSHOT_READ_ACTIONS = ("ec2:DescribeInstances", "ec2:DescribeSnapshots")
"""No resource-level permissions (Service Authorization Reference, Amazon EC2): Resource "*"."""

COMMAND_FOLLOW_ACTIONS = ("ssm:ListCommands", "ssm:ListCommandInvocations", "ssm:GetCommandInvocation")
"""What aws:runCommand follows its command with; no resource-level permissions."""


def snapshot_install_document(
    *,
    partition: str,
    account_id: str,
    customer: str,
    groups: Sequence[str],
    tag_key: str,
    notification_role_arn: str | None = None,
) -> dict[str, Any]:
    """The snapshot role (documents/snapshot-install.yaml, every snapshot window of the stack, every region):
    snapshot only nodes of this customer's patch groups, into snapshots that carry ``Customer: <customer>``
    from creation (tags only at creation, only by CreateSnapshots), delete only snapshots carrying that tag,
    and send the patch documents only to those nodes. EC2 checks CreateSnapshots against the instance, each
    volume and each snapshot (Service Authorization Reference, Amazon EC2: CreateSnapshots)."""
    instances = (
        {"StringEquals": {f"aws:ResourceTag/{tag_key}": list(groups)}}
        if standard.names_patch_groups(groups)
        else {"Null": {f"aws:ResourceTag/{tag_key}": "false"}}
    )
    ssm_instances = {
        op: {k.replace("aws:ResourceTag/", "ssm:resourceTag/"): v for k, v in test.items()}
        for op, test in instances.items()
    }
    ec2 = f"arn:{partition}:ec2:*:{account_id}:"
    snapshots = f"arn:{partition}:ec2:*::snapshot/*"
    ours = {f"aws:RequestTag/{defaults.CUSTOMER_TAG}": customer}
    statements: list[dict[str, Any]] = [
        {"Sid": "FindNodesAndSnapshots", "Effect": "Allow", "Action": list(SNAPSHOT_READ_ACTIONS), "Resource": "*"},
        {
            "Sid": "SnapshotThisCustomersNodes",
            "Effect": "Allow",
            "Action": "ec2:CreateSnapshots",
            "Resource": f"{ec2}instance/*",
            "Condition": instances,
        },
        {
            "Sid": "SnapshotTheirVolumes",
            "Effect": "Allow",
            "Action": "ec2:CreateSnapshots",
            "Resource": f"{ec2}volume/*",
        },
        {
            "Sid": "IntoThisCustomersSnapshots",
            "Effect": "Allow",
            "Action": "ec2:CreateSnapshots",
            "Resource": snapshots,
            "Condition": {"StringEquals": ours},
        },
        {
            "Sid": "TagSnapshotsOnlyWhenCreated",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": snapshots,
            "Condition": {"StringEquals": {"ec2:CreateAction": "CreateSnapshots", **ours}},
        },
        {
            # Only pre-patch snapshots (PatchingWindow: our runbook's tag), never the customer's own backups that
            # carry a Customer cost tag.
            "Sid": "DeleteThisCustomersSnapshots",
            "Effect": "Allow",
            "Action": "ec2:DeleteSnapshot",
            "Resource": snapshots,
            "Condition": {
                "StringEquals": {f"aws:ResourceTag/{defaults.CUSTOMER_TAG}": customer},
                "Null": {"aws:ResourceTag/PatchingWindow": "false"},
            },
        },
        {
            "Sid": "PatchThisCustomersGroups",
            "Effect": "Allow",
            "Action": "ssm:SendCommand",
            "Resource": f"{ec2}instance/*",
            "Condition": ssm_instances,
        },
        {
            "Sid": "RunPatchDocuments",
            "Effect": "Allow",
            "Action": "ssm:SendCommand",
            "Resource": [f"arn:{partition}:ssm:*::document/{d}" for d in run_patch_baseline.DOCUMENTS],
        },
        {"Sid": "FollowTheCommand", "Effect": "Allow", "Action": list(COMMAND_FOLLOW_ACTIONS), "Resource": "*"},
    ]
    if notification_role_arn is not None:
        statements.append(pass_role_statement("PassNotificationRole", notification_role_arn, "ssm"))
    return {"Version": "2012-10-17", "Statement": statements}


def snapshot_notify_document(*, topic_arn: str) -> dict[str, Any]:
    """A snapshot run that fails tells the customer's topic of its region (the runbook's notifyFailure)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "TellTheCustomerOfAFailedRun", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn}
        ],
    }


def _snapshot_window_documents(config: StackConfig) -> list[dict[str, Any]]:
    """What each install window with snapshotBeforeInstall adds to the maintenance window role, in each of its
    regions (components/snapshot_install.py), rendered at the longest (inline_policy_issues)."""
    if not config.patch_groups or config.mode == "scan-only":
        return []
    documents = []
    for where in layout.regions(config):
        for key in where.windows:
            if config.maintenance_windows[key].snapshot_before_install is None:
                continue
            if config.maintenance_windows[key].operation != "Install":
                continue
            documents.append(
                schedule_policy_document(
                    partition=_PARTITION,
                    region=_REGION,
                    account_id=_ACCOUNT,
                    document_name=f"{where.window_name(key)}-snapshot-install",
                    automation_role_arn=_ROLE_ARN,
                )
            )
    return documents


CATCH_UP_READ_ACTIONS = (
    "ec2:DescribeInstances",
    "ssm:DescribeInstanceInformation",
    "ssm:ListCommandInvocations",
    "ssm:ListCommands",
)
"""What the catch-up runbook reads that IAM cannot scope to a resource (limited to its region by
aws:RequestedRegion): the instance's tags, whether SSM manages it, and its command (aws:runCommand follows
the command it sent)."""


def catch_up_document(
    *,
    partition: str,
    region: str,
    account_id: str,
    customer: str,
    document: str,
    groups: Sequence[str],
    tag_key: str,
    calendar_names: Sequence[str] = (),
    topic_arn: str | None = None,
    notification_role_arn: str | None = None,
) -> dict[str, Any]:
    """What the catch-up runbook of one install window may do in its region: exactly its calls
    (documents/catch-up.yaml), the patch ``document`` only on instances carrying one of the window's
    ``groups`` in ``tag_key`` (``ssm:resourceTag``, the condition key AWS documents for SendCommand on
    instances), the window read by the ``Customer`` tag, its calendars by name, its mark on the instance only."""
    from .aws.catch_up import CAUGHT_UP_TAG

    prefix = f"arn:{partition}:ssm:{region}:{account_id}:"
    instances = f"arn:{partition}:ec2:{region}:{account_id}:instance/*"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "PatchAndReadThisWindowsNodes",
            "Effect": "Allow",
            "Action": ["ssm:SendCommand", "ssm:DescribeInstancePatchStates"],
            "Resource": instances,
            "Condition": {"StringEquals": {f"ssm:resourceTag/{tag_key}": sorted(groups)}},
        },
        {
            "Sid": "RunTheWindowsPatchDocument",
            "Effect": "Allow",
            "Action": "ssm:SendCommand",
            "Resource": f"arn:{partition}:ssm:{region}::document/{document}",
        },
        {
            # Only its own mark, only on this window's nodes (CreateTags' documented condition keys).
            "Sid": "MarkTheNodeCaughtUp",
            "Effect": "Allow",
            "Action": "ec2:CreateTags",
            "Resource": instances,
            "Condition": {
                "StringEquals": {f"aws:ResourceTag/{tag_key}": sorted(groups)},
                "ForAllValues:StringEquals": {"aws:TagKeys": [CAUGHT_UP_TAG]},
            },
        },
        {
            "Sid": "ReadThisCustomersWindow",
            "Effect": "Allow",
            "Action": ["ssm:GetMaintenanceWindow", "ssm:ListTagsForResource"],
            "Resource": f"{prefix}maintenancewindow/*",
            "Condition": {"StringEquals": {f"aws:ResourceTag/{defaults.CUSTOMER_TAG}": customer}},
        },
        {
            "Sid": "ReadWithoutResourceLevelPermissions",
            "Effect": "Allow",
            "Action": list(CATCH_UP_READ_ACTIONS),
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
        },
    ]
    if calendar_names:
        statements.append(
            {
                "Sid": "ReadTheCalendars",
                "Effect": "Allow",
                "Action": "ssm:GetCalendarState",
                "Resource": [f"{prefix}document/{name}" for name in calendar_names],
            }
        )
    if topic_arn:
        statements.append(
            {"Sid": "TellTheCustomerOfAFailedRun", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn}
        )
    if notification_role_arn:
        # The window's notifications: Run Command publishes with the notification role, handed over by the sender.
        statements.append(pass_role_statement("PassNotificationRole", notification_role_arn, "ssm"))
    return {"Version": "2012-10-17", "Statement": statements}


def catch_up_events_document(
    *, partition: str, region: str, account_id: str, document: str, role_arn: str
) -> dict[str, Any]:
    """What EventBridge may do when an instance starts: start this window's catch-up runbook, as the catch-up role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "StartTheCatchUp",
                "Effect": "Allow",
                "Action": "ssm:StartAutomationExecution",
                "Resource": f"arn:{partition}:ssm:{region}:{account_id}:automation-definition/{document}:*",
            },
            pass_role_statement("PassTheCatchUpRole", role_arn, "ssm"),
        ],
    }


def catch_up_policy_issues(config: StackConfig) -> list[tuple[tuple[str | int, ...], str]]:
    """The catch-up role holds one inline policy per catch-up window and region (WindowCatchUp): too many
    of them, and IAM refuses the last ones (a window whose catch-up could not run)."""
    documents = []
    calendars = [layout.freeze_names(config.customer, "x" * 14)[0]] if config.change_freezes else []
    groups_of = config.groups_by_window()
    for where in layout.regions(config):
        for key in where.windows:
            window = layout.window_as_built(config, key)
            if window.catch_up is None or window.operation != "Install":
                continue
            documents.append(
                catch_up_document(
                    partition=_PARTITION,
                    region=_REGION,
                    account_id=_ACCOUNT,
                    customer=config.customer,
                    document=run_patch_baseline.DOCUMENT_WITH_HOOKS,
                    groups=groups_of[key],
                    tag_key=config.patch_group_tag_key,
                    calendar_names=calendars,
                    topic_arn=f"arn:{_PARTITION}:sns:{_REGION}:{_ACCOUNT}:{'t' * 256}"
                    if config.notifications
                    else None,
                    notification_role_arn=_ROLE_ARN if config.notifications else None,
                )
            )
    size = sum(map(policy_size, documents))
    if size <= aws_limits.MAX_INLINE_POLICIES_PER_ROLE:
        return []
    return [
        (
            ("maintenanceWindows",),
            f"the catch-up role's inline policies (one per catchUp window and region: {len(documents)}) would be "
            f"up to {size:,} characters; IAM allows {aws_limits.MAX_INLINE_POLICIES_PER_ROLE:,} per role: set "
            "catchUp on fewer windows or regions, or split the customer into several stacks",
        )
    ]


NOTICE_TAG = "PatchingNotice"
"""The tag the advance-notice runbook records the opening it noticed in (patching_components/notices.py)."""


def notices_document(
    *,
    partition: str,
    region: str,
    account_id: str,
    customer: str,
    topic_arn: str,
    calendar_name: str | None = None,
    approval_calendars: Sequence[str] = (),
    tag_key: str = defaults.PATCH_GROUP_TAG_KEY,
    groups: Sequence[str] = (),
) -> dict[str, Any]:
    """What the advance-notice and window-summary runbooks may do in their region: read the schedule and
    runs of any window (no resource-level permission: limited to the region), get this customer's windows
    and record a notice on them (``NOTICE_TAG`` only), read the freeze calendar, the patch states of this
    customer's patch groups' nodes, and publish to the customer's topic."""
    from .aws.iam_grants import NOTICE_READ_ACTIONS

    prefix = f"arn:{partition}:ssm:{region}:{account_id}:"
    customer_windows = {f"aws:ResourceTag/{defaults.CUSTOMER_TAG}": customer}
    instances = (
        {"StringEquals": {f"ssm:resourceTag/{tag_key}": list(groups)}}
        if groups and standard.names_patch_groups(groups)
        else {"Null": {f"ssm:resourceTag/{tag_key}": "false"}}
    )
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadWindowSchedulesRunsAndNodes",
            "Effect": "Allow",
            "Action": list(NOTICE_READ_ACTIONS),
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
        },
        {
            "Sid": "ReadThisCustomersWindows",
            "Effect": "Allow",
            "Action": ["ssm:GetMaintenanceWindow", "ssm:ListTagsForResource"],
            "Resource": f"{prefix}maintenancewindow/*",
            "Condition": {"StringEquals": customer_windows},
        },
        {
            # The record of the opening noticed: only that tag key, never the Customer tag that scopes it.
            "Sid": "RecordTheNoticeSent",
            "Effect": "Allow",
            "Action": "ssm:AddTagsToResource",
            "Resource": f"{prefix}maintenancewindow/*",
            "Condition": {
                "StringEquals": customer_windows,
                "ForAllValues:StringEquals": {"aws:TagKeys": [NOTICE_TAG]},
            },
        },
        {
            "Sid": "ReadPatchStatesOfThisCustomersNodes",
            "Effect": "Allow",
            "Action": "ssm:DescribeInstancePatchStates",
            "Resource": [
                f"arn:{partition}:ec2:{region}:{account_id}:instance/*",
                f"{prefix}managed-instance/*",
            ],
            "Condition": instances,
        },
        {
            # A snapshotBeforeInstall window's per-node runbook runs that did not succeed (which step failed).
            # IAM knows no owner of an Automation execution (a window's task cannot tag it): this region and
            # account only; the runbook asks only for the executions its window's invocations name.
            "Sid": "ReadTheWindowsSnapshotInstallRuns",
            "Effect": "Allow",
            "Action": "ssm:GetAutomationExecution",
            "Resource": f"{prefix}automation-execution/*",
        },
        {"Sid": "TellTheCustomer", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn},
    ]
    calendars = [*([calendar_name] if calendar_name else []), *approval_calendars]
    if calendars:
        statements.insert(
            3,
            {
                "Sid": "ReadTheChangeCalendars",
                "Effect": "Allow",
                "Action": "ssm:GetCalendarState",
                "Resource": [f"{prefix}document/{name}" for name in calendars],
            },
        )
    return {"Version": "2012-10-17", "Statement": statements}


def notices_events_document(
    *, partition: str, region: str, account_id: str, summary_document: str, role_arn: str
) -> dict[str, Any]:
    """What EventBridge may do when a window run ends: start the summary runbook, as the notices role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "StartTheSummary",
                "Effect": "Allow",
                "Action": "ssm:StartAutomationExecution",
                "Resource": f"arn:{partition}:ssm:{region}:{account_id}:automation-definition/{summary_document}:*",
            },
            pass_role_statement("PassTheNoticesRole", role_arn, "ssm"),
        ],
    }


def ring_promotion_document(
    *,
    partition: str,
    region: str,
    account_id: str,
    customer: str,
    bucket: str,
    override_key: str,
    topic_arn: str | None = None,
    kms_key_arn: str | None = None,
) -> dict[str, Any]:
    """What a ring's promotion runbook may do: read the executions of this customer's windows (tagged
    ``Customer: <customer>``), the patch states of the nodes in its patch groups and the EC2 instances tagged
    with them (APIs without resource-level permissions), read and write exactly its ring's override object, and
    tell ``topic_arn``."""
    prefix = f"arn:{partition}:ssm:{region}:{account_id}:"
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadThePreviousRingsWindowExecutions",
            "Effect": "Allow",
            "Action": "ssm:DescribeMaintenanceWindowExecutions",
            "Resource": f"{prefix}maintenancewindow/*",
            "Condition": {"StringEquals": {f"aws:ResourceTag/{defaults.CUSTOMER_TAG}": customer}},
        },
        {
            # DescribeInstancePatchStatesForPatchGroup has no resource type in IAM's action table.
            "Sid": "ReadThePreviousRingsPatchStates",
            "Effect": "Allow",
            "Action": "ssm:DescribeInstancePatchStatesForPatchGroup",
            "Resource": "*",
        },
        {
            # The previous ring's instances (tagged with its groups), each of which must have reported the install:
            # DescribeInstances has no resource type in IAM's action table either.
            "Sid": "FindThePreviousRingsNodes",
            "Effect": "Allow",
            "Action": "ec2:DescribeInstances",
            "Resource": "*",
        },
        {
            "Sid": "ReadAndWriteThisRingsOverride",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject"],
            "Resource": f"arn:{partition}:s3:::{bucket}/{override_key}",
        },
        {
            # Without it S3 answers a missing object with 403, not 404 ("HeadObject", Permissions): the runbook
            # could not tell "never written" (it promotes) from "not allowed" (it fails).
            "Sid": "TellAMissingOverride",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"arn:{partition}:s3:::{bucket}",
            "Condition": {"StringEquals": {"s3:prefix": override_key}},
        },
    ]
    if kms_key_arn:
        statements.append(
            {
                "Sid": "TheLogBucketsKey",
                "Effect": "Allow",
                "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                "Resource": kms_key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": s3_via_service(kms_key_arn)}},
            }
        )
    if topic_arn:
        statements.append({"Sid": "TellTheCustomer", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn})
    return {"Version": "2012-10-17", "Statement": statements}


def ring_override_read_document(
    *, partition: str, bucket: str, override_key: str, kms_key_arn: str | None = None
) -> dict[str, Any]:
    """The instance role reads its ring's override object (the agent downloads BaselineOverride itself)."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadTheRingsBaselineOverride",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"arn:{partition}:s3:::{bucket}/{override_key}",
        }
    ]
    if kms_key_arn:
        statements.append(
            {
                "Sid": "DecryptItWithTheLogBucketsKey",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": kms_key_arn,
                "Condition": {"StringEquals": {"kms:ViaService": s3_via_service(kms_key_arn)}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def ring_report_statements(partition: str = "aws") -> list[dict[str, Any]]:
    """`patching report` reads each later patch ring's promotion runbook (its bucket and key) and its override
    object's metadata (HeadObject: s3:GetObject), and nothing else of either service."""
    return [
        {
            "Sid": "ReadRingPromotionRunbooks",
            "Effect": "Allow",
            "Action": "ssm:GetDocument",
            "Resource": f"arn:{partition}:ssm:*:*:document/*-ring-*-promotion",
        },
        {
            "Sid": "ReadRingOverrides",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": f"arn:{partition}:s3:::*.rings/*.json",
        },
    ]


def circuit_breaker_document(
    *, partition: str, region: str, account_id: str, customer: str, topic_arn: str | None = None
) -> dict[str, Any]:
    """What the circuit breaker runbook (documents/circuit-breaker.yaml) may do in its region: read, disable and
    mark (``PatchingCircuitBreaker`` only) the windows tagged ``Customer: <customer>``, list and cancel their
    executions, list those executions' tasks and invocations and cancel their running commands (IAM allows only
    ``*`` for these, in its region) and Automation executions (this account's, in its region), list the runs of its
    catch-up runbooks and their aws:runCommand steps and cancel them and their commands, and tell
    ``topic_arn``. No RemoveTagsFromResource and no enabling of anything
    on purpose: only ``patching resume`` (an operator) undoes a trip. (UpdateMaintenanceWindow could enable: IAM has no
    condition on the request's Enabled; the runbook only ever sends Enabled=False.)"""
    from .aws.alarms import CIRCUIT_BREAKER_TAG

    windows = f"arn:{partition}:ssm:{region}:{account_id}:maintenancewindow/*"
    ours = {f"aws:ResourceTag/{defaults.CUSTOMER_TAG}": customer}
    statements: list[dict[str, Any]] = [
        {
            "Sid": "StopThisCustomersWindows",
            "Effect": "Allow",
            "Action": [
                "ssm:CancelMaintenanceWindowExecution",
                "ssm:DescribeMaintenanceWindowExecutions",
                "ssm:GetMaintenanceWindow",
                "ssm:ListTagsForResource",
                "ssm:UpdateMaintenanceWindow",
            ],
            "Resource": windows,
            "Condition": {"StringEquals": ours},
        },
        {
            "Sid": "MarkWindowsItStopped",
            "Effect": "Allow",
            "Action": "ssm:AddTagsToResource",
            "Resource": windows,
            "Condition": {"StringEquals": ours, "ForAllValues:StringEquals": {"aws:TagKeys": [CIRCUIT_BREAKER_TAG]}},
        },
        {
            # The commands already running in the executions it cancels (AWS lets a running task finish). IAM's action
            # table gives these three no resource type (Resource "*" only) and no condition key of their own: the
            # runbook cancels only the command IDs it finds through this customer's windows (whose executions only
            # the statement above lets it list), and CancelCommand can only stop a command, never run one. Limited
            # to this region (docs/aws-behaviour.md, "Circuit breaker: running commands").
            "Sid": "CancelTheRunningCommandsOfItsExecutions",
            "Effect": "Allow",
            # DescribeAutomationExecutions (the customer's catch-up runs: the runbook keeps only its catch-up
            # documents' runs) has no resource type either.
            "Action": [
                "ssm:CancelCommand",
                "ssm:DescribeAutomationExecutions",
                "ssm:DescribeMaintenanceWindowExecutionTaskInvocations",
                "ssm:DescribeMaintenanceWindowExecutionTasks",
            ],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
        },
        {
            # The Automation executions already running in those executions (a snapshotBeforeInstall window's install
            # task is an AUTOMATION task: one execution per node snapshots, patches and reboots). The Service
            # Authorization Reference gives StopAutomationExecution the automation-execution resource type:
            # only this account's executions in this region; the runbook stops only the IDs its task invocations
            # name (docs/aws-behaviour.md, "Circuit breaker: running Automation tasks"), and the customer's catch-up
            # runs, whose aws:runCommand steps (DescribeAutomationStepExecutions, the same resource type) name the
            # command to cancel.
            "Sid": "CancelTheRunningAutomationsOfItsExecutions",
            "Effect": "Allow",
            "Action": ["ssm:DescribeAutomationStepExecutions", "ssm:StopAutomationExecution"],
            "Resource": f"arn:{partition}:ssm:{region}:{account_id}:automation-execution/*",
        },
    ]
    if topic_arn:
        statements.append(
            {"Sid": "TellTheCustomerItStopped", "Effect": "Allow", "Action": "sns:Publish", "Resource": topic_arn}
        )
    return {"Version": "2012-10-17", "Statement": statements}


def circuit_breaker_events_document(
    *, partition: str, region: str, account_id: str, breaker_document: str, breaker_role_arn: str
) -> dict[str, Any]:
    """What EventBridge may do on a stop alarm's state change: start the breaker, as the breaker role."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "StartTheBreaker",
                "Effect": "Allow",
                "Action": "ssm:StartAutomationExecution",
                "Resource": f"arn:{partition}:ssm:{region}:{account_id}:automation-definition/{breaker_document}:*",
            },
            pass_role_statement("PassTheBreakerRole", breaker_role_arn, "ssm"),
        ],
    }


def circuit_breaker_policy_issues(config: StackConfig) -> list[tuple[tuple[str | int, ...], str]]:
    """The circuit breaker roles get one inline policy per region with stop alarms (CircuitBreaker): with the longest
    names AWS has, the located issue when IAM would refuse them (10,240 characters per role)."""
    regions = [where for where in layout.regions(config) if layout.stop_alarms(config, where)]
    topic = f"arn:{_PARTITION}:sns:{_REGION}:{_ACCOUNT}:{'t' * 256}" if config.notifications else None
    breaker = circuit_breaker_document(
        partition=_PARTITION, region=_REGION, account_id=_ACCOUNT, customer=config.customer, topic_arn=topic
    )
    events = circuit_breaker_events_document(
        partition=_PARTITION,
        region=_REGION,
        account_id=_ACCOUNT,
        breaker_document=layout.circuit_breaker_name(config.customer, _REGION),
        breaker_role_arn=_ROLE_ARN,
    )
    issues: list[tuple[tuple[str | int, ...], str]] = []
    for role, document in (("circuit breaker role", breaker), ("circuit breaker events role", events)):
        size = policy_size(document) * len(regions)
        if size > aws_limits.MAX_INLINE_POLICIES_PER_ROLE:
            issues.append(
                (
                    ("maintenanceWindows",),
                    f"stopOnAlarms in {len(regions)} regions: the {role}'s inline policies (one per region) would be "
                    f"up to {size:,} characters; IAM allows {aws_limits.MAX_INLINE_POLICIES_PER_ROLE:,} per role: "
                    "put stop alarms on the windows of fewer regions, or split the stack",
                )
            )
    return issues


REPORT_OWN_DOCUMENT_ACTIONS = ("ssm:DescribeDocument",)
"""`patching report` describes each SSM document the stack builds (``layout.document_names``): whether its
default version is the latest (report_deployment.documents)."""

DOCUMENT_NAME_PATTERNS = (
    "*-change-freezes",
    "*-freeze-guard",
    "*-approvals",
    "*-golden-ami-*",
    "*-circuit-breaker",
    "*-ring-*-promotion",
    "*-advance-notice",
    "*-window-summary",
    "*-catch-up",
    "*-snapshot-install",
)
"""The names of the documents the stack builds (``layout``: ``<prefix>-<what>``), as IAM resource patterns."""


def document_report_statements(partition: str = "aws", customer: str | None = None) -> list[dict[str, Any]]:
    """`patching report` reads our documents and no other: with ``customer``, only that customer's
    (``<customer>-*``: every name of a stack starts with its customer id, ``layout.name_prefix``), else every
    stack's, by the names ``layout`` gives them. IAM evaluates both calls against the document's ARN
    ("Actions, resources, and condition keys for AWS Systems Manager", Service Authorization Reference)."""
    names = [f"{customer}-*"] if customer else list(DOCUMENT_NAME_PATTERNS)
    return [
        {
            "Sid": "ReadOwnDocuments",
            "Effect": "Allow",
            "Action": list(REPORT_OWN_DOCUMENT_ACTIONS),
            "Resource": [f"arn:{partition}:ssm:*:*:document/{name}" for name in names],
        }
    ]
