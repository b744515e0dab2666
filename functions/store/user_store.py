"""``users/{uid}`` and ``users/{uid}/secrets/google`` (tokens encrypted): ``FirestoreUserStore``."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from functions.core.models import (
    CONNECTED,
    CONNECTION_STATUSES,
    DISCONNECTED,
    NEEDS_REAUTH,
    CalendarEntry,
    Connection,
    ConnectionStatus,
    GoogleSecrets,
    Identity,
    TokenSet,
    UserRecord,
)
from functions.core.secret_box import SecretDecryptionError
from functions.store.errors import MissingDocument
from functions.store.ports import UnitOfWork
from functions.store.secrets_codec import seal, unseal
from functions.store.unit_of_work import firestore_batch

log = logging.getLogger(__name__)

DISCONNECTED_CONNECTION: dict[str, Any] = {
    "status": DISCONNECTED,
    "error": None,
    "error_at": None,
    "connected_at": None,
    "google_email": None,
    "scopes": [],
    "reauth_reason": None,
    "client_id": None,
}


def user_path(uid: str) -> str:
    return f"users/{uid}"


def secrets_path(uid: str) -> str:
    return f"users/{uid}/secrets/google"


# --- documents <-> models -----------------------------------------------------------
def connection_from_doc(data: dict[str, Any] | None) -> Connection:
    data = data or {}
    status = data.get("status")
    return Connection(
        status=ConnectionStatus(status) if status in CONNECTION_STATUSES else ConnectionStatus.DISCONNECTED,
        error=data.get("error"),
        error_at=data.get("error_at"),
        connected_at=data.get("connected_at"),
        google_email=data.get("google_email"),
        scopes=tuple(data.get("scopes") or ()),
        reauth_reason=data.get("reauth_reason"),
        client_id=data.get("client_id"),
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
        calendars_error=data.get("calendars_error"),
        calendars_error_at=data.get("calendars_error_at"),
    )


def secrets_doc(uid: str, tokens: TokenSet, refresh_token: str, now: datetime) -> dict[str, Any]:
    path = secrets_path(uid)
    return {
        "refresh_token": seal(refresh_token, path, "refresh_token"),
        "access_token": seal(tokens.access_token, path, "access_token"),
        "access_token_expiry": tokens.expires_at,
        "scopes": list(tokens.scopes),
        "updated_at": now,
    }


def secrets_from_doc(path: str, data: dict[str, Any]) -> GoogleSecrets | None:
    """The decrypted tokens; None if they do not decrypt (key changed, or a copied document)."""
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


def connected_doc(tokens: TokenSet, google_email: str | None, client_id: str | None, now: datetime) -> dict[str, Any]:
    return {
        "status": CONNECTED,
        "error": None,
        "error_at": None,
        "connected_at": now,
        "google_email": google_email,
        "scopes": list(tokens.scopes),
        "reauth_reason": None,
        "client_id": client_id,
    }


def calendars_fields(calendars: list[CalendarEntry] | None, error: str | None, now: datetime) -> dict[str, Any]:
    """The calendar list as read now; after a failed read (None) an empty list and the error,
    so that a list read earlier (maybe of another Google account) is never used again."""
    if calendars is None:
        return {
            "calendars": [],
            "calendars_read_at": None,
            "calendars_error": error or "the calendar list could not be read",
            "calendars_error_at": now,
        }
    return {
        "calendars": [calendar_to_doc(c) for c in calendars],
        "calendars_read_at": now,
        "calendars_error": None,
        "calendars_error_at": None,
    }


class FirestoreUserStore:
    """Users and their encrypted Google tokens in Firestore."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def get_user(self, uid: str) -> UserRecord | None:
        snapshot = self.client.document(user_path(uid)).get()
        return user_from_doc(uid, snapshot.to_dict() or {}) if snapshot.exists else None

    def list_users(self) -> list[UserRecord]:
        return [user_from_doc(s.id, s.to_dict() or {}) for s in self.client.collection("users").stream()]

    def get_secrets(self, uid: str) -> GoogleSecrets | None:
        """The user's Google tokens, decrypted; None if there are none (or they do not decrypt)."""
        path = secrets_path(uid)
        snapshot = self.client.document(path).get()
        return secrets_from_doc(path, snapshot.to_dict() or {}) if snapshot.exists else None

    def ensure_user(self, identity: Identity, now: datetime) -> UserRecord:
        """The user's document, created, or updated from the ID token's email and name when they changed."""
        ref = self.client.document(user_path(identity.uid))
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

    def stage_connection(
        self,
        uow: UnitOfWork,
        uid: str,
        tokens: TokenSet,
        calendars: list[CalendarEntry] | None,
        google_email: str | None,
        client_id: str | None,
        now: datetime,
        calendars_error: str | None = None,
    ) -> None:
        """Connected (or reconnected): new tokens replace the old, with the user document (staged).
        ``calendars`` None means the list could not be read: it is cleared, with ``calendars_error``."""
        if not tokens.refresh_token:
            raise ValueError("a connection needs a refresh token")
        batch = firestore_batch(uow)
        batch.count()
        batch.batch.set(self.client.document(secrets_path(uid)), secrets_doc(uid, tokens, tokens.refresh_token, now))
        user: dict[str, Any] = {
            "connection": connected_doc(tokens, google_email, client_id, now),
            **calendars_fields(calendars, calendars_error, now),
            "updated_at": now,
        }
        batch.count()
        batch.batch.set(self.client.document(user_path(uid)), user, merge=True)

    def save_access_token(self, uid: str, tokens: TokenSet, current_refresh_token: str, now: datetime) -> None:
        """A refreshed access token (and the refresh token, if Google rotated it)."""
        doc = secrets_doc(uid, tokens, tokens.refresh_token or current_refresh_token, now)
        self.client.document(secrets_path(uid)).set(doc)

    def stage_calendars(
        self, uow: UnitOfWork, uid: str, calendars: list[CalendarEntry], google_email: str | None, now: datetime
    ) -> None:
        """A successful read of the list replaces it and clears ``calendars_error`` (staged); the
        account's email is filled in when given (it is unknown after a failed read at connect)."""
        batch = firestore_batch(uow)
        fields: dict[str, Any] = {**calendars_fields(calendars, None, now), "updated_at": now}
        if google_email:
            fields["connection"] = {"google_email": google_email}
        batch.count()
        batch.batch.set(self.client.document(user_path(uid)), fields, merge=True)

    def mark_needs_reauth(self, uid: str, error: str, reason: str, now: datetime) -> None:
        """Google refused the grant: the user must connect again; their sync stops until then."""
        from google.api_core.exceptions import NotFound

        fields = {
            "connection.status": NEEDS_REAUTH,
            "connection.error": error,
            "connection.error_at": now,
            "connection.reauth_reason": reason,
        }
        try:
            self.client.document(user_path(uid)).update({**fields, "updated_at": now})
        except NotFound as exc:
            raise MissingDocument(f"{user_path(uid)} does not exist") from exc

    def stage_disconnected(self, uow: UnitOfWork, uid: str, now: datetime) -> None:
        batch = firestore_batch(uow)
        batch.count()
        batch.batch.delete(self.client.document(secrets_path(uid)))
        batch.count()
        batch.batch.set(
            self.client.document(user_path(uid)),
            {
                "connection": dict(DISCONNECTED_CONNECTION),
                "calendars_error": None,
                "calendars_error_at": None,
                "updated_at": now,
            },
            merge=True,
        )
