"""IAM for patching: the EC2 instance role/profile and the automation role."""

from collections.abc import Sequence
from typing import TypedDict

import pulumi
import pulumi_aws as aws

from ._component import TYPE_PREFIX, child, invoke_options, json_document

SSM_CORE_POLICY = "policy/AmazonSSMManagedInstanceCore"
AUTOMATION_POLICY = "policy/service-role/AmazonSSMAutomationRole"


class PatchingIamArgs(TypedDict, total=False):
    tags: pulumi.Input[dict[str, pulumi.Input[str]]]
    """Tags for the roles and the instance profile."""
    log_object_arns: pulumi.Input[Sequence[pulumi.Input[str]]]
    """S3 object ARNs (``arn:aws:s3:::bucket/prefix/*``) the instances may write Run Command output to."""
    permissions_boundary: pulumi.Input[str]
    """Optional permissions boundary policy ARN for both roles (many landing zones require one)."""


def _managed_policy(partition: pulumi.Output[str], path: str) -> pulumi.Output[str]:
    return pulumi.Output.concat("arn:", partition, ":iam::aws:", path)


class PatchingIam(pulumi.ComponentResource):
    """The instance role and profile that EC2 nodes need for Patch Manager, and the
    role SSM Automation assumes to build golden AMIs.

    The automation role trusts ``ssm.amazonaws.com`` only for this account
    (``aws:SourceAccount`` / ``aws:SourceArn``, the confused-deputy guard) and may
    pass exactly the instance role, and only to EC2.
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

    def __init__(self, name: str, args: PatchingIamArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{TYPE_PREFIX}PatchingIam", name, None, opts)
        tags = args.get("tags")
        boundary = args.get("permissions_boundary")
        partition = aws.get_partition_output(opts=invoke_options(self)).partition
        account_id = aws.get_caller_identity_output(opts=invoke_options(self)).account_id

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
        if log_object_arns is not None:
            aws.iam.RolePolicy(
                f"{name}-instance-patch-logs",
                role=instance_role.name,
                policy=json_document(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "WritePatchingOutput",
                                "Effect": "Allow",
                                "Action": "s3:PutObject",
                                "Resource": log_object_arns,
                            }
                        ],
                    }
                ),
                opts=child(self),
            )
        profile = aws.iam.InstanceProfile(
            f"{name}-instance",
            role=instance_role.name,
            tags=tags,
            opts=child(self),
        )

        automation_role = aws.iam.Role(
            f"{name}-automation",
            description="SSM Automation: golden AMI builds",
            assume_role_policy=json_document(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "ssm.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                            # Confused-deputy guard: only SSM acting for this account.
                            "Condition": {
                                "StringEquals": {"aws:SourceAccount": account_id},
                                "ArnLike": {
                                    "aws:SourceArn": pulumi.Output.concat(
                                        "arn:", partition, ":ssm:*:", account_id, ":*"
                                    )
                                },
                            },
                        }
                    ],
                }
            ),
            permissions_boundary=boundary,
            tags=tags,
            opts=child(self),
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-automation-ssm",
            role=automation_role.name,
            policy_arn=_managed_policy(partition, AUTOMATION_POLICY),
            opts=child(self),
        )
        aws.iam.RolePolicy(
            f"{name}-automation-pass-instance-role",
            role=automation_role.name,
            policy=json_document(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "PassInstanceRoleToEc2",
                            "Effect": "Allow",
                            "Action": "iam:PassRole",
                            "Resource": instance_role.arn,
                            "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
                        }
                    ],
                }
            ),
            opts=child(self),
        )

        self.instance_role_arn = instance_role.arn
        self.instance_role_name = instance_role.name
        self.instance_profile_name = profile.name
        self.instance_profile_arn = profile.arn
        self.automation_role_arn = automation_role.arn
        self.automation_role_name = automation_role.name
        self.register_outputs(
            {
                "instance_role_arn": self.instance_role_arn,
                "instance_role_name": self.instance_role_name,
                "instance_profile_name": self.instance_profile_name,
                "instance_profile_arn": self.instance_profile_arn,
                "automation_role_arn": self.automation_role_arn,
                "automation_role_name": self.automation_role_name,
            }
        )
