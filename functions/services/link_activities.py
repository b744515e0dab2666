"""Reading a link's exported copies from the activities, and asking the export to rewrite them (bounded)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from functions.core.activity import Activity
from functions.core.link_copies import LinkCopy, link_copies
from functions.core.models import Link
from functions.store.ports import Stores

MAX_ACTIVITIES = 20000  # activities of one type (and of one group) read to find a link's copies
CHUNK_WRITES = 450  # writes per unit of work (Firestore's batch limit is 500)


def find_link_copies(stores: Stores, uid: str, link: Link) -> list[LinkCopy]:
    """The exported copies in ``uid``'s linked calendar: their own activities of the type, and those of the
    groups they are a member of (a group activity gives each member a copy)."""
    activities: list[Activity] = list(stores.activities.list_by_type(uid, link.activity_type, MAX_ACTIVITIES))
    for group in stores.groups.list_groups():
        if uid in group.member_uids:
            activities += stores.activities.list_by_group(group.id, MAX_ACTIVITIES)
    return link_copies(activities, uid, link.activity_type, link.calendar_id)


def mark_pending(stores: Stores, activity_ids: Sequence[str], now: datetime) -> int:
    """Ask the export for these activities (the sweep takes them in batches); units of work of CHUNK_WRITES."""
    ids = list(dict.fromkeys(activity_ids))
    for start in range(0, len(ids), CHUNK_WRITES):
        uow = stores.unit_of_work()
        stores.activities.stage_pending(uow, ids[start:start + CHUNK_WRITES], now)
        uow.commit()
    return len(ids)
