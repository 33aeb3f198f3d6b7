#!/usr/bin/env python3
"""The nightly drift check's summary: one table of every stack, and an issue text per drifted one.

    drift_report.py RESULTS_DIR --stacks JSON_LIST [--issues-dir DIR] [--run-url URL]

RESULTS_DIR holds one directory per stack, as each matrix job of drift.yml leaves it:
`exit-code` (of `pulumi preview --refresh --expect-no-changes --json`), `preview.json` (its
standard output: Pulumi's PreviewDigest, with `steps[].op` and `steps[].urn`) and `stderr.txt`.
A stack of --stacks whose job left nothing (it failed before the preview) is an error.

Prints the Markdown summary (for $GITHUB_STEP_SUMMARY); with --issues-dir, writes
`<stack>.md` for each drifted stack. Exit status: 0 when no stack drifted or failed, 1 otherwise,
so that the nightly run turns red. Standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

UNCHANGED_OPS = frozenset({"same", "read", "refresh"})
"""Step operations that change nothing (Pulumi's display.StepOp values)."""


@dataclass
class Result:
    stack: str
    status: str
    """no drift | drift | error"""
    changes: list[tuple[str, str]] = field(default_factory=list)
    """(operation, resource) of each step that would change something."""
    detail: str = ""


def _resource(urn: str) -> str:
    """`urn:pulumi:acme::patching::parent$type::name` -> `type name`."""
    parts = urn.split("::")
    if len(parts) < 4:
        return urn
    return f"{parts[2].rsplit('$', 1)[-1]} {'::'.join(parts[3:])}"


def _error_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line]
    return (errors or lines or ["the job left no output (it failed before the preview)"])[0][:300]


def read_result(directory: Path) -> Result:
    stack = directory.name
    code_file = directory / "exit-code"  # a missing directory: the job failed before writing it
    stderr = (directory / "stderr.txt").read_text(errors="replace") if (directory / "stderr.txt").exists() else ""
    if not code_file.exists():
        return Result(stack, "error", detail=_error_line(stderr))
    code = code_file.read_text().strip()
    try:
        digest = json.loads((directory / "preview.json").read_text())
        steps = digest.get("steps") or []
    except (OSError, ValueError, AttributeError):
        digest, steps = None, []
    changes = [(s.get("op", "?"), _resource(s.get("urn", "?"))) for s in steps if s.get("op") not in UNCHANGED_OPS]
    if changes:
        return Result(stack, "drift", changes)
    if code == "0":
        return Result(stack, "no drift")
    return Result(stack, "error", detail=_error_line(stderr) if digest is None or stderr else f"exit code {code}")


def summary(results: list[Result]) -> str:
    drifted = [r for r in results if r.status == "drift"]
    failed = [r for r in results if r.status == "error"]
    lines = [
        "## Drift check",
        "",
        f"{len(results)} stack(s): {len(drifted)} drifted, {len(failed)} failed, "
        f"{len(results) - len(drifted) - len(failed)} as deployed.",
        "",
        "| Stack | Result | Changes |",
        "|---|---|---|",
    ]
    for r in results:
        if r.status == "drift":
            counts = Counter(op for op, _ in r.changes)
            what = ", ".join(f"{n} {op}" for op, n in sorted(counts.items()))
        else:
            what = r.detail.replace("|", "\\|")
        lines.append(f"| {r.stack} | {r.status} | {what} |")
    for r in drifted:
        lines += ["", f"### {r.stack}", "", *(f"- `{op}` {resource}" for op, resource in r.changes)]
    return "\n".join(lines) + "\n"


def issue_text(result: Result, run_url: str) -> str:
    return "\n".join(
        [
            f"The nightly drift check found live resources of stack `{result.stack}` that differ from "
            "its program and stack file (someone changed them outside Pulumi, or a deploy failed):",
            "",
            *(f"- `{op}` {resource}" for op, resource in result.changes),
            "",
            f"Run: {run_url}" if run_url else "",
            f"Review with `pulumi preview --refresh --diff --stack {result.stack}`; then either "
            "`pulumi up` (put back what the stack file says) or change the stack file to keep the live value.",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("--stacks", required=True, help="JSON list of the stacks checked (the matrix)")
    parser.add_argument("--issues-dir", type=Path, help="write <stack>.md for each drifted stack here")
    parser.add_argument("--run-url", default="", help="link to the workflow run, for the issue texts")
    args = parser.parse_args(argv)
    results = [read_result(args.results / stack) for stack in sorted(json.loads(args.stacks))]
    print(summary(results), end="")
    if args.issues_dir:
        args.issues_dir.mkdir(parents=True, exist_ok=True)
        for r in results:
            if r.status == "drift":
                (args.issues_dir / f"{r.stack}.md").write_text(issue_text(r, args.run_url))
    return 0 if all(r.status == "no drift" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
