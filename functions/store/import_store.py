"""``google_events/{id}`` (events not imported, for Add into CRM) and ``leases/{id}`` in Firestore."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from functions.core.google_event_row import GoogleEventRow
from functions.store.firestore_client import transactional
from functions.store.ports import UnitOfWork
from functions.store.unit_of_work import firestore_batch

GOOGLE_EVENTS = "google_events"
LEASES = "leases"


def _utc(value: Any) -> datetime:
    return datetime(value.year, value.month, value.day, value.hour, value.minute, value.second,
                    value.microsecond, tzinfo=value.tzinfo or UTC)


def row_to_doc(row: GoogleEventRow) -> dict[str, Any]:
    return {
        "owner_uid": row.owner_uid, "activity_type": row.activity_type, "calendar_id": row.calendar_id,
        "event_id": row.event_id, "summary": row.summary, "all_day": row.all_day, "start": row.start,
        "end": row.end, "time_zone": row.time_zone, "range_start": row.range_start, "range_end": row.range_end,
        "etag": row.etag, "location": row.location, "recurring": row.recurring, "html_link": row.html_link,
        "google_created": row.google_created, "reason": row.reason, "seen_at": row.seen_at,
    }


def row_from_doc(row_id: str, data: dict[str, Any]) -> GoogleEventRow:
    return GoogleEventRow(
        id=row_id, owner_uid=str(data.get("owner_uid") or ""), activity_type=str(data.get("activity_type") or ""),
        calendar_id=str(data.get("calendar_id") or ""), event_id=str(data.get("event_id") or ""),
        summary=str(data.get("summary") or ""), all_day=bool(data.get("all_day")), start=str(data.get("start")),
        end=str(data.get("end")), time_zone=data.get("time_zone"), range_start=_utc(data["range_start"]),
        range_end=_utc(data["range_end"]), etag=data.get("etag"), location=str(data.get("location") or ""),
        recurring=bool(data.get("recurring")), html_link=data.get("html_link"),
        google_created=data.get("google_created"), reason=str(data.get("reason") or ""),
        seen_at=_utc(data["seen_at"]) if data.get("seen_at") else None,
    )


def _field(path: str, op: str, value: Any) -> Any:
    from google.cloud.firestore_v1.base_query import FieldFilter

    return FieldFilter(path, op, value)


class FirestoreGoogleEventStore:
    def __init__(self, client: Any) -> None:
        self.client = client

    def _ref(self, row_id: str) -> Any:
        return self.client.collection(GOOGLE_EVENTS).document(row_id)

    def get(self, row_id: str) -> GoogleEventRow | None:
        snapshot = self._ref(row_id).get()
        return row_from_doc(row_id, snapshot.to_dict() or {}) if snapshot.exists else None

    def list_for_owner(self, owner_uid: str, start: datetime, end: datetime, limit: int) -> list[GoogleEventRow]:
        query = (
            self.client.collection(GOOGLE_EVENTS)
            .where(filter=_field("owner_uid", "==", owner_uid))
            .where(filter=_field("range_start", "<", end))
            .where(filter=_field("range_end", ">", start))
            .order_by("range_start")
            .limit(limit)
        )
        return [row_from_doc(s.id, s.to_dict() or {}) for s in query.stream()]

    def stage_put(self, uow: UnitOfWork, row: GoogleEventRow) -> None:
        batch = firestore_batch(uow)
        batch.count()
        batch.batch.set(self._ref(row.id), row_to_doc(row))

    def stage_deleted(self, uow: UnitOfWork, row_ids: Iterable[str]) -> None:
        batch = firestore_batch(uow)
        for row_id in row_ids:
            batch.count()
            batch.batch.delete(self._ref(row_id))


class FirestoreLeaseStore:
    """A lease document ``{holder, acquired_at, expires_at}``, taken in a transaction."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def _ref(self, lease_id: str) -> Any:
        return self.client.collection(LEASES).document(lease_id)

    def acquire(self, lease_id: str, holder: str, now: datetime, expires_at: datetime) -> bool:
        ref = self._ref(lease_id)

        @transactional
        def run(tx: Any) -> bool:
            snapshot = ref.get(transaction=tx)
            data = snapshot.to_dict() or {} if snapshot.exists else {}
            if data and data.get("holder") != holder and data.get("expires_at") and _utc(data["expires_at"]) > now:
                return False
            tx.set(ref, {"holder": holder, "acquired_at": now, "expires_at": expires_at})
            return True

        return bool(run(self.client.transaction()))

    def stage_release(self, uow: UnitOfWork, lease_id: str) -> None:
        batch = firestore_batch(uow)
        batch.count()
        batch.batch.delete(self._ref(lease_id))

    def release(self, lease_id: str, holder: str) -> None:
        ref = self._ref(lease_id)

        @transactional
        def run(tx: Any) -> None:
            snapshot = ref.get(transaction=tx)
            if snapshot.exists and (snapshot.to_dict() or {}).get("holder") == holder:
                tx.delete(ref)

        run(self.client.transaction())
