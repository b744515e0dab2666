"""The sync controls on the settings pages (issue 13), in Chromium against the full local stack: the link
row's privacy choice (the Google copy becomes "Busy"), Resync now with its progress (an exported event
deleted in Google is recreated when asked), Unlink with cleanup and its confirmation (the count before and
after), and the admin's red mark and error filter. As in the dev command, the jobs and Resync now publish
sync tasks that the Pub/Sub pump delivers to ``sync_worker``; the page follows a resync's progress itself.

Screenshots: ``test-artifacts/screenshots/controls-*.png`` at 390 and 1280 px.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import requests

from functions.core.event_mapping import event_id_for
from tests.e2e.test_calendar_page import (  # noqa: F401 - fixtures used by name
    USER_EMAIL,
    calendar_page,
    connected_user,
    live_events,
    no_sideways_scroll,
)
from tests.e2e.test_settings_pages import (  # noqa: F401 - fixtures used by name
    api_call,
    browser,
    expect,
    meeting_row,
    pages_url,
    shot,
    sign_in,
)

pytestmark = pytest.mark.e2e


def create_meeting(functions_url: str, token: str, subject: str) -> dict[str, Any]:
    body = {"activity_type": "Meeting", "subject": subject, "description": "Board only", "location": "Room 1",
            "start": "2026-12-08T09:00:00+01:00", "end": "2026-12-08T10:00:00+01:00", "time_zone": "Europe/Madrid"}
    answer = requests.post(functions_url + "activities/", json=body, headers={"Authorization": f"Bearer {token}"},
                           timeout=30)
    assert answer.status_code == 201, answer.text
    return answer.json()


def open_settings(page, pages_url: str, email: str = USER_EMAIL) -> None:  # noqa: ANN001, F811
    page.goto(pages_url)
    sign_in(page, email)
    expect(meeting_row(page).locator("[data-testid=link-state]")).to_be_visible()


def wait_for(condition, what: str, timeout: float = 30) -> Any:  # noqa: ANN001
    """``condition()`` once it is truthy (the pump delivers tasks asynchronously)."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return value


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_privacy_resync_and_unlink_with_cleanup_from_the_link_row(
    connected_user, functions_url, sandbox, pages_url, calendar_page, width: str,  # noqa: ANN001, F811
    pubsub_pump,  # noqa: ANN001
) -> None:
    calendar_id, token = connected_user["calendar_id"], connected_user["token"]
    activity = create_meeting(functions_url, token, "Acquisition talk")
    [copy] = live_events(sandbox, calendar_id)
    assert copy["summary"] == "Acquisition talk"
    page = calendar_page(width)
    open_settings(page, pages_url)
    row = meeting_row(page)
    expect(row.locator("[data-testid=link-state]")).to_have_attribute("data-state", "synced")
    expect(row.locator("[data-testid=link-state]")).to_contain_text("Synced")

    # Privacy: "Some details" shows the detail boxes; "Busy only" hides every detail in Google.
    privacy = row.locator("select[name=privacy]")
    expect(privacy).to_have_value("full")
    expect(row.locator(".privacy-fields")).to_be_hidden()
    privacy.select_option("subset")
    expect(row.locator(".privacy-fields")).to_be_visible()
    expect(row.locator("input[name=privacy_field]")).to_have_count(4)
    shot(page, f"controls-privacy-subset-{width}")
    privacy.select_option("busy")
    expect(row.locator(".privacy-fields")).to_be_hidden()
    row.locator("button[data-save]").click()
    row = meeting_row(page)
    expect(row.locator(".row-message")).to_have_text("Saved.")
    expect(row.locator("select[name=privacy]")).to_have_value("busy")
    assert requests.post(functions_url + "export_activities", timeout=120).status_code == 200
    [busy] = wait_for(lambda: [e for e in live_events(sandbox, calendar_id) if e["summary"] == "Busy"],
                      "the Busy copy in Google")
    assert (busy["summary"], busy.get("description"), busy.get("location")) == ("Busy", "", "")
    assert no_sideways_scroll(page) <= 0
    shot(page, f"controls-privacy-busy-{width}")

    # Resync now, asking to recreate what was deleted in Google.
    sandbox.owner_delete_event(USER_EMAIL, calendar_id, event_id_for(activity["id"]))
    assert live_events(sandbox, calendar_id) == []
    row.locator("button[data-resync]").click()
    panel = row.locator(".row-panel")
    expect(panel).to_be_visible()
    shot(page, f"controls-resync-ask-{width}")
    panel.locator("input[name=recreate_deleted]").check()
    panel.locator("button[data-start-resync]").click()
    row = meeting_row(page)
    expect(row.locator(".resync-progress")).to_have_attribute("data-resync", "done")
    expect(row.locator(".resync-progress")).to_contain_text(
        "1 exported events checked, 1 missing in Google, 1 recreated")
    expect(row.locator("[data-testid=link-state]")).to_have_attribute("data-state", "synced")
    assert [e["summary"] for e in live_events(sandbox, calendar_id)] == ["Busy"]
    shot(page, f"controls-resync-done-{width}")
    row.locator("button[data-resync]").click()
    row.locator("button[data-start-resync]").click()
    expect(row.locator(".row-message")).to_contain_text(re.compile(r"try again in \d+ s"))

    # Unlink: the confirmation counts the exported events; with cleanup they leave Google.
    foreign = sandbox.owner_insert_event(USER_EMAIL, calendar_id, {
        "summary": "Dentist", "start": {"dateTime": "2026-12-09T08:00:00Z"},
        "end": {"dateTime": "2026-12-09T09:00:00Z"}})
    row.locator("button[data-unlink]").click()
    panel = row.locator(".row-panel")
    expect(panel).to_contain_text("Also delete the 1 event calbridge exported to this calendar")
    shot(page, f"controls-unlink-confirm-{width}")
    panel.locator("input[name=cleanup]").check()
    panel.locator("button[data-confirm-unlink]").click()
    row = meeting_row(page)
    expect(row.locator(".row-message")).to_have_text("Unlinked. 1 event deleted from Google.")
    expect(row.locator(".link-status")).to_contain_text("Not linked")
    assert [e["id"] for e in live_events(sandbox, calendar_id)] == [foreign["id"]]
    assert no_sideways_scroll(page) <= 0
    shot(page, f"controls-unlinked-{width}")
    assert page.errors == []


def test_unlink_without_cleanup_leaves_google_alone(
    connected_user, functions_url, sandbox, pages_url, calendar_page  # noqa: ANN001, F811
) -> None:
    calendar_id, token = connected_user["calendar_id"], connected_user["token"]
    create_meeting(functions_url, token, "Stays in Google")
    page = calendar_page("desktop")
    open_settings(page, pages_url)
    row = meeting_row(page)
    row.locator("button[data-unlink]").click()
    row.locator("button[data-cancel-panel]").click()
    expect(row.locator(".row-panel")).to_be_hidden()
    row.locator("button[data-unlink]").click()
    expect(row.locator("input[name=cleanup]")).not_to_be_checked()
    row.locator("button[data-confirm-unlink]").click()
    expect(meeting_row(page).locator(".row-message")).to_have_text("Unlinked. Nothing was changed in Google.")
    assert [e["summary"] for e in live_events(sandbox, calendar_id)] == ["Stays in Google"]


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_the_admin_sees_a_red_mark_and_filters_the_users_in_error(
    connected_user, functions_url, sandbox, pages_url, calendar_page, width: str,  # noqa: ANN001, F811
    pubsub_pump,  # noqa: ANN001
) -> None:
    token = connected_user["token"]
    sandbox.inject_fault(status=403, count=1, path_contains="/events", reason="forbidden")
    answer = api_call(functions_url, "POST", "links/Meeting/resync", token, {})
    assert answer.status_code == 202, answer.text

    def meeting_state() -> str | None:
        links = api_call(functions_url, "GET", "links", token).json()["links"]
        state = next(lk["status"]["state"] for lk in links if lk["activity_type"] == "Meeting")
        return state if state == "error" else None

    wait_for(meeting_state, "the failed resync")

    page = calendar_page(width)
    page.goto(pages_url + "admin")
    sign_in(page, "admin@example.com")
    rows = page.locator("#admin-users-body tr")
    expect(rows).to_have_count(2)  # the admin and the user
    user_row = page.locator("#admin-users-body tr", has_text=USER_EMAIL)
    expect(user_row.locator("[data-testid=attention-mark]")).to_be_visible()
    expect(user_row).to_contain_text("Error: The last resync failed")
    expect(page.locator("#admin-users-body tr", has_text="admin@example.com").locator(
        "[data-testid=attention-mark]")).to_have_count(0)
    shot(page, f"controls-admin-marked-{width}")
    page.locator("#admin-users-attention").check()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(USER_EMAIL)
    expect(page.locator("#admin-users-attention-count")).to_have_text("(1)")
    assert no_sideways_scroll(page) <= 0
    shot(page, f"controls-admin-filtered-{width}")
    page.locator("#admin-users-attention").uncheck()
    expect(rows).to_have_count(2)
    assert page.errors == []


def test_a_running_resync_shows_its_progress_until_it_is_done(
    connected_user, pages_url, calendar_page  # noqa: ANN001, F811
) -> None:
    """A resync the worker runs (queued, then running, then done) is followed by the page on its own."""
    from datetime import UTC, datetime

    link = connected_user["db"].document(f"users/{connected_user['uid']}/links/Meeting")
    now = datetime.now(UTC)
    running = {"state": "running", "requested_at": now, "started_at": now, "finished_at": None,
               "recreate_deleted": False, "imported": 0, "checked": 0, "missing": 0, "recreated": 0, "unlinked": 0,
               "error": None}
    link.update({"resync": running})
    page = calendar_page("desktop")
    open_settings(page, pages_url)
    row = meeting_row(page)
    expect(row.locator("[data-testid=link-state]")).to_have_attribute("data-state", "syncing")
    expect(row.locator(".resync-progress")).to_have_text("Resync running…")
    shot(page, "controls-resync-running-desktop")
    link.update({"resync": {**running, "state": "done", "finished_at": datetime.now(UTC), "imported": 2,
                            "checked": 5}})
    expect(row.locator(".resync-progress")).to_have_attribute("data-resync", "done")
    expect(row.locator(".resync-progress")).to_contain_text("2 imported, 5 exported events checked, 0 missing")
    expect(row.locator("[data-testid=link-state]")).to_have_attribute("data-state", "synced")
    assert page.errors == []


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_the_link_row_shows_whether_google_pushes_changes(
    connected_user, sandbox, pages_url, calendar_page, width: str  # noqa: ANN001, F811
) -> None:
    page = calendar_page(width)
    open_settings(page, pages_url)
    row = meeting_row(page)
    push = row.locator("[data-testid=link-push]")
    expect(push).to_have_attribute("data-push", "off")  # export only: nothing to be notified of
    expect(push).to_have_text("Push: off (import is off)")

    # Google refuses the channel: the link is saved, the row says so with Google's reason.
    sandbox.inject_fault(status=403, count=1, path_contains="/watch", reason="forbidden")
    row.locator("input[name=import]").check()
    row.locator("button[data-save]").click()
    row = meeting_row(page)
    expect(row.locator(".row-message")).to_have_text("Saved.")
    push = row.locator("[data-testid=link-push]")
    expect(push).to_have_attribute("data-push", "refused")
    expect(push).to_contain_text("Push: refused · Google refused push notifications for this calendar (403)")
    expect(push).to_contain_text("changes are imported every 5 minutes")
    assert no_sideways_scroll(page) <= 0
    shot(page, f"controls-push-refused-{width}")

    # Saved again, Google accepts: push is live.
    row.locator("button[data-save]").click()
    row = meeting_row(page)
    expect(row.locator(".row-message")).to_have_text("Saved.")
    push = row.locator("[data-testid=link-push]")
    expect(push).to_have_attribute("data-push", "live")
    expect(push).to_have_text("Push: live · Google's changes arrive within seconds")
    assert [c["calendar_id"] for c in sandbox.channels()] == [connected_user["calendar_id"]]
    shot(page, f"controls-push-live-{width}")
    assert page.errors == []
