"""Facts about IAM the policies and the config model share: the calls IAM cannot scope to a
resource, and what a policy document grants on wildcards (the patching standard's rule). Plain
values only: no Pulumi, no config model."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

# Calls that IAM cannot scope to a resource (their Resource must be "*"), per AWS's
# service authorization reference (tests check them against parliament's copy).
# The policy pack allows "*" for these only.
GOLDEN_AMI_READ_ACTIONS = (
    "ec2:DescribeImages",
    "ec2:DescribeInstanceStatus",
    "ec2:DescribeInstances",
    "ec2:DescribeSnapshots",
    "ec2:DescribeSubnets",
    "ssm:DescribeInstanceInformation",
    "ssm:ListCommandInvocations",
    "ssm:ListCommands",
)
"""What the golden AMI runbook reads (limited to its region by aws:RequestedRegion)."""
MAINTENANCE_WINDOW_READ_ACTIONS = (
    "ssm:CancelCommand",
    "ssm:GetCommandInvocation",
    "ssm:ListCommandInvocations",
    "ssm:ListCommands",
    "tag:GetResources",
)
"""What a maintenance window does around its Run Command tasks: follow and cancel them
(CANCEL_TASK at the cutoff), and find the instances its tag targets select."""
HOOK_READ_ACTIONS = ("autoscaling:DescribeAutoScalingInstances", "elasticloadbalancing:DescribeTargetHealth")
"""What patch hooks commonly read on the node (a drain hook waits for its target to drain; a standby hook
finds its group) and IAM cannot scope: patching:instanceRole.statements may grant them on "*"."""
LOG_GROUP_LOOKUP_ACTIONS = ("logs:DescribeLogGroups",)
"""The SSM agent looks the task's log group up before streaming output to it."""
RING_READ_ACTIONS = ("ssm:DescribeInstancePatchStatesForPatchGroup",)
"""What a ring's promotion runbook reads of the previous ring's nodes (patch groups are no IAM resource)."""
NO_RESOURCE_LEVEL_ACTIONS = frozenset(
    GOLDEN_AMI_READ_ACTIONS
    + MAINTENANCE_WINDOW_READ_ACTIONS
    + HOOK_READ_ACTIONS
    + LOG_GROUP_LOOKUP_ACTIONS
    + RING_READ_ACTIONS
)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def wildcard_grants(document: Any, show: Callable[[Any], str] = str) -> list[str]:
    """What an IAM policy document allows on wildcards: ``*`` or ``service:*`` actions, ``*`` resources
    for actions that IAM can scope to a resource (``NO_RESOURCE_LEVEL_ACTIONS`` it cannot). The
    patching standard's rule (policy pack), also what validate says of patching:instanceRole.statements.
    ``show`` writes an action in the message (``repr``: quoted, so that a secret one is left out)."""
    if isinstance(document, str):
        try:
            document = json.loads(document)
        except ValueError:
            return []  # not JSON yet (an unknown value in preview): nothing to judge
    if not isinstance(document, Mapping):
        return []
    problems = []
    for index, statement in enumerate(_listed(document.get("Statement") or []), start=1):
        if not isinstance(statement, Mapping) or statement.get("Effect") != "Allow":
            continue
        name = f"statement {statement.get('Sid') or index}"
        for key in ("NotAction", "NotResource"):
            if key in statement:
                problems.append(f"{name} allows with {key}, which grants everything not listed")
        actions = [a for a in _listed(statement.get("Action") or []) if a == "*" or str(a).endswith(":*")]
        if actions:
            problems.append(f"{name} allows every action of {', '.join(map(show, actions))}")
        if "*" in _listed(statement.get("Resource") or []):
            scoped = [a for a in _listed(statement.get("Action") or []) if a not in NO_RESOURCE_LEVEL_ACTIONS]
            if scoped:  # '*' is all IAM offers for the others
                problems.append(f"{name} allows Resource '*' for {', '.join(map(show, scoped))}")
    return problems


NOTICE_READ_ACTIONS = (
    "ec2:DescribeInstances",
    "ssm:DescribeMaintenanceWindowExecutionTaskInvocations",
    "ssm:DescribeMaintenanceWindowExecutionTasks",
    "ssm:DescribeMaintenanceWindowSchedule",
    "ssm:GetMaintenanceWindowExecution",
    "ssm:ListCommandInvocations",
)
"""What the advance-notice and window-summary runbooks read that IAM cannot scope (documents/advance-notice.yaml,
window-summary.yaml): a window's next openings, one execution's tasks and per-node commands, the tagged nodes."""
NO_RESOURCE_LEVEL_ACTIONS = NO_RESOURCE_LEVEL_ACTIONS | frozenset(NOTICE_READ_ACTIONS)


BREAKER_COMMAND_ACTIONS = (
    "ssm:CancelCommand",
    "ssm:DescribeAutomationExecutions",
    "ssm:DescribeMaintenanceWindowExecutionTaskInvocations",
    "ssm:DescribeMaintenanceWindowExecutionTasks",
)
"""What the circuit breaker calls to cancel the commands already running in the executions it cancels, and to find
the customer's catch-up runs: no resource type in IAM's action table (documents/circuit-breaker.yaml;
docs/aws-behaviour.md)."""
NO_RESOURCE_LEVEL_ACTIONS = NO_RESOURCE_LEVEL_ACTIONS | frozenset(BREAKER_COMMAND_ACTIONS)
