"""JSON shapes of the API answers (docs/http-api.md), built from the models the services return."""

from __future__ import annotations

from typing import Any

from functions.core import clock
from functions.core.clock import isoformat
from functions.core.models import (
    CalendarEntry,
    Connection,
    GoogleClientSettings,
    Identity,
    Link,
    PendingRevocation,
    RunInfo,
    UserRecord,
)
from functions.core.push_rules import PushState, push_state
from functions.services.admin_service import AdminUserRow, row_email


def connection_view(connection: Connection) -> dict[str, Any]:
    return {
        "status": connection.status,
        "error": connection.error,
        "error_at": isoformat(connection.error_at),
        "connected_at": isoformat(connection.connected_at),
        "google_email": connection.google_email,
        "reauth_reason": connection.reauth_reason,
    }


def calendar_view(calendar: CalendarEntry) -> dict[str, Any]:
    return {
        "id": calendar.id,
        "summary": calendar.summary,
        "primary": calendar.primary,
        "access_role": calendar.access_role,
        "time_zone": calendar.time_zone,
    }


def run_view(run: RunInfo) -> dict[str, Any] | None:
    if run.at is None and run.count is None and run.error is None:
        return None
    return {"at": isoformat(run.at), "count": run.count, "error": run.error, "skipped": run.skipped,
            "problems": list(run.problems)}


def link_view(link: Link) -> dict[str, Any]:
    return {
        "activity_type": link.activity_type,
        "calendar_id": link.calendar_id,
        "calendar_summary": link.calendar_summary,
        "export": link.export,
        "import": link.import_,
        "import_existing": link.import_existing,
        "last_export": run_view(link.last_export),
        "last_import": run_view(link.last_import),
        "last_error": link.last_error,
        "paused_reason": link.paused_reason,
        "push": push_view(link),
    }


def push_view(link: Link) -> dict[str, Any]:
    """Whether Google's changes arrive by push (live), or only by the scheduled import (refused, off)."""
    state = push_state(link, clock.now())
    return {
        "state": str(state),
        "expires_at": isoformat(link.channel_expiry) if state == PushState.LIVE else None,
        "error": link.channel_error,
    }


def status_view(user: UserRecord, links: list[Link]) -> dict[str, Any]:
    return {
        "uid": user.uid,
        "email": user.email,
        "connection": connection_view(user.connection),
        "links": [link_view(lk) for lk in sorted(links, key=lambda lk: lk.activity_type)],
    }


def pending_revocation_view(pending: PendingRevocation) -> dict[str, Any]:
    """A grant Google has not confirmed revoked yet (never the token)."""
    return {
        "google_email": pending.google_email,
        "since": isoformat(pending.created_at),
        "attempts": pending.attempts,
        "last_error": pending.last_error,
        "next_attempt_at": isoformat(pending.next_attempt_at),
    }


def me_view(identity: Identity, user: UserRecord, pending: list[PendingRevocation] | None = None) -> dict[str, Any]:
    return {
        "uid": identity.uid,
        "email": identity.email or user.email,
        "admin": identity.admin,
        "connection": connection_view(user.connection),
        "calendars": [calendar_view(c) for c in user.calendars],
        "calendars_error": user.calendars_error,
        "pending_revocations": [pending_revocation_view(p) for p in pending or []],
    }


def client_settings_view(client: GoogleClientSettings, expected_redirect_url: str) -> dict[str, Any]:
    """What GET /admin/settings answers: never the secret, only whether one is set."""
    return {
        "api_key": client.api_key,
        "client_id": client.client_id,
        "redirect_url": client.redirect_url,
        "client_secret_set": bool(client.client_secret),
        "expected_redirect_url": expected_redirect_url,
        "updated_at": isoformat(client.updated_at),
    }


def disconnect_view(connection: Connection, revoked: bool, revocation_pending: bool = False) -> dict[str, Any]:
    return {"connection": connection_view(connection), "revoked": revoked, "revocation_pending": revocation_pending}


def admin_user_view(row: AdminUserRow) -> dict[str, Any]:
    """A row of GET /admin/status: the Auth user merged with their sync status."""
    auth = row.auth
    return {
        **status_view(row.status.user, row.status.links),
        "email": row_email(row),
        "display_name": auth.display_name if auth else None,
        "admin": bool(auth and auth.admin),
        "disabled": bool(auth and auth.disabled),
        "deleted": row.deleted,
    }


def admin_status_view(rows: list[AdminUserRow], needs_reauth: dict[str, int]) -> dict[str, Any]:
    """Every user with their status, and how many must reconnect per reason."""
    return {"users": [admin_user_view(row) for row in rows], "needs_reauth": needs_reauth}
