"""Patch rings (issue #23): the config rules, the cut-off judged by Patch Manager's approval model
(tests/patch_manager.py), the promotion runbook step by step against moto (tests/runbook_sim.py) along every
failure path, and its role judged by the IAM evaluator (tests/iam_model.py).

Expected values are computed here by hand from AWS's rules: ``approveAfterDays`` A approves on day D what was
released on or before D - A; ``approveUntilDate`` U what was released on or before U (CreatePatchBaseline,
PatchRule). Clocks are frozen (time_machine) where the date matters.
"""

from __future__ import annotations

import itertools
import json
from datetime import UTC, date, datetime, timedelta

import boto3
import pytest
import time_machine
import yaml
from iam_model import Request, allowed
from moto import mock_aws
from patch_manager import Update, approves
from runbook_sim import ACCOUNT, REGION, Fault, RingRunner, fault_matrix

from conftest import ROOT, example_run
from patching_components.config import ConfigError, validate
from patching_components.rings import APPROVE_NOTHING, cutoff, override_template, predict, promoted

ACME = ROOT / "stacks" / "Pulumi.acme.yaml"
DOCUMENT = "aws:ssm/document:Document"


def acme_raw() -> dict:
    text = yaml.safe_load(ACME.read_text())["config"]
    return {k.removeprefix("patching:"): v for k, v in text.items() if k.startswith("patching:")}


def errors(raw: dict) -> str:
    with pytest.raises(ConfigError) as info:
        validate(raw, "Pulumi.test.yaml")
    return "\n".join(info.value.lines())


# -- the config rules -----------------------------------------------------------------------------


def test_acme_has_dev_then_prod():
    config = validate(acme_raw(), "acme")
    assert [(r.name, r.patch_groups, r.soak_days) for r in config.rings] == [
        ("dev", ["acme-dev"], 7),
        ("prod", ["acme-web"], 4),
    ]


def test_a_group_in_two_rings_names_both_rings():
    raw = acme_raw()
    raw["rings"][1]["patchGroups"] = ["acme-web", "acme-dev"]
    text = errors(raw)
    assert "patching:rings[1].patchGroups[1]: 'acme-dev' is in ring 'dev' and ring 'prod'" in text


def test_rings_with_different_baselines_name_both_rings():
    raw = acme_raw()
    raw["baselines"]["al2023-fast"] = {"operatingSystem": "AMAZON_LINUX_2023", "approveAfterDays": 0}
    raw["patchGroups"]["acme-web"]["baselines"] = ["al2023-fast"]
    text = errors(raw)
    assert "'acme-web' (ring 'prod') has baselines ['al2023-fast'], 'acme-dev' (ring 'dev') has ['al2023']" in text


def test_rings_need_the_log_bucket_one_ring_is_none_and_names_are_unique():
    raw = acme_raw()
    del raw["logging"]
    raw["compliance"] = {"dataSync": False}
    assert "patching:rings: a later ring installs from an override object in the log bucket: set logging.s3Bucket" in (
        errors(raw)
    )
    raw = acme_raw()
    raw["rings"] = [raw["rings"][0]]
    assert "one ring orders nothing" in errors(raw)
    raw = acme_raw()
    raw["rings"][1]["name"] = "dev"
    assert "patching:rings[1].name: ring 'dev' is listed twice" in errors(raw)
    raw = acme_raw()
    raw["rings"][0]["soakDays"] = 3
    assert "patching:rings[0].soakDays: ring 'dev' is the first ring" in errors(raw)
    raw = acme_raw()
    raw["rings"][1]["patchGroups"] = ["acme-app"]
    assert "patching:rings[1].patchGroups[0]: 'acme-app' is not a patch group" in errors(raw)


def test_an_install_window_of_a_later_ring_serves_that_ring_only():
    raw = acme_raw()
    raw["patchGroups"]["acme-dev"]["maintenanceWindows"] = ["daily-scan", "dev-install", "weekly-install"]
    text = errors(raw)
    assert "patching:patchGroups.acme-dev.maintenanceWindows: window 'weekly-install' installs on ring 'prod'" in text


def test_debian_family_baselines_cannot_be_ringed():
    raw = acme_raw()
    raw["baselines"] = {"ubuntu": {"operatingSystem": "UBUNTU"}}
    for group in raw["patchGroups"].values():
        group["baselines"] = ["ubuntu"]
    del raw["goldenAmis"]
    assert "baseline 'ubuntu' (UBUNTU) approves on release" in errors(raw)


@time_machine.travel(datetime(2026, 12, 1, tzinfo=UTC), tick=False)
def test_a_ring_that_opens_too_soon_after_the_previous_one_names_both_rings_and_both_windows():
    raw = acme_raw()
    raw["rings"][1]["soakDays"] = 5  # dev Tuesday 04:00, prod Sunday 02:00: 4 days 22 hours later
    text = errors(raw)
    assert (
        "patching:rings[1].soakDays: ring prod's window 'weekly-install' opens 2026-12-06 02:00 GMT, 4.9 days after "
        "ring dev's window 'dev-install' (2026-12-01 04:00 GMT), in aws:region: soakDays is 5"
    ) in text


@time_machine.travel(datetime(2027, 3, 1, tzinfo=UTC), tick=False)
def test_soak_days_are_calendar_days_across_a_dst_change():
    """dev and prod both Saturdays 12:00 London: prod's opening on 2027-04-03 comes 7 calendar days after dev's
    of 2027-03-27, across the change to BST on 2027-03-28: 167 hours (hand-computed: 12:00 GMT to 11:00 UTC)."""
    raw = acme_raw()
    raw["maintenanceWindows"]["dev-install"]["schedule"] = "cron(0 12 ? * SAT *)"
    raw["maintenanceWindows"]["weekly-install"]["schedule"] = "cron(0 12 ? * SAT *)"
    raw["rings"][1]["soakDays"] = 7
    validate(raw, "Pulumi.test.yaml")  # 167 hours is 7 days on the wall clock
    assert datetime(2027, 4, 3, 11, tzinfo=UTC) - datetime(2027, 3, 27, 12, tzinfo=UTC) == timedelta(hours=167)
    raw["rings"][1]["soakDays"] = 8
    assert "soakDays is 8" in errors(raw)


# -- the cut-off, judged by Patch Manager's approval model --------------------------------------------

DEV_INSTALL = date(2026, 12, 8)  # a Tuesday: dev's install
PROD_INSTALL = date(2026, 12, 13)  # the Sunday after: prod's

UPDATES = [
    Update("old-fix", "1", True, date(2026, 11, 20), "Security", "Critical"),  # long before
    Update("edge-fix", "1", True, date(2026, 12, 1), "Security", "Important"),  # exactly D - 7: dev gets it
    Update("young-fix", "1", True, date(2026, 12, 2), "Security", "Critical"),  # too young for dev on D
    Update("between-fix", "1", True, date(2026, 12, 10), "Security", "Critical"),  # between the rings
    Update("late-fix", "1", True, date(2026, 12, 20), "Security", "Critical"),  # after both
    Update("low-fix", "1", True, date(2026, 11, 20), "Security", "Low"),  # severity not approved
    Update("bugfix", "1", False, date(2026, 11, 20), "Bugfix", "Critical"),  # not security
]


def as_model_inputs(entry: dict) -> dict:
    """A BaselineOverride entry (CreatePatchBaseline's PascalCase) as the model reads a baseline (camelCase)."""
    rules = [
        {
            "patchFilters": [{"key": f["Key"], "values": f["Values"]} for f in r["PatchFilterGroup"]["PatchFilters"]],
            **({"approveUntilDate": r["ApproveUntilDate"]} if "ApproveUntilDate" in r else {}),
            **({"approveAfterDays": r["ApproveAfterDays"]} if "ApproveAfterDays" in r else {}),
            "enableNonSecurity": r.get("EnableNonSecurity", False),
        }
        for r in entry["ApprovalRules"]["PatchRules"]
    ]
    return {
        "operatingSystem": entry["OperatingSystem"],
        "approvalRules": rules,
        "approvedPatches": entry.get("ApprovedPatches", []),
        "approvedPatchesEnableNonSecurity": entry.get("ApprovedPatchesEnableNonSecurity", False),
        "rejectedPatches": entry.get("RejectedPatches", []),
    }


def approved(baseline: dict, day: date) -> set[str]:
    return {u.package for u in UPDATES if approves(baseline, u, day)}


def acme_baseline() -> dict:
    """acme's al2023 baseline as the program builds it (the PatchBaseline's inputs)."""
    (baseline,) = example_run(ACME).of_type("aws:ssm/patchBaseline:PatchBaseline")
    return dict(baseline.inputs)


def test_prod_installs_exactly_what_dev_was_given_nothing_released_since():
    config = validate(acme_raw(), "acme")
    dev_baseline = acme_baseline()
    dev_got = approved(dev_baseline, DEV_INSTALL)
    assert dev_got == {"old-fix", "edge-fix"}  # hand-computed: released on or before 2026-12-01
    (entry,) = promoted(override_template(config, config.rings[1]), DEV_INSTALL)
    assert entry["ApprovalRules"]["PatchRules"][0]["ApproveUntilDate"] == "2026-12-01"
    prod = as_model_inputs(entry)
    assert approved(prod, PROD_INSTALL) == dev_got
    assert approved(prod, date(2027, 6, 1)) == dev_got  # a fixed cut-off: what dev got, however late
    # Without the ring, prod's own baseline on its day would take the young fix too.
    assert approved(dev_baseline, PROD_INSTALL) == {"old-fix", "edge-fix", "young-fix"}


def test_an_approve_until_date_baseline_is_cut_at_the_earlier_of_its_date_and_the_install():
    raw = acme_raw()
    raw["baselines"]["al2023"] = {"operatingSystem": "AMAZON_LINUX_2023", "approveUntilDate": "2026-11-25"}
    config = validate(raw, "Pulumi.test.yaml")
    (entry,) = promoted(override_template(config, config.rings[1]), DEV_INSTALL)
    assert entry["ApprovalRules"]["PatchRules"][0]["ApproveUntilDate"] == "2026-11-25"
    assert approved(as_model_inputs(entry), PROD_INSTALL) == {"old-fix"}
    assert cutoff(None, date(2027, 1, 1), DEV_INSTALL) == DEV_INSTALL  # nothing released after D existed on D


def test_the_first_override_approves_nothing_not_even_the_approved_list():
    raw = acme_raw()
    raw["baselines"]["al2023"]["approvedPatches"] = ["bugfix"]
    raw["baselines"]["al2023"]["approvedPatchesEnableNonSecurity"] = True
    config = validate(raw, "Pulumi.test.yaml")
    (entry,) = promoted(override_template(config, config.rings[1]), None)
    assert entry["ApprovalRules"]["PatchRules"][0]["ApproveUntilDate"] == APPROVE_NOTHING
    assert "ApprovedPatches" not in entry
    assert approved(as_model_inputs(entry), date(2030, 1, 1)) == set()
    # once promoted, the approved list is back, as in dev's baseline
    (entry,) = promoted(override_template(config, config.rings[1]), DEV_INSTALL)
    assert "bugfix" in approved(as_model_inputs(entry), PROD_INSTALL)


def test_the_override_is_a_patch_baseline_as_aws_models_it():
    """BaselineOverride takes a list of baselines with CreatePatchBaseline's fields ("Using the
    BaselineOverride parameter"): each entry, given a Name, is a valid CreatePatchBaseline request."""
    from aws_shapes import problems

    config = validate(acme_raw(), "acme")
    for install_day in (None, DEV_INSTALL):
        for entry in promoted(override_template(config, config.rings[1]), install_day):
            assert problems("ssm", "CreatePatchBaseline", {"Name": "ring-prod", **entry}) == []


def test_the_shipped_initial_override_is_the_approve_nothing_one():
    run = example_run(ACME)
    (obj,) = run.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
    assert obj.inputs["key"] == "patching/acme.rings/prod.json"
    (entry,) = json.loads(obj.inputs["content"])
    assert approved(as_model_inputs(entry), date(2030, 1, 1)) == set()


@time_machine.travel(datetime(2026, 12, 1, tzinfo=UTC), tick=False)
def test_the_calendar_prediction_uses_the_latest_dev_install_soaked_long_enough():
    config = validate(acme_raw(), "acme")
    from zoneinfo import ZoneInfo

    opening = datetime(2026, 12, 13, 2, 0, tzinfo=ZoneInfo("Europe/London"))
    prediction = predict(config, "weekly-install", opening)
    assert prediction is not None and (prediction.ring, prediction.previous) == ("prod", "dev")
    assert prediction.source_start == datetime(2026, 12, 8, 4, 0, tzinfo=ZoneInfo("Europe/London"))
    assert prediction.cutoffs == {"al2023": "2026-12-01"}
    assert predict(config, "dev-install", opening) is None  # the first ring has no cut-off
    assert predict(config, "daily-scan", opening) is None


# -- the promotion runbook, step by step ------------------------------------------------------------

PROMOTION = yaml.safe_load(
    next(d for d in example_run(ACME).of_type(DOCUMENT) if d.name == "acme-ring-prod-promotion").inputs["content"]
)
NOW = datetime(2026, 12, 13, 2, 0, 30, tzinfo=UTC)  # prod's window opened (Sunday 02:00 GMT)
DEV_STARTED = datetime(2026, 12, 8, 4, 0, 5, tzinfo=UTC)
BUCKET = "sim-acme-logs"
_paths = itertools.count()


@pytest.fixture(scope="module")
def aws():
    with mock_aws():
        boto3.client("s3", region_name=REGION).create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        yield


def execution(window: str, started: datetime, status: str = "SUCCESS") -> dict:
    return {
        "WindowId": window,
        "WindowExecutionId": f"exec-{window}-{started:%m%d%H%M}",
        "Status": status,
        "StartTime": started,
        "EndTime": started + timedelta(hours=1),
    }


def node(instance: str, ended: datetime = DEV_STARTED + timedelta(minutes=40), **counts: int) -> dict:
    return {
        "InstanceId": instance,
        "PatchGroup": "acme-dev",
        "BaselineId": "pb-0123456789abcdef0",
        "OperationStartTime": ended - timedelta(minutes=10),
        "OperationEndTime": ended,
        "Operation": "Install",
        "FailedCount": counts.get("failed", 0),
        "MissingCount": counts.get("missing", 0),
        "InstalledPendingRebootCount": counts.get("reboot", 0),
    }


class RingPath:
    """One path's own override object and topic, dev's window executions and nodes."""

    def __init__(self, executions=None, nodes=None):
        n = next(_paths)
        self.key = f"patching/acme.rings/prod-{n}.json"
        self.s3 = boto3.client("s3", region_name=REGION)
        run = example_run(ACME)
        (obj,) = run.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
        self.initial = obj.inputs["content"]
        self.s3.put_object(Bucket=BUCKET, Key=self.key, Body=self.initial.encode(), Metadata=obj.inputs["metadata"])
        self.topic = boto3.client("sns", region_name=REGION).create_topic(Name=f"sim-ring-{n}")["TopicArn"]
        default = [
            execution("mw-dev", DEV_STARTED - timedelta(days=7)),
            execution("mw-dev", DEV_STARTED),
            execution("mw-dev", NOW - timedelta(days=2)),  # an extra run 2 days ago: not soaked, not taken
        ]
        self.executions = {"mw-dev": default if executions is None else executions}
        self.nodes = {"acme-dev": [node("i-1"), node("i-2"), node("i-3")] if nodes is None else nodes}

    def run(self, fault=None, force=False):
        runner = RingRunner(
            PROMOTION,
            {
                "PreviousWindowIds": ["mw-dev"],
                "Bucket": BUCKET,
                "OverrideKey": self.key,
                "NotificationTopicArn": self.topic,
                "Force": force,
            },
            execution_id=f"ring-{next(_paths)}",
            fault=fault,
            executions=self.executions,
            patch_states=self.nodes,
        )
        with time_machine.travel(NOW, tick=False):
            return runner.run()

    def override(self):
        got = self.s3.get_object(Bucket=BUCKET, Key=self.key)
        return json.loads(got["Body"].read()), got["Metadata"]

    def messages(self):
        from moto.sns.models import sns_backends

        return [
            (subject, message)
            for _, message, subject, *_ in sns_backends[ACCOUNT][REGION].topics[self.topic].sent_notifications
        ]


def test_a_good_dev_install_is_promoted_and_prod_gets_exactly_what_dev_got(aws):
    path = RingPath()
    result = path.run()
    assert result.status == "Success", (result.history, result.failures)
    (entry,), meta = path.override()
    assert entry["ApprovalRules"]["PatchRules"][0]["ApproveUntilDate"] == "2026-12-01"  # 2026-12-08 - 7 days
    assert meta["source-execution"] == "exec-mw-dev-12080400" and meta["forced"] == "false"
    assert approved(as_model_inputs(entry), PROD_INSTALL) == approved(acme_baseline(), DEV_INSTALL)
    assert path.messages() == []  # a promotion that went well tells nobody
    again = path.run()  # prod's second install window, or a rerun: the same execution, kept
    assert again.status == "Success" and again.outputs["writeOverride"]["Written"] is False


@pytest.mark.parametrize(
    ("executions", "nodes", "reason"),
    [
        (
            [execution("mw-dev", DEV_STARTED, "FAILED")],
            None,
            "window mw-dev's execution exec-mw-dev-12080400 ended FAILED",
        ),
        (None, [node("i-1"), node("i-2", failed=2)], "i-2 (acme-dev) has 2 failed patch(es)"),
        (None, [node("i-1", missing=1)], "i-1 (acme-dev) misses 1 approved patch(es)"),
        (None, [node("i-1", reboot=1)], "i-1 (acme-dev) waits for a reboot"),
        (None, [node("i-1", ended=DEV_STARTED - timedelta(days=3))], "i-1 (acme-dev) reported no patch operation"),
        (None, [], "no node of the previous ring reported a patch state"),
        ([execution("mw-dev", NOW - timedelta(days=1))], None, "the previous ring has no install window execution"),
        (
            [execution("mw-dev", DEV_STARTED), execution("mw-dev", NOW - timedelta(days=1), "FAILED")],
            None,
            "a later run of window mw-dev, exec-mw-dev-12120200, ended FAILED",
        ),
    ],
    ids=["failed-run", "failed-node", "missing", "reboot", "silent-node", "no-nodes", "nothing-soaked", "later-failed"],
)
@pytest.mark.slow
def test_a_bad_dev_install_is_refused_prod_installs_nothing_new_and_the_customer_is_told(
    aws, executions, nodes, reason
):
    path = RingPath(executions, nodes)
    result = path.run()
    assert result.status == "Failed"
    assert result.history[-2:] == [("notifyRefusal", "Success"), ("endFailed", "Failed")]
    assert any(reason in r for r in result.outputs["assess"]["Reasons"]), result.outputs["assess"]["Reasons"]
    assert path.override()[0] == json.loads(path.initial)  # left as it was: nothing new
    ((subject, message),) = path.messages()
    assert subject == "Ring prod: promotion refused, nothing new installed"
    assert reason in message and "patching promote <stack file> --ring prod --force" in message


@pytest.mark.slow
def test_force_accepts_that_install_once_and_the_next_one_is_judged_again(aws):
    path = RingPath(nodes=[node("i-1", failed=1)])
    forced = path.run(force=True)
    assert forced.status == "Success"
    (entry,), meta = path.override()
    assert (meta["forced"], meta["source-execution"]) == ("true", "exec-mw-dev-12080400")
    assert entry["ApprovalRules"]["PatchRules"][0]["ApproveUntilDate"] == "2026-12-01"
    # prod's window later runs the promotion without --force: the same execution was accepted, it stays.
    assert path.run().status == "Success" and path.messages() == []
    # a week later dev installs again, with the same failed node: refused again
    path.executions["mw-dev"].append(execution("mw-dev", DEV_STARTED + timedelta(days=7)))
    with time_machine.travel(NOW + timedelta(days=7), tick=False):
        later = RingRunner(
            PROMOTION,
            {
                "PreviousWindowIds": ["mw-dev"],
                "Bucket": BUCKET,
                "OverrideKey": path.key,
                "NotificationTopicArn": path.topic,
            },
            execution_id="ring-later",
            executions=path.executions,
            patch_states={"acme-dev": [node("i-1", ended=DEV_STARTED + timedelta(days=7, minutes=40), failed=1)]},
        ).run()
    assert later.status == "Failed" and path.override()[1]["source-execution"] == "exec-mw-dev-12080400"


def expected_status(fault: Fault) -> str:
    if fault.kind == "cancel":
        return "Cancelled"
    if fault.step == "assess":
        return "Success"  # a read, retried (maxAttempts 2): the fault hits the first attempt only
    return "Failed"


FAILURE_ONLY = ("notifyRefusal", "notifyFailure", "endFailed")
REPRESENTATIVE = {"writeOverride:PutObject:lost"}


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(f, id=str(f), marks=() if str(f) in REPRESENTATIVE else pytest.mark.slow)
        for f in fault_matrix(PROMOTION)
    ],
)
def test_every_promotion_path_leaves_the_old_or_the_right_override_and_a_failure_is_told(aws, fault):
    path = RingPath()
    result = path.run(fault)
    if not result.injected:
        assert fault.step in FAILURE_ONLY  # a run that succeeds never reaches them
        assert result.status == "Success"
        return
    assert result.status == expected_status(fault), (result.history, result.failures)
    content, meta = path.override()
    if meta.get("source-execution") == "exec-mw-dev-12080400":  # written: exactly dev's patch set
        assert content[0]["ApprovalRules"]["PatchRules"][0]["ApproveUntilDate"] == "2026-12-01"
    else:  # or left as it was: nothing new
        assert content == json.loads(path.initial)
    if result.status == "Failed" and fault.step == "writeOverride":
        ((subject, _),) = path.messages()
        assert subject == "Ring prod: promotion failed, nothing new installed"
    # prod's next window runs it again and gets there
    assert path.run().status == "Success"
    assert path.override()[0][0]["ApprovalRules"]["PatchRules"][0]["ApproveUntilDate"] == "2026-12-01"


# -- the promotion role ---------------------------------------------------------------------------


def test_the_promotion_role_may_do_exactly_what_its_runbook_does_on_this_customers_resources():
    run = example_run(ACME)
    (policy,) = [
        r.inputs["policy"] for r in run.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "acme-ring-prod-role"
    ]
    region, account = "eu-west-1", "123456789012"
    window = f"arn:aws:ssm:{region}:{account}:maintenancewindow/mw-0123456789abcdef0"
    key = "arn:aws:s3:::acme-logs-mock/patching/acme.rings/prod.json"
    topic = run.outputs["notificationTopicArn"]
    acme, globex = {"aws:ResourceTag/Customer": "acme"}, {"aws:ResourceTag/Customer": "globex"}
    assert allowed([policy], Request("ssm:DescribeMaintenanceWindowExecutions", window, acme))
    assert not allowed([policy], Request("ssm:DescribeMaintenanceWindowExecutions", window, globex))
    assert allowed([policy], Request("ssm:DescribeInstancePatchStatesForPatchGroup", "*"))
    assert allowed([policy], Request("s3:GetObject", key)) and allowed([policy], Request("s3:PutObject", key))
    assert allowed([policy], Request("sns:Publish", topic))
    for other in (
        "arn:aws:s3:::acme-logs-mock/patching/acme.rings/dev.json",
        "arn:aws:s3:::acme-logs-mock/patching/globex.rings/prod.json",
        "arn:aws:s3:::globex-logs/patching/acme.rings/prod.json",
    ):
        assert not allowed([policy], Request("s3:PutObject", other))
    assert not allowed([policy], Request("sns:Publish", topic.replace("acme", "globex")))
    for action in ("ssm:UpdatePatchBaseline", "ssm:SendCommand", "ssm:UpdateMaintenanceWindow", "s3:DeleteObject"):
        assert not allowed([policy], Request(action, "*"))
    # the instances read their ring's override, nothing else of the bucket
    (read,) = [
        r.inputs["policy"]
        for r in run.of_type("aws:iam/rolePolicy:RolePolicy")
        if r.name == "acme-ring-prod-read-override"
    ]
    assert allowed([read], Request("s3:GetObject", key))
    assert not allowed([read], Request("s3:GetObject", key.replace("prod.json", "dev.json")))
    assert not allowed([read], Request("s3:PutObject", key))


def test_the_windows_role_may_start_exactly_the_promotion_with_its_role():
    run = example_run(ACME)
    policies = [
        r.inputs["policy"] for r in run.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "acme-ring-prod-start"
    ]
    definition = "arn:aws:ssm:eu-west-1:123456789012:automation-definition/acme-ring-prod-promotion:$DEFAULT"
    assert allowed(policies, Request("ssm:StartAutomationExecution", definition))
    assert not allowed(policies, Request("ssm:StartAutomationExecution", definition.replace("prod", "qa")))
    role = "arn:aws:iam::123456789012:role/acme-ring-prod-role-mock"
    assert allowed(policies, Request("iam:PassRole", role, {"iam:PassedToService": "ssm.amazonaws.com"}))
    assert not allowed(policies, Request("iam:PassRole", role, {"iam:PassedToService": "ec2.amazonaws.com"}))


def test_a_failed_dev_node_is_refused(aws):
    """The refusal path in the default run (the other reasons run with the slow tests)."""
    test_a_bad_dev_install_is_refused_prod_installs_nothing_new_and_the_customer_is_told(
        aws, None, [node("i-1"), node("i-2", failed=2)], "i-2 (acme-dev) has 2 failed patch(es)"
    )


def test_a_soak_error_about_secret_schedules_does_not_say_when_they_open():
    from patching_components.tools.engine import ProgramError
    from tests.engine import run_program
    from tests.test_secret_settings import CASES, configured

    config = configured(CASES["maintenanceWindows.<key>.schedule"], "cron(30 1 ? * WED *)")  # a day after dev
    with time_machine.travel(datetime(2026, 12, 1, 12, tzinfo=UTC), tick=False):
        with pytest.raises(ProgramError) as public:
            run_program(config, stack="acme")
        with pytest.raises(ProgramError) as secret:
            run_program(config, stack="acme", secret_keys=["patching:maintenanceWindows"])
    assert "ring prod's window 'weekly-install' opens 2026-12-02 01:30 GMT, 0.9 days after" in str(public.value)
    text = str(secret.value)
    assert "patching:rings[1].soakDays: ring prod's window 'weekly-install' opens less than 4 days after" in text
    assert "(when is left out: the schedules are secret)" in text
    assert "2026-" not in text and "01:30" not in text and "0.9" not in text


def test_a_scan_only_customer_keeps_its_rings_and_installs_nothing():
    raw = acme_raw()
    raw["mode"] = "scan-only"
    config = validate(raw, "Pulumi.test.yaml")  # no install window is built: nothing to soak or promote
    assert [r.name for r in config.rings] == ["dev", "prod"]
    from patching_components.config.rings import install_windows

    assert install_windows(config, ["acme-web"]) == []


def test_the_assess_step_sends_exactly_these_requests():
    """botocore's Stubber checks each request of the runbook's assess step against the SSM and S3 models,
    and the exact parameters: the soak window as ExecutedAfter (AWS documents ExecutedBefore/ExecutedAfter only),
    AWS's largest page of patch states."""
    from botocore.stub import Stubber

    from patching_components.tools.promote_command import run_script

    ssm = boto3.client("ssm", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    s3 = boto3.client("s3", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    ec2 = boto3.client("ec2", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="x")
    after = "2026-09-08T04:00:30Z"  # now - 4 days + 2 hours (the soak), 92 days earlier
    with Stubber(ssm) as ssm_stub, Stubber(s3) as s3_stub, Stubber(ec2) as ec2_stub:
        ssm_stub.add_response(
            "describe_maintenance_window_executions",
            {
                "WindowExecutions": [
                    {
                        **execution("mw-0123456789abcdef0", DEV_STARTED),
                        "WindowExecutionId": "11111111-2222-3333-4444-555555555555",
                    }
                ]
            },
            {
                "WindowId": "mw-0123456789abcdef0",
                "Filters": [{"Key": "ExecutedAfter", "Values": [after]}],
            },
        )
        s3_stub.add_response(
            "head_object", {"Metadata": {}}, {"Bucket": BUCKET, "Key": "patching/acme.rings/prod.json"}
        )
        # the previous ring's instances: tagged with its groups (a tag filter), EC2's largest page (1000,
        # "DescribeInstances": MaxResults 5-1000)
        ec2_stub.add_response(
            "describe_instances",
            {
                "Reservations": [
                    {
                        "Instances": [
                            {
                                "InstanceId": "i-0123456789abcdef0",
                                "State": {"Name": "running", "Code": 16},
                                "Tags": [{"Key": "Patch Group", "Value": "acme-dev"}],
                            }
                        ]
                    }
                ]
            },
            {"Filters": [{"Name": "tag:Patch Group", "Values": ["acme-dev"]}], "MaxResults": 1000},
        )
        ssm_stub.add_response(
            "describe_instance_patch_states_for_patch_group",
            {"InstancePatchStates": [node("i-0123456789abcdef0")]},
            {"PatchGroup": "acme-dev", "MaxResults": 100},
        )
        step = next(s for s in PROMOTION["mainSteps"] if s["name"] == "assess")
        payload = {
            "PreviousWindowIds": ["mw-0123456789abcdef0"],
            "PreviousPatchGroups": ["acme-dev"],
            "PatchGroupTagKey": "Patch Group",
            "CountMissing": True,
            "SoakDays": 4,
            "Bucket": BUCKET,
            "OverrideKey": "patching/acme.rings/prod.json",
            "Force": False,
        }
        with time_machine.travel(NOW, tick=False):
            result = run_script(step, payload, {"ssm": ssm, "s3": s3, "ec2": ec2}.__getitem__)
        ssm_stub.assert_no_pending_responses()
        ec2_stub.assert_no_pending_responses()
    assert (result["Decision"], result["InstallDay"], result["Reasons"]) == ("PROMOTE", "2026-12-08", [])


def test_the_promotion_runbook_passes_the_document_checks():
    from patching_components.aws.automation_doc import document_issues

    assert document_issues(PROMOTION) == []


def test_the_promotion_role_grants_exactly_the_runbooks_calls():
    """The actions of the role's policy are the IAM actions of the calls the runbook's steps make (read from the
    document), HeadObject being s3:GetObject, plus s3:ListBucket, which turns a missing object's 403 into 404
    ("HeadObject": "If you don't have the s3:ListBucket permission, Amazon S3 returns ... 403")."""
    from iam_model import granted_actions
    from runbook_sim import step_calls

    run = example_run(ACME)
    (policy,) = [
        r.inputs["policy"] for r in run.of_type("aws:iam/rolePolicy:RolePolicy") if r.name == "acme-ring-prod-role"
    ]
    iam_action = {"HeadObject": "GetObject"}
    calls = {
        f"{service}:{iam_action.get(api, api)}" for step in PROMOTION["mainSteps"] for service, api in step_calls(step)
    }
    assert calls == {
        "ssm:DescribeMaintenanceWindowExecutions",
        "ssm:DescribeInstancePatchStatesForPatchGroup",
        "ec2:DescribeInstances",  # the previous ring's nodes, each of which must have reported
        "s3:GetObject",
        "s3:PutObject",
        "sns:Publish",
    }
    assert {a.lower() for a in granted_actions([policy])} == {a.lower() for a in calls | {"s3:ListBucket"}}
    bucket = "arn:aws:s3:::acme-logs-mock"
    assert allowed([policy], Request("s3:ListBucket", bucket, {"s3:prefix": "patching/acme.rings/prod.json"}))
    assert not allowed([policy], Request("s3:ListBucket", bucket, {"s3:prefix": "patching/"}))


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(f, id=str(f), marks=() if f.kind == "error" else pytest.mark.slow)
        for f in fault_matrix(PROMOTION, steps=["notifyRefusal", "endFailed"])
    ],
)
def test_every_refusal_path_ends_failed_and_writes_nothing(aws, fault):
    path = RingPath(nodes=[node("i-1", failed=1)])
    result = path.run(fault)
    assert result.injected
    assert result.status == ("Cancelled" if fault.kind == "cancel" else "Failed"), (result.history, result.failures)
    assert path.override()[0] == json.loads(path.initial)


def test_a_deleted_override_is_written_again_by_the_next_promotion(aws):
    path = RingPath()
    path.s3.delete_object(Bucket=BUCKET, Key=path.key)  # meanwhile prod's install fails: no override to read
    result = path.run()
    assert result.status == "Success", result.failures
    assert result.outputs["assess"]["InForce"] == "none (nothing approved)"
    assert path.override()[0][0]["ApprovalRules"]["PatchRules"][0]["ApproveUntilDate"] == "2026-12-01"


def test_the_notice_line_of_a_ring_window():
    from patching_components import notices
    from patching_components.rings import ring_note

    config = validate(acme_raw(), "acme")
    prod = ring_note(config, "weekly-install")
    assert prod == (
        "Patch ring prod: installs only what ring dev was given at its latest install at least 4 day(s) before, "
        "if that install succeeded (promoted as the window opens; `patching calendar` shows the predicted "
        "cut-off); nothing new otherwise."
    )
    assert ring_note(config, "dev-install").startswith("Patch ring dev: the first ring")
    assert ring_note(config, "daily-scan") == ""
    assert notices.applies_lines({"frozen": None, "ring": prod})[-1] == prod


def test_no_node_can_change_what_a_ring_installs():
    """The instances may write their output below <s3Prefix>/<customer>/ and read their ring's override; the
    override is beside that prefix, so no node (of this customer or, with a shared bucket, another) can write it."""
    run = example_run(ACME)
    role = next(r for r in run.of_type("aws:iam/role:Role") if r.name == "acme-instance")
    role_name = f"{role.name}-mock"
    policies = [
        r.inputs["policy"] for r in run.of_type("aws:iam/rolePolicy:RolePolicy") if r.inputs["role"] == role_name
    ]
    assert policies
    key = "arn:aws:s3:::acme-logs-mock/patching/acme.rings/prod.json"
    assert allowed(policies, Request("s3:PutObject", "arn:aws:s3:::acme-logs-mock/patching/acme/weekly-install/x"))
    assert allowed(policies, Request("s3:GetObject", key))
    assert not allowed(policies, Request("s3:PutObject", key))
    assert not allowed(policies, Request("s3:DeleteObject", key))


COMPONENT_ARGS = {
    "customer": "acme",
    "ring": "prod",
    "previous_ring": "dev",
    "previous_window_ids": ["mw-0123456789abcdef0"],
    "previous_patch_groups": ["acme-dev"],
    "soak_days": 7,
    "window_ids": {"prod-install": "mw-0fedcba9876543210"},
    "override_template": "[]",
    "initial_override": "[]",
    "bucket": "acme-logs",
    "override_key": "patching/acme.rings/prod.json",
    "document_name": "acme-ring-prod-promotion",
    "maintenance_window_role_arn": "arn:aws:iam::123456789012:role/mw",
    "maintenance_window_role_name": "mw",
    "instance_role_name": "instance",
}
"""RingPromotion's arguments for a later ring prod of acme, as a Python program would give them."""


def test_ring_promotion_alone_from_python():
    """The component used on its own: the promotion task first in each window, the approve-nothing override
    written once (later writes are the runbook's), and a bad argument fails before anything is registered."""
    from patching_components.components.ring_promotion import RingPromotion
    from patching_components.tools.engine import ProgramError
    from tests.engine import run_program

    args = COMPONENT_ARGS
    run = run_program({}, stack="args", program=lambda: RingPromotion("acme-ring-prod", args))
    (task,) = run.of_type("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask")
    assert (task.inputs["windowId"], task.inputs["priority"], task.inputs["taskType"]) == (
        "mw-0fedcba9876543210",
        0,
        "AUTOMATION",
    )
    (obj,) = run.of_type("aws:s3/bucketObjectv2:BucketObjectv2")
    assert {"content", "metadata"} <= set(obj.ignore_changes)
    assert len(run.of_type("aws:iam/role:Role")) == 1
    with pytest.raises(ProgramError) as info:
        run_program({}, stack="args", program=lambda: RingPromotion("r", {**args, "previous_patch_groups": "acme-dev"}))
    assert info.value.resources == []
    assert "previous_patch_groups: Input should be a valid list" in str(info.value)


@pytest.mark.parametrize(
    "extra",
    [{"catchUp": {"maxAgeDays": 8}}, {"snapshotBeforeInstall": {"retainDays": 7}}],
    ids=["catch-up", "snapshots"],
)
def test_a_later_rings_node_gets_the_rings_override_on_every_install_path(extra):
    # Prod (weekly-install) installs with its ring's BaselineOverride: a node caught up on start, or
    # patched after its pre-patch snapshot, must get the same cut-off, never the baselines' newer approvals.
    from conftest import run_config

    raw = acme_raw()
    raw["maintenanceWindows"]["weekly-install"].update(extra)
    run = run_config(raw, stack="acme")
    want = "s3://acme-logs-mock/patching/acme.rings/prod.json"
    documents = [
        yaml.safe_load(d.inputs["content"])
        for d in run.of_type("aws:ssm/document:Document")
        if d.inputs["name"].startswith("acme-weekly-install-")
    ]
    (document,) = documents
    commands = [s["inputs"] for s in document["mainSteps"] if s["action"] == "aws:runCommand"]
    assert commands and all(c["Parameters"]["BaselineOverride"] == [want] for c in commands)
    # dev's own window installs with the baselines: nothing to promote from
    assert "BaselineOverride" not in json.dumps(
        [
            t.inputs
            for t in run.of_type("aws:ssm/maintenanceWindowTask:MaintenanceWindowTask")
            if "dev-install" in t.name
        ]
    )
