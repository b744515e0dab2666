"""``users/{uid}/secrets/pending_revocation_<id>``: grants whose revocation Google has not confirmed
(the refresh token encrypted, plus attempt bookkeeping). Under ``secrets/``: no client reads them."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from functions.core.models import PendingRevocation
from functions.core.secret_box import SecretDecryptionError
from functions.store.errors import MissingDocument
from functions.store.ports import UnitOfWork
from functions.store.secrets_codec import seal, unseal
from functions.store.unit_of_work import firestore_batch

log = logging.getLogger(__name__)

KIND = "pending_revocation"


def revocation_path(uid: str, revocation_id: str) -> str:
    return f"users/{uid}/secrets/{revocation_id}"


def revocation_to_doc(revocation: PendingRevocation) -> dict[str, Any]:
    if not revocation.refresh_token:
        raise ValueError("a pending revocation needs the token to revoke")
    path = revocation_path(revocation.uid, revocation.id)
    return {
        "kind": KIND,
        "refresh_token": seal(revocation.refresh_token, path, "refresh_token"),
        "google_email": revocation.google_email,
        "client_id": revocation.client_id,
        "created_at": revocation.created_at,
        "attempts": revocation.attempts,
        "last_attempt_at": revocation.last_attempt_at,
        "last_error": revocation.last_error,
        "next_attempt_at": revocation.next_attempt_at,
    }


def revocation_from_doc(uid: str, revocation_id: str, data: dict[str, Any]) -> PendingRevocation:
    path = revocation_path(uid, revocation_id)
    token: str | None = None
    if data.get("refresh_token"):
        try:
            token = unseal(data["refresh_token"], path, "refresh_token")
        except SecretDecryptionError:
            log.error("%s does not decrypt (key changed or copied document)", path)
    return PendingRevocation(
        id=revocation_id,
        uid=uid,
        refresh_token=token,
        created_at=data["created_at"],
        next_attempt_at=data["next_attempt_at"],
        attempts=int(data.get("attempts") or 0),
        last_attempt_at=data.get("last_attempt_at"),
        last_error=data.get("last_error"),
        google_email=data.get("google_email"),
        client_id=data.get("client_id"),
    )


class FirestoreRevocationStore:
    """Pending revocations in Firestore, one document per token, beside the user's tokens."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def stage_pending(self, uow: UnitOfWork, revocation: PendingRevocation) -> None:
        batch = firestore_batch(uow)
        batch.count()
        ref = self.client.document(revocation_path(revocation.uid, revocation.id))
        batch.batch.set(ref, revocation_to_doc(revocation))

    def list_pending(self, uid: str) -> list[PendingRevocation]:
        """The user's pending revocations, oldest first."""
        found = [
            revocation_from_doc(uid, s.id, s.to_dict() or {})
            for s in self.client.collection("users").document(uid).collection("secrets").stream()
            if (s.to_dict() or {}).get("kind") == KIND
        ]
        return sorted(found, key=lambda r: (r.created_at, r.id))

    def list_due(self, now: datetime, limit: int) -> list[PendingRevocation]:
        """Every user's pending revocations whose next attempt is due, the most overdue first."""
        from google.cloud.firestore_v1.base_query import FieldFilter

        query = (
            self.client.collection_group("secrets")
            .where(filter=FieldFilter("next_attempt_at", "<=", now))
            .order_by("next_attempt_at")
            .limit(limit)
        )
        due: list[PendingRevocation] = []
        for snapshot in query.stream():
            data = snapshot.to_dict() or {}
            parent = snapshot.reference.parent.parent
            if data.get("kind") != KIND or parent is None:
                continue
            due.append(revocation_from_doc(parent.id, snapshot.id, data))
        return due

    def record_failed_attempt(
        self, uid: str, revocation_id: str, attempts: int, error: str, at: datetime, next_attempt_at: datetime
    ) -> None:
        """Another attempt failed; MissingDocument if the revocation is gone meanwhile."""
        from google.api_core.exceptions import NotFound

        fields = {"attempts": attempts, "last_attempt_at": at, "last_error": error, "next_attempt_at": next_attempt_at}
        try:
            self.client.document(revocation_path(uid, revocation_id)).update(fields)
        except NotFound as exc:
            raise MissingDocument(f"{revocation_path(uid, revocation_id)} does not exist") from exc

    def delete(self, uid: str, revocation_id: str) -> None:
        """Done (Google confirmed): the token is forgotten."""
        self.client.document(revocation_path(uid, revocation_id)).delete()

    def stage_deleted(self, uow: UnitOfWork, uid: str, revocation_ids: Iterable[str]) -> None:
        batch = firestore_batch(uow)
        for revocation_id in revocation_ids:
            batch.count()
            batch.batch.delete(self.client.document(revocation_path(uid, revocation_id)))
