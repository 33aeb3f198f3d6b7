"""`patching report`: the stack's baselines, their registrations and defaults, its alert subscriptions and
its golden AMI pipelines, read back from one region and compared with what the stack builds there
(names from :mod:`layout`); anything missing or different is a gap (``GAPS``)."""

from __future__ import annotations

import os
import re
from datetime import datetime
from typing import Any

from .aws_pages import error_code, pages
from .report_model import FAILED_BUILDS, STALE_AMI_DAYS, PipelineBuild, RegionRead, when


def baselines(read: RegionRead) -> dict[str, set[str]]:
    """Baselines, registrations and defaults; returns every registration of the region (group ->
    baseline ids), this stack's and others'."""
    config, ssm = read.config, read.ssm
    read.progress(f"{read.region}: patch groups and baselines")
    registered: dict[str, set[str]] = {}
    names_of: dict[str, str] = {}
    for mapping in pages(ssm, "describe_patch_groups", "Mappings"):
        identity = mapping["BaselineIdentity"]
        registered.setdefault(mapping["PatchGroup"], set()).add(identity["BaselineId"])
        names_of[identity["BaselineId"]] = identity.get("BaselineName", identity["BaselineId"])
    ours = {key: read.layout.baseline_name(key) for key in config.baselines}
    found: dict[str, dict[str, Any]] = {}
    for identity in pages(
        ssm, "describe_patch_baselines", "BaselineIdentities", Filters=[{"Key": "OWNER", "Values": ["Self"]}]
    ):
        if identity.get("BaselineName") in ours.values():
            found[identity["BaselineName"]] = identity
    for key, name in ours.items():
        expected_os = config.baselines[key].operating_system
        if name not in found:
            read.gap(name, "not-deployed", f"no patch baseline named {name!r} ({expected_os})")
        elif found[name].get("OperatingSystem") != expected_os:
            read.gap(
                name, "wrong-baseline", f"patches {found[name].get('OperatingSystem')}, the stack says {expected_os}"
            )
    id_of = {name: identity["BaselineId"] for name, identity in found.items()}
    read.baseline_keys = {id_of[name]: key for key, name in ours.items() if name in id_of}
    groups_of = config.groups_by_baseline()
    for key, name in ours.items():
        for group in groups_of[key]:
            has = registered.get(group, set())
            if not has:
                read.gap(group, "not-deployed", f"patch group {group!r} is registered to no baseline (expected {name})")
            elif name in id_of and id_of[name] not in has:
                others = ", ".join(sorted(names_of.get(b, b) for b in has))
                read.gap(group, "wrong-baseline", f"patch group {group!r} is registered to {others}, not {name}")
    for key, name in ours.items():
        settings = config.baselines[key]
        if settings.default:
            _default(read, settings.operating_system, name, id_of.get(name))
    return registered


def _default(read: RegionRead, operating_system: str, name: str, baseline_id: str | None) -> None:
    """The region's default baseline of ``operating_system`` is ours (``name``, ``baseline_id`` if deployed)."""
    where = f"default {operating_system}"
    if baseline_id is None:
        read.gap(where, "not-deployed", f"{name} is not deployed")
        return
    try:
        default = read.ssm.get_default_patch_baseline(OperatingSystem=operating_system)["BaselineId"]
    except Exception as exc:  # an account that never set a default answers with AWS's own
        if error_code(exc) != "DoesNotExistException":
            raise
        default = None
    if default != baseline_id:
        read.gap(
            where,
            "wrong-baseline",
            f"the default {operating_system} baseline is {default or 'AWS predefined'}, not {name}",
        )


def subscriptions(read: RegionRead) -> None:
    """The alert topic of the region and each e-mail address's subscription to it."""
    notifications = read.config.notifications
    if not notifications or not notifications.emails:
        return
    read.progress(f"{read.region}: alert subscriptions")
    sns = read.clients("sns", read.region)
    prefix = read.layout.alerts_topic_name()
    pattern = re.compile(rf"^arn:[^:]+:sns:{re.escape(read.region)}:\d+:{re.escape(prefix)}-[0-9a-f]{{7}}$")
    topics = [t["TopicArn"] for t in pages(sns, "list_topics", "Topics") if pattern.match(t["TopicArn"])]
    if not topics:
        read.gap(prefix, "not-deployed", f"no SNS topic {prefix}-<suffix>: no alert is mailed")
        return
    listed = [s for topic in topics for s in pages(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=topic)]
    for email in notifications.emails:
        mine = [s for s in listed if s.get("Protocol") == "email" and s.get("Endpoint", "").lower() == email.lower()]
        if not mine:
            read.gap(email, "not-deployed", f"no e-mail subscription of {prefix}")
        elif all(s.get("SubscriptionArn") == "PendingConfirmation" for s in mine):
            read.gap(email, "unconfirmed-subscription", f"pending confirmation on {prefix} in {read.region}")


def pipelines(read: RegionRead) -> None:
    """Each golden AMI pipeline of the region: the image its parameter names, its last build and its newest
    successful one (the image's age). The builds of all of them are one listing (their documents' common prefix),
    not one per pipeline. One gap per pipeline, the first of: no image, a failed last build, a stale image."""
    names = {key: read.layout.pipeline_names(key) for key in read.layout.golden_amis}
    images: dict[str, str | None] = {}
    for key, (_, parameter) in names.items():
        read.progress(f"{read.region}: golden AMI {key}")
        try:
            images[key] = read.ssm.get_parameter(Name=parameter)["Parameter"]["Value"]
        except Exception as exc:
            if error_code(exc) != "ParameterNotFound":
                raise
            images[key] = None
    if not names:
        return
    documents = {document for document, _ in names.values()}  # a name prefix: commonprefix, not commonpath
    builds: dict[str, list[dict[str, Any]]] = {}
    for execution in pages(
        read.ssm,
        "describe_automation_executions",
        "AutomationExecutionMetadataList",
        Filters=[{"Key": "DocumentNamePrefix", "Values": [os.path.commonprefix(sorted(documents))]}],  # noqa: RUF071
    ):
        if execution.get("DocumentName") in documents:
            builds.setdefault(execution["DocumentName"], []).append(execution)
    for key, (document, parameter) in names.items():
        newest = sorted(
            builds.get(document, []), key=lambda b: b.get("ExecutionStartTime") or read.report.since, reverse=True
        )
        last: dict[str, Any] = newest[0] if newest else {}
        success = next((b for b in newest if b.get("AutomationExecutionStatus") == "Success"), {})
        build = PipelineBuild(
            read.region,
            key,
            images[key],
            last.get("AutomationExecutionId"),
            last.get("AutomationExecutionStatus"),
            last.get("ExecutionStartTime"),
            last.get("ExecutionEndTime"),
            success.get("AutomationExecutionId"),
            success.get("ExecutionStartTime"),
        )
        read.report.pipelines.append(build)
        if build.image_id is None:
            read.gap(key, "no-golden-ami", f"{parameter} does not exist; " + _build_text(build, read))
        elif build.last_build_status in FAILED_BUILDS:
            read.gap(key, "golden-ami-build-failed", _build_text(build, read))
        elif ami_stale(build, read.now):
            read.gap(key, "golden-ami-stale", _stale_text(build, read))


def ami_stale(build: PipelineBuild, now: datetime) -> bool:
    """Whether the image is older than STALE_AMI_DAYS by its newest successful build (none listed: not known to
    be newer). Whole days, as the JSON's ``ageDays`` (report_formats) and the fleet's count (report_fleet)."""
    return build.last_success_start is None or (now - build.last_success_start).days > STALE_AMI_DAYS


def _stale_text(build: PipelineBuild, read: RegionRead) -> str:
    if build.last_success_id is None:
        return "no successful build listed; " + _build_text(build, read)
    if build.last_success_start is None:
        return f"newest successful build {build.last_success_id} has no start time: the image's age is not known"
    text = (
        f"newest successful build {when(build.last_success_start)}, {(read.now - build.last_success_start).days} "
        f"days ago (more than {STALE_AMI_DAYS})"
    )
    return text if build.last_build_id == build.last_success_id else f"{text}; {_build_text(build, read)}"


def _build_text(build: PipelineBuild, read: RegionRead) -> str:
    if build.last_build_id is None:
        return "no build found"
    age = f", {(read.now - build.last_build_start).days} days ago" if build.last_build_start else ""
    return f"last build {build.last_build_status} {when(build.last_build_start)}{age}"


def documents(read: RegionRead) -> None:
    """Each SSM document the stack builds in the region (``layout.document_names``), read back as what runs: its
    default version, which must exist and be the latest. An update that created a version and stopped before
    making it the default (pulumi-aws #2555) leaves the old content running while the provider's state, read from
    the latest version, looks right. Content changed behind the stack's back (or an update recorded but never
    made) is what ``pulumi preview --refresh`` shows as drift (the nightly drift workflow): the report cannot
    know the content the stack builds without the stack's state. One DescribeDocument per document; a missing
    document, another default and any read error are gaps: never "ok" on a failed read."""
    from ..layout import document_names

    names = document_names(read.config, read.layout)
    if names:
        read.progress(f"{read.region}: documents")
    for name in names:
        try:
            document = read.ssm.describe_document(Name=name)["Document"]
        except Exception as exc:
            if error_code(exc) == "InvalidDocument":
                read.gap(name, "not-deployed", f"no SSM document named {name!r}")
            else:
                read.gap(name, "unreadable-document", f"DescribeDocument failed ({error_code(exc) or exc})")
            continue
        default, latest = document.get("DefaultVersion"), document.get("LatestVersion")
        if not default or default != latest:
            read.gap(
                name,
                "document-not-default",
                f"version {latest} is not the default, version {default} still runs: an update created it and "
                f"stopped (pulumi-aws #2555), and the provider's next update fails until the default is the latest: "
                f"`aws ssm update-document-default-version --name {name} --document-version {latest}`, then "
                "`pulumi up --refresh`",
            )
