"""One scaling measurement (benchmarks.fleet.scaled_fleet, three regions), run in a fresh
interpreter so that its peak RSS is its own: ``python -m benchmarks.scaling GROUPS`` prints a
JSON object."""

from __future__ import annotations

import gc
import json
import resource
import sys
import time

from patching_components.tools.engine import run_program

from .fleet import scaled_fleet


def measure(groups: int, repeats: int) -> dict[str, float]:
    # Warm up on the smallest fleet: imports and caches load outside the timing.
    run_program(scaled_fleet(10), stack="warmup")
    config = scaled_fleet(groups)
    # CPU time of the process (the mock engine's threads included), not wall time: on a shared
    # machine the single long run at 2,000 groups absorbs more of the others' load than the best of
    # several short ones, which made the per-resource ratio a measure of the load.
    best = best_wall = float("inf")
    for _ in range(repeats):
        gc.collect()
        start, start_wall = time.process_time(), time.perf_counter()
        run = run_program(config, stack="scaling")
        best = min(best, time.process_time() - start)
        best_wall = min(best_wall, time.perf_counter() - start_wall)
    resources = len(run.resources)
    return {
        "groups": groups,
        "resources": resources,
        "seconds": round(best, 3),
        "wall_seconds": round(best_wall, 3),
        "ms_per_resource": round(best * 1000 / resources, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),  # KiB on Linux
    }


if __name__ == "__main__":
    groups = int(sys.argv[1])
    # Smaller fleets are repeated for a stable minimum; 2,000 groups run once (about half a minute).
    print(json.dumps(measure(groups, repeats=max(1, min(5, 400 // groups)))))
