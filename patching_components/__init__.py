"""Pulumi components for security-only EC2 patching with AWS Systems Manager.

The components import only Pulumi; the config model (pydantic) loads the first
time something validates, so ``import patching_components`` stays cheap.
"""

__version__ = "0.1.0"

from .components import _help
from .components.baseline import SecurityBaseline, SecurityBaselineArgs
from .components.customer import CustomerPatching, CustomerPatchingArgs
from .components.freeze_guard import ChangeFreezeGuard, ChangeFreezeGuardArgs
from .components.golden_ami import GoldenAmiPipeline, GoldenAmiPipelineArgs
from .components.iam import PatchingIam, PatchingIamArgs
from .components.patch_reporting import PatchReporting, PatchReportingArgs
from .components.window import PatchWindow, PatchWindowArgs
from .errors import ConfigError

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
