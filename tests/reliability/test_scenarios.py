"""Scenarios the state machine found (or that need a precise interleaving it rarely draws), kept as plain tests
over the same world and invariants (tests/reliability/world.py)."""

from __future__ import annotations

import logging

from functions.core.event_mapping import event_id_for
from functions.store.memory import InMemoryStores
from tests.reliability.world import SyncWorld


def settled_violations(world: SyncWorld) -> list[str]:
    world.settle()
    return world.violations()


def test_a_delete_after_a_run_died_between_googles_insert_and_our_write_leaves_no_event() -> None:
    world = SyncWorld(InMemoryStores())
    world.inject_fault(503, 8)  # the export right after the save fails: the activity waits, pending
    activity_id = world.crm_create(0, 0, 1, 1, False, False, "Kick-off")
    world.clear_faults()
    world.tick(10)
    world.run_export(crash_at=1, retry=False)  # Google accepts the insert; the run dies before recording it
    assert world.switch.where and "batch" in world.switch.where
    owner = world.users[0]
    assert [e["id"] for e in world.control.owner_list_events(owner.email, owner.calendar("Meeting"))] == [
        event_id_for(activity_id)]
    world.crm_delete(0)  # before any retry: the activity knows of no copy
    assert settled_violations(world) == []
    assert all(e.get("status") == "cancelled"
               for e in world.control.owner_list_events(owner.email, owner.calendar("Meeting")))


def test_an_all_day_activity_made_timed_reaches_google() -> None:
    world = SyncWorld(InMemoryStores())
    world.crm_create(0, 0, 2, 0, True, False, "Offsite")
    world.crm_edit(0, "Offsite, morning only", 2, 1, False)
    assert settled_violations(world) == []
    event = world.control.owner_list_events(world.users[0].email, world.users[0].calendar("Meeting"))[0]
    assert "dateTime" in event["start"] and "date" not in event["start"]


def test_a_removed_exception_and_an_instance_edited_in_google_are_put_back() -> None:
    world = SyncWorld(InMemoryStores())
    world.crm_create(0, 0, 3, 2, False, True, "Weekly")
    world.crm_exception(0, 1, 2)  # instance 1 retitled in the CRM
    world.crm_exception(0, 1, 3)  # ... and the exception removed again
    world.google_edit_instance(0, 2, False)  # instance 2 retitled in Google (the calendar imports: drift)
    assert settled_violations(world) == []
    owner = world.users[0]
    instances = [e for e in world.control.owner_list_events(owner.email, owner.calendar("Meeting"))
                 if e.get("recurringEventId")]
    assert instances and all(e["summary"] == "Weekly" for e in instances)


def test_the_invariants_see_a_lost_copy_and_a_leaked_secret() -> None:
    """The checks can fail: an event deleted behind calbridge's back is reported, and so is a token in a log."""
    world = SyncWorld(InMemoryStores())
    activity_id = world.crm_create(0, 1, 1, 1, False, False, "Call me")  # Call: export only, no import
    owner = world.users[0]
    world.settle()
    assert world.violations() == []
    world.control.owner_delete_event(owner.email, owner.calendar("Call"), event_id_for(activity_id))
    with world.capturing():
        logging.getLogger("calbridge.test").warning("refresh with %s", world.raw_stores.users.get_secrets(
            owner.uid).refresh_token)
    assert not any("secret" in p for p in world.violations())  # production's formatter redacts the token
    world.logs.lines.append(f"a line written past the formatter: {sorted(world.secrets)[0]}")
    problems = world.violations()
    assert any("no event in its export calendar" in p for p in problems)
    assert any("secret" in p for p in problems)


def test_an_owner_change_after_an_insert_whose_answers_were_lost_leaves_no_copy_behind() -> None:
    """Found by the machine: the insert reached Google but every answer timed out, then the activity changed
    owner before a retry; the first owner's calendar kept a copy nobody knew of."""
    world = SyncWorld(InMemoryStores())
    world.inject_timeouts(8)  # every try of the export right after the save: Google makes it, we never hear
    world.crm_create(0, 0, 0, 0, False, True, "Kick-off")
    world.clear_faults()
    first = world.users[0]
    assert [e["id"] for e in world.control.owner_list_events(first.email, first.calendar("Meeting"))]
    world.crm_reown(0, 1)
    assert settled_violations(world) == []
    assert all(e.get("status") == "cancelled"
               for e in world.control.owner_list_events(first.email, first.calendar("Meeting")))


def test_an_insert_that_never_reached_google_is_not_taken_for_a_deletion_by_a_full_import() -> None:
    """Found by the machine (bench.soak): an owner change whose insert Google refused (503 every try) leaves the new
    copy written down unconfirmed; a full import of that calendar (its sync token expired) did not find the event,
    took it for deleted in Google and unlinked it, so the activity never reached its new owner's calendar."""
    world = SyncWorld(InMemoryStores())
    activity_id = world.crm_create(0, 0, 1, 1, False, False, "Kick-off")  # Meeting: export and import
    world.google_create(1, 0, 2, 2, False, False, "Dentist")  # user1's Meeting calendar is not empty
    world.run_import_one(1)  # ... and has been imported once (a sync token)
    world.inject_fault(503, 12)
    world.crm_reown(0, 1)  # the insert in user1's calendar fails; user0's copy goes
    world.clear_faults()
    target = world.raw_stores.activities.get(activity_id).sync.targets[0]
    assert (target.calendar_id, target.state.value, target.etag) == (world.users[1].calendar("Meeting"), "failed",
                                                                     None)
    world.expire_sync_tokens()
    world.run_import_one(1)  # a full list of user1's Meeting calendar and its diff
    target = world.raw_stores.activities.get(activity_id).sync.targets[0]
    assert target.state.value != "unlinked"
    assert settled_violations(world) == []
    second = world.users[1]
    live = [e["id"] for e in world.control.owner_list_events(second.email, second.calendar("Meeting"))
            if e.get("status") != "cancelled"]
    assert live.count(event_id_for(activity_id)) == 1
