"""The client libraries' failures become our typed errors in one place (``library_errors``), as a table."""

from __future__ import annotations

import json

import google.auth.exceptions
import httplib2
import pytest
from googleapiclient.errors import HttpError

from functions.google import errors
from functions.google.library_errors import LIBRARY_ERRORS, typed_error


def http_error(status: int, body: object = None, headers: dict[str, str] | None = None) -> HttpError:
    resp = httplib2.Response({"status": str(status), **(headers or {})})
    content = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
    return HttpError(resp, content, uri="https://www.googleapis.com/calendar/v3/x")


def api_error(status: int, reason: str, domain: str = "global") -> dict:
    return {"error": {"errors": [{"domain": domain, "reason": reason, "message": reason}], "code": status,
                      "message": reason}}


@pytest.mark.parametrize(
    ("status", "body", "kind", "reason"),
    [
        (400, api_error(400, "invalid"), errors.BadRequest, "invalid"),
        (401, api_error(401, "authError"), errors.AuthError, "authError"),
        (403, api_error(403, "rateLimitExceeded", "usageLimits"), errors.RateLimited, "rateLimitExceeded"),
        (403, api_error(403, "userRateLimitExceeded", "usageLimits"), errors.RateLimited, "userRateLimitExceeded"),
        (403, api_error(403, "insufficientPermissions"), errors.Forbidden, "insufficientPermissions"),
        (404, api_error(404, "notFound"), errors.NotFound, "notFound"),
        (409, api_error(409, "duplicate"), errors.Conflict, "duplicate"),
        (410, api_error(410, "fullSyncRequired", "calendar"), errors.InvalidSyncToken, "fullSyncRequired"),
        (410, api_error(410, "deleted"), errors.Gone, "deleted"),
        (412, api_error(412, "conditionNotMet"), errors.PreconditionFailed, "conditionNotMet"),
        (429, api_error(429, "rateLimitExceeded"), errors.RateLimited, "rateLimitExceeded"),
        (500, api_error(500, "backendError"), errors.ServerError, "backendError"),
        (503, b"<html>unavailable</html>", errors.ServerError, "backendError"),
        (501, api_error(501, "notImplemented"), errors.GoogleError, "notImplemented"),
        (418, None, errors.GoogleError, None),
    ],
)
def test_http_errors_become_typed_errors(status: int, body: object, kind: type, reason: str | None) -> None:
    error = typed_error(http_error(status, body))
    assert type(error) is kind
    assert (error.status, error.reason) == (status, reason)


def test_only_rate_limits_server_errors_and_transport_failures_are_retryable() -> None:
    retryable = {s for s in (400, 401, 403, 404, 409, 410, 412, 429, 500, 501, 503)
                 if errors.is_retryable(typed_error(http_error(s, api_error(s, "x"))))}
    assert retryable == {429, 500, 503}


def test_retry_after_is_kept_on_the_error() -> None:
    assert typed_error(http_error(429, None, {"retry-after": "7"})).retry_after == 7.0
    assert typed_error(http_error(503, None)).retry_after is None


def refresh_error(answer: object, retryable: bool = False) -> google.auth.exceptions.RefreshError:
    code = answer.get("error") if isinstance(answer, dict) else None
    return google.auth.exceptions.RefreshError(f"{code}: whatever", answer, retryable=retryable)


@pytest.mark.parametrize(
    ("answer", "retryable", "kind"),
    [
        ({"error": "invalid_grant", "error_description": "Token has been expired or revoked."}, False,
         errors.InvalidGrant),
        ({"error": "invalid_client"}, False, errors.InvalidClient),
        ({"error": "unauthorized_client"}, False, errors.InvalidClient),
        ({"error": "invalid_scope"}, False, errors.OAuthError),
        ({"error": "internal_failure"}, True, errors.ServerError),
        ("<html>oops</html>", False, errors.OAuthError),
    ],
)
def test_refresh_errors_become_typed_oauth_errors(answer: object, retryable: bool, kind: type) -> None:
    assert type(typed_error(refresh_error(answer, retryable))) is kind


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError("refused"),
        TimeoutError("timed out"),
        httplib2.ServerNotFoundError("no such host"),
        google.auth.exceptions.TransportError("token endpoint unreachable"),
    ],
)
def test_transport_failures_become_transport_errors(exc: BaseException) -> None:
    assert isinstance(exc, LIBRARY_ERRORS)
    error = typed_error(exc)
    assert type(error) is errors.TransportError and errors.is_retryable(error)


def test_the_consent_pages_redirect_uri_mismatch_is_typed() -> None:
    page = b"<html><h1 id='error-code'>Error 400: redirect_uri_mismatch</h1></html>"
    assert type(errors.error_from_answer(400, page, "Bad Request")) is errors.RedirectUriMismatch
    assert type(errors.error_from_answer(400, b"<html>invalid_request</html>", "Bad Request")) is errors.BadRequest
