"""A user's Google access token: reuse it while valid, refresh it when not.

``invalid_grant`` on refresh turns the user ``needs_reauth`` (with the error and when), which
stops their sync until they connect again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from functions.core.connection_rules import CLIENT_CHANGED, INVALID_GRANT, NO_REFRESH_TOKEN, is_client_change
from functions.core.models import CONNECTED, NEEDS_REAUTH, GoogleClientSettings
from functions.google.errors import AuthError, GoogleError, InvalidClient, InvalidGrant
from functions.services.errors import GoogleRefusedClient, GoogleUnavailable, NeedsReauth, NotConfigured, NotConnected
from functions.services.ports import Adapters, OAuthPort

log = logging.getLogger(__name__)

EXPIRY_MARGIN = timedelta(seconds=60)
T = TypeVar("T")


def needs_reauth_error(error: str | None, reason: str | None = None) -> NeedsReauth:
    if reason == CLIENT_CHANGED:
        message = (
            "calbridge now uses another Google OAuth client than the one you connected with; "
            "use Authorize and Connect again."
        )
    else:
        message = "Google no longer accepts calbridge's access to your calendar; use Authorize and Connect again."
    return NeedsReauth(message, {"error": error, "reason": reason})


class TokenService:
    def __init__(self, adapters: Adapters) -> None:
        self.stores = adapters.stores
        self.google = adapters.google
        self.now = adapters.now

    def client_settings(self) -> GoogleClientSettings:
        """The admin's saved client settings; NotConfigured if there are none."""
        client = self.stores.config.load_google_settings()
        if not client.configured:
            raise NotConfigured("The Google client settings are not saved yet; ask an admin to configure them.")
        return client

    def oauth_client(self) -> OAuthPort:
        """The OAuth client of the admin's saved settings; NotConfigured if there are none."""
        return self.google.oauth(self.client_settings())

    def access_token(self, uid: str, force_refresh: bool = False) -> str:
        """A valid access token for the user; NotConnected / NeedsReauth / GoogleUnavailable otherwise."""
        users = self.stores.users
        user = users.get_user(uid)
        if user is None or user.connection.status not in (CONNECTED, NEEDS_REAUTH):
            raise NotConnected("You have not connected a Google account yet.")
        if user.connection.status == NEEDS_REAUTH:
            raise needs_reauth_error(user.connection.error, user.connection.reauth_reason)
        now = self.now()
        secrets = users.get_secrets(uid)
        if secrets is None or not secrets.refresh_token:
            error = "no usable refresh token is stored"
            users.mark_needs_reauth(uid, error, NO_REFRESH_TOKEN, now)
            raise needs_reauth_error(error, NO_REFRESH_TOKEN)
        expiry = secrets.access_token_expiry
        if not force_refresh and secrets.access_token and expiry is not None and expiry > now + EXPIRY_MARGIN:
            return secrets.access_token
        settings = self.client_settings()
        try:
            tokens = self.google.oauth(settings).refresh(secrets.refresh_token, now)
        except InvalidGrant as exc:
            log.warning("refresh for %s refused (%s): user needs to reconnect", uid, exc.message)
            users.mark_needs_reauth(uid, exc.message, INVALID_GRANT, now)
            raise needs_reauth_error(exc.message, INVALID_GRANT) from exc
        except InvalidClient as exc:
            if is_client_change(user.connection.client_id, settings.client_id, exc.reason):
                error = (
                    f"{exc.message} (the grant was made with OAuth client "
                    f"{user.connection.client_id or 'another client'}; calbridge now uses {settings.client_id})"
                )
                log.warning("refresh for %s refused: the OAuth client changed; user needs to reconnect", uid)
                users.mark_needs_reauth(uid, error, CLIENT_CHANGED, now)
                raise needs_reauth_error(error, CLIENT_CHANGED) from exc
            raise GoogleRefusedClient(
                "Google refused calbridge's client settings; ask an admin to check them.", {"reason": exc.reason}
            ) from exc
        except GoogleError as exc:
            raise GoogleUnavailable(f"Could not refresh the Google access token: {exc.message}") from exc
        users.save_access_token(uid, tokens, secrets.refresh_token, now)
        return tokens.access_token

    def call_with_token(self, uid: str, call: Callable[[str], T]) -> T:
        """Run ``call(access_token)``; on a 401 refresh the token once and run it again."""
        token = self.access_token(uid)
        try:
            return call(token)
        except AuthError:
            log.info("access token of %s refused by Google; refreshing", uid)
        return call(self.access_token(uid, force_refresh=True))
