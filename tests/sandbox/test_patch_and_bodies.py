"""PATCH merges nested objects and clears `null` fields; bodies the reference forbids are refused."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api, timed

TZ = "Europe/Berlin"
EV = timed("2024-03-01T10:00:00+01:00", "2024-03-01T11:00:00+01:00", summary="Meeting")


def reason(resp: Any) -> str:
    return resp.json()["error"]["errors"][0]["reason"]


def test_patch_start_keeps_the_time_zone_of_a_recurring_event(api: Api) -> None:
    body = timed("2024-03-04T09:00:00", "2024-03-04T10:00:00", TZ, recurrence=["RRULE:FREQ=DAILY;COUNT=3"])
    series = api.insert(body).json()
    resp = api.patch(
        series["id"],
        {"start": {"dateTime": "2024-03-04T10:00:00+01:00"}, "end": {"dateTime": "2024-03-04T11:00:00+01:00"}},
    )
    assert resp.status_code == 200, resp.text
    assert resp.json()["start"] == {"dateTime": "2024-03-04T09:00:00Z", "timeZone": TZ}
    assert resp.json()["end"]["timeZone"] == TZ


def test_patch_start_keeps_the_time_zone_of_a_single_event(api: Api) -> None:
    ev = api.insert(timed("2024-03-04T09:00:00", "2024-03-04T10:00:00", TZ)).json()
    patched = api.patch(ev["id"], {"start": {"dateTime": "2024-03-04T08:30:00+01:00"}}).json()
    assert patched["start"] == {"dateTime": "2024-03-04T07:30:00Z", "timeZone": TZ}


def test_patch_all_day_to_timed_needs_date_null(api: Api) -> None:
    ev = api.insert({"summary": "Day", "start": {"date": "2024-05-01"}, "end": {"date": "2024-05-02"}}).json()
    mixed = api.patch(
        ev["id"],
        {"start": {"dateTime": "2024-05-01T10:00:00Z"}, "end": {"dateTime": "2024-05-01T11:00:00Z"}},
    )
    assert mixed.status_code == 400 and reason(mixed) == "invalid"  # `date` is kept by the merge
    ok = api.patch(
        ev["id"],
        {
            "start": {"date": None, "dateTime": "2024-05-01T10:00:00Z"},
            "end": {"date": None, "dateTime": "2024-05-01T11:00:00Z"},
        },
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["start"] == {"dateTime": "2024-05-01T10:00:00Z"}
    back = api.patch(
        ev["id"],
        {"start": {"dateTime": None, "date": "2024-05-02"}, "end": {"dateTime": None, "date": "2024-05-03"}},
    )
    assert back.status_code == 200, back.text
    assert back.json()["start"] == {"date": "2024-05-02"}


def test_patch_null_removes_an_extended_property_and_a_field(api: Api) -> None:
    ev = api.insert({**EV, "location": "Room", "extendedProperties": {"private": {"k": "1", "j": "2"}}}).json()
    resp = api.patch(ev["id"], {"extendedProperties": {"private": {"k": None}}, "location": None})
    assert resp.status_code == 200, resp.text
    assert resp.json()["extendedProperties"] == {"private": {"j": "2"}}
    assert "location" not in resp.json()


def test_patch_replaces_arrays_whole(api: Api) -> None:
    ev = api.insert({**EV, "attendees": [{"email": "a@example.com"}, {"email": "b@example.com"}]}).json()
    patched = api.patch(ev["id"], {"attendees": [{"email": "c@example.com"}]}).json()
    assert [a["email"] for a in patched["attendees"]] == ["c@example.com"]


@pytest.mark.parametrize(
    "extra",
    [
        {"attendees": [{"email": "not-an-address"}]},
        {"attendees": [{"email": "a@example.com"}, {"email": "two@@example.com"}]},
        {"reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": m} for m in range(6)]}},
        {"source": {"title": "CRM", "url": "ftp://crm.example.com/activity/1"}},
        {"source": {"title": "CRM", "url": "javascript:alert(1)"}},
    ],
)
def test_forbidden_bodies_are_refused(api: Api, extra: dict[str, Any]) -> None:
    resp = api.insert({**EV, **extra})
    assert resp.status_code == 400, resp.text
    assert reason(resp) == "invalid"
    ev = api.insert(EV).json()
    assert api.patch(ev["id"], extra).status_code == 400


def test_allowed_bodies_pass(api: Api) -> None:
    body = {
        **EV,
        "attendees": [{"email": "a.b+c@example.co.uk"}],
        "reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": m} for m in range(5)]},
        "source": {"title": "CRM", "url": "https://crm.example.com/activity/1"},
    }
    resp = api.insert(body)
    assert resp.status_code == 200, resp.text
    assert resp.json()["source"]["url"] == "https://crm.example.com/activity/1"
