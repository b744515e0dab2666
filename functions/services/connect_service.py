"""Authorize and Connect: start (state + PKCE -> consent URL), callback (code -> tokens ->
calendar list), calendars refresh, disconnect (revoke, stop channels, clear secrets)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from functions.core import clock
from functions.core.models import CalendarEntry, Connection, Identity
from functions.core.oauth_state_rules import (
    ACCESS_DENIED,
    EXCHANGE_FAILED,
    STATE_USER_MISMATCH,
    browser_matches,
    new_browser_nonce,
    new_oauth_state,
)
from functions.core.pkce import code_challenge_s256, new_code_verifier
from functions.core.views import connection_view
from functions.google.errors import GoogleError
from functions.services import channel_service, token_service
from functions.services.errors import GoogleUnavailable, ServiceError
from functions.services.google_clients import calendar_client, oauth_client
from functions.store import link_store, oauth_state_store, user_store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectStart:
    authorize_url: str
    browser_nonce: str  # goes into the calbridge_connect cookie


def start(identity: Identity) -> ConnectStart:
    """A single-use, short-lived state bound to the user (and, by the nonce, their browser)."""
    client = oauth_client()  # NotConfigured before anything is written
    now = clock.now()
    user_store.ensure_user(identity, now)
    verifier = new_code_verifier()
    nonce = new_browser_nonce()
    state = new_oauth_state(identity.uid, verifier, nonce, now)
    oauth_state_store.create_state(state)
    return ConnectStart(client.authorize_url(state.state, code_challenge_s256(verifier)), nonce)


def finish(params: Mapping[str, str], browser_nonce: str | None) -> str | None:
    """Handle Google's redirect; None on success, else the reason code the page shows."""
    now = clock.now()
    state, refusal = oauth_state_store.consume_state(params.get("state", ""), now)
    if refusal is not None or state is None:
        return refusal
    if not browser_matches(state, browser_nonce):
        log.warning("oauth state of %s landed in another browser", state.uid)
        return STATE_USER_MISMATCH
    error = params.get("error")
    if error:
        return ACCESS_DENIED if error == ACCESS_DENIED else EXCHANGE_FAILED
    code = params.get("code")
    if not code:
        return EXCHANGE_FAILED
    try:
        client = oauth_client()
        tokens = client.exchange_code(code, state.code_verifier, now)
    except (GoogleError, ServiceError) as exc:
        log.warning("code exchange for %s failed: %s", state.uid, exc)
        return EXCHANGE_FAILED
    if not tokens.refresh_token:
        log.warning("code exchange for %s gave no refresh token", state.uid)
        return EXCHANGE_FAILED
    calendars: list[CalendarEntry] | None
    try:
        calendars = calendar_client(tokens.access_token).list_calendars()
    except GoogleError as exc:
        log.warning("calendar list of %s could not be read after connecting: %s", state.uid, exc)
        calendars = None
    google_email = next((c.id for c in calendars or [] if c.primary), None)
    user_store.save_connection(state.uid, tokens, calendars, google_email, now)
    return None


def refresh_calendars(identity: Identity) -> list[CalendarEntry]:
    """Read the user's calendar list from Google again (refreshing the token when needed)."""
    try:
        calendars = token_service.call_with_token(identity.uid, lambda token: calendar_client(token).list_calendars())
    except GoogleError as exc:
        raise GoogleUnavailable(f"Could not read your calendar list from Google: {exc.message}") from exc
    user_store.save_calendars(identity.uid, calendars, clock.now())
    return calendars


def disconnect(identity: Identity) -> tuple[Connection, bool]:
    """Revoke at Google, stop push channels, clear secrets and sync tokens; links stay.

    Answers the new connection and whether Google confirmed the revocation.
    """
    uid = identity.uid
    now = clock.now()
    user_store.ensure_user(identity, now)
    links = link_store.list_links(uid)
    secrets = user_store.get_secrets(uid)
    if secrets is not None:
        channel_ids = channel_service.stop_channels(uid, links)
    else:
        channel_ids = [lk.channel_id for lk in links if lk.channel_id]
    revoked = False
    if secrets is not None and secrets.refresh_token:
        revoked = _revoke(uid, secrets.refresh_token)
    user_store.clear_connection(uid, [lk.activity_type for lk in links], channel_ids, now)
    user = user_store.get_user(uid)
    return (user.connection if user else Connection()), revoked


def _revoke(uid: str, refresh_token: str) -> bool:
    try:
        oauth_client().revoke(refresh_token)  # False only if Google had dropped it already: gone either way
        return True
    except (GoogleError, ServiceError) as exc:
        log.warning("revoking the Google grant of %s failed: %s", uid, exc)
        return False


def connection_answer(connection: Connection, revoked: bool) -> dict[str, Any]:
    return {"connection": connection_view(connection), "revoked": revoked}
