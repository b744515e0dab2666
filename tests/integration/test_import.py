"""Import from Google over HTTP: the functions server on the emulators, Google's stand-in (the sandbox)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from functions.core.event_mapping import imported_activity_id
from tests.integration.conftest import Api, ConnectFlow, SignedIn
from tests.integration.test_openapi import validate
from tests.support.consent import query_of

WEEK = "?start=2026-12-01&end=2027-01-31"


@pytest.fixture
def activities(functions_url: str) -> Api:
    return Api(functions_url + "activities/")


@pytest.fixture(autouse=True)
def no_push_delivery(sandbox: Any) -> None:
    """These tests drive import by the scheduled job and count what one run does. Their calendars refuse
    push, as Google's holiday calendars do: no webhook-run import races with the job, and the job polls
    them at every tick (a link with a live channel waits for the 6-hour safety net: docs/fanout.md; push
    itself: tests/integration/test_push.py)."""
    sandbox.configure(push_supported=False)


@pytest.fixture
def run_import(run_job: Callable[[str], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    return lambda: run_job("import_events")


@pytest.fixture
def calendars(connected_user: SignedIn, calendars_of: Any) -> dict[str, str]:
    return calendars_of(connected_user)


def link(api: Api, user: SignedIn, activity_type: str, calendar_id: str, **flags: bool) -> None:
    body = {"calendar_id": calendar_id, "import": True, "import_existing": True, "export": False, **flags}
    answer = api.call("PUT", f"links/{activity_type}", user.token, body)
    assert answer.status_code == 200, answer.text


def timed(summary: str, day: int = 10, zone: str = "Europe/Madrid", offset: str = "+01:00", **extra: Any) -> dict:
    return {"summary": summary, "start": {"dateTime": f"2026-12-{day:02d}T09:00:00{offset}", "timeZone": zone},
            "end": {"dateTime": f"2026-12-{day:02d}T10:00:00{offset}", "timeZone": zone}, **extra}


def listed(activities: Api, user: SignedIn, query: str = WEEK) -> dict[str, dict[str, Any]]:
    answer = activities.call("GET", query, user.token)
    assert answer.status_code == 200, answer.text
    return {a["subject"]: a for a in answer.json()["activities"]}


def test_new_edited_held_and_deleted_events(
    api: Api, activities: Api, connected_user: SignedIn, calendars: dict[str, str], sandbox: Any,
    run_import: Callable[[], dict[str, Any]], firestore_db: Any,
) -> None:
    user, cal = connected_user, calendars["CRM Meetings"]
    link(api, user, "Meeting", cal)
    lunch = sandbox.owner_insert_event(user.email, cal, timed("Lunch", location="Casa Lucio"))
    demo = sandbox.owner_insert_event(user.email, cal, timed("Demo", day=11))
    summary = run_import()
    assert (summary["calendars"], summary["created"], summary["failed"]) == (1, 2, 0)
    found = listed(activities, user)
    assert (found["Lunch"]["origin"], found["Lunch"]["read_only"], found["Lunch"]["location"]) == (
        "google", True, "Casa Lucio")
    refused = activities.call("PATCH", found["Lunch"]["id"], user.token, {"subject": "Mine"})
    assert refused.status_code == 409

    firestore_db.collection("activities").document(found["Demo"]["id"]).update({"status": "Held"})
    sandbox.owner_patch_event(user.email, cal, lunch["id"], {"summary": "Lunch (moved)"})
    sandbox.owner_patch_event(user.email, cal, demo["id"], {"summary": "Demo v2"})
    summary = run_import()
    assert (summary["updated"], summary["list_calls"]) == (1, 1)
    assert set(listed(activities, user)) == {"Lunch (moved)", "Demo"}

    sandbox.owner_delete_event(user.email, cal, lunch["id"])
    assert run_import()["unlinked"] == 1
    kept = listed(activities, user)["Lunch (moved)"]
    assert [t["state"] for t in kept["sync"]["targets"]] == ["unlinked"]
    assert run_import()["events"] == 0  # nothing new: one list call, nothing written


def test_import_existing_off_lists_then_add_into_crm_and_edit_reaches_google_without_a_copy(
    api: Api, activities: Api, connected_user: SignedIn, calendars: dict[str, str], sandbox: Any,
    run_import: Callable[[], dict[str, Any]],
) -> None:
    user, meetings, calls = connected_user, calendars["CRM Meetings"], calendars["CRM Calls"]
    old_meeting = sandbox.owner_insert_event(user.email, meetings, timed("Old meeting"))
    sandbox.owner_insert_event(user.email, calls, timed("Old call", day=12))
    link(api, user, "Meeting", meetings, import_existing=False, export=True)
    link(api, user, "Call", calls, import_existing=True)
    sandbox.owner_insert_event(user.email, meetings, timed("New meeting", day=13))
    summary = run_import()
    assert (summary["created"], summary["listed"]) == (2, 1)
    assert set(listed(activities, user)) == {"Old call", "New meeting"}

    answer = activities.call("GET", "google-events" + WEEK, user.token)
    validate(answer.json(), "GoogleEvents")
    rows = answer.json()["google_events"]
    assert [(r["summary"], r["event_id"], r["calendar_id"]) for r in rows] == [
        ("Old meeting", old_meeting["id"], meetings)]
    added = activities.call("POST", f"google-events/{rows[0]['id']}/add", user.token)
    assert added.status_code == 201, added.text
    validate(added.json(), "Activity")
    assert (added.json()["origin"], added.json()["read_only"]) == ("crm", False)
    assert [t["event_id"] for t in added.json()["sync"]["targets"]] == [old_meeting["id"]]
    again = activities.call("POST", f"google-events/{rows[0]['id']}/add", user.token)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_added")
    validate(again.json(), "Error")
    assert activities.call("GET", "google-events" + WEEK, user.token).json()["google_events"] == []

    edited = activities.call("PATCH", added.json()["id"], user.token, {"subject": "Old meeting, now CRM"})
    assert edited.json()["sync"]["state"] == "synced", edited.text
    live = [e for e in sandbox.owner_list_events(user.email, meetings) if e.get("status") != "cancelled"]
    assert sorted(e["summary"] for e in live) == ["New meeting", "Old meeting, now CRM"]
    assert run_import()["drifted"] == 0  # our own write coming back is no edit


def test_a_token_expiry_still_applies_a_deletion_made_while_it_was_dead(
    api: Api, activities: Api, connected_user: SignedIn, calendars: dict[str, str], sandbox: Any,
    run_import: Callable[[], dict[str, Any]],
) -> None:
    user, cal = connected_user, calendars["CRM Meetings"]
    link(api, user, "Meeting", cal)
    sandbox.owner_insert_event(user.email, cal, timed("Keep"))
    gone = sandbox.owner_insert_event(user.email, cal, timed("Gone", day=11))
    run_import()
    sandbox.expire_sync_tokens(user.email)
    sandbox.owner_delete_event(user.email, cal, gone["id"])
    summary = run_import()
    assert (summary["unlinked"], summary["created"]) == (1, 0)
    found = listed(activities, user)
    assert [t["state"] for t in found["Gone"]["sync"]["targets"]] == ["unlinked"]
    assert [t["state"] for t in found["Keep"]["sync"]["targets"]] == ["synced"]


def test_our_exported_events_are_not_imported_again(
    api: Api, activities: Api, connected_user: SignedIn, calendars: dict[str, str], sandbox: Any,
    run_import: Callable[[], dict[str, Any]],
) -> None:
    user, cal = connected_user, calendars["CRM Meetings"]
    link(api, user, "Meeting", cal, export=True)
    created = activities.call("POST", "", user.token, {
        "activity_type": "Meeting", "subject": "From the CRM", "start": "2026-12-14T09:00:00+01:00",
        "end": "2026-12-14T10:00:00+01:00", "time_zone": "Europe/Madrid"})
    assert created.json()["sync"]["state"] == "synced", created.text
    summary = run_import()
    assert (summary["created"], summary["drifted"]) == (0, 0)
    assert list(listed(activities, user)) == ["From the CRM"]


def test_a_series_with_a_moved_and_a_cancelled_instance(
    api: Api, activities: Api, connected_user: SignedIn, calendars: dict[str, str], sandbox: Any,
    run_import: Callable[[], dict[str, Any]],
) -> None:
    user, cal = connected_user, calendars["CRM Meetings"]
    link(api, user, "Meeting", cal)
    series = sandbox.owner_insert_event(user.email, cal, {
        **timed("Stand-up", day=7), "recurrence": ["RRULE:FREQ=DAILY;COUNT=5"]})
    sandbox.owner_patch_event(user.email, cal, f"{series['id']}_20261208T080000Z", {
        "start": {"dateTime": "2026-12-08T12:00:00+01:00", "timeZone": "Europe/Madrid"},
        "end": {"dateTime": "2026-12-08T13:00:00+01:00", "timeZone": "Europe/Madrid"}})
    sandbox.owner_delete_event(user.email, cal, f"{series['id']}_20261209T080000Z")
    assert run_import()["created"] == 1
    activity = listed(activities, user)["Stand-up"]
    assert activity["recurrence"] == ["RRULE:FREQ=DAILY;COUNT=5"]
    exceptions = {e["original_start"]: e for e in activity["exceptions"]}
    assert exceptions["2026-12-09T09:00:00+01:00"]["cancelled"] is True
    assert exceptions["2026-12-08T09:00:00+01:00"]["start"] == "2026-12-08T12:00:00+01:00"
    sandbox.owner_patch_event(user.email, cal, series["id"], {"location": "Room 4"})
    run_import()
    after = listed(activities, user)["Stand-up"]
    assert after["location"] == "Room 4" and len(after["exceptions"]) == 2


def test_all_day_time_zones_no_title_attendees_and_out_of_office(
    api: Api, activities: Api, connected_user: SignedIn, calendars: dict[str, str], sandbox: Any,
    run_import: Callable[[], dict[str, Any]],
) -> None:
    user, cal = connected_user, calendars["CRM Meetings"]
    link(api, user, "Meeting", cal)
    sandbox.owner_insert_event(user.email, cal, {"summary": "Holidays", "start": {"date": "2026-12-24"},
                                                 "end": {"date": "2026-12-27"}})
    sandbox.owner_insert_event(user.email, cal, timed("Tokyo", zone="Asia/Tokyo", offset="+09:00"))
    sandbox.owner_insert_event(user.email, cal, {k: v for k, v in timed("x", day=15).items() if k != "summary"})
    sandbox.owner_insert_event(user.email, cal, timed("", day=16, attendees=[{"email": "ana@example.com"}]))
    sandbox.owner_insert_event(user.email, cal, timed("Away", day=17, eventType="outOfOffice"))
    summary = run_import()
    assert (summary["created"], summary["skipped"]) == (5, 0), summary
    found = listed(activities, user)
    assert (found["Holidays"]["all_day"], found["Holidays"]["start_date"], found["Holidays"]["end_date"]) == (
        True, "2026-12-24", "2026-12-26")
    assert (found["Tokyo"]["start"], found["Tokyo"]["time_zone"]) == ("2026-12-10T09:00:00+09:00", "Asia/Tokyo")
    everything = activities.call("GET", WEEK, user.token).json()["activities"]
    untitled = [a for a in everything if a["subject"] == "(No title)"]
    assert len(untitled) == 2
    assert any(a["attendees"] and a["attendees"][0]["email"] == "ana@example.com" for a in untitled)
    assert found["Away"]["start"] == "2026-12-17T09:00:00+01:00"


def test_an_emptied_calendar_and_another_google_account_unlink_nothing(
    api: Api, activities: Api, connected_user: SignedIn, calendars: dict[str, str], sandbox: Any,
    run_import: Callable[[], dict[str, Any]], flow: ConnectFlow,
) -> None:
    user, meetings, calls = connected_user, calendars["CRM Meetings"], calendars["CRM Calls"]
    link(api, user, "Meeting", meetings)
    link(api, user, "Call", calls)
    emptied = [sandbox.owner_insert_event(user.email, meetings, timed(f"M{i}", day=10 + i)) for i in range(2)]
    sandbox.owner_insert_event(user.email, calls, timed("C1", day=20))
    assert run_import()["created"] == 3
    for event in emptied:
        sandbox.owner_delete_event(user.email, meetings, event["id"])
    sandbox.expire_sync_tokens(user.email, meetings)
    summary = run_import()
    assert (summary["paused"], summary["unlinked"]) == (1, 0)
    links = {lk["activity_type"]: lk for lk in api.call("GET", "links", user.token).json()["links"]}
    assert links["Meeting"]["paused_reason"] == "calendar_emptied"
    assert all(t["state"] == "synced" for a in listed(activities, user).values() for t in a["sync"]["targets"])

    sandbox.create_account("other@example.com", "Other")
    assert query_of(flow.connect(user.token, "other@example.com")) == {"connect": "success"}
    links = {lk["activity_type"]: lk for lk in api.call("GET", "links", user.token).json()["links"]}
    assert links["Call"]["paused_reason"] == "calendar_missing"
    summary = run_import()
    assert (summary["unlinked"], summary["created"]) == (0, 0)
    assert all(t["state"] == "synced" for a in listed(activities, user).values() for t in a["sync"]["targets"])
    assert imported_activity_id(user.uid, emptied[0]["id"]) in {a["id"] for a in listed(activities, user).values()}
