"""The export executor on the in-memory stores and the sandbox in-process."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from functions.core.activity import Activity, ActivityContent, ActivitySync, SyncState, Timed
from functions.core.event_mapping import event_id_for
from tests.services.conftest import World

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def new_activity(world: World, activity_id: str = "act-1", activity_type: str = "Meeting", **extra) -> Activity:
    content = ActivityContent("Kick-off", Timed(START, START + timedelta(hours=1), "Europe/Madrid"))
    activity = Activity(activity_id, "alice", activity_type, content,
                        sync=ActivitySync(SyncState.PENDING, due_at=world.now()), **extra)
    return world.stores.activities.create(activity)


def test_a_new_activity_is_inserted_once_and_recorded(world: World) -> None:
    new_activity(world)
    report = world.services.export.sweep()
    assert (report.activities, report.synced) == (1, 1)
    events = world.events(world.alice, "CRM Meetings")
    assert [e["id"] for e in events] == [event_id_for("act-1")]
    sync = world.stores.activities.get("act-1").sync
    assert sync.state == SyncState.SYNCED
    assert [(t.uid, t.calendar_id, t.etag) for t in sync.targets] == [
        ("alice", world.alice.calendars["CRM Meetings"], events[0]["etag"])
    ]
    assert world.services.export.sweep().activities == 0


def test_an_edit_patches_and_a_type_change_moves(world: World) -> None:
    stored = new_activity(world)
    world.services.export.sweep()
    edited = replace(stored, content=replace(stored.content, subject="Renamed"))
    world.stores.activities.save_edit(edited, world.now())
    world.services.export.sweep()
    assert [e["summary"] for e in world.events(world.alice, "CRM Meetings")] == ["Renamed"]
    world.stores.activities.save_edit(replace(edited, activity_type="Call"), world.now())
    report = world.services.export.sweep()
    assert report.synced == 1
    assert world.events(world.alice, "CRM Meetings") == []
    assert [e["summary"] for e in world.events(world.alice, "CRM Calls")] == ["Renamed"]
    targets = world.stores.activities.get("act-1").sync.targets
    assert [t.calendar_id for t in targets] == [world.alice.calendars["CRM Calls"]]
