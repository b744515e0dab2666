"""Build the Google clients from the saved admin settings and functions.config."""

from __future__ import annotations

from functions.config import get_settings
from functions.core.models import GoogleClientSettings
from functions.google.calendar_client import CalendarClient
from functions.google.oauth_client import OAuthClient, OAuthEndpoints
from functions.services.errors import NotConfigured
from functions.store import config_store


def endpoints() -> OAuthEndpoints:
    settings = get_settings()
    return OAuthEndpoints(settings.oauth_authorize_url, settings.oauth_token_url, settings.oauth_revoke_url)


def oauth_client_for(client: GoogleClientSettings) -> OAuthClient:
    if not client.configured:
        raise NotConfigured("The Google client settings are not saved yet; ask an admin to configure them.")
    assert client.client_secret is not None
    return OAuthClient(client.client_id, client.client_secret, client.redirect_url, endpoints())


def oauth_client() -> OAuthClient:
    """The OAuth client of the admin's saved settings; NotConfigured if there are none."""
    return oauth_client_for(config_store.load_google_settings())


def calendar_client(access_token: str) -> CalendarClient:
    return CalendarClient(access_token, get_settings().google_api_base_url)
