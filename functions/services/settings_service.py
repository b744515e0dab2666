"""Admin settings: the Google OAuth client (validated, secret encrypted) and the activity types."""

from __future__ import annotations

import logging
from typing import Any

from functions.config import get_settings
from functions.core.models import GoogleClientSettings, Identity
from functions.core.settings_rules import check_activity_types, check_settings
from functions.google.errors import GoogleError, InvalidClient, OAuthError, RedirectUriMismatch
from functions.services.errors import (
    ClientRejected,
    GoogleUnavailable,
    InvalidActivityTypes,
    InvalidSettings,
    field_errors,
)
from functions.services.ports import Adapters

log = logging.getLogger(__name__)


def expected_redirect_url() -> str:
    """calbridge's own OAuth callback URL: the only redirect URL the settings accept."""
    return get_settings().function_url("oauth_callback")


class SettingsService:
    def __init__(self, adapters: Adapters) -> None:
        self.stores = adapters.stores
        self.google = adapters.google
        self.now = adapters.now

    def get_client_settings(self) -> GoogleClientSettings:
        return self.stores.config.load_google_settings()

    def save_client_settings(self, admin: Identity, body: dict[str, Any]) -> GoogleClientSettings:
        """Validate each field, ask Google's token endpoint whether it knows the client, then save."""
        current = self.stores.config.load_google_settings()
        checked, errors = check_settings(
            body, expected_redirect_url(), secret_already_set=bool(current.client_secret)
        )
        if checked is None:
            raise InvalidSettings("Some settings are not valid.", field_errors(errors))
        secret = checked.client_secret or current.client_secret
        assert secret is not None
        saved = GoogleClientSettings(
            api_key=checked.api_key,
            client_id=checked.client_id,
            client_secret=secret,
            redirect_url=checked.redirect_url,
            updated_at=self.now(),
            updated_by=admin.uid,
        )
        self.verify_client(saved)
        self.stores.config.save_google_settings(saved)
        log.info("Google client settings saved by %s (client %s)", admin.uid, checked.client_id)
        return saved

    def verify_client(self, client: GoogleClientSettings) -> None:
        """ClientRejected if the token endpoint refuses the client, secret or redirect URL."""
        oauth = self.google.oauth(client)
        try:
            oauth.check_client()
            oauth.check_redirect_url()
        except InvalidClient as exc:
            message = "Google does not know this client ID, or the client secret is wrong."
            raise ClientRejected(
                message, {"reason": exc.reason, "fields": {"client_id": message, "client_secret": message}}
            ) from exc
        except RedirectUriMismatch as exc:
            message = "This redirect URL is not registered in the Google client's authorized redirect URIs."
            raise ClientRejected(message, {"reason": exc.reason, "fields": {"redirect_url": message}}) from exc
        except OAuthError as exc:
            raise ClientRejected(
                f"Google's token endpoint refused the client: {exc.message}", {"reason": exc.reason, "fields": {}}
            ) from exc
        except GoogleError as exc:
            raise GoogleUnavailable(f"Could not check the client with Google: {exc.message}") from exc

    def get_activity_types(self) -> list[str]:
        return self.stores.config.load_activity_types()

    def save_activity_types(self, admin: Identity, body: dict[str, Any]) -> list[str]:
        types, error = check_activity_types(body.get("activity_types"))
        if types is None:
            raise InvalidActivityTypes(
                error or "Invalid activity types.", field_errors({"activity_types": error or "invalid"})
            )
        self.stores.config.save_activity_types(types, updated_by=admin.uid, now=self.now())
        return types
