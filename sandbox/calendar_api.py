"""Calendar v3 routes under ``/calendar/v3``."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, request

from . import errors
from .app import apply_faults, json_response, sandbox, set_method
from .auth import ANY_CALENDAR, CALENDAR_LIST_READ, CALENDARS_READ, EVENTS_READ, EVENTS_WRITE, authenticate
from .schema import apply_fields, parse_fields, validate_body, validate_query
from .timeutil import get_zone

bp = Blueprint("calendar", __name__, url_prefix="/calendar/v3")

MAX_TTL = 30 * 24 * 3600
DEFAULT_TTL = 7 * 24 * 3600


class Call:
    """What a handler gets: the account, typed query params, the grant."""

    def __init__(self, email: str, params: dict[str, Any], grant: dict[str, Any]) -> None:
        self.email = email
        self.params = params
        self.grant = grant


class Tagged:
    """A resource answered with an ``ETag`` header (and 304 to a matching ``If-None-Match``)."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.etag: str = body["etag"]


def etag_matches(etag: str, header: str | None) -> bool:
    """Whether an ``If-None-Match`` / ``If-Match`` header names ``etag`` (or ``*``)."""
    if header is None:
        return False
    wanted = [t.strip() for t in header.split(",")]
    return "*" in wanted or etag in wanted or etag.strip('"') in wanted


def _answer(result: Any, params: dict[str, Any]) -> Response:
    if isinstance(result, Response):
        return result
    etag = None
    if isinstance(result, Tagged):
        etag, result = result.etag, result.body
        if etag_matches(etag, request.headers.get("If-None-Match")):
            return Response(status=304, headers={"ETag": etag})
    if "fields" in params and params["fields"]:
        result = apply_fields(result, parse_fields(params["fields"]))
    return json_response(result, headers={"ETag": etag} if etag else None)


def api(method_id: str, scopes: set[str]) -> Callable[[Callable[..., Any]], Callable[..., Response]]:
    def deco(fn: Callable[..., Any]) -> Callable[..., Response]:
        @functools.wraps(fn)
        def wrapper(**kwargs: Any) -> Response:
            set_method(method_id)
            apply_faults(is_api_call=True)
            params = validate_query(method_id, request.args)
            grant = authenticate(sandbox().state, scopes)
            return _answer(fn(Call(grant["email"], params, grant), **kwargs), params)

        return wrapper

    return deco


def body_json(schema: str) -> dict[str, Any]:
    raw = request.get_data(cache=True)
    if not raw:
        raise errors.required("Required", None)
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise errors.parse_error() from exc
    validate_body(schema, body)
    return body


def no_content() -> Response:
    return Response(status=204)


def out_tz(call: Call, cal: dict[str, Any]) -> Any:
    if "timeZone" in call.params:
        z = get_zone(call.params["timeZone"])
        if z is None:
            raise errors.invalid_parameter("timeZone", "Invalid time zone: " + call.params["timeZone"])
        return z
    return get_zone(cal["timeZone"])


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def webhook_address_allowed(address: str) -> bool:
    """Google delivers only to HTTPS addresses. The sandbox's one exception: plain HTTP to a loopback
    host, where the dev stack and the tests serve the functions (no certificate there)."""
    parts = urlsplit(address)
    if not parts.hostname:
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def events_resource_id(calendar_id: str) -> str:
    """The id of the watched resource (a calendar's events): the same for every channel on it."""
    digest = hashlib.sha256(f"events:{calendar_id}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()[:27]


# ------------------------------------------------------------------ calendarList / calendars


@bp.get("/users/me/calendarList")
@api("calendar.calendarList.list", CALENDAR_LIST_READ)
def calendar_list(call: Call) -> Any:
    sb = sandbox()
    with sb.state.lock:
        return sb.service.calendar_list(call.email, call.params)


@bp.get("/users/me/calendarList/<cid>")
@api("calendar.calendarList.get", CALENDAR_LIST_READ)
def calendar_list_get(call: Call, cid: str) -> Any:
    sb = sandbox()
    with sb.state.lock:
        return sb.service.calendar_list_entry(sb.service.resolve_calendar(call.email, cid))


@bp.get("/calendars/<cid>")
@api("calendar.calendars.get", CALENDARS_READ)
def calendars_get(call: Call, cid: str) -> Any:
    sb = sandbox()
    with sb.state.lock:
        return sb.service.calendar_resource(sb.service.resolve_calendar(call.email, cid))


# ------------------------------------------------------------------ events


@bp.get("/calendars/<cid>/events")
@api("calendar.events.list", EVENTS_READ)
def events_list(call: Call, cid: str) -> Any:
    sb = sandbox()
    with sb.state.lock:
        cal = sb.service.resolve_calendar(call.email, cid)
        return sb.service.list_events(cal, call.params)


@bp.get("/calendars/<cid>/events/<eid>")
@api("calendar.events.get", EVENTS_READ)
def events_get(call: Call, cid: str, eid: str) -> Any:
    sb = sandbox()
    with sb.state.lock:
        cal = sb.service.resolve_calendar(call.email, cid)
        return Tagged(sb.service.get(cal, eid, out_tz(call, cal), call.params.get("maxAttendees")))


@bp.get("/calendars/<cid>/events/<eid>/instances")
@api("calendar.events.instances", EVENTS_READ)
def events_instances(call: Call, cid: str, eid: str) -> Any:
    sb = sandbox()
    with sb.state.lock:
        cal = sb.service.resolve_calendar(call.email, cid)
        return sb.service.instances(cal, eid, call.params)


@bp.post("/calendars/<cid>/events")
@api("calendar.events.insert", EVENTS_WRITE)
def events_insert(call: Call, cid: str) -> Any:
    sb = sandbox()
    with sb.state.lock:
        cal = sb.service.resolve_calendar(call.email, cid)
        body = body_json("Event")
        rec = sb.service.insert(cal, body)
        return sb.service.render(rec, cal, out_tz(call, cal), call.params.get("maxAttendees"))


def _write(call: Call, cid: str, eid: str, patch: bool) -> Any:
    sb = sandbox()
    with sb.state.lock:
        cal = sb.service.resolve_calendar(call.email, cid)
        body = body_json("Event")
        rec = sb.service.write(cal, eid, body, patch=patch, if_match=request.headers.get("If-Match"))
        return sb.service.render(rec, cal, out_tz(call, cal), call.params.get("maxAttendees"))


@bp.put("/calendars/<cid>/events/<eid>")
@api("calendar.events.update", EVENTS_WRITE)
def events_update(call: Call, cid: str, eid: str) -> Any:
    return _write(call, cid, eid, patch=False)


@bp.patch("/calendars/<cid>/events/<eid>")
@api("calendar.events.patch", EVENTS_WRITE)
def events_patch(call: Call, cid: str, eid: str) -> Any:
    return _write(call, cid, eid, patch=True)


@bp.delete("/calendars/<cid>/events/<eid>")
@api("calendar.events.delete", EVENTS_WRITE)
def events_delete(call: Call, cid: str, eid: str) -> Any:
    sb = sandbox()
    with sb.state.lock:
        cal = sb.service.resolve_calendar(call.email, cid)
        sb.service.delete(cal, eid, if_match=request.headers.get("If-Match"))
    return no_content()


@bp.post("/calendars/<cid>/events/<eid>/move")
@api("calendar.events.move", EVENTS_WRITE)
def events_move(call: Call, cid: str, eid: str) -> Any:
    sb = sandbox()
    with sb.state.lock:
        cal = sb.service.resolve_calendar(call.email, cid)
        dest = sb.service.resolve_calendar(call.email, call.params["destination"])
        rec = sb.service.move(cal, eid, dest)
        return sb.service.render(rec, dest, out_tz(call, dest))


@bp.post("/calendars/<cid>/events/watch")
@api("calendar.events.watch", EVENTS_READ)
def events_watch(call: Call, cid: str) -> Any:
    sb = sandbox()
    body = body_json("Channel")
    chan_id = body.get("id")
    if not chan_id or not isinstance(chan_id, str):
        raise errors.required("Required", "resource.id")
    if len(chan_id) > 64 or not all(c.isalnum() or c in "-_+/=" for c in chan_id):
        raise errors.invalid("Invalid channel id: " + chan_id)
    if body.get("type") not in ("web_hook", "webhook"):
        raise errors.invalid("Invalid value for: type", reason="invalid")
    address = body.get("address")
    if not address or not isinstance(address, str):
        raise errors.required("Required", "resource.address")
    if not webhook_address_allowed(address):
        raise errors.invalid("WebHook callback must be HTTPS: " + address, reason="push.webhookUrlNotHttps",
                             domain="push")
    token = body.get("token")
    if token is not None and len(token) > 256:
        raise errors.invalid("Channel token too long (at most 256 characters).")
    ttl = DEFAULT_TTL
    params = body.get("params") or {}
    if "ttl" in params:
        try:
            ttl = int(params["ttl"])
        except (TypeError, ValueError) as exc:
            raise errors.invalid("Invalid value for: params.ttl") from exc
        if ttl <= 0:
            raise errors.invalid("Invalid value for: params.ttl")
        ttl = min(ttl, MAX_TTL)
    with sb.state.lock:
        cal = sb.service.resolve_calendar(call.email, cid)
        if cal.get("_push_unsupported") or not sb.state.push_supported:
            raise errors.invalid("Push notifications are not supported by this resource.",
                                 reason="pushNotSupportedForRequestedResource")
        if chan_id in sb.state.channels:
            raise errors.invalid(f"Channel id {chan_id} not unique", reason="channelIdNotUnique")
        expiration = int((time.time() + ttl) * 1000)
        channel = {
            "kind": "api#channel",
            "id": chan_id,
            "resourceId": events_resource_id(cal["id"]),
            "resourceUri": f"{request.host_url}calendar/v3/calendars/{cid}/events?alt=json",
            "expiration": str(expiration),
        }
        if token is not None:
            channel["token"] = token
        sb.state.channels[chan_id] = {
            **channel,
            "address": address,
            "calendar_id": cal["id"],
            "client_id": call.grant["client_id"],
            "email": call.email,
            "message_number": 0,
        }
        sb.state.dirty = True
    sb.push.notify_sync(chan_id)
    return channel


@bp.post("/channels/stop")
@api("calendar.channels.stop", ANY_CALENDAR)
def channels_stop(call: Call) -> Any:
    sb = sandbox()
    body = body_json("Channel")
    chan_id, resource_id = body.get("id"), body.get("resourceId")
    if not chan_id:
        raise errors.required("Required", "resource.id")
    if not resource_id:
        raise errors.required("Required", "resource.resourceId")
    with sb.state.lock:
        ch = sb.state.channels.get(chan_id)
        if (
            ch is None
            or ch["resourceId"] != resource_id
            or ch["client_id"] != call.grant["client_id"]
            or int(ch["expiration"]) <= int(time.time() * 1000)
        ):
            raise errors.ApiError(404, "notFound", f"Channel '{chan_id}' not found for project")
        del sb.state.channels[chan_id]
        sb.state.dirty = True
    sb.push.stop_channel(chan_id)
    return no_content()


# Methods in the discovery document the sandbox deliberately does not implement.
_UNSUPPORTED = [
    ("/calendars/<cid>/events/import", "POST", "calendar.events.import"),
    ("/calendars/<cid>/events/quickAdd", "POST", "calendar.events.quickAdd"),
]


def _unsupported_view(name: str) -> Callable[..., Response]:
    def view(**_: Any) -> Response:
        set_method(name)
        return json_response(
            errors.ApiError(501, "notImplemented", f"{name} is not implemented by the sandbox").body(), 501
        )

    view.__name__ = "unsupported_" + name.replace(".", "_")
    return view


for _rule, _verb, _name in _UNSUPPORTED:
    bp.add_url_rule(_rule, view_func=_unsupported_view(_name), methods=[_verb])
