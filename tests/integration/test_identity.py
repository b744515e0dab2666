"""Identity: Firebase ID tokens on every JSON route, the admin claim on /admin routes, the admin CLI."""

from __future__ import annotations

from typing import Any

import pytest

from functions import admin_cli
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


def test_admin_status_lists_every_user(api: Api, admin: SignedIn, user: SignedIn) -> None:
    api.call("GET", "me", user.token)
    users = api.call("GET", "admin/status", admin.token).json()["users"]
    assert [(u["email"], u["connection"]["status"], u["links"]) for u in users] == [
        ("user@example.com", "disconnected", [])
    ]


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
