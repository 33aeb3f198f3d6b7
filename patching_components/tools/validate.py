"""``patching validate``: check stack files (the model, the patching standard, the warnings) offline."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from .common import EXIT_INVALID, EXIT_OK, EXIT_USAGE, add_esc_option, esc_config, stack_files

if TYPE_CHECKING:
    from ..config import StackConfig


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("stack_files", nargs="*", metavar="STACK_FILE", help="default: stacks/Pulumi.*.yaml")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text", help="json: one document of every file, error and warning"
    )
    add_esc_option(parser)


def summary(config: StackConfig) -> str:
    """One line about what a valid stack configures."""
    return (
        f"customer {config.customer}, mode {config.mode}, {len(config.baselines)} baseline(s), "
        f"{len(config.maintenance_windows)} window(s), {len(config.patch_groups)} patch group(s), "
        f"{len(config.golden_amis)} golden AMI pipeline(s)"
    )


def _issue_json(issue: Any) -> dict[str, Any]:
    return {"line": issue.line, "keyPath": issue.key_path() if issue.path else None, "message": issue.message}


def run(args: argparse.Namespace) -> int:
    from ..checks import check_stack
    from ..errors import ConfigError, StackFileError, issue_lines

    files = stack_files(args.stack_files)
    esc = esc_config(args)
    results = []
    for path in files:
        result: dict[str, Any] = {"file": str(path), "valid": True, "readable": True, "errors": [], "warnings": []}
        try:
            checked = check_stack(path, esc)
            result["checked"] = checked
            result["summary"] = summary(checked.config)
            result["warnings"] = [_issue_json(i) for i in checked.warnings]
            result["warning_lines"] = issue_lines(str(path), checked.warnings)
        except ConfigError as exc:
            result.update(valid=False, readable=not isinstance(exc, StackFileError))
            result["errors"] = [_issue_json(i) for i in exc.issues]
            result["lines"] = exc.lines()
        results.append(result)
    across_stacks(results)
    valid = sum(r["valid"] for r in results)
    if args.format == "json":
        shown = [{k: v for k, v in r.items() if not k.endswith("lines") and k != "checked"} for r in results]
        report = {"files": shown}
        print(json.dumps({**report, "valid": valid, "invalid": len(results) - valid}, indent=2))
    else:
        for r in results:
            if r["valid"]:
                print(f"ok   {r['file']}: {r['summary']}")
                for line in r["warning_lines"]:
                    print(f"  warning: {line}")
            else:
                print(f"FAIL {r['file']}: {len(r['errors'])} error(s)")
                for line in r["lines"]:
                    print(f"  {line}")
        print(f"{valid} valid, {len(results) - valid} invalid")
    if not all(r["readable"] for r in results):
        return EXIT_USAGE
    return EXIT_OK if valid == len(results) else EXIT_INVALID


def across_stacks(results: list[dict[str, Any]]) -> None:
    """What no stack file shows alone (config.shared_defaults): two stacks registering the default baseline
    of one OS in one account and region, an error on both files (a warning when an account is unknown)."""
    from pathlib import Path

    from ..config.shared_defaults import conflicts, stack_defaults
    from ..config.stack_file import read_stack_document, read_stack_file
    from ..errors import issue_lines

    found = []
    seen = set()
    for r in results:
        if r["valid"] and Path(r["file"]).resolve() not in seen:
            seen.add(Path(r["file"]).resolve())
            defaults = stack_defaults(r["file"], r["checked"].config, r["checked"].settings)
            if defaults is not None:
                found.append(defaults)
    errors, warnings = conflicts(found)
    for r in results:
        if r["file"] not in errors and r["file"] not in warnings:
            continue
        document = read_stack_document(read_stack_file(r["file"]), r["file"])
        if r["file"] in errors:
            issues = document.locate(errors[r["file"]])
            r.update(valid=False, errors=[_issue_json(i) for i in issues], lines=issue_lines(r["file"], issues))
        if r["file"] in warnings:
            issues = document.locate(warnings[r["file"]])
            r["warnings"] = [*r["warnings"], *(_issue_json(i) for i in issues)]
            r["warning_lines"] = [*r["warning_lines"], *issue_lines(r["file"], issues)]
