"""Offline checks for SSM Automation documents (schemaVersion 0.3).

AWS accepts a document whose references dangle or whose failure path leaks an
instance; the mistake shows only when the runbook runs. :func:`document_issues`
catches that beforehand, on any document:

- schema version, step names, known actions;
- every ``{{ Param }}`` is a declared parameter, every ``{{ step.Output }}``
  names an earlier step and an output that step has;
- every ``nextStep``, ``onFailure: step:X``, ``onCancel: step:X`` and branch
  target exists, and no path loops forever;
- after a launch (``aws:runInstances``, or ``ec2:RunInstances`` through
  ``aws:executeAwsApi`` or an ``aws:executeScript``, which must carry a ClientToken
  with the execution id), no path (success, failure or cancellation) ends without
  a step that terminates that instance, and the launch step is never retried
  (``maxAttempts``);
- an image is created with its snapshots tagged with the execution id, and
  every failure before it is published deregisters it and deletes its snapshots
  (by id: ``DeregisterImage``'s ``DeleteAssociatedSnapshots`` needs a botocore the
  executeScript runtime is not documented to have).

A clean-up step may be an ``aws:executeScript`` that acts on what carries the
execution-id tag of the creating step (its payload passes the execution id and
its script filters on ``tag:<key>``); tests run those scripts against botocore's
Stubber.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

ACTIONS = frozenset(
    {
        "aws:approve", "aws:assertAwsResourceProperty", "aws:branch", "aws:changeInstanceState",
        "aws:copyImage", "aws:createImage", "aws:createStack", "aws:createTags", "aws:deleteImage",
        "aws:deleteStack", "aws:executeAutomation", "aws:executeAwsApi", "aws:executeScript",
        "aws:executeStateMachine", "aws:invokeLambdaFunction", "aws:invokeWebhook", "aws:loop",
        "aws:pause", "aws:runCommand", "aws:runInstances", "aws:sleep", "aws:updateVariable",
        "aws:waitForAwsResourceProperty",
    }
)  # fmt: skip
# Outputs an action has without declaring them.
BUILT_IN_OUTPUTS: Mapping[str, frozenset[str]] = {
    "aws:runInstances": frozenset({"InstanceIds"}),
    "aws:createImage": frozenset({"ImageId", "ImageState"}),
    "aws:copyImage": frozenset({"ImageId", "ImageState"}),
    "aws:runCommand": frozenset({"CommandId", "Status", "ResponseCode", "Output"}),
    "aws:executeScript": frozenset({"OutputPayload"}),
    "aws:executeAutomation": frozenset({"ExecutionId", "Status", "Output"}),
    "aws:invokeLambdaFunction": frozenset({"StatusCode", "FunctionError", "LogResult", "Payload"}),
    "aws:approve": frozenset({"ApprovalStatus", "ApproverDecisions", "Approver"}),
}
PARAMETER_TYPES = frozenset({"String", "StringList", "Integer", "Boolean", "MapList", "StringMap"})
SYSTEM_VARIABLES = frozenset(
    {
        "global:ACCOUNT_ID", "global:DATE", "global:DATE_TIME", "global:REGION", "global:AWS_PARTITION",
        "automation:EXECUTION_ID", "automation:AUTOMATION_EXECUTION_ID",
    }
)  # fmt: skip
STEP_NAME = re.compile(r"^[a-zA-Z0-9_]{1,128}$")
REFERENCE = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")
END = "(end)"


@dataclass(frozen=True)
class DocumentIssue:
    step: str | None
    """The step the problem is in (None for document-level problems)."""
    message: str

    def __str__(self) -> str:
        return f"step {self.step!r}: {self.message}" if self.step else self.message


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _declared_outputs(step: Mapping[str, Any]) -> set[str]:
    declared = {str(o.get("Name")) for o in step.get("outputs") or [] if isinstance(o, Mapping)}
    return declared | BUILT_IN_OUTPUTS.get(str(step.get("action")), frozenset())


def _target(value: Any) -> str | None:
    """'step:X' -> 'X'; Abort/Continue -> None."""
    return value[len("step:") :] if isinstance(value, str) and value.startswith("step:") else None


def document_issues(document: Mapping[str, Any]) -> list[DocumentIssue]:
    """Everything wrong with an Automation document, each naming its step."""
    issues: list[DocumentIssue] = []
    if str(document.get("schemaVersion")) != "0.3":
        issues.append(
            DocumentIssue(None, f"schemaVersion must be '0.3' for Automation, got {document.get('schemaVersion')!r}")
        )
    parameters = document.get("parameters") or {}
    for name, spec in parameters.items():
        kind = spec.get("type") if isinstance(spec, Mapping) else None
        if kind not in PARAMETER_TYPES:
            issues.append(
                DocumentIssue(
                    None, f"parameter {name!r}: type {kind!r} is not one of {', '.join(sorted(PARAMETER_TYPES))}"
                )
            )
    steps = document.get("mainSteps")
    if not isinstance(steps, list) or not steps:
        return [*issues, DocumentIssue(None, "mainSteps must be a non-empty list")]

    names = [step.get("name") for step in steps]
    by_name: dict[str, Mapping[str, Any]] = {}
    for step in steps:
        name = step.get("name")
        if not isinstance(name, str) or not STEP_NAME.match(name):
            issues.append(DocumentIssue(None, f"step name {name!r} must match {STEP_NAME.pattern}"))
        elif name in by_name:
            issues.append(DocumentIssue(name, "the name is used by two steps"))
        else:
            by_name[name] = step
        if step.get("action") not in ACTIONS:
            issues.append(DocumentIssue(name, f"unknown action {step.get('action')!r}"))
        if "DeleteAssociatedSnapshots" in _script(step):
            issues.append(
                DocumentIssue(
                    name,
                    "DeregisterImage's DeleteAssociatedSnapshots needs a botocore from mid-2025, which the "
                    "aws:executeScript runtime is not documented to have; read the image's snapshots, "
                    "deregister it, then delete them by id",
                )
            )

    issues += _reference_issues(document, steps, parameters)
    edges, edge_issues = _edges(steps, names, by_name)
    issues += edge_issues
    if not edge_issues:
        issues += _loop_issues(names[0], edges)
        issues += _leak_issues(by_name, edges)
    return issues


def _reference_issues(document: Mapping[str, Any], steps: list, parameters: Mapping[str, Any]) -> list[DocumentIssue]:
    issues = []

    def check(text: str, where: str | None, earlier: Mapping[str, Mapping[str, Any]]) -> None:
        for ref in REFERENCE.findall(text):
            if ":" in ref:
                if ref not in SYSTEM_VARIABLES and not ref.startswith("ssm:"):
                    issues.append(DocumentIssue(where, f"unknown system variable {{{{ {ref} }}}}"))
            elif "." in ref:
                step_name, output = ref.split(".", 1)
                if step_name not in earlier:
                    issues.append(
                        DocumentIssue(where, f"{{{{ {ref} }}}} names {step_name!r}, which is not an earlier step")
                    )
                elif output not in _declared_outputs(earlier[step_name]):
                    issues.append(DocumentIssue(where, f"{{{{ {ref} }}}}: step {step_name!r} has no output {output!r}"))
            elif ref not in parameters:
                issues.append(DocumentIssue(where, f"{{{{ {ref} }}}} is not a declared parameter"))

    for text in _strings(document.get("assumeRole")):
        check(text, None, {})
    earlier: dict[str, Mapping[str, Any]] = {}
    for step in steps:
        for text in _strings(step.get("inputs")):
            check(text, step.get("name"), earlier)
        if isinstance(step.get("name"), str):
            earlier[step["name"]] = step
    for output in document.get("outputs") or []:
        step_name, _, name = str(output).partition(".")
        if step_name not in earlier or name not in _declared_outputs(earlier[step_name]):
            issues.append(DocumentIssue(None, f"document output {output!r} is not an output of a step"))
    return issues


def _edges(steps: list, names: list, by_name: Mapping[str, Mapping[str, Any]]):
    """Successors of each step, as (kind, target) with target a step name or END."""
    edges: dict[str, list[tuple[str, str]]] = {}
    issues = []
    for index, step in enumerate(steps):
        name = step.get("name")
        following = names[index + 1] if index + 1 < len(steps) else END
        if step.get("isEnd"):
            success = [END]
        elif step.get("nextStep"):
            success = [step["nextStep"]]
        elif step.get("action") == "aws:branch":
            inputs = step.get("inputs") or {}
            success = [c.get("NextStep") for c in inputs.get("Choices") or []]
            success.append(inputs.get("Default", END))
        else:
            success = [following]
        on_failure = step.get("onFailure", "Abort")
        failure = success if on_failure == "Continue" else [_target(on_failure) or END]
        cancel = [_target(step.get("onCancel", "Abort")) or END]
        edges[name] = (
            [("success", t) for t in success] + [("failure", t) for t in failure] + [("cancel", t) for t in cancel]
        )
        for kind, value in (("onFailure", on_failure), ("onCancel", step.get("onCancel", "Abort"))):
            if value not in ("Abort", "Continue") and _target(value) is None:
                issues.append(DocumentIssue(name, f"{kind} must be Abort, Continue or step:<name>, got {value!r}"))
        for _, target in edges[name]:
            if target != END and target not in by_name:
                issues.append(DocumentIssue(name, f"goes to {target!r}, which is not a step"))
    return edges, issues


def _loop_issues(first: str, edges: Mapping[str, list[tuple[str, str]]]) -> list[DocumentIssue]:
    issues, state = [], {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = "open"
        for _, target in edges[name]:
            if target == END:
                continue
            if state.get(target) == "open":
                loop = [*path[path.index(target) :], target]
                issues.append(DocumentIssue(name, f"steps loop without end: {' -> '.join(loop)}"))
            elif target not in state:
                visit(target, [*path, target])
        state[name] = "done"

    visit(first, [first])
    return issues


EXECUTION_ID = re.compile(r"\{\{\s*automation:EXECUTION_ID\s*\}\}")


def _api(step: Mapping[str, Any]) -> tuple[str, str] | None:
    """(service, API) of an aws:executeAwsApi step."""
    if step.get("action") != "aws:executeAwsApi":
        return None
    inputs = step.get("inputs") or {}
    return str(inputs.get("Service", "")).lower(), str(inputs.get("Api", ""))


def _script(step: Mapping[str, Any]) -> str:
    """The script of an aws:executeScript step ('' for other actions)."""
    if step.get("action") != "aws:executeScript":
        return ""
    return str((step.get("inputs") or {}).get("Script", ""))


def _payload(step: Mapping[str, Any]) -> Mapping[str, Any]:
    payload = (step.get("inputs") or {}).get("InputPayload") if step.get("action") == "aws:executeScript" else None
    return payload if isinstance(payload, Mapping) else {}


def _launches(step: Mapping[str, Any]) -> bool:
    return (
        step.get("action") == "aws:runInstances"
        or _api(step) == ("ec2", "RunInstances")
        or ".run_instances(" in _script(step)
    )


def _client_token(step: Mapping[str, Any]) -> bool:
    """A RunInstances that a repeated request cannot turn into a second instance."""
    if _api(step):
        return bool((step.get("inputs") or {}).get("ClientToken"))
    if _script(step):
        token = " ".join(_strings(_payload(step).get("ClientToken")))
        return EXECUTION_ID.search(token) is not None and "ClientToken=" in _script(step)
    return True  # aws:runInstances: never retried (maxAttempts), checked apart


def _creates_image(step: Mapping[str, Any]) -> bool:
    return step.get("action") in ("aws:createImage", "aws:copyImage") or _api(step) in (
        ("ec2", "CreateImage"),
        ("ec2", "CopyImage"),
    )


def _execution_tag(step: Mapping[str, Any], resource_type: str) -> str | None:
    """The key of the tag a creating step gives its ``resource_type`` with this execution's id as value."""
    inputs = step.get("inputs") or {}
    for spec in inputs.get("TagSpecifications") or _payload(step).get("TagSpecifications") or []:
        if isinstance(spec, Mapping) and spec.get("ResourceType") == resource_type:
            for tag in spec.get("Tags") or []:
                if isinstance(tag, Mapping) and EXECUTION_ID.fullmatch(str(tag.get("Value", ""))):
                    return str(tag.get("Key"))
    return None


def _cleans_by_tag(step: Mapping[str, Any], tag: str | None, call: str) -> bool:
    """An aws:executeScript step that makes ``call`` on what carries this execution's ``tag``."""
    if tag is None or step.get("action") != "aws:executeScript":
        return False
    inputs = step.get("inputs") or {}
    payload = " ".join(_strings(inputs.get("InputPayload")))
    script = str(inputs.get("Script", ""))
    return EXECUTION_ID.search(payload) is not None and f"tag:{tag}" in script and call in script


def _terminates(step: Mapping[str, Any], launch: str, launch_step: Mapping[str, Any]) -> bool:
    inputs = step.get("inputs") or {}
    ids = " ".join(_strings(inputs.get("InstanceIds")))
    names_launch = re.search(r"\{\{\s*" + re.escape(launch) + r"\.Instance(Ids|Id)\s*\}\}", ids) is not None
    if step.get("action") == "aws:changeInstanceState":
        return names_launch and inputs.get("DesiredState") == "terminated"
    if _api(step) == ("ec2", "TerminateInstances"):
        return names_launch
    return _cleans_by_tag(step, _execution_tag(launch_step, "instance"), "terminate_instances")


def _deregisters(step: Mapping[str, Any], creator: Mapping[str, Any]) -> bool:
    return _cleans_by_tag(step, _execution_tag(creator, "image"), "deregister_image") and (
        ".delete_snapshot(" in _script(step)
    )


def _publishes(step: Mapping[str, Any], creator: str) -> bool:
    """The step that hands the image out (writes its id to a parameter)."""
    value = " ".join(_strings((step.get("inputs") or {}).get("Value")))
    return _api(step) == ("ssm", "PutParameter") and f"{creator}.ImageId" in value.replace(" ", "")


def _unguarded(
    start: str, kinds: set[str], edges, guards: set[str], stop: frozenset[str] | set[str] = frozenset()
) -> list[tuple[str, str]]:
    """(step, kind) of each edge of one of ``kinds`` that ends the execution before a ``guards``
    step, on any path from ``start``. Paths follow those kinds and success edges, but not the
    success edges of a ``stop`` step."""
    found, seen, todo = [], set(), [start]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        for kind, target in edges[current]:
            follows = kind in kinds or (kind == "success" and current not in stop)
            if not follows or target in guards:
                continue
            if target != END:
                todo.append(target)
            elif kind in kinds:
                found.append((current, kind))
    return found


def _leak_issues(by_name: Mapping[str, Mapping[str, Any]], edges) -> list[DocumentIssue]:
    issues = []
    for launch, step in by_name.items():
        if not _launches(step):
            continue
        if int(step.get("maxAttempts", 1)) > 1:
            issues.append(
                DocumentIssue(
                    launch, "maxAttempts > 1 on a launch can leave the first attempt's instance running; remove it"
                )
            )
        if not _client_token(step):
            issues.append(
                DocumentIssue(
                    launch, "RunInstances without a ClientToken of the execution id can launch twice; set one"
                )
            )
        terminators = {name for name, s in by_name.items() if _terminates(s, launch, step)}
        if not terminators:
            issues.append(DocumentIssue(launch, "no step terminates the instance this step launches"))
            continue
        for where, kind in _unguarded(launch, {"success", "failure", "cancel"}, edges, terminators):
            issues.append(
                DocumentIssue(
                    where,
                    f"its {kind} path ends the execution without terminating the instance "
                    f"launched by {launch!r}; send it to a step that terminates it",
                )
            )
    for creator, step in by_name.items():
        if not _creates_image(step):
            continue
        if _execution_tag(step, "image") is None or _execution_tag(step, "snapshot") is None:
            issues.append(
                DocumentIssue(
                    creator,
                    "the image and its snapshots must be tagged with the execution id as they are created "
                    "(ec2:CreateImage through aws:executeAwsApi with TagSpecifications): a failure after an "
                    "untagged image leaves it where no clean-up finds it",
                )
            )
            continue
        cleaners = {name for name, s in by_name.items() if _deregisters(s, step)}
        publishers = {name for name, s in by_name.items() if _publishes(s, creator)}
        if not publishers:
            issues.append(DocumentIssue(creator, "no step publishes the image this step creates"))
        # Until the image is handed out, every failure must deregister it (with its snapshots).
        for where, kind in _unguarded(creator, {"failure", "cancel"}, edges, cleaners, stop=publishers):
            issues.append(
                DocumentIssue(
                    where,
                    f"its {kind} path ends the execution before the image of {creator!r} is published, "
                    "without deregistering it and its snapshots",
                )
            )
    order = list(by_name)
    return sorted(set(issues), key=lambda i: (order.index(i.step) if i.step in order else -1, i.message))


try:
    from yaml import CSafeDumper as _BaseDumper
except ImportError:  # PyYAML built without libyaml
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]


class _LiteralDumper(_BaseDumper):
    """Multi-line strings (the scripts) as literal blocks, so the document stays readable.

    libyaml's emitter when PyYAML has it: the same text as the pure-Python one,
    ten times faster (rendering was a tenth of a whole program run)."""


# A template may share lists between steps (YAML anchors); the document gets them written out.
_LiteralDumper.ignore_aliases = lambda self, data: True  # type: ignore[method-assign]
_LiteralDumper.add_representer(
    str,
    lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None),
)
# Text subclasses of str (config.secrets.SecretText, the text of a secret) as plain text (libyaml takes no other).
_LiteralDumper.add_multi_representer(str, lambda dumper, value: dumper.represent_data(str(value)))


def dump_document(document: Mapping[str, Any]) -> str:
    """An Automation document as YAML text, emitted canonically: the same document always gives
    the same text (no diff on re-run), scripts as literal blocks."""
    import yaml

    return yaml.dump(document, Dumper=_LiteralDumper, sort_keys=False, width=1000, allow_unicode=True)


@functools.cache
def _shipped(file: str) -> dict[str, Any]:
    from importlib import resources

    import yaml

    text = resources.files("patching_components").joinpath(f"documents/{file}").read_text()
    # libyaml's safe loader when PyYAML has it: yaml.safe_load's pure-Python one takes ten times as long
    # (5-20 ms a runbook, on every `patching` run that checks one); the same document either way.
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def shipped_runbook(file: str, defaults: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A fresh copy of one of our runbooks (``patching_components/documents/<file>``), its parameters
    defaulting to ``defaults`` (so that it runs by hand with no arguments)."""
    document = copy.deepcopy(_shipped(file))
    for name, value in (defaults or {}).items():
        document["parameters"][name]["default"] = value
    return document
