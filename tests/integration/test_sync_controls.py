"""Sync controls (issue 13) over HTTP: privacy per link, resync now, unlink with cleanup, status at a glance.
The functions server on the emulators, Google's stand-in (the sandbox). The jobs and *Resync now* publish sync
tasks to the Pub/Sub emulator; each test runs the tasks it caused with the worker (tests/support/jobs.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from functions.core.event_mapping import imported_activity_id
from tests.integration.conftest import Api, SignedIn
from tests.integration.test_openapi import validate
from tests.support.jobs import run_with_tasks


@pytest.fixture
def activities(functions_url: str) -> Api:
    return Api(functions_url + "activities/")


@pytest.fixture(autouse=True)
def no_push(sandbox: Any) -> None:
    """The calendars refuse push, so the scheduled import polls them and no webhook import races the counts."""
    sandbox.configure(push_supported=False)


@pytest.fixture
def sweep(run_job: Callable[[str], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    return lambda: run_job("export_activities")


@pytest.fixture
def run_import(run_job: Callable[[str], dict[str, Any]]) -> Callable[[], dict[str, Any]]:
    return lambda: run_job("import_events")


@pytest.fixture
def resync(api: Api, stack: Any) -> Callable[..., requests.Response]:
    """*Resync now* as the page asks it (202, queued), then the one task it published run by the worker."""
    def run(user: SignedIn, activity_type: str = "Meeting", body: dict[str, Any] | None = None) -> dict[str, Any]:
        def ask() -> requests.Response:
            return api.call("POST", f"links/{activity_type}/resync", user.token, body or {})

        return run_with_tasks(stack.project_id, ask, expect=1)

    return run


@pytest.fixture
def calendars(connected_user: SignedIn, calendars_of: Any) -> dict[str, str]:
    return calendars_of(connected_user)


def put_link(api: Api, user: SignedIn, calendar_id: str, activity_type: str = "Meeting", **body: Any) -> dict:
    answer = api.call("PUT", f"links/{activity_type}", user.token, {"calendar_id": calendar_id, **body})
    assert answer.status_code == 200, answer.text
    validate(answer.json(), "Link")
    return answer.json()


def create(activities: Api, user: SignedIn, subject: str, day: int = 7, **extra: Any) -> dict[str, Any]:
    body = {"activity_type": "Meeting", "subject": subject, "start": f"2026-12-{day:02d}T09:00:00+01:00",
            "end": f"2026-12-{day:02d}T10:00:00+01:00", "time_zone": "Europe/Madrid", **extra}
    answer = activities.call("POST", "", user.token, body)
    assert answer.status_code == 201, answer.text
    return answer.json()


def live(sandbox: Any, user: SignedIn, calendar_id: str) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in sandbox.owner_list_events(user.email, calendar_id) if e.get("status") != "cancelled"}


def google_event(summary: str, day: int) -> dict[str, Any]:
    return {"summary": summary, "start": {"dateTime": f"2026-12-{day:02d}T12:00:00Z"},
            "end": {"dateTime": f"2026-12-{day:02d}T13:00:00Z"}}


def links_of(api: Api, user: SignedIn) -> dict[str, dict[str, Any]]:
    answer = api.call("GET", "links", user.token)
    assert answer.status_code == 200, answer.text
    validate(answer.json(), "Links")
    return {lk["activity_type"]: lk for lk in answer.json()["links"]}


def test_busy_only_exports_no_detail_and_switching_back_restores_them(
    api: Api, activities: Api, connected_user: SignedIn, calendars: dict[str, str], sandbox: Any,
    sweep: Callable[[], dict[str, Any]],
) -> None:
    user, cal = connected_user, calendars["CRM Meetings"]
    put_link(api, user, cal, export=True)
    created = create(activities, user, "Layoffs plan", description="Confidential", location="Board room",
                     attendees=[{"email": "cfo@example.com"}], transparency="transparent")
    [before] = live(sandbox, user, cal).values()
    assert before["summary"] == "Layoffs plan"

    link = put_link(api, user, cal, export=True, privacy={"level": "busy"})
    assert link["privacy"] == {"level": "busy", "fields": []}
    assert sweep()["synced"] == 1
    [busy] = live(sandbox, user, cal).values()
    assert busy["summary"] == "Busy"
    assert not busy.get("description") and not busy.get("location") and not busy.get("attendees")
    assert (busy["start"], busy["end"], busy["transparency"]) == (before["start"], before["end"], "transparent")
    assert activities.call("GET", created["id"], user.token).json()["subject"] == "Layoffs plan"

    put_link(api, user, cal, export=True, privacy={"level": "full"})
    assert sweep()["synced"] == 1
    [back] = live(sandbox, user, cal).values()
    assert (back["summary"], back["description"], back["location"]) == ("Layoffs plan", "Confidential", "Board room")
    assert [a["email"] for a in back["attendees"]] == ["cfo@example.com"]

    refused = api.call("PUT", "links/Meeting", user.token,
                       {"calendar_id": cal, "export": True, "privacy": {"level": "subset", "fields": ["notes"]}})
    assert refused.status_code == 400
    assert "privacy.fields" in refused.json()["error"]["details"]["fields"]


def test_resync_recovers_a_lost_import_without_duplicating_anything(
    api: Api, connected_user: SignedIn, calendars: dict[str, str], sandbox: Any, firestore_db: Any,
    run_import: Callable[[], dict[str, Any]], resync: Callable[..., dict[str, Any]],
) -> None:
    user, cal = connected_user, calendars["CRM Meetings"]
    put_link(api, user, cal, **{"import": True, "import_existing": True})
    lunch = sandbox.owner_insert_event(user.email, cal, google_event("Lunch with Bea", 9))
    assert run_import()["created"] == 1
    activity_id = imported_activity_id(user.uid, lunch["id"])
    firestore_db.collection("activities").document(activity_id).delete()  # the import's write is lost
    assert run_import()["created"] == 0  # the token has moved on: an incremental import never sees it again

    answer = resync(user)
    validate({k: v for k, v in answer.items() if k != "delivered"}, "Link")
    assert answer["resync"]["state"] == "queued"  # the page polls the link for its progress
    done = links_of(api, user)["Meeting"]["resync"]
    assert (done["state"], done["imported"]) == ("done", 1)
    assert firestore_db.collection("activities").document(activity_id).get().exists

    limited = api.call("POST", "links/Meeting/resync", user.token, {})
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= limited.json()["error"]["details"]["retry_after"] <= 60
    assert run_import()["created"] == 0
    docs = [d.to_dict() for d in firestore_db.collection("activities").stream()]
    assert [d["subject"] for d in docs if d["owner_uid"] == user.uid] == ["Lunch with Bea"]


def test_unlink_with_cleanup_removes_exactly_the_exported_events(
    api: Api, activities: Api, connected_user: SignedIn, calendars: dict[str, str], sandbox: Any,
    run_import: Callable[[], dict[str, Any]],
) -> None:
    user, cal = connected_user, calendars["CRM Meetings"]
    imported = sandbox.owner_insert_event(user.email, cal, google_event("From Google", 8))
    put_link(api, user, cal, export=True, **{"import": True, "import_existing": True})
    assert run_import()["created"] == 1
    put_link(api, user, cal, export=True)  # import off: what follows is not imported
    foreign = sandbox.owner_insert_event(user.email, cal, google_event("Dentist", 11))
    exported = [create(activities, user, f"Visit {n}", day=14 + n) for n in range(3)]
    assert len(live(sandbox, user, cal)) == 5

    preview = api.call("GET", "links/Meeting/cleanup", user.token)
    assert preview.status_code == 200, preview.text
    validate(preview.json(), "CleanupPreview")
    assert preview.json()["events"] == 3

    answer = api.call("DELETE", "links/Meeting?cleanup=true", user.token)
    assert answer.status_code == 200, answer.text
    validate(answer.json(), "UnlinkResult")
    assert (answer.json()["deleted"], answer.json()["failed"]) == (3, 0)
    assert set(live(sandbox, user, cal)) == {imported["id"], foreign["id"]}
    assert "Meeting" not in links_of(api, user)
    for activity in exported:  # the CRM activities stay, without a Google copy
        kept = activities.call("GET", activity["id"], user.token).json()
        assert kept["sync"]["targets"] == []


def test_unlink_without_cleanup_removes_nothing_in_google(
    api: Api, activities: Api, connected_user: SignedIn, calendars: dict[str, str], sandbox: Any,
) -> None:
    user, cal = connected_user, calendars["CRM Meetings"]
    put_link(api, user, cal, export=True)
    create(activities, user, "Stays")
    assert api.call("DELETE", "links/Meeting", user.token).status_code == 204
    assert [e["summary"] for e in live(sandbox, user, cal).values()] == ["Stays"]
    assert api.call("DELETE", "links/Meeting?cleanup=maybe", user.token).status_code == 400


def test_a_link_in_error_shows_its_message_and_the_admin_sees_the_red_mark(
    api: Api, connected_user: SignedIn, configured: SignedIn, calendars: dict[str, str], sandbox: Any,
    resync: Callable[..., dict[str, Any]],
) -> None:
    user, admin = connected_user, configured
    put_link(api, user, calendars["CRM Meetings"], export=True)
    put_link(api, user, calendars["CRM Calls"], "Call", export=True)
    assert links_of(api, user)["Meeting"]["status"]["state"] == "synced"
    assert api.call("GET", "admin/status?attention=true", admin.token).json()["users"] == []

    sandbox.inject_fault(status=403, count=1, path_contains="/events", reason="forbidden")
    assert resync(user, body={"recreate_deleted": False})["resync"]["state"] == "queued"
    status = links_of(api, user)["Meeting"]["status"]
    assert status["state"] == "error"
    assert "Google answered 403" in status["message"] and status["fix"]
    assert links_of(api, user)["Call"]["status"]["state"] == "synced"

    everyone = api.call("GET", "admin/status", admin.token)
    validate(everyone.json(), "AdminStatus")
    flagged = api.call("GET", "admin/status?attention=true", admin.token).json()
    assert [u["uid"] for u in flagged["users"]] == [user.uid]
    assert flagged["users"][0]["attention"] is True and flagged["attention"] == 1
    assert len(everyone.json()["users"]) > 1
    assert api.call("GET", "admin/status?attention=yes", admin.token).status_code == 400
