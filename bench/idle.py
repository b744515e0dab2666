"""What one tick of every scheduled job costs when nobody changed anything: 1,000 connected users whose
calendars have live push channels and no pending activity.

Starts what it needs itself (the Firestore and Pub/Sub emulators and the sandbox, through devstack) and the
functions server in this process, and stops them at the end. Setup is written straight to the Firestore
emulator and not measured: per user the connection (user document, sealed secrets), one link with export
and import on, a sync token, a live channel (``channel_id``, ``channel_expiry`` a week ahead, the
``channels/{id}`` record) and ``next_poll_at`` at the safety net (functions/core/poll_rules.py); no sandbox
channel is needed, as nothing should call Google. One tick = one POST to each of ``export_activities``,
``import_events`` and ``renew_channels``, through main.py as Cloud Scheduler would.

How it counts:
- Google: every request in the sandbox's request log (Calendar calls and token refreshes alike).
- Pub/Sub: messages the server's task queue published (its publish calls wrapped).
- Firestore: the server's own client, at its RPC layer (bench/firestore_counts.py): documents returned by
  queries and read by key. ``firestore_queries`` counts the queries run: Firestore bills at least one read
  for a query that returns nothing.

The tick is measured with 100 users and again with 1,000, to show that the reads do not grow with the
number of idle users. Targets: 0 Calendar calls, 0 messages, the same reads at 100 and 1,000 users.
The LAST line printed is one JSON object. Run: ``.venv/bin/python -m bench.idle [--users N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from bench.firestore_counts import count_firestore

JOBS = ("export_activities", "import_events", "renew_channels")
FIRST = 100


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=1000)
    args = parser.parse_args(argv)

    from devstack.server import LocalServer
    from devstack.stack import LocalStack

    saved = dict(os.environ)
    stack = LocalStack(parts=("firestore", "pubsub", "sandbox")).start()
    server = None
    try:
        stack.export()
        server = LocalServer().start()
        stack.export(public_base_url=server.url)
        return run(stack, server.url, max(args.users, FIRST))
    finally:
        if server is not None:
            server.stop()
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)


def seed(stores: Any, client: Any, first: int, last: int, now: datetime) -> None:
    """Idle users ``first .. last - 1``: connected, one link with a live channel, nothing pending."""
    from functions.core.models import CalendarEntry, ChannelRecord, Link, TokenSet
    from functions.core.poll_rules import SAFETY_NET
    from functions.store.channel_store import channel_path, channel_to_doc
    from functions.store.link_store import link_path, link_to_doc
    from functions.store.unit_of_work import firestore_batch

    expiry = now + timedelta(days=7)
    for start in range(first, last, 100):
        uow = stores.unit_of_work()  # 4 writes a user: user, secrets, link, channel
        for index in range(start, min(start + 100, last)):
            uid, email = f"idle-{index:05d}", f"idle{index:05d}@example.com"
            calendar = f"crm-{index:05d}@group.calendar.google.com"
            tokens = TokenSet(f"ya29.idle-{index}", now + timedelta(hours=1), f"1//idle-refresh-{index}",
                              ("https://www.googleapis.com/auth/calendar",))
            stores.users.stage_connection(uow, uid, tokens, [CalendarEntry(calendar, "CRM", access_role="owner")],
                                          email, "idle-client", now)
            link = Link("Meeting", calendar, "CRM", export=True, import_=True, sync_token=f"sync-{index}",
                        channel_id=f"channel-{index:05d}", channel_expiry=expiry, updated_at=now,
                        import_since=now - timedelta(days=30), next_poll_at=now + SAFETY_NET)
            channel = ChannelRecord(link.channel_id or "", uid, calendar, f"resource-{index}", "0" * 64, expiry,
                                    "Meeting")
            batch = firestore_batch(uow)
            for path, doc in ((link_path(uid, "Meeting"), link_to_doc(link)),
                              (channel_path(channel.channel_id), channel_to_doc(channel))):
                batch.count()
                batch.batch.set(client.document(path), doc)
        uow.commit()


def tick(url: str, control: Any, counts: Any, queue_counter: list[int]) -> dict[str, Any]:
    """One POST to each scheduled job; what it cost."""
    control.clear_request_log()
    counts.reads = counts.writes = counts.queries = 0
    queue_counter[0] = 0
    answers = {}
    for job in JOBS:
        answer = requests.post(url + job, json={}, timeout=300)
        answer.raise_for_status()
        answers[job] = answer.json()
    return {"calendar_calls": len(control.request_log()), "pubsub_messages": queue_counter[0],
            "firestore_reads": counts.reads, "firestore_queries": counts.queries,
            "firestore_writes": counts.writes, "answers": answers}


def run(stack: Any, url: str, users: int) -> int:
    from google.api_core.exceptions import AlreadyExists
    from google.cloud import firestore, pubsub_v1

    from functions.bootstrap import services
    from functions.config import get_settings
    from functions.store.firestore_stores import FirestoreStores
    from sandbox.control import SandboxControl

    control = SandboxControl(stack.url("sandbox"))
    control.reset()
    stack.clear_firestore()
    publisher = pubsub_v1.PublisherClient()
    try:
        publisher.create_topic(name=publisher.topic_path(stack.project_id, get_settings().sync_topic))
    except AlreadyExists:
        pass
    client = firestore.Client(project=stack.project_id)
    stores = FirestoreStores(client)
    now = datetime.now(UTC)

    served = services()  # the very services the functions server uses (same process, same key)
    counts = count_firestore(served.adapters.stores.client)  # type: ignore[attr-defined]
    counts.queries = 0  # type: ignore[attr-defined]
    api = served.adapters.stores.client._firestore_api  # type: ignore[attr-defined]
    run_query = api.run_query

    def counted_query(*args: Any, **kwargs: Any) -> Any:
        counts.queries += 1  # type: ignore[attr-defined]
        return run_query(*args, **kwargs)

    api.run_query = counted_query
    published = [0]
    queue = served.adapters.queue
    publish_many = queue.publish_many  # type: ignore[union-attr]

    def counted_publish_many(tasks: Any) -> int:
        tasks = list(tasks)
        published[0] += len(tasks)
        return publish_many(tasks)

    queue.publish_many = counted_publish_many  # type: ignore[union-attr]
    queue.publish = lambda task: counted_publish_many([task])  # type: ignore[union-attr]

    seed(stores, client, 0, FIRST, now)
    tick(url, control, counts, published)  # warm-up: clients built, settings read
    small = tick(url, control, counts, published)
    seed(stores, client, FIRST, users, now)
    large = tick(url, control, counts, published)

    # The control: one user's safety-net poll falls due, so the counters must see one query result and
    # one message (the worker is not running here: nothing calls Google).
    client.document("users/idle-00000/links/Meeting").update({"next_poll_at": now - timedelta(minutes=1)})
    control_run = tick(url, control, counts, published)
    print(f"control, one link due: {control_run['pubsub_messages']} message, {control_run['firestore_reads']} "
          f"document read, {control_run['calendar_calls']} Google calls (the counters count)")

    for label, figures in ((f"{FIRST} users", small), (f"{users} users", large)):
        print(f"one tick of {', '.join(JOBS)} with {label} idle (live channels, nothing pending):")
        print(f"  Google: {figures['calendar_calls']} calls; Pub/Sub: {figures['pubsub_messages']} messages; "
              f"Firestore: {figures['firestore_reads']} documents read by {figures['firestore_queries']} queries "
              f"(+ {figures['firestore_writes']} writes)")
        for job, answer in figures["answers"].items():
            print(f"    {job}: {json.dumps(answer, sort_keys=True)}")
    print(f"  targets: 0 calls, 0 messages, reads not growing with idle users ({small['firestore_reads']} at "
          f"{FIRST}, {large['firestore_reads']} at {users})")
    print(json.dumps({
        "calendar_calls": large["calendar_calls"], "pubsub_messages": large["pubsub_messages"],
        "firestore_reads": large["firestore_reads"], "users": users,
        "firestore_reads_100": small["firestore_reads"], "firestore_queries": large["firestore_queries"],
        "firestore_writes": large["firestore_writes"],
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
