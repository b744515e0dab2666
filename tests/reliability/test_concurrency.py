"""Two workers on the same users at once (as two Cloud Function instances would be): export sweeps and imports
run in threads while the CRM and Google keep changing; once settled, the state machine's invariants hold.

And as production runs them: two ``sync_worker`` instances handling one user's export and import tasks (and the
push tasks the webhook publishes meanwhile) while a third thread fires a storm of webhook notifications for
that user's channel, some of them forged. The storm costs at most one queued import per import that started
(the debounce), every forgery is refused, and once settled the invariants hold.

Over the in-memory stores and over the Firestore emulator (where the import lease and the export's
conditional writes are real Firestore transactions and preconditions).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from functions.core.sync_task import SyncTask, TaskKind
from functions.services.errors import ForgedNotification
from functions.services.worker_service import RetryLater, TaskOutcome
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


STORM = 25  # notifications per round, one in five forged


@dataclass
class StormTally:
    results: dict[str, int] = field(default_factory=dict)  # what the webhook answered to the real notifications
    refused: int = 0  # forged notifications refused
    meeting_imports: int = 0  # imports of the notified calendar that started (each lifts the debounce marker)
    exported: int = 0  # activities the export tasks synced
    errors: list[BaseException] = field(default_factory=list)


def run_storm(world: SyncWorld, seed: int, rounds: int) -> StormTally:
    rng = random.Random(seed)
    uid = world.users[0].uid
    tally = StormTally()
    lock = threading.Lock()

    def count(outcome: TaskOutcome) -> None:
        with lock:
            tally.meeting_imports += sum(r.activity_type == "Meeting" for r in outcome.imports)
            tally.exported += outcome.counts.get("synced", 0)

    def worker(tasks: list[SyncTask]) -> None:
        try:
            for task in tasks + world.queue.drain():  # then what the storm published so far
                try:
                    count(world.services.worker.handle(task))
                except RetryLater as exc:  # Pub/Sub delivers it again: the next round's drain, or settling
                    count(exc.outcome)
                    world.queue.publish(task)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            tally.errors.append(exc)

    def storm() -> None:
        try:
            for index in range(STORM):
                found = world.channel_headers(0, 0)
                assert found is not None, "the user's Meeting calendar has no channel"
                _channel_id, headers = found
                if index % 5 == 4:
                    try:
                        world.services.notifications.receive({**headers, "X-Goog-Channel-Token": "forged"})
                    except ForgedNotification:
                        with lock:
                            tally.refused += 1
                    continue
                result = world.services.notifications.receive(headers).result
                with lock:
                    tally.results[result] = tally.results.get(result, 0) + 1
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            tally.errors.append(exc)

    for index in range(rounds):
        world.inject_fault(503, 12)  # the API's own export after the save fails: the export tasks have work
        for _ in range(3):
            world.crm_create(0, 0, rng.randrange(10), rng.randrange(8), rng.random() < 0.2, rng.random() < 0.2,
                             f"storm round {index}")
        world.clear_faults()
        world.tick(10)  # past the first backoff: pending and due
        for _ in range(2):
            world.google_create(0, 0, rng.randrange(10), rng.randrange(8), False, rng.random() < 0.3,
                                f"google storm {index}")
        one = [SyncTask(TaskKind.EXPORT, uid, reason="scheduled"), SyncTask(TaskKind.IMPORT, uid, reason="scheduled"),
               SyncTask(TaskKind.IMPORT, uid, "Meeting", reason="push")]
        threads = [threading.Thread(target=worker, args=(one,)), threading.Thread(target=worker, args=(one[::-1],)),
                   threading.Thread(target=storm)]
        for thread in threads:
            thread.start()
        world.crm_edit(rng.randrange(50), f"edited in the storm {index}", rng.randrange(10), rng.randrange(8), False)
        world.google_edit(rng.randrange(50), f"edited in Google in the storm {index}", rng.randrange(2))
        for thread in threads:
            thread.join(timeout=120)
        world.tick(2)  # with the 10 minutes above, less than QUEUED_STALE: a marker set in this round still holds
    return tally


def check_storm(world: SyncWorld, tally: StormTally, rounds: int) -> None:
    assert tally.errors == []
    assert tally.refused == rounds * (STORM // 5)
    assert sum(tally.results.values()) == rounds * (STORM - STORM // 5)
    assert set(tally.results) <= {"queued", "coalesced"}, tally.results
    assert 1 <= tally.results.get("queued", 0) <= tally.meeting_imports + 1, (tally.results, tally.meeting_imports)
    assert tally.exported > 0  # the export tasks really had work
    world.settle()
    assert world.violations() == []


@pytest.mark.parametrize("seed", [1, 2])
def test_two_workers_and_a_webhook_storm_on_memory_stores(seed: int) -> None:
    world = SyncWorld(InMemoryStores(), seed=seed)
    with world.capturing():
        check_storm(world, run_storm(world, seed, 4), 4)


def test_two_workers_and_a_webhook_storm_on_the_emulator(stack) -> None:
    from google.cloud import firestore

    from functions.store.firestore_stores import FirestoreStores

    stack.clear_firestore()
    world = SyncWorld(FirestoreStores(firestore.Client(project=stack.project_id)), prefix="storm-")
    with world.capturing():
        check_storm(world, run_storm(world, 5, 2), 2)
