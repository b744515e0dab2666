"""The Firestore admin client, built on first use and following the project / emulator env."""

from __future__ import annotations

import os
import threading
from typing import Any

from functions.config import get_settings

_lock = threading.Lock()
_clients: dict[tuple[str, str], Any] = {}


def db() -> Any:
    """A ``google.cloud.firestore.Client`` for the configured project (the emulator if set)."""
    project = get_settings().require_project_id()
    key = (project, os.environ.get("FIRESTORE_EMULATOR_HOST", ""))
    client = _clients.get(key)
    if client is None:
        with _lock:
            client = _clients.get(key)
            if client is None:
                from google.cloud import firestore

                client = firestore.Client(project=project)
                _clients[key] = client
    return client


def transactional(function: Any) -> Any:
    """``google.cloud.firestore.transactional``, imported only when a transaction runs."""
    from google.cloud import firestore

    return firestore.transactional(function)

