"""The whole chain with the real adapters as production wires them (functions/bootstrap.real_adapters), no
scheduled job run:

- Google -> CRM: a link with import on watches its calendar at the sandbox, addressed to the functions server's
  ``calendar_webhook`` (the public base URL is the test server's); an edit made by the user through the Calendar
  API makes the sandbox POST a notification, the webhook publishes an IMPORT task to the Pub/Sub emulator, the dev
  stack's pump delivers it to ``sync_worker`` as Eventarc would, and the activity in the Firestore emulator changes.
- CRM -> Google: an activity saved through the ``activities`` API is in Google when the answer comes (the inline
  export), with the Firestore trigger wired as well (it finds Google up to date). A write straight to the
  emulator exported by the trigger: tests/integration/test_export_on_write.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import pytest
import requests

from functions.core.event_mapping import event_id_for
from tests.integration.conftest import CLIENT_ID, Api, SignedIn

SCOPE = "https://www.googleapis.com/auth/calendar"


@pytest.fixture
def activities(functions_url: str) -> Api:
    return Api(functions_url + "activities/")


@pytest.fixture
def google_as_user(connected_user: SignedIn, sandbox: Any, sandbox_url: str) -> Callable[..., requests.Response]:
    """``call(method, path, body=None)``: the Calendar API with a token of the user's own (another client of theirs)."""
    token = sandbox.issue_access_token(connected_user.email, CLIENT_ID, [SCOPE])["access_token"]

    def call(method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(method, f"{sandbox_url}calendar/v3/{path}", json=body, timeout=30,
                                headers={"Authorization": f"Bearer {token}"})

    return call


def eventually(check: Callable[[], Any], what: str, seconds: float = 30.0) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def activity_docs(firestore_db: Any, uid: str) -> dict[str, dict[str, Any]]:
    from google.cloud.firestore_v1.base_query import FieldFilter

    query = firestore_db.collection("activities").where(filter=FieldFilter("owner_uid", "==", uid))
    return {doc.id: doc.to_dict() or {} for doc in query.stream()}


def test_an_edit_in_google_reaches_firestore_through_the_webhook_pubsub_and_sync_worker(
    api: Api, connected_user: SignedIn, calendars_of: Any, sandbox: Any, functions_url: str, firestore_db: Any,
    pubsub_pump: Any, google_as_user: Callable[..., requests.Response],
) -> None:
    user, calendar = connected_user, calendars_of(connected_user)["CRM Meetings"]
    body = {"calendar_id": calendar, "import": True, "import_existing": True, "export": False}
    saved = api.call("PUT", "links/Meeting", user.token, body)
    assert saved.status_code == 200 and saved.json()["push"]["state"] == "live", saved.text
    (channel,) = sandbox.channels()
    assert (channel["calendar_id"], channel["address"]) == (calendar, functions_url + "calendar_webhook")

    events = f"calendars/{quote(calendar, safe='')}/events"
    made = google_as_user("POST", events, {"summary": "Board review", "location": "Room 4",
                                           "start": {"dateTime": "2026-12-14T11:00:00+01:00"},
                                           "end": {"dateTime": "2026-12-14T12:00:00+01:00"}})
    assert made.status_code == 200, made.text
    imported = eventually(lambda: activity_docs(firestore_db, user.uid), "the new event imported")
    ((activity_id, doc),) = imported.items()
    assert (doc["subject"], doc["origin"], doc["activity_type"]) == ("Board review", "google", "Meeting")

    edited = google_as_user("PATCH", f"{events}/{made.json()['id']}", {"summary": "Board review (moved)"})
    assert edited.status_code == 200, edited.text
    eventually(lambda: activity_docs(firestore_db, user.uid)[activity_id]["subject"] == "Board review (moved)",
               "the edit imported")
    assert list(activity_docs(firestore_db, user.uid)) == [activity_id]  # updated in place, no second activity

    notified = [e for e in sandbox.request_log() if e["method"] == "push.exists"]
    assert len(notified) >= 2 and all(e["status"] == 200 for e in notified)
    assert pubsub_pump.delivered >= 2  # the imports went through the Pub/Sub emulator and sync_worker


def test_an_activity_saved_through_the_api_is_in_google_when_the_answer_comes(
    api: Api, activities: Api, connected_user: SignedIn, calendars_of: Any, export_on_write: Any,
    google_as_user: Callable[..., requests.Response],
) -> None:
    user, calendar = connected_user, calendars_of(connected_user)["CRM Calls"]
    assert api.call("PUT", "links/Call", user.token, {"calendar_id": calendar, "export": True}).status_code == 200
    created = activities.call("POST", "", user.token, {
        "activity_type": "Call", "subject": "Call the supplier", "start": "2026-12-15T16:00:00+01:00",
        "end": "2026-12-15T16:30:00+01:00", "time_zone": "Europe/Madrid"})
    assert created.status_code == 201, created.text
    event_path = f"calendars/{quote(calendar, safe='')}/events/{event_id_for(created.json()['id'])}"
    assert google_as_user("GET", event_path).json()["summary"] == "Call the supplier"

    edited = activities.call("PATCH", created.json()["id"], user.token, {"subject": "Call the supplier back"})
    assert edited.status_code == 200 and edited.json()["sync"]["state"] == "synced", edited.text
    assert google_as_user("GET", event_path).json()["summary"] == "Call the supplier back"
    assert export_on_write.wait_idle()  # the trigger's deliveries for both writes find Google up to date
    listed = google_as_user("GET", f"calendars/{quote(calendar, safe='')}/events").json()["items"]
    assert [e["summary"] for e in listed] == ["Call the supplier back"]
