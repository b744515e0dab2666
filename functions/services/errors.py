"""Refusals of the use cases, with the HTTP status and code the API answers them with."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A use case refused: ``status`` and ``code`` as in docs/http-api.md, a readable message."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: Any = None, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code


class NotConfigured(ServiceError):
    status = 409
    code = "not_configured"


class NotConnected(ServiceError):
    status = 409
    code = "not_connected"


class NeedsReauth(ServiceError):
    status = 409
    code = "needs_reauth"


class GoogleUnavailable(ServiceError):
    status = 502
    code = "google_unavailable"


def field_errors(fields: dict[str, str]) -> dict[str, Any]:
    return {"fields": fields}
