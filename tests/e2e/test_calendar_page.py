"""The calendar page in Chromium, against the full local stack: a connected user whose Meeting type
is exported to their "CRM Meetings" calendar creates, edits and deletes an activity in the browser,
and the sandbox (Google's stand-in) holds what the page says; an imported activity opens read-only,
an error shows its message, and a pending one turns synced on its own while the page polls.

Screenshots: ``test-artifacts/screenshots/calendar-*.png``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from tests.e2e.test_settings_pages import (  # noqa: F401 - fixtures used by name
    CLIENT_ID,
    CLIENT_SECRET,
    USER_EMAIL,
    api_call,
    browser,
    configure_client_by_api,
    expect,
    pages_url,
    shot,
    sign_in,
)
from tests.support.consent import consent, query_of

pytestmark = pytest.mark.e2e

WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}
ZONE = "Europe/Madrid"  # the browser's zone: the form's default
WEEK = "2026-12-07"  # a Monday: every activity of these tests is in this week
HOSTILE = 'Kick-off <img src=x id=pwned> & "quotes"'


@pytest.fixture
def connected_user(functions_url, sandbox, firestore_db, make_user) -> dict[str, Any]:  # noqa: ANN001
    """An admin saved the client; the user connected Google (through the real redirects) and
    linked Meeting to "CRM Meetings" with export on."""
    sandbox.create_oauth_client(CLIENT_ID, CLIENT_SECRET, [functions_url + "oauth_callback"])
    sandbox.create_account(USER_EMAIL, "Una User")
    calendar = sandbox.create_calendar(USER_EMAIL, "CRM Meetings", ZONE)
    _, admin_token = make_user("admin@example.com", admin=True)
    uid, token = make_user(USER_EMAIL)
    configure_client_by_api(functions_url, admin_token)
    session = requests.Session()
    started = session.post(functions_url + "api/connect", json={}, headers={"Authorization": f"Bearer {token}"},
                           timeout=30)
    assert started.status_code == 200, started.text
    landing = session.get(consent(requests, started.json()["authorize_url"], USER_EMAIL), allow_redirects=False,
                          timeout=30)
    assert query_of(landing.headers["Location"]) == {"connect": "success"}, landing.headers["Location"]
    link = api_call(functions_url, "PUT", "links/Meeting", token, {"calendar_id": calendar["id"], "export": True})
    assert link.status_code == 200, link.text
    return {"uid": uid, "token": token, "calendar_id": calendar["id"], "db": firestore_db}


@pytest.fixture
def calendar_page(browser):  # noqa: ANN001, F811
    """``calendar_page(width) -> Page`` in its own context, the browser's zone being Madrid."""
    contexts = []

    def create(width: str = "desktop"):  # noqa: ANN202
        w, h = WIDTHS[width]
        context = browser.new_context(viewport={"width": w, "height": h}, locale="en-US", timezone_id=ZONE)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.csp = []
        page.on("console", lambda m: page.csp.append(m.text) if "Content Security Policy" in m.text else None)
        return page

    yield create
    for context in contexts:
        context.close()


def open_calendar(page, pages_url: str, day: str = WEEK) -> None:  # noqa: ANN001, F811
    page.goto(pages_url + "calendar?date=" + day)
    sign_in(page, USER_EMAIL)
    expect(page.locator("#calendar .fc-view")).to_be_visible()
    expect(page.locator("#calendar-status")).not_to_be_empty()


def live_events(sandbox, calendar_id: str) -> list[dict[str, Any]]:  # noqa: ANN001
    return [e for e in sandbox.owner_list_events(USER_EMAIL, calendar_id) if e.get("status") != "cancelled"]


def event(page, subject: str):  # noqa: ANN001, ANN201
    return page.locator("#calendar .fc-event", has_text=subject)


def fill_form(page, **fields: str) -> None:  # noqa: ANN001
    for name, value in fields.items():
        page.fill(f"#activity-{name.replace('_', '-')}", value)


def activity_doc(uid: str, subject: str, begin: datetime, finish: datetime, **extra: Any) -> dict[str, Any]:
    """An ``activities/{id}`` document as docs/data-model.md describes it."""
    now = datetime.now(UTC)
    doc = {
        "owner_uid": uid, "activity_type": "Meeting", "group_id": None, "subject": subject, "description": "",
        "location": "", "status": "Planned", "visibility": "default", "transparency": "opaque", "attendees": [],
        "recurrence": [], "exceptions": [], "all_day": False, "start": begin, "end": finish, "time_zone": ZONE,
        "start_date": None, "end_date": None, "range_start": begin, "range_end": finish, "origin": "crm",
        "read_only": False, "deleted": False, "created_at": now, "updated_at": now, "sync": None,
    }
    doc.update(extra)
    return doc


def no_sideways_scroll(page) -> int:  # noqa: ANN001
    return page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")


# --------------------------------------------------------------------------- tests


def test_the_calendar_page_is_a_shell_with_a_style_nonce(functions_url, pages_url, stack) -> None:  # noqa: ANN001, F811
    first = requests.get(pages_url + "calendar", timeout=10)
    second = requests.get(pages_url + "calendar", timeout=10)
    assert first.status_code == 200
    csp = first.headers["Content-Security-Policy"]
    nonce = re.search(r"style-src [^;]*'nonce-([A-Za-z0-9_-]{20,})'", csp)
    assert nonce and f'<meta name="csp-nonce" content="{nonce.group(1)}">' in first.text
    assert nonce.group(1) not in second.headers["Content-Security-Policy"]  # fresh for every page
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert f'"activitiesBase": "{functions_url}activities/"' in first.text
    bundle = requests.get(pages_url + "assets/vendor/fullcalendar.min.js", timeout=10)
    assert bundle.status_code == 200 and bundle.headers["Content-Type"].startswith("text/javascript")
    assert "FullCalendar Standard Bundle v6.1.22" in bundle.text[:200]
    assert requests.get(pages_url + "assets/vendor/..%2F..%2Fpages.py", timeout=10).status_code == 404
    assert requests.get(pages_url + "calendar", timeout=10).text.count("fullcalendar.min.js") == 1
    assert "calendar-link" in requests.get(pages_url, timeout=10).text


def test_create_edit_and_delete_reach_google(connected_user, sandbox, pages_url, calendar_page) -> None:  # noqa: ANN001, F811
    calendar_id = connected_user["calendar_id"]
    page = calendar_page("desktop")
    open_calendar(page, pages_url)
    expect(page.locator("#calendar-status")).to_have_text("No activities in this period.")
    shot(page, "calendar-empty-desktop")

    page.click("#new-activity")
    dialog = page.locator("#activity-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#activity-subject")).to_be_focused()
    expect(page.locator("#activity-time-zone")).to_have_value(ZONE)  # the browser's zone
    expect(page.locator("#activity-type")).to_have_value("Call")
    page.click("#activity-save")  # nothing filled in: said at the field, nothing sent
    expect(page.locator('[data-field-error="subject"]')).to_have_text("Enter a subject.")
    expect(page.locator("#activity-subject")).to_have_attribute("aria-invalid", "true")

    fill_form(page, subject=HOSTILE, start_date="2026-12-08", start_time="10:00", end_date="2026-12-08",
              end_time="11:00", location="Café <Sala 1>", description="Agenda:\n1. <b>hello</b>")
    page.select_option("#activity-type", "Meeting")
    page.select_option("#activity-status", "Planned")
    shot(page, "calendar-form-new-desktop")
    page.click("#activity-save")
    expect(dialog).to_be_hidden()

    created = event(page, "Kick-off")
    expect(created).to_have_count(1)
    expect(created).to_have_attribute("data-sync-state", "synced")
    expect(created.locator(".ev-title")).to_have_text(HOSTILE)  # as text, never as HTML
    assert page.locator("#pwned").count() == 0
    expect(page.locator("#calendar-message")).to_contain_text("In Google")
    expect(page.locator("#calendar-status")).to_have_text("Everything shown is in step with Google.")

    [google] = live_events(sandbox, calendar_id)
    assert google["summary"] == HOSTILE
    assert google["start"] == {"dateTime": "2026-12-08T10:00:00+01:00", "timeZone": ZONE}
    assert google["end"] == {"dateTime": "2026-12-08T11:00:00+01:00", "timeZone": ZONE}
    assert google["location"] == "Café <Sala 1>"
    assert sandbox.owner_get_event(USER_EMAIL, calendar_id, google["id"])["summary"] == HOSTILE
    shot(page, "calendar-week-synced-desktop")

    # The form shows what was saved; an edit reaches Google.
    created.click()
    expect(dialog).to_be_visible()
    expect(page.locator("#activity-subject")).to_have_value(HOSTILE)
    expect(page.locator("#activity-start-time")).to_have_value("10:00")
    expect(page.locator("#activity-description")).to_have_value("Agenda:\n1. <b>hello</b>")
    expect(page.locator("#activity-sync")).to_have_attribute("data-state", "synced")
    expect(page.locator("#activity-sync")).to_contain_text("In Google")
    fill_form(page, subject="Kick-off (moved)", start_time="16:30", end_time="17:45")
    page.select_option("#activity-status", "Held")
    page.click("#activity-save")
    expect(dialog).to_be_hidden()
    moved = event(page, "Kick-off (moved)")
    expect(moved).to_have_attribute("data-sync-state", "synced")
    expect(moved.locator(".ev-time")).to_contain_text("4:30")
    [google] = live_events(sandbox, calendar_id)
    assert google["summary"] == "Kick-off (moved)"
    assert google["start"]["dateTime"] == "2026-12-08T16:30:00+01:00"
    assert google["end"]["dateTime"] == "2026-12-08T17:45:00+01:00"

    # The month view shows it too; Enter on the focused event opens it (keyboard).
    page.click(".fc-dayGridMonth-button")
    expect(page.locator(".fc-dayGridMonth-view")).to_be_visible()
    month_event = event(page, "Kick-off (moved)")
    expect(month_event).to_have_count(1)
    shot(page, "calendar-month-desktop")
    month_event.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    expect(page.locator("#activity-status")).to_have_value("Held")

    page.click("#activity-delete")
    expect(page.locator("#activity-delete-confirm-box")).to_be_visible()
    page.click("#activity-delete-confirm")
    expect(dialog).to_be_hidden()
    expect(event(page, "Kick-off")).to_have_count(0)
    expect(page.locator("#calendar-message")).to_contain_text("also from Google")
    assert live_events(sandbox, calendar_id) == []
    assert page.errors == [] and page.csp == []


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_imported_error_and_pending_activities(connected_user, functions_url, pages_url, calendar_page,  # noqa: ANN001, F811
                                               sandbox, run_job, width: str) -> None:
    uid, db, calendar_id = connected_user["uid"], connected_user["db"], connected_user["calendar_id"]
    day = datetime(2026, 12, 9, 0, 0, tzinfo=UTC)
    db.document("activities/imported-1").set(activity_doc(
        uid, "Lunch <i>from Google</i>", day, day, all_day=True, start=None, end=None, time_zone=None,
        start_date="2026-12-09", end_date="2026-12-09", range_start=day, range_end=day.replace(day=10),
        origin="google", read_only=True, sync=None))
    db.document("activities/broken-1").set(activity_doc(
        uid, "Broken call", day.replace(hour=8), day.replace(hour=9),
        sync={"state": "error", "last_error": "Google refused the event: Invalid attendee email.", "attempts": 1,
              "due_at": None, "synced_at": None, "targets": []}))
    db.document("activities/waiting-1").set(activity_doc(
        uid, "Waiting review", day.replace(day=10, hour=12), day.replace(day=10, hour=13),
        sync={"state": "pending", "last_error": None, "attempts": 0, "due_at": datetime(2026, 1, 1, tzinfo=UTC),
              "synced_at": None, "targets": []}))

    page = calendar_page(width)
    open_calendar(page, pages_url)
    if width == "phone":
        expect(page.locator(".fc-listWeek-view")).to_be_visible()  # a list of the week fits a phone
    imported, broken, waiting = event(page, "Lunch"), event(page, "Broken call"), event(page, "Waiting review")
    expect(imported).to_have_attribute("data-sync-state", "readonly")
    expect(imported).to_contain_text("Lunch <i>from Google</i>")
    expect(broken).to_have_attribute("data-sync-state", "error")
    expect(broken).to_have_attribute("aria-label", re.compile("Sync error: Google refused the event: Invalid attendee"))
    expect(waiting).to_have_attribute("data-sync-state", "pending")
    expect(page.locator("#calendar-status")).to_contain_text("1 activity is waiting for Google")
    expect(page.locator("#calendar-status")).to_contain_text("1 activity has a sync error")
    assert no_sideways_scroll(page) <= 0
    shot(page, f"calendar-states-{width}")

    # The export sweep sends the pending one; the page, polling, sees it synced without a reload.
    assert run_job("export_activities")["synced"] == 1  # the job's task, run by the worker
    expect(waiting).to_have_attribute("data-sync-state", "synced", timeout=10_000)
    expect(page.locator("#calendar-status")).not_to_contain_text("waiting")
    assert [e["summary"] for e in live_events(sandbox, calendar_id)] == ["Waiting review"]

    broken.click()
    expect(page.locator("#activity-sync")).to_have_text("Sync error: Google refused the event: Invalid attendee email.")
    expect(page.locator("#activity-readonly-note")).to_be_hidden()
    expect(page.locator("#activity-save")).to_be_visible()
    shot(page, f"calendar-error-form-{width}")
    page.keyboard.press("Escape")
    expect(page.locator("#activity-dialog")).to_be_hidden()

    imported.click()
    expect(page.locator("#activity-readonly-note")).to_be_visible()
    expect(page.locator("#activity-readonly-note")).to_contain_text("Edit it in Google Calendar")
    expect(page.locator("#activity-subject")).to_be_disabled()
    expect(page.locator("#activity-subject")).to_have_value("Lunch <i>from Google</i>")
    expect(page.locator("#activity-all-day")).to_be_checked()
    expect(page.locator("#activity-start-date")).to_have_value("2026-12-09")
    expect(page.locator("#activity-save")).to_be_hidden()
    expect(page.locator("#activity-delete")).to_be_hidden()
    expect(page.locator("#activity-cancel")).to_have_text("Close")
    shot(page, f"calendar-readonly-form-{width}")
    page.click("#activity-cancel")
    expect(page.locator("#activity-dialog")).to_be_hidden()

    if width == "desktop":
        page.click(".fc-timeGridWeek-button")
    else:
        page.click(".fc-dayGridMonth-button")
        expect(page.locator(".fc-dayGridMonth-view")).to_be_visible()
        assert no_sideways_scroll(page) <= 0
        shot(page, "calendar-month-phone")
    assert page.errors == [] and page.csp == []


def test_a_weekly_series_is_drawn_on_each_of_its_days(connected_user, pages_url, calendar_page) -> None:  # noqa: ANN001, F811
    db, uid = connected_user["db"], connected_user["uid"]
    start = datetime(2026, 12, 7, 8, 30, tzinfo=UTC)  # Monday 9:30 in Madrid
    db.document("activities/series-1").set(activity_doc(
        uid, "Stand-up", start, start.replace(minute=45), recurrence=["RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=5"],
        exceptions=[{"original_start": start.replace(day=9), "cancelled": True, "subject": None, "description": None,
                     "location": None, "time": None}],
        range_end=datetime(2026, 12, 20, tzinfo=UTC),
        sync={"state": "synced", "last_error": None, "attempts": 0, "due_at": None, "synced_at": start, "targets": []}))
    daily = datetime(2025, 1, 6, 7, 0, tzinfo=UTC)  # every day at 8:00 in Madrid since January 2025
    db.document("activities/series-2").set(activity_doc(
        uid, "Daily check", daily, daily.replace(minute=15), recurrence=["RRULE:FREQ=DAILY"],
        range_end=datetime(9999, 12, 31, tzinfo=UTC),
        sync={"state": "synced", "last_error": None, "attempts": 0, "due_at": None, "synced_at": daily, "targets": []}))
    page = calendar_page("desktop")
    open_calendar(page, pages_url, "2026-12-14")  # the series started the week before
    expect(event(page, "Daily check")).to_have_count(7)  # instance 700-odd of an endless series
    expect(event(page, "Stand-up")).to_have_count(2)  # Mon 14, Wed 16 (5 instances: 7, 9 cancelled, 11, 14, 16)
    page.click(".fc-prev-button")
    expect(event(page, "Stand-up")).to_have_count(2)  # Mon 7, Fri 11
    event(page, "Stand-up").first.click()
    expect(page.locator("#activity-recurrence")).to_contain_text("FREQ=WEEKLY")
    expect(page.locator("#activity-start-time")).to_have_value("09:30")
    assert page.errors == []


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_the_top_bar_links_calendar_settings_and_admin(connected_user, pages_url, calendar_page, width: str) -> None:  # noqa: ANN001, F811
    page = calendar_page(width)
    page.goto(pages_url + "calendar")
    sign_in(page, "admin@example.com")
    expect(page.locator("#calendar .fc-view")).to_be_visible()
    expect(page.locator("#calendar-link")).to_be_hidden()  # on it already
    expect(page.locator("#user-link")).to_be_visible()
    expect(page.locator("#admin-link")).to_be_visible()
    topbar = page.locator(".topbar").bounding_box()
    assert topbar is not None and topbar["height"] <= 90, topbar  # at most two lines, even with every link
    assert no_sideways_scroll(page) <= 0
    shot(page, f"calendar-admin-topbar-{width}")
    page.click("#user-link")
    expect(page.locator("#connection-status")).to_be_visible()
    page.click("#calendar-link")
    expect(page.locator("#calendar .fc-view")).to_be_visible()
    assert page.errors == [] and page.csp == []


def test_google_refusing_an_activity_shows_the_error_until_an_edit_goes_through(
    connected_user, sandbox, pages_url, calendar_page  # noqa: ANN001, F811
) -> None:
    page = calendar_page("desktop")
    open_calendar(page, pages_url)
    # A refusal (403 forbidden), not a rate limit: no retry, the activity is in error.
    sandbox.inject_fault(status=403, reason="forbidden", count=1, path_contains="/events")
    page.click("#new-activity")
    fill_form(page, subject="Refused once", start_date="2026-12-10", start_time="15:00", end_date="2026-12-10",
              end_time="15:30")
    page.select_option("#activity-type", "Meeting")
    page.click("#activity-save")
    refused = event(page, "Refused once")
    expect(refused).to_have_attribute("data-sync-state", "error")
    expect(page.locator("#calendar-message")).to_contain_text("Sync error: ")
    expect(page.locator("#calendar-status")).to_have_text("1 activity has a sync error.")
    refused.click()
    sync = page.locator("#activity-sync")
    expect(sync).to_have_attribute("data-state", "error")
    message = sync.inner_text()
    assert message.startswith("Sync error: ") and len(message) > len("Sync error: "), message
    shot(page, "calendar-google-refused-desktop")
    assert live_events(sandbox, connected_user["calendar_id"]) == []

    fill_form(page, subject="Refused once, then accepted")  # an edit tries again
    page.click("#activity-save")
    expect(event(page, "then accepted")).to_have_attribute("data-sync-state", "synced")
    accepted = live_events(sandbox, connected_user["calendar_id"])
    assert [e["summary"] for e in accepted] == ["Refused once, then accepted"]
    assert page.errors == [] and page.csp == []
