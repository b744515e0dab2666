"""events.list limits: syncToken with showDeleted=false, the 2,500 page cap, updatedMin horizon."""

from __future__ import annotations

import datetime as dt

from sandbox.control import SandboxControl
from sandbox.events import CalendarService
from sandbox.state import State

from .conftest import ALICE, Api, timed

UPDATED_MIN_TOO_OLD = {
    "domain": "calendar",
    "reason": "updatedMinTooLongAgo",
    "message": "The requested minimum modification time lies too far in the past.",
    "locationType": "parameter",
    "location": "updatedMin",
}


def rfc3339(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_sync_token_with_show_deleted_false_is_refused(api: Api) -> None:
    _, token = api.list_all()
    resp = api.list(syncToken=token, showDeleted="false")
    assert resp.status_code == 400
    assert resp.json()["error"]["errors"][0]["location"] == "showDeleted"
    assert api.list(syncToken=token, showDeleted="true").status_code == 200


def test_max_results_above_2500_is_accepted_over_http(api: Api) -> None:
    resp = api.list(maxResults=100000)
    assert resp.status_code == 200, resp.text


def test_max_results_above_2500_is_capped_at_2500() -> None:
    service = CalendarService(State())
    service.create_account(ALICE)
    cal = service.resolve_calendar(ALICE, "primary")
    for i in range(2501):
        service.insert(cal, timed(f"2024-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z", "2024-01-02T00:00:00Z"))
    page = service.list_events(cal, {"maxResults": 5000})
    assert len(page["items"]) == 2500 and "nextPageToken" in page


def test_updated_min_beyond_the_horizon_answers_410(api: Api, sandbox: SandboxControl) -> None:
    now = dt.datetime.now(dt.UTC)
    resp = api.list(updatedMin=rfc3339(now - dt.timedelta(days=29)))
    assert resp.status_code == 410
    assert resp.json()["error"]["errors"][0] == UPDATED_MIN_TOO_OLD
    assert api.list(updatedMin=rfc3339(now - dt.timedelta(days=27))).status_code == 200
    assert sandbox.configure(updated_min_horizon_days=60)["updated_min_horizon_days"] == 60
    assert api.list(updatedMin=rfc3339(now - dt.timedelta(days=29))).status_code == 200
    assert api.list(updatedMin=rfc3339(now - dt.timedelta(days=61))).status_code == 410
