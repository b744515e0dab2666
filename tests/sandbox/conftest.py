"""Fixtures for the sandbox's own suite.

``sandbox_url`` is overridden here to start only the sandbox (through devstack's
``LocalStack(parts=("sandbox",))``), so this suite needs no Java emulators and stays fast.
The ``sandbox`` fixture (control client after a reset) comes from ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from devstack.stack import LocalStack
from sandbox.control import SandboxControl

from .discovery_schema import check_response

CLIENT_ID = "123456789012-abc123def456.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-sandbox-secret"
REDIRECT_URI = "http://127.0.0.1:9/oauth/callback"
ALICE = "alice@example.com"
BOB = "bob@example.com"


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    stack = LocalStack(parts=("sandbox",)).start()
    try:
        yield stack.url("sandbox")
    finally:
        stack.stop()


class Api:
    """A thin Calendar v3 client over requests that validates every answer against the
    discovery document (success bodies against the method's response schema, errors
    against Google's error shape)."""

    def __init__(self, base_url: str, token: str | None) -> None:
        self.base = base_url
        self.token = token
        self.session = requests.Session()

    def call(
        self,
        method_id: str,
        http_method: str,
        path: str,
        params: dict[str, Any] | None = None,
        json: Any = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> requests.Response:
        hdrs = dict(headers or {})
        tok = token if token is not None else self.token
        if tok:
            hdrs["Authorization"] = "Bearer " + tok
        resp = self.session.request(
            http_method,
            self.base + "calendar/v3/" + path.lstrip("/"),
            params=params,
            json=json,
            headers=hdrs,
            timeout=10,
        )
        check_response(method_id, resp.status_code, resp.content)
        return resp

    # shorthands
    def list(self, cal: str = "primary", **params: Any) -> requests.Response:
        return self.call("calendar.events.list", "GET", f"calendars/{cal}/events", params=params)

    def insert(self, body: dict[str, Any], cal: str = "primary", **params: Any) -> requests.Response:
        return self.call("calendar.events.insert", "POST", f"calendars/{cal}/events", params=params, json=body)

    def get(self, eid: str, cal: str = "primary", **params: Any) -> requests.Response:
        return self.call("calendar.events.get", "GET", f"calendars/{cal}/events/{eid}", params=params)

    def patch(self, eid: str, body: dict[str, Any], cal: str = "primary", headers: Any = None) -> requests.Response:
        return self.call("calendar.events.patch", "PATCH", f"calendars/{cal}/events/{eid}", json=body, headers=headers)

    def update(self, eid: str, body: dict[str, Any], cal: str = "primary", headers: Any = None) -> requests.Response:
        return self.call("calendar.events.update", "PUT", f"calendars/{cal}/events/{eid}", json=body, headers=headers)

    def delete(self, eid: str, cal: str = "primary", headers: Any = None) -> requests.Response:
        return self.call("calendar.events.delete", "DELETE", f"calendars/{cal}/events/{eid}", headers=headers)

    def list_all(self, cal: str = "primary", **params: Any) -> tuple[list[dict[str, Any]], str | None]:
        """Follow nextPageToken; return (items, nextSyncToken)."""
        items: list[dict[str, Any]] = []
        page: str | None = None
        while True:
            p = dict(params)
            if page:
                p["pageToken"] = page
            resp = self.list(cal, **p)
            assert resp.status_code == 200, resp.text
            body = resp.json()
            items += body["items"]
            assert not ("nextPageToken" in body and "nextSyncToken" in body)
            page = body.get("nextPageToken")
            if not page:
                return items, body.get("nextSyncToken")


@pytest.fixture
def oauth_client(sandbox: SandboxControl) -> dict[str, Any]:
    return sandbox.create_oauth_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])


@pytest.fixture
def alice(sandbox: SandboxControl, oauth_client: dict[str, Any]) -> dict[str, Any]:
    sandbox.create_account(ALICE, "Alice")
    return sandbox.issue_access_token(ALICE, CLIENT_ID)


@pytest.fixture
def api(sandbox_url: str, alice: dict[str, Any]) -> Api:
    return Api(sandbox_url, alice["access_token"])


def timed(start: str, end: str, tz: str | None = None, **extra: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"dateTime": start}
    e: dict[str, Any] = {"dateTime": end}
    if tz:
        s["timeZone"] = tz
        e["timeZone"] = tz
    return {"start": s, "end": e, **extra}
