"""``python -m functions.admin_cli backfill-poll`` against the Firestore emulator: a link document written by
an older release (no ``next_poll_at`` field at all) gets the field, every other field stays as it was, the
scheduled import's collection-group query finds it, and a second run writes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from functions import admin_cli
from functions.core.models import CalendarEntry, Identity, TokenSet
from functions.store.firestore_stores import FirestoreStores

CRM = "crm@group.calendar.google.com"


def connected(stores: FirestoreStores, uid: str, now: datetime) -> None:
    stores.users.ensure_user(Identity(uid, f"{uid}@example.com", False), now)
    uow = stores.unit_of_work()
    stores.users.stage_connection(
        uow, uid, TokenSet("access", now + timedelta(hours=1), "refresh", ("https://www.googleapis.com/auth/calendar",)),
        [CalendarEntry(CRM, "CRM", access_role="owner")], f"{uid}@example.com", "client-id", now)
    uow.commit()


def legacy_link(db: Any, uid: str, import_on: bool) -> dict[str, Any]:
    """A link document as the release before next_poll_at wrote it (the field absent)."""
    doc = {"activity_type": "Meeting", "calendar_id": CRM, "calendar_summary": "CRM", "export": True,
           "import": import_on, "import_existing": False, "sync_token": "token-1", "channel_id": None,
           "channel_expiry": None, "last_error": None, "paused_reason": None, "channel_error": None,
           "last_import": {"at": None, "count": 3, "error": None, "skipped": 0, "problems": []}}
    db.document(f"users/{uid}/links/Meeting").set(doc)
    return doc


def run_cli(capsys: Any, *args: str) -> dict[str, Any]:
    assert admin_cli.main(["backfill-poll", *args]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_the_backfill_cli_fills_next_poll_at_alone_and_only_once(firestore_db: Any, capsys: Any) -> None:
    now = datetime.now(UTC)
    stores = FirestoreStores(firestore_db)
    for uid in ("ana", "ben"):
        connected(stores, uid, now)
    written = {"ana": legacy_link(firestore_db, "ana", True), "ben": legacy_link(firestore_db, "ben", False)}
    assert stores.links.list_due_links(now + timedelta(minutes=1), 10) == []  # the upgrade's gap

    assert run_cli(capsys, "--dry-run")["written"] == 1
    assert "next_poll_at" not in firestore_db.document("users/ana/links/Meeting").get().to_dict()

    first = run_cli(capsys)
    assert (first["links"], first["written"], first["not_polled"]) == (2, 1, 1)
    ana = firestore_db.document("users/ana/links/Meeting").get().to_dict()
    assert ana.pop("next_poll_at") >= now
    assert ana == written["ana"]  # nothing else written
    assert firestore_db.document("users/ben/links/Meeting").get().to_dict() == written["ben"]  # import off
    assert [uid for uid, _ in stores.links.list_due_links(datetime.now(UTC), 10)] == ["ana"]

    second = run_cli(capsys)
    assert (second["written"], second["already_set"]) == (0, 1)
