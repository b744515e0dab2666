"""Validation of the admin's Google client settings and of the activity types."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

CLIENT_ID_RE = re.compile(r"^[0-9]+-[A-Za-z0-9]+\.apps\.googleusercontent\.com$")
API_KEY_RE = re.compile(r"^AIza[0-9A-Za-z_-]{35}$")
MAX_SECRET_LENGTH = 512
# Google client secrets are printable ASCII without spaces (e.g. ``GOCSPX-...``).
SECRET_RE = re.compile(rf"^[!-~]{{1,{MAX_SECRET_LENGTH}}}$")

MAX_ACTIVITY_TYPE_LENGTH = 64
DEFAULT_ACTIVITY_TYPES: tuple[str, ...] = ("Call", "Meeting", "Task")
MAX_ACTIVITY_TYPES = 50


@dataclass(frozen=True)
class SettingsInput:
    """The admin's submitted settings, checked; ``client_secret`` None means keep the stored one."""

    api_key: str
    client_id: str
    client_secret: str | None
    redirect_url: str


def _text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        return None
    return value.strip()


def check_settings(
    body: dict[str, Any], expected_redirect_url: str, secret_already_set: bool
) -> tuple[SettingsInput | None, dict[str, str]]:
    """The checked settings, or None and one readable message per wrong field."""
    errors: dict[str, str] = {}
    api_key = _text(body, "api_key")
    client_id = _text(body, "client_id")
    redirect_url = _text(body, "redirect_url")
    raw_secret = body.get("client_secret")

    if api_key is None:
        errors["api_key"] = "The API key must be a string."
    elif not api_key:
        errors["api_key"] = "The API key is required."
    elif not API_KEY_RE.match(api_key):
        errors["api_key"] = "This does not look like a Google API key (39 characters starting with 'AIza')."

    if client_id is None:
        errors["client_id"] = "The client ID must be a string."
    elif not client_id:
        errors["client_id"] = "The client ID is required."
    elif not CLIENT_ID_RE.match(client_id):
        errors["client_id"] = (
            "This does not look like a Google OAuth client ID "
            "(<digits>-<letters and digits>.apps.googleusercontent.com)."
        )

    secret: str | None
    if raw_secret is None or raw_secret == "":
        secret = None
        if not secret_already_set:
            errors["client_secret"] = "The client secret is required."
    elif not isinstance(raw_secret, str):
        secret = None
        errors["client_secret"] = "The client secret must be a string."
    else:
        secret = raw_secret.strip()
        if not SECRET_RE.match(secret):
            errors["client_secret"] = (
                "The client secret must be one word of printable ASCII characters, without spaces "
                f"(at most {MAX_SECRET_LENGTH}), as Google issues them."
            )

    if redirect_url is None:
        errors["redirect_url"] = "The redirect URL must be a string."
    elif redirect_url != expected_redirect_url:
        errors["redirect_url"] = (
            f"The redirect URL must be calbridge's own callback URL: {expected_redirect_url} "
            "(register it in the Google client's authorized redirect URIs)."
        )

    if errors:
        return None, errors
    assert api_key is not None and client_id is not None and redirect_url is not None
    return SettingsInput(api_key, client_id, secret, redirect_url), {}


def check_activity_types(value: Any) -> tuple[list[str] | None, str | None]:
    """The cleaned list of activity type names, or None and a message."""
    if not isinstance(value, list):
        return None, "Give a list of activity type names."
    if not value:
        return None, "Give at least one activity type."
    if len(value) > MAX_ACTIVITY_TYPES:
        return None, f"At most {MAX_ACTIVITY_TYPES} activity types."
    cleaned: list[str] = []
    for item in value:
        name, error = check_activity_type_name(item)
        if name is None:
            return None, error
        if name.casefold() in (c.casefold() for c in cleaned):
            return None, f"{name!r} is listed twice."
        cleaned.append(name)
    return cleaned, None


def check_activity_type_name(item: Any) -> tuple[str | None, str | None]:
    """One activity type name, trimmed and NFC-normalised; any printable text of 1 to 64 characters
    (accents, other scripts, punctuation) except the path segments ``.`` and ``..``."""
    if not isinstance(item, str):
        return None, f"{item!r} is not a valid activity type name: give text."
    name = unicodedata.normalize("NFC", item.strip())
    if not name:
        return None, "An activity type name cannot be empty."
    if len(name) > MAX_ACTIVITY_TYPE_LENGTH:
        return None, f"{name[:20]!r}... is too long: at most {MAX_ACTIVITY_TYPE_LENGTH} characters."
    if not name.isprintable():
        return None, (
            f"{name!r} is not a valid activity type name: it holds a control or invisible character "
            "(only printable text)."
        )
    if name in (".", ".."):
        return None, f"{name!r} is not a valid activity type name."
    return name, None
