"""Unlink with cleanup (issue 13): remove a link and, if asked, the Google events calbridge exported for it.

The events deleted are exactly ``core.link_copies.cleanup_candidates``: live copies of CRM-owned
activities of the link's type, in the user's linked calendar, whose event id calbridge chose. Imported
events, events added into the CRM from Google and events calbridge never wrote are left alone.

Order: the link goes first (so no export writes to the calendar any more), then the events are deleted
in batch requests, then each activity's ``sync`` drops the deleted copy (units of work). A crash in between
leaves copies behind exactly as an unlink without cleanup does; nothing is deleted that should not be.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from functions.core.link_copies import LinkCopy, cleanup_candidates
from functions.core.models import Identity, Link
from functions.google.calendar_port import BatchCall, DeleteEvent
from functions.google.errors import Gone, GoogleError, NotFound
from functions.services.calendar_access import CalendarAccess
from functions.services.errors import DomainError, UnknownLink
from functions.services.link_activities import find_link_copies
from functions.services.link_service import LinkService
from functions.services.ports import Adapters

log = logging.getLogger(__name__)

MAX_CLEANUP = 5000  # events one unlink deletes (the rest, if ever, stay: the answer says how many)
BATCH_CALLS = 50  # deletes per batch request
CHUNK_WRITES = 450  # activity sync writes per unit of work


@dataclass(frozen=True)
class CleanupPreview:
    activity_type: str
    calendar_id: str
    calendar_summary: str
    events: int  # what a cleanup would delete


@dataclass(frozen=True)
class UnlinkResult:
    activity_type: str
    cleanup: bool
    deleted: int = 0  # Google events deleted (or found gone already)
    failed: int = 0  # deletes Google refused (the events stay, recorded as before)
    left: int = 0  # beyond MAX_CLEANUP: not attempted


class LinkCleanupService:
    def __init__(self, adapters: Adapters, links: LinkService, access: CalendarAccess) -> None:
        self.stores = adapters.stores
        self.links = links
        self.access = access

    def _link(self, uid: str, activity_type: str) -> Link:
        self.links.require_activity_type(activity_type)
        link = next((lk for lk in self.stores.links.list_links(uid) if lk.activity_type == activity_type), None)
        if link is None:
            raise UnknownLink(f"You have no link for {activity_type!r}.", {"activity_type": activity_type})
        return link

    def preview(self, identity: Identity, activity_type: str) -> CleanupPreview:
        """How many Google events an unlink with cleanup would delete (nothing is changed)."""
        link = self._link(identity.uid, activity_type)
        count = len(cleanup_candidates(find_link_copies(self.stores, identity.uid, link)))
        return CleanupPreview(activity_type, link.calendar_id, link.calendar_summary, count)

    def unlink(self, identity: Identity, activity_type: str, cleanup: bool) -> UnlinkResult:
        """Delete the link; with ``cleanup``, also the Google events calbridge exported for it."""
        if not cleanup:
            self.links.delete_link(identity, activity_type)
            return UnlinkResult(activity_type, False)
        link = self._link(identity.uid, activity_type)
        candidates = cleanup_candidates(find_link_copies(self.stores, identity.uid, link))
        api = self.access.open(identity.uid)  # NotConnected / NeedsReauth before anything changes
        self.links.delete_link(identity, activity_type)
        todo, left = candidates[:MAX_CLEANUP], len(candidates) - min(len(candidates), MAX_CLEANUP)
        deleted: list[LinkCopy] = []
        failed = 0
        with self.access.guard(identity.uid):
            for start in range(0, len(todo), BATCH_CALLS):
                chunk = todo[start:start + BATCH_CALLS]
                calls: list[BatchCall] = [DeleteEvent(c.target.calendar_id, c.target.event_id) for c in chunk]
                try:
                    results = api.batch(calls)
                except (GoogleError, DomainError) as exc:
                    log.warning("cleanup of %s for %s: a batch failed: %s", activity_type, identity.uid, exc)
                    failed += len(chunk)
                    continue
                for copy, result in zip(chunk, results, strict=True):
                    if result is None or isinstance(result, NotFound | Gone):
                        deleted.append(copy)
                    else:
                        failed += 1
        self._forget(deleted)
        log.info("unlink %s for %s: %d events deleted, %d failed, %d left", activity_type, identity.uid,
                 len(deleted), failed, left)
        return UnlinkResult(activity_type, True, len(deleted), failed, left)

    def _forget(self, deleted: list[LinkCopy]) -> None:
        """Each activity's ``sync`` without the deleted copy, in units of work."""
        for start in range(0, len(deleted), CHUNK_WRITES):
            uow = self.stores.unit_of_work()
            for copy in deleted[start:start + CHUNK_WRITES]:
                sync = copy.activity.sync
                assert sync is not None
                targets = tuple(t for t in sync.targets if t != copy.target)
                self.stores.activities.stage_sync(uow, copy.activity.id, replace(sync, targets=targets))
            uow.commit()
