"""Rules of a user's links: one activity type -> one calendar, a calendar used by one type only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from functions.core.models import CalendarEntry, Link

WRITABLE_ROLES = ("writer", "owner")
READABLE_ROLES = ("reader", "writer", "owner")
FLAGS = ("export", "import", "import_existing")


@dataclass(frozen=True)
class LinkInput:
    calendar_id: str
    export: bool
    import_: bool
    import_existing: bool


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
    if errors:
        return None, errors
    assert isinstance(calendar_id, str)
    return LinkInput(calendar_id.strip(), flags["export"], flags["import"], flags["import_existing"]), {}


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


CALENDAR_MISSING = "calendar_missing"


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
