"""Recurring events: expansion, instance ids, overrides (moved) and cancelled instances."""

from __future__ import annotations

from .conftest import Api, timed

TZ = "Europe/Berlin"


def series(api: Api, rule: str = "RRULE:FREQ=DAILY;COUNT=5", **extra: object) -> dict:
    body = timed("2024-03-29T09:00:00", "2024-03-29T10:00:00", TZ, summary="Standup", recurrence=[rule], **extra)
    resp = api.insert(body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_series_with_one_moved_and_one_cancelled_instance(api: Api) -> None:
    parent = series(api)
    pid = parent["id"]
    # DST starts in Berlin on 2024-03-31: wall-clock 09:00 stays, UTC moves from 08:00 to 07:00
    expected = ["20240329T080000Z", "20240330T080000Z", "20240331T070000Z", "20240401T070000Z", "20240402T070000Z"]
    instances = api.list(singleEvents="true", orderBy="startTime").json()["items"]
    assert [i["id"] for i in instances] == [f"{pid}_{s}" for s in expected]
    assert all(i["recurringEventId"] == pid and "recurrence" not in i for i in instances)
    assert instances[2]["start"] == {"dateTime": "2024-03-31T07:00:00Z", "timeZone": TZ}
    assert instances[2]["originalStartTime"] == {"dateTime": "2024-03-31T07:00:00Z", "timeZone": TZ}

    _, token = api.list_all()
    moved_id, cancelled_id = f"{pid}_{expected[1]}", f"{pid}_{expected[3]}"
    moved = api.patch(
        moved_id,
        {
            "start": {"dateTime": "2024-03-30T15:00:00+01:00", "timeZone": TZ},
            "end": {"dateTime": "2024-03-30T16:00:00+01:00", "timeZone": TZ},
        },
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["recurringEventId"] == pid
    assert moved.json()["originalStartTime"]["dateTime"] == "2024-03-30T08:00:00Z"
    assert api.delete(cancelled_id).status_code == 204
    assert api.delete(cancelled_id).status_code == 410

    expanded = api.list(singleEvents="true", orderBy="startTime").json()["items"]
    assert [i["id"] for i in expanded] == [f"{pid}_{s}" for s in expected if f"{pid}_{s}" != cancelled_id]
    m = next(i for i in expanded if i["id"] == moved_id)
    assert m["start"]["dateTime"] == "2024-03-30T14:00:00Z"
    # the moved instance falls in a window around its new time, not its original one
    window = api.list(singleEvents="true", timeMin="2024-03-30T13:30:00Z", timeMax="2024-03-30T14:30:00Z").json()
    assert [i["id"] for i in window["items"]] == [moved_id]

    with_deleted = api.list(singleEvents="true", showDeleted="true").json()["items"]
    cancelled = [i for i in with_deleted if i["status"] == "cancelled"]
    assert len(cancelled) == 1 and cancelled[0]["id"] == cancelled_id
    assert cancelled[0]["recurringEventId"] == pid and cancelled[0]["originalStartTime"]["dateTime"]

    # incremental sync shows the exception and the cancelled instance
    changes, _ = api.list_all(syncToken=token)
    by_id = {c["id"]: c for c in changes}
    assert set(by_id) == {moved_id, cancelled_id}
    assert by_id[cancelled_id]["status"] == "cancelled"
    assert by_id[cancelled_id]["recurringEventId"] == pid
    assert "originalStartTime" in by_id[cancelled_id]

    # singleEvents=false: the parent plus the exception; the cancelled instance still appears (Google quirk)
    unexpanded = api.list().json()["items"]
    assert {i["id"]: i["status"] for i in unexpanded} == {
        pid: "confirmed",
        moved_id: "confirmed",
        cancelled_id: "cancelled",
    }
    assert next(i for i in unexpanded if i["id"] == pid)["recurrence"] == ["RRULE:FREQ=DAILY;COUNT=5"]


def test_exdate_rdate_until_and_instance_get(api: Api) -> None:
    parent = series(api, "RRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20240415T235959Z")
    pid = parent["id"]
    api.patch(
        pid,
        {
            "recurrence": [
                "RRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20240415T235959Z",
                "EXDATE;TZID=Europe/Berlin:20240403T090000",
                "RDATE;TZID=Europe/Berlin:20240420T090000",
            ]
        },
    )
    got = api.list(singleEvents="true", orderBy="startTime").json()["items"]
    days = [i["start"]["dateTime"][:10] for i in got]
    assert days == ["2024-04-01", "2024-04-08", "2024-04-10", "2024-04-15", "2024-04-20"]
    one = api.get(got[1]["id"]).json()
    assert one["recurringEventId"] == pid and one["start"]["dateTime"] == got[1]["start"]["dateTime"]
    assert api.get(f"{pid}_20240403T070000Z").status_code == 404  # excluded by EXDATE
    assert api.get(f"{pid}_20240402T070000Z").status_code == 404  # not an occurrence


def test_all_day_series_and_window(api: Api) -> None:
    body = {
        "summary": "Gym",
        "start": {"date": "2024-01-01"},
        "end": {"date": "2024-01-02"},
        "recurrence": ["RRULE:FREQ=DAILY;INTERVAL=2", "EXDATE;VALUE=DATE:20240105"],
    }
    parent = api.insert(body).json()
    items = api.list(
        singleEvents="true", orderBy="startTime", timeMin="2024-01-01T00:00:00Z", timeMax="2024-01-10T00:00:00Z"
    ).json()["items"]
    assert [i["id"] for i in items] == [f"{parent['id']}_{d}" for d in ("20240101", "20240103", "20240107", "20240109")]
    assert items[0]["start"] == {"date": "2024-01-01"} and items[0]["originalStartTime"] == {"date": "2024-01-01"}
    # singleEvents=false with a window: the infinite parent is returned once
    plain = api.list(timeMin="2030-01-01T00:00:00Z", timeMax="2030-01-05T00:00:00Z").json()["items"]
    assert [i["id"] for i in plain] == [parent["id"]]


def test_deleting_the_series_cancels_it_and_its_exceptions(api: Api) -> None:
    parent = series(api)
    pid = parent["id"]
    inst = api.list(singleEvents="true").json()["items"]
    api.patch(inst[0]["id"], {"summary": "special"})
    _, token = api.list_all()
    assert api.delete(pid).status_code == 204
    assert api.list(singleEvents="true").json()["items"] == []
    changes, _ = api.list_all(syncToken=token)
    assert {c["id"]: c["status"] for c in changes} == {pid: "cancelled", inst[0]["id"]: "cancelled"}
