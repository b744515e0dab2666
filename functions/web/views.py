"""JSON shapes of the API answers (docs/http-api.md), built from the models the services return."""

from __future__ import annotations

from typing import Any

from functions.core import clock
from functions.core.clock import isoformat
from functions.core.link_status import LinkStatus, link_status
from functions.core.models import (
    CalendarEntry,
    Connection,
    ConnectionStatus,
    GoogleClientSettings,
    Identity,
    Link,
    PendingRevocation,
    ResyncInfo,
    RunInfo,
    UserRecord,
)
from functions.core.privacy import privacy_view
from functions.core.push_rules import PushState, push_state
from functions.services.admin_service import AdminUserRow, row_email
from functions.services.link_cleanup_service import CleanupPreview, UnlinkResult


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


def link_status_view(status: LinkStatus) -> dict[str, Any]:
    return {"state": str(status.state), "reason": status.reason, "message": status.message, "fix": status.fix}


def resync_view(resync: ResyncInfo) -> dict[str, Any] | None:
    if resync.state is None:
        return None
    return {
        "state": str(resync.state), "requested_at": isoformat(resync.requested_at),
        "started_at": isoformat(resync.started_at), "finished_at": isoformat(resync.finished_at),
        "recreate_deleted": resync.recreate_deleted, "imported": resync.imported, "checked": resync.checked,
        "missing": resync.missing, "recreated": resync.recreated, "unlinked": resync.unlinked, "error": resync.error,
    }


def link_view(link: Link, connection: ConnectionStatus | None = None) -> dict[str, Any]:
    """A link with its one ``status`` (core/link_status.py; ``connection``: the user's, when known)."""
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
        "privacy": privacy_view(link.privacy),
        "status": link_status_view(link_status(link, connection)),
        "resync": resync_view(link.resync),
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


def cleanup_preview_view(preview: CleanupPreview) -> dict[str, Any]:
    return {"activity_type": preview.activity_type, "calendar_id": preview.calendar_id,
            "calendar_summary": preview.calendar_summary, "events": preview.events}


def unlink_view(result: UnlinkResult) -> dict[str, Any]:
    return {"activity_type": result.activity_type, "cleanup": result.cleanup, "deleted": result.deleted,
            "failed": result.failed, "left": result.left}


def status_view(user: UserRecord, links: list[Link]) -> dict[str, Any]:
    return {
        "uid": user.uid,
        "email": user.email,
        "connection": connection_view(user.connection),
        "links": [link_view(lk, user.connection.status) for lk in sorted(links, key=lambda lk: lk.activity_type)],
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
        "attention": needs_attention(row),
    }


def needs_attention(row: AdminUserRow) -> bool:
    """The admin's red mark: a link of the user in error or paused."""
    connection = row.status.user.connection.status
    return any(link_status(lk, connection).needs_attention for lk in row.status.links)


def admin_status_view(rows: list[AdminUserRow], needs_reauth: dict[str, int], attention_only: bool = False
                      ) -> dict[str, Any]:
    """Every user with their status (only those needing attention with ``attention_only``), how many must
    reconnect per reason, and how many need attention."""
    flagged = [row for row in rows if needs_attention(row)]
    shown = flagged if attention_only else rows
    return {"users": [admin_user_view(row) for row in shown], "needs_reauth": needs_reauth,
            "attention": len(flagged)}
