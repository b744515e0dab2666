"""The stores import uses (google_events, leases, the activity and link additions), on Firestore and in memory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.core.activity import Activity, ActivityContent, ActivitySync, SyncState, SyncTarget, Timed
from functions.core.google_event_row import GoogleEventRow
from functions.core.models import Link, RunInfo
from functions.store.errors import AlreadyExists, MissingDocument
from functions.store.ports import Stores

NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def row(row_id: str, start: datetime = T0, owner: str = "alice") -> GoogleEventRow:
    return GoogleEventRow(row_id, owner, "Meeting", "cal-1", f"ev{row_id}", "Lunch ✓", False, start.isoformat(),
                          (start + timedelta(hours=1)).isoformat(), "Europe/Madrid", start, start + timedelta(hours=1),
                          etag='"1"', location="Casa", html_link="https://example.com/e", reason="existing",
                          google_created="2026-11-01T10:00:00.000Z", seen_at=NOW)


def activity(activity_id: str, activity_type: str = "Meeting", owner: str = "alice") -> Activity:
    content = ActivityContent("Kick-off", Timed(T0, T0 + timedelta(hours=1), "Europe/Madrid"))
    target = SyncTarget(owner, "cal-1", "ev1", etag='"1"', content_hash="h", synced_at=NOW)
    return Activity(activity_id, owner, activity_type, content, created_at=NOW, updated_at=NOW,
                    sync=ActivitySync(SyncState.NOT_EXPORTED, (target,), event_id="ev1", synced_at=NOW))


class ImportStoreContract:
    def test_google_event_rows_round_trip_listed_by_range_and_deleted(self, stores: Stores) -> None:
        uow = stores.unit_of_work()
        for index in range(3):
            stores.google_events.stage_put(uow, row(f"r{index}", T0 + timedelta(days=index)))
        stores.google_events.stage_put(uow, row("bob1", owner="bob"))
        uow.commit()
        assert stores.google_events.get("r0") == row("r0")
        found = stores.google_events.list_for_owner("alice", T0 + timedelta(hours=12), T0 + timedelta(days=5), 10)
        assert [r.id for r in found] == ["r1", "r2"]
        uow = stores.unit_of_work()
        stores.google_events.stage_deleted(uow, ["r1", "never-there"])
        uow.commit()
        assert stores.google_events.get("r1") is None and stores.google_events.get("r2") is not None

    def test_a_lease_has_one_holder_until_released_or_expired(self, stores: Stores) -> None:
        later = NOW + timedelta(minutes=10)
        assert stores.leases.acquire("import~a", "one", NOW, later)
        assert not stores.leases.acquire("import~a", "two", NOW + timedelta(minutes=5), later)
        assert stores.leases.acquire("import~a", "one", NOW, later)  # the holder again
        assert stores.leases.acquire("import~b", "two", NOW, later)  # another calendar
        stores.leases.release("import~a", "two")  # not the holder: nothing
        assert not stores.leases.acquire("import~a", "two", NOW, later)
        assert stores.leases.acquire("import~a", "two", later + timedelta(seconds=1), later + timedelta(minutes=10))
        uow = stores.unit_of_work()
        stores.leases.stage_release(uow, "import~a")
        uow.commit()
        assert stores.leases.acquire("import~a", "three", later, later + timedelta(minutes=10))
        stores.leases.release("import~a", "three")
        assert stores.leases.acquire("import~a", "four", later, later + timedelta(minutes=10))

    def test_activities_put_read_many_by_type_and_sync_staged(self, stores: Stores) -> None:
        uow = stores.unit_of_work()
        stores.activities.stage_put(uow, activity("g1"))
        stores.activities.stage_put(uow, activity("g2", "Call"))
        uow.commit()
        assert set(stores.activities.get_many(["g1", "g2", "missing"])) == {"g1", "g2"}
        assert stores.activities.get_many([]) == {}
        assert [a.id for a in stores.activities.list_by_type("alice", "Meeting", 10)] == ["g1"]
        synced = ActivitySync(SyncState.PENDING, (), last_error="edited in Google", due_at=NOW)
        uow = stores.unit_of_work()
        stores.activities.stage_sync(uow, "g1", synced)
        uow.commit()
        assert stores.activities.get("g1").sync == synced
        assert stores.activities.get("g1").content == activity("g1").content
        uow = stores.unit_of_work()
        stores.activities.stage_sync(uow, "missing", synced)
        with pytest.raises(MissingDocument):
            uow.commit()

    def test_a_staged_create_refuses_an_existing_activity_and_applies_nothing(self, stores: Stores) -> None:
        uow = stores.unit_of_work()
        stores.activities.stage_create(uow, activity("g1"))
        uow.commit()
        uow = stores.unit_of_work()
        stores.google_events.stage_put(uow, row("r9"))
        stores.activities.stage_create(uow, activity("g1", "Call"))
        with pytest.raises(AlreadyExists):
            uow.commit()
        assert stores.google_events.get("r9") is None
        assert stores.activities.get("g1").activity_type == "Meeting"

    def test_an_import_run_saves_the_token_the_run_and_the_pause(self, stores: Stores) -> None:
        stores.links.put_link_checked("alice", "Meeting", lambda _: Link(
            "Meeting", "cal-1", "CRM", import_=True, sync_token="old", import_since=NOW, empty_accepted=True))
        assert stores.links.list_links("alice")[0].empty_accepted
        run = RunInfo(at=NOW, count=3, skipped=1, problems=("event x: no start time",))
        uow = stores.unit_of_work()
        stores.links.stage_import_run(uow, "alice", "Meeting", run, sync_token="new")
        uow.commit()
        [link] = stores.links.list_links("alice")
        assert (link.sync_token, link.last_import, link.paused_reason, link.import_since) == ("new", run, None, NOW)
        assert not link.empty_accepted  # accepted once: a later emptiness stops import again
        uow = stores.unit_of_work()
        stores.links.stage_import_run(uow, "alice", "Meeting", run, save_token=False, paused_reason="calendar_emptied")
        uow.commit()
        [link] = stores.links.list_links("alice")
        assert (link.sync_token, link.paused_reason) == ("new", "calendar_emptied")
        uow = stores.unit_of_work()
        stores.links.stage_import_run(uow, "alice", "Call", run)
        with pytest.raises(MissingDocument):
            uow.commit()

    def test_an_import_run_moves_next_poll_at_only_when_asked(self, stores: Stores) -> None:
        stores.links.put_link_checked("alice", "Meeting", lambda _: Link(
            "Meeting", "cal-1", "CRM", import_=True, sync_token="t", next_poll_at=NOW))
        run = RunInfo(at=NOW, count=0)
        uow = stores.unit_of_work()
        stores.links.stage_import_run(uow, "alice", "Meeting", run, sync_token="t")
        uow.commit()
        assert stores.links.list_links("alice")[0].next_poll_at == NOW
        uow = stores.unit_of_work()
        stores.links.stage_import_run(uow, "alice", "Meeting", run, sync_token="t",
                                      next_poll_at=NOW + timedelta(hours=6), save_poll=True)
        uow.commit()
        assert stores.links.list_links("alice")[0].next_poll_at == NOW + timedelta(hours=6)
        uow = stores.unit_of_work()
        stores.links.stage_import_run(uow, "alice", "Meeting", run, save_token=False, paused_reason="calendar_missing",
                                      save_poll=True)
        uow.commit()
        assert stores.links.list_links("alice")[0].next_poll_at is None

    def test_due_links_are_every_users_links_with_next_poll_at_passed_most_overdue_first(self, stores: Stores) -> None:
        def put(uid: str, activity_type: str, calendar: str, poll: datetime | None) -> None:
            stores.links.put_link_checked(uid, activity_type, lambda _: Link(
                activity_type, calendar, calendar, import_=True, next_poll_at=poll))

        put("alice", "Meeting", "cal-a1", NOW - timedelta(minutes=1))
        put("alice", "Call", "cal-a2", NOW + timedelta(hours=6))  # a live channel: the safety net is hours away
        put("bob", "Meeting", "cal-b1", NOW - timedelta(minutes=5))
        put("bob", "Task", "cal-b2", None)  # import off or paused: never polled
        put("carol", "Réunion/2", "cal-c1", NOW)
        due = stores.links.list_due_links(NOW, 10)
        assert [(uid, link.activity_type) for uid, link in due] == [
            ("bob", "Meeting"), ("alice", "Meeting"), ("carol", "Réunion/2")]
        assert due[2][1].calendar_id == "cal-c1"
        assert [uid for uid, _ in stores.links.list_due_links(NOW, 1)] == ["bob"]
        assert stores.links.list_due_links(NOW - timedelta(hours=1), 10) == []


class TestFirestoreImportStores(ImportStoreContract):
    @pytest.fixture
    def stores(self, firestore_db) -> Stores:
        from functions.store.firestore_stores import FirestoreStores

        return FirestoreStores(firestore_db)


class TestInMemoryImportStores(ImportStoreContract):
    @pytest.fixture
    def stores(self) -> Stores:
        from functions.store.memory import InMemoryStores

        return InMemoryStores()
