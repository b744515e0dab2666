"""Export of 1,000 new activities of one user: Google HTTP requests, Calendar calls, Firestore reads and writes.

Starts what it needs itself (the Firestore emulator and the sandbox, through devstack, as the tests do)
and stops them at the end. Setup (a connected user, a link, 1,000 pending activities) is not measured;
the export phase is one ``ExportService.sweep()``.

How it counts:
- Google: from the sandbox's request log. A batch request is logged once as ``batch`` and each of its
  parts under its own method; HTTP requests = batch requests + calls not sent in a batch (token
  refreshes included), Calendar calls = every Calendar operation, batched or not.
- Firestore: a thin wrapper over the Firestore client's RPC layer counts documents returned by
  queries and gets (reads) and writes in commits (writes), as Firestore bills them.

Targets: at least 25 activities per HTTP request to Google; at most 1 Calendar call, 1 Firestore read
and 1 Firestore write per activity in the export phase. The LAST line printed is one JSON object.
Run: ``.venv/bin/python -m bench.export [--activities N]``.
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

TARGET_ACTIVITIES_PER_REQUEST = 25


def google_counts(log: list[dict[str, Any]]) -> tuple[int, int]:
    """(HTTP requests, Calendar calls) from the sandbox's request log.

    The log holds a batch request once (``batch``) and each of its parts under its own method, with
    nothing telling a part from a call sent alone. The sweep sends every Calendar call in a batch;
    it sends one alone only as a follow-up of a 409 or 412 part, so with none of those every Calendar
    entry is a part, and that is checked here rather than assumed.
    """
    batches = sum(1 for entry in log if entry["method"] == "batch")
    calendar_calls = sum(1 for entry in log if entry["method"] != "batch" and "calendar/v3" in entry["path"])
    others = sum(1 for entry in log if entry["method"] != "batch" and "calendar/v3" not in entry["path"])
    follow_ups = sum(1 for entry in log if entry["status"] in (409, 412))
    if follow_ups:
        raise SystemExit(f"{follow_ups} calls answered 409/412: some calls were sent alone; counts would be wrong")
    return batches + others, calendar_calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--activities", type=int, default=1000)
    args = parser.parse_args(argv)

    from devstack.stack import LocalStack

    saved = dict(os.environ)
    stack = LocalStack(parts=("firestore", "sandbox")).start()
    try:
        stack.export()
        return run(stack, args.activities)
    finally:
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)


def run(stack: Any, how_many: int) -> int:
    from google.cloud import firestore

    from functions.bootstrap import build_services
    from functions.core.activity import Activity, ActivityContent, ActivitySync, SyncState, Timed
    from functions.google.gateway import HttpGoogleGateway
    from functions.services.ports import Adapters
    from functions.store.activity_codec import activity_to_doc
    from functions.store.firestore_stores import FirestoreStores
    from sandbox.control import SandboxControl
    from tests.export_world import configure_client, connect_user, link

    control = SandboxControl(stack.url("sandbox"))
    control.reset()
    stack.clear_firestore()
    client = firestore.Client(project=stack.project_id)
    stores = FirestoreStores(client)
    configure_client(stores, control)
    user = connect_user(stores, control, "bench-user", "bench@example.com", {"CRM Meetings": "Europe/Madrid"})
    link(stores, user.uid, "Meeting", user.calendars["CRM Meetings"])

    now = datetime.now(UTC)
    first = datetime(2027, 1, 4, 8, tzinfo=UTC)
    batch = client.batch()
    for index in range(how_many):
        start = first + timedelta(hours=index)
        content = ActivityContent(f"Call #{index} — Ünïcode <b>", Timed(start, start + timedelta(minutes=30),
                                                                            "Europe/Madrid"),
                                  description="Agenda: <ul><li>one</li></ul>", location="Sala 1")
        activity = Activity(f"bench-{index:05d}", user.uid, "Meeting", content, created_at=now, updated_at=now,
                            sync=ActivitySync(SyncState.PENDING, due_at=now))
        batch.set(client.collection("activities").document(activity.id), activity_to_doc(activity))
        if index % 400 == 399:
            batch.commit()
            batch = client.batch()
    batch.commit()

    counts = count_firestore(client)
    services = build_services(Adapters(stores, HttpGoogleGateway()))
    control.clear_request_log()
    began = time.perf_counter()
    report = services.export.sweep(limit=max(how_many, 1))
    seconds = time.perf_counter() - began
    log = control.request_log()
    http_requests, calendar_calls = google_counts(log)
    events = control.owner_list_events(user.email, user.calendars["CRM Meetings"])

    figures = {
        "activities": how_many,
        "synced": report.synced,
        "google_events": len(events),
        "google_http_requests": http_requests,
        "calendar_api_calls": calendar_calls,
        "firestore_reads": counts.reads,
        "firestore_writes": counts.writes,
        "seconds": round(seconds, 3),
        "activities_per_google_request": round(how_many / max(http_requests, 1), 1),
        "calendar_calls_per_activity": round(calendar_calls / how_many, 3),
        "firestore_reads_per_activity": round(counts.reads / how_many, 3),
        "firestore_writes_per_activity": round(counts.writes / how_many, 3),
    }
    print(f"export of {how_many} new activities of one user: {report.synced} synced, {len(events)} Google events")
    print(f"  Google: {http_requests} HTTP requests ({figures['activities_per_google_request']} activities each; "
          f"target >= {TARGET_ACTIVITIES_PER_REQUEST}), {calendar_calls} Calendar calls "
          f"({figures['calendar_calls_per_activity']} per activity; target <= 1)")
    print(f"  Firestore: {counts.reads} reads ({figures['firestore_reads_per_activity']} per activity), "
          f"{counts.writes} writes ({figures['firestore_writes_per_activity']} per activity); target <= 1 each "
          "(beyond one per activity: the user, their secrets, the client settings and links, once per run)")
    print(f"  {seconds:.2f} s for the export phase (2 shared cores; times are not asserted anywhere)")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
