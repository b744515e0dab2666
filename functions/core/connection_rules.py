"""Rules of a Google connection's failure paths: why a user must reconnect, and when to retry a
revocation Google has not confirmed. Pure: no I/O."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

# connection.reauth_reason: why the user is needs_reauth
INVALID_GRANT = "invalid_grant"  # Google refused the grant (revoked, expired)
CLIENT_CHANGED = "client_changed"  # the admin switched to another OAuth client since the user connected
NO_REFRESH_TOKEN = "no_refresh_token"  # calbridge holds no usable refresh token
REAUTH_REASONS = (INVALID_GRANT, CLIENT_CHANGED, NO_REFRESH_TOKEN)

# Revocation retries: 15 min after the failed attempt, then doubling, at most a day apart; never given up.
REVOCATION_FIRST_DELAY = timedelta(minutes=15)
REVOCATION_MAX_DELAY = timedelta(hours=24)
REVOCATIONS_PER_RUN = 50


def is_client_change(saved_client_id: str | None, current_client_id: str, oauth_error: str | None) -> bool:
    """Whether Google refusing a refresh (``invalid_client`` / ``unauthorized_client``) means the
    user's grant belongs to another OAuth client than the admin's current one (so only the user
    reconnecting helps), rather than the current client's settings being wrong (an admin matter).

    The client a connection was made with is recorded since issue 14; for older connections,
    ``unauthorized_client`` (the token was issued to another client) says it on its own.
    """
    if saved_client_id:
        return saved_client_id != current_client_id
    return oauth_error == "unauthorized_client"


def revocation_id(refresh_token: str) -> str:
    """A stable document id for a pending revocation of this token (a hash: never the token)."""
    return "pending_revocation_" + hashlib.sha256(refresh_token.encode()).hexdigest()[:32]


def next_revocation_attempt(attempts: int, now: datetime) -> datetime:
    """When to try again after ``attempts`` failed attempts (exponential backoff, capped)."""
    exponent = max(attempts - 1, 0)
    delay = REVOCATION_FIRST_DELAY * (2 ** min(exponent, 16))
    return now + min(delay, REVOCATION_MAX_DELAY)
