"""A step runner of our own for the Automation runbooks we ship, driving their REAL step
definitions (the document the component builds, with its parameter defaults) against moto.

What it models, from AWS's documentation of Automation ("Automation actions", its common
properties; "Understanding Automation statuses"):

- ``aws:executeAwsApi`` is one API call (boto3, against moto); its outputs are JSONPath
  selectors on the response. ``aws:waitForAwsResourceProperty`` polls an API until the selected
  property has a desired value (no real waiting). ``aws:executeScript`` runs the embedded Python
  handler with its InputPayload; every ``boto3.client(...)`` it makes is ours, so its calls go
  through the same layer. ``aws:changeInstanceState`` is Stop/Start/TerminateInstances and a
  DescribeInstances poll. ``aws:runCommand`` sends the command (SendCommand through the layer)
  and ends as the path says (Success, Failed, TimedOut, Cancelled). ``aws:sleep`` does not sleep.
  ``aws:branch`` evaluates its Choices (StringEquals, NumericEquals, BooleanEquals, Contains).
- A step's outcome is Success, Failed, TimedOut or Cancelled. ``maxAttempts`` repeats a failed or
  timed-out step. ``onFailure``: Abort ends the execution with the step's status; Continue goes
  on; ``step:X`` goes to X. ``onCancel``: Abort ends it Cancelled; ``step:X`` runs X (and what
  follows X) before the execution ends Cancelled. ``isCritical`` is evaluated only where a step
  sets it: a failure routed elsewhere marks the execution Failed only when the failed step says
  ``isCritical: true``; otherwise the steps that follow decide. ``isEnd`` / ``nextStep`` as
  written; without them the next step in the list.
- A command cancelled outside the execution fails its aws:runCommand step (AWS documents no
  other outcome; either way the run cannot end Success).

What moto lacks, modelled here from AWS's API reference: EC2's ClientToken idempotency on
RunInstances (a repeated request returns the first instance), a block device mapping that
inherits the image's snapshot, snapshot tags given to CreateImage, the instance profile IAM has
not propagated yet ("Invalid IAM Instance Profile name"), DescribeInstanceInformation (a running
instance is Online), DescribeInstancePatchStates (written by a successful AWS-RunPatchBaseline
Install), GetCalendarState, and a window's Enabled (UpdateMaintenanceWindow, GetMaintenanceWindow).

Failure injection (:class:`Fault`): the first call a step makes to one API (i) fails with an
error, (ii) times out (the step times out), (iii) takes effect but loses its response, or (iv) the
execution is cancelled while that step runs. :func:`fault_matrix` derives every (step, API, kind)
from the document itself (each step's action, each boto3 call in its script), so a new step or
call is covered without editing the tests.
"""

from __future__ import annotations

import ast
import copy
import functools
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
import botocore
import botocore.exceptions
import botocore.session

ACCOUNT, REGION = "123456789012", "eu-west-1"
KINDS = ("error", "timeout", "lost")
COMMAND_OUTCOMES = ("Failed", "TimedOut", "Cancelled")
WAIT_POLLS = 5
"""How often aws:waitForAwsResourceProperty polls before its step times out."""


class StepTimedOut(BaseException):
    """The step ran past its timeoutSeconds."""


class ExecutionCancelled(BaseException):
    """StopAutomationExecution arrived while the step ran."""


class StepFailed(Exception):
    pass


@dataclass(frozen=True)
class Fault:
    step: str
    api: str | None
    """The API (``RunInstances``) whose first call in the step fails; None with kind ``cancel``."""
    kind: str
    """error | timeout | lost | cancel | command:Failed | command:TimedOut | command:Cancelled"""

    def __str__(self) -> str:
        return f"{self.step}:{self.api or '-'}:{self.kind}"


@dataclass
class Execution:
    status: str
    history: list[tuple[str, str]]
    """(step, its status) in the order they ran (one entry per attempt)."""
    outputs: dict[str, dict[str, Any]]
    injected: bool
    """Whether the fault was applied (its step and call were reached)."""
    failures: dict[str, str] = field(default_factory=dict)
    """The last error message of each failed step."""

    def ran(self, step: str) -> list[str]:
        return [status for name, status in self.history if name == step]


# -- the calls each step makes, from the document --------------------------------------------------

_CHANGE_STATE_APIS = {"stopped": "StopInstances", "terminated": "TerminateInstances", "running": "StartInstances"}


def _api_name(service: str, method: str) -> str:
    return _api_names(service)[method]


@functools.cache
def _api_names(service: str) -> dict[str, str]:
    """boto3 method -> API name (``describe_images`` -> ``DescribeImages``), from botocore's model."""
    model = botocore.session.get_session().get_service_model(service)
    return {botocore.xform_name(op): op for op in model.operation_names}


def script_calls(script: str) -> list[tuple[str, str]]:
    """(service, API) of every ``<client>.<method>(...)`` on a ``boto3.client(service)`` in a script."""
    tree = ast.parse(script)
    clients: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            if getattr(node.value.func, "attr", None) == "client" and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name):
                    clients[target.id] = node.value.args[0].value  # type: ignore[attr-defined]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name) and owner.id in clients:
                service = clients[owner.id]
                call = (service, _api_name(service, node.func.attr))
                if call not in found:
                    found.append(call)
    return found


def step_calls(step: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The AWS calls a step makes, in the order it makes them."""
    action, inputs = step["action"], step.get("inputs") or {}
    if action in ("aws:executeAwsApi", "aws:waitForAwsResourceProperty"):
        return [(inputs["Service"].lower(), inputs["Api"])]
    if action == "aws:executeScript":
        return script_calls(inputs["Script"])
    if action == "aws:changeInstanceState":
        return [("ec2", _CHANGE_STATE_APIS[inputs["DesiredState"]]), ("ec2", "DescribeInstances")]
    if action == "aws:runCommand":
        return [("ssm", "SendCommand")]
    if action in ("aws:sleep", "aws:branch"):
        return []
    raise AssertionError(f"step {step['name']!r}: the simulator has no model of {action}; add one")


def fault_matrix(document: Mapping[str, Any], steps: list[str] | None = None) -> list[Fault]:
    """Every fault of every step (of ``steps``, default all): each of its calls failing each way,
    the execution cancelled while it runs, and each other end of each command it runs."""
    faults = []
    for step in document["mainSteps"]:
        if steps is not None and step["name"] not in steps:
            continue
        for _, api in step_calls(step):
            faults += [Fault(step["name"], api, kind) for kind in KINDS]
        if step["action"] == "aws:runCommand":
            faults += [Fault(step["name"], "SendCommand", f"command:{outcome}") for outcome in COMMAND_OUTCOMES]
        faults.append(Fault(step["name"], None, "cancel"))
    return faults


# -- references and selectors -------------------------------------------------------------------

_WHOLE = re.compile(r"^\{\{\s*([^{}\s]+)\s*\}\}$")
_ANY = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")


def select(data: Any, selector: str) -> Any:
    """A JSONPath of the form AWS's examples use: ``$.A.B[0].C``."""
    value = data
    for name, index in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", selector.removeprefix("$")):
        if name:
            value = value[name]
        else:
            value = value[int(index)]
    return value


# -- the runner ---------------------------------------------------------------------------------


class Runner:
    """One execution of one document against the moto account in this process (``mock_aws`` must
    be active). Resources are found by their tags: many executions can share one moto account."""

    def __init__(
        self,
        document: Mapping[str, Any],
        parameters: Mapping[str, Any] | None = None,
        *,
        execution_id: str,
        fault: Fault | None = None,
        calendar_state: str = "OPEN",
        denied: frozenset[str] = frozenset(),
        profile_ready_after: int = 0,
    ):
        self.document = copy.deepcopy(dict(document))
        declared = self.document.get("parameters") or {}
        self.parameters = {name: spec.get("default") for name, spec in declared.items()}
        self.parameters.update(parameters or {})
        self.execution_id = execution_id
        self.fault = fault
        self.calendar_state = calendar_state
        self.denied = denied
        """Resource ids whose every call is denied (AccessDeniedException)."""
        self.profile_ready_after = profile_ready_after
        """RunInstances calls that fail with "Invalid IAM Instance Profile name" first (IAM propagation)."""
        self.injected = False
        self.cancelled = False
        self.outputs: dict[str, dict[str, Any]] = {}
        self.step = ""
        self.clients = {s: boto3.client(s, region_name=REGION) for s in ("ec2", "ssm", "sns")}
        self.launches = 0
        """Instances really launched (RunInstances requests that were not repeats of a ClientToken)."""
        self.tokens: dict[str, Any] = {}
        self.patch_states: dict[str, dict[str, Any]] = {}
        self.sleeps: list[float] = []

    # references

    def resolve(self, value: Any) -> Any:
        if isinstance(value, str):
            whole = _WHOLE.match(value)
            if whole:
                return self._reference(whole.group(1))
            return _ANY.sub(lambda m: str(self._reference(m.group(1))), value)
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, Mapping):
            return {k: self.resolve(v) for k, v in value.items()}
        return value

    def _reference(self, name: str) -> Any:
        system = {
            "automation:EXECUTION_ID": self.execution_id,
            "automation:AUTOMATION_EXECUTION_ID": self.execution_id,
            "global:ACCOUNT_ID": ACCOUNT,
            "global:REGION": REGION,
            "global:AWS_PARTITION": "aws",
            "global:DATE": "2026-12-04",
            "global:DATE_TIME": "2026-12-04_16.20.00",
        }
        if name in system:
            return system[name]
        if "." in name:
            step, output = name.split(".", 1)
            return self.outputs[step][output]
        return self.resolve(self.parameters[name])

    # the AWS call layer

    def call(self, service: str, api: str, params: Mapping[str, Any]) -> Any:
        """Every AWS call of every step, with the path's fault applied to the first call of its API."""
        fault = self.fault
        hit = (
            fault is not None
            and not self.injected
            and fault.kind in KINDS
            and (fault.step, fault.api) == (self.step, api)
        )
        if hit:
            self.injected = True
            assert fault is not None
            if fault.kind == "error":
                raise botocore.exceptions.ClientError(
                    {"Error": {"Code": "ServiceUnavailable", "Message": "injected: the service is unavailable"}}, api
                )
            if fault.kind == "timeout":
                raise StepTimedOut(f"{api} did not return within the step's timeout")
        for value in _strings(params):
            if value in self.denied:
                raise botocore.exceptions.ClientError(
                    {"Error": {"Code": "AccessDeniedException", "Message": f"not authorized to act on {value}"}}, api
                )
        overlay = getattr(self, f"_{service}_{api}", None)
        response = overlay(**params) if overlay else getattr(self.clients[service], botocore.xform_name(api))(**params)
        if hit:  # it took effect; the response is lost on the way back
            raise botocore.exceptions.ReadTimeoutError(endpoint_url=f"https://{service}.{REGION}.amazonaws.com/")
        return response

    def _ec2_RunInstances(self, **request: Any) -> Any:
        ec2 = self.clients["ec2"]
        token = request.get("ClientToken")
        if token in self.tokens:  # EC2 idempotency: the same token returns the instance launched with it
            return self.tokens[token]
        if self.profile_ready_after > 0:
            self.profile_ready_after -= 1
            name = request.get("IamInstanceProfile", {}).get("Name")
            raise botocore.exceptions.ClientError(
                {
                    "Error": {
                        "Code": "InvalidParameterValue",
                        "Message": f"Value ({name}) for parameter iamInstanceProfile.name is invalid. "
                        "Invalid IAM Instance Profile name",
                    }
                },
                "RunInstances",
            )
        # A mapping without a snapshot or size inherits the image's (moto wants one of them).
        (image,) = ec2.describe_images(ImageIds=[request["ImageId"]])["Images"]
        inherited = {m["DeviceName"]: m["Ebs"] for m in image.get("BlockDeviceMappings", []) if "Ebs" in m}
        mappings = []
        for mapping in request.get("BlockDeviceMappings", []):
            ebs = dict(mapping.get("Ebs", {}))
            if "SnapshotId" not in ebs and "VolumeSize" not in ebs and mapping["DeviceName"] in inherited:
                ebs["SnapshotId"] = inherited[mapping["DeviceName"]]["SnapshotId"]
            ebs.pop("KmsKeyId", None)
            mappings.append({**mapping, "Ebs": ebs})
        self.launches += 1
        response = ec2.run_instances(**{**request, "BlockDeviceMappings": mappings})
        if token:
            self.tokens[token] = response
        return response

    def _ec2_CreateImage(self, **request: Any) -> Any:
        ec2 = self.clients["ec2"]
        specs = request.pop("TagSpecifications", [])
        snapshot_tags = [t for s in specs if s["ResourceType"] == "snapshot" for t in s["Tags"]]
        image_specs = [s for s in specs if s["ResourceType"] == "image"]
        response = ec2.create_image(**request, TagSpecifications=image_specs)
        (image,) = ec2.describe_images(ImageIds=[response["ImageId"]])["Images"]
        snapshots = [m["Ebs"]["SnapshotId"] for m in image.get("BlockDeviceMappings", []) if "Ebs" in m]
        if snapshots and snapshot_tags:
            ec2.create_tags(Resources=snapshots, Tags=snapshot_tags)
        return response

    def _ssm_DescribeInstanceInformation(self, Filters: list[dict[str, Any]]) -> Any:
        (ids,) = [f["Values"] for f in Filters if f["Key"] == "InstanceIds"]
        reservations = self.clients["ec2"].describe_instances(InstanceIds=ids)["Reservations"]
        online = [i for r in reservations for i in r["Instances"] if i["State"]["Name"] == "running"]
        return {"InstanceInformationList": [{"InstanceId": i["InstanceId"], "PingStatus": "Online"} for i in online]}

    def _ssm_DescribeInstancePatchStates(self, InstanceIds: list[str]) -> Any:
        return {"InstancePatchStates": [self.patch_states[i] for i in InstanceIds if i in self.patch_states]}

    def _ssm_GetCalendarState(self, CalendarNames: list[str]) -> Any:
        return {"State": self.calendar_state, "AtTime": "2026-12-04T16:20:00Z"}

    def _ssm_UpdateMaintenanceWindow(self, WindowId: str, **changes: Any) -> Any:
        from moto.ssm.models import ssm_backends

        windows = ssm_backends[ACCOUNT][REGION].windows
        if WindowId not in windows:
            raise botocore.exceptions.ClientError(
                {
                    "Error": {
                        "Code": "DoesNotExistException",
                        "Message": f"Maintenance window {WindowId} does not exist",
                    }
                },
                "UpdateMaintenanceWindow",
            )
        if "Enabled" in changes:
            windows[WindowId].sim_enabled = changes["Enabled"]
        return {"WindowId": WindowId}

    def _ssm_GetMaintenanceWindow(self, WindowId: str) -> Any:
        from moto.ssm.models import ssm_backends

        response = self.clients["ssm"].get_maintenance_window(WindowId=WindowId)  # moto: always Enabled
        return {**response, "Enabled": window_enabled(ssm_backends[ACCOUNT][REGION].windows[WindowId])}

    def _ssm_SendCommand(self, **request: Any) -> Any:
        return {"Command": {"CommandId": f"cmd-{self.execution_id}-{self.step}", "Status": "Pending"}}

    # the steps

    def run(self) -> Execution:
        steps = self.document["mainSteps"]
        names = [s["name"] for s in steps]
        by_name = {s["name"]: s for s in steps}
        history: list[tuple[str, str]] = []
        failures: dict[str, str] = {}
        critical_failure = False
        current: str | None = names[0]
        final: str | None = None
        while current is not None:
            step = by_name[current]
            following = names[names.index(current) + 1] if names.index(current) + 1 < len(names) else None
            status, message = self._attempts(step, history)
            if message:
                failures[current] = message
            if status == "Success":
                if step.get("isEnd"):
                    current = None
                elif step["action"] == "aws:branch":
                    current = self._branch(step)
                else:
                    current = step.get("nextStep") or following
            elif status == "Cancelled":
                target = _target(step.get("onCancel", "Abort"))
                if target is None:
                    final = "Cancelled"
                    break
                current = target
            else:  # Failed, TimedOut
                on_failure = step.get("onFailure", "Abort")
                critical_failure |= step.get("isCritical") is True and on_failure != "Abort"
                if on_failure == "Abort":
                    final = "Cancelled" if self.cancelled else status
                    break
                current = (step.get("nextStep") or following) if on_failure == "Continue" else _target(on_failure)
        if final is None:
            final = "Cancelled" if self.cancelled else ("Failed" if critical_failure else "Success")
        return Execution(final, history, self.outputs, self.injected, failures)

    def _attempts(self, step: Mapping[str, Any], history: list[tuple[str, str]]) -> tuple[str, str]:
        attempts = int(step.get("maxAttempts", 1))
        status, message = "Failed", ""
        for _ in range(attempts):
            self.step = step["name"]
            try:
                if (
                    self.fault is not None
                    and self.fault.kind == "cancel"
                    and self.fault.step == step["name"]
                    and not self.cancelled
                ):
                    self.injected = True
                    raise ExecutionCancelled(step["name"])
                self.outputs[step["name"]] = self._run_step(step)
                status, message = "Success", ""
            except ExecutionCancelled:
                self.cancelled = True
                history.append((step["name"], "Cancelled"))
                return "Cancelled", "cancelled"
            except StepTimedOut as timeout:
                status, message = "TimedOut", str(timeout)
            except Exception as error:
                status, message = "Failed", f"{type(error).__name__}: {error}"
            history.append((step["name"], status))
            if status == "Success":
                break
        return status, message

    def _run_step(self, step: Mapping[str, Any]) -> dict[str, Any]:
        action, inputs = step["action"], step.get("inputs") or {}
        handler = {
            "aws:executeAwsApi": self._execute_aws_api,
            "aws:executeScript": self._execute_script,
            "aws:waitForAwsResourceProperty": self._wait_for_property,
            "aws:changeInstanceState": self._change_instance_state,
            "aws:runCommand": self._run_command,
            "aws:sleep": lambda _step, _inputs: {},
            "aws:branch": lambda _step, _inputs: {},
        }[action]
        return handler(step, inputs)

    def _execute_aws_api(self, step: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
        params = {k: self.resolve(v) for k, v in inputs.items() if k not in ("Service", "Api")}
        response = self.call(inputs["Service"].lower(), inputs["Api"], params)
        return {o["Name"]: select(response, o["Selector"]) for o in step.get("outputs") or []}

    def _execute_script(self, step: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
        payload = self.resolve(inputs.get("InputPayload") or {})
        namespace: dict[str, Any] = {}
        exec(compile(inputs["Script"], step["name"], "exec"), namespace)
        real_client, real_sleep = boto3.client, time.sleep
        boto3.client = lambda service, *a, **k: _Client(self, service)  # type: ignore[assignment]
        time.sleep = self.sleeps.append  # type: ignore[assignment]
        try:
            result = namespace[inputs["Handler"]](payload, None)
        finally:
            boto3.client, time.sleep = real_client, real_sleep  # type: ignore[assignment]
        response = {"Payload": result}
        return {o["Name"]: select(response, o["Selector"]) for o in step.get("outputs") or []}

    def _wait_for_property(self, step: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
        params = {
            k: self.resolve(v)
            for k, v in inputs.items()
            if k not in ("Service", "Api", "PropertySelector", "DesiredValues")
        }
        desired = [str(v) for v in inputs["DesiredValues"]]
        for _ in range(WAIT_POLLS):
            response = self.call(inputs["Service"].lower(), inputs["Api"], params)
            try:
                if str(select(response, inputs["PropertySelector"])) in desired:
                    return {}
            except (KeyError, IndexError):
                pass  # not there yet
        raise StepTimedOut(f"{inputs['PropertySelector']} never became one of {desired}")

    def _change_instance_state(self, step: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
        ids = self.resolve(inputs["InstanceIds"])
        desired = inputs["DesiredState"]
        self.call("ec2", _CHANGE_STATE_APIS[desired], {"InstanceIds": ids})
        for _ in range(WAIT_POLLS):
            reservations = self.call("ec2", "DescribeInstances", {"InstanceIds": ids})["Reservations"]
            if all(i["State"]["Name"] == desired for r in reservations for i in r["Instances"]):
                return {}
        raise StepTimedOut(f"the instances never became {desired}")

    def _run_command(self, step: Mapping[str, Any], inputs: Mapping[str, Any]) -> dict[str, Any]:
        request = {k: self.resolve(v) for k, v in inputs.items()}
        parameters = request.get("Parameters", {}).items()
        request["Parameters"] = {k: v if isinstance(v, list) else [str(v)] for k, v in parameters}
        command = self.call("ssm", "SendCommand", request)["Command"]
        outcome = "Success"
        if self.fault is not None and self.fault.step == step["name"] and self.fault.kind.startswith("command:"):
            self.injected = True
            outcome = self.fault.kind.split(":", 1)[1]
        if outcome == "TimedOut":
            raise StepTimedOut(f"command {command['CommandId']} timed out")
        if outcome != "Success":
            raise StepFailed(f"command {command['CommandId']} ended {outcome}")
        for instance_id in request["InstanceIds"]:
            if request["DocumentName"] == "AWS-RunPatchBaseline":
                self.patch_states[instance_id] = {
                    "InstanceId": instance_id,
                    "PatchGroup": "sim",
                    "BaselineId": "pb-0123456789abcdef0",
                    "Operation": request["Parameters"]["Operation"][0],
                    "OperationStartTime": "2026-12-04T16:00:00Z",
                    "OperationEndTime": "2026-12-04T16:30:00Z",
                    "MissingCount": 0,
                    "FailedCount": 0,
                    "InstalledPendingRebootCount": 0,
                }
            if request["DocumentName"] == "AWSEC2-RunSysprep":
                self.clients["ec2"].stop_instances(InstanceIds=[instance_id])  # Sysprep shuts Windows down
        return {"CommandId": command["CommandId"], "Status": "Success"}

    def _branch(self, step: Mapping[str, Any]) -> str | None:
        inputs = step["inputs"]
        for choice in inputs.get("Choices", []):
            if self._choice(choice):
                return choice["NextStep"]
        return inputs.get("Default")

    def _choice(self, choice: Mapping[str, Any]) -> bool:
        if "And" in choice:
            return all(self._choice(c) for c in choice["And"])
        if "Or" in choice:
            return any(self._choice(c) for c in choice["Or"])
        if "Not" in choice:
            return not self._choice(choice["Not"])
        value = self.resolve(choice["Variable"])
        tests: dict[str, Callable[[Any], bool]] = {
            "StringEquals": lambda e: str(value) == str(e),
            "NumericEquals": lambda e: float(value) == float(e),
            "BooleanEquals": lambda e: str(value).lower() == str(e).lower(),
            "Contains": lambda e: e in value,
        }
        return any(tests[k](v) for k, v in choice.items() if k in tests)


class _Client:
    """What ``boto3.client(service)`` gives a script: every method call goes through the runner."""

    def __init__(self, runner: Runner, service: str):
        self._runner, self._service = runner, service
        self.exceptions = runner.clients[service].exceptions

    def __getattr__(self, method: str) -> Callable[..., Any]:
        api = _api_name(self._service, method)
        return lambda **params: self._runner.call(self._service, api, params)


def window_enabled(window: Any) -> bool:
    """A moto window's Enabled, as UpdateMaintenanceWindow left it (moto itself always says true)."""
    return getattr(window, "sim_enabled", True)


def set_window_enabled(window_id: str, enabled: bool) -> None:
    from moto.ssm.models import ssm_backends

    ssm_backends[ACCOUNT][REGION].windows[window_id].sim_enabled = enabled


def _target(value: Any) -> str | None:
    return value[len("step:") :] if isinstance(value, str) and value.startswith("step:") else None


def _strings(value: Any):
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


# -- the circuit breaker's calls moto lacks (documents/circuit-breaker.yaml) ------------------------
# moto 5 implements neither DescribeMaintenanceWindowExecutions nor CancelMaintenanceWindowExecution. Modelled from
# AWS's API reference: "DescribeMaintenanceWindowExecutions" (WindowExecutions of one WindowId, each with
# WindowExecutionId and Status; MaxResults 10-100, NextToken; a window that does not exist is DoesNotExistException)
# https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeMaintenanceWindowExecutions.html and
# "CancelMaintenanceWindowExecution" (stops an execution in progress; tasks not started are cancelled, tasks in progress
# go on) https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CancelMaintenanceWindowExecution.html,
# where the execution then reads CANCELLING (and later CANCELLED; MaintenanceWindowExecutionStatus in botocore).

WINDOW_EXECUTIONS: dict[str, list[dict[str, Any]]] = {}
"""Window id -> its executions (``WindowExecutionId``, ``Status``), as a test seeds them."""


def seed_window_execution(window_id: str, execution_id: str, status: str) -> None:
    WINDOW_EXECUTIONS.setdefault(window_id, []).append(
        {"WindowId": window_id, "WindowExecutionId": execution_id, "Status": status}
    )


def _no_window(window_id: str, api: str) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError(
        {"Error": {"Code": "DoesNotExistException", "Message": f"Maintenance window {window_id} does not exist"}}, api
    )


def _ssm_DescribeMaintenanceWindowExecutions(
    self: Runner, WindowId: str, MaxResults: int = 50, NextToken: str | None = None, **_: Any
) -> Any:
    from moto.ssm.models import ssm_backends

    if WindowId not in ssm_backends[ACCOUNT][REGION].windows:
        raise _no_window(WindowId, "DescribeMaintenanceWindowExecutions")
    if not 10 <= MaxResults <= 100:
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "ValidationException", "Message": "MaxResults must be 10-100"}},
            "DescribeMaintenanceWindowExecutions",
        )
    listed = WINDOW_EXECUTIONS.get(WindowId, [])
    start = int(NextToken or 0)
    page: dict[str, Any] = {"WindowExecutions": [dict(e) for e in listed[start : start + MaxResults]]}
    if start + MaxResults < len(listed):
        page["NextToken"] = str(start + MaxResults)
    return page


def _ssm_CancelMaintenanceWindowExecution(self: Runner, WindowExecutionId: str) -> Any:
    for executions in WINDOW_EXECUTIONS.values():
        for execution in executions:
            if execution["WindowExecutionId"] == WindowExecutionId:
                execution["Status"] = "CANCELLING"
                return {"WindowExecutionId": WindowExecutionId}
    raise botocore.exceptions.ClientError(
        {"Error": {"Code": "DoesNotExistException", "Message": f"{WindowExecutionId} does not exist"}},
        "CancelMaintenanceWindowExecution",
    )


Runner._ssm_DescribeMaintenanceWindowExecutions = _ssm_DescribeMaintenanceWindowExecutions  # type: ignore[attr-defined]
Runner._ssm_CancelMaintenanceWindowExecution = _ssm_CancelMaintenanceWindowExecution  # type: ignore[attr-defined]


# -- patch rings: what moto lacks for the promotion runbook ------------------------------------------


class RingRunner(Runner):
    """The ring promotion runbook's runner: S3 through moto, and two SSM reads moto does not implement,
    answered from what the test seeds, as AWS's API reference describes them:

    - ``DescribeMaintenanceWindowExecutions`` (https://docs.aws.amazon.com/systems-manager/latest/APIReference/
      API_DescribeMaintenanceWindowExecutions.html): a window's executions; filter keys ``ExecutedBefore`` and
      ``ExecutedAfter`` only (time stamps such as ``2024-11-04T05:00:00Z``; botocore's documentation of ``Filters``),
      any other key a ValidationException (AWS documents no error for it: refusing is the fail-closed fake);
      paginated by ``NextToken`` (pages of two here, so the runbook's paging is exercised). Unknown window:
      DoesNotExistException.
    - ``DescribeInstancePatchStatesForPatchGroup`` (https://docs.aws.amazon.com/systems-manager/latest/
      APIReference/API_DescribeInstancePatchStatesForPatchGroup.html): the patch state of each node of the group
      that has reported one (``InstancePatchStates``: InstanceId, PatchGroup, BaselineId, OperationStartTime,
      OperationEndTime, Operation, the counts), paginated by ``NextToken``.
    """

    PAGE = 2

    def __init__(
        self,
        document: Mapping[str, Any],
        parameters: Mapping[str, Any] | None = None,
        *,
        executions: Mapping[str, list[dict[str, Any]]],
        patch_states: Mapping[str, list[dict[str, Any]]],
        **kwargs: Any,
    ):
        super().__init__(document, parameters, **kwargs)
        self.clients["s3"] = boto3.client("s3", region_name=REGION)
        self.executions = executions
        self.group_states = patch_states

    @classmethod
    def _page(cls, items: list[Any], key: str, token: str | None) -> dict[str, Any]:
        start = int(token or 0)
        page: dict[str, Any] = {key: items[start : start + cls.PAGE]}
        if start + cls.PAGE < len(items):
            page["NextToken"] = str(start + cls.PAGE)
        return page

    def _ssm_DescribeMaintenanceWindowExecutions(
        self, WindowId: str, Filters: list[dict[str, Any]] | None = None, NextToken: str | None = None, **_: Any
    ) -> Any:
        from datetime import datetime

        if WindowId not in self.executions:
            raise botocore.exceptions.ClientError(
                {
                    "Error": {
                        "Code": "DoesNotExistException",
                        "Message": f"Maintenance window {WindowId} does not exist",
                    }
                },
                "DescribeMaintenanceWindowExecutions",
            )
        found = list(self.executions[WindowId])
        for f in Filters or []:
            if f["Key"] not in ("ExecutedBefore", "ExecutedAfter"):  # the only keys AWS documents: fail closed
                raise botocore.exceptions.ClientError(
                    {"Error": {"Code": "ValidationException", "Message": f"unsupported filter key {f['Key']}"}},
                    "DescribeMaintenanceWindowExecutions",
                )
            (value,) = f["Values"]
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            before = f["Key"] == "ExecutedBefore"
            found = [e for e in found if (e["StartTime"] <= moment if before else e["StartTime"] >= moment)]
        return self._page(found, "WindowExecutions", NextToken)

    def _ssm_DescribeInstancePatchStatesForPatchGroup(
        self, PatchGroup: str, NextToken: str | None = None, **_: Any
    ) -> Any:
        return self._page(list(self.group_states.get(PatchGroup, [])), "InstancePatchStates", NextToken)


# -- the circuit breaker's running commands: what moto lacks ---------------------------------------------------------
# moto 5 implements none of DescribeMaintenanceWindowExecutionTasks, ...TaskInvocations and CancelCommand.
# Modelled from AWS's API reference:
# "DescribeMaintenanceWindowExecutionTasks" (the tasks of one WindowExecutionId: TaskExecutionId, TaskType, Status;
# MaxResults 10-100, NextToken; an unknown execution is DoesNotExistException)
# https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeMaintenanceWindowExecutionTasks.html,
# "DescribeMaintenanceWindowExecutionTaskInvocations" (the invocations of one task: InvocationId, ExecutionId (for a
# Run Command task, the command ID), TaskType, Status; MaxResults 10-100, NextToken)
# https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeMaintenanceWindowExecutionTaskInvocations.html
# and "CancelCommand" (cancels the command on every node it was sent to; an unknown ID is InvalidCommandId)
# https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CancelCommand.html. A cancelled command's
# invocation then reads CANCELLING ("Understanding command statuses": Cancelling, then Cancelled).

WINDOW_TASKS: dict[str, list[dict[str, Any]]] = {}
"""Window execution id -> its tasks (``TaskExecutionId``, ``TaskType``, ``Status``), as a test seeds them."""
TASK_INVOCATIONS: dict[tuple[str, str], list[dict[str, Any]]] = {}
"""(window execution id, task execution id) -> its invocations (``ExecutionId``: the command ID, ``Status``)."""
CANCELLED_COMMANDS: list[str] = []
"""Every command ID CancelCommand was sent for, in order."""


def seed_running_command(
    execution_id: str, task_id: str, command_id: str, *, task_type: str = "RUN_COMMAND", status: str = "IN_PROGRESS"
) -> None:
    """A task of ``execution_id`` that runs, with one invocation: ``command_id`` (Run Command) in ``status``."""
    tasks = WINDOW_TASKS.setdefault(execution_id, [])
    if not any(t["TaskExecutionId"] == task_id for t in tasks):
        tasks.append(
            {
                "WindowExecutionId": execution_id,
                "TaskExecutionId": task_id,
                "TaskType": task_type,
                "Status": "IN_PROGRESS",
            }
        )
    TASK_INVOCATIONS.setdefault((execution_id, task_id), []).append(
        {
            "WindowExecutionId": execution_id,
            "TaskExecutionId": task_id,
            "InvocationId": f"{command_id[:8]}-invocation",
            "ExecutionId": command_id,
            "TaskType": task_type,
            "Status": status,
        }
    )


def _sim_page(items: list[dict[str, Any]], key: str, api: str, MaxResults: int, NextToken: str | None) -> Any:
    if not 10 <= MaxResults <= 100:
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "ValidationException", "Message": "MaxResults must be 10-100"}}, api
        )
    start = int(NextToken or 0)
    page: dict[str, Any] = {key: [dict(i) for i in items[start : start + MaxResults]]}
    if start + MaxResults < len(items):
        page["NextToken"] = str(start + MaxResults)
    return page


def _known_execution(execution_id: str, api: str) -> None:
    if not any(e["WindowExecutionId"] == execution_id for es in WINDOW_EXECUTIONS.values() for e in es):
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "DoesNotExistException", "Message": f"{execution_id} does not exist"}}, api
        )


def _ssm_DescribeMaintenanceWindowExecutionTasks(
    self: Runner, WindowExecutionId: str, MaxResults: int = 10, NextToken: str | None = None, **_: Any
) -> Any:
    api = "DescribeMaintenanceWindowExecutionTasks"
    _known_execution(WindowExecutionId, api)
    tasks = WINDOW_TASKS.get(WindowExecutionId, [])
    return _sim_page(tasks, "WindowExecutionTaskIdentities", api, MaxResults, NextToken)


def _ssm_DescribeMaintenanceWindowExecutionTaskInvocations(
    self: Runner, WindowExecutionId: str, TaskId: str, MaxResults: int = 10, NextToken: str | None = None, **_: Any
) -> Any:
    api = "DescribeMaintenanceWindowExecutionTaskInvocations"
    _known_execution(WindowExecutionId, api)
    invocations = TASK_INVOCATIONS.get((WindowExecutionId, TaskId), [])
    return _sim_page(invocations, "WindowExecutionTaskInvocationIdentities", api, MaxResults, NextToken)


def _ssm_CancelCommand(self: Runner, CommandId: str, InstanceIds: list[str] | None = None) -> Any:
    found = [i for invocations in TASK_INVOCATIONS.values() for i in invocations if i["ExecutionId"] == CommandId]
    if not found:
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "InvalidCommandId", "Message": f"{CommandId} is not a command"}}, "CancelCommand"
        )
    for invocation in found:
        if invocation["Status"] in ("PENDING", "IN_PROGRESS"):
            invocation["Status"] = "CANCELLING"
    CANCELLED_COMMANDS.append(CommandId)
    return {}


Runner._ssm_DescribeMaintenanceWindowExecutionTasks = _ssm_DescribeMaintenanceWindowExecutionTasks  # type: ignore[attr-defined]
Runner._ssm_DescribeMaintenanceWindowExecutionTaskInvocations = _ssm_DescribeMaintenanceWindowExecutionTaskInvocations  # type: ignore[attr-defined]
Runner._ssm_CancelCommand = _ssm_CancelCommand  # type: ignore[attr-defined]


# -- the circuit breaker's running Automation tasks: what moto lacks ---------------------------------------------------
# moto 5 does not implement StopAutomationExecution. An AUTOMATION task invocation's ExecutionId is "the ID of the
# action performed in the service that actually handled the task invocation" (for a Run Command task the command ID,
# https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_MaintenanceWindowExecutionTaskInvocationIdentity.html):
# for an Automation task, its Automation execution's ID. Modelled from "StopAutomationExecution"
# (AutomationExecutionId, Type Complete | Cancel; an unknown ID is AutomationExecutionNotFoundException)
# https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_StopAutomationExecution.html. A cancelled
# execution reads Cancelling, then Cancelled ("Understanding automation statuses"); here its invocation reads
# CANCELLING.

STOPPED_AUTOMATIONS: list[tuple[str, str]] = []
"""Every (AutomationExecutionId, Type) StopAutomationExecution was sent for, in order."""


def _ssm_StopAutomationExecution(self: Runner, AutomationExecutionId: str, Type: str = "Complete") -> Any:
    found = [
        i
        for invocations in TASK_INVOCATIONS.values()
        for i in invocations
        if i["ExecutionId"] == AutomationExecutionId and i["TaskType"] == "AUTOMATION"
    ]
    if not found:
        raise botocore.exceptions.ClientError(
            {
                "Error": {
                    "Code": "AutomationExecutionNotFoundException",
                    "Message": f"{AutomationExecutionId} is not an Automation execution",
                }
            },
            "StopAutomationExecution",
        )
    for invocation in found:
        if Type == "Cancel" and invocation["Status"] in ("PENDING", "IN_PROGRESS"):
            invocation["Status"] = "CANCELLING"
    STOPPED_AUTOMATIONS.append((AutomationExecutionId, Type))
    return {}


Runner._ssm_StopAutomationExecution = _ssm_StopAutomationExecution  # type: ignore[attr-defined]


# -- the circuit breaker's catch-up runs: what moto lacks (review of 2026-12-05) ---------------------------------------
# moto 5 implements neither DescribeAutomationExecutions nor DescribeAutomationStepExecutions. Modelled from AWS's API
# reference: "DescribeAutomationExecutions" (AutomationExecutionMetadataList: AutomationExecutionId, DocumentName,
# AutomationExecutionStatus; Filters: DocumentNamePrefix (the name starts with a value), ExecutionStatus (one of the
# values); MaxResults 1-50, NextToken)
# https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeAutomationExecutions.html and
# "DescribeAutomationStepExecutions" (the StepExecutions of one AutomationExecutionId: StepName, Action, StepStatus,
# Outputs; Filters such as Action; an unknown ID is AutomationExecutionNotFoundException)
# https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeAutomationStepExecutions.html. An
# aws:runCommand step's outputs hold its CommandId ("aws:runCommand", Automation actions reference). A catch-up run
# StopAutomationExecution (Cancel) reaches reads Cancelling; a command CancelCommand reaches reads Cancelling.

CATCH_UP_RUNS: dict[str, dict[str, Any]] = {}
"""Automation execution id -> a catch-up run (``DocumentName``, ``AutomationExecutionStatus``, ``StepExecutions``)."""
CATCH_UP_COMMANDS: dict[str, str] = {}
"""Command id -> its status (``InProgress``, ``Cancelling``): the commands catch-up runs sent."""


def seed_catch_up_run(document: Mapping[str, Any], name: str, run_id: str, *, at: str, status: str = "InProgress"):
    """A run of the catch-up runbook ``document`` (its real steps) named ``name``: the steps before ``at`` ended
    Success, ``at`` is InProgress; at its aws:runCommand step, the command it sent (``cmd-<run_id>``) runs."""
    steps = []
    for step in document["mainSteps"]:
        state = "InProgress" if step["name"] == at else "Success"
        execution: dict[str, Any] = {"StepName": step["name"], "Action": step["action"], "StepStatus": state}
        if step["action"] == "aws:runCommand":
            execution["Outputs"] = {"CommandId": [f"cmd-{run_id}"]}
            CATCH_UP_COMMANDS[f"cmd-{run_id}"] = "InProgress" if state == "InProgress" else "Success"
        steps.append(execution)
        if step["name"] == at:
            break
    CATCH_UP_RUNS[run_id] = {
        "AutomationExecutionId": run_id,
        "DocumentName": name,
        "AutomationExecutionStatus": status,
        "StepExecutions": steps,
    }


def _ssm_DescribeAutomationExecutions(
    self: Runner, Filters: list[dict[str, Any]] | None = None, MaxResults: int = 10, NextToken: str | None = None
) -> Any:
    api = "DescribeAutomationExecutions"
    if not 1 <= MaxResults <= 50:
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "ValidationException", "Message": "MaxResults must be 1-50"}}, api
        )
    found = list(CATCH_UP_RUNS.values())
    for f in Filters or []:
        if f["Key"] == "DocumentNamePrefix":
            found = [r for r in found if any(r["DocumentName"].startswith(v) for v in f["Values"])]
        elif f["Key"] == "ExecutionStatus":
            found = [r for r in found if r["AutomationExecutionStatus"] in f["Values"]]
        else:
            raise NotImplementedError(f["Key"])
    listed = [{k: r[k] for k in ("AutomationExecutionId", "DocumentName", "AutomationExecutionStatus")} for r in found]
    start = int(NextToken or 0)
    page: dict[str, Any] = {"AutomationExecutionMetadataList": listed[start : start + MaxResults]}
    if start + MaxResults < len(listed):
        page["NextToken"] = str(start + MaxResults)
    return page


def _no_automation(run_id: str, api: str) -> botocore.exceptions.ClientError:
    return botocore.exceptions.ClientError(
        {"Error": {"Code": "AutomationExecutionNotFoundException", "Message": f"{run_id} is not an execution"}}, api
    )


def _ssm_DescribeAutomationStepExecutions(
    self: Runner,
    AutomationExecutionId: str,
    Filters: list[dict[str, Any]] | None = None,
    MaxResults: int = 10,
    NextToken: str | None = None,
) -> Any:
    if AutomationExecutionId not in CATCH_UP_RUNS:
        raise _no_automation(AutomationExecutionId, "DescribeAutomationStepExecutions")
    steps = [dict(s) for s in CATCH_UP_RUNS[AutomationExecutionId]["StepExecutions"]]
    for f in Filters or []:
        if f["Key"] != "Action":
            raise NotImplementedError(f["Key"])
        steps = [s for s in steps if s["Action"] in f["Values"]]
    start = int(NextToken or 0)
    page: dict[str, Any] = {"StepExecutions": steps[start : start + MaxResults]}
    if start + MaxResults < len(steps):
        page["NextToken"] = str(start + MaxResults)
    return page


_stop_window_automation = _ssm_StopAutomationExecution
_cancel_window_command = _ssm_CancelCommand


def _ssm_StopAutomationExecution_or_catch_up(self: Runner, AutomationExecutionId: str, Type: str = "Complete") -> Any:
    run = CATCH_UP_RUNS.get(AutomationExecutionId)
    if run is None:
        return _stop_window_automation(self, AutomationExecutionId, Type)
    if run["AutomationExecutionStatus"] not in ("Pending", "InProgress", "Waiting"):
        raise botocore.exceptions.ClientError(
            {"Error": {"Code": "InvalidAutomationStatusUpdateException", "Message": "not running"}},
            "StopAutomationExecution",
        )
    run["AutomationExecutionStatus"] = "Cancelling" if Type == "Cancel" else "Success"
    STOPPED_AUTOMATIONS.append((AutomationExecutionId, Type))
    return {}


def _ssm_CancelCommand_or_catch_up(self: Runner, CommandId: str, InstanceIds: list[str] | None = None) -> Any:
    if CommandId not in CATCH_UP_COMMANDS:
        return _cancel_window_command(self, CommandId, InstanceIds)
    if CATCH_UP_COMMANDS[CommandId] == "InProgress":
        CATCH_UP_COMMANDS[CommandId] = "Cancelling"
    CANCELLED_COMMANDS.append(CommandId)
    return {}


Runner._ssm_DescribeAutomationExecutions = _ssm_DescribeAutomationExecutions  # type: ignore[attr-defined]
Runner._ssm_DescribeAutomationStepExecutions = _ssm_DescribeAutomationStepExecutions  # type: ignore[attr-defined]
Runner._ssm_StopAutomationExecution = _ssm_StopAutomationExecution_or_catch_up  # type: ignore[attr-defined]
Runner._ssm_CancelCommand = _ssm_CancelCommand_or_catch_up  # type: ignore[attr-defined]
