"""In-memory state of the sandbox (one lock; plain JSON-able dicts, so it snapshots)."""

from __future__ import annotations

import json
import os
import secrets
import string
import threading
import time
from typing import Any

from .timeutil import now_micros

_SNAPSHOT_KEYS = (
    "accounts",
    "calendars",
    "events",
    "clients",
    "grants",
    "refresh_tokens",
    "access_tokens",
    "codes",
    "channels",
    "sync_tokens",
    "seq",
    "last_us",
    "order",
)

# How long deleted events are kept: an older ``updatedMin`` answers 410 updatedMinTooLongAgo.
DEFAULT_UPDATED_MIN_HORIZON_DAYS = 28


def random_token(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


class State:
    """Everything the sandbox knows. Guard every access with ``state.lock``."""

    def __init__(self, access_token_ttl: int = 3600, snapshot_path: str | None = None) -> None:
        self.lock = threading.RLock()
        self.access_token_ttl = access_token_ttl
        self.snapshot_path = snapshot_path
        self.default_access_token_ttl = access_token_ttl
        self.default_push_retry_base = 0.5
        self.push_retry_base = 0.5
        self.push_max_attempts = 6
        self.push_supported = True  # False: every calendar refuses events.watch (a test knob)
        self.push_timeout = 5.0
        self.updated_min_horizon_days = DEFAULT_UPDATED_MIN_HORIZON_DAYS
        self.log: list[dict[str, Any]] = []
        self.faults: list[dict[str, Any]] = []
        self.page_tokens: dict[str, dict[str, Any]] = {}
        self.auth_requests: dict[str, dict[str, Any]] = {}
        self.dirty = False
        self._init_data()
        if snapshot_path and os.path.exists(snapshot_path):
            self.load(snapshot_path)

    def _init_data(self) -> None:
        self.accounts: dict[str, dict[str, Any]] = {}
        self.calendars: dict[str, dict[str, Any]] = {}
        self.events: dict[str, dict[str, dict[str, Any]]] = {}
        self.clients: dict[str, dict[str, Any]] = {}
        self.grants: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: dict[str, str] = {}
        self.access_tokens: dict[str, dict[str, Any]] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.sync_tokens: dict[str, dict[str, Any]] = {}
        self.seq = 0
        self.last_us = 0
        self.order = 0

    def reset(self) -> None:
        with self.lock:
            self._init_data()
            self.log = []
            self.faults = []
            self.page_tokens = {}
            self.auth_requests = {}
            self.push_retry_base = self.default_push_retry_base
            self.push_max_attempts = 6
            self.push_supported = True
            self.access_token_ttl = self.default_access_token_ttl
            self.updated_min_horizon_days = DEFAULT_UPDATED_MIN_HORIZON_DAYS
            self.dirty = True

    # ------------------------------------------------------------------ clocks
    def stamp(self) -> tuple[int, int]:
        """Next change sequence number and a strictly increasing timestamp (µs, ms-distinct)."""
        self.seq += 1
        us = max(now_micros(), self.last_us + 1000)
        self.last_us = us
        self.dirty = True
        return self.seq, us

    def next_order(self) -> int:
        self.order += 1
        return self.order

    def remember(self, table: dict[str, Any], key: str, value: Any, limit: int = 20000) -> None:
        """Store a page/sync token, dropping the oldest ones beyond ``limit`` (Google expires them too)."""
        table[key] = value
        while len(table) > limit:
            del table[next(iter(table))]

    # ------------------------------------------------------------------ request log
    def record(self, method: str, http_method: str, path: str, status: int) -> None:
        with self.lock:
            self.log.append(
                {"method": method, "http_method": http_method, "path": path, "status": status, "ts": time.time()}
            )

    # ------------------------------------------------------------------ snapshot
    def to_dict(self) -> dict[str, Any]:
        with self.lock:
            return {k: getattr(self, k) for k in _SNAPSHOT_KEYS}

    def save(self) -> None:
        if not self.snapshot_path:
            return
        with self.lock:
            data = json.dumps(self.to_dict())
            self.dirty = False
        tmp = self.snapshot_path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(data)
        os.replace(tmp, self.snapshot_path)

    def load(self, path: str) -> None:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        with self.lock:
            for k in _SNAPSHOT_KEYS:
                if k in data:
                    setattr(self, k, data[k])
