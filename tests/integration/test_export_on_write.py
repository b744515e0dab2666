"""Export on write over the real stack: on_activity_write gets the CloudEvent production sends (binary mode,
protobuf DocumentEventData built with google-events from the emulator's own documents) over HTTP, and the
Google event in the sandbox follows. With the dev stack's wiring (the Firestore emulator's own event
delivery, relayed as Eventarc does), a document written straight to the emulator is exported."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from google.events.cloud.firestore_v1 import Document, DocumentEventData

from tests.integration.conftest import Api, SignedIn

WAIT_SECONDS = 20  # bound for what the dev stack's trigger has to do


@pytest.fixture
def activities(functions_url: str) -> Api:
    return Api(functions_url + "activities/")


@pytest.fixture
def meetings(api: Api, connected_user: SignedIn, calendars_of: Any) -> str:
    """The user's Meeting type exported to their CRM Meetings calendar; its id."""
    calendar_id = calendars_of(connected_user)["CRM Meetings"]
    body = {"calendar_id": calendar_id, "export": True}
    assert api.call("PUT", "links/Meeting", connected_user.token, body).status_code == 200
    return calendar_id


def live_events(sandbox: Any, email: str, calendar_id: str) -> list[dict[str, Any]]:
    return [e for e in sandbox.owner_list_events(email, calendar_id) if e.get("status") != "cancelled"]


def calendar_calls(sandbox: Any) -> int:
    return sum(1 for e in sandbox.request_log() if e["method"] != "batch" and "calendar/v3" in e["path"])


def create(activities: Api, user: SignedIn, subject: str = "Kick-off") -> dict[str, Any]:
    body = {"activity_type": "Meeting", "subject": subject, "start": "2026-12-07T09:00:00+01:00",
            "end": "2026-12-07T10:00:00+01:00", "time_zone": "Europe/Madrid"}
    answer = activities.call("POST", "", user.token, body)
    assert answer.status_code == 201, answer.text
    assert answer.json()["sync"]["state"] == "synced"
    return answer.json()


def stored(firestore_db: Any, activity_id: str) -> Document | None:
    """The document as the emulator holds it, as the Firestore protobuf Eventarc puts in its events."""
    from google.api_core.exceptions import NotFound

    ref = firestore_db.collection("activities").document(activity_id)
    try:
        found = firestore_db._firestore_api.get_document(  # the client's own metadata: the emulator's owner
            request={"name": ref._document_path}, metadata=firestore_db._rpc_metadata)
    except NotFound:
        return None
    return Document.deserialize(type(found).serialize(found))  # the same message, google-events' type


def post_event(functions_url: str, old: Document | None, new: Document | None, event_type: str = "") -> Any:
    """POST the CloudEvent Eventarc sends for a Firestore write: binary mode, protobuf body."""
    data = DocumentEventData(old_value=old, value=new)
    name = (new or old).name
    headers = {
        "ce-specversion": "1.0",
        "ce-id": uuid.uuid4().hex,
        "ce-type": event_type or "google.cloud.firestore.document.v1.written",
        "ce-source": "//firestore.googleapis.com/projects/demo-calbridge/databases/(default)",
        "ce-subject": "documents/" + name.split("/documents/", 1)[1],
        "ce-time": datetime.now(UTC).isoformat(),
        "ce-dataschema": "https://github.com/googleapis/google-cloudevents/blob/main/proto/google/events/cloud/"
                         "firestore/v1/data.proto",
        "ce-database": "(default)",
        "ce-namespace": "(default)",
        "ce-document": name.split("/documents/", 1)[1],
        "content-type": "application/protobuf",
    }
    return requests.post(functions_url + "on_activity_write", data=DocumentEventData.serialize(data),
                         headers=headers, timeout=60)


def eventually(check: Callable[[], Any], seconds: float = WAIT_SECONDS) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


def test_the_cloudevent_eventarc_sends_exports_a_console_edit_and_its_own_write_does_nothing(
    activities: Api, connected_user: SignedIn, meetings: str, sandbox: Any, firestore_db: Any, functions_url: str
) -> None:
    created = create(activities, connected_user)
    before = stored(firestore_db, created["id"])
    # A console user edits the subject and the end; sync stays "synced": nobody asked for export.
    firestore_db.collection("activities").document(created["id"]).update(
        {"subject": "Edited in the console", "end": datetime(2026, 12, 7, 10, 30, tzinfo=UTC)})
    edited = stored(firestore_db, created["id"])
    sandbox.clear_request_log()

    answer = post_event(functions_url, before, edited)
    assert answer.status_code == 200, answer.text
    [event] = live_events(sandbox, connected_user.email, meetings)
    assert event["summary"] == "Edited in the console"
    assert event["end"]["dateTime"] == "2026-12-07T11:30:00+01:00"
    assert calendar_calls(sandbox) == 1
    after = stored(firestore_db, created["id"])
    assert after.fields["sync"].map_value.fields["state"].string_value == "synced"

    # The export's own write of sync fires the trigger again: no Calendar call, no write.
    sandbox.clear_request_log()
    assert post_event(functions_url, edited, after).status_code == 200
    assert calendar_calls(sandbox) == 0
    assert stored(firestore_db, created["id"]).update_time == after.update_time
    # The same event delivered twice (at least once delivery) does no harm either.
    assert post_event(functions_url, before, edited).status_code == 200
    assert calendar_calls(sandbox) == 0


def test_the_trigger_for_an_api_save_finds_google_up_to_date(
    activities: Api, connected_user: SignedIn, meetings: str, sandbox: Any, firestore_db: Any, functions_url: str
) -> None:
    created = create(activities, connected_user)
    sandbox.clear_request_log()
    assert post_event(functions_url, None, stored(firestore_db, created["id"])).status_code == 200
    assert calendar_calls(sandbox) == 0
    assert len(live_events(sandbox, connected_user.email, meetings)) == 1


def test_a_document_deleted_in_the_console_takes_its_event_along(
    activities: Api, connected_user: SignedIn, meetings: str, sandbox: Any, firestore_db: Any, functions_url: str
) -> None:
    created = create(activities, connected_user)
    before = stored(firestore_db, created["id"])
    firestore_db.collection("activities").document(created["id"]).delete()
    assert post_event(functions_url, before, None).status_code == 200
    assert live_events(sandbox, connected_user.email, meetings) == []


def test_a_transient_google_failure_fails_the_delivery_so_eventarc_retries(
    activities: Api, connected_user: SignedIn, meetings: str, sandbox: Any, firestore_db: Any, functions_url: str
) -> None:
    created = create(activities, connected_user)
    before = stored(firestore_db, created["id"])
    firestore_db.collection("activities").document(created["id"]).update({"subject": "Second"})
    edited = stored(firestore_db, created["id"])
    sandbox.inject_fault(status=503, count=100, path_contains="/events")
    assert post_event(functions_url, before, edited).status_code == 500
    sandbox.clear_faults()
    assert post_event(functions_url, before, edited).status_code == 200  # the redelivery
    assert [e["summary"] for e in live_events(sandbox, connected_user.email, meetings)] == ["Second"]


@pytest.mark.parametrize("kind", ["json", "garbage", "other-type", "other-collection"])
def test_a_malformed_event_is_acknowledged_and_does_nothing(
    kind: str, connected_user: SignedIn, sandbox: Any, functions_url: str
) -> None:
    sandbox.clear_request_log()
    headers = {"ce-specversion": "1.0", "ce-id": "x1", "ce-source": "//firestore.googleapis.com/projects/p",
               "ce-type": "google.cloud.firestore.document.v1.written", "content-type": "application/protobuf"}
    url = functions_url + "on_activity_write"
    if kind == "json":
        answer = requests.post(url, json={"value": {"name": "x"}}, headers={**headers, "content-type":
                                                                          "application/json"}, timeout=30)
    elif kind == "garbage":
        answer = requests.post(url, data=b"\xff\x00not protobuf", headers=headers, timeout=30)
    else:
        name = "projects/p/databases/(default)/documents/" + ("links/x" if kind == "other-collection" else
                                                             "activities/x")
        data = DocumentEventData(value=Document(name=name))
        if kind == "other-type":
            headers["ce-type"] = "google.cloud.firestore.document.v1.deleted"
        answer = requests.post(url, data=DocumentEventData.serialize(data), headers=headers, timeout=30)
    assert answer.status_code == 200, answer.text
    assert calendar_calls(sandbox) == 0


def test_a_write_straight_to_the_emulator_is_exported(
    export_on_write: Any, connected_user: SignedIn, meetings: str, sandbox: Any, firestore_db: Any
) -> None:
    """The dev stack's wiring: the Firestore emulator delivers the write, relayed as Eventarc does."""
    start, end = datetime(2026, 12, 8, 9, 0, tzinfo=UTC), datetime(2026, 12, 8, 10, 0, tzinfo=UTC)
    ref = firestore_db.collection("activities").document("console-made-1")
    ref.set({  # what a console user or a direct client writes: no sync bookkeeping at all
        "owner_uid": connected_user.uid, "activity_type": "Meeting", "origin": "crm", "subject": "From the console",
        "all_day": False, "start": start, "end": end, "time_zone": "Europe/Madrid",
        "range_start": start, "range_end": end,
    })

    def exported() -> list[dict[str, Any]]:
        return [e for e in live_events(sandbox, connected_user.email, meetings) if e["summary"] == "From the console"]

    assert eventually(exported), "the write was not exported"
    assert eventually(lambda: (ref.get().to_dict().get("sync") or {}).get("state") == "synced")

    # An edit in the console: exported too, with one Calendar call; the export's own writes fire the
    # trigger again (delivered, answered 200) and make none.
    assert export_on_write.wait_idle()
    sandbox.clear_request_log()
    delivered = export_on_write.delivered
    ref.update({"subject": "Renamed in the console"})
    assert eventually(lambda: [e["summary"] for e in live_events(sandbox, connected_user.email, meetings)]
                      == ["Renamed in the console"])
    assert eventually(lambda: export_on_write.delivered >= delivered + 2)  # the edit, and the export's write
    assert export_on_write.wait_idle()
    assert calendar_calls(sandbox) == 1
    assert export_on_write.delivered == delivered + 2

    ref.delete()  # deleted outright in the console: the Google event goes too
    assert eventually(lambda: live_events(sandbox, connected_user.email, meetings) == [])
