"""Fast service tests: the in-memory stores and the sandbox in-process (no emulator, no socket)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from functions.bootstrap import Services, build_services
from functions.google.gateway import in_process_gateway
from functions.services.ports import Adapters
from functions.store.memory import InMemoryStores
from sandbox.inprocess import InProcessSandbox
from tests.export_world import ConnectedUser, configure_client, connect_user, link


@dataclass
class World:
    stores: InMemoryStores
    control: Any
    services: Services
    clock: list[datetime]
    alice: ConnectedUser

    def now(self) -> datetime:
        return self.clock[0]

    def events(self, user: ConnectedUser, summary: str) -> list[dict[str, Any]]:
        return [e for e in self.control.owner_list_events(user.email, user.calendars[summary])
                if e.get("status") != "cancelled"]


@pytest.fixture
def world() -> World:
    sandbox = InProcessSandbox()
    control = sandbox.control()
    stores = InMemoryStores()
    clock = [datetime(2026, 12, 3, 9, 0, tzinfo=UTC)]
    configure_client(stores, control)
    alice = connect_user(stores, control, "alice", "alice@example.com",
                         {"CRM Meetings": "Europe/Madrid", "CRM Calls": "Europe/Madrid"}, clock[0])
    link(stores, "alice", "Meeting", alice.calendars["CRM Meetings"])
    link(stores, "alice", "Call", alice.calendars["CRM Calls"])
    services = build_services(Adapters(stores, in_process_gateway(sandbox), now=lambda: clock[0]))
    return World(stores, control, services, clock, alice)
