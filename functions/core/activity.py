"""``activities/{id}``: a CRM calendar activity, as plain frozen data.

The fields calbridge owns (the ones it writes to Google) live together in ``ActivityContent``;
``Activity`` adds what is the CRM's or the sync's own. An activity's time is either ``Timed`` or
``AllDay``; each checks itself when built, and the ``check_*`` functions name the problem without
raising, for the API layer to answer 400 with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo, available_timezones


class InvalidActivity(ValueError):
    """An activity (or a part of it) that cannot be built; the message names the problem."""


class ActivityStatus(StrEnum):
    PLANNED = "Planned"
    HELD = "Held"
    NOT_HELD = "Not Held"


class Origin(StrEnum):
    CRM = "crm"
    GOOGLE = "google"


class SyncState(StrEnum):
    """An activity's export, as the API and the calendar page show it."""

    PENDING = "pending"  # a change waits for export (or a retry of it)
    SYNCED = "synced"  # every target holds the current content
    ERROR = "error"  # Google refused for good, or the retries ran out; the next edit tries again
    NOT_EXPORTED = "not_exported"  # no recipient has a link with export on for this type


class TargetState(StrEnum):
    """One Google copy of an activity (``sync.targets[]``)."""

    SYNCED = "synced"  # the event exists; ``content_hash`` is what it was last sent
    FAILED = "failed"  # the last write to it failed (``last_error``); retried with the activity
    DELETING = "deleting"  # replaced (moved) or no longer wanted: delete it, then drop the entry
    UNLINKED = "unlinked"  # deleted in Google: rule 6 unlinks, export no longer writes it


class Visibility(StrEnum):
    DEFAULT = "default"
    PUBLIC = "public"
    PRIVATE = "private"
    CONFIDENTIAL = "confidential"


class Transparency(StrEnum):
    OPAQUE = "opaque"
    TRANSPARENT = "transparent"


class ResponseStatus(StrEnum):
    NEEDS_ACTION = "needsAction"
    DECLINED = "declined"
    TENTATIVE = "tentative"
    ACCEPTED = "accepted"


RECURRENCE_PREFIXES = ("RRULE", "EXRULE", "RDATE", "EXDATE")
NO_TITLE = "(No title)"  # what Google shows for an event without a summary, and the subject import gives it


def _is_aware(value: object) -> bool:
    return isinstance(value, datetime) and value.utcoffset() is not None


@cache
def _iana_zone_names() -> frozenset[str]:
    return frozenset(available_timezones() - {"localtime"})  # "localtime" is this machine's, not a name


def is_iana_zone(name: object) -> bool:
    """Whether ``name`` is an IANA time zone name known here (exactly: no paths, case or spaces)."""
    return isinstance(name, str) and name in _iana_zone_names()


def check_time_zone(time_zone: object) -> str | None:
    """Why ``time_zone`` is not a usable IANA zone name, or None."""
    if not isinstance(time_zone, str) or not time_zone.strip():
        return "time_zone is required for a timed activity (an IANA name such as Europe/Madrid)"
    if not is_iana_zone(time_zone):
        return f"time_zone {time_zone!r} is not an IANA time zone name"
    return None


def check_timed(start: object, end: object, time_zone: object) -> str | None:
    """Why (start, end, time_zone) is not a timed activity's time, or None."""
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, datetime):
            return f"{name} must be a datetime for a timed activity (use AllDay for dates)"
        if not _is_aware(value):
            return f"{name} must carry a UTC offset (a naive datetime is ambiguous)"
    if isinstance(start, datetime) and isinstance(end, datetime) and end < start:
        return "end is before start"
    return check_time_zone(time_zone)


def check_all_day(start_date: object, end_date: object) -> str | None:
    """Why (start_date, end_date) is not an all-day activity's span (end inclusive), or None."""
    for name, value in (("start_date", start_date), ("end_date", end_date)):
        if isinstance(value, datetime) or not isinstance(value, date):
            return f"{name} must be a date for an all-day activity (use Timed for datetimes)"
    if isinstance(start_date, date) and isinstance(end_date, date) and end_date < start_date:
        return "end_date is before start_date (the CRM's end date is inclusive: one day has end_date == start_date)"
    return None


@dataclass(frozen=True)
class Timed:
    """A timed span: aware datetimes (kept in UTC, whole seconds) and the IANA zone they are shown in."""

    start: datetime
    end: datetime
    time_zone: str

    def __post_init__(self) -> None:
        problem = check_timed(self.start, self.end, self.time_zone)
        if problem:
            raise InvalidActivity(problem)
        object.__setattr__(self, "start", _utc_seconds(self.start))
        object.__setattr__(self, "end", _utc_seconds(self.end))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@dataclass(frozen=True)
class AllDay:
    """An all-day span in the CRM's terms: ``end_date`` is inclusive (one day: start_date == end_date)."""

    start_date: date
    end_date: date

    def __post_init__(self) -> None:
        problem = check_all_day(self.start_date, self.end_date)
        if problem:
            raise InvalidActivity(problem)


ActivityTime = Timed | AllDay


def _utc_seconds(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(microsecond=0)


def check_original_start(time: ActivityTime, original_start: object) -> str | None:
    """Why ``original_start`` cannot key an instance of a series whose first instance is at ``time``, or None."""
    if isinstance(time, AllDay):
        if isinstance(original_start, datetime) or not isinstance(original_start, date):
            return "an exception of an all-day series is keyed by a date"
        return None
    if not _is_aware(original_start):
        return "an exception of a timed series is keyed by an aware datetime"
    return None


@dataclass(frozen=True)
class Attendee:
    """A guest. ``response_status`` is the guest's own answer: read from Google, never sent (see the doc)."""

    email: str
    display_name: str | None = None
    optional: bool = False
    response_status: ResponseStatus = ResponseStatus.NEEDS_ACTION

    def __post_init__(self) -> None:
        if not isinstance(self.email, str) or "@" not in self.email:
            raise InvalidActivity(f"attendee email {self.email!r} is not an email address")
        object.__setattr__(self, "response_status", ResponseStatus(self.response_status))


@dataclass(frozen=True)
class ActivityException:
    """One instance of a recurring activity that differs from the series.

    Keyed by the instance's original start (a date for an all-day series, an aware datetime,
    kept in UTC, otherwise). Either ``cancelled`` or carrying overrides; None means "as the series".
    """

    original_start: date | datetime
    cancelled: bool = False
    time: ActivityTime | None = None
    subject: str | None = None
    description: str | None = None
    location: str | None = None

    def __post_init__(self) -> None:
        overrides = (self.time, self.subject, self.description, self.location)
        if self.cancelled and any(value is not None for value in overrides):
            raise InvalidActivity("a cancelled instance carries no overrides")
        if isinstance(self.original_start, datetime):
            if not _is_aware(self.original_start):
                raise InvalidActivity("original_start must carry a UTC offset")
            object.__setattr__(self, "original_start", _utc_seconds(self.original_start))
        elif not isinstance(self.original_start, date):
            raise InvalidActivity("original_start must be a date or an aware datetime")


def check_recurrence(lines: object) -> str | None:
    """Why ``lines`` are not recurrence lines as Google takes them (RRULE/EXRULE/RDATE/EXDATE, no DTSTART)."""
    if not isinstance(lines, tuple):
        return "recurrence must be a tuple of lines"
    for line in lines:
        if not isinstance(line, str) or ":" not in line:
            return f"recurrence line {line!r} is not an iCalendar property line"
        name = line.split(":", 1)[0].split(";", 1)[0].upper()
        if name not in RECURRENCE_PREFIXES:
            return f"recurrence line {line!r} is not RRULE, EXRULE, RDATE or EXDATE (no DTSTART: start is the time)"
        if name in ("RRULE", "EXRULE") and not _until_is_usable(line.split(":", 1)[1]):
            return (f"recurrence line {line!r}: UNTIL must be a date (YYYYMMDD or YYYYMMDDTHHMMSSZ) "
                    "from 0001-01-02 to 9999-12-30")
    return None


_UNTIL_PART = re.compile(r"(?:^|;)UNTIL=([^;]*)", re.IGNORECASE)
_UNTIL_VALUE = re.compile(r"(\d{8})(?:T(\d{6})Z?)?", re.IGNORECASE)


def _until_is_usable(rule: str) -> bool:
    """Whether the rule's UNTIL, if any, is a real date (-time) from 0001-01-02 to 9999-12-30: the series' end
    (range_end = UNTIL plus one instance and a day) must not overflow."""
    for part in _UNTIL_PART.findall(rule):
        value = _UNTIL_VALUE.fullmatch(part)
        if value is None:
            return False
        try:
            until = datetime.strptime(value.group(1) + (value.group(2) or "000000"), "%Y%m%d%H%M%S")
        except ValueError:
            return False
        if not date(1, 1, 2) <= until.date() <= date(9999, 12, 30):
            return False
    return True


def check_exceptions(
    time: ActivityTime, recurrence: tuple[str, ...], exceptions: tuple[ActivityException, ...]
) -> str | None:
    """Why ``exceptions`` do not fit a series with this time and recurrence, or None."""
    if exceptions and not recurrence:
        return "exceptions need a recurrence"
    seen: set[date | datetime] = set()
    for exception in exceptions:
        problem = check_original_start(time, exception.original_start)
        if problem:
            return problem
        if exception.original_start in seen:
            return f"two exceptions for the instance of {exception.original_start.isoformat()}"
        seen.add(exception.original_start)
    return None


@dataclass(frozen=True)
class ActivityContent:
    """What calbridge owns: every field here goes to Google and comes back (content_hash covers them)."""

    subject: str
    time: ActivityTime
    description: str = ""
    location: str = ""
    visibility: Visibility = Visibility.DEFAULT
    transparency: Transparency = Transparency.OPAQUE
    attendees: tuple[Attendee, ...] = ()
    recurrence: tuple[str, ...] = ()
    exceptions: tuple[ActivityException, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.time, Timed | AllDay):
            raise InvalidActivity("time must be Timed or AllDay")
        object.__setattr__(self, "visibility", Visibility(self.visibility))
        object.__setattr__(self, "transparency", Transparency(self.transparency))
        problem = check_recurrence(self.recurrence) or check_exceptions(self.time, self.recurrence, self.exceptions)
        if problem:
            raise InvalidActivity(problem)


@dataclass(frozen=True)
class SyncTarget:
    """One Google copy of an activity: in ``uid``'s calendar ``calendar_id`` (the owner's, or a group member's)."""

    uid: str
    calendar_id: str
    event_id: str
    etag: str | None = None
    content_hash: str | None = None  # of the series content as last sent to this event
    exceptions_hash: str | None = None  # of the series' exceptions as last sent (None: it has none)
    state: TargetState = TargetState.SYNCED
    last_error: str | None = None
    synced_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", TargetState(self.state))

    @property
    def unconfirmed(self) -> bool:
        """An insert whose answer never came (failed, no etag): Google may hold this copy or not."""
        return self.state == TargetState.FAILED and self.etag is None


@dataclass(frozen=True)
class ActivitySync:
    """``activities/{id}.sync``: the export's bookkeeping, kept in the activity's own document.

    ``targets`` are the Google copies (one per recipient; two for a while during a move). ``event_id``
    is set only when the event id is not ``event_id_for(activity id)`` (an event added into the CRM).
    ``attempts`` counts failed runs since the last success or edit; ``due_at`` is when the sweep may
    try again (None: not queued).
    """

    state: SyncState = SyncState.PENDING
    targets: tuple[SyncTarget, ...] = ()
    event_id: str | None = None
    last_error: str | None = None
    attempts: int = 0
    due_at: datetime | None = None
    synced_at: datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", SyncState(self.state))


@dataclass(frozen=True)
class Activity:
    """``activities/{id}``. ``content`` is what calbridge owns; the rest is the CRM's or the sync's."""

    id: str
    owner_uid: str
    activity_type: str
    content: ActivityContent
    status: ActivityStatus = ActivityStatus.PLANNED
    origin: Origin = Origin.CRM
    read_only: bool = False
    group_id: str | None = None
    google_event_type: str | None = None
    deleted: bool = False  # deletion asked; the export deletes the Google copies, then the document
    sync: ActivitySync | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    revision: object = field(default=None, compare=False)  # the store's version of the document, as read

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", ActivityStatus(self.status))
        object.__setattr__(self, "origin", Origin(self.origin))
