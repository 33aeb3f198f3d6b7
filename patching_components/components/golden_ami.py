"""GoldenAmiPipeline: an Automation runbook that builds a security-patched AMI and
publishes its id to an SSM parameter, the role policy with exactly its calls, the
association that starts the first build, and an optional schedule."""

import copy
import functools
from collections.abc import Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any, Required, TypedDict

import pulumi
import pulumi_aws as aws
import yaml

from .. import layout
from ..aws.automation_doc import dump_document
from ..config import defaults
from ..iam_policies import build_policy_document, schedule_policy_document
from ._base import TYPE_PREFIX, account_policy, child, register_declared_outputs
from ._check_args import check_args
from .args import GoldenAmiPipelineArgs

if TYPE_CHECKING:
    from ..config import GoldenAmiConfig


class GoldenAmiPipelinePlumbing(TypedDict, total=False):
    """GoldenAmiPipeline's args: GoldenAmiConfig's settings (snake_case) and these."""

    patch_group_tag_key: str
    """'Patch Group' (default) or 'PatchGroup'."""
    customer: Required[str]
    """Customer tag value of the images. Required."""
    instance_profile_name: Required[pulumi.Input[str]]
    """Instance profile NAME for the build instance. Required."""
    automation_role_arn: Required[pulumi.Input[str]]
    """Role Automation assumes (full ARN). Required."""
    automation_role_name: Required[pulumi.Input[str]]
    """Name of that role: it is granted exactly the calls of this runbook. Required."""
    maintenance_window_role_arn: pulumi.Input[str]
    """Service role of the scheduled build's window task (PatchingIam's maintenance_window_role_arn)."""
    maintenance_window_role_name: pulumi.Input[str]
    """Name of that role: it is granted starting exactly this runbook with the automation role."""
    document_name: str
    """Document name in AWS; defaults to the component name."""
    ami_parameter_name: str
    """SSM parameter receiving the AMI id; default /patching/<customer>/golden-ami/<component name>."""
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """Tags for the document, association and window."""


def _types(config: Any) -> dict[str, Any]:
    """The types of the plumbing's plain values (the settings are GoldenAmiConfig's)."""
    return {
        "customer": config.CustomerId,
        "patch_group_tag_key": config.PatchGroupTagKey,
        "document_name": config.DocumentName,
        "tags": config.Tags,
    }


PLATFORMS = ("Linux", "Windows")


@functools.cache
def _parsed_template(platform: str) -> dict[str, Any]:
    """The packaged runbook for one platform: steps marked ``platforms:`` are kept only for those."""
    text = resources.files("patching_components").joinpath("documents/golden-ami.yaml").read_text()
    document = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    steps = []
    for step in document["mainSteps"]:
        platforms = step.pop("platforms", PLATFORMS)
        if platform in platforms:
            steps.append(step)
    return {
        **document,
        "description": f"Security-patched {platform} golden AMI built with Patch Manager",
        "mainSteps": steps,
    }


def template(platform: str) -> dict[str, Any]:
    """The packaged document template of a platform (Linux or Windows), a fresh copy."""
    return copy.deepcopy(_parsed_template(platform))


def document_with_defaults(platform: str, defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The template with the pipeline's settings as parameter defaults.

    Only the parameters are copied (they are all that changes); the steps are
    shared with the cached template and must not be modified.
    """
    base = _parsed_template(platform)
    parameters = {
        name: {**spec, "default": defaults[name]} if name in defaults else spec
        for name, spec in base["parameters"].items()
    }
    return {**base, "parameters": parameters}


def render_document(platform: str, defaults: Mapping[str, Any]) -> str:
    """The document text, emitted canonically: the same settings always give the
    same text (no diff on re-run)."""
    document = document_with_defaults(platform, defaults)
    return dump_document(document)


class GoldenAmiPipeline(pulumi.ComponentResource):
    """A custom Automation runbook (schemaVersion 0.3) that launches the source AMI
    tagged with a patch group, installs that group's security patches, checks that
    none is missing, images it, publishes the AMI id to an SSM parameter (data type
    aws:ec2:image) and deregisters images beyond keep_latest with their snapshots;
    on any failure it removes whatever the build made. Its first build starts when
    the pipeline is created; with a schedule, a maintenance window rebuilds it."""

    document_name: pulumi.Output[str]
    """Name of the Automation document (run it with no arguments)."""
    document_arn: pulumi.Output[str]
    """ARN of the document."""
    ami_parameter_name: pulumi.Output[str]
    """SSM parameter that holds the latest AMI id, written by the runbook. It does not exist until
    the first build (started on creation) finishes: launches that resolve it fail until then,
    rather than starting from the unpatched source AMI."""
    window_id: pulumi.Output[str] | None
    """Maintenance window of the scheduled build (None without a schedule)."""

    def __init__(self, name: str, args: GoldenAmiPipelineArgs, opts: pulumi.ResourceOptions | None = None):
        settings, plumbing = check_args(
            "GoldenAmiPipeline", name, args, GoldenAmiPipelineArgs, settings="GoldenAmiConfig", types=_types
        )
        self._setup(name, settings, plumbing, opts)  # checked first: bad args build nothing

    def _setup(
        self, name: str, settings: "GoldenAmiConfig", args: Mapping[str, Any], opts: pulumi.ResourceOptions | None
    ) -> None:
        super().__init__(f"{TYPE_PREFIX}GoldenAmiPipeline", name, None, opts)
        tags = args.get("tags")
        customer = args["customer"]
        document_name = args.get("document_name") or name
        parameter_name = args.get("ami_parameter_name") or layout.pipeline_names(customer, name)[1]

        content = pulumi.Output.all(args["automation_role_arn"], args["instance_profile_name"]).apply(
            lambda values: render_document(
                settings.platform, self._defaults(settings, args, document_name, parameter_name, *values)
            )
        )
        document = aws.ssm.Document(
            name,
            name=document_name,
            document_type="Automation",
            document_format="YAML",
            content=content,
            tags=tags,
            opts=child(self),
        )

        build_policy = aws.iam.RolePolicy(
            f"{name}-runbook",
            role=args["automation_role_name"],
            policy=account_policy(
                self,
                lambda **account: build_policy_document(
                    settings, pipeline=document_name, parameter_name=parameter_name, **account
                ),
            ),
            opts=child(self),
        )

        # The first build starts when the pipeline is created (a State Manager
        # association runs on creation), once the role may do what the runbook
        # does: after its policy and whatever this pipeline was told to depend on
        # (the role's other policies; depends_on given to a component does not
        # reach its children).
        aws.ssm.Association(
            f"{name}-first-build",
            name=document.name,
            association_name=f"{document_name}-first-build",
            parameters={"AutomationAssumeRole": args["automation_role_arn"]},
            tags=tags,
            opts=child(self, depends_on=[build_policy, *_depends_on(opts)]),
        )

        self.window_id = None
        if settings.schedule:
            window = aws.ssm.MaintenanceWindow(
                f"{name}-schedule",
                name=f"{document_name}-schedule",
                description=f"Scheduled build of {document_name}",
                schedule=settings.schedule,
                schedule_timezone=settings.timezone,
                # The window only starts the build; the automation runs to its end.
                duration=defaults.GOLDEN_AMI_WINDOW_HOURS,
                cutoff=defaults.GOLDEN_AMI_WINDOW_CUTOFF_HOURS,
                allow_unassociated_targets=False,
                tags=tags,
                opts=child(self),
            )
            role_name = args.get("maintenance_window_role_name")
            if role_name is not None:
                aws.iam.RolePolicy(
                    f"{name}-schedule",
                    role=role_name,
                    policy=account_policy(
                        self,
                        lambda role, **account: schedule_policy_document(
                            document_name=document_name, automation_role_arn=role, **account
                        ),
                        args["automation_role_arn"],
                    ),
                    opts=child(self),
                )
            # No targets: the runbook launches its own instance. Its other
            # parameters are the document's defaults.
            aws.ssm.MaintenanceWindowTask(
                f"{name}-build",
                window_id=window.id,
                name=f"{document_name}-build",
                description=f"Run {document_name}",
                task_type="AUTOMATION",
                task_arn=document.name,
                priority=1,
                # No new build starts after the cutoff; a running build goes on to its end.
                cutoff_behavior="CANCEL_TASK",
                service_role_arn=args.get("maintenance_window_role_arn"),
                task_invocation_parameters={
                    "automation_parameters": {
                        "document_version": "$DEFAULT",
                        "parameters": [{"name": "AutomationAssumeRole", "values": [args["automation_role_arn"]]}],
                    }
                },
                opts=child(self),
            )
            self.window_id = window.id

        self.document_name = document.name
        self.document_arn = document.arn
        self.ami_parameter_name = pulumi.Output.from_input(parameter_name)
        register_declared_outputs(self)

    @staticmethod
    def _defaults(
        settings: "GoldenAmiConfig",
        args: Mapping[str, Any],
        document_name: str,
        parameter_name: str,
        role_arn: str,
        profile_name: str,
    ) -> dict[str, Any]:
        return document_defaults(
            settings,
            customer=args["customer"],
            patch_group_tag_key=args.get("patch_group_tag_key", defaults.PATCH_GROUP_TAG_KEY),
            document_name=document_name,
            parameter_name=parameter_name,
            role_arn=role_arn,
            profile_name=profile_name,
        )


def document_defaults(
    settings: "GoldenAmiConfig",
    *,
    customer: str,
    patch_group_tag_key: str,
    document_name: str,
    parameter_name: str,
    role_arn: str,
    profile_name: str,
) -> dict[str, Any]:
    """Parameter defaults, so the runbook runs by hand with no arguments."""
    return {
        "AutomationAssumeRole": role_arn,
        "SourceAmiId": settings.source_ami_id or "",
        "SourceAmiParameter": settings.source_ami_parameter or "",
        "IamInstanceProfileName": profile_name,
        "InstanceType": settings.instance_type,
        "SubnetId": settings.subnet_id or "",
        "SecurityGroupIds": list(settings.security_group_ids or []),
        "AssociatePublicIpAddress": (
            "" if settings.associate_public_ip_address is None else str(settings.associate_public_ip_address).lower()
        ),
        "PatchGroupTagKey": patch_group_tag_key,
        "PatchGroup": settings.patch_group,
        # Unique per run; AMI names allow the characters DATE_TIME produces.
        "TargetAmiName": f"{document_name}-{{{{ global:DATE_TIME }}}}",
        "AmiIdParameterName": parameter_name,
        "PipelineName": document_name,
        "Customer": customer,
        "KeepLatest": settings.keep_latest,
        "KmsKeyId": settings.kms_key_arn or "",
    }


def _depends_on(opts: pulumi.ResourceOptions | None) -> list[pulumi.Resource]:
    depends = opts.depends_on if opts is not None else None
    if depends is None:
        return []
    return list(depends) if isinstance(depends, (list, tuple)) else [depends]  # type: ignore[list-item]


# The tag every instance, volume, image and snapshot of a pipeline carries from its
# creation (the runbook's TagSpecifications): what the role's EC2 rights are scoped by.
