"""Google's ``EventDateTime`` (``{"date"}`` or ``{"dateTime", "timeZone"}``) to and from an activity's time.

All-day: Google's end date is exclusive, the CRM's inclusive; the day is added here on the way out
and removed on the way in. Timed: sent as local time with its offset in the activity's zone plus
``timeZone``; read back as an instant, the zone taken from ``timeZone`` or else the calendar's.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from functions.core.activity import ActivityTime, AllDay, InvalidActivity, Timed, is_iana_zone

ONE_DAY = timedelta(days=1)


class NotAnActivity(ValueError):
    """A Google event (or instance) that does not map to an activity; the message says why."""


def time_to_event_fields(time: ActivityTime) -> tuple[dict[str, str], dict[str, str]]:
    """``(start, end)`` as Google takes them."""
    if isinstance(time, AllDay):
        return {"date": time.start_date.isoformat()}, {"date": (time.end_date + ONE_DAY).isoformat()}
    return _event_datetime(time.start, time.time_zone), _event_datetime(time.end, time.time_zone)


def original_start_to_event(original_start: date | datetime, time_zone: str | None) -> dict[str, str]:
    """An instance's ``originalStartTime``: a date, or the instant in the series' zone."""
    if isinstance(original_start, datetime):
        return _event_datetime(original_start, time_zone or "UTC")
    return {"date": original_start.isoformat()}


def _event_datetime(instant: datetime, time_zone: str) -> dict[str, str]:
    local = instant.astimezone(ZoneInfo(time_zone))
    return {"dateTime": local.isoformat(timespec="seconds"), "timeZone": time_zone}


def usable_zone(name: object, fallback: str) -> str:
    """``name`` if it is an IANA zone this machine knows, else ``fallback`` (itself checked), else UTC."""
    for candidate in (name, fallback):
        if isinstance(candidate, str) and is_iana_zone(candidate):
            return candidate
    return "UTC"


def parse_event_point(value: object, fallback_zone: str) -> date | datetime:
    """One ``EventDateTime`` as a date (all-day) or an aware UTC datetime.

    A ``dateTime`` without offset ("floating") is read in its ``timeZone``, else in ``fallback_zone``.
    A local time a DST change skips or repeats is read as zoneinfo does (fold=0: the earlier offset).
    """
    if not isinstance(value, Mapping):
        raise NotAnActivity("no start or end time")
    if value.get("dateTime"):
        text = str(value["dateTime"])
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError as error:
            raise NotAnActivity(f"dateTime {text!r} is not RFC 3339") from error
        if parsed.utcoffset() is None:
            parsed = parsed.replace(tzinfo=ZoneInfo(usable_zone(value.get("timeZone"), fallback_zone)))
        return parsed.astimezone(UTC)
    if value.get("date"):
        try:
            return date.fromisoformat(str(value["date"]))
        except ValueError as error:
            raise NotAnActivity(f"date {value['date']!r} is not YYYY-MM-DD") from error
    raise NotAnActivity("a start or end with neither date nor dateTime")


def event_time(start: object, end: object, calendar_time_zone: str) -> ActivityTime:
    """An event's ``start``/``end`` as an activity time.

    The zone is the start's ``timeZone`` (Google requires it on recurring events), else the calendar's.
    A missing end means a zero-length timed event or a one-day all-day event.
    """
    first = parse_event_point(start, calendar_time_zone)
    zone = usable_zone(start.get("timeZone") if isinstance(start, Mapping) else None, calendar_time_zone)
    last = parse_event_point(end, zone) if end else first
    try:
        if isinstance(first, datetime) and isinstance(last, datetime):
            return Timed(first, last, zone)
        if not isinstance(first, datetime) and not isinstance(last, datetime):
            return AllDay(first, max(first, last - ONE_DAY))
    except InvalidActivity as error:
        raise NotAnActivity(str(error)) from error
    raise NotAnActivity("start and end mix a date and a dateTime")
