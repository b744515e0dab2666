"""Eventarc's Firestore CloudEvent (``google.cloud.firestore.document.v1.written``) -> ``DocumentWrite``.

Eventarc delivers Firestore events in binary mode: the CloudEvent attributes in ``ce-*`` headers and
the body a protobuf ``DocumentEventData`` (content type ``application/protobuf``), with ``value``
(the document after the write; absent after a delete) and ``old_value`` (before; absent on create).
The message is parsed with Google's own types (PyPI ``google-events``); its Firestore ``Value``s
become the plain Python values the Firestore client reads (timestamps as aware UTC datetimes,
references as paths, maps and arrays as dicts and lists), so the codecs of ``functions.store`` read
them like any document.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from functions.core.activity_write import DocumentWrite

EVENT_TYPE = "google.cloud.firestore.document.v1.written"
COLLECTION = "activities"
DOCUMENT_PATTERN = "activities/{id}"  # the trigger's document filter (match-path-pattern; infra/functions.tf)


class MalformedEvent(ValueError):
    """The delivery is not a Firestore write of ``activities/{id}`` that this function can read."""


def decode_activity_write(cloud_event: Any) -> DocumentWrite:
    """The write the CloudEvent reports (``MalformedEvent`` naming the problem if it cannot be read)."""
    from google.events.cloud.firestore_v1 import DocumentEventData
    from google.protobuf.message import DecodeError

    event_type = _attribute(cloud_event, "type")
    if event_type != EVENT_TYPE:
        raise MalformedEvent(f"event type {event_type!r} is not {EVENT_TYPE}")
    data = cloud_event.data
    if isinstance(data, str):
        data = data.encode("latin-1")
    if data is None:
        data = b""  # an empty message: neither value is there (refused below)
    if not isinstance(data, bytes | bytearray):
        content_type = _attribute(cloud_event, "datacontenttype")
        raise MalformedEvent(f"expected a protobuf DocumentEventData body (application/protobuf), got {content_type!r}")
    try:
        payload = DocumentEventData.pb(DocumentEventData.deserialize(bytes(data)))
    except (DecodeError, TypeError, ValueError) as error:
        raise MalformedEvent(f"the body is not a DocumentEventData: {error}") from error
    new = payload.value if payload.HasField("value") else None
    old = payload.old_value if payload.HasField("old_value") else None
    if new is None and old is None:
        raise MalformedEvent("the event holds neither the document before nor after the write")
    name = (new or old).name  # type: ignore[union-attr]
    return DocumentWrite(
        activity_id=activity_id_of(name or _attribute(cloud_event, "document") or ""),
        old=None if old is None else fields_of(old.fields),
        new=None if new is None else fields_of(new.fields),
        event_id=str(_attribute(cloud_event, "id") or ""),
    )


def activity_id_of(path: str) -> str:
    """``projects/p/databases/(default)/documents/activities/ID`` (or ``activities/ID``) -> ``ID``."""
    relative = path.split("/documents/", 1)[1] if "/documents/" in path else path
    parts = relative.split("/")
    if len(parts) != 2 or parts[0] != COLLECTION or not parts[1]:
        raise MalformedEvent(f"document {path!r} is not activities/{{id}}")
    return parts[1]


def fields_of(fields: Any) -> dict[str, Any]:
    return {name: value_of(value) for name, value in fields.items()}


def value_of(value: Any) -> Any:
    """One Firestore ``Value`` (protobuf) as the Python value the Firestore client gives."""
    kind = value.WhichOneof("value_type")
    if kind is None or kind == "null_value":
        return None
    if kind == "timestamp_value":
        stamp = value.timestamp_value
        return datetime.fromtimestamp(stamp.seconds, UTC).replace(microsecond=stamp.nanos // 1000)
    if kind == "array_value":
        return [value_of(item) for item in value.array_value.values]
    if kind == "map_value":
        return fields_of(value.map_value.fields)
    if kind == "geo_point_value":
        return {"latitude": value.geo_point_value.latitude, "longitude": value.geo_point_value.longitude}
    return getattr(value, kind)  # boolean, integer, double, string, bytes, reference (a path)


def _attribute(cloud_event: Any, name: str) -> Any:
    try:
        return cloud_event[name]
    except (KeyError, TypeError):
        return None
