"""Issue 11: random interleavings of CRM edits, Google edits, faults, crashes and runs hold every promise.

Two profiles run in the test command:
- ``test_machine_fast``: the in-memory stores and the in-process sandbox, 200 examples of up to 20 steps;
- ``test_machine_on_the_emulator``: the same machine on the Firestore emulator's stores (12 examples of up to 10 steps).

By hand: ``CALBRIDGE_MACHINE=long .venv/bin/python -m pytest -p no:randomly tests/reliability`` runs
2,000 examples of up to 50 steps, not derandomized (a new search each time; failures are saved in
``.hypothesis/`` and replayed first next time). ``CALBRIDGE_MACHINE_EXAMPLES`` / ``_STEPS`` override the counts.
CI is deterministic: the fast and emulator profiles are derandomized (the same examples every run).
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test

from functions.store.memory import InMemoryStores
from tests.reliability.machine import machine_for

LONG = os.environ.get("CALBRIDGE_MACHINE") == "long"


def machine_settings(examples: int, steps: int) -> settings:
    return settings(
        max_examples=int(os.environ.get("CALBRIDGE_MACHINE_EXAMPLES", 2000 if LONG else examples)),
        stateful_step_count=int(os.environ.get("CALBRIDGE_MACHINE_STEPS", 50 if LONG else steps)),
        derandomize=not LONG,
        database=None if not LONG else settings.default.database,
        deadline=None,
        print_blob=True,
        report_multiple_bugs=False,
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink, Phase.explain],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


def test_machine_fast() -> None:
    run_state_machine_as_test(machine_for(InMemoryStores), settings=machine_settings(200, 20))


@pytest.fixture
def emulator_stores(stack):  # -> Callable[[], FirestoreStores]
    from google.cloud import firestore

    from functions.store.firestore_stores import FirestoreStores

    stack.clear_firestore()
    stores = FirestoreStores(firestore.Client(project=stack.project_id))
    return lambda: stores  # each world uses ids of its own (a prefix): no clearing between examples


def test_machine_on_the_emulator(emulator_stores) -> None:
    run_state_machine_as_test(machine_for(emulator_stores), settings=machine_settings(12, 10))
