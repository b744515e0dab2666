"""The export executor on the in-memory stores and the sandbox in-process."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from functions.core.activity import Activity, ActivityContent, ActivityException, ActivitySync, SyncState, Timed
from functions.core.event_mapping import event_id_for
from functions.core.models import Identity
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


def test_owner_change_moves_the_copy_to_the_new_owners_calendar(world: World) -> None:
    from tests.export_world import connect_user, link

    bob = connect_user(world.stores, world.control, "bob", "bob@example.com", {"Bob CRM": "UTC"}, world.now())
    link(world.stores, "bob", "Meeting", bob.calendars["Bob CRM"])
    stored = new_activity(world)
    world.services.export.sweep()
    world.stores.activities.save_edit(replace(stored, owner_uid="bob"), world.now())
    world.services.export.sweep()
    assert world.events(world.alice, "CRM Meetings") == []
    assert [e["id"] for e in world.events(bob, "Bob CRM")] == [event_id_for("act-1")]
    assert [t.uid for t in world.stores.activities.get("act-1").sync.targets] == ["bob"]


def test_a_group_activity_reaches_every_member_and_follows_the_members(world: World) -> None:
    from tests.export_world import connect_user, link

    bob = connect_user(world.stores, world.control, "bob", "bob@example.com", {"Bob CRM": "UTC"}, world.now())
    carol = connect_user(world.stores, world.control, "carol", "carol@example.com", {"Carol CRM": "UTC"}, world.now())
    link(world.stores, "bob", "Meeting", bob.calendars["Bob CRM"])
    link(world.stores, "carol", "Meeting", carol.calendars["Carol CRM"])
    admin = Identity("admin", "admin@example.com", True)
    world.services.groups.put_group(admin, "sales", {"name": "Sales", "member_uids": ["bob"]})
    new_activity(world, group_id="sales")
    world.services.export.sweep()
    assert len(world.events(world.alice, "CRM Meetings")) == 1
    assert len(world.events(bob, "Bob CRM")) == 1 and world.events(carol, "Carol CRM") == []

    world.services.groups.put_group(admin, "sales", {"name": "Sales", "member_uids": ["carol"]})
    assert world.stores.activities.get("act-1").sync.state == SyncState.PENDING
    world.services.export.sweep()
    assert world.events(bob, "Bob CRM") == []
    assert len(world.events(carol, "Carol CRM")) == 1 and len(world.events(world.alice, "CRM Meetings")) == 1
    assert sorted(t.uid for t in world.stores.activities.get("act-1").sync.targets) == ["alice", "carol"]


def test_turning_export_off_stops_exporting_and_deletes_nothing(world: World) -> None:
    from tests.export_world import link

    stored = new_activity(world)
    world.services.export.sweep()
    link(world.stores, "alice", "Meeting", world.alice.calendars["CRM Meetings"], export=False)
    world.stores.activities.save_edit(replace(stored, content=replace(stored.content, subject="Local only")),
                                      world.now())
    world.services.export.sweep()
    assert [e["summary"] for e in world.events(world.alice, "CRM Meetings")] == ["Kick-off"]
    assert world.stores.activities.get("act-1").sync.state == SyncState.NOT_EXPORTED


def test_a_crash_between_the_insert_and_the_record_leaves_one_event(world: World) -> None:
    new_activity(world)
    real_save = world.stores.activities.save_sync
    crashes = []

    def crash_once(*args, **kwargs):
        if not crashes:
            crashes.append(args[0])
            raise RuntimeError("the function instance died")
        return real_save(*args, **kwargs)

    world.stores.activities.save_sync = crash_once  # type: ignore[method-assign]
    try:
        world.services.export.sweep()
    except RuntimeError:
        pass
    assert crashes == ["act-1"] and world.stores.activities.get("act-1").sync.state == SyncState.PENDING
    report = world.services.export.sweep()  # the retry: the insert answers 409, taken as done
    assert report.synced == 1
    assert [e["id"] for e in world.events(world.alice, "CRM Meetings")] == [event_id_for("act-1")]
    assert world.stores.activities.get("act-1").sync.targets[0].etag is not None


def test_an_attendee_added_in_google_survives_a_crm_edit(world: World) -> None:
    stored = new_activity(world)
    world.services.export.sweep()
    calendar_id = world.alice.calendars["CRM Meetings"]
    world.control.owner_patch_event(world.alice.email, calendar_id, event_id_for("act-1"),
                                    {"attendees": [{"email": "guest@example.com"}]})
    world.stores.activities.save_edit(replace(stored, content=replace(stored.content, subject="Renamed")), world.now())
    assert world.services.export.sweep().synced == 1  # the stored etag is stale: 412, re-read, re-applied
    event = world.control.owner_get_event(world.alice.email, calendar_id, event_id_for("act-1"))
    assert event["summary"] == "Renamed"
    assert [a["email"] for a in event["attendees"]] == ["guest@example.com"]


def test_a_permanent_refusal_is_an_error_and_the_others_go_on(world: World) -> None:
    new_activity(world, "good-1")
    bad = new_activity(world, "bad-1")
    broken = replace(bad.content, recurrence=("RRULE:FREQ=SOMETIMES",))
    world.stores.activities.save_edit(replace(bad, content=broken), world.now())
    report = world.services.export.sweep()
    assert (report.synced, report.errors) == (1, 1)
    sync = world.stores.activities.get("bad-1").sync
    assert sync.state == SyncState.ERROR and "400" in sync.last_error and sync.attempts == 1
    assert world.services.export.sweep().activities == 0  # not retried forever


def test_a_revoked_grant_marks_the_user_and_keeps_the_activity_pending(world: World) -> None:
    from tests.export_world import CLIENT_ID

    new_activity(world)
    world.control.revoke_grant(world.alice.email, CLIENT_ID)
    world.control.expire_access_tokens(world.alice.email)
    report = world.services.export.sweep()
    assert report.pending == 1
    assert world.stores.users.get_user("alice").connection.status == "needs_reauth"
    sync = world.stores.activities.get("act-1").sync
    assert sync.state == SyncState.PENDING and sync.attempts == 1 and sync.due_at > world.now()
    assert world.events(world.alice, "CRM Meetings") == []


def test_deleting_removes_the_google_event_then_the_activity(world: World) -> None:
    new_activity(world)
    world.services.export.sweep()
    alice = Identity("alice", "alice@example.com", False)
    assert world.services.activities.delete(alice, "act-1").done
    assert world.events(world.alice, "CRM Meetings") == []
    assert world.stores.activities.get("act-1") is None


def test_a_series_with_an_exception_patches_the_instances(world: World) -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Mondays in New York, across the DST change of March 8
    content = ActivityContent(
        "Weekly", Timed(start + timedelta(hours=5), start + timedelta(hours=6), "America/New_York"),
        recurrence=("RRULE:FREQ=WEEKLY;COUNT=4",),
        exceptions=(ActivityException(start + timedelta(days=14, hours=4), subject="Moved one"),
                    ActivityException(start + timedelta(days=21, hours=4), cancelled=True)),
    )
    world.stores.activities.create(Activity("series-1", "alice", "Meeting", content,
                                            sync=ActivitySync(SyncState.PENDING, due_at=world.now())))
    assert world.services.export.sweep().synced == 1
    series_id = event_id_for("series-1")
    calendar_id = world.alice.calendars["CRM Meetings"]
    api = world.services.calendar_access.open("alice")
    instances = api.list_instances(calendar_id, series_id, show_deleted=True).items
    new_york = ZoneInfo("America/New_York")
    local = [(datetime.fromisoformat(i["originalStartTime"]["dateTime"]).astimezone(new_york).isoformat(),
              i.get("summary"), i["status"]) for i in instances]
    assert local == [  # 09:00 in New York every week, before and after the clocks change
        ("2026-03-02T09:00:00-05:00", "Weekly", "confirmed"),
        ("2026-03-09T09:00:00-04:00", "Weekly", "confirmed"),
        ("2026-03-16T09:00:00-04:00", "Moved one", "confirmed"),
        ("2026-03-23T09:00:00-04:00", None, "cancelled"),
    ]


def test_moving_back_revives_the_event_left_as_a_tombstone(world: World) -> None:
    stored = new_activity(world)
    world.services.export.sweep()
    for activity_type in ("Call", "Meeting"):
        world.stores.activities.save_edit(replace(stored, activity_type=activity_type), world.now())
        assert world.services.export.sweep().synced == 1
    assert world.events(world.alice, "CRM Calls") == []
    assert [(e["id"], e["status"]) for e in world.events(world.alice, "CRM Meetings")] == [
        (event_id_for("act-1"), "confirmed")]


def test_an_edit_of_an_exception_alone_reaches_google(world: World) -> None:
    start = datetime(2026, 12, 7, 9, tzinfo=UTC)
    content = ActivityContent("Weekly", Timed(start, start + timedelta(hours=1), "UTC"),
                              recurrence=("RRULE:FREQ=WEEKLY;COUNT=3",))
    stored = world.stores.activities.create(Activity("series-2", "alice", "Meeting", content,
                                                     sync=ActivitySync(SyncState.PENDING, due_at=world.now())))
    world.services.export.sweep()
    cancelled = replace(content, exceptions=(ActivityException(start + timedelta(days=7), cancelled=True),))
    world.stores.activities.save_edit(replace(stored, content=cancelled), world.now())
    assert world.services.export.sweep().synced == 1
    api = world.services.calendar_access.open("alice")
    items = api.list_instances(world.alice.calendars["CRM Meetings"], event_id_for("series-2")).items
    assert len(items) == 2  # the cancelled week is gone


def test_an_activity_that_cannot_become_an_event_does_not_block_the_queue(world: World) -> None:
    new_activity(world, "ab")  # a client chose an id too short for a Google event id
    new_activity(world, "good-1")
    report = world.services.export.sweep()
    assert (report.errors, report.synced) == (1, 1)
    assert "cannot be exported" in world.stores.activities.get("ab").sync.last_error


def test_a_batch_request_that_fails_as_a_whole_leaves_the_activities_pending(world: World) -> None:
    from functions.google.retry import RetryPolicy

    new_activity(world, "act-1")
    new_activity(world, "act-2")
    world.control.inject_fault(status=503, count=100, path_contains="/batch/")
    no_wait = RetryPolicy(max_attempts=2, sleep=lambda _seconds: None)
    real_open = world.services.calendar_access.open

    def quick(uid: str):
        api = real_open(uid)
        api.retry = no_wait
        return api

    world.services.calendar_access.open = quick  # type: ignore[method-assign]
    report = world.services.export.sweep()
    assert report.pending == 2
    assert all("503" in world.stores.activities.get(i).sync.last_error for i in ("act-1", "act-2"))
    world.control.clear_faults()
    world.clock[0] += timedelta(minutes=2)
    assert world.services.export.sweep().synced == 2
    assert len(world.events(world.alice, "CRM Meetings")) == 2
