"""The real :class:`functions.services.ports.GoogleGateway`: clients at the URLs of functions.config."""

from __future__ import annotations

from functions.config import get_settings
from functions.core.models import GoogleClientSettings
from functions.google.calendar_client import CalendarClient
from functions.google.oauth_client import OAuthClient, OAuthEndpoints


def configured_endpoints() -> OAuthEndpoints:
    settings = get_settings()
    return OAuthEndpoints(settings.oauth_authorize_url, settings.oauth_token_url, settings.oauth_revoke_url)


class HttpGoogleGateway:
    """Google (or the sandbox) over HTTP, at the configured endpoints."""

    def oauth(self, client: GoogleClientSettings) -> OAuthClient:
        return OAuthClient(client.client_id, client.client_secret or "", client.redirect_url, configured_endpoints())

    def calendar(self, access_token: str) -> CalendarClient:
        return CalendarClient(access_token, get_settings().google_api_base_url)
