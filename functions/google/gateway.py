"""The real :class:`functions.services.ports.GoogleGateway`: OAuth over requests at the configured
endpoints, Calendar through google-api-python-client with google-auth credentials.

``InProcessGoogleGateway`` (in ``sandbox/inprocess.py`` terms) reaches the sandbox's WSGI app with
no socket, for fast tests; it is the same clients, only the transport differs.
"""

from __future__ import annotations

from typing import Any

from functions.config import get_settings
from functions.core.models import GoogleClientSettings, GoogleSecrets, TokenSet
from functions.google.calendar_api import GoogleCalendarApi
from functions.google.http import GoogleHttp, default_http
from functions.google.oauth_client import OAuthClient, OAuthEndpoints
from functions.google.session import GoogleSession, TokenListener


def configured_endpoints() -> OAuthEndpoints:
    settings = get_settings()
    return OAuthEndpoints(settings.oauth_authorize_url, settings.oauth_token_url, settings.oauth_revoke_url)


class HttpGoogleGateway:
    """Google (or the sandbox) over the network, at the URLs of functions.config."""

    def __init__(
        self,
        endpoints: OAuthEndpoints | None = None,
        api_base_url: str | None = None,
        http: GoogleHttp | None = None,
        transport: Any = None,
        auth_request: Any = None,
    ) -> None:
        self._endpoints = endpoints
        self._api_base_url = api_base_url
        self._http = http
        self._transport = transport
        self._auth_request = auth_request

    @property
    def endpoints(self) -> OAuthEndpoints:
        return self._endpoints or configured_endpoints()

    @property
    def api_base_url(self) -> str:
        return self._api_base_url or get_settings().google_api_base_url

    def oauth(self, client: GoogleClientSettings) -> OAuthClient:
        return OAuthClient(
            client.client_id, client.client_secret or "", client.redirect_url, self.endpoints,
            self._http or default_http(),
        )

    def calendar_api(
        self, secrets: GoogleSecrets, client: GoogleClientSettings, on_refresh: TokenListener | None = None
    ) -> GoogleCalendarApi:
        """The Calendar port for one user's stored tokens: one session, refreshed once on a 401."""
        session = GoogleSession.from_secrets(
            secrets, client, token_uri=self.endpoints.token_url, on_refresh=on_refresh,
            transport=self._transport, auth_request=self._auth_request,
        )
        return GoogleCalendarApi(session, self.api_base_url)

    def calendar_api_for_tokens(self, tokens: TokenSet, client: GoogleClientSettings) -> GoogleCalendarApi:
        """The Calendar port for tokens just received (the connect callback)."""
        secrets = GoogleSecrets(tokens.refresh_token, tokens.access_token, tokens.expires_at, tokens.scopes)
        return self.calendar_api(secrets, client)


def in_process_gateway(sandbox: Any) -> HttpGoogleGateway:
    """The same clients over an ``InProcessSandbox`` (sandbox/inprocess.py): no socket, for fast tests."""
    base = sandbox.url()
    endpoints = OAuthEndpoints(base + "o/oauth2/v2/auth", base + "token", base + "revoke")
    return HttpGoogleGateway(
        endpoints=endpoints,
        api_base_url=base,
        http=GoogleHttp(session=sandbox.requests_session()),
        transport=sandbox.http(),
        auth_request=sandbox.auth_request(),
    )
