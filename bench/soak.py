"""Soak: N users and M events, with Google faults, timeouts and crashes on, for a fixed number of rounds.

Each round injects 429/500/503 faults and lost answers (timeouts after Google handled the request), then runs
random CRM edits, Google edits and export / import runs, each run dying at a random write point now and then
and retried (tests/reliability/world.py: the same world, model and invariants as the state machine). At the
end the faults stop, the system settles (export and import until nothing changes) and every invariant is
checked: no Google event linked twice, no activity with two events in one calendar, CRM activities equal to
Google, imported ones too unless Held, nothing deleted that the rules do not delete, no secret in a log line.

Backends: the in-memory stores and the sandbox in-process (default), or ``--emulator``: the Firestore emulator,
started and stopped here. Prints events synced, retries, errors, crashes and each violation; the LAST line is
one JSON object with ``users``, ``events``, ``rounds``, ``violations``, ``duplicates``, ``lost_changes``.
Run: ``.venv/bin/python -m bench.soak [--users 5] [--events 200] [--rounds 10] [--steps 25] [--seed 1]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import sys
import time
from typing import Any

DUPLICATE_MARKS = ("linked by", "events in calendar", "has two events")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=5)
    parser.add_argument("--events", type=int, default=200, help="events made before the rounds (CRM and Google)")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=25, help="random steps per round")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--emulator", action="store_true", help="Firestore emulator stores instead of in-memory")
    args = parser.parse_args(argv)
    if args.users < 1 or args.events < 0 or args.rounds < 1 or args.steps < 0:
        parser.error("users and rounds must be at least 1, events and steps at least 0")
    if not args.emulator:
        from functions.store.memory import InMemoryStores

        return soak(InMemoryStores(), args)

    from devstack.stack import LocalStack

    saved = dict(os.environ)
    stack = LocalStack(parts=("firestore",)).start()
    try:
        stack.export()
        from google.cloud import firestore

        from functions.store.firestore_stores import FirestoreStores

        return soak(FirestoreStores(firestore.Client(project=stack.project_id)), args)
    finally:
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)


def soak(stores: Any, args: argparse.Namespace) -> int:
    from tests.reliability.world import SyncWorld, random_step

    # The log lines go to the world's capture (checked for secrets), not to this report's stdout.
    logging.getLogger().addHandler(logging.NullHandler())
    started = time.monotonic()
    rng = random.Random(args.seed)
    world = SyncWorld(stores, users=args.users, seed=args.seed)
    with world.capturing():
        for index in range(args.events):
            owner, day, hour = rng.randrange(args.users), rng.randrange(21), rng.randrange(10)
            all_day, recurring = rng.random() < 0.2, rng.random() < 0.2
            if index % 2:
                world.google_create(owner, rng.randrange(2), day, hour, all_day, recurring, f"google {index}")
            else:
                world.crm_create(owner, rng.randrange(3), day, hour, all_day, recurring, f"crm {index}")
        print(f"made {args.events} events for {args.users} users ({len(world.crm)} in the CRM, "
              f"{len(world.google)} in Google)")
        for round_index in range(1, args.rounds + 1):
            world.inject_fault(rng.choice([429, 500, 503]), rng.randrange(1, 12))
            world.inject_timeouts(rng.randrange(0, 4))
            for _ in range(args.steps):
                random_step(world, rng, crash_rate=0.4)
            world.run_export(crash_at=rng.randrange(1, 30))
            world.run_import(crash_at=rng.randrange(1, 30))
            print(f"round {round_index}: runs {world.stats.runs}, crashes {world.stats.crashes}, "
                  f"retries {len(world.gateway.waits)}, timeouts {world.gateway.faulty.timed_out}")
        rounds_to_settle = world.settle()
        violations = world.violations()
    activities = world.all_activities()
    synced = sum(1 for a in activities.values() if a.sync and a.sync.state in ("synced", "not_exported"))
    duplicates = [v for v in violations if any(mark in v for mark in DUPLICATE_MARKS)]
    lost = [v for v in violations if v not in duplicates and "secret" not in v]
    print(f"settled in {rounds_to_settle} rounds; activities {len(activities)} ({synced} in step with Google), "
          f"CRM writes {world.stats.crm_writes}, Google writes {world.stats.google_writes}")
    print(f"retries (client backoffs) {len(world.gateway.waits)}, runs {world.stats.runs}, "
          f"run errors {world.stats.errors}, crashes {world.stats.crashes}, faults {world.stats.faults}, "
          f"timeouts {world.gateway.faulty.timed_out}, safety stops confirmed {world.stats.safety_stops}")
    print(f"webhook notifications {world.stats.notifications} (forged {world.stats.forged}), tasks handled "
          f"{world.stats.tasks} (redelivered {world.stats.redelivered}, duplicates {world.stats.duplicates}), "
          f"trigger events {world.stats.trigger_events}")
    for violation in violations:
        print(f"VIOLATION {violation}")
    print(f"invariant violations: {len(violations)}")
    result = {
        "users": args.users, "events": args.events, "rounds": args.rounds, "steps_per_round": args.steps,
        "backend": "emulator" if args.emulator else "memory", "activities": len(activities), "synced": synced,
        "retries": len(world.gateway.waits), "run_errors": world.stats.errors, "crashes": world.stats.crashes,
        "timeouts": world.gateway.faulty.timed_out, "violations": len(violations), "duplicates": len(duplicates),
        "lost_changes": len(lost), "notifications": world.stats.notifications, "forged": world.stats.forged,
        "tasks": world.stats.tasks, "duplicate_deliveries": world.stats.duplicates,
        "seconds": round(time.monotonic() - started, 1),
    }
    print(json.dumps(result))
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
