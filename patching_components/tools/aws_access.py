"""The one way every AWS-calling command (``report``, ``patch-now``) reaches a stack's account.

It does with the stack file's ``aws:`` settings what the pulumi-aws provider does with them when the
stack is deployed, so a command reads and acts in the account ``pulumi up`` built in, or refuses:

- credentials: ``aws:accessKey``/``aws:secretKey``/``aws:token`` if the stack sets them, else the
  standard chain with the stack's ``aws:profile``, unless the environment names credentials of its
  own (``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``: a CI job's OIDC session wins, as for the operator's
  other tools); ``--profile`` overrides both. ``aws:sharedConfigFiles``/``aws:sharedCredentialsFiles``
  name the files the profile is read from.
- ``aws:assumeRoles``: the whole chain, in order, each role assumed with the credentials of the one
  before, with every field pulumi-aws v7 accepts (``roleArn``, ``externalId``, ``sessionName``,
  ``duration`` as Go duration text, ``policy``, ``policyArns``, ``tags``, ``transitiveTagKeys``,
  ``sourceIdentity``).
- ``aws:allowedAccountIds``/``aws:forbiddenAccountIds``: the account ``sts:GetCallerIdentity`` names
  after the chain must be allowed and not forbidden, else nothing is read or sent.

Every failure is an :class:`AccessError` whose text is one line naming what to fix; :func:`problem`
(:mod:`aws_errors`) turns any other AWS error (a refused call, a proxy's HTML page, throttling after
retries) into one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from .aws_errors import problem as problem  # re-exported: the commands' one-line AWS errors

RETRIES: dict[str, Any] = {"mode": "standard", "max_attempts": 10}
"""botocore's standard retry mode: throttled, failed (5xx) and unconnected calls back off and are retried
up to 10 times (botocore's ``max_attempts`` counts the retries, not the first try)."""
USER_AGENT_APPID = "patching-components"
DEFAULT_SESSION_NAME = "patching-components"
"""RoleSessionName of a role without ``sessionName`` (it shows in CloudTrail and the role's ARN)."""
ROLE_FIELDS = (
    "roleArn",
    "externalId",
    "sessionName",
    "duration",
    "policy",
    "policyArns",
    "tags",
    "transitiveTagKeys",
    "sourceIdentity",
)
"""The fields of an ``aws:assumeRoles`` entry pulumi-aws v7 accepts (ProviderAssumeRole)."""
USED_SETTINGS = (
    *("aws:profile", "aws:assumeRoles", "aws:accessKey", "aws:secretKey", "aws:token", "aws:stsRegion"),
    *("aws:sharedConfigFiles", "aws:sharedCredentialsFiles", "aws:allowedAccountIds", "aws:forbiddenAccountIds"),
)
"""The stack settings open_account reads."""
MIN_DURATION, MAX_DURATION = 15 * 60, 12 * 3600
"""pulumi-aws: a role session lasts between 15 minutes and 12 hours."""
CHAINED_MAX_DURATION = 3600
"""STS AssumeRole: a role assumed with a role's credentials (role chaining) gets at most one hour."""


class AccessError(Exception):
    """The stack's account cannot be reached as its settings say; str() is one line naming the fix."""


@dataclass(frozen=True)
class Account:
    """A stack's account, reached as its settings say."""

    account_id: str
    """From sts:GetCallerIdentity, after the whole role chain."""
    principal_arn: str
    """The identity every call is made as (an assumed role's ARN as STS returns it)."""
    clients: Callable[[str, str], Any] = field(repr=False, compare=False)
    """``clients(service, region)``: a boto3 client with standard retries, one per pair."""

    def describe(self) -> str:
        """``account <id> as <ARN>``: what every report and patch-now states it acted as."""
        return f"account {self.account_id} as {self.principal_arn}"


def stack_profile(stack_settings: Mapping[str, Any]) -> str | None:
    """The stack's aws:profile, unless the environment names credentials of its own (a CI job's
    OIDC session, or AWS_PROFILE): those win, as they do for the operator's other tools."""
    import os

    if os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"):
        return None
    profile = stack_settings.get("aws:profile")
    return str(profile) if profile else None


_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}


def duration_seconds(text: str) -> int:
    """Go duration text (``1h``, ``90m``, ``1h30m``, ``3600s``) as whole seconds; ValueError if it is not one."""
    text = text.strip()
    if not text or _DURATION_PART.sub("", text):
        raise ValueError(text)
    return int(sum(float(number) * _UNIT_SECONDS[unit] for number, unit in _DURATION_PART.findall(text)))


def _assume_role_request(index: int, role: Any) -> dict[str, Any]:
    """The AssumeRole parameters of ``aws:assumeRoles[index]``, as the provider sends them."""
    where = f"aws:assumeRoles[{index}]"
    if not isinstance(role, Mapping) or not role.get("roleArn"):
        raise AccessError(f"{where} has no roleArn: give each role of the chain as {{roleArn: arn:aws:iam::...}}")
    unknown = sorted(set(role) - set(ROLE_FIELDS))
    if unknown:
        raise AccessError(
            f"{where}: {', '.join(unknown)} is not a field of pulumi-aws; it takes {', '.join(ROLE_FIELDS)}"
        )
    request: dict[str, Any] = {
        "RoleArn": str(role["roleArn"]),
        "RoleSessionName": str(role.get("sessionName") or DEFAULT_SESSION_NAME),
    }
    if role.get("externalId"):
        request["ExternalId"] = str(role["externalId"])
    if role.get("duration"):
        try:
            seconds = duration_seconds(str(role["duration"]))
        except ValueError:
            raise AccessError(
                f"{where}.duration {role['duration']!r} is not a duration: write it as Go does, e.g. 1h or 45m"
            ) from None
        if not MIN_DURATION <= seconds <= MAX_DURATION:
            raise AccessError(f"{where}.duration {role['duration']!r}: give between 15m and 12h")
        request["DurationSeconds"] = seconds
    if role.get("policy"):
        request["Policy"] = str(role["policy"])
    if role.get("policyArns"):
        request["PolicyArns"] = [{"arn": str(arn)} for arn in role["policyArns"]]
    if role.get("tags"):
        request["Tags"] = [{"Key": str(k), "Value": str(v)} for k, v in role["tags"].items()]
    if role.get("transitiveTagKeys"):
        request["TransitiveTagKeys"] = [str(k) for k in role["transitiveTagKeys"]]
    if role.get("sourceIdentity"):
        request["SourceIdentity"] = str(role["sourceIdentity"])
    return request


def _account_list(stack_settings: Mapping[str, Any], key: str) -> list[str]:
    from ..config.validation import account_ids

    ids = account_ids(stack_settings.get(key))
    if ids is None:
        raise AccessError(f"{key} is not a list of AWS account ids: write it as a YAML list of 12-digit ids")
    return ids


def open_account(
    stack_settings: Mapping[str, Any],
    *,
    region: str,
    profile: str | None = None,
    secret_keys: Collection[str] = (),
) -> Account:
    """Reach the stack's account from its ``aws:`` settings (see the module); ``profile`` (``--profile``)
    overrides the stack's and the environment's. ``secret_keys`` are the settings the stack file holds as
    ``{secure: ...}`` (CheckedStack.secret_keys): patching cannot decrypt them, so any that matters here is an
    AccessError. Calls sts:AssumeRole for each role of the chain and sts:GetCallerIdentity, in ``region``
    (``aws:stsRegion`` if set). AccessError (one line) on anything that stops it."""
    try:
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:  # pragma: no cover - the report extra is missing
        raise AccessError("this command needs boto3: pip install 'patching-components[report]'") from None

    for key in USED_SETTINGS:
        if key in secret_keys and key in stack_settings:
            raise AccessError(
                f"{key} is a secret ({{secure: ...}}) that patching cannot decrypt (it reads the stack file without "
                "the Pulumi CLI): write that setting in plain text in the stack file to use report and patch-now"
            )
    config = Config(retries=dict(RETRIES), user_agent_appid=USER_AGENT_APPID)
    sts_region = str(stack_settings.get("aws:stsRegion") or region)
    if stack_settings.get("aws:assumeRole"):
        # Never ignore a role the stack names (that would read the operator's own account).
        raise AccessError(
            "aws:assumeRole is the provider's old single-role key; pulumi-aws v7 reads aws:assumeRoles, a list: "
            "write it as aws:assumeRoles: [{roleArn: ...}]"
        )
    roles = stack_settings.get("aws:assumeRoles") or []
    if isinstance(roles, Mapping):  # the provider's older single-role form
        roles = [roles]
    requests = [_assume_role_request(i, role) for i, role in enumerate(roles)]
    for index, request in enumerate(requests[1:], start=1):
        if request.get("DurationSeconds", 0) > CHAINED_MAX_DURATION:
            raise AccessError(
                f"aws:assumeRoles[{index}].duration {roles[index]['duration']!r}: a role assumed with another "
                "role's credentials (role chaining) gets at most 1h, AWS refuses more: give 1h or less"
            )
    allowed = _account_list(stack_settings, "aws:allowedAccountIds")
    forbidden = _account_list(stack_settings, "aws:forbiddenAccountIds")
    chosen = profile or stack_profile(stack_settings)
    if not (profile or chosen or requests or allowed) and stack_settings.get("aws:profile"):
        # The environment's credentials replace the stack's profile, and nothing would tell another account
        # from this stack's: a report of the wrong account must never read green.
        named = stack_settings["aws:profile"]
        raise AccessError(
            f"aws:profile is {named!r}, but credentials in the environment (AWS_PROFILE or AWS_ACCESS_KEY_ID) "
            "replace it and the stack names no account (aws:allowedAccountIds) or role (aws:assumeRoles) to check "
            f"them against: set aws:allowedAccountIds in the stack file, or pass --profile {named}"
        )
    try:
        session = _first_session(boto3, stack_settings, chosen)
        keys: dict[str, str] = {}  # each role's credentials in turn (one session: its models load once)
        for request in requests:
            sts = session.client("sts", region_name=sts_region, config=config, **keys)
            granted = sts.assume_role(**request)["Credentials"]
            keys = {
                "aws_access_key_id": granted["AccessKeyId"],
                "aws_secret_access_key": granted["SecretAccessKey"],
                "aws_session_token": granted["SessionToken"],
            }
        identity = session.client("sts", region_name=sts_region, config=config, **keys).get_caller_identity()
    except (BotoCoreError, ClientError) as exc:
        raise AccessError(problem(exc, profile=chosen)) from None
    account_id, arn = str(identity["Account"]), str(identity["Arn"])
    how = "through aws:assumeRoles" if requests else "with no aws:assumeRoles"
    if allowed and account_id not in allowed:
        raise AccessError(
            f"these credentials reach account {account_id} (as {arn}, {how}), but aws:allowedAccountIds allows only "
            f"{', '.join(allowed)}: use credentials of that account (--profile) or set aws:assumeRoles to a role in it"
        )
    if account_id in forbidden:
        raise AccessError(
            f"these credentials reach account {account_id} (as {arn}, {how}), which aws:forbiddenAccountIds forbids "
            f"({', '.join(forbidden)}): use credentials or aws:assumeRoles for the customer's account"
        )
    return Account(account_id, arn, session_clients(session, keys))


def session_clients(session: Any, keys: Mapping[str, str] | None = None) -> Callable[[str, str], Any]:
    """``clients(service, region)`` of a boto3 session (with ``keys``, an assumed role's credentials, if
    given): standard retries, one client per pair."""
    from botocore.config import Config

    config = Config(retries=dict(RETRIES), user_agent_appid=USER_AGENT_APPID)
    made: dict[tuple[str, str], Any] = {}

    def clients(service: str, region: str) -> Any:
        if (service, region) not in made:
            made[service, region] = session.client(service, region_name=region, config=config, **(keys or {}))
        return made[service, region]

    return clients


def _first_session(boto3: Any, stack_settings: Mapping[str, Any], profile: str | None) -> Any:
    """The credentials the chain starts from (see the module)."""
    import botocore.session

    access_key, secret_key = stack_settings.get("aws:accessKey"), stack_settings.get("aws:secretKey")
    if access_key or secret_key:
        if not (access_key and secret_key):
            raise AccessError("aws:accessKey and aws:secretKey go together: set both, or neither")
        return boto3.Session(
            aws_access_key_id=str(access_key),
            aws_secret_access_key=str(secret_key),
            aws_session_token=str(stack_settings["aws:token"]) if stack_settings.get("aws:token") else None,
        )
    core = botocore.session.get_session()
    for key, variable in (("aws:sharedConfigFiles", "config_file"), ("aws:sharedCredentialsFiles", "credentials_file")):
        files = _account_list(stack_settings, key)
        if len(files) > 1:
            raise AccessError(
                f"{key}: patching reads one file, the stack names {len(files)}: keep the one that matters"
            )
        if files:
            import os

            core.set_config_variable(variable, os.path.expanduser(files[0]))
    return boto3.Session(botocore_session=core, profile_name=profile)
