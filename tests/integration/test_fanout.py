"""The fan-out through the real Pub/Sub emulator: ``export_activities`` publishes one task per user,
the dev stack's pump delivers each as Eventarc's CloudEvent to ``sync_worker`` over HTTP, and every
user's work is done exactly once in effect."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from devstack.server import PubSubPump
from functions.config import get_settings
from functions.core.activity import Activity, ActivityContent, ActivitySync, SyncState, Timed
from functions.core.event_mapping import event_id_for
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
