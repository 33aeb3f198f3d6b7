"""A recorded-style set of AWS responses for acme in eu-west-1 (stacks/Pulumi.acme.yaml), in the
order `patching report` asks for them. botocore's Stubber checks every request and response
against the real service models (page sizes included).

The account: the stack is deployed as it says (baseline, registration, default, both windows with
their targets and tasks), but oncall@msp.example never confirmed its alert subscription and the
golden AMI's last build failed. acme-web has web-1 (scanned on 30 Nov, nothing missing), web-2
(missing and failing patches, and its command failed in the Sunday install of 29 Nov), web-3
(offline since 20 Nov, last scanned with AWS's default baseline), web-4 (tagged but never
registered with Systems Manager) and web-5 (stopped since 1 Nov); a typo'd tag (acme-wbe), an
untagged managed instance and another customer's instance (globex-web) share the account.
"""

from __future__ import annotations

from datetime import UTC, datetime

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
REGION = "eu-west-1"
GOLDEN_DOCUMENT_HASH = "4f2a" * 16
"""The SHA-256 (hex) of the golden AMI runbook's deployed version: any 64 hex digits, its name carries the same."""


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def managed(instance_id, name, ping="Online", platform="Amazon Linux"):
    return {
        "InstanceId": instance_id,
        "PingStatus": ping,
        "LastPingDateTime": t("2026-12-01T08:55") if ping == "Online" else t("2026-11-20T14:02"),
        "AgentVersion": "3.3.1142.0",
        "PlatformType": "Linux",
        "PlatformName": platform,
        "PlatformVersion": "2023",
        "ResourceType": "EC2Instance",
        "ComputerName": f"{name}.eu-west-1.compute.internal",
    }


def ec2(instance_id, state="running", **tags):
    return {
        "InstanceId": instance_id,
        "State": {"Code": 16 if state == "running" else 80, "Name": state},
        "Tags": [{"Key": key.replace("_", " "), "Value": value} for key, value in tags.items()],
    }


def patch_state(instance_id, baseline="pb-0acme0al2023000001", end="2026-11-30T01:41", op="Scan", **counts):
    state = {
        "InstanceId": instance_id,
        "PatchGroup": "acme-web",
        "BaselineId": baseline,
        "InstalledCount": 412,
        "InstalledOtherCount": 3,
        "InstalledPendingRebootCount": 0,
        "InstalledRejectedCount": 0,
        "MissingCount": 0,
        "FailedCount": 0,
        "NotApplicableCount": 1210,
        "OperationStartTime": t(end[:-2] + "12"),
        "OperationEndTime": t(end),
        "Operation": op,
        "RebootOption": "RebootIfNeeded",
        "CriticalNonCompliantCount": 0,
        "SecurityNonCompliantCount": 0,
        "OtherNonCompliantCount": 0,
    }
    state.update(counts)
    return state


DAILY, WEEKLY = "mw-0d0a11e5ca000000a", "mw-0bee41e1a5ba110b0"
BASELINE = "pb-0acme0al2023000001"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:acme-alerts-1a2b3c4"
SINCE = [{"Key": "ExecutedAfter", "Values": ["2026-10-31T09:00:00Z"]}]
# Window executions: the daily scan of 30 Nov (and 28 Nov), the weekly install of 29 Nov (and 22 Nov).
DAILY_30, DAILY_28 = "1a2b3c4d-0000-4000-8000-000000000030", "1a2b3c4d-0000-4000-8000-000000000028"
WEEKLY_29, WEEKLY_22 = "2b3c4d5e-0000-4000-8000-000000000029", "2b3c4d5e-0000-4000-8000-000000000022"


def page(size, **params):
    """Request parameters of a listing with AWS's largest page (report.PAGE_SIZES)."""
    return {**params, "MaxResults": size}


ROLE = "arn:aws:iam::123456789012:role/acme-maintenance-window-1a2b3c4"
ALERTS = {
    "NotificationArn": TOPIC,
    "NotificationEvents": ["Failed", "TimedOut", "Cancelled"],
    "NotificationType": "Invocation",
}


def window_checks(window_id, name, operation, reboot, concurrency="10%", timeout=3300):
    """The calls that check one window: its targets, its tasks, its task's parameters and settings
    (as stacks/Pulumi.acme.yaml builds them: delivery timeout (duration - cutoff - minutes per node))."""
    task_id = f"{window_id[3:11]}-0000-4000-8000-000000000001"
    return [
        (
            "describe_maintenance_window_targets",
            page(100, WindowId=window_id),
            {
                "Targets": [
                    {
                        "WindowId": window_id,
                        "WindowTargetId": f"{window_id[3:11]}-0000-4000-8000-000000000002",
                        "ResourceType": "INSTANCE",
                        "Targets": [{"Key": "tag:Patch Group", "Values": ["acme-web"]}],
                        "Name": f"{name}-patch-groups",
                    }
                ]
            },
        ),
        (
            "describe_maintenance_window_tasks",
            page(100, WindowId=window_id),
            {
                "Tasks": [
                    {
                        "WindowId": window_id,
                        "WindowTaskId": task_id,
                        "TaskArn": "AWS-RunPatchBaseline",
                        "Type": "RUN_COMMAND",
                        "Name": f"{name}-patch",
                    }
                ]
            },
        ),
        (
            "get_maintenance_window_task",
            {"WindowId": window_id, "WindowTaskId": task_id},
            {
                "WindowId": window_id,
                "WindowTaskId": task_id,
                "TaskArn": "AWS-RunPatchBaseline",
                "TaskType": "RUN_COMMAND",
                "ServiceRoleArn": ROLE,
                "MaxConcurrency": concurrency,
                "MaxErrors": "1",
                "CutoffBehavior": "CANCEL_TASK",
                "TaskInvocationParameters": {
                    "RunCommand": {
                        "Parameters": {"Operation": [operation], "RebootOption": [reboot]},
                        "TimeoutSeconds": timeout,
                        "ServiceRoleArn": ROLE,
                        "NotificationConfig": ALERTS,
                    }
                },
            },
        ),
    ]


def execution(window_id, execution_id, start, end, status="SUCCESS"):
    return {
        "WindowId": window_id,
        "WindowExecutionId": execution_id,
        "Status": status,
        "StartTime": t(start),
        "EndTime": t(end),
    }


def drill(execution_id, status, invocations):
    """The calls that find each instance's command of a window execution."""
    task_id, command_id = execution_id[:-12] + "0000000000aa", execution_id[:-12] + "0000000000cc"
    return [
        (
            "describe_maintenance_window_execution_tasks",
            page(100, WindowExecutionId=execution_id),
            {
                "WindowExecutionTaskIdentities": [
                    {
                        "WindowExecutionId": execution_id,
                        "TaskExecutionId": task_id,
                        "Status": status,
                        "TaskArn": "AWS-RunPatchBaseline",
                        "TaskType": "RUN_COMMAND",
                    }
                ]
            },
        ),
        (
            "describe_maintenance_window_execution_task_invocations",
            page(100, WindowExecutionId=execution_id, TaskId=task_id),
            {
                "WindowExecutionTaskInvocationIdentities": [
                    {
                        "WindowExecutionId": execution_id,
                        "TaskExecutionId": task_id,
                        "InvocationId": execution_id[:-12] + "0000000000bb",
                        "ExecutionId": command_id,
                        "TaskType": "RUN_COMMAND",
                        "Status": status,
                    }
                ]
            },
        ),
        (
            "list_command_invocations",
            page(50, CommandId=command_id),
            {
                "CommandInvocations": [
                    {"CommandId": command_id, "InstanceId": iid, "Status": s, "StatusDetails": s}
                    for iid, s in invocations
                ]
            },
        ),
    ]


# (client, operation, expected params or None, response), in call order per client.
SSM_CALLS = [
    (
        "describe_instance_information",
        page(50),
        {
            "InstanceInformationList": [managed("i-0web1", "web-1"), managed("i-0web2", "web-2")],
            "NextToken": "page-2",
        },
    ),
    (
        "describe_instance_information",
        page(50, NextToken="page-2"),
        {
            "InstanceInformationList": [
                managed("i-0web3", "web-3", ping="ConnectionLost"),
                managed("i-0web5", "web-5", ping="ConnectionLost"),
                managed("i-0loose", "build-box"),
            ]
        },
    ),
    (
        "describe_patch_groups",
        page(100),
        {
            "Mappings": [
                {
                    "PatchGroup": "acme-web",
                    "BaselineIdentity": {
                        "BaselineId": BASELINE,
                        "BaselineName": "acme-al2023",
                        "OperatingSystem": "AMAZON_LINUX_2023",
                        "DefaultBaseline": True,
                    },
                },
                {
                    "PatchGroup": "globex-web",
                    "BaselineIdentity": {
                        "BaselineId": "pb-0globex0rhel900001",
                        "BaselineName": "globex-rhel9",
                        "OperatingSystem": "REDHAT_ENTERPRISE_LINUX",
                        "DefaultBaseline": False,
                    },
                },
            ]
        },
    ),
    (
        "describe_patch_baselines",
        page(100, Filters=[{"Key": "OWNER", "Values": ["Self"]}]),
        {
            "BaselineIdentities": [
                {
                    "BaselineId": BASELINE,
                    "BaselineName": "acme-al2023",
                    "OperatingSystem": "AMAZON_LINUX_2023",
                    "DefaultBaseline": True,
                },
                {
                    "BaselineId": "pb-0globex0rhel900001",
                    "BaselineName": "globex-rhel9",
                    "OperatingSystem": "REDHAT_ENTERPRISE_LINUX",
                    "DefaultBaseline": False,
                },
            ]
        },
    ),
    (
        "get_default_patch_baseline",
        {"OperatingSystem": "AMAZON_LINUX_2023"},
        {"BaselineId": BASELINE, "OperatingSystem": "AMAZON_LINUX_2023"},
    ),
    (
        "describe_maintenance_windows",
        page(100, Filters=[{"Key": "Name", "Values": ["acme-daily-scan", "acme-weekly-install"]}]),
        {
            "WindowIdentities": [
                {
                    "WindowId": DAILY,
                    "Name": "acme-daily-scan",
                    "Enabled": True,
                    "Duration": 2,
                    "Cutoff": 1,
                    "Schedule": "cron(0 1 ? * MON-SAT *)",
                    "ScheduleTimezone": "Europe/London",
                },
                {
                    "WindowId": WEEKLY,
                    "Name": "acme-weekly-install",
                    "Enabled": True,
                    "Duration": 4,
                    "Cutoff": 1,
                    "Schedule": "cron(0 2 ? * SUN *)",
                    "ScheduleTimezone": "Europe/London",
                },
            ]
        },
    ),
    *window_checks(DAILY, "acme-daily-scan", "Scan", "NoReboot"),  # (2 - 1) h - 5 min = 3300 s
    (
        "describe_maintenance_window_executions",
        page(100, WindowId=DAILY, Filters=SINCE),
        {
            "WindowExecutions": [
                execution(DAILY, DAILY_28, "2026-11-28T01:00", "2026-11-28T01:09"),
                execution(DAILY, DAILY_30, "2026-11-30T01:00", "2026-11-30T01:08"),
            ]
        },
    ),
    *window_checks(WEEKLY, "acme-weekly-install", "Install", "RebootIfNeeded", "25%", 9900),  # (4 - 1) h - 15 min
    (
        "describe_maintenance_window_executions",
        page(100, WindowId=WEEKLY, Filters=SINCE),
        {
            "WindowExecutions": [
                {
                    **execution(WEEKLY, WEEKLY_29, "2026-11-29T02:00", "2026-11-29T02:44", "FAILED"),
                    "StatusDetails": "One or more tasks in the orchestration failed.",
                },
                execution(WEEKLY, WEEKLY_22, "2026-11-22T02:00", "2026-11-22T02:39"),
            ]
        },
    ),
    (
        # One call for the patch states of the stack's tagged nodes (web-4 has none), by instance id.
        "describe_instance_patch_states",
        page(100, InstanceIds=["i-0web1", "i-0web2", "i-0web3", "i-0web4", "i-0web5"]),
        {
            "InstancePatchStates": [
                patch_state("i-0web1"),
                patch_state(
                    "i-0web2",
                    MissingCount=3,
                    FailedCount=1,
                    CriticalNonCompliantCount=2,
                    SecurityNonCompliantCount=4,
                ),
                # Scanned with AWS's default baseline: its tag was added after the last scan.
                patch_state("i-0web3", baseline="pb-0c10e65c8d98bbb8f", end="2026-11-20T01:41"),
                patch_state("i-0web5", end="2026-11-01T02:41", op="Install"),
            ]
        },
    ),
    # Each window's newest run, and every failed one: which command each instance ran, how it ended.
    *drill(DAILY_30, "SUCCESS", [("i-0web1", "Success"), ("i-0web2", "Success")]),
    *drill(WEEKLY_29, "FAILED", [("i-0web1", "Success"), ("i-0web2", "Failed")]),
    (
        "get_parameter",
        {"Name": "/patching/acme/golden-ami/al2023-base"},
        {
            "Parameter": {
                "Name": "/patching/acme/golden-ami/al2023-base",
                "Type": "String",
                "Value": "ami-0acme0000000000a1",
                "DataType": "aws:ec2:image",
            }
        },
    ),
    (
        "describe_automation_executions",
        page(50, Filters=[{"Key": "DocumentNamePrefix", "Values": ["acme-golden-ami-al2023-base"]}]),
        {
            "AutomationExecutionMetadataList": [
                {
                    "AutomationExecutionId": "3c4d5e6f-0000-4000-8000-000000001005",
                    "DocumentName": "acme-golden-ami-al2023-base",
                    "AutomationExecutionStatus": "Success",
                    "ExecutionStartTime": t("2026-10-05T04:00"),
                    "ExecutionEndTime": t("2026-10-05T05:12"),
                },
                {
                    "AutomationExecutionId": "3c4d5e6f-0000-4000-8000-000000001102",
                    "DocumentName": "acme-golden-ami-al2023-base",
                    "AutomationExecutionStatus": "Failed",
                    "ExecutionStartTime": t("2026-11-02T04:00"),
                    "ExecutionEndTime": t("2026-11-02T04:31"),
                },
            ]
        },
    ),
    # The stack's one document, its default version the latest, named after its content, which AWS's hash
    # (of that version) is: no GetDocument (report_deployment.documents).
    (
        "describe_document",
        {"Name": "acme-golden-ami-al2023-base"},
        {
            "Document": {
                "Name": "acme-golden-ami-al2023-base",
                "DocumentType": "Automation",
                "DocumentFormat": "YAML",
                "DocumentVersion": "3",
                "DefaultVersion": "3",
                "LatestVersion": "3",
                "VersionName": f"sha256-{GOLDEN_DOCUMENT_HASH}",
                "Hash": GOLDEN_DOCUMENT_HASH,
                "HashType": "Sha256",
                "Status": "Active",
            }
        },
    ),
]

SNS_CALLS = [
    (
        "list_topics",
        {},
        {"Topics": [{"TopicArn": TOPIC}, {"TopicArn": "arn:aws:sns:eu-west-1:123456789012:globex-alerts-9f8e7d6"}]},
    ),
    (
        "list_subscriptions_by_topic",
        {"TopicArn": TOPIC},
        {
            "Subscriptions": [
                {
                    "SubscriptionArn": f"{TOPIC}:0a1b2c3d-0000-4000-8000-000000000001",
                    "Owner": "123456789012",
                    "Protocol": "email",
                    "Endpoint": "ops@acme.example",
                    "TopicArn": TOPIC,
                },
                {
                    "SubscriptionArn": "PendingConfirmation",
                    "Owner": "123456789012",
                    "Protocol": "email",
                    "Endpoint": "oncall@msp.example",
                    "TopicArn": TOPIC,
                },
            ]
        },
    ),
]

EC2_CALLS = [
    (
        "describe_instances",
        {"Filters": [{"Name": "tag-key", "Values": ["Patch Group"]}], "MaxResults": 1000},
        {
            "Reservations": [
                {
                    "ReservationId": "r-01",
                    "Instances": [
                        ec2("i-0web1", Patch_Group="acme-web", Name="web-1"),
                        ec2("i-0web2", Patch_Group="acme-web", Name="web-2"),
                        ec2("i-0web3", Patch_Group="acme-web", Name="web-3"),
                    ],
                }
            ],
            "NextToken": "ec2-2",
        },
    ),
    (
        "describe_instances",
        {"Filters": [{"Name": "tag-key", "Values": ["Patch Group"]}], "MaxResults": 1000, "NextToken": "ec2-2"},
        {
            "Reservations": [
                {
                    "ReservationId": "r-02",
                    "Instances": [
                        ec2("i-0web4", Patch_Group="acme-web", Name="web-4"),
                        ec2("i-0web5", state="stopped", Patch_Group="acme-web", Name="web-5"),
                        ec2("i-0typo", Patch_Group="acme-wbe", Name="web-6"),
                        ec2("i-0gone", state="terminated", Patch_Group="acme-web", Name="web-0"),
                        ec2("i-0globex", Patch_Group="globex-web", Name="globex-app"),
                    ],
                }
            ]
        },
    ),
]
