"""Access token refresh, and invalid_grant turning the user needs_reauth."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import CLIENT_ID, Api, ConnectFlow, SignedIn, query_of
from tests.integration.test_connect_flow import stored_tokens


def test_calendars_refresh_works_after_the_access_token_expired(
    api: Api, connected_user: SignedIn, sandbox: Any, firestore_db: Any
) -> None:
    before = stored_tokens(firestore_db, connected_user.uid)
    sandbox.create_calendar(connected_user.email, "Added later")
    assert sandbox.expire_access_tokens() >= 1

    answer = api.call("POST", "calendars/refresh", connected_user.token)

    assert answer.status_code == 200, answer.text
    assert "Added later" in {c["summary"] for c in answer.json()["calendars"]}
    assert "Added later" in {c["summary"] for c in api.call("GET", "me", connected_user.token).json()["calendars"]}
    after = stored_tokens(firestore_db, connected_user.uid)
    assert after["access_token"] != before["access_token"]
    assert after["refresh_token"] == before["refresh_token"]
    assert api.call("GET", "me", connected_user.token).json()["connection"]["status"] == "connected"


def test_a_revoked_grant_turns_the_user_needs_reauth_until_they_reconnect(
    api: Api, flow: ConnectFlow, connected_user: SignedIn, configured: SignedIn, sandbox: Any
) -> None:
    assert sandbox.revoke_grant(connected_user.email, CLIENT_ID) >= 1

    answer = api.call("POST", "calendars/refresh", connected_user.token)

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "needs_reauth"
    connection = api.call("GET", "me", connected_user.token).json()["connection"]
    assert connection["status"] == "needs_reauth"
    assert "invalid_grant" in connection["error"]
    assert connection["error_at"]
    status = api.call("GET", "status", connected_user.token).json()
    assert status["connection"]["status"] == "needs_reauth"
    everyone = api.call("GET", "admin/status", configured.token).json()["users"]
    assert [u["connection"]["status"] for u in everyone if u["uid"] == connected_user.uid] == ["needs_reauth"]
    # Sync stops: no more refresh attempts at Google while the user needs to reconnect.
    refreshes = sandbox.request_counts().get("oauth.token", 0)
    assert api.call("POST", "calendars/refresh", connected_user.token).status_code == 409
    assert sandbox.request_counts().get("oauth.token", 0) == refreshes

    assert query_of(flow.connect(connected_user.token, connected_user.email)) == {"connect": "success"}
    connection = api.call("GET", "me", connected_user.token).json()["connection"]
    assert (connection["status"], connection["error"]) == ("connected", None)
