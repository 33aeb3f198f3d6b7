"""``patching deploy-policy STACK_FILE``: the least-privilege IAM policy of the role that runs
``pulumi up`` for that stack, derived from its plan (patching_components.deploy_policy).

The plan is computed offline (tools/engine.py) in the stack's own account and partition; the account
comes from ``--account-id`` or the stack's single ``aws:allowedAccountIds`` entry: a policy is never
printed for a guessed account. A resource type whose provider calls are not known ends the command
with exit 1 and names the type: never a policy that silently lacks what the deploy needs.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from .common import (
    EXIT_INVALID,
    EXIT_OK,
    UsageError,
    add_esc_option,
    aws_region,
    esc_config,
    esc_warning_lines,
    load,
    stack_files,
    stack_name,
)

ACCOUNT_ID = re.compile(r"^\d{12}$")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("stack_file", metavar="STACK_FILE", help="the stack file (Pulumi.<stack>.yaml)")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="json: the stack, account, role and documents"
    )
    parser.add_argument(
        "--account-id",
        metavar="ID",
        help="the stack's AWS account (default: its aws:allowedAccountIds, when that names exactly one)",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="the read-only role's policy instead: what `pulumi preview --refresh` reads (previews, drift)",
    )
    add_esc_option(parser)


def stack_account(settings: Any, given: str | None) -> str:
    """The account the policy is for; UsageError when it cannot be told."""
    allowed = settings.get("aws:allowedAccountIds") or []
    allowed = [str(a) for a in ([allowed] if isinstance(allowed, str | int) else allowed)]
    if given:
        if not ACCOUNT_ID.match(given):
            raise UsageError(f"--account-id {given}: an AWS account id has 12 digits")
        if allowed and given not in allowed:
            raise UsageError(
                f"--account-id {given}: the stack's aws:allowedAccountIds allows only {', '.join(allowed)}"
            )
        return given
    if len(allowed) == 1 and ACCOUNT_ID.match(allowed[0]):
        return allowed[0]
    raise UsageError(
        "name the stack's account: set aws:allowedAccountIds to it in the stack file (it also keeps `pulumi up` "
        "out of other accounts), or pass --account-id"
    )


def plan_for_policy(path: Any, account: str, partition: str) -> tuple[list[Any], list[tuple[str, dict, str]]]:
    """The stack's custom resources (PlannedResource) and invokes, from an offline run in its account."""
    from .engine import run_stack_file

    return recorded_plan(lambda engine: run_stack_file(path, engine=engine), account, partition)


def recorded_plan(run_with: Any, account: str, partition: str) -> tuple[list[Any], list[tuple[str, dict, str]]]:
    """``run_with(engine)`` (a run of the program) recorded for the policy: custom resources with the ids
    and outputs the engine gave them, and every invoke with its region."""
    from ..deploy_policy import PlannedResource
    from .engine import OfflineEngine

    class Recording(OfflineEngine):
        def __init__(self) -> None:
            super().__init__(account_id=account, partition=partition)
            self.made: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
            self.invokes: list[tuple[str, dict, str]] = []

        def new_resource(self, type_: str, name: str, inputs: dict[str, Any], provider: str = "") -> Any:
            resource_id, state = super().new_resource(type_, name, inputs, provider)
            self.made[(type_, name)] = (resource_id, state)
            return resource_id, state

        def call(self, token: str, args: dict[str, Any], provider: str) -> dict[str, Any]:
            self.invokes.append((token, dict(args), self.region_of(provider, args.get("region"))))
            return super().call(token, args, provider)

    engine = Recording()
    run = run_with(engine)
    planned = []
    for r in sorted(run.resources, key=lambda r: r.urn):
        if not r.custom or r.type.startswith("pulumi:providers:"):
            continue
        resource_id, state = engine.made.get((r.type, r.name), ("", {}))
        planned.append(PlannedResource(r.type, r.name, r.region, r.inputs, resource_id, state))
    return planned, engine.invokes


def run(args: argparse.Namespace) -> int:
    from ..aws.limits import partition_of
    from ..deploy_policy import (
        MAX_MANAGED_POLICY_SIZE,
        PHASES,
        READ_ONLY,
        UnknownResourceType,
        deploy_policy_documents,
    )
    from .engine import ProgramError

    path = stack_files([args.stack_file])[0]
    esc = esc_config(args)
    checked = load(path, esc)
    for line in esc_warning_lines(path, checked):
        print(line, file=sys.stderr)
    region = aws_region(checked)
    if not region:
        print(f"{path}: aws:region is not set: the deploy's default provider has no region", file=sys.stderr)
        return EXIT_INVALID
    account = stack_account(checked.settings, args.account_id)
    partition = partition_of(region)
    try:
        if esc is None:
            planned, invokes = plan_for_policy(path, account, partition)
        else:  # the stack file's config with the ESC values beneath it, as `pulumi up` would see it
            from .engine import run_program, stack_name_of

            settings, secrets = dict(checked.settings), sorted(checked.secret_keys)
            planned, invokes = recorded_plan(
                lambda engine: run_program(settings, stack=stack_name_of(path), engine=engine, secret_keys=secrets),
                account,
                partition,
            )
        documents = deploy_policy_documents(
            planned,
            invokes,
            partition=partition,
            account=account,
            customer=checked.config.customer,
            phases=READ_ONLY if args.read_only else PHASES,
        )
    except ProgramError as exc:
        print(f"patching: error: the program failed on {path}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except UnknownResourceType as exc:
        print(
            f"patching: error: {path}: no known provider calls for {exc}: add the type to "
            "patching_components/data/provider-calls.json (read from the Terraform AWS provider's source) "
            "before granting anything for it",
            file=sys.stderr,
        )
        return EXIT_INVALID
    if args.format == "json":
        role = "read-only" if args.read_only else "deploy"
        print(
            json.dumps({"stack": stack_name(path), "account": account, "role": role, "documents": documents}, indent=2)
        )
        return EXIT_OK
    count = len(documents)
    if args.read_only:
        print(f"# The policy of the read-only role that previews {path} (also with --refresh) in account {account}.")
    else:
        print(f"# The policy of the role that runs `pulumi up` for {path} in account {account}.")
    if count > 1:
        print(
            f"# {count} documents: IAM allows {MAX_MANAGED_POLICY_SIZE} characters per managed policy; "
            "attach each as its own policy to the deploy role."
        )
    for index, document in enumerate(documents, 1):
        if count > 1:
            print(f"# Document {index} of {count}")
        print(json.dumps(document, indent=2))
    return EXIT_OK
