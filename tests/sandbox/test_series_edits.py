"""Series edits reach exceptions; events.instances; events.move."""

from __future__ import annotations

from typing import Any

import requests

from sandbox.control import SandboxControl

from .conftest import ALICE, Api, timed

TZ = "Europe/Berlin"
DAYS = ["20240304T080000Z", "20240305T080000Z", "20240306T080000Z", "20240307T080000Z"]


def series(api: Api, **extra: Any) -> dict[str, Any]:
    body = timed(
        "2024-03-04T09:00:00", "2024-03-04T10:00:00", TZ, summary="Standup", recurrence=["RRULE:FREQ=DAILY;COUNT=4"]
    )
    resp = api.insert({**body, **extra})
    assert resp.status_code == 200, resp.text
    return resp.json()


def instances(api: Api, event_id: str, cal: str = "primary", **params: Any) -> requests.Response:
    return api.call("calendar.events.instances", "GET", f"calendars/{cal}/events/{event_id}/instances", params=params)


def move(api: Api, event_id: str, destination: str, cal: str = "primary") -> requests.Response:
    return api.call(
        "calendar.events.move",
        "POST",
        f"calendars/{cal}/events/{event_id}/move",
        params={"destination": destination},
    )


def reason(resp: requests.Response) -> str:
    return resp.json()["error"]["errors"][0]["reason"]


# ------------------------------------------------------------------ series edits reach exceptions


def test_series_edit_reaches_fields_the_exceptions_did_not_override(api: Api) -> None:
    parent = series(api, extendedProperties={"private": {"crmId": "1"}})
    pid = parent["id"]
    renamed, relocated = f"{pid}_{DAYS[0]}", f"{pid}_{DAYS[1]}"
    api.patch(renamed, {"summary": "Special"})
    api.patch(relocated, {"location": "Room 2", "extendedProperties": {"private": {"note": "x"}}})
    _, token = api.list_all()
    resp = api.patch(
        pid, {"summary": "Daily", "description": "agenda", "extendedProperties": {"private": {"crmId": "2"}}}
    )
    assert resp.status_code == 200, resp.text
    by_id = {e["id"]: e for e in api.list(singleEvents="true").json()["items"]}
    assert by_id[renamed]["summary"] == "Special" and by_id[renamed]["description"] == "agenda"
    assert by_id[relocated]["summary"] == "Daily" and by_id[relocated]["location"] == "Room 2"
    assert by_id[relocated]["extendedProperties"]["private"] == {"crmId": "2", "note": "x"}
    assert by_id[f"{pid}_{DAYS[2]}"]["summary"] == "Daily"
    changed = {e["id"] for e in api.list_all(syncToken=token)[0]}
    assert {pid, renamed, relocated} <= changed
    assert api.get(relocated).json()["summary"] == "Daily"


# ------------------------------------------------------------------ events.instances


def test_instances_match_single_events_with_exceptions(api: Api) -> None:
    parent = series(api)
    pid = parent["id"]
    api.insert(timed("2024-03-05T12:00:00Z", "2024-03-05T13:00:00Z", summary="other"))
    api.patch(
        f"{pid}_{DAYS[1]}",
        {
            "summary": "moved",
            "start": {"dateTime": "2024-03-05T15:00:00+01:00"},
            "end": {"dateTime": "2024-03-05T16:00:00+01:00"},
        },
    )
    api.delete(f"{pid}_{DAYS[2]}")
    resp = instances(api, pid)
    assert resp.status_code == 200, resp.text
    got = resp.json()
    single = [e for e in api.list(singleEvents="true").json()["items"] if e.get("recurringEventId") == pid]
    assert [e["id"] for e in got["items"]] == [e["id"] for e in single]
    assert [e["id"] for e in got["items"]] == [f"{pid}_{d}" for d in (DAYS[0], DAYS[1], DAYS[3])]
    assert got["items"][1]["summary"] == "moved"
    with_deleted = instances(api, pid, showDeleted="true").json()["items"]
    assert {e["id"]: e["status"] for e in with_deleted}[f"{pid}_{DAYS[2]}"] == "cancelled"
    assert "nextSyncToken" not in got


def test_instances_parameters(api: Api) -> None:
    pid = series(api)["id"]
    window = instances(api, pid, timeMin="2024-03-05T00:00:00Z", timeMax="2024-03-07T00:00:00Z").json()
    assert [e["id"] for e in window["items"]] == [f"{pid}_{DAYS[1]}", f"{pid}_{DAYS[2]}"]
    first = instances(api, pid, maxResults=3).json()
    assert len(first["items"]) == 3 and first["nextPageToken"]
    rest = instances(api, pid, maxResults=3, pageToken=first["nextPageToken"]).json()
    assert [e["id"] for e in rest["items"]] == [f"{pid}_{DAYS[3]}"] and "nextPageToken" not in rest
    one = instances(api, pid, originalStart="2024-03-06T09:00:00+01:00").json()
    assert [e["id"] for e in one["items"]] == [f"{pid}_{DAYS[2]}"]
    berlin = instances(api, pid, timeZone=TZ, maxResults=1).json()
    assert berlin["items"][0]["start"]["dateTime"] == "2024-03-04T09:00:00+01:00"
    for bad in ({"q": "x"}, {"singleEvents": "true"}, {"originalStart": "yesterday"}):
        resp = instances(api, pid, **bad)
        assert resp.status_code == 400, bad
    assert instances(api, "unknown123").status_code == 404
    single = api.insert(timed("2024-03-05T12:00:00Z", "2024-03-05T13:00:00Z")).json()
    assert instances(api, single["id"]).status_code == 400


# ------------------------------------------------------------------ events.move


def test_move_keeps_the_id_and_shows_in_both_incremental_syncs(api: Api, sandbox: SandboxControl) -> None:
    work = sandbox.create_calendar(ALICE, "Work")
    ev = api.insert(timed("2024-03-05T12:00:00Z", "2024-03-05T13:00:00Z", summary="Call")).json()
    _, src_token = api.list_all()
    _, dst_token = api.list_all(cal=work["id"])
    resp = move(api, ev["id"], work["id"])
    assert resp.status_code == 200, resp.text
    moved = resp.json()
    assert moved["id"] == ev["id"] and moved["summary"] == "Call"
    assert moved["organizer"]["email"] == work["id"] and moved["etag"] != ev["etag"]
    assert api.get(ev["id"], cal=work["id"]).json()["status"] == "confirmed"
    src_changes, _ = api.list_all(syncToken=src_token)
    assert [(e["id"], e["status"]) for e in src_changes] == [(ev["id"], "cancelled")]
    dst_changes, _ = api.list_all(cal=work["id"], syncToken=dst_token)
    assert [(e["id"], e["status"]) for e in dst_changes] == [(ev["id"], "confirmed")]
    assert api.list().json()["items"] == []
    back = move(api, ev["id"], "primary", cal=work["id"])
    assert back.status_code == 200, back.text
    assert api.get(ev["id"]).json()["status"] == "confirmed"


def test_move_refusals(api: Api, sandbox: SandboxControl) -> None:
    work = sandbox.create_calendar(ALICE, "Work")
    body = timed("2024-03-05T12:00:00Z", "2024-03-05T13:00:00Z", id="crm00000001")
    api.insert(body)
    api.insert(body, cal=work["id"])
    taken = move(api, "crm00000001", work["id"])
    assert taken.status_code == 409 and reason(taken) == "duplicate"
    pid = series(api)["id"]
    inst = move(api, f"{pid}_{DAYS[0]}", work["id"])
    assert inst.status_code == 400
    assert move(api, "unknown123", work["id"]).status_code == 404
    assert move(api, "crm00000001", "nobody@example.com").status_code == 404
    api.patch(f"{pid}_{DAYS[1]}", {"summary": "exception"})
    whole = move(api, pid, work["id"])
    assert whole.status_code == 200, whole.text
    listed = [e for e in api.list(cal=work["id"], singleEvents="true").json()["items"] if e.get("recurringEventId")]
    assert [e["summary"] for e in listed] == ["Standup", "exception", "Standup", "Standup"]
    left = api.list(singleEvents="true", timeMin="2024-03-04T00:00:00Z", timeMax="2024-03-08T00:00:00Z")
    assert [e["id"] for e in left.json()["items"]] == ["crm00000001"]
