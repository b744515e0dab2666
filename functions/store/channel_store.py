"""``channels/{channel_id}``: push channels (written by the sync; read here to stop them)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from functions.store.ports import UnitOfWork
from functions.store.unit_of_work import firestore_batch


def channel_path(channel_id: str) -> str:
    return f"channels/{channel_id}"


class FirestoreChannelStore:
    """Push channel records in Firestore."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def resource_id(self, channel_id: str) -> str | None:
        """The Google resource id of a channel, if the channel is known."""
        snapshot = self.client.document(channel_path(channel_id)).get()
        value = (snapshot.to_dict() or {}).get("resource_id") if snapshot.exists else None
        return str(value) if value else None

    def stage_deleted(self, uow: UnitOfWork, channel_ids: Iterable[str]) -> None:
        batch = firestore_batch(uow)
        for channel_id in channel_ids:
            batch.count()
            batch.batch.delete(self.client.document(channel_path(channel_id)))
