"""The fan-out through the real Pub/Sub emulator: ``export_activities`` publishes one task per user,
the dev stack's pump delivers each as Eventarc's CloudEvent to ``sync_worker`` over HTTP, and every
user's work is done exactly once in effect."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from devstack.server import PubSubPump
from functions.config import get_settings
from functions.core.activity import Activity, ActivityContent, ActivitySync, SyncState, Timed
from functions.core.event_mapping import event_id_for
from functions.core.models import Link
from functions.core.sync_task import SyncTask, TaskKind, encode_task
from functions.store.activity_codec import activity_to_doc
from functions.store.firestore_stores import FirestoreStores
from tests.export_world import configure_client, connect_user, link

USERS = 200
START = datetime(2027, 2, 1, 9, 0, tzinfo=UTC)


def seed(firestore_db: Any, sandbox: Any) -> list[tuple[str, str, str]]:
    """USERS connected users, each with an export link and one pending activity: (uid, email, calendar)."""
    stores = FirestoreStores(firestore_db)
    configure_client(stores, sandbox)
    now = datetime.now(UTC)
    users = []
    batch = firestore_db.batch()
    for index in range(USERS):
        uid, email = f"fan-{index:03d}", f"fan{index:03d}@example.com"
        calendar = connect_user(stores, sandbox, uid, email, {"CRM": "UTC"}, now).calendars["CRM"]
        link(stores, uid, "Meeting", calendar)
        start = START + timedelta(hours=index)
        activity = Activity(f"{uid}-visit", uid, "Meeting",
                            ActivityContent(f"Visit {index}", Timed(start, start + timedelta(hours=1), "UTC")),
                            created_at=now, updated_at=now, sync=ActivitySync(SyncState.PENDING, due_at=now))
        batch.set(firestore_db.collection("activities").document(activity.id), activity_to_doc(activity))
        users.append((uid, email, calendar))
    batch.commit()
    return users


def synced_count(firestore_db: Any) -> int:
    from google.cloud.firestore_v1.base_query import FieldFilter

    query = firestore_db.collection("activities").where(filter=FieldFilter("sync.state", "==", "synced"))
    return sum(1 for _ in query.select([]).stream())


def test_a_fan_out_of_200_users_through_the_pubsub_emulator_exports_each_once(
    stack: Any, functions_url: str, firestore_db: Any, sandbox: Any
) -> None:
    users = seed(firestore_db, sandbox)
    sandbox.clear_request_log()
    pump = PubSubPump(functions_url, stack.project_id, get_settings().sync_topic,
                      subscription=f"fanout-{uuid.uuid4().hex[:8]}").start()
    try:
        summary = requests.post(functions_url + "export_activities", json={}, timeout=120).json()
        assert summary == {"activities": USERS, "users": USERS, "published": USERS}
        deadline = time.monotonic() + 240
        while synced_count(firestore_db) < USERS and time.monotonic() < deadline:
            time.sleep(1)
        again = requests.post(functions_url + "export_activities", json={}, timeout=120).json()
    finally:
        pump.stop()

    assert synced_count(firestore_db) == USERS
    for uid, email, calendar in users:
        assert [e["id"] for e in sandbox.owner_list_events(email, calendar)] == [event_id_for(f"{uid}-visit")], uid
    inserts = [e for e in sandbox.request_log() if e["http_method"] == "POST" and e["path"].endswith("/events")]
    assert len(inserts) == USERS  # one insert per user: no task ran twice in effect
    assert again == {"activities": 0, "users": 0, "published": 0}


def cloud_event(data: bytes) -> tuple[str, dict[str, str]]:
    """A Pub/Sub message as Eventarc POSTs it to the worker (binary CloudEvent)."""
    body = json.dumps({"message": {"data": base64.b64encode(data).decode(), "messageId": "1"}, "subscription": "s"})
    headers = {"ce-id": uuid.uuid4().hex, "ce-specversion": "1.0",
               "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
               "ce-source": "//pubsub.googleapis.com/projects/demo/topics/calbridge-sync",
               "content-type": "application/json"}
    return body, headers


def test_sync_worker_acknowledges_what_retrying_cannot_fix_and_refuses_what_may_pass(
    functions_url: str, firestore_db: Any, sandbox: Any
) -> None:
    def deliver(data: bytes) -> int:
        body, headers = cloud_event(data)
        return requests.post(functions_url + "sync_worker", data=body, headers=headers, timeout=60).status_code

    stores = FirestoreStores(firestore_db)
    configure_client(stores, sandbox)
    user = connect_user(stores, sandbox, "ida", "ida@example.com", {"CRM": "UTC"})
    stores.links.put_link_checked("ida", "Meeting", lambda _: Link("Meeting", user.calendars["CRM"], "CRM",
                                                                  import_=True))
    importing = encode_task(SyncTask(TaskKind.IMPORT, "ida", "Meeting", "push"))

    assert deliver(b"{not json") < 300  # acknowledged: no retry storm
    assert deliver(encode_task(SyncTask(TaskKind.IMPORT, "nobody", "Meeting"))) < 300  # user gone: skipped
    sandbox.inject_fault(status=503, count=100, path_contains="/events")
    assert deliver(importing) == 500  # Google unavailable: Pub/Sub delivers it again
    sandbox.clear_faults()
    assert deliver(importing) < 300
    assert stores.links.list_links("ida")[0].sync_token  # the redelivery did the import
