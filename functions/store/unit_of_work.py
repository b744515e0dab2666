"""Units of work: writes staged by several stores, applied together.

``FirestoreUnitOfWork`` is one Firestore write batch (atomic, at most 500 writes);
``InMemoryUnitOfWork`` keeps the staged changes as closures and applies them under the
in-memory database's lock. A store stages only on its own backend's unit of work.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from functions.store.errors import AlreadyExists, MissingDocument, UnitOfWorkError

MAX_BATCH_WRITES = 500


class FirestoreUnitOfWork:
    """A Firestore ``WriteBatch``; stores stage on ``batch`` through :func:`firestore_batch`."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.batch = client.batch()
        self.writes = 0
        self.committed = False

    def count(self) -> None:
        self.writes += 1
        if self.writes > MAX_BATCH_WRITES:
            raise UnitOfWorkError(f"a Firestore batch holds at most {MAX_BATCH_WRITES} writes")

    def commit(self) -> None:
        if self.committed:
            raise UnitOfWorkError("this unit of work was committed already")
        self.committed = True
        if not self.writes:
            return
        from google.api_core.exceptions import AlreadyExists as FirestoreAlreadyExists
        from google.api_core.exceptions import Conflict, NotFound

        try:
            self.batch.commit()
        except NotFound as exc:
            raise MissingDocument(f"a staged update names a missing document: {exc.message}") from exc
        except (FirestoreAlreadyExists, Conflict) as exc:
            raise AlreadyExists(f"a staged create names an existing document: {exc.message}") from exc


class InMemoryUnitOfWork:
    """Staged closures applied in order, all under one lock, by ``commit()``; all or nothing:
    ``snapshot()`` returns what restores the stores if a change fails."""

    def __init__(self, lock: threading.RLock, snapshot: Callable[[], Callable[[], None]]) -> None:
        self.lock = lock
        self.snapshot = snapshot
        self.changes: list[Callable[[], None]] = []
        self.committed = False

    def stage(self, change: Callable[[], None]) -> None:
        self.changes.append(change)

    def commit(self) -> None:
        if self.committed:
            raise UnitOfWorkError("this unit of work was committed already")
        self.committed = True
        with self.lock:
            restore = self.snapshot()
            try:
                for change in self.changes:
                    change()
            except BaseException:
                restore()
                raise


def firestore_batch(uow: object) -> FirestoreUnitOfWork:
    if not isinstance(uow, FirestoreUnitOfWork):
        raise UnitOfWorkError(f"a Firestore store cannot stage on {type(uow).__name__}")
    return uow


def memory_batch(uow: object) -> InMemoryUnitOfWork:
    if not isinstance(uow, InMemoryUnitOfWork):
        raise UnitOfWorkError(f"an in-memory store cannot stage on {type(uow).__name__}")
    return uow
