"""Control API under ``/_sandbox/`` (JSON in/out) for tests, benchmarks and the dev stack."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from flask import Blueprint, Response, request

from . import errors
from .app import json_response, sandbox
from .auth import CALENDAR, normalize_scopes
from .oauth import CLIENT_ID_RE, issue_tokens, revoke_grant_ids
from .schema import validate_body
from .timeutil import get_zone

bp = Blueprint("control", __name__, url_prefix="/_sandbox")


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def _fail(status: int, message: str) -> Response:
    return json_response({"error": message}, status)


@bp.get("/health")
def health() -> Response:
    return json_response({"ok": True})


@bp.post("/reset")
def reset() -> Response:
    sb = sandbox()
    sb.push.stop_all()
    sb.state.reset()
    return json_response({"ok": True})


@bp.post("/config")
def config() -> Response:
    sb = sandbox()
    body = _body()
    with sb.state.lock:
        if "push_retry_base_seconds" in body:
            sb.state.push_retry_base = float(body["push_retry_base_seconds"])
        if "push_max_attempts" in body:
            sb.state.push_max_attempts = int(body["push_max_attempts"])
        if "access_token_ttl" in body:
            sb.state.access_token_ttl = int(body["access_token_ttl"])
        if "updated_min_horizon_days" in body:
            sb.state.updated_min_horizon_days = float(body["updated_min_horizon_days"])
        if "push_supported" in body:
            if not isinstance(body["push_supported"], bool):
                return _fail(400, "push_supported must be true or false")
            sb.state.push_supported = body["push_supported"]
        return json_response(
            {
                "push_supported": sb.state.push_supported,
                "push_retry_base_seconds": sb.state.push_retry_base,
                "push_max_attempts": sb.state.push_max_attempts,
                "access_token_ttl": sb.state.access_token_ttl,
                "updated_min_horizon_days": sb.state.updated_min_horizon_days,
            }
        )


@bp.post("/oauth-clients")
def create_oauth_client() -> Response:
    sb = sandbox()
    body = _body()
    client_id, secret, uris = body.get("client_id"), body.get("client_secret"), body.get("redirect_uris")
    if not isinstance(client_id, str) or not CLIENT_ID_RE.match(client_id):
        return _fail(400, "client_id must look like <digits>-<alnum>.apps.googleusercontent.com")
    if not isinstance(secret, str) or not secret:
        return _fail(400, "client_secret required")
    if not isinstance(uris, list) or not all(
        isinstance(u, str) and u.startswith(("http://", "https://")) for u in uris
    ):
        return _fail(400, "redirect_uris must be a list of absolute http(s) URLs")
    with sb.state.lock:
        if client_id in sb.state.clients:
            return _fail(409, "client exists")
        sb.state.clients[client_id] = {"client_id": client_id, "client_secret": secret, "redirect_uris": list(uris)}
        sb.state.dirty = True
        return json_response(sb.state.clients[client_id])


@bp.get("/accounts")
def list_accounts() -> Response:
    sb = sandbox()
    with sb.state.lock:
        return json_response([dict(a) for a in sb.state.accounts.values()])


@bp.post("/accounts")
def create_account() -> Response:
    sb = sandbox()
    body = _body()
    with sb.state.lock:
        try:
            account = sb.service.create_account(body.get("email", ""), body.get("name"), body.get("time_zone", "UTC"))
        except ValueError as exc:
            return _fail(409 if "exists" in str(exc) else 400, str(exc))
        return json_response(account)


@bp.post("/accounts/<email>/calendars")
def create_calendar(email: str) -> Response:
    sb = sandbox()
    body = _body()
    tz = body.get("time_zone")
    if tz is not None and get_zone(tz) is None:
        return _fail(400, "unknown time zone")
    with sb.state.lock:
        if email not in sb.state.accounts:
            return _fail(404, "unknown account")
        cal = sb.service.create_calendar(email, body.get("summary") or "Calendar", tz)
        if body.get("push_supported") is False:  # like Google's holiday and birthday calendars
            sb.state.calendars[cal["id"]]["_push_unsupported"] = True
        return json_response({k: v for k, v in cal.items() if not k.startswith("_")})


@bp.post("/tokens")
def issue_access_token() -> Response:
    sb = sandbox()
    body = _body()
    scopes = normalize_scopes(body.get("scopes") or [CALENDAR])
    if scopes is None:
        return _fail(400, "unknown scope")
    with sb.state.lock:
        if body.get("email") not in sb.state.accounts:
            return _fail(404, "unknown account")
        if body.get("client_id") not in sb.state.clients:
            return _fail(404, "unknown client")
        return json_response(issue_tokens(sb.state, body["email"], body["client_id"], scopes, with_refresh=True))


@bp.post("/revoke-grant")
def revoke_grant() -> Response:
    sb = sandbox()
    body = _body()
    with sb.state.lock:
        ids = [
            g["id"]
            for g in sb.state.grants.values()
            if g["email"] == body.get("email") and g["client_id"] == body.get("client_id") and not g["revoked"]
        ]
        revoke_grant_ids(sb.state, ids)
        return json_response({"revoked": len(ids)})


@bp.post("/expire-access-tokens")
def expire_access_tokens() -> Response:
    sb = sandbox()
    email = _body().get("email")
    n = 0
    with sb.state.lock:
        for info in sb.state.access_tokens.values():
            grant = sb.state.grants.get(info["grant_id"], {})
            if email is None or grant.get("email") == email:
                info["expires_at"] = time.time() - 1
                n += 1
        sb.state.dirty = True
    return json_response({"expired": n})


@bp.post("/expire-sync-tokens")
def expire_sync_tokens() -> Response:
    sb = sandbox()
    body = _body()
    with sb.state.lock:
        n = sb.service.expire_sync_tokens(email=body.get("email"), calendar_id=body.get("calendar_id"))
        sb.state.dirty = True
    return json_response({"expired": n})


# ------------------------------------------------------------------ owner edits (Google UI)


def _owner_calendar(email: str, cid: str) -> dict[str, Any]:
    sb = sandbox()
    if email not in sb.state.accounts:
        raise errors.not_found()
    return sb.service.resolve_calendar(email, cid)


@bp.errorhandler(errors.ApiError)
def _control_api_error(exc: errors.ApiError) -> Response:
    return json_response(exc.body(), exc.code)


@bp.get("/accounts/<email>/calendars/<cid>/events")
def owner_list_events(email: str, cid: str) -> Response:
    sb = sandbox()
    with sb.state.lock:
        cal = _owner_calendar(email, cid)
        tz = get_zone(cal["timeZone"])
        return json_response([sb.service.render(r, cal, tz) for r in sb.state.events[cal["id"]].values()])  # type: ignore[arg-type]


@bp.get("/accounts/<email>/calendars/<cid>/events/<eid>")
def owner_get_event(email: str, cid: str, eid: str) -> Response:
    sb = sandbox()
    with sb.state.lock:
        cal = _owner_calendar(email, cid)
        return json_response(sb.service.get(cal, eid))


@bp.post("/accounts/<email>/calendars/<cid>/events")
def owner_insert_event(email: str, cid: str) -> Response:
    sb = sandbox()
    body = _body()
    validate_body("Event", body)
    with sb.state.lock:
        cal = _owner_calendar(email, cid)
        rec = sb.service.insert(cal, body)
        return json_response(sb.service.render(rec, cal, get_zone(cal["timeZone"])))  # type: ignore[arg-type]


@bp.patch("/accounts/<email>/calendars/<cid>/events/<eid>")
def owner_patch_event(email: str, cid: str, eid: str) -> Response:
    sb = sandbox()
    body = _body()
    validate_body("Event", body)
    with sb.state.lock:
        cal = _owner_calendar(email, cid)
        rec = sb.service.write(cal, eid, body, patch=True, if_match=None)
        return json_response(sb.service.render(rec, cal, get_zone(cal["timeZone"])))  # type: ignore[arg-type]


@bp.delete("/accounts/<email>/calendars/<cid>/events/<eid>")
def owner_delete_event(email: str, cid: str, eid: str) -> Response:
    sb = sandbox()
    with sb.state.lock:
        cal = _owner_calendar(email, cid)
        sb.service.delete(cal, eid, if_match=None)
    return json_response({"ok": True})


# ------------------------------------------------------------------ faults, log, channels


@bp.post("/faults")
def inject_fault() -> Response:
    sb = sandbox()
    body = _body()
    status, delay = body.get("status"), body.get("delay_seconds")
    if (status is None) == (delay is None):
        return _fail(400, "give exactly one of status or delay_seconds")
    if status is not None and status not in (429, 403, 500, 503):
        return _fail(400, "status must be 429, 403, 500 or 503")
    if delay is not None and (not isinstance(delay, (int, float)) or delay < 0):
        return _fail(400, "delay_seconds must be a non-negative number")
    count, rate = body.get("count"), body.get("rate")
    if count is None and rate is None:
        count = 1
    if count is not None and rate is not None:
        return _fail(400, "give count or rate, not both")
    if rate is not None and not (isinstance(rate, (int, float)) and 0 <= rate <= 1):
        return _fail(400, "rate must be within 0..1")
    if count is not None and (not isinstance(count, int) or count < 1):
        return _fail(400, "count must be a positive integer")
    fault = {
        "id": len(sb.state.faults) + 1,
        "status": status,
        "delay_seconds": delay,
        "count": count,
        "rate": rate,
        "path_contains": body.get("path_contains"),
        "reason": body.get("reason"),
        "hits": 0,
    }
    with sb.state.lock:
        sb.state.faults.append(fault)
    return json_response(fault)


@bp.delete("/faults")
def clear_faults() -> Response:
    sb = sandbox()
    with sb.state.lock:
        sb.state.faults = []
    return json_response({"ok": True})


@bp.get("/faults")
def list_faults() -> Response:
    sb = sandbox()
    with sb.state.lock:
        return json_response([dict(f) for f in sb.state.faults])


@bp.get("/request-log")
def request_log() -> Response:
    sb = sandbox()
    with sb.state.lock:
        return json_response(list(sb.state.log))


@bp.get("/request-counts")
def request_counts() -> Response:
    sb = sandbox()
    with sb.state.lock:
        return json_response(dict(Counter(e["method"] for e in sb.state.log)))


@bp.delete("/request-log")
def clear_request_log() -> Response:
    sb = sandbox()
    with sb.state.lock:
        sb.state.log = []
    return json_response({"ok": True})


@bp.get("/channels")
def channels() -> Response:
    sb = sandbox()
    return json_response(sb.push.live_channels())


@bp.post("/expire-channels")
def expire_channels() -> Response:
    sb = sandbox()
    channel_id = _body().get("channel_id")
    n = 0
    with sb.state.lock:
        for ch in sb.state.channels.values():
            if channel_id is None or ch["id"] == channel_id:
                ch["expiration"] = str(int(time.time() * 1000) - 1)
                n += 1
        sb.state.dirty = True
    return json_response({"expired": n})
