"""Calendar v3 basics: auth, isolation, calendars, parameter strictness, write semantics."""

from __future__ import annotations

from typing import Any

import requests

from sandbox.control import SandboxControl

from .conftest import ALICE, BOB, CLIENT_ID, Api, timed

EV = timed("2024-03-01T10:00:00+01:00", "2024-03-01T11:00:00+01:00", summary="Meeting")


def reason(resp: requests.Response) -> str:
    return resp.json()["error"]["errors"][0]["reason"]


def test_wrong_and_expired_tokens_answer_401_autherror(api: Api, sandbox: SandboxControl) -> None:
    resp = Api(api.base, "ya29.nonsense").list()
    assert resp.status_code == 401
    err = resp.json()["error"]
    assert err["errors"][0] == {
        "domain": "global",
        "reason": "authError",
        "message": "Invalid Credentials",
        "locationType": "header",
        "location": "Authorization",
    }
    assert err["message"] == "Invalid Credentials"
    assert api.list().status_code == 200
    sandbox.expire_access_tokens()
    assert api.list().status_code == 401


def test_other_accounts_calendars_are_404(api: Api, sandbox: SandboxControl) -> None:
    sandbox.create_account(BOB)
    bob_cal = sandbox.create_calendar(BOB, "Bob's work")
    for cid in (BOB, bob_cal["id"], "nobody@example.com"):
        resp = api.list(cid)
        assert resp.status_code == 404 and reason(resp) == "notFound"
        assert api.call("calendar.calendars.get", "GET", f"calendars/{cid}").status_code == 404
        assert api.insert(EV, cal=cid).status_code == 404


def test_calendar_list_paging_and_calendars_get(api: Api, sandbox: SandboxControl) -> None:
    made = [sandbox.create_calendar(ALICE, f"Cal {i}", "Europe/Berlin") for i in range(4)]
    for cal in made:
        assert cal["id"].endswith("@group.calendar.google.com")
    seen: list[dict[str, Any]] = []
    page = None
    while True:
        params: dict[str, Any] = {"maxResults": 2}
        if page:
            params["pageToken"] = page
        resp = api.call("calendar.calendarList.list", "GET", "users/me/calendarList", params=params)
        assert resp.status_code == 200
        body = resp.json()
        assert len(body["items"]) <= 2
        seen += body["items"]
        page = body.get("nextPageToken")
        if not page:
            assert "nextSyncToken" in body
            break
    assert [c["id"] for c in seen] == [ALICE] + [c["id"] for c in made]
    assert seen[0]["primary"] is True and seen[0]["accessRole"] == "owner"
    # As Google does, a page size above 250 is capped, not refused.
    capped = api.call("calendar.calendarList.list", "GET", "users/me/calendarList", params={"maxResults": 251})
    assert capped.status_code == 200 and len(capped.json()["items"]) == len(made) + 1
    got = api.call("calendar.calendars.get", "GET", f"calendars/{made[0]['id']}").json()
    assert got["summary"] == "Cal 0" and got["timeZone"] == "Europe/Berlin"
    assert api.call("calendar.calendars.get", "GET", "calendars/primary").json()["id"] == ALICE


def test_unknown_and_invalid_query_parameters_are_refused(api: Api) -> None:
    cases = [
        {"foo": "1"},
        {"maxResults": "0"},
        {"maxResults": "ten"},
        {"singleEvents": "yes"},
        {"orderBy": "summary"},
        {"timeMin": "2024-01-01T00:00:00"},  # offset is mandatory
        {"timeMin": "2024-02-01T00:00:00Z", "timeMax": "2024-01-01T00:00:00Z"},
        {"orderBy": "startTime"},  # needs singleEvents
        {"sendUpdates": "all"},  # not a list parameter
        {"timeZone": "Mars/Olympus"},
    ]
    for params in cases:
        resp = api.list(**params)
        assert resp.status_code == 400, params
    assert api.list(maxResults=2500).status_code == 200
    assert api.insert(EV, sendUpdates="sometimes").status_code == 400
    assert api.insert(EV, sendUpdates="none").status_code == 200


def test_insert_sets_server_fields_and_get_returns_it(api: Api) -> None:
    resp = api.insert({**EV, "extendedProperties": {"private": {"crmId": "42"}}})
    assert resp.status_code == 200
    ev = resp.json()
    assert ev["kind"] == "calendar#event" and ev["status"] == "confirmed" and ev["sequence"] == 0
    assert set(ev["id"]) <= set("0123456789abcdefghijklmnopqrstuv")
    assert ev["iCalUID"] == ev["id"] + "@google.com"
    assert ev["etag"].startswith('"') and ev["updated"] == ev["created"]
    assert ev["start"]["dateTime"] == "2024-03-01T09:00:00Z"  # primary calendar is UTC
    got = api.get(ev["id"]).json()
    assert got == ev
    berlin = api.get(ev["id"], timeZone="Europe/Berlin").json()
    assert berlin["start"]["dateTime"] == "2024-03-01T10:00:00+01:00"


def test_client_ids_base32hex_5_to_1024_and_duplicates_409(api: Api) -> None:
    for bad in ("abcd", "UPPERCASE1", "abcdw", "abc_def", "a" * 1025):
        resp = api.insert({**EV, "id": bad})
        assert resp.status_code == 400 and reason(resp) == "invalid", bad
    good = "crm0000000042"
    assert api.insert({**EV, "id": good}).json()["id"] == good
    dup = api.insert({**EV, "id": good})
    assert dup.status_code == 409
    assert dup.json()["error"]["errors"][0] == {
        "domain": "global",
        "reason": "duplicate",
        "message": "The requested identifier already exists.",
    }
    assert api.delete(good).status_code == 204
    assert api.insert({**EV, "id": good}).status_code == 409  # ids of deleted events stay taken
    assert api.insert({**EV, "id": "v" * 1024}).status_code == 200


def test_invalid_bodies_400_with_google_shape(api: Api) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"summary": "x", "end": EV["end"]}, "required"),
        ({"summary": "x", "start": EV["start"]}, "required"),
        (timed("2024-03-01T11:00:00Z", "2024-03-01T10:00:00Z"), "timeRangeEmpty"),
        ({"start": {"date": "2024-03-01"}, "end": {"dateTime": "2024-03-02T00:00:00Z"}}, "invalid"),
        ({"start": {"date": "2024-03-02"}, "end": {"date": "2024-03-02"}}, "timeRangeEmpty"),
        (timed("2024-03-01T10:00:00", "2024-03-01T11:00:00", "Europe/Atlantis"), "invalid"),
        (timed("2024-03-01T10:00:00", "2024-03-01T11:00:00"), "required"),  # no offset, no time zone
        ({**EV, "extendedProperties": {"private": {"k" * 45: "v"}}}, "invalid"),
        ({**EV, "extendedProperties": {"shared": {"k": "v" * 1025}}}, "invalid"),
        ({**EV, "extendedProperties": {"private": {"k": 1}}}, "invalid"),
        ({**EV, "status": "done"}, "invalid"),
        ({**EV, "summary": 5}, "invalid"),
        ({**EV, "recurrence": ["RRULE:FREQ=DAILY"]}, "required"),  # recurring needs timeZone
        (
            {**timed("2024-03-01T10:00:00", "2024-03-01T11:00:00", "UTC"), "recurrence": ["RRULE:FREQ=SOMETIMES"]},
            "invalid",
        ),
        (
            {
                **timed("2024-03-01T10:00:00", "2024-03-01T11:00:00", "UTC"),
                "recurrence": ["DTSTART:20240301T100000Z", "RRULE:FREQ=DAILY"],
            },
            "invalid",
        ),
    ]
    for body, why in cases:
        resp = api.insert(body)
        assert resp.status_code == 400, (body, resp.text)
        assert reason(resp) == why, (body, resp.text)
    assert api.insert({**EV, "extendedProperties": {"private": {"k" * 44: "v" * 1024}}}).status_code == 200
    assert api.list().json()["items"][0]["extendedProperties"]["private"] == {"k" * 44: "v" * 1024}
    raw = requests.post(
        api.base + "calendar/v3/calendars/primary/events",
        data="{not json",
        headers={"Authorization": "Bearer " + str(api.token), "Content-Type": "application/json"},
        timeout=10,
    )
    assert raw.status_code == 400 and reason(raw) == "parseError"


def test_update_patch_etag_updated_sequence(api: Api) -> None:
    ev = api.insert({**EV, "description": "d", "location": "Room 1"}).json()
    p = api.patch(ev["id"], {"summary": "Renamed"}).json()
    assert p["summary"] == "Renamed" and p["description"] == "d"  # merge
    assert p["etag"] != ev["etag"] and p["updated"] > ev["updated"] and p["sequence"] == 0
    moved = api.patch(
        ev["id"], {"start": {"dateTime": "2024-03-01T12:00:00Z"}, "end": {"dateTime": "2024-03-01T13:00:00Z"}}
    ).json()
    assert moved["sequence"] == 1
    u = api.update(ev["id"], {**EV, "summary": "Replaced"}).json()
    assert u["summary"] == "Replaced" and "description" not in u and "location" not in u  # full replace
    assert u["created"] == ev["created"] and u["id"] == ev["id"]
    bad = api.patch(ev["id"], {"end": {"dateTime": "2024-03-01T08:00:00Z"}})
    assert bad.status_code == 400 and reason(bad) == "timeRangeEmpty"
    low = api.patch(ev["id"], {"sequence": 0})
    assert low.status_code == 400
    ext = api.patch(ev["id"], {"extendedProperties": {"private": {"a": "1", "b": "2"}}}).json()
    ext = api.patch(ev["id"], {"extendedProperties": {"private": {"b": "3"}}}).json()
    assert ext["extendedProperties"]["private"] == {"a": "1", "b": "3"}


def test_if_match_412_condition_not_met(api: Api) -> None:
    ev = api.insert(EV).json()
    ok = api.patch(ev["id"], {"summary": "A"}, headers={"If-Match": ev["etag"]})
    assert ok.status_code == 200
    for call in (
        lambda: api.patch(ev["id"], {"summary": "B"}, headers={"If-Match": ev["etag"]}),
        lambda: api.update(ev["id"], EV, headers={"If-Match": ev["etag"]}),
        lambda: api.delete(ev["id"], headers={"If-Match": ev["etag"]}),
    ):
        resp = call()
        assert resp.status_code == 412
        assert resp.json()["error"]["errors"][0]["reason"] == "conditionNotMet"
    assert api.delete(ev["id"], headers={"If-Match": ok.json()["etag"]}).status_code == 204


def test_unknown_404_and_second_delete_410(api: Api) -> None:
    for call in (
        lambda: api.get("unknown123"),
        lambda: api.patch("unknown123", {"summary": "x"}),
        lambda: api.update("unknown123", EV),
        lambda: api.delete("unknown123"),
    ):
        resp = call()
        assert resp.status_code == 404 and reason(resp) == "notFound"
    ev = api.insert(EV).json()
    first = api.delete(ev["id"])
    assert first.status_code == 204 and first.content == b""
    second = api.delete(ev["id"])
    assert second.status_code == 410
    assert second.json()["error"]["errors"][0] == {
        "domain": "global",
        "reason": "deleted",
        "message": "Resource has been deleted",
    }
    got = api.get(ev["id"]).json()  # Google still returns the cancelled event
    assert got["status"] == "cancelled"


def test_all_day_events(api: Api) -> None:
    ev = api.insert({"summary": "Holiday", "start": {"date": "2024-05-01"}, "end": {"date": "2024-05-02"}}).json()
    assert ev["start"] == {"date": "2024-05-01"} and ev["end"] == {"date": "2024-05-02"}
    inside = api.list(timeMin="2024-05-01T12:00:00Z", timeMax="2024-05-01T13:00:00Z").json()["items"]
    assert [e["id"] for e in inside] == [ev["id"]]
    after = api.list(timeMin="2024-05-02T00:00:00Z").json()["items"]  # end is exclusive
    assert after == []


def test_scopes_are_enforced(sandbox: SandboxControl, api: Api) -> None:
    ro = sandbox.issue_access_token(ALICE, CLIENT_ID, ["https://www.googleapis.com/auth/calendar.readonly"])
    ro_api = Api(api.base, ro["access_token"])
    assert ro_api.list().status_code == 200
    resp = ro_api.insert(EV)
    assert resp.status_code == 403 and reason(resp) == "insufficientPermissions"
    cl = sandbox.issue_access_token(
        ALICE, CLIENT_ID, ["https://www.googleapis.com/auth/calendar.calendarlist.readonly"]
    )
    cl_api = Api(api.base, cl["access_token"])
    assert cl_api.call("calendar.calendarList.list", "GET", "users/me/calendarList").status_code == 200
    assert cl_api.list().status_code == 403


def test_missing_token_answers_401_login_required(api: Api) -> None:
    resp = Api(api.base, None).list()
    assert resp.status_code == 401
    assert resp.json()["error"] == {
        "errors": [
            {
                "domain": "global",
                "reason": "required",
                "message": "Login Required",
                "locationType": "header",
                "location": "Authorization",
            }
        ],
        "code": 401,
        "message": "Login Required",
    }


def test_get_sends_etag_and_answers_if_none_match_with_304(api: Api) -> None:
    ev = api.insert(EV).json()
    url = f"{api.base}calendar/v3/calendars/primary/events/{ev['id']}"
    auth = {"Authorization": "Bearer " + str(api.token)}
    first = requests.get(url, headers=auth, timeout=10)
    assert first.status_code == 200 and first.headers["ETag"] == ev["etag"]
    same = requests.get(url, headers={**auth, "If-None-Match": ev["etag"]}, timeout=10)
    assert same.status_code == 304 and same.content == b""
    api.patch(ev["id"], {"summary": "changed"})
    changed = requests.get(url, headers={**auth, "If-None-Match": ev["etag"]}, timeout=10)
    assert changed.status_code == 200 and changed.json()["summary"] == "changed"
    assert changed.headers["ETag"] == changed.json()["etag"]
