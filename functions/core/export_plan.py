"""Export planning: what Google calls bring an activity's copies in line with it. Pure, no I/O.

The sides are the activity (its content and its ``sync.targets``: the Google copies as last written)
and its recipients: the owner and, for a group activity, every member, each with the calendar their
link for the activity's type exports to (None: no export link, their copy is left alone). The plan
is writes first (insert, patch), deletes after; a delete that replaces a copy (a move) happens only
once the new copy's insert succeeded and was recorded, so a crash never loses the only copy and a
retry never makes a second (the insert's client-chosen id answers 409).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from functions.core.activity import Activity, ActivitySync, SyncState, SyncTarget, TargetState
from functions.core.event_mapping import event_id_for, exception_hash

MAX_ATTEMPTS = 8  # failed runs in a row before a retryable failure becomes an error
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=6)


class ActionKind(StrEnum):
    INSERT = "insert"  # a new copy (new recipient, or the calendar changed)
    PATCH = "patch"  # the content moved on since this copy was last written (or that write failed)
    DELETE = "delete"  # the copy is not wanted any more (recipient gone, activity deleted, moved away)


@dataclass(frozen=True)
class ExportAction:
    kind: ActionKind
    uid: str
    calendar_id: str
    event_id: str
    target: SyncTarget | None = None  # the copy it acts on (patch, delete)
    after_insert: bool = False  # a delete that waits for this uid's insert (a move)


@dataclass(frozen=True)
class ExportPlan:
    activity_id: str
    content_hash: str
    exceptions_hash: str | None = None
    writes: tuple[ExportAction, ...] = ()
    deletes: tuple[ExportAction, ...] = ()
    kept: tuple[SyncTarget, ...] = ()  # copies left as they are
    exporting: bool = False  # some recipient exports this activity
    hashes: Mapping[str, tuple[str, str | None]] = field(default_factory=dict)  # per uid, when not the same

    def sent_for(self, uid: str) -> tuple[str, str | None]:
        """The (content, exceptions) hashes a copy of ``uid`` is written with (its link's privacy applied)."""
        return self.hashes.get(uid, (self.content_hash, self.exceptions_hash))

    @property
    def in_sync(self) -> bool:
        return not self.writes and not self.deletes


def recipients_of(activity: Activity, member_uids: Iterable[str] = ()) -> tuple[str, ...]:
    """Who gets a copy: the owner, then the group's members (each once)."""
    return tuple(dict.fromkeys((activity.owner_uid, *member_uids)))


def google_event_id(activity: Activity) -> str:
    return activity.sync.event_id if activity.sync and activity.sync.event_id else event_id_for(activity.id)


def exceptions_hash(activity: Activity) -> str | None:
    """One hash of a series' exceptions (``content_hash`` covers the series only), None without any."""
    hashes = sorted(exception_hash(e) for e in activity.content.exceptions)
    return hashlib.sha256("\n".join(hashes).encode()).hexdigest() if hashes else None


def plan_export(
    activity: Activity, calendars: Mapping[str, str | None], content_hash: str, exceptions: str | None = None,
    hashes: Mapping[str, tuple[str, str | None]] | None = None,
) -> ExportPlan:
    """The calls that bring Google in line with ``activity``.

    ``calendars``: each recipient's export calendar, or None when they have no link with export on
    (turning export off stops exporting and deletes nothing). A copy of a uid not in ``calendars``
    is deleted (they left the group, or are no longer the owner), and so is every copy of a deleted
    activity. ``hashes``: a recipient's (content, exceptions) hashes when their copy differs from the
    activity's (their link's privacy hides details); a copy last sent other hashes is patched.
    """
    per_uid = dict(hashes or {})
    event_id = google_event_id(activity)
    targets = activity.sync.targets if activity.sync else ()
    wanted: Mapping[str, str | None] = {} if activity.deleted else calendars
    writes: list[ExportAction] = []
    deletes: list[ExportAction] = []
    kept: list[SyncTarget] = []

    def delete(target: SyncTarget, after_insert: bool = False) -> None:
        deletes.append(ExportAction(ActionKind.DELETE, target.uid, target.calendar_id, target.event_id,
                                    target, after_insert))

    default = (content_hash, exceptions)  # what an up-to-date copy was last sent
    live: dict[str, list[SyncTarget]] = {}
    for target in targets:
        if target.state == TargetState.DELETING:
            delete(target)
        else:
            live.setdefault(target.uid, []).append(target)
    for uid, current in live.items():
        if uid not in wanted:
            for target in current:
                if target.state == TargetState.UNLINKED:
                    continue  # Google deleted it already: nothing to delete, drop the entry
                delete(target)
    for uid, calendar_id in wanted.items():
        current = live.get(uid, [])
        if calendar_id is None:
            kept.extend(current)
            continue
        here = next((t for t in current if t.calendar_id == calendar_id), None)
        if here is None:
            writes.append(ExportAction(ActionKind.INSERT, uid, calendar_id, event_id))
        elif here.state == TargetState.UNLINKED:
            kept.append(here)  # deleted in Google: unlinked (rule 6), not written again
        elif here.unconfirmed:
            # an insert whose answer never came (timeout, 5xx): Google may hold it or not; insert again (409: it does)
            writes.append(ExportAction(ActionKind.INSERT, uid, calendar_id, here.event_id, here))
        elif (here.content_hash, here.exceptions_hash) != per_uid.get(uid, default) \
                or here.state == TargetState.FAILED:
            writes.append(ExportAction(ActionKind.PATCH, uid, calendar_id, here.event_id, here))
        else:
            kept.append(here)
        for other in current:
            if other is here:
                continue
            if other.state == TargetState.UNLINKED:
                continue
            delete(other, after_insert=here is None)
    if activity.deleted:
        # A copy Google may hold that no target records: an insert Google accepted by a run that died before
        # writing it down (or that is still running). Its id is known, so it is deleted too (404: nothing there).
        recorded = {(t.uid, t.calendar_id) for t in targets}
        for uid, calendar_id in calendars.items():
            if calendar_id is not None and (uid, calendar_id) not in recorded:
                deletes.append(ExportAction(ActionKind.DELETE, uid, calendar_id, event_id))
    exporting = any(calendar_id is not None for calendar_id in wanted.values())
    return ExportPlan(activity.id, content_hash, exceptions, tuple(writes), tuple(deletes), tuple(kept), exporting,
                      per_uid)


def retry_delay(attempts: int) -> timedelta:
    """The wait before the next try after ``attempts`` failed runs in a row: 1 min, 2, 4, ... up to 6 h."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LONGEST_RETRY)


@dataclass(frozen=True)
class Failure:
    """One call that failed for good or for now; ``retryable`` ones are tried again in a later run."""

    message: str
    retryable: bool
    transient: bool = False  # Google (or the network) failed for now: worth an early retry (the trigger's)


def settle(
    previous: ActivitySync | None,
    targets: tuple[SyncTarget, ...],
    failures: list[Failure],
    exporting: bool,
    now: datetime,
) -> ActivitySync:
    """The activity's ``sync`` after a run: synced, pending again later (backoff), or error."""
    base = previous or ActivitySync()
    if not failures:
        state = SyncState.SYNCED if exporting else SyncState.NOT_EXPORTED
        return replace(base, state=state, targets=targets, last_error=None, attempts=0, due_at=None, synced_at=now)
    attempts = base.attempts + 1
    message = "; ".join(dict.fromkeys(f.message for f in failures))
    permanent = any(not f.retryable for f in failures)
    if permanent or attempts >= MAX_ATTEMPTS:
        return replace(base, state=SyncState.ERROR, targets=targets, last_error=message, attempts=attempts, due_at=None)
    return replace(base, state=SyncState.PENDING, targets=targets, last_error=message, attempts=attempts,
                   due_at=now + retry_delay(attempts))
