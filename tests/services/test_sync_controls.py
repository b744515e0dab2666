"""Sync controls (issue 13) on the in-memory stores and the sandbox in-process: privacy per link,
resync now, unlink with cleanup."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.bootstrap import build_services
from functions.core.activity import (
    Activity,
    ActivityContent,
    ActivitySync,
    Attendee,
    Origin,
    SyncState,
    SyncTarget,
    TargetState,
    Timed,
    Transparency,
)
from functions.core.event_mapping import event_id_for, imported_activity_id
from functions.core.models import Identity, ResyncState, RunInfo
from functions.core.sync_task import TaskKind
from functions.messaging.memory_queue import InMemoryTaskQueue
from functions.services.errors import InvalidLink, LinkPaused, RateLimited, UnknownLink
from functions.services.ports import Adapters
from tests.services.conftest import World

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
ALICE = Identity("alice", "alice@example.com", False)


def confidential(world: World, activity_id: str = "act-1") -> Activity:
    content = ActivityContent(
        "Merger talk with ACME", Timed(START, START + timedelta(hours=1), "Europe/Madrid"),
        description="Price: 12M", location="ACME HQ, room 4", transparency=Transparency.TRANSPARENT,
        attendees=(Attendee("ceo@acme.example"),),
    )
    return world.stores.activities.create(
        Activity(activity_id, "alice", "Meeting", content, sync=ActivitySync(SyncState.PENDING, due_at=world.now())))


def meetings(world: World) -> str:
    return world.alice.calendars["CRM Meetings"]


def put_meeting(world: World, **body: Any) -> None:
    world.services.links.put_link(ALICE, "Meeting", {"calendar_id": meetings(world), "export": True, **body})


def the_event(world: World) -> dict[str, Any]:
    [event] = world.events(world.alice, "CRM Meetings")
    return event


def link_of(world: World, activity_type: str = "Meeting"):
    return next(lk for lk in world.stores.links.list_links("alice") if lk.activity_type == activity_type)


# ---------------------------------------------------------------------------- privacy
def test_busy_only_hides_every_detail_and_full_brings_them_back(world: World) -> None:
    confidential(world)
    world.services.export.sweep()
    before = the_event(world)
    assert before["summary"] == "Merger talk with ACME"

    put_meeting(world, privacy={"level": "busy"})
    assert world.stores.activities.get("act-1").sync.state == SyncState.PENDING  # queued for the sweep
    assert world.services.export.sweep().synced == 1
    busy = the_event(world)
    assert busy["summary"] == "Busy"
    assert not busy.get("description") and not busy.get("location") and not busy.get("attendees")
    assert (busy["start"], busy["end"], busy.get("transparency")) == (before["start"], before["end"], "transparent")
    assert world.stores.activities.get("act-1").content.subject == "Merger talk with ACME"  # the CRM keeps it

    put_meeting(world, privacy={"level": "full"})
    world.services.export.sweep()
    restored = the_event(world)
    assert (restored["summary"], restored["description"], restored["location"]) == (
        "Merger talk with ACME", "Price: 12M", "ACME HQ, room 4")
    assert [a["email"] for a in restored["attendees"]] == ["ceo@acme.example"]


def test_a_subset_shows_only_the_chosen_details(world: World) -> None:
    put_meeting(world, privacy={"level": "subset", "fields": ["location"]})
    confidential(world)
    world.services.export.sweep()
    event = the_event(world)
    assert (event["summary"], event.get("description"), event["location"]) == ("Busy", "", "ACME HQ, room 4")
    assert not event.get("attendees")


def test_import_never_pulls_busy_back_over_the_crm_subject(world: World) -> None:
    put_meeting(world, privacy={"level": "busy"}, **{"import": True, "import_existing": True})
    confidential(world)
    world.services.export.sweep()
    report = world.services.imports.import_calendar("alice", "Meeting")
    assert (report.created, report.updated, report.drifted) == (0, 0, 0)
    activity = world.stores.activities.get("act-1")
    assert activity.content.subject == "Merger talk with ACME"
    assert activity.sync.state == SyncState.SYNCED
    # a Google edit of the busy copy is drift: the export puts "Busy" back, the CRM subject stays
    world.control.owner_patch_event(world.alice.email, meetings(world), event_id_for("act-1"), {"summary": "Peek"})
    assert world.services.imports.import_calendar("alice", "Meeting").drifted == 1
    world.services.export.sweep()
    assert the_event(world)["summary"] == "Busy"
    assert world.stores.activities.get("act-1").content.subject == "Merger talk with ACME"


def test_a_wrong_privacy_is_refused_naming_the_field(world: World) -> None:
    with pytest.raises(InvalidLink) as refused:
        put_meeting(world, privacy={"level": "secret"})
    assert "privacy.level" in refused.value.details["fields"]
    with pytest.raises(InvalidLink) as refused:
        put_meeting(world, privacy={"level": "subset", "fields": ["subject", "phone"]})
    assert "phone" in refused.value.details["fields"]["privacy.fields"]


def test_saving_a_link_without_privacy_keeps_the_chosen_one(world: World) -> None:
    put_meeting(world, privacy={"level": "busy"})
    put_meeting(world)
    assert link_of(world).privacy.level == "busy"


# ---------------------------------------------------------------------------- resync
def lose_an_import(world: World) -> dict[str, Any]:
    """An event created in Google while the link's token moved past it (the import never saw it)."""
    put_meeting(world, **{"import": True, "import_existing": True})
    world.services.imports.import_calendar("alice", "Meeting")
    event = world.control.owner_insert_event(world.alice.email, meetings(world), {
        "summary": "Lunch with Bea", "start": {"dateTime": "2026-12-09T12:00:00+01:00"},
        "end": {"dateTime": "2026-12-09T13:00:00+01:00"}})
    api = world.services.calendar_access.open("alice")
    token = link_of(world).sync_token
    skipped = api.list_events(meetings(world), sync_token=token).next_sync_token
    uow = world.stores.unit_of_work()
    world.stores.links.stage_import_run(uow, "alice", "Meeting", RunInfo(at=world.now()), sync_token=skipped)
    uow.commit()
    assert world.services.imports.import_calendar("alice", "Meeting").created == 0
    return event


def test_resync_recovers_a_lost_import_without_duplicates(world: World) -> None:
    event = lose_an_import(world)
    report = world.services.resync.run("alice", "Meeting")
    assert (report.state, report.imported) == (ResyncState.DONE, 1)
    imported = world.stores.activities.get(imported_activity_id("alice", event["id"]))
    assert imported is not None and imported.content.subject == "Lunch with Bea"
    again = world.services.resync.run("alice", "Meeting")
    assert again.imported == 0
    activities = world.stores.activities.list_by_type("alice", "Meeting", 100)
    assert [a.content.subject for a in activities] == ["Lunch with Bea"]
    assert link_of(world).resync.state == ResyncState.DONE


def test_resync_unlinks_an_exported_event_deleted_in_google_unless_asked_to_recreate(world: World) -> None:
    confidential(world)
    world.services.export.sweep()
    world.control.owner_delete_event(world.alice.email, meetings(world), event_id_for("act-1"))
    report = world.services.resync.run("alice", "Meeting")
    assert (report.checked, report.missing, report.unlinked, report.recreated) == (1, 1, 1, 0)
    [target] = world.stores.activities.get("act-1").sync.targets
    assert target.state == TargetState.UNLINKED
    assert world.events(world.alice, "CRM Meetings") == []

    report = world.services.resync.run("alice", "Meeting", recreate_deleted=True)
    assert report.recreated == 1
    assert the_event(world)["summary"] == "Merger talk with ACME"
    [target] = world.stores.activities.get("act-1").sync.targets
    assert target.state == TargetState.SYNCED
    assert world.services.resync.run("alice", "Meeting", recreate_deleted=True).missing == 0
    assert len(world.events(world.alice, "CRM Meetings")) == 1


def test_resync_is_rate_limited_per_link_and_goes_through_the_queue(world: World) -> None:
    queue = InMemoryTaskQueue()
    services = build_services(Adapters(world.stores, world.services.adapters.google, now=world.now, queue=queue))
    link = services.resync.request(ALICE, "Meeting", recreate_deleted=True)
    assert link.resync.state == ResyncState.QUEUED
    [task] = queue.drain()
    assert (task.kind, task.uid, task.activity_type, task.option("recreate_deleted")) == (
        TaskKind.RESYNC, "alice", "Meeting", "true")
    with pytest.raises(RateLimited) as limited:
        services.resync.request(ALICE, "Meeting", recreate_deleted=False)
    assert 1 <= limited.value.details["retry_after"] <= 60
    services.resync.request(ALICE, "Call", recreate_deleted=False)  # another link is not limited
    world.clock[0] += timedelta(seconds=61)
    services.resync.request(ALICE, "Meeting", recreate_deleted=False)
    assert [t.activity_type for t in queue.drain()] == ["Call", "Meeting"]
    assert services.resync.run_task(task).state == ResyncState.DONE


def test_resync_of_a_paused_or_missing_link_is_refused(world: World) -> None:
    with pytest.raises(UnknownLink):
        world.services.resync.request(ALICE, "Task", recreate_deleted=False)
    uow = world.stores.unit_of_work()
    world.stores.links.stage_paused(uow, "alice", {"Meeting": "calendar_missing"}, world.now())
    uow.commit()
    with pytest.raises(LinkPaused):
        world.services.resync.request(ALICE, "Meeting", recreate_deleted=False)


def test_resync_inline_reports_on_the_link(world: World) -> None:
    link = world.services.resync.request(ALICE, "Meeting", recreate_deleted=False)
    assert link.resync.state == ResyncState.DONE
    assert link.resync.finished_at is not None


# ---------------------------------------------------------------------------- unlink with cleanup
def a_world_with_every_kind_of_event(world: World) -> dict[str, str]:
    """In the Meetings calendar: an exported copy, an imported event, a Google event added into the CRM,
    and a foreign event calbridge never saw."""
    put_meeting(world, **{"import": True, "import_existing": True})
    calendar = meetings(world)
    imported = world.control.owner_insert_event(world.alice.email, calendar, {
        "summary": "From Google", "start": {"dateTime": "2026-12-08T09:00:00Z"},
        "end": {"dateTime": "2026-12-08T10:00:00Z"}})
    world.services.imports.import_calendar("alice", "Meeting")
    put_meeting(world)  # import off: the next events are not imported
    added = world.control.owner_insert_event(world.alice.email, calendar, {
        "summary": "Added into CRM", "start": {"dateTime": "2026-12-10T09:00:00Z"},
        "end": {"dateTime": "2026-12-10T10:00:00Z"}})
    content = ActivityContent("Added into CRM", Timed(START, START + timedelta(hours=1), "UTC"))
    world.stores.activities.create(Activity(
        "added-1", "alice", "Meeting", content, origin=Origin.CRM,
        sync=ActivitySync(SyncState.SYNCED, event_id=added["id"],
                          targets=(SyncTarget("alice", calendar, added["id"], etag=added["etag"]),))))
    foreign = world.control.owner_insert_event(world.alice.email, calendar, {
        "summary": "Dentist", "start": {"dateTime": "2026-12-11T09:00:00Z"},
        "end": {"dateTime": "2026-12-11T10:00:00Z"}})
    confidential(world)
    world.services.export.sweep()
    return {"exported": event_id_for("act-1"), "imported": imported["id"], "added": added["id"],
            "foreign": foreign["id"]}


def live_ids(world: World) -> set[str]:
    return {e["id"] for e in world.events(world.alice, "CRM Meetings")}


def test_unlink_with_cleanup_deletes_exactly_the_exported_events(world: World) -> None:
    ids = a_world_with_every_kind_of_event(world)
    assert live_ids(world) == set(ids.values())
    assert world.services.link_cleanup.preview(ALICE, "Meeting").events == 1
    result = world.services.link_cleanup.unlink(ALICE, "Meeting", cleanup=True)
    assert (result.deleted, result.failed, result.left) == (1, 0, 0)
    assert live_ids(world) == {ids["imported"], ids["added"], ids["foreign"]}
    assert not any(lk.activity_type == "Meeting" for lk in world.stores.links.list_links("alice"))
    assert world.stores.activities.get("act-1").sync.targets == ()


def test_unlink_without_cleanup_changes_nothing_in_google(world: World) -> None:
    ids = a_world_with_every_kind_of_event(world)
    result = world.services.link_cleanup.unlink(ALICE, "Meeting", cleanup=False)
    assert (result.cleanup, result.deleted) == (False, 0)
    assert live_ids(world) == set(ids.values())
    assert len(world.stores.activities.get("act-1").sync.targets) == 1


def test_cleanup_reaches_a_group_members_copy(world: World) -> None:
    from functions.core.group import Group
    from tests.export_world import connect_user, link

    bob = connect_user(world.stores, world.control, "bob", "bob@example.com", {"Bob CRM": "UTC"}, world.now())
    link(world.stores, "bob", "Meeting", bob.calendars["Bob CRM"])
    uow = world.stores.unit_of_work()
    world.stores.groups.stage_group(uow, Group("team", "Team", ("alice", "bob")))
    uow.commit()
    activity = confidential(world)
    world.stores.activities.save_edit(replace(activity, group_id="team"), world.now())
    world.services.export.sweep()
    assert len(world.events(bob, "Bob CRM")) == 1
    bob_identity = Identity("bob", "bob@example.com", False)
    assert world.services.link_cleanup.preview(bob_identity, "Meeting").events == 1
    assert world.services.link_cleanup.unlink(bob_identity, "Meeting", cleanup=True).deleted == 1
    assert world.events(bob, "Bob CRM") == []
    assert len(world.events(world.alice, "CRM Meetings")) == 1  # the owner's copy stays
