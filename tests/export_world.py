"""A world for export tests and the export bench: stores, a Google account in the sandbox, a connected user
with links. Works on either backend pair (in-memory + in-process sandbox, or Firestore + the sandbox over HTTP).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.core.models import CalendarEntry, GoogleClientSettings, Identity, Link, TokenSet
from functions.store.ports import Stores

CLIENT_ID = "123456789012-export0world.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-export-world-secret"
REDIRECT_URL = "http://127.0.0.1:9/oauth_callback"
SCOPE = "https://www.googleapis.com/auth/calendar"


def configure_client(stores: Stores, control: Any) -> None:
    """The admin's Google client, in the sandbox and in ``config/google``."""
    control.create_oauth_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URL])
    stores.config.save_google_settings(GoogleClientSettings("AIza-key", CLIENT_ID, CLIENT_SECRET, REDIRECT_URL))


@dataclass(frozen=True)
class ConnectedUser:
    uid: str
    email: str
    calendars: dict[str, str]  # summary -> Google calendar id


def connect_user(
    stores: Stores, control: Any, uid: str, email: str, calendars: dict[str, str], now: datetime | None = None
) -> ConnectedUser:
    """A Google account with calendars (summary -> time zone), connected in calbridge (tokens stored)."""
    now = now or datetime.now(UTC)
    control.create_account(email, uid.title())
    made = {name: control.create_calendar(email, name, time_zone=zone)["id"] for name, zone in calendars.items()}
    granted = control.issue_access_token(email, CLIENT_ID, [SCOPE])
    tokens = TokenSet(granted["access_token"], now + timedelta(seconds=int(granted.get("expires_in", 3600))),
                      granted["refresh_token"], (SCOPE,))
    entries = [CalendarEntry(email, email, primary=True, access_role="owner")] + [
        CalendarEntry(cid, summary, access_role="owner", time_zone=calendars[summary]) for summary, cid in made.items()
    ]
    stores.users.ensure_user(Identity(uid, email, False), now)
    uow = stores.unit_of_work()
    stores.users.stage_connection(uow, uid, tokens, entries, email, CLIENT_ID, now)
    uow.commit()
    return ConnectedUser(uid, email, made)


def link(stores: Stores, uid: str, activity_type: str, calendar_id: str, export: bool = True) -> None:
    stores.links.put_link_checked(
        uid, activity_type, lambda _current: Link(activity_type, calendar_id, activity_type, export=export)
    )
