"""Export on write: what ``on_activity_write`` does with one write of ``activities/{id}`` (docs/triggers.md).

The pure rule (``functions.core.activity_write.decide``) looks at the document before and after the
write; only a write that may change what Google holds costs anything:

- **export**: the activity is read again (the event is a notice; the document as it is now is the
  truth, so a late or repeated event does no harm) and exported through ``ExportService`` like any
  save. The planner compares content hashes, so when the API's own export after the same save got
  there first, the trigger makes no Calendar call.
- **delete copies**: a document deleted outright took its bookkeeping with it; the copies recorded in
  its old value are deleted in Google, unless the document exists again (then its own export owns
  the event ids).
- **ignore**: nothing read, nothing written, no Calendar call (the export's own writes land here).

``WriteOutcome.retry`` says a transient Google failure left work undone: the entry point then fails,
so Eventarc delivers the event again (with backoff), while the activity has failed fewer than
``REDELIVERY_ATTEMPTS`` runs in a row (then the sweep's longer backoff takes over), and always for
the copies of a document deleted outright (the event is their only record). Anything else is
acknowledged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from functions.core.activity import Origin
from functions.core.activity_write import DocumentWrite, WriteAction, WriteDecision, decide, worth_a_redelivery
from functions.services.export_service import ExportReport, ExportService
from functions.services.ports import Adapters
from functions.store.activity_codec import activity_from_doc

log = logging.getLogger(__name__)

INVALID = (ValueError, KeyError, TypeError, AttributeError)  # what a document that is not an activity raises


@dataclass(frozen=True)
class WriteOutcome:
    decision: WriteDecision
    report: ExportReport | None = None  # None: no export ran
    problem: str | None = None  # the document is not a valid activity (logged, acknowledged)
    retry: bool = False  # Google failed for now: fail the delivery so that Eventarc delivers it again


class ActivityWriteService:
    def __init__(self, adapters: Adapters, export: ExportService) -> None:
        self.stores = adapters.stores
        self.export = export

    def handle(self, write: DocumentWrite) -> WriteOutcome:
        decision = decide(write)
        if decision.action == WriteAction.IGNORE:
            return WriteOutcome(decision)
        if decision.action == WriteAction.DELETE_COPIES:
            return self._delete_copies(write, decision)
        try:
            current = self.stores.activities.get(write.activity_id)
        except INVALID as error:
            return self._invalid(write, decision, error)
        if current is None or current.origin == Origin.GOOGLE or current.read_only:
            return WriteOutcome(decision, ExportReport())  # gone since, or imported: nothing to export
        report = self.export.run([current])
        retry = False
        if report.transient:  # the export recorded the failure (pending, backoff); a blip earns a redelivery
            after = self.stores.activities.get(write.activity_id)
            retry = after is not None and after.sync is not None and worth_a_redelivery(after.sync.attempts)
        return WriteOutcome(decision, report, retry=retry)

    def _delete_copies(self, write: DocumentWrite, decision: WriteDecision) -> WriteOutcome:
        assert write.old is not None
        try:
            removed = activity_from_doc(write.activity_id, dict(write.old))
        except INVALID as error:
            return self._invalid(write, decision, error)
        if self.stores.activities.get(write.activity_id) is not None:
            return WriteOutcome(decision, ExportReport())  # written again since: its export owns the events
        report = self.export.delete_removed_copies(removed)
        return WriteOutcome(decision, report, retry=report.transient > 0)  # the event is the only record left

    @staticmethod
    def _invalid(write: DocumentWrite, decision: WriteDecision, error: Exception) -> WriteOutcome:
        problem = f"activities/{write.activity_id} is not a valid activity: {type(error).__name__}: {error}"
        log.error("%s; not exported (event %s)", problem, write.event_id)
        return WriteOutcome(decision, problem=problem)
