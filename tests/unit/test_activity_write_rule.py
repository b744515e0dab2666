"""The export-on-write rule (functions/core/activity_write.py): which writes of activities/{id} go to the
export. It may say export for a write that changes nothing in Google (the planner then makes no call);
it must never ignore one that does, and it must ignore the export's own writes (else: a loop)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from functions.core.activity_write import SYNCED_FIELDS, DocumentWrite, WriteAction, decide

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 12, 3, 9, 5, tzinfo=UTC)


def target(state: str = "synced") -> dict[str, Any]:
    return {"uid": "alice", "calendar_id": "cal", "event_id": "ev", "etag": '"1"', "content_hash": "h",
            "exceptions_hash": None, "state": state, "last_error": None, "synced_at": T0}


def doc(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "owner_uid": "alice", "activity_type": "Meeting", "group_id": None, "status": "Planned", "origin": "crm",
        "read_only": False, "deleted": False, "subject": "Kick-off", "description": "", "location": "",
        "visibility": "default", "transparency": "opaque", "attendees": [], "recurrence": [], "exceptions": [],
        "all_day": False, "start": T0, "end": T1, "time_zone": "Europe/Madrid", "start_date": None,
        "end_date": None, "updated_at": T0,
        "sync": {"state": "synced", "targets": [target()], "attempts": 0, "due_at": None, "last_error": None},
    }
    base.update(changes)
    return base


def action(old: dict[str, Any] | None, new: dict[str, Any] | None) -> WriteAction:
    return decide(DocumentWrite("act-1", old, new)).action


@pytest.mark.parametrize("name", SYNCED_FIELDS)
def test_a_change_of_any_synced_field_is_exported(name: str) -> None:
    old = doc()
    new = doc(**{name: "something else"})
    decision = decide(DocumentWrite("act-1", old, new))
    assert decision.action == WriteAction.EXPORT
    assert name in decision.reason


def test_a_console_edit_of_subject_and_times_is_exported_though_sync_still_says_synced() -> None:
    old = doc()
    new = doc(subject="Moved", start=T1, end=datetime(2026, 12, 3, 10, 0, tzinfo=UTC))
    decision = decide(DocumentWrite("act-1", old, new))
    assert decision.action == WriteAction.EXPORT
    assert decision.reason == "changed: subject, start, end"


def test_a_new_crm_activity_is_exported() -> None:
    assert action(None, doc(sync={"state": "pending", "due_at": T0})) == WriteAction.EXPORT
    assert action(None, doc(sync=None)) == WriteAction.EXPORT  # a console-made document without sync


@pytest.mark.parametrize(
    "sync_after",
    [
        {"state": "synced", "targets": [target()], "attempts": 0, "due_at": None, "last_error": None},
        {"state": "pending", "targets": [target("failed")], "attempts": 1, "due_at": T1, "last_error": "503"},
        {"state": "error", "targets": [], "attempts": 1, "due_at": None, "last_error": "400"},
        {"state": "not_exported", "targets": [], "attempts": 0, "due_at": None, "last_error": None},
        # a move's interim record: the new copy written, the old one marked deleting
        {"state": "pending", "targets": [target(), target("deleting")], "attempts": 0, "due_at": T1},
    ],
    ids=["synced", "retry-later", "error", "not-exported", "move-interim"],
)
def test_the_exports_own_writes_are_ignored(sync_after: dict[str, Any]) -> None:
    before = doc(sync={"state": "pending", "targets": [target()], "attempts": 0, "due_at": T0, "last_error": None})
    assert action(before, doc(sync=sync_after)) == WriteAction.IGNORE


def test_a_fresh_export_request_is_exported_even_with_no_field_changed() -> None:
    """A group's members changed (stage_pending) or the import saw a CRM event edited in Google (drift)."""
    asked = doc(sync={"state": "pending", "targets": [target()], "attempts": 0, "due_at": T1, "last_error": None})
    assert action(doc(), asked) == WriteAction.EXPORT
    again = doc(sync={"state": "pending", "targets": [target()], "attempts": 0, "due_at": T0, "last_error": None})
    assert action(again, asked) == WriteAction.EXPORT  # a new due_at: asked again
    assert action(asked, asked) == WriteAction.IGNORE  # the same request seen twice


def test_only_non_synced_fields_changed_is_ignored() -> None:
    assert action(doc(), doc(status="Held", updated_at=T1)) == WriteAction.IGNORE


def test_imported_activities_never_bounce_back() -> None:
    imported = doc(origin="google", read_only=True, sync={"state": "not_exported", "targets": [target()]})
    assert action(None, imported) == WriteAction.IGNORE
    assert action(imported, {**imported, "subject": "Changed in Google"}) == WriteAction.IGNORE
    assert action(imported, None) == WriteAction.IGNORE  # its event is Google's own: never deleted from here


def test_a_document_deleted_outright_with_copies_deletes_them() -> None:
    decision = decide(DocumentWrite("act-1", doc(), None))
    assert decision.action == WriteAction.DELETE_COPIES
    assert "1 copy" in decision.reason


def test_deletes_that_leave_nothing_in_google_are_ignored() -> None:
    assert action(doc(sync={"state": "pending", "due_at": T0}), None) == WriteAction.IGNORE  # never exported
    assert action(doc(sync={"state": "synced", "targets": [target("unlinked")]}), None) == WriteAction.IGNORE
    # the deletion flow (deleted: true) deletes the copies first, then the document: not again
    assert action(doc(deleted=True), None) == WriteAction.IGNORE
    assert action(None, None) == WriteAction.IGNORE


def test_eventarc_redelivers_only_the_first_transient_failures() -> None:
    from functions.core.activity_write import REDELIVERY_ATTEMPTS, worth_a_redelivery

    assert [worth_a_redelivery(n) for n in range(REDELIVERY_ATTEMPTS + 2)] == (
        [False] + [True] * (REDELIVERY_ATTEMPTS - 1) + [False, False])
