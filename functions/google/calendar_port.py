"""The Calendar port: the Calendar v3 calls sync needs, as a Protocol (no Google library imported here).

Events are Google's JSON dicts as they are. Failures are the typed ``GoogleError`` subclasses of
``functions.google.errors`` (``Conflict`` for a duplicate client id, ``PreconditionFailed`` for a
stale etag, ``InvalidSyncToken`` for a 410 fullSyncRequired, ``Gone``, ``NotFound``, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeAlias

from functions.core.models import CalendarEntry
from functions.google.errors import GoogleError

Event: TypeAlias = dict[str, Any]


@dataclass(frozen=True)
class EventPage:
    """One page of ``events.list`` / ``events.instances``.

    ``next_sync_token`` comes only on the last page, never with ``next_page_token``.
    """

    items: list[Event] = field(default_factory=list)
    next_page_token: str | None = None
    next_sync_token: str | None = None


@dataclass(frozen=True)
class InsertEvent:
    """``events.insert``; give ``event["id"]`` (base32hex) so a retried insert answers ``Conflict``."""

    calendar_id: str
    event: Event
    send_updates: str | None = None  # "all" | "externalOnly" | "none"


@dataclass(frozen=True)
class PatchEvent:
    """``events.patch`` (merge), with ``If-Match: etag`` when an etag is given."""

    calendar_id: str
    event_id: str
    patch: Event
    etag: str | None = None
    send_updates: str | None = None


@dataclass(frozen=True)
class DeleteEvent:
    """``events.delete``, with ``If-Match: etag`` when an etag is given."""

    calendar_id: str
    event_id: str
    etag: str | None = None
    send_updates: str | None = None


BatchCall: TypeAlias = InsertEvent | PatchEvent | DeleteEvent
# The event (insert, patch), None (delete), or the typed error of that one call.
BatchResult: TypeAlias = Event | GoogleError | None


class CalendarApi(Protocol):
    """What sync needs from Google Calendar, one user's session behind it."""

    def list_events(
        self,
        calendar_id: str,
        *,
        sync_token: str | None = None,
        page_token: str | None = None,
        time_min: datetime | str | None = None,
        time_max: datetime | str | None = None,
        show_deleted: bool | None = None,
        single_events: bool | None = None,
        max_results: int | None = None,
    ) -> EventPage:
        """One page. With ``sync_token``, Google refuses time bounds; an expired token raises InvalidSyncToken."""
        ...

    def get_event(self, calendar_id: str, event_id: str) -> Event: ...

    def insert_event(self, calendar_id: str, event: Event, *, send_updates: str | None = None) -> Event:
        """Raises Conflict when ``event["id"]`` exists already (a retried insert: the caller takes it as done)."""
        ...

    def patch_event(
        self,
        calendar_id: str,
        event_id: str,
        patch: Event,
        *,
        etag: str | None = None,
        send_updates: str | None = None,
    ) -> Event:
        """Raises PreconditionFailed when ``etag`` is stale."""
        ...

    def delete_event(
        self, calendar_id: str, event_id: str, *, etag: str | None = None, send_updates: str | None = None
    ) -> None:
        """Raises Gone when already deleted, NotFound when never seen, PreconditionFailed on a stale etag."""
        ...

    def batch(self, calls: Sequence[BatchCall]) -> list[BatchResult]:
        """Every call, in batches of at most 1000; one result or typed error per call, in order."""
        ...

    def watch_events(
        self,
        calendar_id: str,
        channel_id: str,
        address: str,
        *,
        token: str | None = None,
        ttl_seconds: int | None = None,
    ) -> dict[str, Any]:
        """``events.watch``: the channel (``id``, ``resourceId``, ``resourceUri``, ``token``, ``expiration`` ms)."""
        ...

    def stop_channel(self, channel_id: str, resource_id: str) -> None: ...

    def list_calendars(self) -> list[CalendarEntry]:
        """The user's whole calendar list (every page)."""
        ...

    def list_instances(
        self,
        calendar_id: str,
        event_id: str,
        *,
        page_token: str | None = None,
        time_min: datetime | str | None = None,
        time_max: datetime | str | None = None,
        show_deleted: bool | None = None,
        max_results: int | None = None,
    ) -> EventPage:
        """One page of the instances of the series ``event_id``."""
        ...


def calendar_entry(item: dict[str, Any]) -> CalendarEntry:
    """A calendarList entry as the user sees it (their own name for it, if they set one)."""
    return CalendarEntry(
        id=str(item["id"]),
        summary=str(item.get("summaryOverride") or item.get("summary") or item["id"]),
        primary=bool(item.get("primary", False)),
        access_role=str(item.get("accessRole") or "reader"),
        time_zone=item.get("timeZone"),
    )
