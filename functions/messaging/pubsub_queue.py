"""The per-user work queue on Pub/Sub: each task one message on ``CALBRIDGE_SYNC_TOPIC``.

The publisher client is built on the first publish, never at import (cold starts). ``publish`` waits
for Pub/Sub to accept the message, so a job that returns has had every task it counted accepted;
``publish_many`` sends a job's tasks together and waits for all of them (one round of futures, not one
round trip after another). No ordering key: tasks of one user may run in any order, each looks at the
current state (functions/core/sync_task.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from functions.core.sync_task import SyncTask, encode_task

PUBLISH_TIMEOUT_S = 60.0


class PubSubTaskQueue:
    def __init__(self, project_id: str, topic: str, timeout_s: float = PUBLISH_TIMEOUT_S) -> None:
        self.project_id = project_id
        self.topic = topic
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._client: Any = None
        self._topic_path = ""

    def _publisher(self) -> tuple[Any, str]:
        with self._lock:
            if self._client is None:
                from google.cloud import pubsub_v1

                self._client = pubsub_v1.PublisherClient()
                self._topic_path = self._client.topic_path(self.project_id, self.topic)
            return self._client, self._topic_path

    def publish(self, task: SyncTask) -> None:
        self.publish_many([task])

    def publish_many(self, tasks: Iterable[SyncTask]) -> int:
        """Publish every task and wait until Pub/Sub accepted each; the number published."""
        client, topic_path = self._publisher()
        futures = [client.publish(topic_path, encode_task(task), kind=str(task.kind)) for task in tasks]
        for future in futures:
            future.result(timeout=self.timeout_s)  # raises what Pub/Sub answered: the job fails, the tick retries
        return len(futures)
