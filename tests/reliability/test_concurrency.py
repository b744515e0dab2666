"""Two workers on the same users at once (as two Cloud Function instances would be): export sweeps and imports
run in threads while the CRM and Google keep changing; once settled, the state machine's invariants hold.

Over the in-memory stores and over the Firestore emulator (where the import lease and the export's
conditional writes are real Firestore transactions and preconditions).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from typing import Any

import pytest

from functions.store.memory import InMemoryStores
from tests.reliability.world import SyncWorld

ROUNDS = 6


def run_concurrently(world: SyncWorld, seed: int) -> list[BaseException]:
    rng = random.Random(seed)
    errors: list[BaseException] = []

    def worker(jobs: list[Callable[[], Any]]) -> None:
        try:
            for job in jobs:
                job()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    for index in range(ROUNDS):
        for _ in range(3):
            world.crm_create(rng.randrange(2), rng.randrange(3), rng.randrange(10), rng.randrange(8),
                             rng.random() < 0.2, rng.random() < 0.2, f"round {index}")
            world.google_create(rng.randrange(2), rng.randrange(2), rng.randrange(10), rng.randrange(8),
                                False, False, f"google {index}")
        jobs = [world.services.export.sweep, world.services.imports.run_all]
        threads = [threading.Thread(target=worker, args=(jobs[::step],)) for step in (1, -1)]
        for thread in threads:
            thread.start()
        # the CRM and Google change while both workers run
        world.crm_edit(rng.randrange(50), f"edited {index}", rng.randrange(10), rng.randrange(8), False)
        world.google_edit(rng.randrange(50), f"edited in Google {index}", rng.randrange(2))
        world.crm_delete(rng.randrange(50))
        world.google_delete(rng.randrange(50))
        for thread in threads:
            thread.join(timeout=120)
        world.tick(15)
    return errors


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_workers_at_once_on_memory_stores(seed: int) -> None:
    world = SyncWorld(InMemoryStores(), seed=seed)
    with world.capturing():
        assert run_concurrently(world, seed) == []
        world.settle()
        assert world.violations() == []


def test_two_workers_at_once_on_the_emulator(stack) -> None:
    from google.cloud import firestore

    from functions.store.firestore_stores import FirestoreStores

    stack.clear_firestore()
    world = SyncWorld(FirestoreStores(firestore.Client(project=stack.project_id)), prefix="concurrent-")
    with world.capturing():
        assert run_concurrently(world, 7) == []
        world.settle()
        assert world.violations() == []
