"""Settings come from the environment, with production defaults and clear errors."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from functions.config import SETTINGS, ConfigError, reload_settings

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch):
    for setting in SETTINGS:
        monkeypatch.delenv(setting.name, raising=False)
    yield monkeypatch
    monkeypatch.undo()
    reload_settings()


def test_defaults_are_googles_production_endpoints(clean_env) -> None:
    settings = reload_settings()
    assert settings.google_api_base_url == "https://www.googleapis.com/"
    assert settings.oauth_authorize_url == "https://accounts.google.com/o/oauth2/v2/auth"
    assert settings.oauth_token_url == "https://oauth2.googleapis.com/token"
    assert settings.oauth_revoke_url == "https://oauth2.googleapis.com/revoke"


def test_sandbox_urls_come_from_the_environment(clean_env) -> None:
    clean_env.setenv("GOOGLE_API_BASE_URL", "http://127.0.0.1:9999")
    clean_env.setenv("CALBRIDGE_PUBLIC_BASE_URL", "http://127.0.0.1:8080")
    settings = reload_settings()
    assert settings.google_api_base_url == "http://127.0.0.1:9999/"
    assert settings.function_url("oauth_callback") == "http://127.0.0.1:8080/oauth_callback"


def test_missing_required_settings_name_the_variable(clean_env) -> None:
    settings = reload_settings()
    with pytest.raises(ConfigError, match="GOOGLE_CLOUD_PROJECT"):
        settings.require_project_id()
    with pytest.raises(ConfigError, match="CALBRIDGE_PUBLIC_BASE_URL"):
        settings.function_url("oauth_callback")
    with pytest.raises(ConfigError, match="CALBRIDGE_ENCRYPTION_KEY is not set"):
        settings.encryption_key()


@pytest.mark.parametrize(
    ("value", "message"),
    [("not base64!", "not valid base64"), (base64.b64encode(b"short").decode(), "32 bytes, not 5")],
)
def test_malformed_encryption_key_is_refused(clean_env, value: str, message: str) -> None:
    clean_env.setenv("CALBRIDGE_ENCRYPTION_KEY", value)
    with pytest.raises(ConfigError, match=message):
        reload_settings().encryption_key()


def test_valid_encryption_key_decodes_to_32_bytes(clean_env) -> None:
    clean_env.setenv("CALBRIDGE_ENCRYPTION_KEY", base64.b64encode(bytes(range(32))).decode())
    assert reload_settings().encryption_key() == bytes(range(32))


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = README.read_text()
    missing = [s.name for s in SETTINGS if f"| `{s.name}` |" not in readme]
    assert missing == []


@pytest.mark.parametrize("variable", ["FIREBASE_AUTH_EMULATOR_HOST", "FIRESTORE_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST"])
def test_an_emulator_outside_a_demo_project_is_refused(clean_env, variable: str) -> None:
    clean_env.setenv("GOOGLE_CLOUD_PROJECT", "acme-crm-prod")
    clean_env.setenv(variable, "127.0.0.1:9099")
    with pytest.raises(ConfigError, match=f"{variable} is set, but GOOGLE_CLOUD_PROJECT \\(acme-crm-prod\\)"):
        reload_settings()
    clean_env.delenv("GOOGLE_CLOUD_PROJECT")
    with pytest.raises(ConfigError, match="not set"):
        reload_settings()
    clean_env.setenv("GOOGLE_CLOUD_PROJECT", "demo-calbridge")
    assert reload_settings().project_id == "demo-calbridge"


def test_production_without_emulators_is_fine(clean_env) -> None:
    clean_env.setenv("GOOGLE_CLOUD_PROJECT", "acme-crm-prod")
    assert reload_settings().project_id == "acme-crm-prod"
