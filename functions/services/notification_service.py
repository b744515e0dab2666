"""Google's push notifications (the ``calendar_webhook`` function): one incremental import of the
notified calendar, coalesced per channel (docs/push.md)."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from functions.core.push_rules import QUEUED_STALE, NotificationError, parse_notification, token_matches
from functions.core.sync_task import SyncTask, TaskKind
from functions.services.errors import ForgedNotification, InvalidNotification
from functions.services.import_service import ImportService
from functions.services.ports import Adapters

log = logging.getLogger(__name__)


class NotificationService:
    def __init__(self, adapters: Adapters, imports: ImportService) -> None:
        self.stores = adapters.stores
        self.now = adapters.now
        self.queue = adapters.queue
        self.imports = imports

    def receive(self, headers: Mapping[str, str]) -> str:
        """Handle one notification; what was done: ``unknown_channel``, ``sync``, ``coalesced`` (an import
        is queued and has not started: it will see this change), ``queued`` or ``imported`` (no queue:
        inline). InvalidNotification for garbled headers, ForgedNotification for a wrong token."""
        try:
            note = parse_notification(headers)
        except NotificationError as exc:
            raise InvalidNotification(f"Not a Google push notification: {exc}.") from None
        channel = self.stores.channels.get_channel(note.channel_id)
        if channel is None:
            # Not ours, or deleted (unlinked, needs_reauth): stopping it needs its owner's grant, and the
            # random channel id names no owner. It expires at Google within its TTL.
            log.info("notification for unknown channel %s (%s)", note.channel_id, note.resource_state)
            return "unknown_channel"
        if not token_matches(note.token, channel.token_hash) or (
                note.resource_id and channel.resource_id and note.resource_id != channel.resource_id):
            log.warning("notification for channel %s with a wrong token or resource id: refused", note.channel_id)
            raise ForgedNotification("The channel token does not match.")
        if note.resource_state == "sync":
            return "sync"
        now = self.now()
        if not self.stores.channels.claim_import(channel.channel_id, now, now - QUEUED_STALE):
            return "coalesced"
        if self.queue is not None:
            self.queue.publish(SyncTask(TaskKind.IMPORT, channel.uid, channel.activity_type, reason="push"))
            return "queued"
        if channel.activity_type is None:
            self.stores.channels.clear_import_claim(channel.channel_id)
            return "unknown_channel"
        self.imports.import_calendar(channel.uid, channel.activity_type)
        return "imported"
