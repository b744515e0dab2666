"""Privacy per link: which details of an activity its Google copy shows (pure, no I/O).

A link's privacy is one of
- ``full`` (the default): subject, description, location and attendees;
- ``subset``: only the details named in ``fields`` (the others are left empty in Google);
- ``busy``: the event is titled "Busy" and carries no other detail.
Times, recurrence, transparency and visibility are always sent, so free/busy stays right.

The export sends (and hashes) the activity as ``redact`` returns it, so the hash recorded for a copy is the
hash of what Google holds: changing a link's privacy changes that hash, and the export rewrites the copy;
import compares Google with that same hash, so "Busy" is never taken for an edit made in Google.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from functions.core.activity import Activity, ActivityContent, ActivityException

BUSY_SUMMARY = "Busy"
DETAILS = ("subject", "description", "location", "attendees")


class PrivacyLevel(StrEnum):
    FULL = "full"
    SUBSET = "subset"
    BUSY = "busy"


@dataclass(frozen=True)
class Privacy:
    level: PrivacyLevel = PrivacyLevel.FULL
    fields: tuple[str, ...] = DETAILS  # the details shown (subset); all for full, none for busy

    def shows(self, detail: str) -> bool:
        if self.level == PrivacyLevel.FULL:
            return True
        if self.level == PrivacyLevel.BUSY:
            return False
        return detail in self.fields


FULL = Privacy()
BUSY = Privacy(PrivacyLevel.BUSY, ())


def privacy_of(level: str, fields: tuple[str, ...] | list[str] = ()) -> Privacy:
    """A privacy from stored values; an unknown level reads as busy (hiding too much, never leaking)."""
    try:
        kind = PrivacyLevel(level)
    except ValueError:
        return BUSY
    if kind == PrivacyLevel.FULL:
        return FULL
    if kind == PrivacyLevel.BUSY:
        return BUSY
    return Privacy(kind, tuple(d for d in DETAILS if d in fields))


def check_privacy(value: Any) -> tuple[Privacy | None, dict[str, str]]:
    """The submitted ``privacy`` of a link body, or None and one message per wrong field (``privacy.*``)."""
    if value is None:
        return FULL, {}
    if not isinstance(value, dict):
        return None, {"privacy": 'privacy must be an object like {"level": "busy"}.'}
    unknown = sorted(set(value) - {"level", "fields"})
    if unknown:
        return None, {"privacy": f"privacy takes only level and fields, not {', '.join(unknown)}."}
    level = value.get("level", "full")
    if level not in tuple(PrivacyLevel):
        return None, {"privacy.level": f"level must be one of {', '.join(PrivacyLevel)}, not {level!r}."}
    fields = value.get("fields")
    kind = PrivacyLevel(level)
    if kind != PrivacyLevel.SUBSET:
        if fields not in (None, []):
            return None, {"privacy.fields": f"fields are chosen only with level subset (level is {kind})."}
        return (FULL if kind == PrivacyLevel.FULL else BUSY), {}
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        return None, {"privacy.fields": f"fields must be a list of details: {', '.join(DETAILS)}."}
    wrong = [f for f in fields if f not in DETAILS]
    if wrong:
        return None, {"privacy.fields": f"{', '.join(wrong)} is not a detail; choose from {', '.join(DETAILS)}."}
    return Privacy(kind, tuple(d for d in DETAILS if d in fields)), {}


def privacy_view(privacy: Privacy) -> dict[str, Any]:
    return {"level": str(privacy.level), "fields": list(privacy.fields)}


def _exception(exception: ActivityException, privacy: Privacy) -> ActivityException:
    """An exception's hidden overrides dropped: the instance then shows the series' (redacted) value."""
    return replace(
        exception,
        subject=exception.subject if privacy.shows("subject") else None,
        description=exception.description if privacy.shows("description") else None,
        location=exception.location if privacy.shows("location") else None,
    )


def redact_content(content: ActivityContent, privacy: Privacy) -> ActivityContent:
    """The content as Google should show it under ``privacy``."""
    if privacy.level == PrivacyLevel.FULL:
        return content
    return replace(
        content,
        subject=content.subject if privacy.shows("subject") else BUSY_SUMMARY,
        description=content.description if privacy.shows("description") else "",
        location=content.location if privacy.shows("location") else "",
        attendees=content.attendees if privacy.shows("attendees") else (),
        exceptions=tuple(_exception(e, privacy) for e in content.exceptions),
    )


def redact(activity: Activity, privacy: Privacy) -> Activity:
    """The activity as its Google copy under ``privacy`` shows it (the stored activity is never changed)."""
    if privacy.level == PrivacyLevel.FULL:
        return activity
    return replace(activity, content=redact_content(activity.content, privacy))
