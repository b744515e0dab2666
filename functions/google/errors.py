"""Every Google failure as one typed exception; HTTP answers become exceptions here only."""

from __future__ import annotations

import json
from typing import Any


class GoogleError(Exception):
    """Base of every error from Google (or from reaching it)."""

    def __init__(
        self, message: str, status: int | None = None, reason: str | None = None, *, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason
        self.retry_after = retry_after  # seconds, from a Retry-After header


class TransportError(GoogleError):
    """Google could not be reached (connection refused, timeout)."""


class RateLimited(GoogleError):
    """429, or 403 rateLimitExceeded / userRateLimitExceeded: back off and retry."""


class ServerError(GoogleError):
    """5xx: Google failed; retry later."""


class AuthError(GoogleError):
    """401 on the Calendar API: the access token is expired, revoked or wrong."""


class Forbidden(GoogleError):
    """403 that is not a rate limit (no access to the calendar, insufficient scopes)."""


class NotFound(GoogleError):
    """404."""


class Conflict(GoogleError):
    """409 (an event id already exists)."""


class Gone(GoogleError):
    """410 (an event already deleted)."""


class InvalidSyncToken(Gone):
    """410 fullSyncRequired: the sync token is no longer valid."""


class PreconditionFailed(GoogleError):
    """412 conditionNotMet: the etag is stale."""


class BadRequest(GoogleError):
    """400 on the Calendar API."""


class OAuthError(GoogleError):
    """The token or revoke endpoint refused the request; ``reason`` is its ``error`` code."""


class InvalidClient(OAuthError):
    """invalid_client / unauthorized_client: the client id is unknown or the secret is wrong."""


class InvalidGrant(OAuthError):
    """invalid_grant: the code or refresh token is invalid, expired or revoked."""


class RedirectUriMismatch(OAuthError):
    """redirect_uri_mismatch: the redirect URL is not registered for the client."""


RATE_LIMIT_REASONS = {"rateLimitExceeded", "userRateLimitExceeded"}
OAUTH_ERRORS: dict[str, type[OAuthError]] = {
    "invalid_client": InvalidClient,
    "unauthorized_client": InvalidClient,
    "invalid_grant": InvalidGrant,
    "redirect_uri_mismatch": RedirectUriMismatch,
}
STATUS_ERRORS: dict[int, type[GoogleError]] = {
    400: BadRequest,
    401: AuthError,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    410: Gone,
    412: PreconditionFailed,
    429: RateLimited,
}


def _json_object(content: bytes | str | None) -> dict[str, Any]:
    if not content:
        return {}
    try:
        body = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after(value: str | None) -> float | None:
    if value and value.strip().isdigit():
        return float(value.strip())
    return None


def error_from_answer(
    status: int, content: bytes | str | None, phrase: str | None = None, retry_after: str | None = None
) -> GoogleError:
    """The typed exception for one Google answer with status >= 400: the only place statuses become types."""
    body = _json_object(content)
    error = body.get("error")
    wait = _retry_after(retry_after)
    if status == 429:
        return RateLimited("Google rate limit (429)", status, "rateLimitExceeded", retry_after=wait)
    if status == 501:  # not implemented: retrying will not help
        return GoogleError(f"Google answered 501: {phrase or 'Not Implemented'}", status, "notImplemented")
    if status >= 500:
        message = error.get("message") if isinstance(error, dict) else body.get("error_description")
        return ServerError(f"Google server error {status}: {message or phrase}", status, "backendError",
                           retry_after=wait)
    if isinstance(error, str):  # OAuth endpoints: {"error": "invalid_grant", "error_description": "..."}
        description = body.get("error_description") or error
        return OAUTH_ERRORS.get(error, OAuthError)(f"{error}: {description}", status, error)
    if not body and status == 400 and _mentions(content, "redirect_uri_mismatch"):  # the consent endpoint's page
        return RedirectUriMismatch("redirect_uri_mismatch: the redirect URL is not registered", status,
                                   "redirect_uri_mismatch")
    reason = None
    message = phrase or f"HTTP {status}"
    if isinstance(error, dict):
        message = error.get("message") or message
        details = error.get("errors") or []
        if details and isinstance(details[0], dict):
            reason = details[0].get("reason")
    if status == 403 and reason in RATE_LIMIT_REASONS:
        return RateLimited(message, status, reason, retry_after=wait)
    if status == 410 and reason == "fullSyncRequired":
        return InvalidSyncToken(message, status, reason)
    return STATUS_ERRORS.get(status, GoogleError)(message, status, reason)


def _mentions(content: bytes | str | None, text: str) -> bool:
    if isinstance(content, bytes):
        return text.encode() in content
    return bool(content) and text in str(content)


def error_from_response(response: Any) -> GoogleError:
    """The typed exception for a ``requests.Response`` with status >= 400."""
    return error_from_answer(
        response.status_code, response.content, response.reason, response.headers.get("Retry-After")
    )


def error_from_http_error(exc: Any) -> GoogleError:
    """The typed exception for google-api-python-client's ``HttpError`` (``resp`` + ``content``)."""
    resp = exc.resp
    return error_from_answer(int(resp.status), exc.content, getattr(resp, "reason", None), resp.get("retry-after"))


def error_from_refresh_error(exc: Any) -> GoogleError:
    """The typed exception for google-auth's ``RefreshError`` (its second argument is the token endpoint's JSON)."""
    answer = exc.args[1] if len(exc.args) > 1 else None
    code = answer.get("error") if isinstance(answer, dict) else None
    message = str(exc.args[0]) if exc.args else "refresh failed"
    if isinstance(code, str) and code in OAUTH_ERRORS:  # google-auth keeps the body, not the status
        return OAUTH_ERRORS[code](message, None, code)
    if getattr(exc, "retryable", False):
        return ServerError(f"the token endpoint failed: {message}", None, code or "backendError")
    return OAuthError(message, None, code if isinstance(code, str) else None)


def is_retryable(error: GoogleError) -> bool:
    return isinstance(error, RateLimited | ServerError | TransportError)
