"""Accounts and calendars in a time zone: the primary calendar takes the account's zone."""

from __future__ import annotations

import pytest

from sandbox.control import SandboxControl, SandboxError

from .conftest import CLIENT_ID, Api, timed

CAROL = "carol@example.com"
NY = "America/New_York"


@pytest.fixture
def carol(sandbox: SandboxControl, oauth_client: dict, sandbox_url: str) -> Api:
    account = sandbox.create_account(CAROL, "Carol", time_zone=NY)
    assert account["time_zone"] == NY
    return Api(sandbox_url, sandbox.issue_access_token(CAROL, CLIENT_ID)["access_token"])


def test_primary_calendar_takes_the_accounts_zone(carol: Api, sandbox: SandboxControl) -> None:
    entry = carol.call("calendar.calendarList.get", "GET", "users/me/calendarList/primary").json()
    assert entry["timeZone"] == NY
    assert carol.call("calendar.calendars.get", "GET", "calendars/primary").json()["timeZone"] == NY
    assert carol.list().json()["timeZone"] == NY
    # a secondary calendar defaults to the account's zone, or takes its own
    assert sandbox.create_calendar(CAROL, "Home")["timeZone"] == NY
    assert sandbox.create_calendar(CAROL, "Trips", "Asia/Tokyo")["timeZone"] == "Asia/Tokyo"


def test_times_are_rendered_and_all_day_dates_read_in_the_calendars_zone(carol: Api) -> None:
    ev = carol.insert(timed("2024-03-01T15:00:00Z", "2024-03-01T16:00:00Z")).json()
    assert ev["start"] == {"dateTime": "2024-03-01T10:00:00-05:00"}
    day = carol.insert({"start": {"date": "2024-05-01"}, "end": {"date": "2024-05-02"}}).json()
    # 2024-05-01 in New York runs until 2024-05-02T04:00:00Z
    late = carol.list(timeMin="2024-05-02T02:00:00Z").json()["items"]
    assert [e["id"] for e in late] == [day["id"]]
    assert carol.list(timeMin="2024-05-02T04:00:00Z").json()["items"] == []


def test_recurring_event_still_needs_its_own_time_zone(carol: Api) -> None:
    resp = carol.insert(timed("2024-03-01T15:00:00Z", "2024-03-01T16:00:00Z", recurrence=["RRULE:FREQ=DAILY"]))
    assert resp.status_code == 400


def test_unknown_time_zone_is_refused(sandbox: SandboxControl) -> None:
    with pytest.raises(SandboxError) as info:
        sandbox.create_account(CAROL, time_zone="Mars/Olympus")
    assert info.value.status == 400
    sandbox.create_account(CAROL)
    assert sandbox.accounts()[0]["time_zone"] == "UTC"
