"""A recorded-style set of AWS responses for acme in eu-west-1 (stacks/Pulumi.acme.yaml), in the
order `patching report` asks for them. botocore's Stubber checks every request and response
against the real service models.

The account: acme-web has four instances with a patch state (web-1 patched; web-2 missing and
failing patches; web-3 offline and patched with the default baseline; web-5 stopped since 1 Nov)
plus web-4, tagged but never registered with Systems Manager; a typo'd tag (acme-wbe), an
untagged managed instance, and another customer's instance (globex-web) share the account.
The Sunday install of 29 Nov failed on web-2.
"""

from __future__ import annotations

from datetime import UTC, datetime

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
REGION = "eu-west-1"


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


def patch_state(instance_id, baseline="pb-0acme0al2023000001", end="2026-11-29T02:41", op="Install", **counts):
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
        "OperationStartTime": t(end.replace("41", "12")),
        "OperationEndTime": t(end),
        "Operation": op,
        "RebootOption": "RebootIfNeeded",
        "CriticalNonCompliantCount": 0,
        "SecurityNonCompliantCount": 0,
        "OtherNonCompliantCount": 0,
    }
    state.update(counts)
    return state


DAILY, WEEKLY = "mw-0d0a11y5ca000000a", "mw-0weekly1n5ta110b0"

# (client, operation, expected params or None, response), in call order per client.
SSM_CALLS = [
    (
        "describe_instance_information",
        {},
        {
            "InstanceInformationList": [managed("i-0web1", "web-1"), managed("i-0web2", "web-2")],
            "NextToken": "page-2",
        },
    ),
    (
        "describe_instance_information",
        {"NextToken": "page-2"},
        {
            "InstanceInformationList": [
                managed("i-0web3", "web-3", ping="ConnectionLost"),
                managed("i-0web5", "web-5"),
                managed("i-0loose", "build-box"),
            ]
        },
    ),
    (
        "describe_patch_groups",
        {},
        {
            "Mappings": [
                {
                    "PatchGroup": "acme-web",
                    "BaselineIdentity": {
                        "BaselineId": "pb-0acme0al2023000001",
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
        "list_resource_compliance_summaries",
        {"Filters": [{"Key": "ComplianceType", "Values": ["Patch"], "Type": "EQUAL"}]},
        {
            "ResourceComplianceSummaryItems": [
                {"ComplianceType": "Patch", "ResourceType": "ManagedInstance", "ResourceId": iid, "Status": status}
                for iid, status in (
                    ("i-0web1", "COMPLIANT"),
                    ("i-0web2", "NON_COMPLIANT"),
                    ("i-0web3", "COMPLIANT"),
                    ("i-0web5", "COMPLIANT"),
                )
            ]
        },
    ),
    (
        "describe_instance_patch_states_for_patch_group",
        {"PatchGroup": "acme-web"},
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
            ],
            "NextToken": "states-2",
        },
    ),
    (
        "describe_instance_patch_states_for_patch_group",
        {"PatchGroup": "acme-web", "NextToken": "states-2"},
        {
            "InstancePatchStates": [
                # Patched with AWS's default baseline: its tag was added after the last scan.
                patch_state("i-0web3", baseline="pb-0c10e65c8d98bbb8f", end="2026-11-20T01:41", op="Scan"),
                patch_state("i-0web5", end="2026-11-01T02:41"),
            ]
        },
    ),
    (
        "describe_maintenance_windows",
        {"Filters": [{"Key": "Name", "Values": ["acme-daily-scan", "acme-weekly-install"]}]},
        {
            "WindowIdentities": [
                {"WindowId": DAILY, "Name": "acme-daily-scan", "Enabled": True, "Duration": 2, "Cutoff": 1},
                {"WindowId": WEEKLY, "Name": "acme-weekly-install", "Enabled": True, "Duration": 4, "Cutoff": 1},
            ]
        },
    ),
    (
        "describe_maintenance_window_executions",
        {"WindowId": DAILY, "Filters": [{"Key": "ExecutedAfter", "Values": ["2026-10-31T09:00:00Z"]}]},
        {
            "WindowExecutions": [
                {
                    "WindowId": DAILY,
                    "WindowExecutionId": "1a2b3c4d-0000-4000-8000-000000000001",
                    "Status": "SUCCESS",
                    "StartTime": t("2026-11-28T01:00"),
                    "EndTime": t("2026-11-28T01:09"),
                },
                {
                    "WindowId": DAILY,
                    "WindowExecutionId": "1a2b3c4d-0000-4000-8000-000000000002",
                    "Status": "SUCCESS",
                    "StartTime": t("2026-11-30T01:00"),
                    "EndTime": t("2026-11-30T01:08"),
                },
            ]
        },
    ),
    (
        "describe_maintenance_window_executions",
        {"WindowId": WEEKLY, "Filters": [{"Key": "ExecutedAfter", "Values": ["2026-10-31T09:00:00Z"]}]},
        {
            "WindowExecutions": [
                {
                    "WindowId": WEEKLY,
                    "WindowExecutionId": "2b3c4d5e-0000-4000-8000-000000000029",
                    "Status": "FAILED",
                    "StatusDetails": "One or more tasks in the orchestration failed.",
                    "StartTime": t("2026-11-29T02:00"),
                    "EndTime": t("2026-11-29T02:44"),
                },
                {
                    "WindowId": WEEKLY,
                    "WindowExecutionId": "2b3c4d5e-0000-4000-8000-000000000022",
                    "Status": "SUCCESS",
                    "StartTime": t("2026-11-22T02:00"),
                    "EndTime": t("2026-11-22T02:39"),
                },
            ]
        },
    ),
    (
        "describe_maintenance_window_execution_tasks",
        {"WindowExecutionId": "2b3c4d5e-0000-4000-8000-000000000029"},
        {
            "WindowExecutionTaskIdentities": [
                {
                    "WindowExecutionId": "2b3c4d5e-0000-4000-8000-000000000029",
                    "TaskExecutionId": "3c4d5e6f-0000-4000-8000-000000000029",
                    "Status": "FAILED",
                    "TaskArn": "AWS-RunPatchBaseline",
                    "TaskType": "RUN_COMMAND",
                }
            ]
        },
    ),
    (
        "describe_maintenance_window_execution_task_invocations",
        {
            "WindowExecutionId": "2b3c4d5e-0000-4000-8000-000000000029",
            "TaskId": "3c4d5e6f-0000-4000-8000-000000000029",
        },
        {
            "WindowExecutionTaskInvocationIdentities": [
                {
                    "WindowExecutionId": "2b3c4d5e-0000-4000-8000-000000000029",
                    "TaskExecutionId": "3c4d5e6f-0000-4000-8000-000000000029",
                    "InvocationId": "4d5e6f70-0000-4000-8000-000000000029",
                    "ExecutionId": "5e6f7081-0000-4000-8000-000000000029",
                    "TaskType": "RUN_COMMAND",
                    "Status": "FAILED",
                    "WindowTargetId": "6f708192-0000-4000-8000-000000000001",
                }
            ]
        },
    ),
    (
        "list_command_invocations",
        {"CommandId": "5e6f7081-0000-4000-8000-000000000029"},
        {
            "CommandInvocations": [
                {"CommandId": "5e6f7081-0000-4000-8000-000000000029", "InstanceId": "i-0web1", "Status": "Success"},
                {
                    "CommandId": "5e6f7081-0000-4000-8000-000000000029",
                    "InstanceId": "i-0web2",
                    "Status": "Failed",
                    "StatusDetails": "Failed",
                },
            ]
        },
    ),
]

EC2_CALLS = [
    (
        "describe_instances",
        {"Filters": [{"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}]},
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
        {
            "Filters": [{"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}],
            "NextToken": "ec2-2",
        },
        {
            "Reservations": [
                {
                    "ReservationId": "r-02",
                    "Instances": [
                        ec2("i-0web4", Patch_Group="acme-web", Name="web-4"),
                        ec2("i-0web5", state="stopped", Patch_Group="acme-web", Name="web-5"),
                        ec2("i-0typo", Patch_Group="acme-wbe", Name="web-6"),
                        ec2("i-0loose", Name="build-box"),
                        ec2("i-0globex", Patch_Group="globex-web", Name="globex-app"),
                    ],
                }
            ]
        },
    ),
]
