"""Pulumi components for security-only EC2 patching with AWS Systems Manager."""

from .baseline import SecurityBaseline, SecurityBaselineArgs
from .config import ConfigError, StackConfig, load_pulumi_config, load_stack_file
from .customer import CustomerPatching, CustomerPatchingArgs
from .golden_ami import GoldenAmiPipeline, GoldenAmiPipelineArgs
from .iam import PatchingIam, PatchingIamArgs
from .reporting import PatchReporting, PatchReportingArgs
from .window import PatchWindow, PatchWindowArgs

__all__ = [
    "ConfigError",
    "CustomerPatching",
    "CustomerPatchingArgs",
    "GoldenAmiPipeline",
    "GoldenAmiPipelineArgs",
    "PatchReporting",
    "PatchReportingArgs",
    "PatchWindow",
    "PatchWindowArgs",
    "PatchingIam",
    "PatchingIamArgs",
    "SecurityBaseline",
    "SecurityBaselineArgs",
    "StackConfig",
    "load_pulumi_config",
    "load_stack_file",
]
