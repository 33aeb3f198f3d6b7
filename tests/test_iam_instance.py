"""The instance role: hooks run on the node under it (issue #26 item 8), the log bucket's customer
managed key (item 9) and the CloudWatch output (item 17), judged by what the role allows
(tests/iam_model.py) and by the requests AWS receives (botocore's models)."""

from __future__ import annotations

import json

import pytest
from aws_requests import api_calls
from iam_model import Request, allowed

from aws_shapes import problems
from conftest import MINIMAL, run_config
from patching_components.checks import refuse_unbuildable
from patching_components.config import ConfigError, load_stack_file, validate

ACCOUNT = "123456789012"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
TASK = "aws:ssm/maintenanceWindowTask:MaintenanceWindowTask"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LOG_KEY = "arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
TARGET_GROUP = "arn:aws:elasticloadbalancing:eu-west-1:111122223333:targetgroup/acme-web/0123456789abcdef"
INSTANCE_ID = "i-0123456789abcdef0"

WINDOWS = {
    "weekly": {
        "schedule": "cron(0 2 ? * SUN *)",
        "durationHours": 4,
        "cutoffHours": 1,
        "operation": "Install",
        "hooks": {"preInstall": "Acme-DrainFromLoadBalancer"},
    }
}
EXTRAS = {
    **MINIMAL,
    "aws:region": "eu-west-1",
    "regions": ["eu-west-1", "us-east-1"],
    "maintenanceWindows": WINDOWS,
    "patchGroups": {"acme-web": {"baselines": ["al2023"], "maintenanceWindows": ["weekly"]}},
    "logging": {"s3Bucket": "acme-existing-logs", "kmsKeyArn": LOG_KEY, "cloudWatch": {"retentionDays": 30}},
    "instanceRole": {
        "managedPolicyArns": ["arn:aws:iam::111122223333:policy/acme-app-read"],
        "statements": [
            {
                "Sid": "DrainFromTheLoadBalancer",
                "Effect": "Allow",
                "Action": ["elasticloadbalancing:DeregisterTargets", "elasticloadbalancing:RegisterTargets"],
                "Resource": TARGET_GROUP,
            },
            {"Effect": "Allow", "Action": "elasticloadbalancing:DescribeTargetHealth", "Resource": "*"},
        ],
    },
}


@pytest.fixture(scope="module")
def run():
    return run_config(EXTRAS, stack="acme")


def instance_policies(run) -> list[str]:
    return [r.inputs["policy"] for r in run.of_type(ROLE_POLICY) if r.inputs["role"] == "acme-instance-mock"]


def test_a_drain_hook_may_deregister_the_node_from_its_target_group_only(run):
    """The hook document runs on the node with the instance role's credentials."""
    policies = instance_policies(run)
    node = {"aws:RequestedRegion": "eu-west-1"}
    assert allowed(policies, Request("elasticloadbalancing:DeregisterTargets", TARGET_GROUP, node))
    assert allowed(policies, Request("elasticloadbalancing:RegisterTargets", TARGET_GROUP, node))
    assert allowed(policies, Request("elasticloadbalancing:DescribeTargetHealth", "*", node))
    other = TARGET_GROUP.replace("acme-web", "billing")
    assert not allowed(policies, Request("elasticloadbalancing:DeregisterTargets", other, node))
    assert not allowed(policies, Request("elasticloadbalancing:DeleteTargetGroup", TARGET_GROUP, node))


def test_extra_managed_policies_are_attached_to_the_instance_role_only(run):
    attached = [r.inputs for r in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")]
    assert sorted((a["role"], a["policyArn"]) for a in attached) == [
        ("acme-instance-mock", "arn:aws:iam::111122223333:policy/acme-app-read"),
        ("acme-instance-mock", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"),
    ]


def test_extra_policies_are_named_by_arn_so_reordering_replaces_nothing():
    arns = ["arn:aws:iam::111122223333:policy/a", "arn:aws:iam::111122223333:policy/b"]
    names = []
    for order in (arns, arns[::-1]):
        config = {**MINIMAL, "instanceRole": {"managedPolicyArns": order}}
        run = run_config(config, stack="acme")
        names.append(
            {r.inputs["policyArn"]: r.name for r in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
        )
    assert names[0] == names[1]


def test_the_log_buckets_key_is_usable_through_s3_in_its_region_only(run):
    """PutObject under SSE-KMS: S3 calls kms:GenerateDataKey (and kms:Decrypt for a multipart upload)
    on the writer's behalf, so KMS sees kms:ViaService s3.<bucket region>.amazonaws.com."""
    policies = instance_policies(run)
    via_s3 = {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    for action in ("kms:GenerateDataKey", "kms:Decrypt"):
        assert allowed(policies, Request(action, LOG_KEY, via_s3)), action
        assert not allowed(policies, Request(action, LOG_KEY)), action  # the node cannot use it directly
        assert not allowed(policies, Request(action, LOG_KEY, {"kms:ViaService": "s3.us-east-1.amazonaws.com"}))
        assert not allowed(policies, Request(action, LOG_KEY, {"kms:ViaService": "ec2.eu-west-1.amazonaws.com"}))
    other_key = LOG_KEY.replace("0a1b2c3d", "ffffffff")
    assert not allowed(policies, Request("kms:GenerateDataKey", other_key, via_s3))
    assert allowed(policies, Request("s3:PutObject", "arn:aws:s3:::acme-existing-logs/patching/acme/weekly/x/stdout"))


def test_without_a_key_the_instances_get_no_kms_permission():
    run = run_config({**MINIMAL, "logging": {"s3Bucket": "acme-existing-logs"}}, stack="acme")
    text = " ".join(instance_policies(run))
    assert "kms:" not in text


def test_the_instances_may_stream_output_to_exactly_the_stacks_log_group_in_each_region(run):
    """What the SSM agent calls ("Configuring Amazon CloudWatch Logs for Run Command"; its
    CloudWatch Logs client): DescribeLogGroups, CreateLogGroup when it finds none, CreateLogStream,
    DescribeLogStreams, PutLogEvents. ARNs as the service authorization reference writes them."""
    policies = instance_policies(run)
    for region in ("eu-west-1", "us-east-1"):
        group = f"arn:aws:logs:{region}:{ACCOUNT}:log-group:/patching/acme"
        stream = f"{group}:log-stream:{INSTANCE_ID}/aws-runPatchBaselineWithHooks/stdout"
        assert allowed(policies, Request("logs:DescribeLogGroups", "*"))
        assert allowed(policies, Request("logs:CreateLogGroup", group))
        assert allowed(policies, Request("logs:DescribeLogStreams", group))
        assert allowed(policies, Request("logs:CreateLogStream", stream))
        assert allowed(policies, Request("logs:PutLogEvents", stream))
        other = f"arn:aws:logs:{region}:{ACCOUNT}:log-group:/billing/app:log-stream:x"
        assert not allowed(policies, Request("logs:PutLogEvents", other))
        assert not allowed(policies, Request("logs:DeleteLogGroup", group))
        assert not allowed(policies, Request("logs:PutRetentionPolicy", group))
    elsewhere = f"arn:aws:logs:ap-southeast-2:{ACCOUNT}:log-group:/patching/acme:log-stream:x"
    assert not allowed(policies, Request("logs:PutLogEvents", elsewhere))


def test_each_region_gets_the_log_group_with_its_retention_and_the_tasks_send_their_output_there(run):
    groups = run.of_type(LOG_GROUP)
    assert sorted(g.name for g in groups) == ["acme-output", "acme-us-east-1-output"]
    for group in groups:
        assert group.inputs["name"] == "/patching/acme"
        assert group.inputs["retentionInDays"] == 30
        for service, operation, request in api_calls(group):
            assert problems(service, operation, request) == [], operation
    tasks = run.of_type(TASK)
    assert len(tasks) == 2
    for task in tasks:
        ((_, operation, request),) = api_calls(task)
        assert request["TaskInvocationParameters"]["RunCommand"]["CloudWatchOutputConfig"] == {
            "CloudWatchLogGroupName": "/patching/acme",
            "CloudWatchOutputEnabled": True,
        }
        assert request["TaskInvocationParameters"]["RunCommand"]["OutputS3BucketName"] == "acme-existing-logs"
        assert problems("ssm", operation, request) == []


def test_cloudwatch_instead_of_s3():
    config = {
        **MINIMAL,
        "maintenanceWindows": WINDOWS,
        "patchGroups": {"acme-web": {"baselines": ["al2023"], "maintenanceWindows": ["weekly"]}},
        "logging": {"s3Bucket": "none", "cloudWatch": {"logGroup": "/msp/acme/patching"}},
    }
    run = run_config(config, stack="acme")
    assert run.of_type("aws:s3/bucket:Bucket") == []
    ((_, _, request),) = api_calls(run.of_type(TASK)[0])
    run_command = request["TaskInvocationParameters"]["RunCommand"]
    assert "OutputS3BucketName" not in run_command
    assert run_command["CloudWatchOutputConfig"]["CloudWatchLogGroupName"] == "/msp/acme/patching"
    (group,) = run.of_type(LOG_GROUP)
    assert group.inputs == {**group.inputs, "name": "/msp/acme/patching", "retentionInDays": 90}
    policies = instance_policies(run)
    stream = f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:/msp/acme/patching:log-stream:{INSTANCE_ID}/x/stdout"
    assert allowed(policies, Request("logs:PutLogEvents", stream))
    assert not any("s3:PutObject" in p for p in policies)


def test_without_cloudwatch_the_task_sends_no_cloudwatch_config():
    config = {
        **MINIMAL,
        "maintenanceWindows": WINDOWS,
        "patchGroups": {"acme-web": {"baselines": ["al2023"], "maintenanceWindows": ["weekly"]}},
        "logging": {"s3Bucket": "create"},
    }
    run = run_config(config, stack="acme")
    ((_, _, request),) = api_calls(run.of_type(TASK)[0])
    assert "CloudWatchOutputConfig" not in request["TaskInvocationParameters"]["RunCommand"]
    assert run.of_type(LOG_GROUP) == []


def test_errors_name_file_line_and_key_path(tmp_path):
    path = tmp_path / "Pulumi.acme.yaml"
    path.write_text(
        "config:\n"
        "  patching:customer: acme\n"
        "  patching:baselines:\n"
        "    al2023: {operatingSystem: AMAZON_LINUX_2023}\n"
        "  patching:instanceRole:\n"
        "    managedPolicyArns: [arn:aws:iam::111122223333:role/not-a-policy]\n"
        "    statements:\n"
        "      - Effect: Allow\n"
        "        Action: [elasticloadbalancing:DeregisterTargets, DeregisterTargets]\n"
        "        Resource: targetgroup/web\n"
    )
    with pytest.raises(ConfigError) as info:
        load_stack_file(path)
    lines = info.value.lines()
    assert any(line.startswith(f"{path}:6: patching:instanceRole.managedPolicyArns[0]: ") for line in lines), lines
    assert f"{path}:9: patching:instanceRole.statements[0].Action[1]: 'DeregisterTargets' is not an IAM action" in (
        "\n".join(lines)
    )
    assert f"{path}:10: patching:instanceRole.statements[0].Resource[0]: 'targetgroup/web' is not a resource" in (
        "\n".join(lines)
    )


def test_at_most_nine_extra_managed_policies():
    arns = [f"arn:aws:iam::111122223333:policy/p{i}" for i in range(10)]
    with pytest.raises(ConfigError) as info:
        validate({**MINIMAL, "instanceRole": {"managedPolicyArns": arns}}, "x")
    assert "patching:instanceRole.managedPolicyArns" in info.value.lines()[0]
    validate({**MINIMAL, "instanceRole": {"managedPolicyArns": arns[:9]}}, "x")


def test_statements_past_iams_inline_policy_limit_are_refused():
    statement = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::" + "b" * 1000 + "/*"}
    with pytest.raises(ConfigError) as info:
        refuse_unbuildable(validate({**MINIMAL, "instanceRole": {"statements": [statement] * 11}}, "x"), "x")
    (line,) = info.value.lines()
    assert "patching:instanceRole.statements: the instance role's inline policies would be up to" in line


def test_statement_values_are_iam_json():
    config = validate(
        {
            **MINIMAL,
            "instanceRole": {
                "statements": [
                    {
                        "Effect": "Deny",
                        "NotAction": "ssm:GetParameter*",
                        "NotResource": ["arn:aws:ssm:*:*:parameter/acme/*"],
                        "Condition": {"Bool": {"aws:ViaAWSService": False}, "NumericLessThan": {"s3:max-keys": 10}},
                    }
                ]
            },
        },
        "x",
    )
    (statement,) = config.instance_role.statements
    assert statement.document() == {
        "Effect": "Deny",
        "NotAction": ["ssm:GetParameter*"],
        "NotResource": ["arn:aws:ssm:*:*:parameter/acme/*"],
        "Condition": {"Bool": {"aws:ViaAWSService": ["false"]}, "NumericLessThan": {"s3:max-keys": ["10"]}},
    }
    json.dumps(statement.document())


def test_wildcard_grants_are_refused_as_the_policy_pack_refuses_them():
    """validate applies the patching standard's rule (one function: policies.wildcard_grants): a
    stack validate accepts passes the pack, and Resource '*' is only for actions IAM cannot scope."""
    wide = {"Effect": "Allow", "Action": "elasticloadbalancing:DeregisterTargets", "Resource": "*"}
    with pytest.raises(ConfigError) as info:
        validate({**MINIMAL, "instanceRole": {"statements": [wide]}}, "x")
    (line,) = info.value.lines()
    assert line.startswith("x: patching:instanceRole.statements[0]: the statement allows Resource '*' for ")
    assert "elasticloadbalancing:DeregisterTargets" in line
    # DescribeTargetHealth has no resource-level permission (AWS's service authorization reference,
    # checked against parliament's copy in tests/test_iam.py): "*" is what IAM offers for it.
    describe = {"Effect": "Allow", "Action": "elasticloadbalancing:DescribeTargetHealth", "Resource": "*"}
    validate({**MINIMAL, "instanceRole": {"statements": [describe]}}, "x")


def test_hooks_without_instance_role_permissions_are_a_warning(tmp_path):
    from patching_components.checks import check_stack

    stack = (
        "config:\n"
        "  patching:customer: acme\n"
        "  patching:baselines:\n"
        "    al2023: {operatingSystem: AMAZON_LINUX_2023}\n"
        "  patching:maintenanceWindows:\n"
        "    weekly:\n"
        "      schedule: cron(0 2 ? * SUN *)\n"
        "      durationHours: 4\n"
        "      cutoffHours: 1\n"
        "      operation: Install\n"
        "      hooks: {preInstall: Acme-DrainFromLoadBalancer}\n"
        "  patching:patchGroups:\n"
        "    acme-web: {baselines: [al2023], maintenanceWindows: [weekly]}\n"
        "  aws:region: eu-west-1\n"
    )
    path = tmp_path / "Pulumi.acme.yaml"
    path.write_text(stack)
    (warning,) = [w for w in check_stack(path).warnings if w.path[-1] == "hooks"]
    assert warning.line == 11
    assert warning.path == ("maintenanceWindows", "weekly", "hooks")
    assert "AccessDenied and the install does not run; grant it in patching:instanceRole" in warning.message
    granted = "  patching:instanceRole:\n    managedPolicyArns: [arn:aws:iam::111122223333:policy/acme-drain]\n"
    path.write_text(stack + granted)
    assert [w for w in check_stack(path).warnings if w.path[-1] == "hooks"] == []
    # scan-only builds no hooks: nothing to warn about
    path.write_text(stack + "  patching:mode: scan-only\n")
    assert [w for w in check_stack(path).warnings if w.path[-1] == "hooks"] == []


def test_the_log_retention_periods_are_the_ones_cloudwatch_logs_accepts():
    """botocore's model of PutRetentionPolicy lists them (the API reference's text)."""
    import re

    import botocore.session

    from patching_components.config.fields import LOG_RETENTION_DAYS

    model = botocore.session.get_session().get_service_model("logs")
    doc = model.operation_model("PutRetentionPolicy").input_shape.members["retentionInDays"].documentation
    listed = re.search(r"Possible values are: ([0-9, and]+)\.", doc).group(1)
    assert LOG_RETENTION_DAYS == tuple(int(v) for v in re.findall(r"[0-9]+", listed))


def test_the_log_group_takes_a_key_of_its_region_in_a_one_region_stack():
    key = "arn:aws:kms:eu-west-1:111122223333:key/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    config = {**MINIMAL, "regions": ["eu-west-1"], "logging": {"s3Bucket": "none", "cloudWatch": {"kmsKeyArn": key}}}
    run = run_config({**config, "aws:region": "eu-west-1"}, stack="acme")
    (group,) = run.of_type(LOG_GROUP)
    assert group.inputs["kmsKeyId"] == key
    assert all(problems(s, o, r) == [] for s, o, r in api_calls(group))
    # The writers need no permission on it: CloudWatch Logs uses the key under its key policy.
    assert "kms:" not in " ".join(instance_policies(run))
    for regions, message in (
        (["us-east-1"], "the key is not in us-east-1, where the log group is: give a key of us-east-1"),
        (["eu-west-1", "us-east-1"], "a KMS key is in one region and the stack creates a log group in each"),
    ):
        with pytest.raises(ConfigError) as info:
            refuse_unbuildable(validate({**config, "regions": regions}, "x"), "x")
        (line,) = info.value.lines()
        assert line.startswith(f"x: patching:logging.cloudWatch.kmsKeyArn: {message}")


def test_a_secret_key_is_not_judged_by_its_offline_stand_in(tmp_path):
    """Offline a secret is a placeholder (a key in us-east-1): its region says nothing of the value."""
    from patching_components.checks import check_stack

    path = tmp_path / "Pulumi.acme.yaml"
    path.write_text(
        "config:\n"
        "  aws:region: eu-west-1\n"
        "  patching:customer: acme\n"
        "  patching:regions: [eu-west-1]\n"
        "  patching:baselines:\n"
        "    al2023: {operatingSystem: AMAZON_LINUX_2023}\n"
        "  patching:logging:\n"
        "    s3Bucket: none\n"
        "    cloudWatch:\n"
        "      kmsKeyArn: {secure: AAABAKx1}\n"
    )
    (note,) = check_stack(path).warnings
    assert note.path == ("logging", "cloudWatch", "kmsKeyArn") and "is a secret" in note.message
