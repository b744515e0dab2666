from datetime import UTC, datetime, timedelta

from functions.core.models import OAuthState
from functions.core.oauth_state_rules import (
    EXPIRED_STATE,
    INVALID_STATE,
    STATE_TTL,
    browser_matches,
    new_browser_nonce,
    new_oauth_state,
    state_refusal,
)
from functions.core.pkce import code_challenge_s256, new_code_verifier

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_s256_matches_the_rfc_7636_example() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert code_challenge_s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_verifiers_are_long_random_and_unreserved() -> None:
    verifiers = {new_code_verifier() for _ in range(20)}
    assert len(verifiers) == 20
    for verifier in verifiers:
        assert 43 <= len(verifier) <= 128
        assert set(verifier) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def test_a_new_state_lives_ten_minutes_and_is_bound_to_the_browser_nonce() -> None:
    nonce = new_browser_nonce()
    state = new_oauth_state("uid-1", "verifier", nonce, NOW)
    assert state.expires_at - state.created_at == STATE_TTL == timedelta(minutes=10)
    assert nonce not in state.nonce_hash
    assert browser_matches(state, nonce)
    assert not browser_matches(state, new_browser_nonce())
    assert not browser_matches(state, None)
    assert not browser_matches(state, "")


def test_state_refusals() -> None:
    state = new_oauth_state("uid-1", "verifier", "nonce", NOW)
    assert state_refusal(state, NOW + timedelta(minutes=9)) is None
    assert state_refusal(None, NOW) == INVALID_STATE
    used = OAuthState(**{**state.__dict__, "used": True})
    assert state_refusal(used, NOW) == INVALID_STATE
    assert state_refusal(state, NOW + timedelta(minutes=10)) == EXPIRED_STATE
    assert state_refusal(used, NOW + timedelta(hours=1)) == INVALID_STATE
