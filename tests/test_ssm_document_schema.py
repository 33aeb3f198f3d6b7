"""The rendered Automation documents against AWS's own JSON Schema for them, the one
the AWS Systems Manager Document Language Service (npm: aws-ssm-document-language-service)
validates documents with. `.ci/run` installs it; set SSM_DOCUMENT_SCHEMA to use another copy.

Two of its rules are older than the Automation service we target, and are ignored:
- `onCancel` on a step: documented by Automation ("onCancel: Abort | step:<name>"),
  and what keeps a cancelled build from leaking its instance; the schema predates it.
- `Runtime` of aws:executeScript: the schema lists only python3.6/python3.7, which AWS
  has deprecated; the runbooks use python3.11.
Everything else must pass.
"""

import json
import os
from pathlib import Path

import jsonschema
import pytest
import yaml

from conftest import EXAMPLE_STACKS, ROOT

DEFAULT = ROOT / ".ci" / "node_modules" / "aws-ssm-document-language-service" / "dist" / "schema.json"
SCHEMA = Path(os.environ.get("SSM_DOCUMENT_SCHEMA", DEFAULT))


def stale_rule(error: jsonschema.ValidationError) -> bool:
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and "'onCancel' was unexpected" in error.message:
        return "(" not in error.message.replace("('onCancel' was unexpected)", "")  # only onCancel is unexpected
    return path[-1:] == ["Runtime"] and error.instance == "python3.11"


@pytest.fixture(scope="module")
def validator():
    if not SCHEMA.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{SCHEMA} is missing: .ci/run installs aws-ssm-document-language-service from npm")
        pytest.skip(f"no {SCHEMA}: npm install --prefix .ci aws-ssm-document-language-service")
    return jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))


@pytest.mark.parametrize("path", EXAMPLE_STACKS, ids=lambda p: p.name)
def test_rendered_documents_pass_aws_schema(example_runs, validator, path):
    for resource in example_runs[path.name].of_type("aws:ssm/document:Document"):
        if resource.inputs["documentType"] != "Automation":
            continue  # a Change Calendar is iCalendar text (tests/test_freezes.py)
        document = yaml.safe_load(resource.inputs["content"])
        errors = [e for e in validator.iter_errors(document) if not stale_rule(e)]
        assert [f"{list(e.absolute_path)}: {e.message}" for e in errors] == [], resource.name


def test_the_schema_still_catches_what_it_knows(validator):
    """The filter hides exactly the two stale rules, not a broken document."""
    broken = {
        "schemaVersion": "0.3",
        "mainSteps": [{"name": "x", "action": "aws:sleep", "onCancel": "Abort", "oops": 1}],
    }
    messages = [e.message for e in validator.iter_errors(broken) if not stale_rule(e)]
    assert any("'oops'" in m for m in messages)
