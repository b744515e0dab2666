"""Authorize and Connect: start (state + PKCE -> consent URL), callback (code -> tokens ->
calendar list), calendars refresh, disconnect (revoke, stop channels, clear secrets)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

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
from functions.google.errors import GoogleError
from functions.services.calendar_access import CalendarAccess, configured_client
from functions.services.channel_service import ChannelService
from functions.services.errors import DomainError, GoogleUnavailable
from functions.services.ports import Adapters
from functions.services.token_service import TokenService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectStart:
    authorize_url: str
    browser_nonce: str  # goes into the calbridge_connect cookie


@dataclass(frozen=True)
class Disconnected:
    connection: Connection
    revoked: bool  # Google confirmed the grant is revoked


class ConnectService:
    def __init__(
        self, adapters: Adapters, tokens: TokenService, access: CalendarAccess, channels: ChannelService
    ) -> None:
        self.stores = adapters.stores
        self.google = adapters.google
        self.now = adapters.now
        self.tokens = tokens
        self.access = access
        self.channels = channels

    def start(self, identity: Identity) -> ConnectStart:
        """A single-use, short-lived state bound to the user (and, by the nonce, their browser)."""
        client = self.tokens.oauth_client()  # NotConfigured before anything is written
        now = self.now()
        self.stores.users.ensure_user(identity, now)
        verifier = new_code_verifier()
        nonce = new_browser_nonce()
        state = new_oauth_state(identity.uid, verifier, nonce, now)
        self.stores.oauth_states.create_state(state)
        return ConnectStart(client.authorize_url(state.state, code_challenge_s256(verifier)), nonce)

    def finish(self, params: Mapping[str, str], browser_nonce: str | None) -> str | None:
        """Handle Google's redirect; None on success, else the reason code the page shows."""
        now = self.now()
        state, refusal = self.stores.oauth_states.consume_state(params.get("state", ""), now)
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
            tokens = self.tokens.oauth_client().exchange_code(code, state.code_verifier, now)
        except (GoogleError, DomainError) as exc:
            log.warning("code exchange for %s failed: %s", state.uid, exc)
            return EXCHANGE_FAILED
        if not tokens.refresh_token:
            log.warning("code exchange for %s gave no refresh token", state.uid)
            return EXCHANGE_FAILED
        calendars: list[CalendarEntry] | None
        try:
            client = configured_client(self.stores)
            calendars = self.google.calendar_api_for_tokens(tokens, client).list_calendars()
        except (GoogleError, DomainError) as exc:
            log.warning("calendar list of %s could not be read after connecting: %s", state.uid, exc)
            calendars = None
        google_email = next((c.id for c in calendars or [] if c.primary), None)
        self.stores.users.save_connection(state.uid, tokens, calendars, google_email, now)
        return None

    def refresh_calendars(self, identity: Identity) -> list[CalendarEntry]:
        """Read the user's calendar list from Google again (refreshing the token when needed)."""
        try:
            with self.access.calendar(identity.uid) as api:
                calendars = api.list_calendars()
        except GoogleError as exc:
            raise GoogleUnavailable(f"Could not read your calendar list from Google: {exc.message}") from exc
        self.stores.users.save_calendars(identity.uid, calendars, self.now())
        return calendars

    def disconnect(self, identity: Identity) -> Disconnected:
        """Revoke at Google, stop push channels, clear secrets and sync tokens; links stay."""
        uid = identity.uid
        now = self.now()
        stores = self.stores
        stores.users.ensure_user(identity, now)
        links = stores.links.list_links(uid)
        secrets = stores.users.get_secrets(uid)
        if secrets is not None:
            channel_ids = self.channels.stop_channels(uid, links)
        else:
            channel_ids = [lk.channel_id for lk in links if lk.channel_id]
        revoked = False
        if secrets is not None and secrets.refresh_token:
            revoked = self._revoke(uid, secrets.refresh_token)
        uow = stores.unit_of_work()
        stores.users.stage_disconnected(uow, uid, now)
        stores.links.stage_sync_cleared(uow, uid, [lk.activity_type for lk in links], now)
        stores.channels.stage_deleted(uow, channel_ids)
        uow.commit()
        user = stores.users.get_user(uid)
        return Disconnected(user.connection if user else Connection(), revoked)

    def _revoke(self, uid: str, refresh_token: str) -> bool:
        try:
            self.tokens.oauth_client().revoke(refresh_token)  # False only if Google had dropped it: gone anyway
            return True
        except (GoogleError, DomainError) as exc:
            log.warning("revoking the Google grant of %s failed: %s", uid, exc)
            return False
