"""The Firestore admin client for the configured project (the emulator if set), built on demand."""

from __future__ import annotations

from typing import Any

from functions.config import get_settings


def new_firestore_client() -> Any:
    """A ``google.cloud.firestore.Client`` for the configured project; import deferred (cold starts)."""
    from google.cloud import firestore

    return firestore.Client(project=get_settings().require_project_id())


def transactional(function: Any) -> Any:
    """``google.cloud.firestore.transactional``, imported only when a transaction runs."""
    from google.cloud import firestore

    return firestore.transactional(function)
