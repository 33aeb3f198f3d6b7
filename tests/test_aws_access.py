"""aws_access.open_account against the AWS stand-in (tests/moto_aws.py): the stack's account is reached
as pulumi-aws reaches it (profile, the whole aws:assumeRoles chain, allowed and forbidden accounts), and
what AWS received is read off the wire (every request the process sent) and out of moto's STS state."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import pytest
from moto.iam.models import get_account_id_from
from moto.sts.models import sts_backends

from patching_components.tools import aws_access
from patching_components.tools.aws_access import AccessError, open_account

OPERATOR_ACCOUNT = "123456789012"  # the aws fixture's credentials
JUMP, CUSTOMER = "111111111111", "222222222222"
CHAIN = [
    {"roleArn": f"arn:aws:iam::{JUMP}:role/msp-jump", "sessionName": "msp-jump"},
    {
        "roleArn": f"arn:aws:iam::{CUSTOMER}:role/patching-operator",
        "sessionName": "patching",
        "externalId": "acme-7f3c",
        "duration": "45m",
    },
]


@pytest.fixture
def wire(monkeypatch):
    """Every HTTP request this process sends: (operation, the account of the key it is signed with, form)."""
    from botocore.httpsession import URLLib3Session

    sent = []
    real = URLLib3Session.send

    def send(self, request):
        body = request.body or b""
        body = body if isinstance(body, bytes | str) else b""
        text = body.decode() if isinstance(body, bytes) else body
        key = re.search(r"Credential=([^/]+)/", request.headers.get("Authorization", b"").decode())
        form = parse_qs(text) if "Action=" in text else {}
        target = request.headers.get("X-Amz-Target", b"")
        operation = form.get("Action", [""])[0] or (target.decode() if isinstance(target, bytes) else target)
        sent.append((operation, get_account_id_from(key.group(1)) if key else None, form, key and key.group(1)))
        return real(self, request)

    monkeypatch.setattr(URLLib3Session, "send", send)
    return sent


def test_a_two_role_chain_reaches_the_last_roles_account(aws, wire):
    account = open_account({"aws:assumeRoles": CHAIN, "aws:allowedAccountIds": [CUSTOMER]}, region="eu-west-1")
    assert account.account_id == CUSTOMER
    assert account.principal_arn == f"arn:aws:sts::{CUSTOMER}:assumed-role/patching-operator/patching"
    assert (
        account.describe() == f"account {CUSTOMER} as arn:aws:sts::{CUSTOMER}:assumed-role/patching-operator/patching"
    )
    # Each role assumed with the credentials of the one before, the identity read with the last.
    assert [(operation, signer) for operation, signer, _, _ in wire] == [
        ("AssumeRole", OPERATOR_ACCOUNT),
        ("AssumeRole", JUMP),
        ("GetCallerIdentity", CUSTOMER),
    ]
    assert wire[0][2] == {
        "Action": ["AssumeRole"],
        "Version": ["2011-06-15"],
        "RoleArn": [f"arn:aws:iam::{JUMP}:role/msp-jump"],
        "RoleSessionName": ["msp-jump"],
    }
    assert wire[1][2] == {
        "Action": ["AssumeRole"],
        "Version": ["2011-06-15"],
        "RoleArn": [f"arn:aws:iam::{CUSTOMER}:role/patching-operator"],
        "RoleSessionName": ["patching"],
        "ExternalId": ["acme-7f3c"],
        "DurationSeconds": ["2700"],
    }
    # What STS kept of each session (moto's state, per account).
    (jump,) = sts_backends[JUMP]["aws"].assumed_roles
    (customer,) = sts_backends[CUSTOMER]["aws"].assumed_roles
    assert (jump.session_name, jump.external_id) == ("msp-jump", None)
    assert (customer.session_name, customer.external_id) == ("patching", "acme-7f3c")
    # The clients act as the last role: what they create is in the customer's account.
    ssm = account.clients("ssm", "us-east-1")
    assert ssm is account.clients("ssm", "us-east-1")  # one client per service and region
    ssm.create_maintenance_window(
        Name="acme-probe", Schedule="rate(7 days)", Duration=2, Cutoff=1, AllowUnassociatedTargets=False
    )
    assert wire[-1][1] == CUSTOMER


def test_every_field_pulumi_aws_takes_goes_to_assume_role(aws, wire):
    role = {
        "roleArn": f"arn:aws:iam::{CUSTOMER}:role/patching-operator",
        "sessionName": "patching",
        "externalId": "acme-7f3c",
        "duration": "45m",
        "policy": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:*","Resource":"*"}]}',
        "policyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        "tags": {"Customer": "acme"},
        "transitiveTagKeys": ["Customer"],
        "sourceIdentity": "jane@msp.example",
    }
    open_account({"aws:assumeRoles": [role]}, region="eu-west-1")
    assert wire[0][2] == {
        "Action": ["AssumeRole"],
        "Version": ["2011-06-15"],
        "RoleArn": [f"arn:aws:iam::{CUSTOMER}:role/patching-operator"],
        "RoleSessionName": ["patching"],
        "ExternalId": ["acme-7f3c"],
        "DurationSeconds": ["2700"],
        "Policy": [role["policy"]],
        "PolicyArns.member.1.arn": ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
        "Tags.member.1.Key": ["Customer"],
        "Tags.member.1.Value": ["acme"],
        "TransitiveTagKeys.member.1": ["Customer"],
        "SourceIdentity": ["jane@msp.example"],
    }


def test_a_role_without_a_session_name_is_named_for_the_tool(aws, wire):
    open_account({"aws:assumeRoles": [{"roleArn": f"arn:aws:iam::{CUSTOMER}:role/r"}]}, region="eu-west-1")
    assert wire[0][2]["RoleSessionName"] == ["patching-components"]
    assert "DurationSeconds" not in wire[0][2]  # STS's default (one hour)


def test_an_account_not_allowed_is_refused_after_reading_only_who_it_is(aws, wire):
    with pytest.raises(AccessError) as refused:
        open_account({"aws:assumeRoles": CHAIN, "aws:allowedAccountIds": ["333333333333"]}, region="eu-west-1")
    assert str(refused.value) == (
        f"these credentials reach account {CUSTOMER} (as arn:aws:sts::{CUSTOMER}:assumed-role/patching-operator/"
        "patching, through aws:assumeRoles), but aws:allowedAccountIds allows only 333333333333: use credentials "
        "of that account (--profile) or set aws:assumeRoles to a role in it"
    )
    assert [operation for operation, *_ in wire] == ["AssumeRole", "AssumeRole", "GetCallerIdentity"]


def test_a_forbidden_account_is_refused(aws):
    with pytest.raises(AccessError) as refused:
        open_account({"aws:assumeRoles": CHAIN, "aws:forbiddenAccountIds": [CUSTOMER]}, region="eu-west-1")
    assert str(refused.value).startswith(f"these credentials reach account {CUSTOMER} (as arn:aws:sts::")
    assert f"which aws:forbiddenAccountIds forbids ({CUSTOMER})" in str(refused.value)


def test_operator_credentials_without_the_role_are_refused(aws, wire):
    """The issue's false green: the operator's own account read as the customer's."""
    with pytest.raises(AccessError) as refused:
        open_account({"aws:allowedAccountIds": [CUSTOMER]}, region="eu-west-1")
    assert str(refused.value).startswith(
        f"these credentials reach account {OPERATOR_ACCOUNT} (as arn:aws:sts::{OPERATOR_ACCOUNT}:user/moto, "
        f"with no aws:assumeRoles), but aws:allowedAccountIds allows only {CUSTOMER}: "
    )
    assert [operation for operation, *_ in wire] == ["GetCallerIdentity"]


@pytest.fixture
def profiles(aws, tmp_path, monkeypatch):
    """An AWS config with profiles acme-admin and other, each with keys of its own."""
    (tmp_path / "credentials").write_text(
        "[acme-admin]\naws_access_key_id = AKIAACMEADMIN0000000\naws_secret_access_key = a\n"
        "[other]\naws_access_key_id = AKIAOTHER00000000000\naws_secret_access_key = o\n"
    )
    (tmp_path / "config").write_text("[profile acme-admin]\nregion = eu-west-1\n[profile other]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    return tmp_path


def signed_with(wire):
    return {key for *_, key in wire}


def test_environment_credentials_win_over_the_stacks_profile(profiles, wire):
    open_account({"aws:profile": "acme-admin", "aws:allowedAccountIds": ["123456789012"]}, region="eu-west-1")
    assert signed_with(wire) == {"AKIAOPERATOR00000000"}  # the aws fixture's environment keys


@pytest.mark.parametrize("variable", ["AWS_ACCESS_KEY_ID", "AWS_PROFILE"])
def test_environment_credentials_that_nothing_ties_to_the_stacks_account_are_refused(
    profiles, wire, monkeypatch, variable
):
    # They replace aws:profile, and without an account or a role to check them against, a report could read
    # another account of the same customer (same names everywhere) and say it is compliant.
    if variable == "AWS_PROFILE":
        monkeypatch.delenv("AWS_ACCESS_KEY_ID")
        monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
        monkeypatch.setenv("AWS_PROFILE", "other")
    with pytest.raises(AccessError) as refused:
        open_account({"aws:profile": "acme-admin"}, region="eu-west-1")
    assert str(refused.value) == (
        "aws:profile is 'acme-admin', but credentials in the environment (AWS_PROFILE or AWS_ACCESS_KEY_ID) replace "
        "it and the stack names no account (aws:allowedAccountIds) or role (aws:assumeRoles) to check them against: "
        "set aws:allowedAccountIds in the stack file, or pass --profile acme-admin"
    )
    assert wire == []  # refused before any call


def test_the_stacks_profile_without_environment_credentials(profiles, wire, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    open_account({"aws:profile": "acme-admin"}, region="eu-west-1")
    assert signed_with(wire) == {"AKIAACMEADMIN0000000"}


def test_aws_profile_in_the_environment_wins_and_profile_option_wins_over_all(profiles, wire, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_PROFILE", "other")
    open_account({"aws:profile": "acme-admin", "aws:allowedAccountIds": ["123456789012"]}, region="eu-west-1")
    assert signed_with(wire) == {"AKIAOTHER00000000000"}
    wire.clear()
    monkeypatch.delenv("AWS_PROFILE")
    open_account({"aws:profile": "other"}, region="eu-west-1", profile="acme-admin")
    assert signed_with(wire) == {"AKIAACMEADMIN0000000"}


def test_the_stacks_shared_files_are_where_the_profile_is_read(profiles, wire, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    settings = {
        "aws:profile": "acme-admin",
        "aws:sharedCredentialsFiles": [str(profiles / "credentials")],
        "aws:sharedConfigFiles": [str(profiles / "config")],
    }
    open_account(settings, region="eu-west-1")
    assert signed_with(wire) == {"AKIAACMEADMIN0000000"}


def test_a_missing_profile_is_one_line(profiles, monkeypatch):
    with pytest.raises(AccessError) as refused:
        open_account({}, region="eu-west-1", profile="acme-prod")
    assert str(refused.value) == (
        "AWS profile 'acme-prod' is not in your AWS config: create it (aws configure sso --profile acme-prod), "
        "or fix aws:profile / --profile"
    )


def test_a_secret_it_cannot_decrypt_is_named(aws, wire):
    settings = {"aws:assumeRoles": [{**CHAIN[1], "externalId": "secret"}]}  # the CLI's stand-in for {secure: ...}
    with pytest.raises(AccessError) as refused:
        open_account(settings, region="eu-west-1", secret_keys={"aws:assumeRoles"})
    assert str(refused.value).startswith(
        "aws:assumeRoles is a secret ({secure: ...}) that patching cannot decrypt (it reads the stack file without "
    )
    assert wire == []  # nothing sent with a stand-in for the secret


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ({"sessionName": "x"}, "aws:assumeRoles[0] has no roleArn: "),
        ({"roleArn": "arn:aws:iam::1:role/r", "durationSeconds": 3600}, "aws:assumeRoles[0]: durationSeconds is not"),
        ({"roleArn": "arn:aws:iam::1:role/r", "duration": "1 hour"}, "aws:assumeRoles[0].duration '1 hour' is not"),
        ({"roleArn": "arn:aws:iam::1:role/r", "duration": "10m"}, "aws:assumeRoles[0].duration '10m': give between"),
        ({"roleArn": "arn:aws:iam::1:role/r", "duration": "13h"}, "aws:assumeRoles[0].duration '13h': give between"),
        (
            {"roleArn": "arn:aws:iam::1:role/r", "duration": "1h30m"},
            "aws:assumeRoles[1].duration '1h30m': a role assumed with another role's credentials (role chaining) "
            "gets at most 1h, AWS refuses more: give 1h or less",
        ),
    ],
)
def test_a_role_pulumi_aws_would_not_take_is_refused_before_any_call(aws, wire, role, message):
    chain = [CHAIN[0], role] if "[1]" in message else [role]
    with pytest.raises(AccessError) as refused:
        open_account({"aws:assumeRoles": chain}, region="eu-west-1")
    assert str(refused.value).startswith(message)
    assert wire == []


def test_the_old_single_role_key_is_never_ignored(aws, wire):
    with pytest.raises(AccessError) as refused:
        open_account({"aws:assumeRole": CHAIN[1]}, region="eu-west-1")
    assert str(refused.value).startswith("aws:assumeRole is the provider's old single-role key; ")
    assert wire == []


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1h", 3600), ("90m", 5400), ("1h30m", 5400), ("1.5h", 5400), ("3600s", 3600), ("2h45m30s", 9930)],
)
def test_go_durations(text, seconds):
    assert aws_access.duration_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "10", "1 h", "h", "1d", "1h-5m"])
def test_not_go_durations(text):
    with pytest.raises(ValueError):
        aws_access.duration_seconds(text)


def test_the_json_string_form_of_allowed_accounts_is_read_as_pulumi_aws_reads_it(aws, wire):
    """`pulumi config set aws:allowedAccountIds '["..."]'` stores a JSON list in a string, which pulumi-aws reads
    as the list: the check must see the same account, and refuse another one as it would."""
    account = open_account({"aws:assumeRoles": CHAIN, "aws:allowedAccountIds": f'["{CUSTOMER}"]'}, region="eu-west-1")
    assert account.account_id == CUSTOMER
    with pytest.raises(AccessError) as refused:
        open_account({"aws:assumeRoles": CHAIN, "aws:allowedAccountIds": '["333333333333"]'}, region="eu-west-1")
    assert "aws:allowedAccountIds allows only 333333333333" in str(refused.value)


def test_an_allowed_accounts_value_that_cannot_be_read_is_refused_before_any_call(aws, wire):
    with pytest.raises(AccessError) as refused:
        open_account({"aws:allowedAccountIds": '["333333333333"'}, region="eu-west-1")
    assert str(refused.value) == (
        "aws:allowedAccountIds is not a list of AWS account ids: write it as a YAML list of 12-digit ids"
    )
