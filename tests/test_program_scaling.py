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


def test_the_program_runs_without_the_cycle_collector_and_an_in_process_run_gives_it_back():
    """The collector walked the outputs Pulumi keeps alive again and again, a third of a 2,000-group
    run (BENCHMARKS.md): the program turns it off; `patching plan` and the tests, which run the
    program in their own process, get it back when the run ends."""
    import gc

    from conftest import EXAMPLE_STACKS
    from patching_components import program
    from patching_components.tools.engine import run_program, stack_file_config

    collecting: list[bool] = []

    def main() -> None:
        program.main()
        collecting.append(gc.isenabled())

    assert gc.isenabled()
    run = run_program(stack_file_config(EXAMPLE_STACKS[0]), stack="gc", program=main)
    assert run.resources and collecting == [False]
    assert gc.isenabled()
