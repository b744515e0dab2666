"""The activities API over HTTP, exporting to the sandbox: the functions server, the emulators, Google's stand-in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from tests.integration.conftest import CLIENT_ID, Api, ConnectFlow, SignedIn

SERIES_START = "2026-03-02T09:00:00-05:00"  # a Monday in New York, a week before the clocks change


@pytest.fixture
def activities(functions_url: str) -> Api:
    return Api(functions_url + "activities/")


@pytest.fixture
def linked(api: Api, connected_user: SignedIn, calendars_of: Any) -> dict[str, str]:
    """The user's Meeting and Call types exported to their two CRM calendars; summary -> calendar id."""
    calendars = calendars_of(connected_user)
    for activity_type, summary in (("Meeting", "CRM Meetings"), ("Call", "CRM Calls")):
        body = {"calendar_id": calendars[summary], "export": True}
        assert api.call("PUT", f"links/{activity_type}", connected_user.token, body).status_code == 200
    return calendars


def instant(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def live_events(sandbox: Any, email: str, calendar_id: str) -> list[dict[str, Any]]:
    return [e for e in sandbox.owner_list_events(email, calendar_id)
            if e.get("status") != "cancelled" and not e.get("recurringEventId")]


def meeting(**changes: Any) -> dict[str, Any]:
    body = {"activity_type": "Meeting", "subject": "Kick-off", "start": "2026-12-07T09:00:00+01:00",
            "end": "2026-12-07T10:00:00+01:00", "time_zone": "Europe/Madrid"}
    body.update(changes)
    return body


def create(activities: Api, user: SignedIn, body: dict[str, Any]) -> dict[str, Any]:
    answer = activities.call("POST", "", user.token, body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_create_edit_move_and_delete_reach_google_once(
    activities: Api, connected_user: SignedIn, linked: dict[str, str], sandbox: Any
) -> None:
    user, meetings, calls = connected_user, linked["CRM Meetings"], linked["CRM Calls"]
    text = "Résumé <b>bold</b> & “quotes” — 日本語 ✓"
    created = create(activities, user, meeting(description=text, location="Café <Sala 1>"))
    assert created["sync"]["state"] == "synced", created["sync"]
    [event] = live_events(sandbox, user.email, meetings)
    assert (event["description"], event["location"]) == (text, "Café <Sala 1>")
    assert event["start"] == {"dateTime": "2026-12-07T09:00:00+01:00", "timeZone": "Europe/Madrid"}

    edited = activities.call("PATCH", created["id"], user.token, {"subject": "Renamed", "status": "Held"})
    assert edited.status_code == 200, edited.text
    assert (edited.json()["subject"], edited.json()["description"], edited.json()["status"]) == (
        "Renamed", text, "Held")
    assert [e["summary"] for e in live_events(sandbox, user.email, meetings)] == ["Renamed"]

    moved = activities.call("PATCH", created["id"], user.token, {"activity_type": "Call"})
    assert moved.json()["sync"]["state"] == "synced"
    assert live_events(sandbox, user.email, meetings) == []
    assert [e["id"] for e in live_events(sandbox, user.email, calls)] == [event["id"]]

    listed = activities.call("GET", "?start=2026-12-07&end=2026-12-08", user.token)
    assert [a["id"] for a in listed.json()["activities"]] == [created["id"]]
    assert listed.json()["activities"][0]["sync"]["targets"][0]["calendar_id"] == calls

    assert activities.call("DELETE", created["id"], user.token).status_code == 204
    assert live_events(sandbox, user.email, calls) == []
    assert activities.call("GET", created["id"], user.token).status_code == 404


def test_all_day_events_use_googles_exclusive_end(
    activities: Api, connected_user: SignedIn, linked: dict[str, str], sandbox: Any
) -> None:
    one = create(activities, connected_user, meeting(all_day=True, start_date="2026-12-24", end_date="2026-12-24",
                                                     start=None, end=None, time_zone=None) | {"subject": "Eve"})
    three = create(activities, connected_user, {"activity_type": "Meeting", "subject": "Off", "all_day": True,
                                               "start_date": "2026-12-30", "end_date": "2027-01-01"})
    events = {e["summary"]: e for e in live_events(sandbox, connected_user.email, linked["CRM Meetings"])}
    assert (events["Eve"]["start"], events["Eve"]["end"]) == ({"date": "2026-12-24"}, {"date": "2026-12-25"})
    assert (events["Off"]["start"], events["Off"]["end"]) == ({"date": "2026-12-30"}, {"date": "2027-01-02"})
    assert (one["end_date"], three["end_date"]) == ("2026-12-24", "2027-01-01")


def test_a_weekly_series_across_a_dst_change_with_an_exception(
    activities: Api, connected_user: SignedIn, linked: dict[str, str], sandbox: Any
) -> None:
    body = meeting(subject="Stand-up", start=SERIES_START, end="2026-03-02T09:30:00-05:00",
                   time_zone="America/New_York", recurrence=["RRULE:FREQ=WEEKLY;COUNT=3"],
                   exceptions=[{"original_start": "2026-03-09T09:00:00-04:00", "subject": "Stand-up (moved)",
                                "start": "2026-03-10T10:00:00-04:00", "end": "2026-03-10T10:30:00-04:00"}])
    created = create(activities, connected_user, body)
    assert created["sync"]["state"] == "synced", created["sync"]
    stored = sandbox.owner_list_events(connected_user.email, linked["CRM Meetings"])
    [series] = [e for e in stored if not e.get("recurringEventId")]
    assert series["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=3"]
    assert series["start"]["timeZone"] == "America/New_York"
    assert instant(series["start"]["dateTime"]) == instant(SERIES_START)
    [moved] = [e for e in stored if e.get("recurringEventId")]
    assert moved["summary"] == "Stand-up (moved)"
    assert instant(moved["originalStartTime"]["dateTime"]) == instant("2026-03-09T09:00:00-04:00")  # after DST
    assert instant(moved["start"]["dateTime"]) == instant("2026-03-10T10:00:00-04:00")
    listed = activities.call("GET", "?start=2026-03-16T00:00:00Z&end=2026-03-17T00:00:00Z", connected_user.token)
    assert [a["id"] for a in listed.json()["activities"]] == [created["id"]]  # the series meets that day


def test_an_attendee_added_in_google_survives_a_crm_edit(
    activities: Api, connected_user: SignedIn, linked: dict[str, str], sandbox: Any
) -> None:
    created = create(activities, connected_user, meeting())
    [event] = live_events(sandbox, connected_user.email, linked["CRM Meetings"])
    sandbox.owner_patch_event(connected_user.email, linked["CRM Meetings"], event["id"],
                              {"attendees": [{"email": "guest@example.com"}]})
    edited = activities.call("PATCH", created["id"], connected_user.token, {"location": "Room 2"})
    assert edited.json()["sync"]["state"] == "synced", edited.text
    [after] = live_events(sandbox, connected_user.email, linked["CRM Meetings"])
    assert after["location"] == "Room 2" and [a["email"] for a in after["attendees"]] == ["guest@example.com"]


def test_429_and_503_are_retried_and_the_export_completes(
    activities: Api, connected_user: SignedIn, linked: dict[str, str], sandbox: Any
) -> None:
    sandbox.inject_fault(status=429, count=1, path_contains="/events", reason="rateLimitExceeded")
    sandbox.inject_fault(status=503, count=1, path_contains="/events")
    created = create(activities, connected_user, meeting())
    assert created["sync"]["state"] == "synced", created["sync"]
    assert len(live_events(sandbox, connected_user.email, linked["CRM Meetings"])) == 1
    statuses = [entry["status"] for entry in sandbox.request_log() if "/events" in entry["path"]]
    assert 429 in statuses and 503 in statuses


def test_google_down_leaves_the_activity_pending_and_the_sweep_finishes(
    activities: Api, connected_user: SignedIn, linked: dict[str, str], sandbox: Any, functions_url: str
) -> None:
    sandbox.inject_fault(status=503, count=100, path_contains="/events")
    created = create(activities, connected_user, meeting())
    assert created["sync"]["state"] == "pending" and created["sync"]["attempts"] == 1
    assert "503" in created["sync"]["last_error"]
    sandbox.clear_faults()
    assert live_events(sandbox, connected_user.email, linked["CRM Meetings"]) == []
    # The sweep takes only due activities: this one waits for its backoff, then goes.
    assert requests.post(functions_url + "export_activities", timeout=60).json()["activities"] == 0
    delete_pending = activities.call("DELETE", created["id"], connected_user.token)
    assert delete_pending.status_code == 204  # never reached Google: nothing there to delete first


def test_a_revoked_grant_marks_the_user_needs_reauth(
    activities: Api, api: Api, connected_user: SignedIn, linked: dict[str, str], sandbox: Any
) -> None:
    sandbox.revoke_grant(connected_user.email, CLIENT_ID)
    sandbox.expire_access_tokens(connected_user.email)
    created = create(activities, connected_user, meeting())
    assert created["sync"]["state"] == "pending", created["sync"]
    assert "Authorize and Connect again" in created["sync"]["last_error"]
    assert api.call("GET", "me", connected_user.token).json()["connection"]["status"] == "needs_reauth"


def test_owner_change_and_group_members(
    activities: Api, api: Api, connected_user: SignedIn, linked: dict[str, str], sandbox: Any,
    configured: SignedIn, make_user: Callable[..., tuple[str, str]], flow: ConnectFlow, calendars_of: Any,
    run_job: Callable[[str], dict[str, Any]],
) -> None:
    admin = configured
    bob_uid, bob_token = make_user("bob@example.com")
    sandbox.create_account("bob@example.com", "Bob")
    sandbox.create_calendar("bob@example.com", "Bob CRM", time_zone="UTC")
    bob = SignedIn(bob_uid, bob_token, "bob@example.com")
    flow.connect(bob.token, bob.email)
    bob_calendar = calendars_of(bob)["Bob CRM"]
    assert api.call("PUT", "links/Meeting", bob.token, {"calendar_id": bob_calendar, "export": True}).status_code == 200

    created = create(activities, connected_user, meeting())
    given = activities.call("PATCH", created["id"], admin.token, {"owner_uid": bob.uid})
    assert given.status_code == 200 and given.json()["sync"]["state"] == "synced", given.text
    assert live_events(sandbox, connected_user.email, linked["CRM Meetings"]) == []
    assert len(live_events(sandbox, bob.email, bob_calendar)) == 1
    refused = activities.call("PATCH", created["id"], bob.token, {"owner_uid": connected_user.uid})
    assert refused.status_code == 403

    group = activities.call("PUT", "groups/sales", admin.token, {"name": "Sales", "member_uids": [connected_user.uid]})
    assert group.status_code == 200, group.text
    shared = create(activities, bob, meeting(subject="Team", group_id="sales"))
    assert sorted(t["uid"] for t in shared["sync"]["targets"]) == sorted([bob.uid, connected_user.uid])
    assert [e["summary"] for e in live_events(sandbox, connected_user.email, linked["CRM Meetings"])] == ["Team"]
    # The member leaves: the group's activities are marked pending, the scheduled sweep removes the copy.
    activities.call("PUT", "groups/sales", admin.token, {"name": "Sales", "member_uids": []})
    report = run_job("export_activities")  # one task for the owner; the worker runs it
    assert (report["activities"], report["users"], report["synced"]) == (1, 1, 1)
    assert live_events(sandbox, connected_user.email, linked["CRM Meetings"]) == []
    assert sorted(e["summary"] for e in live_events(sandbox, bob.email, bob_calendar)) == ["Kick-off", "Team"]


def test_validation_and_read_only(
    activities: Api, connected_user: SignedIn, firestore_db: Any
) -> None:
    bad = activities.call("POST", "", connected_user.token, meeting(subject="", end="2026-12-07T08:00:00+01:00",
                                                                    status="Done", time_zone="Mars/Olympus"))
    assert bad.status_code == 400
    assert set(bad.json()["error"]["details"]["fields"]) >= {"subject", "status", "time_zone"}
    firestore_db.document("activities/imported").set({
        "owner_uid": connected_user.uid, "activity_type": "Meeting", "subject": "From Google", "all_day": True,
        "start_date": "2026-12-07", "end_date": "2026-12-07", "origin": "google", "read_only": True,
    })
    refused = activities.call("PATCH", "imported", connected_user.token, {"subject": "Mine now"})
    assert refused.status_code == 409 and "Google" in refused.json()["error"]["message"]
    assert activities.call("DELETE", "imported", connected_user.token).status_code == 409
    assert activities.call("GET", "?start=2026-12-01", connected_user.token).status_code == 400


def test_a_crash_after_googles_insert_then_a_retry_leaves_one_event(
    connected_user: SignedIn, linked: dict[str, str], sandbox: Any, firestore_db: Any
) -> None:
    """The function dies after Google inserted the event and before Firestore recorded it; the retry
    inserts again with the same client-chosen id, Google answers 409, and that counts as done."""
    from functions.bootstrap import build_services
    from functions.core.activity import Activity, ActivityContent, ActivitySync, SyncState, Timed
    from functions.google.gateway import HttpGoogleGateway
    from functions.services.ports import Adapters
    from functions.store.firestore_stores import FirestoreStores

    stores = FirestoreStores(firestore_db)
    services = build_services(Adapters(stores, HttpGoogleGateway()))
    start = datetime(2026, 12, 7, 8, tzinfo=UTC)
    content = ActivityContent("Crash test", Timed(start, start.replace(hour=9), "Europe/Madrid"))
    stores.activities.create(Activity("crash-1", connected_user.uid, "Meeting", content,
                                      sync=ActivitySync(SyncState.PENDING, due_at=start.replace(year=2020))))
    record = stores.activities.save_sync

    def die_once(*args: Any, **kwargs: Any) -> Any:
        stores.activities.save_sync = record  # type: ignore[method-assign]
        raise RuntimeError("the instance died before recording")

    stores.activities.save_sync = die_once  # type: ignore[method-assign]
    with pytest.raises(RuntimeError):
        services.export.sweep()
    assert len(live_events(sandbox, connected_user.email, linked["CRM Meetings"])) == 1
    assert stores.activities.get("crash-1").sync.state == SyncState.PENDING

    report = services.export.sweep()
    assert report.synced == 1
    [event] = live_events(sandbox, connected_user.email, linked["CRM Meetings"])
    [target] = stores.activities.get("crash-1").sync.targets
    assert (target.event_id, target.etag) == (event["id"], event["etag"])
    assert [e["status"] for e in sandbox.request_log() if e["status"] == 409] == [409]
