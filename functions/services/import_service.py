"""Import: Google events of calendars linked with import on, to read-only activities (docs/import.md).

One run per (user, linked calendar): ``events.list`` with the link's sync token, every page (a full list
from the import window's start when there is no token, or after a 410); each page's events are planned
by the pure ``functions.core.import_plan`` against the activities they may be copies of (read by key,
one batched read a page) and the writes are staged. Writes go in units of work of at most
``CHUNK_WRITES``; the sync token is saved only with the last one. Every write is idempotent (whole
documents keyed by event), so a crash between chunks re-applies safely from the old token.

A run that has something to write takes the calendar's lease first (``leases/{id}``) and checks the
link's token is still the one it listed with; a run with nothing new writes nothing at all.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from functions import observability
from functions.core.activity import Activity, TargetState
from functions.core.fanout_rules import poll_write_needed
from functions.core.import_plan import (
    ImportAction,
    ImportContext,
    Kind,
    candidate_ids,
    emptied,
    first_ids,
    linked_activity,
    plan_event,
    plan_instance,
    series_candidate_ids,
)
from functions.core.link_rules import CALENDAR_EMPTIED, CALENDAR_MISSING, activity_type_doc_id
from functions.core.models import Link, RunInfo
from functions.core.poll_rules import next_poll_at
from functions.google.calendar_port import CalendarApi, EventPage
from functions.google.errors import Forbidden, Gone, GoogleError, InvalidSyncToken, NotFound
from functions.services.calendar_access import CalendarAccess
from functions.services.errors import DomainError, NotConnected
from functions.services.ports import Adapters
from functions.store.errors import MissingDocument

log = logging.getLogger(__name__)

PAGE_SIZE = 2500  # Google's largest page
CHUNK_WRITES = 450  # writes per unit of work (Firestore's batch limit is 500; the last one adds the link, the lease)
LEASE_TTL = timedelta(minutes=10)  # longer than a function's run; a crashed holder's lease expires
MAX_PROBLEMS = 20  # skipped or failed events named in the link's last_import
MAX_VERIFY = 200  # events missing from a full list checked one by one (deleted, or outside the window)
MAX_LINKED = 20000  # activities of one type read for a full resync's diff
MAX_LINKS_PER_JOB = 200  # calendars one scheduled run takes on (until the push/scale issue fans out)


@dataclass
class ImportReport:
    """What one run of one calendar did."""

    uid: str = ""
    activity_type: str = ""
    events: int = 0
    created: int = 0
    updated: int = 0
    drifted: int = 0
    unlinked: int = 0
    listed: int = 0
    unlisted: int = 0
    skipped: int = 0
    unchanged: int = 0
    errors: int = 0
    list_calls: int = 0
    full_sync: bool = False
    paused: str | None = None
    busy: bool = False
    error: str | None = None
    problems: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in vars(self).items() if isinstance(v, int) and not isinstance(v, bool)}


COUNTERS = {Kind.CREATE: "created", Kind.UPDATE: "updated", Kind.DRIFT: "drifted", Kind.UNLINK: "unlinked",
            Kind.LIST: "listed", Kind.UNLIST: "unlisted", Kind.SKIP: "skipped", Kind.NOTHING: "unchanged"}


class _Superseded(Exception):
    """Another run holds the calendar's lease, or moved its token on: this run stops."""


class _Run:
    """One calendar's run: the activities read so far and the writes waiting for a unit of work."""

    def __init__(self, service: ImportService, api: CalendarApi, link: Link, ctx: ImportContext) -> None:
        self.service = service
        self.stores = service.stores
        self.api = api
        self.link = link
        self.ctx = ctx
        self.report = ImportReport(ctx.uid, ctx.activity_type)
        self.current: dict[str, Activity | None] = {}
        self.writes: dict[tuple[str, str], tuple[str, Any]] = {}
        self.seen: set[str] = set()
        self.live = 0
        self.lease_id = f"import~{ctx.uid}~{activity_type_doc_id(link.activity_type)}"
        self.holder = secrets.token_hex(8)
        self.leased = False

    # ------------------------------------------------------------------ listing
    def pages(self, token: str | None) -> Iterator[EventPage]:
        page_token: str | None = None
        while True:
            if token is not None:
                page = self.api.list_events(self.ctx.calendar_id, sync_token=token, page_token=page_token,
                                            max_results=PAGE_SIZE)
            else:
                page = self.api.list_events(self.ctx.calendar_id, time_min=self.ctx.window_start,
                                            page_token=page_token, max_results=PAGE_SIZE)
            self.report.list_calls += 1
            yield page
            if not page.next_page_token:
                return
            page_token = page.next_page_token

    # ------------------------------------------------------------------ planning
    def take(self, items: list[dict[str, Any]]) -> None:
        self.report.events += len(items)
        self.seen.update(str(e.get("id")) for e in items)
        self.live += sum(1 for e in items if e.get("status") != "cancelled")
        plain = [e for e in items if not e.get("recurringEventId")]
        instances = [e for e in items if e.get("recurringEventId")]
        uid = self.ctx.uid
        keys = [(candidate_ids(e, uid), e, str(e.get("id"))) for e in plain]
        keys += [(series_candidate_ids(i, uid), i, str(i.get("recurringEventId"))) for i in instances]
        self.load({i for ids, event, _ in keys for i in first_ids(ids, event)})
        self.load({i for ids, event, event_id in keys
                   if linked_activity(first_ids(ids, event), self.current, self.ctx, event_id) is None for i in ids})
        for event in plain:
            self.plan(event, lambda e: plan_event(e, self.ctx, self.current))
        for instance in instances:
            self.plan(instance, self.plan_instance)

    def load(self, ids: set[str]) -> None:
        missing = [i for i in ids if i not in self.current]
        found = self.stores.activities.get_many(missing) if missing else {}
        for activity_id in missing:
            self.current[activity_id] = found.get(activity_id)

    def plan_instance(self, instance: Mapping[str, Any]) -> ImportAction:
        series_id = str(instance["recurringEventId"])
        series = linked_activity(series_candidate_ids(instance, self.ctx.uid), self.current, self.ctx, series_id)
        return plan_instance(instance, self.ctx, series)

    def plan(self, event: Mapping[str, Any], planner: Any) -> None:
        try:
            action = planner(event)
        except Exception as error:  # noqa: BLE001 - one bad event never stops the run
            log.exception("import of event %s failed", event.get("id"))
            self.report.errors += 1
            self.problem(str(event.get("id")), f"{type(error).__name__}: {error}")
            return
        self.apply(action, event)

    def problem(self, event_id: str, reason: str, summary: object = None) -> None:
        if len(self.report.problems) < MAX_PROBLEMS:
            name = f" ({summary})" if summary else ""
            self.report.problems.append(f"event {event_id}{name}: {reason}")

    def apply(self, action: ImportAction, event: Mapping[str, Any]) -> None:
        counter = COUNTERS[action.kind]
        setattr(self.report, counter, getattr(self.report, counter) + 1)
        if action.kind == Kind.SKIP:
            self.problem(action.event_id, action.reason or "skipped", event.get("summary"))
        if action.activity is not None:
            activity = action.activity
            self.current[activity.id] = activity
            key = ("activity", activity.id)
            whole = action.kind in (Kind.CREATE, Kind.UPDATE) or self.writes.get(key, ("",))[0] == "put"
            self.writes[key] = ("put" if whole else "sync", activity)
        if action.row is not None:
            self.writes[("row", action.row.id)] = ("row", action.row)
        if action.kind in (Kind.UNLIST, Kind.UNLINK) and action.row_id:
            self.writes[("row", action.row_id)] = ("unrow", action.row_id)

    # ------------------------------------------------------------------ a full list's diff
    def diff(self) -> None:
        """Activities linked to this calendar that a full list did not show: deleted while no token saw it,
        or outside the window. Each is checked with Google; only a deleted one is unlinked. A copy written down
        unconfirmed (an insert with no answer: ``failed``, no etag) that Google does not know was never made:
        it is the export's to insert again, not a deletion in Google."""
        linked: list[tuple[Activity, str, bool]] = []
        for activity in self.stores.activities.list_by_type(self.ctx.uid, self.ctx.activity_type, MAX_LINKED):
            for target in activity.sync.targets if activity.sync else ():
                if (target.uid, target.calendar_id) == (self.ctx.uid, self.ctx.calendar_id) \
                        and target.state != TargetState.UNLINKED and target.event_id not in self.seen:
                    unconfirmed = target.unconfirmed
                    linked.append((activity, target.event_id, unconfirmed))
        for activity, event_id, unconfirmed in linked[:MAX_VERIFY]:
            try:
                event = self.api.get_event(self.ctx.calendar_id, event_id)
                deleted = event.get("status") == "cancelled"
            except (NotFound, Gone):
                deleted = not unconfirmed
            if deleted:
                self.current.setdefault(activity.id, activity)
                tombstone = {"id": event_id, "status": "cancelled"}
                self.apply(plan_event(tombstone, self.ctx, {activity.id: self.current[activity.id] or activity}),
                           tombstone)

    def linked_count(self) -> int:
        return sum(
            1 for activity in self.stores.activities.list_by_type(self.ctx.uid, self.ctx.activity_type, MAX_LINKED)
            for target in (activity.sync.targets if activity.sync else ())
            if (target.uid, target.calendar_id) == (self.ctx.uid, self.ctx.calendar_id)
            and target.state != TargetState.UNLINKED and not target.unconfirmed  # never proven in Google
        )

    # ------------------------------------------------------------------ writing
    def lease(self, token: str | None) -> None:
        if self.leased:
            return
        now = self.ctx.now
        if not self.stores.leases.acquire(self.lease_id, self.holder, now, now + LEASE_TTL):
            raise _Superseded("another import of this calendar is running")
        self.leased = True
        current = next((lk for lk in self.stores.links.list_links(self.ctx.uid)
                        if lk.activity_type == self.link.activity_type), None)
        if current is None or current.sync_token != token or current.calendar_id != self.ctx.calendar_id:
            raise _Superseded("the link changed since this run listed its events")

    def flush(self, token: str | None, keep: int = 0) -> None:
        """Commit the staged writes in units of work while more than ``keep`` are waiting."""
        while len(self.writes) > keep and len(self.writes) >= CHUNK_WRITES:
            self.lease(token)
            chunk = list(self.writes.items())[:CHUNK_WRITES]
            uow = self.stores.unit_of_work()
            for key, write in chunk:
                self.stage(uow, write)
                del self.writes[key]
            uow.commit()

    def stage(self, uow: Any, write: tuple[str, Any]) -> None:
        kind, value = write
        if kind == "put":
            self.stores.activities.stage_put(uow, value)
        elif kind == "sync":
            self.stores.activities.stage_sync(uow, value.id, value.sync)
        elif kind == "row":
            self.stores.google_events.stage_put(uow, value)
        else:
            self.stores.google_events.stage_deleted(uow, [value])

    def finish(self, token: str | None, next_token: str | None) -> None:
        """The last writes, the token and ``last_import`` in one unit of work, the lease released with them."""
        self.flush(token, keep=CHUNK_WRITES - 1)
        self.lease(token)
        uow = self.stores.unit_of_work()
        for write in self.writes.values():
            self.stage(uow, write)
        self.writes.clear()
        self.stores.links.stage_import_run(uow, self.ctx.uid, self.link.activity_type, self.run_info(),
                                           sync_token=next_token, next_poll_at=self.next_poll_at(), save_poll=True)
        self.stores.leases.stage_release(uow, self.lease_id)
        uow.commit()
        self.leased = False

    def next_poll_at(self) -> datetime | None:
        """When the scheduled import looks at this link next (functions/core/poll_rules.py)."""
        return next_poll_at(self.link, self.ctx.now)

    def save_poll_only(self) -> None:
        """A run with nothing new writes nothing, unless the link's ``next_poll_at`` must move (a live
        channel's link after its safety-net run): then that field alone, ``last_import`` kept as it was."""
        wanted = self.next_poll_at()
        if not poll_write_needed(self.link.next_poll_at, wanted, self.ctx.now):
            return
        uow = self.stores.unit_of_work()
        self.stores.links.stage_import_run(uow, self.ctx.uid, self.link.activity_type, self.link.last_import,
                                           save_token=False, paused_reason=self.link.paused_reason,
                                           next_poll_at=wanted, save_poll=True)
        try:
            uow.commit()
        except MissingDocument:  # the link was removed meanwhile: nothing to poll
            pass

    def run_info(self, error: str | None = None) -> RunInfo:
        r = self.report
        count = r.created + r.updated + r.drifted + r.unlinked + r.listed + r.unlisted
        return RunInfo(at=self.ctx.now, count=count, error=error, skipped=r.skipped + r.errors,
                       problems=tuple(r.problems))

    def release(self) -> None:
        if self.leased:
            self.stores.leases.release(self.lease_id, self.holder)
            self.leased = False


class ImportService:
    def __init__(self, adapters: Adapters, access: CalendarAccess) -> None:
        self.stores = adapters.stores
        self.access = access
        self.now = adapters.now

    def run_all(self, limit: int = MAX_LINKS_PER_JOB) -> dict[str, Any]:
        """Every linked calendar with import on (not paused), at most ``limit``: the scheduled job."""
        summary: dict[str, Any] = {"calendars": 0, "paused": 0, "busy": 0, "failed": 0, "left": 0}
        totals: dict[str, int] = {}
        for uid, links in sorted(self.stores.links.list_all_links().items()):
            for link in sorted(links, key=lambda lk: lk.activity_type):
                if not link.import_:
                    continue
                if summary["calendars"] >= limit:
                    summary["left"] += 1
                    continue
                summary["calendars"] += 1
                try:
                    report = self.import_link(uid, link)
                except Exception as exc:  # noqa: BLE001 - one calendar's failure never stops the others
                    log.exception("import of %s for %s failed", link.calendar_id, uid)
                    report = ImportReport(uid, link.activity_type, error=f"{type(exc).__name__}: {exc}")
                summary["paused"] += bool(report.paused)
                summary["busy"] += report.busy
                summary["failed"] += bool(report.error)
                for name, value in report.counts().items():
                    totals[name] = totals.get(name, 0) + value
        return {**summary, **totals}

    def import_calendar(self, uid: str, activity_type: str) -> ImportReport:
        link = next((lk for lk in self.stores.links.list_links(uid) if lk.activity_type == activity_type), None)
        if link is None:
            return ImportReport(uid, activity_type, error="no such link")
        return self.import_link(uid, link)

    def import_link(self, uid: str, link: Link, full: bool = False) -> ImportReport:
        """One incremental (or full) import of one linked calendar; never raises for one calendar's trouble.

        ``full``: list the calendar in full even with a sync token, diffing it against the stored side as after
        a 410 (*Resync now*)."""
        if link.paused_reason or not link.import_:
            return ImportReport(uid, link.activity_type, paused=link.paused_reason or "import_off")
        if link.channel_id:  # push debounce: a notification from now on queues one more import (docs/push.md)
            self.stores.channels.clear_import_claim(link.channel_id)
        with observability.sync_run("import", uid, link.calendar_id) as run:
            report = self._import(uid, link, full)
            for name, value in report.counts().items():
                if value:
                    run.count(name, value)
            if report.error and not report.busy and not report.paused:
                run.count("errors")  # the summary line goes out at ERROR (the sync_errors metric)
        return report

    def _context(self, uid: str, link: Link) -> ImportContext:
        user = self.stores.users.get_user(uid)
        entry = next((c for c in user.calendars if c.id == link.calendar_id), None) if user else None
        zone = (entry.time_zone if entry else None) or (user.time_zone if user else None) or "UTC"
        return ImportContext(uid, link.activity_type, link.calendar_id, zone, link.import_existing,
                             link.import_since or (link.updated_at if link.import_ else None), self.now())

    def _import(self, uid: str, link: Link, full: bool = False) -> ImportReport:
        ctx = self._context(uid, link)
        try:
            api = self.access.open(uid)
        except NotConnected:
            return ImportReport(uid, link.activity_type, paused="not_connected")
        except DomainError as exc:
            return ImportReport(uid, link.activity_type, error=exc.message)
        state = _Run(self, api, link, ctx)
        try:
            with self.access.guard(uid):
                if full:
                    self._list(state, None, full=True, token_in_store=link.sync_token)
                else:
                    self._sync(state, link.sync_token)
        except _Superseded as exc:
            state.report.busy = True
            state.report.error = str(exc)
        except (NotFound, Forbidden) as exc:  # the calendar is gone or no longer readable: pause, unlink nothing
            state.report.paused = CALENDAR_MISSING
            self._pause(state, CALENDAR_MISSING, f"Google answered {exc.status}: {exc.message}")
        except (DomainError, GoogleError) as exc:
            message = getattr(exc, "message", str(exc))
            state.report.error = message
            log.warning("import of %s for %s stopped: %s", link.calendar_id, uid, message)
        finally:
            state.release()
        return state.report

    def _sync(self, state: _Run, token: str | None) -> None:
        try:
            self._list(state, token, full=token is None)
        except InvalidSyncToken:
            log.info("sync token of %s expired: full resync with a diff", state.ctx.calendar_id)
            state.writes.clear()  # staged from the dead token's pages (if any): the full list covers them
            state.report.full_sync = True
            self._list(state, None, full=True, token_in_store=token)

    def _list(self, state: _Run, token: str | None, full: bool, token_in_store: str | None = None) -> None:
        stored = token if not full else token_in_store
        next_token: str | None = None
        for page in state.pages(token):
            state.take(page.items)
            state.flush(stored)
            next_token = page.next_sync_token or next_token
        state.report.full_sync = full
        if full:
            if state.live == 0 and not state.link.empty_accepted and emptied(True, 0, state.linked_count()):
                state.report.paused = CALENDAR_EMPTIED
                self._pause(state, CALENDAR_EMPTIED, "a full list showed no event while activities are linked "
                            "to this calendar; nothing was unlinked")
                return
            if token_in_store is not None or state.link.last_import.at is not None:
                state.diff()  # a resync (410, or the token cleared at disconnect): deletions no token reported
        if not state.writes and not full and state.report.events == 0:
            state.save_poll_only()  # nothing new: no write at all (the token stays valid), but next_poll_at
            return
        state.finish(stored, next_token)

    def _pause(self, state: _Run, reason: str, message: str) -> None:
        state.writes.clear()
        uow = self.stores.unit_of_work()
        self.stores.links.stage_import_run(uow, state.ctx.uid, state.link.activity_type, state.run_info(message),
                                           save_token=False, paused_reason=reason, save_poll=True)  # paused: no poll
        uow.commit()
        log.warning("import of %s for %s paused (%s): %s", state.ctx.calendar_id, state.ctx.uid, reason, message)
