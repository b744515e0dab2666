"""Sync status: a user's own (GET /status, GET /me), and every user's for the admin."""

from __future__ import annotations

from typing import Any

from functions.core import clock
from functions.core.models import Identity, UserRecord
from functions.core.views import calendar_view, connection_view, status_view
from functions.store import link_store, user_store


def me(identity: Identity) -> dict[str, Any]:
    user = user_store.ensure_user(identity, clock.now())
    return {
        "uid": identity.uid,
        "email": identity.email or user.email,
        "admin": identity.admin,
        "connection": connection_view(user.connection),
        "calendars": [calendar_view(c) for c in user.calendars],
    }


def my_status(identity: Identity) -> dict[str, Any]:
    user = user_store.get_user(identity.uid) or UserRecord(uid=identity.uid, email=identity.email)
    return status_view(user, link_store.list_links(identity.uid))


def all_status() -> dict[str, Any]:
    links = link_store.list_all_links()
    users = sorted(user_store.list_users(), key=lambda u: ((u.email or "").lower(), u.uid))
    return {"users": [status_view(u, links.get(u.uid, [])) for u in users]}
