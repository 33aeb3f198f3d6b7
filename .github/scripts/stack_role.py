#!/usr/bin/env python3
"""The role a workflow assumes for one stack, from .github/stack-roles.yaml.

    stack_role.py STACK read     the read-only role (previews, drift, report)
    stack_role.py STACK deploy   the deploy role (`pulumi up`, deploy.yml only)

Prints the role ARN and, under GitHub Actions, writes `arn=<ARN>` to $GITHUB_OUTPUT. Fails (exit 1,
one `::error::` line) when the stack has no entry, the entry lacks the role, the ARN is not an IAM
role's, the read and deploy roles are the same, or the role's account is not one the stack file's
aws:allowedAccountIds allows: a job never runs with a role it was not given.
Needs PyYAML (a dependency of the package: run it with the job's virtualenv).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES_FILE = ROOT / ".github" / "stack-roles.yaml"
KINDS = ("read", "deploy")
ROLE_ARN = re.compile(r"^arn:aws(-[a-z]+)*:iam::(\d{12}):role/[\w+=,.@/-]{1,512}$")


class RoleError(Exception):
    pass


def allowed_accounts(stack: str, root: Path = ROOT) -> list[str]:
    path = root / "stacks" / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise RoleError(f"{path.relative_to(root)}: no such stack file")
    config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    allowed = config.get("aws:allowedAccountIds") or []
    if isinstance(allowed, str) and allowed.lstrip().startswith("["):
        # The JSON list in a string `pulumi config set` writes, which pulumi-aws reads as the list (as
        # patching_components.config.validation.account_ids does; this script stays free of the package).
        try:
            allowed = json.loads(allowed)
        except ValueError:
            raise RoleError(f"{path.relative_to(root)}: aws:allowedAccountIds is not a list of account ids") from None
    return [str(a) for a in ([allowed] if isinstance(allowed, str | int) else allowed)]


def role_arn(stack: str, kind: str, roles_file: Path = ROLES_FILE, root: Path = ROOT) -> str:
    """The ``kind`` role of ``stack``; RoleError saying what to fix."""
    where = roles_file.relative_to(root) if roles_file.is_relative_to(root) else roles_file
    stacks = (yaml.safe_load(roles_file.read_text()) or {}).get("stacks") or {}
    entry = stacks.get(stack)
    if not isinstance(entry, dict):
        raise RoleError(f"{where}: stack {stack} has no entry: add stacks.{stack}.read and stacks.{stack}.deploy")
    arn = entry.get(kind)
    match = ROLE_ARN.match(str(arn or ""))
    if not match:
        raise RoleError(
            f"{where}: stacks.{stack}.{kind} {arn!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"
        )
    if entry.get("read") == entry.get("deploy"):
        raise RoleError(f"{where}: stacks.{stack}: the read and deploy roles must be different roles")
    allowed = allowed_accounts(stack, root)
    if match.group(2) not in allowed:
        raise RoleError(
            f"{where}: stacks.{stack}.{kind} is in account {match.group(2)}, which stacks/Pulumi.{stack}.yaml's "
            f"aws:allowedAccountIds ({', '.join(allowed) or 'not set'}) does not allow"
        )
    return str(arn)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stack")
    parser.add_argument("kind", choices=KINDS)
    args = parser.parse_args(argv)
    try:
        arn = role_arn(args.stack, args.kind)
    except RoleError as exc:
        print(f"::error::{exc}", file=sys.stderr)
        return 1
    print(arn)
    if os.environ.get("GITHUB_OUTPUT"):
        with open(os.environ["GITHUB_OUTPUT"], "a") as out:
            out.write(f"arn={arn}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
