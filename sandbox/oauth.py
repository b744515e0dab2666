"""Google OAuth 2.0 web-server flow: consent page, token endpoint, revoke."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, redirect, render_template, request

from .app import apply_faults, sandbox, set_method
from .auth import normalize_scopes
from .state import State, random_token

bp = Blueprint("oauth", __name__)

CLIENT_ID_RE = re.compile(r"^\d+-[a-z0-9]+\.apps\.googleusercontent\.com$")
CHALLENGE_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
CODE_TTL = 600
TOKEN_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _error_page(status: int, error: str, description: str) -> Response:
    html = render_template("error.html", status=status, error=error, description=description)
    return Response(html, status=status, mimetype="text/html")


def _redirect_with(uri: str, params: dict[str, str]) -> Response:
    sep = "&" if "?" in uri else "?"
    return redirect(uri + sep + urlencode(params), code=302)


def _token_error(status: int, error: str, description: str) -> Response:
    body = json.dumps({"error": error, "error_description": description}, indent=2)
    return Response(body, status=status, mimetype="application/json", headers={"Cache-Control": "no-store"})


def _token_ok(body: dict[str, Any]) -> Response:
    return Response(
        json.dumps(body, indent=2),
        status=200,
        mimetype="application/json",
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


def issue_tokens(state: State, email: str, client_id: str, scopes: list[str], with_refresh: bool) -> dict[str, Any]:
    """Create a grant and its first access token. Caller holds the lock."""
    grant_id = random_token(16)
    refresh = "1//0" + random_token(100, TOKEN_ALPHABET) if with_refresh else None
    state.grants[grant_id] = {
        "id": grant_id,
        "email": email,
        "client_id": client_id,
        "scopes": scopes,
        "refresh_token": refresh,
        "revoked": False,
        "created": time.time(),
    }
    if refresh:
        state.refresh_tokens[refresh] = grant_id
    out = new_access_token(state, grant_id)
    if refresh:
        out["refresh_token"] = refresh
    if "openid" in scopes:
        out["id_token"] = _id_token(email, client_id, scopes)
    state.dirty = True
    return out


def new_access_token(state: State, grant_id: str, scopes: list[str] | None = None) -> dict[str, Any]:
    """A new access token for the grant, for ``scopes`` (a subset of the grant's) or all of them."""
    token = "ya29.a0" + random_token(150, TOKEN_ALPHABET)
    ttl = state.access_token_ttl
    info: dict[str, Any] = {"grant_id": grant_id, "expires_at": time.time() + ttl}
    if scopes is not None:
        info["scopes"] = scopes
    state.access_tokens[token] = info
    granted = scopes if scopes is not None else state.grants[grant_id]["scopes"]
    state.dirty = True
    return {"access_token": token, "expires_in": ttl, "scope": " ".join(granted), "token_type": "Bearer"}


def _refresh_scopes(grant: dict[str, Any]) -> list[str] | None | Response:
    """The scopes a refresh asks for: None (all granted), a subset, or an ``invalid_scope`` answer
    when it asks for more than the grant holds (RFC 6749 section 6)."""
    asked = request.form.get("scope")
    if asked is None or not asked.strip():
        return None
    scopes = normalize_scopes(asked.split())
    if scopes is None or not set(scopes) <= set(grant["scopes"]):
        return _token_error(400, "invalid_scope", "The requested scope exceeds the scope granted by the owner.")
    return scopes


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _id_token(email: str, client_id: str, scopes: list[str]) -> str:
    """An UNSIGNED id_token (alg none): the sandbox has no Google keys."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": "https://accounts.google.com",
        "azp": client_id,
        "aud": client_id,
        "sub": str(int(hashlib.sha256(email.encode()).hexdigest()[:15], 16)),
        "iat": now,
        "exp": now + 3600,
    }
    if any(s.endswith("userinfo.email") for s in scopes):
        claims["email"] = email
        claims["email_verified"] = True
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


# ---------------------------------------------------------------- consent


@bp.route("/o/oauth2/v2/auth", methods=["GET"])
def authorize() -> Response:
    set_method("oauth.authorize")
    apply_faults(is_api_call=False)
    sb = sandbox()
    args = request.args
    client_id = args.get("client_id", "")
    redirect_uri = args.get("redirect_uri", "")
    with sb.state.lock:
        client = sb.state.clients.get(client_id)
        if client is None:
            return _error_page(401, "invalid_client", "The OAuth client was not found.")
        if redirect_uri not in client["redirect_uris"]:
            return _error_page(
                400,
                "redirect_uri_mismatch",
                f"You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. "
                "If you're the app developer, register the redirect URI in the Google Cloud Console. "
                f"Request details: redirect_uri={redirect_uri}",
            )
        for name in (
            "client_id",
            "redirect_uri",
            "response_type",
            "scope",
            "state",
            "access_type",
            "prompt",
            "code_challenge",
            "code_challenge_method",
            "login_hint",
            "include_granted_scopes",
        ):
            if len(args.getlist(name)) > 1:
                return _error_page(400, "invalid_request", f"Parameter not allowed to repeat: {name}")
        response_type = args.get("response_type")
        if not response_type:
            return _error_page(400, "invalid_request", "Required parameter is missing: response_type")
        if response_type != "code":
            return _error_page(400, "unsupported_response_type", f"Invalid response_type: {response_type}")
        state_param = args.get("state")
        scope = args.get("scope", "")
        if not scope.strip():
            return _error_page(400, "invalid_request", "Missing required parameter: scope")
        scopes = normalize_scopes(scope.split())
        if scopes is None:
            params = {"error": "invalid_scope", "error_description": "Some requested scopes were invalid."}
            if state_param is not None:
                params["state"] = state_param
            return _redirect_with(redirect_uri, params)
        access_type = args.get("access_type", "online")
        if access_type not in ("online", "offline"):
            return _error_page(400, "invalid_request", f"Invalid access_type: {access_type}")
        prompt = args.get("prompt", "").split()
        if any(p not in ("none", "consent", "select_account") for p in prompt) or (
            "none" in prompt and len(prompt) > 1
        ):
            return _error_page(400, "invalid_request", "Invalid prompt")
        challenge = args.get("code_challenge")
        method = args.get("code_challenge_method")
        if method is not None and challenge is None:
            return _error_page(400, "invalid_request", "Missing code_challenge")
        if challenge is not None:
            method = method or "plain"
            if method not in ("S256", "plain"):
                return _error_page(400, "invalid_request", "Invalid code_challenge_method")
            if not CHALLENGE_RE.match(challenge):
                return _error_page(400, "invalid_request", "Invalid code_challenge")
        if "none" in prompt:
            params = {"error": "interaction_required"}
            if state_param is not None:
                params["state"] = state_param
            return _redirect_with(redirect_uri, params)
        request_id = random_token(24)
        sb.state.auth_requests[request_id] = {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scopes": scopes,
            "state": state_param,
            "access_type": access_type,
            "prompt": prompt,
            "code_challenge": challenge,
            "code_challenge_method": method if challenge else None,
            "login_hint": args.get("login_hint"),
            "created": time.time(),
        }
        accounts = list(sb.state.accounts.values())
        return _consent_page(request_id, sb.state.auth_requests[request_id], accounts)


def _consent_page(
    request_id: str, req: dict[str, Any], accounts: list[dict[str, Any]], message: str | None = None, status: int = 200
) -> Response:
    selected = req.get("login_hint") if any(a["email"] == req.get("login_hint") for a in accounts) else None
    if selected is None and len(accounts) == 1:
        selected = accounts[0]["email"]
    html = render_template(
        "consent.html",
        client_id=req["client_id"],
        scopes=req["scopes"],
        accounts=accounts,
        selected=selected,
        request_id=request_id,
        action=request.path,
        message=message,
    )
    return Response(html, status=status, mimetype="text/html")


@bp.route("/o/oauth2/v2/auth", methods=["POST"])
def authorize_decision() -> Response:
    set_method("oauth.authorize")
    sb = sandbox()
    form = request.form
    with sb.state.lock:
        req = sb.state.auth_requests.get(form.get("request_id", ""))
        if req is None or time.time() - req["created"] > 3600:
            return _error_page(400, "invalid_request", "The authorization request expired or is unknown. Start again.")
        decision = form.get("decision")
        base: dict[str, str] = {}
        if decision == "deny":
            del sb.state.auth_requests[form["request_id"]]
            params = {"error": "access_denied"}
            if req["state"] is not None:
                params["state"] = req["state"]
            return _redirect_with(req["redirect_uri"], params)
        if decision != "allow":
            return _error_page(400, "invalid_request", "Missing decision")
        email = form.get("account", "")
        if email not in sb.state.accounts:
            accounts = list(sb.state.accounts.values())
            return _consent_page(form["request_id"], req, accounts, message="Choose an account.", status=400)
        del sb.state.auth_requests[form["request_id"]]
        code = "4/0" + random_token(70, TOKEN_ALPHABET)
        sb.state.codes[code] = {
            "client_id": req["client_id"],
            "redirect_uri": req["redirect_uri"],
            "email": email,
            "scopes": req["scopes"],
            "access_type": req["access_type"],
            "prompt": req["prompt"],
            "code_challenge": req["code_challenge"],
            "code_challenge_method": req["code_challenge_method"],
            "expires_at": time.time() + CODE_TTL,
            "used": False,
        }
        sb.state.dirty = True
        base["code"] = code
        base["scope"] = " ".join(req["scopes"])
        if req["state"] is not None:
            base = {"state": req["state"], **base}
        return _redirect_with(req["redirect_uri"], base)


# ---------------------------------------------------------------- token / revoke


def _client_credentials() -> tuple[str | None, str | None]:
    auth = request.authorization
    if auth is not None and auth.type == "basic":
        return auth.username, auth.password
    return request.form.get("client_id"), request.form.get("client_secret")


@bp.route("/token", methods=["POST"])
def token() -> Response:
    set_method("oauth.token")
    apply_faults(is_api_call=False)
    sb = sandbox()
    form = request.form
    client_id, secret = _client_credentials()
    with sb.state.lock:
        client = sb.state.clients.get(client_id or "")
        if client is None or secret is None or not hmac.compare_digest(client["client_secret"], secret):
            return _token_error(
                401, "invalid_client", "The OAuth client was not found." if client is None else "Unauthorized"
            )
        grant_type = form.get("grant_type")
        if not grant_type:
            return _token_error(400, "invalid_request", "Missing required parameter: grant_type")
        if grant_type == "authorization_code":
            return _exchange_code(sb.state, client)
        if grant_type == "refresh_token":
            refresh = form.get("refresh_token")
            if not refresh:
                return _token_error(400, "invalid_request", "Missing required parameter: refresh_token")
            grant_id = sb.state.refresh_tokens.get(refresh)
            grant = sb.state.grants.get(grant_id or "")
            if grant is None or grant["revoked"] or grant["email"] not in sb.state.accounts:
                return _token_error(400, "invalid_grant", "Token has been expired or revoked.")
            if grant["client_id"] != client["client_id"]:
                return _token_error(401, "unauthorized_client", "Unauthorized")
            scopes = _refresh_scopes(grant)
            if isinstance(scopes, Response):
                return scopes
            return _token_ok(new_access_token(sb.state, grant["id"], scopes))
        return _token_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")


def _exchange_code(state: State, client: dict[str, Any]) -> Response:
    form = request.form
    code = form.get("code")
    if not code:
        return _token_error(400, "invalid_request", "Missing required parameter: code")
    info = state.codes.get(code)
    if info is None or info["client_id"] != client["client_id"]:
        return _token_error(400, "invalid_grant", "Malformed auth code.")
    if info["used"] or info["expires_at"] <= time.time():
        return _token_error(400, "invalid_grant", "Bad Request")
    if form.get("redirect_uri") != info["redirect_uri"]:
        return _token_error(400, "redirect_uri_mismatch", "Bad Request")
    if info["code_challenge"]:
        verifier = form.get("code_verifier")
        if not verifier:
            return _token_error(400, "invalid_grant", "Missing code verifier.")
        if info["code_challenge_method"] == "S256":
            computed = _b64(hashlib.sha256(verifier.encode()).digest())
        else:
            computed = verifier
        if not hmac.compare_digest(computed, info["code_challenge"]):
            return _token_error(400, "invalid_grant", "Invalid code verifier.")
    info["used"] = True
    # Google hands out a refresh token for offline access on first consent or with prompt=consent.
    has_live = any(
        g["email"] == info["email"]
        and g["client_id"] == client["client_id"]
        and g["refresh_token"]
        and not g["revoked"]
        for g in state.grants.values()
    )
    with_refresh = info["access_type"] == "offline" and ("consent" in info["prompt"] or not has_live)
    return _token_ok(issue_tokens(state, info["email"], client["client_id"], info["scopes"], with_refresh))


@bp.route("/revoke", methods=["POST", "GET"])
def revoke() -> Response:
    set_method("oauth.revoke")
    apply_faults(is_api_call=False)
    sb = sandbox()
    tok = request.values.get("token", "")
    with sb.state.lock:
        grant_id = sb.state.refresh_tokens.get(tok)
        if grant_id is None and tok in sb.state.access_tokens:
            grant_id = sb.state.access_tokens[tok]["grant_id"]
        grant = sb.state.grants.get(grant_id or "")
        if grant is None or grant["revoked"]:
            return _token_error(400, "invalid_token", "Token expired or revoked")
        revoke_grant_ids(sb.state, [grant["id"]])
    return Response("{}", status=200, mimetype="application/json")


def revoke_grant_ids(state: State, grant_ids: list[str]) -> None:
    for gid in grant_ids:
        state.grants[gid]["revoked"] = True
    for tok, info in list(state.access_tokens.items()):
        if info["grant_id"] in grant_ids:
            del state.access_tokens[tok]
    state.dirty = True
