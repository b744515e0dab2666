"""One user's Google Calendar for one run: the tokens read once, refreshed once on a 401, the
refreshed token saved; Google's refusals of the grant or the client turned into domain errors.

    with access.calendar(uid) as api:
        api.list_calendars()

``invalid_grant`` marks the user ``needs_reauth`` (their sync stops until they reconnect).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import NoReturn

from functions.core.connection_rules import CLIENT_CHANGED, INVALID_GRANT, NO_REFRESH_TOKEN, is_client_change
from functions.core.models import CONNECTED, NEEDS_REAUTH, GoogleClientSettings, TokenSet
from functions.google.calendar_port import CalendarApi
from functions.google.errors import InvalidClient, InvalidGrant
from functions.services.errors import GoogleRefusedClient, NeedsReauth, NotConfigured, NotConnected
from functions.services.ports import Adapters
from functions.store.ports import Stores

log = logging.getLogger(__name__)


def needs_reauth_error(error: str | None, reason: str | None = None) -> NeedsReauth:
    if reason == CLIENT_CHANGED:
        message = (
            "calbridge now uses another Google OAuth client than the one you connected with; "
            "use Authorize and Connect again."
        )
    else:
        message = "Google no longer accepts calbridge's access to your calendar; use Authorize and Connect again."
    return NeedsReauth(message, {"error": error, "reason": reason})


def configured_client(stores: Stores) -> GoogleClientSettings:
    """The admin's saved client settings; NotConfigured if there are none yet."""
    client = stores.config.load_google_settings()
    if not client.configured:
        raise NotConfigured("The Google client settings are not saved yet; ask an admin to configure them.")
    return client


class CalendarAccess:
    def __init__(self, adapters: Adapters) -> None:
        self.stores = adapters.stores
        self.google = adapters.google
        self.now = adapters.now
        self.on_needs_reauth: list[Callable[[str], None]] = []  # e.g. ChannelService.forget_user

    def _mark_needs_reauth(self, uid: str, error: str, reason: str) -> None:
        self.stores.users.mark_needs_reauth(uid, error, reason, self.now())
        for hook in self.on_needs_reauth:
            try:
                hook(uid)
            except Exception:  # noqa: BLE001 - a hook's failure never hides the refusal itself
                log.exception("needs_reauth hook for %s failed", uid)

    def open(self, uid: str) -> CalendarApi:
        """The user's Calendar port; NotConnected, NeedsReauth or NotConfigured when there can be none."""
        users = self.stores.users
        user = users.get_user(uid)
        if user is None or user.connection.status not in (CONNECTED, NEEDS_REAUTH):
            raise NotConnected("You have not connected a Google account yet.")
        if user.connection.status == NEEDS_REAUTH:
            raise needs_reauth_error(user.connection.error, user.connection.reauth_reason)
        client = configured_client(self.stores)
        secrets = users.get_secrets(uid)
        if secrets is None or not secrets.refresh_token:
            error = "no usable refresh token is stored"
            self._mark_needs_reauth(uid, error, NO_REFRESH_TOKEN)
            raise needs_reauth_error(error, NO_REFRESH_TOKEN)
        refresh_token = secrets.refresh_token

        def saved(tokens: TokenSet) -> None:
            users.save_access_token(uid, tokens, refresh_token, self.now())

        return self.google.calendar_api(secrets, client, on_refresh=saved)

    @contextmanager
    def calendar(self, uid: str) -> Iterator[CalendarApi]:
        """The user's Calendar port for a block of calls; a refused grant or client inside it is typed:
        ``invalid_grant`` -> needs_reauth; ``invalid_client`` / ``unauthorized_client`` -> needs_reauth
        ``client_changed`` when the user connected with another client than the admin's current one,
        else GoogleRefusedClient (the admin's settings are wrong)."""
        api = self.open(uid)
        with self.guard(uid):
            yield api

    @contextmanager
    def guard(self, uid: str) -> Iterator[None]:
        """Calls with a port already open (e.g. reused for a whole export run): refusals typed as in ``calendar``."""
        try:
            yield
        except InvalidGrant as exc:
            log.warning("Google refused the grant of %s (%s): user needs to reconnect", uid, exc.message)
            self._mark_needs_reauth(uid, exc.message, INVALID_GRANT)
            raise needs_reauth_error(exc.message, INVALID_GRANT) from exc
        except InvalidClient as exc:
            self._client_refused(uid, exc)

    def _client_refused(self, uid: str, exc: InvalidClient) -> NoReturn:
        user = self.stores.users.get_user(uid)
        saved = user.connection.client_id if user else None
        current = self.stores.config.load_google_settings().client_id
        if is_client_change(saved, current, exc.reason):
            error = (
                f"{exc.message} (the grant was made with OAuth client {saved or 'another client'}; "
                f"calbridge now uses {current})"
            )
            log.warning("refresh for %s refused: the OAuth client changed; user needs to reconnect", uid)
            self._mark_needs_reauth(uid, error, CLIENT_CHANGED)
            raise needs_reauth_error(error, CLIENT_CHANGED) from exc
        raise GoogleRefusedClient(
            "Google refused calbridge's client settings; ask an admin to check them.", {"reason": exc.reason}
        ) from exc
