"""The dev stack's stand-ins for Eventarc and Cloud Scheduler deliver what production would."""

from __future__ import annotations

import base64
import json
import queue
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from devstack.server import PubSubPump, Ticker
from devstack.stack import LocalStack


@pytest.fixture
def receiver() -> Iterator[tuple[str, queue.Queue]]:
    """A tiny HTTP server that records every POST (path, headers, body)."""
    received: queue.Queue = queue.Queue()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            received.put((self.path, dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/", received
    server.shutdown()
    server.server_close()


def test_pubsub_pump_pushes_messages_as_pubsub_cloudevents(stack: LocalStack, receiver) -> None:
    from google.cloud import pubsub_v1

    url, received = receiver
    topic = f"sync-{uuid.uuid4().hex[:8]}"
    pump = PubSubPump(url, stack.project_id, topic, subscription=f"{topic}-worker").start()
    try:
        publisher = pubsub_v1.PublisherClient()
        publisher.publish(publisher.topic_path(stack.project_id, topic), b'{"uid":"alice"}', job="export").result(30)
        path, headers, body = received.get(timeout=30)
    finally:
        pump.stop()

    assert path == "/sync_worker"
    assert headers["ce-type"] == "google.cloud.pubsub.topic.v1.messagePublished"
    assert headers["ce-source"] == f"//pubsub.googleapis.com/projects/{stack.project_id}/topics/{topic}"
    message = json.loads(body)["message"]
    assert json.loads(base64.b64decode(message["data"])) == {"uid": "alice"}
    assert message["attributes"] == {"job": "export"}


def test_ticker_fires_each_scheduled_job(receiver) -> None:
    url, received = receiver
    ticker = Ticker(url, jobs={"export_activities": 0.2, "renew_channels": 0.2}).start()
    try:
        paths = {received.get(timeout=10)[0] for _ in range(4)}
    finally:
        ticker.stop()
    assert paths == {"/export_activities", "/renew_channels"}
