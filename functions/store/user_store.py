"""``users/{uid}`` and ``users/{uid}/secrets/google`` (tokens encrypted)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from functions.core.models import (
    CONNECTED,
    DISCONNECTED,
    NEEDS_REAUTH,
    CalendarEntry,
    Connection,
    GoogleSecrets,
    Identity,
    TokenSet,
    UserRecord,
)
from functions.core.secret_box import SecretDecryptionError
from functions.store.channel_store import channel_path
from functions.store.firestore_client import db
from functions.store.link_store import link_path
from functions.store.secrets_codec import seal, unseal

log = logging.getLogger(__name__)


def user_path(uid: str) -> str:
    return f"users/{uid}"


def secrets_path(uid: str) -> str:
    return f"users/{uid}/secrets/google"


# --- documents <-> models -----------------------------------------------------------
def connection_from_doc(data: dict[str, Any] | None) -> Connection:
    data = data or {}
    status = data.get("status") if data.get("status") in (CONNECTED, NEEDS_REAUTH, DISCONNECTED) else DISCONNECTED
    return Connection(
        status=status,
        error=data.get("error"),
        error_at=data.get("error_at"),
        connected_at=data.get("connected_at"),
        google_email=data.get("google_email"),
        scopes=tuple(data.get("scopes") or ()),
    )


def calendar_to_doc(calendar: CalendarEntry) -> dict[str, Any]:
    return {
        "id": calendar.id,
        "summary": calendar.summary,
        "primary": calendar.primary,
        "access_role": calendar.access_role,
        "time_zone": calendar.time_zone,
    }


def calendar_from_doc(data: dict[str, Any]) -> CalendarEntry:
    return CalendarEntry(
        id=str(data.get("id")),
        summary=str(data.get("summary") or data.get("id")),
        primary=bool(data.get("primary", False)),
        access_role=str(data.get("access_role") or "reader"),
        time_zone=data.get("time_zone"),
    )


def user_from_doc(uid: str, data: dict[str, Any]) -> UserRecord:
    return UserRecord(
        uid=uid,
        email=data.get("email"),
        display_name=data.get("display_name"),
        time_zone=data.get("time_zone"),
        connection=connection_from_doc(data.get("connection")),
        calendars=tuple(calendar_from_doc(c) for c in data.get("calendars") or () if isinstance(c, dict)),
        calendars_read_at=data.get("calendars_read_at"),
    )


# --- reads --------------------------------------------------------------------------
def get_user(uid: str) -> UserRecord | None:
    snapshot = db().document(user_path(uid)).get()
    return user_from_doc(uid, snapshot.to_dict() or {}) if snapshot.exists else None


def list_users() -> list[UserRecord]:
    return [user_from_doc(s.id, s.to_dict() or {}) for s in db().collection("users").stream()]


def get_secrets(uid: str) -> GoogleSecrets | None:
    """The user's Google tokens, decrypted; None if there are none (or they do not decrypt)."""
    path = secrets_path(uid)
    snapshot = db().document(path).get()
    if not snapshot.exists:
        return None
    data = snapshot.to_dict() or {}
    try:
        refresh = unseal(data["refresh_token"], path, "refresh_token") if data.get("refresh_token") else None
        access = unseal(data["access_token"], path, "access_token") if data.get("access_token") else None
    except SecretDecryptionError:
        log.error("%s does not decrypt (key changed or copied document)", path)
        return None
    return GoogleSecrets(
        refresh_token=refresh,
        access_token=access,
        access_token_expiry=data.get("access_token_expiry"),
        scopes=tuple(data.get("scopes") or ()),
    )


# --- writes -------------------------------------------------------------------------
def ensure_user(identity: Identity, now: datetime) -> UserRecord:
    """The user's document, created or updated from the ID token's email and name when they changed."""
    ref = db().document(user_path(identity.uid))
    snapshot = ref.get()
    data = (snapshot.to_dict() or {}) if snapshot.exists else {}
    wanted = {"email": identity.email, "display_name": identity.display_name}
    changes = {k: v for k, v in wanted.items() if v is not None and data.get(k) != v}
    if not snapshot.exists:
        base = {
            "email": identity.email,
            "display_name": identity.display_name,
            "connection": {"status": DISCONNECTED, "error": None, "error_at": None},
            "created_at": now,
            "updated_at": now,
        }
        ref.set(base, merge=True)
        data = {**base, **data}
    elif changes:
        ref.set({**changes, "updated_at": now}, merge=True)
        data.update(changes)
    return user_from_doc(identity.uid, data)


def _secrets_doc(uid: str, tokens: TokenSet, refresh_token: str, now: datetime) -> dict[str, Any]:
    path = secrets_path(uid)
    return {
        "refresh_token": seal(refresh_token, path, "refresh_token"),
        "access_token": seal(tokens.access_token, path, "access_token"),
        "access_token_expiry": tokens.expires_at,
        "scopes": list(tokens.scopes),
        "updated_at": now,
    }


def save_connection(
    uid: str, tokens: TokenSet, calendars: list[CalendarEntry] | None, google_email: str | None, now: datetime
) -> None:
    """Connected (or reconnected): new tokens replace the old, in one batch with the user document."""
    if not tokens.refresh_token:
        raise ValueError("a connection needs a refresh token")
    batch = db().batch()
    batch.set(db().document(secrets_path(uid)), _secrets_doc(uid, tokens, tokens.refresh_token, now))
    user: dict[str, Any] = {
        "connection": {
            "status": CONNECTED,
            "error": None,
            "error_at": None,
            "connected_at": now,
            "google_email": google_email,
            "scopes": list(tokens.scopes),
        },
        "updated_at": now,
    }
    if calendars is not None:
        user["calendars"] = [calendar_to_doc(c) for c in calendars]
        user["calendars_read_at"] = now
    batch.set(db().document(user_path(uid)), user, merge=True)
    batch.commit()


def save_access_token(uid: str, tokens: TokenSet, current_refresh_token: str, now: datetime) -> None:
    """A refreshed access token (and the refresh token, if Google rotated it)."""
    db().document(secrets_path(uid)).set(
        _secrets_doc(uid, tokens, tokens.refresh_token or current_refresh_token, now)
    )


def save_calendars(uid: str, calendars: list[CalendarEntry], now: datetime) -> None:
    db().document(user_path(uid)).set(
        {"calendars": [calendar_to_doc(c) for c in calendars], "calendars_read_at": now, "updated_at": now},
        merge=True,
    )


def mark_needs_reauth(uid: str, error: str, now: datetime) -> None:
    """Google refused the grant: the user must connect again; their sync stops until then."""
    db().document(user_path(uid)).update(
        {
            "connection.status": NEEDS_REAUTH,
            "connection.error": error,
            "connection.error_at": now,
            "updated_at": now,
        }
    )


def clear_connection(uid: str, link_types: Iterable[str], channel_ids: Iterable[str], now: datetime) -> None:
    """Disconnected: secrets gone, sync tokens and channels cleared, links kept; one batch."""
    client = db()
    batch = client.batch()
    batch.delete(client.document(secrets_path(uid)))
    batch.set(
        client.document(user_path(uid)),
        {
            "connection": {
                "status": DISCONNECTED,
                "error": None,
                "error_at": None,
                "connected_at": None,
                "google_email": None,
                "scopes": [],
            },
            "updated_at": now,
        },
        merge=True,
    )
    for activity_type in link_types:
        batch.update(
            client.document(link_path(uid, activity_type)),
            {"sync_token": None, "channel_id": None, "channel_expiry": None, "updated_at": now},
        )
    for channel_id in channel_ids:
        batch.delete(client.document(channel_path(channel_id)))
    batch.commit()
