"""Google's push notifications (the ``calendar_webhook`` function): one incremental import of the
notified calendar, coalesced per channel (docs/push.md)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from functions.core.push_rules import (
    PUSH_MAX_WAIT,
    PUSH_QUIET,
    QUEUED_STALE,
    NotificationError,
    parse_notification,
    token_matches,
)
from functions.core.sync_task import SyncTask, TaskKind
from functions.services.channel_service import ChannelService
from functions.services.errors import ForgedNotification, InvalidNotification
from functions.services.import_service import ImportService
from functions.services.ports import Adapters

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Receipt:
    """What the webhook answers (``result``) and, without a queue, the import to run once it has answered."""

    result: str
    after: Callable[[], None] | None = None


class NotificationService:
    def __init__(self, adapters: Adapters, imports: ImportService, channels: ChannelService | None = None) -> None:
        self.stores = adapters.stores
        self.channels = channels
        self.now = adapters.now
        self.queue = adapters.queue
        self.imports = imports
        self._lock = threading.Lock()
        self._inline: dict[tuple[str, str], bool] = {}  # without a queue: link -> changed again while importing
        self._last_notified: dict[tuple[str, str], float] = {}

    def receive(self, headers: Mapping[str, str]) -> Receipt:
        """Handle one notification. ``result``: ``unknown_channel``, ``retired_channel`` (a tombstone: stopped at
        Google when its owner's grant allows, no import), ``sync``, ``queued`` (one import task
        published), ``coalesced`` (an import is queued and not started, or running inline: it, or the one run
        after it, sees this change), ``importing`` (no queue: ``after`` runs the import, to be called once the
        answer is sent). InvalidNotification for garbled headers, ForgedNotification for a wrong token."""
        try:
            note = parse_notification(headers)
        except NotificationError as exc:
            raise InvalidNotification(f"Not a Google push notification: {exc}.") from None
        channel = self.stores.channels.get_channel(note.channel_id)
        if channel is None:
            # Not ours, or deleted after a confirmed stop: stopping it needs its owner's grant, and the random
            # channel id names no owner. It expires at Google within its TTL.
            log.info("notification for unknown channel %s (%s)", note.channel_id, note.resource_state)
            return Receipt("unknown_channel")
        if not token_matches(note.token, channel.token_hash) or (
                note.resource_id and channel.resource_id and note.resource_id != channel.resource_id):
            log.warning("notification for channel %s with a wrong token or resource id: refused", note.channel_id)
            raise ForgedNotification("The channel token does not match.")
        if channel.retired_at is not None:  # a tombstone: stopped with its owner's grant if there is one, no import
            stopped = self.channels is not None and self.channels.stop_retired(channel)
            log.info("notification for retired channel %s of %s: %s", note.channel_id, channel.uid,
                     "stopped" if stopped else "left to expire")
            return Receipt("retired_channel")
        if note.resource_state == "sync" or channel.activity_type is None:
            return Receipt("sync")
        if self.queue is not None:
            now = self.now()
            if not self.stores.channels.claim_import(channel.channel_id, now, now - QUEUED_STALE):
                return Receipt("coalesced")
            self.queue.publish(SyncTask(TaskKind.IMPORT, channel.uid, channel.activity_type, reason="push"))
            return Receipt("queued")
        key = (channel.uid, channel.activity_type)
        with self._lock:
            self._last_notified[key] = time.monotonic()
            if key in self._inline:
                self._inline[key] = True  # the run under way (or waiting) covers it, or goes once more
                return Receipt("coalesced")
            self._inline[key] = False
        return Receipt("importing", lambda: self._run_inline(key))

    def _run_inline(self, key: tuple[str, str]) -> None:
        """Without a queue (the dev stack, tests): wait for the burst to settle (a quiet spell, bounded), import,
        and import once more if notified while importing."""
        try:
            while True:
                started = time.monotonic()
                while True:
                    with self._lock:
                        quiet_since = self._last_notified.get(key, started)
                        self._inline[key] = False  # what arrives from here on needs another run
                    now = time.monotonic()
                    if now - quiet_since >= PUSH_QUIET or now - started >= PUSH_MAX_WAIT:
                        break
                    time.sleep(PUSH_QUIET / 4)
                self.imports.import_calendar(*key)
                with self._lock:
                    if not self._inline.get(key):
                        self._inline.pop(key, None)
                        return
        finally:
            with self._lock:
                self._inline.pop(key, None)
