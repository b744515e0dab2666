"""``google_events/{id}``: a Google event seen by import but not imported, for *Add into CRM*.

The id is ``imported_activity_id(owner, event id)``: the id the activity gets if the event is added
(so one read by key tells whether it was added already). The row holds what a calendar page shows;
adding re-reads the event from Google.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from functions.core.activity import Activity, AllDay
from functions.core.activity_range import activity_range


@dataclass(frozen=True)
class GoogleEventRow:
    id: str
    owner_uid: str
    activity_type: str
    calendar_id: str
    event_id: str
    summary: str
    all_day: bool
    start: str  # RFC 3339 (timed) or YYYY-MM-DD (all-day, inclusive)
    end: str
    time_zone: str | None
    range_start: datetime
    range_end: datetime
    etag: str | None = None
    location: str = ""
    recurring: bool = False
    html_link: str | None = None
    google_created: str | None = None  # the event's ``created`` (RFC 3339, Google's clock)
    reason: str = ""  # why it was not imported
    seen_at: datetime | None = None


def row_for(activity: Activity, event: Mapping[str, Any], calendar_id: str, reason: str,
            now: datetime) -> GoogleEventRow:
    """The row of an event read as ``activity`` (by ``event_to_activity``)."""
    time = activity.content.time
    range_start, range_end = activity_range(activity)
    if isinstance(time, AllDay):
        start, end, zone = time.start_date.isoformat(), time.end_date.isoformat(), None
    else:
        start, end, zone = time.start.isoformat(), time.end.isoformat(), time.time_zone
    return GoogleEventRow(
        id=activity.id, owner_uid=activity.owner_uid, activity_type=activity.activity_type, calendar_id=calendar_id,
        event_id=str(event.get("id")), summary=activity.content.subject, all_day=isinstance(time, AllDay),
        start=start, end=end, time_zone=zone, range_start=range_start, range_end=range_end,
        etag=event.get("etag"), location=activity.content.location, recurring=bool(activity.content.recurrence),
        html_link=event.get("htmlLink"), google_created=event.get("created"), reason=reason, seen_at=now,
    )
