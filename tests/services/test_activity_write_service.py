"""Export on write (ActivityWriteService) on the in-memory stores and the sandbox in-process.

Each test feeds the service the write the trigger would see (the document before and after, as
activity_to_doc writes it) and looks at Google (the sandbox) and its request log."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.core.activity import Activity, ActivityContent, ActivitySync, Origin, SyncState, Timed
from functions.core.activity_write import DocumentWrite, WriteAction
from functions.core.event_mapping import event_id_for
from functions.core.models import Identity
from functions.google.retry import RetryPolicy
from functions.store.activity_codec import activity_to_doc
from tests.services.conftest import World

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def doc(world: World, activity_id: str = "act-1") -> dict[str, Any] | None:
    activity = world.stores.activities.get(activity_id)
    return None if activity is None else activity_to_doc(activity)


def calendar_calls(world: World) -> int:
    """Calendar API calls (each part of a batch request counts; the batch envelope does not)."""
    return sum(1 for e in world.control.request_log() if e["method"] != "batch" and "calendar/v3" in e["path"])


def console_write(world: World, activity: Activity) -> None:
    """A whole document written as a console user does: the fields as given, sync left as it was."""
    uow = world.stores.unit_of_work()
    world.stores.activities.stage_put(uow, activity)
    uow.commit()


def handle(world: World, old: dict[str, Any] | None, new: dict[str, Any] | None, activity_id: str = "act-1"):
    return world.services.activity_writes.handle(DocumentWrite(activity_id, old, new, "event-1"))


def exported(world: World, subject: str = "Kick-off") -> Activity:
    """A CRM activity created as a client does (pending), exported by the trigger for its creation."""
    content = ActivityContent(subject, Timed(START, START + timedelta(hours=1), "Europe/Madrid"))
    created = world.stores.activities.create(
        Activity("act-1", "alice", "Meeting", content, sync=ActivitySync(SyncState.PENDING, due_at=world.now()))
    )
    outcome = handle(world, None, activity_to_doc(created))
    assert outcome.decision.action == WriteAction.EXPORT and outcome.report.synced == 1
    return world.stores.activities.get("act-1")


def test_a_new_activity_is_exported_and_the_exports_own_write_fires_no_second_call(world: World) -> None:
    pending = activity_to_doc(world.stores.activities.create(Activity(
        "act-1", "alice", "Meeting",
        ActivityContent("Kick-off", Timed(START, START + timedelta(hours=1), "Europe/Madrid")),
        sync=ActivitySync(SyncState.PENDING, due_at=world.now()),
    )))
    world.control.clear_request_log()
    handle(world, None, pending)
    assert calendar_calls(world) == 1
    assert [e["summary"] for e in world.events(world.alice, "CRM Meetings")] == ["Kick-off"]

    # The export wrote sync.state synced to the same document: that write fires the trigger again.
    world.control.clear_request_log()
    outcome = handle(world, pending, doc(world))
    assert outcome.decision.action == WriteAction.IGNORE
    assert outcome.report is None
    assert calendar_calls(world) == 0


def test_a_console_edit_that_leaves_sync_alone_reaches_google(world: World) -> None:
    stored = exported(world)
    before = doc(world)
    later = START + timedelta(days=1)
    moved = Timed(later, later + timedelta(hours=2), "Europe/Madrid")
    console_write(world, replace(stored, content=replace(stored.content, subject="Moved by an operator", time=moved)))
    assert world.stores.activities.get("act-1").sync.state == SyncState.SYNCED  # nobody asked for export
    world.control.clear_request_log()

    edited = doc(world)
    outcome = handle(world, before, edited)
    assert outcome.decision.reason == "changed: subject, start, end"
    assert calendar_calls(world) == 1
    [event] = world.events(world.alice, "CRM Meetings")
    assert event["summary"] == "Moved by an operator"
    assert event["end"]["dateTime"].startswith("2026-12-08T12:00:00")
    after = doc(world)
    assert after["sync"]["state"] == "synced"
    world.control.clear_request_log()
    assert handle(world, edited, after).report is None  # the export's own write: ignored
    assert calendar_calls(world) == 0


def test_the_trigger_for_an_api_save_makes_no_second_google_write(world: World) -> None:
    """The API exports right after its save; the trigger for that same save then finds Google up to date."""
    alice = Identity("alice", "alice@example.com", False)
    created = world.services.activities.create(alice, {
        "subject": "Via the API", "activity_type": "Meeting", "all_day": False, "time_zone": "Europe/Madrid",
        "start": "2026-12-07T10:00:00+01:00", "end": "2026-12-07T11:00:00+01:00",
    })
    assert created.sync.state == SyncState.SYNCED
    world.control.clear_request_log()
    saved = activity_to_doc(replace(created, sync=ActivitySync(SyncState.PENDING, due_at=world.now())))
    outcome = handle(world, None, saved, created.id)
    assert outcome.decision.action == WriteAction.EXPORT
    assert outcome.report.synced == 1 and not outcome.retry
    assert calendar_calls(world) == 0
    assert len(world.events(world.alice, "CRM Meetings")) == 1


def test_a_document_deleted_in_the_console_takes_its_google_event_along(world: World) -> None:
    exported(world)
    before = doc(world)
    assert world.stores.activities.delete("act-1")
    world.control.clear_request_log()
    outcome = handle(world, before, None)
    assert outcome.decision.action == WriteAction.DELETE_COPIES
    assert outcome.report.deleted == 1
    assert world.events(world.alice, "CRM Meetings") == []
    assert calendar_calls(world) == 1


def test_a_deleted_document_written_again_keeps_its_event(world: World) -> None:
    stored = exported(world)
    before = doc(world)
    world.stores.activities.delete("act-1")
    console_write(world, stored)  # back before the delete's event arrived
    world.control.clear_request_log()
    handle(world, before, None)
    assert calendar_calls(world) == 0
    assert [e["id"] for e in world.events(world.alice, "CRM Meetings")] == [event_id_for("act-1")]


def test_the_deletion_flows_own_delete_makes_no_call(world: World) -> None:
    exported(world)
    alice = Identity("alice", "alice@example.com", False)
    marked = doc(world)
    assert world.services.activities.delete(alice, "act-1").done
    world.control.clear_request_log()
    assert handle(world, marked | {"deleted": True}, None).decision.action == WriteAction.IGNORE
    assert calendar_calls(world) == 0


def test_an_imported_activity_is_never_written_back(world: World) -> None:
    content = ActivityContent("From Google", Timed(START, START + timedelta(hours=1), "Europe/Madrid"))
    imported = world.stores.activities.create(Activity(
        "imp-1", "alice", "Meeting", content, origin=Origin.GOOGLE, read_only=True,
        sync=ActivitySync(SyncState.NOT_EXPORTED)))
    world.control.clear_request_log()
    outcome = handle(world, None, activity_to_doc(imported), "imp-1")
    assert outcome.decision.action == WriteAction.IGNORE
    assert calendar_calls(world) == 0


def test_a_transient_google_failure_asks_for_a_retry_and_a_refusal_does_not(world: World) -> None:
    stored = exported(world)
    before = doc(world)
    real_open = world.services.calendar_access.open

    def quick(uid: str):
        api = real_open(uid)
        api.retry = RetryPolicy(max_attempts=1, sleep=lambda _seconds: None)
        return api

    world.services.calendar_access.open = quick  # type: ignore[method-assign]
    console_write(world, replace(stored, content=replace(stored.content, subject="Second")))
    world.control.inject_fault(status=503, count=100, path_contains="/batch/")
    outcome = handle(world, before, doc(world))
    assert outcome.retry
    assert world.stores.activities.get("act-1").sync.state == SyncState.PENDING  # the sweep retries too
    edited = doc(world)
    outcome = handle(world, before, edited)  # Eventarc's redelivery, Google still down: attempts 2
    assert outcome.retry
    outcome = handle(world, before, edited)  # attempts 3: the sweep's backoff takes over
    assert not outcome.retry
    assert world.stores.activities.get("act-1").sync.attempts == 3
    world.control.clear_faults()
    outcome = handle(world, before, doc(world))  # a later delivery (or the sweep) gets through
    assert not outcome.retry and outcome.report.synced == 1
    assert [e["summary"] for e in world.events(world.alice, "CRM Meetings")] == ["Second"]

    console_write(world, replace(stored, content=replace(stored.content, recurrence=("RRULE:FREQ=SOMETIMES",))))
    outcome = handle(world, before, doc(world))  # Google answers 400: a permanent refusal
    assert not outcome.retry
    assert world.stores.activities.get("act-1").sync.state == SyncState.ERROR


def test_an_old_value_that_is_not_an_activity_is_reported_not_raised(world: World) -> None:
    outcome = handle(world, {"owner_uid": "alice", "all_day": False, "start": "not a time",
                             "sync": {"targets": [{"uid": "alice", "calendar_id": "c", "event_id": "e"}]}}, None)
    assert outcome.decision.action == WriteAction.DELETE_COPIES
    assert "not a valid activity" in outcome.problem
    assert not outcome.retry
