"""An activity to the Google event body calbridge sends, and a Google event (JSON dict) to an activity.

Pure functions over Google's JSON. calbridge sends only the fields it owns (``ActivityContent``)
plus its id; never reminders, conference data or eventType (rule 10). Exceptions of a series are
separate Google instances: see ``recurrence_mapping``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

from functions.core.activity import (
    NO_TITLE,
    Activity,
    ActivityContent,
    Attendee,
    InvalidActivity,
    Origin,
    ResponseStatus,
    Transparency,
    Visibility,
)
from functions.core.content_hash import exception_hash, hash_content
from functions.core.event_times import NotAnActivity, event_time, time_to_event_fields
from functions.core.privacy import FULL, Privacy, redact
from functions.core.recurrence_mapping import (
    exception_to_instance,
    instance_event_id,
    instance_slot,
    instance_to_exception,
    subject_to_summary,
)

__all__ = [
    "ACTIVITY_ID_KEY",
    "NotAnActivity",
    "activity_to_event",
    "content_hash",
    "event_id_for",
    "event_to_activity",
    "event_to_content",
    "exception_hash",
    "exception_to_instance",
    "imported_activity_id",
    "instance_event_id",
    "instance_slot",
    "instance_to_exception",
    "skip_reason",
]

ACTIVITY_ID_KEY = "calbridge_activity_id"  # in extendedProperties.private (keys <= 44 chars, values <= 1024)
MAX_ACTIVITY_ID_BYTES = 640  # base32hex of 640 bytes is 1024 characters, Google's longest event id
MIN_ACTIVITY_ID_BYTES = 3  # ... and of 3 bytes 5 characters, its shortest

SKIPPED_EVENT_TYPES = {
    "workingLocation": "a working-location marker, not an appointment",
    "birthday": "a birthday from Google Contacts, not an appointment",
}


def event_id_for(activity_id: str) -> str:
    """The Google event id calbridge chooses for an activity: base32hex of its UTF-8 bytes, lowercase, unpadded.

    Deterministic, so a retried insert hits 409 instead of making a duplicate (rule 8); injective,
    so distinct activities never share an event.
    """
    raw = activity_id.encode("utf-8")
    if not MIN_ACTIVITY_ID_BYTES <= len(raw) <= MAX_ACTIVITY_ID_BYTES:
        raise ValueError(
            f"an activity id must be {MIN_ACTIVITY_ID_BYTES} to {MAX_ACTIVITY_ID_BYTES} UTF-8 bytes to make an event id"
        )
    return base64.b32hexencode(raw).decode("ascii").rstrip("=").lower()


def imported_activity_id(owner_uid: str, event_id: str) -> str:
    """The id of the activity an imported event becomes: one per (owner, Google event), so re-imports collide."""
    digest = hashlib.sha256(f"{owner_uid}\n{event_id}".encode()).hexdigest()
    return f"g{digest[:39]}"


def _attendee_to_event(attendee: Attendee) -> dict[str, Any]:
    body: dict[str, Any] = {"email": attendee.email, "optional": attendee.optional}
    if attendee.display_name is not None:
        body["displayName"] = attendee.display_name
    return body


def activity_to_event(activity: Activity, privacy: Privacy = FULL) -> dict[str, Any]:
    """The body calbridge inserts or patches with.

    The event id is the one Google already knows (``sync.event_id``, e.g. after *Add into CRM*),
    else ``event_id_for(activity.id)``. The subject "(No title)" that import gives an untitled event goes
    back as an empty summary. Description and location are always sent, ``""`` when empty,
    so a clear in the CRM clears Google. Attendees are sent only when the activity has some, without
    their answers, so a CRM without guests never strips the ones Google holds. Under a ``privacy`` that
    hides details (core/privacy.py) the hidden ones go out empty, attendees as ``[]`` so Google drops its
    guests too.
    """
    content = redact(activity, privacy).content
    start, end = time_to_event_fields(content.time)
    event_id = activity.sync.event_id if activity.sync and activity.sync.event_id else event_id_for(activity.id)
    body: dict[str, Any] = {
        "id": event_id,
        "summary": subject_to_summary(content.subject),
        "description": content.description,
        "location": content.location,
        "start": start,
        "end": end,
        "recurrence": list(content.recurrence),
        "visibility": str(content.visibility),
        "transparency": str(content.transparency),
        "extendedProperties": {"private": {ACTIVITY_ID_KEY: activity.id}},
    }
    if content.attendees:
        body["attendees"] = [_attendee_to_event(attendee) for attendee in content.attendees]
    elif not privacy.shows("attendees"):
        body["attendees"] = []
    return body


def skip_reason(event: Mapping[str, Any]) -> str | None:
    """Why import never turns ``event`` into an activity, or None if it does.

    Out-of-office, focus-time and from-Gmail events are imported (keeping ``google_event_type``).
    """
    if event.get("status") == "cancelled":
        return "cancelled (deleted in Google)"
    if event.get("recurringEventId"):
        return "an instance of a recurring event: it becomes an exception of its series' activity"
    reason = SKIPPED_EVENT_TYPES.get(str(event.get("eventType") or "default"))
    if reason:
        return reason
    start = event.get("start")
    if not isinstance(start, Mapping) or not (start.get("date") or start.get("dateTime")):
        return "no start time"
    return None


def _enum_or_default(enum: type[Any], value: object, default: Any) -> Any:
    try:
        return enum(value)
    except ValueError:
        return default


def _attendees_from_event(raw: object) -> tuple[Attendee, ...]:
    attendees = []
    for item in raw if isinstance(raw, list) else ():
        if not isinstance(item, Mapping) or "@" not in str(item.get("email") or ""):
            continue  # a guest without an email cannot be written back; Google keeps it
        attendees.append(
            Attendee(
                email=str(item["email"]),
                display_name=item.get("displayName"),
                optional=bool(item.get("optional", False)),
                response_status=_enum_or_default(
                    ResponseStatus, item.get("responseStatus"), ResponseStatus.NEEDS_ACTION
                ),
            )
        )
    return tuple(attendees)


def event_to_content(event: Mapping[str, Any], calendar_time_zone: str) -> ActivityContent:
    """What calbridge owns, read from a Google event (exceptions come from the instances, not from here)."""
    summary = event.get("summary") or ""
    try:
        return ActivityContent(
            subject=summary if summary.strip() else NO_TITLE,
            time=event_time(event.get("start"), event.get("end"), calendar_time_zone),
            description=event.get("description") or "",
            location=event.get("location") or "",
            visibility=_enum_or_default(Visibility, event.get("visibility"), Visibility.DEFAULT),
            transparency=_enum_or_default(Transparency, event.get("transparency"), Transparency.OPAQUE),
            attendees=_attendees_from_event(event.get("attendees")),
            recurrence=tuple(event.get("recurrence") or ()),
        )
    except InvalidActivity as error:
        raise NotAnActivity(str(error)) from error


def _calbridge_id(event: Mapping[str, Any]) -> str | None:
    private = (event.get("extendedProperties") or {}).get("private") or {}
    value = private.get(ACTIVITY_ID_KEY)
    return value if isinstance(value, str) and value else None


def event_to_activity(
    event: Mapping[str, Any],
    *,
    calendar_time_zone: str,
    owner_uid: str,
    activity_type: str,
    activity_id: str | None = None,
) -> Activity:
    """A Google event as a read-only activity of origin google (sync fields left to the caller).

    ``activity_id`` defaults to the calbridge id in ``extendedProperties.private``, else
    ``imported_activity_id``. Raises ``NotAnActivity`` (with the reason) for what ``skip_reason`` names.
    """
    reason = skip_reason(event)
    if reason:
        raise NotAnActivity(reason)
    return Activity(
        id=activity_id or _calbridge_id(event) or imported_activity_id(owner_uid, str(event.get("id") or "")),
        owner_uid=owner_uid,
        activity_type=activity_type,
        content=event_to_content(event, calendar_time_zone),
        origin=Origin.GOOGLE,
        read_only=True,
        google_event_type=str(event.get("eventType") or "default"),
    )


def content_hash(source: Activity | ActivityContent | Mapping[str, Any], *, calendar_time_zone: str = "UTC") -> str:
    """The hash of the series fields calbridge owns, the same whether read from an activity or its Google event.

    ``calendar_time_zone`` only matters for an event whose times carry no ``timeZone``.
    """
    if isinstance(source, Activity):
        return hash_content(source.content)
    if isinstance(source, ActivityContent):
        return hash_content(source)
    return hash_content(event_to_content(source, calendar_time_zone))
