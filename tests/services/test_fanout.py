"""The fan-out on the in-memory stores, the in-memory queue and the sandbox in-process: the scheduled
jobs publish one task per user with work and none for idle users; the worker runs a task bounded,
continues when work remains, skips whom it must, and a task delivered twice does no harm."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.bootstrap import Services, build_services
from functions.core.activity import Activity, ActivityContent, ActivitySync, SyncState, Timed
from functions.core.event_mapping import event_id_for
from functions.core.fanout_rules import MAX_GENERATIONS
from functions.core.models import Identity, Link
from functions.core.poll_rules import SAFETY_NET
from functions.core.sync_task import SyncTask, TaskKind
from functions.google.gateway import in_process_gateway
from functions.messaging.memory_queue import InMemoryTaskQueue
from functions.services import worker_service
from functions.services.ports import Adapters
from functions.services.worker_service import RetryLater
from functions.store.memory import InMemoryStores
from sandbox.inprocess import InProcessSandbox
from tests.export_world import CLIENT_ID, ConnectedUser, configure_client, connect_user
from tests.support.consent import consent, query_of

START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
USERS = ("ana", "ben", "cleo", "dan")


@dataclass
class Fleet:
    stores: InMemoryStores
    control: Any
    services: Services
    queue: InMemoryTaskQueue
    clock: list[datetime]
    users: dict[str, ConnectedUser]

    def now(self) -> datetime:
        return self.clock[0]

    def link(self, uid: str) -> Link:
        return self.stores.links.links[uid]["Meeting"]

    def set_link(self, uid: str, **fields: Any) -> None:
        self.stores.links.links[uid]["Meeting"] = replace(self.link(uid), **fields)

    def live_channel(self, uid: str, poll_at: datetime | None = None) -> None:
        """What the push part writes once a channel is live: its fields, and the poll moved to the safety net."""
        self.set_link(uid, channel_id=f"ch-{uid}", channel_expiry=self.now() + timedelta(days=7),
                      next_poll_at=poll_at or self.now() + SAFETY_NET)

    def pending(self, uid: str, count: int = 1) -> list[str]:
        ids = []
        for index in range(count):
            start = START + timedelta(hours=index)
            activity = Activity(f"{uid}-act-{index}", uid, "Meeting",
                                ActivityContent(f"Visit {index}", Timed(start, start + timedelta(hours=1), "UTC")),
                                sync=ActivitySync(SyncState.PENDING, due_at=self.now()))
            ids.append(self.stores.activities.create(activity).id)
        return ids

    def events(self, uid: str) -> list[dict[str, Any]]:
        user = self.users[uid]
        return [e for e in self.control.owner_list_events(user.email, user.calendars["CRM"])
                if e.get("status") != "cancelled"]

    def calendar_calls(self) -> int:
        return sum(1 for entry in self.control.request_log() if "calendar/v3" in entry["path"])

    def run_published(self) -> list[SyncTask]:
        """Deliver every published task (and the continuations they publish) to the worker, as Pub/Sub would."""
        done: list[SyncTask] = []
        while tasks := self.queue.drain():
            for task in tasks:
                self.services.worker.handle(task)
                done.append(task)
        return done


def make_fleet(queue: bool = True) -> Fleet:
    sandbox = InProcessSandbox()
    control = sandbox.control()
    stores = InMemoryStores()
    clock = [datetime.now(UTC).replace(microsecond=0)]
    configure_client(stores, control)
    work_queue = InMemoryTaskQueue()
    services = build_services(Adapters(stores, in_process_gateway(sandbox), now=lambda: clock[0],
                                       queue=work_queue if queue else None))
    users = {}
    for uid in USERS:
        users[uid] = connect_user(stores, control, uid, f"{uid}@example.com", {"CRM": "UTC"}, clock[0])
        services.links.put_link(Identity(uid, f"{uid}@example.com", False), "Meeting",
                                {"calendar_id": users[uid].calendars["CRM"], "export": True, "import": True})
    control.clear_request_log()
    return Fleet(stores, control, services, work_queue, clock, users)


@pytest.fixture
def fleet() -> Fleet:
    return make_fleet()


def test_saving_a_link_with_import_on_makes_it_due_and_without_import_never(fleet: Fleet) -> None:
    assert fleet.link("ana").next_poll_at == fleet.now()
    fleet.services.links.put_link(Identity("ben", "ben@example.com", False), "Meeting",
                                  {"calendar_id": fleet.users["ben"].calendars["CRM"], "export": True})
    assert fleet.link("ben").next_poll_at is None


def test_the_export_job_publishes_one_task_per_owner_with_pending_work_and_none_for_the_others(fleet: Fleet) -> None:
    fleet.pending("ana", 3)
    fleet.pending("cleo", 1)

    summary = fleet.services.fanout.export_tick()

    assert fleet.queue.published == [SyncTask(TaskKind.EXPORT, "ana", reason="scheduled"),
                                     SyncTask(TaskKind.EXPORT, "cleo", reason="scheduled")]
    assert summary == {"activities": 4, "users": 2, "published": 2}
    assert fleet.calendar_calls() == 0  # the job itself calls no one
    fleet.run_published()
    assert sorted(e["id"] for e in fleet.events("ana")) == sorted(event_id_for(f"ana-act-{i}") for i in range(3))
    assert len(fleet.events("cleo")) == 1
    assert fleet.events("ben") == fleet.events("dan") == []
    assert fleet.services.fanout.export_tick()["published"] == 0  # nothing pending any more


def test_a_task_delivered_twice_does_no_harm(fleet: Fleet) -> None:
    fleet.pending("ana", 2)
    fleet.control.owner_insert_event("ben@example.com", fleet.users["ben"].calendars["CRM"], {
        "summary": "From Google", "start": {"dateTime": "2027-01-05T10:00:00Z"},
        "end": {"dateTime": "2027-01-05T11:00:00Z"}})
    export, imported = SyncTask(TaskKind.EXPORT, "ana"), SyncTask(TaskKind.IMPORT, "ben", "Meeting", "push")

    first = fleet.services.worker.handle(export), fleet.services.worker.handle(imported)
    calls = fleet.calendar_calls()
    state = dict(fleet.stores.activities.activities)
    second = fleet.services.worker.handle(export), fleet.services.worker.handle(imported)

    assert first[0].counts["synced"] == 2 and first[1].counts["created"] == 1
    assert len(fleet.events("ana")) == 2 and len(fleet.stores.activities.list_by_type("ben", "Meeting", 10)) == 1
    assert second[0].counts == {}  # nothing pending: not even a Calendar call
    assert "created" not in second[1].counts and "updated" not in second[1].counts
    assert fleet.calendar_calls() - calls == 1  # the import's one events.list, with the sync token
    assert fleet.stores.activities.activities == state  # nothing written again
    assert len(fleet.events("ana")) == 2


def test_idle_users_with_live_channels_cost_no_task_and_no_calendar_call(fleet: Fleet) -> None:
    for uid in USERS:
        fleet.live_channel(uid)
    fleet.set_link("dan", channel_id=None, channel_expiry=None, next_poll_at=fleet.now())  # no channel: polled

    export, imports = fleet.services.fanout.export_tick(), fleet.services.fanout.import_tick()

    assert (export["published"], imports["published"], imports["due_links"]) == (0, 1, 1)
    assert fleet.queue.published == [SyncTask(TaskKind.IMPORT, "dan", "Meeting", "scheduled")]
    fleet.run_published()
    assert fleet.calendar_calls() == 1  # dan's one events.list
    fleet.clock[0] += timedelta(minutes=5)
    assert fleet.services.fanout.import_tick()["published"] == 1  # dan again, every tick; the others not


def test_a_live_channels_link_is_imported_once_per_safety_net_and_then_pushed_out(fleet: Fleet) -> None:
    fleet.services.worker.handle(SyncTask(TaskKind.IMPORT, "ana", "Meeting"))  # the first run: it has a token
    for uid in USERS:
        fleet.live_channel(uid)
    fleet.set_link("ana", next_poll_at=fleet.now() - timedelta(minutes=1))  # its safety-net poll is due
    fleet.clock[0] += timedelta(minutes=1)

    assert fleet.services.fanout.import_tick()["published"] == 1
    fleet.run_published()  # nothing changed in Google: only next_poll_at is written

    assert fleet.link("ana").next_poll_at == fleet.now() + SAFETY_NET
    assert fleet.services.fanout.import_tick()["published"] == 0  # nothing due now


def test_an_import_run_of_a_link_without_channel_writes_nothing_when_nothing_changed(fleet: Fleet) -> None:
    fleet.services.worker.handle(SyncTask(TaskKind.IMPORT, "ben", "Meeting"))  # first run: token, next_poll_at
    link = fleet.link("ben")
    fleet.clock[0] += timedelta(minutes=5)
    fleet.services.worker.handle(SyncTask(TaskKind.IMPORT, "ben", "Meeting"))
    assert fleet.link("ben") == link  # still due, no write


def test_an_export_task_continues_while_work_remains_and_the_chain_is_capped(
    fleet: Fleet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker_service, "EXPORT_PER_TASK", 3)
    fleet.pending("ana", 7)

    fleet.queue.publish(SyncTask(TaskKind.EXPORT, "ana", reason="scheduled"))
    done = fleet.run_published()

    assert [(t.reason, t.generation) for t in done] == [("scheduled", 0), ("continuation", 1), ("continuation", 2)]
    assert len(fleet.events("ana")) == 7

    fleet.pending("ben", 3)
    capped = fleet.services.worker.handle(SyncTask(TaskKind.EXPORT, "ben", generation=MAX_GENERATIONS))
    assert capped.counts["chain_capped"] == 1 and not capped.continued and fleet.queue.drain() == []


def test_the_import_skips_users_who_cannot_sync_and_paused_links_without_calling_google(fleet: Fleet) -> None:
    fleet.stores.users.mark_needs_reauth("ana", "Token has been expired or revoked.", "invalid_grant", fleet.now())
    fleet.set_link("ben", paused_reason="calendar_missing")
    user = fleet.stores.users.get_user("cleo")
    fleet.stores.users.users["cleo"] = replace(user, calendars_error="Google answered 503")

    outcomes = {uid: fleet.services.worker.handle(SyncTask(TaskKind.IMPORT, uid, "Meeting"))
                for uid in ("ana", "ben", "cleo", "nobody")}

    assert {uid: o.skipped for uid, o in outcomes.items()} == {
        "ana": "needs_reauth", "ben": "paused:calendar_missing", "cleo": "calendars_error", "nobody": "no_user"}
    assert fleet.calendar_calls() == 0


def test_the_import_job_leaves_paused_links_out(fleet: Fleet) -> None:
    fleet.set_link("ben", paused_reason="calendar_emptied")
    fleet.services.fanout.import_tick()
    assert sorted(t.uid for t in fleet.queue.published) == ["ana", "cleo", "dan"]


def test_an_import_that_google_refuses_for_now_is_delivered_again(fleet: Fleet) -> None:
    fleet.control.inject_fault(status=503, count=50, path_contains="/events")
    with pytest.raises(RetryLater, match="ana"):
        fleet.services.worker.handle(SyncTask(TaskKind.IMPORT, "ana", "Meeting"))
    fleet.control.clear_faults()
    assert fleet.services.worker.handle(SyncTask(TaskKind.IMPORT, "ana", "Meeting")).counts["calendars"] == 1


def test_a_resync_task_goes_to_the_resync_handler_or_is_refused(fleet: Fleet) -> None:
    task = SyncTask(TaskKind.RESYNC, "ana", "Meeting", "resync")
    wired = fleet.services.worker.handle(task)  # the link controls' resync, wired in bootstrap
    assert wired.refused is None and wired.counts.get("failed", 0) == 0
    fleet.services.worker.resync = None
    assert fleet.services.worker.handle(task).refused == "resync is not available in this deployment"

    seen: list[SyncTask] = []
    fleet.services.worker.resync = lambda t: seen.append(t) or {"checked": 3}
    assert fleet.services.worker.handle(task).counts == {"checked": 3} and seen == [task]


def test_without_a_queue_the_jobs_run_the_work_inline() -> None:
    fleet = make_fleet(queue=False)
    fleet.pending("ana", 2)
    fleet.live_channel("ben")
    fleet.live_channel("cleo")

    export = fleet.services.fanout.export_tick()
    imports = fleet.services.fanout.import_tick()

    assert (export["activities"], export["synced"], export["users"], export["published"]) == (2, 2, 1, 0)
    assert (imports["calendars"], imports["users"], imports["published"], imports["failed"]) == (2, 2, 0, 0)
    assert len(fleet.events("ana")) == 2


def reconnect(fleet: Fleet, uid: str) -> str | None:
    """*Authorize and Connect* again, through the sandbox's consent page and ``ConnectService.finish``."""
    identity = Identity(uid, f"{uid}@example.com", False)
    started = fleet.services.connect.start(identity)
    back = consent(fleet.control.session, started.authorize_url, identity.email or "")
    return fleet.services.connect.finish(query_of(back), started.browser_nonce)


def test_a_user_whose_grant_google_refuses_costs_no_task_and_no_read_until_they_reconnect(fleet: Fleet) -> None:
    assert fleet.services.fanout.import_tick()["due_links"] == 4
    fleet.control.revoke_grant("ana@example.com", CLIENT_ID)
    fleet.control.expire_access_tokens("ana@example.com")
    outcomes = {task.uid: fleet.services.worker.handle(task) for task in fleet.queue.drain()}
    assert outcomes["ana"].skipped == "needs_reauth"  # invalid_grant: acknowledged, not delivered again
    assert fleet.stores.users.get_user("ana").connection.status == "needs_reauth"
    assert fleet.link("ana").next_poll_at is None

    for _tick in range(3):
        fleet.clock[0] += timedelta(minutes=5)
        summary = fleet.services.fanout.import_tick()
        assert (summary["due_links"], summary["users"]) == (3, 3)  # ana's link is not even read
        assert "ana" not in {t.uid for t in fleet.run_published()}

    assert reconnect(fleet, "ana") is None
    assert fleet.link("ana").next_poll_at == fleet.now()  # due again (no push address here: polled)
    fleet.queue.drain()
    assert fleet.services.fanout.import_tick()["due_links"] == 4
    assert "ana" in {t.uid for t in fleet.queue.drain()}


def test_a_user_marked_needs_reauth_before_parking_existed_is_parked_by_the_first_skipped_task(fleet: Fleet) -> None:
    fleet.stores.users.users["ana"] = replace(  # refused by an older release: the link is still due
        fleet.stores.users.get_user("ana"),
        connection=replace(fleet.stores.users.get_user("ana").connection, status="needs_reauth"))
    assert fleet.services.fanout.import_tick()["users"] == 4
    outcome = next(fleet.services.worker.handle(t) for t in fleet.queue.drain() if t.uid == "ana")
    assert (outcome.skipped, outcome.counts["links_parked"]) == ("needs_reauth", 1)

    fleet.clock[0] += timedelta(minutes=5)
    assert fleet.services.fanout.import_tick()["due_links"] == 3
    assert "ana" not in {t.uid for t in fleet.queue.drain()}


def test_a_disconnected_user_and_a_link_saved_while_needing_reauth_are_parked(fleet: Fleet) -> None:
    fleet.services.connect.disconnect(Identity("ana", "ana@example.com", False))
    assert fleet.link("ana").next_poll_at is None
    fleet.stores.users.mark_needs_reauth("ben", "Token has been expired or revoked.", "invalid_grant", fleet.now())
    fleet.services.links.put_link(Identity("ben", "ben@example.com", False), "Meeting",
                                  {"calendar_id": fleet.users["ben"].calendars["CRM"], "import": True})
    assert fleet.link("ben").next_poll_at is None

    summary = fleet.services.fanout.import_tick()
    assert (summary["due_links"], summary["users"]) == (2, 2)
    assert fleet.calendar_calls() == 0


def test_a_link_paused_for_a_missing_calendar_is_not_polled_and_is_due_again_when_it_is_back(fleet: Fleet) -> None:
    crm = fleet.link("ana").calendar_id
    fleet.set_link("ana", calendar_id="gone@group.calendar.google.com")  # no longer in ana's Google list
    fleet.services.connect.refresh_calendars(Identity("ana", "ana@example.com", False))
    assert (fleet.link("ana").paused_reason, fleet.link("ana").next_poll_at) == ("calendar_missing", None)
    assert fleet.services.fanout.import_tick()["due_links"] == 3

    fleet.set_link("ana", calendar_id=crm)  # the calendar is in the list again
    fleet.clock[0] += timedelta(minutes=5)
    fleet.services.connect.refresh_calendars(Identity("ana", "ana@example.com", False))
    assert (fleet.link("ana").paused_reason, fleet.link("ana").next_poll_at) == (None, fleet.now())
