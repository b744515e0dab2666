"""Decoding Eventarc's Firestore event (protobuf DocumentEventData, built here with google-events) into the
plain values the Firestore client reads; what cannot be read is refused with the reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cloudevents.http import CloudEvent
from google.events.cloud.firestore_v1 import ArrayValue, Document, DocumentEventData, MapValue, Value
from google.protobuf.timestamp_pb2 import Timestamp

from functions.events.firestore_event import EVENT_TYPE, MalformedEvent, activity_id_of, decode_activity_write

NAME = "projects/demo-calbridge/databases/(default)/documents/activities/act-1"


def event(data: bytes | dict | None, event_type: str = EVENT_TYPE) -> CloudEvent:
    attributes = {"type": event_type, "source": "//firestore.googleapis.com/projects/p/databases/(default)",
                  "id": "ev-1", "datacontenttype": "application/protobuf"}
    return CloudEvent(attributes, data)


def test_values_become_what_the_firestore_client_reads() -> None:
    stamp = Timestamp(seconds=1796634000, nanos=123456789)
    fields = {
        "subject": Value(string_value="Réunion ✓"),
        "all_day": Value(boolean_value=False),
        "attempts": Value(integer_value=3),
        "ratio": Value(double_value=0.5),
        "start": Value(timestamp_value=stamp),
        "group_id": Value(null_value=0),
        "recurrence": Value(array_value=ArrayValue(values=[Value(string_value="RRULE:FREQ=WEEKLY")])),
        "sync": Value(map_value=MapValue(fields={"state": Value(string_value="synced"),
                                                 "targets": Value(array_value=ArrayValue(values=[]))})),
        "owner": Value(reference_value="projects/p/databases/(default)/documents/users/alice"),
        "blob": Value(bytes_value=b"\x00\x01"),
    }
    data = DocumentEventData(value=Document(name=NAME, fields=fields))
    write = decode_activity_write(event(DocumentEventData.serialize(data)))
    assert write.activity_id == "act-1" and write.old is None and write.event_id == "ev-1"
    assert write.new == {
        "subject": "Réunion ✓", "all_day": False, "attempts": 3, "ratio": 0.5,
        "start": datetime(2026, 12, 7, 9, 0, 0, 123456, tzinfo=UTC), "group_id": None,
        "recurrence": ["RRULE:FREQ=WEEKLY"], "sync": {"state": "synced", "targets": []},
        "owner": "projects/p/databases/(default)/documents/users/alice", "blob": b"\x00\x01",
    }


def test_a_delete_has_only_the_old_value() -> None:
    data = DocumentEventData(old_value=Document(name=NAME, fields={"subject": Value(string_value="Gone")}))
    write = decode_activity_write(event(DocumentEventData.serialize(data)))
    assert (write.old, write.new) == ({"subject": "Gone"}, None)


@pytest.mark.parametrize(
    ("data", "event_type", "problem"),
    [
        ({"value": {}}, EVENT_TYPE, "expected a protobuf DocumentEventData body"),
        (b"\xff\xff\xff not protobuf", EVENT_TYPE, "not a DocumentEventData"),
        (DocumentEventData.serialize(DocumentEventData()), EVENT_TYPE, "neither the document before nor after"),
        (DocumentEventData.serialize(DocumentEventData(value=Document(name=NAME))),
         "google.cloud.firestore.document.v1.created", "is not google.cloud.firestore.document.v1.written"),
    ],
    ids=["json", "garbage", "empty", "other-type"],
)
def test_what_cannot_be_read_is_refused_with_the_reason(data: object, event_type: str, problem: str) -> None:
    with pytest.raises(MalformedEvent, match=problem):
        decode_activity_write(event(data, event_type))  # type: ignore[arg-type]


@pytest.mark.parametrize("path", ["activities", "links/x", "activities/x/notes/y", "activities/"])
def test_only_activity_documents_are_taken(path: str) -> None:
    with pytest.raises(MalformedEvent, match="is not activities/"):
        activity_id_of(f"projects/p/databases/(default)/documents/{path}")
    assert activity_id_of("activities/abc") == "abc"
