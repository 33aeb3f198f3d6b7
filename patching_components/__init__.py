"""Pulumi components for security-only EC2 patching with AWS Systems Manager.

The components import only Pulumi; the config model (pydantic) loads the first
time something validates, so ``import patching_components`` stays cheap.
"""

__version__ = "0.1.0"

from . import _help
from .baseline import SecurityBaseline, SecurityBaselineArgs
from .customer import CustomerPatching, CustomerPatchingArgs
from .errors import ConfigError
from .freeze import ChangeFreezeGuard, ChangeFreezeGuardArgs
from .golden_ami import GoldenAmiPipeline, GoldenAmiPipelineArgs
from .iam import PatchingIam, PatchingIamArgs
from .reporting import PatchReporting, PatchReportingArgs
from .window import PatchWindow, PatchWindowArgs

_help.document(
    ChangeFreezeGuard, CustomerPatching, GoldenAmiPipeline, PatchingIam, PatchReporting, PatchWindow, SecurityBaseline
)

_FROM_CONFIG = ("StackConfig", "load_pulumi_config", "load_stack_file")


def __getattr__(name: str):
    if name in _FROM_CONFIG:
        from . import config

        return getattr(config, name)
    raise AttributeError(f"module 'patching_components' has no attribute {name!r}")


__all__ = [
    "ChangeFreezeGuard",
    "ChangeFreezeGuardArgs",
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
    "__version__",
    "load_pulumi_config",
    "load_stack_file",
]
