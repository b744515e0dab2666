"""JSON errors for every HTTP function: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Request, Response

from functions.config import ConfigError, get_settings

log = logging.getLogger(__name__)

# Every JSON answer: never sniffed as something else, never stored by a cache or the browser.
JSON_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


class ApiError(Exception):
    """An error meant for the caller: an HTTP status, a short code, a readable message."""

    def __init__(
        self, status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    response = Response(json.dumps(body), status=status, mimetype="application/json", headers=JSON_HEADERS)
    if headers:
        response.headers.update(headers)
    return response


def error_response(
    status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return json_response({"error": error}, status=status, headers=headers)


def not_implemented(function_name: str) -> Response:
    return error_response(501, "not_implemented", f"{function_name} is not implemented yet.")


def misconfigured(exc: ConfigError) -> Response:
    """A function that cannot run with this configuration says so (and logs it) on every request."""
    log.critical("refusing the request: %s", exc)
    return error_response(500, "misconfigured", f"calbridge is not configured correctly: {exc}")


def json_errors(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """Check the configuration first (an unsafe one refuses every request), then turn ApiError
    into its JSON answer and any other exception into a 500 without a trace."""

    @wraps(handler)
    def wrapper(request: Request) -> Response:
        try:
            get_settings()  # raises ConfigError for an unsafe setup (emulators outside a demo- project)
            return handler(request)
        except ApiError as exc:
            return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)
        except ConfigError as exc:
            return misconfigured(exc)
        except Exception:  # noqa: BLE001 - the edge must never leak a stack trace
            log.exception("unhandled error in %s", handler.__name__)
            return error_response(500, "internal", "Internal error; it has been logged.")

    return wrapper
