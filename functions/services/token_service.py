"""The OAuth client of the admin's saved settings (consent URL, code exchange, revoke)."""

from __future__ import annotations

from functions.core.models import GoogleClientSettings
from functions.services.calendar_access import configured_client
from functions.services.ports import Adapters, OAuthPort


class TokenService:
    def __init__(self, adapters: Adapters) -> None:
        self.stores = adapters.stores
        self.google = adapters.google

    def client_settings(self) -> GoogleClientSettings:
        """The admin's saved client settings; NotConfigured if there are none."""
        return configured_client(self.stores)

    def oauth_client(self) -> OAuthPort:
        """The OAuth client of the admin's saved settings; NotConfigured if there are none."""
        return self.google.oauth(self.client_settings())
