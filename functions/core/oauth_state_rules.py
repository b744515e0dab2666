"""Rules of the OAuth ``state``: single use, short-lived, bound to the user and their browser."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from functions.core.models import OAuthState

STATE_TTL = timedelta(minutes=10)
STATE_VALUE_RE = re.compile(r"^[A-Za-z0-9_-]{16,200}$")
CONNECT_COOKIE = "calbridge_connect"

# The reasons the callback lands the user with (docs/http-api.md).
ACCESS_DENIED = "access_denied"
INVALID_STATE = "invalid_state"
EXPIRED_STATE = "expired_state"
STATE_USER_MISMATCH = "state_user_mismatch"
EXCHANGE_FAILED = "exchange_failed"
CALLBACK_REASONS = (ACCESS_DENIED, INVALID_STATE, EXPIRED_STATE, STATE_USER_MISMATCH, EXCHANGE_FAILED)


def new_state_value() -> str:
    """An unguessable state value (also the document id)."""
    return secrets.token_urlsafe(32)


def new_browser_nonce() -> str:
    """The value of the ``calbridge_connect`` cookie that binds a state to one browser."""
    return secrets.token_urlsafe(24)


def hash_nonce(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def new_oauth_state(uid: str, code_verifier: str, nonce: str, now: datetime) -> OAuthState:
    return OAuthState(
        state=new_state_value(),
        uid=uid,
        code_verifier=code_verifier,
        nonce_hash=hash_nonce(nonce),
        created_at=now,
        expires_at=now + STATE_TTL,
    )


def well_formed_state(value: str | None) -> bool:
    """True if ``value`` could be a state calbridge issued (also a safe document id)."""
    return bool(value) and STATE_VALUE_RE.match(value or "") is not None


def state_refusal(state: OAuthState | None, now: datetime) -> str | None:
    """Why a stored state may not be consumed now (a reason code), or None if it may."""
    if state is None or state.used:
        return INVALID_STATE
    if state.expires_at <= now:
        return EXPIRED_STATE
    return None


def browser_matches(state: OAuthState, cookie_nonce: str | None) -> bool:
    """True if the landing browser holds the nonce the state was issued with."""
    if not cookie_nonce:
        return False
    return hmac.compare_digest(state.nonce_hash, hash_nonce(cookie_nonce))
