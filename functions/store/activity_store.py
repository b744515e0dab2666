"""``activities/{id}`` and ``groups/{id}`` in Firestore.

Two writers share an activity document: the API (or a client under ``firestore.rules``) writes what
the CRM owns and asks for export (``sync.state = pending``), the export writes ``sync``. Neither
overwrites the other: an edit updates its own fields by path and leaves ``sync.targets`` alone; the
export writes all of ``sync`` only if the document is unchanged since it read it, and otherwise only
``sync.targets`` (what Google holds is never forgotten; the newer edit stays pending).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from functions.core.activity import Activity, ActivitySync, InvalidActivity, SyncState
from functions.core.group import Group
from functions.store.activity_codec import (
    activity_from_doc,
    activity_to_doc,
    sync_to_doc,
    target_to_doc,
)
from functions.store.errors import AlreadyExists, MissingDocument
from functions.store.ports import UnitOfWork
from functions.store.unit_of_work import firestore_batch

log = logging.getLogger(__name__)

ACTIVITIES = "activities"
INVALID_DOCUMENT = (InvalidActivity, KeyError, ValueError, TypeError, AttributeError)
GROUPS = "groups"
MAX_GROUPS = 1000


def pending_fields(now: datetime) -> dict[str, Any]:
    """What asks the export to run for an activity (a fresh change: attempts start again)."""
    return {"sync.state": str(SyncState.PENDING), "sync.due_at": now, "sync.attempts": 0, "sync.last_error": None}


def edit_fields(activity: Activity, now: datetime) -> dict[str, Any]:
    """An edit: every field but ``sync`` and ``created_at``, and the export asked for (by field path)."""
    doc = activity_to_doc(activity)
    doc.pop("sync", None)
    doc.pop("created_at", None)
    return {**doc, **pending_fields(now)}


class FirestoreActivityStore:
    def __init__(self, client: Any) -> None:
        self.client = client

    def _ref(self, activity_id: str) -> Any:
        return self.client.collection(ACTIVITIES).document(activity_id)

    @staticmethod
    def _from_snapshot(snapshot: Any) -> Activity:
        return activity_from_doc(snapshot.id, snapshot.to_dict() or {}, snapshot.update_time)

    def get(self, activity_id: str) -> Activity | None:
        snapshot = self._ref(activity_id).get()
        return self._from_snapshot(snapshot) if snapshot.exists else None

    def create(self, activity: Activity) -> Activity:
        from google.api_core.exceptions import AlreadyExists as FirestoreAlreadyExists

        try:
            result = self._ref(activity.id).create(activity_to_doc(activity))
        except FirestoreAlreadyExists as exc:
            raise AlreadyExists(f"activities/{activity.id} exists") from exc
        return _with_revision(activity, result.update_time)

    def save_edit(self, activity: Activity, now: datetime) -> Activity:
        from google.api_core.exceptions import NotFound

        try:
            result = self._ref(activity.id).update(edit_fields(activity, now))
        except NotFound as exc:
            raise MissingDocument(f"activities/{activity.id} does not exist") from exc
        return _with_revision(activity, result.update_time)

    def save_sync(self, activity_id: str, sync: ActivitySync, revision: object) -> object | None:
        from google.api_core.exceptions import FailedPrecondition, NotFound

        ref = self._ref(activity_id)
        option = self.client.write_option(last_update_time=revision) if revision is not None else None
        try:
            return ref.update({"sync": sync_to_doc(sync)}, option=option).update_time
        except FailedPrecondition:
            pass
        except NotFound:
            return None
        try:
            ref.update({"sync.targets": [target_to_doc(t) for t in sync.targets]})
        except NotFound:
            pass
        return None

    def delete(self, activity_id: str, revision: object = None) -> bool:
        from google.api_core.exceptions import FailedPrecondition, NotFound

        ref = self._ref(activity_id)
        try:
            if revision is None:
                ref.delete()
            else:
                ref.delete(option=self.client.write_option(last_update_time=revision))
        except FailedPrecondition:
            return False
        except NotFound:
            return True
        return True

    def list_for_owner(self, owner_uid: str, start: datetime, end: datetime, limit: int) -> list[Activity]:
        query = (
            self.client.collection(ACTIVITIES)
            .where(filter=_field("owner_uid", "==", owner_uid))
            .where(filter=_field("range_start", "<", end))
            .where(filter=_field("range_end", ">", start))
            .order_by("range_start")
            .limit(limit)
        )
        return self._valid(query.stream())

    def list_pending(self, now: datetime, limit: int) -> list[Activity]:
        """Due activities; a document that is not a valid activity (a client wrote it) is set to
        ``error`` with the reason instead, so it cannot hold up the queue."""
        return self._pending(self._pending_query(now, limit))

    def list_pending_for_owner(self, owner_uid: str, now: datetime, limit: int) -> list[Activity]:
        """One owner's due activities (index: owner_uid, sync.state, sync.due_at); invalid ones set to error."""
        return self._pending(self._pending_query(now, limit, owner_uid))

    def _pending(self, query: Any) -> list[Activity]:
        found: list[Activity] = []
        for snapshot in query.stream():
            try:
                found.append(self._from_snapshot(snapshot))
            except INVALID_DOCUMENT as error:
                snapshot.reference.update({"sync.state": str(SyncState.ERROR), "sync.due_at": None,
                                           "sync.last_error": f"not a valid activity: {error}"})
        return found

    def _pending_query(self, now: datetime, limit: int, owner_uid: str | None = None) -> Any:
        query = self.client.collection(ACTIVITIES)
        if owner_uid is not None:
            query = query.where(filter=_field("owner_uid", "==", owner_uid))
        return (
            query
            .where(filter=_field("sync.state", "==", str(SyncState.PENDING)))
            .where(filter=_field("sync.due_at", "<=", now))
            .order_by("sync.due_at")
            .limit(limit)
        )

    def list_by_group(self, group_id: str, limit: int) -> list[Activity]:
        query = self.client.collection(ACTIVITIES).where(filter=_field("group_id", "==", group_id)).limit(limit)
        return self._valid(query.stream())

    def _valid(self, snapshots: Iterable[Any]) -> list[Activity]:
        """The snapshots that are activities; one a client wrote wrongly is left out (and logged), not fatal."""
        found: list[Activity] = []
        for snapshot in snapshots:
            try:
                found.append(self._from_snapshot(snapshot))
            except INVALID_DOCUMENT as error:
                log.warning("activities/%s is not a valid activity: %s", snapshot.id, error)
        return found

    def stage_pending(self, uow: UnitOfWork, activity_ids: Iterable[str], now: datetime) -> None:
        batch = firestore_batch(uow)
        for activity_id in activity_ids:
            batch.count()
            batch.batch.update(self._ref(activity_id), pending_fields(now))

    def get_many(self, activity_ids: Iterable[str]) -> dict[str, Activity]:
        refs = [self._ref(i) for i in dict.fromkeys(activity_ids)]
        if not refs:
            return {}
        return {a.id: a for a in self._valid(s for s in self.client.get_all(refs) if s.exists)}

    def list_by_type(self, owner_uid: str, activity_type: str, limit: int) -> list[Activity]:
        query = (self.client.collection(ACTIVITIES).where(filter=_field("owner_uid", "==", owner_uid))
                 .where(filter=_field("activity_type", "==", activity_type)).limit(limit))
        return self._valid(query.stream())

    def stage_put(self, uow: UnitOfWork, activity: Activity) -> None:
        batch = firestore_batch(uow)
        batch.count()
        batch.batch.set(self._ref(activity.id), activity_to_doc(activity))

    def stage_create(self, uow: UnitOfWork, activity: Activity) -> None:
        batch = firestore_batch(uow)
        batch.count()
        batch.batch.create(self._ref(activity.id), activity_to_doc(activity))

    def stage_sync(self, uow: UnitOfWork, activity_id: str, sync: ActivitySync) -> None:
        batch = firestore_batch(uow)
        batch.count()
        batch.batch.update(self._ref(activity_id), {"sync": sync_to_doc(sync)})


def _field(path: str, op: str, value: Any) -> Any:
    from google.cloud.firestore_v1.base_query import FieldFilter

    return FieldFilter(path, op, value)


def _with_revision(activity: Activity, revision: object) -> Activity:
    from dataclasses import replace

    return replace(activity, revision=revision)


def group_to_doc(group: Group) -> dict[str, Any]:
    return {"name": group.name, "member_uids": list(group.member_uids), "updated_at": group.updated_at,
            "updated_by": group.updated_by}


def group_from_doc(group_id: str, data: dict[str, Any]) -> Group:
    return Group(
        id=group_id, name=str(data.get("name") or ""), member_uids=tuple(data.get("member_uids") or ()),
        updated_at=data.get("updated_at"), updated_by=data.get("updated_by"),
    )


class FirestoreGroupStore:
    def __init__(self, client: Any) -> None:
        self.client = client

    def get_group(self, group_id: str) -> Group | None:
        snapshot = self.client.collection(GROUPS).document(group_id).get()
        return group_from_doc(group_id, snapshot.to_dict() or {}) if snapshot.exists else None

    def list_groups(self) -> list[Group]:
        stream = self.client.collection(GROUPS).limit(MAX_GROUPS).stream()
        return sorted((group_from_doc(s.id, s.to_dict() or {}) for s in stream), key=lambda g: g.id)

    def stage_group(self, uow: UnitOfWork, group: Group) -> None:
        batch = firestore_batch(uow)
        batch.count()
        batch.batch.set(self.client.collection(GROUPS).document(group.id), group_to_doc(group))

    def delete_group(self, group_id: str) -> bool:
        ref = self.client.collection(GROUPS).document(group_id)
        if not ref.get().exists:
            return False
        ref.delete()
        return True
