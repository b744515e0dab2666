"""Backends for the Calendar port's contract suite: the sandbox over HTTP (a real process) and in-process.

A backend is the sandbox's control client plus the transports google-api-python-client and google-auth
use to reach it (None: the real ``httplib2.Http`` and google-auth's httplib2 transport, over sockets).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pytest

from devstack.stack import LocalStack
from functions.core.models import TokenSet
from functions.google.calendar_api import GoogleCalendarApi
from functions.google.retry import RetryPolicy
from functions.google.session import GoogleSession
from sandbox.control import SandboxControl
from sandbox.inprocess import InProcessSandbox

CLIENT_ID = "123456789012-contract0suite.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-contract-secret"
REDIRECT_URI = "http://127.0.0.1:9/oauth_callback"
ALICE = "alice@example.com"


@dataclass
class Backend:
    """Where the sandbox is and how the client libraries reach it."""

    base_url: str
    control: SandboxControl
    make_transport: Callable[[], Any] | None = None
    make_auth_request: Callable[[], Any] | None = None
    make_requests_session: Callable[[], Any] | None = None


@dataclass
class Connection:
    """One user's session and Calendar port, with the waits and refreshes recorded."""

    email: str
    session: GoogleSession
    api: GoogleCalendarApi
    sleeps: list[float] = field(default_factory=list)
    refreshed: list[TokenSet] = field(default_factory=list)


def connect(
    backend: Backend,
    email: str,
    tokens: dict[str, Any],
    *,
    expires_at: datetime | None = None,
    max_attempts: int = 5,
    batch_size: int = 1000,
) -> Connection:
    """A GoogleSession + GoogleCalendarApi as a service would build them, on this backend."""
    sleeps: list[float] = []
    refreshed: list[TokenSet] = []
    transport = backend.make_transport() if backend.make_transport else None
    session = GoogleSession.from_tokens(
        refresh_token=tokens["refresh_token"],
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        token_uri=backend.base_url + "token",
        access_token=tokens.get("access_token"),
        expires_at=expires_at,
        on_refresh=refreshed.append,
        transport=transport,
        auth_request=backend.make_auth_request() if backend.make_auth_request else None,
    )
    retry = RetryPolicy(max_attempts=max_attempts, sleep=sleeps.append)
    api = GoogleCalendarApi(session, backend.base_url, retry=retry, batch_size=batch_size)
    return Connection(email, session, api, sleeps, refreshed)


@pytest.fixture(scope="session")
def sandbox_url() -> Iterator[str]:
    """Only the sandbox process (no Java emulators): overrides the whole-stack fixture of tests/conftest.py."""
    stack = LocalStack(parts=("sandbox",)).start()
    try:
        yield stack.url("sandbox")
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def http_backend(sandbox_url: str) -> Backend:
    return Backend(sandbox_url, SandboxControl(sandbox_url))


@pytest.fixture(scope="session")
def inprocess_backend() -> Backend:
    sandbox = InProcessSandbox()
    return Backend(sandbox.base_url, sandbox.control(), sandbox.http, sandbox.auth_request, sandbox.requests_session)
