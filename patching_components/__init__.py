"""Pulumi components for security-only EC2 patching with AWS Systems Manager.

Nothing heavy loads on import: the components (and Pulumi with them) the first time one of
them is asked for, the config model (pydantic) the first time something validates. So
``import patching_components`` stays cheap, and ``patching validate``, ``calendar`` and
``schema`` never import Pulumi.
"""

__version__ = "0.2.0"

from typing import TYPE_CHECKING

from .errors import ConfigError

if TYPE_CHECKING:  # what the lazy names below are, for type checkers and editors
    from .components.baseline import SecurityBaseline, SecurityBaselineArgs
    from .components.catch_up import WindowCatchUp, WindowCatchUpArgs
    from .components.circuit_breaker import CircuitBreaker, CircuitBreakerArgs
    from .components.customer import CustomerPatching, CustomerPatchingArgs
    from .components.freeze_guard import ChangeFreezeGuard, ChangeFreezeGuardArgs
    from .components.golden_ami import GoldenAmiPipeline, GoldenAmiPipelineArgs
    from .components.iam import PatchingIam, PatchingIamArgs
    from .components.notices import PatchNotices, PatchNoticesArgs
    from .components.patch_reporting import PatchReporting, PatchReportingArgs
    from .components.window import PatchWindow, PatchWindowArgs
    from .config import StackConfig, load_pulumi_config, load_stack_file

# name -> the module (under components/) that defines the component and its args
_COMPONENT_MODULES = {
    "ChangeFreezeGuard": "freeze_guard",
    "CustomerPatching": "customer",
    "GoldenAmiPipeline": "golden_ami",
    "PatchNotices": "notices",
    "PatchReporting": "patch_reporting",
    "PatchWindow": "window",
    "PatchingIam": "iam",
    "SecurityBaseline": "baseline",
    "WindowCatchUp": "catch_up",
    "CircuitBreaker": "circuit_breaker",
}
_FROM_COMPONENTS = {**_COMPONENT_MODULES, **{f"{name}Args": module for name, module in _COMPONENT_MODULES.items()}}
_FROM_CONFIG = ("StackConfig", "load_pulumi_config", "load_stack_file")


def _load_components() -> None:
    """Import every component once, make ``help()`` on each list its args and outputs, and keep
    them as attributes of the package (later look-ups no longer come through ``__getattr__``)."""
    import importlib

    from .components import _help

    namespace = globals()
    for name, module in _FROM_COMPONENTS.items():
        namespace[name] = getattr(importlib.import_module(f".components.{module}", __name__), name)
    _help.document(*(namespace[name] for name in _COMPONENT_MODULES))


def __getattr__(name: str):
    if name in _FROM_COMPONENTS:
        _load_components()
        return globals()[name]
    if name in _FROM_CONFIG:
        from . import config

        return getattr(config, name)
    raise AttributeError(f"module 'patching_components' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


__all__ = [
    "ChangeFreezeGuard",
    "ChangeFreezeGuardArgs",
    "CircuitBreaker",
    "CircuitBreakerArgs",
    "ConfigError",
    "CustomerPatching",
    "CustomerPatchingArgs",
    "GoldenAmiPipeline",
    "GoldenAmiPipelineArgs",
    "PatchNotices",
    "PatchNoticesArgs",
    "PatchReporting",
    "PatchReportingArgs",
    "PatchWindow",
    "PatchWindowArgs",
    "PatchingIam",
    "PatchingIamArgs",
    "SecurityBaseline",
    "SecurityBaselineArgs",
    "StackConfig",
    "WindowCatchUp",
    "WindowCatchUpArgs",
    "__version__",
    "load_pulumi_config",
    "load_stack_file",
]
