"""Google-shaped API errors.

Every Calendar API error body has the shape
``{"error": {"errors": [{"domain", "reason", "message", ["locationType", "location"]}],
"code": N, "message": "..."}}``.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answered with Google's JSON error body."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        domain: str = "global",
        location_type: str | None = None,
        location: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.domain = domain
        self.location_type = location_type
        self.location = location
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        item: dict[str, Any] = {"domain": self.domain, "reason": self.reason, "message": self.message}
        if self.location_type:
            item["locationType"] = self.location_type
        if self.location:
            item["location"] = self.location
        return {"error": {"errors": [item], "code": self.code, "message": self.message}}


def not_found() -> ApiError:
    return ApiError(404, "notFound", "Not Found")


def deleted() -> ApiError:
    return ApiError(410, "deleted", "Resource has been deleted")


def duplicate() -> ApiError:
    return ApiError(409, "duplicate", "The requested identifier already exists.")


def condition_not_met() -> ApiError:
    return ApiError(412, "conditionNotMet", "Precondition Failed", location_type="header", location="If-Match")


def full_sync_required() -> ApiError:
    return ApiError(
        410,
        "fullSyncRequired",
        "Sync token is no longer valid, a full sync is required.",
        domain="calendar",
        location_type="parameter",
        location="syncToken",
    )


def updated_min_too_long_ago() -> ApiError:
    return ApiError(
        410,
        "updatedMinTooLongAgo",
        "The requested minimum modification time lies too far in the past.",
        domain="calendar",
        location_type="parameter",
        location="updatedMin",
    )


def auth_error() -> ApiError:
    return ApiError(
        401,
        "authError",
        "Invalid Credentials",
        location_type="header",
        location="Authorization",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'},
    )


def login_required() -> ApiError:
    """No credentials at all (Google's answer differs from a bad token's)."""
    return ApiError(
        401,
        "required",
        "Login Required",
        location_type="header",
        location="Authorization",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
    )


def insufficient_permissions() -> ApiError:
    return ApiError(
        403, "insufficientPermissions", "Insufficient Permission: Request had insufficient authentication scopes."
    )


def invalid(message: str, reason: str = "invalid", domain: str = "global") -> ApiError:
    return ApiError(400, reason, message, domain=domain)


def invalid_parameter(name: str, message: str | None = None) -> ApiError:
    return ApiError(
        400,
        "invalidParameter",
        message or f"Invalid value for parameter: {name}",
        location_type="parameter",
        location=name,
    )


def required(message: str, location: str | None = None) -> ApiError:
    return ApiError(400, "required", message, location_type="parameter" if location else None, location=location)


def time_range_empty(location: str | None = None) -> ApiError:
    return ApiError(
        400,
        "timeRangeEmpty",
        "The specified time range is empty.",
        domain="calendar",
        location_type="parameter" if location else None,
        location=location,
    )


def parse_error() -> ApiError:
    return ApiError(400, "parseError", "Parse Error")


FAULT_DEFAULTS: dict[int, tuple[str, str, str]] = {
    # status: (domain, reason, message)
    429: ("usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
    403: ("usageLimits", "rateLimitExceeded", "Rate Limit Exceeded"),
    500: ("global", "backendError", "Backend Error"),
    503: ("global", "backendError", "The service is currently unavailable."),
}


def fault_error(status: int, reason: str | None = None) -> ApiError:
    domain, default_reason, message = FAULT_DEFAULTS[status]
    if reason and reason != default_reason:
        if reason in ("userRateLimitExceeded", "rateLimitExceeded", "quotaExceeded", "dailyLimitExceeded"):
            domain = "usageLimits"
            message = {
                "userRateLimitExceeded": "User Rate Limit Exceeded",
                "quotaExceeded": "Calendar usage limits exceeded.",
                "dailyLimitExceeded": "Daily Limit Exceeded",
            }.get(reason, message)
        return ApiError(status, reason, message, domain=domain)
    return ApiError(status, default_reason, message, domain=domain)
