"""In-memory twins of the Firestore stores, for fast property-based tests only.

They hold models, not documents, and keep the same contract as the Firestore stores; the
contract suite (``tests/contract/``) runs one set of tests on both, which is what keeps them in
step. Production never builds them.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from functions.core.activity import Activity, ActivitySync, SyncState
from functions.core.activity_range import activity_range
from functions.core.google_event_row import GoogleEventRow
from functions.core.group import Group
from functions.core.link_rules import activity_type_doc_id
from functions.core.models import (
    CONNECTED,
    DISCONNECTED,
    NEEDS_REAUTH,
    CalendarEntry,
    ChannelRecord,
    Connection,
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
from functions.core.oauth_state_rules import state_refusal, well_formed_state
from functions.core.settings_rules import DEFAULT_ACTIVITY_TYPES
from functions.store.errors import AlreadyExists, MissingDocument
from functions.store.ports import UnitOfWork
from functions.store.unit_of_work import InMemoryUnitOfWork, memory_batch


class InMemoryConfigStore:
    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.google: GoogleClientSettings | None = None
        self.activity_types: list[str] | None = None

    def load_google_settings(self) -> GoogleClientSettings:
        with self.lock:
            return self.google or GoogleClientSettings()

    def save_google_settings(self, client: GoogleClientSettings) -> None:
        if not client.client_secret:
            raise ValueError("the Google client settings need a client secret")
        with self.lock:
            self.google = client

    def load_activity_types(self) -> list[str]:
        with self.lock:
            return list(self.activity_types or DEFAULT_ACTIVITY_TYPES)

    def save_activity_types(self, types: list[str], updated_by: str, now: datetime) -> None:
        with self.lock:
            self.activity_types = list(types)


class InMemoryUserStore:
    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.users: dict[str, UserRecord] = {}
        self.secrets: dict[str, GoogleSecrets] = {}

    def get_user(self, uid: str) -> UserRecord | None:
        with self.lock:
            return self.users.get(uid)

    def list_users(self) -> list[UserRecord]:
        with self.lock:
            return list(self.users.values())

    def get_secrets(self, uid: str) -> GoogleSecrets | None:
        with self.lock:
            return self.secrets.get(uid)

    def ensure_user(self, identity: Identity, now: datetime) -> UserRecord:
        with self.lock:
            user = self.users.get(identity.uid)
            if user is None:
                user = UserRecord(uid=identity.uid, email=identity.email, display_name=identity.display_name)
            else:
                user = replace(
                    user,
                    email=identity.email if identity.email is not None else user.email,
                    display_name=identity.display_name if identity.display_name is not None else user.display_name,
                )
            self.users[identity.uid] = user
            return user

    def _user(self, uid: str) -> UserRecord:
        return self.users.get(uid) or UserRecord(uid=uid)

    def _with_calendars(
        self, user: UserRecord, calendars: list[CalendarEntry] | None, error: str | None, now: datetime
    ) -> UserRecord:
        if calendars is None:
            return replace(
                user,
                calendars=(),
                calendars_read_at=None,
                calendars_error=error or "the calendar list could not be read",
                calendars_error_at=now,
            )
        return replace(
            user, calendars=tuple(calendars), calendars_read_at=now, calendars_error=None, calendars_error_at=None
        )

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
        if not tokens.refresh_token:
            raise ValueError("a connection needs a refresh token")
        refresh_token = tokens.refresh_token

        def apply() -> None:
            connection = Connection(
                status=CONNECTED,
                connected_at=now,
                google_email=google_email,
                scopes=tuple(tokens.scopes),
                client_id=client_id,
            )
            user = replace(self._user(uid), connection=connection)
            self.users[uid] = self._with_calendars(user, calendars, calendars_error, now)
            self.secrets[uid] = GoogleSecrets(
                refresh_token, tokens.access_token, tokens.expires_at, tuple(tokens.scopes)
            )

        memory_batch(uow).stage(apply)

    def save_access_token(self, uid: str, tokens: TokenSet, current_refresh_token: str, now: datetime) -> None:
        with self.lock:
            self.secrets[uid] = GoogleSecrets(
                tokens.refresh_token or current_refresh_token, tokens.access_token, tokens.expires_at,
                tuple(tokens.scopes),
            )

    def stage_calendars(
        self, uow: UnitOfWork, uid: str, calendars: list[CalendarEntry], google_email: str | None, now: datetime
    ) -> None:
        def apply() -> None:
            user = self._with_calendars(self._user(uid), calendars, None, now)
            if google_email:
                user = replace(user, connection=replace(user.connection, google_email=google_email))
            self.users[uid] = user

        memory_batch(uow).stage(apply)

    def mark_needs_reauth(self, uid: str, error: str, reason: str, now: datetime) -> None:
        with self.lock:
            if uid not in self.users:
                raise MissingDocument(f"users/{uid} does not exist")
            user = self.users[uid]
            connection = replace(user.connection, status=NEEDS_REAUTH, error=error, error_at=now, reauth_reason=reason)
            self.users[uid] = replace(user, connection=connection)

    def stage_disconnected(self, uow: UnitOfWork, uid: str, now: datetime) -> None:
        def apply() -> None:
            self.secrets.pop(uid, None)
            self.users[uid] = replace(
                self._user(uid),
                connection=Connection(status=DISCONNECTED),
                calendars_error=None,
                calendars_error_at=None,
            )

        memory_batch(uow).stage(apply)


class InMemoryLinkStore:
    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.links: dict[str, dict[str, Link]] = {}

    def list_links(self, uid: str) -> list[Link]:
        with self.lock:
            return list(self.links.get(uid, {}).values())

    def list_all_links(self) -> dict[str, list[Link]]:
        with self.lock:
            return {uid: list(links.values()) for uid, links in self.links.items() if links}

    def list_due_links(self, now: datetime, limit: int) -> list[tuple[str, Link]]:
        with self.lock:
            due = [(link.next_poll_at, uid, link.activity_type, link) for uid, links in self.links.items()
                   for link in links.values() if link.next_poll_at is not None and link.next_poll_at <= now]
        return [(uid, link) for _, uid, _, link in sorted(due, key=lambda item: item[:3])[:limit]]

    def page_links(self, after: str | None, limit: int) -> tuple[list[tuple[str, Link]], str | None]:
        with self.lock:
            everything = sorted((f"users/{uid}/links/{activity_type_doc_id(link.activity_type)}", uid, link)
                                for uid, links in self.links.items() for link in links.values())
        page = [item for item in everything if after is None or item[0] > after][:limit]
        return [(uid, link) for _, uid, link in page], (page[-1][0] if len(page) >= limit else None)

    def backfill_poll(self, uid: str, activity_type: str, decide: Callable[[Link], datetime | None]) -> datetime | None:
        with self.lock:
            link = self.links.get(uid, {}).get(activity_type)
            if link is None or link.next_poll_at is not None:
                return None
            wanted = decide(link)
            if wanted is not None:
                self.links[uid][activity_type] = replace(link, next_poll_at=wanted)
            return wanted

    def put_link_checked(self, uid: str, activity_type: str, decide: Callable[[list[Link]], Link]) -> Link:
        with self.lock:
            link = decide(self.list_links(uid))
            self.links.setdefault(uid, {})[activity_type] = link
            return link

    def delete_link(self, uid: str, activity_type: str) -> Link | None:
        with self.lock:
            return self.links.get(uid, {}).pop(activity_type, None)

    def stage_sync_cleared(
        self, uow: UnitOfWork, uid: str, activity_types: Iterable[str], now: datetime,
        next_poll: Mapping[str, datetime | None] | None = None,
    ) -> None:
        types = list(activity_types)
        polls = dict(next_poll or {})

        def apply() -> None:
            links = self.links.get(uid, {})
            for activity_type in types:
                if activity_type not in links:
                    raise MissingDocument(f"users/{uid}/links/{activity_type} does not exist")
                link = replace(links[activity_type], sync_token=None, channel_id=None, channel_expiry=None,
                               channel_error=None, updated_at=now)
                if activity_type in polls:
                    link = replace(link, next_poll_at=polls[activity_type])
                links[activity_type] = link

        memory_batch(uow).stage(apply)

    def update_channel(
        self, uid: str, activity_type: str, calendar_id: str, change: Callable[[Link], Link]
    ) -> Link | None:
        with self.lock:
            link = self.links.get(uid, {}).get(activity_type)
            if link is None or link.calendar_id != calendar_id:
                return None
            new = change(link)
            link = replace(link, channel_id=new.channel_id, channel_expiry=new.channel_expiry,
                           channel_error=new.channel_error, next_poll_at=new.next_poll_at)
            self.links[uid][activity_type] = link
            return link

    def stage_paused(
        self, uow: UnitOfWork, uid: str, changes: Mapping[str, str | None], now: datetime,
        next_poll: Mapping[str, datetime | None] | None = None,
    ) -> None:
        wanted = dict(changes)
        polls = dict(next_poll or {})

        def apply() -> None:
            links = self.links.get(uid, {})
            for activity_type, reason in wanted.items():
                if activity_type not in links:
                    raise MissingDocument(f"users/{uid}/links/{activity_type} does not exist")
                link = replace(links[activity_type], paused_reason=reason, updated_at=now)
                if activity_type in polls:
                    link = replace(link, next_poll_at=polls[activity_type])
                links[activity_type] = link

        memory_batch(uow).stage(apply)

    def stage_resync(self, uow: UnitOfWork, uid: str, activity_type: str, resync: ResyncInfo) -> None:
        def apply() -> None:
            links = self.links.get(uid, {})
            if activity_type not in links:
                raise MissingDocument(f"users/{uid}/links/{activity_type} does not exist")
            links[activity_type] = replace(links[activity_type], resync=resync)

        memory_batch(uow).stage(apply)

    def stage_import_run(
        self, uow: UnitOfWork, uid: str, activity_type: str, last_import: RunInfo, *,
        sync_token: str | None = None, save_token: bool = True, paused_reason: str | None = None,
        next_poll_at: datetime | None = None, save_poll: bool = False,
    ) -> None:
        def apply() -> None:
            links = self.links.get(uid, {})
            if activity_type not in links:
                raise MissingDocument(f"users/{uid}/links/{activity_type} does not exist")
            current = links[activity_type]
            links[activity_type] = replace(current, last_import=last_import, paused_reason=paused_reason,
                                           sync_token=sync_token if save_token else current.sync_token,
                                           empty_accepted=False if save_token else current.empty_accepted,
                                           next_poll_at=next_poll_at if save_poll else current.next_poll_at)

        memory_batch(uow).stage(apply)


class InMemoryRevocationStore:
    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.pending: dict[tuple[str, str], PendingRevocation] = {}

    def stage_pending(self, uow: UnitOfWork, revocation: PendingRevocation) -> None:
        if not revocation.refresh_token:
            raise ValueError("a pending revocation needs the token to revoke")

        def apply() -> None:
            self.pending[(revocation.uid, revocation.id)] = revocation

        memory_batch(uow).stage(apply)

    def list_pending(self, uid: str) -> list[PendingRevocation]:
        with self.lock:
            found = [r for (owner, _), r in self.pending.items() if owner == uid]
        return sorted(found, key=lambda r: (r.created_at, r.id))

    def list_due(self, now: datetime, limit: int) -> list[PendingRevocation]:
        with self.lock:
            due = [r for r in self.pending.values() if r.next_attempt_at <= now]
        return sorted(due, key=lambda r: r.next_attempt_at)[:limit]

    def record_failed_attempt(
        self, uid: str, revocation_id: str, attempts: int, error: str, at: datetime, next_attempt_at: datetime
    ) -> None:
        with self.lock:
            current = self.pending.get((uid, revocation_id))
            if current is None:
                raise MissingDocument(f"users/{uid}/secrets/{revocation_id} does not exist")
            self.pending[(uid, revocation_id)] = replace(
                current, attempts=attempts, last_error=error, last_attempt_at=at, next_attempt_at=next_attempt_at
            )

    def delete(self, uid: str, revocation_id: str) -> None:
        with self.lock:
            self.pending.pop((uid, revocation_id), None)

    def stage_deleted(self, uow: UnitOfWork, uid: str, revocation_ids: Iterable[str]) -> None:
        ids = list(revocation_ids)

        def apply() -> None:
            for revocation_id in ids:
                self.pending.pop((uid, revocation_id), None)

        memory_batch(uow).stage(apply)


class InMemoryChannelStore:
    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.channels: dict[str, ChannelRecord] = {}

    def save_channel(self, channel: ChannelRecord) -> None:
        with self.lock:
            self.channels[channel.channel_id] = channel

    def get_channel(self, channel_id: str) -> ChannelRecord | None:
        with self.lock:
            return self.channels.get(channel_id)

    def resource_id(self, channel_id: str) -> str | None:
        channel = self.get_channel(channel_id)
        return channel.resource_id if channel and channel.resource_id else None

    def delete_channel(self, channel_id: str) -> None:
        with self.lock:
            self.channels.pop(channel_id, None)

    def retire_channel(self, channel_id: str, now: datetime) -> None:
        with self.lock:
            channel = self.channels.get(channel_id)
            if channel is not None:
                self.channels[channel_id] = replace(channel, retired_at=now, import_queued_at=None)

    def list_for_user(self, uid: str) -> list[ChannelRecord]:
        with self.lock:
            return [c for c in self.channels.values() if c.uid == uid and c.retired_at is None]

    def list_expiring(self, before: datetime, limit: int) -> list[ChannelRecord]:
        with self.lock:
            due = sorted((c for c in self.channels.values() if c.expires_at < before), key=lambda c: c.expires_at)
            return due[:limit]

    def claim_import(self, channel_id: str, now: datetime, stale_before: datetime) -> bool:
        with self.lock:
            channel = self.channels.get(channel_id)
            if channel is None:
                return False
            if channel.import_queued_at is not None and channel.import_queued_at > stale_before:
                self.channels[channel_id] = replace(channel, notified_at=now)
                return False
            self.channels[channel_id] = replace(channel, import_queued_at=now, notified_at=now)
            return True

    def clear_import_claim(self, channel_id: str) -> None:
        with self.lock:
            channel = self.channels.get(channel_id)
            if channel is not None:
                self.channels[channel_id] = replace(channel, import_queued_at=None)

    def stage_deleted(self, uow: UnitOfWork, channel_ids: Iterable[str]) -> None:
        ids = list(channel_ids)

        def apply() -> None:
            for channel_id in ids:
                self.channels.pop(channel_id, None)

        memory_batch(uow).stage(apply)


class InMemoryOAuthStateStore:
    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.states: dict[str, OAuthState] = {}

    def create_state(self, state: OAuthState) -> None:
        with self.lock:
            if state.state in self.states:
                raise AlreadyExists(f"oauth_states/{state.state} exists")
            self.states[state.state] = state

    def consume_state(self, state_value: str, now: datetime) -> tuple[OAuthState | None, str | None]:
        if not well_formed_state(state_value):
            return None, state_refusal(None, now)
        with self.lock:
            state = self.states.get(state_value)
            refusal = state_refusal(state, now)
            if state is not None and not state.used:
                self.states[state_value] = replace(state, used=True)
            return state, refusal


class InMemoryActivityStore:
    """Activities as models; ``revision`` is a per-document write counter."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.activities: dict[str, Activity] = {}
        self.writes = 0

    def _put(self, activity: Activity) -> Activity:
        self.writes += 1
        stored = replace(activity, revision=self.writes)
        self.activities[activity.id] = stored
        return stored

    def get(self, activity_id: str) -> Activity | None:
        with self.lock:
            return self.activities.get(activity_id)

    def create(self, activity: Activity) -> Activity:
        with self.lock:
            if activity.id in self.activities:
                raise AlreadyExists(f"activities/{activity.id} exists")
            return self._put(activity)

    def save_edit(self, activity: Activity, now: datetime) -> Activity:
        with self.lock:
            current = self.activities.get(activity.id)
            if current is None:
                raise MissingDocument(f"activities/{activity.id} does not exist")
            return self._put(
                replace(activity, created_at=current.created_at, sync=_pending(current.sync, now))
            )

    def save_sync(self, activity_id: str, sync: ActivitySync, revision: object) -> object | None:
        with self.lock:
            current = self.activities.get(activity_id)
            if current is None:
                return None
            if revision is None or current.revision == revision:
                return self._put(replace(current, sync=sync)).revision
            base = current.sync or ActivitySync()
            self._put(replace(current, sync=replace(base, targets=sync.targets)))
            return None

    def delete(self, activity_id: str, revision: object = None) -> bool:
        with self.lock:
            current = self.activities.get(activity_id)
            if current is None:
                return True
            if revision is not None and current.revision != revision:
                return False
            del self.activities[activity_id]
            return True

    def list_for_owner(self, owner_uid: str, start: datetime, end: datetime, limit: int) -> list[Activity]:
        with self.lock:
            found = []
            for activity in self.activities.values():
                range_start, range_end = activity_range(activity)
                if activity.owner_uid == owner_uid and range_start < end and range_end > start:
                    found.append((range_start, activity.id, activity))
            return [activity for _, _, activity in sorted(found)[:limit]]

    def list_pending(self, now: datetime, limit: int) -> list[Activity]:
        with self.lock:
            due = [
                a for a in self.activities.values()
                if a.sync and a.sync.state == SyncState.PENDING and a.sync.due_at and a.sync.due_at <= now
            ]
            return sorted(due, key=lambda a: (a.sync.due_at, a.id))[:limit]  # type: ignore[union-attr]

    def list_pending_for_owner(self, owner_uid: str, now: datetime, limit: int) -> list[Activity]:
        return [a for a in self.list_pending(now, len(self.activities)) if a.owner_uid == owner_uid][:limit]

    def list_by_group(self, group_id: str, limit: int) -> list[Activity]:
        with self.lock:
            return sorted((a for a in self.activities.values() if a.group_id == group_id), key=lambda a: a.id)[:limit]

    def stage_pending(self, uow: UnitOfWork, activity_ids: Iterable[str], now: datetime) -> None:
        ids = list(activity_ids)

        def apply() -> None:
            for activity_id in ids:
                current = self.activities.get(activity_id)
                if current is None:
                    raise MissingDocument(f"activities/{activity_id} does not exist")
                self._put(replace(current, sync=_pending(current.sync, now)))

        memory_batch(uow).stage(apply)


    def get_many(self, activity_ids: Iterable[str]) -> dict[str, Activity]:
        with self.lock:
            return {i: self.activities[i] for i in activity_ids if i in self.activities}

    def list_by_type(self, owner_uid: str, activity_type: str, limit: int) -> list[Activity]:
        with self.lock:
            found = [a for a in self.activities.values()
                     if a.owner_uid == owner_uid and a.activity_type == activity_type]
            return sorted(found, key=lambda a: a.id)[:limit]

    def stage_put(self, uow: UnitOfWork, activity: Activity) -> None:
        memory_batch(uow).stage(lambda: self._put(activity))

    def stage_create(self, uow: UnitOfWork, activity: Activity) -> None:
        def apply() -> None:
            if activity.id in self.activities:
                raise AlreadyExists(f"activities/{activity.id} exists")
            self._put(activity)

        memory_batch(uow).stage(apply)

    def stage_sync(self, uow: UnitOfWork, activity_id: str, sync: ActivitySync) -> None:
        def apply() -> None:
            current = self.activities.get(activity_id)
            if current is None:
                raise MissingDocument(f"activities/{activity_id} does not exist")
            self._put(replace(current, sync=sync))

        memory_batch(uow).stage(apply)


def _pending(sync: ActivitySync | None, now: datetime) -> ActivitySync:
    return replace(sync or ActivitySync(), state=SyncState.PENDING, due_at=now, attempts=0, last_error=None)


class InMemoryGroupStore:
    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.groups: dict[str, Group] = {}

    def get_group(self, group_id: str) -> Group | None:
        with self.lock:
            return self.groups.get(group_id)

    def list_groups(self) -> list[Group]:
        with self.lock:
            return sorted(self.groups.values(), key=lambda g: g.id)

    def stage_group(self, uow: UnitOfWork, group: Group) -> None:
        def apply() -> None:
            self.groups[group.id] = group

        memory_batch(uow).stage(apply)

    def delete_group(self, group_id: str) -> bool:
        with self.lock:
            return self.groups.pop(group_id, None) is not None


class InMemoryGoogleEventStore:
    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.rows: dict[str, GoogleEventRow] = {}

    def get(self, row_id: str) -> GoogleEventRow | None:
        with self.lock:
            return self.rows.get(row_id)

    def list_for_owner(self, owner_uid: str, start: datetime, end: datetime, limit: int) -> list[GoogleEventRow]:
        with self.lock:
            found = [r for r in self.rows.values()
                     if r.owner_uid == owner_uid and r.range_start < end and r.range_end > start]
            return sorted(found, key=lambda r: (r.range_start, r.id))[:limit]

    def stage_put(self, uow: UnitOfWork, row: GoogleEventRow) -> None:
        def apply() -> None:
            self.rows[row.id] = row

        memory_batch(uow).stage(apply)

    def stage_deleted(self, uow: UnitOfWork, row_ids: Iterable[str]) -> None:
        ids = list(row_ids)

        def apply() -> None:
            for row_id in ids:
                self.rows.pop(row_id, None)

        memory_batch(uow).stage(apply)


class InMemoryLeaseStore:
    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self.leases: dict[str, tuple[str, datetime]] = {}

    def acquire(self, lease_id: str, holder: str, now: datetime, expires_at: datetime) -> bool:
        with self.lock:
            current = self.leases.get(lease_id)
            if current is not None and current[0] != holder and current[1] > now:
                return False
            self.leases[lease_id] = (holder, expires_at)
            return True

    def stage_release(self, uow: UnitOfWork, lease_id: str) -> None:
        memory_batch(uow).stage(lambda: self.leases.pop(lease_id, None))

    def release(self, lease_id: str, holder: str) -> None:
        with self.lock:
            if self.leases.get(lease_id, ("", None))[0] == holder:
                del self.leases[lease_id]


class InMemoryStores:
    """The in-memory backend: every store over one lock, and its unit of work."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.config = InMemoryConfigStore(self.lock)
        self.users = InMemoryUserStore(self.lock)
        self.links = InMemoryLinkStore(self.lock)
        self.channels = InMemoryChannelStore(self.lock)
        self.oauth_states = InMemoryOAuthStateStore(self.lock)
        self.revocations = InMemoryRevocationStore(self.lock)
        self.activities = InMemoryActivityStore(self.lock)
        self.groups = InMemoryGroupStore(self.lock)
        self.google_events = InMemoryGoogleEventStore(self.lock)
        self.leases = InMemoryLeaseStore(self.lock)

    def unit_of_work(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.lock, self.snapshot)

    def snapshot(self) -> Callable[[], None]:
        """What puts every store back as it is now (a failed unit of work applies nothing)."""
        stores = (
            self.config, self.users, self.links, self.channels, self.oauth_states, self.revocations,
            self.activities, self.groups, self.google_events, self.leases,
        )
        saved = [(store, copy.deepcopy({k: v for k, v in vars(store).items() if k != "lock"})) for store in stores]

        def restore() -> None:
            for store, state in saved:
                vars(store).update(state)

        return restore
