"""Authorize and Connect through real redirects: functions -> sandbox consent -> oauth_callback -> pages."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests

from functions.config import get_settings
from functions.core.secret_box import decrypt_secret, encrypt_secret
from tests.integration.conftest import CLIENT_ID, Api, ConnectFlow, SignedIn, query_of


def with_query(url: str, **changes: str) -> str:
    """``url`` with some query parameters replaced (as an attacker or a broken proxy would)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(query=urlencode(dict(query_of(url), **changes))))


def stored_tokens(firestore_db: Any, uid: str) -> dict[str, str]:
    """The user's tokens, decrypted with the key as calbridge would."""
    path = f"users/{uid}/secrets/google"
    raw = firestore_db.document(path).get().to_dict()
    key = get_settings().encryption_key()
    return {f: decrypt_secret(key, raw[f], path, f) for f in ("refresh_token", "access_token")}


def raw_documents(firestore_db: Any) -> str:
    """Every document of the database, as one JSON text (what an operator could read)."""
    texts = []
    for collection in firestore_db.collections():
        for snapshot in collection.stream():
            texts.append(json.dumps(snapshot.to_dict(), default=str))
            for sub in snapshot.reference.collections():
                texts.extend(json.dumps(s.to_dict(), default=str) for s in sub.stream())
    return "\n".join(texts)


def test_connect_lands_on_the_settings_page_connected_with_the_calendar_list(
    api: Api, flow: ConnectFlow, configured: SignedIn, user: SignedIn, functions_url: str, firestore_db: Any
) -> None:
    authorize_url, session = flow.start(user.token)
    query = query_of(authorize_url)
    assert authorize_url.startswith(get_settings().oauth_authorize_url)
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == functions_url + "oauth_callback"
    assert (query["access_type"], query["prompt"], query["code_challenge_method"]) == ("offline", "consent", "S256")
    assert query["scope"] == "https://www.googleapis.com/auth/calendar"
    assert "calbridge_connect" in session.cookies.get_dict()

    callback = flow.consent(authorize_url, user.email)
    assert callback.startswith(functions_url + "oauth_callback?")
    landing = flow.land(session, callback)
    assert landing == functions_url + "pages/?connect=success"
    page = session.get(landing, timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]

    me = api.call("GET", "me", user.token).json()
    assert me["connection"]["status"] == "connected"
    assert me["connection"]["google_email"] == user.email
    assert me["connection"]["connected_at"]
    summaries = {c["summary"] for c in me["calendars"]}
    assert {"CRM Meetings", "CRM Calls"} <= summaries
    primary = [c for c in me["calendars"] if c["primary"]]
    assert [c["id"] for c in primary] == [user.email]


def test_tokens_and_client_secret_are_encrypted_at_rest(
    connected_user: SignedIn, firestore_db: Any, settings_body: dict[str, str]
) -> None:
    tokens = stored_tokens(firestore_db, connected_user.uid)
    assert tokens["refresh_token"] and tokens["access_token"]
    everything = raw_documents(firestore_db)
    for plaintext in (tokens["refresh_token"], tokens["access_token"], settings_body["client_secret"]):
        assert plaintext not in everything
    secrets_doc = firestore_db.document(f"users/{connected_user.uid}/secrets/google").get().to_dict()
    assert secrets_doc["refresh_token"].startswith("v1:") and secrets_doc["access_token"].startswith("v1:")
    assert firestore_db.document("config/google").get().to_dict()["client_secret"].startswith("v1:")


def test_deny_on_the_consent_page_lands_with_access_denied(
    api: Api, flow: ConnectFlow, configured: SignedIn, user: SignedIn
) -> None:
    authorize_url, session = flow.start(user.token)
    landing = flow.land(session, flow.consent(authorize_url, user.email, decision="deny"))
    assert query_of(landing) == {"connect": "error", "reason": "access_denied"}
    assert api.call("GET", "me", user.token).json()["connection"]["status"] == "disconnected"


def test_a_state_is_single_use(api: Api, flow: ConnectFlow, configured: SignedIn, user: SignedIn) -> None:
    authorize_url, session = flow.start(user.token)
    callback = flow.consent(authorize_url, user.email)
    assert query_of(flow.land(session, callback)) == {"connect": "success"}
    again = flow.land(session, callback)
    assert query_of(again) == {"connect": "error", "reason": "invalid_state"}
    forged = with_query(callback, state="x" * 43)
    assert query_of(flow.land(session, forged))["reason"] == "invalid_state"


def test_an_expired_state_is_refused(
    api: Api, flow: ConnectFlow, configured: SignedIn, user: SignedIn, firestore_db: Any
) -> None:
    authorize_url, session = flow.start(user.token)
    callback = flow.consent(authorize_url, user.email)
    state = query_of(callback)["state"]
    firestore_db.document(f"oauth_states/{state}").update({"expires_at": datetime.now(UTC) - timedelta(seconds=1)})
    assert query_of(flow.land(session, callback)) == {"connect": "error", "reason": "expired_state"}
    assert api.call("GET", "me", user.token).json()["connection"]["status"] == "disconnected"


def test_a_state_landing_in_another_users_browser_is_refused(
    api: Api, flow: ConnectFlow, configured: SignedIn, user: SignedIn, make_user: Any, sandbox: Any
) -> None:
    _, other_token = make_user("other@example.com")
    sandbox.create_account("other@example.com")
    authorize_url, _ = flow.start(user.token)
    _, other_session = flow.start(other_token)  # the other user's browser, with its own cookie
    callback = flow.consent(authorize_url, "other@example.com")
    assert query_of(flow.land(other_session, callback)) == {"connect": "error", "reason": "state_user_mismatch"}

    authorize_url, _ = flow.start(user.token)
    callback = flow.consent(authorize_url, user.email)
    no_cookie = requests.Session()
    assert query_of(flow.land(no_cookie, callback))["reason"] == "state_user_mismatch"
    for token in (user.token, other_token):
        assert api.call("GET", "me", token).json()["connection"]["status"] == "disconnected"


def test_a_failed_code_exchange_is_reported(
    api: Api, flow: ConnectFlow, configured: SignedIn, user: SignedIn, firestore_db: Any
) -> None:
    authorize_url, session = flow.start(user.token)
    callback = flow.consent(authorize_url, user.email)
    tampered = with_query(callback, code="4/0-not-a-code-google-issued")
    assert query_of(flow.land(session, tampered)) == {"connect": "error", "reason": "exchange_failed"}

    # The client secret calbridge holds no longer matches Google's (rotated in the console).
    key = get_settings().encryption_key()
    wrong = encrypt_secret(key, "GOCSPX-rotated-away", "config/google", "client_secret")
    firestore_db.document("config/google").update({"client_secret": wrong})
    authorize_url, session = flow.start(user.token)
    callback = flow.consent(authorize_url, user.email)
    assert query_of(flow.land(session, callback)) == {"connect": "error", "reason": "exchange_failed"}
    assert api.call("GET", "me", user.token).json()["connection"]["status"] == "disconnected"


def test_connect_before_the_admin_configured_google_is_refused(api: Api, user: SignedIn) -> None:
    answer = api.call("POST", "connect", user.token, {})
    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "not_configured"


def test_reconnect_replaces_the_tokens(
    api: Api, flow: ConnectFlow, connected_user: SignedIn, firestore_db: Any
) -> None:
    before = stored_tokens(firestore_db, connected_user.uid)
    assert query_of(flow.connect(connected_user.token, connected_user.email)) == {"connect": "success"}
    after = stored_tokens(firestore_db, connected_user.uid)
    assert after["refresh_token"] != before["refresh_token"]
    assert api.call("GET", "me", connected_user.token).json()["connection"]["status"] == "connected"
