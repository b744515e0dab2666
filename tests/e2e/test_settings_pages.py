"""The settings pages in a real browser, against the full local stack.

Chromium (Debian's, via Playwright) signs in on the Firebase Auth emulator, the pages call the
``api`` function, and Authorize and Connect goes through the sandbox's consent page and the
``oauth_callback`` function. Assertions are on what a user sees. A screenshot of each state is
saved under ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.e2e

playwright_api = pytest.importorskip("playwright.sync_api")
expect = playwright_api.expect

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"

CLIENT_ID = "123456789012-calbridgee2e.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-e2e-client-secret"
API_KEY = "AIzaSyE2E" + "x" * 30  # 39 characters starting with AIza, as Google's are
ADMIN_EMAIL = "admin@example.com"
USER_EMAIL = "user@example.com"
PASSWORD = "test-password"  # what the make_user fixture gives every user

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Chromium is missing: run scripts/setup --browser (Debian/Ubuntu: apt-get install chromium).")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def new_page(browser):
    """``new_page() -> Page`` in a fresh browser context (its own cookies and sign-in)."""
    contexts = []

    def create():
        context = browser.new_context(viewport={"width": 1200, "height": 800}, locale="en-US")
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.errors = []  # uncaught page errors, checked at the end of each test
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return page

    yield create
    for context in contexts:
        context.close()


@pytest.fixture
def pages_url(functions_url: str) -> str:
    return functions_url + "pages/"


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


# --------------------------------------------------------------------------- steps a user takes


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    expect(page.locator("#signin-section")).to_be_visible()
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#sign-in")
    expect(page.locator("#signed-in-as")).to_have_text(email)


def consent(page, email: str, decision: str = "allow") -> None:
    """On the sandbox's consent page: pick the account and allow or deny."""
    expect(page.locator("#title")).to_have_text("Choose an account")
    page.locator(f'[id="account-{email}"]').check()
    page.click(f"#{decision}")


def meeting_row(page):
    return page.locator('#links-body tr[data-type="Meeting"]')


def api_call(functions_url: str, method: str, path: str, token: str, body: object = None) -> requests.Response:
    return requests.request(
        method, functions_url + "api/" + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def configure_client_by_api(functions_url: str, admin_token: str) -> None:
    answer = api_call(
        functions_url,
        "PUT",
        "admin/settings",
        admin_token,
        {
            "api_key": API_KEY,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_url": functions_url + "oauth_callback",
        },
    )
    assert answer.status_code == 200, answer.text


# --------------------------------------------------------------------------- tests


def test_pages_are_shells_with_strict_headers(functions_url: str, pages_url: str, stack) -> None:
    page = requests.get(pages_url, timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    # Public configuration only: the API's address and the Firebase web config.
    assert f'"apiBase": "{functions_url}api/"' in page.text
    assert "CALBRIDGE_ENCRYPTION_KEY" not in page.text
    assert stack.environment()["CALBRIDGE_ENCRYPTION_KEY"] not in page.text

    hostile = requests.get(pages_url, params={"connect": "error", "reason": "<script>alert(1)</script>"}, timeout=10)
    assert "alert(1)" not in hostile.text  # an unknown reason is never shown, not even escaped
    assert "Connecting to Google failed. Please try again." in hostile.text

    assert requests.get(functions_url + "pages/admin", timeout=10).status_code == 200
    missing = requests.get(functions_url + "pages/nowhere", timeout=10)
    assert missing.status_code == 404 and "Page not found" in missing.text
    script = requests.get(functions_url + "pages/assets/app.js", timeout=10)
    assert script.status_code == 200 and script.headers["Content-Type"].startswith("text/javascript")
    assert requests.get(functions_url + "pages/assets/..%2Fpages.py", timeout=10).status_code == 404


def test_admin_configures_then_user_connects_and_links_a_calendar(
    functions_url, pages_url, sandbox, firestore_db, make_user, new_page
) -> None:
    sandbox.create_oauth_client(CLIENT_ID, CLIENT_SECRET, [functions_url + "oauth_callback"])
    sandbox.create_account(USER_EMAIL, "Una User")
    work = sandbox.create_calendar(USER_EMAIL, "Work", "Europe/Berlin")
    make_user(ADMIN_EMAIL, admin=True)
    make_user(USER_EMAIL)

    # --- the admin saves the Google client settings ------------------------------------------
    admin = new_page()
    admin.goto(pages_url + "admin")
    shot(admin, "admin-signed-out")
    sign_in(admin, ADMIN_EMAIL)
    expect(admin.locator("#admin-section")).to_be_visible()
    expect(admin.locator("#admin-expected-redirect-url")).to_have_text(functions_url + "oauth_callback")
    expect(admin.locator("#admin-redirect-url")).to_have_value(functions_url + "oauth_callback")
    expect(admin.locator("#admin-client-secret-state")).to_have_text("not set")
    shot(admin, "admin-not-configured")

    admin.fill("#admin-api-key", "not-a-key")
    admin.fill("#admin-client-id", CLIENT_ID)
    admin.fill("#admin-client-secret", "wrong-secret")
    admin.click("#admin-save")
    expect(admin.locator('[data-field-error="api_key"]')).to_contain_text("API key")
    expect(admin.locator("#admin-settings-message")).to_contain_text("not valid")
    shot(admin, "admin-field-error")

    admin.fill("#admin-api-key", API_KEY)
    admin.click("#admin-save")
    expect(admin.locator("#admin-settings-message")).to_contain_text("Google rejected the client")
    expect(admin.locator('[data-field-error="api_key"]')).to_be_empty()
    expect(admin.locator("#admin-client-secret-state")).to_have_text("not set")
    shot(admin, "admin-client-rejected")

    admin.fill("#admin-client-secret", CLIENT_SECRET)
    admin.click("#admin-save")
    expect(admin.locator("#admin-settings-message")).to_contain_text("Saved")
    expect(admin.locator("#admin-client-secret-state")).to_have_text("set")
    expect(admin.locator("#admin-client-secret")).to_have_value("")  # write-only: never shown back
    expect(admin.locator("#admin-client-id")).to_have_value(CLIENT_ID)
    shot(admin, "admin-saved")

    # ... and adds an activity type made for the purpose, as Calendar4You users do.
    expect(admin.locator("#admin-activity-types")).to_have_value("Call\nMeeting\nTask")
    admin.fill("#admin-activity-types", "Call\nMeeting\nTask\n" + "Google events " * 5)
    admin.click("#admin-activity-types-save")
    expect(admin.locator('[data-field-error="activity_types"]')).to_contain_text("too long")
    admin.fill("#admin-activity-types", "Call\nMeeting\nTask\nGoogle events")
    admin.click("#admin-activity-types-save")
    expect(admin.locator("#admin-activity-types-message")).to_have_text("Saved: Call, Meeting, Task, Google events.")
    expect(admin.locator('[data-field-error="activity_types"]')).to_be_empty()

    # --- the user signs in, connects Google and links Meeting to a calendar ---------------------
    user = new_page()
    user.goto(pages_url)
    shot(user, "user-signed-out")
    sign_in(user, USER_EMAIL)
    expect(user.locator("#connection-status")).to_have_text("Not connected")
    expect(user.locator("#connect")).to_have_text("Authorize and Connect")
    expect(user.locator("#disconnect")).to_be_hidden()
    expect(user.locator("#admin-link")).to_be_hidden()
    expect(meeting_row(user)).to_contain_text("Not linked")
    shot(user, "user-not-connected")

    user.click("#connect")
    user.wait_for_url(re.compile(r"/o/oauth2/v2/auth\?"))
    shot(user, "sandbox-consent")
    consent(user, USER_EMAIL, "allow")
    user.wait_for_url(re.compile(re.escape(pages_url)))
    expect(user.locator("#connect-banner")).to_contain_text("Google Calendar is connected")
    expect(user.locator("#connection-status")).to_contain_text("Connected")
    expect(user.locator("#connect")).to_have_text("Reconnect")
    expect(user.locator("#disconnect")).to_be_visible()
    shot(user, "user-connected")

    calendar = user.locator('select[data-type="Meeting"]')
    expect(calendar.locator("option", has_text="Work")).to_have_count(1)
    calendar.select_option(label="Work")
    user.check('input[data-type="Meeting"][name="export"]')
    user.check('input[data-type="Meeting"][name="import"]')
    user.click('button[data-save="Meeting"]')
    expect(meeting_row(user)).to_contain_text("Saved.")
    expect(meeting_row(user)).to_contain_text("Linked to Work")
    shot(user, "user-meeting-linked")

    # One calendar holds one activity type: the API's refusal shows in the row it concerns.
    user.locator('select[data-type="Call"]').select_option(label="Work")
    user.click('button[data-save="Call"]')
    call_row = user.locator('#links-body tr[data-type="Call"]')
    expect(call_row).to_contain_text("already used by your activity type 'Meeting'")
    expect(call_row).to_contain_text("Not linked")
    expect(user.locator('#links-body tr[data-type="Google events"]')).to_contain_text("Not linked")
    shot(user, "user-calendar-in-use")

    # What was saved is what the page shows after a reload.
    user.reload()
    expect(user.locator("#connection-status")).to_contain_text("Connected")
    expect(user.locator("#connect-banner")).to_have_count(0)  # the landing message is shown once
    expect(user.locator('select[data-type="Meeting"]')).to_have_value(work["id"])
    expect(user.locator('input[data-type="Meeting"][name="export"]')).to_be_checked()
    expect(user.locator('input[data-type="Meeting"][name="import"]')).to_be_checked()
    expect(user.locator('input[data-type="Meeting"][name="import_existing"]')).not_to_be_checked()
    expect(meeting_row(user)).to_contain_text("Linked to Work")
    expect(user.locator('#links-body tr[data-type="Call"]')).to_contain_text("Not linked")

    # The user is no admin: the admin page says so.
    user.goto(pages_url + "admin")
    expect(user.locator("#admins-only")).to_contain_text("admins only")
    expect(user.locator("#admin-section")).to_be_hidden()
    shot(user, "user-on-admin-page")

    # --- the admin sees the user's status -------------------------------------------------------
    admin.click("#admin-users-refresh")
    row = admin.locator("#admin-users-body tr", has_text=USER_EMAIL)
    expect(row).to_contain_text("Connected")
    expect(row).to_contain_text("Meeting → Work (export, import)")
    shot(admin, "admin-users-status")

    # An admin's own settings page links to the admin page.
    admin.click("#user-link")
    expect(admin.locator("#connection-status")).to_have_text("Not connected")
    expect(admin.locator("#admin-link")).to_be_visible()

    assert admin.errors == [] and user.errors == []


def test_denied_consent_and_revoked_access_are_explained(
    functions_url, pages_url, sandbox, firestore_db, make_user, new_page
) -> None:
    sandbox.create_oauth_client(CLIENT_ID, CLIENT_SECRET, [functions_url + "oauth_callback"])
    sandbox.create_account(USER_EMAIL, "Una User")
    _, admin_token = make_user(ADMIN_EMAIL, admin=True)
    make_user(USER_EMAIL)
    configure_client_by_api(functions_url, admin_token)

    user = new_page()
    user.goto(pages_url)
    sign_in(user, USER_EMAIL)

    # Denying on Google's page connects nothing, and the page says why.
    user.click("#connect")
    consent(user, USER_EMAIL, "deny")
    expect(user.locator("#connect-banner")).to_contain_text("Access was denied")
    expect(user.locator("#connection-status")).to_have_text("Not connected")
    shot(user, "user-consent-denied")

    user.click("#connect")
    consent(user, USER_EMAIL, "allow")
    expect(user.locator("#connect-banner")).to_contain_text("Google Calendar is connected")
    expect(user.locator("#connection-status")).to_contain_text("Connected")

    # The user revokes calbridge at Google; the next call to Google finds out.
    assert sandbox.revoke_grant(USER_EMAIL, CLIENT_ID) >= 1
    user.click("#refresh-calendars")
    expect(user.locator("#connection-status")).to_have_text("Reconnect needed")
    expect(user.locator("#connect-banner")).to_have_count(0)  # "connected" no longer holds
    expect(user.locator("#connection-detail")).to_contain_text("you must reconnect")
    expect(user.locator("#connect")).to_have_text("Reconnect")
    expect(user.locator("#links-note")).to_contain_text("paused")
    shot(user, "user-needs-reauth")

    # Reconnecting brings the connection back.
    user.click("#connect")
    consent(user, USER_EMAIL, "allow")
    expect(user.locator("#connect-banner")).to_contain_text("Google Calendar is connected")
    expect(user.locator("#connection-status")).to_contain_text("Connected")
    shot(user, "user-reconnected")

    # Disconnecting asks once more, then leaves the user disconnected.
    user.click("#disconnect")
    expect(user.locator("#disconnect-confirm-box")).to_contain_text("Stop syncing")
    shot(user, "user-disconnect-confirm")
    user.click("#disconnect-confirm")
    expect(user.locator("#connection-status")).to_have_text("Not connected")
    expect(user.locator("#connect")).to_have_text("Authorize and Connect")
    expect(user.locator("#disconnect")).to_be_hidden()
    shot(user, "user-disconnected")

    user.click("#sign-out")
    expect(user.locator("#signin-section")).to_be_visible()
    expect(user.locator("#app-section")).to_be_hidden()
    expect(user.locator("#signed-in-as")).to_be_hidden()

    assert user.errors == []
