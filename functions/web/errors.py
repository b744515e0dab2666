"""JSON errors for every HTTP function: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Request, Response

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error meant for the caller: an HTTP status, a short code, a readable message."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json", headers=headers)


def error_response(status: int, code: str, message: str, details: Any = None) -> Response:
    error: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return json_response({"error": error}, status=status)


def not_implemented(function_name: str) -> Response:
    return error_response(501, "not_implemented", f"{function_name} is not implemented yet.")


def json_errors(handler: Callable[[Request], Response]) -> Callable[[Request], Response]:
    """Turn ApiError into its JSON answer and any other exception into a 500 without a trace."""

    @wraps(handler)
    def wrapper(request: Request) -> Response:
        try:
            return handler(request)
        except ApiError as exc:
            return error_response(exc.status, exc.code, exc.message, exc.details)
        except Exception:  # noqa: BLE001 - the edge must never leak a stack trace
            log.exception("unhandled error in %s", handler.__name__)
            return error_response(500, "internal", "Internal error; it has been logged.")

    return wrapper
