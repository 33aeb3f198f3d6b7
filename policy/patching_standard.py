"""The patching standard, as Pulumi policies for any program of the organisation.

Each policy reads resource inputs as the engine sends them (camelCase), so it
judges resources built with these components and resources written by hand
alike. What "security-only" means per operating system comes from the same
table the components build from (``patching_components.aws.os_rules``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from patching_components import standard
from patching_components.aws import os_rules
from patching_components.aws.iam_grants import wildcard_grants

PATCH_BASELINE = "aws:ssm/patchBaseline:PatchBaseline"
# One standard: the thresholds and waiver tag `patching validate` applies too.
WAIVER_TAG = standard.WAIVER_TAG
DEFAULT_MINIMUM_DELAY_DAYS = standard.MINIMUM_DELAY_DAYS
DEFAULT_MINIMUM_CUTOFF_HOURS = standard.MINIMUM_CUTOFF_HOURS


def _config(args: ResourceValidationArgs | StackValidationArgs, key: str, default: Any) -> Any:
    value = args.get_config().get(key)
    return default if value is None else value


def _rules(props: Mapping[str, Any]) -> Iterator[tuple[int, standard.ApprovalRule]]:
    """(1-based number, rule) of each approval rule."""
    for number, rule in enumerate(props.get("approvalRules") or [], start=1):
        yield number, standard.ApprovalRule.from_inputs(rule)


def _operating_system(props: Mapping[str, Any]) -> str | None:
    # AWS's default when the baseline does not say; unknown OS values are left to AWS.
    name = props.get("operatingSystem") or "WINDOWS"
    return name if name in os_rules.OPERATING_SYSTEMS else None


# ---------------------------------------------------------------------------
# Baselines approve security updates only


def validate_security_only(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != PATCH_BASELINE:
        return
    waiver_tag = _config(args, "waiverTag", WAIVER_TAG)
    if (args.props.get("tags") or {}).get(waiver_tag):
        return  # an explicit, reasoned exception: the tag's value says why
    os_name = _operating_system(args.props)
    if os_name is None:
        return
    for number, rule in _rules(args.props):
        for violation in standard.security_only_violations(os_name, rule):
            report_violation(
                f"approval rule {number} {violation.message} (or tag the baseline {waiver_tag}=<reason> to waive)",
                None,
            )


# ---------------------------------------------------------------------------
# Non-critical patches wait before approval


def validate_approval_delay(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != PATCH_BASELINE:
        return
    os_name = _operating_system(args.props)
    if os_name is None:
        return
    minimum = int(_config(args, "minimumDays", DEFAULT_MINIMUM_DELAY_DAYS))
    for number, rule in _rules(args.props):
        for violation in standard.approval_delay_violations(os_name, rule, minimum):
            report_violation(f"approval rule {number} {violation.message}", None)


# ---------------------------------------------------------------------------
# Baselines keep approving security fixes (advisory: the warnings `patching validate` prints)


def validate_keeps_approving(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != PATCH_BASELINE:
        return
    os_name = _operating_system(args.props)
    if os_name is None:
        return
    props = args.props
    for number, rule in _rules(props):
        for advice in standard.baseline_advice(
            os_name,
            priorities=rule.filters.get("PRIORITY"),
            approve_until_date=rule.approve_until_date,
            approve_after_days=rule.approve_after_days,
            products=rule.filters.get("PRODUCT"),
            enable_non_security=rule.enable_non_security,
            has_sources=bool(props.get("sources")),
            filter_keys=tuple(rule.filters),
        ):
            report_violation(f"approval rule {number}: {advice.message}", None)
    for advice in standard.baseline_settings_advice(
        os_name,
        approved_patches=props.get("approvedPatches") or (),
        approved_patches_enable_non_security=props.get("approvedPatchesEnableNonSecurity"),
        available_security_updates_compliance_status=props.get("availableSecurityUpdatesComplianceStatus"),
    ):
        report_violation(advice.message, None)


# ---------------------------------------------------------------------------
# Baselines approve something where they run (CentOS: no update notices)


def validate_approves_something(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != PATCH_BASELINE:
        return
    os_name = _operating_system(args.props)
    if os_name is None:
        return
    for number, rule in _rules(args.props):
        for violation in standard.approves_nothing_violations(os_name, rule, bool(args.props.get("sources"))):
            report_violation(f"approval rule {number}: {violation.message}", None)


# ---------------------------------------------------------------------------
# Maintenance windows stop starting tasks at least an hour before they close


def validate_window_cutoff(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != "aws:ssm/maintenanceWindow:MaintenanceWindow":
        return
    minimum = int(_config(args, "minimumHours", DEFAULT_MINIMUM_CUTOFF_HOURS))
    cutoff = args.props.get("cutoff")
    for violation in standard.cutoff_violations(None if cutoff is None else int(cutoff), minimum):
        report_violation(violation.message, None)


def validate_tasks_stop_at_cutoff(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask":
        return
    if args.props.get("taskType") != "RUN_COMMAND":
        return  # an Automation task (a golden AMI build) starts one execution; nothing to spill over
    for advice in standard.window_advice(args.props.get("cutoffBehavior")):
        report_violation(advice.message, None)


# ---------------------------------------------------------------------------
# Patch group registrations are replaced delete-first


def validate_patch_group_replacement(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type == "aws:ssm/patchGroup:PatchGroup" and not args.opts.delete_before_replace:
        report_violation(
            "a patch group registration cannot be updated, and AWS allows one baseline per OS per group: "
            "without deleteBeforeReplace its replacement fails with 'already has a baseline registered'",
            None,
        )


# ---------------------------------------------------------------------------
# IAM inline policies name their actions and resources

_INLINE_POLICY_TYPES = (
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)


def _inline_policies(args: ResourceValidationArgs) -> Iterator[tuple[str, Any]]:
    if args.resource_type in _INLINE_POLICY_TYPES:
        yield "policy", args.props.get("policy")
    elif args.resource_type == "aws:iam/role:Role":
        for inline in args.props.get("inlinePolicies") or []:
            yield f"inline policy {inline.get('name') or '(unnamed)'}", inline.get("policy")


def validate_no_wildcards(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for where, document in _inline_policies(args):
        for problem in wildcard_grants(document):
            report_violation(f"{where}: {problem}; name the actions and resources it needs", None)


# ---------------------------------------------------------------------------
# Log buckets are private and encrypted (a stack policy: S3 settings are resources of their own)


def _bucket_of(resource: PolicyResource, buckets: list[PolicyResource]) -> list[PolicyResource]:
    """The buckets a resource's ``bucket`` input points at, by dependency or by name."""
    linked = [r for r in resource.property_dependencies.get("bucket", []) if r in buckets]
    name = resource.props.get("bucket")
    return linked or [b for b in buckets if name is not None and name in (b.props.get("bucket"), b.props.get("id"))]


def _log_buckets(resources: list[PolicyResource], buckets: list[PolicyResource]) -> list[PolicyResource]:
    """Buckets that maintenance window tasks write Run Command output to."""
    found: list[PolicyResource] = []
    for task in resources:
        if task.resource_type != "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask":
            continue
        parameters = (task.props.get("taskInvocationParameters") or {}).get("runCommandParameters") or {}
        name = parameters.get("outputS3Bucket")
        linked = [r for r in task.property_dependencies.get("taskInvocationParameters", []) if r in buckets]
        named = [b for b in buckets if name is not None and name == b.props.get("bucket")]
        found += [b for b in linked + named if b not in found]
    return found


def validate_log_buckets(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    resources = args.resources
    buckets = [r for r in resources if r.resource_type == "aws:s3/bucket:Bucket"]
    blocks = [r for r in resources if r.resource_type == "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"]
    encryption = [
        r
        for r in resources
        if r.resource_type == "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ]
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    for bucket in _log_buckets(resources, buckets):
        own_blocks = [b for b in blocks if bucket in _bucket_of(b, buckets)]
        if not own_blocks:
            report_violation("log bucket has no public access block: add one with all four settings true", bucket.urn)
        for block in own_blocks:
            if off := [flag for flag in flags if block.props.get(flag) is not True]:
                report_violation(f"log bucket's public access block leaves {', '.join(off)} off", bucket.urn)
        encrypted = bucket.props.get("serverSideEncryptionConfigurations") or any(
            bucket in _bucket_of(e, buckets) for e in encryption
        )
        if not encrypted:
            report_violation(
                "log bucket has no server-side encryption configuration: add one (SSE-S3 or SSE-KMS)", bucket.urn
            )


def _policy(name: str, description: str, validate: Callable, **kwargs: Any) -> ResourceValidationPolicy:
    return ResourceValidationPolicy(
        name=name, description=description, validate=validate, enforcement_level=EnforcementLevel.MANDATORY, **kwargs
    )


POLICIES = [
    _policy(
        "baselines-approve-security-only",
        "Patch baselines approve only the OS's security classifications (waive with a tag).",
        validate_security_only,
        config_schema=PolicyConfigSchema(
            properties={"waiverTag": {"type": "string", "default": WAIVER_TAG}},
        ),
    ),
    _policy(
        "non-critical-approval-delay",
        "Approval rules that take non-critical severities wait at least N days.",
        validate_approval_delay,
        config_schema=PolicyConfigSchema(
            properties={"minimumDays": {"type": "integer", "minimum": 0, "default": DEFAULT_MINIMUM_DELAY_DAYS}},
        ),
    ),
    _policy(
        "baselines-approve-something",
        "CentOS rules turn on EnableNonSecurity: its default repositories carry no update notices.",
        validate_approves_something,
    ),
    ResourceValidationPolicy(
        name="baselines-keep-approving",
        description="Baselines approve every security fix: no past approveUntilDate, every Debian priority, no "
        "pinned minor releases or ended OS releases, Windows' unapproved security updates shown.",
        validate=validate_keeps_approving,
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
    _policy(
        "maintenance-window-cutoff",
        "Maintenance windows stop scheduling tasks at least an hour before they end.",
        validate_window_cutoff,
        config_schema=PolicyConfigSchema(
            properties={"minimumHours": {"type": "integer", "minimum": 0, "default": DEFAULT_MINIMUM_CUTOFF_HOURS}},
        ),
    ),
    ResourceValidationPolicy(
        name="maintenance-window-tasks-stop-at-cutoff",
        description="Patch tasks cancel what has not started by the cutoff (cutoffBehavior CANCEL_TASK).",
        validate=validate_tasks_stop_at_cutoff,
        enforcement_level=EnforcementLevel.ADVISORY,
    ),
    _policy(
        "patch-groups-delete-before-replace",
        "Patch group registrations use deleteBeforeReplace.",
        validate_patch_group_replacement,
    ),
    _policy(
        "iam-inline-policies-without-wildcards",
        "IAM inline policies grant no wildcard action or resource.",
        validate_no_wildcards,
    ),
    StackValidationPolicy(
        name="log-buckets-private-and-encrypted",
        description="Buckets receiving Run Command output block public access and are encrypted.",
        validate=validate_log_buckets,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
]
