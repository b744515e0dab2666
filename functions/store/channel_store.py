"""``channels/{channel_id}``: push channels (docs/push.md)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from functions.core.models import ChannelRecord
from functions.store.firestore_client import transactional
from functions.store.ports import UnitOfWork
from functions.store.unit_of_work import firestore_batch

MAX_USER_CHANNELS = 500


def channel_path(channel_id: str) -> str:
    return f"channels/{channel_id}"


def channel_to_doc(channel: ChannelRecord) -> dict[str, Any]:
    return {
        "uid": channel.uid,
        "calendar_id": channel.calendar_id,
        "activity_type": channel.activity_type,
        "resource_id": channel.resource_id,
        "token_hash": channel.token_hash,
        "expires_at": channel.expires_at,
        "import_queued_at": channel.import_queued_at,
        "notified_at": channel.notified_at,
        "retired_at": channel.retired_at,
    }


def channel_from_doc(channel_id: str, data: dict[str, Any]) -> ChannelRecord:
    return ChannelRecord(
        channel_id=channel_id,
        uid=str(data.get("uid") or ""),
        calendar_id=str(data.get("calendar_id") or ""),
        resource_id=str(data.get("resource_id") or ""),
        token_hash=str(data.get("token_hash") or ""),
        expires_at=data["expires_at"],
        activity_type=data.get("activity_type"),
        import_queued_at=data.get("import_queued_at"),
        notified_at=data.get("notified_at"),
        retired_at=data.get("retired_at"),
    )


def _field(path: str, op: str, value: Any) -> Any:
    from google.cloud.firestore_v1.base_query import FieldFilter

    return FieldFilter(path, op, value)


class FirestoreChannelStore:
    """Push channel records in Firestore."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def save_channel(self, channel: ChannelRecord) -> None:
        self.client.document(channel_path(channel.channel_id)).set(channel_to_doc(channel))

    def get_channel(self, channel_id: str) -> ChannelRecord | None:
        snapshot = self.client.document(channel_path(channel_id)).get()
        return channel_from_doc(channel_id, snapshot.to_dict() or {}) if snapshot.exists else None

    def resource_id(self, channel_id: str) -> str | None:
        """The Google resource id of a channel, if the channel is known."""
        snapshot = self.client.document(channel_path(channel_id)).get()
        value = (snapshot.to_dict() or {}).get("resource_id") if snapshot.exists else None
        return str(value) if value else None

    def delete_channel(self, channel_id: str) -> None:
        self.client.document(channel_path(channel_id)).delete()

    def retire_channel(self, channel_id: str, now: datetime) -> None:
        """Mark the record a tombstone (``retired_at``); nothing for an unknown channel."""
        from google.api_core.exceptions import NotFound

        try:
            self.client.document(channel_path(channel_id)).update({"retired_at": now, "import_queued_at": None})
        except NotFound:
            pass

    def list_for_user(self, uid: str) -> list[ChannelRecord]:
        """The user's live channels (tombstones left out)."""
        query = self.client.collection("channels").where(filter=_field("uid", "==", uid)).limit(MAX_USER_CHANNELS)
        channels = [channel_from_doc(s.id, s.to_dict() or {}) for s in query.stream()]
        return [c for c in channels if c.retired_at is None]

    def list_expiring(self, before: datetime, limit: int) -> list[ChannelRecord]:
        query = (self.client.collection("channels").where(filter=_field("expires_at", "<", before))
                 .order_by("expires_at").limit(limit))
        return [channel_from_doc(s.id, s.to_dict() or {}) for s in query.stream()]

    def claim_import(self, channel_id: str, now: datetime, stale_before: datetime) -> bool:
        """Set ``import_queued_at`` to ``now`` unless an import queued after ``stale_before`` is waiting
        (a transaction); whether it was set. False for an unknown channel. ``notified_at`` becomes ``now``
        either way (the queued import waits for a quiet spell after it)."""
        ref = self.client.document(channel_path(channel_id))

        @transactional
        def run(tx: Any) -> bool:
            snapshot = ref.get(transaction=tx)
            if not snapshot.exists:
                return False
            queued = (snapshot.to_dict() or {}).get("import_queued_at")
            if queued is not None and queued > stale_before:
                tx.update(ref, {"notified_at": now})
                return False
            tx.update(ref, {"import_queued_at": now, "notified_at": now})
            return True

        return run(self.client.transaction())

    def clear_import_claim(self, channel_id: str) -> None:
        from google.api_core.exceptions import NotFound

        try:
            self.client.document(channel_path(channel_id)).update({"import_queued_at": None})
        except NotFound:
            pass

    def stage_deleted(self, uow: UnitOfWork, channel_ids: Iterable[str]) -> None:
        batch = firestore_batch(uow)
        for channel_id in channel_ids:
            batch.count()
            batch.batch.delete(self.client.document(channel_path(channel_id)))
