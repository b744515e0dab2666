"""A user's links: one activity type -> one of their calendars, with export / import flags."""

from __future__ import annotations

import logging
from typing import Any

from functions.core import clock
from functions.core.link_rules import access_errors, check_link_body, conflicting_link, find_calendar
from functions.core.models import DISCONNECTED, Identity, Link
from functions.core.views import link_view
from functions.services import channel_service
from functions.services.errors import NotConnected, ServiceError, field_errors
from functions.store import config_store, link_store, user_store

log = logging.getLogger(__name__)


def _require_activity_type(activity_type: str) -> None:
    types = config_store.load_activity_types()
    if activity_type not in types:
        raise ServiceError(
            f"Unknown activity type {activity_type!r}; the configured types are: {', '.join(types)}.",
            {"activity_types": types},
            status=404,
            code="unknown_activity_type",
        )


def list_links(identity: Identity) -> list[dict[str, Any]]:
    links = link_store.list_links(identity.uid)
    return [link_view(lk) for lk in sorted(links, key=lambda lk: lk.activity_type)]


def put_link(identity: Identity, activity_type: str, body: dict[str, Any]) -> dict[str, Any]:
    """Map ``activity_type`` to one calendar of the user's list (refusing a calendar already in use)."""
    _require_activity_type(activity_type)
    wanted, errors = check_link_body(body)
    if wanted is None:
        raise ServiceError("The link is not valid.", field_errors(errors), status=400, code="invalid_link")
    user = user_store.get_user(identity.uid)
    if user is None or user.connection.status == DISCONNECTED:
        raise NotConnected("Connect your Google account first (Authorize and Connect).")
    calendar = find_calendar(user.calendars, wanted.calendar_id)
    if calendar is None:
        raise ServiceError(
            "This calendar is not in your Google calendar list; refresh the list and choose again.",
            field_errors({"calendar_id": "Not one of your calendars."}),
            status=422,
            code="unknown_calendar",
        )
    errors = access_errors(calendar, wanted)
    if errors:
        raise ServiceError("The link is not valid.", field_errors(errors), status=400, code="invalid_link")
    now = clock.now()
    replaced: list[Link] = []

    def decide(current: list[Link]) -> Link:
        other = conflicting_link(current, activity_type, calendar.id)
        if other is not None:
            raise ServiceError(
                f"'{calendar.summary}' is already used by your activity type {other.activity_type!r}; "
                "a calendar can hold only one activity type.",
                {"calendar_id": calendar.id, "activity_type": other.activity_type},
                status=409,
                code="calendar_in_use",
            )
        existing = next((lk for lk in current if lk.activity_type == activity_type), None)
        replaced[:] = [existing] if existing is not None else []
        same_calendar = existing is not None and existing.calendar_id == calendar.id
        base = existing if existing is not None else Link(activity_type=activity_type, calendar_id=calendar.id)
        return Link(
            activity_type=activity_type,
            calendar_id=calendar.id,
            calendar_summary=calendar.summary,
            export=wanted.export,
            import_=wanted.import_,
            import_existing=wanted.import_existing,
            sync_token=base.sync_token if same_calendar else None,
            channel_id=base.channel_id if same_calendar else None,
            channel_expiry=base.channel_expiry if same_calendar else None,
            last_export=base.last_export,
            last_import=base.last_import,
            last_error=base.last_error,
            updated_at=now,
        )

    link = link_store.put_link_checked(identity.uid, activity_type, decide)
    old = replaced[0] if replaced else None
    if old is not None and old.calendar_id != link.calendar_id and old.channel_id:
        channel_service.stop_channels(identity.uid, [old])
    return link_view(link)


def delete_link(identity: Identity, activity_type: str) -> None:
    _require_activity_type(activity_type)
    removed = link_store.delete_link(identity.uid, activity_type)
    if removed is not None and removed.channel_id:
        channel_service.stop_channels(identity.uid, [removed])
