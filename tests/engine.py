"""The offline runner as the tests and benchmarks use it: ``patching plan``'s engine
recording, besides what plan shows, each resource's options and provider and
each invoke, with the account and partition a test chooses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from patching_components.tools import engine as mock_engine
from patching_components.tools.engine import (
    MOCK_ACCOUNT_ID,
    MOCK_PARTITION,
    ProgramRun,
    RegisteredResource,
    stack_file_handover,
    stack_name_of,
)


@dataclass
class Resource(RegisteredResource):
    id: str = ""
    delete_before_replace: bool = False
    ignore_changes: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    """Input key -> URNs of the resources its value came from."""
    dependencies: list[str] = field(default_factory=list)
    """URNs the resource waits for (depends_on, components expanded to their children)."""
    provider: str = ""
    """The provider reference (``<urn>::<id>``) of a custom resource; empty for the default provider."""
    alias_names: list[str] = field(default_factory=list)
    """Earlier names the resource answers to (``Alias(name=...)``, same parent and type)."""


@dataclass(frozen=True)
class Invoke:
    token: str
    provider: str
    """The provider reference the invoke went through; empty for the default provider."""


@dataclass
class Run(ProgramRun):
    resources: list[Resource]  # type: ignore[assignment]
    invokes: list[Invoke] = field(default_factory=list)

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str, type_: str | None = None) -> Resource:
        """The one resource with this name (and type: a component and its main child share names)."""
        matches = [r for r in self.resources if r.name == name and type_ in (None, r.type)]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r} of type {type_ or 'any'}")
        return matches[0]


class RecordingEngine(mock_engine.OfflineEngine):
    def __init__(self, account_id: str, partition: str):
        super().__init__(account_id, partition)
        self.invokes: list[Invoke] = []

    def call(self, token: str, args: dict[str, Any], provider: str) -> dict[str, Any]:
        self.invokes.append(Invoke(token, provider))
        return super().call(token, args, provider)

    def record(self, request: Any, response: Any) -> Resource:
        shown = super().record(request, response)
        return Resource(
            **vars(shown),
            id=response.id,
            delete_before_replace=bool(request.deleteBeforeReplace),
            ignore_changes=list(request.ignoreChanges),
            property_dependencies={
                key: list(deps.urns) for key, deps in request.propertyDependencies.items() if deps.urns
            },
            dependencies=list(request.dependencies),
            provider=request.provider,
            alias_names=[alias.spec.name for alias in request.aliases if alias.HasField("spec") and alias.spec.name],
        )


def run_program(
    config: Mapping[str, Any],
    *,
    stack: str,
    program: Path | Callable[[], None] | None = None,
    account_id: str = MOCK_ACCOUNT_ID,
    partition: str = MOCK_PARTITION,
    secret_keys: list[str] | None = None,
) -> Run:
    """``mock_engine.run_program`` recording everything above; raises its ``ProgramError``."""
    engine = RecordingEngine(account_id, partition)
    run = mock_engine.run_program(config, stack=stack, program=program, engine=engine, secret_keys=secret_keys)
    return Run(run.resources, run.outputs, run.warnings, run.region, run.secret_outputs, engine.invokes)  # type: ignore[arg-type]


def run_stack_file(path: str | Path, program: Path | None = None) -> Run:
    config, secret_keys = stack_file_handover(path)
    return run_program(config, stack=stack_name_of(path), program=program, secret_keys=secret_keys)
