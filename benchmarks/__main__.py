"""``python -m benchmarks [--quick] [--write]``: measure, print a table; ``--write`` records the
figures in ``benchmarks/results.json`` and the table of BENCHMARKS.md (with the commit measured
and the machine).

Figures outside their target are flagged but never fail the command (a slow machine must not
break anyone's build); ``tests/test_benchmarks.py`` fails when a *recorded* figure misses its
target, so a regression cannot be committed as the record.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from . import figures

RESULTS = Path(__file__).with_name("results.json")
MARKDOWN = Path(__file__).resolve().parent.parent / "BENCHMARKS.md"
BEGIN, END = "<!-- figures: written by python -m benchmarks --write -->", "<!-- end of figures -->"


def run(quick: bool) -> list[figures.Figure]:
    if quick:  # every figure, at sizes that only show the runner works
        results = figures.component_overhead(groups=10, rounds=1)
        results += figures.scaling([10, 20])
        results.append(figures.import_time(rounds=1))
        results.append(figures.validation(files=10, rounds=1))
        results += figures.calendar(stacks=10, weeks=4)
        return results
    results = figures.component_overhead(groups=200, rounds=5)
    results += figures.scaling([200, 2000])
    results.append(figures.import_time(rounds=15))
    results.append(figures.validation(files=500, rounds=3))
    results += figures.calendar(stacks=1000, weeks=52)
    return results


def table(results: list[figures.Figure]) -> str:
    width = max(len(figure.name) for figure in results)
    lines = [f"{'figure':<{width}}  {'value':>12}  {'target':<9}  ok", "-" * (width + 30)]
    for figure in results:
        value = f"{figure.value:g} {figure.unit}"
        lines.append(f"{figure.name:<{width}}  {value:>12}  {figure.target:<9}  {'yes' if figure.ok else 'NO'}")
    return "\n".join(lines)


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=MARKDOWN.parent, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "patching_components", "benchmarks")
    return commit + (" (with uncommitted changes)" if dirty else "")


def _machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in _read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    return f"{os.cpu_count()} cores, {cpu}, {platform.machine()} {platform.system()}"


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def markdown(report: dict) -> str:
    """The figures section of BENCHMARKS.md, from a report as results.json holds it."""
    lines = [
        BEGIN,
        f"Measured {report['when']} at commit `{report['commit']}`, on {report['machine']}, Python "
        f"{report['python']}, pulumi {report['pulumi']}, pulumi-aws {report['pulumi_aws']}.",
        "",
        "| Figure | Value | Target | Met |",
        "|---|---|---|---|",
    ]
    for figure in report["figures"]:
        value = f"{figure['value']:g} {figure['unit']}"
        lines.append(f"| {figure['name']} | {value} | {figure['target']} | {'yes' if figure['ok'] else '**no**'} |")
    lines.append(END)
    return "\n".join(lines)


def write_markdown(report: dict) -> None:
    text = MARKDOWN.read_text(encoding="utf-8")
    before, rest = text.split(BEGIN, 1)
    after = rest.split(END, 1)[1]
    MARKDOWN.write_text(before + markdown(report) + after, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and few rounds: checks the runner works")
    parser.add_argument("--write", action="store_true", help="record in results.json and BENCHMARKS.md")
    parser.add_argument("--output", type=Path, default=None, help="also write the JSON report here")
    args = parser.parse_args(argv)
    if args.quick and args.write:
        parser.error("--quick measures toy sizes: it cannot be the record")

    from importlib.metadata import version

    results = run(args.quick)
    print(table(results))
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "quick": args.quick,
        "python": platform.python_version(),
        "pulumi": version("pulumi"),
        "pulumi_aws": version("pulumi-aws"),
        "machine": _machine(),
        "figures": [figure.as_json() for figure in results],
    }
    text = json.dumps(report, indent=2) + "\n"
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8")
    if args.write:
        RESULTS.write_text(text, encoding="utf-8")
        write_markdown(report)
        print(f"\nwrote {RESULTS} and {MARKDOWN}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
