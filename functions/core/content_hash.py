"""A stable hash of what calbridge owns, so "the content moved" can be told from "only the etag moved" (rule 9).

Computed over ``ActivityContent``; a Google event is first read into content
(``event_mapping.content_hash``), so both sides hash alike. Equivalent forms hash the same:
an instant in any offset (kept in UTC), a blank subject and "(No title)", CRLF and LF, attendee
order and email case, the order of recurrence lines. Left out: what Google adds (etag, updated,
sequence, creator, organizer, reminders, conference data...), attendees' own answers
(``response_status``) and the series' exceptions, which are separate Google events with their
own etags (see ``exception_hash``).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from typing import Any

from functions.core.activity import NO_TITLE, ActivityContent, ActivityException, ActivityTime, AllDay

HASH_VERSION = "v1"


def _text(value: str) -> str:
    return value.replace("\r\n", "\n")


def _subject(value: str) -> str:
    return _text(value) if value.strip() else NO_TITLE


def _point(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def _time(time: ActivityTime) -> list[str]:
    if isinstance(time, AllDay):
        return ["all-day", _point(time.start_date), _point(time.end_date)]
    return ["timed", _point(time.start), _point(time.end), time.time_zone]


def _digest(canonical: Any) -> str:
    text = json.dumps([HASH_VERSION, canonical], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hash_content(content: ActivityContent) -> str:
    """sha256 hex of the series fields calbridge owns, in a canonical form."""
    return _digest(
        {
            "subject": _subject(content.subject),
            "description": _text(content.description),
            "location": _text(content.location),
            "time": _time(content.time),
            "visibility": str(content.visibility),
            "transparency": str(content.transparency),
            "attendees": sorted(
                [a.email.strip().lower(), a.display_name or "", a.optional] for a in content.attendees
            ),
            "recurrence": sorted(line.strip() for line in content.recurrence),
        }
    )


def exception_hash(exception: ActivityException) -> str:
    """sha256 hex of one exception (an instance of a series), in the same canonical spirit."""
    return _digest(
        {
            "original_start": _point(exception.original_start),
            "cancelled": exception.cancelled,
            "time": None if exception.time is None else _time(exception.time),
            "subject": None if exception.subject is None else _subject(exception.subject),
            "description": None if exception.description is None else _text(exception.description),
            "location": None if exception.location is None else _text(exception.location),
        }
    )
