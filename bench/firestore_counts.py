"""Firestore reads and writes counted at the client's RPC layer (what Firestore bills), for the benches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class FirestoreCounts:
    reads: int = 0
    writes: int = 0

    @property
    def ops(self) -> int:
        return self.reads + self.writes


def count_firestore(client: Any) -> FirestoreCounts:
    """Wrap the client's RPC methods: documents read (by key: found or missing; by query: returned), writes."""
    counts = FirestoreCounts()
    api = client._firestore_api

    def counted_stream(method: Any, is_read: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for response in method(*args, **kwargs):
                if is_read(response):
                    counts.reads += 1
                yield response

        return wrapper

    def counted_commit(method: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            request = kwargs.get("request") or (args[0] if args else None)
            writes = request.get("writes") if isinstance(request, dict) else getattr(request, "writes", [])
            counts.writes += len(writes or [])
            return method(*args, **kwargs)

        return wrapper

    api.run_query = counted_stream(api.run_query, lambda r: bool(r.document and r.document.name))
    api.batch_get_documents = counted_stream(api.batch_get_documents, lambda r: bool(r.found.name or r.missing))
    api.commit = counted_commit(api.commit)
    return counts
