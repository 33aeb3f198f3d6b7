"""The sections of a stack file that say what is patched and when: baselines, maintenance
windows (with their hooks), patch groups, change freezes and compliance evidence. Each model
checks its own settings; rules across sections are StackConfig's (see model)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, StrictBool, StringConstraints, field_validator, model_validator
from pydantic.alias_generators import to_camel

from ..aws import alarms, os_rules, run_patch_baseline
from . import defaults
from .base import ConfigModel, Public, Secretable, raise_issues
from .catch_up import CatchUpConfig
from .fields import (
    ComplianceLevel,
    Concurrency,
    DocumentName,
    ErrorThreshold,
    FilterValue,
    FilterValues,
    FreezeTime,
    Key,
    OperatingSystem,
    PatchId,
    Regions,
    RejectedPatchesAction,
    SourceKey,
    check_schedule,
    check_timezone,
    count_or_string,
    one_of,
    opens_issues,
    utf16_at_most,
)
from .snapshots import SnapshotBeforeInstallConfig

# ---------------------------------------------------------------------------
# Baselines


class PatchSourceConfig(ConfigModel):
    """A custom Linux package repository (baseline ``Sources``)."""

    products: Annotated[list[FilterValue], Field(min_length=1, max_length=20)]
    """OS versions the repository applies to, e.g. ``AmazonLinux2023``."""
    configuration: Annotated[str, StringConstraints(min_length=1, max_length=1024)]
    """The repository configuration (yum .repo / apt sources.list / zypper text)."""


class BaselineConfig(ConfigModel):
    """A security-only patch baseline for one operating system."""

    operating_system: OperatingSystem
    """The OS the baseline applies to; changing it replaces the baseline."""
    description: Annotated[str, StringConstraints(min_length=1, max_length=1024)] | None = None
    """Shown in the console; a default naming the customer is used otherwise."""
    approve_after_days: Annotated[int, Field(ge=0, le=os_rules.MAX_APPROVE_AFTER_DAYS)] | None = None
    """Days after release before a matching patch is approved, 0-360; not with ``approveUntilDate``; not for
    Ubuntu/Debian/Raspbian, whose patches AWS approves on release."""
    approve_until_date: date | None = None
    """``YYYY-MM-DD``: approve patches released on or before that date. A fixed cut-off: once it is in the past
    nothing new is approved and nodes still report COMPLIANT, so ``validate``, the program and the policy pack warn
    about a past date."""
    classifications: FilterValues | None = None
    """``CLASSIFICATION`` filter; default: the OS family's security classifications (below)."""
    severities: FilterValues | None = None
    """``SEVERITY`` (Linux) or ``MSRC_SEVERITY`` (Windows) filter."""
    priorities: FilterValues | None = None
    """``PRIORITY`` filter, Ubuntu/Debian/Raspbian only: the package's Priority field, not a severity (a subset is
    warned about); security-only there is ``enableNonSecurity: false``."""
    products: (
        Annotated[
            list[Annotated[FilterValue, Secretable("*")]],  # a secret's stand-in: every release
            Field(min_length=1, max_length=os_rules.MAX_FILTER_VALUES),
        ]
        | None
    ) = None
    """``PRODUCT`` filter: the node's own release as its agent reports it. Names AWS lists per OS
    (``patching_components/data/patch-products.json``, with its AWS sources and date; a later release of the same
    form, e.g. ``RedhatEnterpriseLinux9.9``, is accepted too), or ``*`` (every release: the one wildcard AWS
    documents for filter values,
    [PatchFilter](https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PatchFilter.html)). Anything
    else (``RHEL9``, ``RedhatEnterpriseLinux9*``) is an error with a "did you mean". Pinning minor releases
    (``[RedhatEnterpriseLinux9.4, RedhatEnterpriseLinux9.5]``) is a warning: a node upgraded to 9.6 matches no
    rule, gets nothing approved and still reports COMPLIANT; leave ``products`` out and let the patch group pick
    the nodes."""
    compliance_level: ComplianceLevel = "CRITICAL"
    """Compliance severity reported for missing approved patches."""
    enable_non_security: StrictBool = False
    """Linux only: also install non-security updates matched by the rule; ``false`` is what makes a Debian-family rule
    security-only. **CentOS needs ``true``** (below)."""
    approved_patches: Annotated[list[PatchId], Field(max_length=os_rules.MAX_PATCH_LIST)] = []
    """Patches approved regardless of the rule (at most 50)."""
    rejected_patches: Annotated[list[PatchId], Field(max_length=os_rules.MAX_PATCH_LIST)] = []
    """Patches never approved (at most 50)."""
    approved_patches_enable_non_security: StrictBool = False
    """Linux only: with ``false`` (AWS's default) Patch Manager installs only the ``approvedPatches`` that are
    security updates, with ``true`` every listed one
    ([CreatePatchBaseline](https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreatePatchBaseline.html));
    ``validate`` says which applies whenever a Linux baseline lists ``approvedPatches``."""
    rejected_patches_action: RejectedPatchesAction = "ALLOW_AS_DEPENDENCY"
    """What a rejected patch may still do: ``ALLOW_AS_DEPENDENCY`` (default) or ``BLOCK``."""
    available_security_updates_compliance_status: (
        Literal[os_rules.AVAILABLE_SECURITY_UPDATES_STATUSES] | None  # type: ignore[valid-type]
    ) = None
    """Windows only (an error elsewhere): whether a security update that is available but not approved (still in its
    ``approveAfterDays`` wait, or left out by the filters) makes the node ``NON_COMPLIANT`` (our default) or
    ``COMPLIANT`` (AWS's default when unset: a warning)
    ([CreatePatchBaseline](https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_CreatePatchBaseline.html))."""
    sources: Annotated[dict[SourceKey, PatchSourceConfig], Field(max_length=os_rules.MAX_SOURCES)] = {}
    """Linux only, at most 20: custom repositories keyed by a stable name (3-40 characters), each ``{products: [...],
    configuration: "..."}``."""
    default: StrictBool = False
    """Also register as the account/region default baseline for this OS (one per OS)."""

    @model_validator(mode="after")
    def _check_os_rules(self) -> BaselineConfig:
        family = os_rules.family_of(self.operating_system)
        os_name = self.operating_system
        issues: list[tuple[tuple[str | int, ...], str]] = []
        for name in os_rules.FILTER_FIELDS:
            values = getattr(self, name)
            if values is None:
                continue
            spec = family.fields.get(name)
            if spec is None:
                issues.append(
                    (
                        (to_camel(name),),
                        f"{to_camel(name)} does not apply to {os_name}; "
                        f"{family.name} baselines accept: {', '.join(to_camel(f) for f in family.fields)}",
                    )
                )
                continue
            for index, value in enumerate(values):
                if spec.allowed is not None and value not in spec.allowed:
                    issues.append(
                        (
                            (to_camel(name), index),
                            f"{value!r} is not a {spec.filter_key} value for {os_name}; "
                            f"allowed: {', '.join(spec.allowed)}",
                        )
                    )
                elif value in values[:index]:
                    issues.append(((to_camel(name), index), f"{value!r} is listed twice"))
        if self.approve_after_days is not None and self.approve_until_date is not None:
            issues.append((("approveUntilDate",), "give approveAfterDays or approveUntilDate, not both"))
        if not family.supports_approval_delay:
            for key, value in (
                ("approveAfterDays", self.approve_after_days),
                ("approveUntilDate", self.approve_until_date),
            ):
                if value is not None:
                    issues.append(
                        (
                            (key,),
                            f"{os_name} does not support {key}: its patches are approved on release; remove the key",
                        )
                    )
        issues += self._product_issues()
        if self.available_security_updates_compliance_status is not None and (
            os_name not in os_rules.WINDOWS_ONLY_COMPLIANCE_STATUS
        ):
            issues.append(
                (
                    ("availableSecurityUpdatesComplianceStatus",),
                    f"availableSecurityUpdatesComplianceStatus applies to WINDOWS baselines only, not {os_name} "
                    "(AWS reports available security updates for Windows Server nodes only); remove the key",
                )
            )
        if os_name in os_rules.NO_UPDATE_NOTICES and not self.enable_non_security and not self.sources:
            issues.append((("enableNonSecurity",), os_rules.NO_UPDATE_NOTICES_REASON.format(os=os_name)))
        if not family.linux:
            if self.approved_patches_enable_non_security:
                issues.append(
                    (
                        ("approvedPatchesEnableNonSecurity",),
                        f"approvedPatchesEnableNonSecurity applies to Linux only, not {os_name}; remove the key",
                    )
                )
            if self.enable_non_security:
                issues.append((("enableNonSecurity",), f"enableNonSecurity applies to Linux only, not {os_name}"))
            if self.sources:
                issues.append((("sources",), f"sources apply to Linux only, not {os_name}"))
        if (
            len(os_rules.approval_filters(os_name, self.filter_values(), self.enable_non_security))
            > os_rules.MAX_FILTERS_PER_RULE
        ):
            issues.append(((), f"an approval rule takes at most {os_rules.MAX_FILTERS_PER_RULE} filters"))
        raise_issues(issues)
        return self

    def _product_issues(self) -> list[tuple[tuple[str | int, ...], str]]:
        """PRODUCT values AWS lists for the OS (data/patch-products.json), with a "did you mean"."""
        os_name = self.operating_system
        known = os_rules.products_of(os_name).names
        issues: list[tuple[tuple[str | int, ...], str]] = []
        for index, product in enumerate(self.products or []):
            if os_rules.product_known(os_name, product):
                continue
            try:
                one_of(product, known, f"a PRODUCT value AWS lists for {os_name}")
            except ValueError as exc:
                issues.append(
                    (
                        ("products", index),
                        f"{exc} (AWS's names look like {known[-1]!r}; list of {os_rules.product_list_date()}, "
                        f"aws ssm describe-patch-properties --operating-system {os_name} --property PRODUCT "
                        "shows today's); remove products or use '*' to cover every release",
                    )
                )
        return issues

    @property
    def effective_available_security_updates_compliance_status(self) -> str | None:
        """What AWS receives: the configured status, NON_COMPLIANT on Windows, nothing elsewhere."""
        if self.operating_system not in os_rules.WINDOWS_ONLY_COMPLIANCE_STATUS:
            return None
        return self.available_security_updates_compliance_status or os_rules.DEFAULT_AVAILABLE_SECURITY_UPDATES_STATUS

    def filter_values(self) -> dict[str, list[str] | None]:
        return {name: getattr(self, name) for name in os_rules.FILTER_FIELDS}

    @property
    def effective_approve_after_days(self) -> int | None:
        """The delay AWS receives: the configured one, else 7 where the OS supports a delay."""
        if self.approve_after_days is not None or self.approve_until_date is not None:
            return self.approve_after_days
        if os_rules.family_of(self.operating_system).supports_approval_delay:
            return os_rules.DEFAULT_APPROVE_AFTER_DAYS
        return None


# ---------------------------------------------------------------------------
# Maintenance windows


class HooksConfig(ConfigModel):
    """SSM documents run around the install (switches to AWS-RunPatchBaselineWithHooks)."""

    pre_install: DocumentName | None = None
    """Runs before patches are installed (e.g. drain from the load balancer)."""
    post_install: DocumentName | None = None
    """Runs after install and reboot (e.g. a health check)."""
    on_exit: DocumentName | None = None
    """Runs at the end, whatever the outcome."""

    @model_validator(mode="after")
    def _not_empty(self) -> HooksConfig:
        if not (self.pre_install or self.post_install or self.on_exit):
            raise ValueError("hooks needs at least one of preInstall, postInstall, onExit")
        return self


class MaintenanceWindowConfig(ConfigModel):
    """A maintenance window that scans or installs patches on its patch groups."""

    schedule: str
    """AWS ``cron(min hour dom month dow year)`` with ``?`` in one day field, ``L``, ``W``, ``#`` (e.g. ``cron(0 2 ? *
    SUN *)``, ``cron(0 3 ? * TUE#2 *)``), ``rate(N minutes|hours|days)`` (N without leading zeros), or a one-time
    ``at(2027-01-31T02:00:00)``; at most 256 ASCII characters. A cron naming no date at all (``cron(0 0 30 2 ?
    *)``) is an error; one that has passed (a past ``at()``, a cron whose years are over) is a **warning**, "never
    opens again", so one expired window does not block CI. A numeric day of week warns with the days AWS uses: AWS
    counts ``1-7`` from Sunday, so ``7`` is Saturday and ``2-6`` is ``MON-FRI`` (write the names; [Reference: Cron
    and rate expressions for Systems
    Manager](https://docs.aws.amazon.com/systems-manager/latest/userguide/reference-cron-and-rate-expressions.html))."""
    timezone: str = "UTC"
    """IANA time zone the schedule is read in: the name of a place, e.g. ``Europe/London``. Abbreviations and offsets
    (``CST``, ``PST``, ``UTC+1``) are errors that name the zone meant (``America/Chicago``; a fixed UTC+1 is
    ``Etc/GMT-1``, whose sign is inverted); zones without the place's daylight saving (``EST``, ``MST``, ``HST``,
    ``Etc/GMT+5``) or legacy POSIX-style ones (``EST5EDT``, ``CET``) are warnings naming the zone meant (``EST`` ->
    ``America/New_York``); AWS takes IANA names ([Reference: Maintenance window scheduling and active period
    options](https://docs.aws.amazon.com/systems-manager/latest/userguide/maintenance-windows-schedule-options.html))."""
    schedule_offset: Annotated[int, Field(ge=1, le=6)] | None = None
    """Days to wait after the cron date, 1-6 (cron only), e.g. 'second Tuesday + 2'."""
    duration_hours: Annotated[int, Field(ge=1, le=24)]
    """Length of the window in hours, 1-24."""
    cutoff_hours: Annotated[int, Field(ge=0, le=23)]
    """Hours before the end from which no new task starts: 0-23, less than ``durationHours``."""
    cutoff_behavior: Literal[run_patch_baseline.CUTOFF_BEHAVIORS] = "CANCEL_TASK"  # type: ignore[valid-type]
    """What the running patch command does at the cutoff; see [The
    cutoff](#the-cutoff-what-aws-does-when-patch-night-runs-long). ``CANCEL_TASK``: AWS cancels the whole command:
    nodes not yet started never start, and a node still installing is told to stop (AWS does not guarantee it
    stops). ``CONTINUE_TASK`` (AWS's own default): the command runs on after the cutoff, its installs and reboots
    past the window's end."""
    operation: Literal["Scan", "Install"]
    """``Scan`` reports compliance; ``Install`` installs approved patches."""
    reboot_option: Literal["RebootIfNeeded", "NoReboot"] = "RebootIfNeeded"
    """Install only; ``NoReboot`` leaves nodes non-compliant until rebooted and rescanned."""
    max_concurrency: Concurrency = "10%"
    """How many targets run at once: a count or a percentage."""
    max_errors: ErrorThreshold = "1"
    """Errors after which the task stops: a count or a percentage."""
    minutes_per_node: Annotated[int, Field(strict=True, ge=1, le=1440)] | None = None
    """How long one node's patch task takes, reboot included: your measurement, not AWS's (the default is an
    assumption). No node starts later than this before the cutoff (the task's delivery timeout), and ``validate``
    warns when the rate control cannot reach every node before the cutoff."""
    hooks: HooksConfig | None = None
    """Install only: ``preInstall``, ``postInstall``, ``onExit`` SSM document names (uses
    ``AWS-RunPatchBaselineWithHooks``)."""
    description: Annotated[str, StringConstraints(min_length=1, max_length=128), utf16_at_most(128)] | None = None
    """Shown in the console; at most 128 UTF-16 code units."""
    regions: Regions | None = None
    """The regions of ``patching:regions`` this window is built in (needs ``patching:regions``), for fleets whose
    regions patch at different times."""
    snapshot_before_install: SnapshotBeforeInstallConfig | None = None
    """Install only: before each node's install, snapshot all its EBS volumes (tagged with the customer, window,
    window execution and instance; kept ``retainDays``); a node whose snapshot fails is not patched. The window's
    task then runs our runbook per node instead of Run Command; see [Pre-patch snapshots and
    rollback](#pre-patch-snapshots-and-rollback)."""
    stop_on_alarms: Annotated[list[str], Field(max_length=alarms.MAX_ALARMS)] = []
    """Install only: the CloudWatch alarm (AWS allows one per task) whose ``ALARM`` state stops patching: the region's
    circuit breaker disables every window of the customer there, cancels their running executions, tells the
    notification topic, and leaves them disabled until ``patching resume`` (see [Circuit
    breaker](#circuit-breaker-stop-patching-when-an-alarm-fires)). An alarm in the window's region(s); a name CloudWatch
    takes (1-255 characters)."""

    @field_validator("stop_on_alarms", mode="before")
    @classmethod
    def _one_alarm(cls, names: object) -> object:
        if isinstance(names, list) and len(names) > alarms.MAX_ALARMS:
            raise ValueError(
                f"AWS takes at most {alarms.MAX_ALARMS} alarm per task (AlarmConfiguration), {len(names)} given: "
                "combine them into one CloudWatch composite alarm (ALARM when any of them is) and name that"
            )
        return names

    @field_validator("stop_on_alarms")
    @classmethod
    def _alarm_names(cls, names: list[str]) -> list[str]:
        issues: list[tuple[tuple[str | int, ...], str]] = []
        for i, name in enumerate(names):
            problem = alarms.alarm_name_problem(name)
            if problem:
                issues.append(((i,), problem))
            elif names.index(name) != i:
                issues.append(((i,), f"{name!r} is listed twice"))
        raise_issues(issues)
        return names

    @model_validator(mode="after")
    def _stop_on_alarms_installs(self) -> MaintenanceWindowConfig:
        if self.stop_on_alarms and self.operation == "Scan":
            raise_issues(
                [
                    (
                        ("stopOnAlarms",),
                        "a scan changes nothing on the nodes, so there is nothing to stop: put stopOnAlarms on an "
                        "Install window (the breaker stops every window of the customer in the region)",
                    )
                ]
            )
        return self

    _coerce = field_validator("max_concurrency", "max_errors", mode="before")(count_or_string)

    @property
    def node_minutes(self) -> int:
        """minutesPerNode, or the default of the operation."""
        return self.minutes_per_node or defaults.MINUTES_PER_NODE[self.operation]

    _schedule = field_validator("schedule")(check_schedule)
    _timezone = field_validator("timezone")(check_timezone)

    @model_validator(mode="after")
    def _window_rules(self) -> MaintenanceWindowConfig:
        issues: list[tuple[tuple[str | int, ...], str]] = []
        if self.cutoff_hours >= self.duration_hours:
            issues.append(
                (
                    ("cutoffHours",),
                    f"cutoffHours ({self.cutoff_hours}) must be less than durationHours ({self.duration_hours})",
                )
            )
        if self.schedule_offset is not None and not self.schedule.startswith("cron("):
            issues.append((("scheduleOffset",), "scheduleOffset works with cron() schedules only"))
        issues += opens_issues(self.schedule, self.timezone)
        before_cutoff = (self.duration_hours - self.cutoff_hours) * 60
        if 0 < before_cutoff <= self.node_minutes:
            issues.append(
                (
                    ("minutesPerNode",),
                    f"minutesPerNode ({self.node_minutes}) leaves no node time to finish: the cutoff comes "
                    f"{before_cutoff} minutes after the window opens; lengthen durationHours or lower cutoffHours",
                )
            )
        if self.operation == "Scan":
            if self.hooks is not None:
                issues.append((("hooks",), "hooks run around an install; remove them or use operation: Install"))
            if "reboot_option" in self.model_fields_set:
                issues.append((("rebootOption",), "rebootOption applies to operation: Install only"))
        raise_issues(issues)
        return self

    @model_validator(mode="after")
    def _snapshot_on_install(self) -> MaintenanceWindowConfig:
        if self.operation == "Scan" and self.snapshot_before_install is not None:
            raise_issues(
                [
                    (
                        ("snapshotBeforeInstall",),
                        "a scan changes nothing to roll back: remove snapshotBeforeInstall or use operation: Install",
                    )
                ]
            )
        return self

    catch_up: CatchUpConfig | None = None
    """Install only: patch a node of this window's groups that missed it when it starts again; see
    [Catch-up for missed windows](#catch-up-for-missed-windows)."""

    @model_validator(mode="after")
    def _catch_up_installs(self) -> MaintenanceWindowConfig:
        if self.catch_up is not None and self.operation != "Install":
            raise_issues(
                [(("catchUp",), "catchUp patches nodes that missed an install; remove it or use operation: Install")]
            )
        if self.catch_up is not None and self.snapshot_before_install is not None:
            # The catch-up runbook sends the patch command itself: it would install without the snapshot.
            raise_issues(
                [
                    (
                        ("catchUp",),
                        "a caught-up node would be patched without its pre-patch snapshot "
                        "(snapshotBeforeInstall); remove catchUp or snapshotBeforeInstall from this window",
                    )
                ]
            )
        return self

    requires_approval: StrictBool = False
    """Install only: the window installs only on the occurrences listed in ``approvedOccurrences`` (an approval
    gate; see [Approval gates](#approval-gates-install-only-on-approved-nights)). Built as a Change Calendar
    ``<customer>-<key>-approvals``, closed by default, open around each approved occurrence; the freeze guard keeps
    the window disabled while it is closed. Needs a ``cron()`` or ``at()`` schedule."""
    approved_occurrences: list[Annotated[date, Public()]] = []
    """The approved occurrences of a ``requiresApproval`` window, each by the local date (``YYYY-MM-DD``, in the
    window's ``timezone``, after ``scheduleOffset``) on which it opens; ``patching approve`` adds one. A date on
    which the window does not open is an error naming the nearest occurrences; past dates are kept as history.
    Never a secret: an approval is a reviewed change, which previews and the approval calendar show."""

    @model_validator(mode="after")
    def _approval_rules(self) -> MaintenanceWindowConfig:
        from .approvals import approval_issues

        raise_issues(approval_issues(self))
        return self


# ---------------------------------------------------------------------------
# Patch groups, change freezes, compliance


class PatchGroupConfig(ConfigModel):
    """Instances tagged with this group (the map key) get these baselines and windows."""

    baselines: list[Annotated[Key, Public()]] = []
    """Baseline keys, at most one per operating system; required when the group has ``maintenanceWindows`` (otherwise
    its nodes would be patched with the account's default baseline, which on Amazon Linux and RHEL also approves
    bug fixes)."""
    maintenance_windows: list[Annotated[Key, Public()]] = []
    """Window keys whose tasks target this group."""


class ChangeFreezeConfig(ConfigModel):
    """A period in which no patch window and no golden AMI build starts."""

    start: Annotated[FreezeTime, Secretable("1970-01-01")]
    """ISO 8601 date or date-time, local to timezone (a date: its midnight)."""
    end: FreezeTime
    """ISO 8601 date or date-time after start, local to timezone (a date: its midnight, so the day itself is
    not frozen)."""
    timezone: str = "UTC"
    """IANA time zone of start and end."""

    _timezone = field_validator("timezone")(check_timezone)

    def interval(self) -> tuple[datetime, datetime]:
        """Start and end as aware instants."""
        zone = ZoneInfo(self.timezone)
        return (
            datetime.fromisoformat(self.start).replace(tzinfo=zone),
            datetime.fromisoformat(self.end).replace(tzinfo=zone),
        )

    @model_validator(mode="after")
    def _end_after_start(self) -> ChangeFreezeConfig:
        start, end = self.interval()
        # As instants: Python compares aware times of one zone by their wall clock, and a time a
        # daylight-saving jump skips maps forward, after later wall times (01:30 on London's
        # spring-forward night is 01:30 UTC, 02:15 that night 01:15 UTC).
        if end.timestamp() <= start.timestamp():
            gaps = {name: gap for name, moment in (("start", start), ("end", end)) if (gap := _dst_gap(moment))}
            detail = "".join(
                [f"{name} falls in {gap}, " for name, gap in gaps.items()]
                + [f"so start is {_as_instant(start)} and end {_as_instant(end)}; "]
                + [f"give a{'n end' if list(gaps) == ['end'] else ' start'} outside that gap"]
            )
            message = f"end ({self.end}) must be after start ({self.start})"
            raise_issues([(("end",), f"{message}: {detail}" if gaps else message)])
        return self


def _dst_gap(moment: datetime) -> str | None:
    """The daylight-saving gap a local time falls in, e.g. "the hour 01:00-02:00 that Europe/London
    skips on 2027-03-28", or None: it exists."""
    if _exists(moment):
        return None
    skipped = moment.replace(fold=1).utcoffset() - moment.replace(fold=0).utcoffset()  # type: ignore[operator]
    first = moment.replace(second=0, microsecond=0)
    while not _exists(first - timedelta(minutes=1)):  # back to the gap's first minute
        first -= timedelta(minutes=1)
    minutes = int(skipped.total_seconds() // 60)
    length = "hour" if minutes == 60 else f"{minutes} minutes"
    return f"the {length} {first:%H:%M}-{first + skipped:%H:%M} that {moment.tzinfo} skips on {first:%Y-%m-%d}"


def _exists(moment: datetime) -> bool:
    """Whether a local time occurs on its zone's clock (a daylight-saving jump skips some)."""
    return moment.astimezone(UTC).astimezone(moment.tzinfo).replace(tzinfo=None) == moment.replace(tzinfo=None)


def _as_instant(moment: datetime) -> str:
    """A local time as the instant it maps to, in UTC and on the zone's clock."""
    local = moment.astimezone(UTC).astimezone(moment.tzinfo)
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC ({local:%H:%M %Z})"


class ComplianceConfig(ConfigModel):
    """Patch compliance evidence."""

    data_sync: StrictBool = False
    """A Resource Data Sync (``<customer>-patch-compliance``, JsonSerDe) of the account/region's inventory and patch
    compliance into the log bucket below ``<s3Prefix>/<customer>/sync/`` (query it with Athena); needs
    ``logging.s3Bucket``."""
