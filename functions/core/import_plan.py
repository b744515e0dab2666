"""Import planning: what one listed Google event does to the stored side. Pure, no I/O.

The sides are the event (as ``events.list`` gives it, possibly only ``id`` + ``status: cancelled``),
the activities it may be a copy of (read by key: the calbridge id it carries, ``imported_activity_id``,
and for a deletion the activity id its client-chosen event id encodes) and the link's policy. An event
is *linked* to an activity when the activity's ``sync.targets`` hold (uid, calendar, event id).

| event | stored side | action |
|---|---|---|
| cancelled | linked activity | UNLINK (target ``unlinked``; the activity stays) and drop its google_events row |
| cancelled | none | drop the google_events row (if any) |
| live | imported activity | UPDATE if the content moved (never when Held) |
| live | CRM-owned activity | nothing if etag or content hash unchanged (our own write: no echo), else DRIFT: |
|      |                    | the CRM is master, the copy is marked changed and the activity pending for export |
| live, carries a calbridge id | not linked here | SKIP (an export of ours, or a copy of one: never imported) |
| live, new | - | SKIP with ``skip_reason`` / outside the window; CREATE (read-only, origin google) when |
|           |   | import existing is on or Google created it after import was switched on; else LIST |
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

from functions.core.activity import (
    Activity,
    ActivityException,
    ActivityStatus,
    ActivitySync,
    InvalidActivity,
    Origin,
    SyncState,
    SyncTarget,
    TargetState,
    Timed,
)
from functions.core.activity_range import activity_range
from functions.core.event_mapping import (
    ACTIVITY_ID_KEY,
    NotAnActivity,
    content_hash,
    event_id_for,
    event_to_activity,
    event_to_content,
    exception_hash,
    imported_activity_id,
    instance_to_exception,
    skip_reason,
)
from functions.core.export_plan import exceptions_hash
from functions.core.google_event_row import GoogleEventRow, row_for

IMPORT_WINDOW = timedelta(days=183)  # events that ended before "6 months ago" are not imported
MAX_AHEAD = timedelta(days=3653)  # nor those starting more than 10 years ahead
DELETED_IN_GOOGLE = "deleted in Google"
DRIFT_MARK = "changed in Google"  # an exceptions_hash no real hash equals: export re-sends the exceptions


class Kind(StrEnum):
    CREATE = "create"  # a new read-only activity
    UPDATE = "update"  # an imported activity follows Google
    DRIFT = "drift"  # a CRM-owned activity's copy was edited in Google: export restores the CRM version
    UNLINK = "unlink"  # deleted in Google: the activity stays, its copy is unlinked
    LIST = "list"  # not imported: a google_events row for Add into CRM
    UNLIST = "unlist"  # deleted in Google and not imported: its google_events row goes (if any)
    SKIP = "skip"  # not an activity (``reason``)
    NOTHING = "nothing"  # already as it should be (an echo of our own write, unchanged, or Held)


@dataclass(frozen=True)
class ImportContext:
    """One (user, linked calendar) run."""

    uid: str
    activity_type: str
    calendar_id: str
    calendar_time_zone: str
    import_existing: bool
    import_since: datetime | None
    now: datetime

    @property
    def window_start(self) -> datetime:
        return self.now - IMPORT_WINDOW

    @property
    def window_end(self) -> datetime:
        return self.now + MAX_AHEAD


@dataclass(frozen=True)
class ImportAction:
    kind: Kind
    event_id: str
    activity: Activity | None = None  # the activity as it is to be written (CREATE, UPDATE, DRIFT, UNLINK)
    row: GoogleEventRow | None = None  # LIST
    row_id: str | None = None  # UNLIST (and the row an UNLINK drops)
    reason: str | None = None  # SKIP, NOTHING


def calbridge_id(event: Mapping[str, Any]) -> str | None:
    private = (event.get("extendedProperties") or {}).get("private") or {}
    value = private.get(ACTIVITY_ID_KEY)
    return value if isinstance(value, str) and value else None


def activity_id_from_event_id(event_id: str) -> str | None:
    """The activity id a client-chosen event id encodes (``event_id_for``'s inverse), or None."""
    text = event_id.upper()
    try:
        raw = base64.b32hexdecode(text + "=" * (-len(text) % 8))
        activity_id = raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    try:
        return activity_id if event_id_for(activity_id) == event_id else None
    except ValueError:
        return None


def candidate_ids(event: Mapping[str, Any], uid: str) -> tuple[str, ...]:
    """The activity ids ``event`` may be a copy of, most likely first (each one read by key)."""
    event_id = str(event.get("id") or "")
    found = [calbridge_id(event), imported_activity_id(uid, event_id)]
    if event.get("status") == "cancelled":  # a deleted event carries no calbridge id: its own id may encode it
        found.append(activity_id_from_event_id(event_id))
    return tuple(dict.fromkeys(i for i in found if i))


def first_ids(ids: tuple[str, ...], event: Mapping[str, Any]) -> tuple[str, ...]:
    """The ids to read first: the calbridge id alone when the event carries one (the others only if that
    activity is not linked to the event: a copy of one of our events)."""
    return ids[:1] if calbridge_id(event) else ids


def series_candidate_ids(instance: Mapping[str, Any], uid: str) -> tuple[str, ...]:
    """The activity ids the series of an instance may be."""
    series = {"id": instance.get("recurringEventId"), "status": "cancelled"}
    tag = calbridge_id(instance)
    return tuple(dict.fromkeys(i for i in (tag, *candidate_ids(series, uid)) if i))


def linked_target(activity: Activity | None, ctx: ImportContext, event_id: str) -> SyncTarget | None:
    if activity is None or activity.sync is None:
        return None
    return next((t for t in activity.sync.targets if t.uid == ctx.uid and t.calendar_id == ctx.calendar_id
                 and t.event_id == event_id and t.state != TargetState.UNLINKED), None)


def linked_activity(ids: tuple[str, ...], found: Mapping[str, Activity | None], ctx: ImportContext,
                    event_id: str) -> Activity | None:
    for activity_id in ids:
        activity = found.get(activity_id)
        if linked_target(activity, ctx, event_id) is not None:
            return activity
    return None


def _with_target(activity: Activity, target: SyncTarget, **sync_changes: Any) -> Activity:
    sync = activity.sync or ActivitySync()
    targets = tuple(target if (t.uid, t.calendar_id, t.event_id) == (target.uid, target.calendar_id, target.event_id)
                    else t for t in sync.targets)
    if target not in targets:
        targets = (*targets, target)
    return replace(activity, sync=replace(sync, targets=targets, **sync_changes))


def imported_sync(activity: Activity, event: Mapping[str, Any], ctx: ImportContext) -> ActivitySync:
    """An imported activity's bookkeeping: one target, the event it follows (never exported)."""
    target = SyncTarget(ctx.uid, ctx.calendar_id, str(event["id"]), etag=event.get("etag"),
                        content_hash=content_hash(activity), exceptions_hash=exceptions_hash(activity),
                        synced_at=ctx.now)
    return ActivitySync(SyncState.NOT_EXPORTED, (target,), event_id=str(event["id"]), synced_at=ctx.now)


def _series_zone(activity: Activity, ctx: ImportContext) -> str:
    time = activity.content.time
    return time.time_zone if isinstance(time, Timed) else ctx.calendar_time_zone


def _google_created(event: Mapping[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(event["created"]).replace("Z", "+00:00")).astimezone(UTC)
    except (KeyError, ValueError):
        return None


def is_existing(event: Mapping[str, Any], ctx: ImportContext) -> bool:
    """Whether the event predates import being switched on (unknown: it does, the safe side: listed)."""
    created = _google_created(event)
    return ctx.import_since is None or created is None or created < ctx.import_since


def drift(activity: Activity, target: SyncTarget, ctx: ImportContext, note: str, **target_changes: Any) -> Activity:
    """The CRM is master: the copy is recorded as Google now holds it and the activity queued for export."""
    changed = replace(target, last_error=note, **target_changes)
    return _with_target(activity, changed, state=SyncState.PENDING, due_at=ctx.now, attempts=0, last_error=note)


def plan_event(event: Mapping[str, Any], ctx: ImportContext, found: Mapping[str, Activity | None]) -> ImportAction:
    """What a listed event (not an instance of a series) does; ``found``: the candidates read by key."""
    event_id = str(event.get("id") or "")
    row_id = imported_activity_id(ctx.uid, event_id)
    activity = linked_activity(candidate_ids(event, ctx.uid), found, ctx, event_id)
    if event.get("status") == "cancelled":
        if activity is None:
            return ImportAction(Kind.UNLIST, event_id, row_id=row_id)
        target = linked_target(activity, ctx, event_id)
        assert target is not None
        unlinked = replace(target, state=TargetState.UNLINKED, last_error=DELETED_IN_GOOGLE, synced_at=ctx.now)
        return ImportAction(Kind.UNLINK, event_id, _with_target(activity, unlinked), row_id=row_id)
    if activity is not None:
        return _plan_linked(event, ctx, activity)
    reason = skip_reason(event)
    if reason:
        return ImportAction(Kind.SKIP, event_id, reason=reason)
    if calbridge_id(event):
        return ImportAction(Kind.SKIP, event_id, reason="exported by calbridge (not linked here): never imported")
    other = found.get(row_id)
    if other is not None:
        return ImportAction(Kind.SKIP, event_id, reason="imported from another of the user's calendars")
    try:
        new = event_to_activity(event, calendar_time_zone=ctx.calendar_time_zone, owner_uid=ctx.uid,
                                activity_type=ctx.activity_type, activity_id=row_id)
    except NotAnActivity as error:
        return ImportAction(Kind.SKIP, event_id, reason=str(error))
    start, end = activity_range(new)
    if end <= ctx.window_start:
        return ImportAction(Kind.SKIP, event_id, reason="ended before the import window (6 months back)")
    if start > ctx.window_end:
        return ImportAction(Kind.SKIP, event_id, reason="starts more than 10 years ahead")
    if not ctx.import_existing and is_existing(event, ctx):
        row = row_for(new, event, ctx.calendar_id, "created before import was switched on", ctx.now)
        return ImportAction(Kind.LIST, event_id, row=row)
    created = replace(new, created_at=ctx.now, updated_at=ctx.now)
    return ImportAction(Kind.CREATE, event_id, replace(created, sync=imported_sync(created, event, ctx)),
                        row_id=row_id)


def _plan_linked(event: Mapping[str, Any], ctx: ImportContext, activity: Activity) -> ImportAction:
    event_id = str(event["id"])
    target = linked_target(activity, ctx, event_id)
    assert target is not None
    try:
        content = event_to_content(event, ctx.calendar_time_zone)
    except NotAnActivity as error:
        return ImportAction(Kind.SKIP, event_id, reason=str(error))
    new_hash = content_hash(content)
    if activity.origin == Origin.CRM:
        if event.get("etag") == target.etag or new_hash == target.content_hash:
            return ImportAction(Kind.NOTHING, event_id, reason="our own write (no echo)")
        note = f"edited in Google ({event.get('updated') or 'now'}); the CRM version is restored"
        return ImportAction(Kind.DRIFT, event_id,
                            drift(activity, target, ctx, note, etag=event.get("etag"), content_hash=new_hash))
    if activity.status == ActivityStatus.HELD:
        return ImportAction(Kind.NOTHING, event_id, reason="Held: import does not update it")
    if new_hash == content_hash(activity):
        return ImportAction(Kind.NOTHING, event_id, reason="unchanged")
    try:
        merged = replace(content, exceptions=activity.content.exceptions)
    except InvalidActivity:
        merged = content  # the series changed shape (e.g. became all-day): its old exceptions no longer fit
    updated = replace(activity, content=merged, updated_at=ctx.now)
    sync_target = replace(target, etag=event.get("etag"), content_hash=new_hash, synced_at=ctx.now)
    return ImportAction(Kind.UPDATE, event_id, _with_target(updated, sync_target, state=SyncState.NOT_EXPORTED,
                                                            due_at=None))


def _key(original: date | datetime) -> str:
    return original.isoformat()


def plan_instance(instance: Mapping[str, Any], ctx: ImportContext, series: Activity | None) -> ImportAction:
    """A moved, edited or cancelled instance of a series: an exception of the series' activity."""
    event_id = str(instance.get("id") or "")
    series_id = str(instance.get("recurringEventId") or "")
    target = linked_target(series, ctx, series_id)
    if series is None or target is None:
        return ImportAction(Kind.SKIP, event_id, reason="an instance of a series that is not imported")
    try:
        exception = instance_to_exception(instance, _series_zone(series, ctx), series=series.content)
    except (NotAnActivity, InvalidActivity, ValueError) as error:
        return ImportAction(Kind.SKIP, event_id, reason=str(error))
    current = {_key(e.original_start): e for e in series.content.exceptions}
    before = current.get(_key(exception.original_start))
    plain = not exception.cancelled and exception == ActivityException(exception.original_start)
    if (before is not None and exception_hash(before) == exception_hash(exception)) or (before is None and plain):
        return ImportAction(Kind.NOTHING, event_id, reason="unchanged (or our own write)")
    if series.origin == Origin.CRM:
        note = f"an instance was edited in Google ({instance.get('updated') or 'now'}); the CRM version is restored"
        return ImportAction(Kind.DRIFT, event_id, drift(series, target, ctx, note, exceptions_hash=DRIFT_MARK))
    if series.status == ActivityStatus.HELD:
        return ImportAction(Kind.NOTHING, event_id, reason="Held: import does not update it")
    if plain:
        current.pop(_key(exception.original_start), None)
    else:
        current[_key(exception.original_start)] = exception
    ordered = tuple(sorted(current.values(), key=lambda e: _sort_key(e.original_start)))
    try:
        content = replace(series.content, exceptions=ordered)
    except InvalidActivity as error:
        return ImportAction(Kind.SKIP, event_id, reason=str(error))
    updated = replace(series, content=content, updated_at=ctx.now)
    new_target = replace(target, exceptions_hash=exceptions_hash(updated), synced_at=ctx.now)
    return ImportAction(Kind.UPDATE, event_id, _with_target(updated, new_target, state=SyncState.NOT_EXPORTED,
                                                            due_at=None))


def _sort_key(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


def emptied(full_sync: bool, live_events: int, linked_activities: int) -> bool:
    """A full list with no live event while activities are linked to the calendar: a safety stop (rule 16)."""
    return full_sync and live_events == 0 and linked_activities > 0
