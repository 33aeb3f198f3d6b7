"""The set-up the report and patch-now tests share (test_report.py, test_report_review.py, test_report_aws.py,
test_report_calls.py, test_patch_now_e2e.py and the report tests built on them), in one place:

- stack files written or varied into a test's temporary folder (``write_stacks``, ``variant``, the contoso and
  fabrikam stacks of the end-to-end report tests: ``contoso_and_fabrikam``);
- the stubbed acme account of tests/report_fixture.py read by ``collect`` (``collect_acme``);
- keys of another account of the AWS stand-in (``keys_in``, ``session_in``), a fleet of instances in moto with
  their Systems Manager state in the fixture layer (``Fleet``), and `patching report --format json` run
  through cli.main, its JSON checked against the report's schema (``run_report``).

Each test keeps its own scenario and assertions; only the set-up is here."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday: the end-to-end report tests' clock
SCHEMA = json.loads((ROOT / "patching_components" / "data" / "report.schema.json").read_text())

# -- stack files ---------------------------------------------------------------------------------------------


def write_stacks(folder: Path, texts: dict[str, str]) -> dict[str, Path]:
    """Stack ``name`` of ``texts`` written to ``folder``/Pulumi.<name>.yaml; the paths by name."""
    paths = {}
    for name, text in texts.items():
        paths[name] = folder / f"Pulumi.{name}.yaml"
        paths[name].write_text(text)
    return paths


def variant(path: Path, folder: Path, *replacements: tuple[str, str]) -> Path:
    """A copy of stack file ``path`` in ``folder`` (same file name) with each (old, new) text replaced; each
    ``old`` must be in the file (a stale replacement fails the test instead of testing the unchanged stack)."""
    text = path.read_text()
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / path.name
    copy.write_text(text)
    return copy


OPERATOR, CONTOSO, FABRIKAM = "123456789012", "111122223333", "444455556666"
"""The stand-in's own account (the operator's) and the two customers' accounts of the end-to-end report tests."""

CONTOSO_STACK = """\
config:
  aws:region: eu-west-1
  aws:assumeRoles:
    - roleArn: arn:aws:iam::111122223333:role/patching-report
  aws:allowedAccountIds: ["111122223333"]
  patching:customer: contoso
  patching:regions: [eu-west-1, us-east-1]
  patching:baselines:
    al2023:
      operatingSystem: AMAZON_LINUX_2023
      default: true
    windows:
      operatingSystem: WINDOWS
  patching:maintenanceWindows:
    daily-scan:
      schedule: cron(0 1 ? * MON-SAT *)
      durationHours: 2
      cutoffHours: 1
      operation: Scan
    weekly-install:
      schedule: cron(0 2 ? * SUN *)
      durationHours: 4
      cutoffHours: 1
      operation: Install
  patching:patchGroups:
    contoso-linux:
      baselines: [al2023]
      maintenanceWindows: [daily-scan, weekly-install]
    contoso-windows:
      baselines: [windows]
      maintenanceWindows: [daily-scan, weekly-install]
  patching:notifications:
    emails: [ops@contoso.example]
"""

FABRIKAM_STACK = """\
config:
  aws:region: us-east-1
  aws:assumeRoles:
    - roleArn: arn:aws:iam::444455556666:role/patching-report
  aws:allowedAccountIds: ["444455556666"]
  patching:customer: fabrikam
  patching:baselines:
    al2023:
      operatingSystem: AMAZON_LINUX_2023
  patching:maintenanceWindows:
    weekly-install:
      schedule: cron(0 2 ? * SUN *)
      durationHours: 4
      cutoffHours: 1
      operation: Install
  patching:patchGroups:
    fabrikam-web:
      baselines: [al2023]
      maintenanceWindows: [weekly-install]
"""


def fabrikam_variant(stacks: dict[str, Path], old: str, new: str) -> Path:
    """fabrikam's stack file (of ``contoso_and_fabrikam``) with ``old`` replaced by ``new``, in a folder of its own."""
    return variant(stacks["fabrikam"], stacks["fabrikam"].with_name("variant"), (old, new))


@pytest.fixture
def contoso_and_fabrikam(tmp_path: Path) -> dict[str, Path]:
    """The contoso and fabrikam stack files in the test's folder, by customer (a module takes the fixture
    under its own name: ``stacks = report_setup.contoso_and_fabrikam``)."""
    return write_stacks(tmp_path, {"contoso": CONTOSO_STACK, "fabrikam": FABRIKAM_STACK})


# -- the stubbed acme account (tests/report_fixture.py) ------------------------------------------------------

ACME = ROOT / "tests" / "data" / "acme-before-rings" / "Pulumi.acme.yaml"
"""acme as tests/report_fixture.py's account has it: before its dev ring (patching:rings), which adds a group,
a window and a promotion task the hand-written responses do not have."""
ACME_ACCOUNT = "123456789012"
ACME_PRINCIPAL = "arn:aws:sts::123456789012:assumed-role/patching-operator/patching-components"


def collect_acme(account: Any, stack: Any = ACME, **options: Any) -> Any:
    """``report.collect`` of ``stack`` (acme's stack file, or its loaded config) on ``account`` (an
    aws_stubs.StubbedAccount of tests/report_fixture.py's responses), every stubbed call made."""
    import report_fixture as fixture

    from patching_components.config import load_stack_file
    from patching_components.tools.report import collect

    found = collect(
        load_stack_file(stack) if isinstance(stack, Path) else stack,
        "acme",
        [fixture.REGION],
        account,
        primary_region=fixture.REGION,
        account_id=ACME_ACCOUNT,
        principal_arn=ACME_PRINCIPAL,
        now=fixture.NOW,
        **options,
    )
    account.assert_all_called()
    return found


# -- accounts, fleets and `patching report` on the AWS stand-in (tests/moto_aws.py) --------------------------


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def iso(text: str) -> str:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).isoformat()


def keys_in(sts: Any, account: str, role: str, session_name: str = "deploy") -> dict[str, str]:
    """boto3 keyword arguments with keys that act in ``account`` of the stand-in: moto maps the credentials of
    an assumed role (``role`` of ``account``, assumed with the ``sts`` client) to the role's account."""
    role_arn = f"arn:aws:iam::{account}:role/{role}"
    granted = sts.assume_role(RoleArn=role_arn, RoleSessionName=session_name)["Credentials"]
    return {
        "aws_access_key_id": granted["AccessKeyId"],
        "aws_secret_access_key": granted["SecretAccessKey"],
        "aws_session_token": granted["SessionToken"],
    }


def session_in(account: str) -> Any:
    """A boto3 session with credentials of ``account`` (its patching-report role)."""
    import boto3

    return boto3.Session(**keys_in(boto3.client("sts", region_name="us-east-1"), account, "patching-report"))


class Fleet:
    """Instances in moto and their Systems Manager state in the layer, in one account and region;
    ``names`` maps the stand-in's ids to the names the expected JSON uses."""

    def __init__(self, aws: Any, session: Any, account: str, region: str, names: dict[str, str]) -> None:
        self.aws, self.account, self.region, self.names = aws, account, region, names
        self.ec2 = session.client("ec2", region_name=region)
        self.image = "ami-0123456789abcdef0"  # moto launches any image id (describing its AMIs takes seconds)

    def seed(self, operation: str, items: list[dict[str, Any]]) -> None:
        self.aws.layer.seed(operation, items, account=self.account, region=self.region)

    def launch(self, name: str, group: str | None, count: int = 1) -> list[str]:
        tags = [{"Key": "Name", "Value": name}] + ([{"Key": "Patch Group", "Value": group}] if group else [])
        instances = self.ec2.run_instances(
            ImageId=self.image,
            MinCount=count,
            MaxCount=count,
            TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
        )["Instances"]
        ids = [i["InstanceId"] for i in instances]
        for n, iid in enumerate(ids):
            self.names[iid] = name if count == 1 else f"{name}-{n:03d}"
        return ids

    def managed(self, ids: list[str], platform: str = "Amazon Linux", ping: str = "Online") -> None:
        self.seed(
            "DescribeInstanceInformation",
            [
                {
                    "InstanceId": iid,
                    "PingStatus": ping,
                    "LastPingDateTime": epoch("2026-12-01T08:55"),
                    "PlatformType": "Windows" if platform.startswith("Microsoft") else "Linux",
                    "PlatformName": platform,
                    "ResourceType": "EC2Instance",
                }
                for iid in ids
            ],
        )

    def patch_state(self, ids: list[str], group: str, baseline: str, end: str, op: str = "Scan", **counts: int) -> None:
        """Each node's patch state, as both listings give it: by patch group and by instance id."""
        states = [
            {
                "InstanceId": iid,
                "PatchGroup": group,
                "BaselineId": baseline,
                "OperationStartTime": epoch(end) - 300,
                "OperationEndTime": epoch(end),
                "Operation": op,
                "InstalledCount": 100,
                **counts,
            }
            for iid in ids
        ]
        self.seed("DescribeInstancePatchStatesForPatchGroup", [{"_PatchGroup": group, **s} for s in states])
        self.seed("DescribeInstancePatchStates", states)

    def run(self, window_id: str, execution: str, start: str, status: str, invocations: dict[str, str]) -> None:
        """A window execution with one Run Command task, its command and each instance's invocation (ids
        are UUIDs, as AWS's; ``names`` gives them back their labels)."""
        label = execution
        execution, task, command = (str(uuid.uuid5(uuid.NAMESPACE_URL, f"{label}{part}")) for part in ("", "t", "c"))
        self.names.update({execution: label, task: f"{label}-task", command: f"{label}-command"})
        self.seed(
            "DescribeMaintenanceWindowExecutions",
            [
                {
                    "_WindowId": window_id,
                    "WindowId": window_id,
                    "WindowExecutionId": execution,
                    "Status": status,
                    "StartTime": epoch(start),
                    "EndTime": epoch(start) + 3000,
                }
            ],
        )
        self.seed(
            "DescribeMaintenanceWindowExecutionTasks",
            [
                {
                    "_WindowExecutionId": execution,
                    "WindowExecutionId": execution,
                    "TaskExecutionId": task,
                    "Status": status,
                    "TaskArn": "AWS-RunPatchBaseline",
                    "TaskType": "RUN_COMMAND",
                }
            ],
        )
        self.seed(
            "DescribeMaintenanceWindowExecutionTaskInvocations",
            [
                {
                    "_WindowExecutionId": execution,
                    "_TaskId": task,
                    "WindowExecutionId": execution,
                    "TaskExecutionId": task,
                    "InvocationId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{label}i")),
                    "ExecutionId": command,
                    "TaskType": "RUN_COMMAND",
                    "Status": status,
                }
            ],
        )
        self.seed(
            "ListCommandInvocations",
            [
                {"_CommandId": command, "CommandId": command, "InstanceId": iid, "Status": s, "StatusDetails": s}
                for iid, s in invocations.items()
            ],
        )


def run_report(capsys: Any, stack: Path, names: dict[str, str], *args: str) -> tuple[int, Any, str]:
    """`patching report <stack> --format json` at NOW: its exit code, its JSON (checked against the report's
    schema, the stand-in's ids replaced by ``names``' labels as ``<label>``) and its standard error."""
    import jsonschema
    import time_machine

    from patching_components.tools import cli

    with time_machine.travel(NOW, tick=False):
        code = cli.main(["report", str(stack), "--format", "json", *args])
    captured = capsys.readouterr()
    if not captured.out:
        return code, None, captured.err
    data = json.loads(captured.out)
    jsonschema.validate(data, SCHEMA, format_checker=jsonschema.FormatChecker())
    text = captured.out
    for real, name in sorted(names.items(), key=lambda item: -len(item[0])):
        text = text.replace(real, f"<{name}>")
    return code, json.loads(text), captured.err
