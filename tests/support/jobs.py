"""Run a scheduled job as Cloud Scheduler would and wait for the work it fanned out, for tests that check
what one tick did.

The job is POSTed to the functions server (it publishes its tasks to the Pub/Sub emulator); a pull
subscription made just before takes every task it published, and the continuations those publish, and
hands each to the worker of the server's own services (the server runs in the test process), one after
the other. The answer is the job's JSON with the workers' counts added up, so a test reads ``created``,
``synced`` or ``unlinked`` as it did when the job ran the work inline. (The asynchronous path, the dev
stack's pump POSTing CloudEvents to ``sync_worker``, is tests/integration/test_fanout.py.)
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import requests

EXPORT_FIELDS = ("synced", "pending", "errors", "not_exported", "deleted", "superseded")
IMPORT_FIELDS = ("calendars", "paused", "busy", "failed", "events", "created", "updated", "drifted", "unlinked",
                 "listed", "unlisted", "skipped", "unchanged", "errors", "list_calls")


def run_job(functions_url: str, project_id: str, name: str, timeout: float = 120) -> dict[str, Any]:
    def post() -> requests.Response:
        return requests.post(functions_url + name, json={}, timeout=timeout)

    fields = EXPORT_FIELDS if name == "export_activities" else IMPORT_FIELDS
    return run_with_tasks(project_id, post, fields, timeout)


def run_with_tasks(
    project_id: str, request: Any, fields: tuple[str, ...] = (), timeout: float = 120, expect: int | None = None
) -> dict[str, Any]:
    """``request()`` (an HTTP call that publishes sync tasks, e.g. a job or *Resync now*), then every task it
    published run by the worker; its JSON answer with the workers' counts added up. ``expect``: how many tasks
    to wait for when the answer does not say (``published``)."""
    from google.cloud import pubsub_v1

    from functions.bootstrap import services
    from functions.config import get_settings
    from functions.core.sync_task import decode_task
    from functions.services.worker_service import RetryLater

    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    topic = publisher.topic_path(project_id, get_settings().sync_topic)
    try:
        publisher.create_topic(name=topic)
    except Exception:  # noqa: BLE001 - AlreadyExists: made by an earlier test or the pump
        pass
    subscription = subscriber.subscription_path(project_id, f"job-{uuid.uuid4().hex[:10]}")
    subscriber.create_subscription(name=subscription, topic=topic)
    try:
        answer = request()
        assert answer.status_code in (200, 202), answer.text
        summary: dict[str, Any] = answer.json()
        totals: dict[str, int] = dict.fromkeys(fields, 0)
        expected, delivered = int(summary.get("published", 0)) if expect is None else expect, 0
        deadline = time.monotonic() + timeout
        while True:
            pulled = subscriber.pull(  # return_immediately: an empty subscription answers at once on the emulator
                request={"subscription": subscription, "max_messages": 100, "return_immediately": True}, timeout=10
            ).received_messages
            if not pulled and delivered >= expected:
                break
            assert time.monotonic() < deadline, f"{delivered} of {expected} tasks arrived"
            for received in pulled:
                try:
                    outcome = services().worker.handle(decode_task(received.message.data))
                except RetryLater as exc:
                    outcome = exc.outcome
                    totals["failed"] = totals.get("failed", 0) + 1
                for key, value in outcome.counts.items():
                    if key != "activities":  # the job's own answer counts the activities it found
                        totals[key] = totals.get(key, 0) + value
                delivered += 1
            if pulled:
                subscriber.acknowledge(subscription=subscription, ack_ids=[r.ack_id for r in pulled])
        return {**totals, **summary, "delivered": delivered}
    finally:
        subscriber.delete_subscription(subscription=subscription)
