"""A user's links: one activity type -> one of their calendars, with export / import flags."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from functions.core.activity import TargetState
from functions.core.link_rules import (
    CALENDAR_EMPTIED,
    access_errors,
    check_link_body,
    conflicting_link,
    find_calendar,
)
from functions.core.models import CONNECTED, DISCONNECTED, Identity, Link, ResyncInfo
from functions.core.poll_rules import next_poll_at
from functions.core.sync_task import SyncTask, TaskKind
from functions.services.channel_service import ChannelService
from functions.services.errors import (
    CalendarInUse,
    InvalidLink,
    NotConnected,
    UnknownActivityType,
    UnknownCalendar,
    field_errors,
)
from functions.services.link_activities import find_link_copies, mark_pending
from functions.services.ports import Adapters

log = logging.getLogger(__name__)


class LinkService:
    def __init__(self, adapters: Adapters, channels: ChannelService) -> None:
        self.stores = adapters.stores
        self.now = adapters.now
        self.queue = adapters.queue
        self.channels = channels

    def require_activity_type(self, activity_type: str) -> None:
        types = self.stores.config.load_activity_types()
        if activity_type not in types:
            raise UnknownActivityType(
                f"Unknown activity type {activity_type!r}; the configured types are: {', '.join(types)}.",
                {"activity_types": types},
            )

    def list_links(self, identity: Identity) -> list[Link]:
        return sorted(self.stores.links.list_links(identity.uid), key=lambda lk: lk.activity_type)

    def put_link(self, identity: Identity, activity_type: str, body: dict[str, Any]) -> Link:
        """Map ``activity_type`` to one calendar of the user's list (refusing a calendar already in use)."""
        self.require_activity_type(activity_type)
        wanted, errors = check_link_body(body)
        if wanted is None:
            raise InvalidLink("The link is not valid.", field_errors(errors))
        user = self.stores.users.get_user(identity.uid)
        if user is None or user.connection.status == DISCONNECTED:
            raise NotConnected("Connect your Google account first (Authorize and Connect).")
        if user.calendars_error is not None:
            raise UnknownCalendar(
                "calbridge could not read your calendar list from Google, so it cannot check this calendar; "
                "refresh the list and choose again.",
                {**field_errors({"calendar_id": "Your calendar list could not be read."}), "calendars_error": True},
            )
        calendar = find_calendar(user.calendars, wanted.calendar_id)
        if calendar is None:
            raise UnknownCalendar(
                "This calendar is not in your Google calendar list; refresh the list and choose again.",
                field_errors({"calendar_id": "Not one of your calendars."}),
            )
        errors = access_errors(calendar, wanted)
        if errors:
            raise InvalidLink("The link is not valid.", field_errors(errors))
        now = self.now()
        connected = user.connection.status == CONNECTED  # needs reauth: saved, but parked until reconnected
        replaced: list[Link] = []

        def decide(current: list[Link]) -> Link:
            other = conflicting_link(current, activity_type, calendar.id)
            if other is not None:
                raise CalendarInUse(
                    f"'{calendar.summary}' is already used by your activity type {other.activity_type!r}; "
                    "a calendar can hold only one activity type.",
                    {"calendar_id": calendar.id, "activity_type": other.activity_type},
                )
            existing = next((lk for lk in current if lk.activity_type == activity_type), None)
            replaced[:] = [existing] if existing is not None else []
            same_calendar = existing is not None and existing.calendar_id == calendar.id
            base = existing if existing is not None else Link(activity_type=activity_type, calendar_id=calendar.id)
            importing = same_calendar and base.import_ and base.import_since is not None
            keep_channel = same_calendar and wanted.import_
            link = Link(
                activity_type=activity_type,
                calendar_id=calendar.id,
                calendar_summary=calendar.summary,
                export=wanted.export,
                import_=wanted.import_,
                import_existing=wanted.import_existing,
                # import existing switched on: a full list again, so the events already there are imported
                sync_token=base.sync_token if same_calendar and not (wanted.import_existing
                                                                     and not base.import_existing) else None,
                # the channel goes with the calendar and with import (link_saved stops the one dropped here)
                channel_id=base.channel_id if keep_channel else None,
                channel_expiry=base.channel_expiry if keep_channel else None,
                channel_error=base.channel_error if keep_channel else None,
                last_export=base.last_export,
                last_import=base.last_import,
                last_error=base.last_error,
                updated_at=now,
                paused_reason=None,  # the calendar is in the user's current list
                # import switched on now (or on another calendar): events created before are "existing"
                import_since=(base.import_since if importing else now) if wanted.import_ else None,
                # saving the link again after an emptied-calendar stop is the user saying "yes, it is empty"
                empty_accepted=same_calendar and base.paused_reason == CALENDAR_EMPTIED,
                privacy=wanted.privacy if wanted.privacy is not None else base.privacy,
                resync=base.resync if same_calendar else ResyncInfo(),
            )
            return replace(link, next_poll_at=next_poll_at(link, now, connected))  # the scheduled import's query

        link = self.stores.links.put_link_checked(identity.uid, activity_type, decide)
        old = replaced[0] if replaced else None
        if old is not None and old.calendar_id == link.calendar_id and old.privacy != link.privacy and link.export:
            self.reexport(identity.uid, link)
        # push: the old channel stopped if the calendar changed or import went off; watched if import is on
        return self.channels.link_saved(identity.uid, old, link)

    def reexport(self, uid: str, link: Link) -> int:
        """The link's privacy changed: its live exported copies go back to the export queue, which rewrites
        them (their hash, taken with the privacy applied, no longer matches) in batches."""
        copies = [c for c in find_link_copies(self.stores, uid, link) if c.target.state != TargetState.UNLINKED]
        count = mark_pending(self.stores, [c.activity.id for c in copies], self.now())
        if count and self.queue is not None:
            self.queue.publish(SyncTask(TaskKind.EXPORT, uid, link.activity_type, reason="privacy"))
        log.info("privacy of %s for %s is now %s: %d copies to rewrite", link.activity_type, uid,
                 link.privacy.level, count)
        return count

    def delete_link(self, identity: Identity, activity_type: str) -> None:
        self.require_activity_type(activity_type)
        removed = self.stores.links.delete_link(identity.uid, activity_type)
        if removed is not None and removed.channel_id:
            self.channels.end_channels(identity.uid, [removed.channel_id])
