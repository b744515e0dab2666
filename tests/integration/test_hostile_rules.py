"""firestore.rules, systematically: for every document path of docs/data-model.md, alice (and nobody)
tries every client operation on bob's document there: read it, list and query its collection for bob,
update it, overwrite it, delete it, and create a sibling claiming bob. Every attempt is refused and bob's
documents are unchanged afterwards. A path added to the data model without a document of bob's here
fails ``test_every_path_of_the_data_model_has_a_document_of_bobs``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.integration.test_firestore_rules import (  # noqa: F401 - current_rules loads firestore.rules
    ASK,
    DENIED,
    SERVER_TIME,
    RestClient,
    _activity,
    current_rules,
    new_activity,
)

DATA_MODEL = Path(__file__).resolve().parents[2] / "docs" / "data-model.md"
T = datetime(2026, 5, 6, 9, 0, tzinfo=UTC)

# Each path of the data model -> bob's document there (or the shared document, for config/).
BOBS: dict[str, tuple[str, dict[str, Any]]] = {
    "config/google": ("config/google", {"client_id": "cid", "client_secret": "v1:c2VjcmV0"}),
    "config/activity_types": ("config/activity_types", {"types": ["Call"]}),
    "users/{uid}": ("users/bob", {"email": "bob@example.com", "connection": {"status": "connected"}}),
    "users/{uid}/secrets/google": ("users/bob/secrets/google", {"refresh_token": "v1:c2VjcmV0"}),
    "users/{uid}/secrets/pending_revocation_<hash>": (
        "users/bob/secrets/pending_revocation_0123abcd",
        {"kind": "pending_revocation", "refresh_token": "v1:c2VjcmV0", "next_attempt_at": T}),
    "users/{uid}/links/{id}": ("users/bob/links/Call", {"activity_type": "Call", "calendar_id": "bob@example.com"}),
    "activities/{id}": ("activities/bob-crm", _activity("bob", read_only=False)),
    "groups/{id}": ("groups/bobs-team", {"name": "Bob's team", "member_uids": ["bob"]}),
    "oauth_states/{state}": ("oauth_states/state-bob", {"uid": "bob", "code_verifier": "v", "used": False}),
    "mappings/{id}": ("mappings/map-bob", {"uid": "bob", "activity_id": "bob-crm"}),
    "channels/{id}": ("channels/chan-bob", {"owner_uid": "bob", "uid": "bob", "token_hash": "h"}),
    "google_events/{id}": ("google_events/bob-ev", {"owner_uid": "bob", "summary": "Gym", "range_start": T,
                                                    "range_end": T}),
    "leases/{id}": ("leases/import~bob~Call", {"holder": "bob-run", "owner_uid": "bob", "expires_at": T}),
}


def data_model_paths() -> set[str]:
    """The paths of the data model's collections table (the first cell of each row)."""
    text = DATA_MODEL.read_text()
    table = text.split("| path |", 1)[1].split("\n\n", 1)[0]
    paths: set[str] = set()
    for line in table.splitlines()[2:]:
        first_cell = line.split("|")[1]
        paths.update(p for p in re.findall(r"`([^`]+)`", first_cell) if "/" in p)
    return paths


def test_every_path_of_the_data_model_has_a_document_of_bobs() -> None:
    assert data_model_paths() == set(BOBS)


def attempts(path: str, data: dict[str, Any]) -> list[tuple[str, Any]]:
    """Every client operation on bob's document at ``path``: (label, how to run it on a RestClient)."""
    collection, _, doc_id = path.rpartition("/")
    claim = new_activity(owner="bob") if collection == "activities" else dict(data)
    changed = {"subject": "alice was here", **ASK} if collection == "activities" else {"owner_uid": "alice"}
    overwrite = {k: v for k, v in data.items() if not isinstance(v, datetime)} | {"touched_by": "alice"}
    return [
        ("get", lambda c: c.get(path)),
        ("list", lambda c: c.list(collection)),
        ("query owner_uid", lambda c: c.query(collection, {"owner_uid": "bob"})),
        ("query uid", lambda c: c.query(collection, {"uid": "bob"})),
        ("update", lambda c: c.update(path, changed)),
        ("overwrite", lambda c: c._commit(path, overwrite, exists=True, mask=False)),
        ("delete", lambda c: c.delete(path)),
        ("create a sibling claiming bob", lambda c: c.create(collection, doc_id + "-2", claim)),
    ]


def everything(db: Any) -> dict[str, Any]:
    docs: dict[str, Any] = {}

    def walk(collections: Any) -> None:
        for collection in collections:
            for ref in collection.list_documents():
                snap = ref.get()
                if snap.exists:
                    docs[ref.path] = snap.to_dict()
                walk(ref.collections())

    walk(db.collections())
    return docs


@pytest.fixture
def bobs_world(firestore_db: Any) -> Any:
    batch = firestore_db.batch()
    for path, data in BOBS.values():
        batch.set(firestore_db.document(path), data)
    batch.set(firestore_db.document("users/alice"), {"email": "alice@example.com"})
    batch.set(firestore_db.document("activities/alice-crm"), _activity("alice", read_only=False))
    batch.commit()
    return firestore_db


@pytest.mark.parametrize("caller", ["alice", "anonymous"])
def test_no_client_reaches_bobs_documents_on_any_path(bobs_world: Any, stack: Any, caller: str) -> None:
    from tests.integration.test_firestore_rules import CALLERS

    client = RestClient(stack.processes["firestore"].address, stack.project_id, CALLERS[caller])
    before = everything(bobs_world)
    allowed = []
    for model_path, (path, data) in BOBS.items():
        for label, run in attempts(path, data):
            answer: requests.Response = run(client)
            if answer.status_code != DENIED:
                allowed.append(f"{model_path} {label}: {answer.status_code} {answer.text[:120]}")
    assert allowed == []
    assert everything(bobs_world) == before


def test_the_attempts_can_succeed_where_the_rules_allow_them(bobs_world: Any, stack: Any) -> None:
    """The same operations by bob on his own activity: allowed, so a refusal above is the rules' doing."""
    from tests.integration.test_firestore_rules import CALLERS

    bob = RestClient(stack.processes["firestore"].address, stack.project_id, CALLERS["bob"])
    path, data = BOBS["activities/{id}"]
    verdicts = {label: run(bob).status_code for label, run in attempts(path, data)}
    assert verdicts["get"] == 200
    assert verdicts["query owner_uid"] == 200
    assert verdicts["update"] == 200
    assert verdicts["create a sibling claiming bob"] == 200
