"""A recurring activity's exceptions to and from Google's instances of the series.

An instance is addressed by ``{series id}_{original start}``; its ``originalStartTime`` keys the
exception. calbridge sends an overridden instance with every per-instance field filled (the series'
value where the exception says "as the series"), so a later edit of the series, re-sent to each
exception, and the removal of an override both reach Google.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from functions.core.activity import (
    NO_TITLE,
    Activity,
    ActivityContent,
    ActivityException,
    ActivityTime,
    AllDay,
    Timed,
)
from functions.core.event_times import (
    NotAnActivity,
    event_time,
    original_start_to_event,
    parse_event_point,
    time_to_event_fields,
)


def subject_to_summary(subject: str) -> str:
    """The ``summary`` for a subject: "(No title)", which import gives an untitled event, goes back untitled."""
    return "" if subject == NO_TITLE else subject


def instance_event_id(series_event_id: str, original_start: date | datetime) -> str:
    """Google's id of one instance: ``{id}_{YYYYMMDD}`` (all-day) or ``{id}_{YYYYMMDDTHHMMSSZ}`` (timed)."""
    if isinstance(original_start, datetime):
        if original_start.utcoffset() is None:
            raise ValueError("original_start must carry a UTC offset")
        return f"{series_event_id}_{original_start.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    return f"{series_event_id}_{original_start:%Y%m%d}"


def instance_slot(series_time: ActivityTime, original_start: date | datetime) -> ActivityTime:
    """Where the instance starting at ``original_start`` sits when not moved: the series' duration from there."""
    if isinstance(series_time, AllDay):
        if isinstance(original_start, datetime):
            raise ValueError("an all-day series' instance is keyed by a date")
        return AllDay(original_start, original_start + (series_time.end_date - series_time.start_date))
    if not isinstance(original_start, datetime):
        raise ValueError("a timed series' instance is keyed by a datetime")
    return Timed(original_start, original_start + (series_time.end - series_time.start), series_time.time_zone)


def _series_zone(time: ActivityTime) -> str | None:
    return time.time_zone if isinstance(time, Timed) else None


def exception_to_instance(
    series_event_id: str, activity: Activity, exception: ActivityException
) -> tuple[str, dict[str, Any]]:
    """``(instance event id, body)`` to patch the instance with: a cancellation or the overridden instance."""
    series = activity.content
    instance_id = instance_event_id(series_event_id, exception.original_start)
    body: dict[str, Any] = {
        "id": instance_id,
        "recurringEventId": series_event_id,
        "originalStartTime": original_start_to_event(exception.original_start, _series_zone(series.time)),
    }
    if exception.cancelled:
        return instance_id, {**body, "status": "cancelled"}
    start, end = time_to_event_fields(exception.time or instance_slot(series.time, exception.original_start))
    return instance_id, {
        **body,
        "status": "confirmed",
        "summary": subject_to_summary(series.subject if exception.subject is None else exception.subject),
        "description": series.description if exception.description is None else exception.description,
        "location": series.location if exception.location is None else exception.location,
        "start": start,
        "end": end,
    }


def instance_to_exception(
    instance_event: Mapping[str, Any], series_time_zone: str, *, series: ActivityContent | None = None
) -> ActivityException:
    """A Google instance of a series (moved, edited or cancelled) as an exception keyed by ``originalStartTime``.

    Without ``series`` every value the instance carries is an override. With it, values equal to the
    series' (and a time equal to the instance's own slot) become None, "as the series".
    """
    if not instance_event.get("recurringEventId") or not instance_event.get("originalStartTime"):
        raise NotAnActivity("not an instance of a recurring event (no recurringEventId/originalStartTime)")
    original_start = parse_event_point(instance_event["originalStartTime"], series_time_zone)
    if instance_event.get("status") == "cancelled":
        return ActivityException(original_start, cancelled=True)
    time: ActivityTime | None = None
    if instance_event.get("start"):
        time = event_time(instance_event["start"], instance_event.get("end"), series_time_zone)
    subject = instance_event.get("summary")
    description = instance_event.get("description")
    location = instance_event.get("location")
    if series is not None:
        if time is not None and _same_time(time, instance_slot(series.time, original_start)):
            time = None
        subject = None if subject in (None, series.subject, subject_to_summary(series.subject)) else subject
        description = None if (description or "") == series.description else (description or "")
        location = None if (location or "") == series.location else (location or "")
    return ActivityException(original_start, time=time, subject=subject, description=description, location=location)


def _same_time(a: ActivityTime, b: ActivityTime) -> bool:
    if isinstance(a, Timed) and isinstance(b, Timed):
        return (a.start, a.end) == (b.start, b.end)  # the zone of one instance is the series'
    return a == b
