"""``patching promote STACK_FILE --ring NAME [--force] [--dry-run]`` (AWS credentials): a later patch ring's
promotion now, in each region of the stack, with the deployed promotion runbook's own steps.

It reads the ring's promotion runbook from the account (``GetDocument``: its parameters' defaults are the ring's
settings as deployed: windows, groups, bucket, key, template) and runs the runbook's ``assess`` step, and, when
the promotion is due or ``--force`` accepts a refused one, its ``writeOverride`` step, here, with the operator's
credentials for the stack's account: the same code the window runs (the scripts of this package's
documents/ring-promotion.yaml, never code read from the account), the same override object.
``--force`` accepts the previous ring's latest soaked install for that install only (the object records the
execution; the next one is judged again).
``--dry-run`` judges and prints the cut-off in force and the one it would write, and writes nothing.

Exit codes: 0 promoted (or already promoted from that install), 4 refused (nothing written; ``--force`` to
accept), 1 the stack is invalid, 2 usage or AWS errors (one line).
"""

from __future__ import annotations

import argparse
import json
from types import SimpleNamespace
from typing import Any

from .common import EXIT_FROZEN, EXIT_OK, UsageError, add_esc_option, add_profile_option, aws_problem, aws_stack

EXIT_REFUSED = EXIT_FROZEN
"""A refusal, like patch-now's inside a freeze: nothing was done, on purpose."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("stack_file", metavar="STACK_FILE", help="the stack file (Pulumi.<stack>.yaml)")
    parser.add_argument("--ring", required=True, help="the ring to promote to (a later ring of patching:rings)")
    parser.add_argument("--region", help="only this one of the stack's regions")
    add_profile_option(parser)
    add_esc_option(parser)
    parser.add_argument(
        "--force",
        action="store_true",
        help="accept the previous ring's latest soaked install although it failed (for that install only)",
    )
    parser.add_argument("--dry-run", action="store_true", help="judge and print; write nothing")


def _shipped() -> dict[str, Any]:
    from ..aws.automation_doc import shipped_runbook

    return shipped_runbook("ring-promotion.yaml")


def _step(document: dict[str, Any], name: str) -> dict[str, Any]:
    (step,) = [s for s in document["mainSteps"] if s["name"] == name]
    return step


def run_script(step: dict[str, Any], payload: dict[str, Any], clients: Any) -> dict[str, Any]:
    """Run a runbook step's Python handler here: ``boto3.client(service)`` in it is ``clients(service)``."""
    namespace: dict[str, Any] = {"__name__": f"runbook_{step['name']}"}
    exec(compile(step["inputs"]["Script"], step["name"], "exec"), namespace)
    namespace["boto3"] = SimpleNamespace(client=lambda service, *_, **__: clients(service))
    result: dict[str, Any] = namespace[step["inputs"]["Handler"]](payload, None)
    return result


def _payload(step: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The step's InputPayload with ``{{ Parameter }}`` / ``{{ step.Output }}`` taken from ``values``."""
    payload = {}
    for key, reference in (step["inputs"].get("InputPayload") or {}).items():
        name = str(reference).strip("{} ")
        payload[key] = values[name]
    return payload


def run(args: argparse.Namespace) -> int:

    _, config, primary, regions, account = aws_stack(args)
    names = [r.name for r in config.rings]
    if args.ring not in names[1:]:
        later = ", ".join(names[1:]) or "none: the stack has no patching:rings"
        raise UsageError(f"--ring {args.ring}: a later ring of the stack is needed ({later})")
    import yaml
    from botocore.exceptions import BotoCoreError, ClientError

    from .. import layout

    print(f"# {config.customer}: {account.describe()}")
    refused = False
    for region in regions:
        named = None if region == primary else region
        name = layout.ring_promotion_document_name(config.customer, args.ring, named)
        try:
            content = account.clients("ssm", region).get_document(Name=name, DocumentFormat="YAML")["Content"]
        except (BotoCoreError, ClientError) as exc:
            raise UsageError(f"{region}: the promotion runbook {name}: {aws_problem(exc)}") from None
        deployed = yaml.safe_load(content)
        values = {k: spec.get("default") for k, spec in deployed["parameters"].items()}
        # A runbook deployed before it judged the tagged nodes has no tag key: the stack's, never none.
        values.setdefault("PatchGroupTagKey", config.patch_group_tag_key)
        document = _shipped()  # the steps: ours, not the account's (data only from there)
        values["Force"] = bool(args.force)
        values["automation:EXECUTION_ID"] = "patching-promote"

        def clients(service: str, region: str = region) -> Any:
            return account.clients(service, region)

        try:
            assess = run_script(_step(document, "assess"), _payload(_step(document, "assess"), values), clients)
        except (BotoCoreError, ClientError) as exc:
            raise UsageError(f"{region}: {aws_problem(exc)}") from None
        print(f"{region}: ring {args.ring} from ring {values['PreviousRing']}: cut-off in force: {assess['InForce']}")
        if assess["Execution"]:
            print(f"  ring {values['PreviousRing']}'s install: {assess['Execution']} on {assess['InstallDay']}")
        for reason in assess["Reasons"]:
            print(f"  {'accepted (--force)' if args.force else 'refused'}: {reason}")
        if assess["Decision"] == "REFUSE":
            refused = True
            hint = "" if args.force else f" (accept it: patching promote {args.stack_file} --ring {args.ring} --force)"
            print(f"  not promoted: ring {args.ring} installs nothing newer than its cut-off{hint}")
            continue
        if assess["Decision"] == "CURRENT":
            print(f"  already promoted from {assess['Execution']}: nothing to write")
            continue
        template = json.loads(values["OverrideTemplate"])
        if args.dry_run:
            print(f"  would write s3://{values['Bucket']}/{values['OverrideKey']} (--dry-run: nothing written)")
            _print_cutoffs(template, assess["InstallDay"])
            continue
        write = _step(document, "writeOverride")
        values.update({f"assess.{k}": v for k, v in assess.items()})
        try:
            written = run_script(write, _payload(write, values), clients)
        except (BotoCoreError, ClientError) as exc:
            raise UsageError(f"{region}: {aws_problem(exc)}") from None
        print(f"  promoted: s3://{values['Bucket']}/{values['OverrideKey']}: {written['Cutoffs']}")
    return EXIT_REFUSED if refused else EXIT_OK


def _print_cutoffs(template: list[dict[str, Any]], install_day: str) -> None:
    from datetime import date

    from ..rings import promoted

    for entry in promoted(template, date.fromisoformat(install_day)):
        for rule in entry["ApprovalRules"]["PatchRules"]:
            print(f"  {entry['OperatingSystem']}: released on or before {rule['ApproveUntilDate']}")
