"""What the services need of the store, as Protocols. Two backends satisfy them: Firestore (the
truth, ``firestore_*``) and in-memory (``memory``, for fast property-based tests); the contract
suite in ``tests/contract/`` runs the same tests on both.

Reads happen at once. Writes that belong together are *staged* on a :class:`UnitOfWork` and
applied by its ``commit()`` in one Firestore batch; each store stages only its own fields.
A store method without a ``uow`` argument writes on its own (one document, or a transaction).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Protocol

from functions.core.activity import Activity, ActivitySync
from functions.core.google_event_row import GoogleEventRow
from functions.core.group import Group
from functions.core.models import (
    CalendarEntry,
    ChannelRecord,
    GoogleClientSettings,
    GoogleSecrets,
    Identity,
    Link,
    OAuthState,
    PendingRevocation,
    ResyncInfo,
    RunInfo,
    TokenSet,
    UserRecord,
)


class UnitOfWork(Protocol):
    """Writes staged by several stores, applied together by ``commit()`` (all or nothing)."""

    def commit(self) -> None: ...


class ConfigStore(Protocol):
    """``config/google`` (OAuth client, secret encrypted) and ``config/activity_types``."""

    def load_google_settings(self) -> GoogleClientSettings: ...

    def save_google_settings(self, client: GoogleClientSettings) -> None: ...

    def load_activity_types(self) -> list[str]: ...

    def save_activity_types(self, types: list[str], updated_by: str, now: datetime) -> None: ...


class UserStore(Protocol):
    """``users/{uid}`` and ``users/{uid}/secrets/google``."""

    def get_user(self, uid: str) -> UserRecord | None: ...

    def list_users(self) -> list[UserRecord]: ...

    def get_secrets(self, uid: str) -> GoogleSecrets | None: ...

    def ensure_user(self, identity: Identity, now: datetime) -> UserRecord: ...

    def stage_connection(
        self,
        uow: UnitOfWork,
        uid: str,
        tokens: TokenSet,
        calendars: list[CalendarEntry] | None,
        google_email: str | None,
        client_id: str | None,
        now: datetime,
        calendars_error: str | None = None,
    ) -> None:
        """Connected: tokens replaced, connection reset to ``connected`` with the client id (staged).
        ``calendars`` None (the read failed) clears the list and sets ``calendars_error``."""
        ...

    def save_access_token(self, uid: str, tokens: TokenSet, current_refresh_token: str, now: datetime) -> None: ...

    def stage_calendars(
        self, uow: UnitOfWork, uid: str, calendars: list[CalendarEntry], google_email: str | None, now: datetime
    ) -> None:
        """The list replaced, ``calendars_error`` cleared, ``google_email`` filled in if given (staged)."""
        ...

    def mark_needs_reauth(self, uid: str, error: str, reason: str, now: datetime) -> None: ...

    def stage_disconnected(self, uow: UnitOfWork, uid: str, now: datetime) -> None:
        """Secrets deleted and the connection reset to ``disconnected`` (staged)."""
        ...


class LinkStore(Protocol):
    """``users/{uid}/links/{activity_type}``."""

    def list_links(self, uid: str) -> list[Link]: ...

    def list_all_links(self) -> dict[str, list[Link]]: ...

    def list_due_links(self, now: datetime, limit: int) -> list[tuple[str, Link]]:
        """(uid, link) of every user's links with ``next_poll_at <= now``, most overdue first, at most
        ``limit`` (one collection-group query: the scheduled import's work, not every link)."""
        ...

    def put_link_checked(self, uid: str, activity_type: str, decide: Callable[[list[Link]], Link]) -> Link:
        """Write what ``decide`` returns from the user's current links, atomically (a transaction)."""
        ...

    def page_links(self, after: str | None, limit: int) -> tuple[list[tuple[str, Link]], str | None]:
        """Every user's links in document-path order, a page at a time (collection-group query): up to
        ``limit`` (uid, link) after the cursor ``after`` (None: from the start), and the cursor of the next
        page (None: this was the last)."""
        ...

    def backfill_poll(self, uid: str, activity_type: str, decide: Callable[[Link], datetime | None]) -> datetime | None:
        """In a transaction: if the link exists and has no ``next_poll_at``, write ``decide(link)`` there (when
        not None) and nothing else; the value written, or None (gone, already set, or nothing to write)."""
        ...

    def delete_link(self, uid: str, activity_type: str) -> Link | None: ...

    def stage_sync_cleared(
        self, uow: UnitOfWork, uid: str, activity_types: Iterable[str], now: datetime,
        next_poll: Mapping[str, datetime | None] | None = None,
    ) -> None:
        """Sync tokens and channel fields (``channel_error`` too) of these links cleared (staged); the links
        stay. ``next_poll`` gives the new ``next_poll_at`` of the links it names."""
        ...

    def update_channel(
        self, uid: str, activity_type: str, calendar_id: str, change: Callable[[Link], Link]
    ) -> Link | None:
        """``channel_id``, ``channel_expiry``, ``channel_error`` and ``next_poll_at`` as ``change`` returns
        them from the current link (a transaction), if the link still maps ``calendar_id``; the link written,
        or None when it is gone or maps another calendar now."""
        ...

    def stage_paused(
        self, uow: UnitOfWork, uid: str, changes: Mapping[str, str | None], now: datetime,
        next_poll: Mapping[str, datetime | None] | None = None,
    ) -> None:
        """``paused_reason`` of existing links set or cleared (staged), and ``next_poll_at`` of the links
        ``next_poll`` names; nothing else changes."""
        ...

    def stage_resync(self, uow: UnitOfWork, uid: str, activity_type: str, resync: ResyncInfo) -> None:
        """``resync`` of the link written (staged), nothing else; MissingDocument at commit if it is gone."""
        ...

    def stage_import_run(
        self, uow: UnitOfWork, uid: str, activity_type: str, last_import: RunInfo, *,
        sync_token: str | None = None, save_token: bool = True, paused_reason: str | None = None,
        next_poll_at: datetime | None = None, save_poll: bool = False,
    ) -> None:
        """An import run's outcome (staged): ``last_import``, ``paused_reason``, the sync token if
        ``save_token`` and ``next_poll_at`` if ``save_poll``; nothing else changes. MissingDocument at
        commit if the link is gone."""
        ...


class RevocationStore(Protocol):
    """``users/{uid}/secrets/pending_revocation_<id>``: revocations Google has not confirmed yet."""

    def stage_pending(self, uow: UnitOfWork, revocation: PendingRevocation) -> None: ...

    def list_pending(self, uid: str) -> list[PendingRevocation]: ...

    def list_due(self, now: datetime, limit: int) -> list[PendingRevocation]:
        """Every user's revocations with ``next_attempt_at <= now``, most overdue first, at most ``limit``."""
        ...

    def record_failed_attempt(
        self, uid: str, revocation_id: str, attempts: int, error: str, at: datetime, next_attempt_at: datetime
    ) -> None:
        """MissingDocument if the revocation is gone."""
        ...

    def delete(self, uid: str, revocation_id: str) -> None: ...

    def stage_deleted(self, uow: UnitOfWork, uid: str, revocation_ids: Iterable[str]) -> None: ...


class ChannelStore(Protocol):
    """``channels/{channel_id}``: push channels."""

    def save_channel(self, channel: ChannelRecord) -> None: ...

    def get_channel(self, channel_id: str) -> ChannelRecord | None: ...

    def resource_id(self, channel_id: str) -> str | None:
        """Google's resource id of a channel watched at Google (None if unknown, or not answered yet)."""
        ...

    def delete_channel(self, channel_id: str) -> None: ...

    def retire_channel(self, channel_id: str, now: datetime) -> None:
        """Keep the record as a tombstone (``retired_at = now``, no import queued): dropped without a confirmed
        stop at Google. Nothing for an unknown channel."""

    def list_for_user(self, uid: str) -> list[ChannelRecord]:
        """The user's live channels: tombstones (``retired_at``) are left out."""

    def list_expiring(self, before: datetime, limit: int) -> list[ChannelRecord]:
        """Channels with ``expires_at < before``, the soonest first, at most ``limit`` (tombstones included)."""
        ...

    def claim_import(self, channel_id: str, now: datetime, stale_before: datetime) -> bool:
        """The debounce marker: ``import_queued_at = now`` unless one set after ``stale_before`` is there
        (a transaction). Whether it was set (False for an unknown channel). ``notified_at = now`` either way."""
        ...

    def clear_import_claim(self, channel_id: str) -> None:
        """``import_queued_at`` cleared (the queued import starts); nothing for an unknown channel."""
        ...

    def stage_deleted(self, uow: UnitOfWork, channel_ids: Iterable[str]) -> None: ...


class OAuthStateStore(Protocol):
    """``oauth_states/{state}``: single-use connect states."""

    def create_state(self, state: OAuthState) -> None: ...

    def consume_state(self, state_value: str, now: datetime) -> tuple[OAuthState | None, str | None]:
        """Mark the state used, once: ``(state, None)`` the first time, ``(state?, reason)`` otherwise."""
        ...


class ActivityStore(Protocol):
    """``activities/{id}``. Read activities carry ``revision`` (the document's version as read)."""

    def get(self, activity_id: str) -> Activity | None: ...

    def create(self, activity: Activity) -> Activity:
        """Raises AlreadyExists; the activity with its revision."""
        ...

    def save_edit(self, activity: Activity, now: datetime) -> Activity:
        """Every field but ``sync``, and export asked for (``sync.state`` pending, due now, attempts 0);
        ``sync.targets`` stay as they are. Raises MissingDocument."""
        ...

    def save_sync(self, activity_id: str, sync: ActivitySync, revision: object) -> object | None:
        """All of ``sync`` if the document is still at ``revision`` (or ``revision`` is None): the new revision.
        Otherwise only ``sync.targets`` and None (a newer edit stays pending). One write either way;
        nothing if the document is gone."""
        ...

    def delete(self, activity_id: str, revision: object = None) -> bool:
        """Delete (if still at ``revision`` when one is given); False when a newer write kept it."""
        ...

    def list_for_owner(self, owner_uid: str, start: datetime, end: datetime, limit: int) -> list[Activity]:
        """The owner's activities whose ``[range_start, range_end)`` meets ``[start, end)``, by start."""
        ...

    def list_pending(self, now: datetime, limit: int) -> list[Activity]:
        """Activities waiting for export and due by ``now``, the longest-waiting first."""
        ...

    def list_pending_for_owner(self, owner_uid: str, now: datetime, limit: int) -> list[Activity]:
        """One owner's activities waiting for export and due by ``now``, the longest-waiting first
        (a worker's export of one user)."""
        ...

    def list_by_group(self, group_id: str, limit: int) -> list[Activity]: ...

    def stage_pending(self, uow: UnitOfWork, activity_ids: Iterable[str], now: datetime) -> None:
        """Export asked for these activities (staged); MissingDocument at commit if one is gone."""
        ...

    def get_many(self, activity_ids: Iterable[str]) -> dict[str, Activity]:
        """The activities of these ids that exist (one batched read); invalid documents left out."""
        ...

    def list_by_type(self, owner_uid: str, activity_type: str, limit: int) -> list[Activity]:
        """The owner's activities of one type (import's full-resync diff)."""
        ...

    def stage_put(self, uow: UnitOfWork, activity: Activity) -> None:
        """The whole document written (staged; import's idempotent create or update)."""
        ...

    def stage_create(self, uow: UnitOfWork, activity: Activity) -> None:
        """A new document (staged); the commit raises AlreadyExists if it exists."""
        ...

    def stage_sync(self, uow: UnitOfWork, activity_id: str, sync: ActivitySync) -> None:
        """All of ``sync`` written (staged), nothing else; MissingDocument at commit if it is gone."""
        ...


class GoogleEventStore(Protocol):
    """``google_events/{id}``: events seen by import but not imported (for Add into CRM)."""

    def get(self, row_id: str) -> GoogleEventRow | None: ...

    def list_for_owner(self, owner_uid: str, start: datetime, end: datetime, limit: int) -> list[GoogleEventRow]:
        """The owner's rows whose ``[range_start, range_end)`` meets ``[start, end)``, by start."""
        ...

    def stage_put(self, uow: UnitOfWork, row: GoogleEventRow) -> None: ...

    def stage_deleted(self, uow: UnitOfWork, row_ids: Iterable[str]) -> None:
        """Rows deleted (staged); a missing row is no error."""
        ...


class LeaseStore(Protocol):
    """``leases/{id}``: one holder at a time, until it releases or its lease expires."""

    def acquire(self, lease_id: str, holder: str, now: datetime, expires_at: datetime) -> bool:
        """Take the lease (a transaction) if it is free, expired or already ``holder``'s; False otherwise."""
        ...

    def stage_release(self, uow: UnitOfWork, lease_id: str) -> None:
        """The lease deleted (staged, e.g. with a run's last writes)."""
        ...

    def release(self, lease_id: str, holder: str) -> None:
        """Delete the lease if ``holder`` still holds it."""
        ...


class GroupStore(Protocol):
    """``groups/{id}``: admin-managed groups of users."""

    def get_group(self, group_id: str) -> Group | None: ...

    def list_groups(self) -> list[Group]: ...

    def stage_group(self, uow: UnitOfWork, group: Group) -> None: ...

    def delete_group(self, group_id: str) -> bool: ...


class Stores(Protocol):
    """Every store of one backend, and that backend's unit of work."""

    config: ConfigStore
    users: UserStore
    links: LinkStore
    channels: ChannelStore
    oauth_states: OAuthStateStore
    revocations: RevocationStore
    activities: ActivityStore
    groups: GroupStore
    google_events: GoogleEventStore
    leases: LeaseStore

    def unit_of_work(self) -> UnitOfWork: ...
