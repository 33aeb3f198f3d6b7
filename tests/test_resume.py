"""`patching resume` end to end (through cli.main) against the AWS stand-in (tests/moto_aws.py): the windows a
circuit breaker stopped are enabled again (no freeze guard in the region), or handed to the freeze guard (tagged
PatchingFreezeGuard, the guard runbook started) where the stack has one; a stop alarm still in ALARM refuses it;
another customer's window of the same name and a window disabled by hand are never touched."""

from __future__ import annotations

import boto3
import pytest

from patching_components.tools import cli
from tests import moto_aws

pytestmark = pytest.mark.slow

REGION = "eu-west-1"
STACK = """\
config:
  aws:region: eu-west-1
  patching:customer: acme
  patching:baselines:
    al2023: {operatingSystem: AMAZON_LINUX_2023}
  patching:maintenanceWindows:
    nightly-scan: {schedule: cron(0 1 ? * * *), durationHours: 2, cutoffHours: 1, operation: Scan}
    sun-install:
      schedule: cron(0 3 ? * SUN *)
      durationHours: 3
      cutoffHours: 1
      operation: Install
      stopOnAlarms: [acme-web-5xx]
  patching:patchGroups:
    acme-web: {baselines: [al2023], maintenanceWindows: [nightly-scan, sun-install]}
"""
FREEZES = """\
  patching:changeFreezes:
    year-end: {start: 2026-12-20, end: 2027-01-04}
"""


def _enabled(window_id):
    from moto.ssm.models import ssm_backends

    return getattr(ssm_backends["123456789012"][REGION].windows[window_id], "sim_enabled", True)


class Account:
    """acme's two windows as the breaker left them (tagged, disabled), one of them also named by another customer's
    window, and acme's stop alarm."""

    def __init__(self, alarm_state="OK", guard=False):
        self.ssm = boto3.client("ssm", region_name=REGION)
        self.tripped = [
            self.window("acme-nightly-scan", "acme", tripped=True),
            self.window("acme-sun-install", "acme", tripped=True),
        ]
        self.other = self.window("acme-sun-install", "globex", tripped=True)  # same name, another customer's
        cloudwatch = boto3.client("cloudwatch", region_name=REGION)
        cloudwatch.put_metric_alarm(
            AlarmName="acme-web-5xx",
            MetricName="HTTPCode_Target_5XX_Count",
            Namespace="AWS/ApplicationELB",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=10,
            ComparisonOperator="GreaterThanThreshold",
        )
        cloudwatch.set_alarm_state(AlarmName="acme-web-5xx", StateValue=alarm_state, StateReason="test")
        if guard:
            self.ssm.create_document(
                Name="acme-freeze-guard", Content='{"schemaVersion": "0.3", "mainSteps": []}', DocumentType="Automation"
            )

    def window(self, name, customer, tripped):
        window_id = self.ssm.create_maintenance_window(
            Name=name,
            Schedule="cron(0 3 ? * SUN *)",
            Duration=3,
            Cutoff=1,
            AllowUnassociatedTargets=False,
            Tags=[{"Key": "Customer", "Value": customer}],
        )["WindowId"]
        if tripped:
            self.ssm.add_tags_to_resource(
                ResourceType="MaintenanceWindow",
                ResourceId=window_id,
                Tags=[{"Key": "PatchingCircuitBreaker", "Value": "acme-web-5xx"}],
            )
            self.ssm.update_maintenance_window(WindowId=window_id, Enabled=False)
        return window_id

    def tags(self, window_id):
        listed = self.ssm.list_tags_for_resource(ResourceType="MaintenanceWindow", ResourceId=window_id)["TagList"]
        return {t["Key"]: t["Value"] for t in listed}


@pytest.fixture
def stack(tmp_path):
    def write(text):
        path = tmp_path / "Pulumi.acme.yaml"
        path.write_text(text)
        return str(path)

    return write


def test_without_a_guard_it_enables_the_windows_and_lifts_the_mark(aws, stack, capsys):
    account = Account()
    assert cli.main(["resume", stack(STACK), "--yes"]) == 0
    out = capsys.readouterr().out
    for window_id in account.tripped:
        assert _enabled(window_id) and "PatchingCircuitBreaker" not in account.tags(window_id)
        assert f"({window_id}) enabled" in out
    assert not _enabled(account.other) and "PatchingCircuitBreaker" in account.tags(account.other)
    # A second run: nothing left.
    assert cli.main(["resume", stack(STACK), "--yes"]) == 0
    assert "nothing to resume" in capsys.readouterr().out


def test_with_a_guard_it_hands_the_windows_to_the_guard_and_starts_it(aws, stack, capsys):
    moto_aws.AUTOMATION_STARTS.clear()
    account = Account(guard=True)
    assert cli.main(["resume", stack(STACK + FREEZES), "--yes"]) == 0
    for window_id in account.tripped:
        tags = account.tags(window_id)
        assert not _enabled(window_id)  # the guard, not resume, enables them (if its calendars are OPEN)
        assert "PatchingCircuitBreaker" not in tags and tags["PatchingFreezeGuard"] == "resumed-after-circuit-breaker"
    (start,) = moto_aws.AUTOMATION_STARTS
    assert (start["region"], start["DocumentName"]) == (REGION, "acme-freeze-guard")
    assert "started the freeze guard acme-freeze-guard" in capsys.readouterr().out


def test_a_stop_alarm_still_in_alarm_refuses_it(aws, stack, capsys):
    account = Account(alarm_state="ALARM")
    assert cli.main(["resume", stack(STACK), "--yes"]) == 4
    assert "stop alarm acme-web-5xx is in ALARM" in capsys.readouterr().err
    assert not any(_enabled(w) for w in account.tripped)
    assert cli.main(["resume", stack(STACK), "--yes", "--ignore-alarms"]) == 0
    assert all(_enabled(w) for w in account.tripped)


def test_dry_run_changes_nothing_and_a_missing_alarm_is_said(aws, stack, capsys):
    account = Account()
    boto3.client("cloudwatch", region_name=REGION).delete_alarms(AlarmNames=["acme-web-5xx"])
    assert cli.main(["resume", stack(STACK), "--dry-run"]) == 0
    captured = capsys.readouterr()
    assert "stop alarm acme-web-5xx does not exist" in captured.err
    assert f"acme-sun-install ({account.tripped[1]}), stopped by alarm acme-web-5xx: enable" in captured.out
    assert not any(_enabled(w) for w in account.tripped)


def test_an_aws_failure_is_one_line_and_exit_2(aws, stack, capsys, monkeypatch):
    Account()
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    assert cli.main(["resume", stack(STACK), "--yes"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("patching: error: ") and err.count("\n") == 1


def test_every_region_of_the_stack_is_resumed_and_region_limits_it(aws, stack, capsys):
    from moto.ssm.models import ssm_backends

    text = STACK.replace(
        "  patching:customer: acme\n", "  patching:customer: acme\n  patching:regions: [eu-west-1, us-east-1]\n"
    )
    west = Account()
    east_ssm = boto3.client("ssm", region_name="us-east-1")
    east = east_ssm.create_maintenance_window(
        Name="acme-us-east-1-sun-install",
        Schedule="cron(0 3 ? * SUN *)",
        Duration=3,
        Cutoff=1,
        AllowUnassociatedTargets=False,
        Tags=[{"Key": "Customer", "Value": "acme"}, {"Key": "PatchingCircuitBreaker", "Value": "acme-web-5xx"}],
    )["WindowId"]
    east_ssm.update_maintenance_window(WindowId=east, Enabled=False)

    def east_enabled():
        return getattr(ssm_backends["123456789012"]["us-east-1"].windows[east], "sim_enabled", True)

    assert cli.main(["resume", stack(text), "--region", "us-east-1", "--yes"]) == 0
    assert east_enabled() and not any(_enabled(w) for w in west.tripped)
    assert "does not exist" in capsys.readouterr().err  # the stop alarm is in eu-west-1 only
    assert cli.main(["resume", stack(text), "--yes"]) == 0
    assert all(_enabled(w) for w in west.tripped)
