"""The ``oauth_callback`` function: Google's redirect lands here; the single-use state (plus the
``calbridge_connect`` cookie) authenticates it. Always answers a redirect to the settings page."""

from __future__ import annotations

from urllib.parse import urlencode, urlparse

from flask import Request, Response

from functions.bootstrap import services
from functions.config import get_settings
from functions.core.oauth_state_rules import CONNECT_COOKIE
from functions.web.errors import ApiError

# (method, path) pairs this function answers, for the OpenAPI check.
ROUTES: tuple[tuple[str, str], ...] = (("GET", "/"),)


def settings_page_url(reason: str | None) -> str:
    query = {"connect": "success"} if reason is None else {"connect": "error", "reason": reason}
    return get_settings().function_url("pages") + "/?" + urlencode(query)


def handle(request: Request) -> Response:
    """Finish the connect and send the browser back to the settings page with the outcome."""
    if (request.path or "/") != "/":
        raise ApiError(404, "not_found", f"No route {request.method} {request.path}.")
    if request.method != "GET":
        raise ApiError(405, "method_not_allowed", "Only GET: this is where Google redirects the browser.",
                       headers={"Allow": "GET"})
    reason = services().connect.finish(request.args, request.cookies.get(CONNECT_COOKIE))
    response = Response(status=302, headers={"Location": settings_page_url(reason)})
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    callback_url = get_settings().function_url("oauth_callback")
    response.delete_cookie(CONNECT_COOKIE, path=urlparse(callback_url).path or "/")
    return response
