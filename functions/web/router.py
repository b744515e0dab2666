"""A small route table for a JSON function: method + path pattern -> handler, with the access
level checked before the handler runs. The table is also what tests compare openapi.yaml with."""

from __future__ import annotations

import json
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

# The largest request body the API reads (413 ``payload_too_large`` above it; docs/http-api.md).
MAX_BODY_BYTES = 64 * 1024
_PARAM = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class Route:
    """``handler(request, identity, **path_params)``; ``path`` like ``/links/{activity_type}``.

    With ``rest``, the last parameter takes the rest of the path up to any literal segments after it
    (``/links/{activity_type}/resync``), slashes included: a name such as ``Google/events`` arrives
    percent-encoded (``%2F``) but the server hands the path over decoded.
    """

    method: str
    path: str
    handler: Handler
    access: str = USER
    rest: bool = False
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        parts = []
        segments = self.path.strip("/").split("/")
        params = [index for index, segment in enumerate(segments) if _PARAM.fullmatch(segment)]
        rest_index = params[-1] if self.rest and params else None
        for index, segment in enumerate(segments):
            param = _PARAM.fullmatch(segment)
            value = "[^/].*" if index == rest_index else "[^/]+"
            parts.append(f"(?P<{param.group(1)}>{value})" if param else re.escape(segment))
        object.__setattr__(self, "pattern", re.compile(r"\A/" + "/".join(parts) + r"\Z", re.DOTALL))


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
                           {"allowed": allowed}, headers={"Allow": ", ".join(allowed)})
        raise ApiError(404, "not_found", f"No route {method} {path}.")

    def dispatch(self, request: Request) -> Response:
        route, params = self.match(request.method, request.path)
        read_body(request)  # 413 before anything else reads an oversized body
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


def _too_large() -> ApiError:
    return ApiError(413, "payload_too_large", f"The request body is larger than {MAX_BODY_BYTES // 1024} KiB.",
                    {"max_bytes": MAX_BODY_BYTES})


def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The raw body, read at most once and never beyond ``limit`` bytes (413 above it)."""
    cached = request.environ.get("calbridge.body")
    if cached is not None:
        return bytes(cached)
    if request.content_length is not None and request.content_length > limit:
        raise _too_large()
    data = request.stream.read(limit + 1)  # also bounds a chunked body without Content-Length
    if len(data) > limit:
        raise _too_large()
    request.environ["calbridge.body"] = data
    return data


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object; 400 ``invalid_json`` (saying why) otherwise, 413 if too large."""
    data = read_body(request)
    try:
        body = json.loads(data.decode("utf-8"), parse_constant=_reject_constant) if data else None
    except UnicodeDecodeError as exc:
        raise ApiError(400, "invalid_json", "The request body is not UTF-8.") from exc
    except RecursionError as exc:
        raise ApiError(400, "invalid_json", "The request body is nested too deeply to be read.") from exc
    except ValueError as exc:
        raise ApiError(400, "invalid_json", f"The request body is not valid JSON: {exc}.") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "The request body must be a JSON object.")
    unstorable = unstorable_text(body)
    if unstorable:
        raise ApiError(400, "invalid_json", "The request body holds text that cannot be stored or sent to Google: "
                       "a lone UTF-16 surrogate or a NUL character.", {"fields": unstorable})
    return body


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


# A lone surrogate (an unpaired "\ud800" escape) cannot be encoded as UTF-8, so Firestore and Google refuse it;
# NUL ends strings in too many places to be kept safely.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_text(value: Any) -> dict[str, str]:
    """Where a parsed JSON value holds a lone surrogate or NUL (in a key or a string), as ``{path: message}``
    with paths like ``subject`` or ``attendees[0].display_name``; empty when it holds none. Iterative: a body
    nested as deep as the parser allows must not exhaust the stack here."""
    found: dict[str, str] = {}
    pending: list[tuple[str, Any]] = [("", value)]
    while pending:
        path, item = pending.pop()
        if isinstance(item, str):
            if _UNSTORABLE.search(item):
                found[path or "body"] = "holds a lone surrogate or a NUL character."
        elif isinstance(item, dict):
            for key, child in item.items():
                where = f"{path}.{key}" if path else str(key)
                if _UNSTORABLE.search(str(key)):
                    found[_UNSTORABLE.sub("?", where)] = "a field name with a lone surrogate or a NUL character."
                else:
                    pending.append((where, child))
        elif isinstance(item, list):
            pending.extend((f"{path}[{index}]", child) for index, child in enumerate(item))
    return found
