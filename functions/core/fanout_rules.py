"""The fan-out's decisions (pure): which tasks a scheduled job publishes, whom a worker skips, when a
task chain stops, and when an import must write the link's ``next_poll_at`` (docs/fanout.md)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from functions.core.activity import Activity
from functions.core.models import CONNECTED, NEEDS_REAUTH, Link, UserRecord
from functions.core.sync_task import SyncTask, TaskKind

MAX_GENERATIONS = 50  # continuations of one task chain; the next tick starts a new chain if work remains
SCHEDULED = "scheduled"

# Why a worker leaves a user's import alone (logged; the task is acknowledged).
NO_USER = "no_user"
NOT_CONNECTED = "not_connected"
NEEDS_REAUTH_SKIP = "needs_reauth"
CALENDARS_ERROR = "calendars_error"


def import_skip_reason(user: UserRecord | None) -> str | None:
    """Why the user's calendars are not imported now, or None: they are."""
    if user is None:
        return NO_USER
    if user.connection.status == NEEDS_REAUTH:
        return NEEDS_REAUTH_SKIP
    if user.connection.status != CONNECTED:
        return NOT_CONNECTED
    if user.calendars_error is not None:
        return CALENDARS_ERROR
    return None


def link_skip_reason(link: Link) -> str | None:
    """Why this link is not imported, or None."""
    if not link.import_:
        return "import_off"
    if link.paused_reason:
        return f"paused:{link.paused_reason}"
    return None


def export_tasks(pending: Iterable[Activity]) -> list[SyncTask]:
    """One EXPORT task per owner of a pending activity, in the order the owners first appear."""
    owners = dict.fromkeys(activity.owner_uid for activity in pending)
    return [SyncTask(TaskKind.EXPORT, uid, reason=SCHEDULED) for uid in owners]


def import_tasks(due: Iterable[tuple[str, Link]]) -> list[SyncTask]:
    """One IMPORT task per user with a due link that imports: that link's type when only one of the
    user's links is due, None (every import link of the user) when several are."""
    by_user: dict[str, list[str]] = {}
    for uid, link in due:
        if link_skip_reason(link) is None:
            by_user.setdefault(uid, []).append(link.activity_type)
    return [SyncTask(TaskKind.IMPORT, uid, types[0] if len(types) == 1 else None, SCHEDULED)
            for uid, types in by_user.items()]


def may_continue(task: SyncTask) -> bool:
    """A continuation of ``task`` stays within the chain's bound."""
    return task.generation + 1 <= MAX_GENERATIONS


def poll_write_needed(stored: datetime | None, wanted: datetime | None, now: datetime) -> bool:
    """Whether an import must write ``next_poll_at``: only when being due changes (a link without a live
    channel stays due at every tick with no write; a live channel's link moves to the safety net once)."""
    def due(value: datetime | None) -> bool:
        return value is not None and value <= now

    return (stored is None) != (wanted is None) or due(stored) != due(wanted)
