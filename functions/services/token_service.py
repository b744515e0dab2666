"""A user's Google access token: reuse it while valid, refresh it when not.

``invalid_grant`` on refresh turns the user ``needs_reauth`` (with the error and when), which
stops their sync until they connect again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from functions.core import clock
from functions.core.models import CONNECTED, NEEDS_REAUTH
from functions.google.errors import AuthError, GoogleError, InvalidClient, InvalidGrant
from functions.services.errors import GoogleUnavailable, NeedsReauth, NotConnected, ServiceError
from functions.services.google_clients import oauth_client
from functions.store import user_store

log = logging.getLogger(__name__)

EXPIRY_MARGIN = timedelta(seconds=60)
T = TypeVar("T")


def _needs_reauth_error(error: str | None) -> NeedsReauth:
    return NeedsReauth(
        "Google no longer accepts calbridge's access to your calendar; use Authorize and Connect again.",
        {"error": error},
    )


def access_token(uid: str, force_refresh: bool = False) -> str:
    """A valid access token for the user; NotConnected / NeedsReauth / GoogleUnavailable otherwise."""
    user = user_store.get_user(uid)
    if user is None or user.connection.status not in (CONNECTED, NEEDS_REAUTH):
        raise NotConnected("You have not connected a Google account yet.")
    if user.connection.status == NEEDS_REAUTH:
        raise _needs_reauth_error(user.connection.error)
    now = clock.now()
    secrets = user_store.get_secrets(uid)
    if secrets is None or not secrets.refresh_token:
        error = "no usable refresh token is stored"
        user_store.mark_needs_reauth(uid, error, now)
        raise _needs_reauth_error(error)
    expiry = secrets.access_token_expiry
    if not force_refresh and secrets.access_token and expiry is not None and expiry > now + EXPIRY_MARGIN:
        return secrets.access_token
    client = oauth_client()
    try:
        tokens = client.refresh(secrets.refresh_token, now)
    except InvalidGrant as exc:
        error = exc.message
        log.warning("refresh for %s refused (%s): user needs to reconnect", uid, error)
        user_store.mark_needs_reauth(uid, error, now)
        raise _needs_reauth_error(error) from exc
    except InvalidClient as exc:
        raise ServiceError(
            "Google refused calbridge's client settings; ask an admin to check them.",
            {"reason": exc.reason},
            status=502,
            code="client_rejected",
        ) from exc
    except GoogleError as exc:
        raise GoogleUnavailable(f"Could not refresh the Google access token: {exc.message}") from exc
    user_store.save_access_token(uid, tokens, secrets.refresh_token, now)
    return tokens.access_token


def call_with_token(uid: str, call: Callable[[str], T]) -> T:
    """Run ``call(access_token)``; on a 401 refresh the token once and run it again."""
    token = access_token(uid)
    try:
        return call(token)
    except AuthError:
        log.info("access token of %s refused by Google; refreshing", uid)
    return call(access_token(uid, force_refresh=True))
