"""Admin settings: the Google OAuth client (validated, secret encrypted) and the activity types."""

from __future__ import annotations

import logging
from typing import Any

from functions.config import get_settings
from functions.core import clock
from functions.core.clock import isoformat
from functions.core.models import GoogleClientSettings, Identity
from functions.core.settings_rules import check_activity_types, check_settings
from functions.google.errors import GoogleError, InvalidClient, OAuthError, RedirectUriMismatch
from functions.google.oauth_client import OAuthClient
from functions.services.errors import GoogleUnavailable, ServiceError, field_errors
from functions.services.google_clients import endpoints
from functions.store import config_store

log = logging.getLogger(__name__)


def expected_redirect_url() -> str:
    """calbridge's own OAuth callback URL: the only redirect URL the settings accept."""
    return get_settings().function_url("oauth_callback")


def settings_view(client: GoogleClientSettings) -> dict[str, Any]:
    """What GET /admin/settings answers: never the secret, only whether one is set."""
    return {
        "api_key": client.api_key,
        "client_id": client.client_id,
        "redirect_url": client.redirect_url,
        "client_secret_set": bool(client.client_secret),
        "expected_redirect_url": expected_redirect_url(),
        "updated_at": isoformat(client.updated_at),
    }


def get_client_settings() -> dict[str, Any]:
    return settings_view(config_store.load_google_settings())


def save_client_settings(admin: Identity, body: dict[str, Any]) -> dict[str, Any]:
    """Validate each field, ask Google's token endpoint whether it knows the client, then save."""
    current = config_store.load_google_settings()
    checked, errors = check_settings(body, expected_redirect_url(), secret_already_set=bool(current.client_secret))
    if checked is None:
        raise ServiceError("Some settings are not valid.", field_errors(errors), status=400, code="invalid_settings")
    secret = checked.client_secret or current.client_secret
    assert secret is not None
    verify_client(checked.client_id, secret, checked.redirect_url)
    saved = GoogleClientSettings(
        api_key=checked.api_key,
        client_id=checked.client_id,
        client_secret=secret,
        redirect_url=checked.redirect_url,
        updated_at=clock.now(),
        updated_by=admin.uid,
    )
    config_store.save_google_settings(saved)
    log.info("Google client settings saved by %s (client %s)", admin.uid, checked.client_id)
    return settings_view(saved)


def verify_client(client_id: str, client_secret: str, redirect_url: str) -> None:
    """422 ``client_rejected`` if the token endpoint refuses the client, secret or redirect URL."""
    client = OAuthClient(client_id, client_secret, redirect_url, endpoints())
    try:
        client.check_client()
        client.check_redirect_url()
    except InvalidClient as exc:
        message = "Google does not know this client ID, or the client secret is wrong."
        raise ServiceError(
            message,
            {"reason": exc.reason, "fields": {"client_id": message, "client_secret": message}},
            status=422,
            code="client_rejected",
        ) from exc
    except RedirectUriMismatch as exc:
        message = "This redirect URL is not registered in the Google client's authorized redirect URIs."
        raise ServiceError(
            message, {"reason": exc.reason, "fields": {"redirect_url": message}}, status=422, code="client_rejected"
        ) from exc
    except OAuthError as exc:
        raise ServiceError(
            f"Google's token endpoint refused the client: {exc.message}",
            {"reason": exc.reason, "fields": {}},
            status=422,
            code="client_rejected",
        ) from exc
    except GoogleError as exc:
        raise GoogleUnavailable(f"Could not check the client with Google: {exc.message}") from exc


def get_activity_types() -> list[str]:
    return config_store.load_activity_types()


def save_activity_types(admin: Identity, body: dict[str, Any]) -> list[str]:
    types, error = check_activity_types(body.get("activity_types"))
    if types is None:
        raise ServiceError(
            error or "Invalid activity types.",
            field_errors({"activity_types": error or "invalid"}),
            status=400,
            code="invalid_activity_types",
        )
    config_store.save_activity_types(types, updated_by=admin.uid, now=clock.now())
    return types
