"""Ring promotion when the previous ring installs through several windows (review of 2026-12-05): each window's
latest soaked execution is judged, each node against its own group's install, and the cut-off is the earliest of
those installs. The promotion runbook runs step by step (tests/runbook_sim.py); expected values are written out by
hand (a window execution id is ``exec-<window>-<MMDDHHMM of its start>``, tests/test_rings.py's ``execution``).

Also: DescribeMaintenanceWindowExecutions documents only the ``ExecutedBefore``/``ExecutedAfter`` filter keys
(botocore's documentation of ``Filters``), and both fakes refuse any other key."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import botocore.exceptions
import pytest
import time_machine
from moto import mock_aws
from runbook_sim import REGION, RingRunner
from test_rings import BUCKET, COMPONENT_ARGS, DEV_STARTED, NOW, PROMOTION, execution, node

A_STARTED = DEV_STARTED - timedelta(days=1)  # window mw-a: Monday 2026-12-07 04:00:05Z
B_STARTED = DEV_STARTED  # window mw-b: Tuesday 2026-12-08 04:00:05Z
GROUPS = {"mw-a": ["dev-a"], "mw-b": ["dev-b"]}


@pytest.fixture(scope="module")
def ring_aws():
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        yield


def in_group(state: dict, group: str) -> dict:
    return {**state, "PatchGroup": group}


def promote(key: str, executions: dict, states: dict, window_groups: dict | None = GROUPS):
    parameters = {
        "PreviousWindowIds": list(executions),
        "PreviousPatchGroups": list(states),
        "Bucket": BUCKET,
        "OverrideKey": key,
        "NotificationTopicArn": "",
    }
    if window_groups is not None:
        parameters["PreviousWindowGroups"] = json.dumps(window_groups)
    runner = RingRunner(PROMOTION, parameters, execution_id=key, executions=executions, patch_states=states)
    with time_machine.travel(NOW, tick=False):
        return runner.run()


def override(key: str) -> tuple[list, dict]:
    got = boto3.client("s3", region_name=REGION).get_object(Bucket=BUCKET, Key=key)
    return json.loads(got["Body"].read()), got["Metadata"]


def test_an_older_window_that_failed_is_refused_though_the_newest_succeeded(ring_aws):
    """mw-a's soaked run FAILED, mw-b's succeeded, every node clean and reported since its own install."""
    executions = {"mw-a": [execution("mw-a", A_STARTED, "FAILED")], "mw-b": [execution("mw-b", B_STARTED)]}
    states = {
        "dev-a": [in_group(node("i-a1", ended=A_STARTED + timedelta(minutes=40)), "dev-a")],
        "dev-b": [in_group(node("i-b1", ended=B_STARTED + timedelta(minutes=40)), "dev-b")],
    }
    result = promote("patching/acme.rings/multi-1.json", executions, states)
    assert result.status == "Failed"
    assert result.outputs["assess"]["Decision"] == "REFUSE"
    assert result.outputs["assess"]["Reasons"] == ["window mw-a's execution exec-mw-a-12070400 ended FAILED"]
    assert result.history[-2:] == [("notifyRefusal", "Success"), ("endFailed", "Failed")]


def test_two_good_windows_on_different_days_promote_the_earlier_days_patch_set(ring_aws):
    """Both succeeded; mw-a's node finished before mw-b began, as it should: each is judged by its own window.
    The cut-off is mw-a's day (2026-12-07) less acme's approveAfterDays 7: what every dev node was given."""
    key = "patching/acme.rings/multi-2.json"
    boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key=key, Body=b"[]")
    executions = {"mw-a": [execution("mw-a", A_STARTED)], "mw-b": [execution("mw-b", B_STARTED)]}
    states = {
        "dev-a": [in_group(node("i-a1", ended=A_STARTED + timedelta(minutes=40)), "dev-a")],
        "dev-b": [in_group(node("i-b1", ended=B_STARTED + timedelta(minutes=40)), "dev-b")],
    }
    result = promote(key, executions, states)
    assert result.status == "Success", (result.history, result.failures, result.outputs.get("assess"))
    assert (result.outputs["assess"]["Decision"], result.outputs["assess"]["Reasons"]) == ("PROMOTE", [])
    (entry,), meta = override(key)
    assert entry["ApprovalRules"]["PatchRules"][0]["ApproveUntilDate"] == "2026-11-30"
    assert meta["source-execution"] == "exec-mw-a-12070400 exec-mw-b-12080400"
    assert meta["install-day"] == "2026-12-07"


def test_a_node_silent_since_its_own_window_began_is_refused(ring_aws):
    """mw-a's node last reported the day before mw-a's install: not patched by it, whatever mw-b did."""
    executions = {"mw-a": [execution("mw-a", A_STARTED)], "mw-b": [execution("mw-b", B_STARTED)]}
    states = {
        "dev-a": [in_group(node("i-a1", ended=A_STARTED - timedelta(days=1)), "dev-a")],
        "dev-b": [in_group(node("i-b1", ended=B_STARTED + timedelta(minutes=40)), "dev-b")],
    }
    result = promote("patching/acme.rings/multi-3.json", executions, states)
    assert result.status == "Failed"
    assert result.outputs["assess"]["Reasons"] == ["i-a1 (dev-a) reported no patch operation since its install began"]


def test_a_window_with_nothing_soaked_is_named(ring_aws):
    """mw-b has run only 1 day ago (soakDays 4): its nodes were not given a soaked patch set."""
    executions = {"mw-a": [execution("mw-a", A_STARTED)], "mw-b": [execution("mw-b", NOW - timedelta(days=1))]}
    states = {
        "dev-a": [in_group(node("i-a1", ended=A_STARTED + timedelta(minutes=40)), "dev-a")],
        "dev-b": [in_group(node("i-b1", ended=NOW - timedelta(days=1) + timedelta(minutes=40)), "dev-b")],
    }
    result = promote("patching/acme.rings/multi-4.json", executions, states)
    assert result.status == "Failed"
    assert result.outputs["assess"]["Reasons"] == [
        "window mw-b has no install execution that has soaked (started SoakDays ago, within 92 days before)"
    ]


def test_without_the_window_groups_every_node_is_held_to_the_latest_install(ring_aws):
    """A window the runbook is not told the groups of counts for every group: the strict reading, never a
    false promotion (mw-a's node finished before mw-b began)."""
    executions = {"mw-a": [execution("mw-a", A_STARTED)], "mw-b": [execution("mw-b", B_STARTED)]}
    states = {
        "dev-a": [in_group(node("i-a1", ended=A_STARTED + timedelta(minutes=40)), "dev-a")],
        "dev-b": [in_group(node("i-b1", ended=B_STARTED + timedelta(minutes=40)), "dev-b")],
    }
    result = promote("patching/acme.rings/multi-5.json", executions, states, window_groups={})
    assert result.status == "Failed"
    assert result.outputs["assess"]["Reasons"] == ["i-a1 (dev-a) reported no patch operation since its install began"]


def test_the_program_tells_the_runbook_each_windows_groups():
    """acme: dev installs through dev-install only, on acme-dev."""
    parameters = PROMOTION["parameters"]
    (window,) = parameters["PreviousWindowIds"]["default"]
    assert json.loads(parameters["PreviousWindowGroups"]["default"]) == {window: ["acme-dev"]}


# -- the filter keys AWS documents ---------------------------------------------------------------------------------


def test_the_runbook_simulator_refuses_an_undocumented_filter_key(ring_aws):
    runner = RingRunner(PROMOTION, {}, execution_id="filters", executions={"mw-a": []}, patch_states={})
    with pytest.raises(botocore.exceptions.ClientError) as error:
        runner._ssm_DescribeMaintenanceWindowExecutions(
            WindowId="mw-a", Filters=[{"Key": "StartedAfter", "Values": ["2026-09-08T04:00:30Z"]}]
        )
    assert error.value.response["Error"]["Code"] == "ValidationException"


def test_the_aws_stand_in_refuses_an_undocumented_filter_key_and_applies_the_documented_ones(aws):
    ssm = boto3.client("ssm", region_name="eu-west-1")
    seeded = [
        {
            "_WindowId": "mw-0123456789abcdef0",
            "WindowId": "mw-0123456789abcdef0",
            "WindowExecutionId": f"{n}1111111-2222-3333-4444-555555555555",
            "Status": "SUCCESS",
            "StartTime": started.timestamp(),
        }
        for n, started in enumerate((A_STARTED, B_STARTED))
    ]
    aws.layer.seed("DescribeMaintenanceWindowExecutions", seeded, account="123456789012", region="eu-west-1")
    with pytest.raises(botocore.exceptions.ClientError) as error:
        ssm.describe_maintenance_window_executions(
            WindowId="mw-0123456789abcdef0", Filters=[{"Key": "StartedAfter", "Values": ["2026-12-08T00:00:00Z"]}]
        )
    assert error.value.response["Error"]["Code"] == "ValidationException"
    after = ssm.describe_maintenance_window_executions(
        WindowId="mw-0123456789abcdef0", Filters=[{"Key": "ExecutedAfter", "Values": ["2026-12-08T00:00:00Z"]}]
    )
    assert [e["WindowExecutionId"] for e in after["WindowExecutions"]] == ["11111111-2222-3333-4444-555555555555"]
    before = ssm.describe_maintenance_window_executions(
        WindowId="mw-0123456789abcdef0", Filters=[{"Key": "ExecutedBefore", "Values": ["2026-12-08T00:00:00Z"]}]
    )
    assert [e["WindowExecutionId"] for e in before["WindowExecutions"]] == ["01111111-2222-3333-4444-555555555555"]


@time_machine.travel(datetime(2026, 12, 1, tzinfo=UTC), tick=False)
def test_the_calendar_predicts_the_earliest_of_the_windows_latest_soaked_installs():
    """dev installs acme-dev on Tuesdays and acme-dev2 on Mondays, 04:00 London; prod's Sunday 2026-12-13 02:00
    (soakDays 4) takes Monday 2026-12-07 (not Tuesday the 8th): 2026-12-07 less approveAfterDays 7."""
    from zoneinfo import ZoneInfo

    from test_rings import acme_raw

    from patching_components.config import validate
    from patching_components.rings import predict

    raw = acme_raw()
    raw["maintenanceWindows"]["dev-install-mon"] = {**raw["maintenanceWindows"]["dev-install"]}
    raw["maintenanceWindows"]["dev-install-mon"]["schedule"] = "cron(0 4 ? * MON *)"
    raw["patchGroups"]["acme-dev2"] = {"baselines": ["al2023"], "maintenanceWindows": ["daily-scan", "dev-install-mon"]}
    raw["rings"][0]["patchGroups"] = ["acme-dev", "acme-dev2"]
    config = validate(raw, "Pulumi.test.yaml")
    london = ZoneInfo("Europe/London")
    prediction = predict(config, "weekly-install", datetime(2026, 12, 13, 2, 0, tzinfo=london))
    assert prediction is not None
    assert prediction.source_start == datetime(2026, 12, 7, 4, 0, tzinfo=london)
    assert prediction.cutoffs == {"al2023": "2026-11-30"}


def test_the_component_alone_takes_each_windows_groups_and_refuses_a_list_of_another_length():
    """RingPromotion from Python: previous_window_groups, in previous_window_ids' order, becomes the runbook's
    PreviousWindowGroups; one list too few fails before anything is registered."""
    import yaml

    from patching_components.components.ring_promotion import RingPromotion
    from patching_components.tools.engine import ProgramError
    from tests.engine import run_program

    args = {
        **COMPONENT_ARGS,
        "previous_window_ids": ["mw-0aaaaaaaaaaaaaaaa", "mw-0bbbbbbbbbbbbbbbb"],
        "previous_patch_groups": ["dev-a", "dev-b"],
        "previous_window_groups": [["dev-a"], ["dev-b"]],
        "soak_days": 4,
    }
    run = run_program({}, stack="args", program=lambda: RingPromotion("acme-ring-prod", args))
    (document,) = run.of_type("aws:ssm/document:Document")
    parameters = yaml.safe_load(document.inputs["content"])["parameters"]
    assert json.loads(parameters["PreviousWindowGroups"]["default"]) == {
        "mw-0aaaaaaaaaaaaaaaa": ["dev-a"],
        "mw-0bbbbbbbbbbbbbbbb": ["dev-b"],
    }
    with pytest.raises(ProgramError) as info:
        run_program(
            {}, stack="args", program=lambda: RingPromotion("r", {**args, "previous_window_groups": [["dev-a"]]})
        )
    assert info.value.resources == []
    assert "previous_window_groups has 1 entries and previous_window_ids 2" in str(info.value)
