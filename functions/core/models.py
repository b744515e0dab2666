"""Plain data the services pass around; the stores turn them into Firestore documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from functions.core.privacy import FULL, Privacy


class ConnectionStatus(StrEnum):
    """A user's Google connection."""

    CONNECTED = "connected"
    NEEDS_REAUTH = "needs_reauth"
    DISCONNECTED = "disconnected"


CONNECTED = ConnectionStatus.CONNECTED
NEEDS_REAUTH = ConnectionStatus.NEEDS_REAUTH
DISCONNECTED = ConnectionStatus.DISCONNECTED
CONNECTION_STATUSES = tuple(ConnectionStatus)

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"


@dataclass(frozen=True)
class Identity:
    """The signed-in caller, from a verified Firebase ID token."""

    uid: str
    email: str | None
    admin: bool
    display_name: str | None = None


@dataclass(frozen=True)
class AuthUser:
    """A Firebase Auth user as the admin sees them."""

    uid: str
    email: str | None
    display_name: str | None
    admin: bool
    disabled: bool = False


@dataclass(frozen=True)
class Connection:
    """A user's Google connection as shown to them and to the admin."""

    status: ConnectionStatus = ConnectionStatus.DISCONNECTED
    error: str | None = None
    error_at: datetime | None = None
    connected_at: datetime | None = None
    google_email: str | None = None
    scopes: tuple[str, ...] = ()
    reauth_reason: str | None = None  # why needs_reauth: invalid_grant, client_changed, no_refresh_token
    client_id: str | None = None  # the OAuth client the grant was made with


@dataclass(frozen=True)
class CalendarEntry:
    """One calendar of the user's Google calendar list, as last read."""

    id: str
    summary: str
    primary: bool = False
    access_role: str = "reader"
    time_zone: str | None = None


@dataclass(frozen=True)
class UserRecord:
    """``users/{uid}``."""

    uid: str
    email: str | None = None
    display_name: str | None = None
    time_zone: str | None = None
    connection: Connection = field(default_factory=Connection)
    calendars: tuple[CalendarEntry, ...] = ()
    calendars_read_at: datetime | None = None
    calendars_error: str | None = None  # the last read failed: the list is empty until a read succeeds
    calendars_error_at: datetime | None = None


@dataclass(frozen=True)
class RunInfo:
    """The last export or import run of one link."""

    at: datetime | None = None
    count: int | None = None
    error: str | None = None
    skipped: int | None = None  # import: events not turned into activities (see ``problems``)
    problems: tuple[str, ...] = ()  # import: a few "event <id>: <reason>" lines (skipped or failed events)


class ResyncState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True)
class ResyncInfo:
    """The last *Resync now* of one link (issue 13): asked, running, or how it ended, with its counts."""

    state: ResyncState | None = None  # None: never asked
    requested_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    recreate_deleted: bool = False
    imported: int = 0  # activities created, updated or unlinked by the full import scan
    checked: int = 0  # exported events re-read from Google
    missing: int = 0  # of those, deleted in Google
    recreated: int = 0  # ... and written again (recreate_deleted)
    unlinked: int = 0  # ... and unlinked instead
    error: str | None = None


@dataclass(frozen=True)
class Link:
    """``users/{uid}/links/{activity_type}``: one activity type mapped to one calendar."""

    activity_type: str
    calendar_id: str
    calendar_summary: str = ""
    export: bool = False
    import_: bool = False
    import_existing: bool = False
    sync_token: str | None = None
    channel_id: str | None = None
    channel_expiry: datetime | None = None
    last_export: RunInfo = field(default_factory=RunInfo)
    last_import: RunInfo = field(default_factory=RunInfo)
    last_error: str | None = None
    updated_at: datetime | None = None
    paused_reason: str | None = None  # sync paused (e.g. calendar_missing); the link stays
    import_since: datetime | None = None  # when import was switched on (import_existing off: older events are listed)
    empty_accepted: bool = False  # saved again after a calendar_emptied pause: the next full list may be empty
    channel_error: str | None = None  # Google refused a push channel for this calendar: scheduled import instead
    next_poll_at: datetime | None = None  # when the scheduled import next looks at it (None: never; see poll_rules)
    privacy: Privacy = FULL  # the details its exported events show (core/privacy.py)
    resync: ResyncInfo = field(default_factory=ResyncInfo)  # the last Resync now


@dataclass(frozen=True)
class GoogleClientSettings:
    """``config/google`` with the client secret decrypted (in memory only)."""

    api_key: str = ""
    client_id: str = ""
    client_secret: str | None = None
    redirect_url: str = ""
    updated_at: datetime | None = None
    updated_by: str | None = None

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret and self.redirect_url)


@dataclass(frozen=True)
class TokenSet:
    """What Google's token endpoint answered (exchange or refresh)."""

    access_token: str
    expires_at: datetime
    refresh_token: str | None = None
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class GoogleSecrets:
    """``users/{uid}/secrets/google`` decrypted (in memory only)."""

    refresh_token: str | None
    access_token: str | None = None
    access_token_expiry: datetime | None = None
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True)
class OAuthState:
    """``oauth_states/{state}``: single use, short-lived, bound to a user and a browser."""

    state: str
    uid: str
    code_verifier: str
    nonce_hash: str
    created_at: datetime
    expires_at: datetime
    used: bool = False


@dataclass(frozen=True)
class ChannelRecord:
    """``channels/{channel_id}``: a push channel watching one calendar's events for one user."""

    channel_id: str
    uid: str
    calendar_id: str
    resource_id: str
    token_hash: str
    expires_at: datetime
    activity_type: str | None = None
    import_queued_at: datetime | None = None  # a notification queued an import that has not started yet
    notified_at: datetime | None = None  # the last change notification (the queued import waits for quiet)
    retired_at: datetime | None = None  # a tombstone: dropped without a confirmed stop at Google (docs/push.md)


@dataclass(frozen=True)
class PendingRevocation:
    """``users/{uid}/secrets/pending_revocation_<id>``: a grant Google has not confirmed revoked yet.

    Kept (token encrypted) after a failed revoke at disconnect, retried by the scheduled job
    until Google confirms; the token is decrypted in memory only (None if it does not decrypt).
    """

    id: str
    uid: str
    refresh_token: str | None
    created_at: datetime
    next_attempt_at: datetime
    attempts: int = 1
    last_attempt_at: datetime | None = None
    last_error: str | None = None
    google_email: str | None = None
    client_id: str | None = None
