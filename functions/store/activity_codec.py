"""``activities/{id}`` documents <-> ``Activity``: plain fields, Firestore timestamps, dates as ``YYYY-MM-DD``.

A timed activity has ``start`` / ``end`` (timestamps) and ``time_zone``; an all-day one has
``all_day: true`` and ``start_date`` / ``end_date`` (inclusive). ``range_start`` / ``range_end`` are
derived (the list query); ``sync`` is the export's bookkeeping (docs/export.md).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from functions.core.activity import (
    Activity,
    ActivityContent,
    ActivityException,
    ActivitySync,
    ActivityTime,
    AllDay,
    Attendee,
    SyncTarget,
    Timed,
)
from functions.core.activity_range import activity_range

CONTENT_FIELDS = (
    "subject", "description", "location", "visibility", "transparency", "attendees", "recurrence", "exceptions",
    "all_day", "start", "end", "start_date", "end_date", "time_zone",
)


def _utc(value: Any) -> datetime:
    """A plain aware datetime (Firestore's DatetimeWithNanoseconds breaks on ``replace``)."""
    if not isinstance(value, datetime):
        raise ValueError(f"expected a timestamp, got {value!r}")
    return datetime(value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond,
                    tzinfo=value.tzinfo or UTC)


def _opt_utc(value: Any) -> datetime | None:
    return None if value is None else _utc(value)


def time_to_doc(time: ActivityTime) -> dict[str, Any]:
    if isinstance(time, AllDay):
        return {"all_day": True, "start_date": time.start_date.isoformat(), "end_date": time.end_date.isoformat(),
                "start": None, "end": None, "time_zone": None}
    return {"all_day": False, "start": time.start, "end": time.end, "time_zone": time.time_zone,
            "start_date": None, "end_date": None}


def time_from_doc(data: dict[str, Any]) -> ActivityTime:
    if data.get("all_day"):
        return AllDay(date.fromisoformat(data["start_date"]), date.fromisoformat(data["end_date"]))
    return Timed(_utc(data["start"]), _utc(data["end"]), str(data.get("time_zone") or "UTC"))


def _exception_to_doc(exception: ActivityException) -> dict[str, Any]:
    key = exception.original_start
    doc: dict[str, Any] = {
        "original_start": key if isinstance(key, datetime) else None,
        "original_date": None if isinstance(key, datetime) else key.isoformat(),
        "cancelled": exception.cancelled,
        "subject": exception.subject,
        "description": exception.description,
        "location": exception.location,
        "time": time_to_doc(exception.time) if exception.time else None,
    }
    return doc


def _exception_from_doc(data: dict[str, Any]) -> ActivityException:
    key: date | datetime = (
        _utc(data["original_start"]) if data.get("original_start") is not None
        else date.fromisoformat(data["original_date"])
    )
    return ActivityException(
        original_start=key,
        cancelled=bool(data.get("cancelled", False)),
        time=time_from_doc(data["time"]) if data.get("time") else None,
        subject=data.get("subject"),
        description=data.get("description"),
        location=data.get("location"),
    )


def content_to_doc(content: ActivityContent) -> dict[str, Any]:
    return {
        "subject": content.subject,
        "description": content.description,
        "location": content.location,
        "visibility": str(content.visibility),
        "transparency": str(content.transparency),
        "attendees": [
            {"email": a.email, "display_name": a.display_name, "optional": a.optional,
             "response_status": str(a.response_status)}
            for a in content.attendees
        ],
        "recurrence": list(content.recurrence),
        "exceptions": [_exception_to_doc(e) for e in content.exceptions],
        **time_to_doc(content.time),
    }


def content_from_doc(data: dict[str, Any]) -> ActivityContent:
    return ActivityContent(
        subject=str(data.get("subject") or ""),
        time=time_from_doc(data),
        description=str(data.get("description") or ""),
        location=str(data.get("location") or ""),
        visibility=data.get("visibility") or "default",
        transparency=data.get("transparency") or "opaque",
        attendees=tuple(
            Attendee(
                email=a["email"], display_name=a.get("display_name"), optional=bool(a.get("optional", False)),
                response_status=a.get("response_status") or "needsAction",
            )
            for a in data.get("attendees") or ()
        ),
        recurrence=tuple(data.get("recurrence") or ()),
        exceptions=tuple(_exception_from_doc(e) for e in data.get("exceptions") or ()),
    )


def target_to_doc(target: SyncTarget) -> dict[str, Any]:
    return {
        "uid": target.uid,
        "calendar_id": target.calendar_id,
        "event_id": target.event_id,
        "etag": target.etag,
        "content_hash": target.content_hash,
        "exceptions_hash": target.exceptions_hash,
        "state": str(target.state),
        "last_error": target.last_error,
        "synced_at": target.synced_at,
    }


def target_from_doc(data: dict[str, Any]) -> SyncTarget:
    return SyncTarget(
        uid=str(data["uid"]),
        calendar_id=str(data["calendar_id"]),
        event_id=str(data["event_id"]),
        etag=data.get("etag"),
        content_hash=data.get("content_hash"),
        exceptions_hash=data.get("exceptions_hash"),
        state=data.get("state") or "synced",
        last_error=data.get("last_error"),
        synced_at=_opt_utc(data.get("synced_at")),
    )


def sync_to_doc(sync: ActivitySync) -> dict[str, Any]:
    return {
        "state": str(sync.state),
        "targets": [target_to_doc(t) for t in sync.targets],
        "event_id": sync.event_id,
        "last_error": sync.last_error,
        "attempts": sync.attempts,
        "due_at": sync.due_at,
        "synced_at": sync.synced_at,
    }


def sync_from_doc(data: dict[str, Any] | None) -> ActivitySync | None:
    if not isinstance(data, dict):
        return None
    return ActivitySync(
        state=data.get("state") or "pending",
        targets=tuple(target_from_doc(t) for t in data.get("targets") or ()),
        event_id=data.get("event_id"),
        last_error=data.get("last_error"),
        attempts=int(data.get("attempts") or 0),
        due_at=_opt_utc(data.get("due_at")),
        synced_at=_opt_utc(data.get("synced_at")),
    )


def activity_to_doc(activity: Activity) -> dict[str, Any]:
    """The whole document (``sync`` included when the activity has one)."""
    range_start, range_end = activity_range(activity)
    doc: dict[str, Any] = {
        "owner_uid": activity.owner_uid,
        "activity_type": activity.activity_type,
        "group_id": activity.group_id,
        "status": str(activity.status),
        "origin": str(activity.origin),
        "read_only": activity.read_only,
        "google_event_type": activity.google_event_type,
        "deleted": activity.deleted,
        "range_start": range_start,
        "range_end": range_end,
        "created_at": activity.created_at,
        "updated_at": activity.updated_at,
        **content_to_doc(activity.content),
    }
    if activity.sync is not None:
        doc["sync"] = sync_to_doc(activity.sync)
    return doc


def activity_from_doc(activity_id: str, data: dict[str, Any], revision: object = None) -> Activity:
    return Activity(
        id=activity_id,
        owner_uid=str(data.get("owner_uid") or ""),
        activity_type=str(data.get("activity_type") or ""),
        content=content_from_doc(data),
        status=data.get("status") or "Planned",
        origin=data.get("origin") or "crm",
        read_only=bool(data.get("read_only", False)),
        group_id=data.get("group_id"),
        google_event_type=data.get("google_event_type"),
        deleted=bool(data.get("deleted", False)),
        sync=sync_from_doc(data.get("sync")),
        created_at=_opt_utc(data.get("created_at")),
        updated_at=_opt_utc(data.get("updated_at")),
        revision=revision,
    )
