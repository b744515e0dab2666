"""Authorize and Connect: start (state + PKCE -> consent URL), callback (code -> tokens ->
calendar list), calendars refresh, disconnect (revoke, stop channels, clear secrets), and the
scheduled retries of revocations Google did not confirm."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from functions.core.connection_rules import REVOCATIONS_PER_RUN, next_revocation_attempt, revocation_id
from functions.core.link_rules import calendar_pause_changes
from functions.core.models import CONNECTED, CalendarEntry, Connection, Identity, Link, PendingRevocation, UserRecord
from functions.core.oauth_state_rules import (
    ACCESS_DENIED,
    EXCHANGE_FAILED,
    STATE_USER_MISMATCH,
    browser_matches,
    new_browser_nonce,
    new_oauth_state,
)
from functions.core.pkce import code_challenge_s256, new_code_verifier
from functions.core.poll_rules import next_poll_at
from functions.google.errors import GoogleError
from functions.services.calendar_access import CalendarAccess
from functions.services.channel_service import ChannelService
from functions.services.errors import DomainError, GoogleUnavailable
from functions.services.ports import Adapters
from functions.services.token_service import TokenService
from functions.store.errors import MissingDocument
from functions.store.ports import UnitOfWork

log = logging.getLogger(__name__)

LINK_RACE_ATTEMPTS = 3  # list-stage-commit rounds when links vanish meanwhile (each round sees fewer links)


@dataclass(frozen=True)
class ConnectStart:
    authorize_url: str
    browser_nonce: str  # goes into the calbridge_connect cookie


@dataclass(frozen=True)
class Disconnected:
    connection: Connection
    revoked: bool  # Google confirmed the grant is revoked
    revocation_pending: bool = False  # not confirmed: kept, and retried by the scheduled job


@dataclass
class RevocationRun:
    """What one run of the revocation retries did."""

    due: int = 0
    revoked: int = 0
    failed: int = 0
    dropped: int = 0


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
            settings = self.tokens.client_settings()
            tokens = self.google.oauth(settings).exchange_code(code, state.code_verifier, now)
        except (GoogleError, DomainError) as exc:
            log.warning("code exchange for %s failed: %s", state.uid, exc)
            return EXCHANGE_FAILED
        if not tokens.refresh_token:
            log.warning("code exchange for %s gave no refresh token", state.uid)
            return EXCHANGE_FAILED
        calendars: list[CalendarEntry] | None
        calendars_error: str | None = None
        try:
            calendars = self.google.calendar_api_for_tokens(tokens, settings).list_calendars()
        except (GoogleError, DomainError) as exc:
            log.warning("calendar list of %s could not be read after connecting: %s", state.uid, exc)
            calendars = None
            calendars_error = f"Google did not give calbridge your calendar list: {exc.message}"
        google_email = primary_email(calendars or [])
        stores = self.stores
        # Google revokes a whole grant (account x client): revoking an old token of the account
        # just reconnected would end the new connection too, so those retries stop here.
        superseded = [
            r.id
            for r in stores.revocations.list_pending(state.uid)
            if google_email and r.google_email == google_email and r.client_id == settings.client_id
        ]

        def stage(uow: UnitOfWork, links: list[Link]) -> None:
            stores.users.stage_connection(
                uow, state.uid, tokens, calendars, google_email, settings.client_id, now, calendars_error
            )
            if calendars is not None:
                changes = calendar_pause_changes(links, calendars)
                stores.links.stage_paused(uow, state.uid, changes, now, paused_polls(links, changes, now))
            stores.revocations.stage_deleted(uow, state.uid, superseded)

        self._commit_over_links(state.uid, stage)
        self.channels.watch_links(state.uid)  # push channels for the links with import on (never fails this)
        self.channels.unpark_links(state.uid)  # parked while disconnected or needing reauth: due again
        return None

    def refresh_calendars(self, identity: Identity) -> list[CalendarEntry]:
        """Read the user's calendar list from Google again (refreshing the token when needed);
        links whose calendar is missing are paused, those whose calendar is back resume."""
        try:
            with self.access.calendar(identity.uid) as api:
                calendars = api.list_calendars()
        except GoogleError as exc:
            raise GoogleUnavailable(f"Could not read your calendar list from Google: {exc.message}") from exc
        now = self.now()
        stores = self.stores

        def stage(uow: UnitOfWork, links: list[Link]) -> None:
            stores.users.stage_calendars(uow, identity.uid, calendars, primary_email(calendars), now)
            changes = calendar_pause_changes(links, calendars)
            stores.links.stage_paused(uow, identity.uid, changes, now, paused_polls(links, changes, now))

        self._commit_over_links(identity.uid, stage)
        return calendars

    def _commit_over_links(self, uid: str, stage: Callable[[UnitOfWork, list[Link]], None]) -> None:
        """Stage and commit writes that name the user's links as listed now. A link unlinked between the list
        and the commit makes the commit refuse (MissingDocument, nothing applied): list and stage again
        without it, so the vanished link is simply left alone (at most ``LINK_RACE_ATTEMPTS`` times)."""
        for attempt in range(1, LINK_RACE_ATTEMPTS + 1):
            links = self.stores.links.list_links(uid)
            uow = self.stores.unit_of_work()
            stage(uow, links)
            try:
                uow.commit()
                return
            except MissingDocument:
                if attempt == LINK_RACE_ATTEMPTS:
                    raise
                log.info("a link of %s was removed while its pause was written; staging again", uid)

    def retry_failed_calendar_read(self, identity: Identity, user: UserRecord) -> UserRecord:
        """If the last read of the calendar list failed, try once more (``GET /me`` calls this, so
        the page shows the list as soon as Google answers); the user record as it is then."""
        if user.calendars_error is None or user.connection.status != CONNECTED:
            return user
        try:
            self.refresh_calendars(identity)
        except DomainError as exc:
            log.info("calendar list of %s still cannot be read: %s", identity.uid, exc.message)
        return self.stores.users.get_user(identity.uid) or user

    def disconnect(self, identity: Identity) -> Disconnected:
        """Revoke at Google, stop push channels, clear secrets and sync tokens; links stay. If Google
        does not confirm the revocation, the token is kept (encrypted) for the scheduled retries."""
        uid = identity.uid
        now = self.now()
        stores = self.stores
        user = stores.users.ensure_user(identity, now)
        links = stores.links.list_links(uid)
        secrets = stores.users.get_secrets(uid)
        if secrets is not None:
            channel_ids = self.channels.stop_channels(uid, links)
        else:
            channel_ids = [lk.channel_id for lk in links if lk.channel_id]
        revoked = False
        pending: PendingRevocation | None = None
        if secrets is not None and secrets.refresh_token:
            error = self._revoke(uid, secrets.refresh_token)
            revoked = error is None
            if error is not None:
                pending = PendingRevocation(
                    id=revocation_id(secrets.refresh_token),
                    uid=uid,
                    refresh_token=secrets.refresh_token,
                    created_at=now,
                    next_attempt_at=next_revocation_attempt(1, now),
                    attempts=1,
                    last_attempt_at=now,
                    last_error=error,
                    google_email=user.connection.google_email,
                    client_id=user.connection.client_id,
                )

        def stage(uow: UnitOfWork, current: list[Link]) -> None:
            stores.users.stage_disconnected(uow, uid, now)
            parked = {lk.activity_type: None for lk in current}  # nothing to import until the user connects again
            stores.links.stage_sync_cleared(uow, uid, [lk.activity_type for lk in current], now, parked)
            stores.channels.stage_deleted(uow, channel_ids)
            if pending is not None:
                stores.revocations.stage_pending(uow, pending)

        self._commit_over_links(uid, stage)
        user_after = stores.users.get_user(uid)
        return Disconnected(user_after.connection if user_after else Connection(), revoked, pending is not None)

    def retry_revocations(self, limit: int = REVOCATIONS_PER_RUN) -> RevocationRun:
        """The scheduled job: try again every pending revocation whose next attempt is due (at most
        ``limit``). Done when Google confirms, or answers that the token is already invalid."""
        now = self.now()
        run = RevocationRun()
        for pending in self.stores.revocations.list_due(now, limit):
            run.due += 1
            if not pending.refresh_token:
                log.error("pending revocation %s of %s does not decrypt; dropped", pending.id, pending.uid)
                self.stores.revocations.delete(pending.uid, pending.id)
                run.dropped += 1
                continue
            error = self._revoke(pending.uid, pending.refresh_token)
            if error is None:
                self.stores.revocations.delete(pending.uid, pending.id)
                run.revoked += 1
                continue
            attempts = pending.attempts + 1
            try:
                self.stores.revocations.record_failed_attempt(
                    pending.uid, pending.id, attempts, error, now, next_revocation_attempt(attempts, now)
                )
            except MissingDocument:
                pass  # superseded by a reconnect meanwhile
            run.failed += 1
        return run

    def _revoke(self, uid: str, refresh_token: str) -> str | None:
        """None when the grant is gone at Google, else why it could not be confirmed."""
        try:
            self.tokens.oauth_client().revoke(refresh_token)  # False only if Google had dropped it: gone anyway
            return None
        except (GoogleError, DomainError) as exc:
            log.warning("revoking the Google grant of %s failed: %s", uid, exc)
            return exc.message


def paused_polls(links: list[Link], changes: Mapping[str, str | None], now: datetime) -> dict[str, datetime | None]:
    """The ``next_poll_at`` of each link whose pause changes: None when paused, the poll rule's when it resumes."""
    by_type = {lk.activity_type: lk for lk in links}
    return {activity_type: next_poll_at(replace(by_type[activity_type], paused_reason=reason), now)
            for activity_type, reason in changes.items() if activity_type in by_type}


def primary_email(calendars: list[CalendarEntry]) -> str | None:
    """The Google account: the id of its primary calendar."""
    return next((c.id for c in calendars if c.primary), None)
