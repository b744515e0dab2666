"""User A tries every route of openapi.yaml on user B's data: B's ids in the path, B's uid as owner, B's
calendar in a link, the admin routes as a non-admin. Each attempt is refused in the documented error shape
(or, for the caller's own routes, answers about A only), and B's documents and Google calendar are exactly
as they were afterwards.

The attacks are keyed by the spec's operations: a route added to openapi.yaml without an attack here fails
``test_every_operation_of_the_spec_has_a_cross_user_attack``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from google.cloud.firestore_v1.base_query import FieldFilter

from functions.core.google_event_row import GoogleEventRow
from functions.store.import_store import row_to_doc
from tests.integration.conftest import Api, ConnectFlow, SignedIn
from tests.integration.test_hostile_schemathesis import spec_operation_keys
from tests.integration.test_openapi import validate
from tests.support.consent import query_of

BOB_EMAIL = "bob@example.com"


@dataclass
class World:
    functions_url: str
    alice: SignedIn
    bob: SignedIn
    bob_activity: str
    bob_calendar: str
    bob_row: str
    alice_row: str
    bob_channel: str

    def call(self, method: str, path: str, body: Any = None, params: dict[str, str] | None = None,
             token: str | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {token or self.alice.token}"}
        return requests.request(method, self.functions_url + path.lstrip("/"), json=body, params=params,
                                headers=headers, timeout=30)


def refused(answer: requests.Response, status: int, code: str) -> None:
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code), answer.text
    validate(answer.json(), "Error")


def mentions_no_bob(answer: requests.Response, world: World) -> None:
    """A's own route answered (2xx or a documented error) and says nothing of B."""
    assert answer.status_code < 500, answer.text
    text = answer.text
    for secret in (world.bob.uid, BOB_EMAIL, world.bob_calendar, world.bob_activity, world.bob_row):
        assert secret not in text, (secret, text[:300])


ACTIVITY = {"activity_type": "Meeting", "subject": "Taken over", "start": "2026-12-07T09:00:00+01:00",
            "end": "2026-12-07T10:00:00+01:00", "time_zone": "Europe/Madrid"}


def _admin_only(method: str, path: str) -> Callable[[World], None]:
    def attack(world: World) -> None:
        concrete = path.replace("{uid}", world.bob.uid).replace("{group_id}", "sales")
        body = {"admin": True} if concrete.endswith("/admin") else {"name": "Mine", "member_uids": [world.alice.uid]}
        if path.endswith("/activity-types"):
            body = {"activity_types": ["Mine"]}
        refused(world.call(method, concrete, body if method in ("PUT", "POST") else None), 403, "forbidden")

    return attack


def _own_route(method: str, path: str) -> Callable[[World], None]:
    return lambda world: mentions_no_bob(world.call(method, path, {} if method == "POST" else None), world)


def _forged_notification(world: World) -> None:
    """A knows B's channel id (say, from a leaked log) and forges Google's notification: 403, no import."""
    headers = {"X-Goog-Channel-ID": world.bob_channel, "X-Goog-Channel-Token": "forged-by-alice",
               "X-Goog-Resource-ID": "any", "X-Goog-Resource-State": "exists", "X-Goog-Message-Number": "2"}
    answer = requests.post(world.functions_url + "calendar_webhook/", headers=headers, timeout=30)
    refused(answer, 403, "forbidden")

# method + path of the spec -> what A does with B's data there, and what must happen.
ATTACKS: dict[tuple[str, str], Callable[[World], None]] = {
    ("get", "/api/me"): _own_route("GET", "/api/me"),
    ("get", "/api/activity-types"): _own_route("GET", "/api/activity-types"),
    ("get", "/api/links"): _own_route("GET", "/api/links"),
    ("get", "/api/status"): _own_route("GET", "/api/status"),
    ("post", "/api/calendars/refresh"): _own_route("POST", "/api/calendars/refresh"),
    ("post", "/api/connect"): _own_route("POST", "/api/connect"),
    # A's link to B's calendar: not in A's calendar list.
    ("put", "/api/links/{activity_type}"): lambda w: refused(
        w.call("PUT", "/api/links/Meeting", {"calendar_id": w.bob_calendar, "export": True, "import": True}),
        422, "unknown_calendar"),
    # A previews the cleanup of and resyncs "their" Meeting link: about A's link only.
    ("get", "/api/links/{activity_type}/cleanup"): lambda w: mentions_no_bob(
        w.call("GET", "/api/links/Meeting/cleanup"), w),
    ("post", "/api/links/{activity_type}/resync"): lambda w: mentions_no_bob(
        w.call("POST", "/api/links/Meeting/resync", {}), w),
    ("post", "/calendar_webhook/"): _forged_notification,
    # A deletes "their" Meeting link: B's is another document and stays (checked by the snapshot).
    ("delete", "/api/links/{activity_type}"): lambda w: mentions_no_bob(w.call("DELETE", "/api/links/Meeting"), w),
    ("get", "/activities/"): lambda w: refused(
        w.call("GET", "/activities/", params={"start": "2026-12-01", "end": "2027-01-01", "owner_uid": w.bob.uid}),
        403, "forbidden"),
    ("post", "/activities/"): lambda w: refused(w.call("POST", "/activities/", {**ACTIVITY, "owner_uid": w.bob.uid}),
                                                403, "forbidden"),
    ("get", "/activities/{activity_id}"): lambda w: refused(
        w.call("GET", f"/activities/{w.bob_activity}"), 404, "unknown_activity"),
    ("patch", "/activities/{activity_id}"): lambda w: refused(
        w.call("PATCH", f"/activities/{w.bob_activity}", {"subject": "Mine now", "owner_uid": w.alice.uid}),
        404, "unknown_activity"),
    ("delete", "/activities/{activity_id}"): lambda w: refused(
        w.call("DELETE", f"/activities/{w.bob_activity}"), 404, "unknown_activity"),
    ("get", "/activities/google-events"): lambda w: _only_own_rows(w),
    ("post", "/activities/google-events/{row_id}/add"): lambda w: refused(
        w.call("POST", f"/activities/google-events/{w.bob_row}/add"), 404, "unknown_google_event"),
    ("get", "/activities/groups"): _admin_only("GET", "/activities/groups"),
    ("put", "/activities/groups/{group_id}"): _admin_only("PUT", "/activities/groups/{group_id}"),
    ("delete", "/activities/groups/{group_id}"): _admin_only("DELETE", "/activities/groups/{group_id}"),
    ("get", "/api/admin/settings"): _admin_only("GET", "/api/admin/settings"),
    ("put", "/api/admin/settings"): _admin_only("PUT", "/api/admin/settings"),
    ("get", "/api/admin/status"): _admin_only("GET", "/api/admin/status"),
    ("put", "/api/admin/activity-types"): _admin_only("PUT", "/api/admin/activity-types"),
    ("post", "/api/admin/users/{uid}/admin"): _admin_only("POST", "/api/admin/users/{uid}/admin"),
    # Last: A's disconnect ends A's connection only.
    ("post", "/api/disconnect"): _own_route("POST", "/api/disconnect"),
}

# Operations that hold no user's data: the page shells (data comes from the API with the caller's token)
# and the OAuth callback (its state binds it to one user and browser: test_hostile_oauth_state.py).
NO_USER_DATA = {("get", "/pages/"), ("get", "/pages/admin"), ("get", "/pages/calendar"),
                ("get", "/pages/assets/{file}"), ("get", "/oauth_callback/")}


def _only_own_rows(world: World) -> None:
    answer = world.call("GET", "/activities/google-events", params={"start": "2026-12-01", "end": "2027-01-01"})
    assert answer.status_code == 200, answer.text
    assert [row["id"] for row in answer.json()["google_events"]] == [world.alice_row]
    mentions_no_bob(answer, world)


def test_every_operation_of_the_spec_has_a_cross_user_attack() -> None:
    assert set(ATTACKS) | NO_USER_DATA == spec_operation_keys()
    assert not set(ATTACKS) & NO_USER_DATA


def _row(owner: str, event_id: str, calendar_id: str) -> GoogleEventRow:
    start, end = datetime(2026, 12, 9, 9, tzinfo=UTC), datetime(2026, 12, 9, 10, tzinfo=UTC)
    return GoogleEventRow(id=f"{owner}-{event_id}", owner_uid=owner, activity_type="Meeting", calendar_id=calendar_id,
                          event_id=event_id, summary="Seen, not imported", all_day=False,
                          start="2026-12-09T09:00:00Z", end="2026-12-09T10:00:00Z", time_zone="UTC",
                          range_start=start, range_end=end, reason="existing")


def snapshot(db: Any, world: World) -> dict[str, Any]:
    """Every document of B's, and B's events in Google."""
    docs: dict[str, Any] = {}
    user = db.document(f"users/{world.bob.uid}")
    docs[user.path] = user.get().to_dict()
    for collection in user.collections():
        for doc in collection.stream():
            docs[doc.reference.path] = doc.to_dict()
    for name in ("activities", "google_events"):
        for doc in db.collection(name).where(filter=FieldFilter("owner_uid", "==", world.bob.uid)).stream():
            docs[doc.reference.path] = doc.to_dict()
    return docs


@pytest.fixture
def world(functions_url: str, api: Api, flow: ConnectFlow, connected_user: SignedIn, make_user: Any, sandbox: Any,
          calendars_of: Callable[[SignedIn], dict[str, str]], firestore_db: Any) -> World:
    alice = connected_user
    uid, token = make_user(BOB_EMAIL)
    sandbox.create_account(BOB_EMAIL, "Bob")
    sandbox.create_calendar(BOB_EMAIL, "Bob's Meetings", time_zone="Europe/Madrid")
    bob = SignedIn(uid, token, BOB_EMAIL)
    assert query_of(flow.connect(bob.token, bob.email)) == {"connect": "success"}
    bob_calendar = calendars_of(bob)["Bob's Meetings"]
    for who, calendar in ((alice, calendars_of(alice)["CRM Meetings"]), (bob, bob_calendar)):
        link = api.call("PUT", "links/Meeting", who.token, {"calendar_id": calendar, "export": True, "import": True})
        assert link.status_code == 200, link.text
    created = requests.post(functions_url + "activities/", json=ACTIVITY, timeout=30,
                            headers={"Authorization": f"Bearer {bob.token}"})
    assert created.status_code == 201 and created.json()["sync"]["state"] == "synced", created.text
    rows = {who.uid: _row(who.uid, f"ev{who.uid[:6].lower()}", who.email) for who in (alice, bob)}
    for row in rows.values():
        firestore_db.document(f"google_events/{row.id}").set(row_to_doc(row))
    channels = firestore_db.collection("channels").where(filter=FieldFilter("uid", "==", bob.uid)).get()
    assert len(channels) == 1, "B's link with import on has a push channel"
    return World(functions_url, alice, bob, created.json()["id"], bob_calendar, rows[bob.uid].id, rows[alice.uid].id,
                 channels[0].id)



def test_user_a_reaches_nothing_of_user_b_through_any_route(world: World, firestore_db: Any, sandbox: Any) -> None:
    before = snapshot(firestore_db, world)
    google_before = sandbox.owner_list_events(BOB_EMAIL, world.bob_calendar)
    assert any(doc.get("subject") == "Taken over" for doc in before.values()), "B's activity is in the snapshot"
    for operation, attack in ATTACKS.items():
        try:
            attack(world)
        except AssertionError as exc:
            raise AssertionError(f"{operation}: {exc}") from exc
    assert snapshot(firestore_db, world) == before
    assert sandbox.owner_list_events(BOB_EMAIL, world.bob_calendar) == google_before
    me = world.call("GET", "/api/me", token=world.bob.token).json()
    assert me["connection"]["status"] == "connected"
