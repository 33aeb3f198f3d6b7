"""`patching report --sla [--month YYYY-MM]`: days from a fix's release to its install, per severity,
judged by the stack's ``patching:sla``.

From Patch Manager's own data: each node's patches (``DescribeInstancePatches``: severity, state and,
for an installed patch, ``InstalledTime``). ``PatchComplianceData`` carries no release date, so release
dates come from ``DescribeAvailablePatches`` (filter ``PATCH_ID``), which AWS documents for Amazon
Linux 1, Amazon Linux 2 and Windows Server only, and which for Linux needs the node's exact ``PRODUCT``:
this report reads it for Windows Server nodes (by KB id). Any other patch that an SLA applies to has no
release date: it is never "on time" but a gap (``no-release-date``), listed and counted with its
operating system and the call that lacked it.

Where Amazon Inspector scans EC2 (``BatchGetAccountStatus``), its active package-vulnerability
findings with a fix for some or all of their packages (``ListFindings``, ``fixAvailable`` YES or PARTIAL: not NO) on
the customer's nodes are CVEs still missing; their age is counted from the vendor's publication of the vulnerability
(``vendorCreatedAt``): a fix can be younger, so this errs towards a breach. A region where
Inspector does not scan EC2 says "Inspector off", never "no findings"; one whose status cannot be
read is a gap. A patch without a release date that is missing is measured by the active findings
(``measured-by-inspector``). One installed in the month is not: a fix installed, late or not, leaves no active
finding. Inspector closes a finding when its vulnerability is remediated, so on a Linux EC2 node the install is
timed by the CLOSED findings on the node for its package that closed at or after it (source
``patch-manager+inspector``, released at their earliest ``vendorCreatedAt``); an install none times is
``install-not-timed``, a gap.

Where Inspector is on, which of the customer's EC2 nodes it actively scans is read (``ListCoverage``, resource type
``AWS_EC2_INSTANCE``, scan type ``PACKAGE``, one listing per region): a node whose package scan is not ``ACTIVE`` with
reason ``SUCCESSFUL`` (absent from its coverage, pending its first scan, stopped, unmanaged, unsupported OS, excluded
by tag...) has no findings because nobody looked, not because it is clean. It is a gap (``not-measured``), and its
undated patches are never "measured by Inspector".

A node the report finds offline, stopped through its window or with a stale scan has patch data that is out of date:
its old patch list is not judged but a gap (``stale-patch-data``), so the SLA is never "met" over it.

A customer whose data could not be read (a node without patch data, a call that failed) has gaps,
and ``ok`` is false: the report never says "no breach" for what it did not see.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .aws_pages import Clients

SEVERITY_OF = {
    # Patch Manager's Severity values (PatchComplianceData.Severity; aws/os_rules.py's vocabularies) and
    # the patching:sla key each one is judged by. Amazon Linux: Critical/Important/Medium/Low; Windows
    # (MSRC), RHEL family and SUSE: Critical/Important/Moderate/Low. Debian/Ubuntu have no severity
    # (PRIORITY is not one), Windows' "Unspecified" neither: such patches are "unrated", counted, not judged.
    "Critical": "Critical",
    "Important": "Important",
    "Moderate": "Medium",
    "Medium": "Medium",
    "Low": "Low",
}
INSPECTOR_SEVERITY_OF = {
    # Amazon Inspector's finding severities (Severity enum); INFORMATIONAL and UNTRIAGED are unrated.
    "CRITICAL": "Critical",
    "HIGH": "Important",
    "MEDIUM": "Medium",
    "LOW": "Low",
}
INSTALLED_STATES = frozenset({"INSTALLED", "INSTALLED_OTHER", "INSTALLED_PENDING_REBOOT"})
"""PatchComplianceData states of an installed patch (pending reboot: installed at InstalledTime)."""
MISSING_STATES = frozenset({"MISSING", "FAILED", "AVAILABLE_SECURITY_UPDATE"})
"""PatchComplianceData states of a patch the node still lacks."""
RELEASE_DATE_IDS = 20
"""KB ids per DescribeAvailablePatches call (PATCH_ID filter values; AWS documents no maximum)."""
PATCH_PAGE = 100
"""DescribeInstancePatches' largest page (botocore: MaxResults 10-100)."""
FINDINGS_PAGE = 100
"""ListFindings' largest page (botocore: maxResults 1-100)."""
COVERAGE_PAGE = 200
"""ListCoverage's largest page (botocore: maxResults 1-200)."""

VERDICTS = {
    "on-time": "installed within its SLA after its release",
    "late": "installed later than its SLA after its release: a breach",
    "missing-past-sla": "still missing, released longer ago than its SLA: a breach",
    "missing-within-sla": "still missing, released less than its SLA ago",
    "no-release-date": "its release date could not be found: neither on time nor late; a gap",
    "measured-by-inspector": "missing, no release date from Patch Manager, on an EC2 node of a region where "
    "Amazon Inspector is on and was read: its exposure is measured by the node's active Inspector findings (a fix "
    "still missing past its SLA is a finding past it); listed, no gap",
    "install-not-timed": "installed in the month, no release date from Patch Manager, on an EC2 node where Amazon "
    "Inspector is on, and no CLOSED Inspector finding it remediated times it (Inspector's active findings cannot "
    "show a fix already installed): how long the install took is unknown; never on time, a gap",
}
SLA_GAPS = {
    "no-release-date": "patches an SLA applies to whose release date no call gives (the detail names the operating "
    "system and the call): they are not judged on time",
    "no-install-time": "installed patches an SLA applies to without an install time (the detail names the "
    "operating system): whether they were installed in the month, and when, is unknown",
    "no-patch-data": "a node of the customer's patch groups with no patch data (never scanned, not managed): "
    "what it is missing is unknown",
    "read-failed": "a call failed: that part of the customer's data was not read",
    "inspector-unreadable": "Amazon Inspector's status or findings could not be read in the region",
    "install-not-timed": "patches installed in the month without a release date on EC2 nodes where Amazon Inspector "
    "is on, that no CLOSED finding times (the detail names the operating system and why): on time or late is unknown",
    "not-measured": "an EC2 node of the customer's patch groups that Amazon Inspector, on in its region, does not "
    "actively scan (ListCoverage: absent, or its package scan is not ACTIVE with reason SUCCESSFUL; the detail says "
    "why): it has no findings because nothing looked, so what it is missing is not measured",
    "stale-patch-data": "a node of the customer's patch groups whose patch data is out of date (its report status "
    "is offline, stopped-missed-window or stale-scan; the detail says which): what it is missing now is unknown, so "
    "its old patch list is not judged",
}
STALE_STATUSES = frozenset({"offline", "stopped-missed-window", "stale-scan"})
"""The report's node statuses (report_model.NODE_STATUSES) that say a node's patch data is out of date."""


@dataclass
class SlaPatch:
    """One patch of one node that an SLA applies to: installed in the month, or missing now."""

    region: str
    instance_id: str
    patch_group: str | None
    patch_id: str
    """The KB id (Windows) or package (Linux) Patch Manager names, or Inspector's CVE id."""
    title: str
    severity: str
    """The patching:sla key it is judged by."""
    state: str
    """PatchComplianceData State, or ``ACTIVE`` for an Inspector finding."""
    source: str
    """``patch-manager``, ``inspector``, or ``patch-manager+inspector`` (a Patch Manager install timed from Amazon
    Inspector's closed findings: ``released`` is the earliest ``vendorCreatedAt`` of its CVEs)."""
    released: datetime | None
    installed: datetime | None
    sla_days: int
    verdict: str
    """A key of VERDICTS."""
    days: float | None
    """Days from release to install (installed) or to now (missing); None without a release date."""


@dataclass
class SlaGap:
    region: str
    resource: str
    kind: str
    """A key of SLA_GAPS."""
    detail: str
    count: int = 1


@dataclass
class SlaReport:
    sla: dict[str, int]
    month: str
    start: datetime
    end: datetime
    """The month read: installs from ``start`` to ``end`` (the month's end, or now within it)."""
    now: datetime
    patches: list[SlaPatch] = field(default_factory=list)
    gaps: list[SlaGap] = field(default_factory=list)
    inspector: dict[str, str] = field(default_factory=dict)
    """Per region: ``on``, ``off (<status>)`` or ``unreadable``."""
    nodes: int = 0
    """Nodes whose patches were read."""
    unrated: int = 0
    """Patches of those nodes with no severity an SLA key maps (installed in the month, or missing)."""
    scanned: dict[str, set[str]] = field(default_factory=dict)
    """Per region where Inspector is on and its coverage was read: the EC2 nodes it actively scans (ListCoverage,
    scan status ACTIVE). Only these are measured by its findings."""

    def severities(self) -> dict[str, dict[str, Any]]:
        """Per severity of the SLA: installed on time and late in the month, mean and worst days to
        install, missing past their SLA now (Patch Manager and Inspector), and those without a release date."""
        rows: dict[str, dict[str, Any]] = {}
        for severity, days in self.sla.items():
            mine = [p for p in self.patches if p.severity == severity]
            installed = [p.days for p in mine if p.verdict in ("on-time", "late") and p.days is not None]
            rows[severity] = {
                "slaDays": days,
                "onTime": sum(1 for p in mine if p.verdict == "on-time"),
                "late": sum(1 for p in mine if p.verdict == "late"),
                "meanDays": round(sum(installed) / len(installed), 1) if installed else None,
                "worstDays": round(max(installed), 1) if installed else None,
                "missingPastSla": sum(
                    1 for p in mine if p.verdict == "missing-past-sla" and p.source == "patch-manager"
                ),
                "findingsPastSla": sum(1 for p in mine if p.verdict == "missing-past-sla" and p.source == "inspector"),
                "missingWithinSla": sum(1 for p in mine if p.verdict == "missing-within-sla"),
                "noReleaseDate": sum(1 for p in mine if p.verdict == "no-release-date"),
                "installNotTimed": sum(1 for p in mine if p.verdict == "install-not-timed"),
            }
        return rows

    @property
    def breaches(self) -> list[SlaPatch]:
        return [p for p in self.patches if p.verdict in ("late", "missing-past-sla")]

    @property
    def ok(self) -> bool:
        """No breach, no gap, and at least one node read: else `patching report --sla` exits 3. A stack
        without ``patching:sla`` has nothing to judge: ok, and its section says so."""
        if not self.sla:
            return True
        return self.nodes > 0 and not self.breaches and not self.gaps


def month_bounds(month: str | None, now: datetime) -> tuple[str, datetime, datetime]:
    """(``YYYY-MM``, its first instant, its end or ``now`` if sooner) of ``month`` (default: now's month)."""
    if month is None:
        month = f"{now:%Y-%m}"
    year, number = (int(part) for part in month.split("-"))
    start = datetime(year, number, 1, tzinfo=UTC)
    if start > now:
        raise ValueError(f"--month {month} has not begun ({now:%Y-%m-%d} now)")
    end = start + timedelta(days=monthrange(year, number)[1])
    return month, start, min(end, now)


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


def judge(
    released: datetime | None, installed: datetime | None, now: datetime, sla_days: int
) -> tuple[str, float | None]:
    """(verdict, days) of a patch released at ``released``, installed at ``installed`` (None: missing)."""
    if released is None:
        return "no-release-date", None
    if installed is not None:
        days = _days(installed - released)
        return ("on-time" if days <= sla_days else "late"), days
    days = _days(now - released)
    return ("missing-past-sla" if days > sla_days else "missing-within-sla"), days


@dataclass
class SlaNode:
    """A node of the customer's patch groups as the SLA reads it."""

    region: str
    instance_id: str
    patch_group: str | None
    platform_type: str | None
    """Systems Manager's PlatformType: Windows, Linux, MacOS; None: not managed."""
    platform: str | None
    has_patch_state: bool
    stale: str | None = None
    """Why its patch data is out of date (its report status and reason, one of STALE_STATUSES); None: current."""


def collect(
    sla: dict[str, int],
    nodes: Iterable[SlaNode],
    clients: Clients,
    *,
    account_id: str,
    regions: list[str],
    now: datetime,
    month: str | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> SlaReport:
    """The SLA report of ``nodes`` (the customer's, from the compliance report) in ``regions``."""
    from botocore.exceptions import BotoCoreError, ClientError

    name, start, end = month_bounds(month, now)
    report = SlaReport(dict(sla), name, start, end, now)
    by_region: dict[str, list[SlaNode]] = {}
    for node in nodes:
        by_region.setdefault(node.region, []).append(node)
    for region in regions:
        mine = by_region.get(region, [])
        ssm = clients("ssm", region)
        windows_kbs: dict[str, list[tuple[SlaNode, dict[str, Any], str]]] = {}
        for node in mine:
            if not node.has_patch_state or node.platform_type is None:
                why = "not managed by Systems Manager" if node.platform_type is None else "never scanned"
                report.gaps.append(SlaGap(region, node.instance_id, "no-patch-data", f"{why}: no patch data"))
                continue
            if node.stale is not None:
                why = f"{node.stale}: its patch data is out of date, not judged"
                report.gaps.append(SlaGap(region, node.instance_id, "stale-patch-data", why))
                continue
            progress(f"{region}: patches of {node.instance_id}")
            try:
                patches = list(_patches(ssm, node.instance_id))
            except (BotoCoreError, ClientError) as exc:
                report.gaps.append(SlaGap(region, node.instance_id, "read-failed", f"DescribeInstancePatches: {exc}"))
                continue
            report.nodes += 1
            for patch in patches:
                state = patch.get("State", "")
                if state not in INSTALLED_STATES and state not in MISSING_STATES:
                    continue
                installed = patch.get("InstalledTime") if state in INSTALLED_STATES else None
                severity = SEVERITY_OF.get(patch.get("Severity", ""))
                if state in INSTALLED_STATES and (installed is None or installed.timestamp() <= 0):
                    if severity in sla:  # "Not all operating systems provide" InstalledTime (PatchComplianceData)
                        platform = node.platform or node.platform_type or "unknown OS"
                        why = "DescribeInstancePatches gives no InstalledTime: installed in the month or not is unknown"
                        report.gaps.append(SlaGap(region, platform, "no-install-time", why))
                    continue
                if state in INSTALLED_STATES and not (installed and start <= installed < end):
                    continue  # installed outside the month
                if severity is None:
                    report.unrated += 1
                    continue
                if severity not in sla:
                    continue
                if node.platform_type == "Windows" and patch.get("KBId"):
                    windows_kbs.setdefault(patch["KBId"], []).append((node, patch, severity))
                else:
                    _add(report, region, node, patch, severity, None)
        released = _release_dates(report, region, ssm, sorted(windows_kbs), ClientError, BotoCoreError)
        for kb, found in windows_kbs.items():
            for node, patch, severity in found:
                _add(report, region, node, patch, severity, released.get(kb))
        _inspector(report, region, clients, account_id, {n.instance_id: n for n in mine}, ClientError, BotoCoreError)
        _undated(report, region, {n.instance_id: n for n in mine})
        _time_installs(
            report, region, clients, account_id, {n.instance_id: n for n in mine}, ClientError, BotoCoreError
        )
    _release_date_gaps(report)
    return report


def _patches(ssm: Any, instance_id: str) -> Iterable[dict[str, Any]]:
    paginator = ssm.get_paginator("describe_instance_patches")
    for page in paginator.paginate(InstanceId=instance_id, PaginationConfig={"PageSize": PATCH_PAGE}):
        yield from page.get("Patches", [])


def _add(
    report: SlaReport, region: str, node: SlaNode, patch: dict[str, Any], severity: str, released: datetime | None
) -> None:
    state = patch.get("State", "")
    installed = patch.get("InstalledTime") if state in INSTALLED_STATES else None
    sla_days = report.sla[severity]
    verdict, days = judge(released, installed, report.now, sla_days)
    report.patches.append(
        SlaPatch(
            region=region,
            instance_id=node.instance_id,
            patch_group=node.patch_group,
            patch_id=patch.get("KBId", ""),
            title=patch.get("Title", ""),
            severity=severity,
            state=state,
            source="patch-manager",
            released=released,
            installed=installed,
            sla_days=sla_days,
            verdict=verdict,
            days=days,
        )
    )


def _release_dates(
    report: SlaReport, region: str, ssm: Any, kbs: list[str], *errors: type[Exception]
) -> dict[str, datetime]:
    """Each KB id's ReleaseDate (DescribeAvailablePatches, PATCH_ID filter), ``RELEASE_DATE_IDS`` a call."""
    found: dict[str, datetime] = {}
    for index in range(0, len(kbs), RELEASE_DATE_IDS):
        batch = kbs[index : index + RELEASE_DATE_IDS]
        try:
            paginator = ssm.get_paginator("describe_available_patches")
            for page in paginator.paginate(
                Filters=[{"Key": "PATCH_ID", "Values": batch}], PaginationConfig={"PageSize": 100}
            ):
                for patch in page.get("Patches", []):
                    kb, date = patch.get("KbNumber"), patch.get("ReleaseDate")
                    if kb in batch and date is not None:
                        found[kb] = min(date, found.get(kb, date))
        except errors as exc:  # the patches of this batch stay without a release date: gaps
            report.gaps.append(SlaGap(region, ", ".join(batch), "read-failed", f"DescribeAvailablePatches: {exc}"))
    return found


def _release_date_gaps(report: SlaReport) -> None:
    """One gap per (region, operating system, kind, reason), with the number of patches it covers."""
    merged: dict[tuple[str, str, str], SlaGap] = {}
    rest: list[SlaGap] = []
    for gap in report.gaps:
        if gap.kind not in ("no-release-date", "no-install-time", "install-not-timed"):
            rest.append(gap)
            continue
        key = (gap.region, gap.resource, gap.kind + gap.detail)
        if key in merged:
            merged[key].count += 1
        else:
            merged[key] = gap
    report.gaps = rest + list(merged.values())


def _inspector(
    report: SlaReport,
    region: str,
    clients: Clients,
    account_id: str,
    nodes: dict[str, SlaNode],
    *errors: type[Exception],
) -> None:
    """Inspector's active, fixable package-vulnerability findings on ``nodes`` in ``region``."""
    try:
        inspector = clients("inspector2", region)
        status = inspector.batch_get_account_status(accountIds=[account_id])
    except errors as exc:
        report.inspector[region] = "unreadable"
        report.gaps.append(SlaGap(region, "Amazon Inspector", "inspector-unreadable", f"BatchGetAccountStatus: {exc}"))
        return
    accounts = [a for a in status.get("accounts", []) if a.get("accountId") == account_id]
    if not accounts:
        failed = status.get("failedAccounts", [])
        detail = failed[0].get("errorMessage", "") if failed else "no status for the account"
        report.inspector[region] = "unreadable"
        report.gaps.append(
            SlaGap(region, "Amazon Inspector", "inspector-unreadable", f"BatchGetAccountStatus: {detail}")
        )
        return
    ec2 = accounts[0].get("resourceState", {}).get("ec2", {}).get("status", "DISABLED")
    if ec2 != "ENABLED":
        report.inspector[region] = f"off (EC2 scanning {ec2})"
        return
    report.inspector[region] = "on"
    if not nodes:
        return
    if not _coverage(report, region, inspector, account_id, nodes, *errors):
        return
    criteria = {
        "awsAccountId": [{"comparison": "EQUALS", "value": account_id}],
        "resourceType": [{"comparison": "EQUALS", "value": "AWS_EC2_INSTANCE"}],
        "findingType": [{"comparison": "EQUALS", "value": "PACKAGE_VULNERABILITY"}],
        "findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}],
        # YES, and PARTIAL ("some, but not all, of the packages identified in the finding have fixes available"):
        # a fix the node lacks either way. One NOT_EQUALS keeps both (and any value AWS adds) without relying on how
        # several filters on one field combine, which the Inspector API Reference does not say.
        "fixAvailable": [{"comparison": "NOT_EQUALS", "value": "NO"}],
    }
    try:
        paginator = inspector.get_paginator("list_findings")
        findings = [
            f
            for page in paginator.paginate(filterCriteria=criteria, PaginationConfig={"PageSize": FINDINGS_PAGE})
            for f in page.get("findings", [])
        ]
    except errors as exc:
        report.inspector[region] = "unreadable"
        report.gaps.append(SlaGap(region, "Amazon Inspector", "inspector-unreadable", f"ListFindings: {exc}"))
        return
    for finding in findings:
        node = next((nodes[r["id"]] for r in finding.get("resources", []) if r.get("id") in nodes), None)
        severity = INSPECTOR_SEVERITY_OF.get(finding.get("severity", ""))
        if node is None:
            continue  # another customer's node in a shared account
        if severity is None:
            report.unrated += 1
            continue
        if severity not in report.sla:
            continue
        details = finding.get("packageVulnerabilityDetails", {})
        published = details.get("vendorCreatedAt")
        sla_days = report.sla[severity]
        verdict, days = judge(published, None, report.now, sla_days)
        report.patches.append(
            SlaPatch(
                region=region,
                instance_id=node.instance_id,
                patch_group=node.patch_group,
                patch_id=details.get("vulnerabilityId", ""),
                title=finding.get("title", ""),
                severity=severity,
                state=finding.get("status", "ACTIVE"),
                source="inspector",
                released=published,
                installed=None,
                sla_days=sla_days,
                verdict=verdict,
                days=days,
            )
        )
        if verdict == "no-release-date":
            report.gaps.append(
                SlaGap(region, "Amazon Inspector", "no-release-date", "the finding has no vendorCreatedAt")
            )


def add_to(
    report: Any,
    sla: dict[str, int] | None,
    clients: Clients,
    *,
    groups: Iterable[str],
    month: str | None = None,
    progress: Callable[[str], None] = lambda _: None,
) -> SlaReport:
    """The SLA section of ``report`` (a :class:`report_model.Report` just read), over its nodes in the
    stack's patch groups (``groups``), set on it and returned. A stack without ``patching:sla`` judges nothing: every
    figure is empty, nothing is read, and the section says so."""
    mine = set(groups)
    nodes = [
        SlaNode(i.region, i.instance_id, i.patch_group, i.platform_type, i.platform, i.counts is not None, _stale(i))
        for i in report.instances
        if i.patch_group in mine
    ]
    if not sla:
        name, start, end = month_bounds(month, report.generated_at)
        result = SlaReport({}, name, start, end, report.generated_at)
        report.sla = result
        return result
    result = collect(
        sla,
        nodes,
        clients,
        account_id=report.account_id,
        regions=report.regions,
        now=report.generated_at,
        month=month,
        progress=progress,
    )
    report.sla = result
    return result


def _stale(node: Any) -> str | None:
    """The first problem of ``node`` (a :class:`report_model.InstanceState`) that makes its patch data out of date,
    as ``status (reason)``; None: none does. Any of them, not only its status: a node that failed and is offline has
    old data all the same."""
    for status, reason in node.problems:
        if status in STALE_STATUSES:
            return f"{status} ({reason})"
    return None


def _undated(report: SlaReport, region: str, nodes: dict[str, SlaNode]) -> None:
    """Patch Manager's patches of ``region`` without a release date (installed in the month, or missing).

    A MISSING one on an EC2 instance (Inspector's EC2 scanning covers EC2 instances, not hybrid nodes) of a region
    where Amazon Inspector is on and its findings were read is listed as measured by Inspector: the node's exposure
    is its active findings, each judged by its age. An INSTALLED one never is: only active findings are read, and
    a fix already installed has none, so a late install would read as "no breach". It is ``install-not-timed``, a
    gap. Anywhere else undated patches stay gaps (``no-release-date``): nothing dated was read for them."""
    measured = report.inspector.get(region) == "on"
    scanned = report.scanned.get(region, set())
    for patch in report.patches:
        if patch.region != region or patch.source != "patch-manager" or patch.verdict != "no-release-date":
            continue
        node = nodes[patch.instance_id]
        platform = node.platform or node.platform_type or "unknown OS"
        if measured and node.instance_id.startswith("i-") and node.instance_id in scanned:
            if patch.installed is None:
                patch.verdict = "measured-by-inspector"
                continue
            patch.verdict = "install-not-timed"  # _time_installs times it from a CLOSED finding, or makes it a gap
            continue
        if node.platform_type == "Windows":
            why = "DescribeAvailablePatches has no such KB id"
        else:
            why = (
                "DescribeInstancePatches gives no release date, and DescribeAvailablePatches covers only Amazon "
                "Linux 1, Amazon Linux 2 and Windows Server (read here for Windows Server)"
            )
        if not measured:
            why += f"; Amazon Inspector, which would date them, is {report.inspector.get(region, 'not read')} here"
        elif not node.instance_id.startswith("i-"):
            why += "; Amazon Inspector scans EC2 instances, not this hybrid node"
        else:
            why += "; Amazon Inspector does not actively scan this node (see its not-measured gap)"
        report.gaps.append(SlaGap(region, platform, "no-release-date", why))


def package_name(patch_id: str) -> str:
    """The package of a Linux patch id as Patch Manager names it (``NAME.ARCH:EPOCH:VERSION-RELEASE``):
    ``openssl.x86_64:1:3.0.8-1.amzn2023.0.14`` is ``openssl``; an id without an architecture is its name."""
    head = patch_id.split(":", 1)[0]
    return head.rsplit(".", 1)[0] if "." in head else head


def _time_installs(
    report: SlaReport,
    region: str,
    clients: Clients,
    account_id: str,
    nodes: dict[str, SlaNode],
    *errors: type[Exception],
) -> None:
    """Time the ``install-not-timed`` installs of ``region`` from Amazon Inspector's CLOSED findings: Inspector
    closes a finding when its vulnerability is remediated. An install of package P on node N at time T is timed
    by the closed package-vulnerability findings on N for P that closed at or after T (``updatedAt``): days from
    the earliest ``vendorCreatedAt`` among them to T (a CVE is published no later than its fix: this errs towards a
    breach). Only Linux nodes: Patch Manager names their patches by package, as Inspector's ``vulnerablePackages``
    do. An install no closed finding matches (none yet, deleted after 30 days, a Windows KB), or a failed read,
    stays ``install-not-timed``: a gap per operating system."""
    pending = [p for p in report.patches if p.region == region and p.verdict == "install-not-timed"]
    if not pending:
        return
    timeable = [p for p in pending if nodes[p.instance_id].platform_type == "Linux"]
    closed: list[dict[str, Any]] = []
    failed = None
    if timeable:
        criteria = {
            "awsAccountId": [{"comparison": "EQUALS", "value": account_id}],
            "resourceType": [{"comparison": "EQUALS", "value": "AWS_EC2_INSTANCE"}],
            "findingType": [{"comparison": "EQUALS", "value": "PACKAGE_VULNERABILITY"}],
            "findingStatus": [{"comparison": "EQUALS", "value": "CLOSED"}],
            "updatedAt": [{"startInclusive": report.start}],
        }
        try:
            paginator = clients("inspector2", region).get_paginator("list_findings")
            closed = [
                f
                for page in paginator.paginate(filterCriteria=criteria, PaginationConfig={"PageSize": FINDINGS_PAGE})
                for f in page.get("findings", [])
            ]
        except errors as exc:
            failed = f"ListFindings (CLOSED): {exc}"
            report.gaps.append(SlaGap(region, "Amazon Inspector", "read-failed", failed))
    for patch in pending:
        node = nodes[patch.instance_id]
        platform = node.platform or node.platform_type or "unknown OS"
        linux = node.platform_type == "Linux"
        published = None
        if linux and failed is None and patch.installed is not None:
            published = _closed_published(closed, node.instance_id, package_name(patch.patch_id), patch.installed)
        if published is not None:
            patch.released = published
            patch.source = "patch-manager+inspector"
            patch.verdict, patch.days = judge(published, patch.installed, report.now, patch.sla_days)
            continue
        why = (
            "installed in the month with no release date from Patch Manager; Amazon Inspector is on, but no CLOSED "
            "finding on the node for the package closed at or after the install"
            if linux and failed is None
            else "installed in the month with no release date from Patch Manager; Amazon Inspector's closed findings "
            "could not be read"
            if linux
            else "installed in the month with no release date from Patch Manager; its install is not timed by "
            "Amazon Inspector's closed findings on this operating system"
        )
        report.gaps.append(SlaGap(region, platform, "install-not-timed", why))


def _closed_published(
    closed: list[dict[str, Any]], instance_id: str, package: str, installed: datetime
) -> datetime | None:
    """The earliest ``vendorCreatedAt`` of the CLOSED findings on ``instance_id`` for ``package`` that closed
    (``updatedAt``) at or after ``installed``; None: no such finding (or one without the dates)."""
    found: list[datetime] = []
    for finding in closed:
        if finding.get("status") != "CLOSED":
            continue
        if not any(r.get("id") == instance_id for r in finding.get("resources", [])):
            continue
        details = finding.get("packageVulnerabilityDetails", {})
        if not any(p.get("name") == package for p in details.get("vulnerablePackages", [])):
            continue
        closed_at, published = finding.get("updatedAt"), details.get("vendorCreatedAt")
        if closed_at is None or published is None:
            return None  # a matching finding that cannot be dated: not timed
        if closed_at >= installed:
            found.append(published)
    return min(found) if found else None


def _coverage(
    report: SlaReport,
    region: str,
    inspector: Any,
    account_id: str,
    nodes: dict[str, SlaNode],
    *errors: type[Exception],
) -> bool:
    """Which EC2 nodes of ``nodes`` Amazon Inspector actively scans in ``region`` (``ListCoverage``: one listing
    of the account's EC2 instances, its largest page), into ``report.scanned``; every other EC2 node is a
    ``not-measured`` gap. Hybrid nodes are left out: Inspector scans EC2 instances only, and their undated patches
    are gaps already. False when the coverage cannot be read: Inspector is then "unreadable" in the region (a gap),
    and nothing there is measured by its findings."""
    ec2 = sorted(i for i in nodes if i.startswith("i-"))
    if not ec2:
        return True
    criteria = {
        "accountId": [{"comparison": "EQUALS", "value": account_id}],
        "resourceType": [{"comparison": "EQUALS", "value": "AWS_EC2_INSTANCE"}],
        # One entry per node and scan type: only the PACKAGE scan says whether its packages are checked (a NETWORK
        # scan's entry is about its reachability; keyed by resourceId it could stand in for the package scan).
        "scanType": [{"comparison": "EQUALS", "value": "PACKAGE"}],
    }
    try:
        paginator = inspector.get_paginator("list_coverage")
        covered = {
            r.get("resourceId"): r
            for page in paginator.paginate(filterCriteria=criteria, PaginationConfig={"PageSize": COVERAGE_PAGE})
            for r in page.get("coveredResources", [])
            if r.get("scanType") == "PACKAGE"
        }
    except errors as exc:
        report.inspector[region] = "unreadable"
        report.gaps.append(SlaGap(region, "Amazon Inspector", "inspector-unreadable", f"ListCoverage: {exc}"))
        return False
    scanned = report.scanned.setdefault(region, set())
    for instance_id in ec2:
        entry = covered.get(instance_id)
        status = (entry or {}).get("scanStatus", {})
        if entry is not None and status.get("statusCode") == "ACTIVE" and status.get("reason") in SCANNED_REASONS:
            scanned.add(instance_id)
            continue
        why = (
            "not in Amazon Inspector's coverage (ListCoverage): never scanned"
            if entry is None
            else f"Amazon Inspector's scan status is {status.get('statusCode', 'unknown')}"
            + (f" ({status['reason']})" if status.get("reason") else "")
        )
        report.gaps.append(SlaGap(region, instance_id, "not-measured", why + ": no finding means nothing looked"))
    return True


SCANNED_REASONS = frozenset({"SUCCESSFUL"})
"""The ScanStatus reasons of an ACTIVE package scan that mean the node's packages were scanned (Inspector API
Reference, "ScanStatus": SUCCESSFUL, "The scan was successful"). Every other reason is a ``not-measured`` gap:
PENDING_INITIAL_SCAN ("results will be available soon": nothing looked yet), the DEEP_INSPECTION_* ones (the
package inventory could not be collected or sent) and any reason AWS adds later."""
