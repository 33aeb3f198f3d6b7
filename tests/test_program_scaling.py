"""The program's work grows with the fleet, not faster (issue 27, item 8): the patch groups of each
baseline and window are found in one pass over the groups."""

from __future__ import annotations

from patching_components.config import StackConfig

WINDOW = {"schedule": "cron(0 3 ? * SAT *)", "operation": "Install", "durationHours": 3, "cutoffHours": 1}


def stack(patch_groups: dict) -> StackConfig:
    return StackConfig.model_validate(
        {
            "customer": "acme",
            "baselines": {
                "al2023": {"operatingSystem": "AMAZON_LINUX_2023"},
                "ubuntu": {"operatingSystem": "UBUNTU"},
                "unused": {"operatingSystem": "WINDOWS"},
            },
            "maintenanceWindows": {"sat": WINDOW, "sun": {**WINDOW, "schedule": "cron(0 3 ? * SUN *)"}},
            "patchGroups": patch_groups,
        }
    )


def test_groups_of_each_baseline_and_window_every_key_in_config_order_groups_in_file_order():
    config = stack(
        {
            "web": {"baselines": ["ubuntu"], "maintenanceWindows": ["sun", "sat"]},
            "db": {"baselines": ["al2023", "ubuntu"], "maintenanceWindows": ["sat"]},
            "batch": {"baselines": ["al2023"], "maintenanceWindows": ["sun"]},
            "lab": {},
        }
    )
    by_baseline, by_window = config.groups_by_baseline(), config.groups_by_window()
    assert by_baseline == {"al2023": ["db", "batch"], "ubuntu": ["web", "db"], "unused": []}
    assert list(by_baseline) == ["al2023", "ubuntu", "unused"]
    assert by_window == {"sat": ["web", "db"], "sun": ["web", "batch"]}
    assert list(by_window) == ["sat", "sun"]


def test_each_call_is_a_new_mapping():
    """The callers may change what they get: it is not shared with the config or with another call."""
    config = stack({"web": {"baselines": ["ubuntu"], "maintenanceWindows": ["sat", "sun"]}})
    first = config.groups_by_window()
    first["sat"].append("db")
    assert config.groups_by_window()["sat"] == ["web"]
