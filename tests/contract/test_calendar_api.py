"""The Calendar port's contract: one suite (``CalendarApiContract``), run on every backend.

The expectations are Google's documented behaviour (docs/google-calendar-api.md); a backend's test
class only says how to reach it. No mocks: the sandbox answers, over HTTP or in-process.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.google import errors
from functions.google.calendar_api import GoogleCalendarApi
from functions.google.calendar_port import DeleteEvent, EventPage, InsertEvent, PatchEvent
from sandbox.control import SandboxControl

from .conftest import ALICE, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, Backend, Connection, connect


def timed(event_id: str | None, start: str, end: str, **extra: Any) -> dict[str, Any]:
    event: dict[str, Any] = {"start": {"dateTime": start}, "end": {"dateTime": end}, **extra}
    if event_id is not None:
        event["id"] = event_id
    return event


def event(n: int, **extra: Any) -> dict[str, Any]:
    """A one-hour event on March ``n + 1`` 2024 (wrapping after 28) with the client id ``evt0000n``."""
    day = 1 + n % 28
    start, end = f"2024-03-{day:02d}T10:00:00Z", f"2024-03-{day:02d}T11:00:00Z"
    return timed(f"evt{n:05d}", start, end, summary=f"e{n}", **extra)


def list_all(api: GoogleCalendarApi, calendar_id: str = "primary", **params: Any) -> tuple[list[dict], EventPage]:
    """Every page; the items and the last page (which carries the sync token)."""
    items: list[dict[str, Any]] = []
    page_token = None
    while True:
        page = api.list_events(calendar_id, page_token=page_token, **params)
        items += page.items
        if not page.next_page_token:
            return items, page
        page_token = page.next_page_token


class CalendarApiContract:
    """The tests; a subclass provides the ``backend`` fixture."""

    @pytest.fixture
    def backend(self) -> Backend:
        raise NotImplementedError

    @pytest.fixture
    def control(self, backend: Backend) -> SandboxControl:
        control = backend.control
        control.reset()
        control.create_oauth_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])
        control.create_account(ALICE, "Alice")
        return control

    @pytest.fixture
    def tokens(self, control: SandboxControl) -> dict[str, Any]:
        return control.issue_access_token(ALICE, CLIENT_ID)

    @pytest.fixture
    def alice(self, backend: Backend, tokens: dict[str, Any]) -> Connection:
        return connect(backend, ALICE, tokens)

    @pytest.fixture
    def api(self, alice: Connection) -> GoogleCalendarApi:
        return alice.api

    # ------------------------------------------------------------------ single calls
    def test_insert_with_a_client_id_and_a_retried_insert_is_a_conflict(self, api: GoogleCalendarApi) -> None:
        created = api.insert_event("primary", event(1), send_updates="none")
        assert created["id"] == "evt00001" and created["etag"] and created["status"] == "confirmed"
        with pytest.raises(errors.Conflict) as info:
            api.insert_event("primary", event(1))
        assert info.value.reason == "duplicate"

    def test_get(self, api: GoogleCalendarApi) -> None:
        created = api.insert_event("primary", event(2, description="d"))
        got = api.get_event("primary", "evt00002")
        assert (got["id"], got["etag"], got["summary"], got["description"]) == (
            "evt00002", created["etag"], "e2", "d")
        with pytest.raises(errors.NotFound):
            api.get_event("primary", "evt99999")

    def test_patch_merges_and_a_stale_etag_is_refused(self, alice: Connection) -> None:
        api = alice.api
        created = api.insert_event("primary", event(3, location="here"))
        patched = api.patch_event("primary", "evt00003", {"summary": "new"}, etag=created["etag"], send_updates="none")
        assert (patched["summary"], patched["location"]) == ("new", "here")
        assert patched["etag"] != created["etag"]
        with pytest.raises(errors.PreconditionFailed):
            api.patch_event("primary", "evt00003", {"summary": "lost"}, etag=created["etag"])
        assert api.get_event("primary", "evt00003")["summary"] == "new"
        assert alice.sleeps == []  # 412 is not retried

    def test_delete_then_delete_again_is_gone(self, api: GoogleCalendarApi) -> None:
        created = api.insert_event("primary", event(4))
        with pytest.raises(errors.PreconditionFailed):
            api.delete_event("primary", "evt00004", etag='"1"')
        api.delete_event("primary", "evt00004", etag=created["etag"])
        with pytest.raises(errors.Gone) as info:
            api.delete_event("primary", "evt00004")
        assert type(info.value) is errors.Gone
        with pytest.raises(errors.NotFound):
            api.delete_event("primary", "evt99999")

    # ------------------------------------------------------------------ listing and sync tokens
    def test_list_pages_with_a_small_max_results(self, api: GoogleCalendarApi) -> None:
        api.batch([InsertEvent("primary", event(n)) for n in range(5)])
        pages = []
        page_token = None
        while True:
            page = api.list_events("primary", page_token=page_token, max_results=2)
            pages.append(page)
            if not page.next_page_token:
                break
            page_token = page.next_page_token
        assert [len(p.items) for p in pages] == [2, 2, 1]
        assert all(p.next_sync_token is None for p in pages[:-1]) and pages[-1].next_sync_token
        assert sorted(e["id"] for p in pages for e in p.items) == [f"evt{n:05d}" for n in range(5)]

    def test_time_bounds_and_single_events(self, api: GoogleCalendarApi) -> None:
        api.insert_event("primary", event(1))
        api.insert_event("primary", event(3))
        page = api.list_events("primary", time_min=datetime(2024, 3, 3, tzinfo=UTC), time_max="2024-03-10T00:00:00Z",
                               single_events=True)
        assert [e["id"] for e in page.items] == ["evt00003"]

    def test_a_sync_token_lists_changes_and_deletions(self, control: SandboxControl, api: GoogleCalendarApi) -> None:
        for n in (1, 2, 3):
            api.insert_event("primary", event(n))
        items, last = list_all(api, max_results=2)
        assert len(items) == 3 and last.next_sync_token
        api.patch_event("primary", "evt00001", {"summary": "changed"})
        api.delete_event("primary", "evt00002")
        control.owner_insert_event(ALICE, ALICE, event(4))
        changes, last = list_all(api, sync_token=last.next_sync_token)
        by_id = {e["id"]: e for e in changes}
        assert set(by_id) == {"evt00001", "evt00002", "evt00004"}
        assert by_id["evt00001"]["summary"] == "changed"
        assert by_id["evt00002"]["status"] == "cancelled"
        again = api.list_events("primary", sync_token=last.next_sync_token)
        assert again.items == [] and again.next_sync_token

    def test_a_deleted_event_is_listed_with_show_deleted_only(self, api: GoogleCalendarApi) -> None:
        api.insert_event("primary", event(1))
        api.delete_event("primary", "evt00001")
        assert api.list_events("primary").items == []
        assert [e["status"] for e in api.list_events("primary", show_deleted=True).items] == ["cancelled"]

    def test_a_bogus_or_expired_sync_token_needs_a_full_sync(self, control: SandboxControl, alice: Connection) -> None:
        api = alice.api
        with pytest.raises(errors.InvalidSyncToken):
            api.list_events("primary", sync_token="bogus-token")
        _, last = list_all(api)
        control.expire_sync_tokens(ALICE)
        with pytest.raises(errors.InvalidSyncToken) as info:
            api.list_events("primary", sync_token=last.next_sync_token)
        assert (info.value.status, info.value.reason) == (410, "fullSyncRequired")
        assert alice.sleeps == []

    def test_instances_of_a_series(self, api: GoogleCalendarApi) -> None:
        series = {
            "id": "series001",
            "summary": "daily",
            "start": {"dateTime": "2024-03-04T09:00:00+01:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2024-03-04T10:00:00+01:00", "timeZone": "Europe/Berlin"},
            "recurrence": ["RRULE:FREQ=DAILY;COUNT=3"],
        }
        api.insert_event("primary", series)
        try:
            page = api.list_instances("primary", "series001", max_results=10)
        except errors.GoogleError as exc:
            if exc.status == 501:
                pytest.skip("this sandbox does not implement events.instances yet")
            raise
        assert len(page.items) == 3
        assert {e["recurringEventId"] for e in page.items} == {"series001"}
        assert [e["originalStartTime"]["dateTime"][:10] for e in page.items] == [
            "2024-03-04", "2024-03-05", "2024-03-06"]

    # ------------------------------------------------------------------ batch
    def test_a_batch_answers_each_call_in_order_with_its_typed_error(self, api: GoogleCalendarApi) -> None:
        kept = api.insert_event("primary", event(1))
        api.insert_event("primary", event(2))
        results = api.batch([
            InsertEvent("primary", event(3)),
            PatchEvent("primary", "evt00001", {"summary": "batched"}, etag=kept["etag"]),
            DeleteEvent("primary", "evt99999"),
            InsertEvent("primary", event(2)),
            DeleteEvent("primary", "evt00002"),
            PatchEvent("primary", "evt00001", {"summary": "stale"}, etag=kept["etag"]),
        ])
        assert isinstance(results[0], dict) and results[0]["id"] == "evt00003"
        assert isinstance(results[1], dict) and results[1]["summary"] == "batched"
        assert type(results[2]) is errors.NotFound
        assert type(results[3]) is errors.Conflict
        assert results[4] is None
        assert type(results[5]) is errors.PreconditionFailed
        assert api.get_event("primary", "evt00003")["summary"] == "e3"
        assert api.get_event("primary", "evt00001")["summary"] == "batched"
        with pytest.raises(errors.Gone):
            api.delete_event("primary", "evt00002")

    def test_more_than_1000_calls_are_split_into_batches(self, control: SandboxControl, api: GoogleCalendarApi) -> None:
        control.clear_request_log()
        calls = [InsertEvent("primary", event(n)) for n in range(1001)]
        results = api.batch(calls)
        assert len(results) == 1001 and all(isinstance(r, dict) for r in results)
        assert [r["id"] for r in results if isinstance(r, dict)] == [f"evt{n:05d}" for n in range(1001)]
        counts = control.request_counts()
        assert (counts["batch"], counts["calendar.events.insert"]) == (2, 1001)
        assert len(api.list_events("primary", max_results=2500).items) == 1001

    def test_an_empty_batch_sends_nothing(self, control: SandboxControl, api: GoogleCalendarApi) -> None:
        control.clear_request_log()
        assert api.batch([]) == []
        assert control.request_counts().get("batch", 0) == 0

    # ------------------------------------------------------------------ push and calendars
    def test_watch_and_stop_a_channel(self, control: SandboxControl, api: GoogleCalendarApi) -> None:
        control.configure(push_max_attempts=1)
        before = time.time() * 1000
        channel = api.watch_events("primary", "chan-contract-1", "http://127.0.0.1:9/calendar_webhook",
                                   token="secret-token", ttl_seconds=3600)
        assert channel["kind"] == "api#channel"
        assert (channel["id"], channel["token"]) == ("chan-contract-1", "secret-token")
        assert channel["resourceId"] and channel["resourceUri"]
        assert before + 3500_000 < int(channel["expiration"]) < before + 3700_000
        assert [c["id"] for c in control.channels()] == ["chan-contract-1"]
        api.stop_channel(channel["id"], channel["resourceId"])
        assert control.channels() == []

    def test_the_calendar_list(self, control: SandboxControl, api: GoogleCalendarApi) -> None:
        work = control.create_calendar(ALICE, "Work", "Europe/Berlin")
        calendars = {c.id: c for c in api.list_calendars()}
        assert set(calendars) == {ALICE, work["id"]}
        assert calendars[ALICE].primary and calendars[ALICE].access_role == "owner"
        assert (calendars[work["id"]].summary, calendars[work["id"]].time_zone) == ("Work", "Europe/Berlin")
        assert not calendars[work["id"]].primary

    def test_the_calendar_list_follows_its_pages(self, control: SandboxControl, api: GoogleCalendarApi) -> None:
        control.clear_request_log()
        for n in range(260):
            control.create_calendar(ALICE, f"c{n}")
        assert len(api.list_calendars()) == 261  # pages of at most 250
        assert control.request_counts()["calendar.calendarList.list"] == 2

    # ------------------------------------------------------------------ tokens
    def test_an_expired_access_token_is_refreshed_once(
        self, control: SandboxControl, alice: Connection, tokens: dict[str, Any]
    ) -> None:
        alice.api.list_events("primary")
        control.expire_access_tokens(ALICE)
        control.clear_request_log()
        alice.api.list_events("primary")
        alice.api.list_events("primary")
        assert len(alice.refreshed) == 1
        fresh = alice.refreshed[0]
        assert fresh.access_token == alice.session.access_token != tokens["access_token"]
        assert fresh.refresh_token == tokens["refresh_token"]
        assert fresh.expires_at > datetime.now(UTC) + timedelta(minutes=30)
        counts = control.request_counts()
        assert (counts["oauth.token"], counts["calendar.events.list"]) == (1, 3)  # 401, then two answers

    def test_a_stored_token_past_its_expiry_is_refreshed_before_the_first_call(
        self, backend: Backend, control: SandboxControl, tokens: dict[str, Any]
    ) -> None:
        conn = connect(backend, ALICE, tokens, expires_at=datetime.now(UTC) - timedelta(minutes=1))
        control.clear_request_log()
        conn.api.list_calendars()
        assert len(conn.refreshed) == 1
        counts = control.request_counts()
        assert (counts["oauth.token"], counts["calendar.calendarList.list"]) == (1, 1)

    def test_a_batch_after_the_token_expired_refreshes_once(self, control: SandboxControl, alice: Connection) -> None:
        control.expire_access_tokens(ALICE)
        results = alice.api.batch([InsertEvent("primary", event(1)), InsertEvent("primary", event(2))])
        assert all(isinstance(r, dict) for r in results)
        assert len(alice.refreshed) == 1

    def test_a_revoked_grant_is_invalid_grant(self, control: SandboxControl, alice: Connection) -> None:
        control.revoke_grant(ALICE, CLIENT_ID)
        with pytest.raises(errors.InvalidGrant):
            alice.api.list_events("primary")
        with pytest.raises(errors.InvalidGrant):
            alice.api.batch([InsertEvent("primary", event(1))])
        assert alice.refreshed == [] and alice.sleeps == []

    # ------------------------------------------------------------------ retries
    def test_429_and_503_are_retried_with_backoff(self, control: SandboxControl, alice: Connection) -> None:
        control.clear_request_log()
        control.inject_fault(status=429, count=1)
        control.inject_fault(status=503, count=1)
        assert alice.api.list_events("primary").items == []
        assert len(alice.sleeps) == 2 and 0 <= alice.sleeps[0] <= 0.5 and 0 <= alice.sleeps[1] <= 1.0
        assert control.request_counts()["calendar.events.list"] == 3

    @pytest.mark.parametrize("reason", ["rateLimitExceeded", "userRateLimitExceeded"])
    def test_403_rate_limits_are_retried(self, control: SandboxControl, alice: Connection, reason: str) -> None:
        control.inject_fault(status=403, count=1, reason=reason)
        alice.api.insert_event("primary", event(1))
        assert len(alice.sleeps) == 1
        assert alice.api.get_event("primary", "evt00001")["id"] == "evt00001"

    def test_retries_are_bounded(self, backend: Backend, control: SandboxControl, tokens: dict[str, Any]) -> None:
        conn = connect(backend, ALICE, tokens, max_attempts=3)
        control.clear_request_log()
        control.inject_fault(status=500, count=5)
        with pytest.raises(errors.ServerError):
            conn.api.list_events("primary")
        assert len(conn.sleeps) == 2
        assert control.request_counts()["calendar.events.list"] == 3

    def test_a_failed_batch_part_is_sent_again(self, control: SandboxControl, alice: Connection) -> None:
        control.clear_request_log()
        control.inject_fault(status=503, count=1)
        results = alice.api.batch([InsertEvent("primary", event(n)) for n in range(3)])
        assert [r["id"] for r in results if isinstance(r, dict)] == ["evt00000", "evt00001", "evt00002"]
        assert len(alice.sleeps) == 1
        counts = control.request_counts()
        assert (counts["batch"], counts["calendar.events.insert"]) == (2, 4)


class TestSandboxOverHttp(CalendarApiContract):
    """The sandbox as a process, reached over sockets by httplib2 and google-auth's httplib2 transport."""

    @pytest.fixture
    def backend(self, http_backend: Backend) -> Backend:
        return http_backend


class TestSandboxInProcess(CalendarApiContract):
    """The same sandbox app, called in-process (sandbox.inprocess)."""

    @pytest.fixture
    def backend(self, inprocess_backend: Backend) -> Backend:
        return inprocess_backend
