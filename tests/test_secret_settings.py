"""Every secret stays secret (issue #26 item 18; that only secrets are secret: test_only_secrets_are_secret.py).

Run as ``pulumi up`` runs the program: the engine hands each ``patching:`` value over decrypted
and marks the whole top-level key secret. For every text setting a stack may make secret, a
distinctive value (hand-written here) must end up secret in every input and output that holds
it, and in clear nowhere: not in ``patching plan``, not in an error message, not in a warning.
"""

from __future__ import annotations

import copy
import json
import os
import re
import typing
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel

from conftest import ROOT
from patching_components.config import StackConfig
from patching_components.config.base import Public
from patching_components.tools.engine import ProgramError, stack_file_config
from tests.engine import Run, run_program


def stack_config(stack: str) -> dict[str, Any]:
    return stack_file_config(ROOT / "stacks" / f"Pulumi.{stack}.yaml")


@dataclass(frozen=True)
class Case:
    stack: str
    path: tuple[str | int, ...]
    """Below ``patching:``; its first step is the key the engine marks secret."""
    value: str
    """The decrypted value: valid, and found nowhere else in the stack's resources."""
    invalid: str
    """A decrypted value the setting's rules refuse."""
    setup: dict[tuple[str | int, ...], Any] = field(default_factory=dict)
    """Other settings of the stack for the setting to take effect (None removes one)."""


def _put(config: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    parent: Any = config
    steps = (f"patching:{path[0]}", *path[1:])
    for step in steps[:-1]:
        parent = parent.setdefault(step, {}) if isinstance(parent, dict) else parent[step]
    if value is None:
        del parent[steps[-1]]
    elif isinstance(parent, list) and steps[-1] == len(parent):
        parent.append(value)
    else:
        parent[steps[-1]] = value


def configured(case: Case, value: str) -> dict[str, Any]:
    config = copy.deepcopy(stack_config(case.stack))
    for path, setting in case.setup.items():
        _put(config, path, setting)
    _put(config, case.path, value)
    return config


def run_case(case: Case, value: str | None = None) -> Run:
    return run_program(
        configured(case, case.value if value is None else value),
        stack=case.stack,
        secret_keys=[f"patching:{case.path[0]}"],
    )


REPO = "[corp]\nname=secret repo 5521\nbaseurl=https://repo.example/al2023\nenabled=1\n"
LONG = "secret5521" + "x" * 1100

# One case per text setting the model takes (a key of a map is written <key>, an item [] ), with a
# value that occurs nowhere else in the stack. Settings marked Public (names of resources) and
# fixed choices are not here: they cannot be secret text.
CASES: dict[str, Case] = {
    "tags.<key>": Case("acme", ("tags", "CostCenter"), "cc-secret-5521", "cc#secret!5521"),
    "permissionsBoundary": Case(
        "acme", ("permissionsBoundary",), "arn:aws:iam::123456789012:policy/secret-boundary-5521", "secret-5521"
    ),
    "baselines.<key>.description": Case(
        "acme", ("baselines", "al2023", "description"), "Secret baseline words 5521", LONG
    ),
    "baselines.<key>.approveUntilDate": Case(
        "acme",
        ("baselines", "al2023", "approveUntilDate"),
        "2031-05-17",
        "2031-02-30",
        {("baselines", "al2023", "approveAfterDays"): None},
    ),
    "baselines.<key>.classifications[]": Case(
        "acme",
        ("baselines", "al2023", "classifications", 0),
        "Security",
        "Secretfix5521",
        {("baselines", "al2023", "classifications"): ["Security"]},
    ),
    "baselines.<key>.severities[]": Case("acme", ("baselines", "al2023", "severities", 0), "Critical", "Dire5521"),
    "baselines.<key>.priorities[]": Case(
        "globex",
        ("baselines", "ubuntu", "priorities", 0),
        "Optional",
        "Whenever5521",
        # All five: with fewer, the baseline warns naming the priorities it leaves out (public names).
        {("baselines", "ubuntu", "priorities"): ["Optional", "Required", "Important", "Standard", "Extra"]},
    ),
    "baselines.<key>.products[]": Case(
        "globex",
        ("baselines", "rhel9", "products", 1),
        "RedhatEnterpriseLinux9.6",
        "Redhat5521" + "9" * 300,
        {("baselines", "rhel9", "products"): ["RedhatEnterpriseLinux9.5"]},  # globex lists none
    ),
    "baselines.<key>.approvedPatches[]": Case(
        "acme",
        ("baselines", "al2023", "approvedPatches", 0),
        "openssl-secret-5521",
        LONG,
        {("baselines", "al2023", "approvedPatches"): ["openssl-secret-5521"]},
    ),
    "baselines.<key>.rejectedPatches[]": Case(
        "globex", ("baselines", "al2023", "rejectedPatches", 0), "kernel-secret-5521*", LONG
    ),
    "baselines.<key>.sources.<key>.products[]": Case(
        "acme",
        ("baselines", "al2023", "sources", "corp-repo", "products", 0),
        "AmazonLinux2023",
        "Secret" + "9" * 300,
        {("baselines", "al2023", "sources"): {"corp-repo": {"products": ["AmazonLinux2023"], "configuration": REPO}}},
    ),
    "baselines.<key>.sources.<key>.configuration": Case(
        "acme",
        ("baselines", "al2023", "sources", "corp-repo", "configuration"),
        REPO,
        LONG,
        {("baselines", "al2023", "sources"): {"corp-repo": {"products": ["AmazonLinux2023"], "configuration": REPO}}},
    ),
    "maintenanceWindows.<key>.schedule": Case(
        "acme", ("maintenanceWindows", "weekly-install", "schedule"), "cron(17 3 ? * SUN *)", "cron(17 3 ? * SECRET *)"
    ),
    "maintenanceWindows.<key>.timezone": Case(
        "acme", ("maintenanceWindows", "weekly-install", "timezone"), "Pacific/Chatham", "Secret/Nowhere5521"
    ),
    "maintenanceWindows.<key>.maxConcurrency": Case(
        "acme", ("maintenanceWindows", "weekly-install", "maxConcurrency"), "37%", "370%x"
    ),
    "maintenanceWindows.<key>.maxErrors": Case(
        "acme", ("maintenanceWindows", "weekly-install", "maxErrors"), "13", "13x%"
    ),
    "maintenanceWindows.<key>.hooks.preInstall": Case(
        "globex", ("maintenanceWindows", "tue-install", "hooks", "preInstall"), "Secret-Drain-5521", "bad hook 5521"
    ),
    "maintenanceWindows.<key>.hooks.postInstall": Case(
        "globex", ("maintenanceWindows", "tue-install", "hooks", "postInstall"), "Secret-Check-5521", "bad hook 5521"
    ),
    "maintenanceWindows.<key>.hooks.onExit": Case(
        "globex", ("maintenanceWindows", "tue-install", "hooks", "onExit"), "Secret-Exit-5521", "bad hook 5521"
    ),
    "maintenanceWindows.<key>.description": Case(
        "globex", ("maintenanceWindows", "tue-install", "description"), "Secret window words 5521", LONG
    ),
    "logging.s3Bucket": Case("globex", ("logging", "s3Bucket"), "secret-bucket-5521", "Secret_Bucket_5521"),
    # Short: the prefix is found where it was put, and in the customer's prefix derived from it.
    "logging.s3Prefix": Case("acme", ("logging", "s3Prefix"), "sp", "/bad//secret5521"),
    "logging.kmsKeyArn": Case(
        "globex",
        ("logging", "kmsKeyArn"),
        "arn:aws:kms:us-east-1:111122223333:key/secret-log-key-5521",
        "arn:aws:kms:secret5521",
    ),
    # Not in the example stacks: CloudWatch output in acme's one region (eu-west-1), with its key.
    "logging.cloudWatch.kmsKeyArn": Case(
        "acme",
        ("logging", "cloudWatch", "kmsKeyArn"),
        "arn:aws:kms:eu-west-1:123456789012:key/secret-cw-key-5521",
        "arn:aws:kms:eu-west-1:secret5521",
    ),
    "notifications.emails[]": Case(
        "acme", ("notifications", "emails", 1), "secret.person5521@acme.example", "secret5521@@acme"
    ),
    "notifications.snsTopicArn": Case(
        "globex",
        ("notifications", "snsTopicArn"),
        "arn:aws:sns:us-east-1:111122223333:secret-alerts-5521",
        "arn:aws:sns:secret5521",
    ),
    "goldenAmis.<key>.sourceAmiId": Case(
        "globex", ("goldenAmis", "win2022-fileserver", "sourceAmiId"), "ami-0abc5521def98", "ami-secret5521"
    ),
    "goldenAmis.<key>.sourceAmiParameter": Case(
        "acme", ("goldenAmis", "al2023-base", "sourceAmiParameter"), "/secret/ami/al2023-5521", "secret5521 ami"
    ),
    "goldenAmis.<key>.instanceType": Case(
        "acme", ("goldenAmis", "al2023-base", "instanceType"), "m6i.xlarge", "q9z.secret5521"
    ),
    "goldenAmis.<key>.subnetId": Case(
        "acme", ("goldenAmis", "al2023-base", "subnetId"), "subnet-0abc5521def98", "subnet-secret5521"
    ),
    "goldenAmis.<key>.securityGroupIds[]": Case(
        "acme",
        ("goldenAmis", "al2023-base", "securityGroupIds", 0),
        "sg-0abc5521def987654",
        "sg-secret5521",
        {("goldenAmis", "al2023-base", "securityGroupIds"): ["sg-0abc5521def987654"]},
    ),
    "goldenAmis.<key>.schedule": Case(
        "acme", ("goldenAmis", "al2023-base", "schedule"), "cron(41 5 ? * TUE#3 *)", "cron(41 5 ? * SECRET *)"
    ),
    "goldenAmis.<key>.timezone": Case(
        "acme", ("goldenAmis", "al2023-base", "timezone"), "America/St_Johns", "Secret/Nowhere5521"
    ),
    "goldenAmis.<key>.kmsKeyArn": Case(
        "globex",
        ("goldenAmis", "win2022-fileserver", "kmsKeyArn"),
        "arn:aws:kms:us-east-1:111122223333:key/secret-key-5521",
        "arn:aws:kms:secret5521",
    ),
    "instanceRole.managedPolicyArns[]": Case(
        "globex",
        ("instanceRole", "managedPolicyArns", 0),
        "arn:aws:iam::111122223333:policy/secret-hooks-5521",
        "arn:aws:iam::secret5521",
        {("instanceRole", "managedPolicyArns"): []},
    ),
    "instanceRole.statements[].Sid": Case(
        "globex", ("instanceRole", "statements", 0, "Sid"), "SecretDrainSid5521", "Secret-Drain 5521"
    ),
    # The invalid one is an action pattern IAM takes, but a grant of every action of a service.
    "instanceRole.statements[].Action[]": Case(
        "globex", ("instanceRole", "statements", 0, "Action", 1), "secret-svc5521:DescribeThings", "secret5521:*"
    ),
    # A Deny statement of its own: Allow with NotAction or NotResource grants everything not listed.
    "instanceRole.statements[].NotAction[]": Case(
        "globex",
        ("instanceRole", "statements", 2, "NotAction", 0),
        "secret-svc5521:DescribeThings",
        "secret 5521 action",
        {("instanceRole", "statements", 2): {"Effect": "Deny", "NotAction": ["ec2:X"], "Resource": "*"}},
    ),
    "instanceRole.statements[].Resource[]": Case(
        "globex",
        ("instanceRole", "statements", 0, "Resource", 0),
        "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/secret-tg-5521/*",
        "secret5521-target-group",
        {("instanceRole", "statements", 0, "Resource"): ["arn:aws:s3:::x"]},
    ),
    "instanceRole.statements[].NotResource[]": Case(
        "globex",
        ("instanceRole", "statements", 2, "NotResource", 0),
        "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/secret-tg-5521/*",
        "secret5521-target-group",
        {("instanceRole", "statements", 2): {"Effect": "Deny", "Action": "ec2:X", "NotResource": ["arn:aws:s3:::x"]}},
    ),
    # Any text is a condition value: only the size of the role's inline policies (IAM: 10,240) refuses one.
    "instanceRole.statements[].Condition.<key>.<key>[]": Case(
        "globex",
        ("instanceRole", "statements", 0, "Condition", "StringEquals", "aws:ResourceTag/Tier", 0),
        "secret-tier-5521",
        "secret5521" + "x" * 10300,
        {("instanceRole", "statements", 0, "Condition"): {"StringEquals": {"aws:ResourceTag/Tier": ["x"]}}},
    ),
    "changeFreezes.<key>.start": Case(
        "globex", ("changeFreezes", "black-friday", "start"), "2027-11-23T05:17", "secret-2027-11-23"
    ),
    "changeFreezes.<key>.end": Case(
        "globex", ("changeFreezes", "black-friday", "end"), "2027-11-29T07:43", "2027-11-29Tsecret"
    ),
    "changeFreezes.<key>.timezone": Case(
        "globex", ("changeFreezes", "black-friday", "timezone"), "America/Chicago", "Secret/Nowhere5521"
    ),
    # The alarm's ARN in the circuit breaker's rule; the runbook gets the name at run time.
    "maintenanceWindows.<key>.stopOnAlarms[]": Case(
        "acme", ("maintenanceWindows", "weekly-install", "stopOnAlarms", 0), "secret-alarm-5521", LONG
    ),
}

# The default run keeps one case per top-level key; .ci/run runs them all (-m slow).
REPRESENTATIVE = {
    "tags.<key>",
    "permissionsBoundary",
    "baselines.<key>.approveUntilDate",
    "maintenanceWindows.<key>.maxErrors",
    "logging.s3Prefix",
    "notifications.snsTopicArn",
    "goldenAmis.<key>.instanceType",
    "changeFreezes.<key>.start",
    "instanceRole.statements[].Condition.<key>.<key>[]",
}


def params() -> list[Any]:
    return [pytest.param(name, id=name, marks=() if name in REPRESENTATIVE else pytest.mark.slow) for name in CASES]


def text_settings() -> set[str]:
    """The model's settings that hold text (a date is text in YAML), Public and fixed choices left out."""
    found: set[str] = set()

    def walk(annotation: Any, path: str) -> None:
        metadata: tuple[Any, ...] = ()
        while True:  # through Annotated and Optional
            if typing.get_origin(annotation) is Annotated:
                metadata += typing.get_args(annotation)[1:]
                annotation = typing.get_args(annotation)[0]
            elif typing.get_origin(annotation) in (typing.Union, type(int | None)):
                annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
            else:
                break
        if any(isinstance(m, Public) for m in metadata):
            return
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for name, f in annotation.model_fields.items():
                inner = Annotated[(f.annotation, *f.metadata)] if f.metadata else f.annotation
                walk(inner, f"{path}.{f.alias or name}".lstrip("."))
        elif typing.get_origin(annotation) is dict:
            walk(typing.get_args(annotation)[1], f"{path}.<key>")
        elif typing.get_origin(annotation) is list:
            walk(typing.get_args(annotation)[0], f"{path}[]")
        elif annotation in (str, date) and typing.get_origin(annotation) is not Literal:
            found.add(path)

    walk(StackConfig, "")
    return found


def test_every_text_setting_has_a_case():
    """A new text setting fails here until it has a case (and so is checked to stay secret)."""
    assert set(CASES) == text_settings()


def holds(value: Any, text: str) -> bool:
    """Whether the text is in a value: as a whole word of any of its strings (so "13" is not found in "2013")."""
    if isinstance(value, str):
        return re.search(rf"(?<![A-Za-z0-9]){re.escape(text)}(?![A-Za-z0-9])", value) is not None
    if isinstance(value, dict):
        return any(holds(k, text) or holds(v, text) for k, v in value.items())
    if isinstance(value, list):
        return any(holds(v, text) for v in value)
    return False


@pytest.mark.parametrize("name", params())
def test_a_secret_setting_stays_secret_in_every_input_output_and_warning(name):
    case = CASES[name]
    run = run_case(case)
    holding = [(r, key) for r in run.resources for key, value in r.inputs.items() if holds(value, case.value)]
    assert holding, f"{name}: the value reaches no input (the case checks nothing)"
    assert [f"{r.name}.{key}" for r, key in holding if key not in r.secret_inputs] == []
    exported = [key for key, value in run.outputs.items() if holds(value, case.value)]
    assert [key for key in exported if key not in run.secret_outputs] == []
    assert [w for w in run.warnings if holds(w, case.value)] == []
    assert [r.urn for r in run.resources if holds(r.urn, case.value)] == []  # a URN is never secret


@pytest.mark.parametrize("name", params())
def test_a_secret_setting_validates_offline_with_a_note(tmp_path, name):
    """`patching validate` of the stack file with the setting ``{secure: ...}``: its stand-in passes
    every rule (the setting may be secret), and a note names what was not checked."""
    import yaml

    from patching_components.checks import check_stack

    case = CASES[name]
    path = tmp_path / f"Pulumi.{case.stack}.yaml"
    path.write_text(yaml.safe_dump({"config": configured(case, {"secure": "v1:AAAA"})}, sort_keys=False))  # type: ignore[arg-type]
    checked = check_stack(path)
    assert [w.path for w in checked.warnings if "is a secret" in w.message] == [case.path]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["notifications.emails[]", "logging.s3Prefix", "maintenanceWindows.<key>.maxErrors"])
def test_a_secret_stays_secret_in_every_region(name):
    """With patching:regions, the other region's topic subscriptions, windows and tasks too."""
    case = CASES[name]
    config = configured(case, case.value)
    _put(config, ("regions",), ["eu-west-1", "us-east-1"])
    run = run_program(config, stack=case.stack, secret_keys=[f"patching:{case.path[0]}"])
    holding = [(r, key) for r in run.resources for key, value in r.inputs.items() if holds(value, case.value)]
    assert {r.region for r, _ in holding} == {"eu-west-1", "us-east-1"}
    assert [f"{r.name}.{key}" for r, key in holding if key not in r.secret_inputs] == []


@pytest.mark.parametrize("name", params())
def test_an_invalid_secret_is_named_by_its_key_path_never_by_its_value(name):
    case = CASES[name]
    with pytest.raises(ProgramError) as info:
        run_case(case, case.invalid)
    message = str(info.value)
    dotted = ".".join(str(step) for step in case.path[:3] if isinstance(step, str))
    assert f"patching:{dotted}" in message
    assert case.invalid not in message
    # Nor a part of it (a cron parser quotes the field it refuses), where the value has a part to spot.
    shown = message.replace("[secret]", "")
    assert "5521" not in shown and "secret" not in shown.lower()
    assert info.value.resources == []


def test_a_rule_across_settings_names_neither_secret():
    """end before start: the message names both key paths' rule, and neither value."""
    case = CASES["changeFreezes.<key>.end"]
    config = configured(case, "2027-11-20T01:02")
    _put(config, ("changeFreezes", "black-friday", "start"), "2027-11-24T03:04")
    with pytest.raises(ProgramError) as info:
        run_program(config, stack="globex", secret_keys=["patching:changeFreezes"])
    (line,) = [line for line in str(info.value).splitlines() if "black-friday" in line]
    assert line.endswith("patching:changeFreezes.black-friday.end: end ([secret]) must be after start ([secret])")


@pytest.mark.parametrize(
    ("name", "regions", "message"),
    [
        (
            "logging.cloudWatch.kmsKeyArn",
            ["eu-west-1"],
            "patching:logging.cloudWatch.kmsKeyArn: the key is not in eu-west-1, where the log group is: "
            "give a key of eu-west-1",
        ),
        (
            "goldenAmis.<key>.kmsKeyArn",
            ["us-east-1"],
            "patching:goldenAmis.win2022-fileserver.kmsKeyArn: the key is not in us-east-1, where the pipeline "
            "builds: give a key of us-east-1",
        ),
        (
            "goldenAmis.<key>.kmsKeyArn",
            None,  # aws:region's check
            "patching:goldenAmis.win2022-fileserver.kmsKeyArn: the key is not in us-east-1, where the pipeline "
            "builds (aws:region): give a key of us-east-1",
        ),
    ],
)
def test_a_secret_key_of_another_region_is_refused_without_its_region(name, regions, message):
    """The region is part of the secret ARN: the message names the region the key must be in."""
    case = CASES[name]
    config = configured(case, case.value.replace(case.value.split(":")[3], "ap-south-2"))
    if regions:
        _put(config, ("regions",), regions)
    with pytest.raises(ProgramError) as info:
        run_program(config, stack=case.stack, secret_keys=[f"patching:{case.path[0]}"])
    assert message in str(info.value)
    assert "ap-south-2" not in str(info.value)


def test_a_short_secret_action_is_left_out_of_the_wildcard_rule():
    """A short secret ("s3:*") is not looked for unquoted (it could be a rule's word): the rule quotes it."""
    case = CASES["instanceRole.statements[].Action[]"]
    with pytest.raises(ProgramError) as info:
        run_case(case, "s3:*")
    (line,) = [line for line in str(info.value).splitlines() if "statements[0]" in line]
    assert "patching:instanceRole.statements[0]: the statement allows every action of [secret]: name the" in line
    assert "s3:" not in str(info.value)


def test_the_rule_of_a_public_setting_keeps_its_words():
    """Only the secret is left out: the allowed values, the OS, an example stay readable."""
    case = CASES["baselines.<key>.severities[]"]
    with pytest.raises(ProgramError) as info:
        run_case(case, "Dire5521")
    assert (
        "patching:baselines.al2023.severities[0]: [secret] is not a SEVERITY value for AMAZON_LINUX_2023; "
        "allowed: Critical, Important, Medium, Low"
    ) in str(info.value)


# ---------------------------------------------------------------------------
# Only secrets are secret, key by key over the example stacks: tests/test_only_secrets_are_secret.py.


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_plan_shows_no_secret_in_clear(tmp_path, monkeypatch, capsys, output_format):
    """`patching plan` of a stack whose topic and bucket are secret, run with the values decrypted
    (as `pulumi preview` would have them): masked in the inputs and in the outputs."""
    from patching_components.tools import engine as mock_engine
    from patching_components.tools.cli import main

    topic, bucket = CASES["notifications.snsTopicArn"], CASES["logging.s3Bucket"]
    text = (ROOT / "stacks" / "Pulumi.globex.yaml").read_text()
    text = text.replace(
        "snsTopicArn: arn:aws:sns:us-east-1:111122223333:globex-ops-alerts", "snsTopicArn: {secure: v1:AA}"
    )
    text = text.replace("s3Bucket: globex-central-ops-logs", "s3Bucket: {secure: v1:BB}")
    path = tmp_path / "Pulumi.globex.yaml"
    path.write_text(text)
    config = configured(topic, topic.value)
    _put(config, bucket.path, bucket.value)

    def decrypted(_path: Any, program: Any = None, engine: Any = None) -> mock_engine.ProgramRun:
        secret = ["patching:notifications", "patching:logging"]
        return mock_engine.run_program(config, stack="globex", engine=engine, secret_keys=secret)

    monkeypatch.setattr(mock_engine, "run_stack_file", decrypted)
    assert main(["plan", "--format", output_format, str(path)]) == 0
    shown = capsys.readouterr().out
    assert topic.value not in shown and bucket.value not in shown
    if output_format == "text":
        assert "  notificationTopicArn: [secret]" in shown and "  logBucket: [secret]" in shown
    else:
        tasks = [r for r in json.loads(shown) if r["type"] == "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"]
        assert [t["inputs"]["taskInvocationParameters"] for t in tasks] == ["[secret]"] * 3


def test_a_warning_about_a_secret_leaves_its_value_out():
    """A secret approveUntilDate in the past: the baseline warns (nothing released since is
    approved), naming the setting, not the date."""
    import time_machine

    case = CASES["baselines.<key>.approveUntilDate"]
    with time_machine.travel("2032-01-05T12:00:00Z", tick=False):
        run = run_case(case)
    (warning,) = [w for w in run.warnings if "approveUntilDate" in w]
    assert warning.startswith(
        "SecurityBaseline 'acme-al2023': approveUntilDate: approveUntilDate [secret] is in the past"
    )
    baseline = run.named("acme-al2023", "aws:ssm/patchBaseline:PatchBaseline")
    assert baseline.secret_inputs == ["approvalRules"]


def test_an_overlap_of_secret_windows_is_warned_without_when():
    """Two windows of a group open at once: the warning says so, but the first time they do is
    what their secret schedules say, so it is left out."""
    import time_machine

    case = CASES["maintenanceWindows.<key>.schedule"]
    config = configured(case, "cron(30 1 ? * WED *)")  # inside the daily scan's 01:00-03:00 (Europe/London)
    config.pop("patching:rings")  # acme's prod ring would open the day after dev's: tests/test_rings.py
    with time_machine.travel("2026-12-01T12:00:00Z", tick=False):
        public = run_program(config, stack="acme")
        secret = run_program(config, stack="acme", secret_keys=["patching:maintenanceWindows"])
    prefix = "CustomerPatching 'acme': patching:patchGroups.acme-web.maintenanceWindows: "
    (shown,) = [w for w in public.warnings if w.startswith(prefix)]
    assert "the windows daily-scan and weekly-install are open at the same time (Wed 2026-12-02 01:30 GMT" in shown
    assert [w for w in secret.warnings if w.startswith(prefix)] == [
        prefix + "two of its windows are open at the same time (when is left out: their schedules are secret); "
        "move or shorten one"
    ]


# ---------------------------------------------------------------------------
# Fuzzed: any text of a secret key, valid or not, decrypted as the engine hands it over.

SECRETABLE_KEYS = (
    "tags",
    "baselines",
    "maintenanceWindows",
    "logging",
    "notifications",
    "goldenAmis",
    "changeFreezes",
    "instanceRole",
)


def _text_paths(value: Any, prefix: tuple[str | int, ...]) -> list[tuple[str | int, ...]]:
    if isinstance(value, str):
        return [prefix]
    if isinstance(value, dict):
        return [p for key, child in value.items() for p in _text_paths(child, (*prefix, key))]
    if isinstance(value, list):
        return [p for index, child in enumerate(value) for p in _text_paths(child, (*prefix, index))]
    return []


@pytest.mark.slow
def test_no_decrypted_secret_shows_in_clear_fuzzed():
    import time_machine
    from hypothesis import HealthCheck, given, seed, settings
    from hypothesis import strategies as st

    @st.composite
    def secret_text_mutant(draw):
        stack = draw(st.sampled_from(["acme", "globex"]))
        config = copy.deepcopy(stack_config(stack))
        key = draw(st.sampled_from([k for k in SECRETABLE_KEYS if f"patching:{k}" in config]))
        path = draw(st.sampled_from(_text_paths(config[f"patching:{key}"], (key,))))
        # A text no stack holds by chance: a marker, then anything a setting may or may not take.
        value = draw(st.sampled_from(["Zq7-", "zq7.", "/zq7/", "zq7@x.", "cron(zq7 "])) + draw(
            st.text("abcxyz0189-_./:@% *?()", max_size=12)
        )
        return stack, config, key, path, value

    @time_machine.travel("2026-12-01T12:00:00Z", tick=False)
    @seed(20261204)
    @settings(
        max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(secret_text_mutant())
    def check(mutant):
        stack, config, key, path, value = mutant
        _put(config, path, value)
        try:
            run = run_program(config, stack=stack, secret_keys=[f"patching:{key}"])
        except ProgramError as exc:
            assert value not in str(exc) and "zq7" not in str(exc).lower().replace("[secret]", "")
            return
        assert [w for w in run.warnings if value in w] == []
        clear = [
            f"{r.name}.{k}"
            for r in run.resources
            for k, v in r.inputs.items()
            if holds(v, value) and k not in r.secret_inputs
        ]
        assert clear == []
        assert [k for k, v in run.outputs.items() if holds(v, value) and k not in run.secret_outputs] == []

    check()
