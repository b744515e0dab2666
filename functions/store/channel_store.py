"""``channels/{channel_id}``: push channels (written by the sync; read here to stop them)."""

from __future__ import annotations

from functions.store.firestore_client import db


def channel_path(channel_id: str) -> str:
    return f"channels/{channel_id}"


def resource_id(channel_id: str) -> str | None:
    """The Google resource id of a channel, if the channel is known."""
    snapshot = db().document(channel_path(channel_id)).get()
    value = (snapshot.to_dict() or {}).get("resource_id") if snapshot.exists else None
    return str(value) if value else None
