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
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        run = run_program(config, stack="scaling")
        best = min(best, time.perf_counter() - start)
    resources = len(run.resources)
    return {
        "groups": groups,
        "resources": resources,
        "seconds": round(best, 3),
        "ms_per_resource": round(best * 1000 / resources, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),  # KiB on Linux
    }


if __name__ == "__main__":
    groups = int(sys.argv[1])
    # Smaller fleets are repeated for a stable minimum; 2,000 groups run once (about half a minute).
    print(json.dumps(measure(groups, repeats=max(1, min(5, 400 // groups)))))
