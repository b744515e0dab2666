"""Wiring: the real adapters, built on first use, and the services over them.

Entry points ask :func:`services` for the process's services; nothing is built at import
(cold starts). A test builds its own with :func:`build_services` and the adapters it wants
(in-memory stores, a sandbox in-process), without touching module globals.
"""

from __future__ import annotations

import os
import threading

from functions.config import get_settings
from functions.services.activity_service import ActivityService, GroupService
from functions.services.activity_write_service import ActivityWriteService
from functions.services.admin_service import AdminService
from functions.services.calendar_access import CalendarAccess
from functions.services.channel_service import ChannelService
from functions.services.connect_service import ConnectService
from functions.services.export_service import ExportService
from functions.services.fanout_service import FanoutService
from functions.services.google_events_service import GoogleEventsService
from functions.services.import_service import ImportService
from functions.services.link_cleanup_service import LinkCleanupService
from functions.services.link_service import LinkService
from functions.services.notification_service import NotificationService
from functions.services.poll_backfill_service import PollBackfillService
from functions.services.ports import Adapters, IdentityPort
from functions.services.resync_service import ResyncService
from functions.services.settings_service import SettingsService
from functions.services.status_service import StatusService
from functions.services.token_service import TokenService
from functions.services.worker_service import WorkerService

# main.py's entry point that Google's push notifications reach: CALBRIDGE_PUBLIC_BASE_URL + this (infra/ deploys
# it public, and tests/infra checks the two agree).
WEBHOOK_FUNCTION = "calendar_webhook"


class Services:
    """Every use case, over one set of adapters."""

    def __init__(self, adapters: Adapters) -> None:
        self.adapters = adapters
        self.tokens = TokenService(adapters)
        self.calendar_access = CalendarAccess(adapters)
        self.channels = ChannelService(adapters, self.calendar_access)
        self.connect = ConnectService(adapters, self.tokens, self.calendar_access, self.channels)
        self.links = LinkService(adapters, self.channels)
        self.settings = SettingsService(adapters)
        self.status = StatusService(adapters)
        self.admin = AdminService(adapters, self.status)
        self.export = ExportService(adapters, self.calendar_access)
        self.activities = ActivityService(adapters, self.export)
        self.activity_writes = ActivityWriteService(adapters, self.export)
        self.groups = GroupService(adapters)
        self.imports = ImportService(adapters, self.calendar_access)
        self.notifications = NotificationService(adapters, self.imports, self.channels)
        self.google_events = GoogleEventsService(adapters, self.calendar_access, self.export)
        self.link_cleanup = LinkCleanupService(adapters, self.links, self.calendar_access)
        self.resync = ResyncService(adapters, self.links, self.imports, self.export, self.calendar_access)
        self.worker = WorkerService(
            adapters, self.export, self.imports, resync=lambda task: self.resync.run_task(task).counts()
        )
        self.fanout = FanoutService(adapters, self.export, self.worker)
        self.poll_backfill = PollBackfillService(adapters)

    @property
    def identity(self) -> IdentityPort:
        return self.admin.identity


def build_services(adapters: Adapters) -> Services:
    return Services(adapters)


def real_adapters() -> Adapters:
    """Firestore for the project of the environment (the emulator if set), Google at the configured URLs,
    Firebase Auth, the Pub/Sub sync topic (its client built on the first publish)."""
    from functions.google.gateway import HttpGoogleGateway
    from functions.identity.firebase_identity import FirebaseIdentity
    from functions.messaging.pubsub_queue import PubSubTaskQueue
    from functions.store.firestore_client import new_firestore_client
    from functions.store.firestore_stores import FirestoreStores

    settings = get_settings()
    public = settings.public_base_url
    return Adapters(
        stores=FirestoreStores(new_firestore_client()), google=HttpGoogleGateway(), identity=FirebaseIdentity(),
        queue=PubSubTaskQueue(settings.require_project_id(), settings.sync_topic),
        push_address=public + WEBHOOK_FUNCTION if public else None,
    )


_lock = threading.Lock()
_built: dict[tuple[str, str], Services] = {}


def services() -> Services:
    """The process's services over the real adapters, built once per project and Firestore host."""
    key = (get_settings().require_project_id(), os.environ.get("FIRESTORE_EMULATOR_HOST", ""))
    with _lock:
        built = _built.get(key)
        if built is None:
            built = _built[key] = build_services(real_adapters())
    return built
