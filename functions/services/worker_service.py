"""The per-user worker: one SyncTask, bounded work, a continuation when work remains (docs/fanout.md).

``sync_worker`` (Pub/Sub) calls :meth:`WorkerService.handle` for each message; the scheduled jobs call
it inline when no queue is configured. A task names work to *look at*, so a message delivered twice
does no harm: the export takes what is still pending (nothing, the second time) and the import lists
from the link's sync token (nothing new, the second time); both are idempotent (docs/export.md,
docs/import.md).

- EXPORT: the owner's pending due activities, at most ``EXPORT_PER_TASK``, in one export run (group
  activities go to every member from their owner's task); a full batch means more may wait: a
  continuation. The owner's connection is not checked here: the export decides per recipient (a
  disconnected owner's group activities still reach the members).
- IMPORT: the link named by the task, or every import link of the user (activity_type None); skipped
  with a logged reason when the user is gone, not connected, needs reauth or has a calendar-list
  error, and per link when paused or import is off. A user not connected or needing reauth has their
  links parked (``next_poll_at`` None) so the next tick queues no task for them. One import runs a
  calendar to its end (it is bounded by the calendar's changes), so it needs no continuation; a run
  that failed for a reason Google or Firestore may not repeat raises :class:`RetryLater` so Pub/Sub
  delivers the task again.
- RESYNC: handed to the resync handler given at construction (the link controls, issue 13); without
  one the task is refused with a logged reason and acknowledged.

A chain of continuations stops at ``MAX_GENERATIONS`` (logged); the next scheduled tick starts again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from functions import observability
from functions.core.fanout_rules import (
    NEEDS_REAUTH_SKIP,
    NOT_CONNECTED,
    import_skip_reason,
    link_skip_reason,
    may_continue,
)
from functions.core.push_rules import PUSH_MAX_WAIT, PUSH_QUIET, queued_import_wait
from functions.core.sync_task import SyncTask, TaskKind
from functions.services.channel_service import park_links
from functions.services.export_service import ExportService
from functions.services.import_service import ImportReport, ImportService
from functions.services.ports import Adapters

log = logging.getLogger(__name__)

EXPORT_PER_TASK = 200  # activities one export task takes on; a full batch publishes a continuation

PARKED_SKIPS = (NEEDS_REAUTH_SKIP, NOT_CONNECTED)  # users whose links are parked when a task finds them

ResyncHandler = Callable[[SyncTask], Mapping[str, int]]


class RetryLater(Exception):
    """The task's work failed for a reason that may pass (Google or Firestore unavailable): deliver it again.
    ``outcome`` holds what the task did before."""

    def __init__(self, message: str, outcome: TaskOutcome) -> None:
        super().__init__(message)
        self.outcome = outcome


@dataclass
class TaskOutcome:
    """What one task did: its counts, whether it published a continuation, or why it did nothing."""

    task: SyncTask
    counts: dict[str, int] = field(default_factory=dict)
    continued: bool = False
    skipped: str | None = None  # the user or link was left alone (logged)
    refused: str | None = None  # the task cannot be run here (logged, acknowledged)
    imports: list[ImportReport] = field(default_factory=list)

    def add(self, name: str, amount: int = 1) -> None:
        if amount:
            self.counts[name] = self.counts.get(name, 0) + amount


class WorkerService:
    def __init__(
        self, adapters: Adapters, export: ExportService, imports: ImportService, resync: ResyncHandler | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.adapters = adapters
        self.sleep = sleep  # how a push import waits for quiet (a driver with its own clock passes one that ticks it)
        self.stores = adapters.stores
        self.export = export
        self.imports = imports
        self.resync = resync  # issue 13's controls pass theirs here (functions/bootstrap.py)
        self._handlers: dict[TaskKind, Callable[[SyncTask, TaskOutcome], None]] = {
            TaskKind.EXPORT: self._export,
            TaskKind.IMPORT: self._import,
            TaskKind.RESYNC: self._resync,
        }

    def handle(self, task: SyncTask) -> TaskOutcome:
        """Run one task; one summary line (``sync_run_summary``, kind ``task_<kind>``) says what it did."""
        outcome = TaskOutcome(task)
        with observability.sync_run(f"task_{task.kind}", task.uid, task.activity_type) as run:
            try:
                self._handlers[task.kind](task, outcome)
            finally:
                for name, value in outcome.counts.items():
                    run.count(name, value)
                if outcome.continued:
                    run.count("continued")
                if outcome.skipped or outcome.refused:
                    run.count("skipped")
        return outcome

    # ------------------------------------------------------------------ kinds
    def _export(self, task: SyncTask, outcome: TaskOutcome) -> None:
        batch = self.stores.activities.list_pending_for_owner(task.uid, self.adapters.now(), EXPORT_PER_TASK)
        if not batch:
            return  # nothing pending (a duplicate delivery, or another task took it): no Google call
        report = self.export.run(batch)
        for name, value in vars(report).items():
            outcome.add(name, value)
        if len(batch) >= EXPORT_PER_TASK:
            self._continue(task, outcome)

    def _import(self, task: SyncTask, outcome: TaskOutcome) -> None:
        reason = import_skip_reason(self.stores.users.get_user(task.uid))
        if reason is not None:
            self._skip(task, outcome, reason)
            if reason in PARKED_SKIPS:  # e.g. refused before parking existed: the next tick has no task for them
                outcome.add("links_parked", park_links(self.stores.links, task.uid))
            return
        links = sorted(self.stores.links.list_links(task.uid), key=lambda lk: lk.activity_type)
        chosen = [lk for lk in links if task.activity_type in (None, lk.activity_type)]
        if task.activity_type is not None and not chosen:
            self._skip(task, outcome, "no_such_link")
            return
        retry: list[str] = []
        for link in chosen:
            why = link_skip_reason(link)
            if why is not None:
                if task.activity_type is not None:
                    self._skip(task, outcome, why)
                outcome.add("links_skipped")
                continue
            if task.reason == "push" and link.channel_id:
                self._settle(link.channel_id)
            report = self.imports.import_link(task.uid, link)
            outcome.imports.append(report)
            outcome.add("calendars")
            outcome.add("busy", int(report.busy))  # another import of it is running: that run covers it
            outcome.add("paused", int(bool(report.paused)))
            for name, value in report.counts().items():
                outcome.add(name, value)
            if report.error and not report.busy and not report.paused:
                retry.append(f"{link.activity_type}: {report.error}")
        if retry and import_skip_reason(self.stores.users.get_user(task.uid)) in PARKED_SKIPS:
            self._skip(task, outcome, NEEDS_REAUTH_SKIP)  # Google refused the grant meanwhile: a retry would skip
            return
        if retry:
            raise RetryLater(f"import of {task.uid} failed for {len(retry)} calendar(s): {'; '.join(retry)}",
                             outcome)

    def _resync(self, task: SyncTask, outcome: TaskOutcome) -> None:
        if self.resync is None:
            outcome.refused = "resync is not available in this deployment"
            log.error("resync task for %s refused: no resync handler is configured", task.uid)
            return
        for name, value in self.resync(task).items():
            outcome.add(name, value)

    # ------------------------------------------------------------------ helpers
    def _settle(self, channel_id: str) -> None:
        """A push import waits for its burst to settle: ``PUSH_QUIET`` after the channel's last notification, at
        most ``PUSH_MAX_WAIT`` (docs/push.md, *Coalescing*). Notifications meanwhile are coalesced into it."""
        waited = 0.0
        while True:
            channel = self.stores.channels.get_channel(channel_id)
            wait = queued_import_wait(channel.import_queued_at, channel.notified_at, self.adapters.now()) \
                if channel is not None else 0.0
            left = PUSH_MAX_WAIT - waited
            if wait <= 0 or left <= 0:
                return
            pause = min(wait, left, PUSH_QUIET)
            self.sleep(pause)
            waited += pause

    def _skip(self, task: SyncTask, outcome: TaskOutcome, reason: str) -> None:
        outcome.skipped = reason
        log.info("%s task for %s skipped: %s", task.kind, task.uid, reason,
                 extra={"uid": task.uid, "skip_reason": reason})

    def _continue(self, task: SyncTask, outcome: TaskOutcome) -> None:
        queue = self.adapters.queue
        if not may_continue(task):
            log.warning("%s task chain for %s stopped after %d continuations; the next tick goes on",
                        task.kind, task.uid, task.generation, extra={"uid": task.uid, "generation": task.generation})
            outcome.add("chain_capped")
            return
        if queue is None:
            log.info("more %s work for %s remains; no queue: the next tick takes it", task.kind, task.uid)
            return
        queue.publish(task.continuation())
        outcome.continued = True
