"""``config/google`` (the OAuth client, secret encrypted) and ``config/activity_types``: ``FirestoreConfigStore``."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from functions.core.models import GoogleClientSettings
from functions.core.secret_box import SecretDecryptionError
from functions.core.settings_rules import DEFAULT_ACTIVITY_TYPES
from functions.store.secrets_codec import seal, unseal

log = logging.getLogger(__name__)

GOOGLE_PATH = "config/google"
ACTIVITY_TYPES_PATH = "config/activity_types"


class FirestoreConfigStore:
    """The admin's settings in Firestore."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def load_google_settings(self) -> GoogleClientSettings:
        """The saved client settings (empty ones if the admin saved none yet)."""
        snapshot = self.client.document(GOOGLE_PATH).get()
        if not snapshot.exists:
            return GoogleClientSettings()
        data = snapshot.to_dict() or {}
        secret: str | None = None
        if data.get("client_secret"):
            try:
                secret = unseal(data["client_secret"], GOOGLE_PATH, "client_secret")
            except SecretDecryptionError:
                log.error("config/google client_secret does not decrypt (key changed?); the admin must save it again")
        return GoogleClientSettings(
            api_key=data.get("api_key") or "",
            client_id=data.get("client_id") or "",
            client_secret=secret,
            redirect_url=data.get("redirect_url") or "",
            updated_at=data.get("updated_at"),
            updated_by=data.get("updated_by"),
        )

    def save_google_settings(self, client: GoogleClientSettings) -> None:
        if not client.client_secret:
            raise ValueError("the Google client settings need a client secret")
        self.client.document(GOOGLE_PATH).set(
            {
                "api_key": client.api_key,
                "client_id": client.client_id,
                "client_secret": seal(client.client_secret, GOOGLE_PATH, "client_secret"),
                "redirect_url": client.redirect_url,
                "updated_at": client.updated_at,
                "updated_by": client.updated_by,
            }
        )

    def load_activity_types(self) -> list[str]:
        snapshot = self.client.document(ACTIVITY_TYPES_PATH).get()
        types = (snapshot.to_dict() or {}).get("types") if snapshot.exists else None
        if not isinstance(types, list) or not types:
            return list(DEFAULT_ACTIVITY_TYPES)
        return [str(t) for t in types]

    def save_activity_types(self, types: list[str], updated_by: str, now: datetime) -> None:
        self.client.document(ACTIVITY_TYPES_PATH).set({"types": types, "updated_at": now, "updated_by": updated_by})
