"""Plays Eventarc for Firestore writes: ``activities/{id}`` writes on the emulator reach ``on_activity_write``.

The official Firestore emulator delivers document events itself when started with
``--functions_emulator HOST:PORT`` and given a trigger (``POST /emulator/v1/projects/{p}/eventarcTrigger``,
the registration firebase-tools uses): for each matching write it POSTs a binary-mode CloudEvent
(``ce-type: google.cloud.firestore.document.v1.written``, ``ce-document``, ...) whose body is the
protobuf ``DocumentEventData``, base64-encoded (firebase-tools' functions emulator decodes it). This
relay listens where the emulator was told the functions emulator is, decodes the body, and posts the
event to the functions server as Eventarc does in production: binary mode, ``ce-*`` headers,
``application/protobuf`` body. A delivery that fails (5xx, no answer) is retried a few times with
backoff, as Eventarc's retry policy would (shortened). Events arriving while nothing is set to
receive them (``forward_to(None)``, the default) are acknowledged and dropped, so tests that do not
ask for export on write see no trigger.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

log = logging.getLogger("devstack.firestore_trigger")

FUNCTION = "on_activity_write"
EVENT_TYPE = "google.cloud.firestore.document.v1.written"
DOCUMENT_PATTERN = "activities/{id}"
RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)  # seconds before each retry of a failed delivery
PASSED_HEADERS = ("content-type",)  # plus every ce-* header


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes


@dataclass
class FirestoreTriggerRelay:
    """Receives the emulator's document events on ``host:port``; forwards them to ``<base_url>on_activity_write``."""

    host: str
    port: int
    target: str | None = None
    delivered: int = 0  # events the function accepted
    dropped: int = 0  # events with no target, or refused after every retry
    _queue: queue.Queue[Delivery | None] = field(default_factory=queue.Queue)
    _server: ThreadingHTTPServer | None = None
    _threads: list[threading.Thread] = field(default_factory=list)
    _unfinished: int = 0  # received and not yet delivered or dropped
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> FirestoreTriggerRelay:
        relay = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("content-length") or 0)
                relay._accept(dict(self.headers.items()), self.rfile.read(length))
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"status": "acknowledged"}')

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's name
                log.debug(format, *args)

        self._server = ThreadingHTTPServer((self.host, self.port), Handler)
        self._server.daemon_threads = True
        for target, name in ((self._server.serve_forever, "firestore-trigger-http"),
                             (self._deliver_loop, "firestore-trigger-delivery")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def register(self, firestore_address: str, project_id: str) -> None:
        """Tell the emulator to send writes of ``activities/{id}`` here (idempotent)."""
        body = {"eventType": EVENT_TYPE, "database": "(default)", "namespace": "(default)",
                "document": {"value": DOCUMENT_PATTERN, "matchType": "PATH_PATTERN"}}
        url = (f"http://{firestore_address}/emulator/v1/projects/{project_id}/eventarcTrigger"
               f"?eventarcTriggerId={project_id}:{FUNCTION}")
        started = time.monotonic()
        requests.post(url, data=json.dumps(body), headers={"content-type": "application/json"},
                      timeout=60).raise_for_status()
        log.info("trigger registered in %.1f s", time.monotonic() - started)

    def forward_to(self, base_url: str | None) -> None:
        """Deliver to ``<base_url>on_activity_write`` from now on (None: acknowledge and drop)."""
        self.target = base_url

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """True once every event received so far was delivered (or dropped)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if self._unfinished == 0:
                    return True
            time.sleep(0.05)
        return False

    def stop(self) -> None:
        self._stopping.set()
        self._queue.put(None)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)

    # ------------------------------------------------------------------ internals
    def _accept(self, headers: dict[str, str], body: bytes) -> None:
        lowered = {k.lower(): v for k, v in headers.items()}
        try:
            payload = base64.b64decode(body, validate=True)  # the emulator base64-encodes the protobuf body
        except (binascii.Error, ValueError):
            payload = body
        kept = {k: v for k, v in lowered.items() if k.startswith("ce-") or k in PASSED_HEADERS}
        # The emulator says //firestore.googleapis.com/projects/projects/P/...; Eventarc says .../projects/P/...
        if "ce-source" in kept:
            kept["ce-source"] = kept["ce-source"].replace("/projects/projects/", "/projects/")
        with self._lock:
            self._unfinished += 1
        self._queue.put(Delivery(kept, payload))

    def _deliver_loop(self) -> None:
        while not self._stopping.is_set():
            delivery = self._queue.get()
            if delivery is None:
                return
            try:
                self._deliver(delivery)
            finally:
                with self._lock:
                    self._unfinished -= 1

    def _deliver(self, delivery: Delivery) -> None:
        for delay in (0.0, *RETRY_DELAYS):
            target = self.target
            if target is None or self._stopping.wait(delay):
                self.dropped += 1
                return
            try:
                answer = requests.post(target + FUNCTION, data=delivery.body, headers=delivery.headers, timeout=120)
            except requests.RequestException as exc:
                log.warning("%s: delivery failed (%s); retrying", FUNCTION, exc)
                continue
            if answer.status_code < 300:
                self.delivered += 1
                return
            log.warning("%s answered %s; retrying", FUNCTION, answer.status_code)
        self.dropped += 1
        log.error("%s: event %s given up after %d tries", FUNCTION, delivery.headers.get("ce-id"),
                  1 + len(RETRY_DELAYS))
