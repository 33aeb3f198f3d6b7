"""Every AWS failure of report and patch-now is one line on stderr and exit 2, never a traceback
(issue 22, item 9): served for real by a small HTTP server on 127.0.0.1 standing where AWS (or a proxy
in front of it) would be, with AWS's error bodies, a proxy's HTML page, an empty body, throttling that
outlasts the retries, a port nothing listens on and a profile that does not exist."""

from __future__ import annotations

import json
from collections import Counter
from threading import Thread

import pytest
from werkzeug.serving import make_server

from conftest import ROOT
from patching_components.tools import aws_access, cli, report_command

ACME = ROOT / "stacks" / "Pulumi.acme.yaml"
IDENTITY = (
    200,
    "text/xml",
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>'
    "<Arn>arn:aws:iam::123456789012:user/operator</Arn><UserId>AIDAEXAMPLE</UserId>"
    "<Account>123456789012</Account></GetCallerIdentityResult>"
    "<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
)
HTML_PAGE = "<html>\n<head><title>502 Bad Gateway</title></head>\n<body>\n<h1>Bad Gateway</h1>\n</body>\n</html>\n"
REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 500: "Internal Server Error", 502: "Bad Gateway"}
REASONS[503] = "Service Unavailable"


def sts_error(code, message):
    return (
        403 if code == "AccessDenied" else 400,
        "text/xml",
        f'<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
        f"<Code>{code}</Code><Message>{message}</Message></Error><RequestId>r-2</RequestId></ErrorResponse>",
    )


class FakeAws:
    """Answers each operation (STS's Action, SSM's X-Amz-Target) as a test sets it; counts the calls."""

    def __init__(self):
        self.answers = {"GetCallerIdentity": IDENTITY}
        self.calls = Counter()

    def __call__(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        operation = target.rpartition(".")[2] or next(
            (p.partition("=")[2] for p in body.split("&") if p.startswith("Action=")), "?"
        )
        self.calls[operation] += 1
        status, content_type, text = self.answers.get(
            operation, (400, "application/x-amz-json-1.1", json.dumps({"__type": "UnknownOperationException"}))
        )
        data = text.encode()
        start_response(
            f"{status} {REASONS[status]}", [("Content-Type", content_type), ("Content-Length", str(len(data)))]
        )
        return [data]


@pytest.fixture
def fake_aws(monkeypatch):
    app = FakeAws()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # A short poll: shutdown() waits up to one poll interval (0.5 s by default) for the loop to stop.
    thread = Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{server.server_port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAOPERATOR00000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "operator-secret")
    monkeypatch.setattr(aws_access, "RETRIES", {"mode": "standard", "max_attempts": 3})
    monkeypatch.setattr("time.sleep", lambda seconds: None)  # the retries' backoff, without waiting
    yield app
    server.shutdown()
    thread.join()


def one_line(capsys):
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = err.splitlines()
    return line


@pytest.mark.parametrize("command", ["patch-now", "report"])
@pytest.mark.parametrize(
    ("operation", "answer", "expected"),
    [
        (
            "GetCallerIdentity",
            (502, "text/html", HTML_PAGE),
            f"{ACME}: GetCallerIdentity got HTTP 502 Bad Gateway with no AWS error in the answer (a proxy, "
            "firewall or gateway?): check HTTPS_PROXY and the network, then run it again",
        ),
        (
            "GetCallerIdentity",
            (500, "text/plain", ""),
            f"{ACME}: GetCallerIdentity got HTTP 500 Internal Server Error with no AWS error in the answer (a "
            "proxy, firewall or gateway?): check HTTPS_PROXY and the network, then run it again",
        ),
        (
            "GetCallerIdentity",
            sts_error("ExpiredToken", "The security token included in the request is expired"),
            f"{ACME}: AWS refused GetCallerIdentity: ExpiredToken: The security token included in the request "
            "is expired: refresh your AWS credentials (aws sso login, or new session keys)",
        ),
        (
            "GetCallerIdentity",
            sts_error("InvalidClientTokenId", "The security token included in the request is invalid."),
            f"{ACME}: AWS refused GetCallerIdentity: InvalidClientTokenId: The security token included in the "
            "request is invalid.: these credentials are not valid (wrong or deleted keys?)",
        ),
    ],
)
def test_reaching_the_account_fails_on_one_line(fake_aws, capsys, command, operation, answer, expected):
    fake_aws.answers[operation] = answer
    assert cli.main([command, str(ACME)]) == 2
    assert one_line(capsys) == f"patching: error: {expected}"
    if answer[0] >= 500:
        assert fake_aws.calls[operation] == 4  # the first try and max_attempts (3) retries, then given up


def test_a_role_that_does_not_trust_the_operator(fake_aws, capsys, tmp_path):
    stack = tmp_path / "Pulumi.acme.yaml"
    stack.write_text(
        ACME.read_text().replace(
            "  aws:region: eu-west-1\n",
            "  aws:region: eu-west-1\n  aws:assumeRoles:\n    - roleArn: arn:aws:iam::222222222222:role/patching\n",
        )
    )
    fake_aws.answers["AssumeRole"] = sts_error(
        "AccessDenied",
        "User: arn:aws:iam::123456789012:user/operator is not authorized to perform: sts:AssumeRole on "
        "resource: arn:aws:iam::222222222222:role/patching",
    )
    assert cli.main(["patch-now", str(stack), "--dry-run"]) == 2
    assert one_line(capsys) == (
        f"patching: error: {stack}: AWS refused AssumeRole: AccessDenied: User: arn:aws:iam::123456789012:user/"
        "operator is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role/"
        "patching: the role's trust policy does not let these credentials assume it (or the externalId differs)"
    )


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            (
                400,
                "application/x-amz-json-1.1",
                json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}),
            ),
            "AWS refused DescribeMaintenanceWindows: ThrottlingException: Rate exceeded: still throttled after "
            "retries; run it again later",
        ),
        (
            (503, "text/html", HTML_PAGE),
            "DescribeMaintenanceWindows got HTTP 503 Service Unavailable with no AWS error in the answer (a "
            "proxy, firewall or gateway?): check HTTPS_PROXY and the network, then run it again",
        ),
        (
            (
                400,
                "application/x-amz-json-1.1",
                json.dumps({"__type": "AccessDeniedException", "message": "User is not authorized\nto do this"}),
            ),
            "AWS refused DescribeMaintenanceWindows: AccessDeniedException: User is not authorized to do this: the "
            "credentials lack this permission (see docs/troubleshooting.md)",
        ),
    ],
)
def test_a_call_in_the_account_fails_on_one_line(fake_aws, capsys, tmp_path, answer, expected):
    fake_aws.answers["DescribeMaintenanceWindows"] = answer
    stack = tmp_path / ACME.name  # acme, in the account the fake answers for
    stack.write_text(
        ACME.read_text().replace('aws:allowedAccountIds: ["111122223333"]', 'aws:allowedAccountIds: ["123456789012"]')
    )
    assert cli.main(["patch-now", str(stack), "--dry-run"]) == 2
    assert one_line(capsys) == f"patching: error: {expected}"
    assert fake_aws.calls["DescribeMaintenanceWindows"] == (1 if "AccessDenied" in expected else 4)


def test_nothing_listening_is_one_line(fake_aws, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # the discard port: nothing listens
    assert cli.main(["patch-now", str(ACME), "--dry-run"]) == 2
    line = one_line(capsys)
    assert line.startswith(f"patching: error: {ACME}: EndpointConnectionError: Could not connect to the endpoint URL")
    assert line.endswith(": check the network, HTTPS_PROXY and the region")


def test_a_missing_profile_is_one_line(fake_aws, capsys, monkeypatch, tmp_path):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    assert cli.main(["report", str(ACME), "--profile", "acme-prod"]) == 2
    assert one_line(capsys) == (
        f"patching: error: {ACME}: AWS profile 'acme-prod' is not in your AWS config: create it "
        "(aws configure sso --profile acme-prod), or fix aws:profile / --profile"
    )


def test_an_aws_error_no_command_expected_is_still_one_line(fake_aws, capsys, monkeypatch):
    """main's last line of defence: a botocore error from anywhere is one line, exit 2."""
    from botocore.exceptions import ReadTimeoutError

    def times_out(args):
        raise ReadTimeoutError(endpoint_url="https://ssm.eu-west-1.amazonaws.com/")

    monkeypatch.setattr(report_command, "run", times_out)  # build_parser binds the command when main runs
    assert cli.main(["report", str(ACME)]) == 2
    assert one_line(capsys) == (
        'patching: error: ReadTimeoutError: Read timeout on endpoint URL: "https://ssm.eu-west-1.amazonaws.com/"'
    )


def test_a_secret_external_id_is_named_not_sent(fake_aws, capsys, tmp_path):
    """The stack file holds the role's externalId encrypted: patching cannot decrypt it, so it says which key
    and what to do, and sends nothing (not even the CLI's stand-in text for the secret)."""
    stack = tmp_path / "Pulumi.acme.yaml"
    stack.write_text(
        ACME.read_text().replace(
            "  aws:region: eu-west-1\n",
            "  aws:region: eu-west-1\n  aws:assumeRoles:\n    - roleArn: arn:aws:iam::222222222222:role/patching\n"
            "      externalId:\n        secure: v1:c2VjcmV0:AAABAKz7\n",
        )
    )
    assert cli.main(["patch-now", str(stack), "--dry-run"]) == 2
    assert one_line(capsys) == (
        f"patching: error: {stack}: aws:assumeRoles is a secret ({{secure: ...}}) that patching cannot decrypt (it "
        "reads the stack file without the Pulumi CLI): write that setting in plain text in the stack file to use "
        "report and patch-now"
    )
    assert sum(fake_aws.calls.values()) == 0
