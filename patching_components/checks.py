"""Everything `patching validate` checks about a stack file, offline.

Beyond the config model: the parameters of every patch task (AWS checks them
only when the window opens) and the Automation document of every golden AMI
pipeline, exactly as the components would build them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import standard
from .config import ConfigError, Issue, StackConfig, read_stack_document, read_stack_file
from .standard import approval_rule, baseline_advice_for


def standard_issues(config: StackConfig) -> list[Issue]:
    """The patching standard's mandatory rules, as the policy pack applies them at preview."""
    waivable = f"the patching standard; waive with patching:tags.{standard.WAIVER_TAG}: <reason>"
    waived = bool(config.tags.get(standard.WAIVER_TAG))  # every baseline carries patching:tags
    issues = []
    for key, baseline in config.baselines.items():
        rule = approval_rule(baseline)
        found = (
            []
            if waived
            else [(v, waivable) for v in standard.security_only_violations(baseline.operating_system, rule)]
        )
        found += [
            (v, "the patching standard") for v in standard.approval_delay_violations(baseline.operating_system, rule)
        ]
        issues += [Issue(("baselines", key, v.field), f"the approval rule {v.message} ({why})") for v, why in found]
    for key, window in config.maintenance_windows.items():
        issues += [
            Issue(("maintenanceWindows", key, v.field), f"{v.message} (the patching standard)")
            for v in standard.cutoff_violations(window.cutoff_hours)
        ]
    return issues


def build_issues(config: StackConfig) -> list[Issue]:
    """Problems the built resources would have, for a config that validated."""
    return standard_issues(config)


def warnings(config: StackConfig) -> list[Issue]:
    """What AWS accepts but would quietly not do the job (exit 0; see :mod:`standard`)."""
    return (
        [
            Issue(("baselines", key, advice.field), advice.message)
            for key, baseline in config.baselines.items()
            for advice in baseline_advice_for(baseline)
        ]
        + [
            Issue(("maintenanceWindows", key, advice.field), advice.message)
            for key, window in config.maintenance_windows.items()
            for advice in standard.window_advice(window.cutoff_behavior)
        ]
        + [
            Issue((advice.field,), advice.message)
            for advice in standard.window_role_advice(list(config.patch_groups), config.patch_group_tag_key)
        ]
    )


@dataclass(frozen=True)
class CheckedStack:
    config: StackConfig
    warnings: list[Issue]
    """What AWS accepts but would quietly not do the job, with their stack-file lines."""


def check_stack(path: str | Path) -> CheckedStack:
    """Read a stack file once; validate it, apply the patching standard, find its warnings.
    ConfigError lists every problem, each with its line."""
    source = str(path)
    document = read_stack_document(read_stack_file(path), source)
    config = document.validate()
    # The standard on a secret's stand-in says nothing about its value: that check is skipped (noted).
    secrets = [note.path for note in document.offline.notes]
    issues = [i for i in build_issues(config) if not any(i.path[: len(path)] == path for path in secrets)]
    if issues:
        raise ConfigError(source, document.locate(issues))
    return CheckedStack(config, document.locate(document.offline.notes + warnings(config)))


def check_stack_file(path: str | Path) -> StackConfig:
    """What `patching validate` checks, for a stack file; ConfigError lists every problem."""
    return check_stack(path).config
