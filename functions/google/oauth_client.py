"""Google OAuth 2.0 web-server flow: consent URL, code exchange, refresh, revoke, client check.

Endpoints come from functions.config (the sandbox locally), never hard-coded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from functions.core import clock
from functions.core.models import CALENDAR_SCOPE, TokenSet
from functions.google.errors import (
    GoogleError,
    InvalidGrant,
    OAuthError,
    RedirectUriMismatch,
    ServerError,
    TransportError,
)
from functions.google.http import GoogleHttp, default_http

# A code no client was ever given: the token endpoint judges the client before the code.
PROBE_CODE = "calbridge-client-check"


@dataclass(frozen=True)
class OAuthEndpoints:
    authorize_url: str
    token_url: str
    revoke_url: str


@dataclass
class OAuthClient:
    """One OAuth client (the admin's settings) against Google's (or the sandbox's) endpoints."""

    client_id: str
    client_secret: str
    redirect_url: str
    endpoints: OAuthEndpoints
    http: GoogleHttp = field(default_factory=default_http)

    def authorize_url(self, state: str, code_challenge: str, scope: str = CALENDAR_SCOPE) -> str:
        """Where the user's browser goes for consent (offline access, forced consent, PKCE S256)."""
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_url,
            "scope": scope,
            "state": state,
            "access_type": "offline",
            "prompt": "consent",
            "include_granted_scopes": "true",
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
        separator = "&" if "?" in self.endpoints.authorize_url else "?"
        return self.endpoints.authorize_url + separator + urlencode(query)

    def _token_request(self, form: dict[str, str], now: datetime) -> TokenSet:
        body = dict(form, client_id=self.client_id, client_secret=self.client_secret)
        response = self.http.request(
            "POST", self.endpoints.token_url, data=body, headers={"Accept": "application/json"}
        )
        return token_set_from_answer(response.json(), now)

    def exchange_code(self, code: str, code_verifier: str, now: datetime) -> TokenSet:
        """Trade the consent's code for tokens. Raises InvalidGrant, InvalidClient, OAuthError..."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_url,
            "code_verifier": code_verifier,
        }
        return self._token_request(form, now)

    def refresh(self, refresh_token: str, now: datetime) -> TokenSet:
        """A new access token. Raises InvalidGrant when the grant is revoked or expired."""
        return self._token_request({"grant_type": "refresh_token", "refresh_token": refresh_token}, now)

    def revoke(self, token: str) -> bool:
        """Revoke the grant behind ``token``; False if Google says the token is already invalid."""
        try:
            self.http.request("POST", self.endpoints.revoke_url, data={"token": token})
        except OAuthError as exc:
            if exc.reason in ("invalid_token", "invalid_request") or isinstance(exc, InvalidGrant):
                return False
            raise
        return True

    def check_client(self) -> None:
        """Ask the token endpoint whether it knows this client, secret and redirect URL.

        A dummy code answers ``invalid_grant`` when the client is fine; raises InvalidClient
        (unknown client or wrong secret), RedirectUriMismatch, or another GoogleError.
        """
        form = {
            "grant_type": "authorization_code",
            "code": PROBE_CODE,
            "redirect_uri": self.redirect_url,
            "code_verifier": "x" * 43,
        }
        try:
            self._token_request(form, clock.now())
        except InvalidGrant:
            return
        raise OAuthError("the token endpoint accepted a dummy code", 200, "unexpected_success")

    def check_redirect_url(self) -> None:
        """Ask the consent endpoint whether the redirect URL is registered for the client.

        An unregistered redirect URL gets Google's 400 ``redirect_uri_mismatch`` error page
        instead of the sign-in; nothing is granted either way (the browser never sees it).
        """
        url = self.authorize_url(state=PROBE_CODE, code_challenge="x" * 43)
        try:
            self.http.request("GET", url, allow_redirects=False)
        except (RedirectUriMismatch, ServerError, TransportError):
            raise
        except GoogleError:
            return  # other refusals (unknown client, ...) are check_client's to report


def token_set_from_answer(answer: dict[str, Any], now: datetime) -> TokenSet:
    """The token endpoint's JSON as a TokenSet."""
    access_token = answer.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise OAuthError("the token endpoint answered without an access token", 200, "no_access_token")
    expires_in = answer.get("expires_in", 3600)
    try:
        seconds = int(expires_in)
    except (TypeError, ValueError):
        seconds = 3600
    scope = answer.get("scope") or ""
    return TokenSet(
        access_token=access_token,
        expires_at=now + timedelta(seconds=seconds),
        refresh_token=answer.get("refresh_token") or None,
        scopes=tuple(scope.split()) if isinstance(scope, str) else (),
    )
