"""The component provider: every component, to TypeScript, Go, C#, Java and YAML programs.

``PulumiPlugin.yaml`` at the repository root makes the checkout a Pulumi plugin;
its ``__main__.py`` calls :func:`main`. Pulumi's analyzer builds the package
schema from the components' TypedDict args, output annotations and docstrings: the args'
snake_case keys become camelCase properties (``maintenance_windows``: ``maintenanceWindows``,
the stack file's keys), which the provider hands back to the components in snake_case.
"""

from . import __version__
from .components._base import PACKAGE
from .components.baseline import SecurityBaseline
from .components.catch_up import WindowCatchUp
from .components.circuit_breaker import CircuitBreaker
from .components.customer import CustomerPatching
from .components.freeze_guard import ChangeFreezeGuard
from .components.golden_ami import GoldenAmiPipeline
from .components.iam import PatchingIam
from .components.notices import PatchNotices
from .components.patch_reporting import PatchReporting
from .components.window import PatchWindow

COMPONENTS = [
    PatchingIam,
    SecurityBaseline,
    PatchWindow,
    PatchReporting,
    GoldenAmiPipeline,
    ChangeFreezeGuard,
    PatchNotices,
    CircuitBreaker,
    CustomerPatching,
    WindowCatchUp,
]


def main() -> None:
    from pulumi.provider.experimental import component_provider_host

    from .components._check_args import spell_for_schema
    from .components._help import own_docs

    own_docs(*COMPONENTS)  # the schema's description is the component's own text, not help()'s listing
    spell_for_schema()  # errors name the keys as the calling program wrote them: camelCase
    component_provider_host(name=PACKAGE, components=COMPONENTS, version=__version__)
