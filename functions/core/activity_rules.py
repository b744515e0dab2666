"""The activities API's input rules, pure: a JSON body to a valid activity, or one message per wrong field.

Times in JSON: a timed activity has ``start`` / ``end`` (RFC 3339 with an offset) and ``time_zone``
(IANA); an all-day one has ``all_day: true`` and ``start_date`` / ``end_date`` (``YYYY-MM-DD``, the
end inclusive). An edit is partial: the given fields replace the stored ones (``merge_edit``), then the
whole is checked as a new activity would be.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from functions.core.activity import (
    Activity,
    ActivityContent,
    ActivityException,
    ActivityStatus,
    ActivityTime,
    AllDay,
    Attendee,
    InvalidActivity,
    Timed,
    Transparency,
    Visibility,
    check_all_day,
    check_exceptions,
    check_recurrence,
    check_time_zone,
)

MAX_SUBJECT = 255
MAX_DESCRIPTION = 8000
MAX_LOCATION = 255
MAX_ATTENDEES = 100
MAX_RECURRENCE_LINES = 10
MAX_RECURRENCE_LINE = 500
MAX_EXCEPTIONS = 200
MAX_ID = 100
MAX_RANGE = timedelta(days=366)

TIME_FIELDS = ("all_day", "start", "end", "time_zone", "start_date", "end_date")
WRITABLE_FIELDS = frozenset(
    {"activity_type", "subject", "description", "location", "status", "visibility", "transparency",
     "attendees", "recurrence", "exceptions", "group_id", *TIME_FIELDS}
)
SERVER_FIELDS = frozenset(
    {"id", "origin", "read_only", "sync", "deleted", "created_at", "updated_at", "google_event_type"}
)


@dataclass(frozen=True)
class ActivityInput:
    """What a client may set: the validated body."""

    activity_type: str
    content: ActivityContent
    status: ActivityStatus
    group_id: str | None


def _text(body: Mapping[str, Any], name: str, limit: int, errors: dict[str, str], required: bool = False) -> str:
    value = body.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[name] = f"{name} must be a string."
        return ""
    if required and not value.strip():
        errors[name] = f"{name} is required."
    elif len(value) > limit:
        errors[name] = f"{name} is longer than {limit} characters."
    return value


# The days an activity may use: a day inside Python's (and Firestore's) date range at either end, so shifting
# an instant to UTC or to the activity's zone, or an all-day end to Google's exclusive end, never overflows.
EARLIEST_DAY = date(1, 1, 2)
LATEST_DAY = date(9999, 12, 30)
DAY_RANGE = f"between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}"


def parse_instant(value: object) -> datetime | None:
    """An RFC 3339 date-time with an offset (``Z`` or ``+01:00``) on a day of [EARLIEST_DAY, LATEST_DAY] in UTC,
    or None."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
        in_utc = parsed.astimezone(UTC) if parsed.utcoffset() is not None else None
    except (ValueError, OverflowError):  # OverflowError: year 1 east of UTC, year 9999 west of it
        return None
    return parsed if in_utc is not None and EARLIEST_DAY <= in_utc.date() <= LATEST_DAY else None


def parse_day(value: object) -> date | None:
    """A ``YYYY-MM-DD`` date of [EARLIEST_DAY, LATEST_DAY], or None."""
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if EARLIEST_DAY <= day <= LATEST_DAY else None


def _time(
    body: Mapping[str, Any], errors: dict[str, str], prefix: str = "", zone: str | None = None
) -> ActivityTime | None:
    """The body's time; ``zone`` given: an exception's time, in its series' zone (all-day if it has dates)."""
    all_day = body.get("all_day", False) if zone is None else "start_date" in body
    if not isinstance(all_day, bool):
        errors[prefix + "all_day"] = "all_day must be true or false."
        return None
    if all_day:
        start_date = parse_day(body.get("start_date"))
        end_date = parse_day(body.get("end_date", body.get("start_date")))
        for name, value in (("start_date", start_date), ("end_date", end_date)):
            if value is None:
                errors[prefix + name] = f"{name} must be a date (YYYY-MM-DD) {DAY_RANGE} for an all-day activity."
        if start_date is None or end_date is None:
            return None
        problem = check_all_day(start_date, end_date)
        if problem:
            errors[prefix + "end_date"] = problem
            return None
        return AllDay(start_date, end_date)
    start, end = parse_instant(body.get("start")), parse_instant(body.get("end"))
    for name, value in (("start", start), ("end", end)):
        if value is None:
            errors[prefix + name] = (f"{name} must be a date-time with an offset (e.g. 2026-12-07T09:00:00+01:00) "
                                     f"{DAY_RANGE}.")
    time_zone = zone if zone is not None else body.get("time_zone")
    problem = check_time_zone(time_zone)
    if problem:
        errors[prefix + "time_zone"] = problem
    if start is None or end is None or problem:
        return None
    if end <= start:
        errors[prefix + "end"] = "end must be after start."
        return None
    return Timed(start, end, str(time_zone))


def _attendees(raw: object, errors: dict[str, str]) -> tuple[Attendee, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        errors["attendees"] = "attendees must be a list."
        return ()
    if len(raw) > MAX_ATTENDEES:
        errors["attendees"] = f"at most {MAX_ATTENDEES} attendees."
        return ()
    attendees = []
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            errors[f"attendees[{index}]"] = "an attendee is an object with an email."
            continue
        try:
            display_name = item.get("display_name")
            if display_name is not None and (not isinstance(display_name, str) or len(display_name) > MAX_SUBJECT):
                raise InvalidActivity(f"display_name must be a string of at most {MAX_SUBJECT} characters")
            email = item.get("email")
            if not isinstance(email, str) or len(email) > 254:
                raise InvalidActivity("email must be an email address")
            attendees.append(Attendee(email, display_name, bool(item.get("optional", False))))
        except InvalidActivity as error:
            errors[f"attendees[{index}]"] = str(error)
    return tuple(attendees)


def _recurrence(raw: object, errors: dict[str, str]) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(line, str) for line in raw):
        errors["recurrence"] = "recurrence must be a list of lines (RRULE, EXRULE, RDATE, EXDATE)."
        return ()
    if len(raw) > MAX_RECURRENCE_LINES or any(len(line) > MAX_RECURRENCE_LINE for line in raw):
        errors["recurrence"] = f"at most {MAX_RECURRENCE_LINES} lines of {MAX_RECURRENCE_LINE} characters."
        return ()
    lines = tuple(raw)
    problem = check_recurrence(lines)
    if problem:
        errors["recurrence"] = problem
    return lines


def _exceptions(raw: object, series: ActivityTime | None, errors: dict[str, str]) -> tuple[ActivityException, ...]:
    if raw is None or raw == []:
        return ()
    if not isinstance(raw, list) or len(raw) > MAX_EXCEPTIONS:
        errors["exceptions"] = f"exceptions must be a list of at most {MAX_EXCEPTIONS}."
        return ()
    if series is None:
        return ()
    found = []
    for index, item in enumerate(raw):
        prefix = f"exceptions[{index}]."
        if not isinstance(item, Mapping):
            errors[prefix[:-1]] = "an exception is an object."
            continue
        key: date | datetime | None
        if isinstance(series, AllDay):
            key = parse_day(item.get("original_date"))
            if key is None:
                errors[prefix + "original_date"] = "original_date names the instance of an all-day series (a date)."
                continue
        else:
            key = parse_instant(item.get("original_start"))
            if key is None:
                errors[prefix + "original_start"] = "original_start names the instance (a date-time with an offset)."
                continue
        zone = series.time_zone if isinstance(series, Timed) else "UTC"
        moved = any(name in item for name in ("start", "end", "start_date", "end_date"))
        time = _time(item, errors, prefix, zone) if moved else None
        texts = {}
        for name, limit in (("subject", MAX_SUBJECT), ("description", MAX_DESCRIPTION), ("location", MAX_LOCATION)):
            value = item.get(name)
            if value is not None and (not isinstance(value, str) or len(value) > limit):
                errors[prefix + name] = f"{name} must be a string of at most {limit} characters."
                value = None
            texts[name] = value
        try:
            found.append(ActivityException(key, bool(item.get("cancelled", False)), time, **texts))
        except InvalidActivity as error:
            errors[prefix[:-1]] = str(error)
    return tuple(found)


def _enum(enum: type[Any], body: Mapping[str, Any], name: str, default: Any, errors: dict[str, str]) -> Any:
    value = body.get(name)
    if value is None:
        return default
    try:
        return enum(value)
    except ValueError:
        errors[name] = f"{name} must be one of: {', '.join(str(v) for v in enum)}."
        return default


def check_activity_body(
    body: Mapping[str, Any], activity_types: Sequence[str], *, allow_owner: bool = False
) -> tuple[ActivityInput | None, dict[str, str]]:
    """The activity a body describes, or None and one message per wrong field (named as in the body)."""
    errors: dict[str, str] = {}
    allowed = WRITABLE_FIELDS | ({"owner_uid"} if allow_owner else set())
    for name in body:
        if name in SERVER_FIELDS:
            errors[name] = f"{name} is set by calbridge, not by a client."
        elif name == "owner_uid" and not allow_owner:
            errors[name] = "owner_uid may be given by an admin only."
        elif name not in allowed:
            errors[name] = f"unknown field {name}."
    activity_type = body.get("activity_type")
    if not isinstance(activity_type, str) or activity_type not in activity_types:
        errors["activity_type"] = f"activity_type must be one of the configured types: {', '.join(activity_types)}."
    subject = _text(body, "subject", MAX_SUBJECT, errors, required=True)
    description = _text(body, "description", MAX_DESCRIPTION, errors)
    location = _text(body, "location", MAX_LOCATION, errors)
    status = _enum(ActivityStatus, body, "status", ActivityStatus.PLANNED, errors)
    visibility = _enum(Visibility, body, "visibility", Visibility.DEFAULT, errors)
    transparency = _enum(Transparency, body, "transparency", Transparency.OPAQUE, errors)
    group_id = body.get("group_id")
    if group_id is not None and (not isinstance(group_id, str) or not group_id.strip() or len(group_id) > MAX_ID):
        errors["group_id"] = "group_id must be a group's id."
    time = _time(body, errors)
    attendees = _attendees(body.get("attendees"), errors)
    recurrence = _recurrence(body.get("recurrence"), errors)
    exceptions = _exceptions(body.get("exceptions"), time, errors)
    if time is not None and "exceptions" not in errors and not any(k.startswith("exceptions[") for k in errors):
        problem = check_exceptions(time, recurrence, exceptions)
        if problem:
            errors["exceptions"] = problem
    if errors or time is None:
        return None, errors
    content = ActivityContent(subject, time, description, location, visibility, transparency, attendees,
                              recurrence, exceptions)
    return ActivityInput(str(activity_type), content, status, group_id), {}


# ------------------------------------------------------------------ activity -> JSON
def _instant(value: datetime, zone: str) -> str:
    return value.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds")


def time_to_json(time: ActivityTime) -> dict[str, Any]:
    if isinstance(time, AllDay):
        return {"all_day": True, "start_date": time.start_date.isoformat(), "end_date": time.end_date.isoformat()}
    return {"all_day": False, "start": _instant(time.start, time.time_zone), "end": _instant(time.end, time.time_zone),
            "time_zone": time.time_zone}


def _exception_to_json(exception: ActivityException, series: ActivityTime) -> dict[str, Any]:
    key = exception.original_start
    out: dict[str, Any] = (
        {"original_start": _instant(key, series.time_zone if isinstance(series, Timed) else "UTC")}
        if isinstance(key, datetime) else {"original_date": key.isoformat()}
    )
    out["cancelled"] = exception.cancelled
    for name in ("subject", "description", "location"):
        if getattr(exception, name) is not None:
            out[name] = getattr(exception, name)
    if exception.time is not None:
        moved = time_to_json(exception.time)
        out.update({k: v for k, v in moved.items() if k not in ("all_day", "time_zone")})
    return out


def activity_to_body(activity: Activity) -> dict[str, Any]:
    """The writable fields of an activity, as a body would give them (what ``merge_edit`` starts from)."""
    content = activity.content
    return {
        "activity_type": activity.activity_type,
        "subject": content.subject,
        "description": content.description,
        "location": content.location,
        "status": str(activity.status),
        "visibility": str(content.visibility),
        "transparency": str(content.transparency),
        "attendees": [
            {"email": a.email, "display_name": a.display_name, "optional": a.optional,
             "response_status": str(a.response_status)}
            for a in content.attendees
        ],
        "recurrence": list(content.recurrence),
        "exceptions": [_exception_to_json(e, content.time) for e in content.exceptions],
        "group_id": activity.group_id,
        **time_to_json(content.time),
    }


def merge_edit(current: Activity, patch: Mapping[str, Any]) -> dict[str, Any]:
    """The body of an edit: the stored fields, with the patch's fields replacing them.

    A patch that switches between timed and all-day drops the stored time's fields, so it needs to give
    only the new shape's (``all_day``, ``start_date``, ``end_date``, or ``start``, ``end``, ``time_zone``).
    """
    body = activity_to_body(current)
    for attendee in body["attendees"]:
        attendee.pop("response_status", None)
    if "all_day" in patch and patch["all_day"] != body["all_day"]:
        for name in TIME_FIELDS:
            body.pop(name, None)
    body.update(patch)
    return body


def check_range(start: object, end: object) -> tuple[tuple[datetime, datetime] | None, dict[str, str]]:
    """A list query's ``[start, end)``: RFC 3339 instants (or dates), end after start, at most a year."""
    errors: dict[str, str] = {}
    bounds = []
    for name, value in (("start", start), ("end", end)):
        instant = parse_instant(value)
        if instant is None and parse_day(value) is not None:
            instant = datetime.combine(parse_day(value), datetime.min.time(), tzinfo=UTC)  # type: ignore[arg-type]
        if instant is None:
            errors[name] = f"{name} is required: a date-time with an offset or a date (YYYY-MM-DD)."
        bounds.append(instant)
    if errors:
        return None, errors
    low, high = bounds[0], bounds[1]
    assert low is not None and high is not None
    if high <= low:
        return None, {"end": "end must be after start."}
    if high - low > MAX_RANGE:
        return None, {"end": f"a range is at most {MAX_RANGE.days} days."}
    return (low.astimezone(UTC), high.astimezone(UTC)), {}
