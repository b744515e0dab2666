"""The activity and group stores' contract, run on the Firestore emulator and on the in-memory twin."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from functions.core.activity import (
    Activity,
    ActivityContent,
    ActivityException,
    ActivitySync,
    AllDay,
    Attendee,
    Origin,
    SyncState,
    SyncTarget,
    TargetState,
    Timed,
)
from functions.core.group import Group
from functions.store.errors import AlreadyExists, MissingDocument
from functions.store.ports import Stores

NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def timed(activity_id: str, start: datetime = T0, hours: int = 1, owner: str = "alice", **extra) -> Activity:
    content = ActivityContent("Kick-off ✓ <b>bold</b>", Timed(start, start + timedelta(hours=hours), "Europe/Madrid"),
                              description="Résumé & <i>notes</i>", location="Sala 1")
    return Activity(activity_id, owner, "Meeting", content, created_at=NOW, updated_at=NOW, **extra)


def pending(due: datetime = NOW) -> ActivitySync:
    return ActivitySync(state=SyncState.PENDING, due_at=due)


class ActivityStoreContract:
    def test_a_rich_activity_round_trips(self, stores: Stores) -> None:
        series = ActivityContent(
            "Weekly", Timed(T0, T0 + timedelta(hours=1), "America/New_York"),
            attendees=(Attendee("bob@example.com", "Bob", optional=True),),
            recurrence=("RRULE:FREQ=WEEKLY;COUNT=5", "EXDATE;TZID=America/New_York:20261221T040000"),
            exceptions=(
                ActivityException(T0 + timedelta(days=7), subject="Moved", time=Timed(
                    T0 + timedelta(days=8), T0 + timedelta(days=8, hours=1), "America/New_York")),
                ActivityException(T0 + timedelta(days=14), cancelled=True),
            ),
        )
        target = SyncTarget("alice", "cal-1", "ev1", etag='"1"', content_hash="h", exceptions_hash="x", synced_at=NOW)
        activity = Activity("a-series", "alice", "Meeting", series, group_id="g1", created_at=NOW, updated_at=NOW,
                            sync=ActivitySync(SyncState.SYNCED, (target,), attempts=2, due_at=NOW, synced_at=NOW))
        stores.activities.create(activity)
        assert stores.activities.get("a-series") == activity
        days_off = ActivityContent("Off", AllDay(date(2026, 12, 24), date(2026, 12, 26)))
        all_day = Activity("a-day", "alice", "Task", days_off, origin=Origin.GOOGLE, read_only=True)
        stores.activities.create(all_day)
        assert stores.activities.get("a-day") == all_day
        assert stores.activities.get("nope") is None

    def test_create_refuses_an_existing_id(self, stores: Stores) -> None:
        stores.activities.create(timed("a1"))
        with pytest.raises(AlreadyExists):
            stores.activities.create(timed("a1"))

    def test_an_edit_asks_for_export_and_keeps_the_targets(self, stores: Stores) -> None:
        target = SyncTarget("alice", "cal-1", "ev1", etag='"1"', content_hash="h")
        stores.activities.create(timed("a1", sync=ActivitySync(SyncState.ERROR, (target,), attempts=3, last_error="x")))
        later = NOW + timedelta(minutes=5)
        edited = replace(timed("a1"), content=replace(timed("a1").content, subject="New"), updated_at=later)
        stores.activities.save_edit(edited, later)
        stored = stores.activities.get("a1")
        assert stored.content.subject == "New" and stored.created_at == NOW
        assert stored.sync == ActivitySync(SyncState.PENDING, (target,), attempts=0, due_at=later)
        with pytest.raises(MissingDocument):
            stores.activities.save_edit(timed("ghost"), later)

    def test_save_sync_writes_all_of_sync_only_over_the_revision_it_read(self, stores: Stores) -> None:
        stores.activities.create(timed("a1", sync=pending()))
        read = stores.activities.get("a1")
        target = SyncTarget("alice", "cal-1", "ev1", etag='"2"', content_hash="h2")
        done = ActivitySync(SyncState.SYNCED, (target,), synced_at=NOW)
        assert stores.activities.save_sync("a1", done, read.revision) is not None
        assert stores.activities.get("a1").sync == done
        # An edit lands between the export's read and its write: the edit stays pending, the targets are kept.
        read = stores.activities.get("a1")
        stores.activities.save_edit(timed("a1"), NOW + timedelta(minutes=1))
        moved = ActivitySync(SyncState.SYNCED, (replace(target, etag='"3"'),))
        assert stores.activities.save_sync("a1", moved, read.revision) is None
        stored = stores.activities.get("a1").sync
        assert stored.state == SyncState.PENDING and stored.targets == moved.targets
        assert stores.activities.save_sync("gone", moved, None) is None
        assert stores.activities.get("gone") is None

    def test_delete_only_over_the_revision_it_read(self, stores: Stores) -> None:
        stores.activities.create(timed("a1"))
        read = stores.activities.get("a1")
        stores.activities.save_edit(timed("a1"), NOW)
        assert stores.activities.delete("a1", read.revision) is False
        assert stores.activities.get("a1") is not None
        assert stores.activities.delete("a1", stores.activities.get("a1").revision) is True
        assert stores.activities.get("a1") is None
        assert stores.activities.delete("a1") is True

    def test_list_for_owner_finds_what_meets_the_range(self, stores: Stores) -> None:
        day = datetime(2026, 12, 7, tzinfo=UTC)
        stores.activities.create(timed("before", day - timedelta(hours=3), hours=2))  # ends 23:00 the day before
        stores.activities.create(timed("overlap", day - timedelta(hours=1), hours=2))
        stores.activities.create(timed("inside", day + timedelta(hours=9)))
        stores.activities.create(timed("bob", day + timedelta(hours=9), owner="bob"))
        stores.activities.create(timed("after", day + timedelta(days=1)))
        one_day = ActivityContent("Off", AllDay(date(2026, 12, 7), date(2026, 12, 7)))
        stores.activities.create(replace(timed("allday"), content=one_day))
        first = day - timedelta(days=30)
        weekly_time = Timed(first, first + timedelta(hours=1), "UTC")
        weekly_content = ActivityContent("W", weekly_time, recurrence=("RRULE:FREQ=WEEKLY",))
        weekly = replace(timed("weekly"), content=weekly_content)
        stores.activities.create(weekly)
        until = ("RRULE:FREQ=WEEKLY;UNTIL=20261120T000000Z",)
        stores.activities.create(replace(weekly, id="ended", content=replace(weekly_content, recurrence=until)))
        found = stores.activities.list_for_owner("alice", day, day + timedelta(days=1), 50)
        assert [a.id for a in found] == ["weekly", "overlap", "allday", "inside"]
        first_two = stores.activities.list_for_owner("alice", day, day + timedelta(days=1), 2)
        assert [a.id for a in first_two] == ["weekly", "overlap"]

    def test_list_pending_is_due_work_oldest_first_and_bounded(self, stores: Stores) -> None:
        stores.activities.create(timed("late", sync=pending(NOW - timedelta(minutes=1))))
        stores.activities.create(timed("early", sync=pending(NOW - timedelta(minutes=9))))
        stores.activities.create(timed("future", sync=pending(NOW + timedelta(minutes=9))))
        stores.activities.create(timed("synced", sync=ActivitySync(SyncState.SYNCED, due_at=NOW - timedelta(hours=1))))
        stores.activities.create(timed("none"))
        assert [a.id for a in stores.activities.list_pending(NOW, 10)] == ["early", "late"]
        assert [a.id for a in stores.activities.list_pending(NOW, 1)] == ["early"]

    def test_list_pending_for_owner_is_one_owners_due_work_oldest_first_and_bounded(self, stores: Stores) -> None:
        stores.activities.create(timed("late", sync=pending(NOW - timedelta(minutes=1))))
        stores.activities.create(timed("early", sync=pending(NOW - timedelta(minutes=9))))
        stores.activities.create(timed("future", sync=pending(NOW + timedelta(minutes=9))))
        stores.activities.create(timed("synced", sync=ActivitySync(SyncState.SYNCED, due_at=NOW - timedelta(hours=1))))
        stores.activities.create(timed("bobs", owner="bob", sync=pending(NOW - timedelta(minutes=30))))
        assert [a.id for a in stores.activities.list_pending_for_owner("alice", NOW, 10)] == ["early", "late"]
        assert [a.id for a in stores.activities.list_pending_for_owner("alice", NOW, 1)] == ["early"]
        assert [a.id for a in stores.activities.list_pending_for_owner("bob", NOW, 10)] == ["bobs"]
        assert stores.activities.list_pending_for_owner("carol", NOW, 10) == []

    def test_group_activities_and_marking_them_pending(self, stores: Stores) -> None:
        stores.activities.create(timed("g-a", group_id="g1", sync=ActivitySync(SyncState.SYNCED)))
        stores.activities.create(timed("g-b", group_id="g1"))
        stores.activities.create(timed("other", group_id="g2"))
        ids = sorted(a.id for a in stores.activities.list_by_group("g1", 10))
        assert ids == ["g-a", "g-b"]
        uow = stores.unit_of_work()
        stores.activities.stage_pending(uow, ids, NOW)
        stores.groups.stage_group(uow, Group("g1", "Sales", ("alice", "bob"), NOW, "admin"))
        uow.commit()
        assert [a.id for a in stores.activities.list_pending(NOW, 10)] == ["g-a", "g-b"]
        assert stores.groups.get_group("g1") == Group("g1", "Sales", ("alice", "bob"), NOW, "admin")

    def test_marking_a_missing_activity_pending_applies_nothing(self, stores: Stores) -> None:
        stores.activities.create(timed("a1"))
        uow = stores.unit_of_work()
        stores.groups.stage_group(uow, Group("g1", "Sales"))
        stores.activities.stage_pending(uow, ["a1", "ghost"], NOW)
        with pytest.raises(MissingDocument):
            uow.commit()
        assert stores.groups.get_group("g1") is None
        assert stores.activities.list_pending(NOW, 10) == []

    def test_groups_list_and_delete(self, stores: Stores) -> None:
        uow = stores.unit_of_work()
        stores.groups.stage_group(uow, Group("g2", "B", ("x",)))
        stores.groups.stage_group(uow, Group("g1", "A"))
        uow.commit()
        assert [g.id for g in stores.groups.list_groups()] == ["g1", "g2"]
        assert stores.groups.delete_group("g1") is True
        assert stores.groups.delete_group("g1") is False
        assert stores.groups.get_group("g1") is None

    def test_a_target_keeps_its_state(self, stores: Stores) -> None:
        target = SyncTarget("bob", "cal-b", "ev1", state=TargetState.DELETING, last_error="boom")
        stores.activities.create(timed("a1", sync=ActivitySync(SyncState.PENDING, (target,))))
        assert stores.activities.get("a1").sync.targets == (target,)


class TestFirestoreActivityStore(ActivityStoreContract):
    @pytest.fixture
    def stores(self, firestore_db) -> Stores:
        from functions.store.firestore_stores import FirestoreStores

        return FirestoreStores(firestore_db)

    def test_a_pending_document_that_is_no_activity_is_set_to_error(self, stores: Stores, firestore_db) -> None:
        stores.activities.create(timed("good", sync=pending()))
        firestore_db.document("activities/bad").set(
            {"owner_uid": "alice", "subject": "no time", "sync": {"state": "pending", "due_at": NOW}}
        )
        assert [a.id for a in stores.activities.list_pending(NOW, 10)] == ["good"]
        bad = firestore_db.document("activities/bad").get().to_dict()["sync"]
        assert bad["state"] == "error" and bad["last_error"].startswith("not a valid activity")
        assert [a.id for a in stores.activities.list_pending(NOW, 10)] == ["good"]
        firestore_db.document("activities/bad2").set(
            {"owner_uid": "alice", "range_start": T0, "range_end": T0 + timedelta(hours=1), "start": "soon"}
        )
        assert [a.id for a in stores.activities.list_for_owner("alice", T0, T0 + timedelta(days=1), 10)] == ["good"]


class TestInMemoryActivityStore(ActivityStoreContract):
    @pytest.fixture
    def stores(self) -> Stores:
        from functions.store.memory import InMemoryStores

        return InMemoryStores()
