"""IAM for patching: the EC2 instance role/profile and the automation role."""

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import pulumi
import pulumi_aws as aws

from .. import standard
from ..config import defaults
from ..iam_policies import (
    instance_extra_document,
    instance_output_document,
    log_group_arn,
    maintenance_window_tasks_document,
    pass_instance_role_document,
)
from ._base import TYPE_PREFIX, child, json_document, lookup, register_declared_outputs
from ._check_args import check_args, field_type
from .args import PatchingIamArgs, PolicyStatementSettings

SSM_CORE_POLICY = "policy/AmazonSSMManagedInstanceCore"


class PatchingIamPlumbing(TypedDict, total=False):
    """PatchingIam's args (no config model's settings: each is checked with the stack file's type of it)."""

    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """Tags for the roles and the instance profile."""
    log_object_arns: pulumi.Input[Sequence[pulumi.Input[str]]]
    """S3 object ARNs (``arn:aws:s3:::bucket/prefix/*``) the instances may write Run Command output to."""
    log_kms_key_arn: pulumi.Input[str]
    """Customer managed KMS key (key ARN) of an existing log bucket's default encryption: the instances may
    use it through S3 only (kms:ViaService), to write their output."""
    log_group_name: pulumi.Input[str]
    """CloudWatch log group the tasks stream Run Command output to: the instances may write exactly this group."""
    log_group_regions: Sequence[str]
    """Regions the log group exists in (default: this provider's region)."""
    instance_policy_arns: Sequence[str]
    """Managed policies also attached to the instance role (what hooks running on the nodes need)."""
    instance_statements: Sequence[PolicyStatementSettings]
    """IAM statements of an extra inline policy of the instance role (what hooks running on the nodes need),
    with IAM's own keys (Effect, Action, Resource, ...)."""
    permissions_boundary: pulumi.Input[str]
    """Optional permissions boundary policy ARN for every role (many landing zones require one)."""
    patch_groups: Sequence[str]
    """Patch groups whose instances the maintenance window service role may patch; giving them
    creates that role (AWS no longer recommends running tasks as the SSM service-linked role)."""
    patch_group_tag_key: str
    """'Patch Group' (default) or 'PatchGroup': the instance tag that names the patch group."""
    notification_role_arn: pulumi.Input[str]
    """The role Run Command publishes SNS notifications with: the maintenance window role may pass it."""
    strict_trust_conditions: bool
    """Also require ``aws:SourceAccount``/``aws:SourceArn`` in the maintenance window role's trust. AWS documents
    no condition for that role: a key the service does not send stops every task. Off by default; verify with
    one canary run."""
    change_freezes: bool
    """Also the two roles of the change freeze guards (ChangeFreezeGuard): the one its runbook runs as,
    and the one EventBridge starts it with. Each guard adds exactly what it needs in its region."""
    snapshot_customer: str
    """Also the role of pre-patch snapshots (maintenance windows with snapshot_before_install), for this
    customer: it may snapshot only nodes of ``patch_groups``, into snapshots tagged ``Customer: <this>``, and
    delete only snapshots carrying that tag."""
    catch_up: bool
    """Also the two roles of the catch-up runbooks (WindowCatchUp): the one they run as, and the one
    EventBridge starts them with. Each window's catch-up adds exactly what it needs in its region."""
    notices: bool
    """Also the two roles of the advance notices and window summaries (PatchNotices): the one their runbooks
    run as, and the one EventBridge starts the summary with. Each region's PatchNotices adds what it needs."""
    circuit_breaker: bool
    """Also the two roles of the circuit breakers (CircuitBreaker): the one its runbook runs as, and the one
    EventBridge starts it with on a stop alarm. Each breaker adds exactly what it needs in its region."""


def _managed_policy(partition: pulumi.Output[str], path: str) -> pulumi.Output[str]:
    return pulumi.Output.concat("arn:", partition, ":iam::aws:", path)


class PatchingIam(pulumi.ComponentResource):
    """The instance role and profile that EC2 nodes need for Patch Manager, and the
    role SSM Automation assumes to build golden AMIs.

    The automation role trusts ``ssm.amazonaws.com`` only for this account's automation
    executions (``aws:SourceAccount`` / ``aws:SourceArn``, the confused-deputy guard AWS
    documents for Automation) and may pass exactly the instance role, and only to EC2;
    each GoldenAmiPipeline adds exactly what its runbook calls. With ``patch_groups``,
    also the maintenance window service role the patch tasks run as, trusted as AWS
    documents it (no condition; ``strict_trust_conditions`` adds them), which may send
    the patch documents to those groups' instances and pass the notification role.
    """

    instance_role_arn: pulumi.Output[str]
    """ARN of the EC2 instance role."""
    instance_role_name: pulumi.Output[str]
    """Name of the EC2 instance role."""
    instance_profile_name: pulumi.Output[str]
    """Instance profile to attach to patched instances (and golden AMI builds)."""
    instance_profile_arn: pulumi.Output[str]
    """ARN of the instance profile."""
    automation_role_arn: pulumi.Output[str]
    """Role for SSM Automation (AutomationAssumeRole of the golden AMI documents)."""
    automation_role_name: pulumi.Output[str]
    """Name of the automation role."""
    maintenance_window_role_arn: pulumi.Output[str] | None
    """Service role of the maintenance window tasks (None without patch_groups)."""
    maintenance_window_role_name: pulumi.Output[str] | None
    """Name of that role."""
    freeze_guard_role_arn: pulumi.Output[str] | None
    """Role the change freeze guard runbook runs as (None without change_freezes)."""
    freeze_guard_role_name: pulumi.Output[str] | None
    """Name of that role."""
    freeze_events_role_arn: pulumi.Output[str] | None
    """Role EventBridge starts the guard runbook with on a calendar state change (None without change_freezes)."""
    freeze_events_role_name: pulumi.Output[str] | None
    """Name of that role."""
    snapshot_role_arn: pulumi.Output[str] | None
    """Role the pre-patch snapshot runbook runs as (None without snapshot_customer)."""
    snapshot_role_name: pulumi.Output[str] | None
    """Name of that role."""
    catch_up_role_arn: pulumi.Output[str] | None
    """Role the catch-up runbooks run as (None without catch_up)."""
    catch_up_role_name: pulumi.Output[str] | None
    """Name of that role."""
    catch_up_events_role_arn: pulumi.Output[str] | None
    """Role EventBridge starts the catch-up runbooks with when an instance starts (None without catch_up)."""
    catch_up_events_role_name: pulumi.Output[str] | None
    """Name of that role."""
    notices_role_arn: pulumi.Output[str] | None
    """Role the advance-notice and window-summary runbooks run as (None without notices)."""
    notices_role_name: pulumi.Output[str] | None
    """Name of that role."""
    notices_events_role_arn: pulumi.Output[str] | None
    """Role EventBridge starts the window-summary runbook with when a window run ends (None without notices)."""
    notices_events_role_name: pulumi.Output[str] | None
    """Name of that role."""
    breaker_role_arn: pulumi.Output[str] | None
    """Role the circuit breaker runbook runs as (None without circuit_breaker)."""
    breaker_role_name: pulumi.Output[str] | None
    """Name of that role."""
    breaker_events_role_arn: pulumi.Output[str] | None
    """Role EventBridge starts the circuit breaker with on a stop alarm (None without circuit_breaker)."""
    breaker_events_role_name: pulumi.Output[str] | None
    """Name of that role."""

    def __init__(self, name: str, args: PatchingIamArgs, opts: pulumi.ResourceOptions | None = None):
        _, args = check_args("PatchingIam", name, args, PatchingIamArgs, types=_types)  # nothing built when wrong
        super().__init__(f"{TYPE_PREFIX}PatchingIam", name, None, opts)
        tags = args.get("tags")
        boundary = args.get("permissions_boundary")
        partition = lookup(self, "partition")
        account_id = lookup(self, "account_id")

        instance_role = aws.iam.Role(
            f"{name}-instance",
            description="EC2 instances managed by Systems Manager Patch Manager",
            assume_role_policy=json_document(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "ec2.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
            permissions_boundary=boundary,
            tags=tags,
            opts=child(self),
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-instance-ssm-core",
            role=instance_role.name,
            policy_arn=_managed_policy(partition, SSM_CORE_POLICY),
            opts=child(self),
        )
        log_object_arns = args.get("log_object_arns")
        log_kms_key_arn = args.get("log_kms_key_arn")
        log_group_arns = self._log_group_arns(args, partition, account_id)
        if log_object_arns is not None or log_kms_key_arn is not None or log_group_arns is not None:
            aws.iam.RolePolicy(
                f"{name}-instance-patch-logs",
                role=instance_role.name,
                policy=json_document(instance_output_document(log_object_arns, log_kms_key_arn, log_group_arns)),
                opts=child(self),
            )
        for arn in args.get("instance_policy_arns") or []:
            aws.iam.RolePolicyAttachment(
                # Keyed by the ARN (reordering replaces nothing), by its digest (a URN takes no '/' or ':').
                f"{name}-instance-{hashlib.sha256(arn.encode()).hexdigest()[:12]}",
                role=instance_role.name,
                policy_arn=arn,
                opts=child(self),
            )
        statements: Sequence[Any] | None = args.get("instance_statements")  # PolicyStatementConfig, once checked
        if statements:
            aws.iam.RolePolicy(
                f"{name}-instance-extra",
                role=instance_role.name,
                policy=json_document(instance_extra_document([s.document() for s in statements])),
                opts=child(self),
            )
        profile = aws.iam.InstanceProfile(
            f"{name}-instance",
            role=instance_role.name,
            tags=tags,
            opts=child(self),
        )

        automation_role = ssm_service_role(
            self, f"{name}-automation", "SSM Automation: golden AMI builds", partition, account_id, boundary, tags
        )
        aws.iam.RolePolicy(
            f"{name}-automation-pass-instance-role",
            role=automation_role.name,
            policy=instance_role.arn.apply(lambda arn: json.dumps(pass_instance_role_document(arn))),
            opts=child(self),
        )

        self.maintenance_window_role_arn = self.maintenance_window_role_name = None
        if args.get("patch_groups"):
            role = self._maintenance_window_role(name, args, partition, account_id, tags, boundary)
            self.maintenance_window_role_arn, self.maintenance_window_role_name = role.arn, role.name

        self.freeze_guard_role_arn = self.freeze_guard_role_name = None
        self.freeze_events_role_arn = self.freeze_events_role_name = None
        if args.get("change_freezes"):
            guard = ssm_service_role(
                self,
                f"{name}-freeze-guard",
                "Change freezes: switch this customer's maintenance windows off and on",
                partition,
                account_id,
                boundary,
                tags,
            )
            events = service_role(
                self,
                f"{name}-freeze-events",
                "Change freezes: start the guard runbook on a calendar state change",
                "events",
                partition,
                account_id,
                boundary,
                tags,
            )
            self.freeze_guard_role_arn, self.freeze_guard_role_name = guard.arn, guard.name
            self.freeze_events_role_arn, self.freeze_events_role_name = events.arn, events.name

        self.snapshot_role_arn = self.snapshot_role_name = None
        if args.get("snapshot_customer"):
            snapshot_role = self._snapshot_role(name, args, partition, account_id, tags, boundary)
            self.snapshot_role_arn, self.snapshot_role_name = snapshot_role.arn, snapshot_role.name

        self.catch_up_role_arn = self.catch_up_role_name = None
        self.catch_up_events_role_arn = self.catch_up_events_role_name = None
        if args.get("catch_up"):
            runner = ssm_service_role(
                self,
                f"{name}-catch-up",
                "Catch-up: patch a node that missed its install window when it starts",
                partition,
                account_id,
                boundary,
                tags,
            )
            starter = service_role(
                self,
                f"{name}-catch-up-events",
                "Catch-up: start the catch-up runbooks when an instance starts",
                "events",
                partition,
                account_id,
                boundary,
                tags,
            )
            self.catch_up_role_arn, self.catch_up_role_name = runner.arn, runner.name
            self.catch_up_events_role_arn, self.catch_up_events_role_name = starter.arn, starter.name

        self.notices_role_arn = self.notices_role_name = None
        self.notices_events_role_arn = self.notices_events_role_name = None
        if args.get("notices"):
            notices = ssm_service_role(
                self,
                f"{name}-notices",
                "Patching notices: tell the customer before and after each maintenance window",
                partition,
                account_id,
                boundary,
                tags,
            )
            notices_events = service_role(
                self,
                f"{name}-notices-events",
                "Patching notices: start the window summary when a maintenance window run ends",
                "events",
                partition,
                account_id,
                boundary,
                tags,
            )
            self.notices_role_arn, self.notices_role_name = notices.arn, notices.name
            self.notices_events_role_arn, self.notices_events_role_name = notices_events.arn, notices_events.name

        self.breaker_role_arn = self.breaker_role_name = None
        self.breaker_events_role_arn = self.breaker_events_role_name = None
        if args.get("circuit_breaker"):
            breaker = ssm_service_role(
                self,
                f"{name}-circuit-breaker",
                "Circuit breaker: disable this customer's maintenance windows when a stop alarm fires",
                partition,
                account_id,
                boundary,
                tags,
            )
            breaker_events = service_role(
                self,
                f"{name}-breaker-events",
                "Circuit breaker: start the breaker runbook when a stop alarm goes to ALARM",
                "events",
                partition,
                account_id,
                boundary,
                tags,
            )
            self.breaker_role_arn, self.breaker_role_name = breaker.arn, breaker.name
            self.breaker_events_role_arn, self.breaker_events_role_name = breaker_events.arn, breaker_events.name

        self.instance_role_arn = instance_role.arn
        self.instance_role_name = instance_role.name
        self.instance_profile_name = profile.name
        self.instance_profile_arn = profile.arn
        self.automation_role_arn = automation_role.arn
        self.automation_role_name = automation_role.name
        register_declared_outputs(self)

    def _log_group_arns(self, args: PatchingIamArgs, partition, account_id) -> list[pulumi.Output[str]] | None:
        """The log group of the Run Command output in each region (the provider's without regions)."""
        group = args.get("log_group_name")
        if group is None:
            return None
        regions: list[pulumi.Input[str]] = list(args.get("log_group_regions") or []) or [lookup(self, "region")]
        return [
            pulumi.Output.all(partition, region, account_id, group).apply(lambda v: log_group_arn(*v))
            for region in regions
        ]

    def _maintenance_window_role(self, name, args: PatchingIamArgs, partition, account_id, tags, boundary):
        role = ssm_service_role(
            self,
            f"{name}-maintenance-window",
            "Systems Manager maintenance windows: run this customer's patch tasks",
            partition,
            account_id,
            boundary,
            tags,
            "strict-maintenance-window" if args.get("strict_trust_conditions") else "maintenance-window",
        )
        tag_key = args.get("patch_group_tag_key", defaults.PATCH_GROUP_TAG_KEY)
        groups = sorted(args["patch_groups"])
        for advice in standard.window_role_advice(groups, tag_key):
            pulumi.log.warn(f"PatchingIam {name!r}: {advice.message}", resource=self)
        aws.iam.RolePolicy(
            f"{name}-maintenance-window-tasks",
            role=role.name,
            policy=pulumi.Output.all(partition, account_id, args.get("notification_role_arn")).apply(
                lambda v: json.dumps(maintenance_window_tasks_document(v[0], v[1], groups, tag_key, v[2]))
            ),
            opts=child(self),
        )
        return role

    def _snapshot_role(self, name, args: PatchingIamArgs, partition, account_id, tags, boundary):
        """The role documents/snapshot-install.yaml runs as (every snapshot window, every region)."""
        from ..iam_policies import snapshot_install_document

        role = ssm_service_role(
            self,
            f"{name}-snapshots",
            "Pre-patch snapshots: snapshot this customer's nodes, then patch them",
            partition,
            account_id,
            boundary,
            tags,
        )
        customer = args["snapshot_customer"]
        groups = sorted(args.get("patch_groups") or [])
        tag_key = args.get("patch_group_tag_key", defaults.PATCH_GROUP_TAG_KEY)
        aws.iam.RolePolicy(
            f"{name}-snapshots",
            role=role.name,
            policy=pulumi.Output.all(partition, account_id, args.get("notification_role_arn")).apply(
                lambda v: json.dumps(
                    snapshot_install_document(
                        partition=v[0],
                        account_id=v[1],
                        customer=customer,
                        groups=groups,
                        tag_key=tag_key,
                        notification_role_arn=v[2],
                    )
                )
            ),
            opts=child(self),
        )
        return role


def _types(config: Any) -> dict[str, Any]:
    """The types of the args' plain values, as the stack file has them (statements become models)."""
    return {
        "patch_groups": list[config.PatchGroupName],
        "patch_group_tag_key": config.PatchGroupTagKey,
        "tags": config.Tags,
        "permissions_boundary": config.PermissionsBoundaryArn,
        "strict_trust_conditions": field_type(config.StackConfig, "strict_trust_conditions"),
        "log_kms_key_arn": config.KmsKeyArn,
        "log_group_regions": list[config.Region],
        "instance_policy_arns": field_type(config.InstanceRoleConfig, "managed_policy_arns"),
        "instance_statements": field_type(config.InstanceRoleConfig, "statements"),
        "snapshot_customer": config.CustomerId,
    }


def ssm_service_role(
    parent: pulumi.Resource,
    name: str,
    description: str,
    partition: pulumi.Input[str],
    account_id: pulumi.Input[str],
    boundary: pulumi.Input[str] | None,
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None,
    use: str = "automation",
) -> aws.iam.Role:
    """A role Systems Manager assumes, trusted as AWS documents it for ``use`` (see TRUST_CONDITIONS),
    with the stack's permissions boundary."""
    return service_role(parent, name, description, "ssm", partition, account_id, boundary, tags, use)


def service_role(
    parent: pulumi.Resource,
    name: str,
    description: str,
    service: str,
    partition: pulumi.Input[str],
    account_id: pulumi.Input[str],
    boundary: pulumi.Input[str] | None,
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None,
    use: str | None = None,
) -> aws.iam.Role:
    """A role ``<service>.amazonaws.com`` (ssm, events) assumes, for ``use`` (default: the service)."""
    return aws.iam.Role(
        name,
        description=description,
        assume_role_policy=service_trust_policy(service, partition, account_id, use),
        permissions_boundary=boundary,
        tags=tags,
        opts=child(parent),
    )


# The aws:SourceArn each service sends when it assumes a role for this account, for the uses where
# AWS documents the confused-deputy condition keys (None: AWS documents none, the trust has no
# condition; "strict-*": the opt-in patching:strictTrustConditions). A condition key the service
# does not send denies the assumption, so only what AWS documents is on by default:
# - automation: "Cross-service confused deputy prevention" (SSM User Guide), Automation example;
# - maintenance-window: "Control access to maintenance windows using the AWS CLI", Task 1: no condition;
# - notification: "Monitoring Systems Manager status changes using Amazon SNS notifications": no condition;
# - events: EventBridge rules' source ARN ("Amazon EventBridge ... confused deputy prevention").
TRUST_CONDITIONS: dict[str, str | None] = {
    "automation": "arn:{partition}:ssm:*:{account}:automation-execution/*",
    "maintenance-window": None,
    "notification": None,
    "strict-maintenance-window": "arn:{partition}:ssm:*:{account}:*",
    "strict-notification": "arn:{partition}:ssm:*:{account}:*",
    "events": "arn:{partition}:events:*:{account}:rule/*",
}


def trust_document(service: str, partition: str, account_id: str, use: str | None = None) -> dict:
    """The trust policy of a role ``<service>.amazonaws.com`` assumes for ``use``: with
    ``aws:SourceAccount``/``aws:SourceArn`` only where TRUST_CONDITIONS has a source ARN."""
    statement: dict = {
        "Effect": "Allow",
        "Principal": {"Service": f"{service}.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    source_arn = TRUST_CONDITIONS[use or service]
    if source_arn is not None:
        statement["Condition"] = {
            "StringEquals": {"aws:SourceAccount": account_id},
            "ArnLike": {"aws:SourceArn": source_arn.format(partition=partition, account=account_id)},
        }
    return {"Version": "2012-10-17", "Statement": [statement]}


def service_trust_policy(
    service: str, partition: pulumi.Input[str], account_id: pulumi.Input[str], use: str | None = None
) -> pulumi.Output[str]:
    """Trust for ``<service>.amazonaws.com`` for ``use`` (see trust_document), as JSON."""
    return pulumi.Output.all(partition, account_id).apply(
        lambda v: json.dumps(trust_document(service, v[0], v[1], use))
    )
