"""The ``patching`` command: validate, plan, calendar and schema offline; report with AWS credentials.

Nothing but ``report`` and ``patch-now`` needs AWS credentials (they reach the stack's account
through aws_access.open_account), and nothing needs the Pulumi CLI. Exit codes:
0 success, 1 invalid stack config (or patch-now not confirmed), 2 usage error (bad arguments,
a file that is missing, not YAML or not a stack file; for ``report`` and ``patch-now``, an
account the stack does not allow and every AWS failure, on one line), 3 ``report`` found
something non-compliant or not covered, 4 ``patch-now`` refused inside a change freeze.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .. import __version__
from ..checks import CheckedStack, check_stack
from ..config import ConfigError, StackConfig, StackFileError
from ..errors import issue_lines
from .report import MAX_SCAN_AGE_DAYS
from .report_formats import FORMATS as REPORT_FORMATS

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_NOT_COMPLIANT, EXIT_FROZEN = 0, 1, 2, 3, 4
DEFAULT_STACK_GLOB = "stacks/Pulumi.*.yaml"


class UsageError(Exception):
    pass


def _yml_refusal(path: Path) -> str:
    """Why a ``*.yml`` stack file is refused: the Pulumi CLI reads ``Pulumi.<stack>.yaml`` only
    (Pulumi's "Stack settings file reference"), so ``pulumi up`` would run that stack without it."""
    return (
        f"{path}: the Pulumi CLI reads only Pulumi.<stack>.yaml stack files and would ignore this one; "
        f"rename it to {path.with_suffix('.yaml')}"
    )


def _stack_files(paths: Sequence[str]) -> list[Path]:
    if paths:
        files = [Path(p) for p in paths]
        stray = [f for f in files if f.suffix.lower() == ".yml"]
    else:
        files = sorted(Path().glob(DEFAULT_STACK_GLOB))
        # A stack file named *.yml is refused, never skipped: CI and `pulumi up` would both ignore it.
        stray = sorted(f for f in Path(DEFAULT_STACK_GLOB).parent.glob("*") if f.suffix.lower() == ".yml")
        if not files and not stray:
            raise UsageError(f"no stack files given and none match {DEFAULT_STACK_GLOB} in {Path.cwd()}")
    if stray:
        raise UsageError("\n  ".join(_yml_refusal(f) for f in stray))
    for f in files:
        if not f.is_file():
            raise UsageError(f"{f}: no such file")
    return files


def _summary(config: StackConfig) -> str:
    return (
        f"customer {config.customer}, mode {config.mode}, {len(config.baselines)} baseline(s), "
        f"{len(config.maintenance_windows)} window(s), {len(config.patch_groups)} patch group(s), "
        f"{len(config.golden_amis)} golden AMI pipeline(s)"
    )


def _load(path: Path) -> CheckedStack:
    """A stack file checked like `patching validate`, read once; unreadable files are usage errors."""
    try:
        return check_stack(path)
    except StackFileError as exc:
        raise UsageError(exc.lines()[0]) from None


def _issue_json(issue: Any) -> dict[str, Any]:
    return {"line": issue.line, "keyPath": issue.key_path() if issue.path else None, "message": issue.message}


def cmd_validate(args: argparse.Namespace) -> int:
    files = _stack_files(args.stack_files)
    results = []
    for path in files:
        result: dict[str, Any] = {"file": str(path), "valid": True, "readable": True, "errors": [], "warnings": []}
        try:
            checked = check_stack(path)
            result["summary"] = _summary(checked.config)
            result["warnings"] = [_issue_json(i) for i in checked.warnings]
            result["warning_lines"] = issue_lines(str(path), checked.warnings)
        except ConfigError as exc:
            result.update(valid=False, readable=not isinstance(exc, StackFileError))
            result["errors"] = [_issue_json(i) for i in exc.issues]
            result["lines"] = exc.lines()
        results.append(result)
    valid = sum(r["valid"] for r in results)
    if args.format == "json":
        report = {"files": [{k: v for k, v in r.items() if not k.endswith("lines")} for r in results]}
        print(json.dumps({**report, "valid": valid, "invalid": len(results) - valid}, indent=2))
    else:
        for r in results:
            if r["valid"]:
                print(f"ok   {r['file']}: {r['summary']}")
                for line in r["warning_lines"]:
                    print(f"  warning: {line}")
            else:
                print(f"FAIL {r['file']}: {len(r['errors'])} error(s)")
                for line in r["lines"]:
                    print(f"  {line}")
        print(f"{valid} valid, {len(results) - valid} invalid")
    if not all(r["readable"] for r in results):
        return EXIT_USAGE
    return EXIT_OK if valid == len(results) else EXIT_INVALID


def _masked(resource: Any) -> dict[str, Any]:
    """A resource's inputs as a reviewer may see them: secret ones masked."""
    return {k: "[secret]" if k in resource.secret_inputs else v for k, v in resource.inputs.items()}


def _input_line(indent: str, key: str, value: Any) -> str:
    """One input in full: JSON on one line, or a document or policy text as an indented block."""
    if isinstance(value, str) and value.startswith(("{", "[")):
        try:
            value = json.loads(value)  # a policy document: shown as the structure it is
        except ValueError:
            pass
    if isinstance(value, str) and "\n" in value:
        body = "\n".join(f"{indent}  {line}" for line in value.splitlines())
        return f"{indent}{key}: |\n{body}"
    if isinstance(value, (dict, list)):
        text = json.dumps(value, indent=2, sort_keys=True, default=str)
        return f"{indent}{key}: " + text.replace("\n", "\n" + indent)
    return f"{indent}{key}: {json.dumps(value, sort_keys=True, default=str)}"


def cmd_plan(args: argparse.Namespace) -> int:
    from .engine import MOCK_ACCOUNT_ID, ProgramError, run_stack_file

    path = _stack_files([args.stack_file])[0]
    try:
        checked = _load(path)  # the same rules as the program, with file lines in the messages
    except ConfigError as exc:
        print("\n".join(exc.lines()), file=sys.stderr)
        return EXIT_INVALID
    if not _aws_region(checked):
        # No silent default: the provider would build wherever the machine's AWS_REGION points.
        region = (checked.config.regions or ["eu-west-1"])[0]
        print(
            f"{path}: aws:region is not set: the stack's default provider builds in it (IAM, the log bucket, "
            f"the primary region); set it: pulumi config set aws:region {region} --stack {_stack_name(path)}",
            file=sys.stderr,
        )
        return EXIT_INVALID
    try:
        run = run_stack_file(path)
    except ProgramError as exc:
        print(f"patching: error: the program failed on {path}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except ValueError as exc:  # not named Pulumi.<stack>.yaml: no stack name to run it as
        raise UsageError(str(exc)) from None
    # Registration order follows the engine's scheduling, which varies from run to run:
    # sorted by URN (type and name), the plan is the same text every time.
    resources = sorted(run.resources, key=lambda r: r.urn)
    region_of = _regions_of(resources)
    if args.format == "json":
        print(
            json.dumps(
                [
                    {
                        "type": r.type,
                        "name": r.name,
                        "parent": r.parent,
                        "region": region_of[r.urn],
                        "inputs": _masked(r),
                    }
                    for r in resources
                ],
                indent=2,
                sort_keys=True,
                default=str,
            )
        )
        return EXIT_OK

    print(f"# Resources a first `pulumi up` of {path} would create ({len(resources)}),")
    print("# computed offline with Pulumi's mock engine: not a diff against live state;")
    print(f"# ids, ARNs and the account id ({MOCK_ACCOUNT_ID}) are placeholders.")
    children: dict[str | None, list] = {}
    for r in resources:
        children.setdefault(r.parent, []).append(r)
    regions = list(dict.fromkeys(region_of[r.urn] for r in resources if r.custom))

    def show(parent: str | None, depth: int, region: str) -> None:
        for r in children.get(parent, []):
            if region not in region_of[r.urn]:
                continue
            print(f"{'  ' * depth}{r.type} {r.name}")
            if r.custom:
                for key, value in sorted(_masked(r).items()):
                    print(_input_line("  " * (depth + 2), key, value))
            show(r.urn, depth + 1, region)

    primary = run.region
    if len(regions) <= 1:
        show(None, 0, "")
    else:
        # The primary region first (IAM, which is global, is built through its provider).
        for region in sorted(regions, key=lambda r: (r != primary, r)):
            print(f"## {region}" + (" (primary region; IAM is global)" if region == primary else ""))
            show(None, 0, region)
    for warning in run.warnings:
        print(f"warning: {warning}")
    if run.outputs:
        print("Outputs:")
        for key, value in run.outputs.items():
            shown = "[secret]" if key in run.secret_outputs else json.dumps(value, sort_keys=True, default=str)
            print(f"  {key}: {shown}")
    return EXIT_OK


def _regions_of(resources: list[Any]) -> dict[str, str]:
    """Each resource's region: a custom resource's is its provider's (an aws provider's, its
    own ``region``); a component's is the regions of what it contains, joined with ','."""
    region_of: dict[str, str] = {}
    below: dict[str, set[str]] = {}
    for r in resources:
        if r.custom:
            own = str(r.inputs.get("region") or r.region) if r.type == "pulumi:providers:aws" else r.region
            region_of[r.urn] = own
            parent = r.parent
            while parent is not None:
                below.setdefault(parent, set()).add(own)
                parent = next((p.parent for p in resources if p.urn == parent), None)
    for r in resources:
        if not r.custom:
            region_of[r.urn] = ",".join(sorted(below.get(r.urn, set())))
    return region_of


def _portable_patterns(node: Any) -> Any:
    """Drop patterns using Unicode classes (\\p{L}): editors' ECMA-262 engines
    reject them; `patching validate` still applies them."""
    if isinstance(node, list):
        return [_portable_patterns(v) for v in node]
    if not isinstance(node, dict):
        return node
    result = {}
    for key, value in node.items():
        if key == "pattern" and "\\p{" in str(value):
            continue
        if key == "patternProperties" and any("\\p{" in p for p in value):
            # A map keyed by patch group names: keep the value schema, not the key rule.
            (result["additionalProperties"],) = [_portable_patterns(v) for v in value.values()]
            continue
        result[key] = _portable_patterns(value)
    return result


def stack_file_schema() -> dict[str, Any]:
    """JSON Schema of a whole ``Pulumi.<stack>.yaml``, generated from the config model."""
    from ..config import NAMESPACE, TOP_LEVEL_KEYS, StackConfig
    from ..config.model import SecretsJsonSchema

    model = _portable_patterns(StackConfig.model_json_schema(by_alias=True, schema_generator=SecretsJsonSchema))
    defs = model.pop("$defs", {})
    required = set(model.get("required", []))
    properties = {f"{NAMESPACE}:{key}": schema for key, schema in model["properties"].items()}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "patching-components stack file (Pulumi.<stack>.yaml)",
        "type": "object",
        "required": ["config"],
        "properties": {
            "config": {
                "type": "object",
                "properties": properties,
                "required": [f"{NAMESPACE}:{key}" for key in sorted(required)],
                # Other namespaces (aws:region ...) are free; ours has exactly these keys.
                "propertyNames": {
                    "anyOf": [
                        {"not": {"pattern": f"^{NAMESPACE}:"}},
                        {"enum": [f"{NAMESPACE}:{key}" for key in TOP_LEVEL_KEYS]},
                    ]
                },
            },
        },
        "$defs": defs,
    }


def cmd_schema(args: argparse.Namespace) -> int:
    print(json.dumps(stack_file_schema(), indent=2, sort_keys=True))
    return EXIT_OK


def _weeks(text: str) -> int:
    weeks = int(text)
    if not 1 <= weeks <= 104:
        raise argparse.ArgumentTypeError("give 1-104 weeks")
    return weeks


def _stack_name(path: Path) -> str:
    """``Pulumi.<stack>.yaml`` -> ``<stack>``; another file's name without its suffix."""
    from .engine import stack_name_of

    try:
        return stack_name_of(path)
    except ValueError:
        return path.stem


def _aws_region(checked: CheckedStack) -> str | None:
    """A stack's aws:region (where its default provider builds), if it sets one."""
    region = checked.settings.get("aws:region")
    return str(region) if region else None


def _write(option: str, path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot write: {exc.strerror or exc}") from None


def _moment(moment: datetime) -> str:
    return f"{moment:%a %Y-%m-%d %H:%M %Z}"


def _until(start: datetime, end: datetime) -> str:
    """An end time next to its start: the day only when it changes, the zone only when DST did."""
    if (end.date() - start.date()).days > 1:  # a freeze: a date, not a weekday
        return f"{end:%Y-%m-%d %H:%M}" + (f" {end:%Z}" if end.utcoffset() != start.utcoffset() else "")
    text = f"{end:%a }" if end.date() != start.date() else ""
    return text + f"{end:%H:%M}" + (f" {end:%Z}" if end.utcoffset() != start.utcoffset() else "")


def cmd_calendar(args: argparse.Namespace) -> int:
    from .. import calendar

    files = _stack_files(args.stack_files)
    configs: list[tuple[Path, str, StackConfig]] = []
    regions: dict[Path, str | None] = {}
    failed = []
    for path in files:
        try:
            checked = _load(path)
        except ConfigError as exc:
            failed += exc.lines()
            continue
        configs.append((path, _stack_name(path), checked.config))
        regions[path] = _aws_region(checked)
    if failed:
        print("\n".join(failed), file=sys.stderr)
        return EXIT_INVALID
    try:
        start = calendar.parse_start(args.start)
    except ValueError:
        raise UsageError(f"--start {args.start!r}: give an ISO date or date-time, e.g. 2026-12-01") from None
    found = calendar.merge(
        calendar.occurrences(config, start, args.weeks, stack, region=regions[path]) for path, stack, config in configs
    )
    overlaps = calendar.overlaps(found)
    busy = None if args.max_concurrent is None else calendar.busy_periods(found, args.max_concurrent)
    customers = sorted({config.customer for _, _, config in configs})

    if args.ics:
        name = f"{customers[0]} patching" if len(customers) == 1 else f"patching: {len(customers)} customers"
        _write("--ics", Path(args.ics), calendar.to_ics(found, name))
    if args.ics_dir:
        directory = Path(args.ics_dir)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"--ics-dir {directory}: cannot create: {exc.strerror or exc}") from None
        mine: dict[str, list[calendar.Occurrence]] = {}  # one pass, not one per customer
        for occurrence in found:
            mine.setdefault(occurrence.customer, []).append(occurrence)
        for customer in customers:
            _write(
                "--ics-dir",
                directory / f"{customer}.ics",
                calendar.to_ics(mine.get(customer, []), f"{customer} patching"),
            )

    if args.format == "json":
        entries = [o.as_json() for o in found] + [o.as_json() for o in overlaps] + [b.as_json() for b in busy or []]
        entries.sort(key=lambda e: datetime.fromisoformat(str(e["start"])).astimezone(UTC))
        print(json.dumps(entries, indent=2))
        return EXIT_OK

    until = start + timedelta(weeks=args.weeks)
    span = f"{start.isoformat(timespec='minutes')} to {until.isoformat(timespec='minutes')}"
    if len(configs) == 1:
        print(f"# Windows of {configs[0][2].customer} ({configs[0][0]}), {span},")
    else:
        print(f"# Windows of {len(configs)} stacks ({len(customers)} customers), {span},")
    print("# each in its own time zone. rate() windows are counted from the start of this calendar.")

    for path, _, config in configs:
        if config.mode == "disabled":
            print(f"# {config.customer} ({path}): patching:mode is disabled: no window runs.")
    # Several regions: each line says which.
    region_width = max((len(str(o.region)) for o in found), default=0) if len({o.region for o in found}) > 1 else 0

    def label(occurrence: calendar.Occurrence) -> str:
        customer = occurrence.customer
        name = customer if occurrence.stack == customer else f"{customer} ({occurrence.stack})"
        return f"{occurrence.region!s:<{region_width}} {name}" if region_width else name

    width = max((len(label(o)) for o in found), default=0)
    # Several stacks mix time zones: a UTC column first shows the order.
    utc = (lambda moment: f"{moment.astimezone(UTC):%Y-%m-%d %H:%M}Z  ") if len(configs) > 1 else (lambda _: "")
    for o in found:
        what = ", ".join(o.patch_groups) + (f"  SKIPPED: change freeze {o.skipped_by}" if o.skipped_by else "")
        print(
            f"{utc(o.start)}{_moment(o.start):<25} - {_until(o.start, o.end):<13} {label(o):<{width}} "
            f"{o.operation:<7} {o.window:<20} {what}".rstrip()
        )
    if overlaps:
        print("# Windows of one patch group open at the same time (two AWS-RunPatchBaseline runs on its nodes):")
        for overlap in overlaps:
            first, second = overlap.first, overlap.second
            closing = min(first.end, second.end, key=lambda moment: moment.astimezone(UTC))
            print(
                f"{utc(second.start)}{_moment(second.start):<25} - {_until(second.start, closing):<13} "
                f"{label(second):<{width}} "
                f"{overlap.patch_group}: {first.window} and {second.window}"
            )
    if busy is not None:
        if not busy:
            print(f"# At no time do more than {args.max_concurrent} customers install at once.")
        else:
            noun = "customer" if args.max_concurrent == 1 else "customers"
            print(f"# More than {args.max_concurrent} {noun} installing at once (UTC):")
        for period in busy:
            print(
                f"{period.start:%a %Y-%m-%d %H:%M} - {_until(period.start, period.end):<13} "
                f"{len(period.customers)} customers: {', '.join(period.customers)}"
            )
    if args.ics:
        print(f"# wrote {len(found)} event(s) to {args.ics}")
    if args.ics_dir:
        print(f"# wrote {len(customers)} calendar(s) to {args.ics_dir}")
    return EXIT_OK


def _stack_profile(stack_settings: Mapping[str, Any]) -> str | None:
    """The stack's aws:profile unless the environment names credentials (see aws_access.stack_profile)."""
    from .aws_access import stack_profile

    return stack_profile(stack_settings)


def _aws_problem(exc: Exception) -> str:
    """One line about an AWS error: which call, where, what to do."""
    from .aws_access import problem

    return problem(exc)


def open_account(stack_settings: Mapping[str, Any], **kwargs: Any) -> Any:
    """aws_access.open_account (here so that tests can stand in for the account)."""
    from .aws_access import open_account as reach

    return reach(stack_settings, **kwargs)


def _aws_stack(args: argparse.Namespace) -> tuple[Path, StackConfig, str, list[str], Any]:
    """What report and patch-now start from: the stack, its primary region, the regions asked for
    and its account (aws_access.Account), reached as the stack's aws: settings say; UsageError
    (exit 2, one line) when it cannot be reached or is not an allowed account."""
    from .aws_access import AccessError

    path = _stack_files([args.stack_file])[0]
    checked = _load(path)
    config, stack_settings = checked.config, checked.settings
    primary = config.primary_region or str(stack_settings.get("aws:region") or "")
    regions = list(config.regions or ([primary] if primary else []))
    if not regions:
        raise UsageError(f"{path} sets no aws:region: which region?")
    if args.region:
        if args.region not in regions:
            raise UsageError(f"--region {args.region}: the stack's regions are {', '.join(regions)}")
        regions = [args.region]
    try:
        import boto3  # noqa: F401
    except ImportError:
        raise UsageError(f"patching {args.command} needs boto3: pip install 'patching-components[report]'") from None
    try:
        account = open_account(stack_settings, region=primary, profile=args.profile, secret_keys=checked.secret_keys)
    except AccessError as exc:
        raise UsageError(f"{path}: {exc}") from None
    return path, config, primary, regions, account


def cmd_patch_now(args: argparse.Namespace) -> int:
    try:
        _, config, primary, regions, account = _aws_stack(args)
    except ConfigError as exc:
        print("\n".join(exc.lines()), file=sys.stderr)
        return EXIT_INVALID
    from botocore.exceptions import BotoCoreError, ClientError

    from .patch_now import FrozenError, PatchNowError, plan, send

    print(f"# {config.customer}: {account.describe()}")
    groups = [g.strip() for g in args.groups.split(",") if g.strip()] if args.groups else None
    try:
        planned = plan(
            config,
            regions,
            account.clients,
            primary_region=primary,
            groups=groups,
            operation=args.operation,
            reboot=args.reboot,
            install_override_list=args.install_override_list,
            ignore_freeze=args.ignore_freeze,
            install_scan_only=args.install_scan_only,
        )
    except FrozenError as exc:
        print(f"patching: refused: {exc}", file=sys.stderr)
        return EXIT_FROZEN
    except PatchNowError as exc:
        raise UsageError(str(exc)) from None
    except (BotoCoreError, ClientError) as exc:
        raise UsageError(_aws_problem(exc)) from None
    for command in planned:
        print(
            f"# {command.region}: {command.request['DocumentName']} {args.operation} on "
            f"{', '.join(command.groups)} with the settings of window {command.window}; reboot: {command.reboot}"
        )
    if args.dry_run:
        print(json.dumps([{"region": c.region, "SendCommand": c.request} for c in planned], indent=2))
        return EXIT_OK
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("not a terminal: pass --yes to send without a prompt (or --dry-run to see the requests)")
        answer = input(f"Send {len(planned)} command(s) to {config.customer}'s instances now? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing sent")
            return EXIT_INVALID
    try:
        # Each command id as soon as it is sent: if a later one fails, the earlier ones are known.
        for command, command_id in send(planned, account.clients):
            print(f"{command.region}: command {command_id} ({', '.join(command.groups)})")
            print(f"  follow it: aws ssm list-commands --command-id {command_id} --region {command.region}")
            print(
                f"  per instance: aws ssm list-command-invocations --command-id {command_id} --region {command.region}"
            )
    except (BotoCoreError, ClientError) as exc:
        raise UsageError(_aws_problem(exc)) from None
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    try:
        path, config, primary, regions, account = _aws_stack(args)
    except ConfigError as exc:
        print("\n".join(exc.lines()), file=sys.stderr)
        return EXIT_INVALID
    try:
        from botocore.exceptions import BotoCoreError, ClientError

        from .report import collect
        from .report_formats import render
    except ImportError:
        raise UsageError("patching report needs boto3 and jinja2: pip install 'patching-components[report]'") from None
    progress = _progress() if sys.stderr.isatty() else (lambda _: None)
    try:
        report = collect(
            config,
            _stack_name(path),
            regions,
            account.clients,
            primary_region=primary,
            account_id=account.account_id,
            principal_arn=account.principal_arn,
            days=args.days,
            max_scan_age_days=args.max_scan_age,
            progress=progress,
        )
    except (BotoCoreError, ClientError) as exc:
        raise UsageError(_aws_problem(exc)) from None
    finally:
        progress("")
    for out in args.out or [None]:
        # One read of AWS, any number of files: each in the format its extension names.
        suffix = Path(out).suffix.lstrip(".") if out else ""
        text = render(report, suffix if suffix in REPORT_FORMATS else args.format)
        if out:
            _write("--out", Path(out), text.encode())
        else:
            sys.stdout.write(text)
    return EXIT_OK if report.ok else EXIT_NOT_COMPLIANT


def _progress() -> Any:
    """A one-line progress indicator on the terminal (stderr); an empty message clears it."""

    def show(message: str) -> None:
        sys.stderr.write("\r\033[K" + (f"reading {message} ..." if message else ""))
        sys.stderr.flush()

    return show


def _override_list(text: str) -> str:
    if not text.startswith(("https://", "s3://")):
        raise argparse.ArgumentTypeError("AWS-RunPatchBaseline takes an https:// or s3:// URL")
    return text


def _scan_age(text: str) -> int:
    days = int(text)
    if not 1 <= days <= 400:
        raise argparse.ArgumentTypeError("give 1-400 days")
    return days


def _days(text: str) -> int:
    days = int(text)
    if not 1 <= days <= 90:
        raise argparse.ArgumentTypeError("give 1-90 days")
    return days


def _limit(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("give a number of customers, 0 or more")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="patching",
        description="Offline tools for patching-components stack files (no AWS credentials, no Pulumi CLI).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("validate", help="check stack files (default: stacks/Pulumi.*.yaml)")
    p.add_argument("stack_files", nargs="*", metavar="STACK_FILE")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("plan", help="show the resources a first `pulumi up` would create")
    p.add_argument("stack_file", metavar="STACK_FILE")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("calendar", help="list the next windows of stack files (default: stacks/Pulumi.*.yaml), merged")
    p.add_argument("stack_files", nargs="*", metavar="STACK_FILE")
    p.add_argument("--weeks", type=_weeks, default=4, help="how many weeks ahead (1-104, default 4)")
    p.add_argument("--start", help="ISO date or date-time to start from (default: now; UTC without an offset)")
    p.add_argument("--ics", metavar="PATH", help="also write one iCalendar file of every stack given")
    p.add_argument("--ics-dir", metavar="DIR", help="also write one iCalendar file per customer, DIR/<customer>.ics")
    p.add_argument(
        "--max-concurrent",
        type=_limit,
        metavar="N",
        help="list the periods in which more than N customers have an install window open",
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_calendar)

    p = sub.add_parser("report", help="patch compliance and coverage from live AWS state (AWS credentials)")
    p.add_argument("stack_file", metavar="STACK_FILE")
    p.add_argument("--format", choices=REPORT_FORMATS, default="md")
    p.add_argument(
        "--out",
        metavar="PATH",
        action="append",
        help="write the report here (default: standard output); repeat it for several files, each "
        "in the format of its extension (.md, .html, .csv, .json; others: --format)",
    )
    p.add_argument("--region", help="only this one of the stack's regions")
    p.add_argument("--profile", help="AWS profile (default: the stack's aws:profile, else the standard chain)")
    p.add_argument("--days", type=_days, default=31, help="window runs of the last N days (1-90, default 31)")
    p.add_argument(
        "--max-scan-age",
        metavar="DAYS",
        type=_scan_age,
        default=MAX_SCAN_AGE_DAYS,
        help="a node's last scan is stale past this many days when its windows open less than twice in 13 weeks "
        f"(1-400, default {MAX_SCAN_AGE_DAYS})",
    )
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("patch-now", help="emergency patching of patch groups now (AWS credentials)")
    p.add_argument("stack_file", metavar="STACK_FILE")
    p.add_argument("--groups", help="comma-separated patch groups (default: every group of the stack)")
    p.add_argument("--operation", choices=("Scan", "Install"), default="Install")
    p.add_argument("--install-override-list", metavar="URL", type=_override_list, help="https:// or s3:// YAML list")
    p.add_argument(
        "--reboot",
        choices=("RebootIfNeeded", "NoReboot"),
        help="default: the install window's own (a group with only a scan window: its install window's "
        "elsewhere, else RebootIfNeeded)",
    )
    p.add_argument("--region", help="only this one of the stack's regions")
    p.add_argument("--profile", help="AWS profile (default: the stack's aws:profile, else the standard chain)")
    p.add_argument("--ignore-freeze", action="store_true", help="patch even inside a change freeze")
    p.add_argument(
        "--install-scan-only",
        action="store_true",
        help="install even though the customer is mode: scan-only (refused without it)",
    )
    p.add_argument("--yes", action="store_true", help="send without asking")
    p.add_argument("--dry-run", action="store_true", help="print the exact requests and send nothing")
    p.set_defaults(func=cmd_patch_now)

    p = sub.add_parser("schema", help="print the JSON Schema of a stack file")
    p.set_defaults(func=cmd_schema)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except UsageError as exc:
        print(f"patching: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as exc:
        # An AWS failure a command did not expect (botocore's errors): one line and exit 2, never a traceback.
        if not type(exc).__module__.startswith("botocore"):
            raise
        print(f"patching: error: {_aws_problem(exc)}", file=sys.stderr)
        return EXIT_USAGE


def main_exit() -> None:
    """Console-script entry point."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:  # `patching plan ... | head`: the reader left, which is fine
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_OK
    sys.exit(code)


if __name__ == "__main__":
    main_exit()
