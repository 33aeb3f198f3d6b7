"""The package's layout holds: no import cycle, and the lower layers never reach back up.

Data flows one way (issue 27): stack file or pulumi.Config -> config -> layout -> components,
calendar, report, patch-now. ``config`` and ``aws`` are the bottom: they import only each other
(config -> aws), ``errors``, ``layout``'s names and libraries, never the modules built on them nor
Pulumi. ``layout`` imports no module of the package (config only for type hints), so config's rules
about names use its functions instead of spelling names again. Imports
are read from the source (every ``import`` statement, also those inside functions, which is where
the old cycle hid; ``if TYPE_CHECKING:`` blocks excepted), so a lazy import cannot slip by.
"""

from __future__ import annotations

import ast
import functools
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "patching_components"
NAME = "patching_components"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _imports(name: str) -> set[str]:
    """Every module ``name`` imports (full dotted names; a package's submodule where one is named)."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for node in ast.walk(block)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in MODULES else target)
    return found - {name}


@functools.cache
def graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (built when a test asks: not at every worker's collection)."""
    return {name: {t for t in _imports(name) if t in MODULES} for name in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    # The finder itself, on hand-made graphs: the old config -> freeze guard -> config loop.
    looped = {
        "config.model": {"components.freeze_guard"},
        "components.freeze_guard": {"config"},
        "config": {"config.model"},
    }
    assert _cycles(looped) == [["components.freeze_guard", "config", "config.model"]]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_lazy_and_relative_imports_are_read():
    # config.validation imports .model (relative) and the errors module two levels up.
    assert {f"{NAME}.config.model", f"{NAME}.errors"} <= graph()[f"{NAME}.config.validation"]
    # A lazy import inside a function counts: the Pulumi program's config reader imports pulumi there.
    assert "pulumi" in _imports(f"{NAME}.config.pulumi_config")


def test_no_import_cycle():
    assert _cycles(graph()) == []


FORBIDDEN_BELOW = (
    "components",
    "tools",
    "iam_policies",
    "standard",
    "checks",
    "calendar",
    "program",
    "provider",
    "testing",
    "regions",
    "_pulumi_sdk",
)
"""What the bottom layers (config, aws) must not import: everything built on them."""
ALLOWED = {
    # The one place a Pulumi program's values enter: pulumi.Config is config's input, as the stack
    # file is (imported when called, never on import).
    f"{NAME}.config.pulumi_config": {"pulumi", f"{NAME}._pulumi_sdk"},
}


@pytest.mark.parametrize("layer", ["config", "aws"])
def test_the_bottom_layers_reach_nothing_above_them(layer):
    reaching = {}
    for name in MODULES:
        if not name.startswith(f"{NAME}.{layer}"):
            continue
        bad = {
            target
            for target in _imports(name)
            if (
                target.split(".")[0] in ("pulumi", "pulumi_aws")
                or any(target == f"{NAME}.{up}" or target.startswith(f"{NAME}.{up}.") for up in FORBIDDEN_BELOW)
            )
            and target not in ALLOWED.get(name, set())
        }
        if bad:
            reaching[name] = sorted(bad)
    assert reaching == {}


def test_aws_does_not_import_config():
    # Arrows point one way: config -> aws, never back (the aws package; tools.aws_access is a tool, above both).
    facts = [n for n in MODULES if n == f"{NAME}.aws" or n.startswith(f"{NAME}.aws.")]
    assert facts
    assert {n: sorted(t for t in graph()[n] if t.startswith(f"{NAME}.config")) for n in facts} == {n: [] for n in facts}


def test_layout_imports_no_module_of_the_package():
    # config imports layout's names, so layout may not import config (or anything on it) back.
    assert {t for t in graph()[f"{NAME}.layout"] if t.startswith(NAME)} == set()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_imports(name):
    importlib.import_module(name)


def test_the_config_package_exports_what_users_need():
    import patching_components.config as config

    assert len(config.__all__) <= 20
    for name in config.__all__:  # each loads on first use
        getattr(config, name)
    public = {n for n in vars(config) if not n.startswith("_")}
    # Nothing but its exports and its own submodules: no pydantic, no difflib, no field types.
    submodules = {n for n in public if f"{NAME}.config.{n}" in MODULES}
    assert public - submodules == set(config.__all__)
    assert not hasattr(config, "BaseModel") and not hasattr(config, "difflib")
