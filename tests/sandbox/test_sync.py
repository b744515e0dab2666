"""Paging, sync tokens, tombstones, showDeleted, time windows."""

from __future__ import annotations

import datetime as dt

from sandbox.control import SandboxControl

from .conftest import ALICE, Api, timed

FULL_SYNC_BODY = {
    "error": {
        "errors": [
            {
                "domain": "calendar",
                "reason": "fullSyncRequired",
                "message": "Sync token is no longer valid, a full sync is required.",
                "locationType": "parameter",
                "location": "syncToken",
            }
        ],
        "code": 410,
        "message": "Sync token is no longer valid, a full sync is required.",
    }
}


def ev(i: int, **extra: object) -> dict:
    return timed(f"2024-04-{i + 1:02d}T10:00:00Z", f"2024-04-{i + 1:02d}T11:00:00Z", summary=f"E{i}", **extra)


def test_paging_returns_every_event_once_and_sync_token_on_last_page(api: Api) -> None:
    ids = [api.insert(ev(i)).json()["id"] for i in range(7)]
    first = api.list(maxResults=3).json()
    assert len(first["items"]) == 3 and "nextPageToken" in first and "nextSyncToken" not in first
    items, sync = api.list_all(maxResults=3)
    assert sorted(e["id"] for e in items) == sorted(ids)
    assert sync
    bad = api.list(pageToken="garbage")
    assert bad.status_code == 400


def test_incremental_sync_returns_exactly_the_changes_with_tombstones(api: Api, sandbox: SandboxControl) -> None:
    a = api.insert(ev(0)).json()
    b = api.insert(ev(1)).json()
    c = api.insert(ev(2)).json()
    _, token = api.list_all()
    empty = api.list(syncToken=token).json()
    assert empty["items"] == [] and empty["nextSyncToken"]
    d = api.insert(ev(3)).json()
    api.patch(b["id"], {"summary": "B2"})
    api.delete(c["id"])
    items, token2 = api.list_all(syncToken=token)
    by_id = {e["id"]: e for e in items}
    assert set(by_id) == {d["id"], b["id"], c["id"]}
    assert by_id[b["id"]]["summary"] == "B2"
    assert by_id[c["id"]]["status"] == "cancelled"
    assert set(by_id[c["id"]]) <= {"kind", "etag", "id", "status"}  # a tombstone carries little more than id
    assert a["id"] not in by_id
    # owner edits in the Google UI count as changes too
    sandbox.owner_patch_event(ALICE, ALICE, a["id"], {"summary": "edited in Google"})
    items, token3 = api.list_all(syncToken=token2)
    assert [(e["id"], e["summary"]) for e in items] == [(a["id"], "edited in Google")]
    # the first token still works (tokens are not single use)
    again, _ = api.list_all(syncToken=token)
    assert {e["id"] for e in again} == {a["id"], b["id"], c["id"], d["id"]}


def test_incremental_sync_pages_repeat_the_sync_token(api: Api) -> None:
    _, token = api.list_all()
    ids = {api.insert(ev(i)).json()["id"] for i in range(5)}
    page1 = api.list(syncToken=token, maxResults=2).json()
    assert "nextPageToken" in page1 and "nextSyncToken" not in page1
    items, new_token = api.list_all(syncToken=token, maxResults=2)
    assert {e["id"] for e in items} == ids and new_token
    # a page token from one query does not work for another
    assert api.list(pageToken=page1["nextPageToken"]).status_code == 400


def test_expired_or_invalid_sync_token_410_exact_body(api: Api, sandbox: SandboxControl) -> None:
    api.insert(ev(0))
    _, token = api.list_all()
    bogus = api.list(syncToken="CPbogus=")
    assert bogus.status_code == 410 and bogus.json() == FULL_SYNC_BODY
    assert sandbox.expire_sync_tokens(email=ALICE) >= 1
    resp = api.list(syncToken=token)
    assert resp.status_code == 410 and resp.json() == FULL_SYNC_BODY
    _, token = api.list_all()
    assert sandbox.expire_sync_tokens(calendar_id=ALICE) >= 1
    assert api.list(syncToken=token).status_code == 410
    _, token = api.list_all()
    sandbox.expire_sync_tokens()
    assert api.list(syncToken=token).status_code == 410


def test_parameters_refused_with_sync_token(api: Api) -> None:
    _, token = api.list_all()
    refused = {
        "iCalUID": "x@google.com",
        "orderBy": "updated",
        "privateExtendedProperty": "a=b",
        "q": "x",
        "sharedExtendedProperty": "a=b",
        "timeMin": "2024-01-01T00:00:00Z",
        "timeMax": "2024-01-01T00:00:00Z",
        "updatedMin": "2024-01-01T00:00:00Z",
    }
    for name, value in refused.items():
        resp = api.list(syncToken=token, **{name: value})
        assert resp.status_code == 400, name
    assert api.list(syncToken=token, showDeleted="true", singleEvents="true").status_code == 200


def test_show_deleted_and_updated_min(api: Api) -> None:
    keep = api.insert(ev(0)).json()
    gone = api.insert(ev(1)).json()
    api.delete(gone["id"])
    assert [e["id"] for e in api.list().json()["items"]] == [keep["id"]]
    shown = api.list(showDeleted="true").json()["items"]
    assert {e["id"]: e["status"] for e in shown} == {keep["id"]: "confirmed", gone["id"]: "cancelled"}
    an_hour_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    since = api.list(updatedMin=an_hour_ago).json()["items"]
    assert {e["id"] for e in since} == {keep["id"], gone["id"]}
    assert api.list(updatedMin="2999-01-01T00:00:00Z").json()["items"] == []


def test_time_window_min_on_end_max_on_start_exclusive(api: Api) -> None:
    e = api.insert(timed("2024-06-01T10:00:00Z", "2024-06-01T11:00:00Z")).json()

    def ids(**p: str) -> list[str]:
        return [x["id"] for x in api.list(**p).json()["items"]]

    assert ids(timeMin="2024-06-01T10:59:59Z") == [e["id"]]
    assert ids(timeMin="2024-06-01T11:00:00Z") == []  # end == timeMin: excluded
    assert ids(timeMax="2024-06-01T10:00:01Z") == [e["id"]]
    assert ids(timeMax="2024-06-01T10:00:00Z") == []  # start == timeMax: excluded
    assert ids(timeMin="2024-06-01T12:00:00+02:00", timeMax="2024-06-01T12:30:00+02:00") == [e["id"]]


def test_filters_q_ical_uid_extended_properties_order_by(api: Api) -> None:
    a = api.insert(ev(2, description="alpha", extendedProperties={"private": {"crm": "1"}})).json()
    b = api.insert(ev(1, extendedProperties={"shared": {"x": "y"}})).json()
    assert [e["id"] for e in api.list(q="alpha").json()["items"]] == [a["id"]]
    assert [e["id"] for e in api.list(iCalUID=b["iCalUID"]).json()["items"]] == [b["id"]]
    assert [e["id"] for e in api.list(privateExtendedProperty="crm=1").json()["items"]] == [a["id"]]
    assert [e["id"] for e in api.list(sharedExtendedProperty="x=y").json()["items"]] == [b["id"]]
    ordered = api.list(singleEvents="true", orderBy="startTime").json()["items"]
    assert [e["id"] for e in ordered] == [b["id"], a["id"]]


def test_partial_response_fields(api: Api) -> None:
    e = api.insert(ev(0)).json()
    body = api.list(fields="items(id,summary),nextSyncToken").json()
    assert body["items"] == [{"id": e["id"], "summary": "E0"}] and set(body) == {"items", "nextSyncToken"}
    assert api.list(fields="items(id").status_code == 400
