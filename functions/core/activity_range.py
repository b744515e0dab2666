"""The instants an activity spans, for the list-by-time-range query (``range_start`` / ``range_end``).

All-day days are taken in UTC (a day's list in any zone is a range query a day wider, then the page
decides). A recurring activity spans from its first instance to the UNTIL of its RRULE, or forever.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from functions.core.activity import Activity, ActivityTime, AllDay

FOREVER = datetime(9999, 12, 31, tzinfo=UTC)
_UNTIL = re.compile(r"(?:^|;)UNTIL=(\d{8})(?:T(\d{6})Z?)?", re.IGNORECASE)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def time_range(span: ActivityTime) -> tuple[datetime, datetime]:
    """``[start, end)`` of one span; an all-day end is the day after the (inclusive) end date."""
    if isinstance(span, AllDay):
        return _day_start(span.start_date), _day_start(span.end_date + timedelta(days=1))
    return span.start, span.end


def _until(lines: tuple[str, ...]) -> datetime | None:
    """The latest UNTIL of the RRULEs, or None when one of them has none (unbounded or COUNT)."""
    latest: datetime | None = None
    rules = [line for line in lines if line.upper().startswith("RRULE")]
    for line in rules:
        found = _UNTIL.search(line.split(":", 1)[1])
        if not found:
            return None
        day, clock = found.group(1), found.group(2) or "235959"
        value = datetime.strptime(day + clock, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
        latest = value if latest is None or value > latest else latest
    return latest


def activity_range(activity: Activity) -> tuple[datetime, datetime]:
    """``(range_start, range_end)`` stored with the activity; a series ends at UNTIL plus one instance."""
    start, end = time_range(activity.content.time)
    if not activity.content.recurrence:
        return start, end
    until = _until(activity.content.recurrence)
    if until is None:
        return start, FOREVER
    if until >= FOREVER - (end - start) - timedelta(days=1):  # a series to the end of time (no overflow)
        return start, FOREVER
    return start, max(end, until + (end - start) + timedelta(days=1))
