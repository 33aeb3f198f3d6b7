"""GoldenAmiPipeline: an Automation document that builds a security-patched AMI,
the SSM parameter it publishes the AMI id to, and an optional schedule."""

import copy
import functools
from collections.abc import Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any, Required, TypedDict

import pulumi
import pulumi_aws as aws
import yaml

from ._component import TYPE_PREFIX, camel, child, invoke_options, json_document
from .automation_doc import document_issues
from .errors import ConfigError, Issue

if TYPE_CHECKING:
    from .config import GoldenAmiConfig

# A maintenance window only starts the build; the automation runs to its end.
SCHEDULE_DURATION_HOURS = 2
SCHEDULE_CUTOFF_HOURS = 1


class GoldenAmiPipelineArgs(TypedDict, total=False):
    platform: Required[str]
    """Linux or Windows (selects the document template). Required."""
    source_ami_id: str
    """Source AMI id; or give source_ami_parameter."""
    source_ami_parameter: str
    """SSM parameter holding the source AMI id, read when the build runs."""
    instance_type: str
    """Build instance type (default t3.medium)."""
    subnet_id: str
    """Subnet for the build instance; without it AWS needs a default VPC."""
    patch_group: Required[str]
    """Patch group the build instance is tagged with, so its baseline applies. Required."""
    patch_group_tag_key: str
    """'Patch Group' (default) or 'PatchGroup'."""
    keep_latest: int
    """Images of this pipeline to keep (default 3)."""
    schedule: str
    """Optional AWS cron()/rate() expression for scheduled rebuilds."""
    timezone: str
    """IANA time zone of the schedule (default UTC)."""
    customer: Required[str]
    """Customer tag value of the images. Required."""
    instance_profile_name: Required[pulumi.Input[str]]
    """Instance profile NAME for the build instance. Required."""
    automation_role_arn: Required[pulumi.Input[str]]
    """Role Automation assumes (full ARN). Required."""
    automation_role_name: Required[pulumi.Input[str]]
    """Name of that role: it is granted writing the AMI id parameter. Required."""
    document_name: str
    """Document name in AWS; defaults to the component name."""
    ami_parameter_name: str
    """SSM parameter receiving the AMI id; default /patching/<customer>/golden-ami/<component name>."""
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]]
    """Tags for the document, parameter and window."""


_SETTINGS = (
    "platform",
    "source_ami_id",
    "source_ami_parameter",
    "instance_type",
    "subnet_id",
    "patch_group",
    "schedule",
    "timezone",
    "keep_latest",
)
# Required args the settings model does not check (it checks platform and patch_group).
_REQUIRED = tuple(
    key
    for key in GoldenAmiPipelineArgs.__annotations__
    if key in GoldenAmiPipelineArgs.__required_keys__ and key not in _SETTINGS
)


class _LiteralDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    """Multi-line strings (the scripts) as literal blocks, so the document stays readable.

    libyaml's emitter when PyYAML has it: the same text as the pure-Python one,
    ten times faster (rendering was a tenth of a whole program run)."""


_LiteralDumper.add_representer(
    str,
    lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None),
)


@functools.cache
def _parsed_template(platform: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath(f"documents/golden-ami-{platform.lower()}.yaml").read_text()
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


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
    return yaml.dump(document, Dumper=_LiteralDumper, sort_keys=False, width=1000, allow_unicode=True)


class GoldenAmiPipeline(pulumi.ComponentResource):
    """A custom Automation runbook (schemaVersion 0.3) that launches the source AMI
    tagged with a patch group, installs that group's security patches, images it,
    always terminates the build instance, publishes the AMI id to an SSM parameter
    (data type aws:ec2:image) and deregisters images beyond keep_latest; with a
    schedule, a maintenance window that runs it."""

    document_name: pulumi.Output[str]
    """Name of the Automation document (run it with no arguments)."""
    document_arn: pulumi.Output[str]
    """ARN of the document."""
    ami_parameter_name: pulumi.Output[str]
    """SSM parameter that holds the latest AMI id."""
    window_id: pulumi.Output[str] | None
    """Maintenance window of the scheduled build (None without a schedule)."""

    def __init__(self, name: str, args: GoldenAmiPipelineArgs, opts: pulumi.ResourceOptions | None = None):
        settings = self._check(name, args)
        super().__init__(f"{TYPE_PREFIX}GoldenAmiPipeline", name, None, opts)
        tags = args.get("tags")
        customer = args["customer"]
        document_name = args.get("document_name") or name
        parameter_name = args.get("ami_parameter_name") or f"/patching/{customer}/golden-ami/{name}"

        partition = aws.get_partition_output(opts=invoke_options(self)).partition
        region = aws.get_region_output(opts=invoke_options(self)).region
        account_id = aws.get_caller_identity_output(opts=invoke_options(self)).account_id

        if settings.source_ami_id:
            placeholder: pulumi.Input[str] = settings.source_ami_id
        else:
            # Only the parameter's first value: the document reads the source parameter itself at run time.
            placeholder = aws.ssm.get_parameter_output(
                name=settings.source_ami_parameter, opts=invoke_options(self)
            ).value
        parameter = aws.ssm.Parameter(
            name,
            name=parameter_name,
            description=f"Latest golden AMI of {document_name}, written by its Automation runbook",
            type="String",
            data_type="aws:ec2:image",  # AWS checks that the value is an AMI
            value=placeholder,
            tags=tags,
            # The runbook owns the value after the first build: never reset it.
            opts=child(self, ignore_changes=["value"]),
        )

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

        read_source = []
        if settings.source_ami_parameter:
            path = settings.source_ami_parameter
            owner = "" if path.startswith("/aws/service/") else account_id  # public parameters have no account
            read_source = [pulumi.Output.concat("arn:", partition, ":ssm:", region, ":", owner, ":parameter", path)]
        aws.iam.RolePolicy(
            f"{name}-parameters",
            role=args["automation_role_name"],
            policy=json_document(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "PublishGoldenAmiId",
                            "Effect": "Allow",
                            "Action": ["ssm:PutParameter", "ssm:GetParameter"],
                            "Resource": parameter.arn,
                        },
                        *(
                            [
                                {
                                    "Sid": "ReadSourceAmi",
                                    "Effect": "Allow",
                                    "Action": "ssm:GetParameter",
                                    "Resource": read_source,
                                }
                            ]
                            if read_source
                            else []
                        ),
                    ],
                }
            ),
            opts=child(self),
        )

        self.window_id = None
        if settings.schedule:
            window = aws.ssm.MaintenanceWindow(
                f"{name}-schedule",
                name=f"{document_name}-schedule",
                description=f"Scheduled build of {document_name}",
                schedule=settings.schedule,
                schedule_timezone=settings.timezone,
                duration=SCHEDULE_DURATION_HOURS,
                cutoff=SCHEDULE_CUTOFF_HOURS,
                allow_unassociated_targets=False,
                tags=tags,
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
        self.ami_parameter_name = parameter.name
        self.register_outputs(
            {
                "document_name": self.document_name,
                "document_arn": self.document_arn,
                "ami_parameter_name": self.ami_parameter_name,
                "window_id": self.window_id,
            }
        )

    @staticmethod
    def _check(name: str, args: GoldenAmiPipelineArgs) -> "GoldenAmiConfig":
        """Args, and the rendered document, checked before anything is registered."""
        from .config import GoldenAmiConfig, validate_part  # pydantic loads on first use, not on import

        source = f"GoldenAmiPipeline {name!r}"
        settings = validate_part(GoldenAmiConfig, {camel(k): args[k] for k in _SETTINGS if k in args}, source)
        missing = [k for k in _REQUIRED if args.get(k) is None]
        if missing:
            raise ConfigError(source, [Issue((k,), "required") for k in missing], None)
        problems = document_problems(
            settings, customer=args["customer"], patch_group_tag_key=args.get("patch_group_tag_key", "Patch Group")
        )
        if problems:
            raise ConfigError(source, [Issue(("document",), p) for p in problems], None)
        return settings

    @staticmethod
    def _defaults(
        settings: "GoldenAmiConfig",
        args: GoldenAmiPipelineArgs,
        document_name: str,
        parameter_name: str,
        role_arn: str,
        profile_name: str,
    ) -> dict[str, Any]:
        return document_defaults(
            settings,
            customer=args["customer"],
            patch_group_tag_key=args.get("patch_group_tag_key", "Patch Group"),
            document_name=document_name,
            parameter_name=parameter_name,
            role_arn=role_arn,
            profile_name=profile_name,
        )


def pipeline_names(customer: str, key: str) -> tuple[str, str]:
    """Document name and AMI id parameter of a stack's pipeline."""
    return f"{customer}-golden-ami-{key}", f"/patching/{customer}/golden-ami/{key}"


def document_problems(settings: "GoldenAmiConfig", *, customer: str, patch_group_tag_key: str) -> list[str]:
    """The validator's findings on the document a pipeline would get (names and ARNs stand in)."""
    defaults = document_defaults(
        settings,
        customer=customer,
        patch_group_tag_key=patch_group_tag_key,
        document_name=f"{customer}-golden-ami-check",
        parameter_name="/patching/check",
        role_arn="arn:aws:iam::ACCOUNT:role/check",
        profile_name="check",
    )
    return [str(p) for p in document_issues(document_with_defaults(settings.platform, defaults))]


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
        "PatchGroupTagKey": patch_group_tag_key,
        "PatchGroup": settings.patch_group,
        # Unique per run; AMI names allow the characters DATE_TIME produces.
        "TargetAmiName": f"{document_name}-{{{{ global:DATE_TIME }}}}",
        "AmiIdParameterName": parameter_name,
        "PipelineName": document_name,
        "Customer": customer,
        "KeepLatest": settings.keep_latest,
    }
