"""Import of one linked calendar: an initial import of 10,000 events, then incremental runs with 10 changes,
20 changes and none. Google ``events.list`` calls, Firestore reads and writes, events per second.

Starts what it needs itself (the Firestore emulator and the sandbox, through devstack, as the tests do) and
stops them at the end. Setup (a connected user, a link with import on and import existing on, the events
inserted through the Calendar API in batches of 1000, the edits made as the owner) is not measured; each
measured phase is one ``ImportService.import_calendar()``.

How it counts:
- Google: ``calendar.events.list`` entries of the sandbox's request log (one per page).
- Firestore: a wrapper over the client's RPC layer counts documents asked for by key (found or missing,
  as Firestore bills them) and documents returned by queries as reads, and writes in commits (batches and
  transactions) as writes.
- ``firestore_ops_per_changed_event``: the marginal cost, (ops of the run with 20 changes - ops of the run
  with 10) / 10. Each run also has a fixed cost (the user, their secrets, the client settings, the link, the
  lease taken and released, the token saved), printed as ``incremental_fixed_ops``.

Targets: the initial import in at most 5 list calls (pages of 2,500); an incremental run with 10 changes in 1
list call and at most 2 Firestore operations per changed event; a run with no change in 1 list call and 0
writes. The LAST line printed is one JSON object.
Run: ``.venv/bin/python -m bench.import [--events N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.firestore_counts import count_firestore


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10000)
    args = parser.parse_args(argv)

    from devstack.stack import LocalStack

    saved = dict(os.environ)
    stack = LocalStack(parts=("firestore", "sandbox")).start()
    try:
        stack.export()
        return run(stack, args.events)
    finally:
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)


def run(stack: Any, how_many: int) -> int:
    from google.cloud import firestore

    from functions.bootstrap import build_services
    from functions.core.models import Link
    from functions.google.calendar_port import InsertEvent
    from functions.google.gateway import HttpGoogleGateway
    from functions.services.ports import Adapters
    from functions.store.firestore_stores import FirestoreStores
    from sandbox.control import SandboxControl
    from tests.export_world import configure_client, connect_user

    control = SandboxControl(stack.url("sandbox"), timeout=120)
    control.reset()
    stack.clear_firestore()
    client = firestore.Client(project=stack.project_id)
    stores = FirestoreStores(client)
    configure_client(stores, control)
    user = connect_user(stores, control, "bench-user", "bench@example.com", {"Google events": "Europe/Madrid"})
    calendar_id = user.calendars["Google events"]
    now = datetime.now(UTC)
    stores.links.put_link_checked(user.uid, "Meeting", lambda _: Link(
        "Meeting", calendar_id, "Google events", import_=True, import_existing=True, import_since=now,
        updated_at=now))
    services = build_services(Adapters(stores, HttpGoogleGateway()))

    api = services.calendar_access.open(user.uid)
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(days=10)
    calls = []
    for index in range(how_many):
        start = first + timedelta(minutes=45 * index)
        calls.append(InsertEvent(calendar_id, {
            "summary": f"Event #{index} — Ünïcode", "location": "Sala 1", "description": "Agenda <b>one</b>",
            "start": {"dateTime": start.isoformat(), "timeZone": "Europe/Madrid"},
            "end": {"dateTime": (start + timedelta(minutes=30)).isoformat(), "timeZone": "Europe/Madrid"},
        }))
    created: list[dict[str, Any]] = []
    for offset in range(0, len(calls), 1000):
        created.extend(r for r in api.batch(calls[offset:offset + 1000]) if isinstance(r, dict))
    if len(created) != how_many:
        raise SystemExit(f"only {len(created)} of {how_many} events were created in the sandbox")

    counts = count_firestore(client)

    def measured(label: str) -> dict[str, Any]:
        control.clear_request_log()
        counts.reads = counts.writes = 0
        began = time.perf_counter()
        report = services.imports.import_calendar(user.uid, "Meeting")
        seconds = time.perf_counter() - began
        lists = sum(1 for e in control.request_log() if e["method"] == "calendar.events.list")
        if report.error or report.busy:
            raise SystemExit(f"{label}: the run failed: {report.error}")
        return {"report": report, "lists": lists, "reads": counts.reads, "writes": counts.writes,
                "ops": counts.ops, "seconds": seconds}

    def edit(first_index: int, how: int) -> None:
        for event in created[first_index:first_index + how]:
            control.owner_patch_event(user.email, calendar_id, event["id"], {"summary": event["summary"] + " (edited)"})

    initial = measured("initial")
    edit(0, 10)
    ten = measured("10 changes")
    edit(10, 20)
    twenty = measured("20 changes")
    idle = measured("no change")
    marginal = (twenty["ops"] - ten["ops"]) / 10
    figures = {
        "events": how_many,
        "initial_created": initial["report"].created,
        "initial_list_calls": initial["lists"],
        "initial_firestore_reads": initial["reads"],
        "initial_firestore_writes": initial["writes"],
        "initial_seconds": round(initial["seconds"], 2),
        "events_per_second": round(how_many / initial["seconds"], 1),
        "incremental_updated": ten["report"].updated,
        "incremental_list_calls": ten["lists"],
        "incremental_firestore_reads": ten["reads"],
        "incremental_firestore_writes": ten["writes"],
        "firestore_ops_per_changed_event": marginal,
        "firestore_ops_per_changed_event_all_in": ten["ops"] / 10,
        "incremental_fixed_ops": ten["ops"] - 10 * marginal,
        "idle_list_calls": idle["lists"],
        "idle_reads": idle["reads"],
        "idle_writes": idle["writes"],
    }
    print(f"import of {how_many} events of one calendar: {initial['report'].created} activities in "
          f"{initial['seconds']:.1f} s ({figures['events_per_second']} events/s; 2 shared cores, times not asserted)")
    print(f"  initial: {initial['lists']} list calls (target <= 5), {initial['reads']} Firestore reads, "
          f"{initial['writes']} writes")
    print(f"  10 changes: {ten['lists']} list call(s) (target 1), {ten['reads']} reads + {ten['writes']} writes; "
          f"{marginal} operations per changed event (marginal, target <= 2), "
          f"{figures['incremental_fixed_ops']} fixed per run")
    print(f"  no change: {idle['lists']} list call(s) (target 1), {idle['reads']} reads, {idle['writes']} writes "
          "(target 0)")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
