"""What a write of ``activities/{id}`` asks of the export. Pure, no I/O (docs/triggers.md).

Firestore calls ``on_activity_write`` for every write of an activity document, the export's own
bookkeeping included. ``decide`` compares the document before and after the write (plain field
dicts, as the Firestore client reads them) and says whether Google may need a change:

- **export**: a field that reaches Google changed (content, type, owner, group, ``deleted``), the
  document is new, or a writer asked for export (``sync.state`` set to ``pending`` afresh, as the
  API, the rules-checked clients, a group change and the import's drift check do). A console user
  who edits the subject and leaves ``sync`` alone still gets the edit exported: the field changed.
- **delete copies**: the document was deleted outright (the Firestore console, an admin client)
  while Google still held copies and no deletion was under way: its old ``sync.targets`` are the
  only record of them, so the copies are deleted from there.
- **ignore**: everything else, above all the export's own writes (they touch only ``sync``, and a
  ``pending`` they write is a retry with ``attempts > 0`` or a move's interim record with a
  ``deleting`` copy), and every write of an imported activity (``origin: google``), which must not
  bounce back to Google.

The rule may say "export" when nothing Google holds changed (an attendee's own answer, say): the
export's planner compares content hashes and then makes no call. It must never say "ignore" when
Google needs a change; that is what the unit tests pin down.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# Every field the export reads to decide what Google holds: the content (event_mapping), who gets a
# copy (owner, group) and where (type -> link), and whether the activity is being deleted.
SYNCED_FIELDS = (
    "subject", "description", "location", "visibility", "transparency", "attendees", "recurrence", "exceptions",
    "all_day", "start", "end", "start_date", "end_date", "time_zone",
    "activity_type", "owner_uid", "group_id", "deleted",
)
LIVE_COPY_STATES = ("synced", "failed", "deleting")  # a target in one of these is (or may be) in Google
# Eventarc redelivers an event whose export failed for now while the activity has failed fewer runs in
# a row than this (a blip is over in seconds); after that the sweep's backoff (1, 2, 4, ... min, shared
# ``sync.attempts``) takes over, so a long outage does not use up the attempts within minutes.
REDELIVERY_ATTEMPTS = 3


class WriteAction(StrEnum):
    EXPORT = "export"
    DELETE_COPIES = "delete_copies"
    IGNORE = "ignore"


@dataclass(frozen=True)
class DocumentWrite:
    """One write of ``activities/{id}`` as the trigger sees it: the fields before and after (None: absent)."""

    activity_id: str
    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None
    event_id: str = ""  # the CloudEvent id, for the log


@dataclass(frozen=True)
class WriteDecision:
    action: WriteAction
    reason: str


def _sync(doc: Mapping[str, Any] | None) -> Mapping[str, Any]:
    value = (doc or {}).get("sync")
    return value if isinstance(value, Mapping) else {}


def _targets(doc: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    targets = _sync(doc).get("targets")
    return [t for t in targets if isinstance(t, Mapping)] if isinstance(targets, list) else []


def live_copies(doc: Mapping[str, Any] | None) -> int:
    """How many Google copies the document's bookkeeping records (unlinked ones are Google's own deletes)."""
    return sum(1 for t in _targets(doc) if str(t.get("state") or "synced") in LIVE_COPY_STATES)


def is_imported(doc: Mapping[str, Any] | None) -> bool:
    return doc is not None and (doc.get("origin") == "google" or doc.get("read_only") is True)


def changed_fields(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """The synced fields whose value differs (a field absent on one side differs from any value but None)."""
    before = old or {}
    return [name for name in SYNCED_FIELDS if before.get(name) != new.get(name)]


def asks_for_export(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> bool:
    """Did this write ask for export afresh (``sync.state: pending`` with a new ``due_at``, attempts 0)?

    The export's own ``pending`` writes do not: a retry counts ``attempts > 0``, and a move's interim
    record carries the old copy as ``deleting``."""
    after, before = _sync(new), _sync(old)
    if after.get("state") != "pending" or int(after.get("attempts") or 0) != 0:
        return False
    if any(t.get("state") == "deleting" for t in _targets(new)):
        return False
    return before.get("state") != "pending" or before.get("due_at") != after.get("due_at")


def decide(write: DocumentWrite) -> WriteDecision:
    """What this write asks of the export (see the module docstring)."""
    old, new = write.old, write.new
    if new is None:
        if old is None:
            return WriteDecision(WriteAction.IGNORE, "no document before or after the write")
        if is_imported(old):
            return WriteDecision(WriteAction.IGNORE, "an imported activity was deleted: its event is Google's own")
        if old.get("deleted") is True:
            return WriteDecision(WriteAction.IGNORE, "the deletion flow removed the document (its copies went first)")
        copies = live_copies(old)
        if copies == 0:
            return WriteDecision(WriteAction.IGNORE, "deleted with no copy in Google")
        return WriteDecision(WriteAction.DELETE_COPIES, f"deleted outright with {copies} copy(ies) in Google")
    if is_imported(new):
        return WriteDecision(WriteAction.IGNORE, "an imported activity (origin google): never exported back")
    if old is None:
        return WriteDecision(WriteAction.EXPORT, "a new activity")
    changed = changed_fields(old, new)
    if changed:
        return WriteDecision(WriteAction.EXPORT, "changed: " + ", ".join(changed))
    if asks_for_export(old, new):
        return WriteDecision(WriteAction.EXPORT, "export asked (sync.state pending)")
    return WriteDecision(WriteAction.IGNORE, "no synced field changed")


def worth_a_redelivery(attempts: int) -> bool:
    """After a transient failure that left ``sync.attempts`` at ``attempts``: ask Eventarc to deliver again?"""
    return 0 < attempts < REDELIVERY_ATTEMPTS
