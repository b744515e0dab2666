"""The import executor on the in-memory stores and the sandbox in-process."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.bootstrap import Services, build_services
from functions.core.activity import ActivityStatus, Origin, SyncState, TargetState
from functions.core.event_mapping import imported_activity_id
from functions.core.models import Identity, Link
from functions.google.gateway import in_process_gateway
from functions.services.errors import AlreadyAdded, UnknownGoogleEvent
from functions.services.ports import Adapters
from functions.store.memory import InMemoryStores
from sandbox.inprocess import InProcessSandbox
from tests.export_world import ConnectedUser, configure_client, connect_user


@dataclass
class ImportWorld:
    stores: InMemoryStores
    control: Any
    services: Services
    clock: list[datetime]
    alice: ConnectedUser

    @property
    def calendar(self) -> str:
        return self.alice.calendars["Google events"]

    def tick(self) -> None:
        self.clock[0] = datetime.now(UTC)

    def insert(self, **event: Any) -> dict[str, Any]:
        return self.control.owner_insert_event(self.alice.email, self.calendar, event)

    def run(self):
        self.tick()
        return self.services.imports.import_calendar("alice", "Google")

    def activity(self, event_id: str):
        return self.stores.activities.get(imported_activity_id("alice", event_id))

    def link(self) -> Link:
        return next(lk for lk in self.stores.links.list_links("alice") if lk.activity_type == "Google")


def timed(summary: str, start: str = "2026-12-10T09:00:00+01:00", end: str = "2026-12-10T10:00:00+01:00",
          **extra: Any) -> dict[str, Any]:
    return {"summary": summary, "start": {"dateTime": start, "timeZone": "Europe/Madrid"},
            "end": {"dateTime": end, "timeZone": "Europe/Madrid"}, **extra}


def make_world(import_existing: bool = True) -> ImportWorld:
    sandbox = InProcessSandbox()
    control = sandbox.control()
    stores = InMemoryStores()
    clock = [datetime.now(UTC)]
    configure_client(stores, control)
    stores.config.save_activity_types(["Call", "Meeting", "Task", "Google"], "admin", clock[0])
    alice = connect_user(stores, control, "alice", "alice@example.com",
                         {"Google events": "Europe/Madrid", "CRM Meetings": "Europe/Madrid"}, clock[0])
    services = build_services(Adapters(stores, in_process_gateway(sandbox), now=lambda: clock[0]))
    return ImportWorld(stores, control, services, clock, alice)


def link_import(world: ImportWorld, import_existing: bool = True, export: bool = False) -> None:
    world.tick()
    identity = Identity("alice", "alice@example.com", False)
    body = {"calendar_id": world.calendar, "import": True, "import_existing": import_existing, "export": export}
    world.services.links.put_link(identity, "Google", body)


@pytest.fixture
def world() -> ImportWorld:
    return make_world()


def test_new_edited_and_deleted_events(world: ImportWorld) -> None:
    event = world.insert(**timed("Lunch with Ana", location="Casa Lucio"))
    link_import(world)
    report = world.run()
    assert (report.created, report.full_sync) == (1, True)
    activity = world.activity(event["id"])
    assert (activity.origin, activity.read_only, activity.content.subject) == (Origin.GOOGLE, True, "Lunch with Ana")
    assert world.link().sync_token

    world.control.owner_patch_event(world.alice.email, world.calendar, event["id"], {"summary": "Lunch (moved)"})
    report = world.run()
    assert (report.updated, report.full_sync, report.list_calls) == (1, False, 1)
    assert world.activity(event["id"]).content.subject == "Lunch (moved)"

    world.control.owner_delete_event(world.alice.email, world.calendar, event["id"])
    assert world.run().unlinked == 1
    kept = world.activity(event["id"])
    assert kept is not None and kept.sync.targets[0].state == TargetState.UNLINKED


def test_an_idle_run_lists_once_and_writes_nothing(world: ImportWorld) -> None:
    world.insert(**timed("One"))
    link_import(world)
    world.run()
    before = world.stores.activities.writes
    link_before = world.link()
    report = world.run()
    assert (report.list_calls, report.events) == (1, 0)
    assert world.stores.activities.writes == before and world.link() == link_before


def test_a_held_activity_is_not_updated(world: ImportWorld) -> None:
    event = world.insert(**timed("Demo"))
    link_import(world)
    world.run()
    activity = world.activity(event["id"])

    world.stores.activities.save_edit(replace(activity, status=ActivityStatus.HELD), world.clock[0])
    assert world.activity(event["id"]).status == ActivityStatus.HELD
    world.control.owner_patch_event(world.alice.email, world.calendar, event["id"], {"summary": "Demo v2"})
    report = world.run()
    assert report.updated == 0 and world.activity(event["id"]).content.subject == "Demo"


def test_import_existing_off_lists_older_events_and_imports_new_ones() -> None:
    world = make_world()
    old = world.insert(**timed("Before the link"))
    link_import(world, import_existing=False, export=True)
    new = world.insert(**timed("After the link", "2026-12-11T09:00:00+01:00", "2026-12-11T10:00:00+01:00"))
    report = world.run()
    assert (report.created, report.listed) == (1, 1)
    assert world.activity(old["id"]) is None and world.activity(new["id"]) is not None
    alice = Identity("alice", "alice@example.com", False)
    [row] = world.services.google_events.list(alice, "2026-12-01", "2026-12-31")
    assert row.event_id == old["id"] and row.summary == "Before the link"

    added = world.services.google_events.add(alice, row.id)
    assert (added.origin, added.read_only, added.sync.event_id) == (Origin.CRM, False, old["id"])
    assert world.services.google_events.list(alice, "2026-12-01", "2026-12-31") == []
    with pytest.raises(AlreadyAdded):
        world.services.google_events.add(alice, row.id)
    with pytest.raises(UnknownGoogleEvent):
        world.services.google_events.add(alice, "g-no-such-row")
    # edited in the CRM: reaches the same Google event, no copy
    world.services.activities.update(alice, row.id, {"subject": "Added and renamed"})
    events = [e for e in world.control.owner_list_events(world.alice.email, world.calendar)
              if e.get("status") != "cancelled"]
    assert sorted(e["summary"] for e in events) == ["Added and renamed", "After the link"]
    # the import sees our own write come back: no echo
    report = world.run()
    assert (report.drifted, report.created) == (0, 0)
    assert world.stores.activities.get(row.id).content.subject == "Added and renamed"


def test_our_exported_events_are_not_imported_and_a_google_edit_is_drift(world: ImportWorld) -> None:
    link_import(world, export=True)
    alice = Identity("alice", "alice@example.com", False)
    created = world.services.activities.create(alice, {
        "activity_type": "Google", "subject": "From the CRM", "start": "2026-12-12T09:00:00+01:00",
        "end": "2026-12-12T10:00:00+01:00", "time_zone": "Europe/Madrid"})
    assert created.sync.state == SyncState.SYNCED
    report = world.run()
    assert report.created == 0 and len(world.stores.activities.activities) == 1
    [event] = [e for e in world.control.owner_list_events(world.alice.email, world.calendar)]
    world.control.owner_patch_event(world.alice.email, world.calendar, event["id"], {"summary": "Edited in Google"})
    report = world.run()
    assert report.drifted == 1
    stored = world.stores.activities.get(created.id)
    assert stored.content.subject == "From the CRM" and stored.sync.state == SyncState.PENDING
    assert "edited in Google" in stored.sync.last_error
    world.services.export.sweep()
    assert world.control.owner_get_event(world.alice.email, world.calendar, event["id"])["summary"] == "From the CRM"
    assert world.run().drifted == 0  # the restore is our own write


def test_a_410_still_applies_a_deletion_made_while_the_token_was_dead(world: ImportWorld) -> None:
    keep = world.insert(**timed("Keep"))
    gone = world.insert(**timed("Gone", "2026-12-11T09:00:00+01:00", "2026-12-11T10:00:00+01:00"))
    link_import(world)
    world.run()
    world.control.expire_sync_tokens(world.alice.email)
    world.control.owner_delete_event(world.alice.email, world.calendar, gone["id"])
    world.tick()
    world.control.expire_sync_tokens(world.alice.email)
    report = world.run()
    assert report.full_sync and report.unlinked == 1
    assert world.activity(gone["id"]).sync.targets[0].state == TargetState.UNLINKED
    assert world.activity(keep["id"]).sync.targets[0].state == TargetState.SYNCED


def test_a_series_with_a_moved_and_a_cancelled_instance(world: ImportWorld) -> None:
    series = world.insert(**timed("Stand-up", "2026-12-07T09:00:00+01:00", "2026-12-07T09:15:00+01:00",
                                  recurrence=["RRULE:FREQ=DAILY;COUNT=5"]))
    link_import(world)
    world.run()
    moved_id = f"{series['id']}_20261208T080000Z"
    cancelled_id = f"{series['id']}_20261209T080000Z"
    world.control.owner_patch_event(world.alice.email, world.calendar, moved_id, {
        "start": {"dateTime": "2026-12-08T11:00:00+01:00", "timeZone": "Europe/Madrid"},
        "end": {"dateTime": "2026-12-08T11:15:00+01:00", "timeZone": "Europe/Madrid"}})
    world.control.owner_delete_event(world.alice.email, world.calendar, cancelled_id)
    world.run()
    activity = world.activity(series["id"])
    assert activity.content.recurrence == ("RRULE:FREQ=DAILY;COUNT=5",)
    exceptions = {e.original_start.isoformat(): e for e in activity.content.exceptions}
    assert exceptions["2026-12-09T08:00:00+00:00"].cancelled
    assert exceptions["2026-12-08T08:00:00+00:00"].time.start == datetime(2026, 12, 8, 10, tzinfo=UTC)
    world.control.owner_patch_event(world.alice.email, world.calendar, series["id"], {"summary": "Daily"})
    world.run()
    activity = world.activity(series["id"])
    assert activity.content.subject == "Daily" and len(activity.content.exceptions) == 2


def test_all_day_time_zones_no_title_attendees_and_out_of_office(world: ImportWorld) -> None:
    day = world.insert(summary="Holiday", start={"date": "2026-12-24"}, end={"date": "2026-12-26"})
    tokyo = world.insert(summary="Tokyo call",
                         start={"dateTime": "2026-12-10T09:00:00+09:00", "timeZone": "Asia/Tokyo"},
                         end={"dateTime": "2026-12-10T10:00:00+09:00", "timeZone": "Asia/Tokyo"})
    untitled = world.insert(**{k: v for k, v in timed("x").items() if k != "summary"})
    guests = world.insert(**timed("", attendees=[{"email": "ana@example.com"}]))
    away = world.insert(**timed("Away", eventType="outOfOffice"))
    link_import(world)
    report = world.run()
    assert report.created == 5, report.problems
    holiday = world.activity(day["id"]).content.time
    assert (holiday.start_date.isoformat(), holiday.end_date.isoformat()) == ("2026-12-24", "2026-12-25")
    call = world.activity(tokyo["id"]).content.time
    assert (call.start, call.time_zone) == (datetime(2026, 12, 10, 0, tzinfo=UTC), "Asia/Tokyo")
    assert world.activity(untitled["id"]).content.subject == "(No title)"
    assert [a.email for a in world.activity(guests["id"]).content.attendees] == ["ana@example.com"]
    assert world.activity(away["id"]).google_event_type == "outOfOffice"


def test_an_emptied_calendar_pauses_and_unlinks_nothing(world: ImportWorld) -> None:
    events = [world.insert(**timed(f"E{i}")) for i in range(3)]
    link_import(world)
    world.run()
    for event in events:
        world.control.owner_delete_event(world.alice.email, world.calendar, event["id"])
    world.control.expire_sync_tokens(world.alice.email)
    report = world.run()
    assert report.paused == "calendar_emptied" and report.unlinked == 0
    assert world.link().paused_reason == "calendar_emptied"
    assert all(world.activity(e["id"]).sync.targets[0].state == TargetState.SYNCED for e in events)
    assert world.run().paused == "calendar_emptied"  # paused links are skipped


def test_a_bad_event_is_recorded_and_the_run_goes_on(world: ImportWorld) -> None:
    world.insert(**timed("Good"))
    link_import(world)
    from functions.core import import_plan  # one event that makes the planner raise

    real = import_plan.event_to_activity

    def flaky(event, **kwargs):
        if event.get("summary") == "Bad":
            raise RuntimeError("boom")
        return real(event, **kwargs)

    world.insert(**timed("Bad", "2026-12-11T09:00:00+01:00", "2026-12-11T10:00:00+01:00"))
    import_plan.event_to_activity = flaky
    try:
        report = world.run()
    finally:
        import_plan.event_to_activity = real
    assert (report.created, report.errors) == (1, 1) and "boom" in report.problems[0]
    assert world.link().last_import.skipped == 1


def test_the_lease_keeps_a_second_run_out(world: ImportWorld) -> None:
    world.insert(**timed("One"))
    link_import(world)
    world.tick()
    lease = "import~alice~Google"
    assert world.stores.leases.acquire(lease, "someone", world.clock[0], world.clock[0] + timedelta(minutes=5))
    report = world.run()
    assert report.busy and world.link().sync_token is None and world.stores.activities.activities == {}
    # the holder crashed: its lease expires
    world.stores.leases.leases[lease] = ("someone", datetime.now(UTC) - timedelta(seconds=1))
    assert world.run().busy is False


def test_the_scheduled_job_runs_every_calendar_with_import_on(world: ImportWorld) -> None:
    world.insert(**timed("One"))
    link_import(world)
    world.tick()
    summary = world.services.imports.run_all()
    assert (summary["calendars"], summary["created"], summary["failed"]) == (1, 1, 0)


def test_saving_an_emptied_link_again_accepts_the_empty_calendar(world: ImportWorld) -> None:
    events = [world.insert(**timed(f"E{i}")) for i in range(2)]
    link_import(world)
    world.run()
    for event in events:
        world.control.owner_delete_event(world.alice.email, world.calendar, event["id"])
    world.control.expire_sync_tokens(world.alice.email)
    assert world.run().paused == "calendar_emptied"
    link_import(world)  # the user saves the link again: yes, the calendar is empty
    assert world.link().empty_accepted and world.link().paused_reason is None
    report = world.run()
    assert (report.paused, report.unlinked) == (None, 2)
    assert not world.link().empty_accepted


def test_switching_import_existing_on_imports_what_was_listed() -> None:
    world = make_world()
    old = world.insert(**timed("Before the link"))
    link_import(world, import_existing=False)
    assert world.run().listed == 1
    link_import(world, import_existing=True)
    assert world.link().sync_token is None
    report = world.run()
    assert report.created == 1 and world.activity(old["id"]) is not None
    alice = Identity("alice", "alice@example.com", False)
    assert world.services.google_events.list(alice, "2026-12-01", "2026-12-31") == []


def test_a_listed_event_follows_google_and_goes_when_deleted() -> None:
    world = make_world()
    old = world.insert(**timed("Listed"))
    link_import(world, import_existing=False)
    world.run()
    alice = Identity("alice", "alice@example.com", False)
    world.control.owner_patch_event(world.alice.email, world.calendar, old["id"], {"summary": "Listed v2"})
    assert world.run().listed == 1
    assert [r.summary for r in world.services.google_events.list(alice, "2026-12-01", "2026-12-31")] == ["Listed v2"]
    world.control.owner_delete_event(world.alice.email, world.calendar, old["id"])
    assert world.run().unlisted == 1
    assert world.services.google_events.list(alice, "2026-12-01", "2026-12-31") == []
    assert world.stores.activities.activities == {}


def test_a_crash_between_chunks_re_applies_safely(world: ImportWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.services import import_service

    monkeypatch.setattr(import_service, "CHUNK_WRITES", 3)
    events = [world.insert(**timed(f"E{i}", day=10 + i)) for i in range(7)]
    link_import(world)
    real = world.stores.unit_of_work
    commits: list[int] = []

    class Crash(Exception):
        pass

    def crashing():
        uow = real()
        commit = uow.commit

        def once() -> None:
            commits.append(1)
            if len(commits) == 2:
                raise Crash("the function died here")
            commit()

        uow.commit = once
        return uow

    monkeypatch.setattr(world.stores, "unit_of_work", crashing)
    with pytest.raises(Crash):
        world.run()
    assert world.link().sync_token is None  # the token goes only with the last chunk
    assert len(world.stores.activities.activities) == 3  # the first chunk landed
    world.stores.leases.leases.clear()  # the crashed holder's lease expired
    report = world.run()
    assert (report.created, report.unchanged) == (4, 3) and world.link().sync_token  # no duplicate
    assert sorted(a.content.subject for a in world.stores.activities.activities.values()) == [
        f"E{i}" for i in range(7)]
    assert all(world.activity(e["id"]) is not None for e in events)


def test_a_copy_google_never_made_does_not_count_for_the_emptied_calendar_stop(world: ImportWorld) -> None:
    """An export insert that never reached Google (503 on every try) is recorded unconfirmed; when a full list
    later finds the calendar empty, that copy is not evidence that events vanished: no calendar_emptied pause."""
    link_import(world, export=True)
    world.run()
    world.control.inject_fault(status=503, count=50, path_contains="/events")
    activity = world.services.activities.create(
        Identity("alice", "alice@example.com", False),
        {"activity_type": "Google", "subject": "Never made", "start": "2026-12-07T09:00:00+01:00",
         "end": "2026-12-07T10:00:00+01:00", "time_zone": "Europe/Madrid"})
    world.control.clear_faults()
    [target] = world.stores.activities.get(activity.id).sync.targets
    assert (target.state, target.etag) == (TargetState.FAILED, None)
    world.control.expire_sync_tokens(world.alice.email)
    report = world.run()
    assert report.paused is None and world.link().paused_reason is None
