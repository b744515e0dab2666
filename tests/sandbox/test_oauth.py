"""OAuth consent page, token endpoint (code + PKCE, refresh), revoke."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import requests

from sandbox.control import SandboxControl

from .conftest import ALICE, BOB, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI

CAL = "https://www.googleapis.com/auth/calendar"
VERIFIER = "v" * 20 + "-._~" + "A1" * 20
CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest()).decode().rstrip("=")


def consent(sandbox: SandboxControl, **over: str) -> requests.Response:
    url = sandbox.consent_page_url(
        CLIENT_ID,
        REDIRECT_URI,
        [CAL, "openid", "email"],
        state="st-1",
        code_challenge=CHALLENGE,
        code_challenge_method="S256",
    )
    if over:
        parts = urlsplit(url)
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        q.update(over)
        q = {k: v for k, v in q.items() if v != "-"}
        return requests.get(url.split("?")[0], params=q, allow_redirects=False, timeout=10)
    return requests.get(url, allow_redirects=False, timeout=10)


def decide(page: requests.Response, decision: str, account: str | None = ALICE) -> requests.Response:
    request_id = re.search(r'name="request_id" value="([^"]+)"', page.text).group(1)
    form = {"request_id": request_id, "decision": decision}
    if account:
        form["account"] = account
    return requests.post(page.url.split("?")[0], data=form, allow_redirects=False, timeout=10)


def token(data: dict, auth: tuple[str, str] | None = None) -> requests.Response:
    base = data.pop("_base")
    return requests.post(base + "token", data=data, auth=auth, timeout=10)


def get_code(sandbox: SandboxControl) -> str:
    page = consent(sandbox)
    resp = decide(page, "allow")
    assert resp.status_code in (302, 303)
    q = parse_qs(urlsplit(resp.headers["Location"]).query)
    assert q["state"] == ["st-1"]
    return q["code"][0]


def test_consent_page_validates_like_google(sandbox: SandboxControl, oauth_client: dict) -> None:
    sandbox.create_account(ALICE, "Alice")
    sandbox.create_account(BOB, "Bob")
    page = consent(sandbox)
    assert page.status_code == 200
    for element in (
        f'id="account-{ALICE}"',
        f'id="account-{BOB}"',
        'id="allow"',
        'id="deny"',
        'name="decision" value="allow"',
    ):
        assert element in page.text
    unknown = consent(sandbox, client_id="999-zzz.apps.googleusercontent.com")
    assert unknown.status_code == 401 and "invalid_client" in unknown.text and "Location" not in unknown.headers
    mismatch = consent(sandbox, redirect_uri="http://evil.example/cb")
    assert mismatch.status_code == 400 and "redirect_uri_mismatch" in mismatch.text
    assert "Location" not in mismatch.headers
    assert consent(sandbox, response_type="token").status_code == 400
    assert consent(sandbox, response_type="-").status_code == 400
    assert consent(sandbox, scope="-").status_code == 400
    assert consent(sandbox, code_challenge_method="S512").status_code == 400
    bad_scope = consent(sandbox, scope="https://www.googleapis.com/auth/drive")
    assert bad_scope.status_code == 302
    q = parse_qs(urlsplit(bad_scope.headers["Location"]).query)
    assert q["error"] == ["invalid_scope"] and q["state"] == ["st-1"]
    assert bad_scope.headers["Location"].startswith(REDIRECT_URI + "?")
    denied = decide(consent(sandbox), "deny")
    assert denied.status_code in (302, 303)
    assert parse_qs(urlsplit(denied.headers["Location"]).query) == {"error": ["access_denied"], "state": ["st-1"]}
    assert decide(consent(sandbox), "allow", account=None).status_code == 400


def test_code_exchange_pkce_and_single_use(sandbox_url: str, sandbox: SandboxControl, oauth_client: dict) -> None:
    sandbox.create_account(ALICE)
    code = get_code(sandbox)
    base = {
        "_base": sandbox_url,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "code_verifier": VERIFIER,
    }
    # the client is checked first, before the grant
    r = token({**base, "client_id": CLIENT_ID, "client_secret": "wrong"})
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    r = token({**base, "client_id": "1-x.apps.googleusercontent.com", "client_secret": "s", "code": "junk"})
    assert r.status_code == 401
    assert r.json() == {"error": "invalid_client", "error_description": "The OAuth client was not found."}
    creds = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    r = token({**base, **creds, "redirect_uri": "http://127.0.0.1:9/other"})
    assert r.status_code == 400 and r.json()["error"] == "redirect_uri_mismatch"
    r = token({**base, **creds, "code_verifier": "x" * 43})
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    r = token(dict(base), auth=(CLIENT_ID, CLIENT_SECRET))  # HTTP Basic client auth
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["refresh_token"]
    assert CAL in body["scope"].split() and "id_token" in body
    again = token({**base, **creds})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    unknown = token({**base, **creds, "code": "4/nope"})
    assert unknown.json() == {"error": "invalid_grant", "error_description": "Malformed auth code."}
    assert token({"_base": sandbox_url, **creds, "grant_type": "password"}).json()["error"] == "unsupported_grant_type"
    # the access token works on the Calendar API
    cal = requests.get(
        sandbox_url + "calendar/v3/users/me/calendarList",
        headers={"Authorization": "Bearer " + body["access_token"]},
        timeout=10,
    )
    assert cal.status_code == 200


def test_refresh_and_revoke(sandbox_url: str, sandbox: SandboxControl, alice: dict) -> None:
    creds = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    r = token({"_base": sandbox_url, **creds, "grant_type": "refresh_token", "refresh_token": alice["refresh_token"]})
    assert r.status_code == 200 and "refresh_token" not in r.json()
    new_access = r.json()["access_token"]
    bad = token({"_base": sandbox_url, **creds, "grant_type": "refresh_token", "refresh_token": "1//nope"})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_grant"
    rv = requests.post(sandbox_url + "revoke", data={"token": new_access}, timeout=10)
    assert rv.status_code == 200 and rv.json() == {}
    gone = token(
        {"_base": sandbox_url, **creds, "grant_type": "refresh_token", "refresh_token": alice["refresh_token"]}
    )
    assert gone.json() == {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
    api = requests.get(
        sandbox_url + "calendar/v3/users/me/calendarList",
        headers={"Authorization": "Bearer " + alice["access_token"]},
        timeout=10,
    )
    assert api.status_code == 401
    again = requests.post(sandbox_url + "revoke", data={"token": new_access}, timeout=10)
    assert again.status_code == 400 and again.json()["error"] == "invalid_token"


def test_refresh_token_only_for_offline_and_first_or_forced_consent(
    sandbox_url: str, sandbox: SandboxControl, oauth_client: dict
) -> None:
    sandbox.create_account(ALICE)
    creds = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}

    def flow(**over: str) -> dict:
        page = consent(sandbox, **over)
        loc = decide(page, "allow").headers["Location"]
        code = parse_qs(urlsplit(loc).query)["code"][0]
        return token(
            {
                "_base": sandbox_url,
                **creds,
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": VERIFIER,
            }
        ).json()

    assert "refresh_token" not in flow(access_type="online")
    assert "refresh_token" in flow(prompt="-")  # first offline consent
    assert "refresh_token" not in flow(prompt="-")  # already granted, no prompt=consent
    assert "refresh_token" in flow()  # prompt=consent


def test_revoke_grant_and_expire_access_tokens(sandbox_url: str, sandbox: SandboxControl, alice: dict) -> None:
    url = sandbox_url + "calendar/v3/users/me/calendarList"
    h = {"Authorization": "Bearer " + alice["access_token"]}
    assert requests.get(url, headers=h, timeout=10).status_code == 200
    sandbox.expire_access_tokens()
    assert requests.get(url, headers=h, timeout=10).status_code == 401
    assert sandbox.revoke_grant(ALICE, CLIENT_ID) == 1
    r = token(
        {
            "_base": sandbox_url,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "grant_type": "refresh_token",
            "refresh_token": alice["refresh_token"],
        }
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_refresh_with_a_scope_beyond_the_grant_is_invalid_scope(sandbox_url: str, sandbox: SandboxControl) -> None:
    sandbox.create_oauth_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])
    sandbox.create_account(ALICE)
    tokens = sandbox.issue_access_token(ALICE, CLIENT_ID, [CAL + ".readonly"])
    creds = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "refresh_token": tokens["refresh_token"]}
    wider = token({"_base": sandbox_url, **creds, "grant_type": "refresh_token", "scope": CAL})
    assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"
    same = token({"_base": sandbox_url, **creds, "grant_type": "refresh_token", "scope": CAL + ".readonly"})
    assert same.status_code == 200 and same.json()["scope"] == CAL + ".readonly"
