"""Run the real Pulumi program offline under Pulumi's mock engine.

``patching plan`` and the tests use this: no Pulumi CLI, no AWS account. Every
registered resource is recorded with its type, name, parent and the inputs AWS
would receive (camelCase keys, as the engine serialises them). Invokes answer
with a fixed mock account so that nothing depends on credentials. The tests
record more through a subclass of :class:`OfflineEngine` (``tests/engine.py``).
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import hashlib
import json
import os
import runpy
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .common import stack_name_of  # here for its users; defined there so `calendar` need not load this module

MOCK_ACCOUNT_ID = "123456789012"
MOCK_PARTITION = "aws"
MOCK_REGION = "eu-west-1"
"""The region of a run whose config has no ``aws:region`` (the provider's own default is none)."""
PROJECT = "patching"


@dataclass
class RegisteredResource:
    """What ``patching plan`` shows of one registration."""

    type: str
    name: str
    urn: str
    parent: str | None
    """URN of the parent resource (None for children of the stack)."""
    inputs: dict[str, Any]
    custom: bool
    secret_inputs: list[str] = field(default_factory=list)
    """Input keys whose values are secrets (plan shows them masked)."""
    region: str = ""
    """The region a custom resource is built in: its ``region`` input (pulumi-aws v7) when it has one,
    else its provider's; empty for components."""


@dataclass
class ProgramRun:
    resources: list[RegisteredResource]
    outputs: dict[str, Any]
    """Stack exports, resolved."""
    warnings: list[str]
    region: str = MOCK_REGION
    """The default provider's region (aws:region): the primary region."""
    secret_outputs: list[str] = field(default_factory=list)
    """Stack exports that are secrets (plan shows them masked)."""


def _plain(value: Any, secrets: set[str] | None = None, key: str = "") -> Any:
    """Inputs as AWS gets them: 7 rather than the wire's 7.0, secrets unwrapped
    (their top-level keys are collected in ``secrets``)."""
    from ._pulumi_sdk import unwrap_secret

    if isinstance(value, float) and value.is_integer():
        return int(value)
    secret, inner = unwrap_secret(value)
    if secret:
        if secrets is not None:
            secrets.add(key)
        return _plain(inner, secrets, key)
    if isinstance(value, dict):
        return {k: _plain(v, secrets, key or k) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, secrets, key) for v in value]
    return value


# Ids shaped like the real ones where AWS checks their shape (pb-..., mw-...).
_ID_PREFIXES = {
    "aws:ssm/patchBaseline:PatchBaseline": "pb-",
    "aws:ssm/maintenanceWindow:MaintenanceWindow": "mw-",
}


def _mock_id(type_: str, name: str, state: dict[str, Any]) -> str:
    if type_ == "aws:s3/bucket:Bucket":
        return state["bucket"]  # a bucket's id is its name
    digest = hashlib.sha256(f"{type_}/{name}".encode()).hexdigest()
    if type_ in _ID_PREFIXES:
        return _ID_PREFIXES[type_] + digest[:17]
    if type_ in (
        "aws:ssm/maintenanceWindowTarget:MaintenanceWindowTarget",
        "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask",
    ):
        return str(uuid.UUID(digest[:32]))
    return f"{name}-id"


def mock_state(
    type_: str,
    name: str,
    inputs: dict[str, Any],
    account_id: str = MOCK_ACCOUNT_ID,
    partition: str = MOCK_PARTITION,
    region: str = MOCK_REGION,
) -> dict[str, Any]:
    """Plausible provider outputs: the inputs plus the ids and ARNs AWS would compute."""
    state = dict(inputs)
    service = type_.split(":")[1].split("/")[0] if type_.count(":") == 2 else "mock"
    physical = inputs.get("name") or f"{name}-mock"
    state.setdefault("name", physical)
    if service == "iam":
        kind = "instance-profile" if type_.endswith("InstanceProfile") else "role"
        state.setdefault("arn", f"arn:{partition}:iam::{account_id}:{kind}/{physical}")
    elif type_ == "aws:ssm/document:Document":
        state.setdefault("arn", f"arn:{partition}:ssm:{region}:{account_id}:document/{physical}")
    elif type_ == "aws:ssm/parameter:Parameter":
        state.setdefault("arn", f"arn:{partition}:ssm:{region}:{account_id}:parameter{physical}")
    elif type_ == "aws:s3/bucket:Bucket":
        state.setdefault("bucket", physical)
        state.setdefault("arn", f"arn:{partition}:s3:::{state['bucket']}")
    else:
        state.setdefault("arn", f"arn:{partition}:{service}:{region}:{account_id}:{physical}")
    return state


class ProgramError(RuntimeError):
    """The program failed; ``resources`` holds what it had registered by then."""

    def __init__(self, error: BaseException, resources: list[RegisteredResource]):
        super().__init__(str(error))
        self.error = error
        self.resources = resources


class DuplicateUrnError(RuntimeError):
    """Two resources with one URN (same type, parent type and name): the engine fails the update."""


class OfflineEngine:
    """Answers a run's registrations and invokes as AWS would, and records what plan shows.

    One engine serves one run. Tests subclass it to record more of each
    registration (resource options, providers) and of each invoke.
    """

    def __init__(self, account_id: str = MOCK_ACCOUNT_ID, partition: str = MOCK_PARTITION):
        self.account_id = account_id
        self.partition = partition
        self.region = MOCK_REGION
        """The default provider's region, set from the run's ``aws:region``."""
        self.provider_regions: dict[str, str] = {}
        """The region of each explicit aws provider, by its id."""

    def region_of(self, provider: str, region: object = None) -> str:
        """The region a resource or invoke is in: its ``region`` argument (pulumi-aws v7) if set, else its
        provider's (a reference ``<urn>::<id>``; empty for the default provider)."""
        if isinstance(region, str) and region:
            return region
        return self.provider_regions.get(provider.rpartition("::")[2], self.region) if provider else self.region

    def new_resource(
        self, type_: str, name: str, inputs: dict[str, Any], provider: str = ""
    ) -> tuple[str, dict[str, Any]]:
        region = self.region_of(provider, None if type_.startswith("pulumi:providers:") else inputs.get("region"))
        state = mock_state(type_, name, inputs, self.account_id, self.partition, region)
        resource_id = _mock_id(type_, name, state)
        if type_ == "pulumi:providers:aws":
            self.provider_regions[resource_id] = str(inputs.get("region") or self.region)
        return resource_id, state

    def call(self, token: str, args: dict[str, Any], provider: str) -> dict[str, Any]:
        """The answer to an invoke; ``provider`` is the provider reference it went through."""
        account_id, partition, region = self.account_id, self.partition, self.region_of(provider, args.get("region"))
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": account_id,
                "arn": f"arn:{partition}:iam::{account_id}:user/mock",
                "userId": "AIDAMOCK",
                "id": account_id,
            }
        if token == "aws:index/getPartition:getPartition":
            return {"partition": partition, "dnsSuffix": "amazonaws.com", "id": partition}
        if token == "aws:index/getRegion:getRegion":
            return {"name": region, "region": region, "id": region}
        if token == "aws:ssm/getParameter:getParameter":
            # A public AMI parameter: answer with an AMI-shaped id derived from the path.
            value = f"ami-{hashlib.sha256(args['name'].encode()).hexdigest()[:17]}"
            return {
                "name": args["name"],
                "value": value,
                "insecureValue": value,
                "type": "String",
                "arn": f"arn:{partition}:ssm:{region}::parameter{args['name']}",
                "version": 1,
                "id": args["name"],
                "withDecryption": True,
            }
        raise NotImplementedError(f"no mock answer for invoke {token}")

    def record(self, request: Any, response: Any) -> RegisteredResource:
        """What is kept of a ``RegisterResource`` request (the engine's protobuf message) and its answer."""
        from ._pulumi_sdk import deserialize_properties

        secrets: set[str] = set()
        parent = request.parent if request.parent and "::pulumi:pulumi:Stack::" not in request.parent else None
        inputs = _plain(deserialize_properties(request.object), secrets)
        regional = request.custom and not request.type.startswith("pulumi:providers:")
        return RegisteredResource(
            type=request.type,
            name=request.name,
            urn=response.urn,
            parent=parent,
            inputs=inputs,
            custom=bool(request.custom),
            secret_inputs=sorted(secrets),
            region=self.region_of(request.provider, inputs.get("region") if regional else None)
            if request.custom
            else "",
        )

    def monitor(self, recorded: list[RegisteredResource], duplicates: list[str]) -> Any:
        import pulumi

        from ._pulumi_sdk import mock_monitor_class

        engine = self
        urns: set[str] = set()

        class Mocks(pulumi.runtime.Mocks):
            def new_resource(self, args: pulumi.runtime.MockResourceArgs):
                return engine.new_resource(args.typ, args.name, args.inputs, args.provider or "")

            def call(self, args: pulumi.runtime.MockCallArgs):
                return engine.call(args.token, args.args, args.provider or "")

        class RecordingMonitor(mock_monitor_class()):  # type: ignore[misc]
            """Keeps what MockResourceArgs leaves out: the parent, secrets, the options."""

            def RegisterResource(self, request):
                response = super().RegisterResource(request)
                if response.urn in urns:
                    # The engine refuses the second registration; the run fails when it ends (see _run).
                    duplicates.append(response.urn)
                urns.add(response.urn)
                if request.type != "pulumi:pulumi:Stack":
                    recorded.append(engine.record(request, response))
                return response

        return RecordingMonitor(Mocks())


def run_program(
    config: Mapping[str, Any],
    *,
    stack: str,
    program: Path | Callable[[], None] | None = None,
    engine: OfflineEngine | None = None,
    secret_keys: list[str] | None = None,
) -> ProgramRun:
    """Run the program with a stack's config map (``{"patching:customer": "acme", ...}``).

    ``program`` is a Pulumi program directory (its ``__main__.py`` runs) or a
    callable; by default ``patching_components.program.main``, which
    ``programs/customer_patching`` calls. Each call gets a fresh context and
    event loop, so runs never share state. ``secret_keys`` are the config keys the CLI
    would mark secret. A failing program raises
    :class:`ProgramError` (``.error`` is e.g. the ``pulumi.RunError`` of a bad config).
    """
    return contextvars.Context().run(
        _run, dict(config), stack, program, engine or OfflineEngine(), list(secret_keys or [])
    )


def _run(config: dict[str, Any], stack: str, program: Any, engine: OfflineEngine, secret_keys: list[str]) -> ProgramRun:
    import logging

    import pulumi

    from ..config.handover import config_text
    from ._pulumi_sdk import run_program_function

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # The mock monitor answers in executor threads, each of which needs an event
    # loop of its own; make them here so they can be closed when the run ends.
    thread_loops: list[asyncio.AbstractEventLoop] = []

    def give_thread_a_loop() -> None:
        thread_loops.append(asyncio.new_event_loop())
        asyncio.set_event_loop(thread_loops[-1])

    loop.set_default_executor(ThreadPoolExecutor(initializer=give_thread_a_loop))
    recorded: list[RegisteredResource] = []
    warnings: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                warnings.append(record.getMessage())

    saved_environment: dict[str, str | None] = {}
    collecting = gc.isenabled()  # the program turns the collector off for its run (program.main)
    logger = logging.getLogger(f"patching.mock.{id(recorded)}")
    logger.propagate = False
    logger.addHandler(_Collect())
    try:
        engine.region = str(config.get("aws:region") or MOCK_REGION)
        duplicates: list[str] = []
        monitor = engine.monitor(recorded, duplicates)
        pulumi.runtime.set_mocks(
            monitor.mocks, project=PROJECT, stack=stack, preview=False, logger=logger, monitor=monitor
        )
        handed_over = {key: config_text(value) for key, value in config.items()}
        pulumi.runtime.set_all_config(handed_over, secret_keys)
        # As the language host hands a program its config: every key, in PULUMI_CONFIG (the program
        # reads the names the stack sets from it, through pulumi.runtime.get_config_env).
        saved_environment = _hand_over_environment(handed_over, secret_keys)
        if program is None:
            from ..program import main as entry
        elif callable(program):
            entry = program
        else:

            def entry() -> None:
                runpy.run_path(str(Path(program) / "__main__.py"), run_name="__main__")

        try:
            loop.run_until_complete(run_program_function(entry))
            if duplicates:
                raise DuplicateUrnError(f"Duplicate resource URN '{duplicates[0]}'; try giving it a unique name")
        except Exception as exc:
            raise ProgramError(exc, recorded) from exc
        root = pulumi.runtime.get_root_resource()
        exported = {key: pulumi.Output.from_input(value) for key, value in getattr(root, "outputs", {}).items()}
        outputs = {key: loop.run_until_complete(output.future()) for key, output in exported.items()}
        secret = [key for key, output in exported.items() if loop.run_until_complete(output.is_secret())]
        return ProgramRun(recorded, outputs, warnings, engine.region, secret)
    finally:
        from ._pulumi_sdk import forget_pending_outputs

        forget_pending_outputs()
        _restore_environment(saved_environment)
        if collecting:
            gc.enable()
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
        for thread_loop in thread_loops:
            thread_loop.close()
        asyncio.set_event_loop(None)
        # Loggers live as long as the process: forget this run's, with its handler (and the run it holds).
        logger.handlers.clear()
        logging.Logger.manager.loggerDict.pop(logger.name, None)


_HANDOVER_VARIABLES = ("PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS")


def _hand_over_environment(config: dict[str, Any], secret_keys: list[str]) -> dict[str, str | None]:
    """Set the variables the Pulumi language host runs a program with; returns what they were."""
    saved = {name: os.environ.get(name) for name in _HANDOVER_VARIABLES}
    os.environ["PULUMI_CONFIG"] = json.dumps(config)
    os.environ["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(secret_keys)
    return saved


def _restore_environment(saved: dict[str, str | None]) -> None:
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def stack_file_config(path: str | Path) -> dict[str, Any]:
    """The ``config:`` map of a stack file as the Pulumi CLI passes it (secrets as their placeholders)."""
    return stack_file_handover(path)[0]


def stack_file_handover(path: str | Path) -> tuple[dict[str, Any], list[str]]:
    """The config map and the keys the CLI marks secret, for a stack file."""
    from ..config import read_stack_document, read_stack_file

    return read_stack_document(read_stack_file(path), str(path)).cli_config()


def run_stack_file(path: str | Path, program: Path | None = None, engine: OfflineEngine | None = None) -> ProgramRun:
    """Run the program with a stack file's config, as ``pulumi up --stack <name>`` would."""
    config, secret_keys = stack_file_handover(path)
    return run_program(config, stack=stack_name_of(path), program=program, engine=engine, secret_keys=secret_keys)
