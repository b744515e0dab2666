"""One status per link at a glance: synced / syncing / paused (why) / error (message and fix). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from functions.core.models import NEEDS_REAUTH, ConnectionStatus, Link, ResyncState


class LinkState(StrEnum):
    SYNCED = "synced"
    SYNCING = "syncing"
    PAUSED = "paused"
    ERROR = "error"


@dataclass(frozen=True)
class LinkStatus:
    state: LinkState
    reason: str | None = None  # a short code: calendar_missing, export_failed, ...
    message: str | None = None  # what happened, for the user
    fix: str | None = None  # what to do about it

    @property
    def needs_attention(self) -> bool:
        return self.state in (LinkState.PAUSED, LinkState.ERROR)


PAUSES = {
    "calendar_missing": ("The calendar is no longer in your Google calendar list (deleted, unshared, or "
                         "another Google account).",
                         "Refresh the calendar list, then choose a calendar for this type and save."),
    "calendar_emptied": ("A full scan found the calendar empty while activities are linked to it; import "
                         "stopped and nothing was unlinked.",
                         "If the calendar really is empty now, save the link again to confirm."),
    "sync_off": ("Export and import are both off.", "Turn export or import on and save."),
    "not_connected": ("Your Google account is not connected.", "Connect your Google account."),
}


def link_status(link: Link, connection: ConnectionStatus | None = None) -> LinkStatus:
    """The link's one status. ``connection``: the user's, when known (needs_reauth makes every link an error)."""
    if connection == NEEDS_REAUTH:
        return LinkStatus(LinkState.ERROR, "needs_reauth", "Google no longer accepts calbridge's access to your "
                          "calendars.", "Reconnect your Google account (Authorize and Connect).")
    if connection is not None and connection != ConnectionStatus.CONNECTED:
        return _paused("not_connected")
    if link.paused_reason:
        return _paused(link.paused_reason)
    if not link.export and not link.import_:
        return _paused("sync_off")
    if link.resync.state in (ResyncState.QUEUED, ResyncState.RUNNING):
        return LinkStatus(LinkState.SYNCING, "resync", "Resync in progress.")
    error = _error(link)
    if error is not None:
        return error
    return LinkStatus(LinkState.SYNCED)


def _paused(reason: str) -> LinkStatus:
    message, fix = PAUSES.get(reason, (f"Sync is paused ({reason}).", "Save the link again to resume."))
    return LinkStatus(LinkState.PAUSED, reason, message, fix)


def _error(link: Link) -> LinkStatus | None:
    if link.resync.state == ResyncState.FAILED and link.resync.error:
        return LinkStatus(LinkState.ERROR, "resync_failed", f"The last resync failed: {link.resync.error}",
                          "Fix the cause, then press Resync now again.")
    if link.last_error:
        return LinkStatus(LinkState.ERROR, "link_error", link.last_error,
                          "Check the calendar in Google, then press Resync now.")
    if link.export and link.last_export.error:
        return LinkStatus(LinkState.ERROR, "export_failed", f"Export: {link.last_export.error}",
                          "Check that you can still write to the calendar, then press Resync now.")
    if link.import_ and link.last_import.error:
        return LinkStatus(LinkState.ERROR, "import_failed", f"Import: {link.last_import.error}",
                          "Check that you can still read the calendar, then press Resync now.")
    return None
