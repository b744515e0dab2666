"""The calendar page's Google events not in the CRM, in Chromium, against the full local stack: an event
of a linked calendar that existed in Google before import was switched on (*import existing* off) is
listed by ``GET /activities/google-events``; the page draws it apart (hatched, "Google, not in CRM"),
opens it in a read-only dialog, and *Add into CRM* makes it a CRM activity linked to that same Google
event (no copy in Google), which the page then edits like any other.

Screenshots: ``test-artifacts/screenshots/google-events-*.png``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from tests.e2e.test_calendar_page import (  # noqa: F401 - fixtures used by name
    USER_EMAIL,
    ZONE,
    calendar_page,
    connected_user,
    event,
    fill_form,
    live_events,
    no_sideways_scroll,
    open_calendar,
)
from tests.e2e.test_settings_pages import (  # noqa: F401 - fixtures used by name
    api_call,
    browser,
    expect,
    pages_url,
    shot,
)

pytestmark = pytest.mark.e2e

SUMMARY = 'Old review <img src=x id=pwned> & "quotes"'
RANGE = "?start=2026-12-07T00:00:00Z&end=2026-12-14T00:00:00Z"


def activities_call(functions_url: str, method: str, path: str, token: str) -> requests.Response:
    return requests.request(method, functions_url + "activities/" + path, headers={"Authorization": f"Bearer {token}"},
                            timeout=30)


@pytest.fixture
def old_google_event(connected_user, functions_url, sandbox, run_job) -> dict[str, Any]:  # noqa: ANN001, F811
    """An event already in "CRM Meetings" when the user switched import on for Meeting with *import
    existing* off (export stays on); the import run lists it for *Add into CRM* instead of importing it."""
    calendar_id, token = connected_user["calendar_id"], connected_user["token"]
    sandbox.configure(push_supported=False)  # the scheduled import polls it (a live channel would defer it 6 h)
    old = sandbox.owner_insert_event(USER_EMAIL, calendar_id, {
        "summary": SUMMARY, "location": "Sala <2>",
        "start": {"dateTime": "2026-12-09T11:00:00+01:00", "timeZone": ZONE},
        "end": {"dateTime": "2026-12-09T12:00:00+01:00", "timeZone": ZONE}})
    sandbox.owner_insert_event(USER_EMAIL, calendar_id, {
        "summary": "Offsite", "start": {"date": "2026-12-10"}, "end": {"date": "2026-12-12"}})  # Thu-Fri
    body = {"calendar_id": calendar_id, "export": True, "import": True, "import_existing": False}
    link = api_call(functions_url, "PUT", "links/Meeting", token, body)
    assert link.status_code == 200, link.text
    assert run_job("import_events")["calendars"] == 1  # the job's task, run by the worker
    rows = activities_call(functions_url, "GET", "google-events" + RANGE, token).json()["google_events"]
    assert [(r["summary"], r["event_id"]) for r in rows][0] == (SUMMARY, old["id"])
    offsite = [(r["summary"], r["start_date"], r["end_date"]) for r in rows[1:]]
    assert offsite == [("Offsite", "2026-12-10", "2026-12-11")]  # end inclusive
    assert activities_call(functions_url, "GET", RANGE, token).json()["activities"] == []  # not imported
    return {**connected_user, "event_id": old["id"], "row_id": rows[0]["id"]}


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_a_google_event_not_in_the_crm_is_added_from_the_page_and_edited_without_a_copy(
    old_google_event, functions_url, sandbox, pages_url, calendar_page, width: str  # noqa: ANN001, F811
) -> None:
    setup = old_google_event
    calendar_id, event_id, token = setup["calendar_id"], setup["event_id"], setup["token"]
    page = calendar_page(width)
    open_calendar(page, pages_url)

    shown = event(page, "Old review")
    expect(shown).to_have_count(1)
    expect(shown).to_have_class(re.compile(r"\bgevent\b"))
    expect(shown).to_have_attribute("data-kind", "google")
    expect(shown.locator(".ev-title")).to_have_text(SUMMARY)  # as text, never as HTML
    expect(shown.locator(".ev-tag-google")).to_have_text("Google, not in CRM")
    expect(shown).to_have_attribute("aria-label", re.compile("Google, not in CRM"))
    assert shown.get_attribute("data-sync-state") is None  # not drawn as an activity
    assert page.locator("#pwned").count() == 0
    expect(page.locator("#calendar-status")).to_contain_text("2 Google events are not in the CRM")
    offsite = event(page, "Offsite")
    # All day, Thursday and Friday (the row's end is inclusive): a list row each day on a phone.
    expect(offsite).to_have_count(2 if width == "phone" else 1)
    expect(offsite.first).to_have_attribute("data-kind", "google")
    if width == "desktop":
        expect(page.locator(".fc-timegrid-col-frame .fc-event.gevent")).to_have_count(1)
        box, thursday = offsite.bounding_box(), page.locator(".fc-col-header-cell.fc-day-thu").bounding_box()
        friday = page.locator(".fc-col-header-cell.fc-day-fri").bounding_box()
        assert box and thursday and friday
        assert abs(box["x"] - thursday["x"]) < 6 and abs(box["x"] + box["width"] - friday["x"] - friday["width"]) < 6
    assert no_sideways_scroll(page) <= 0
    shot(page, f"google-events-listed-{width}")

    # Opened from the keyboard: a read-only dialog whose first stop is Add into CRM.
    shown.focus()
    page.keyboard.press("Enter")
    dialog = page.locator("#google-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#google-add")).to_be_focused()
    expect(page.locator("#google-title")).to_have_text(SUMMARY)
    expect(page.locator("#google-when")).to_have_text("Dec 9, 2026, 11:00 AM – 12:00 PM (Europe/Madrid)")
    expect(page.locator("#google-location")).to_have_text("Sala <2>")
    expect(page.locator("#google-type")).to_have_text("Meeting")
    expect(page.locator("#google-link")).to_have_attribute("href", re.compile("^https://"))
    assert dialog.locator("input, textarea, select").count() == 0  # nothing to edit here
    assert no_sideways_scroll(page) <= 0
    shot(page, f"google-events-dialog-{width}")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#google-add")).not_to_be_focused()

    if width == "desktop":
        page.click(".fc-dayGridMonth-button")
        expect(page.locator(".fc-dayGridMonth-view")).to_be_visible()
        expect(shown.locator(".ev-tag-google")).to_be_visible()
        shot(page, "google-events-month-desktop")
        page.click(".fc-timeGridWeek-button")
    shown.click()
    expect(dialog).to_be_visible()
    page.click("#google-add")
    expect(dialog).to_be_hidden()
    expect(page.locator("#calendar-message")).to_contain_text("Added “" + SUMMARY + "” into the CRM")

    # Now a CRM activity on the page: drawn as one, in Google, no longer offered.
    added = event(page, "Old review")
    expect(added).to_have_count(1)
    expect(added).to_have_attribute("data-sync-state", "synced")
    gevents = page.locator("#calendar .fc-event.gevent")
    expect(gevents).to_have_count(2 if width == "phone" else 1)  # Offsite, still only in Google
    expect(gevents.filter(has_text="Old review")).to_have_count(0)
    expect(page.locator("#calendar-status")).to_contain_text("1 Google event is not in the CRM")
    shot(page, f"google-events-added-{width}")

    # The API and Firestore: CRM-owned, linked to the same Google event; Google: exactly that one event.
    [activity] = activities_call(functions_url, "GET", RANGE, token).json()["activities"]
    assert (activity["origin"], activity["read_only"], activity["subject"]) == ("crm", False, SUMMARY)
    assert [t["event_id"] for t in activity["sync"]["targets"]] == [event_id]
    doc = old_google_event["db"].document(f"activities/{activity['id']}").get().to_dict()
    assert (doc["origin"], doc["read_only"], doc["owner_uid"]) == ("crm", False, old_google_event["uid"])
    left = activities_call(functions_url, "GET", "google-events" + RANGE, token).json()["google_events"]
    assert [r["summary"] for r in left] == ["Offsite"]
    assert [e["id"] for e in live_events(sandbox, calendar_id)].count(event_id) == 1
    assert len(live_events(sandbox, calendar_id)) == 2  # the two events there before: no copy

    # An edit in the page reaches that same Google event.
    added.click()
    expect(page.locator("#activity-dialog")).to_be_visible()
    expect(page.locator("#activity-readonly-note")).to_be_hidden()
    expect(page.locator("#activity-subject")).to_have_value(SUMMARY)
    expect(page.locator("#activity-start-time")).to_have_value("11:00")
    fill_form(page, subject="Old review, now in the CRM", start_time="15:00", end_time="16:30")
    page.click("#activity-save")
    expect(page.locator("#activity-dialog")).to_be_hidden()
    expect(event(page, "now in the CRM")).to_have_attribute("data-sync-state", "synced")
    [google] = [e for e in live_events(sandbox, calendar_id) if e["summary"] != "Offsite"]
    assert google["id"] == event_id
    assert google["summary"] == "Old review, now in the CRM"
    assert google["start"]["dateTime"] == "2026-12-09T15:00:00+01:00"
    assert google["end"]["dateTime"] == "2026-12-09T16:30:00+01:00"
    assert page.errors == [] and page.csp == []


def test_adding_an_event_already_added_elsewhere_says_so(
    old_google_event, functions_url, pages_url, calendar_page  # noqa: ANN001, F811
) -> None:
    page = calendar_page("desktop")
    open_calendar(page, pages_url)
    event(page, "Old review").click()
    dialog = page.locator("#google-dialog")
    expect(dialog).to_be_visible()
    # Meanwhile, another tab adds it.
    first = activities_call(functions_url, "POST", f"google-events/{old_google_event['row_id']}/add",
                            old_google_event["token"])
    assert first.status_code == 201, first.text
    page.click("#google-add")
    expect(page.locator("#google-error")).to_contain_text("already in the CRM")
    expect(page.locator("#google-add")).to_be_hidden()
    expect(page.locator("#google-cancel")).to_be_focused()
    shot(page, "google-events-already-added-desktop")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # The page refreshed behind the dialog: one CRM activity, no Google-only event.
    expect(event(page, "Old review")).to_have_count(1)
    expect(event(page, "Old review")).to_have_attribute("data-sync-state", "synced")
    expect(page.locator("#calendar .fc-event.gevent")).to_have_count(1)  # Offsite
    assert page.errors == [] and page.csp == []
