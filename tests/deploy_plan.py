"""Deploy a stack's offline plan into the AWS stand-in (tests/moto_aws.py), as ``pulumi up`` would.

``deploy(stack_file, aws, session=...)`` runs the real program offline (tests/engine.py) and creates,
with boto3 in the account of ``session``'s credentials and in each resource's region, what the
report and patch-now read back: patch baselines, patch group registrations, default baselines,
maintenance windows with their targets and tasks (names and inputs exactly as the plan has them),
SNS topics and their subscriptions, SSM documents and parameters. The plan's placeholder ids and
ARNs (``mw-...``, ``pb-...``, ``...-mock``, account 123456789012) are replaced by the stand-in's.

Calls moto lacks go through the fixture layer (``aws.layer.seed``), each documented where it is made:
``DescribePatchGroups`` (moto has RegisterPatchBaselineForPatchGroup but no listing),
``GetDefaultPatchBaseline`` (moto has no default baselines at all) and ``GetMaintenanceWindowTask``
(the only call that returns a task's ``TaskInvocationParameters``).

``include`` deploys part of the plan (a half-deployed stack); ``unconfirmed`` leaves e-mail
subscriptions pending confirmation, as SNS lists them until the recipient confirms
("ListSubscriptionsByTopic": ``SubscriptionArn`` is ``PendingConfirmation``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from patching_components.tools.engine import MOCK_ACCOUNT_ID, stack_file_handover, stack_name_of
from tests.engine import Resource, Run, run_program

ROOT = Path(__file__).resolve().parent.parent
PROGRAM_DIR = ROOT / "programs" / "customer_patching"

DEPLOYED_TYPES = (
    "aws:sns/topic:Topic",
    "aws:sns/topicSubscription:TopicSubscription",
    "aws:ssm/patchBaseline:PatchBaseline",
    "aws:ssm/patchGroup:PatchGroup",
    "aws:ssm/defaultPatchBaseline:DefaultPatchBaseline",
    "aws:ssm/maintenanceWindow:MaintenanceWindow",
    "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget",
    "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask",
    "aws:ssm/document:Document",
    "aws:ssm/parameter:Parameter",
)
"""What ``deploy`` creates, in this order (each after what it refers to); other types are skipped."""


@dataclass
class Deployed:
    """What ``deploy`` created: the plan's ids mapped to the stand-in's, per resource name."""

    account: str
    run: Run
    ids: dict[str, str] = field(default_factory=dict)
    """Plan id (or placeholder ARN) -> the stand-in's id (or ARN)."""
    resources: list[Resource] = field(default_factory=list)
    """The resources deployed, in deployment order."""

    def id_of(self, name: str) -> str:
        """The stand-in's id of the plan's resource ``name`` (a window's ``mw-...``)."""
        return self.ids[next(r.id for r in self.resources if r.name == name)]


def plan(stack_file: str | Path, account: str = MOCK_ACCOUNT_ID) -> Run:
    """The stack's offline plan, with ARNs in ``account``."""
    config, secret_keys = stack_file_handover(stack_file)
    return run_program(
        config, stack=stack_name_of(stack_file), program=PROGRAM_DIR, account_id=account, secret_keys=secret_keys
    )


def deploy(
    stack_file: str | Path,
    aws: Any,
    *,
    session: boto3.Session | None = None,
    include: Callable[[Resource], bool] = lambda _: True,
    unconfirmed: Collection[str] = (),
) -> Deployed:
    """Create the plan of ``stack_file`` in the account of ``session`` (default: the environment's
    credentials); ``include`` picks the resources, ``unconfirmed`` the e-mail addresses whose
    subscriptions stay pending confirmation."""
    session = session or boto3.Session()
    account = session.client("sts", region_name="us-east-1").get_caller_identity()["Account"]
    run = plan(stack_file, account)
    done = Deployed(account, run)
    order = {type_: n for n, type_ in enumerate(DEPLOYED_TYPES)}
    chosen = sorted((r for r in run.resources if r.type in order and include(r)), key=lambda r: order[r.type])
    baselines: dict[str, dict[str, Any]] = {}  # the stand-in's baseline id -> its identity
    for resource in chosen:
        region = resource.region or run.region
        ssm, sns = session.client("ssm", region_name=region), session.client("sns", region_name=region)
        inputs = _swap(resource.inputs, done.ids)
        kind = resource.type.rpartition(":")[2]
        if kind == "PatchBaseline":
            created = ssm.create_patch_baseline(
                Name=inputs["name"],
                OperatingSystem=inputs["operatingSystem"],
                Description=inputs.get("description", ""),
            )["BaselineId"]
            baselines[created] = {
                "BaselineId": created,
                "BaselineName": inputs["name"],
                "OperatingSystem": inputs["operatingSystem"],
                "BaselineDescription": inputs.get("description", ""),
                "DefaultBaseline": False,
            }
        elif kind == "PatchGroup":
            ssm.register_patch_baseline_for_patch_group(
                BaselineId=inputs["baselineId"], PatchGroup=inputs["patchGroup"]
            )
            # moto keeps the registration but cannot list it: DescribePatchGroups through the layer.
            aws.layer.seed(
                "DescribePatchGroups",
                [{"PatchGroup": inputs["patchGroup"], "BaselineIdentity": baselines[inputs["baselineId"]]}],
                account=account,
                region=region,
            )
            created = resource.id
        elif kind == "DefaultPatchBaseline":
            # moto has no default baselines: GetDefaultPatchBaseline through the layer.
            aws.layer.seed(
                "GetDefaultPatchBaseline",
                [
                    {
                        "_OperatingSystem": inputs["operatingSystem"],
                        "BaselineId": inputs["baselineId"],
                        "OperatingSystem": inputs["operatingSystem"],
                    }
                ],
                account=account,
                region=region,
            )
            baselines[inputs["baselineId"]]["DefaultBaseline"] = True
            created = resource.id
        elif kind == "MaintenanceWindow":
            created = ssm.create_maintenance_window(
                Name=inputs["name"],
                Schedule=inputs["schedule"],
                **({"ScheduleTimezone": inputs["scheduleTimezone"]} if "scheduleTimezone" in inputs else {}),
                Duration=inputs["duration"],
                Cutoff=inputs["cutoff"],
                AllowUnassociatedTargets=inputs.get("allowUnassociatedTargets", False),
            )["WindowId"]
        elif kind == "MaintenanceWindowTarget":
            created = ssm.register_target_with_maintenance_window(
                WindowId=inputs["windowId"],
                ResourceType=inputs["resourceType"],
                Targets=[{"Key": t["key"], "Values": t["values"]} for t in inputs["targets"]],
                Name=inputs["name"],
                Description=inputs.get("description", ""),
            )["WindowTargetId"]
        elif kind == "MaintenanceWindowTask":
            request = {
                "WindowId": inputs["windowId"],
                "TaskArn": inputs["taskArn"],
                "TaskType": inputs["taskType"],
                "ServiceRoleArn": inputs["serviceRoleArn"],
                "Priority": inputs.get("priority", 1),
                "Name": inputs["name"],
                "CutoffBehavior": inputs.get("cutoffBehavior", "CONTINUE_TASK"),
                "TaskInvocationParameters": _invocation_parameters(inputs.get("taskInvocationParameters", {})),
            }
            if "targets" in inputs:
                request["Targets"] = [{"Key": t["key"], "Values": t["values"]} for t in inputs["targets"]]
            for ours, theirs in (("maxConcurrency", "MaxConcurrency"), ("maxErrors", "MaxErrors")):
                if ours in inputs:
                    request[theirs] = inputs[ours]
            created = ssm.register_task_with_maintenance_window(**request)["WindowTaskId"]
            # The task's invocation parameters come back only from GetMaintenanceWindowTask (moto lacks it).
            aws.layer.seed(
                "GetMaintenanceWindowTask",
                [
                    {
                        "_WindowId": request["WindowId"],
                        "_WindowTaskId": created,
                        "WindowId": request["WindowId"],
                        "WindowTaskId": created,
                        **{k: v for k, v in request.items() if k != "WindowId"},
                    }
                ],
                account=account,
                region=region,
            )
        elif kind == "Topic":
            # Pulumi's auto-name: the resource name and a random suffix of 7 hex digits.
            name = f"{resource.name}-{secrets.token_hex(4)[:7]}"
            created = sns.create_topic(Name=name)["TopicArn"]
            done.ids[f"arn:aws:sns:{region}:{account}:{resource.name}-mock"] = created
        elif kind == "TopicSubscription":
            created = sns.subscribe(TopicArn=inputs["topic"], Protocol=inputs["protocol"], Endpoint=inputs["endpoint"])[
                "SubscriptionArn"
            ]
            if inputs["endpoint"] in unconfirmed:
                mark_pending_confirmation(created, account=account, region=region)
        elif kind == "Document":
            ssm.create_document(
                Name=inputs["name"],
                Content=inputs["content"],
                DocumentType=inputs.get("documentType", "Command"),
                DocumentFormat=inputs.get("documentFormat", "JSON"),
            )
            created = resource.id
        else:  # Parameter
            ssm.put_parameter(Name=inputs["name"], Value=inputs["value"], Type=inputs.get("type", "String"))
            created = resource.id
        done.ids[resource.id] = created
        done.resources.append(resource)
    return done


def mark_pending_confirmation(subscription_arn: str, *, account: str, region: str) -> None:
    """Make an e-mail subscription unconfirmed, as SNS lists it until its recipient confirms: moto
    confirms every subscription at once, so the subscription is changed in moto's own state (the
    stand-in runs in this process)."""
    from moto.sns.models import sns_backends

    subscriptions = sns_backends[account][region].subscriptions
    subscription = subscriptions[subscription_arn]
    subscription.arn = "PendingConfirmation"  # moto lists by this: one pending subscription per topic


def _swap(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with the plan's ids and placeholder ARNs replaced by the stand-in's."""
    if isinstance(value, str):
        for plan_id, real in ids.items():
            if plan_id and plan_id in value:
                value = value.replace(plan_id, real)
        return value
    if isinstance(value, list):
        return [_swap(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _swap(v, ids) for k, v in value.items()}
    return value


def _invocation_parameters(plan: dict[str, Any]) -> dict[str, Any]:
    """The plan's ``taskInvocationParameters`` (Pulumi's names) as the API's."""
    out: dict[str, Any] = {}
    run = plan.get("runCommandParameters")
    if run is not None:
        names = {
            "comment": "Comment",
            "documentVersion": "DocumentVersion",
            "outputS3BucketName": "OutputS3BucketName",
            "outputS3Bucket": "OutputS3BucketName",
            "outputS3KeyPrefix": "OutputS3KeyPrefix",
            "serviceRoleArn": "ServiceRoleArn",
            "timeoutSeconds": "TimeoutSeconds",
        }
        command: dict[str, Any] = {names[k]: v for k, v in run.items() if k in names}
        if "parameters" in run:
            command["Parameters"] = {p["name"]: p["values"] for p in run["parameters"]}
        if "notificationConfig" in run:
            config = run["notificationConfig"]
            command["NotificationConfig"] = {
                "NotificationArn": config["notificationArn"],
                "NotificationEvents": config.get("notificationEvents", ["All"]),
                "NotificationType": config.get("notificationType", "Command"),
            }
        out["RunCommand"] = command
    automation = plan.get("automationParameters")
    if automation is not None:
        out["Automation"] = {
            **({"DocumentVersion": automation["documentVersion"]} if "documentVersion" in automation else {}),
            "Parameters": {p["name"]: p["values"] for p in automation.get("parameters", [])},
        }
    return out
