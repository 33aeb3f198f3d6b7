"""A stateful AWS stand-in for end-to-end tests of the commands that call AWS.

moto's server application (the one ``moto.server.ThreadedMotoServer`` runs) listens on 127.0.0.1 and
answers every call moto implements, with state: what a test creates (maintenance windows, tasks,
baselines, instances, topics, parameters) is what the code under test reads back, in the account and
region of the credentials it signs with (moto maps an assumed role's credentials to the role's account).

moto 5 lacks some Systems Manager read calls that the report and patch-now make
(``FIXTURE_OPERATIONS``). ``FixtureLayer`` answers those, and only those, from data the test seeds per
account and region, with AWS's paging (``MaxResults`` within botocore's limits, ``NextToken``) and its
filters where the report relies on them. Every fixture item is checked against botocore's output shape
when it is seeded, so the layer can only hand out responses AWS could send. ``DescribeMaintenanceWindowTasks``, which
moto answers with ``TaskType`` where AWS says ``Type`` (``FROM_MOTO_STATE``), is answered from moto's own
state: the tasks the test registered. Nothing else is faked.

Use the ``aws`` fixture (tests/conftest.py): it starts the stand-in, points every boto3 client of the
process at it (``AWS_ENDPOINT_URL``) with throw-away credentials, and counts the calls made.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from threading import Thread
from typing import Any

import botocore.session
from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import get_account_id_from
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

_SSM = botocore.session.get_session().get_service_model("ssm")

FIXTURE_OPERATIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    # operation: (the response's list key, the request parameters an item must match)
    "DescribeInstanceInformation": ("InstanceInformationList", ()),
    "DescribeInstancePatchStatesForPatchGroup": ("InstancePatchStates", ("PatchGroup",)),
    "DescribeInstancePatchStates": ("InstancePatchStates", ()),
    "DescribeInstancePatches": ("Patches", ("InstanceId",)),
    "DescribeMaintenanceWindowExecutions": ("WindowExecutions", ("WindowId",)),
    "DescribeMaintenanceWindowExecutionTasks": ("WindowExecutionTaskIdentities", ("WindowExecutionId",)),
    "DescribeMaintenanceWindowExecutionTaskInvocations": (
        "WindowExecutionTaskInvocationIdentities",
        ("WindowExecutionId", "TaskId"),
    ),
    "ListCommandInvocations": ("CommandInvocations", ("CommandId",)),
    "DescribePatchGroups": ("Mappings", ()),
    "DescribeAutomationExecutions": ("AutomationExecutionMetadataList", ()),
    "GetCalendarState": ("", ()),
    "GetDefaultPatchBaseline": ("", ("OperatingSystem",)),
    # The only call that returns a task's TaskInvocationParameters (the report checks the operation).
    "GetMaintenanceWindowTask": ("", ("WindowId", "WindowTaskId")),
    # `patching report --sla`: release dates of Windows updates by KB id (PATCH_ID filter); moto 5 lacks it
    # (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeAvailablePatches.html).
    # The layer does not apply the filter: the report keeps only the KB ids it asked for.
    "DescribeAvailablePatches": ("Patches", ()),
    # A window's upcoming openings (patching notice; API_DescribeMaintenanceWindowSchedule.html).
    "DescribeMaintenanceWindowSchedule": ("ScheduledWindowExecutions", ("WindowId",)),
    # `patching report`: a snapshotBeforeInstall window's failed per-node run, its steps (moto 5 lacks it;
    # https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetAutomationExecution.html).
    "GetAutomationExecution": ("", ("AutomationExecutionId",)),
}
"""The SSM calls moto 5 does not implement, answered from seeded data."""
PATCH_STATE_IDS = _SSM.operation_model("DescribeInstancePatchStates").input_shape.members["InstanceIds"].metadata["max"]
"""How many instance ids DescribeInstancePatchStates takes (botocore's model: 50); AWS refuses more."""


class _Checker:
    """Validates a seeded item against botocore's output shape (names and types, recursively)."""

    @staticmethod
    def check(shape: Any, value: Any, where: str) -> None:
        kind = shape.type_name
        if kind == "structure":
            assert isinstance(value, Mapping), f"{where}: expected an object"
            unknown = set(value) - set(shape.members)
            assert not unknown, f"{where}: {sorted(unknown)} are not members of {shape.name}"
            for name, member in value.items():
                _Checker.check(shape.members[name], member, f"{where}.{name}")
        elif kind == "list":
            assert isinstance(value, list), f"{where}: expected a list"
            for i, item in enumerate(value):
                _Checker.check(shape.member, item, f"{where}[{i}]")
        elif kind == "map":
            assert isinstance(value, Mapping), f"{where}: expected a map"
        elif kind == "string":
            assert isinstance(value, str), f"{where}: expected text"
            enum = shape.enum
            assert not enum or value in enum, f"{where}: {value!r} is not one of {enum}"
        elif kind in ("integer", "long"):
            assert isinstance(value, int) and not isinstance(value, bool), f"{where}: expected an integer"
        elif kind == "boolean":
            assert isinstance(value, bool), f"{where}: expected true/false"
        elif kind == "timestamp":
            assert isinstance(value, int | float), f"{where}: give timestamps as epoch seconds"


def _window_tasks(request: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
    from moto.ssm.models import ssm_backends

    window = ssm_backends[account][region].windows.get(request.get("WindowId"))
    if window is None:
        raise _AwsError(400, "DoesNotExistException", f"Maintenance window {request.get('WindowId')} does not exist")
    return window.tasks


def _task_json(task: Any) -> dict[str, Any]:
    answer = {k: v for k, v in task.to_json().items() if v is not None}
    if task.cutoff_behavior:
        answer["CutoffBehavior"] = task.cutoff_behavior
    return answer


def _describe_maintenance_window_tasks(request: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
    # moto names the task's type "TaskType" here, which botocore drops: AWS's listing says "Type".
    tasks = []
    for task in _window_tasks(request, account, region).values():
        item = _task_json(task)
        item["Type"] = item.pop("TaskType")
        item.pop("TaskInvocationParameters", None)  # not part of the listing
        tasks.append(item)
    return {"Tasks": tasks}


FROM_MOTO_STATE: dict[str, Callable[[Mapping[str, Any], str, str], dict[str, Any]]] = {
    "DescribeMaintenanceWindowTasks": _describe_maintenance_window_tasks,
}
"""SSM calls moto 5 answers unlike AWS, answered from moto's own state (what the test created with
RegisterTaskWithMaintenanceWindow) as AWS answers them, each answer checked against botocore's shape."""


@dataclass
class FixtureLayer:
    """Seeded answers to the calls moto lacks, per (account, region)."""

    items: dict[tuple[str, str, str], list[dict[str, Any]]] = field(default_factory=dict)
    """(account, region, operation) -> the items of that listing (or one response, for Get calls)."""
    calls: Counter[str] = field(default_factory=Counter)
    """Every call made to the stand-in, by operation name (moto's and the layer's)."""

    def seed(self, operation: str, items: Iterable[Mapping[str, Any]], *, account: str, region: str) -> None:
        """Add items to a listing (``DescribeInstanceInformation``...) of ``account`` in ``region``."""
        key, match = FIXTURE_OPERATIONS[operation]
        output = _SSM.operation_model(operation).output_shape
        bucket = self.items.setdefault((account, region, operation), [])
        for item in items:
            item = dict(item)
            request = {name: item.pop(f"_{name}") for name in match}  # what the item is listed under
            _Checker.check(output.members[key].member if key else output, item, operation)
            bucket.append({"request": request, "item": item})

    def answer(self, operation: str, request: Mapping[str, Any], *, account: str, region: str) -> dict[str, Any]:
        key, match = FIXTURE_OPERATIONS[operation]
        seeded = self.items.get((account, region, operation), [])
        if not key:  # a Get call: the last seeded response whose request parameters match
            found = [s["item"] for s in seeded if all(request.get(k) == v for k, v in s["request"].items())]
            if not found:
                raise _AwsError(400, "DoesNotExistException", f"{operation}: nothing seeded")
            return found[-1]
        for name in match:
            if name not in request:
                raise _AwsError(400, "ValidationException", f"{operation} requires {name}")
        if len(request.get("InstanceIds", [])) > PATCH_STATE_IDS:
            raise _AwsError(400, "ValidationException", f"InstanceIds: at most {PATCH_STATE_IDS} instance ids")
        listed = [s["item"] for s in seeded if all(request.get(k) == v for k, v in s["request"].items())]
        listed = [item for item in listed if _filters_hold(operation, request, item)]
        limit_shape = _SSM.operation_model(operation).input_shape.members.get("MaxResults")
        most = limit_shape.metadata.get("max", 50) if limit_shape is not None else len(listed) or 1
        size = request.get("MaxResults", min(most, 10))
        if not 1 <= size <= most:
            raise _AwsError(400, "ValidationException", f"{operation}: MaxResults must be 1-{most}")
        start = int(request.get("NextToken") or 0)
        response: dict[str, Any] = {key: listed[start : start + size]}
        if start + size < len(listed):
            response["NextToken"] = str(start + size)
        return response


def _filters_hold(operation: str, request: Mapping[str, Any], item: Mapping[str, Any]) -> bool:
    """The filters the report and patch-now use, as AWS documents them for each call."""
    if operation == "DescribeInstanceInformation":
        for f in request.get("Filters", []):
            if f["Key"] == "InstanceIds" and item.get("InstanceId") not in f["Values"]:
                return False
            if f["Key"] == "PingStatus" and item.get("PingStatus") not in f["Values"]:
                return False
    if operation == "DescribeInstancePatchStates":
        return item.get("InstanceId") in request.get("InstanceIds", [])
    if operation == "ListCommandInvocations" and "InstanceId" in request:
        return item.get("InstanceId") == request["InstanceId"]
    if operation == "DescribeAutomationExecutions":
        for f in request.get("Filters", []):
            if f["Key"] == "DocumentNamePrefix" and not str(item.get("DocumentName", "")).startswith(f["Values"][0]):
                return False
            if f["Key"] == "ExecutionStatus" and item.get("AutomationExecutionStatus") not in f["Values"]:
                return False
    if operation == "DescribeMaintenanceWindowExecutions":  # the ring promotion's soak window, the report's period
        # ExecutedBefore / ExecutedAfter only: time stamps such as 2024-11-04T05:00:00Z (botocore's documentation of
        # Filters; https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeMaintenanceWindowExecutions.html).
        # AWS documents no error for another key: refusing it is the fail-closed fake.
        from datetime import UTC, datetime

        started = datetime.fromtimestamp(item["StartTime"], UTC)  # seeded as the wire has it: epoch seconds
        for f in request.get("Filters", []):
            if f["Key"] not in ("ExecutedBefore", "ExecutedAfter"):
                raise _AwsError(400, "ValidationException", f"{operation}: unsupported filter key {f['Key']}")
            moment = datetime.fromisoformat(f["Values"][0].replace("Z", "+00:00"))
            if f["Key"] == "ExecutedBefore" and not started <= moment:
                return False
            if f["Key"] == "ExecutedAfter" and not started >= moment:
                return False
    return True


class _AwsError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


_CREDENTIAL = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/([^/]+)/")


class _Dispatch:
    """The WSGI application: the layer's operations, else moto's."""

    def __init__(self, layer: FixtureLayer) -> None:
        self.layer = layer
        self.moto = DomainDispatcherApplication(create_backend_app)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        operation = target.rpartition(".")[2] or _query_action(environ)
        self.layer.calls[operation] += 1
        answered_here = operation in FROM_MOTO_STATE or operation in FIXTURE_OPERATIONS
        if target.startswith("AmazonSSM.") and answered_here and found:
            request = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}")
            account, region = get_account_id_from(found.group(1)) or DEFAULT_ACCOUNT_ID, found.group(2)
            try:
                if operation in FROM_MOTO_STATE:
                    body = FROM_MOTO_STATE[operation](request, account, region)
                    _Checker.check(_SSM.operation_model(operation).output_shape, body, operation)
                else:
                    body = self.layer.answer(operation, request, account=account, region=region)
                status = 200
            except _AwsError as exc:
                status, body = exc.status, {"__type": exc.code, "message": exc.message}
            data = json.dumps(body).encode()
            start_response(
                f"{status} {'OK' if status == 200 else 'Bad Request'}",
                [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(data)))],
            )
            return [data]
        return self.moto(environ, start_response)


def _query_action(environ: dict[str, Any]) -> str:
    """The Action of a query-protocol call (STS, EC2, SNS, IAM): in the query string or the form body
    (read here and put back for moto)."""
    text = environ.get("QUERY_STRING", "")
    if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        text += "&" + body.decode(errors="replace")
    found = re.search(r"(?:^|&)Action=([A-Za-z]+)", text)
    return found.group(1) if found else f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"


class AwsStandIn:
    """moto's server plus the fixture layer, on 127.0.0.1 (an ephemeral port)."""

    def __init__(self) -> None:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request in the test output
        self.layer = FixtureLayer()
        self._server = make_server(
            "127.0.0.1", 0, _Dispatch(self.layer), threaded=True, request_handler=MotoRequestHandler
        )
        self.endpoint = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> AwsStandIn:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._thread.join()


# -- `patching resume` (the circuit breaker): Systems Manager calls moto 5 lacks, answered from its own state ----------
# UpdateMaintenanceWindow (only Enabled, what resume sends): "UpdateMaintenanceWindow", SSM API Reference,
# https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_UpdateMaintenanceWindow.html;
# the window's Enabled is kept where tests/runbook_sim.py keeps it (``sim_enabled``).
# StartAutomationExecution: "StartAutomationExecution", SSM API Reference,
# https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_StartAutomationExecution.html:
# an execution id for a document of the account and region (AutomationDefinitionNotFoundException otherwise);
# each start is recorded in ``AUTOMATION_STARTS`` for the test to read.

AUTOMATION_STARTS: list[dict[str, Any]] = []
"""(account, region, the request) of every StartAutomationExecution, in order."""


def _update_maintenance_window(request: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
    from moto.ssm.models import ssm_backends

    window = ssm_backends[account][region].windows.get(request.get("WindowId"))
    if window is None:
        raise _AwsError(400, "DoesNotExistException", f"Maintenance window {request.get('WindowId')} does not exist")
    if "Enabled" in request:
        window.sim_enabled = bool(request["Enabled"])
    return {"WindowId": request["WindowId"], "Enabled": getattr(window, "sim_enabled", True)}


def _start_automation_execution(request: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
    import uuid

    from moto.ssm.models import ssm_backends

    if request.get("DocumentName") not in ssm_backends[account][region]._documents:
        raise _AwsError(400, "AutomationDefinitionNotFoundException", f"{request.get('DocumentName')} not found")
    AUTOMATION_STARTS.append({"account": account, "region": region, **request})
    return {"AutomationExecutionId": str(uuid.uuid4())}


FROM_MOTO_STATE["UpdateMaintenanceWindow"] = _update_maintenance_window
FROM_MOTO_STATE["StartAutomationExecution"] = _start_automation_execution


# -- EC2 calls moto lacks (pre-patch snapshots: `patching rollback`) -------------------------------------
#
# CreateReplaceRootVolumeTask (EC2 API Reference, "CreateReplaceRootVolumeTask"; "Replace a root volume",
# Amazon EC2 User Guide) is not in moto 5. It is answered here from moto's own EC2 state, with the checks
# AWS documents: the instance must exist and be `running` (IncorrectInstanceState), the snapshot must
# exist (InvalidSnapshot.NotFound) and have been taken from the instance's root volume ("a snapshot that
# you previously created from the original root volume"; InvalidParameterValue otherwise). The request is
# recorded in FixtureLayer.items under (account, region, "CreateReplaceRootVolumeTask"); the answer is the
# XML of the API reference's response (replaceRootVolumeTask, taskState pending), and nothing is replaced.

EC2_FIXTURE_OPERATIONS = ("CreateReplaceRootVolumeTask",)
_EC2_XMLNS = "http://ec2.amazonaws.com/doc/2016-11-15/"


def _ec2_error(start_response: Callable[..., Any], code: str, message: str) -> list[bytes]:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>{code}</Code>'
        f"<Message>{message}</Message></Error></Errors><RequestID>fixture</RequestID></Response>"
    ).encode()
    start_response("400 Bad Request", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
    return [body]


def _create_replace_root_volume_task(
    layer: FixtureLayer, form: Mapping[str, str], account: str, region: str, start_response: Callable[..., Any]
) -> list[bytes]:
    from moto.ec2.models import ec2_backends

    backend = ec2_backends[account][region]
    instance_id, snapshot_id = form.get("InstanceId", ""), form.get("SnapshotId", "")
    instance = next((i for r in backend.reservations.values() for i in r.instances if i.id == instance_id), None)
    if instance is None:
        return _ec2_error(
            start_response, "InvalidInstanceID.NotFound", f"The instance ID '{instance_id}' does not exist"
        )
    if instance.state != "running":
        return _ec2_error(start_response, "IncorrectInstanceState", f"The instance '{instance_id}' is not running")
    snapshot = backend.snapshots.get(snapshot_id)
    if snapshot is None:
        return _ec2_error(start_response, "InvalidSnapshot.NotFound", f"The snapshot '{snapshot_id}' does not exist")
    root = instance.block_device_mapping.get(instance.root_device_name)
    if root is None or snapshot.volume.id != root.volume_id:
        return _ec2_error(
            start_response,
            "InvalidParameterValue",
            f"{snapshot_id} was not created from the root volume of {instance_id}",
        )
    delete = form.get("DeleteReplacedRootVolume", "false")
    task_id = f"replacevol-{len(layer.items.get((account, region, 'CreateReplaceRootVolumeTask'), [])):017x}"
    layer.items.setdefault((account, region, "CreateReplaceRootVolumeTask"), []).append(
        {"request": dict(form), "item": {"ReplaceRootVolumeTaskId": task_id}}
    )
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><CreateReplaceRootVolumeTaskResponse xmlns="{_EC2_XMLNS}">'
        f"<requestId>fixture</requestId><replaceRootVolumeTask><replaceRootVolumeTaskId>{task_id}"
        f"</replaceRootVolumeTaskId><instanceId>{instance_id}</instanceId><taskState>pending</taskState>"
        f"<startTime>2026-12-04T21:00:00.000Z</startTime><tagSet/><snapshotId>{snapshot_id}</snapshotId>"
        f"<deleteReplacedRootVolume>{delete}</deleteReplacedRootVolume></replaceRootVolumeTask>"
        "</CreateReplaceRootVolumeTaskResponse>"
    ).encode()
    start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
    return [body]


_dispatch_without_ec2_fixtures = _Dispatch.__call__


def _dispatch_with_ec2_fixtures(self: _Dispatch, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    """EC2_FIXTURE_OPERATIONS here, everything else as before (the SSM fixtures, then moto)."""
    from urllib.parse import parse_qsl

    found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if found and found.group(3) == "ec2" and not environ.get("HTTP_X_AMZ_TARGET"):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        form = dict(parse_qsl(environ.get("QUERY_STRING", "") + "&" + body.decode(errors="replace")))
        if form.get("Action") in EC2_FIXTURE_OPERATIONS:
            self.layer.calls[form["Action"]] += 1
            account = get_account_id_from(found.group(1)) or DEFAULT_ACCOUNT_ID
            return _create_replace_root_volume_task(self.layer, form, account, found.group(2), start_response)
    return _dispatch_without_ec2_fixtures(self, environ, start_response)


_Dispatch.__call__ = _dispatch_with_ec2_fixtures  # type: ignore[method-assign]


# -- Amazon Inspector's ListCoverage (`patching report --sla`), which moto 5 lacks ------------------------------------
#
# "ListCoverage", Amazon Inspector API Reference (https://docs.aws.amazon.com/inspector/v2/APIReference/
# API_ListCoverage.html): POST /coverage/list; ``filterCriteria`` holds lists of CoverageStringFilter
# (``comparison`` EQUALS | NOT_EQUALS, ``value``); ``maxResults`` 1-200; ``nextToken``; the answer's
# ``coveredResources`` are CoveredResource objects whose ``scanStatus`` ("ScanStatus": ``statusCode`` ACTIVE |
# INACTIVE, ``reason``) says whether Inspector scans the resource. Answered from what the test seeds per account and
# region (``seed_coverage``, each item checked against botocore's CoveredResource shape), with the string filters on
# accountId, resourceId, resourceType, scanType, scanStatusCode and scanStatusReason applied (any other filter is
# refused, so a test never passes on a filter the layer ignores). Nothing seeded: an empty coverage.

_INSPECTOR = botocore.session.get_session().get_service_model("inspector2")
_COVERAGE_FIELDS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "accountId": lambda item: item.get("accountId"),
    "resourceId": lambda item: item.get("resourceId"),
    "resourceType": lambda item: item.get("resourceType"),
    "scanType": lambda item: item.get("scanType"),
    "scanStatusCode": lambda item: item.get("scanStatus", {}).get("statusCode"),
    "scanStatusReason": lambda item: item.get("scanStatus", {}).get("reason"),
}


def seed_coverage(layer: FixtureLayer, items: Iterable[Mapping[str, Any]], *, account: str, region: str) -> None:
    """Add CoveredResource items to ``ListCoverage`` of ``account`` in ``region``."""
    shape = _INSPECTOR.operation_model("ListCoverage").output_shape.members["coveredResources"].member
    bucket = layer.items.setdefault((account, region, "ListCoverage"), [])
    for item in items:
        _Checker.check(shape, item, "ListCoverage")
        bucket.append({"request": {}, "item": dict(item)})


def _list_coverage(layer: FixtureLayer, request: Mapping[str, Any], account: str, region: str) -> dict[str, Any]:
    most = _INSPECTOR.operation_model("ListCoverage").input_shape.members["maxResults"].metadata["max"]
    size = request.get("maxResults", most)
    if not 1 <= size <= most:
        raise _AwsError(400, "ValidationException", f"ListCoverage: maxResults must be 1-{most}")
    listed = [s["item"] for s in layer.items.get((account, region, "ListCoverage"), [])]
    for key, filters in (request.get("filterCriteria") or {}).items():
        if key not in _COVERAGE_FIELDS:
            raise _AwsError(400, "ValidationException", f"ListCoverage: the layer does not model the {key} filter")
        equal = [f["value"] for f in filters if f["comparison"] == "EQUALS"]
        unequal = [f["value"] for f in filters if f["comparison"] == "NOT_EQUALS"]
        value = _COVERAGE_FIELDS[key]
        listed = [i for i in listed if (not equal or value(i) in equal) and value(i) not in unequal]
    start = int(request.get("nextToken") or 0)
    response: dict[str, Any] = {"coveredResources": listed[start : start + size]}
    if start + size < len(listed):
        response["nextToken"] = str(start + size)
    return response


_dispatch_without_inspector_fixtures = _Dispatch.__call__


def _dispatch_with_inspector_fixtures(
    self: _Dispatch, environ: dict[str, Any], start_response: Callable[..., Any]
) -> Any:
    """Inspector's ListCoverage here, everything else as before."""
    found = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if found and found.group(3) == "inspector2" and environ.get("PATH_INFO") == "/coverage/list":
        self.layer.calls["ListCoverage"] += 1
        request = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)) or b"{}")
        account = get_account_id_from(found.group(1)) or DEFAULT_ACCOUNT_ID
        try:
            status, body = 200, _list_coverage(self.layer, request, account, found.group(2))
            headers = [("Content-Type", "application/json")]
        except _AwsError as exc:
            status, body = exc.status, {"message": exc.message}
            headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", exc.code)]
        data = json.dumps(body).encode()
        start_response(
            f"{status} {'OK' if status == 200 else 'Bad Request'}", [*headers, ("Content-Length", str(len(data)))]
        )
        return [data]
    return _dispatch_without_inspector_fixtures(self, environ, start_response)


_Dispatch.__call__ = _dispatch_with_inspector_fixtures  # type: ignore[method-assign]


# -- Amazon Inspector's ListFindings filters (`patching report --sla`), which moto 5 ignores ---------------------------
#
# moto answers ListFindings with the next result queued at /moto-api/static/inspector2/findings-results, whatever the
# request's ``filterCriteria`` ("ListFindings", moto's Inspector2Backend.list_findings). Here that result is the
# account's findings, and the request's filters are applied to it as ListFindings applies them ("FilterCriteria",
# https://docs.aws.amazon.com/inspector/v2/APIReference/API_FilterCriteria.html; "StringFilter": comparison EQUALS |
# PREFIX | NOT_EQUALS; "DateFilter": startInclusive, endInclusive): a finding matches when it matches every field
# filtered. AWS does not document how several filters on one field combine: EQUALS ones are taken as "any of",
# NOT_EQUALS ones as "none of". Only the fields modelled below are applied; any other is refused, so a test never
# passes on a filter the layer ignores.

_FINDING_STRINGS: dict[str, Callable[[Mapping[str, Any]], list[Any]]] = {
    "awsAccountId": lambda f: [f.get("awsAccountId")],
    "findingType": lambda f: [f.get("type")],
    "findingStatus": lambda f: [f.get("status")],
    "fixAvailable": lambda f: [f.get("fixAvailable")],
    "resourceType": lambda f: [r.get("type") for r in f.get("resources", [])],
}
_FINDING_DATES = {"updatedAt": "updatedAt"}


def _finding_matches(finding: Mapping[str, Any], criteria: Mapping[str, list[Mapping[str, Any]]]) -> bool:
    for key, filters in criteria.items():
        if key in _FINDING_STRINGS:
            values = _FINDING_STRINGS[key](finding)
            equal = [f["value"] for f in filters if f["comparison"] == "EQUALS"]
            unequal = [f["value"] for f in filters if f["comparison"] == "NOT_EQUALS"]
            if any(f["comparison"] not in ("EQUALS", "NOT_EQUALS") for f in filters):
                raise _AwsError(400, "ValidationException", f"ListFindings: the layer does not model {key} PREFIX")
            if equal and not any(v in equal for v in values):
                return False
            if any(v in unequal for v in values):
                return False
        elif key in _FINDING_DATES:
            moment = finding.get(_FINDING_DATES[key])
            for f in filters:
                if moment is None:
                    return False
                if "startInclusive" in f and moment < f["startInclusive"]:
                    return False
                if "endInclusive" in f and moment > f["endInclusive"]:
                    return False
        else:
            raise _AwsError(400, "ValidationException", f"ListFindings: the layer does not model the {key} filter")
    return True


def _filtered_list_findings(original: Callable[..., list[dict[str, Any]]]) -> Callable[..., list[dict[str, Any]]]:
    def list_findings(self: Any, filter_criteria: Any, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        found = original(self, filter_criteria, *args, **kwargs)
        return [f for f in found if _finding_matches(f, filter_criteria or {})]

    return list_findings


from moto.inspector2.models import Inspector2Backend  # noqa: E402

Inspector2Backend.list_findings = _filtered_list_findings(Inspector2Backend.list_findings)  # type: ignore[method-assign]
