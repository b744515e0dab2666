"""Every Firestore store over one client, and the Firestore unit of work."""

from __future__ import annotations

from typing import Any

from functions.store.activity_store import FirestoreActivityStore, FirestoreGroupStore
from functions.store.channel_store import FirestoreChannelStore
from functions.store.config_store import FirestoreConfigStore
from functions.store.import_store import FirestoreGoogleEventStore, FirestoreLeaseStore
from functions.store.link_store import FirestoreLinkStore
from functions.store.oauth_state_store import FirestoreOAuthStateStore
from functions.store.revocation_store import FirestoreRevocationStore
from functions.store.unit_of_work import FirestoreUnitOfWork
from functions.store.user_store import FirestoreUserStore


class FirestoreStores:
    """The Firestore backend (the truth): one admin client shared by every store."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.config = FirestoreConfigStore(client)
        self.users = FirestoreUserStore(client)
        self.links = FirestoreLinkStore(client)
        self.channels = FirestoreChannelStore(client)
        self.oauth_states = FirestoreOAuthStateStore(client)
        self.revocations = FirestoreRevocationStore(client)
        self.activities = FirestoreActivityStore(client)
        self.groups = FirestoreGroupStore(client)
        self.google_events = FirestoreGoogleEventStore(client)
        self.leases = FirestoreLeaseStore(client)

    def unit_of_work(self) -> FirestoreUnitOfWork:
        return FirestoreUnitOfWork(self.client)
