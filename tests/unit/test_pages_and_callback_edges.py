"""The landing banner shows only messages calbridge wrote; the OAuth callback's 405 says what is allowed."""

from __future__ import annotations

import functions_framework
import pytest

from functions.config import SETTINGS, get_settings


@pytest.fixture(autouse=True)
def local_env(monkeypatch: pytest.MonkeyPatch):
    for setting in SETTINGS:
        monkeypatch.delenv(setting.name, raising=False)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo-pages")
    monkeypatch.setenv("CALBRIDGE_PUBLIC_BASE_URL", "http://127.0.0.1:8080/")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def client(name: str):  # noqa: ANN201
    return functions_framework.create_app(target=name, source="main.py").test_client()


@pytest.mark.parametrize("reason", ["ANY TEXT", "Your account is locked: call +1 555 0100"])
def test_an_unknown_reason_is_never_echoed(reason: str) -> None:
    page = client("pages").get("/", query_string={"connect": "error", "reason": reason}).get_data(as_text=True)
    assert "Connecting to Google failed. Please try again." in page
    assert reason not in page
    assert 'data-reason="' not in page


def test_a_known_reason_shows_its_own_message() -> None:
    page = client("pages").get("/", query_string={"connect": "error", "reason": "access_denied"}).get_data(as_text=True)
    assert "Access was denied on Google" in page and 'data-reason="access_denied"' in page


def test_the_callback_405_has_an_allow_header() -> None:
    answer = client("oauth_callback").post("/")
    assert answer.status_code == 405 and answer.headers["Allow"] == "GET"
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_calendar_page_and_its_vendored_widget() -> None:
    pages = client("pages")
    page = pages.get("/calendar")
    assert page.status_code == 200
    csp = page.headers["Content-Security-Policy"]
    nonce = csp.split("'nonce-", 1)[1].split("'", 1)[0]
    assert f'<meta name="csp-nonce" content="{nonce}">' in page.get_data(as_text=True)
    assert "'unsafe-inline'" not in csp and "font-src data:" in csp
    assert '"activitiesBase": "http://127.0.0.1:8080/activities/"' in page.get_data(as_text=True)
    assert pages.get("/calendar/").status_code == 200
    assert pages.post("/calendar").status_code == 405
    widget = pages.get("/assets/vendor/fullcalendar.min.js")
    assert widget.status_code == 200 and widget.mimetype == "text/javascript"
    for name in ("vendor/../calendar.js", "vendor/fullcalendar.LICENSE.md", "other/calendar.js", "vendor/x.max.js"):
        assert pages.get("/assets/" + name).status_code == 404, name
    assert "csp-nonce" not in pages.get("/").get_data(as_text=True)  # only the calendar needs one
