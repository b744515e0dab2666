"""Admin settings: per-field validation, the live check at the token endpoint, the secret never returned."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.conftest import CLIENT_SECRET, Api, SignedIn

GOOD_CLIENT = "123456789012-calbridgetest.apps.googleusercontent.com"


def test_settings_start_empty_and_name_the_expected_redirect_url(
    api: Api, admin: SignedIn, callback_url: str
) -> None:
    answer = api.call("GET", "admin/settings", admin.token)
    assert answer.status_code == 200
    assert answer.json() == {
        "api_key": "",
        "client_id": "",
        "redirect_url": "",
        "client_secret_set": False,
        "expected_redirect_url": callback_url,
        "updated_at": None,
    }


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("api_key", "not-an-api-key"),
        ("api_key", ""),
        ("client_id", "my-client"),
        ("client_id", "123-abc.apps.example.com"),
        ("client_secret", ""),
        ("client_secret", "two words"),
        ("redirect_url", "https://elsewhere.example.com/oauth_callback"),
    ],
)
def test_each_wrong_field_is_named(
    api: Api, admin: SignedIn, google_client: Any, settings_body: dict[str, str], field: str, value: str
) -> None:
    answer = api.call("PUT", "admin/settings", admin.token, dict(settings_body, **{field: value}))
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "invalid_settings"
    assert list(error["details"]["fields"]) == [field]
    assert api.call("GET", "admin/settings", admin.token).json()["client_id"] == ""


def test_a_client_google_does_not_know_is_rejected(
    api: Api, admin: SignedIn, google_client: Any, settings_body: dict[str, str]
) -> None:
    unknown_client = dict(settings_body, client_id="999-unknown.apps.googleusercontent.com")
    unknown = api.call("PUT", "admin/settings", admin.token, unknown_client)
    assert unknown.status_code == 422
    assert unknown.json()["error"]["code"] == "client_rejected"
    assert {"client_id", "client_secret"} <= set(unknown.json()["error"]["details"]["fields"])

    wrong_secret = api.call("PUT", "admin/settings", admin.token, dict(settings_body, client_secret="GOCSPX-wrong"))
    assert (wrong_secret.status_code, wrong_secret.json()["error"]["code"]) == (422, "client_rejected")
    assert api.call("GET", "admin/settings", admin.token).json()["client_secret_set"] is False


def test_a_redirect_url_not_registered_at_google_is_rejected(
    api: Api, admin: SignedIn, sandbox: Any, settings_body: dict[str, str]
) -> None:
    sandbox.create_oauth_client(GOOD_CLIENT, CLIENT_SECRET, ["https://other.example.com/callback"])
    answer = api.call("PUT", "admin/settings", admin.token, settings_body)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "client_rejected"
    assert list(answer.json()["error"]["details"]["fields"]) == ["redirect_url"]


def test_saved_settings_never_return_the_secret(
    api: Api, admin: SignedIn, google_client: Any, settings_body: dict[str, str], firestore_db: Any
) -> None:
    saved = api.call("PUT", "admin/settings", admin.token, settings_body)
    assert saved.status_code == 200, saved.text
    read = api.call("GET", "admin/settings", admin.token)
    for answer in (saved, read):
        assert CLIENT_SECRET not in answer.text
        body = answer.json()
        assert "client_secret" not in body
        assert body["client_secret_set"] is True
        assert (body["client_id"], body["redirect_url"]) == (settings_body["client_id"], settings_body["redirect_url"])
        assert body["updated_at"]
    stored = firestore_db.document("config/google").get().to_dict()
    assert stored["client_secret"].startswith("v1:") and CLIENT_SECRET not in str(stored)
    assert stored["updated_by"] == admin.uid

    # Saving again without the secret keeps the stored one (and it is checked again).
    again = api.call("PUT", "admin/settings", admin.token, dict(settings_body, client_secret=None))
    assert again.status_code == 200, again.text
    assert again.json()["client_secret_set"] is True


@pytest.mark.parametrize("secret", ["GOCSPX-s\u00e9cret", "GOCSPX-\ud800", "GOCSPX-\u00a0x"])
def test_a_secret_google_could_not_have_issued_is_a_400(
    api: Api, admin: SignedIn, google_client: Any, settings_body: dict[str, str], secret: str
) -> None:
    # requests would refuse to encode a lone surrogate: send the JSON escape as a browser would.
    import json

    import requests

    body = json.dumps(dict(settings_body, client_secret=secret))  # ensure_ascii: "\ud800" stays an escape
    answer = requests.put(api.base + "admin/settings", data=body, timeout=30,
                          headers={"Authorization": f"Bearer {admin.token}", "Content-Type": "application/json"})
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert list(error["details"]["fields"]) == ["client_secret"]
    if secret == "GOCSPX-\ud800":  # no text at all: every JSON body refuses a lone surrogate (web/router.py)
        assert error["code"] == "invalid_json"
    else:
        assert error["code"] == "invalid_settings" and "printable ASCII" in error["details"]["fields"]["client_secret"]
