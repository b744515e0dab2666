"""A small route table for a JSON function: method + path pattern -> handler, with the access
level checked before the handler runs. The table is also what tests compare openapi.yaml with."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Request, Response

from functions.core.models import Identity
from functions.services.errors import DomainError
from functions.web.auth import require_admin, require_user
from functions.web.error_table import status_and_code
from functions.web.errors import ApiError

PUBLIC = "public"
USER = "user"
ADMIN = "admin"

Handler = Callable[..., Response]
_PARAM = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Route:
    """``handler(request, identity, **path_params)``; ``path`` like ``/links/{activity_type}``."""

    method: str
    path: str
    handler: Handler
    access: str = USER
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = []
        for segment in self.path.strip("/").split("/"):
            param = _PARAM.fullmatch(segment)
            parts.append(f"(?P<{param.group(1)}>[^/]+)" if param else re.escape(segment))
        object.__setattr__(self, "pattern", re.compile("^/" + "/".join(parts) + "$"))


def normalise_path(path: str) -> str:
    if not path:
        return "/"
    return path.rstrip("/") or "/"


class Router:
    """Dispatch a request to the route that matches; 404 / 405 JSON errors otherwise."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self.routes = tuple(routes)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        path = normalise_path(path)
        allowed: list[str] = []
        for route in self.routes:
            found = route.pattern.match(path)
            if found is None:
                continue
            if route.method == method:
                return route, found.groupdict()
            allowed.append(route.method)
        if allowed:
            raise ApiError(405, "method_not_allowed", f"{method} is not allowed here; use {', '.join(allowed)}.",
                           {"allowed": allowed})
        raise ApiError(404, "not_found", f"No route {method} {path}.")

    def dispatch(self, request: Request) -> Response:
        route, params = self.match(request.method, request.path)
        identity: Identity | None = None
        if route.access == ADMIN:
            identity = require_admin(request)
        elif route.access == USER:
            identity = require_user(request)
        try:
            return route.handler(request, identity, **params)
        except DomainError as exc:
            status, code = status_and_code(exc)
            raise ApiError(status, code, exc.message, exc.details) from exc


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; 400 ``invalid_json`` otherwise."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    return body
