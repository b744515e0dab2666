"""An emulator variable outside a ``demo-`` project: importing main still works (cold starts),
but every function refuses every request, with a message naming the problem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import functions_framework
import pytest

from functions import admin_cli
from functions.config import SETTINGS

REPO_ROOT = Path(__file__).resolve().parents[2]
MAIN = str(REPO_ROOT / "main.py")
HTTP_FUNCTIONS = ["api", "pages", "oauth_callback", "calendar_webhook", "activities", "export_activities",
                  "import_events", "renew_channels"]


@pytest.fixture
def unsafe_env(monkeypatch: pytest.MonkeyPatch):
    for setting in SETTINGS:
        monkeypatch.delenv(setting.name, raising=False)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "acme-crm-prod")
    monkeypatch.setenv("CALBRIDGE_PUBLIC_BASE_URL", "https://calbridge.example.com/")
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099")
    from functions.config import get_settings

    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def test_importing_main_does_not_fail(unsafe_env) -> None:
    env = {"GOOGLE_CLOUD_PROJECT": "acme-crm-prod", "FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9099",
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", "import main"], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("name", HTTP_FUNCTIONS)
def test_every_http_function_refuses_with_a_clear_message(unsafe_env, name: str) -> None:
    client = functions_framework.create_app(target=name, source=MAIN).test_client()
    for method, path in (("GET", "/"), ("POST", "/me"), ("GET", "/admin")):
        answer = client.open(path, method=method, json={}, headers={"Authorization": "Bearer forged"})
        assert answer.status_code == 500, (name, path, answer.data)
        error = answer.get_json()["error"]
        assert error["code"] == "misconfigured"
        assert "FIREBASE_AUTH_EMULATOR_HOST is set" in error["message"]
        assert "acme-crm-prod" in error["message"] and "demo-" in error["message"]


def test_the_pubsub_worker_refuses_too(unsafe_env) -> None:
    import main
    from functions.config import ConfigError

    with pytest.raises(ConfigError, match="FIREBASE_AUTH_EMULATOR_HOST"):
        main.sync_worker(None)


def test_the_admin_cli_refuses_too(unsafe_env, capsys: pytest.CaptureFixture[str]) -> None:
    # Even in a process whose firebase-admin app was made earlier, under a safe configuration.
    from functions.config import get_settings
    from functions.identity.firebase_app import firebase_app

    unsafe_env.setenv("GOOGLE_CLOUD_PROJECT", "demo-earlier")
    get_settings.cache_clear()
    firebase_app()
    unsafe_env.setenv("GOOGLE_CLOUD_PROJECT", "acme-crm-prod")
    get_settings.cache_clear()
    try:
        assert admin_cli.main(["grant-admin", "someone@example.com"]) == 1
        assert "FIREBASE_AUTH_EMULATOR_HOST is set" in capsys.readouterr().err
    finally:  # made again, from the environment of the time, at its next use
        import firebase_admin

        from functions.identity.firebase_app import APP_NAME

        firebase_admin.delete_app(firebase_admin.get_app(APP_NAME))
