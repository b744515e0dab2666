"""Every Google failure as one typed exception; HTTP answers become exceptions here only."""

from __future__ import annotations

from typing import Any


class GoogleError(Exception):
    """Base of every error from Google (or from reaching it)."""

    def __init__(self, message: str, status: int | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason


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


def _body(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def error_from_response(response: Any) -> GoogleError:
    """The typed exception for a Google answer with status >= 400 (a ``requests.Response``)."""
    status: int = response.status_code
    body = _body(response)
    error = body.get("error")
    if status == 429:
        return RateLimited("Google rate limit (429)", status, "rateLimitExceeded")
    if status >= 500:
        message = error.get("message") if isinstance(error, dict) else body.get("error_description")
        return ServerError(f"Google server error {status}: {message or response.reason}", status, "backendError")
    if isinstance(error, str):  # OAuth endpoints: {"error": "invalid_grant", "error_description": "..."}
        description = body.get("error_description") or error
        return OAUTH_ERRORS.get(error, OAuthError)(f"{error}: {description}", status, error)
    reason = None
    message = response.reason or f"HTTP {status}"
    if isinstance(error, dict):
        message = error.get("message") or message
        details = error.get("errors") or []
        if details and isinstance(details[0], dict):
            reason = details[0].get("reason")
    if status == 403 and reason in RATE_LIMIT_REASONS:
        return RateLimited(message, status, reason)
    if status == 410 and reason == "fullSyncRequired":
        return InvalidSyncToken(message, status, reason)
    return STATUS_ERRORS.get(status, GoogleError)(message, status, reason)


def is_retryable(error: GoogleError) -> bool:
    return isinstance(error, RateLimited | ServerError | TransportError)
