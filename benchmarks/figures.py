"""The measurements. Each is a ratio of two things timed in the same run on
the same machine, so the figures compare across machines; absolute times are
reported alongside for context only."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .fleet import ROOT


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    target: str
    ok: bool
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def ratio_figure(name: str, ratio: float, limit: float, details: dict[str, Any], digits: int = 3) -> Figure:
    """A ratio and its target "<= limit", the target written from the limit it is judged by."""
    return Figure(name, round(ratio, digits), "x", f"<= {limit:g}", ratio <= limit, details)


def best_time(functions: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Fastest of ``rounds`` runs of each function, interleaved so that a slow
    moment of the machine hits all of them; the garbage collector is paused
    while timing (a collection lands in whichever run happens to trigger it)."""
    best = dict.fromkeys(functions, float("inf"))
    for _ in range(rounds):
        for label, function in functions.items():
            gc.collect()
            gc.disable()
            try:
                start = time.perf_counter()
                function()
                best[label] = min(best[label], time.perf_counter() - start)
            finally:
                gc.enable()
    return best


def component_overhead(groups: int, rounds: int) -> list[Figure]:
    """The program on a fleet of ``groups`` patch groups in three regions vs the same resources
    registered by a plain pulumi_aws program, and vs those under the same empty components."""
    from tests.engine import run_program

    from .fleet import scaled_fleet
    from .replay import direct_program, same_resources

    config = scaled_fleet(groups)
    stack = "overhead"
    recorded = run_program(config, stack=stack)
    by_hand = direct_program(recorded)
    with_bare_components = direct_program(recorded, keep_components=True)
    for program in (by_hand, with_bare_components):
        problem = same_resources(recorded, run_program({}, stack=stack, program=program))
        if problem:
            raise AssertionError(f"the hand-written baseline differs from the program: {problem}")

    times = best_time(
        {
            "components": lambda: run_program(config, stack=stack),
            "by_hand": lambda: run_program({}, stack=stack, program=by_hand),
            "bare_components": lambda: run_program({}, stack=stack, program=with_bare_components),
        },
        rounds,
    )
    details = {
        "groups": groups,
        "regions": len(config.get("patching:regions", [None])),
        "resources": sum(r.custom for r in recorded.resources),
        "components": sum(not r.custom for r in recorded.resources),
        "ms_program": round(times["components"] * 1000, 1),
        "ms_plain_pulumi_aws": round(times["by_hand"] * 1000, 1),
        "ms_bare_components": round(times["bare_components"] * 1000, 1),
        "rounds": rounds,
    }
    return [
        ratio_figure(
            f"program / plain pulumi_aws program, same resources ({groups} patch groups, 3 regions)",
            times["components"] / times["by_hand"],
            1.5,
            details,
        ),
        ratio_figure(
            f"program / the same resources under bare components ({groups} patch groups, 3 regions)",
            times["components"] / times["bare_components"],
            1.3,
            details,
        ),
    ]


def _subprocess_json(*args: str) -> Any:
    result = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, check=False, env=_env())
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{result.stderr}")
    return json.loads(result.stdout)


def _env() -> dict[str, str]:
    # The same interpreter with the benchmarks importable from the checkout.
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def scaling(sizes: list[int]) -> list[Figure]:
    """Evaluation time per resource and peak RSS as the fleet grows (three regions), each size in
    a fresh process."""
    runs = [_subprocess_json("-m", "benchmarks.scaling", str(size)) for size in sizes]
    smallest = runs[0]
    figures = []
    for run in runs[1:]:
        ratio = run["ms_per_resource"] / smallest["ms_per_resource"]
        figures.append(
            ratio_figure(
                f"scaling: time per resource, {run['groups']} / {smallest['groups']} patch groups (3 regions)",
                ratio,
                1.2,
                {"runs": runs},
            )
        )
    largest = runs[-1]
    figures.append(
        Figure(
            f"scaling: peak RSS with {largest['groups']} patch groups (3 regions)",
            largest["peak_rss_mb"],
            "MB",
            "< 1500",
            largest["peak_rss_mb"] < 1500,
            {"resources": largest["resources"]},
        )
    )
    return figures


def _plain_program_imports() -> str:
    """The imports of a plain pulumi_aws program with the resources of the example stacks: pulumi,
    pulumi_aws and each resource class they register (pulumi_aws loads a service's module, with
    every class in it, on first use of one of its classes)."""
    from patching_components.tools.engine import run_stack_file

    types = set()
    for name in ("acme", "globex", "initech"):
        types |= {r.type for r in run_stack_file(ROOT / "stacks" / f"Pulumi.{name}.yaml").resources if r.custom}
    classes = sorted({f"pulumi_aws.{t.split(':')[1].split('/')[0]}.{t.split(':')[2]}" for t in types})
    return "import pulumi, pulumi_aws; " + "; ".join(classes)


def import_time(rounds: int) -> Figure:
    """What the package adds to a program's imports: ``from patching_components import
    CustomerPatching`` with the resource classes it registers, vs a plain pulumi_aws program with the
    same resources (pulumi, pulumi_aws and those classes), each in a fresh interpreter. Both load the
    same classes: the components load theirs on first use, so without them the figure would credit
    the package with work merely moved to the run. (``import patching_components`` alone is lazy and
    would measure almost nothing a user pays.)"""

    def interpreter(statement: str) -> Callable[[], None]:
        command = [sys.executable, "-c", statement]
        return lambda: subprocess.run(command, cwd=ROOT, check=True, env=_env())

    plain = _plain_program_imports()
    times = best_time(
        {
            "ours": interpreter(f"from patching_components import CustomerPatching; {plain}"),
            "plain": interpreter(plain),
            "bare": interpreter("pass"),
        },
        rounds,
    )
    ratio = times["ours"] / times["plain"]
    return ratio_figure(
        "import: the components and their resource classes / a plain pulumi_aws program's imports",
        ratio,
        1.25,
        {key: round(value * 1000, 1) for key, value in times.items()} | {"unit": "ms (fresh interpreter)"},
    )


def validation(files: int, rounds: int) -> Figure:
    """`patching validate`'s checks (check_stack: parse, model, the standard, every warning) over
    distinct generated stack files, in files per second on one core; every round starts with
    empty schedule caches (the files share what real stacks share, not what an earlier round
    computed)."""
    from patching_components import checks
    from patching_components.config import read_stack_yaml

    from . import corpus

    with tempfile.TemporaryDirectory() as directory:
        paths = corpus.write(Path(directory), files)
        checks.check_stack(paths[0])  # the config model and templates load once, outside the timing

        def validate() -> None:
            _forget_schedules()  # each round as a fresh process sees the files: nothing computed yet
            for path in paths:
                checks.check_stack(path)

        times = best_time(
            {
                "validate": validate,
                "parse": lambda: [read_stack_yaml(path.read_text(encoding="utf-8")) for path in paths],
            },
            rounds,
        )
        warnings = sum(len(checks.check_stack(path).warnings) for path in paths)
    rate = files / times["validate"]
    return Figure(
        f"validate: distinct stack files per second ({files} files, one core)",
        round(rate),
        "files/s",
        ">= 500",
        rate >= 500,
        {
            "ms_per_file": round(times["validate"] * 1000 / files, 3),
            "ms_per_file_yaml_parse_only": round(times["parse"] * 1000 / files, 3),
            "warnings": warnings,
            "rounds": rounds,
        },
    )


def _forget_schedules() -> None:
    """Empty the caches of schedules and openings (what one process keeps between stack files),
    so that a round does not reuse what the previous round of the same files computed."""
    from patching_components import calendar, checks
    from patching_components.aws import schedule

    checks._OVERLAPS.clear()
    for cached in (
        checks._window_openings,
        calendar._cron_walls,
        schedule.parse_schedule,
        schedule.never_matches,
        schedule._cron,
        schedule._days_of,
        schedule._day_offset,
    ):
        cached.cache_clear()


def calendar(stacks: int, weeks: int) -> list[Figure]:
    """`patching calendar --weeks N` over ``stacks`` distinct stack files, as one command (start-up
    included), without and with --ics-dir (one iCalendar file per customer)."""
    from . import corpus

    with tempfile.TemporaryDirectory() as directory:
        paths = corpus.write(Path(directory), stacks)
        command = ["-m", "patching_components.tools.cli", "calendar", "--weeks", str(weeks)]
        command += ["--start", "2027-01-04", *map(str, paths)]
        seconds = {}
        for label, extra in (("calendar", []), ("ics", ["--ics-dir", str(Path(directory) / "ics")])):
            start = time.perf_counter()
            result = subprocess.run([sys.executable, *command, *extra], capture_output=True, check=False, env=_env())
            seconds[label] = time.perf_counter() - start
            if result.returncode != 0:
                raise RuntimeError(f"patching calendar failed:\n{result.stderr.decode()[-2000:]}")
        lines = result.stdout.count(b"\n")
        events = sum(path.read_bytes().count(b"BEGIN:VEVENT") for path in (Path(directory) / "ics").glob("*.ics"))
    return [
        Figure(
            f"calendar: {stacks} stacks, {weeks} weeks (one command)",
            round(seconds["calendar"], 1),
            "s",
            "<= 30",
            seconds["calendar"] <= 30,
            {"lines": lines},
        ),
        Figure(
            f"calendar --ics-dir: {stacks} stacks, {weeks} weeks (one command)",
            round(seconds["ics"], 1),
            "s",
            "<= 45",
            seconds["ics"] <= 45,
            {"events": events},
        ),
    ]
