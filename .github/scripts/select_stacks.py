#!/usr/bin/env python3
"""Which customer stacks a change touches, as a JSON list for a GitHub Actions matrix.

    select_stacks.py --base SHA [--head REF]   stacks whose file changed between the two commits;
                                               every stack when shared code changed
    select_stacks.py --all                     every stack
    select_stacks.py --only acme,globex        these stacks (each must have a stack file)

A stack is `stacks/Pulumi.<stack>.yaml`. A `stacks/*.yml` file fails the selection: the Pulumi
CLI reads `Pulumi.<stack>.yaml` only, so such a stack would be neither previewed nor deployed
(`patching validate` refuses it too). A change to anything but stack files and the paths
in IGNORED (docs, tests, CI) changes what every stack builds, so it selects every stack.
A deleted stack file selects nothing: destroying a customer's resources is a deliberate
`pulumi destroy`, never a side effect of a merge. A base commit that is all zeros (a new
branch) or unknown (a force push) selects every stack.

Prints the list and, under GitHub Actions, writes `stacks=<list>` to $GITHUB_OUTPUT.
Standard library only: it runs on the runner's own Python, before any install.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import subprocess
import sys

STACK_FILE = re.compile(r"^stacks/Pulumi\.(?P<stack>[^/]+)\.yaml$")
STRAY_STACK_FILE = re.compile(r"^stacks/[^/]+\.yml$", re.IGNORECASE)
IGNORED = ("*.md", "LICENSE", "docs/*", "tests/*", "benchmarks/*", ".github/*", ".ci/*")
"""Paths that change no stack's resources (fnmatch patterns; `*` crosses directories)."""
MAX_MATRIX_JOBS = 256
"""GitHub Actions' limit on the jobs one matrix may generate."""


class SelectionError(Exception):
    pass


def _git(*args: str) -> str:
    result = subprocess.run(["git", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise SelectionError(f"git {' '.join(args)}: {result.stderr.strip()}")
    return result.stdout


def stacks_at(ref: str) -> list[str]:
    """The stacks that have a stack file at ``ref``."""
    names = _git("ls-tree", "--name-only", f"{ref}:stacks").splitlines()
    stray = [name for name in names if name.lower().endswith(".yml")]
    if stray:
        raise SelectionError(
            "; ".join(
                f"stacks/{name}: the Pulumi CLI reads only Pulumi.<stack>.yaml stack files and would ignore this "
                f"one; rename it to stacks/{name[:-4]}.yaml"
                for name in stray
            )
        )
    return sorted(m["stack"] for name in names if (m := STACK_FILE.match(f"stacks/{name}")))


def _known(commit: str) -> bool:
    return (
        bool(commit.strip("0"))
        and subprocess.run(["git", "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True).returncode == 0
    )


def select(changed: list[str], existing: list[str]) -> list[str]:
    """The stacks that ``changed`` paths touch, of the ``existing`` ones."""
    touched = set()
    for path in changed:
        if m := STACK_FILE.match(path):
            touched.add(m["stack"])
        elif STRAY_STACK_FILE.match(path):
            continue  # gone at the head (stacks_at refuses one that is there): a rename to .yaml selects that
        elif not any(fnmatch.fnmatch(path, pattern) for pattern in IGNORED):
            return existing  # shared code: every stack
    return sorted(touched & set(existing))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--base", help="the commit the change starts from")
    which.add_argument("--all", action="store_true", help="every stack")
    which.add_argument("--only", help="comma-separated stack names")
    parser.add_argument("--head", default="HEAD", help="the commit the change ends at (default HEAD)")
    args = parser.parse_args(argv)
    try:
        existing = stacks_at(args.head)
        if args.all:
            stacks = existing
        elif args.only is not None:
            stacks = sorted({name.strip() for name in args.only.split(",") if name.strip()})
            unknown = [name for name in stacks if name not in existing]
            if unknown:
                raise SelectionError(f"no stack file for {', '.join(unknown)} (stacks: {', '.join(existing)})")
        elif not _known(args.base):
            print(f"base commit {args.base!r} is not known here: selecting every stack", file=sys.stderr)
            stacks = existing
        else:
            # Three dots: what the head changed since it left the base (a PR's own changes).
            stacks = select(_git("diff", "--name-only", f"{args.base}...{args.head}").splitlines(), existing)
        if len(stacks) > MAX_MATRIX_JOBS:
            raise SelectionError(
                f"{len(stacks)} stacks exceed GitHub's {MAX_MATRIX_JOBS}-job matrix limit: "
                "see docs/ci-cd.md (split the matrix or move to Pulumi Deployments)"
            )
    except SelectionError as exc:
        print(f"select_stacks: error: {exc}", file=sys.stderr)
        return 1
    text = json.dumps(stacks)
    print(text)
    if output := os.environ.get("GITHUB_OUTPUT"):
        with open(output, "a", encoding="utf-8") as handle:
            handle.write(f"stacks={text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
