"""One local server that mounts every function of main.py at ``/<function_name>``.

Each function gets the app functions-framework builds for it in production, so requests
see what Cloud Functions gives them: the function's own path with the name stripped.
Also here: the ticker that plays Cloud Scheduler, and the pump that plays Eventarc's
Pub/Sub push to the CloudEvent worker.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import functions_framework
import requests
from flask import Flask, jsonify
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import BaseWSGIServer, make_server

from devstack.emulators import REPO_ROOT

log = logging.getLogger("devstack.server")

MAIN_SOURCE = str(REPO_ROOT / "main.py")
# The Firebase JS SDK for the settings pages; production loads it from Google's CDN instead.
FIREBASE_JS_DIR = REPO_ROOT / "node_modules" / "firebase"

# What Cloud Scheduler runs in production (see infra/), with the local interval in seconds.
SCHEDULED_JOBS: dict[str, float] = {"export_activities": 60, "import_events": 300, "renew_channels": 3600}
PUBSUB_WORKER = "sync_worker"


def function_signatures() -> dict[str, str]:
    """Entry points of main.py and their signature type (``http`` or ``cloudevent``), from main's own table."""
    import main

    return dict(main.SIGNATURES)


def build_app() -> Any:
    """The WSGI app: an index at ``/`` and every function mounted under its name."""
    signatures = function_signatures()
    mounts = {
        f"/{name}": _root_path_as_slash(
            functions_framework.create_app(target=name, source=MAIN_SOURCE, signature_type=kind)
        )
        for name, kind in signatures.items()
    }
    index = Flask("calbridge-dev", static_folder=str(FIREBASE_JS_DIR), static_url_path="/_static/firebasejs")

    @index.get("/")
    def list_functions() -> Any:
        # The Auth emulator's address lets `python -m devstack.token` sign a user in (local only).
        return jsonify({
            "functions": {name: f"/{name}" for name in sorted(signatures)},
            "types": signatures,
            "auth_emulator": os.environ.get("FIREBASE_AUTH_EMULATOR_HOST") or None,
        })

    return DispatcherMiddleware(index, mounts)


def _root_path_as_slash(app: Any) -> Any:
    """A request to ``/<name>`` reaches the function as ``/``, as on Cloud Functions."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        if not environ.get("PATH_INFO"):
            environ = dict(environ, PATH_INFO="/")
        return app(environ, start_response)

    return wsgi


@dataclass
class LocalServer:
    """The functions, served on one loopback port in a background thread."""

    host: str = "127.0.0.1"
    port: int = 0
    server: BaseWSGIServer | None = None
    thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://{self.host}:{self.server.server_port}/"

    def start(self) -> LocalServer:
        self.server = make_server(self.host, self.port, build_app(), threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, name="calbridge-functions", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@dataclass
class Ticker:
    """Plays Cloud Scheduler: POSTs to each scheduled job on its interval."""

    base_url: str
    jobs: dict[str, float] = field(default_factory=lambda: dict(SCHEDULED_JOBS))
    stop_event: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Ticker:
        for name, interval in self.jobs.items():
            threading.Thread(target=self._loop, args=(name, interval), name=f"tick-{name}", daemon=True).start()
        return self

    def _loop(self, name: str, interval: float) -> None:
        while not self.stop_event.wait(interval):
            try:
                answer = requests.post(self.base_url + name, json={}, timeout=120)
                log.info("scheduled %s -> %s", name, answer.status_code)
            except requests.RequestException as exc:
                log.warning("scheduled %s failed: %s", name, exc)

    def stop(self, delete_subscription: bool = False) -> None:
        """Stop pulling; with ``delete_subscription``, also drop the subscription (a per-test pump's own)."""
        self.stop_event.set()
        if delete_subscription:
            try:
                self._subscriber.delete_subscription(subscription=self._subscription_path)
            except Exception as exc:  # noqa: BLE001 - the emulator may be gone already
                log.debug("delete subscription: %s", exc)


@dataclass
class PubSubPump:
    """Plays Eventarc: pulls the sync topic on the emulator and pushes CloudEvents to the worker."""

    base_url: str
    project_id: str
    topic: str
    subscription: str = "calbridge-sync-worker"
    stop_event: threading.Event = field(default_factory=threading.Event)
    delivered: int = 0  # messages the worker accepted (2xx), so acknowledged

    def start(self) -> PubSubPump:
        from google.api_core.exceptions import AlreadyExists
        from google.cloud import pubsub_v1

        publisher = pubsub_v1.PublisherClient()
        self._subscriber = pubsub_v1.SubscriberClient()
        topic_path = publisher.topic_path(self.project_id, self.topic)
        self._subscription_path = self._subscriber.subscription_path(self.project_id, self.subscription)
        try:
            publisher.create_topic(name=topic_path)
        except AlreadyExists:
            pass
        try:
            self._subscriber.create_subscription(name=self._subscription_path, topic=topic_path)
        except AlreadyExists:
            pass
        threading.Thread(target=self._loop, name="pubsub-pump", daemon=True).start()
        return self

    def _loop(self) -> None:
        while not self.stop_event.is_set():
            try:
                response = self._subscriber.pull(
                    subscription=self._subscription_path, max_messages=10, timeout=5
                )
            except Exception as exc:  # noqa: BLE001 - keep pumping; log and retry
                if not self.stop_event.is_set():
                    log.debug("pull: %s", exc)
                self.stop_event.wait(1)
                continue
            acks = [m.ack_id for m in response.received_messages if self._deliver(m.message)]
            self.delivered += len(acks)
            if acks:
                try:
                    self._subscriber.acknowledge(subscription=self._subscription_path, ack_ids=acks)
                except Exception as exc:  # noqa: BLE001 - unacknowledged: Pub/Sub delivers again, as in production
                    log.debug("acknowledge: %s", exc)

    def _deliver(self, message: Any) -> bool:
        data = {
            "message": {
                "data": base64.b64encode(message.data).decode(),
                "attributes": dict(message.attributes),
                "messageId": message.message_id,
            },
            "subscription": self._subscription_path,
        }
        headers = {
            "ce-id": message.message_id or uuid.uuid4().hex,
            "ce-specversion": "1.0",
            "ce-type": "google.cloud.pubsub.topic.v1.messagePublished",
            "ce-source": f"//pubsub.googleapis.com/projects/{self.project_id}/topics/{self.topic}",
            "content-type": "application/json",
        }
        try:
            answer = requests.post(self.base_url + PUBSUB_WORKER, data=json.dumps(data), headers=headers, timeout=300)
        except requests.RequestException as exc:
            log.warning("worker delivery failed: %s", exc)
            return False
        return answer.status_code < 300

    def stop(self, delete_subscription: bool = False) -> None:
        """Stop pulling; with ``delete_subscription``, also drop the subscription (a per-test pump's own)."""
        self.stop_event.set()
        if delete_subscription:
            try:
                self._subscriber.delete_subscription(subscription=self._subscription_path)
            except Exception as exc:  # noqa: BLE001 - the emulator may be gone already
                log.debug("delete subscription: %s", exc)
