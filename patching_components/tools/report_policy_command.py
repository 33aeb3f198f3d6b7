"""``patching report-policy [STACK_FILE]``: the read-only policy of the role `patching report` (and the
report workflow) uses: iam_policies.report_policy_document, the document the tests check against the
report's own calls. With a stack file, limited to that stack's regions, partition and documents."""

from __future__ import annotations

import argparse
import json
import sys

from .common import EXIT_INVALID, EXIT_OK, add_esc_option, aws_region, load_stack, stack_files


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "stack_file", metavar="STACK_FILE", nargs="?", help="limit the policy to this stack's regions and partition"
    )
    add_esc_option(parser)


def run(args: argparse.Namespace) -> int:
    from ..aws.limits import partition_of
    from ..iam_policies import report_policy_document

    if not args.stack_file:
        print(json.dumps(report_policy_document(), indent=2))
        return EXIT_OK
    path = stack_files([args.stack_file])[0]
    checked = load_stack(args, path)
    region = aws_region(checked)
    regions = list(checked.config.regions or ([region] if region else []))
    if not regions:
        print(f"{path}: aws:region is not set: the report's regions are unknown", file=sys.stderr)
        return EXIT_INVALID
    print(json.dumps(report_policy_document(partition_of(regions[0]), regions, checked.config.customer), indent=2))
    return EXIT_OK
