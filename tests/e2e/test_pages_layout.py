"""The settings pages at phone (390 px) and desktop (1280 px) widths, and what a user notices:
no sideways scrolling, a compact top bar, calendar names shown whole, messages that describe the
last action only, a Disconnect that says it happened, Import existing only with Import, activity
types with accents, and an admin table of every user with grant / remove admin.

Screenshots: ``test-artifacts/screenshots/layout-*.png``.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_settings_pages import (  # noqa: F401 - fixtures used by name
    ADMIN_EMAIL,
    CLIENT_ID,
    CLIENT_SECRET,
    PASSWORD,
    USER_EMAIL,
    api_call,
    browser,
    configure_client_by_api,
    consent,
    expect,
    new_page,
    pages_url,
    shot,
    sign_in,
)

pytestmark = pytest.mark.e2e

WIDTHS = {"phone": (390, 844), "desktop": (1280, 900)}
LONG_CALENDAR = "Customer meetings and demos (Sales EMEA)"


def sized(make_page, width: str):  # noqa: ANN001, ANN201
    page = make_page()
    w, h = WIDTHS[width]
    page.set_viewport_size({"width": w, "height": h})
    return page


def overflow(page) -> dict[str, int]:  # noqa: ANN001
    """How far the page and each table box scroll sideways (0: they fit)."""
    return page.evaluate("""() => {
        const out = {page: document.documentElement.scrollWidth - window.innerWidth};
        document.querySelectorAll('.table-wrap').forEach((box, i) => {
            if (box.offsetParent !== null) out['table' + i] = box.scrollWidth - box.clientWidth;
        });
        return out;
    }""")


def cut_calendar_names(page) -> list[str]:  # noqa: ANN001
    """Options of the calendar menus that do not fit in their menu's text area."""
    return page.evaluate("""() => {
        const canvas = document.createElement('canvas').getContext('2d');
        const cut = [];
        document.querySelectorAll('#links-body select').forEach(select => {
            const style = getComputedStyle(select);
            canvas.font = style.font;
            const room = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 20;
            for (const option of select.options) {
                if (canvas.measureText(option.text).width > room) cut.push(option.text);
            }
        });
        return cut;
    }""")


@pytest.fixture
def connected(functions_url, pages_url, sandbox, firestore_db, make_user, new_page):  # noqa: ANN001, ANN201, F811
    """An admin who saved the client, and a user with two calendars (one with a long name)."""
    sandbox.create_oauth_client(CLIENT_ID, CLIENT_SECRET, [functions_url + "oauth_callback"])
    sandbox.create_account(USER_EMAIL, "Una User")
    sandbox.create_calendar(USER_EMAIL, LONG_CALENDAR, "Europe/Madrid")
    sandbox.create_calendar(USER_EMAIL, "Calls", "Europe/Madrid")
    admin_uid, admin_token = make_user(ADMIN_EMAIL, admin=True)
    user_uid, _ = make_user(USER_EMAIL)
    configure_client_by_api(functions_url, admin_token)
    return {"admin_uid": admin_uid, "admin_token": admin_token, "user_uid": user_uid}


def connect_in_browser(page, pages_url: str) -> None:  # noqa: ANN001, F811
    page.goto(pages_url)
    sign_in(page, USER_EMAIL)
    page.click("#connect")
    consent(page, USER_EMAIL, "allow")
    expect(page.locator("#connection-status")).to_contain_text("Connected")


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_the_user_page_fits_the_screen(connected, pages_url, new_page, width: str) -> None:  # noqa: ANN001, F811
    page = sized(new_page, width)
    connect_in_browser(page, pages_url)
    row = page.locator('#links-body tr[data-type="Meeting"]')
    row.locator("select[name=calendar]").select_option(label=LONG_CALENDAR)
    row.locator('input[name="export"]').check()
    row.locator('button[data-save="Meeting"]').click()
    expect(row).to_contain_text("Linked to " + LONG_CALENDAR)
    shot(page, f"layout-user-{width}")

    assert all(value <= 0 for value in overflow(page).values()), overflow(page)
    if width == "desktop":  # a phone's menu opens as a full-screen list: there the names fit anyway
        assert cut_calendar_names(page) == []
    topbar = page.locator(".topbar").bounding_box()
    assert topbar is not None and topbar["height"] <= 90, topbar  # at most two lines
    assert page.locator("#signed-in-as").is_visible() and page.locator("#sign-out").is_visible()
    if width == "phone":
        # One card per activity type, each flag with its name beside the box.
        labels = row.locator("td.flag").evaluate_all(
            "cells => cells.map(c => getComputedStyle(c, '::before').content)")
        assert labels == ['"Export"', '"Import"', '"Import existing"']
    assert page.errors == []


def test_messages_describe_the_last_action_and_disconnect_says_it_happened(
    connected, pages_url, new_page  # noqa: ANN001, F811
) -> None:
    page = sized(new_page, "desktop")
    connect_in_browser(page, pages_url)

    page.click("#connect")  # Reconnect, then deny on Google's page
    consent(page, USER_EMAIL, "deny")
    expect(page.locator("#connect-banner")).to_contain_text("Access was denied")
    expect(page.locator("#connection-status")).to_contain_text("Connected")

    page.click("#disconnect")
    expect(page.locator("#connect-banner")).to_have_count(0)  # the denial is old news now
    expect(page.locator("#disconnect-confirm-box")).to_contain_text("Stop syncing")
    page.click("#disconnect-confirm")
    expect(page.locator("#connection-status")).to_have_text("Not connected")
    message = page.locator("#connection-message")
    expect(message).to_be_visible()
    expect(message).to_contain_text("Disconnected. Sync has stopped and calbridge's access")
    shot(page, "layout-user-disconnected")

    page.click("#connect")  # the next action clears that message too
    consent(page, USER_EMAIL, "deny")
    expect(page.locator("#connection-message")).to_be_hidden()
    assert page.errors == []


def test_import_existing_is_offered_only_with_import(connected, functions_url, pages_url, new_page) -> None:  # noqa: ANN001, F811
    page = sized(new_page, "phone")
    connect_in_browser(page, pages_url)
    row = page.locator('#links-body tr[data-type="Call"]')
    existing, importing = row.locator('input[name="import_existing"]'), row.locator('input[name="import"]')
    expect(existing).to_be_disabled()
    importing.check()
    expect(existing).to_be_enabled()
    existing.check()
    shot(page, "layout-user-import-existing-phone")
    importing.uncheck()
    expect(existing).not_to_be_checked()
    expect(existing).to_be_disabled()

    importing.check()
    existing.check()
    row.locator("select[name=calendar]").select_option(label="Calls")
    row.locator('button[data-save="Call"]').click()
    expect(row).to_contain_text("Linked to Calls")
    expect(row.locator('input[name="import_existing"]')).to_be_checked()
    assert page.errors == []


@pytest.mark.parametrize("width", ["phone", "desktop"])
def test_the_admin_sees_every_user_and_grants_and_removes_admin(
    connected, functions_url, pages_url, auth_emulator, new_page, width: str  # noqa: ANN001, F811
) -> None:
    newcomer = auth_emulator.create_user("nadia@example.com", PASSWORD, "Nadia Newcomer")  # never opened the pages
    page = sized(new_page, width)
    page.goto(pages_url + "admin")
    sign_in(page, ADMIN_EMAIL)
    row = page.locator(f'#admin-users-body tr[data-uid="{newcomer}"]')
    expect(row).to_contain_text("Nadia Newcomer")
    expect(row).to_contain_text("nadia@example.com")
    expect(row).to_contain_text(newcomer)
    expect(row).to_contain_text("Not connected")
    own = page.locator(f'#admin-users-body tr[data-uid="{connected["admin_uid"]}"]')
    expect(own.locator("button", has_text="Remove admin")).to_be_disabled()  # no locking oneself out
    assert all(value <= 0 for value in overflow(page).values()), overflow(page)
    shot(page, f"layout-admin-users-{width}")

    row.locator("button", has_text="Make admin").click()
    expect(page.locator("#admin-users-message")).to_contain_text("nadia@example.com is now an admin")
    expect(row.locator("[data-admin]")).to_have_text("Admin")
    token = auth_emulator.sign_in("nadia@example.com", PASSWORD)
    assert api_call(functions_url, "GET", "admin/status", token).status_code == 200

    page.wait_for_timeout(1100)  # revocation has a one-second grain
    row.locator("button", has_text="Remove admin").click()
    expect(page.locator("#admin-users-message")).to_contain_text("no longer an admin")
    expect(row.locator("[data-admin]")).to_have_text("User")
    assert api_call(functions_url, "GET", "admin/status", token).status_code == 401  # her old sign-in is over
    shot(page, f"layout-admin-users-removed-{width}")
    assert page.errors == []


def test_activity_types_with_accents_from_admin_to_user(connected, functions_url, pages_url, new_page) -> None:  # noqa: ANN001, F811
    admin = sized(new_page, "desktop")
    admin.goto(pages_url + "admin")
    sign_in(admin, ADMIN_EMAIL)
    expect(admin.locator("#admin-activity-types")).to_have_value("Call\nMeeting\nTask")
    admin.fill("#admin-activity-types", "Call\nRéunion\nGoogle/events")
    admin.click("#admin-activity-types-save")
    expect(admin.locator("#admin-activity-types-message")).to_have_text("Saved: Call, Réunion, Google/events.")

    user = sized(new_page, "phone")
    connect_in_browser(user, pages_url)
    for name, calendar in (("Réunion", LONG_CALENDAR), ("Google/events", "Calls")):
        row = user.locator("#links-body tr").filter(has=user.locator("th", has_text=re.compile("^" + re.escape(name))))
        row.locator("select[name=calendar]").select_option(label=calendar)
        row.locator("button", has_text="Save").click()
        expect(row).to_contain_text("Linked to " + calendar)
    user.reload()
    expect(user.locator("#links-body")).to_contain_text("Linked to Calls")
    shot(user, "layout-user-accented-types-phone")
    assert user.errors == [] and admin.errors == []
