"""Shared helpers: run the real program (programs/customer_patching) under the mock engine."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import botocore.loaders
import botocore.session
import pytest

from tests.engine import Run, run_program, run_stack_file

# Every botocore session of the run shares one loader per data path, so each service model (ec2's is 5 MB of
# JSON) is parsed once, not once per boto3 client: boto3 makes a session for each. The models are read-only.
botocore.session.create_loader = functools.cache(botocore.loaders.create_loader)


def _no_stack_traces() -> None:
    """Pulumi walks the Python stack at every resource registration to send the engine its source position
    (a sixth of a program run here). The offline engine never reads it (tools/engine.py records types, names,
    inputs and options), so the tests' runs skip the walk; `patching plan` and a real `pulumi up` keep it."""
    from pulumi.runtime import resource
    from pulumi.runtime.proto import source_pb2

    if hasattr(resource, "_get_stack_trace"):  # a Pulumi without it: nothing to skip
        resource._get_stack_trace = source_pb2.StackTrace


_no_stack_traces()

ROOT = Path(__file__).resolve().parent.parent
PROGRAM_DIR = ROOT / "programs" / "customer_patching"
EXAMPLE_STACKS = [ROOT / "stacks" / f"Pulumi.{name}.yaml" for name in ("acme", "globex", "initech")]
"""The example stacks, by name: the MSP adds, renames and removes its own customer stacks beside them."""
BAD_STACKS = sorted((Path(__file__).parent / "bad_stacks").glob("Pulumi.*.yaml"))


def run_stack(path: Path) -> Run:
    return run_stack_file(path, program=PROGRAM_DIR)


def run_config(config: dict[str, Any], stack: str = "test", **kwargs: Any) -> Run:
    """Run the real program with ``patching:`` keys given without their namespace."""
    full = {key if ":" in key else f"patching:{key}": value for key, value in config.items()}
    return run_program(full, stack=stack, program=PROGRAM_DIR, **kwargs)


MINIMAL = {
    "customer": "acme",
    "baselines": {"al2023": {"operatingSystem": "AMAZON_LINUX_2023"}},
    "patchGroups": {"acme-web": {"baselines": ["al2023"]}},
}


@functools.cache
def example_run(path: Path) -> Run:
    """An example stack's run, once per session: the runs are deterministic (test_program checks a fresh run
    against this one). Read it, never change it: every test that asks for the stack gets this object."""
    return run_stack(path)


@pytest.fixture(scope="session")
def example_runs() -> dict[str, Run]:
    """Each example stack run once per session (the runs are deterministic)."""
    return {path.name: example_run(path) for path in EXAMPLE_STACKS}


STAND_IN_ACCOUNT = "123456789012"
"""The account moto's server answers as (its default): the ``aws`` fixture's."""


def in_stand_in_account(path: Path) -> Path:
    """A copy of stack file ``path`` (in a temporary folder, same file name) whose aws:allowedAccountIds is the
    stand-in's account: the example stacks name their customers' accounts, which commands refuse to act in
    any other (aws_access)."""
    import tempfile

    import yaml

    document = yaml.safe_load(path.read_text())
    document["config"]["aws:allowedAccountIds"] = [STAND_IN_ACCOUNT]
    copy = Path(tempfile.mkdtemp(prefix="stand-in-")) / path.name
    copy.write_text(yaml.safe_dump(document, sort_keys=False))
    return copy


@pytest.fixture(scope="session")
def _aws_stand_in() -> Any:
    from tests.moto_aws import AwsStandIn

    with AwsStandIn() as stand_in:
        yield stand_in


@pytest.fixture
def aws(_aws_stand_in: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """moto's server and the fixture layer (tests/moto_aws.py), empty, with every boto3 client of this
    process pointed at it and throw-away credentials of moto's default account (123456789012)."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{_aws_stand_in.endpoint}/moto-api/reset", method="POST")).close()
    _aws_stand_in.layer.items.clear()
    _aws_stand_in.layer.calls.clear()
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", _aws_stand_in.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAOPERATOR00000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "operator-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    return _aws_stand_in


def quick_and_full(
    test: Any,
    *strategies: Any,
    quick: int,
    full: int,
    settings: dict[str, Any] | None = None,
    wrap: Any = None,
    **named_strategies: Any,
) -> tuple[Any, Any]:
    """A hypothesis test twice: ``quick`` examples in the default run, ``full`` in the slow run (``-m slow``).

    ``test`` is the test function without ``@given`` or ``@settings``; ``strategies`` and ``named_strategies``
    are its ``@given`` arguments, ``settings`` the rest of its hypothesis settings; ``wrap`` decorates both (a
    frozen clock, say). Assign the pair to two ``test_*`` names."""
    import hypothesis

    def build(examples: int) -> Any:
        given = hypothesis.given(*strategies, **named_strategies)
        built = hypothesis.settings(max_examples=examples, **(settings or {}))(given(test))
        return wrap(built) if wrap is not None else built

    return build(quick), pytest.mark.slow(build(full))
