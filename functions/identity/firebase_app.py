"""The firebase-admin app, initialised once on first use (ID tokens, custom claims)."""

from __future__ import annotations

import threading
from typing import Any

from functions.config import get_settings

APP_NAME = "calbridge"
_lock = threading.Lock()


def firebase_app() -> Any:
    """The ``firebase_admin.App`` for the configured project.

    With FIREBASE_AUTH_EMULATOR_HOST set, firebase-admin talks to the emulator and accepts its
    unsigned tokens; in production it verifies Google-signed tokens and uses Application
    Default Credentials for admin calls.
    """
    import firebase_admin

    settings = get_settings()  # every use: refuses emulator variables outside a demo- project
    with _lock:
        try:
            return firebase_admin.get_app(APP_NAME)
        except ValueError:
            project = settings.require_project_id()
            return firebase_admin.initialize_app(options={"projectId": project}, name=APP_NAME)
