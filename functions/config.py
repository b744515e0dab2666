"""Every setting calbridge reads, from the environment, in one place.

Defaults are the production values. Local runs and tests point the Google URLs at the
sandbox through the same variables; no other code special-cases "local".
Settings are read on first use (not at import) so a cold start stays cheap and a test can
change the environment and call :func:`reload_settings`.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field
from functools import lru_cache


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Setting:
    """Documentation of one environment variable (the README table is generated from these)."""

    name: str
    default: str | None
    description: str


SETTINGS: tuple[Setting, ...] = (
    Setting("GOOGLE_CLOUD_PROJECT", None, "Google Cloud project id (Firestore, Pub/Sub, Firebase Auth)."),
    Setting(
        "CALBRIDGE_PUBLIC_BASE_URL",
        None,
        "Public base URL under which the HTTP functions are mounted, ending in `/`; "
        "used to build the OAuth redirect URL and the push webhook address.",
    ),
    Setting(
        "CALBRIDGE_ENCRYPTION_KEY",
        None,
        "Base64 of a 32-byte AES-256-GCM key for secrets at rest (refresh tokens, client secret). "
        "Inject it from Secret Manager.",
    ),
    Setting("GOOGLE_API_BASE_URL", "https://www.googleapis.com/", "Base URL of the Google Calendar API."),
    Setting(
        "GOOGLE_OAUTH_AUTHORIZE_URL",
        "https://accounts.google.com/o/oauth2/v2/auth",
        "Google's OAuth 2.0 consent (authorization) endpoint.",
    ),
    Setting("GOOGLE_OAUTH_TOKEN_URL", "https://oauth2.googleapis.com/token", "Google's OAuth 2.0 token endpoint."),
    Setting("GOOGLE_OAUTH_REVOKE_URL", "https://oauth2.googleapis.com/revoke", "Google's OAuth 2.0 revoke endpoint."),
    Setting("CALBRIDGE_SYNC_TOPIC", "calbridge-sync", "Pub/Sub topic the scheduled jobs fan out per-user work to."),
    Setting(
        "CALBRIDGE_FIREBASE_WEB_API_KEY",
        "",
        "Firebase Web API key used by the settings pages to sign in (any value works on the Auth emulator).",
    ),
    Setting(
        "CALBRIDGE_FIREBASE_JS_URL",
        "https://www.gstatic.com/firebasejs/13.2.0/",
        "Where the settings pages load the Firebase JS SDK (compat builds) from, ending in `/`.",
    ),
    Setting(
        "FIREBASE_AUTH_EMULATOR_HOST",
        "",
        "host:port of the Firebase Auth emulator; set only locally (with a `demo-` project). "
        "firebase-admin and the pages then use it.",
    ),
    Setting(
        "FIRESTORE_EMULATOR_HOST",
        "",
        "host:port of the Firestore emulator; set only locally (with a `demo-` project).",
    ),
    Setting(
        "PUBSUB_EMULATOR_HOST",
        "",
        "host:port of the Pub/Sub emulator; set only locally (with a `demo-` project).",
    ),
)

# With one of these set, the client libraries talk to an emulator; firebase-admin then accepts
# unsigned and expired ID tokens. Allowed only with a ``demo-`` project id, which never reaches
# a real project; anything else is refused (see :func:`check_emulators`).
EMULATOR_VARIABLES = ("FIREBASE_AUTH_EMULATOR_HOST", "FIRESTORE_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST")
DEMO_PROJECT_PREFIX = "demo-"

_DEFAULTS = {s.name: s.default for s in SETTINGS}


def _read(name: str) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        return _DEFAULTS.get(name)
    return value


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


@dataclass(frozen=True)
class Settings:
    project_id: str | None
    public_base_url: str | None
    encryption_key_b64: str | None = field(repr=False)
    google_api_base_url: str
    oauth_authorize_url: str
    oauth_token_url: str
    oauth_revoke_url: str
    sync_topic: str
    firebase_web_api_key: str
    firebase_js_url: str
    firebase_auth_emulator_host: str

    def require_project_id(self) -> str:
        if not self.project_id:
            raise ConfigError("GOOGLE_CLOUD_PROJECT is not set: the Google Cloud project id is required.")
        return self.project_id

    def require_public_base_url(self) -> str:
        if not self.public_base_url:
            raise ConfigError(
                "CALBRIDGE_PUBLIC_BASE_URL is not set: the public base URL of the functions is required "
                "to build the OAuth redirect URL and the webhook address."
            )
        return self.public_base_url

    def function_url(self, function_name: str) -> str:
        """The public URL of one HTTP function, e.g. the OAuth callback."""
        return self.require_public_base_url() + function_name

    def encryption_key(self) -> bytes:
        """The 32-byte secrets key; a clear error if it is missing or malformed."""
        if not self.encryption_key_b64:
            raise ConfigError("CALBRIDGE_ENCRYPTION_KEY is not set: a base64 32-byte key is required.")
        try:
            key = base64.b64decode(self.encryption_key_b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ConfigError("CALBRIDGE_ENCRYPTION_KEY is not valid base64.") from exc
        if len(key) != 32:
            raise ConfigError(f"CALBRIDGE_ENCRYPTION_KEY must decode to 32 bytes, not {len(key)}.")
        return key


def check_emulators(project_id: str | None, environ: dict[str, str] | None = None) -> None:
    """ConfigError if an emulator variable is set while the project is not a ``demo-`` project.

    An emulator variable in production would make firebase-admin accept forged sign-ins.
    """
    environ = dict(os.environ) if environ is None else environ
    set_vars = [name for name in EMULATOR_VARIABLES if environ.get(name)]
    if set_vars and not (project_id or "").startswith(DEMO_PROJECT_PREFIX):
        raise ConfigError(
            f"{', '.join(set_vars)} {'is' if len(set_vars) == 1 else 'are'} set, but GOOGLE_CLOUD_PROJECT "
            f"({project_id or 'not set'}) is not a '{DEMO_PROJECT_PREFIX}' project. Emulators are for local "
            "runs only (they accept unsigned sign-in tokens): unset the emulator variables in production, "
            f"or use a '{DEMO_PROJECT_PREFIX}...' project id locally."
        )


def _load() -> Settings:
    check_emulators(_read("GOOGLE_CLOUD_PROJECT"))
    public = _read("CALBRIDGE_PUBLIC_BASE_URL")
    return Settings(
        project_id=_read("GOOGLE_CLOUD_PROJECT"),
        public_base_url=_with_slash(public) if public else None,
        encryption_key_b64=_read("CALBRIDGE_ENCRYPTION_KEY"),
        google_api_base_url=_with_slash(_read("GOOGLE_API_BASE_URL") or ""),
        oauth_authorize_url=_read("GOOGLE_OAUTH_AUTHORIZE_URL") or "",
        oauth_token_url=_read("GOOGLE_OAUTH_TOKEN_URL") or "",
        oauth_revoke_url=_read("GOOGLE_OAUTH_REVOKE_URL") or "",
        sync_topic=_read("CALBRIDGE_SYNC_TOPIC") or "",
        firebase_web_api_key=_read("CALBRIDGE_FIREBASE_WEB_API_KEY") or "",
        firebase_js_url=_with_slash(_read("CALBRIDGE_FIREBASE_JS_URL") or ""),
        firebase_auth_emulator_host=_read("FIREBASE_AUTH_EMULATOR_HOST") or "",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings, read from the environment once; ConfigError (every time) for an unsafe setup."""
    return _load()


def reload_settings() -> Settings:
    """Forget the cached settings and read the environment again (tests, dev server)."""
    get_settings.cache_clear()
    return get_settings()
