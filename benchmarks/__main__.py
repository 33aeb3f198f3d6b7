"""``python -m benchmarks [--quick] [--output PATH]``: measure, print a table, write JSON.

Figures outside their target are flagged but never fail the command: a slow
machine must not break anyone's build. Compare the JSON with the committed
``benchmarks/results.json`` to see a regression.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from . import figures

DEFAULT_OUTPUT = Path(__file__).with_name("results.json")


def run(quick: bool) -> list[figures.Figure]:
    if quick:  # every figure, at sizes that only show the runner works
        results = [figures.component_overhead(rounds=1)]
        results += figures.scaling([10, 20])
        results.append(figures.import_time(rounds=1))
        results.append(figures.validation(files=10, rounds=1))
        return results
    results = [figures.component_overhead(rounds=40)]
    results += figures.scaling([10, 100, 1000])
    results.append(figures.import_time(rounds=15))
    results.append(figures.validation(files=500, rounds=5))
    return results


def table(results: list[figures.Figure]) -> str:
    width = max(len(figure.name) for figure in results)
    lines = [f"{'figure':<{width}}  {'value':>9}  {'target':<8}  ok", "-" * (width + 26)]
    for figure in results:
        value = f"{figure.value:g} {figure.unit}"
        lines.append(f"{figure.name:<{width}}  {value:>9}  {figure.target:<8}  {'yes' if figure.ok else 'NO'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes and few rounds: checks the runner works")
    parser.add_argument("--output", type=Path, default=None, help=f"JSON file (default: {DEFAULT_OUTPUT.name})")
    args = parser.parse_args(argv)

    results = run(args.quick)
    print(table(results))
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": args.quick,
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {platform.system()}",
        "figures": [figure.as_json() for figure in results],
    }
    output = args.output or (None if args.quick else DEFAULT_OUTPUT)
    if output is not None:
        output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
