"""The OAuth callback against hostile landings, beyond test_connect_flow.py (single use after success, a
random state, an expired state, another user's browser): states of every malformed shape, a state spent by
a wrong landing, a used code replayed with a fresh state, a state paired with another user's code (PKCE), and
two landings of one state at once. The callback always redirects with a reason; nothing gets connected."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import quote

import requests

from tests.integration.conftest import Api, ConnectFlow, SignedIn, query_of
from tests.integration.test_connect_flow import with_query

FORGED_STATES = [
    None,  # no state at all
    "",
    " ",
    "x" * 1000,
    "../../users/someone",
    "oauth_states/x",
    "__name__",
    "..",
    "a" * 20 + "/secrets",
    "%00" + "a" * 20,
    "\u00e9" * 20,
    "\ud800" * 20,
    "a" * 19 + "\n",
]


def status_of(api: Api, user: SignedIn) -> str:
    return api.call("GET", "me", user.token).json()["connection"]["status"]


def land_raw(session: requests.Session, callback_url: str, query: str) -> requests.Response:
    base = callback_url.split("?", 1)[0]
    return session.get(f"{base}?{query}", allow_redirects=False, timeout=30)


def test_malformed_states_are_refused_and_do_not_spend_the_real_one(
    api: Api, flow: ConnectFlow, configured: SignedIn, user: SignedIn
) -> None:
    authorize_url, session = flow.start(user.token)
    callback = flow.consent(authorize_url, user.email)
    code = query_of(callback)["code"]
    cookies = session.cookies.copy()  # every landing clears the browser's connect cookie; the state is what counts
    for state in FORGED_STATES:
        forged = "" if state is None else "&state=" + quote(state, safe="", errors="surrogatepass")
        query = f"code={quote(code)}{forged}"
        answer = land_raw(session, callback, query)
        assert answer.status_code == 302, (state, answer.status_code, answer.text[:200])
        assert query_of(answer.headers["Location"]) == {"connect": "error", "reason": "invalid_state"}, state
    real = query_of(callback)["state"]
    doubled = land_raw(session, callback, f"state={'b' * 43}&state={real}&code={quote(code)}")
    assert query_of(doubled.headers["Location"])["connect"] == "error"
    assert status_of(api, user) == "disconnected"
    browser = requests.Session()
    browser.cookies.update(cookies)
    assert query_of(flow.land(browser, callback)) == {"connect": "success"}


def test_a_state_spent_in_another_browser_cannot_be_replayed_from_the_right_one(
    api: Api, flow: ConnectFlow, configured: SignedIn, user: SignedIn
) -> None:
    authorize_url, session = flow.start(user.token)
    callback = flow.consent(authorize_url, user.email)
    assert query_of(flow.land(requests.Session(), callback))["reason"] == "state_user_mismatch"
    assert query_of(flow.land(session, callback)) == {"connect": "error", "reason": "invalid_state"}
    assert status_of(api, user) == "disconnected"


def test_a_used_code_with_a_fresh_state_is_refused_and_the_connection_is_kept(
    api: Api, flow: ConnectFlow, configured: SignedIn, user: SignedIn, firestore_db: Any
) -> None:
    authorize_url, session = flow.start(user.token)
    first = flow.consent(authorize_url, user.email)
    assert query_of(flow.land(session, first)) == {"connect": "success"}
    tokens_before = firestore_db.document(f"users/{user.uid}/secrets/google").get().to_dict()
    authorize_url, session = flow.start(user.token)
    fresh_state = query_of(authorize_url)["state"]
    replay = with_query(first, state=fresh_state)
    assert query_of(flow.land(session, replay)) == {"connect": "error", "reason": "exchange_failed"}
    assert status_of(api, user) == "connected"
    assert firestore_db.document(f"users/{user.uid}/secrets/google").get().to_dict() == tokens_before


def test_a_state_paired_with_another_users_code_fails_the_pkce_check(
    api: Api, flow: ConnectFlow, configured: SignedIn, user: SignedIn, make_user: Any, sandbox: Any
) -> None:
    uid, token = make_user("mallory@example.com")
    sandbox.create_account("mallory@example.com", "Mallory")
    mallory = SignedIn(uid, token, "mallory@example.com")
    victim_authorize, victim_session = flow.start(user.token)
    mallory_authorize, _ = flow.start(mallory.token)
    mallory_callback = flow.consent(mallory_authorize, mallory.email)  # Mallory's code, for her verifier
    planted = with_query(mallory_callback, state=query_of(victim_authorize)["state"])
    assert query_of(flow.land(victim_session, planted)) == {"connect": "error", "reason": "exchange_failed"}
    assert status_of(api, user) == "disconnected"
    assert status_of(api, mallory) == "disconnected"


def test_two_landings_of_one_state_at_once_connect_once(
    api: Api, flow: ConnectFlow, configured: SignedIn, user: SignedIn
) -> None:
    authorize_url, session = flow.start(user.token)
    callback = flow.consent(authorize_url, user.email)
    outcomes: list[dict[str, str]] = []
    barrier = threading.Barrier(2)

    def land() -> None:
        browser = requests.Session()
        browser.cookies.update(session.cookies)
        barrier.wait()
        outcomes.append(query_of(flow.land(browser, callback)))

    threads = [threading.Thread(target=land) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(o["connect"] for o in outcomes) == ["error", "success"], outcomes
    assert [o.get("reason") for o in outcomes if o["connect"] == "error"] == ["invalid_state"]
    assert status_of(api, user) == "connected"
