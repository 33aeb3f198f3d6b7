"""Only secrets are secret (issue #27 item 4).

``pulumi config set --secret patching:<key>`` makes a whole top-level key secret, and the engine
hands the program its plain value with the key marked secret. An input of a resource is secret
only if it holds a secret's text: a text the stack sets under that key which the input actually
contains. Numbers, booleans, fixed choices, names computed from non-secret keys, trust policies
and tags (unless a tag's value is the secret) stay public, so that ``pulumi preview`` shows their
diffs. Where text built from a secret cannot be told from text that only contains it, it stays
secret (fail closed).

Each top-level key of each example stack is made secret in turn, run through the offline engine,
and the inputs that turn secret (resource type and name, input key) are compared with the table
below, written by hand from that rule. Then every text of the key is looked for in what stays
public: in no input, output, URN or warning may it show in plain, but for the few texts listed
in ``PLAIN`` (fixed choices and defaults the program writes whatever the key says, short numbers
that other text holds by chance).
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from conftest import EXAMPLE_STACKS
from patching_components.tools.engine import ProgramError, stack_file_config
from tests.engine import Run, run_program

STACKS = {path.name.split(".")[1]: path for path in EXAMPLE_STACKS}


def stack_config(stack: str) -> dict[str, Any]:
    return stack_file_config(STACKS[stack])


def label(resource: Any) -> str:
    """A resource as the table names it: its type's last part and its name (``RolePolicy globex-guard``)."""
    return f"{resource.type.rsplit(':', 1)[1]} {resource.name}"


NAMES_RESOURCES = "refused: it names resources, and URNs and AWS names are never secret"
TAKES_NO_TEXT = "refused: a secret is text, and this setting takes none"
TAGS = "tags"
"""Every resource that takes tags gets them secret (their values are the secret's text), and nothing else."""

EXPECTED: dict[str, dict[str, Any]] = {
    "acme": {
        "customer": NAMES_RESOURCES,
        # Owner: msp-ops, CostCenter: "4711": in the tags of each resource that takes tags.
        "tags": TAGS,
        # severities [Critical, Important] (text of the OS's list); approveAfterDays is a number, default a boolean.
        # Also in ring prod's override: the first one, and the template in its promotion runbook.
        "baselines": {
            "PatchBaseline acme-al2023": ["approvalRules"],
            "BucketObjectv2 acme-ring-prod-override": ["content"],
            "Document acme-ring-prod-promotion": ["content"],
        },
        # The schedules and time zones; 25% and "1" of the install task, not the scan task's defaults; durations,
        # cutoffs, operation and rebootOption are numbers and fixed choices.
        "maintenanceWindows": {
            "MaintenanceWindow acme-daily-scan": ["schedule", "scheduleTimezone"],
            "MaintenanceWindow acme-weekly-install": ["schedule", "scheduleTimezone"],
            "MaintenanceWindowTask acme-weekly-install-patch": ["maxConcurrency", "maxErrors"],
            "MaintenanceWindow acme-dev-install": ["schedule", "scheduleTimezone"],
            "MaintenanceWindowTask acme-dev-install-patch": ["maxConcurrency", "maxErrors"],
            # stopOnAlarms: the alarm's ARN in the circuit breaker's rule (the runbook gets it at run time).
            "EventRule acme-stop-alarms": ["eventPattern"],
        },
        "patchGroups": NAMES_RESOURCES,
        # s3Bucket: create and s3Prefix: patching are the defaults, retentionDays a number: nothing to hide.
        "logging": {},
        "compliance": TAKES_NO_TEXT,  # dataSync: a boolean
        "sla": TAKES_NO_TEXT,  # days per severity: numbers
        # The two addresses, each in its subscription's endpoint; not the topic, its policy or the tasks.
        "notifications": {
            "TopicSubscription acme-alerts-368ba38420654f11": ["endpoint"],
            "TopicSubscription acme-alerts-a38c2fd8dffc826d": ["endpoint"],
        },
        # The runbook (source AMI parameter, instance type, subnet), the parameter and subnet in its role's
        # policy, the rebuild schedule and its time zone; not the patch windows' Europe/London, which is
        # theirs (public), nor the image's patch group (a name).
        "goldenAmis": {
            "Document acme-golden-al2023-base": ["content"],
            "RolePolicy acme-golden-al2023-base-runbook": ["policy"],
            "MaintenanceWindow acme-golden-al2023-base-schedule": ["schedule", "scheduleTimezone"],
        },
        # Ring names name resources (acme-ring-prod), and the groups are patch group names.
        "rings": NAMES_RESOURCES,
    },
    "globex": {
        "customer": NAMES_RESOURCES,
        "patchGroupTagKey": {},  # a fixed choice
        "tags": TAGS,
        # al2023's severities and rejectedPatches, windows's classifications and severities; ubuntu and rhel9
        # set only fixed choices and numbers.
        "baselines": {
            "PatchBaseline globex-al2023": ["approvalRules", "rejectedPatches"],
            "PatchBaseline globex-windows": ["approvalRules"],
        },
        "maintenanceWindows": {
            # The calendar holds "America/New_York": a freeze's time zone, equal to the windows' (text built
            # from a secret cannot be told from text that only contains it: kept secret).
            "Document globex-calendar": ["content"],
            # tue-install's approval calendar: its approved dates and times come from the window's settings.
            "Document globex-approvals-tue-install": ["content"],
            "MaintenanceWindow globex-nightly-scan": ["schedule", "scheduleTimezone"],
            "MaintenanceWindow globex-sat-install": ["schedule", "scheduleTimezone"],
            "MaintenanceWindow globex-tue-install": ["description", "schedule", "scheduleTimezone"],
            "MaintenanceWindowTask globex-sat-install-patch": ["maxConcurrency", "maxErrors"],
            # And the hooks, documents named in the task's parameters.
            "MaintenanceWindowTask globex-tue-install-patch": [
                "maxConcurrency",
                "maxErrors",
                "taskInvocationParameters",
            ],
            # tue-install's catch-up: the window's command (hooks, operation) and its maxAgeDays.
            "Document globex-tue-install-catch-up-runbook": ["content"],
        },
        "patchGroups": NAMES_RESOURCES,
        # The statements' policy; and tue-install's task, whose hook document Globex-DrainFromTargetGroup holds
        # the Sid DrainFromTargetGroup (text that contains a secret is taken as built from it).
        "instanceRole": {
            "RolePolicy globex-instance-extra": ["policy"],
            "MaintenanceWindowTask globex-tue-install-patch": ["taskInvocationParameters"],
            "Document globex-tue-install-catch-up-runbook": ["content"],  # the same command
        },
        # The customer's bucket and prefix: the instances' policy and every task's output location.
        "logging": {
            "RolePolicy globex-instance-patch-logs": ["policy"],
            "MaintenanceWindowTask globex-nightly-scan-patch": ["taskInvocationParameters"],
            "MaintenanceWindowTask globex-sat-install-patch": ["taskInvocationParameters"],
            "MaintenanceWindowTask globex-tue-install-patch": ["taskInvocationParameters"],
            "Document globex-tue-install-catch-up-runbook": ["content"],  # tue-install's catch-up command
        },
        # The customer's topic: every task's notification, the notify role's sns:Publish, the freeze guard's
        # runbook, which tells it of a failed run, and the guard role's policy, which lets it publish there.
        "notifications": {
            "Document globex-guard": ["content"],
            "RolePolicy globex-guard": ["policy"],
            "RolePolicy globex-notify-publish": ["policy"],
            "MaintenanceWindowTask globex-nightly-scan-patch": ["taskInvocationParameters"],
            "MaintenanceWindowTask globex-sat-install-patch": ["taskInvocationParameters"],
            "MaintenanceWindowTask globex-tue-install-patch": ["taskInvocationParameters"],
            # tue-install's catch-up: its command's notifications, its failure notice, its role's sns:Publish.
            "Document globex-tue-install-catch-up-runbook": ["content"],
            "RolePolicy globex-tue-install-catch-up-runbook": ["policy"],
        },
        # The runbook (source AMI, instance type, subnet) and its role's policy; no schedule is set.
        "goldenAmis": {
            "Document globex-golden-win2022-fileserver": ["content"],
            "RolePolicy globex-golden-win2022-fileserver-runbook": ["policy"],
        },
        # The calendar; not the windows, whose America/New_York is theirs, nor the freeze guard (it reads the
        # calendar's state, not its dates).
        "changeFreezes": {"Document globex-calendar": ["content"]},
    },
    "initech": {
        "customer": NAMES_RESOURCES,
        "mode": {},  # a fixed choice
        "baselines": {},  # operatingSystem (a fixed choice) and a number
        "maintenanceWindows": {
            "MaintenanceWindow initech-monthly-install": ["schedule", "scheduleTimezone"],
            "MaintenanceWindow initech-weekly-scan": ["schedule", "scheduleTimezone"],
            # The notice runbooks' settings hold each window's time zone, duration and cutoff.
            "Document initech-advance-notice": ["content"],
            "Document initech-window-summary": ["content"],
        },
        "patchGroups": NAMES_RESOURCES,
        # The address, in its subscription; the notices' hours and summary are a number and a boolean.
        "notifications": {"TopicSubscription initech-alerts-087b7ed0f863e144": ["endpoint"]},
    },
}
TAGGED = {
    "acme": 21,
    "globex": 25,
}  # acme: + dev-install, ring prod's role, runbook and override object, the breaker's roles, runbook and rule;
# globex: + approval calendar, catch-up
"""Resources that take tags (every custom resource but policies, attachments, targets, tasks ...)."""
EXPORTED_SECRET = {("globex", "logging"): ["logBucket"], ("globex", "notifications"): ["notificationTopicArn"]}

# The texts of a secret key that show in plain elsewhere, and why that is no leak. Not listed, and so looked
# for: every other text the key sets (schedules, time zones, addresses, ARNs, tag values, ids ...).
# Fixed choices (operatingSystem, operation, rebootOption, platform, Effect, mode ...) are public whatever
# key they are in.
PLAIN: dict[tuple[str, str], set[str]] = {
    ("acme", "baselines"): {"AMAZON_LINUX_2023"},
    # "1" (maxErrors) is also in eu-west-1 of every ARN and is the scan task's default maxErrors.
    ("acme", "maintenanceWindows"): {"1", "Install", "Scan", "RebootIfNeeded"},
    ("acme", "logging"): {"patching"},  # s3Prefix's default, also in the tag ManagedBy: patching-components
    ("acme", "goldenAmis"): {"Linux"},
    ("globex", "patchGroupTagKey"): {"PatchGroup"},  # in every window target (tag:PatchGroup)
    # Critical and Important are also what rhel9 and ubuntu, which set no severities or priorities, approve.
    ("globex", "baselines"): {
        "AMAZON_LINUX_2023",
        "UBUNTU",
        "WINDOWS",
        "REDHAT_ENTERPRISE_LINUX",
        "BLOCK",
        "HIGH",
        "Critical",
        "Important",
    },
    # "0" and "2" are in the runbooks' numbers; 10% is also the scan task's default maxConcurrency.
    ("globex", "maintenanceWindows"): {"0", "2", "10%", "Install", "Scan", "NoReboot"},
    # "*": the Resource of WaitUntilDrained, also in every cron expression and ARN pattern; Effect: Allow.
    ("globex", "instanceRole"): {"*", "Allow"},
    ("globex", "goldenAmis"): {"Windows"},
    ("initech", "mode"): {"scan-only"},  # exported as the stack output mode
    ("initech", "baselines"): {"DEBIAN", "SUSE"},
    ("initech", "maintenanceWindows"): {"Scan"},
}

# The default run: each key once (acme's, and globex's for what acme does not set); .ci/run runs them all.
DEFAULT_RUN = {("acme", key) for key in EXPECTED["acme"]} | {("globex", "changeFreezes"), ("globex", "instanceRole")}


def test_the_table_covers_every_key_of_every_example_stack():
    assert sorted(EXPECTED) == sorted(STACKS)
    for stack in STACKS:
        keys = [key.removeprefix("patching:") for key in stack_config(stack) if key.startswith("patching:")]
        assert sorted(EXPECTED[stack]) == sorted(keys)
    assert set(PLAIN) <= {(stack, key) for stack, keys in EXPECTED.items() for key in keys}


def texts(value: Any) -> set[str]:
    """Every text a stack sets in a value (map keys are names: never secret)."""
    if isinstance(value, str):
        return {value} if value else set()
    if isinstance(value, dict):
        return {text for child in value.values() for text in texts(child)}
    if isinstance(value, list):
        return {text for child in value for text in texts(child)}
    return set()


def public_texts(config: dict[str, Any], secret: str) -> set[str]:
    """The texts and names the stack writes outside the secret key: a value equal to one of them may
    come from there (a golden AMI's time zone equal to the windows')."""

    def walk(value: Any) -> set[str]:
        found = {value} if isinstance(value, str) else set()
        if isinstance(value, dict):
            found |= {str(key) for key in value} | {text for child in value.values() for text in walk(child)}
        elif isinstance(value, list):
            found |= {text for child in value for text in walk(child)}
        return found

    return {text for key, value in config.items() if key != secret for text in walk(value)}


def holds(value: Any, text: str) -> bool:
    """Whether the text is in a value: as a whole word of any of its strings (so "13" is not found in "2013")."""
    if isinstance(value, str):
        return re.search(rf"(?<![A-Za-z0-9]){re.escape(text)}(?![A-Za-z0-9])", value) is not None
    if isinstance(value, dict):
        return any(holds(k, text) or holds(v, text) for k, v in value.items())
    if isinstance(value, list):
        return any(holds(v, text) for v in value)
    return False


def shown_in_plain(run: Run, text: str) -> list[str]:
    """Where a text shows outside what is secret: inputs, outputs, URNs, warnings."""
    return (
        [
            f"{label(r)}.{k}"
            for r in run.resources
            for k, v in r.inputs.items()
            if k not in r.secret_inputs and holds(v, text)
        ]
        + [f"output {k}" for k, v in run.outputs.items() if k not in run.secret_outputs and holds(v, text)]
        + [f"URN {r.urn}" for r in run.resources if holds(r.urn, text)]
        + [f"warning {w}" for w in run.warnings if holds(w, text)]
    )


@pytest.mark.parametrize(
    ("stack", "key"),
    [
        pytest.param(stack, key, id=f"{stack}-{key}", marks=() if (stack, key) in DEFAULT_RUN else pytest.mark.slow)
        for stack, keys in EXPECTED.items()
        for key in keys
    ],
)
def test_exactly_the_inputs_that_hold_a_secret_keys_text_turn_secret(stack, key):
    expected = EXPECTED[stack][key]
    config = stack_config(stack)
    if isinstance(expected, str) and expected.startswith("refused: "):
        with pytest.raises(ProgramError) as info:
            run_program(config, stack=stack, secret_keys=[f"patching:{key}"])
        assert f"patching:{key}: cannot be a secret: {expected.removeprefix('refused: ')}" in str(info.value)
        assert info.value.resources == []
        return
    run = run_program(config, stack=stack, secret_keys=[f"patching:{key}"])
    labels = [label(r) for r in run.resources]
    assert len(labels) == len(set(labels)), "two resources of one type and name: the table cannot tell them apart"
    secret = {label(r): r.secret_inputs for r in run.resources if r.secret_inputs}
    if expected == TAGS:
        tagged = [label(r) for r in run.resources if "tags" in r.inputs]
        assert len(tagged) == TAGGED[stack]
        assert secret == {name: ["tags"] for name in tagged}
    else:
        assert secret == expected
    assert run.secret_outputs == EXPORTED_SECRET.get((stack, key), [])

    # And nothing the key sets shows in plain (but the texts listed with their reason).
    looked_for = texts(config[f"patching:{key}"]) - public_texts(config, f"patching:{key}")
    in_plain = {text: where for text in sorted(looked_for) if (where := shown_in_plain(run, text))}
    assert set(in_plain) <= PLAIN.get((stack, key), set()), in_plain


def test_a_key_made_secret_changes_nothing_but_what_is_secret(example_runs):
    """The same resources, the same inputs: only which inputs are secret (acme's windows, as in the issue)."""
    public = example_runs["Pulumi.acme.yaml"]
    secret = run_program(stack_config("acme"), stack="acme", secret_keys=["patching:maintenanceWindows"])
    assert sorted((r.urn, repr(r.inputs)) for r in secret.resources) == sorted(
        (r.urn, repr(r.inputs)) for r in public.resources
    )
    assert secret.outputs == public.outputs
    assert all(not r.secret_inputs for r in public.resources) and not public.secret_outputs


def test_a_secret_freeze_stays_secret_in_the_calendar_however_its_time_is_written():
    """The calendar writes a freeze's start and end as iCalendar times (20271125T000000Z), not as the stack
    does: with the time zone left at its default (UTC, public), the calendar must still be secret."""
    config = stack_config("globex")
    for freeze in config["patching:changeFreezes"].values():
        del freeze["timezone"]
    run = run_program(config, stack="globex", secret_keys=["patching:changeFreezes"])
    secret = {label(r): r.secret_inputs for r in run.resources if r.secret_inputs}
    assert secret == {"Document globex-calendar": ["content"]}
    calendar = next(r for r in run.resources if label(r) == "Document globex-calendar")
    assert "DTSTART:20271125T000000Z" in calendar.inputs["content"]  # the form looked for below
    plain = [repr(v) for r in run.resources for k, v in r.inputs.items() if k not in r.secret_inputs]
    plain += [repr(v) for k, v in run.outputs.items() if k not in run.secret_outputs] + run.warnings
    for text in ("20271125", "20271130T06", "20271227", "20280104", "2027-11-25", "2027-11-30T06:00"):
        assert not any(text in shown for shown in plain), text


def test_a_secret_that_is_also_a_name_is_secret_only_where_it_is_put():
    """Secret tag values that name a patch group (acme-web) or are part of a window's name (weekly-install):
    names are built from public settings and URNs show them, so the inputs that hold the same text as a name
    (a window's name, its role's policy, its task, the golden AMI runbook's patch group) stay public; only
    the tags, which hold the secret itself, turn secret."""
    config = stack_config("acme")
    config["patching:tags"] = {"Owner": "msp-ops", "Service": "acme-web", "Team": "weekly-install"}
    run = run_program(config, stack="acme", secret_keys=["patching:tags"])
    secret = {label(r): r.secret_inputs for r in run.resources if r.secret_inputs}
    tagged = [label(r) for r in run.resources if "tags" in r.inputs]
    assert len(tagged) == TAGGED["acme"]
    assert secret == {name: ["tags"] for name in tagged}
    resources = {label(r): r for r in run.resources}
    assert resources["MaintenanceWindow acme-weekly-install"].inputs["name"] == "acme-weekly-install"
    assert "acme-web" in resources["RolePolicy acme-maintenance-window-tasks"].inputs["policy"]
    assert "acme-web" in resources["Document acme-golden-al2023-base"].inputs["content"]
    assert shown_in_plain(run, "msp-ops") == []  # and the tag value that is no name nowhere
