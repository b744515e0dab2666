"""firestore.rules on the real Firestore emulator: what a signed-in client may read and write.

Every case seeds the same small world with the admin client (rules bypassed), then performs
one read, write, delete or query through the emulator's REST API as alice, bob, an admin
(custom claim ``admin: true``), or nobody, and asserts 200 (allowed) or 403 (refused).
The spec is the "client access" column of docs/data-model.md.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from devstack.stack import RULES_PATH, LocalStack

ALLOWED = 200
DENIED = 403

PROJECT_CLAIMS = {"aud": "demo-calbridge", "iss": "https://securetoken.google.com/demo-calbridge"}

# Who calls: the token claims of each caller, or None for a request without a token.
CALLERS: dict[str, dict[str, Any] | None] = {
    "alice": {"sub": "alice", "user_id": "alice"},
    "bob": {"sub": "bob", "user_id": "bob"},
    "admin": {"sub": "carol", "user_id": "carol", "admin": True},
    "fake_admin": {"sub": "mallory", "user_id": "mallory", "admin": "true"},  # a string is not the claim
    "anonymous": None,
}


def unsigned_id_token(claims: dict[str, Any]) -> str:
    """An ID token as the Firestore emulator accepts it (``alg: none``)."""

    def b64(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    now = int(datetime.now(UTC).timestamp())
    payload = {**PROJECT_CLAIMS, "iat": now, "exp": now + 3600, "auth_time": now, **claims}
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(payload)}."


SERVER_TIME = object()  # a field the request sets to the server's request time (serverTimestamp())


def encode_value(value: Any) -> dict[str, Any]:
    """A Python value as a Firestore REST ``Value``."""
    if value is None:
        return {"nullValue": None}
    if isinstance(value, bool):
        return {"booleanValue": value}
    if isinstance(value, int):
        return {"integerValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, datetime):
        return {"timestampValue": value.isoformat().replace("+00:00", "Z")}
    if isinstance(value, dict):
        return {"mapValue": {"fields": {k: encode_value(v) for k, v in value.items()}}}
    if isinstance(value, list):
        return {"arrayValue": {"values": [encode_value(v) for v in value]}}
    raise TypeError(f"cannot encode {value!r}")


# --- the world every case starts from --------------------------------------------------
START = datetime(2024, 5, 6, 9, 0, tzinfo=UTC)
END = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)


def _activity(owner: str, origin: str = "crm", **extra: Any) -> dict[str, Any]:
    return {
        "owner_uid": owner,
        "activity_type": "Call",
        "subject": f"{owner}'s call",
        "start": START,
        "end": END,
        "time_zone": "Europe/Madrid",
        "status": "Planned",
        "origin": origin,
        "range_start": START,
        "range_end": END,
        "sync": {"state": "synced", "targets": [], "event_id": None},
        **extra,
    }


COPY = {"uid": "alice", "calendar_id": "alice@example.com", "event_id": "ev1", "etag": '"1"', "state": "synced"}
ASK = {"sync.state": "pending", "sync.due_at": SERVER_TIME}  # what every client write adds: export, please


SEED: dict[str, dict[str, Any]] = {
    "users/alice": {"email": "alice@example.com", "connection": {"status": "connected"}},
    "users/bob": {"email": "bob@example.com", "connection": {"status": "disconnected"}},
    "users/alice/links/Call": {"activity_type": "Call", "calendar_id": "alice@example.com", "export": True},
    "users/bob/links/Call": {"activity_type": "Call", "calendar_id": "bob@example.com", "export": True},
    "users/alice/secrets/google": {"refresh_token": "v1:c2VjcmV0"},
    "users/bob/secrets/google": {"refresh_token": "v1:c2VjcmV0"},
    "config/google": {"client_id": "cid", "client_secret": "v1:c2VjcmV0", "redirect_url": "http://x/cb"},
    "config/activity_types": {"types": ["Call", "Meeting", "Task"]},
    "oauth_states/state-alice": {"uid": "alice", "code_verifier": "verifier", "used": False},
    "mappings/map-alice": {"uid": "alice", "calendar_id": "alice@example.com", "activity_id": "alice-crm"},
    "channels/chan-alice": {"owner_uid": "alice", "calendar_id": "alice@example.com", "token_hash": "h"},
    "activities/alice-crm": _activity("alice", read_only=False),
    "activities/alice-noflag": _activity("alice"),  # read_only absent counts as false
    "activities/alice-ro": _activity("alice", origin="google", read_only=True),
    "activities/alice-exported": _activity("alice", read_only=False, sync={"state": "synced", "targets": [COPY]}),
    "groups/sales": {"name": "Sales", "member_uids": ["alice", "bob"]},
    "activities/bob-crm": _activity("bob", read_only=False),
    "google_events/alice-ev": {"owner_uid": "alice", "calendar_id": "alice@example.com", "summary": "Dentist"},
    "google_events/bob-ev": {"owner_uid": "bob", "calendar_id": "bob@example.com", "summary": "Gym"},
    "elsewhere/doc": {"x": 1},
}


def new_activity(owner: str = "alice", **changes: Any) -> dict[str, Any]:
    """What a CRM client would write for a new activity; ``changes`` may set None to drop a field."""
    data = {"owner_uid": owner, "activity_type": "Meeting", "subject": "Kick-off", "start": START,
            "end": END, "origin": "crm", "read_only": False, "range_start": START, "range_end": END,
            "sync": {"state": "pending", "due_at": SERVER_TIME}}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


# --- the operations, through the REST API ------------------------------------------------
@dataclass(frozen=True)
class Case:
    who: str
    op: str  # get | list | query | create | update | delete
    path: str  # a document (get/update/delete) or a collection (list/query/create)
    expected: int
    data: dict[str, Any] = field(default_factory=dict)  # create/update fields; query: {field: value} filters
    doc_id: str = ""  # create only
    label: str = ""  # what is special about the data, for the test id

    @property
    def id(self) -> str:
        extra = self.label or (",".join(f"{k}={v}" for k, v in self.data.items()) if self.op != "create" else "")
        verdict = "allowed" if self.expected == ALLOWED else "denied"
        target = f"{self.path}/{self.doc_id}" if self.doc_id else self.path
        return f"{self.who}-{self.op}-{target}{'[' + extra + ']' if extra else ''}-{verdict}"


class RestClient:
    def __init__(self, address: str, project_id: str, claims: dict[str, Any] | None) -> None:
        self.root = f"http://{address}/v1/projects/{project_id}/databases/(default)/documents"
        self.session = requests.Session()
        if claims is not None:
            self.session.headers["Authorization"] = f"Bearer {unsigned_id_token(claims)}"

    def get(self, path: str) -> requests.Response:
        return self.session.get(f"{self.root}/{path}", timeout=10)

    def list(self, collection: str) -> requests.Response:
        return self.session.get(f"{self.root}/{collection}", timeout=10)

    def query(self, collection: str, filters: dict[str, Any]) -> requests.Response:
        parent, _, collection_id = collection.rpartition("/")
        query: dict[str, Any] = {"from": [{"collectionId": collection_id}]}
        conditions = [
            {"fieldFilter": {"field": {"fieldPath": k}, "op": "EQUAL", "value": encode_value(v)}}
            for k, v in filters.items()
        ]
        if len(conditions) == 1:
            query["where"] = conditions[0]
        elif conditions:
            query["where"] = {"compositeFilter": {"op": "AND", "filters": conditions}}
        url = f"{self.root}/{parent}:runQuery" if parent else f"{self.root}:runQuery"
        return self.session.post(url, json={"structuredQuery": query}, timeout=10)

    def _commit(self, path: str, data: dict[str, Any], *, exists: bool, mask: bool) -> requests.Response:
        """One write through ``:commit``, so a SERVER_TIME value becomes a REQUEST_TIME transform.

        Keys may be field paths (``sync.state``); with ``mask`` only they change (an update)."""
        fields: dict[str, Any] = {}
        transforms = []
        for key, value in data.items():
            if value is SERVER_TIME:
                transforms.append({"fieldPath": key, "setToServerValue": "REQUEST_TIME"})
                continue
            *parents, leaf = key.split(".")
            node = fields
            for parent in parents:
                node = node.setdefault(parent, {"mapValue": {"fields": {}}})["mapValue"]["fields"]
            node[leaf] = encode_value(value)
        name = self.root.split("/v1/", 1)[1] + "/" + path
        write: dict[str, Any] = {"update": {"name": name, "fields": fields}, "currentDocument": {"exists": exists}}
        if mask:
            write["updateMask"] = {"fieldPaths": [k for k, v in data.items() if v is not SERVER_TIME]}
        if transforms:
            write["updateTransforms"] = transforms
        return self.session.post(f"{self.root}:commit", json={"writes": [write]}, timeout=10)

    def create(self, collection: str, doc_id: str, data: dict[str, Any]) -> requests.Response:
        if any(value is SERVER_TIME for value in _leaves(data)):
            return self._commit(f"{collection}/{doc_id}", _flatten_server_time(data), exists=False, mask=False)
        body = {"fields": {k: encode_value(v) for k, v in data.items()}}
        return self.session.post(f"{self.root}/{collection}", params={"documentId": doc_id}, json=body, timeout=10)

    def update(self, path: str, data: dict[str, Any]) -> requests.Response:
        """Change the given fields (top-level names or paths such as ``sync.state``) of an existing document."""
        return self._commit(path, data, exists=True, mask=True)

    def delete(self, path: str) -> requests.Response:
        return self.session.delete(f"{self.root}/{path}", timeout=10)

    def run(self, case: Case) -> requests.Response:
        if case.op in ("get", "list", "delete"):
            return getattr(self, case.op)(case.path)
        if case.op == "query":
            return self.query(case.path, case.data)
        if case.op == "create":
            return self.create(case.path, case.doc_id, case.data)
        if case.op == "update":
            return self.update(case.path, case.data)
        raise ValueError(case.op)


def _leaves(data: dict[str, Any]) -> list[Any]:
    found: list[Any] = []
    for value in data.values():
        found.extend(_leaves(value) if isinstance(value, dict) else [value])
    return found


def _flatten_server_time(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested maps holding SERVER_TIME as field paths, so the transform can name them."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and SERVER_TIME in _leaves(value):
            flat.update(_flatten_server_time(value, f"{prefix}{key}."))
        else:
            flat[prefix + key] = value
    return flat


# --- fixtures ------------------------------------------------------------------------------
@pytest.fixture(scope="module", autouse=True)
def current_rules(stack: LocalStack) -> str:
    """Load firestore.rules as it is now (the session's emulator loaded it at start)."""
    address = stack.processes["firestore"].address
    text = RULES_PATH.read_text()
    body = {"rules": {"files": [{"name": "firestore.rules", "content": text}]}}
    response = requests.put(
        f"http://{address}/emulator/v1/projects/{stack.project_id}:securityRules", json=body, timeout=30
    )
    assert response.status_code == 200, f"the emulator refused firestore.rules: {response.text}"
    return text


@pytest.fixture
def world(firestore_db) -> Any:
    """The seed documents, written with the admin client into an emptied database."""
    batch = firestore_db.batch()
    for path, data in SEED.items():
        batch.set(firestore_db.document(path), data)
    batch.commit()
    return firestore_db


@pytest.fixture
def client_as(stack: LocalStack):
    address = stack.processes["firestore"].address
    return lambda who: RestClient(address, stack.project_id, CALLERS[who])


# --- the table -------------------------------------------------------------------------------
def _cases() -> list[Case]:
    A, D = ALLOWED, DENIED
    return [
        # users/{uid}: the user reads their own, an admin reads all, nobody writes.
        Case("alice", "get", "users/alice", A),
        Case("bob", "get", "users/alice", D),
        Case("anonymous", "get", "users/alice", D),
        Case("admin", "get", "users/alice", A),
        Case("fake_admin", "get", "users/alice", D),
        Case("admin", "list", "users", A),
        Case("alice", "list", "users", D),
        Case("alice", "query", "users", D, {"email": "alice@example.com"}),
        Case("alice", "update", "users/alice", D, {"time_zone": "Europe/Paris"}),
        Case("admin", "update", "users/alice", D, {"time_zone": "Europe/Paris"}),
        Case("alice", "delete", "users/alice", D),
        Case("alice", "create", "users", D, {"email": "alice2@example.com"}, doc_id="alice2"),
        Case("admin", "create", "users", D, {"email": "carol@example.com"}, doc_id="carol"),
        # users/{uid}/links/{type}: same as the user document.
        Case("alice", "get", "users/alice/links/Call", A),
        Case("alice", "list", "users/alice/links", A),
        Case("bob", "get", "users/alice/links/Call", D),
        Case("bob", "list", "users/alice/links", D),
        Case("anonymous", "get", "users/alice/links/Call", D),
        Case("admin", "get", "users/bob/links/Call", A),
        Case("admin", "list", "users/bob/links", A),
        Case("alice", "update", "users/alice/links/Call", D, {"export": False}),
        Case("alice", "create", "users/alice/links", D, {"calendar_id": "x"}, doc_id="Meeting"),
        Case("admin", "delete", "users/alice/links/Call", D),
        # users/{uid}/secrets/**: nobody, not even the user or an admin.
        Case("alice", "get", "users/alice/secrets/google", D),
        Case("alice", "list", "users/alice/secrets", D),
        Case("admin", "get", "users/alice/secrets/google", D),
        Case("admin", "list", "users/alice/secrets", D),
        Case("alice", "update", "users/alice/secrets/google", D, {"refresh_token": "v1:eA"}),
        Case("alice", "create", "users/alice/secrets", D, {"refresh_token": "v1:eA"}, doc_id="other"),
        # config: an admin reads activity_types; config/google (the client secret) nobody; no writes.
        Case("admin", "get", "config/activity_types", A),
        Case("alice", "get", "config/activity_types", D),
        Case("fake_admin", "get", "config/activity_types", D),
        Case("anonymous", "get", "config/activity_types", D),
        Case("admin", "get", "config/google", D),
        Case("alice", "get", "config/google", D),
        Case("admin", "list", "config", D),
        Case("admin", "update", "config/activity_types", D, {"types": ["Call"]}),
        Case("admin", "update", "config/google", D, {"client_id": "other"}),
        Case("admin", "create", "config", D, {"x": 1}, doc_id="other"),
        # oauth_states, mappings, channels: nobody, even where the document names the caller.
        Case("alice", "get", "oauth_states/state-alice", D),
        Case("admin", "get", "oauth_states/state-alice", D),
        Case("alice", "create", "oauth_states", D, {"uid": "alice", "code_verifier": "v"}, doc_id="s2"),
        Case("alice", "delete", "oauth_states/state-alice", D),
        Case("alice", "get", "mappings/map-alice", D),
        Case("admin", "get", "mappings/map-alice", D),
        Case("admin", "list", "mappings", D),
        Case("alice", "update", "mappings/map-alice", D, {"activity_id": "x"}),
        Case("alice", "get", "channels/chan-alice", D),
        Case("admin", "get", "channels/chan-alice", D),
        Case("alice", "query", "channels", D, {"owner_uid": "alice"}),
        Case("alice", "create", "channels", D, {"owner_uid": "alice"}, doc_id="chan-2"),
        # activities: reads.
        Case("alice", "get", "activities/alice-crm", A),
        Case("alice", "get", "activities/alice-ro", A),
        Case("bob", "get", "activities/alice-crm", D),
        Case("anonymous", "get", "activities/alice-crm", D),
        Case("admin", "get", "activities/bob-crm", A),
        Case("fake_admin", "get", "activities/bob-crm", D),
        # activities: queries must be constrained to the caller's own owner_uid.
        Case("alice", "query", "activities", A, {"owner_uid": "alice"}),
        Case("alice", "query", "activities", A, {"owner_uid": "alice", "activity_type": "Call"}),
        Case("alice", "query", "activities", D),
        Case("alice", "query", "activities", D, {"owner_uid": "bob"}),
        Case("alice", "query", "activities", D, {"activity_type": "Call"}),
        Case("alice", "list", "activities", D),
        Case("anonymous", "query", "activities", D, {"owner_uid": "alice"}),
        Case("admin", "query", "activities", A),
        Case("admin", "list", "activities", A),
        # activities: create (own uid, origin crm, not read-only, asking for export, with its range).
        Case("alice", "create", "activities", A, new_activity(), doc_id="new", label="valid"),
        Case("alice", "create", "activities", A, new_activity(read_only=None), doc_id="new", label="no read_only"),
        Case("alice", "create", "activities", D, new_activity(owner="bob"), doc_id="new", label="owner=bob"),
        Case("alice", "create", "activities", D, new_activity(origin="google"), doc_id="new", label="origin=google"),
        Case("alice", "create", "activities", D, new_activity(origin=None), doc_id="new", label="no origin"),
        Case("alice", "create", "activities", D, new_activity(read_only=True), doc_id="new", label="read_only=True"),
        Case("alice", "create", "activities", D, new_activity(deleted=True), doc_id="new", label="deleted"),
        Case("alice", "create", "activities", D, new_activity(sync={"state": "synced", "due_at": SERVER_TIME}),
             doc_id="new", label="sync synced"),
        Case("alice", "create", "activities", D, new_activity(sync=None), doc_id="new", label="no export asked"),
        Case("alice", "create", "activities", D, new_activity(sync={"state": "pending", "due_at": START}),
             doc_id="new", label="due_at not now"),
        Case("alice", "create", "activities", D,
             new_activity(sync={"state": "pending", "due_at": SERVER_TIME, "targets": [COPY]}),
             doc_id="new", label="sync targets"),
        Case("alice", "create", "activities", D, new_activity(range_start=None), doc_id="new", label="no range"),
        Case("admin", "create", "activities", D, new_activity(owner="alice"), doc_id="new", label="owner=alice"),
        Case("anonymous", "create", "activities", D, new_activity(), doc_id="new", label="valid"),
        # activities: update own, not read-only, protected fields unchanged, asking for export.
        Case("alice", "update", "activities/alice-crm", A, {"subject": "Call the dentist", **ASK}),
        Case("alice", "update", "activities/alice-noflag", A, {"subject": "Call the dentist", **ASK}),
        Case("alice", "update", "activities/alice-crm", A, {"read_only": False, "origin": "crm", **ASK}),  # same values
        Case("alice", "update", "activities/alice-exported", A, {"deleted": True, **ASK}, label="delete via flag"),
        Case("alice", "update", "activities/alice-crm", D, {"subject": "Call the dentist"}, label="no export asked"),
        Case("alice", "update", "activities/alice-ro", D, {"subject": "Call the dentist", **ASK}),
        Case("bob", "update", "activities/alice-crm", D, {"subject": "Call the dentist", **ASK}),
        Case("admin", "update", "activities/alice-crm", D, {"subject": "Call the dentist", **ASK}),
        Case("anonymous", "update", "activities/alice-crm", D, {"subject": "Call the dentist", **ASK}),
        Case("alice", "update", "activities/alice-crm", D, {"owner_uid": "bob", **ASK}),
        Case("alice", "update", "activities/alice-crm", D, {"origin": "google", **ASK}),
        Case("alice", "update", "activities/alice-crm", D, {"read_only": True, **ASK}),
        Case("alice", "update", "activities/alice-noflag", D, {"read_only": False, **ASK}),  # adding it changes it
        Case("alice", "update", "activities/alice-crm", D, {"sync.state": "synced", "sync.due_at": SERVER_TIME}),
        Case("alice", "update", "activities/alice-exported", D, {"sync.targets": [], **ASK}, label="drop targets"),
        Case("alice", "update", "activities/alice-crm", D, {"sync.attempts": 3, **ASK}, label="attempts"),
        Case("alice", "update", "activities/alice-crm", D, {"range_end": None, **ASK}, label="range dropped"),
        # activities: delete own, not read-only, without Google copies.
        Case("alice", "delete", "activities/alice-crm", A),
        Case("alice", "delete", "activities/alice-noflag", A),
        Case("alice", "delete", "activities/alice-exported", D),
        Case("alice", "delete", "activities/alice-ro", D),
        Case("bob", "delete", "activities/alice-crm", D),
        Case("admin", "delete", "activities/alice-crm", D),
        Case("anonymous", "delete", "activities/alice-crm", D),
        # groups: the admin API only.
        Case("alice", "get", "groups/sales", D),
        Case("admin", "get", "groups/sales", D),
        Case("admin", "update", "groups/sales", D, {"member_uids": ["alice"]}),
        # google_events: the owner reads; nobody writes.
        Case("alice", "get", "google_events/alice-ev", A),
        Case("bob", "get", "google_events/alice-ev", D),
        Case("admin", "get", "google_events/alice-ev", D),
        Case("anonymous", "get", "google_events/alice-ev", D),
        Case("alice", "query", "google_events", A, {"owner_uid": "alice"}),
        Case("alice", "query", "google_events", D),
        Case("alice", "query", "google_events", D, {"owner_uid": "bob"}),
        Case("alice", "create", "google_events", D, {"owner_uid": "alice", "summary": "x"}, doc_id="ev2"),
        Case("alice", "update", "google_events/alice-ev", D, {"summary": "x"}),
        Case("alice", "delete", "google_events/alice-ev", D),
        # Anything else: refused.
        Case("alice", "get", "elsewhere/doc", D),
        Case("admin", "get", "elsewhere/doc", D),
        Case("alice", "create", "elsewhere", D, {"x": 1}, doc_id="mine"),
    ]


CASES = _cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rule(case: Case, world, client_as) -> None:
    response = client_as(case.who).run(case)

    assert response.status_code == case.expected, response.text


# --- what the allowed operations return and do -----------------------------------------------
def _query_ids(response: requests.Response) -> set[str]:
    assert response.status_code == ALLOWED, response.text
    return {row["document"]["name"].rsplit("/", 1)[1] for row in response.json() if "document" in row}


def test_owner_query_returns_only_own_activities(world, client_as) -> None:
    alice, admin = client_as("alice"), client_as("admin")

    mine = {"alice-crm", "alice-noflag", "alice-ro", "alice-exported"}
    assert _query_ids(alice.query("activities", {"owner_uid": "alice"})) == mine
    assert _query_ids(admin.query("activities", {})) == mine | {"bob-crm"}
    assert _query_ids(alice.query("google_events", {"owner_uid": "alice"})) == {"alice-ev"}


def test_reads_return_the_documents(world, client_as) -> None:
    alice, admin = client_as("alice"), client_as("admin")

    own = alice.get("users/alice").json()
    assert own["fields"]["email"]["stringValue"] == "alice@example.com"
    links = alice.list("users/alice/links").json()["documents"]
    assert [d["name"].rsplit("/", 1)[1] for d in links] == ["Call"]
    users = admin.list("users").json()["documents"]
    assert sorted(d["name"].rsplit("/", 1)[1] for d in users) == ["alice", "bob"]
    types = admin.get("config/activity_types").json()["fields"]["types"]["arrayValue"]["values"]
    assert [v["stringValue"] for v in types] == ["Call", "Meeting", "Task"]


def test_allowed_writes_land_and_refused_ones_change_nothing(world, client_as) -> None:
    alice, bob = client_as("alice"), client_as("bob")

    assert alice.create("activities", "new", new_activity()).status_code == ALLOWED
    assert alice.update("activities/alice-crm", {"subject": "Renamed", **ASK}).status_code == ALLOWED
    assert alice.delete("activities/alice-noflag").status_code == ALLOWED
    assert bob.update("activities/alice-crm", {"subject": "Bob was here", **ASK}).status_code == DENIED
    assert alice.update("activities/alice-crm", {"owner_uid": "bob", "subject": "Moved", **ASK}).status_code == DENIED
    assert alice.delete("activities/alice-ro").status_code == DENIED

    created = world.document("activities/new").get().to_dict()
    assert created["owner_uid"] == "alice" and created["origin"] == "crm"
    assert created["sync"]["state"] == "pending" and isinstance(created["sync"]["due_at"], datetime)
    edited = world.document("activities/alice-crm").get().to_dict()
    assert edited["subject"] == "Renamed"
    assert edited["owner_uid"] == "alice"
    assert edited["sync"]["state"] == "pending"  # the export is asked for; its bookkeeping is kept
    assert edited["sync"]["targets"] == [] and "event_id" in edited["sync"]
    assert not world.document("activities/alice-noflag").get().exists
    assert world.document("activities/alice-ro").get().exists
