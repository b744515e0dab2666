"""Push delivery: one background thread per live channel, ordered, with retries on 5xx."""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from typing import Any

import requests

from .state import State
from .timeutil import http_date

log = logging.getLogger("sandbox.push")
USER_AGENT = "APIs-Google; (+https://developers.google.com/webmasters/APIs-Google.html)"


class PushManager:
    """Queues notifications per channel and delivers them from worker threads."""

    def __init__(self, state: State) -> None:
        self.state = state
        self._lock = threading.Lock()
        self._workers: dict[str, tuple[threading.Thread, queue.Queue[Any], threading.Event]] = {}
        self.session = requests.Session()  # InProcessSandbox.deliver_push_to mounts on it

    def live_channels(self, calendar_id: str | None = None) -> list[dict[str, Any]]:
        now_ms = int(time.time() * 1000)
        with self.state.lock:
            return [
                dict(ch)
                for ch in self.state.channels.values()
                if int(ch["expiration"]) > now_ms and (calendar_id is None or ch["calendar_id"] == calendar_id)
            ]

    def _enqueue(self, channel_id: str, resource_state: str) -> None:
        with self._lock:
            worker = self._workers.get(channel_id)
            if worker is None or not worker[0].is_alive():
                q: queue.Queue[Any] = queue.Queue()
                stop = threading.Event()
                t = threading.Thread(
                    target=self._run, args=(channel_id, q, stop), name=f"push-{channel_id}", daemon=True
                )
                worker = (t, q, stop)
                self._workers[channel_id] = worker
                t.start()
            worker[1].put(resource_state)

    def notify_sync(self, channel_id: str) -> None:
        self._enqueue(channel_id, "sync")

    def notify_calendar(self, calendar_id: str) -> None:
        for ch in self.live_channels(calendar_id):
            self._enqueue(ch["id"], "exists")

    def stop_channel(self, channel_id: str) -> None:
        with self._lock:
            worker = self._workers.pop(channel_id, None)
        if worker is not None:
            worker[2].set()
            worker[1].put(None)

    def stop_all(self) -> None:
        with self._lock:
            workers = list(self._workers.values())
            self._workers.clear()
        for _, q, stop in workers:
            stop.set()
            q.put(None)

    def _run(self, channel_id: str, q: queue.Queue[Any], stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                item = q.get(timeout=30)
            except queue.Empty:
                with self._lock:  # idle: let the thread end; a new one starts on demand
                    if q.empty():
                        if self._workers.get(channel_id, (None,))[0] is threading.current_thread():
                            del self._workers[channel_id]
                        return
                continue
            if item is None or stop.is_set():
                return
            self._deliver(channel_id, item, stop)

    def _deliver(self, channel_id: str, resource_state: str, stop: threading.Event) -> None:
        with self.state.lock:
            ch = self.state.channels.get(channel_id)
            if ch is None or int(ch["expiration"]) <= int(time.time() * 1000):
                return
            ch["message_number"] = int(ch.get("message_number", 0)) + (
                1 if resource_state == "sync" else random.randint(1, 5)
            )
            number = ch["message_number"]
            ch = dict(ch)
            base, attempts = self.state.push_retry_base, self.state.push_max_attempts
            timeout = self.state.push_timeout
        headers = {
            "X-Goog-Channel-ID": ch["id"],
            "X-Goog-Channel-Expiration": http_date(int(ch["expiration"])),
            "X-Goog-Resource-ID": ch["resourceId"],
            "X-Goog-Resource-URI": ch["resourceUri"],
            "X-Goog-Resource-State": resource_state,
            "X-Goog-Message-Number": str(number),
            "User-Agent": USER_AGENT,
            "Content-Length": "0",
        }
        if ch.get("token"):
            headers["X-Goog-Channel-Token"] = ch["token"]
        for attempt in range(attempts):
            if stop.is_set():
                return
            status: int | None = None
            try:
                resp = self.session.post(
                    ch["address"], data=b"", headers=headers, timeout=timeout, allow_redirects=False
                )
                status = resp.status_code
            except requests.RequestException as exc:
                log.info("push to %s failed: %s", ch["address"], exc)
            with self.state.lock:
                self.state.record("push." + resource_state, "POST", ch["address"], status or 0)
            if status is not None and status < 500:
                if status not in (200, 201, 202, 204):
                    log.info("push to %s answered %s; not retried", ch["address"], status)
                return
            delay = base * (2**attempt) * (0.5 + random.random() / 2)
            if stop.wait(delay):
                return
        log.warning("push to %s dropped after %d attempts", ch["address"], attempts)
