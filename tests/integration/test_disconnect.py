"""Disconnect: revoked at Google, push channels stopped, secrets and sync tokens cleared, links kept."""

from __future__ import annotations

from typing import Any

import requests

from functions.config import get_settings
from tests.integration.conftest import CLIENT_ID, CLIENT_SECRET, Api, SignedIn
from tests.integration.test_connect_flow import stored_tokens


def test_disconnect_revokes_at_google_and_clears_secrets_but_keeps_links(
    api: Api, connected_user: SignedIn, calendars_of: Any, firestore_db: Any, sandbox: Any
) -> None:
    calendar_id = calendars_of(connected_user)["CRM Meetings"]
    link = {"calendar_id": calendar_id, "export": True, "import": True, "import_existing": False}
    assert api.call("PUT", "links/Meeting", connected_user.token, link).status_code == 200
    tokens = stored_tokens(firestore_db, connected_user.uid)
    link_ref = firestore_db.document(f"users/{connected_user.uid}/links/Meeting")
    link_ref.update({"sync_token": "sync-1"})
    channel = {"id": link_ref.get().to_dict()["channel_id"]}  # import on: saving the link watched the calendar
    assert [c["id"] for c in sandbox.channels()] == [channel["id"]]
    assert firestore_db.document(f"channels/{channel['id']}").get().exists

    answer = api.call("POST", "disconnect", connected_user.token)

    assert answer.status_code == 200, answer.text
    assert answer.json()["connection"]["status"] == "disconnected"
    assert answer.json()["revoked"] is True
    assert answer.json()["revocation_pending"] is False
    refresh = requests.post(
        get_settings().oauth_token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
        timeout=10,
    )
    assert (refresh.status_code, refresh.json()["error"]) == (400, "invalid_grant")
    assert sandbox.channels() == []
    assert not firestore_db.document(f"users/{connected_user.uid}/secrets/google").get().exists
    assert not firestore_db.document(f"channels/{channel['id']}").get().exists
    kept = link_ref.get().to_dict()
    assert (kept["calendar_id"], kept["export"], kept["import"]) == (calendar_id, True, True)
    assert (kept["sync_token"], kept["channel_id"]) == (None, None)
    assert [lk["activity_type"] for lk in api.call("GET", "links", connected_user.token).json()["links"]] == ["Meeting"]
    me = api.call("GET", "me", connected_user.token).json()
    assert me["connection"]["status"] == "disconnected"
    assert me["pending_revocations"] == []
    assert not [s.id for s in firestore_db.collection(f"users/{connected_user.uid}/secrets").stream()]
    assert api.call("POST", "calendars/refresh", connected_user.token).json()["error"]["code"] == "not_connected"
