"""Push over HTTP: the sandbox process watches calendars for the functions server and POSTs its
notifications to ``calendar_webhook``, which publishes IMPORT tasks to the Pub/Sub emulator; the dev stack's
pump (``pubsub_pump``) delivers them to ``sync_worker``. Firestore is the emulator. No scheduled import runs
here."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.integration.conftest import Api, ConnectFlow, SignedIn
from tests.integration.test_openapi import validate
from tests.support.consent import query_of

WEEK = "?start=2026-12-01&end=2027-01-31"


@pytest.fixture
def activities(functions_url: str) -> Api:
    return Api(functions_url + "activities/")


@pytest.fixture
def hook(functions_url: str) -> str:
    return functions_url + "calendar_webhook"


@pytest.fixture
def calendars(connected_user: SignedIn, calendars_of: Any) -> dict[str, str]:
    return calendars_of(connected_user)


def link(api: Api, user: SignedIn, activity_type: str, calendar_id: str, **flags: bool) -> dict[str, Any]:
    body = {"calendar_id": calendar_id, "import": True, "import_existing": True, "export": False, **flags}
    answer = api.call("PUT", f"links/{activity_type}", user.token, body)
    assert answer.status_code == 200, answer.text
    validate(answer.json(), "Link")
    return answer.json()


def timed(summary: str, day: int = 10) -> dict[str, Any]:
    return {"summary": summary, "start": {"dateTime": f"2026-12-{day:02d}T09:00:00+01:00"},
            "end": {"dateTime": f"2026-12-{day:02d}T10:00:00+01:00"}}


def subjects(activities: Api, user: SignedIn) -> set[str]:
    answer = activities.call("GET", WEEK, user.token)
    assert answer.status_code == 200, answer.text
    return {a["subject"] for a in answer.json()["activities"]}


def wait_until(done: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def delivered(sandbox: Any, state: str = "exists") -> list[dict[str, Any]]:
    return [e for e in sandbox.request_log() if e["method"] == f"push.{state}"]


def list_calls(sandbox: Any) -> int:
    return sandbox.request_counts().get("calendar.events.list", 0)


def notify(hook: str, headers: dict[str, str], method: str = "POST", **extra: Any) -> requests.Response:
    return requests.request(method, hook, headers=headers, timeout=30, **extra)


def test_an_edit_in_the_sandbox_updates_the_activity_through_the_webhook(
    api: Api, activities: Api, connected_user: SignedIn, calendars: dict[str, str], sandbox: Any, pubsub_pump: Any,
) -> None:
    user, cal = connected_user, calendars["CRM Meetings"]
    saved = link(api, user, "Meeting", cal)
    assert saved["push"]["state"] == "live"
    (channel,) = sandbox.channels()
    assert channel["calendar_id"] == cal and channel["address"].endswith("/calendar_webhook")
    wait_until(lambda: delivered(sandbox, "sync"), "the channel's sync message")
    assert [e["status"] for e in delivered(sandbox, "sync")] == [200]

    event = sandbox.owner_insert_event(user.email, cal, timed("Pushed lunch"))
    wait_until(lambda: "Pushed lunch" in subjects(activities, user), "the new event imported by push")
    sandbox.owner_patch_event(user.email, cal, event["id"], {"summary": "Pushed lunch (moved)"})
    wait_until(lambda: "Pushed lunch (moved)" in subjects(activities, user), "the edit imported by push")
    assert subjects(activities, user) == {"Pushed lunch (moved)"}
    assert all(e["status"] == 200 for e in delivered(sandbox))


def test_a_forged_token_gets_403_and_no_import(
    api: Api, activities: Api, connected_user: SignedIn, calendars: dict[str, str], sandbox: Any, hook: str,
    pubsub_pump: Any,
) -> None:
    user, cal = connected_user, calendars["CRM Meetings"]
    link(api, user, "Meeting", cal)
    (channel,) = sandbox.channels()
    wait_until(lambda: delivered(sandbox, "sync"), "the sync message")
    sandbox.configure(push_max_attempts=0)  # from here on, only the requests this test makes reach the webhook
    sandbox.owner_insert_event(user.email, cal, timed("Not imported"))
    calls = list_calls(sandbox)
    good = {"X-Goog-Channel-ID": channel["id"], "X-Goog-Channel-Token": channel["token"],
            "X-Goog-Resource-ID": channel["resourceId"], "X-Goog-Resource-State": "exists",
            "X-Goog-Message-Number": "2"}
    for forged in ({**good, "X-Goog-Channel-Token": "forged-" + channel["token"][7:]},
                   {k: v for k, v in good.items() if k != "X-Goog-Channel-Token"},
                   {**good, "X-Goog-Resource-ID": "another-resource"}):
        answer = notify(hook, forged)
        assert (answer.status_code, answer.json()["error"]["code"]) == (403, "forbidden"), answer.text
        validate(answer.json(), "Error")
    garbled = [
        {k: v for k, v in good.items() if k != "X-Goog-Channel-ID"},
        {k: v for k, v in good.items() if k != "X-Goog-Resource-State"},
        {**good, "X-Goog-Resource-State": "deleted"},
        {**good, "X-Goog-Channel-ID": "c" * 5000},
        {**good, "X-Goog-Channel-Token": "t" * 300},
        {**good, "X-Goog-Message-Number": "twelve"},
    ]
    for headers in garbled:
        answer = notify(hook, headers)
        assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_notification", answer.text
        assert "X-Goog-" in answer.json()["error"]["message"]
    oversized = notify(hook, good, data=b"x" * 10_000)
    assert (oversized.status_code, oversized.json()["error"]["code"]) == (413, "payload_too_large")
    wrong_method = notify(hook, good, method="GET")
    assert (wrong_method.status_code, wrong_method.headers["Allow"]) == (405, "POST")
    unknown = notify(hook, {**good, "X-Goog-Channel-ID": "not-a-channel-of-ours"})
    assert (unknown.status_code, unknown.json()) == (200, {"result": "unknown_channel"})
    assert list_calls(sandbox) == calls  # nothing ran
    assert subjects(activities, user) == set()

    first = notify(hook, good)  # the genuine notification, then replayed while its import runs or after
    assert (first.status_code, first.json()) == (200, {"result": "queued"})
    wait_until(lambda: "Not imported" in subjects(activities, user), "the genuine notification's import")
    replayed = notify(hook, good)
    assert replayed.status_code == 200 and replayed.json()["result"] in ("queued", "coalesced")
    wait_until(lambda: list_calls(sandbox) >= calls + 1, "the import")
    assert subjects(activities, user) == {"Not imported"}  # a replay adds nothing


def test_fifty_notifications_for_one_calendar_in_one_second_run_at_most_two_imports(
    api: Api, activities: Api, connected_user: SignedIn, calendars: dict[str, str], sandbox: Any, pubsub_pump: Any,
) -> None:
    user, cal = connected_user, calendars["CRM Meetings"]
    link(api, user, "Meeting", cal)
    wait_until(lambda: delivered(sandbox, "sync"), "the sync message")
    calls = list_calls(sandbox)
    for i in range(50):  # 50 changes, each notified
        sandbox.owner_insert_event(user.email, cal, timed(f"Burst {i:02d}", day=1 + i % 28))
    wait_until(lambda: len(delivered(sandbox)) == 50, "50 notifications delivered")
    wait_until(lambda: len(subjects(activities, user)) == 50, "the 50 events imported")
    time.sleep(1.0)  # a third import, if there were one, would have started by now
    assert all(e["status"] == 200 for e in delivered(sandbox))
    assert 1 <= list_calls(sandbox) - calls <= 2


def test_renewal_before_expiry_leaves_no_gap(
    api: Api, activities: Api, connected_user: SignedIn, calendars: dict[str, str], sandbox: Any,
    functions_url: str, firestore_db: Any, pubsub_pump: Any,
) -> None:
    user, cal = connected_user, calendars["CRM Meetings"]
    old = link(api, user, "Meeting", cal)
    (channel,) = sandbox.channels()
    sandbox.owner_insert_event(user.email, cal, timed("Before renewal"))
    wait_until(lambda: "Before renewal" in subjects(activities, user), "an import through the old channel")
    soon = datetime.now(UTC) + timedelta(hours=1)  # as if the week had passed: the channel expires within the margin
    firestore_db.document(f"channels/{channel['id']}").update({"expires_at": soon})
    firestore_db.document(f"users/{user.uid}/links/Meeting").update({"channel_expiry": soon})
    sandbox.clear_request_log()

    summary = requests.post(functions_url + "renew_channels", json={}, timeout=60).json()
    assert summary["channels"] == {"due": 1, "renewed": 1, "failed": 0, "stopped": 0}
    (renewed,) = sandbox.channels()
    assert renewed["id"] != channel["id"] and renewed["calendar_id"] == cal
    methods = [e["method"] for e in sandbox.request_log() if e["method"].startswith("calendar.")]
    assert methods.index("calendar.events.watch") < methods.index("calendar.channels.stop")  # overlap
    assert not firestore_db.document(f"channels/{channel['id']}").get().exists
    links = api.call("GET", "links", user.token).json()["links"]
    assert links[0]["push"]["state"] == "live" and links[0]["push"]["expires_at"] > old["push"]["expires_at"]

    sandbox.owner_insert_event(user.email, cal, timed("After renewal", day=11))
    wait_until(lambda: "After renewal" in subjects(activities, user), "an import through the new channel")
    assert requests.post(functions_url + "renew_channels", json={}, timeout=60).json()["channels"]["due"] == 0


def test_unlink_stops_the_channel_at_the_sandbox(
    api: Api, connected_user: SignedIn, calendars: dict[str, str], sandbox: Any, firestore_db: Any,
) -> None:
    user = connected_user
    link(api, user, "Meeting", calendars["CRM Meetings"])
    (channel,) = sandbox.channels()
    assert api.call("DELETE", "links/Meeting", user.token).status_code == 204
    assert sandbox.channels() == []
    assert not firestore_db.document(f"channels/{channel['id']}").get().exists


def test_a_calendar_google_will_not_watch_is_linked_and_shown_refused(
    api: Api, connected_user: SignedIn, sandbox: Any,
) -> None:
    user = connected_user
    holidays = sandbox.create_calendar(user.email, "Holidays", push_supported=False)
    assert api.call("POST", "calendars/refresh", user.token).status_code == 200
    saved = link(api, user, "Meeting", holidays["id"], import_existing=False)
    assert saved["push"]["state"] == "refused" and saved["push"]["expires_at"] is None
    assert "not supported" in saved["push"]["error"]
    assert sandbox.channels() == []


def test_disconnect_stops_the_channels_and_connecting_again_watches_the_links(
    api: Api, connected_user: SignedIn, calendars: dict[str, str], sandbox: Any, flow: ConnectFlow,
) -> None:
    user = connected_user
    link(api, user, "Meeting", calendars["CRM Meetings"])
    link(api, user, "Call", calendars["CRM Calls"], **{"import": False, "import_existing": False, "export": True})
    assert len(sandbox.channels()) == 1
    assert api.call("POST", "disconnect", user.token).status_code == 200
    assert sandbox.channels() == []
    pushes = {lk["activity_type"]: lk["push"]["state"] for lk in api.call("GET", "links", user.token).json()["links"]}
    assert pushes == {"Call": "off", "Meeting": "off"}

    assert query_of(flow.connect(user.token, user.email)) == {"connect": "success"}
    (channel,) = sandbox.channels()  # only the link with import on
    assert channel["calendar_id"] == calendars["CRM Meetings"]
    pushes = {lk["activity_type"]: lk["push"]["state"] for lk in api.call("GET", "links", user.token).json()["links"]}
    assert pushes == {"Call": "off", "Meeting": "live"}
