"""The in-memory work queue, for fast tests: tasks kept in order, drained by the test."""

from __future__ import annotations

import threading

from functions.core.sync_task import SyncTask


class InMemoryTaskQueue:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.published: list[SyncTask] = []  # every task ever published, in order
        self._pending: list[SyncTask] = []

    def publish(self, task: SyncTask) -> None:
        with self._lock:
            self.published.append(task)
            self._pending.append(task)

    def drain(self) -> list[SyncTask]:
        """The tasks published since the last drain, oldest first."""
        with self._lock:
            tasks, self._pending = self._pending, []
        return tasks
