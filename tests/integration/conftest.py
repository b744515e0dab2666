"""Fixtures for the settings / connect integration tests: the API over real HTTP, a Google OAuth
client in the sandbox, an admin who saved the settings, and the consent flow driven by hand
(real redirects, followed one Location at a time)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from tests.support.consent import consent, query_of

CLIENT_ID = "123456789012-calbridgetest.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-integration-test-secret"
API_KEY = "AIza" + "SyCalbridgeIntegrationTestKey0000000"[:35]
USER_EMAIL = "user@example.com"


@dataclass
class Api:
    """The ``api`` function over HTTP."""

    base: str

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        session: requests.Session | None = None,
    ) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        sender = session or requests
        return sender.request(method, self.base + path.lstrip("/"), json=body, headers=headers, timeout=30)


@dataclass
class ConnectFlow:
    """Authorize and Connect as a browser does it, one redirect at a time."""

    api: Api

    def start(self, token: str, session: requests.Session | None = None) -> tuple[str, requests.Session]:
        """POST /connect in a browser-like session (it keeps the calbridge_connect cookie)."""
        session = session or requests.Session()
        answer = self.api.call("POST", "connect", token, {}, session=session)
        assert answer.status_code == 200, answer.text
        return answer.json()["authorize_url"], session

    def consent(self, authorize_url: str, email: str, decision: str = "allow") -> str:
        """The sandbox consent page: choose the account, allow or deny; the redirect back."""
        return consent(requests, authorize_url, email, decision)

    def land(self, session: requests.Session, callback_url: str) -> str:
        """Google's redirect reaches oauth_callback in the browser; where it sends the browser."""
        answer = session.get(callback_url, allow_redirects=False, timeout=30)
        assert answer.status_code == 302, answer.text
        return answer.headers["Location"]

    def connect(self, token: str, email: str) -> str:
        authorize_url, session = self.start(token)
        return self.land(session, self.consent(authorize_url, email))


@dataclass(frozen=True)
class SignedIn:
    uid: str
    token: str
    email: str


@pytest.fixture
def api(functions_url: str) -> Api:
    return Api(functions_url + "api/")


@pytest.fixture
def flow(api: Api) -> ConnectFlow:
    return ConnectFlow(api)


@pytest.fixture
def callback_url(functions_url: str) -> str:
    return functions_url + "oauth_callback"


@pytest.fixture
def google_client(sandbox: Any, callback_url: str) -> dict[str, str]:
    """A Google OAuth client registered in the sandbox with calbridge's callback URL."""
    sandbox.create_oauth_client(CLIENT_ID, CLIENT_SECRET, [callback_url])
    return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}


@pytest.fixture
def admin(firestore_db: Any, make_user: Callable[..., tuple[str, str]]) -> SignedIn:
    uid, token = make_user("admin@example.com", admin=True)
    return SignedIn(uid, token, "admin@example.com")


@pytest.fixture
def settings_body(callback_url: str) -> dict[str, str]:
    return {"api_key": API_KEY, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_url": callback_url}


@pytest.fixture
def configured(api: Api, admin: SignedIn, google_client: dict[str, str], settings_body: dict[str, str]) -> SignedIn:
    """The admin saved valid client settings; answers the admin."""
    answer = api.call("PUT", "admin/settings", admin.token, settings_body)
    assert answer.status_code == 200, answer.text
    return admin


@pytest.fixture
def user(firestore_db: Any, make_user: Callable[..., tuple[str, str]], sandbox: Any) -> SignedIn:
    """A signed-in user whose Google account has two calendars besides the primary one."""
    uid, token = make_user(USER_EMAIL)
    sandbox.create_account(USER_EMAIL, "Test User")
    sandbox.create_calendar(USER_EMAIL, "CRM Meetings", time_zone="Europe/Madrid")
    sandbox.create_calendar(USER_EMAIL, "CRM Calls", time_zone="Europe/Madrid")
    return SignedIn(uid, token, USER_EMAIL)


@pytest.fixture
def connected_user(configured: SignedIn, user: SignedIn, flow: ConnectFlow) -> SignedIn:
    location = flow.connect(user.token, user.email)
    assert query_of(location) == {"connect": "success"}, location
    return user


def calendar_ids(api: Api, user: SignedIn) -> dict[str, str]:
    """summary -> id of the user's calendars as calbridge last read them."""
    me = api.call("GET", "me", user.token).json()
    return {c["summary"]: c["id"] for c in me["calendars"]}


@pytest.fixture
def calendars_of(api: Api) -> Callable[[SignedIn], dict[str, str]]:
    return lambda signed_in: calendar_ids(api, signed_in)
