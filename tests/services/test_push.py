"""Push channels, the webhook and renewal on the in-memory stores and the sandbox in-process: the sandbox
really delivers its notifications, to a receiver in this process that hands them to the webhook's use case."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from werkzeug.datastructures import EnvironHeaders

from functions.bootstrap import Services, build_services
from functions.core.event_mapping import imported_activity_id
from functions.core.models import CalendarEntry, Identity, Link, TokenSet
from functions.core.poll_rules import SAFETY_NET
from functions.core.push_rules import CHANNEL_TTL, RENEW_MARGIN, PushState, push_state, token_hash
from functions.google.gateway import in_process_gateway
from functions.messaging.memory_queue import InMemoryTaskQueue
from functions.services.errors import DomainError, ForgedNotification, InvalidNotification
from functions.services.ports import Adapters
from functions.store.memory import InMemoryStores
from sandbox.inprocess import InProcessSandbox
from tests.export_world import CLIENT_ID, SCOPE, ConnectedUser, configure_client, connect_user

HOOK_BASE = "https://calbridge.test/"
ADDRESS = HOOK_BASE + "calendar_webhook"
ALICE = Identity("alice", "alice@example.com", False)


@dataclass
class PushWorld:
    sandbox: InProcessSandbox
    control: Any
    stores: InMemoryStores
    services: Services
    queue: InMemoryTaskQueue | None
    alice: ConnectedUser
    answers: list[tuple[str, str]]  # (resource state, what the webhook answered), in delivery order

    @property
    def calendar(self) -> str:
        return self.alice.calendars["Google events"]

    def link(self, activity_type: str = "Google", calendar: str | None = None, **flags: bool) -> Link:
        body = {"calendar_id": calendar or self.calendar, "import": True, "import_existing": True, "export": False,
                **flags}
        return self.services.links.put_link(ALICE, activity_type, body)

    def stored(self, activity_type: str = "Google") -> Link:
        return next(lk for lk in self.stores.links.list_links("alice") if lk.activity_type == activity_type)

    def insert(self, summary: str, day: int = 10) -> dict[str, Any]:
        return self.control.owner_insert_event(self.alice.email, self.calendar, {
            "summary": summary, "start": {"dateTime": f"2026-12-{day:02d}T09:00:00+01:00"},
            "end": {"dateTime": f"2026-12-{day:02d}T10:00:00+01:00"}})

    def wait(self, done: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, f"gave up waiting for {what}; webhook answers: {self.answers}"
            time.sleep(0.02)

    def headers(self, channel_id: str, token: str | None, state: str = "exists", **extra: str) -> dict[str, str]:
        headers = {"X-Goog-Channel-ID": channel_id, "X-Goog-Resource-State": state, "X-Goog-Message-Number": "7",
                   **extra}
        if token is not None:
            headers["X-Goog-Channel-Token"] = token
        return headers

    def live_token(self) -> tuple[str, str]:
        (channel,) = self.control.channels()
        return channel["id"], channel["token"]

    def list_calls(self) -> int:
        return self.control.request_counts().get("calendar.events.list", 0)


def make_world(with_queue: bool) -> PushWorld:
    sandbox = InProcessSandbox()
    control = sandbox.control()
    control.configure(push_retry_base_seconds=0.01, push_max_attempts=2)
    stores = InMemoryStores()
    configure_client(stores, control)
    stores.config.save_activity_types(["Call", "Meeting", "Task", "Google"], "admin", datetime.now(UTC))
    alice = connect_user(stores, control, "alice", ALICE.email,
                         {"Google events": "Europe/Madrid", "CRM Meetings": "Europe/Madrid"})
    queue = InMemoryTaskQueue() if with_queue else None
    services = build_services(Adapters(stores, in_process_gateway(sandbox), now=lambda: datetime.now(UTC),
                                       queue=queue, push_address=ADDRESS))
    answers: list[tuple[str, str]] = []

    def webhook(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        headers = EnvironHeaders(environ)
        try:
            receipt = services.notifications.receive(headers)
            result, status = receipt.result, "200 OK"
        except DomainError as exc:
            receipt, result, status = None, type(exc).__name__, "403 Forbidden"
        answers.append((headers.get("X-Goog-Resource-State", ""), result))
        start_response(status, [("Content-Type", "application/json")])
        if receipt is not None and receipt.after is not None:
            receipt.after()  # what the webhook runs once its answer is sent
        return [b"{}"]

    sandbox.deliver_push_to(HOOK_BASE, webhook)
    return PushWorld(sandbox, control, stores, services, queue, alice, answers)


@pytest.fixture
def inline() -> PushWorld:
    return make_world(with_queue=False)


@pytest.fixture
def queued() -> PushWorld:
    return make_world(with_queue=True)


def test_an_edit_in_google_reaches_the_crm_through_the_webhook_with_no_scheduled_run(inline: PushWorld) -> None:
    world = inline
    link = world.link()
    record = world.stores.channels.get_channel(link.channel_id)
    (at_google,) = world.control.channels()
    assert at_google["id"] == link.channel_id and at_google["address"] == ADDRESS
    assert record.token_hash == token_hash(at_google["token"]) and at_google["token"] not in repr(record)
    assert (record.uid, record.calendar_id, record.resource_id) == ("alice", world.calendar, at_google["resourceId"])
    assert push_state(world.stored(), datetime.now(UTC)) == PushState.LIVE
    assert world.stored().next_poll_at > datetime.now(UTC) + SAFETY_NET - timedelta(minutes=1)  # deferred
    world.wait(lambda: ("sync", "sync") in world.answers, "the channel's sync message")

    event = world.insert("Pushed")
    world.wait(lambda: world.stores.activities.get(imported_activity_id("alice", event["id"])) is not None,
               "the pushed event imported")
    assert world.stores.activities.get(imported_activity_id("alice", event["id"])).content.subject == "Pushed"
    assert ("exists", "importing") in world.answers


def test_a_forged_token_is_refused_and_nothing_runs(queued: PushWorld) -> None:
    world = queued
    world.link()
    channel_id, token = world.live_token()
    world.queue.drain()
    calls = world.list_calls()
    for forged in (token[:-1] + ("A" if token[-1] != "A" else "B"), None, ""):
        with pytest.raises(ForgedNotification):
            world.services.notifications.receive(world.headers(channel_id, forged))
    with pytest.raises(ForgedNotification):  # the right token for another resource
        world.services.notifications.receive(world.headers(channel_id, token, **{"X-Goog-Resource-ID": "other"}))
    assert world.queue.drain() == []
    assert world.list_calls() == calls
    assert world.stores.channels.get_channel(channel_id).import_queued_at is None


@pytest.mark.parametrize("headers", [
    {},
    {"X-Goog-Resource-State": "exists"},
    {"X-Goog-Channel-ID": "chan", "X-Goog-Resource-State": "changed"},
    {"X-Goog-Channel-ID": "x" * 257, "X-Goog-Resource-State": "exists"},
    {"X-Goog-Channel-ID": "chan", "X-Goog-Resource-State": "exists", "X-Goog-Channel-Token": "t" * 300},
    {"X-Goog-Channel-ID": "chan/../x", "X-Goog-Resource-State": "exists"},
    {"X-Goog-Channel-ID": "chan", "X-Goog-Resource-State": "exists", "X-Goog-Message-Number": "-1"},
    {"X-Goog-Channel-ID": "chan", "X-Goog-Resource-State": "exists", "X-Goog-Channel-Token": "caf\u00e9"},
], ids=["none", "no-channel", "bad-state", "long-id", "long-token", "path-id", "bad-number", "non-ascii"])
def test_garbled_headers_are_refused_by_name(queued: PushWorld, headers: dict[str, str]) -> None:
    with pytest.raises(InvalidNotification, match="X-Goog-"):
        queued.services.notifications.receive(headers)
    assert queued.queue.drain() == []


def test_an_unknown_channel_is_answered_without_work(queued: PushWorld) -> None:
    assert queued.services.notifications.receive(queued.headers("never-ours", "t")).result == "unknown_channel"
    assert queued.queue.drain() == []


def test_fifty_notifications_queue_one_import_and_a_change_during_the_import_queues_one_more(
    queued: PushWorld,
) -> None:
    world = queued
    world.link()
    channel_id, token = world.live_token()
    world.wait(lambda: ("sync", "sync") in world.answers, "the sync message")
    world.queue.drain()
    events = [world.insert(f"Burst {i}", day=1 + i % 28) for i in range(50)]
    world.wait(lambda: sum(1 for s, _ in world.answers if s == "exists") == 50, "50 notifications")
    replay = world.services.notifications.receive(world.headers(channel_id, token))  # a replayed notification
    assert replay.result == "coalesced"
    tasks = world.queue.drain()
    assert [(t.kind, t.uid, t.activity_type, t.reason) for t in tasks] == [("import", "alice", "Google", "push")]
    calls = world.list_calls()
    report = world.services.imports.import_calendar("alice", "Google")
    assert report.created == 50 and world.list_calls() == calls + 1
    assert all(world.stores.activities.get(imported_activity_id("alice", e["id"])) for e in events)

    late = world.insert("After the import started")  # the claim was cleared when the import started
    world.wait(lambda: sum(1 for s, _ in world.answers if s == "exists") == 51, "the 51st notification")
    (again,) = world.queue.drain()
    world.services.imports.import_calendar(again.uid, again.activity_type)
    assert world.stores.activities.get(imported_activity_id("alice", late["id"])) is not None


def test_unlink_import_off_and_calendar_change_stop_the_channel_at_google(queued: PushWorld) -> None:
    world = queued
    first = world.link().channel_id
    assert [c["id"] for c in world.control.channels()] == [first]
    moved = world.link(calendar=world.alice.calendars["CRM Meetings"])  # calendar change: stop, watch the new
    assert moved.channel_id not in (None, first)
    assert [(c["id"], c["calendar_id"]) for c in world.control.channels()] == [
        (moved.channel_id, world.alice.calendars["CRM Meetings"])]
    assert world.stores.channels.get_channel(first) is None
    off = world.link(calendar=world.alice.calendars["CRM Meetings"], **{"import": False, "import_existing": False,
                                                                        "export": True})
    assert (off.channel_id, off.next_poll_at) == (None, None)
    assert world.control.channels() == [] and world.stores.channels.get_channel(moved.channel_id) is None
    again = world.link()
    world.services.links.delete_link(ALICE, "Google")
    assert world.control.channels() == [] and world.stores.channels.get_channel(again.channel_id) is None


def test_saving_again_keeps_a_live_channel(queued: PushWorld) -> None:
    first = queued.link().channel_id
    assert queued.link(export=True).channel_id == first
    assert [c["id"] for c in queued.control.channels()] == [first]


def test_a_calendar_google_will_not_watch_is_saved_shown_refused_and_left_to_the_scheduled_import(
    queued: PushWorld,
) -> None:
    world = queued
    holidays = world.control.create_calendar(ALICE.email, "Holidays", push_supported=False)["id"]
    user = world.stores.users.get_user("alice")
    uow = world.stores.unit_of_work()
    world.stores.users.stage_calendars(uow, "alice", [*user.calendars, CalendarEntry(holidays, "Holidays")],
                                       ALICE.email, datetime.now(UTC))
    uow.commit()
    link = world.link(calendar=holidays, import_existing=False)
    assert link.import_ and link.channel_id is None
    assert "Push notifications are not supported by this resource" in link.channel_error
    assert push_state(link, datetime.now(UTC)) == PushState.REFUSED
    assert link.next_poll_at <= datetime.now(UTC)  # due for the scheduled import at once
    assert world.stores.channels.list_for_user("alice") == [] and world.control.channels() == []


def test_no_public_address_means_no_channel(queued: PushWorld) -> None:
    services = build_services(Adapters(queued.stores, in_process_gateway(queued.sandbox), queue=queued.queue))
    link = services.links.put_link(ALICE, "Google", {"calendar_id": queued.calendar, "import": True})
    assert (link.channel_id, link.channel_error) == (None, None)
    assert link.next_poll_at is not None and queued.control.channels() == []


def test_renewal_watches_anew_before_stopping_the_old_channel(queued: PushWorld) -> None:
    world = queued
    old = world.link().channel_id
    assert world.services.channels.renew().due == 0  # a week ahead: nothing to renew
    world.control.clear_request_log()
    later = datetime.now(UTC) + CHANNEL_TTL - RENEW_MARGIN + timedelta(minutes=5)
    renewing = build_services(Adapters(world.stores, in_process_gateway(world.sandbox), now=lambda: later,
                                       queue=world.queue, push_address=ADDRESS))
    run = renewing.channels.renew()
    assert (run.due, run.renewed, run.failed) == (1, 1, 0)
    new = world.stored().channel_id
    assert new != old and [c["id"] for c in world.control.channels()] == [new]
    assert world.stores.channels.get_channel(old) is None
    methods = [e["method"] for e in world.control.request_log() if e["method"].startswith("calendar.")]
    assert methods.index("calendar.events.watch") < methods.index("calendar.channels.stop")  # overlap, no gap
    world.queue.drain()
    world.insert("After renewal")
    world.wait(lambda: world.queue.drain() != [], "a task from the renewed channel")


def test_a_refused_renewal_shows_the_error_and_falls_back_to_the_scheduled_import(queued: PushWorld) -> None:
    world = queued
    old = world.link().channel_id
    world.control.inject_fault(status=403, path_contains="/events/watch", count=1, reason="forbidden")
    later = datetime.now(UTC) + CHANNEL_TTL - timedelta(hours=1)
    renewing = build_services(Adapters(world.stores, in_process_gateway(world.sandbox), now=lambda: later,
                                       queue=world.queue, push_address=ADDRESS))
    run = renewing.channels.renew()
    assert (run.due, run.renewed, run.failed) == (1, 0, 1)
    link = world.stored()
    assert link.channel_id == old and link.channel_error  # the old channel still runs until it expires
    assert link.next_poll_at == later  # too close to expiry to count as live: scheduled import due now


def reauth_then_reconnect(world: PushWorld) -> tuple[str, str]:
    """Alice's grant refused while her link has a channel, then a new grant stored; that channel's id and token."""
    channel_id, token = world.link().channel_id, world.control.channels()[0]["token"]
    world.control.revoke_grant(ALICE.email, CLIENT_ID)
    world.control.expire_access_tokens(ALICE.email)
    world.services.imports.import_calendar("alice", "Google")
    assert world.stores.users.get_user("alice").connection.status == "needs_reauth"
    granted = world.control.issue_access_token(ALICE.email, CLIENT_ID, [SCOPE])
    now = datetime.now(UTC)
    tokens = TokenSet(granted["access_token"], now + timedelta(hours=1), granted["refresh_token"], (SCOPE,))
    uow = world.stores.unit_of_work()
    world.stores.users.stage_connection(uow, "alice", tokens, [CalendarEntry(ALICE.email, ALICE.email, primary=True,
                                                                             access_role="owner")],
                                        ALICE.email, CLIENT_ID, now)
    uow.commit()
    return channel_id, token


def test_needs_reauth_retires_the_channels_and_a_notification_without_a_grant_leaves_the_tombstone(
        queued: PushWorld) -> None:
    world = queued
    channel_id = world.link().channel_id
    token = world.control.channels()[0]["token"]
    world.control.revoke_grant(ALICE.email, CLIENT_ID)
    world.control.expire_access_tokens(ALICE.email)
    world.services.imports.import_calendar("alice", "Google")
    assert world.stores.users.get_user("alice").connection.status == "needs_reauth"
    assert world.stores.channels.get_channel(channel_id).retired_at is not None
    assert world.stores.channels.list_for_user("alice") == []
    assert world.stored().channel_id is None
    world.queue.drain()
    receipt = world.services.notifications.receive(world.headers(channel_id, token))
    assert receipt.result == "retired_channel" and world.queue.drain() == []
    assert world.stores.channels.get_channel(channel_id) is not None  # no grant to stop it with: left to expire


def test_after_reconnect_a_notification_on_the_old_channel_stops_it_at_google_and_imports_nothing(
        queued: PushWorld) -> None:
    world = queued
    old, old_token = reauth_then_reconnect(world)
    assert [c["id"] for c in world.control.channels()] == [old]  # Google still runs it
    world.queue.drain()
    calls = world.list_calls()
    receipt = world.services.notifications.receive(world.headers(old, old_token))
    assert receipt.result == "retired_channel"
    assert world.control.channels() == [] and world.stores.channels.get_channel(old) is None
    assert world.queue.drain() == [] and world.list_calls() == calls
    assert world.services.notifications.receive(world.headers(old, old_token)).result == "unknown_channel"


def test_a_forged_token_on_a_retired_channel_is_refused_and_nothing_is_stopped(queued: PushWorld) -> None:
    world = queued
    old, _token = reauth_then_reconnect(world)
    with pytest.raises(ForgedNotification):
        world.services.notifications.receive(world.headers(old, "not-the-token"))
    assert [c["id"] for c in world.control.channels()] == [old]
    assert world.stores.channels.get_channel(old).retired_at is not None


def test_a_retired_channel_is_not_renewed_and_is_dropped_once_expired(queued: PushWorld) -> None:
    world = queued
    old, _token = reauth_then_reconnect(world)
    for when, left in ((CHANNEL_TTL - timedelta(hours=1), True), (CHANNEL_TTL + timedelta(hours=1), False)):
        later = datetime.now(UTC) + when
        renewing = build_services(Adapters(world.stores, in_process_gateway(world.sandbox), now=lambda t=later: t,
                                           queue=world.queue, push_address=ADDRESS))
        world.control.clear_request_log()
        assert renewing.channels.renew().due == 0
        assert not [e for e in world.control.request_log() if e["method"] == "calendar.events.watch"]
        assert (world.stores.channels.get_channel(old) is not None) == left


def test_a_stop_google_does_not_confirm_at_unlink_leaves_a_tombstone(queued: PushWorld) -> None:
    world = queued
    channel_id = world.link().channel_id
    world.control.inject_fault(status=403, path_contains="/channels/stop", count=1, reason="forbidden")
    world.services.links.delete_link(ALICE, "Google")
    assert world.stores.channels.get_channel(channel_id).retired_at is not None
    token = world.control.channels()[0]["token"]
    assert world.services.notifications.receive(world.headers(channel_id, token)).result == "retired_channel"
    assert world.control.channels() == [] and world.stores.channels.get_channel(channel_id) is None


def test_disconnect_stops_the_channels_at_google(queued: PushWorld) -> None:
    world = queued
    channel_id = world.link().channel_id
    world.services.connect.disconnect(ALICE)
    assert world.control.channels() == [] and world.stores.channels.get_channel(channel_id) is None
    assert world.stored().channel_id is None


def test_a_stop_google_does_not_confirm_at_disconnect_leaves_a_tombstone_no_notification_imports_from(
        queued: PushWorld) -> None:
    world = queued
    channel_id = world.link().channel_id
    token = world.control.channels()[0]["token"]
    world.control.inject_fault(status=403, path_contains="/channels/stop", count=1, reason="forbidden")
    world.services.connect.disconnect(ALICE)
    assert world.stores.channels.get_channel(channel_id).retired_at is not None
    assert world.stored().channel_id is None and world.stores.channels.list_for_user("alice") == []
    world.queue.drain()
    assert world.services.notifications.receive(world.headers(channel_id, token)).result == "retired_channel"
    assert world.queue.drain() == [] and world.stores.channels.get_channel(channel_id) is not None  # no grant


def test_an_expired_channel_google_will_not_renew_is_dropped_and_shown_refused(queued: PushWorld) -> None:
    world = queued
    world.link()
    world.control.inject_fault(status=403, path_contains="/events/watch", count=1, reason="forbidden")
    expired = datetime.now(UTC) + CHANNEL_TTL + timedelta(hours=1)
    renewing = build_services(Adapters(world.stores, in_process_gateway(world.sandbox), now=lambda: expired,
                                       queue=world.queue, push_address=ADDRESS))
    assert (renewing.channels.renew().failed, renewing.channels.renew().due) == (1, 0)  # not retried hourly
    link = world.stored()
    assert link.channel_id is None and push_state(link, expired) == PushState.REFUSED
    assert link.next_poll_at == expired and world.stores.channels.list_for_user("alice") == []
