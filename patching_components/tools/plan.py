"""``patching plan``: the resources a first ``pulumi up`` would create, computed offline with
Pulumi's mock engine (tools/engine.py), every input shown, secret ones masked."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("stack_file", metavar="STACK_FILE", help="the stack file (Pulumi.<stack>.yaml)")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="json: a list of the resources, each with its inputs"
    )
    add_esc_option(parser)


def masked(resource: Any) -> dict[str, Any]:
    """A resource's inputs as a reviewer may see them: secret ones masked."""
    return {k: "[secret]" if k in resource.secret_inputs else v for k, v in resource.inputs.items()}


def input_line(indent: str, key: str, value: Any) -> str:
    """One input in full: JSON on one line, or a document or policy text as an indented block."""
    if isinstance(value, str) and value.startswith(("{", "[")):
        try:
            value = json.loads(value)  # a policy document: shown as the structure it is
        except ValueError:
            pass
    if isinstance(value, str) and "\n" in value:
        body = "\n".join(f"{indent}  {line}" for line in value.splitlines())
        return f"{indent}{key}: |\n{body}"
    if isinstance(value, (dict, list)):
        text = json.dumps(value, indent=2, sort_keys=True, default=str)
        return f"{indent}{key}: " + text.replace("\n", "\n" + indent)
    return f"{indent}{key}: {json.dumps(value, sort_keys=True, default=str)}"


def regions_of(resources: Iterable[Any]) -> dict[str, str]:
    """Each resource's region, by URN: a custom resource's is its provider's (an aws provider's, its
    own ``region``); a component's is the regions of what it contains, joined with ','.

    Linear in the resources (times the depth of the tree): each parent is looked up by URN, once
    per ancestor of a custom resource, never by scanning the list."""
    resources = list(resources)
    parent_of = {r.urn: r.parent for r in resources}
    region_of: dict[str, str] = {}
    below: dict[str, set[str]] = {}
    for r in resources:
        if r.custom:
            own = str(r.inputs.get("region") or r.region) if r.type == "pulumi:providers:aws" else r.region
            region_of[r.urn] = own
            parent = r.parent
            while parent is not None:
                below.setdefault(parent, set()).add(own)
                parent = parent_of.get(parent)
    for r in resources:
        if not r.custom:
            region_of[r.urn] = ",".join(sorted(below.get(r.urn, set())))
    return region_of


def run(args: argparse.Namespace) -> int:
    from .engine import MOCK_ACCOUNT_ID, ProgramError, run_program, run_stack_file, stack_name_of

    path = stack_files([args.stack_file])[0]
    esc = esc_config(args)
    checked = load(path, esc)  # the same rules as the program, with file lines in the messages
    for line in esc_warning_lines(path, checked):
        print(line, file=sys.stderr)
    if not aws_region(checked):
        # No silent default: the provider would build wherever the machine's AWS_REGION points.
        from ..config.esc import missing_key_hint
        from ..config.stack_file import read_stack_document, read_stack_file

        region = (checked.config.regions or ["eu-west-1"])[0]
        # A stack importing ESC environments may get it from one: the same hint as validate's errors.
        hint = missing_key_hint(read_stack_document(read_stack_file(path), str(path)), esc)
        print(
            f"{path}: aws:region is not set: the stack's default provider builds in it (IAM, the log bucket, "
            f"the primary region); set it: pulumi config set aws:region {region} --stack {stack_name(path)}{hint}",
            file=sys.stderr,
        )
        return EXIT_INVALID
    try:
        if esc is None:
            run = run_stack_file(path)
        else:  # the stack file's config with the ESC values beneath it, as `pulumi up` would see it
            run = run_program(
                dict(checked.settings), stack=stack_name_of(path), secret_keys=sorted(checked.secret_keys)
            )
    except ProgramError as exc:
        print(f"patching: error: the program failed on {path}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except ValueError as exc:  # not named Pulumi.<stack>.yaml: no stack name to run it as
        raise UsageError(str(exc)) from None
    # Registration order follows the engine's scheduling, which varies from run to run:
    # sorted by URN (type and name), the plan is the same text every time.
    resources = sorted(run.resources, key=lambda r: r.urn)
    region_of = regions_of(resources)
    if args.format == "json":
        print(
            json.dumps(
                [
                    {
                        "type": r.type,
                        "name": r.name,
                        "parent": r.parent,
                        "region": region_of[r.urn],
                        "inputs": masked(r),
                    }
                    for r in resources
                ],
                indent=2,
                sort_keys=True,
                default=str,
            )
        )
        return EXIT_OK

    print(f"# Resources a first `pulumi up` of {path} would create ({len(resources)}),")
    print("# computed offline with Pulumi's mock engine: not a diff against live state;")
    print(f"# ids, ARNs and the account id ({MOCK_ACCOUNT_ID}) are placeholders.")
    children: dict[str | None, list] = {}
    for r in resources:
        children.setdefault(r.parent, []).append(r)
    regions = list(dict.fromkeys(region_of[r.urn] for r in resources if r.custom))

    def show(parent: str | None, depth: int, region: str) -> None:
        for r in children.get(parent, []):
            if region not in region_of[r.urn]:
                continue
            print(f"{'  ' * depth}{r.type} {r.name}")
            if r.custom:
                for key, value in sorted(masked(r).items()):
                    print(input_line("  " * (depth + 2), key, value))
            show(r.urn, depth + 1, region)

    primary = run.region
    if len(regions) <= 1:
        show(None, 0, "")
    else:
        # The primary region first (IAM, which is global, is built through its provider).
        for region in sorted(regions, key=lambda r: (r != primary, r)):
            print(f"## {region}" + (" (primary region; IAM is global)" if region == primary else ""))
            show(None, 0, region)
    for warning in run.warnings:
        print(f"warning: {warning}")
    if run.outputs:
        print("Outputs:")
        for key, value in run.outputs.items():
            shown = "[secret]" if key in run.secret_outputs else json.dumps(value, sort_keys=True, default=str)
            print(f"  {key}: {shown}")
    return EXIT_OK
