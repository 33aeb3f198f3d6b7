"""The policy pack: each policy's validate function on compliant and non-compliant resources.

Compliant resources are the example stacks' own, as the mock engine records
them; non-compliant ones are those with one thing changed."""

import copy
import json
import selectors
import subprocess
import sys
from datetime import date

import pytest
import time_machine
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
    StackValidationPolicy,
)

from conftest import EXAMPLE_STACKS, ROOT, run_config
from policy import patching_standard as standard
from tests.engine import Resource

POLICIES = {policy.name: policy for policy in standard.POLICIES}


def options(resource: Resource) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=False,
        ignore_changes=resource.ignore_changes,
        delete_before_replace=resource.delete_before_replace,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
        parent=resource.parent,
    )


def check(policy_name: str, resource: Resource, **config) -> list[str]:
    messages: list[str] = []
    args = ResourceValidationArgs(
        resource.type, resource.inputs, resource.urn, resource.name, options(resource), None, config
    )
    POLICIES[policy_name].validate(args, lambda message, urn=None: messages.append(message))
    return messages


def stack_violations(resources: list[Resource]) -> list[tuple[str, str]]:
    by_urn = {
        r.urn: PolicyResource(r.type, r.inputs, r.urn, r.name, options(r), None, None, [], {})
        for r in resources
        if r.custom
    }
    for r in resources:
        if r.custom:
            by_urn[r.urn].property_dependencies = {
                key: [by_urn[urn] for urn in urns if urn in by_urn] for key, urns in r.property_dependencies.items()
            }
    found: list[tuple[str, str]] = []
    POLICIES["log-buckets-private-and-encrypted"].validate(
        StackValidationArgs(list(by_urn.values())), lambda message, urn=None: found.append((message, urn))
    )
    return found


def changed(resource: Resource, **inputs) -> Resource:
    return Resource(**{**resource.__dict__, "inputs": {**copy.deepcopy(resource.inputs), **inputs}})


def baseline(run, name: str) -> Resource:
    return run.named(name, "aws:ssm/patchBaseline:PatchBaseline")


def rule(resource: Resource) -> dict:
    return resource.inputs["approvalRules"][0]


@pytest.mark.parametrize("path", EXAMPLE_STACKS, ids=lambda p: p.name)
def test_the_example_stacks_meet_the_standard(example_runs, path):
    run = example_runs[path.name]
    for resource in run.resources:
        for name, policy in POLICIES.items():
            if not isinstance(policy, StackValidationPolicy):
                assert check(name, resource) == [], f"{resource.name} fails {name}"
    assert stack_violations(run.resources) == []


# Security-only approvals


@pytest.fixture(scope="module")
def globex(example_runs):
    return example_runs["Pulumi.globex.yaml"]


def with_filters(resource: Resource, filters: dict[str, list[str]], **rule_inputs) -> Resource:
    new_rule = {**rule(resource), "patchFilters": [{"key": k, "values": v} for k, v in filters.items()], **rule_inputs}
    return changed(resource, approvalRules=[new_rule])


def test_a_linux_rule_approving_bugfixes_is_rejected(globex):
    al2023 = with_filters(baseline(globex, "globex-al2023"), {"CLASSIFICATION": ["Security", "Bugfix"]})
    assert check("baselines-approve-security-only", al2023) == [
        "approval rule 1 approves CLASSIFICATION Bugfix: only Security are security updates on AMAZON_LINUX_2023 "
        "(or tag the baseline PatchingWaiver=<reason> to waive)"
    ]


def test_a_rule_without_the_classification_filter_approves_everything(globex):
    windows = with_filters(baseline(globex, "globex-windows"), {"MSRC_SEVERITY": ["Critical"]})
    (message,) = check("baselines-approve-security-only", windows)
    assert message.startswith("approval rule 1 has no CLASSIFICATION filter")
    assert "CLASSIFICATION = SecurityUpdates, CriticalUpdates" in message


def test_ubuntu_is_security_only_by_repository(globex):
    ubuntu = baseline(globex, "globex-ubuntu")
    assert check("baselines-approve-security-only", ubuntu) == []
    non_security = with_filters(ubuntu, {"PRIORITY": ["Required"]}, enableNonSecurity=True)
    assert check("baselines-approve-security-only", non_security) == [
        "approval rule 1 sets enableNonSecurity: it installs non-security updates "
        "(or tag the baseline PatchingWaiver=<reason> to waive)"
    ]


def test_a_priority_subset_is_advised_against_not_rejected(globex):
    """Required/Important only skips openssl, libc6, the kernel ...: the same warning `validate` prints."""
    ubuntu = with_filters(baseline(globex, "globex-ubuntu"), {"PRIORITY": ["Required", "Important"]})
    assert check("baselines-approve-security-only", ubuntu) == []
    (message,) = check("baselines-keep-approving", ubuntu)
    assert message.startswith("approval rule 1: priorities leave out Standard, Optional, Extra: security fixes")
    assert POLICIES["baselines-keep-approving"].enforcement_level.value == "advisory"


def test_enable_non_security_is_rejected(globex):
    rhel = with_filters(baseline(globex, "globex-rhel9"), {"CLASSIFICATION": ["Security"]}, enableNonSecurity=True)
    (message,) = check("baselines-approve-security-only", rhel)
    assert "enableNonSecurity" in message


def test_a_waiver_tag_allows_an_exception(globex):
    al2023 = baseline(globex, "globex-al2023")
    broad = with_filters(al2023, {"CLASSIFICATION": ["Security", "Bugfix"]})
    waived = changed(broad, tags={**broad.inputs["tags"], "PatchingWaiver": "CHG-1234 bugfix rollout"})
    assert check("baselines-approve-security-only", waived) == []
    custom = changed(broad, tags={**broad.inputs["tags"], "Exception": "yes"})
    assert check("baselines-approve-security-only", custom, waiverTag="Exception") == []


# Approval delay for non-critical severities


def test_non_critical_patches_approved_too_early_are_rejected(globex):
    al2023 = baseline(globex, "globex-al2023")
    early = changed(al2023, approvalRules=[{**rule(al2023), "approveAfterDays": 3}])
    assert check("non-critical-approval-delay", early) == [
        "approval rule 1 approves Important, Medium after 3 days; non-critical patches must wait at least 7 days "
        "(approveAfterDays >= 7)"
    ]
    assert check("non-critical-approval-delay", early, minimumDays=3) == []


def test_critical_only_rules_may_approve_at_once(globex):
    critical = with_filters(
        baseline(globex, "globex-windows"),
        {"CLASSIFICATION": ["SecurityUpdates"], "MSRC_SEVERITY": ["Critical"]},
        approveAfterDays=0,
    )
    assert check("non-critical-approval-delay", critical) == []


def test_a_rule_without_severity_filter_covers_all_severities(globex):
    any_severity = with_filters(baseline(globex, "globex-al2023"), {"CLASSIFICATION": ["Security"]}, approveAfterDays=1)
    (message,) = check("non-critical-approval-delay", any_severity)
    assert message.startswith("approval rule 1 approves all severities after 1 days")


@time_machine.travel(date(2026, 12, 1), tick=False)
@pytest.mark.parametrize(
    ("until", "advice"),
    [
        ("2027-01-31", None),  # a future cut-off: accepted, as AWS and `patching validate` accept it
        ("2026-12-01", None),  # today still approves what is released today
        ("2026-11-30", "approveUntilDate 2026-11-30 is in the past: nothing released after it is ever approved"),
    ],
)
def test_an_approve_until_date_is_accepted_and_a_past_one_advised_against(globex, until, advice):
    rhel = baseline(globex, "globex-rhel9")
    fixed = {key: value for key, value in rule(rhel).items() if key != "approveAfterDays"}
    dated = changed(rhel, approvalRules=[{**fixed, "approveUntilDate": until}])
    assert check("non-critical-approval-delay", dated) == []
    messages = check("baselines-keep-approving", dated)
    assert [m.startswith(f"approval rule 1: {advice}") for m in messages] == ([True] if advice else [])


def test_ubuntu_has_no_delay_to_require(globex):
    assert rule(baseline(globex, "globex-ubuntu")).get("approveAfterDays") is None
    assert check("non-critical-approval-delay", baseline(globex, "globex-ubuntu")) == []


# Window cutoff, patch group replacement


def test_a_window_without_cutoff_is_rejected(globex):
    window = globex.named("globex-nightly-scan", "aws:ssm/maintenanceWindow:MaintenanceWindow")
    assert check("maintenance-window-cutoff", changed(window, cutoff=0)) == [
        "cutoff is 0 h: tasks could start until the window closes and be cut off mid-install; set cutoff >= 1 h"
    ]
    assert check("maintenance-window-cutoff", changed(window, cutoff=1), minimumHours=2) != []


def test_patch_group_registrations_must_delete_before_replace(globex):
    group = globex.of_type("aws:ssm/patchGroup:PatchGroup")[0]
    assert group.delete_before_replace
    hand_written = Resource(**{**group.__dict__, "delete_before_replace": False})
    (message,) = check("patch-groups-delete-before-replace", hand_written)
    assert "deleteBeforeReplace" in message


# IAM wildcards


def test_wildcard_actions_and_resources_in_inline_policies_are_rejected(globex):
    publish = globex.named("globex-notify-publish")
    for statement, expected in [
        ({"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b"}, "statement 1 allows every action of *"),
        ({"Effect": "Allow", "Action": ["ssm:*"], "Resource": "arn:aws:s3:::b"}, "allows every action of ssm:*"),
        ({"Effect": "Allow", "Action": "s3:GetObject", "Resource": ["*"]}, "statement 1 allows Resource '*'"),
        (
            {"Sid": "X", "Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::b"},
            "statement X allows with NotAction",
        ),
    ]:
        policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        (message,) = check("iam-inline-policies-without-wildcards", changed(publish, policy=policy))
        assert message.startswith("policy: ") and expected in message, message


def test_deny_statements_and_role_inline_policies(globex):
    publish = globex.named("globex-notify-publish")
    deny = json.dumps({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]})
    assert check("iam-inline-policies-without-wildcards", changed(publish, policy=deny)) == []
    role = globex.named("globex-notify", "aws:iam/role:Role")
    broad = json.dumps({"Statement": {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}})
    messages = check(
        "iam-inline-policies-without-wildcards", changed(role, inlinePolicies=[{"name": "ops", "policy": broad}])
    )
    assert messages == [
        "inline policy ops: statement 1 allows every action of ec2:*; name the actions and resources it needs",
        "inline policy ops: statement 1 allows Resource '*' for ec2:*; name the actions and resources it needs",
    ]


# Log buckets


@pytest.fixture(scope="module")
def acme(example_runs):
    return example_runs["Pulumi.acme.yaml"]


def test_a_log_bucket_without_public_access_block_or_encryption_is_rejected(acme):
    bucket = acme.named("acme-logs", "aws:s3/bucket:Bucket")
    without = [
        r
        for r in acme.resources
        if r.type
        not in (
            "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        )
    ]
    assert stack_violations(without) == [
        ("log bucket has no public access block: add one with all four settings true", bucket.urn),
        ("log bucket has no server-side encryption configuration: add one (SSE-S3 or SSE-KMS)", bucket.urn),
    ]


def test_a_half_open_public_access_block_is_rejected(acme):
    resources = [
        changed(r, restrictPublicBuckets=False, blockPublicPolicy=False)
        if r.type == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
        else r
        for r in acme.resources
    ]
    ((message, _),) = stack_violations(resources)
    assert message == "log bucket's public access block leaves blockPublicPolicy, restrictPublicBuckets off"


def test_buckets_that_receive_no_patch_output_are_not_judged(acme):
    untouched = [r for r in acme.resources if r.type != "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"]
    assert (
        stack_violations([r for r in untouched if r.type != "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"])
        == []
    )


def test_a_bucket_named_by_a_task_counts_as_a_log_bucket():
    """A program that passes the bucket name as a literal is judged too."""
    run = run_config(
        {
            "customer": "named",
            "baselines": {"al2023": {"operatingSystem": "AMAZON_LINUX_2023"}},
            "maintenanceWindows": {
                "scan": {"schedule": "rate(1 day)", "durationHours": 2, "cutoffHours": 1, "operation": "Scan"}
            },
            "patchGroups": {"named-web": {"baselines": ["al2023"], "maintenanceWindows": ["scan"]}},
            "logging": {"s3Bucket": "named-ops-logs"},
        }
    )
    bucket = Resource("aws:s3/bucket:Bucket", "logs", "urn:logs", None, {"bucket": "named-ops-logs"}, True)
    assert [message for message, _ in stack_violations([*run.resources, bucket])] == [
        "log bucket has no public access block: add one with all four settings true",
        "log bucket has no server-side encryption configuration: add one (SSE-S3 or SSE-KMS)",
    ]


def test_pulumi_loads_the_pack_and_gets_its_verdicts_over_the_analyzer_protocol():
    """Start policy/__main__.py as Pulumi does and talk to it like the engine."""
    grpc = pytest.importorskip("grpc")
    from google.protobuf import empty_pb2, struct_pb2
    from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

    pack = subprocess.Popen([sys.executable, "__main__.py"], cwd=ROOT / "policy", stdout=subprocess.PIPE, text=True)
    try:
        # The pack prints its port when it listens; never wait forever for it.
        ready = selectors.DefaultSelector()
        ready.register(pack.stdout, selectors.EVENT_READ)
        if not ready.select(timeout=60):
            pytest.fail("the policy pack did not print its port within 60 s")
        port = pack.stdout.readline().strip()
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            analyzer = analyzer_pb2_grpc.AnalyzerStub(channel)
            info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
            assert info.name == "patching-standard"
            assert [policy.name for policy in info.policies] == list(POLICIES)
            properties = struct_pb2.Struct()
            properties.update({"name": "w", "schedule": "rate(1 day)", "duration": 2, "cutoff": 0})
            result = analyzer.Analyze(
                analyzer_pb2.AnalyzeRequest(
                    type="aws:ssm/maintenanceWindow:MaintenanceWindow",
                    properties=properties,
                    urn="urn:pulumi:dev::fleet::aws:ssm/maintenanceWindow:MaintenanceWindow::w",
                    name="w",
                ),
                timeout=30,
            )
    finally:
        pack.kill()
        pack.wait()
    ((policy, message),) = [(d.policyName, d.message) for d in result.diagnostics]
    assert policy == "maintenance-window-cutoff"
    assert message.endswith(
        "cutoff is 0 h: tasks could start until the window closes and be cut off mid-install; set cutoff >= 1 h"
    )


def test_a_centos_rule_without_enable_non_security_is_rejected(globex):
    """CentOS's default repositories carry no update notices: such a rule approves nothing (not waivable)."""
    centos = copy.deepcopy(baseline(globex, "globex-rhel9"))
    centos.inputs["operatingSystem"] = "CENTOS"
    (message,) = check("baselines-approve-something", centos)
    assert message.startswith("approval rule 1: CENTOS's default repositories carry no update notices")
    centos.inputs["tags"] = {"PatchingWaiver": "reason"}
    assert check("baselines-approve-something", centos) != []
    centos.inputs["approvalRules"][0]["enableNonSecurity"] = True
    assert check("baselines-approve-something", centos) == []
    assert check("baselines-approve-something", baseline(globex, "globex-rhel9")) == []
    assert POLICIES["baselines-approve-something"].enforcement_level.value == "mandatory"
