"""Push channels (docs/push.md): watch a linked calendar, stop a channel, renew the ones that expire
soon, forget a user's channels when Google refuses their grant. Never fails the user's action: a
channel Google refuses is recorded on the link (``channel_error``) and that calendar falls back to the
scheduled import (``next_poll_at`` by ``core.poll_rules``, written with every change of channel fields).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from functions.core.models import ChannelRecord, Link
from functions.core.poll_rules import channel_live, next_poll_at, poll_changes_due
from functions.core.push_rules import CHANNEL_TTL, RENEW_MARGIN, RENEWALS_PER_RUN, token_hash, wants_channel
from functions.google.calendar_port import CalendarApi
from functions.google.errors import GoogleError, InvalidClient, InvalidGrant, NotFound
from functions.services.calendar_access import CalendarAccess
from functions.services.errors import DomainError
from functions.services.ports import Adapters
from functions.store.ports import LinkStore

log = logging.getLogger(__name__)


@dataclass
class RenewalRun:
    """What one run of ``renew_channels`` did with the channels expiring within the margin."""

    due: int = 0
    renewed: int = 0
    failed: int = 0
    stopped: int = 0  # channels no link needs any more (unlinked meanwhile, import off, orphaned)


class ChannelService:
    def __init__(self, adapters: Adapters, access: CalendarAccess) -> None:
        self.stores = adapters.stores
        self.access = access
        self.now = adapters.now
        self.address = adapters.push_address
        access.on_needs_reauth.append(self.forget_user)

    # ------------------------------------------------------------------ watch
    def watch(self, uid: str, link: Link) -> Link | None:
        """Watch ``link``'s calendar with a new channel; the link as written (channel fields, or
        ``channel_error`` when Google refused), None when nothing was watched (push off, not wanted,
        the user's grant refused, or the link changed meanwhile). The link's old channel is left alone."""
        if not self.address or not wants_channel(link):
            return None
        try:
            with self.access.calendar(uid) as api:
                return self._watch(api, uid, link)
        except DomainError as exc:  # not connected, needs_reauth, client refused: nothing to watch with
            log.info("no channel for %s of %s: %s", link.calendar_id, uid, exc.message)
            return None

    def _watch(self, api: CalendarApi, uid: str, link: Link) -> Link | None:
        assert self.address is not None
        now = self.now()
        channel_id = secrets.token_urlsafe(24)  # random, 32 characters of [A-Za-z0-9_-]: names nothing
        token = secrets.token_urlsafe(32)
        # Recorded before Google answers: its first (sync) notification may arrive before the answer.
        pending = ChannelRecord(channel_id, uid, link.calendar_id, "", token_hash(token), now + CHANNEL_TTL,
                                link.activity_type)
        self.stores.channels.save_channel(pending)
        try:
            answer = api.watch_events(link.calendar_id, channel_id, self.address, token=token,
                                      ttl_seconds=int(CHANNEL_TTL.total_seconds()))
        except (InvalidGrant, InvalidClient):
            self.stores.channels.delete_channel(channel_id)
            raise
        except GoogleError as exc:
            self.stores.channels.delete_channel(channel_id)
            log.warning("Google refused a channel on %s of %s: %s", link.calendar_id, uid, exc.message)
            error = f"Google refused push notifications for this calendar ({exc.status}): {exc.message}"
            return self.stores.links.update_channel(
                uid, link.activity_type, link.calendar_id,
                lambda cur: _with_channel(cur, cur.channel_id, cur.channel_expiry, error, self.now()))
        expires_at = _expiration(answer, now)
        self.stores.channels.save_channel(replace(pending, resource_id=str(answer.get("resourceId") or ""),
                                                  expires_at=expires_at))
        written = self.stores.links.update_channel(
            uid, link.activity_type, link.calendar_id,
            lambda cur: _with_channel(cur, channel_id, expires_at, None, self.now()))
        if written is None or not wants_channel(written):  # unlinked or moved while Google answered
            self._end(api, uid, channel_id)
            return None
        return written

    # ------------------------------------------------------------------ stop
    def stop_channels(self, uid: str, links: Iterable[Link]) -> list[str]:
        """Ask Google to stop each link's channel; the channel ids whose records may go (stopped, or never
        watched). A channel whose stop Google did not confirm is kept as a tombstone (``retire_channel``)."""
        with_channel = [lk for lk in links if lk.channel_id]
        known = [(lk.channel_id, self.stores.channels.resource_id(lk.channel_id)) for lk in with_channel]
        to_stop = [(channel_id, resource_id) for channel_id, resource_id in known if resource_id]
        stopped: set[str] = set()
        if to_stop:
            try:
                with self.access.calendar(uid) as api:
                    for channel_id, resource_id in to_stop:
                        if self._stop(api, uid, channel_id, resource_id):
                            stopped.add(channel_id)
            except (GoogleError, DomainError) as exc:
                log.warning("could not stop the channels of %s: %s", uid, exc)
        retired = {channel_id for channel_id, _ in to_stop if channel_id not in stopped}
        for channel_id in retired:
            self.stores.channels.retire_channel(channel_id, self.now())
        return [lk.channel_id for lk in with_channel if lk.channel_id and lk.channel_id not in retired]

    def end_channels(self, uid: str, channel_ids: Iterable[str]) -> None:
        """Stop these channels at Google and delete their records; a channel whose stop Google did not confirm
        (no usable grant, an error) is kept as a tombstone (``retire_channel``), stopped when it next notifies.
        Links are not touched."""
        ids = [c for c in channel_ids if c]
        if not ids:
            return
        left = list(ids)
        try:
            with self.access.calendar(uid) as api:
                for channel_id in ids:
                    self._end(api, uid, channel_id)
                    left.remove(channel_id)
            return
        except (GoogleError, DomainError) as exc:
            log.warning("could not stop the channels of %s at Google: %s", uid, exc)
        for channel_id in left:  # no usable grant: kept as tombstones, stopped when they notify (or expire)
            self.stores.channels.retire_channel(channel_id, self.now())

    def _end(self, api: CalendarApi, uid: str, channel_id: str) -> None:
        resource_id = self.stores.channels.resource_id(channel_id)
        if resource_id and not self._stop(api, uid, channel_id, resource_id):
            self.stores.channels.retire_channel(channel_id, self.now())
            return
        self.stores.channels.delete_channel(channel_id)

    def stop_retired(self, channel: ChannelRecord) -> bool:
        """A tombstone notified: stop it at Google with its owner's grant; the record is deleted when Google
        confirms (or no longer knows it). Left as it is without a usable grant (it expires at Google)."""
        try:
            with self.access.calendar(channel.uid) as api:
                if channel.resource_id and not self._stop(api, channel.uid, channel.channel_id, channel.resource_id):
                    return False
        except (GoogleError, DomainError) as exc:
            log.info("retired channel %s of %s not stopped: %s", channel.channel_id, channel.uid, exc)
            return False
        self.stores.channels.delete_channel(channel.channel_id)
        return True

    @staticmethod
    def _stop(api: CalendarApi, uid: str, channel_id: str, resource_id: str) -> bool:
        """Whether Google confirmed the stop (or no longer knows the channel)."""
        try:
            api.stop_channel(channel_id, resource_id)
        except NotFound:
            return True
        except (InvalidGrant, InvalidClient):
            raise
        except GoogleError as exc:
            log.warning("could not stop channel %s of %s: %s", channel_id, uid, exc)
            return False
        return True

    def forget_user(self, uid: str) -> None:
        """Google refused the user's grant (needs_reauth): their channels cannot be stopped at Google (it
        takes a valid token), so the records become tombstones and the links' channel fields are cleared; a
        notification on a tombstone stops it once the user has connected again (``stop_retired``)."""
        for channel in self.stores.channels.list_for_user(uid):
            self.stores.channels.retire_channel(channel.channel_id, self.now())
        self.park_links(uid)

    def park_links(self, uid: str) -> int:
        """The user cannot sync (needs reauth, disconnected): see :func:`park_links`."""
        return park_links(self.stores.links, uid)

    def unpark_links(self, uid: str) -> None:
        """After a (re)connect and ``watch_links``: every link gets back the ``next_poll_at`` of the poll rule
        (due now without a live channel, the safety net with one; paused or import off: none)."""
        for link in self.stores.links.list_links(uid):
            if poll_changes_due(link.next_poll_at, next_poll_at(link, self.now())):
                self.stores.links.update_channel(
                    uid, link.activity_type, link.calendar_id,
                    lambda cur: replace(cur, next_poll_at=next_poll_at(cur, self.now())))

    # ------------------------------------------------------------------ after a link changed
    def link_saved(self, uid: str, old: Link | None, link: Link) -> Link:
        """After a save: end the channel the link no longer uses, watch when it should be watched."""
        if old is not None and old.channel_id and old.channel_id != link.channel_id:
            self.end_channels(uid, [old.channel_id])
        if wants_channel(link) and not channel_live(link, self.now()):
            return self.watch(uid, link) or link
        return link

    def watch_links(self, uid: str) -> None:
        """After connect: watch every link with import on that has no live channel."""
        for link in self.stores.links.list_links(uid):
            if wants_channel(link) and not channel_live(link, self.now()):
                self.watch(uid, link)

    # ------------------------------------------------------------------ renewal
    def renew(self, limit: int = RENEWALS_PER_RUN) -> RenewalRun:
        """Channels expiring within ``RENEW_MARGIN`` (at most ``limit``): a new channel first, then the old
        one stopped (overlap: no notification is missed). Google refusing the new one: ``channel_error``
        on the link and the calendar due for the scheduled import."""
        run = RenewalRun()
        now = self.now()
        for channel in self.stores.channels.list_expiring(now + RENEW_MARGIN, limit):
            if channel.retired_at is not None:  # a tombstone is never renewed; once expired at Google, dropped
                if channel.expires_at <= now:
                    self.stores.channels.delete_channel(channel.channel_id)
                continue
            run.due += 1
            link = next((lk for lk in self.stores.links.list_links(channel.uid)
                         if lk.activity_type == channel.activity_type), None)
            if link is None or link.channel_id != channel.channel_id or not wants_channel(link) \
                    or link.calendar_id != channel.calendar_id:
                if link is not None and link.channel_id == channel.channel_id:
                    self.stores.links.update_channel(
                        channel.uid, link.activity_type, link.calendar_id,
                        lambda cur: _with_channel(cur, None, None, cur.channel_error, self.now()))
                self.end_channels(channel.uid, [channel.channel_id])
                run.stopped += 1
                continue
            written = self.watch(channel.uid, link)
            if written is not None and written.channel_id and written.channel_id != channel.channel_id:
                self.end_channels(channel.uid, [channel.channel_id])
                run.renewed += 1
                continue
            run.failed += 1
            if channel.expires_at <= now:  # expired and not replaced: dropped, so it is not retried every hour
                self.stores.links.update_channel(
                    channel.uid, link.activity_type, link.calendar_id,
                    lambda cur: _with_channel(cur, None, None, cur.channel_error, self.now()))
                self.stores.channels.delete_channel(channel.channel_id)
        return run


def park_links(links: LinkStore, uid: str) -> int:
    """Every link of a user who cannot sync (needs reauth, disconnected) gets its channel fields cleared
    and ``next_poll_at`` None, so the scheduled import neither queries nor queues it; how many changed.
    ``ConnectService.finish`` unparks them (``ChannelService.unpark_links``)."""
    parked = 0
    for link in links.list_links(uid):
        if link.channel_id or link.channel_expiry or link.next_poll_at is not None:
            written = links.update_channel(
                uid, link.activity_type, link.calendar_id,
                lambda cur: replace(cur, channel_id=None, channel_expiry=None, next_poll_at=None))
            parked += written is not None
    return parked


def _with_channel(link: Link, channel_id: str | None, expiry: datetime | None, error: str | None,
                  now: datetime) -> Link:
    changed = replace(link, channel_id=channel_id, channel_expiry=expiry, channel_error=error)
    return replace(changed, next_poll_at=next_poll_at(changed, now))


def _expiration(answer: dict[str, Any], now: datetime) -> datetime:
    try:
        return datetime.fromtimestamp(int(answer["expiration"]) / 1000, UTC)
    except (KeyError, TypeError, ValueError):
        return now + CHANNEL_TTL - timedelta(minutes=1)
