"""The scheduled jobs as a fan-out: find the users with work by query, publish one task per user
(docs/fanout.md). Without a queue (``Adapters.queue`` None: fast tests, a run without Pub/Sub) the
same tasks run inline, bounded, and the summaries keep their earlier meaning.

- ``export_tick``: the pending due activities (the ``sync.state`` + ``sync.due_at`` index), at most
  ``EXPORT_SCAN``, one EXPORT task per owner.
- ``import_tick``: the links with ``next_poll_at <= now`` (one collection-group query), at most
  ``IMPORT_SCAN``, one IMPORT task per user. A link with a live push channel is due only every
  ``SAFETY_NET`` (functions/core/poll_rules.py), so idle users cost neither a read nor a message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from functions import observability
from functions.core.fanout_rules import export_tasks, import_tasks
from functions.core.sync_task import SyncTask
from functions.services.export_service import SWEEP_LIMIT, ExportService
from functions.services.import_service import MAX_LINKS_PER_JOB
from functions.services.ports import Adapters, TaskQueue
from functions.services.worker_service import RetryLater, WorkerService

log = logging.getLogger(__name__)

EXPORT_SCAN = 500  # pending activities one export tick looks at to find their owners
IMPORT_SCAN = 1000  # due links one import tick looks at


def publish_all(queue: TaskQueue, tasks: Iterable[SyncTask]) -> int:
    """Publish the tasks, together when the queue can (Pub/Sub: every future awaited at the end)."""
    tasks = list(tasks)
    many = getattr(queue, "publish_many", None)
    if callable(many):
        return int(many(tasks))
    for task in tasks:
        queue.publish(task)
    return len(tasks)


class FanoutService:
    def __init__(self, adapters: Adapters, export: ExportService, worker: WorkerService) -> None:
        self.adapters = adapters
        self.stores = adapters.stores
        self.export = export
        self.worker = worker

    def export_tick(self) -> dict[str, Any]:
        """``export_activities``: one EXPORT task per owner of a pending due activity."""
        queue = self.adapters.queue
        with observability.sync_run("export_tick") as run:
            if queue is None:  # inline: one bounded sweep, as before the fan-out
                pending = self.stores.activities.list_pending(self.adapters.now(), SWEEP_LIMIT)
                report = self.export.run(pending)
                summary = {**vars(report), "users": len(export_tasks(pending)), "published": 0}
            else:
                pending = self.stores.activities.list_pending(self.adapters.now(), EXPORT_SCAN)
                tasks = export_tasks(pending)
                summary = {"activities": len(pending), "users": len(tasks), "published": publish_all(queue, tasks)}
            for name in ("activities", "users", "published"):
                run.count(name, summary[name])
        return summary

    def import_tick(self) -> dict[str, Any]:
        """``import_events``: one IMPORT task per user with a due link."""
        queue = self.adapters.queue
        with observability.sync_run("import_tick") as run:
            due = self.stores.links.list_due_links(self.adapters.now(), IMPORT_SCAN)
            tasks = import_tasks(due)
            if queue is None:
                summary = {"due_links": len(due), **self._import_inline(tasks)}
            else:
                summary = {"due_links": len(due), "users": len(tasks), "published": publish_all(queue, tasks)}
            for name in ("due_links", "users", "published"):
                run.count(name, summary.get(name, 0))
        return summary

    def _import_inline(self, tasks: list[SyncTask]) -> dict[str, Any]:
        """The tasks run here, at most ``MAX_LINKS_PER_JOB`` calendars; the summary of the loop before."""
        summary: dict[str, Any] = {"calendars": 0, "paused": 0, "busy": 0, "failed": 0, "left": 0,
                                   "users": len(tasks), "published": 0}
        totals: dict[str, int] = {}
        for task in tasks:
            if summary["calendars"] >= MAX_LINKS_PER_JOB:
                summary["left"] += 1
                continue
            try:
                reports = self.worker.handle(task).imports
            except RetryLater as exc:  # counted below as failed; the next tick tries again
                log.warning("%s", exc)
                reports = exc.outcome.imports
            for report in reports:
                summary["calendars"] += 1
                summary["paused"] += bool(report.paused)
                summary["busy"] += report.busy
                summary["failed"] += bool(report.error) and not report.busy and not report.paused
                for name, value in report.counts().items():
                    totals[name] = totals.get(name, 0) + value
        return {**summary, **totals}
