"""Each role's trust policy is the one AWS documents for that service and use (issue #26, item 7).

The expected documents are written by hand from AWS's pages, not from our code:
- Automation (golden AMI builds, freeze guard): "Cross-service confused deputy prevention",
  AWS Systems Manager User Guide, Automation example
  (https://docs.aws.amazon.com/systems-manager/latest/userguide/cross-service-confused-deputy-prevention.html),
  and AWS's AWS-SystemsManager-AutomationExecutionRole template ("Running automations in multiple AWS
  Regions and accounts"): aws:SourceAccount, and aws:SourceArn like arn:aws:ssm:*:<account>:automation-execution/*;
- maintenance window service role: "Control access to maintenance windows using the AWS CLI", Task 1,
  mw-role-trust-policy.json
  (https://docs.aws.amazon.com/systems-manager/latest/userguide/configuring-maintenance-window-permissions-cli.html);
- Run Command's SNS notification role: "Monitoring Systems Manager status changes using Amazon SNS
  notifications" (https://docs.aws.amazon.com/systems-manager/latest/userguide/monitoring-sns-notifications.html).
A condition key the service does not send denies the assumption: the IAM evaluator shows the
request context AWS documents for each service is allowed.
"""

from __future__ import annotations

import json

import pytest
from test_iam_policies import trusted

from conftest import MINIMAL, run_config

ACCOUNT = "123456789012"
ROLE = "aws:iam/role:Role"
NOTIFIED = {**MINIMAL, "notifications": {"emails": ["ops@acme.example"]}}

AUTOMATION_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "ssm.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": ACCOUNT},
                "ArnLike": {"aws:SourceArn": f"arn:aws:ssm:*:{ACCOUNT}:automation-execution/*"},
            },
        }
    ],
}
# Task 1's mw-role-trust-policy.json and the SNS page's role: ssm.amazonaws.com, no condition.
SSM_TRUST_WITHOUT_CONDITION = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ssm.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}


def trust_of(run, name: str) -> dict:
    return json.loads(run.named(name, ROLE).inputs["assumeRolePolicy"])


@pytest.fixture(scope="module")
def default_run():
    return run_config(NOTIFIED)


@pytest.fixture(scope="module")
def strict_run():
    return run_config({**NOTIFIED, "strictTrustConditions": True})


def test_the_automation_role_trust_is_awss_confused_deputy_example(default_run):
    assert trust_of(default_run, "acme-automation") == AUTOMATION_TRUST


def test_the_maintenance_window_and_notification_roles_trust_ssm_without_a_condition(default_run):
    assert trust_of(default_run, "acme-maintenance-window") == SSM_TRUST_WITHOUT_CONDITION
    assert trust_of(default_run, "acme-notify") == SSM_TRUST_WITHOUT_CONDITION


def test_the_request_each_service_really_makes_is_trusted(default_run):
    """Maintenance windows and Run Command notifications: AWS documents no aws:SourceArn for them,
    so the request context is modelled without one; Automation sends its execution's ARN."""
    without_source = {}
    execution = {
        "aws:SourceAccount": ACCOUNT,
        "aws:SourceArn": f"arn:aws:ssm:eu-west-1:{ACCOUNT}:automation-execution/0a1b2c3d-4e5f",
    }
    window, notify = trust_of(default_run, "acme-maintenance-window"), trust_of(default_run, "acme-notify")
    assert trusted(json.dumps(window), "ssm.amazonaws.com", without_source)
    assert trusted(json.dumps(notify), "ssm.amazonaws.com", without_source)
    automation = json.dumps(trust_of(default_run, "acme-automation"))
    assert trusted(automation, "ssm.amazonaws.com", execution)
    # The Automation role's guard holds: another account's executions, or no source at all, are refused.
    other = {"aws:SourceAccount": "9" * 12, "aws:SourceArn": execution["aws:SourceArn"].replace(ACCOUNT, "9" * 12)}
    assert not trusted(automation, "ssm.amazonaws.com", other)
    assert not trusted(automation, "ssm.amazonaws.com", without_source)
    # Not another service: EC2 cannot assume them.
    assert not trusted(json.dumps(window), "ec2.amazonaws.com", without_source)


def test_the_conditions_earlier_releases_set_would_have_denied_the_maintenance_window(strict_run):
    """What the opt-in builds: the old default, which the window service's documented request fails."""
    strict = trust_of(strict_run, "acme-maintenance-window")
    condition = {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:ssm:*:{ACCOUNT}:*"},
    }
    assert strict["Statement"][0]["Condition"] == condition
    assert trust_of(strict_run, "acme-notify")["Statement"][0]["Condition"] == condition
    assert not trusted(json.dumps(strict), "ssm.amazonaws.com", {})
    assert trust_of(strict_run, "acme-automation") == AUTOMATION_TRUST  # unchanged by the setting


def test_strict_trust_conditions_is_a_strict_boolean():
    from patching_components.config import ConfigError, validate

    with pytest.raises(ConfigError) as info:
        validate({**MINIMAL, "strictTrustConditions": "yes"}, "x")
    assert "patching:strictTrustConditions" in info.value.lines()[0]
