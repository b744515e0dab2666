"""*Resync now* of one link (issue 13): a full import scan and a re-check of every exported event.

``request`` is what the page calls: rate-limited per link (``MIN_INTERVAL``), it records the resync as
``queued`` on the link and publishes a ``SyncTask(RESYNC)`` when a queue is wired (``sync_worker`` then
calls :meth:`ResyncService.run`), or runs it at once when there is none.

``run`` (the worker's entry, also used inline):
1. ``running`` on the link;
2. import on: a full list of the calendar with the diff of a 410 (``ImportService.import_link(full=True)``),
   so an event whose change no sync token reported is imported, and one deleted unseen is unlinked;
3. export on: every live exported copy of the link is read back with ``events.get`` (at most
   ``MAX_CHECK``). One Google says is gone (404, 410, cancelled) is **recreated** when the user asked
   (its target dropped, the activity queued: the export's insert revives the event under the same id),
   otherwise **unlinked** (rule 6, as import does). With ``recreate_deleted`` the copies already unlinked
   are recreated too. Before any of that the calendar itself must be readable (one ``events.list``):
   a missing calendar pauses nothing here and unlinks nothing;
4. ``done`` with the counts, or ``failed`` with the message.
Every step is idempotent: a task delivered twice does the same again and duplicates nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import timedelta

from functions.core.activity import ActivitySync, SyncState, TargetState
from functions.core.import_plan import DELETED_IN_GOOGLE
from functions.core.link_copies import LinkCopy
from functions.core.models import Identity, Link, ResyncInfo, ResyncState
from functions.core.sync_task import SyncTask, TaskKind
from functions.google.calendar_port import CalendarApi
from functions.google.errors import Forbidden, Gone, GoogleError, NotFound
from functions.services.calendar_access import CalendarAccess
from functions.services.errors import DomainError, InvalidInput, LinkPaused, RateLimited, UnknownLink, field_errors
from functions.services.export_service import ExportService
from functions.services.import_service import ImportService
from functions.services.link_activities import CHUNK_WRITES, find_link_copies
from functions.services.link_service import LinkService
from functions.services.ports import Adapters
from functions.store.errors import StoreError

log = logging.getLogger(__name__)

MIN_INTERVAL = timedelta(minutes=1)  # one resync per link per minute
MAX_CHECK = 2000  # exported events one resync reads back from Google
RECREATE_OPTION = "recreate_deleted"


@dataclass
class ResyncReport:
    uid: str
    activity_type: str
    state: ResyncState = ResyncState.DONE
    imported: int = 0
    checked: int = 0
    missing: int = 0
    recreated: int = 0
    unlinked: int = 0
    error: str | None = None

    def counts(self) -> dict[str, int]:
        """The figures of the run, for the worker's summary line."""
        return {"imported": self.imported, "checked": self.checked, "missing": self.missing,
                "recreated": self.recreated, "unlinked": self.unlinked, "failed": int(self.error is not None)}


def recreate_flag(body: dict[str, object]) -> bool:
    value = body.get(RECREATE_OPTION, False)
    if not isinstance(value, bool):
        raise InvalidInput(f"{RECREATE_OPTION} must be true or false.",
                           field_errors({RECREATE_OPTION: "true or false"}))
    return value


class ResyncService:
    def __init__(self, adapters: Adapters, links: LinkService, imports: ImportService, export: ExportService,
                 access: CalendarAccess) -> None:
        self.stores = adapters.stores
        self.now = adapters.now
        self.queue = adapters.queue
        self.links = links
        self.imports = imports
        self.export = export
        self.access = access

    # ------------------------------------------------------------------ the page's request
    def request(self, identity: Identity, activity_type: str, recreate_deleted: bool) -> Link:
        """Queue (or run) a resync of the caller's link; RateLimited within MIN_INTERVAL of the last one."""
        self.links.require_activity_type(activity_type)
        now = self.now()

        def decide(current: list[Link]) -> Link:
            link = next((lk for lk in current if lk.activity_type == activity_type), None)
            if link is None:
                raise UnknownLink(f"You have no link for {activity_type!r}.", {"activity_type": activity_type})
            if link.paused_reason:
                raise LinkPaused(f"The link is paused ({link.paused_reason}); fix that first, then resync.",
                                 {"paused_reason": link.paused_reason})
            last = link.resync.requested_at
            if last is not None and now - last < MIN_INTERVAL:
                wait = max(1, int((MIN_INTERVAL - (now - last)).total_seconds() + 0.999))
                raise RateLimited(f"A resync of {activity_type!r} was asked less than a minute ago; "
                                  f"try again in {wait} s.", {"retry_after": wait})
            return replace(link, resync=ResyncInfo(ResyncState.QUEUED, requested_at=now,
                                                   recreate_deleted=recreate_deleted))

        link = self.stores.links.put_link_checked(identity.uid, activity_type, decide)
        if self.queue is not None:
            options = ((RECREATE_OPTION, "true" if recreate_deleted else "false"),)
            self.queue.publish(SyncTask(TaskKind.RESYNC, identity.uid, activity_type, "resync", options=options))
            return link
        self.run(identity.uid, activity_type, recreate_deleted)
        return self._find(identity.uid, activity_type) or link

    def run_task(self, task: SyncTask) -> ResyncReport:
        """A RESYNC task as the worker gets it."""
        return self.run(task.uid, task.activity_type or "", task.option(RECREATE_OPTION) == "true")

    # ------------------------------------------------------------------ the work
    def run(self, uid: str, activity_type: str, recreate_deleted: bool = False) -> ResyncReport:
        """One resync of ``uid``'s link for ``activity_type``; never raises for the link's trouble (the outcome
        is on the link and in the report)."""
        report = ResyncReport(uid, activity_type)
        link = self._find(uid, activity_type)
        if link is None:
            report.state, report.error = ResyncState.FAILED, "no such link"
            return report
        info = replace(link.resync, state=ResyncState.RUNNING, started_at=self.now(), finished_at=None,
                       recreate_deleted=recreate_deleted, error=None,
                       requested_at=link.resync.requested_at or self.now())
        if not self._save(uid, activity_type, info):
            report.state, report.error = ResyncState.FAILED, "no such link"
            return report
        try:
            if link.paused_reason:
                raise LinkPaused(f"the link is paused ({link.paused_reason})")
            if link.import_:
                self._import(uid, link, report)
                link = self._find(uid, activity_type) or link
            if link.export and not link.paused_reason:
                self._check_exported(uid, link, recreate_deleted, report)
        except (DomainError, GoogleError) as exc:
            report.state, report.error = ResyncState.FAILED, getattr(exc, "message", str(exc))
        except Exception as exc:  # noqa: BLE001 - recorded on the link, the worker goes on
            log.exception("resync of %s for %s failed", activity_type, uid)
            report.state, report.error = ResyncState.FAILED, f"{type(exc).__name__}: {exc}"
        self._save(uid, activity_type, replace(
            info, state=report.state, finished_at=self.now(), imported=report.imported, checked=report.checked,
            missing=report.missing, recreated=report.recreated, unlinked=report.unlinked, error=report.error))
        log.info("resync of %s for %s: %s", activity_type, uid, report)
        return report

    def _import(self, uid: str, link: Link, report: ResyncReport) -> None:
        scan = self.imports.import_link(uid, link, full=True)
        if scan.paused:
            raise LinkPaused(f"import paused the link ({scan.paused})")
        if scan.error:
            raise _Failed(f"import: {scan.error}")
        report.imported = scan.created + scan.updated + scan.unlinked + scan.drifted

    def _check_exported(self, uid: str, link: Link, recreate: bool, report: ResyncReport) -> None:
        copies = find_link_copies(self.stores, uid, link)
        live = [c for c in copies if c.target.state != TargetState.UNLINKED][:MAX_CHECK]
        gone: list[LinkCopy] = [c for c in copies if c.target.state == TargetState.UNLINKED] if recreate else []
        with self.access.calendar(uid) as api:
            _check_calendar(api, link.calendar_id)
            for copy in live:
                report.checked += 1
                if _deleted_in_google(api, copy):
                    report.missing += 1
                    gone.append(copy)
        missing_live = {c.activity.id for c in gone if c.target.state != TargetState.UNLINKED}
        now = self.now()
        writes: list[tuple[str, ActivitySync]] = []
        for copy in gone:
            sync = copy.activity.sync or ActivitySync()
            if recreate:
                targets = tuple(t for t in sync.targets if t != copy.target)
                writes.append((copy.activity.id, replace(sync, targets=targets, state=SyncState.PENDING, due_at=now,
                                                         attempts=0, last_error=None)))
                report.recreated += 1
            elif copy.activity.id in missing_live:
                unlinked = replace(copy.target, state=TargetState.UNLINKED, last_error=DELETED_IN_GOOGLE,
                                   synced_at=now)
                targets = tuple(unlinked if t == copy.target else t for t in sync.targets)
                writes.append((copy.activity.id, replace(sync, targets=targets)))
                report.unlinked += 1
        for start in range(0, len(writes), CHUNK_WRITES):
            uow = self.stores.unit_of_work()
            for activity_id, sync in writes[start:start + CHUNK_WRITES]:
                self.stores.activities.stage_sync(uow, activity_id, sync)
            uow.commit()
        if recreate and writes:
            recreated = self.stores.activities.get_many([activity_id for activity_id, _ in writes])
            self.export.run(list(recreated.values()))

    # ------------------------------------------------------------------ the link
    def _find(self, uid: str, activity_type: str) -> Link | None:
        return next((lk for lk in self.stores.links.list_links(uid) if lk.activity_type == activity_type), None)

    def _save(self, uid: str, activity_type: str, info: ResyncInfo) -> bool:
        uow = self.stores.unit_of_work()
        self.stores.links.stage_resync(uow, uid, activity_type, info)
        try:
            uow.commit()
        except StoreError:  # the link was deleted meanwhile (MissingDocument)
            return False
        return True


class _Failed(DomainError):
    """A step of the resync failed (the message says which)."""


def _check_calendar(api: CalendarApi, calendar_id: str) -> None:
    """The calendar is readable; otherwise nothing is unlinked on the strength of 404s (rule 16)."""
    try:
        api.list_events(calendar_id, max_results=1)
    except (NotFound, Forbidden) as exc:
        raise _Failed(f"the calendar cannot be read (Google answered {exc.status}); nothing was unlinked") from exc


def _deleted_in_google(api: CalendarApi, copy: LinkCopy) -> bool:
    try:
        event = api.get_event(copy.target.calendar_id, copy.target.event_id)
    except (NotFound, Gone):
        return True
    return event.get("status") == "cancelled"
