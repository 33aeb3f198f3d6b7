"""Generated customer configs: the example mixed fleet scaled up (benchmarks/corpus.py writes the
validation corpus).

Everything derives from the bundled ``stacks/Pulumi.globex.yaml`` so that the
benchmarks measure the shapes real customers write, only more of them.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from patching_components.tools.engine import stack_file_config

ROOT = Path(__file__).resolve().parent.parent
STACKS = ROOT / "stacks"
MIXED_FLEET = STACKS / "Pulumi.globex.yaml"
GROUPS_PER_WINDOW = 10
GROUPS_PER_BASELINE = 10
GROUPS_PER_SCAN = 40


REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")


def scaled_fleet(groups: int, regions: int = 3) -> dict[str, Any]:
    """A globex-like config with ``groups`` patch groups in ``regions`` regions: one baseline
    (cycling through globex's four OSes) and one install window per ten groups, a nightly scan per
    forty (a window targets at most 50): groups share windows and each has two."""
    base = stack_file_config(MIXED_FLEET)
    baseline_templates = list(base["patching:baselines"].values())
    window_template = base["patching:maintenanceWindows"]["sat-install"]
    config = {key: value for key, value in base.items() if key not in ("patching:goldenAmis", "patching:notifications")}
    config["patching:notifications"] = {"emails": ["ops@globex.example"]}  # a topic per region
    if regions > 1:
        config["patching:regions"] = list(REGIONS[:regions])
    scan = base["patching:maintenanceWindows"]["nightly-scan"]
    baselines, windows, patch_groups = {}, {}, {}
    for index in range(groups):
        baseline = f"baseline-{index // GROUPS_PER_BASELINE:04d}"
        window = f"window-{index // GROUPS_PER_WINDOW:04d}"
        if baseline not in baselines:
            baselines[baseline] = copy.deepcopy(baseline_templates[len(baselines) % len(baseline_templates)])
        nightly = f"scan-{index // GROUPS_PER_SCAN:04d}"
        if nightly not in windows:
            windows[nightly] = dict(scan)
        if window not in windows:
            windows[window] = dict(window_template, schedule=f"cron(0 {len(windows) % 24} ? * SAT *)")
        patch_groups[f"group-{index:05d}"] = {"baselines": [baseline], "maintenanceWindows": [nightly, window]}
    config["patching:baselines"] = baselines
    config["patching:maintenanceWindows"] = windows
    config["patching:patchGroups"] = patch_groups
    return config
