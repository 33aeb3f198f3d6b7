"""runbook_sim's runner for the notice runbooks (documents/advance-notice.yaml, window-summary.yaml): the
same step runner and fault injection, plus the Systems Manager calls they make that moto 5 lacks, answered
from data the test seeds (each item checked against botocore's output shape, tests/moto_aws.py), and a
frozen clock for the advance notice.

Modelled from AWS's API reference:
- ``DescribeMaintenanceWindowSchedule`` (API_DescribeMaintenanceWindowSchedule.html): the window's
  upcoming executions, ``ExecutionTime`` "in ISO-8601 Extended format" (API_ScheduledWindowExecution.html).
- ``GetCalendarState`` with ``AtTime`` (API_GetCalendarState.html): the state at that time (seeded per time).
- ``GetMaintenanceWindowExecution``, ``DescribeMaintenanceWindowExecutionTasks``,
  ``DescribeMaintenanceWindowExecutionTaskInvocations``, ``ListCommandInvocations`` (their API pages): one
  execution's tasks, their Run Command invocations and the command's per-instance results (seeded).
- ``GetAutomationExecution`` (API_GetAutomationExecution.html): a snapshotBeforeInstall window's per-node
  runbook run, its ``Parameters`` and ``StepExecutions`` (API_AutomationExecution.html,
  API_StepExecution.html; seeded as ``"automations"`` of an execution).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.exceptions
import botocore.session
from moto_aws import _Checker
from runbook_sim import Runner, _Client, select

_SSM = botocore.session.get_session().get_service_model("ssm")


def checked(operation: str, response: dict[str, Any]) -> dict[str, Any]:
    """A seeded response, refused unless AWS could send it (botocore's output shape)."""
    _Checker.check(_SSM.operation_model(operation).output_shape, response, operation)
    return response


class NoticeRunner(Runner):
    """One execution of a notice runbook, at ``now`` (the advance notice's clock)."""

    def __init__(
        self,
        document: Mapping[str, Any],
        parameters: Mapping[str, Any] | None = None,
        *,
        now: datetime,
        schedules: Mapping[str, list[str]] | None = None,
        calendar_at: Mapping[str, str] | None = None,
        executions: Mapping[str, dict[str, Any]] | None = None,
        **kwargs: Any,
    ):
        super().__init__(document, parameters, **kwargs)
        self.now = now
        self.schedules = dict(schedules or {})
        """Window id -> the ExecutionTime strings DescribeMaintenanceWindowSchedule returns."""
        self.calendar_at = dict(calendar_at or {})
        """AtTime -> OPEN | CLOSED (default: the runner's calendar_state)."""
        self.executions = dict(executions or {})
        """Window execution id -> {"execution": ..., "tasks": [...], "invocations": {task: [...]},
        "commands": {command id: [...]}} (responses of the four calls)."""

    def _ssm_DescribeMaintenanceWindowSchedule(self, WindowId: str, **_: Any) -> Any:
        found = [{"WindowId": WindowId, "ExecutionTime": t} for t in self.schedules.get(WindowId, [])]
        return checked("DescribeMaintenanceWindowSchedule", {"ScheduledWindowExecutions": found})

    def _ssm_GetCalendarState(self, CalendarNames: list[str], AtTime: str | None = None) -> Any:
        state = self.calendar_at.get(AtTime or "", self.calendar_state)
        return checked("GetCalendarState", {"State": state, "AtTime": AtTime or "2026-12-04T16:20:00Z"})

    def _execution(self, execution_id: str) -> dict[str, Any]:
        if execution_id not in self.executions:
            raise botocore.exceptions.ClientError(
                {"Error": {"Code": "DoesNotExistException", "Message": f"{execution_id} does not exist"}}, "Get"
            )
        return self.executions[execution_id]

    def _ssm_GetMaintenanceWindowExecution(self, WindowExecutionId: str) -> Any:
        response = dict(checked("GetMaintenanceWindowExecution", self._execution(WindowExecutionId)["execution"]))
        for key in ("StartTime", "EndTime"):  # as botocore hands timestamps to the caller
            if key in response:
                response[key] = datetime.fromtimestamp(response[key], UTC)
        return response

    def _ssm_DescribeMaintenanceWindowExecutionTasks(self, WindowExecutionId: str, **_: Any) -> Any:
        tasks = self._execution(WindowExecutionId)["tasks"]
        return checked("DescribeMaintenanceWindowExecutionTasks", {"WindowExecutionTaskIdentities": tasks})

    def _ssm_DescribeMaintenanceWindowExecutionTaskInvocations(
        self, WindowExecutionId: str, TaskId: str, **_: Any
    ) -> Any:
        found = self._execution(WindowExecutionId)["invocations"].get(TaskId, [])
        return checked(
            "DescribeMaintenanceWindowExecutionTaskInvocations", {"WindowExecutionTaskInvocationIdentities": found}
        )

    def _ssm_GetAutomationExecution(self, AutomationExecutionId: str) -> Any:
        for execution in self.executions.values():
            if AutomationExecutionId in execution.get("automations", {}):
                found = execution["automations"][AutomationExecutionId]
                return checked("GetAutomationExecution", {"AutomationExecution": found})
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "AutomationExecutionNotFoundException", "Message": AutomationExecutionId}},
            "GetAutomationExecution",
        )

    def _ssm_ListCommandInvocations(self, CommandId: str, **_: Any) -> Any:
        found = [c for e in self.executions.values() for c in e["commands"].get(CommandId, [])]
        return checked("ListCommandInvocations", {"CommandInvocations": found})

    def _execute_script(self, step: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
        """runbook_sim's, with the module's clock set to ``now``."""
        payload = self.resolve(inputs.get("InputPayload") or {})
        namespace: dict[str, Any] = {}
        exec(compile(inputs["Script"], step["name"], "exec"), namespace)
        if "utc_now" in namespace:
            namespace["utc_now"] = lambda: self.now
        real_client, real_sleep = boto3.client, time.sleep
        boto3.client = lambda service, *a, **k: _Client(self, service)  # type: ignore[assignment]
        time.sleep = self.sleeps.append  # type: ignore[assignment]
        try:
            result = namespace[inputs["Handler"]](payload, None)
        finally:
            boto3.client, time.sleep = real_client, real_sleep  # type: ignore[assignment]
        response = {"Payload": result}
        return {o["Name"]: select(response, o["Selector"]) for o in step.get("outputs") or []}
