"""The ``api`` function's routes (docs/http-api.md): handlers are thin, services do the work."""

from __future__ import annotations

from urllib.parse import urlparse

from flask import Request, Response

from functions.bootstrap import services
from functions.config import get_settings
from functions.core.models import Identity
from functions.core.oauth_state_rules import CONNECT_COOKIE, STATE_TTL
from functions.services.resync_service import recreate_flag
from functions.services.settings_service import expected_redirect_url
from functions.services.status_service import needs_reauth_by_reason
from functions.web.errors import ApiError, json_response
from functions.web.router import ADMIN, USER, Route, Router, json_body, read_body
from functions.web.views import (
    admin_status_view,
    calendar_view,
    cleanup_preview_view,
    client_settings_view,
    disconnect_view,
    link_view,
    me_view,
    status_view,
    unlink_view,
)


def get_me(request: Request, identity: Identity) -> Response:
    built = services()
    user = built.connect.retry_failed_calendar_read(identity, built.status.me(identity))
    return json_response(me_view(identity, user, built.status.pending_revocations(identity)))


def get_activity_types(request: Request, identity: Identity) -> Response:
    return json_response({"activity_types": services().settings.get_activity_types()})


def put_activity_types(request: Request, identity: Identity) -> Response:
    types = services().settings.save_activity_types(identity, json_body(request))
    return json_response({"activity_types": types})


def get_admin_settings(request: Request, identity: Identity) -> Response:
    return json_response(client_settings_view(services().settings.get_client_settings(), expected_redirect_url()))


def put_admin_settings(request: Request, identity: Identity) -> Response:
    saved = services().settings.save_client_settings(identity, json_body(request))
    return json_response(client_settings_view(saved, expected_redirect_url()))


MAX_UID_LENGTH = 128  # Firebase Auth's limit


def post_user_admin(request: Request, identity: Identity, uid: str) -> Response:
    if not 0 < len(uid) <= MAX_UID_LENGTH or not uid.isprintable():
        raise ApiError(400, "invalid_request", f"The uid must be 1 to {MAX_UID_LENGTH} printable characters.",
                       {"fields": {"uid": f"1 to {MAX_UID_LENGTH} printable characters"}})
    admin = json_body(request).get("admin")
    if not isinstance(admin, bool):
        raise ApiError(400, "invalid_request", "admin must be true or false.", {"fields": {"admin": "true or false"}})
    user = services().admin.set_admin(uid, admin)
    return json_response({"uid": user.uid, "admin": user.admin})


def flag_param(request: Request, name: str) -> bool:
    """A true/false query parameter (absent: false); 400 naming it otherwise."""
    value = request.args.get(name)
    if value is None or value == "false":
        return False
    if value == "true":
        return True
    raise ApiError(400, "invalid_request", f"{name} must be true or false.", {"fields": {name: "true or false"}})


def get_admin_status(request: Request, identity: Identity) -> Response:
    attention = flag_param(request, "attention")
    rows = services().admin.users()
    return json_response(admin_status_view(rows, needs_reauth_by_reason([row.status for row in rows]), attention))


def post_connect(request: Request, identity: Identity) -> Response:
    started = services().connect.start(identity)
    response = json_response({"authorize_url": started.authorize_url})
    callback_url = get_settings().function_url("oauth_callback")
    response.set_cookie(
        CONNECT_COOKIE,
        started.browser_nonce,
        max_age=int(STATE_TTL.total_seconds()),
        path=urlparse(callback_url).path or "/",
        secure=callback_url.startswith("https://"),
        httponly=True,
        samesite="Lax",
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def post_disconnect(request: Request, identity: Identity) -> Response:
    done = services().connect.disconnect(identity)
    return json_response(disconnect_view(done.connection, done.revoked, done.revocation_pending))


def post_calendars_refresh(request: Request, identity: Identity) -> Response:
    calendars = services().connect.refresh_calendars(identity)
    return json_response({"calendars": [calendar_view(c) for c in calendars]})


def get_links(request: Request, identity: Identity) -> Response:
    status = services().status.my_status(identity)
    links = sorted(status.links, key=lambda lk: lk.activity_type)
    return json_response({"links": [link_view(lk, status.user.connection.status) for lk in links]})


def put_link(request: Request, identity: Identity, activity_type: str) -> Response:
    return json_response(link_view(services().links.put_link(identity, activity_type, json_body(request))))


def delete_link(request: Request, identity: Identity, activity_type: str) -> Response:
    """Without ``cleanup=true`` nothing in Google changes (204); with it, the exported events go too (200)."""
    cleanup = flag_param(request, "cleanup")
    result = services().link_cleanup.unlink(identity, activity_type, cleanup)
    return json_response(unlink_view(result)) if cleanup else Response(status=204)


def get_link_cleanup(request: Request, identity: Identity, activity_type: str) -> Response:
    return json_response(cleanup_preview_view(services().link_cleanup.preview(identity, activity_type)))


def post_link_resync(request: Request, identity: Identity, activity_type: str) -> Response:
    recreate = recreate_flag(json_body(request) if read_body(request) else {})
    link = services().resync.request(identity, activity_type, recreate)
    return json_response(link_view(link), status=202)


def get_status(request: Request, identity: Identity) -> Response:
    status = services().status.my_status(identity)
    return json_response(status_view(status.user, status.links))


ROUTES: tuple[Route, ...] = (
    Route("GET", "/me", get_me, USER),
    Route("GET", "/activity-types", get_activity_types, USER),
    Route("PUT", "/admin/activity-types", put_activity_types, ADMIN),
    Route("GET", "/admin/settings", get_admin_settings, ADMIN),
    Route("PUT", "/admin/settings", put_admin_settings, ADMIN),
    Route("POST", "/admin/users/{uid}/admin", post_user_admin, ADMIN),
    Route("GET", "/admin/status", get_admin_status, ADMIN),
    Route("POST", "/connect", post_connect, USER),
    Route("POST", "/disconnect", post_disconnect, USER),
    Route("POST", "/calendars/refresh", post_calendars_refresh, USER),
    Route("GET", "/links", get_links, USER),
    Route("PUT", "/links/{activity_type}", put_link, USER, rest=True),
    Route("DELETE", "/links/{activity_type}", delete_link, USER, rest=True),
    Route("GET", "/links/{activity_type}/cleanup", get_link_cleanup, USER, rest=True),
    Route("POST", "/links/{activity_type}/resync", post_link_resync, USER, rest=True),
    Route("GET", "/status", get_status, USER),
)

router = Router(ROUTES)


def handle(request: Request) -> Response:
    """Entry of the ``api`` function."""
    return router.dispatch(request)
