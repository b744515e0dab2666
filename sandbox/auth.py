"""Bearer access-token checks and scope sets."""

from __future__ import annotations

import time
from typing import Any

from flask import request

from . import errors
from .state import State

P = "https://www.googleapis.com/auth/"
CALENDAR = P + "calendar"
KNOWN_SCOPES = {
    CALENDAR,
    P + "calendar.readonly",
    P + "calendar.events",
    P + "calendar.events.readonly",
    P + "calendar.calendarlist.readonly",
    P + "calendar.calendarlist",
    P + "userinfo.email",
    P + "userinfo.profile",
    "openid",
}
SCOPE_ALIASES = {"email": P + "userinfo.email", "profile": P + "userinfo.profile", "openid": "openid"}

EVENTS_READ = {CALENDAR, P + "calendar.readonly", P + "calendar.events", P + "calendar.events.readonly"}
EVENTS_WRITE = {CALENDAR, P + "calendar.events"}
CALENDAR_LIST_READ = {
    CALENDAR,
    P + "calendar.readonly",
    P + "calendar.calendarlist.readonly",
    P + "calendar.calendarlist",
}
CALENDARS_READ = {CALENDAR, P + "calendar.readonly"}
ANY_CALENDAR = EVENTS_READ | CALENDAR_LIST_READ


def normalize_scopes(scopes: list[str]) -> list[str] | None:
    """Full scope URLs in request order without duplicates; None if any is unknown."""
    out: list[str] = []
    for s in scopes:
        full = SCOPE_ALIASES.get(s, s)
        if full not in KNOWN_SCOPES:
            return None
        if full not in out:
            out.append(full)
    return out


def has_credentials() -> bool:
    """Whether the request carries any credentials (header or query parameter)."""
    args = request.args
    return bool(request.headers.get("Authorization") or args.get("oauth_token") or args.get("access_token"))


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header:
        parts = header.split(None, 1)
        if len(parts) == 2 and parts[0].lower() == "bearer":
            return parts[1].strip()
        return None
    return request.args.get("oauth_token") or request.args.get("access_token")


def authenticate(state: State, required: set[str]) -> dict[str, Any]:
    """The grant behind the request's access token; 401 / 403 otherwise.

    The grant's ``scopes`` are those of the access token (a refresh may narrow them).
    """
    if not has_credentials():
        raise errors.login_required()
    token = bearer_token()
    with state.lock:
        info = state.access_tokens.get(token or "")
        if info is None or info["expires_at"] <= time.time():
            raise errors.auth_error()
        grant = state.grants.get(info["grant_id"])
        if grant is None or grant.get("revoked") or grant["email"] not in state.accounts:
            raise errors.auth_error()
        scopes = info.get("scopes") or grant["scopes"]
        if not required & set(scopes):
            raise errors.insufficient_permissions()
        return {**grant, "scopes": list(scopes)}
