"""Which Google events a link's calendar holds for calbridge, by kind (pure, no I/O).

A link's **copies** are the targets, in the activities of its type, for (the user, the link's calendar).
- *exported*: a CRM-owned activity's copy (the export writes it, privacy applies);
- *created by calbridge*: an exported copy whose event id is the one calbridge chose
  (``event_id_for(activity id)``); an event added into the CRM from Google keeps its own id, so it is
  exported (calbridge writes to it) but was not created by calbridge, and an unlink's cleanup never deletes it;
- imported activities' events (origin google) are never copies: calbridge did not create them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from functions.core.activity import Activity, Origin, SyncTarget, TargetState
from functions.core.event_mapping import event_id_for


@dataclass(frozen=True)
class LinkCopy:
    activity: Activity
    target: SyncTarget

    @property
    def created_by_calbridge(self) -> bool:
        try:
            return self.target.event_id == event_id_for(self.activity.id)
        except ValueError:
            return False


def link_copies(activities: Iterable[Activity], uid: str, activity_type: str, calendar_id: str) -> list[LinkCopy]:
    """The exported copies (CRM-owned activities of ``activity_type``) in ``uid``'s ``calendar_id``, unlinked ones
    included (``target.state``), each activity once."""
    found: dict[str, LinkCopy] = {}
    for activity in activities:
        if activity.origin != Origin.CRM or activity.activity_type != activity_type or activity.id in found:
            continue
        for target in activity.sync.targets if activity.sync else ():
            if (target.uid, target.calendar_id) == (uid, calendar_id) and target.state != TargetState.DELETING:
                found[activity.id] = LinkCopy(activity, target)
                break
    return list(found.values())


def live(copies: Iterable[LinkCopy]) -> list[LinkCopy]:
    """The copies Google still holds as far as calbridge knows (not unlinked)."""
    return [c for c in copies if c.target.state != TargetState.UNLINKED]


def cleanup_candidates(copies: Iterable[LinkCopy]) -> list[LinkCopy]:
    """What an unlink with cleanup deletes in Google: live copies calbridge created (never an event added
    into the CRM from Google, never an imported one)."""
    return [c for c in live(copies) if c.created_by_calbridge]
