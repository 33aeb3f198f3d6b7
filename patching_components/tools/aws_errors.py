"""One line about any AWS error that stops ``report`` or ``patch-now``: which call, what happened, and what
to do (refresh credentials, grant a permission, check the proxy), never a traceback or an error page."""

from __future__ import annotations

_SSO_ERRORS = ("TokenRetrievalError", "SSOTokenLoadError", "UnauthorizedSSOTokenError", "SSOError")
MAX_LINE = 400
"""The longest AWS message repeated on the error line (an error page is not a message)."""


def problem(exc: Exception, *, profile: str | None = None) -> str:
    """One line about an AWS error: which call, what happened, what to do."""
    from botocore import exceptions as bx

    if isinstance(exc, bx.ClientError):
        error = exc.response.get("Error", {})
        code, message = str(error.get("Code") or "?"), _one_line(str(error.get("Message") or ""))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code.isdigit() or message.startswith("<"):
            # No AWS error in the body (an HTML page, nothing): something between us and AWS answered.
            return (
                f"{exc.operation_name} got HTTP {status or code} {'' if message.startswith('<') else message}".rstrip()
                + " with no AWS error in the answer (a proxy, firewall or gateway?): check HTTPS_PROXY and the "
                "network, then run it again"
            )
        hint = ""
        if code in ("ExpiredToken", "ExpiredTokenException", "RequestExpired"):
            hint = ": refresh your AWS credentials (aws sso login, or new session keys)"
        elif code in ("AccessDenied", "AccessDeniedException", "UnauthorizedOperation"):
            hint = ": the credentials lack this permission (see docs/troubleshooting.md)"
            if exc.operation_name == "AssumeRole":
                hint = ": the role's trust policy does not let these credentials assume it (or the externalId differs)"
        elif code in ("UnrecognizedClientException", "InvalidClientTokenId", "SignatureDoesNotMatch"):
            hint = ": these credentials are not valid (wrong or deleted keys?)"
        elif code in ("ThrottlingException", "Throttling", "RequestLimitExceeded", "TooManyRequestsException"):
            hint = ": still throttled after retries; run it again later"
        return f"AWS refused {exc.operation_name}: {code}: {message}{hint}"
    if isinstance(exc, bx.ProfileNotFound):
        name = exc.kwargs.get("profile") or profile
        return (
            f"AWS profile {name!r} is not in your AWS config: create it (aws configure sso --profile {name}), "
            "or fix aws:profile / --profile"
        )
    if isinstance(exc, bx.NoCredentialsError):
        return (
            "no AWS credentials found (environment, aws:profile, ~/.aws, instance role): "
            "log in (aws sso login --profile ...) or pass --profile"
        )
    if type(exc).__name__ in _SSO_ERRORS:
        return f"{type(exc).__name__}: the SSO session has expired: aws sso login --profile {profile or '<profile>'}"
    if isinstance(exc, bx.EndpointConnectionError | bx.ConnectTimeoutError | bx.ProxyConnectionError):
        return f"{type(exc).__name__}: {_one_line(str(exc))}: check the network, HTTPS_PROXY and the region"
    return f"{type(exc).__name__}: {_one_line(str(exc))}"


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_LINE else text[: MAX_LINE - 3] + "..."
