"""Rules of a user's links: one activity type -> one calendar, a calendar used by one type only."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from functions.core.models import CalendarEntry, Link
from functions.core.privacy import Privacy, check_privacy

WRITABLE_ROLES = ("writer", "owner")
READABLE_ROLES = ("reader", "writer", "owner")
FLAGS = ("export", "import", "import_existing")


@dataclass(frozen=True)
class LinkInput:
    calendar_id: str
    export: bool
    import_: bool
    import_existing: bool
    privacy: Privacy | None = None  # None: not in the body (an existing link keeps its own; a new one is full)


def check_link_body(body: dict[str, Any]) -> tuple[LinkInput | None, dict[str, str]]:
    """The submitted link, or None and one message per wrong field. Missing flags are off."""
    errors: dict[str, str] = {}
    calendar_id = body.get("calendar_id")
    if not isinstance(calendar_id, str) or not calendar_id.strip():
        errors["calendar_id"] = "Choose a calendar (calendar_id is required)."
    flags: dict[str, bool] = {}
    for name in FLAGS:
        value = body.get(name, False)
        if value is None:
            value = False
        if not isinstance(value, bool):
            errors[name] = f"{name} must be true or false."
        else:
            flags[name] = value
    privacy, privacy_errors = check_privacy(body["privacy"]) if "privacy" in body else (None, {})
    errors.update(privacy_errors)
    if flags.get("import_existing") and not flags.get("import"):
        errors["import_existing"] = "Import existing needs Import: turn Import on too, or Import existing off."
    if errors:
        return None, errors
    assert isinstance(calendar_id, str)
    return LinkInput(calendar_id.strip(), flags["export"], flags["import"], flags["import_existing"], privacy), {}


def find_calendar(calendars: Iterable[CalendarEntry], calendar_id: str) -> CalendarEntry | None:
    return next((c for c in calendars if c.id == calendar_id), None)


def access_errors(calendar: CalendarEntry, wanted: LinkInput) -> dict[str, str]:
    """Flags the user's access role on the calendar does not allow."""
    errors: dict[str, str] = {}
    if wanted.export and calendar.access_role not in WRITABLE_ROLES:
        errors["export"] = (
            f"You cannot write to '{calendar.summary}' ({calendar.access_role}); export needs write access."
        )
    if (wanted.import_ or wanted.import_existing) and calendar.access_role not in READABLE_ROLES:
        field = "import" if wanted.import_ else "import_existing"
        errors[field] = f"You cannot read the events of '{calendar.summary}' ({calendar.access_role})."
    return errors


def conflicting_link(links: Iterable[Link], activity_type: str, calendar_id: str) -> Link | None:
    """Another activity type of the same user already mapped to this calendar, if any."""
    return next((lk for lk in links if lk.calendar_id == calendar_id and lk.activity_type != activity_type), None)


# Names kept as they are as document ids (all names of earlier versions were of this form).
_PLAIN_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _-]{0,63}$")
_SLUG_JUNK_RE = re.compile(r"[^A-Za-z0-9]+")
HASHED_ID_SEPARATOR = "~"  # never in a plain id, so a hashed id never equals a plain one


def activity_type_doc_id(activity_type: str) -> str:
    """A safe, stable Firestore document id for an activity type name (``users/{uid}/links/{id}``).

    A plain name (ASCII letters, digits, spaces, ``_``, ``-``; starting with a letter or digit) is
    its own id, so ``Meeting`` stays ``Meeting``. Any other name becomes a readable ASCII slug, ``~``
    and 16 hex digits of the SHA-256 of the name: ``Réunion`` -> ``Reunion~<hash>``. The result
    never holds ``/``, is never ``.``, ``..`` or ``__...__``, and stays under 100 bytes. Distinct names
    get distinct ids (plain ids hold no ``~``; hashed ids differ unless 64-bit hashes collide). The
    link document keeps the real name in its ``activity_type`` field.
    """
    if _PLAIN_ID_RE.match(activity_type):
        return activity_type
    folded = unicodedata.normalize("NFKD", activity_type).encode("ascii", "ignore").decode("ascii")
    slug = _SLUG_JUNK_RE.sub("-", folded).strip("-")[:40].strip("-") or "type"
    digest = hashlib.sha256(activity_type.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{slug}{HASHED_ID_SEPARATOR}{digest}"


CALENDAR_MISSING = "calendar_missing"
CALENDAR_EMPTIED = "calendar_emptied"  # a full list showed no event while activities are linked (import stopped)


def calendar_pause_changes(links: Iterable[Link], calendars: Iterable[CalendarEntry]) -> dict[str, str | None]:
    """After a successful read of the calendar list: ``{activity_type: new paused_reason}`` for the
    links whose pause changes. A link whose calendar is not in the list is paused
    ``calendar_missing`` (never unlinked); one whose calendar is back is resumed (None).
    Other pause reasons are left alone."""
    present = {c.id for c in calendars}
    changes: dict[str, str | None] = {}
    for lk in links:
        if lk.calendar_id not in present:
            if lk.paused_reason is None:
                changes[lk.activity_type] = CALENDAR_MISSING
        elif lk.paused_reason == CALENDAR_MISSING:
            changes[lk.activity_type] = None
    return changes
