"""``sync_worker``'s CloudEvent (Eventarc's Pub/Sub trigger) to one SyncTask for the worker service.

Acknowledge (return) or retry (raise), as Pub/Sub reads it:
- a message that is not a sync task: logged at ERROR and acknowledged (retrying cannot fix it);
- a task the worker skips or refuses (user gone, not connected, paused, no resync handler): acknowledged;
- a failure that may pass (RetryLater, Firestore or Pub/Sub unavailable, anything unexpected): raised, so
  Pub/Sub delivers it again with backoff, and after the configured attempts to the dead-letter topic.
"""

from __future__ import annotations

import base64
import binascii
import logging
from typing import Any

from functions.bootstrap import services
from functions.core.sync_task import SyncTask, TaskError, decode_task
from functions.services.worker_service import TaskOutcome

log = logging.getLogger(__name__)


def task_of(cloud_event: Any) -> SyncTask:
    """The task in a Pub/Sub CloudEvent (``data.message.data``, base64); TaskError naming what is wrong."""
    data = getattr(cloud_event, "data", None)
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, dict) or not isinstance(message.get("data"), str):
        raise TaskError("the event carries no Pub/Sub message data (data.message.data)")
    try:
        raw = base64.b64decode(message["data"], validate=True)
    except (binascii.Error, ValueError):
        raise TaskError("the Pub/Sub message data is not base64") from None
    return decode_task(raw)


def handle(cloud_event: Any) -> TaskOutcome | None:
    try:
        task = task_of(cloud_event)
    except TaskError as exc:
        event_id = cloud_event.get("id") if hasattr(cloud_event, "get") else None
        log.error("sync_worker dropped message %s: %s", event_id, exc, extra={"event": "sync_task_refused"})
        return None
    return services().worker.handle(task)
