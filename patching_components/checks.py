"""Everything `patching validate` checks about a stack file, offline.

Beyond the config model: the parameters of every patch task (AWS checks them
only when the window opens) and the Automation document of every golden AMI
pipeline, exactly as the components would build them.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from . import calendar, layout, standard
from .aws import limits as aws_limits
from .aws.schedule import cron_instants, never_opens, numeric_weekdays, parse_schedule, timezone_warning
from .config import ConfigError, Issue, StackConfig, read_stack_document, read_stack_file
from .config import esc as esc_module
from .config.defaults import FREEZE_GUARD_LAG_MINUTES
from .config.esc import EscConfig
from .config.stack_file import StackDocument
from .standard import approval_rule, baseline_advice_for


def standard_issues(config: StackConfig) -> list[Issue]:
    """The patching standard's mandatory rules, as the policy pack applies them at preview."""
    waivable = f"the patching standard; waive with patching:tags.{standard.WAIVER_TAG}: <reason>"
    waived = bool(config.tags.get(standard.WAIVER_TAG))  # every baseline carries patching:tags
    issues = []
    for key, baseline in config.baselines.items():
        rule = approval_rule(baseline)
        found = (
            []
            if waived
            else [(v, waivable) for v in standard.security_only_violations(baseline.operating_system, rule)]
        )
        found += [
            (v, "the patching standard") for v in standard.approval_delay_violations(baseline.operating_system, rule)
        ]
        issues += [Issue(("baselines", key, v.field), f"the approval rule {v.message} ({why})") for v, why in found]
    for key, window in config.maintenance_windows.items():
        issues += [
            Issue(("maintenanceWindows", key, v.field), f"{v.message} (the patching standard)")
            for v in standard.cutoff_violations(window.cutoff_hours)
        ]
    return issues


def build_issues(config: StackConfig) -> list[Issue]:
    """Problems the built resources would have, for a config that validated."""
    return standard_issues(config)


def built_artifact_issues(config: StackConfig) -> list[Issue]:
    """Errors only the built artefacts tell, for a config that validated: a Change Calendar over
    SSM's document size, roles whose inline policies IAM would refuse. `patching validate` and the
    program (before it registers anything) both refuse them; the config model leaves them here, as
    it imports neither the components nor the policies."""
    issues = _key_region_issues(config) + _name_issues(config) + _calendar_issues(config)
    issues += approval_calendar_issues(config)
    if issues:
        return issues
    from .iam_policies import circuit_breaker_policy_issues, inline_policy_issues
    from .notice_runbooks import notice_issues

    found = inline_policy_issues(config) + notice_issues(config) + circuit_breaker_policy_issues(config)
    return [Issue(path, message) for path, message in found]


def refuse_unbuildable(config: StackConfig, source: str) -> StackConfig:
    """``config``, or ConfigError naming ``source`` with its :func:`built_artifact_issues`."""
    issues = built_artifact_issues(config)
    if issues:
        raise ConfigError(source, issues)
    return config


def _key_region_issues(config: StackConfig) -> list[Issue]:
    """A KMS key is regional: EC2 cannot encrypt a volume, nor CloudWatch Logs a log group, with
    another region's key. The message names where it is built, not the key's region (part of the
    ARN, which may be secret); a stand-in ARN of a secret says nothing and is not judged."""
    from .config.model import stand_in

    def region_of(arn: str | None) -> str | None:
        return arn.split(":")[3] if arn and not stand_in(arn) else None

    issues = []
    primary = layout.primary_region(config)
    for key, ami in config.golden_amis.items():
        built_in, key_region = ami.region or primary, region_of(ami.kms_key_arn)
        if built_in and key_region and key_region != built_in:
            issues.append(
                Issue(
                    ("goldenAmis", key, "kmsKeyArn"),
                    f"the key is not in {built_in}, where the pipeline builds: give a key of {built_in}",
                )
            )
    cloud_watch = config.logging.cloud_watch if config.logging else None
    key_region = region_of(cloud_watch.kms_key_arn) if cloud_watch else None
    if primary and key_region and key_region != primary and not layout.other_regions(config):
        issues.append(
            Issue(
                ("logging", "cloudWatch", "kmsKeyArn"),
                f"the key is not in {primary}, where the log group is: give a key of {primary}",
            )
        )
    return issues


def _name_issues(config: StackConfig) -> list[Issue]:
    """Names AWS must take: the created log bucket's, every window's output prefix."""
    issues = []
    if config.logging is not None and config.logging.s3_bucket == "create":
        # The program's bucket is auto-named "<customer>-logs-<7 hex digits>".
        problem = aws_limits.bucket_name_problem(f"{layout.log_bucket_prefix(config.customer)}0000000")
        if problem:
            issues.append(
                Issue(
                    ("customer",),
                    f"names the log bucket '{layout.log_bucket_prefix(config.customer)}...', and {problem}",
                )
            )
    for where in layout.regions(config):
        for key in config.maintenance_windows:
            prefix = layout.window_log_prefix(config, key, where.named_region) or ""
            if len(prefix) > aws_limits.MAX_OUTPUT_S3_KEY_PREFIX:
                issues.append(
                    Issue(
                        ("logging", "s3Prefix"),
                        f"window {key!r} writes to '{prefix[:40]}...' ({len(prefix)} characters); "
                        f"AWS takes at most {aws_limits.MAX_OUTPUT_S3_KEY_PREFIX}: shorten s3Prefix",
                    )
                )
                return issues
    log_prefix = layout.log_prefix(config)
    if log_prefix is not None and config.compliance is not None and config.compliance.data_sync:
        sync_prefix = layout.data_sync_prefix(log_prefix)
        if len(sync_prefix) > aws_limits.MAX_DATA_SYNC_S3_PREFIX:
            issues.append(
                Issue(
                    ("logging", "s3Prefix"),
                    f"the compliance data sync writes to '{sync_prefix[:40]}...' ({len(sync_prefix)} characters); "
                    f"AWS takes at most {aws_limits.MAX_DATA_SYNC_S3_PREFIX}: shorten s3Prefix",
                )
            )
    return issues


def _calendar_issues(config: StackConfig) -> list[Issue]:
    # One Change Calendar event per freeze; SSM takes a document of at most 64 KB.
    if not config.change_freezes:
        return []
    from .aws.change_calendar import calendar_content, calendar_size_bound  # the calendar as it is built

    longest = max([*(config.regions or []), *aws_limits.regions()], key=len)
    name = layout.name_prefix(config.customer, longest)  # the longest name the calendar's description carries
    description = f"Change freezes of {name}: no patch window starts while CLOSED"
    if calendar_size_bound(config.change_freezes, description) <= aws_limits.MAX_DOCUMENT_CONTENT_BYTES:
        return []  # far below the limit: no need to render it (a few freezes, the usual case)
    size = len(calendar_content(config.change_freezes, description).encode())
    if size <= aws_limits.MAX_DOCUMENT_CONTENT_BYTES:
        return []
    return [
        Issue(
            ("changeFreezes",),
            f"{len(config.change_freezes)} freezes make a Change Calendar of {size:,} bytes; SSM takes "
            f"a document of at most {aws_limits.MAX_DOCUMENT_CONTENT_BYTES:,} (CreateDocument): "
            "remove the freezes that have ended or join adjacent ones",
        )
    ]


def unlisted_warnings(
    config: StackConfig, aws_region: object = None, aws_region_line: int | None = None
) -> list[Issue]:
    """Regions and EC2 instance types the shipped lists (of ``aws_limits.LISTS_DATE``) do not name
    but that are named as AWS names them: AWS may have launched them since, so they are accepted,
    with a warning (a malformed one is an error of the model, with a "did you mean")."""
    listed = f"not in the list of {aws_limits.LISTS_DATE} that patching-components ships"
    found = []
    if isinstance(aws_region, str) and aws_region not in aws_limits.regions():
        found.append(
            Issue((), f"aws:region: {aws_region!r} is an AWS region name {listed}; check it exists", aws_region_line)
        )
    for i, region in enumerate(config.regions or []):
        if region not in aws_limits.regions():
            found.append(
                Issue(
                    ("regions", i),
                    f"{region!r} is an AWS region name {listed} (partition {aws_limits.partition_of(region)}); "
                    "check it exists and is enabled in the account",
                )
            )
    for key, pipeline in config.golden_amis.items():
        if pipeline.instance_type not in aws_limits.instance_types():
            found.append(
                Issue(
                    ("goldenAmis", key, "instanceType"),
                    f"{pipeline.instance_type!r} is an EC2 instance type name {listed}; check it is offered in "
                    "the pipeline's region",
                )
            )
    return found


OVERLAP_HORIZON_WEEKS = 53
"""How far ahead `validate` looks for windows of one patch group open at once: every
cron pattern but a year-bound one repeats within a year."""
OVERLAP_OCCURRENCES = 2000
"""Openings per window it looks at: a rate(1 minute) window would have half a million."""


def overlap_warnings(config: StackConfig, now: datetime | None = None) -> list[Issue]:
    """Two windows of one patch group open at the same time: two AWS-RunPatchBaseline runs on the
    same nodes, where the second fails or patches under the first. One warning per patch group
    (its first overlap): 1,000 windows on one group are one warning, not half a million."""
    # From the start of the day: every stack checked today shares the cached schedule walks.
    today = (now or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0)
    return [
        Issue(
            ("patchGroups", group, "maintenanceWindows"),
            f"the windows {a} and {b} are open at the same time ({first} first): two AWS-RunPatchBaseline "
            f"runs on the nodes of {group}; move or shorten one (`patching calendar` lists every overlap)",
        )
        for group, a, b, first in _first_overlaps(config, today)
    ]


_OVERLAPS: dict[tuple[object, ...], list[tuple[str, str, str, str]]] = {}
"""Computed overlaps by what they depend on: the same stack checked again (the program at every
preview, a test suite) finds them once per day and process."""


def _first_overlaps(config: StackConfig, today: datetime) -> list[tuple[str, str, str, str]]:
    """(patch group, window, window, first overlap) of a config, one per patch group."""
    shared = {w for g in config.patch_groups.values() if len(g.maintenance_windows) > 1 for w in g.maintenance_windows}
    if not shared or config.mode == "disabled":
        return []  # a fleet of one window per patch group: nothing can overlap
    windows = config.maintenance_windows
    key = (
        today,
        tuple(config.regions or ()),
        tuple(
            (k, w.schedule, w.timezone, w.schedule_offset, w.duration_hours, tuple(w.regions or ()))
            for k, w in windows.items()
            if k in shared
        ),
        tuple((g, tuple(c.maintenance_windows)) for g, c in config.patch_groups.items()),
        tuple(f.interval() for f in config.change_freezes.values()),
    )
    if key not in _OVERLAPS:
        if len(_OVERLAPS) > 1024:
            _OVERLAPS.clear()
        _OVERLAPS[key] = _find_first_overlaps(config, today, shared)
    return _OVERLAPS[key]


class _Openings:
    """One window's openings from ``start`` to ``end``, computed once and shared by every patch
    group and region that looks at them: (UTC start, UTC end, window) with POSIX timestamps, in
    time order, without those inside a change freeze, at most OVERLAP_OCCURRENCES."""

    def __init__(self, config: StackConfig, key: str, start: datetime, end: datetime):
        window = config.maintenance_windows[key]
        self.window = key
        self.timezone = window.timezone
        frozen = tuple(tuple(t.timestamp() for t in freeze.interval()) for freeze in config.change_freezes.values())
        self.times = [
            (opening, closing, key)
            for opening, closing in _window_openings(
                window.schedule, window.timezone, window.schedule_offset or 0, window.duration_hours, start, end, frozen
            )
        ]

    def __iter__(self) -> Iterator[tuple[float, float, str]]:
        return iter(self.times)

    def local(self, instant: float) -> datetime:
        """An opening as the window's zone shows it."""
        return datetime.fromtimestamp(instant, ZoneInfo(self.timezone))


@functools.lru_cache(maxsize=4096)
def _window_openings(
    schedule: str,
    timezone: str,
    offset_days: int,
    hours: int,
    start: datetime,
    end: datetime,
    frozen: tuple[tuple[float, float], ...],
) -> tuple[tuple[float, float], ...]:
    """The openings of _Openings, by what they depend on: the windows an MSP gives many of its
    stacks (the same patch night in the same zone) are computed once per day and process."""
    seconds = hours * 3600
    times = []
    parsed = parse_schedule(schedule)
    if parsed.kind == "cron":  # the usual case, without _schedule_walk's generator around it
        walk = cron_instants(parsed.expression, timezone, start, end, offset_days)
    else:
        walk = _schedule_walk(schedule, timezone, start, end, offset_days)
    for opening in walk:
        for first, last in frozen:
            if first <= opening < last:
                break  # inside a change freeze the window is disabled: it does not run
        else:
            times.append((opening, opening + seconds))
            if len(times) >= OVERLAP_OCCURRENCES:
                break
    return tuple(times)


def _schedule_walk(text: str, timezone: str, start: datetime, end: datetime, offset_days: int) -> Iterator[float]:
    """A schedule's openings in [start, end), as POSIX timestamps, one at a time (the instants
    calendar.schedule_starts computes, without computing all of them)."""
    schedule = parse_schedule(text)
    if schedule.kind == "cron":
        yield from cron_instants(schedule.expression, timezone, start, end, offset_days)
        return
    for local in calendar.schedule_starts(text, timezone, start, end, offset_days, limit=OVERLAP_OCCURRENCES):
        yield local.timestamp()


def _find_first_overlaps(config: StackConfig, today: datetime, shared: set[str]) -> list[tuple[str, str, str, str]]:
    """Each patch group's first two windows open at once, in any region it is built in: each
    window's openings computed once, then, once per set of windows that patch groups share (in
    any region), merged in time order up to their first overlap: linear in the openings."""
    end = today + timedelta(weeks=OVERLAP_HORIZON_WEEKS)
    openings: dict[str, _Openings] = {}
    found: dict[tuple[str, ...], tuple[str, str, str] | None] = {}
    first: dict[str, tuple[str, str, str]] = {}
    for in_region in layout.regions(config):
        built = set(in_region.windows)
        for group, settings in config.patch_groups.items():
            keys = tuple(sorted({w for w in settings.maintenance_windows if w in built and w in shared}))
            if len(keys) < 2 or group in first:
                continue
            if keys not in found:
                for key in keys:
                    if key not in openings:
                        openings[key] = _Openings(config, key, today, end)
                found[keys] = _first_overlap([openings[k] for k in keys])
            overlap = found[keys]
            if overlap is not None:
                first[group] = overlap
    return [(group, *first[group]) for group in config.patch_groups if group in first]


def _first_overlap(windows: list[_Openings]) -> tuple[str, str, str] | None:
    """(window, window, first overlap) of the first opening of one of ``windows`` while another
    is open, or None."""
    active: list[tuple[float, str]] = []
    closed = float("-inf")  # when every opening so far has closed
    for opening, closing, key in sorted(itertools.chain.from_iterable(windows)):
        if opening >= closed:  # nothing open (the usual case): a fresh start
            active = [(closing, key)]
            closed = closing
            continue
        active = [(until, other) for until, other in active if until > opening]
        other = next((o for _, o in active if o != key), None)
        if other is not None:
            window = next(w for w in windows if w.window == key)
            return other, key, f"{window.local(opening):%a %Y-%m-%d %H:%M %Z}"
        active.append((closing, key))
        closed = max(closed, closing)
    return None


def ended_freeze_warnings(config: StackConfig, now: datetime | None = None) -> list[Issue]:
    """A change freeze that has ended freezes nothing: it only clutters the calendar."""
    now = now or datetime.now(UTC)
    return [
        Issue(
            ("changeFreezes", key, "end"), f"ended on {freeze.end} ({freeze.timezone}): it freezes nothing; remove it"
        )
        for key, freeze in config.change_freezes.items()
        if freeze.interval()[1] <= now
    ]


def freeze_edge_warnings(config: StackConfig, now: datetime | None = None) -> list[Issue]:
    """A window (or golden AMI rebuild) that opens less than FREEZE_GUARD_LAG_MINUTES after a change freeze
    starts or ends (calendar.freeze_risk): the freeze guard may not have switched it yet, so it may install
    during the freeze, or not run after it. Openings from now to the overlap check's horizon; not those of
    rate() schedules, which count from when the window was created (unknown offline)."""
    if not config.change_freezes or config.mode == "disabled":
        return []
    now = now or datetime.now(UTC)
    horizon = now.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(weeks=OVERLAP_HORIZON_WEEKS)
    lag = timedelta(minutes=FREEZE_GUARD_LAG_MINUTES)
    scheduled: dict[tuple[str, str], tuple[str, str, int, frozenset[date] | None]] = {}
    for in_region in layout.regions(config):
        for key in in_region.windows:
            window = config.maintenance_windows[key]
            approved = frozenset(window.approved_occurrences) if window.requires_approval else None
            scheduled[("window", key)] = (window.schedule, window.timezone, window.schedule_offset or 0, approved)
        for key in in_region.golden_amis:
            ami = config.golden_amis[key]
            if ami.schedule is not None:
                scheduled[("golden AMI rebuild", key)] = (ami.schedule, ami.timezone, 0, None)
    edges = calendar.freeze_edges(config.change_freezes)
    found: list[tuple[float, str, Issue]] = []  # in time order
    for stamp, _, _ in edges:
        edge = datetime.fromtimestamp(stamp, UTC)
        if edge + lag <= now or edge >= horizon:
            continue
        for (what, key), (schedule, timezone, offset, approved) in scheduled.items():
            if parse_schedule(schedule).kind == "rate":
                continue
            for opening in calendar.schedule_starts(
                schedule, timezone, max(edge, now), min(edge + lag, horizon), offset
            ):
                risk = calendar.freeze_risk(opening.timestamp(), edges)
                if risk is None or (approved is not None and opening.date() not in approved):
                    continue  # an opening not approved stays disabled by its approval calendar
                found.append((opening.timestamp(), key, _freeze_edge_issue(what, key, opening, risk)))
    return [issue for _, _, issue in sorted(found, key=lambda entry: entry[:2])]


def _freeze_edge_issue(what: str, key: str, opening: datetime, risk: calendar.FreezeRisk) -> Issue:
    lag = FREEZE_GUARD_LAG_MINUTES
    if risk.edge == "start":
        why = (
            "disables the windows when the Change Calendar turns CLOSED, up to "
            f"{lag} minutes later when that event is missed, and disabling stops no run it has started: "
            f"it may run during the freeze; start the freeze at least {lag} minutes before it opens"
        )
    else:
        why = (
            "enables the windows when the Change Calendar turns OPEN, up to "
            f"{lag} minutes later when that event is missed, and a window still disabled when it opens does "
            f"not run (AWS does not run a missed opening later); end the freeze at least {lag} minutes "
            "before it opens"
        )
    return Issue(
        ("changeFreezes", risk.freeze, risk.edge),
        f"{what} {key} opens {opening:%a %Y-%m-%d %H:%M %Z}, {risk.minutes} min after this freeze "
        f"{risk.edge}s: the freeze guard {why}",
    )


def rate_control_warnings(config: StackConfig) -> list[Issue]:
    """A window whose rate control cannot reach every target before its cutoff. With maxConcurrency N% the
    targets run in at least ceil(100 / N) waves of minutesPerNode each, whatever the group's size (counted
    as if AWS rounded N% of the targets up: the fewest waves). A count (maxConcurrency: 5) depends on how
    many nodes the groups have, which is unknown offline: docs/configuration.md gives the arithmetic."""
    issues = []
    for key in config.maintenance_windows:
        window = layout.window_as_built(config, key)
        if not window.max_concurrency.endswith("%"):
            continue
        waves = math.ceil(100 / int(window.max_concurrency[:-1]))
        needed = waves * window.node_minutes
        available = (window.duration_hours - window.cutoff_hours) * 60
        if needed > available:
            issues.append(
                Issue(
                    ("maintenanceWindows", key, "maxConcurrency"),
                    f"{window.max_concurrency} runs the targets in at least {waves} waves of {window.node_minutes}"
                    f" minutes (minutesPerNode) = {needed} minutes, but the cutoff comes {available} minutes after "
                    "the window opens: the last nodes are not patched (they time out waiting, or the cutoff cancels "
                    "them). Raise maxConcurrency, lengthen durationHours, or set minutesPerNode to what a node takes",
                )
            )
    return issues


def hook_permission_warnings(config: StackConfig) -> list[Issue]:
    """Hooks are Command documents run on the node under the instance role ("About the
    AWS-RunPatchBaselineWithHooks SSM document"); without patching:instanceRole that role has only
    AmazonSSMManagedInstanceCore and the output writes, so a hook that calls AWS (a drain from a
    load balancer) gets AccessDenied, fails, and the install does not run."""
    role = config.instance_role
    if role is not None and (role.managed_policy_arns or role.statements):
        return []
    return [
        Issue(
            ("maintenanceWindows", key, "hooks"),
            "hooks run on the nodes under the instance role, which may call no AWS API but Systems Manager's: "
            "if a hook calls one (e.g. elasticloadbalancing:DeregisterTargets to drain), it fails with "
            "AccessDenied and the install does not run; grant it in patching:instanceRole",
        )
        for key in config.maintenance_windows
        if layout.window_as_built(config, key).hooks is not None
    ]


def schedule_warnings(config: StackConfig, now: datetime | None = None) -> list[Issue]:
    """Schedules AWS takes that will not do what their writer meant: one that has passed (an at(),
    a cron with a year: a warning, so one expired window does not block every stack's CI), a
    numeric day of week (AWS counts 1-7 from Sunday), a zone without daylight saving."""
    issues: list[Issue] = []
    scheduled = [("maintenanceWindows", k, w.schedule, w.timezone) for k, w in config.maintenance_windows.items()]
    scheduled += [("goldenAmis", k, a.schedule, a.timezone) for k, a in config.golden_amis.items() if a.schedule]
    for section, key, text, timezone in scheduled:
        schedule = parse_schedule(text)
        why = never_opens(schedule, timezone, now)
        if why:
            issues.append(
                Issue(
                    (section, key, "schedule"),
                    f"never opens again: {why}; remove it or give a schedule that opens in the future",
                )
            )
        days = numeric_weekdays(schedule)
        if days is not None:
            day_of_week = schedule.expression.split()[4]
            named = schedule.expression.split()
            named[4] = days
            issues.append(
                Issue(
                    (section, key, "schedule"),
                    f"day of week {day_of_week!r}: AWS counts 1-7 from Sunday (7 is Saturday, not Sunday as in "
                    f"Unix cron), so this runs on {days}"
                    + ("" if "L" in days else f"; write the names: cron({' '.join(named)})"),
                )
            )
    zoned = [(("maintenanceWindows", k), w.timezone) for k, w in config.maintenance_windows.items()]
    zoned += [(("goldenAmis", k), a.timezone) for k, a in config.golden_amis.items()]
    zoned += [(("changeFreezes", k), f.timezone) for k, f in config.change_freezes.items()]
    for path, timezone in zoned:
        advice = timezone_warning(timezone)
        if advice:
            issues.append(Issue((*path, "timezone"), advice))
    return issues


def golden_ami_network_warnings(config: StackConfig) -> list[Issue]:
    """A pipeline with neither a subnet nor security groups builds in the default VPC's default
    security group, which accounts hardened per Security Hub EC2.2 close: the build instance never
    reaches Systems Manager and every build fails after waiting 30 minutes for it."""
    return [
        Issue(
            ("goldenAmis", key),
            "neither subnetId nor securityGroupIds: the build instance gets the default VPC's default "
            "security group, which accounts hardened per Security Hub EC2.2 close (no traffic), so it never "
            "reaches Systems Manager and every build fails; set securityGroupIds (outbound HTTPS to Systems "
            "Manager) and subnetId",
        )
        for key, pipeline in config.golden_amis.items()
        if not pipeline.subnet_id and not pipeline.security_group_ids
    ]


def warnings(config: StackConfig) -> list[Issue]:
    """What AWS accepts but would quietly not do the job (exit 0; see :mod:`standard`)."""
    return (
        overlap_warnings(config)
        + schedule_warnings(config)
        + ended_freeze_warnings(config)
        + freeze_edge_warnings(config)
        + rate_control_warnings(config)
        + hook_permission_warnings(config)
        + golden_ami_network_warnings(config)
        + approval_warnings(config)
        + (
            [
                Issue(("baselines", key, advice.field), advice.message)
                for key, baseline in config.baselines.items()
                for advice in baseline_advice_for(baseline)
            ]
            + [
                Issue(("maintenanceWindows", key, advice.field), advice.message)
                for key, window in config.maintenance_windows.items()
                for advice in standard.window_advice(window.cutoff_behavior)
            ]
            + [
                Issue((advice.field,), advice.message)
                for advice in standard.window_role_advice(list(config.patch_groups), config.patch_group_tag_key)
            ]
        )
    )


def copied_stack_warnings(config: StackConfig, path: str | Path) -> list[Issue]:
    """A stack copied from another customer's that kept its ``customer``: its resources would carry
    that customer's names and tags, and its windows target the same patch group tags. Warned when
    the customer is not the stack's name (``Pulumi.<customer>[-...].yaml``) and another stack file
    in the folder has the same customer and a patch group of the same name."""
    stack = _stack_of(Path(path))
    if stack is None or stack == config.customer or stack.startswith(f"{config.customer}-"):
        return []
    mine = set(config.patch_groups)
    others = []
    for other in sorted(Path(path).parent.glob("Pulumi.*.yaml")):
        if other.resolve() == Path(path).resolve():
            continue
        customer, groups = _customer_and_groups(str(other), other.stat().st_mtime_ns)
        shared = sorted(mine & groups)
        if customer == config.customer and shared:
            others.append(f"{other.name} ({', '.join(shared)})")
    if not others:
        return []
    more = f" and {len(others) - 3} more" if len(others) > 3 else ""
    return [
        Issue(
            ("customer",),
            f"{config.customer!r} is not this stack's name ({stack}) and is also the customer of "
            f"{'; '.join(others[:3])}{more}, with patch groups of the same names: a copied stack that kept another "
            f"customer's id names and tags its resources as that customer's; set this customer's id",
        )
    ]


def _stack_of(path: Path) -> str | None:
    name = path.name
    return name[len("Pulumi.") : -len(".yaml")] if name.startswith("Pulumi.") and name.endswith(".yaml") else None


@functools.lru_cache(maxsize=1024)
def _customer_and_groups(path: str, mtime: int) -> tuple[object, frozenset[str]]:
    """A stack file's ``patching:customer`` and patch group names, as written (unvalidated)."""
    try:
        document = read_stack_document(read_stack_file(path), path)
    except ConfigError:
        return None, frozenset()
    groups = document.config.get("patching:patchGroups")
    return document.config.get("patching:customer"), frozenset(groups) if isinstance(groups, Mapping) else frozenset()


@dataclass(frozen=True)
class CheckedStack:
    config: StackConfig
    warnings: list[Issue]
    """What AWS accepts but would quietly not do the job, with their stack-file lines."""
    settings: Mapping[str, Any]
    """The stack's whole config map as the CLI hands it over (``aws:region``, ``aws:profile`` ...)."""
    secret_keys: frozenset[str] = frozenset()
    """The settings the file holds as ``{secure: ...}`` (their value above is a stand-in, not the secret)."""
    esc_warnings: list[Issue] = dataclasses.field(default_factory=list)
    """The warning that the Pulumi ESC environments the file imports were not seen (also in ``warnings``)."""


def check_stack(path: str | Path, esc: EscConfig | None = None, *, find_warnings: bool = True) -> CheckedStack:
    """Read a stack file once; validate it, apply the patching standard, find its warnings.
    ConfigError lists every problem, each with its line. ``esc``: the values of the Pulumi ESC
    environments it imports (config.esc), beneath the file's own. ``find_warnings=False``: the same
    errors, and of the warnings only the ESC environments it cannot see (a calendar shows no others)."""
    document = read_stack_document(read_stack_file(path), str(path))
    try:
        checked = _check_document(esc_module.merged(document, esc), path, find_warnings)
    except ConfigError as exc:
        raise esc_module.explain(exc, document, esc) from None
    unseen = esc_module.environment_warnings(document, esc)
    region = missing_region_warnings(document, esc, checked) if find_warnings else []
    return dataclasses.replace(checked, warnings=unseen + region + checked.warnings, esc_warnings=unseen)


def _check_document(document: StackDocument, path: str | Path, find_warnings: bool) -> CheckedStack:
    source = str(path)
    config = document.validate()
    unbuildable = built_artifact_issues(config)
    if unbuildable:
        raise ConfigError(source, document.locate(unbuildable))
    # The standard on a secret's stand-in says nothing about its value: that check is skipped (noted).
    secrets = [note.path for note in document.offline.notes]
    issues = [i for i in build_issues(config) if not any(i.path[: len(path)] == path for path in secrets)]
    if issues:
        raise ConfigError(source, document.locate(issues))
    aws_region = document.config.get("aws:region")
    found = (
        document.offline.notes
        + warnings(config)
        + unlisted_warnings(config, aws_region, document.lines.get(("config", "aws:region")))
        + copied_stack_warnings(config, path)
        if find_warnings
        else []
    )
    settings, secret_keys = document.cli_config()
    return CheckedStack(config, document.locate(found), settings, frozenset(secret_keys))


def check_stack_file(path: str | Path) -> StackConfig:
    """What `patching validate` checks, for a stack file; ConfigError lists every problem."""
    return check_stack(path).config


def approval_calendar_issues(config: StackConfig) -> list[Issue]:
    """An approval gate's Change Calendar (one event per approved occurrence) over SSM's document size."""
    from .aws.change_calendar import approval_calendar_content
    from .config.approvals import approved_openings

    issues = []
    for key, window in config.maintenance_windows.items():
        if not window.requires_approval or len(window.approved_occurrences) < 50:
            continue  # an event is under 400 bytes: fewer than 50 are far below the limit
        text = approval_calendar_content(approved_openings(window), key, f"Approved occurrences of {key}")
        size = len(text.encode()) + 200  # the description names the customer and region
        if size > aws_limits.MAX_DOCUMENT_CONTENT_BYTES:
            issues.append(
                Issue(
                    ("maintenanceWindows", key, "approvedOccurrences"),
                    f"{len(window.approved_occurrences)} approvals make a Change Calendar of about {size:,} bytes; "
                    f"SSM takes a document of at most {aws_limits.MAX_DOCUMENT_CONTENT_BYTES:,} (CreateDocument): "
                    "remove the approvals that have passed (the stack file's history keeps them)",
                )
            )
    return issues


def approval_warnings(config: StackConfig, now: datetime | None = None) -> list[Issue]:
    """An approval-gated window with no approved occurrence ahead installs nothing: say so, so that a
    missing approval is noticed before patch night rather than after it."""
    from .config.approvals import approved_openings

    now = now or datetime.now(UTC)
    return [
        Issue(
            ("maintenanceWindows", key, "approvedOccurrences"),
            "no approved occurrence ahead: the window installs nothing until one is approved "
            f"(patching approve STACK --window {key} --date YYYY-MM-DD; `patching calendar` lists its dates)",
        )
        for key, window in config.maintenance_windows.items()
        if window.requires_approval and not any(end > now for _, end in approved_openings(window))
    ]


def missing_region_warnings(document: StackDocument, esc: EscConfig | None, checked: CheckedStack) -> list[Issue]:
    """A stack without ``aws:region`` (its own, or from ``--esc-config``) and no ESC environment left
    unseen that may set it: not an error (pulumi-aws also takes the region from AWS_REGION in the
    environment: "AWS: Installation & Configuration"), but ``patching plan`` refuses it and ``pulumi up``
    would build wherever the machine's AWS_REGION points. Its line is the one of ``config:``."""
    if checked.settings.get("aws:region") or esc_module.missing_key_hint(document, esc):
        return []
    region = (checked.config.regions or ["eu-west-1"])[0]
    return [
        Issue(
            (),
            "aws:region is not set: pulumi up would build the stack's IAM, log bucket and primary region "
            "wherever AWS_REGION points on the machine that runs it, and patching plan refuses the stack; "
            f"set it: pulumi config set aws:region {region} --stack {stack_name_of_path(document.source)}",
            document.lines.get(("config",)),
        )
    ]


def stack_name_of_path(path: str) -> str:
    """``stacks/Pulumi.acme.yaml`` -> ``acme``; another file's name without its suffix."""
    name = Path(path).name
    if name.startswith("Pulumi.") and name.endswith((".yaml", ".yml")):
        return name[len("Pulumi.") :].rsplit(".", 1)[0]
    return Path(path).stem
