"""Identity: Firebase ID tokens on every JSON route, the admin claim on /admin routes, the admin CLI."""

from __future__ import annotations

import time
from typing import Any

import pytest
from firebase_admin import auth

from functions import admin_cli
from functions.identity.firebase_app import firebase_app
from tests.integration.conftest import Api, SignedIn

USER_ROUTES = [("GET", "me"), ("GET", "activity-types"), ("POST", "connect"), ("POST", "disconnect"),
               ("POST", "calendars/refresh"), ("GET", "links"), ("PUT", "links/Meeting"),
               ("DELETE", "links/Meeting"), ("GET", "status")]
ADMIN_ROUTES = [("GET", "admin/settings"), ("PUT", "admin/settings"), ("PUT", "admin/activity-types"),
                ("POST", "admin/users/someone/admin"), ("GET", "admin/status")]


@pytest.mark.parametrize(("method", "path"), USER_ROUTES + ADMIN_ROUTES)
def test_missing_or_bad_token_is_401(api: Api, method: str, path: str) -> None:
    for token in (None, "not-a-token"):
        answer = api.call(method, path, token, {})
        assert answer.status_code == 401, (token, answer.text)
        assert answer.json()["error"]["code"] == "unauthenticated"


def test_non_admins_are_refused_admin_routes(api: Api, user: SignedIn) -> None:
    for method, path in ADMIN_ROUTES:
        answer = api.call(method, path, user.token, {"admin": True})
        assert (answer.status_code, answer.json()["error"]["code"]) == (403, "forbidden"), path


def test_me_names_the_user_and_whether_they_are_admin(api: Api, user: SignedIn, admin: SignedIn) -> None:
    me = api.call("GET", "me", user.token).json()
    assert (me["uid"], me["email"], me["admin"]) == (user.uid, user.email, False)
    assert me["connection"]["status"] == "disconnected"
    assert api.call("GET", "me", admin.token).json()["admin"] is True


def test_an_admin_grants_and_revokes_admin(api: Api, admin: SignedIn, user: SignedIn, auth_emulator: Any) -> None:
    granted = api.call("POST", f"admin/users/{user.uid}/admin", admin.token, {"admin": True})
    assert granted.json() == {"uid": user.uid, "admin": True}
    token = auth_emulator.sign_in(user.email, "test-password")
    assert api.call("GET", "admin/status", token).status_code == 200
    assert api.call("GET", "me", token).json()["admin"] is True

    api.call("POST", f"admin/users/{user.uid}/admin", admin.token, {"admin": False})
    token = auth_emulator.sign_in(user.email, "test-password")
    assert api.call("GET", "admin/status", token).status_code == 403
    unknown = api.call("POST", "admin/users/no-such-uid/admin", admin.token, {"admin": True})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "unknown_user")


def test_admin_status_lists_every_user(api: Api, admin: SignedIn, user: SignedIn, auth_emulator: Any) -> None:
    api.call("GET", "me", user.token)  # has a user document; the admin and Nadia do not
    nadia = auth_emulator.create_user("nadia@example.com", "test-password", "Nadia Newcomer")
    users = api.call("GET", "admin/status", admin.token).json()["users"]
    assert [(u["email"], u["display_name"], u["uid"], u["admin"], u["connection"]["status"], u["links"])
            for u in users] == [
        ("admin@example.com", None, admin.uid, True, "disconnected", []),
        ("nadia@example.com", "Nadia Newcomer", nadia, False, "disconnected", []),
        ("user@example.com", None, user.uid, False, "disconnected", []),
    ]
    assert {(u["disabled"], u["deleted"]) for u in users} == {(False, False)}

    auth.delete_user(user.uid, app=firebase_app())  # the document stays: the admin still sees it
    gone = [u for u in api.call("GET", "admin/status", admin.token).json()["users"] if u["uid"] == user.uid]
    assert [(u["email"], u["deleted"]) for u in gone] == [("user@example.com", True)]


def test_the_admin_cli_grants_the_first_admin(
    api: Api, make_user: Any, auth_emulator: Any, capsys: Any, firestore_db: Any
) -> None:
    make_user("first@example.com")
    assert admin_cli.main(["grant-admin", "first@example.com"]) == 0
    token = auth_emulator.sign_in("first@example.com", "test-password")
    assert api.call("GET", "admin/settings", token).status_code == 200

    assert admin_cli.main(["revoke-admin", "first@example.com"]) == 0
    token = auth_emulator.sign_in("first@example.com", "test-password")
    assert api.call("GET", "admin/settings", token).status_code == 403
    assert admin_cli.main(["grant-admin", "nobody@example.com"]) == 1
    assert "nobody@example.com" in capsys.readouterr().err


def test_unknown_routes_and_methods(api: Api, user: SignedIn) -> None:
    assert api.call("GET", "nothing-here", user.token).status_code == 404
    answer = api.call("DELETE", "me", user.token)
    assert (answer.status_code, answer.json()["error"]["code"]) == (405, "method_not_allowed")



def _next_second() -> None:
    """Revocation has a one-second grain (the token's ``iat`` against the user's ``validSince``)."""
    time.sleep(1.1)


def test_removing_the_admin_claim_through_the_api_stops_the_old_token_at_once(
    api: Api, admin: SignedIn, make_user: Any, auth_emulator: Any
) -> None:
    uid, old_token = make_user("deputy@example.com", admin=True)
    assert api.call("GET", "admin/status", old_token).status_code == 200
    _next_second()

    removed = api.call("POST", f"admin/users/{uid}/admin", admin.token, {"admin": False})
    assert removed.json() == {"uid": uid, "admin": False}

    for method, path in (("GET", "admin/status"), ("GET", "admin/settings"), ("GET", "me")):
        answer = api.call(method, path, old_token)
        assert (answer.status_code, answer.json()["error"]["code"]) == (401, "unauthenticated"), path
        assert "revoked" in answer.json()["error"]["message"]
    fresh = auth_emulator.sign_in("deputy@example.com", "test-password")
    assert api.call("GET", "admin/status", fresh).status_code == 403
    assert api.call("GET", "me", fresh).json()["admin"] is False
    assert api.call("GET", "admin/status", admin.token).status_code == 200  # the other admin is unaffected


def test_the_admin_cli_revocation_takes_effect_at_once(
    api: Api, make_user: Any, firestore_db: Any, capsys: Any
) -> None:
    _, old_token = make_user("former@example.com", admin=True)
    _next_second()
    assert admin_cli.main(["revoke-admin", "former@example.com"]) == 0
    assert api.call("GET", "admin/settings", old_token).status_code == 401


@pytest.mark.parametrize("change", ["disable", "delete"])
def test_a_disabled_or_deleted_user_is_refused_at_once(
    api: Api, make_user: Any, firestore_db: Any, change: str
) -> None:
    uid, token = make_user("leaver@example.com")
    assert api.call("GET", "me", token).status_code == 200
    if change == "disable":
        auth.update_user(uid, disabled=True, app=firebase_app())
    else:
        auth.delete_user(uid, app=firebase_app())
    for method, path in (("GET", "me"), ("POST", "connect"), ("GET", "links")):
        answer = api.call(method, path, token, {})
        assert (answer.status_code, answer.json()["error"]["code"]) == (401, "unauthenticated"), (change, path)
    expected = "disabled" if change == "disable" else "no longer exists"
    assert expected in api.call("GET", "me", token).json()["error"]["message"]


@pytest.mark.parametrize("uid", ["u" * 129, "x" * 5000])
def test_an_overlong_uid_is_a_400_naming_the_uid(api: Api, admin: SignedIn, uid: str) -> None:
    answer = api.call("POST", f"admin/users/{uid}/admin", admin.token, {"admin": True})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "invalid_request"
    assert "uid" in answer.json()["error"]["details"]["fields"]


def test_deeply_nested_and_oversized_bodies_are_refused_on_every_json_route(
    api: Api, admin: SignedIn, user: SignedIn
) -> None:
    import requests

    routes = [("PUT", "admin/settings", admin.token), ("PUT", "admin/activity-types", admin.token),
              ("POST", "admin/users/someone/admin", admin.token), ("PUT", "links/Meeting", user.token)]
    for method, path, token in routes:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        nested = requests.request(method, api.base + path, data="[" * 10_000, headers=headers, timeout=30)
        assert (nested.status_code, nested.json()["error"]["code"]) == (400, "invalid_json"), path
        huge = requests.request(method, api.base + path, data=b"[" + b" " * (20 << 20) + b"]", headers=headers,
                                timeout=60)
        assert (huge.status_code, huge.json()["error"]["code"]) == (413, "payload_too_large"), path
