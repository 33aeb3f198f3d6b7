"""Unit tests of your own Pulumi program that uses these components: no AWS account, no Pulumi CLI.

The components look up the account, partition and region they build in (``aws.get_caller_identity``,
``aws.get_partition``, ``aws.get_region``: the region only where none is given); Pulumi's plain mocks
answer none of them, so a test fails with an unclear error. This kit runs your program under the
same offline engine as ``patching plan``: it answers those lookups (and ``aws.ssm.get_parameter``
for public AMI parameters), gives every resource the ids and ARNs AWS would, and records what was registered::

    from patching_components.testing import run

    def test_the_fleet_is_patched_on_sunday_nights():
        program = run("path/to/program")            # a directory with __main__.py, or a function
        (task,) = program.of_type("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask")
        assert task.inputs["maxConcurrency"] == "20%"

Inputs are recorded as AWS receives them (camelCase keys, secrets unwrapped and listed in
``secret_inputs``); ``region`` is where a resource is built: its ``region`` argument (pulumi-aws v7)
when it has one, else its provider's. If you already use Pulumi's own pattern (``pulumi.runtime.set_mocks`` and
``@pulumi.runtime.test``), pass :class:`PatchingMocks` instead of your mocks.
"""

from __future__ import annotations

import runpy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi

from .tools.engine import (
    MOCK_ACCOUNT_ID,
    MOCK_PARTITION,
    MOCK_REGION,
    OfflineEngine,
    ProgramError,
    RegisteredResource,
)
from .tools.engine import run_program as _run_program

__all__ = [
    "MOCK_ACCOUNT_ID",
    "MOCK_PARTITION",
    "MOCK_REGION",
    "Invokes",
    "PatchingMocks",
    "ProgramError",
    "RecordedProgram",
    "RegisteredResource",
    "run",
]


Invokes = Mapping[str, Mapping[str, Any] | Callable[[dict[str, Any]], Mapping[str, Any]]]
"""Answers to your program's own lookups: invoke token -> the result, or a function of the invoke's args."""


class _Engine(OfflineEngine):
    def __init__(self, account_id: str, partition: str, invokes: Invokes | None):
        super().__init__(account_id, partition)
        self.invokes = dict(invokes or {})

    def call(self, token: str, args: dict[str, Any], provider: str) -> dict[str, Any]:
        if token in self.invokes:
            answer = self.invokes[token]
            return dict(answer(args) if callable(answer) else answer)
        try:
            return super().call(token, args, provider)
        except NotImplementedError:
            raise NotImplementedError(
                f"no mock answer for invoke {token}: pass invokes={{{token!r}: {{...the result...}}}}"
            ) from None


@dataclass
class RecordedProgram:
    """What a program registered, in registration order, and its stack outputs."""

    resources: list[RegisteredResource]
    outputs: dict[str, Any]
    """Stack exports (``pulumi.export``), resolved."""
    warnings: list[str] = field(default_factory=list)
    """Warnings the program logged (``pulumi.log.warn``; the components warn about risky settings)."""

    def of_type(self, type_: str) -> list[RegisteredResource]:
        """The resources of one type token, e.g. ``aws:ssm/patchBaseline:PatchBaseline``."""
        return [r for r in self.resources if r.type == type_]

    def named(self, name: str, type_: str | None = None) -> RegisteredResource:
        """The one resource with this logical name (and type: a component and its main child share names)."""
        matches = [r for r in self.resources if r.name == name and type_ in (None, r.type)]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r} of type {type_ or 'any'}")
        return matches[0]

    def children_of(self, parent: RegisteredResource) -> list[RegisteredResource]:
        """The resources whose parent is ``parent`` (a component's own children)."""
        return [r for r in self.resources if r.parent == parent.urn]


def run(
    program: str | Path | Callable[[], None],
    *,
    config: Mapping[str, Any] | None = None,
    stack: str = "test",
    account_id: str = MOCK_ACCOUNT_ID,
    partition: str = MOCK_PARTITION,
    invokes: Invokes | None = None,
) -> RecordedProgram:
    """Run a Pulumi program offline and return what it registered.

    ``program`` is a program directory (its ``__main__.py`` runs with the directory on
    ``sys.path``, as ``pulumi up`` runs it) or a function. ``config`` is the stack's config with
    namespaced keys, e.g. ``{"aws:region": "us-east-1", "myapp:fleet": "web"}`` (default region
    ``eu-west-1``). Each call runs in a fresh context and event loop, so tests never share state,
    and may run the same program again. A failing program raises :class:`ProgramError`; its
    ``.error`` is what the program raised (a component's ``ConfigError`` for a bad argument).
    ``invokes`` answers your program's own lookups (``aws.ec2.get_vpc`` ...) by token.
    """
    if callable(program):
        entry = program
    else:
        directory = Path(program)
        if not (directory / "__main__.py").is_file():
            raise FileNotFoundError(f"{directory}: no __main__.py (give a Pulumi program directory or a function)")

        def entry() -> None:
            runpy.run_path(str(directory), run_name="__main__")

    engine = _Engine(account_id, partition, invokes)
    result = _run_program(dict(config or {}), stack=stack, program=entry, engine=engine)
    return RecordedProgram(result.resources, result.outputs, result.warnings)


class PatchingMocks(pulumi.runtime.Mocks):
    """Pulumi mocks that answer what the components look up, for ``pulumi.runtime.set_mocks``::

        mocks = PatchingMocks()
        pulumi.runtime.set_mocks(mocks, preview=False)
        import my_program  # registers its resources; ``mocks.resources`` lists them

    Each resource's state is its inputs plus the ids and ARNs AWS would compute (ARNs in
    ``account_id``/``partition``/``region``). ``resources`` records ``(type, name, inputs)`` of
    each registration; :func:`run` records more (parents, secrets, outputs) and needs no setup.
    """

    def __init__(
        self,
        account_id: str = MOCK_ACCOUNT_ID,
        partition: str = MOCK_PARTITION,
        region: str = MOCK_REGION,
        invokes: Invokes | None = None,
    ) -> None:
        self.engine = _Engine(account_id, partition, invokes)
        self.engine.region = region
        self.resources: list[tuple[str, str, dict[str, Any]]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        self.resources.append((args.typ, args.name, dict(args.inputs)))
        return self.engine.new_resource(args.typ, args.name, args.inputs, args.provider or "")

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[Any, Any], list[tuple[str, str]] | None]:
        return self.engine.call(args.token, args.args, args.provider or ""), []  # no check failures
