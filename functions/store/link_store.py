"""``users/{uid}/links/{activity_type}``: a user's activity type -> calendar mappings."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from functions.core.link_rules import activity_type_doc_id
from functions.core.models import Link, ResyncInfo, ResyncState, RunInfo
from functions.core.privacy import Privacy, privacy_of, privacy_view
from functions.store.firestore_client import transactional
from functions.store.ports import UnitOfWork
from functions.store.unit_of_work import firestore_batch

MAX_LINKS = 500
SYNC_CLEARED: dict[str, Any] = {"sync_token": None, "channel_id": None, "channel_expiry": None, "channel_error": None}


def link_path(uid: str, activity_type: str) -> str:
    return f"users/{uid}/links/{activity_type_doc_id(activity_type)}"


def _run_from_doc(data: Any) -> RunInfo:
    if not isinstance(data, dict):
        return RunInfo()
    return RunInfo(at=data.get("at"), count=data.get("count"), error=data.get("error"), skipped=data.get("skipped"),
                   problems=tuple(data.get("problems") or ()))


def _run_to_doc(run: RunInfo) -> dict[str, Any]:
    return {"at": run.at, "count": run.count, "error": run.error, "skipped": run.skipped,
            "problems": list(run.problems)}


def _privacy_from_doc(data: Any) -> Privacy:
    if not isinstance(data, dict):
        return privacy_of("full")
    return privacy_of(str(data.get("level") or "full"), list(data.get("fields") or ()))


def _resync_from_doc(data: Any) -> ResyncInfo:
    if not isinstance(data, dict) or not data.get("state"):
        return ResyncInfo()
    try:
        state = ResyncState(data["state"])
    except ValueError:
        return ResyncInfo()
    return ResyncInfo(
        state=state, requested_at=data.get("requested_at"), started_at=data.get("started_at"),
        finished_at=data.get("finished_at"), recreate_deleted=bool(data.get("recreate_deleted", False)),
        **{name: int(data.get(name) or 0) for name in ("imported", "checked", "missing", "recreated", "unlinked")},
        error=data.get("error"),
    )


def resync_to_doc(resync: ResyncInfo) -> dict[str, Any]:
    return {
        "state": str(resync.state) if resync.state else None, "requested_at": resync.requested_at,
        "started_at": resync.started_at, "finished_at": resync.finished_at,
        "recreate_deleted": resync.recreate_deleted, "imported": resync.imported, "checked": resync.checked,
        "missing": resync.missing, "recreated": resync.recreated, "unlinked": resync.unlinked, "error": resync.error,
    }


def link_from_doc(activity_type: str, data: dict[str, Any]) -> Link:
    return Link(
        activity_type=data.get("activity_type") or activity_type,
        calendar_id=str(data.get("calendar_id") or ""),
        calendar_summary=str(data.get("calendar_summary") or ""),
        export=bool(data.get("export", False)),
        import_=bool(data.get("import", False)),
        import_existing=bool(data.get("import_existing", False)),
        sync_token=data.get("sync_token"),
        channel_id=data.get("channel_id"),
        channel_expiry=data.get("channel_expiry"),
        last_export=_run_from_doc(data.get("last_export")),
        last_import=_run_from_doc(data.get("last_import")),
        last_error=data.get("last_error"),
        updated_at=data.get("updated_at"),
        paused_reason=data.get("paused_reason"),
        import_since=data.get("import_since"),
        empty_accepted=bool(data.get("empty_accepted", False)),
        channel_error=data.get("channel_error"),
        next_poll_at=data.get("next_poll_at"),
        privacy=_privacy_from_doc(data.get("privacy")),
        resync=_resync_from_doc(data.get("resync")),
    )


def link_to_doc(link: Link) -> dict[str, Any]:
    return {
        "activity_type": link.activity_type,
        "calendar_id": link.calendar_id,
        "calendar_summary": link.calendar_summary,
        "export": link.export,
        "import": link.import_,
        "import_existing": link.import_existing,
        "sync_token": link.sync_token,
        "channel_id": link.channel_id,
        "channel_expiry": link.channel_expiry,
        "last_export": _run_to_doc(link.last_export),
        "last_import": _run_to_doc(link.last_import),
        "last_error": link.last_error,
        "updated_at": link.updated_at,
        "paused_reason": link.paused_reason,
        "import_since": link.import_since,
        "empty_accepted": link.empty_accepted,
        "channel_error": link.channel_error,
        "next_poll_at": link.next_poll_at,
        "privacy": privacy_view(link.privacy),
        "resync": resync_to_doc(link.resync),
    }


class FirestoreLinkStore:
    """Links in Firestore, one document per (user, activity type)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def _collection(self, uid: str) -> Any:
        return self.client.collection("users").document(uid).collection("links")

    def list_links(self, uid: str) -> list[Link]:
        return [link_from_doc(s.id, s.to_dict() or {}) for s in self._collection(uid).stream()]

    def list_all_links(self) -> dict[str, list[Link]]:
        """Every user's links (one collection-group query), by uid."""
        by_user: dict[str, list[Link]] = {}
        for snapshot in self.client.collection_group("links").stream():
            parent = snapshot.reference.parent.parent
            if parent is None or parent.parent.id != "users":
                continue
            by_user.setdefault(parent.id, []).append(link_from_doc(snapshot.id, snapshot.to_dict() or {}))
        return by_user

    def list_due_links(self, now: datetime, limit: int) -> list[tuple[str, Link]]:
        """Links with ``next_poll_at <= now`` (collection-group query, index in firestore.indexes.json)."""
        from google.cloud.firestore_v1.base_query import FieldFilter

        query = (self.client.collection_group("links").where(filter=FieldFilter("next_poll_at", "<=", now))
                 .order_by("next_poll_at").limit(limit))
        found: list[tuple[str, Link]] = []
        for snapshot in query.stream():
            parent = snapshot.reference.parent.parent
            if parent is None or parent.parent.id != "users":
                continue
            found.append((parent.id, link_from_doc(snapshot.id, snapshot.to_dict() or {})))
        return found

    def page_links(self, after: str | None, limit: int) -> tuple[list[tuple[str, Link]], str | None]:
        """A page of every user's links in document-path order (collection group, ordered by ``__name__``)."""
        query = self.client.collection_group("links").order_by("__name__").limit(limit)
        if after is not None:
            query = query.start_after({"__name__": self.client.document(after)})
        found: list[tuple[str, Link]] = []
        last: str | None = None
        count = 0
        for snapshot in query.stream():
            count += 1
            last = snapshot.reference.path
            parent = snapshot.reference.parent.parent
            if parent is None or parent.parent.id != "users":
                continue
            found.append((parent.id, link_from_doc(snapshot.id, snapshot.to_dict() or {})))
        return found, (last if count >= limit else None)

    def backfill_poll(self, uid: str, activity_type: str, decide: Callable[[Link], datetime | None]) -> datetime | None:
        """``next_poll_at`` written alone, in a transaction, only where the link has none (a save racing
        with it makes the transaction retry and then find the value the save wrote)."""
        ref = self.client.document(link_path(uid, activity_type))

        @transactional
        def run(tx: Any) -> datetime | None:
            snapshot = ref.get(transaction=tx)
            if not snapshot.exists:
                return None
            link = link_from_doc(activity_type, snapshot.to_dict() or {})
            if link.next_poll_at is not None:
                return None
            wanted = decide(link)
            if wanted is not None:
                tx.update(ref, {"next_poll_at": wanted})
            return wanted

        return run(self.client.transaction())

    def put_link_checked(self, uid: str, activity_type: str, decide: Callable[[list[Link]], Link]) -> Link:
        """Write the link ``decide`` returns from the user's current links, atomically.

        ``decide`` runs inside a transaction (possibly more than once) and may raise to refuse;
        so the calendar-in-use rule holds even when two requests race.
        """
        client = self.client
        collection = self._collection(uid)

        @transactional
        def run(tx: Any) -> Link:
            current = [link_from_doc(s.id, s.to_dict() or {}) for s in tx.get(collection.limit(MAX_LINKS))]
            link = decide(current)
            tx.set(client.document(link_path(uid, activity_type)), link_to_doc(link))
            return link

        return run(client.transaction())

    def delete_link(self, uid: str, activity_type: str) -> Link | None:
        """Remove the link; the removed one (or None)."""
        ref = self.client.document(link_path(uid, activity_type))
        snapshot = ref.get()
        if not snapshot.exists:
            return None
        ref.delete()
        return link_from_doc(activity_type, snapshot.to_dict() or {})

    def stage_sync_cleared(
        self, uow: UnitOfWork, uid: str, activity_types: Iterable[str], now: datetime,
        next_poll: Mapping[str, datetime | None] | None = None,
    ) -> None:
        batch = firestore_batch(uow)
        polls = dict(next_poll or {})
        for activity_type in activity_types:
            batch.count()
            fields = {**SYNC_CLEARED, "updated_at": now}
            if activity_type in polls:
                fields["next_poll_at"] = polls[activity_type]
            batch.batch.update(self.client.document(link_path(uid, activity_type)), fields)

    def update_channel(
        self, uid: str, activity_type: str, calendar_id: str, change: Callable[[Link], Link]
    ) -> Link | None:
        """The link's channel fields and ``next_poll_at`` as ``change`` returns them, in a transaction, if the
        link still maps ``calendar_id``; the link as written, or None (gone, or moved to another calendar)."""
        ref = self.client.document(link_path(uid, activity_type))

        @transactional
        def run(tx: Any) -> Link | None:
            snapshot = ref.get(transaction=tx)
            if not snapshot.exists:
                return None
            link = link_from_doc(activity_type, snapshot.to_dict() or {})
            if link.calendar_id != calendar_id:
                return None
            new = change(link)
            tx.update(ref, {"channel_id": new.channel_id, "channel_expiry": new.channel_expiry,
                            "channel_error": new.channel_error, "next_poll_at": new.next_poll_at})
            return replace(link, channel_id=new.channel_id, channel_expiry=new.channel_expiry,
                           channel_error=new.channel_error, next_poll_at=new.next_poll_at)

        return run(self.client.transaction())

    def stage_paused(
        self, uow: UnitOfWork, uid: str, changes: Mapping[str, str | None], now: datetime,
        next_poll: Mapping[str, datetime | None] | None = None,
    ) -> None:
        """``paused_reason`` of these links set (a reason) or cleared (None), and ``next_poll_at`` of those
        ``next_poll`` names, staged; nothing else changes."""
        batch = firestore_batch(uow)
        polls = dict(next_poll or {})
        for activity_type, reason in changes.items():
            batch.count()
            fields: dict[str, Any] = {"paused_reason": reason, "updated_at": now}
            if activity_type in polls:
                fields["next_poll_at"] = polls[activity_type]
            batch.batch.update(self.client.document(link_path(uid, activity_type)), fields)

    def stage_resync(self, uow: UnitOfWork, uid: str, activity_type: str, resync: ResyncInfo) -> None:
        batch = firestore_batch(uow)
        batch.count()
        batch.batch.update(self.client.document(link_path(uid, activity_type)), {"resync": resync_to_doc(resync)})

    def stage_import_run(
        self, uow: UnitOfWork, uid: str, activity_type: str, last_import: RunInfo, *,
        sync_token: str | None = None, save_token: bool = True, paused_reason: str | None = None,
        next_poll_at: datetime | None = None, save_poll: bool = False,
    ) -> None:
        batch = firestore_batch(uow)
        batch.count()
        fields: dict[str, Any] = {"last_import": _run_to_doc(last_import), "paused_reason": paused_reason}
        if save_token:
            fields["sync_token"] = sync_token
            fields["empty_accepted"] = False
        if save_poll:
            fields["next_poll_at"] = next_poll_at
        batch.batch.update(self.client.document(link_path(uid, activity_type)), fields)
