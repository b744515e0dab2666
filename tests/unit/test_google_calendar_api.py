"""GoogleCalendarApi builds its requests for the configured base URL, from one shared discovery parse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.config import get_settings
from functions.core.models import GoogleClientSettings, GoogleSecrets
from functions.google.calendar_api import GoogleCalendarApi, discovery_document
from functions.google.calendar_port import PatchEvent
from functions.google.errors import InvalidClient, InvalidGrant
from functions.google.session import GoogleSession

BASE = "http://127.0.0.1:9/"


def session() -> GoogleSession:
    return GoogleSession.from_tokens(
        refresh_token="1//r", client_id="1-a.apps.googleusercontent.com", client_secret="s",
        token_uri=BASE + "token", access_token="ya29.x", expires_at=datetime.now(UTC) + timedelta(hours=1),
    )


def test_requests_go_to_the_configured_endpoint_and_batches_to_its_batch_path() -> None:
    api = GoogleCalendarApi(session(), BASE.rstrip("/"))
    request = api._events.list(calendarId="alice@example.com", maxResults=5)
    assert request.uri.startswith(BASE + "calendar/v3/calendars/alice%40example.com/events?")
    assert api.batch_uri == BASE + "batch/calendar/v3"


def test_a_patch_with_an_etag_sends_if_match() -> None:
    api = GoogleCalendarApi(session(), BASE)
    request = api._request_for(PatchEvent("primary", "evt00001", {"summary": "x"}, etag='"42"', send_updates="none"))
    assert (request.method, request.headers["If-Match"]) == ("PATCH", '"42"')
    assert request.uri == BASE + "calendar/v3/calendars/primary/events/evt00001?sendUpdates=none&alt=json"


def test_the_discovery_document_is_parsed_once_and_shared() -> None:
    first = GoogleCalendarApi(session(), BASE)
    second = GoogleCalendarApi(session(), BASE)
    assert discovery_document() is discovery_document()
    assert first.service._rootDesc is second.service._rootDesc is discovery_document()
    assert first._events.get(calendarId="c", eventId="e").uri == second._events.get(calendarId="c", eventId="e").uri


def test_a_session_keeps_the_configured_token_uri_and_a_naive_utc_expiry() -> None:
    s = session()
    assert s.credentials.token_uri == BASE + "token"
    assert s.credentials.expiry is not None and s.credentials.expiry.tzinfo is None
    assert s.token_set().expires_at.tzinfo is UTC


def test_a_session_from_stored_secrets_and_client_settings() -> None:
    client = GoogleClientSettings(client_id="1-a.apps.googleusercontent.com", client_secret="s", redirect_url="x")
    secrets = GoogleSecrets(refresh_token="1//r", access_token="ya29.x", access_token_expiry=datetime.now(UTC))
    s = GoogleSession.from_secrets(secrets, client)
    assert (s.credentials.token_uri, s.access_token) == (get_settings().oauth_token_url, "ya29.x")
    assert GoogleSession.from_secrets(secrets, client, token_uri=BASE + "token").credentials.token_uri == BASE + "token"
    with pytest.raises(InvalidGrant):
        GoogleSession.from_secrets(GoogleSecrets(refresh_token=None), client)
    with pytest.raises(InvalidClient):
        GoogleSession.from_secrets(secrets, GoogleClientSettings())
