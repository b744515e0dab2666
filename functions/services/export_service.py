"""Export: CRM activities to their recipients' Google calendars, exactly once (docs/export.md).

The pure planner (``functions.core.export_plan``) says what each activity needs; this module does it
through the ports, batching the calls of one run per Google user:

1. writes: inserts (client-chosen id; a 409 means an earlier try got through) and patches (only the
   fields calbridge owns, ``If-Match`` the stored etag; a 412 re-reads and re-applies), then the
   instance patches of a series' exceptions;
2. for a move, the new copy is recorded (the old one marked ``deleting``) before the old one goes;
3. deletes (404/410 count as done);
4. one write of the activity's ``sync`` (or, for a deleted activity whose copies are gone, the delete).

Per activity that is one Firestore read (the pending query or a get) and one write; links, users and
groups are read once per run.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from functions.core.activity import (
    Activity,
    ActivityException,
    ActivitySync,
    InvalidActivity,
    SyncState,
    SyncTarget,
    TargetState,
    Timed,
)
from functions.core.event_mapping import activity_to_event, content_hash, exception_to_instance, instance_to_exception
from functions.core.export_plan import (
    ActionKind,
    ExportAction,
    ExportPlan,
    Failure,
    exceptions_hash,
    plan_export,
    recipients_of,
    settle,
)
from functions.core.models import CONNECTED, NEEDS_REAUTH, Link
from functions.core.privacy import FULL, Privacy, redact
from functions.google.calendar_port import BatchCall, BatchResult, CalendarApi, DeleteEvent, InsertEvent, PatchEvent
from functions.google.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    Gone,
    GoogleError,
    NotFound,
    PreconditionFailed,
)
from functions.services.calendar_access import CalendarAccess
from functions.services.errors import DomainError
from functions.services.ports import Adapters

log = logging.getLogger(__name__)

SWEEP_LIMIT = 1000  # activities one sweep run takes on (the longest-waiting first)
BATCH_CALLS = 50  # calls per batch request: Google takes 1000, but large batches of writes draw rate limits
MAX_INSTANCE_PAGES = 4  # pages of a series' instances read to find the ones to put back (2500 a page)
PERMANENT = (BadRequest, Forbidden)  # Google refuses the request itself: retrying will not help


@dataclass
class ExportReport:
    """What one run did, by the state each activity ended in."""

    activities: int = 0
    synced: int = 0
    pending: int = 0
    errors: int = 0
    not_exported: int = 0
    deleted: int = 0
    superseded: int = 0  # edited while exporting: stays pending for the next run
    transient: int = 0  # activities left pending by a transient Google failure (429, 5xx, network)

    def count(self, state: str) -> None:
        setattr(self, state, getattr(self, state) + 1)


@dataclass
class _Work:
    """One activity during a run: its plan, the copies as they now are, what failed."""

    activity: Activity
    plan: ExportPlan
    targets: list[SyncTarget] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    inserted: set[str] = field(default_factory=set)
    revision: object = None
    superseded: bool = False  # an edit landed during the run: only the targets are recorded
    privacy: dict[str, Privacy] = field(default_factory=dict)  # per recipient, when their link hides details

    def shown(self, uid: str) -> Activity:
        """The activity as ``uid``'s copy shows it (their link's privacy applied)."""
        return redact(self.activity, self.privacy.get(uid, FULL))

    def fail(self, message: str, retryable: bool) -> None:
        self.failures.append(Failure(message, retryable))


def failure_of(error: Exception) -> Failure:
    """A failed call as a Failure: Google's refusals of the request are permanent, the rest retryable."""
    if isinstance(error, GoogleError):
        retryable = not isinstance(error, PERMANENT)
        return Failure(f"Google answered {error.status or ''} {error.message}".replace("  ", " "),
                       retryable, transient=retryable)
    if isinstance(error, DomainError):  # the user must act (reconnect): not worth an early retry
        return Failure(error.message, True)
    return Failure(f"{type(error).__name__}: {error}", True, transient=True)


class _Run:
    """The reads one run shares: recipients' links, users and groups, each read once."""

    def __init__(self, adapters: Adapters, access: CalendarAccess) -> None:
        self.stores = adapters.stores
        self.access = access
        self.links: dict[str, dict[str, Link]] = {}
        self.groups: dict[str, tuple[str, ...]] = {}
        self.apis: dict[str, CalendarApi | DomainError] = {}

    def members(self, group_id: str | None) -> tuple[str, ...]:
        if not group_id:
            return ()
        if group_id not in self.groups:
            group = self.stores.groups.get_group(group_id)
            self.groups[group_id] = group.member_uids if group else ()
        return self.groups[group_id]

    def export_link(self, uid: str, activity_type: str) -> Link | None:
        """The link ``uid`` exports ``activity_type`` through, or None (no link, export off, not connected)."""
        if uid not in self.links:
            user = self.stores.users.get_user(uid)
            connected = user is not None and user.connection.status in (CONNECTED, NEEDS_REAUTH)
            links = self.stores.links.list_links(uid) if connected else []
            self.links[uid] = {lk.activity_type: lk for lk in links if lk.export and lk.calendar_id}
        return self.links[uid].get(activity_type)

    def export_calendar(self, uid: str, activity_type: str) -> str | None:
        """The calendar ``uid`` exports ``activity_type`` to, or None (no link, export off, not connected)."""
        link = self.export_link(uid, activity_type)
        return link.calendar_id if link else None

    def api(self, uid: str) -> CalendarApi | DomainError:
        """The user's Calendar port, opened once per run (or why it cannot be)."""
        if uid not in self.apis:
            try:
                self.apis[uid] = self.access.open(uid)
            except DomainError as exc:
                self.apis[uid] = exc
        return self.apis[uid]


class ExportService:
    def __init__(self, adapters: Adapters, access: CalendarAccess) -> None:
        self.adapters = adapters
        self.stores = adapters.stores
        self.access = access
        self.now = adapters.now

    # ------------------------------------------------------------------ entry points
    def export_activity(self, activity_id: str) -> ExportReport:
        """Export one activity now (right after a save)."""
        activity = self.stores.activities.get(activity_id)
        return self.run([activity] if activity is not None else [])

    def sweep(self, limit: int = SWEEP_LIMIT) -> ExportReport:
        """Every activity waiting for export and due, the longest-waiting first, at most ``limit``."""
        return self.run(self.stores.activities.list_pending(self.now(), limit))

    def run(self, activities: Sequence[Activity]) -> ExportReport:
        run = _Run(self.adapters, self.access)
        works = [self._plan(run, activity) for activity in activities]
        self._write_copies(run, works)
        self._record_moves(works)
        self._delete_copies(run, works)
        report = ExportReport(activities=len(works))
        for work in works:
            state = self._record(work)
            report.count(state)
            if state == "pending" and any(f.transient for f in work.failures):
                report.transient += 1
        return report

    def delete_removed_copies(self, removed: Activity) -> ExportReport:
        """Delete the Google copies of an activity whose document is gone (deleted outright, not through
        ``deleted: true``); ``removed`` is the document as it was. Nothing is recorded: there is no document.
        A copy that cannot be deleted now is counted (``pending``, and ``transient`` when worth a retry)."""
        run = _Run(self.adapters, self.access)
        activity = replace(removed, deleted=True)
        plan = plan_export(activity, {}, content_hash(activity), exceptions_hash(activity))
        work = _Work(activity, plan, revision=removed.revision)
        self._delete_copies(run, [work])
        report = ExportReport(activities=1)
        if not work.failures:
            report.deleted = 1
        elif any(not f.retryable for f in work.failures):
            report.errors = 1
        else:
            report.pending = 1
            report.transient = int(any(f.transient for f in work.failures))
        if work.failures:
            log.warning("copies of the removed activity %s not deleted: %s", removed.id,
                        "; ".join(f.message for f in work.failures))
        return report

    # ------------------------------------------------------------------ planning
    def _plan(self, run: _Run, activity: Activity) -> _Work:
        uids = recipients_of(activity, run.members(activity.group_id))
        links = {uid: run.export_link(uid, activity.activity_type) for uid in uids}
        calendars = {uid: link.calendar_id if link else None for uid, link in links.items()}
        privacy = {uid: link.privacy for uid, link in links.items() if link and link.privacy != FULL}
        hashes = {}
        for uid, shown_as in privacy.items():
            shown = redact(activity, shown_as)
            hashes[uid] = (content_hash(shown), exceptions_hash(shown))
        try:
            plan = plan_export(activity, calendars, content_hash(activity), exceptions_hash(activity), hashes)
            if plan.writes:
                activity_to_event(activity)  # what cannot become an event fails here, for this activity alone
        except ValueError as error:  # e.g. an id too short or too long to make a Google event id
            current = activity.sync.targets if activity.sync else ()
            work = _Work(activity, ExportPlan(activity.id, "", kept=current), list(current), revision=activity.revision)
            work.fail(f"cannot be exported: {error}", retryable=False)
            return work
        return _Work(activity, plan, targets=list(plan.kept), revision=activity.revision, privacy=privacy)

    # ------------------------------------------------------------------ phase 1: inserts and patches
    def _write_copies(self, run: _Run, works: list[_Work]) -> None:
        by_uid: dict[str, list[tuple[_Work, ExportAction]]] = defaultdict(list)
        for work in works:
            for action in work.plan.writes:
                by_uid[action.uid].append((work, action))
        for uid, items in by_uid.items():
            api = run.api(uid)
            if isinstance(api, DomainError):
                for work, action in items:
                    self._write_failed(work, action, api)
                continue
            try:
                with self.access.guard(uid):
                    self._write_user_copies(api, items)
            except (DomainError, GoogleError) as exc:  # the grant refused mid-run, or a whole batch failed
                if isinstance(exc, DomainError):
                    run.apis[uid] = exc
                for work, action in items:
                    if not any(t.uid == uid and t.calendar_id == action.calendar_id for t in work.targets):
                        self._write_failed(work, action, exc)

    def _write_user_copies(self, api: CalendarApi, items: list[tuple[_Work, ExportAction]]) -> None:
        calls: list[BatchCall] = []
        for work, action in items:
            body = activity_to_event(work.activity, work.privacy.get(action.uid, FULL))
            if action.kind == ActionKind.INSERT:
                calls.append(InsertEvent(action.calendar_id, body))
            else:
                etag = action.target.etag if action.target else None
                calls.append(PatchEvent(action.calendar_id, action.event_id, _without_id(body), etag))
        results = _batched(api, calls)
        series_done: list[tuple[_Work, ExportAction, SyncTarget]] = []
        for (work, action), result in zip(items, results, strict=True):
            event = self._settle_write(api, work, action, result)
            if event is None:
                continue
            sent, sent_exceptions = work.plan.sent_for(action.uid)
            target = SyncTarget(
                uid=action.uid, calendar_id=action.calendar_id, event_id=action.event_id,
                etag=event.get("etag"), content_hash=sent, exceptions_hash=sent_exceptions, synced_at=self.now(),
            )
            if action.kind == ActionKind.INSERT:
                work.inserted.add(action.uid)
            if work.activity.content.exceptions or _instances_may_differ(work, action):
                series_done.append((work, action, target))
            else:
                work.targets.append(target)
        self._write_exceptions(api, series_done)

    def _settle_write(
        self, api: CalendarApi, work: _Work, action: ExportAction, result: BatchResult
    ) -> dict[str, Any] | None:
        """The event as Google now holds it after this write (with follow-ups), or None if it failed."""
        body = _without_id(activity_to_event(work.activity, work.privacy.get(action.uid, FULL)))
        try:
            if isinstance(result, Conflict) and action.kind == ActionKind.INSERT:
                # An earlier try got through (rule 8): the same event, brought up to date. The id may also be
                # the tombstone of the copy deleted when the activity moved away: confirmed brings it back.
                return api.patch_event(action.calendar_id, action.event_id, {**body, "status": "confirmed"})
            if isinstance(result, PreconditionFailed):
                # Changed in Google since our last write: re-read, re-apply our fields only.
                current = api.get_event(action.calendar_id, action.event_id)
                return api.patch_event(action.calendar_id, action.event_id, body, etag=current.get("etag"))
            if isinstance(result, GoogleError):
                raise result
            return result
        except (NotFound, Gone) as error:
            if action.kind == ActionKind.PATCH and action.target is not None:
                # Deleted in Google: unlinked (rule 6), not written again.
                work.targets.append(replace(action.target, state=TargetState.UNLINKED,
                                            last_error="deleted in Google", synced_at=self.now()))
                return None
            self._write_failed(work, action, error)
            return None
        except GoogleError as error:
            self._write_failed(work, action, error)
            return None

    def _write_exceptions(self, api: CalendarApi, done: list[tuple[_Work, ExportAction, SyncTarget]]) -> None:
        """A series' exceptions as patches of its instances, once the series is in Google."""
        calls: list[BatchCall] = []
        owners: list[int] = []
        failed: dict[int, GoogleError] = {}
        for index, (work, action, _target) in enumerate(done):
            shown = work.shown(action.uid)
            exceptions = list(shown.content.exceptions)
            if _instances_may_differ(work, action):
                try:  # instances Google holds changed that the CRM holds no exception for: back to the series
                    exceptions += self._stale_instances(api, action, shown)
                except GoogleError as error:
                    failed[index] = error
            for exception in exceptions:
                instance_id, body = exception_to_instance(action.event_id, shown, exception)
                calls.append(PatchEvent(action.calendar_id, instance_id, _without_id(body)))
                owners.append(index)
        results = _batched(api, calls)
        for index, result in zip(owners, results, strict=True):
            if isinstance(result, GoogleError) and not isinstance(result, Gone):
                failed.setdefault(index, result)
        for index, (work, _action, target) in enumerate(done):
            if index in failed:
                failure = failure_of(failed[index])
                work.failures.append(replace(failure, message=f"an exception of the series: {failure.message}"))
                work.targets.append(replace(target, state=TargetState.FAILED, last_error=failure.message))
            else:
                work.targets.append(target)

    def _stale_instances(self, api: CalendarApi, action: ExportAction, activity: Activity) -> list[ActivityException]:
        """Plain exceptions (the instance as the series has it) for every instance Google holds moved, edited or
        cancelled that the CRM holds no exception for: one removed in the CRM, or edited in Google (drift)."""
        time = activity.content.time
        zone = time.time_zone if isinstance(time, Timed) else "UTC"
        crm = {_instant_key(e.original_start) for e in activity.content.exceptions}
        stale: list[ActivityException] = []
        page_token: str | None = None
        for _ in range(MAX_INSTANCE_PAGES):
            page = api.list_instances(action.calendar_id, action.event_id, page_token=page_token, show_deleted=True,
                                      max_results=2500)
            for instance in page.items:
                try:
                    seen = instance_to_exception(instance, zone, series=activity.content)
                except (ValueError, InvalidActivity):
                    continue
                plain = ActivityException(seen.original_start)
                if seen != plain and _instant_key(seen.original_start) not in crm:
                    stale.append(plain)
            page_token = page.next_page_token
            if not page_token:
                break
        return stale

    def _write_failed(self, work: _Work, action: ExportAction, error: Exception) -> None:
        failure = failure_of(error)
        work.failures.append(failure)
        if action.kind == ActionKind.PATCH and action.target is not None:
            work.targets.append(replace(action.target, state=TargetState.FAILED, last_error=failure.message))
        elif action.kind == ActionKind.INSERT:
            # Google may have made the event and the answer got lost: the copy is written down unconfirmed (no
            # etag), so a later move or delete also deletes it, and the next run inserts it again (409: it exists).
            work.targets.append(SyncTarget(action.uid, action.calendar_id, action.event_id, state=TargetState.FAILED,
                                           last_error=failure.message))

    # ------------------------------------------------------------------ phase 2: record moves, then delete
    def _deletable(self, work: _Work) -> list[ExportAction]:
        """Deletes to run now: a move's old copy only once its new copy exists."""
        ready = []
        for action in work.plan.deletes:
            if action.after_insert and action.uid not in work.inserted:
                assert action.target is not None
                work.targets.append(action.target)  # the move did not happen: the old copy stays
            else:
                ready.append(action)
        return ready

    def _record_moves(self, works: list[_Work]) -> None:
        """Before an old copy is deleted, the new one is written down (a crash keeps one copy, never two)."""
        for work in works:
            work.plan = replace(work.plan, deletes=tuple(self._deletable(work)))
            if not work.inserted or not work.plan.deletes:
                continue
            deleting = [replace(a.target, state=TargetState.DELETING) for a in work.plan.deletes if a.target]
            interim = ActivitySync(
                state=SyncState.PENDING, targets=tuple(work.targets + deleting),
                event_id=work.activity.sync.event_id if work.activity.sync else None,
                attempts=work.activity.sync.attempts if work.activity.sync else 0, due_at=self.now(),
            )
            revision = self.stores.activities.save_sync(work.activity.id, interim, work.revision)
            work.superseded = revision is None
            work.revision = revision if revision is not None else work.activity.revision

    def _delete_copies(self, run: _Run, works: list[_Work]) -> None:
        by_uid: dict[str, list[tuple[_Work, ExportAction]]] = defaultdict(list)
        for work in works:
            for action in work.plan.deletes:
                by_uid[action.uid].append((work, action))
        for uid, items in by_uid.items():
            api = run.api(uid)
            results: list[BatchResult | Exception]
            if isinstance(api, DomainError):
                results = [api] * len(items)
            else:
                calls: list[BatchCall] = [DeleteEvent(a.calendar_id, a.event_id) for _, a in items]
                try:
                    with self.access.guard(uid):
                        results = _batched(api, calls)
                except (DomainError, GoogleError) as exc:
                    if isinstance(exc, DomainError):
                        run.apis[uid] = exc
                    results = [exc] * len(items)
            for (work, action), result in zip(items, results, strict=True):
                if result is None or isinstance(result, NotFound | Gone):
                    continue  # deleted (or gone already)
                failure = failure_of(result)
                work.failures.append(failure)
                target = action.target or SyncTarget(action.uid, action.calendar_id, action.event_id)
                work.targets.append(replace(target, state=TargetState.DELETING, last_error=failure.message))

    # ------------------------------------------------------------------ the one write
    def _record(self, work: _Work) -> str:
        activity = work.activity
        if activity.deleted and not work.targets and not work.failures and not work.superseded:
            if self.stores.activities.delete(activity.id, work.revision):
                return "deleted"
            return "superseded"
        sync = settle(activity.sync, tuple(work.targets), work.failures, work.plan.exporting, self.now())
        before = activity.sync
        if work.plan.in_sync and before is not None and (before.state, before.targets, before.attempts) == (
            sync.state, sync.targets, 0
        ):
            return _report_key(sync.state)  # nothing changed: no write
        if self.stores.activities.save_sync(activity.id, sync, work.revision) is None or work.superseded:
            return "superseded"
        if work.failures:
            log.warning("export of %s: %s", activity.id, sync.last_error)
        return _report_key(sync.state)


def _instances_may_differ(work: _Work, action: ExportAction) -> bool:
    """A series copy whose instances were last written with other exceptions (or drifted in Google)."""
    return bool(work.activity.content.recurrence) and action.target is not None and (
        action.target.exceptions_hash != work.plan.sent_for(action.uid)[1])


def _instant_key(original: date | datetime) -> str:
    return original.astimezone(UTC).isoformat() if isinstance(original, datetime) else original.isoformat()


def _report_key(state: SyncState) -> str:
    return {SyncState.ERROR: "errors", SyncState.NOT_EXPORTED: "not_exported"}.get(state, str(state))


def _batched(api: CalendarApi, calls: list[BatchCall]) -> list[BatchResult]:
    """Every call's result, in order, sent ``BATCH_CALLS`` to a batch request."""
    results: list[BatchResult] = []
    for start in range(0, len(calls), BATCH_CALLS):
        results.extend(api.batch(calls[start:start + BATCH_CALLS]))
    return results


def _without_id(body: dict[str, Any]) -> dict[str, Any]:
    """A patch body: the event without its id, and each time naming the other shape null. A patch merges
    ``start``/``end`` field by field, so an all-day event turned timed (or back) would otherwise keep its old
    ``date`` beside the new ``dateTime`` and Google would refuse both ("Invalid start time")."""
    patch = {k: v for k, v in body.items() if k != "id"}
    for name in ("start", "end"):
        point = patch.get(name)
        if isinstance(point, dict):
            patch[name] = {**point, "date": None} if "dateTime" in point else {**point, "dateTime": None,
                                                                               "timeZone": None}
    return patch
