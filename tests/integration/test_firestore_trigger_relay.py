"""The dev stack's stand-in for Eventarc on Firestore writes (devstack/firestore_trigger.py), against a
recording HTTP target: the emulator's base64 body arrives decoded, in binary mode with the ce-* headers;
a 5xx is retried; with no target, events are acknowledged and dropped."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from devstack import firestore_trigger
from devstack.firestore_trigger import FirestoreTriggerRelay
from devstack.processes import free_port

EMULATOR_HEADERS = {
    "ce-specversion": "1.0", "ce-type": "google.cloud.firestore.document.v1.written", "ce-id": "e-1",
    "ce-source": "//firestore.googleapis.com/projects/projects/demo-calbridge/databases/(default)",
    "ce-document": "activities/a1", "Content-Type": "application/protobuf", "User-Agent": "Google-HTTP-Java-Client",
}


class Target:
    """Records what reaches /on_activity_write; answers the given statuses in turn, then 200."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.received: list[tuple[dict[str, str], bytes]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        assert request.path == "/on_activity_write"
        self.received.append(({k.lower(): v for k, v in request.headers.items()}, request.get_data()))
        status = self.statuses.pop(0) if self.statuses else 200
        return Response("", status=status)(environ, start_response)


@pytest.fixture
def served() -> Iterator[tuple[Target, str]]:
    target = Target([503])
    server = make_server("127.0.0.1", 0, target, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield target, f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()


@pytest.fixture
def relay(monkeypatch: pytest.MonkeyPatch) -> Iterator[FirestoreTriggerRelay]:
    monkeypatch.setattr(firestore_trigger, "RETRY_DELAYS", (0.05, 0.05))
    started = FirestoreTriggerRelay("127.0.0.1", free_port()).start()
    try:
        yield started
    finally:
        started.stop()


def post_as_the_emulator(relay: FirestoreTriggerRelay, body: bytes) -> requests.Response:
    url = f"http://{relay.address}/functions/projects/demo-calbridge/triggers/demo-calbridge:on_activity_write"
    return requests.post(url, data=base64.b64encode(body), headers=EMULATOR_HEADERS, timeout=10)


def test_an_event_is_delivered_as_eventarc_does_and_a_5xx_is_retried(
    relay: FirestoreTriggerRelay, served: tuple[Target, str]
) -> None:
    target, url = served
    relay.forward_to(url)
    assert post_as_the_emulator(relay, b"\x0a\x02protobuf").status_code == 200
    assert relay.wait_idle()
    assert len(target.received) == 2  # a 503, then the retry
    headers, body = target.received[-1]
    assert body == b"\x0a\x02protobuf"
    assert headers["content-type"] == "application/protobuf"
    assert headers["ce-type"] == "google.cloud.firestore.document.v1.written"
    assert headers["ce-source"] == "//firestore.googleapis.com/projects/demo-calbridge/databases/(default)"
    assert "user-agent" not in headers or "Java" not in headers["user-agent"]
    assert (relay.delivered, relay.dropped) == (1, 0)


def test_without_a_target_events_are_acknowledged_and_dropped(
    relay: FirestoreTriggerRelay, served: tuple[Target, str]
) -> None:
    target, _url = served
    assert post_as_the_emulator(relay, b"\x0a\x00").status_code == 200
    assert relay.wait_idle()
    assert target.received == []
    assert (relay.delivered, relay.dropped) == (0, 1)


def test_a_function_that_keeps_failing_is_given_up_after_the_retries(
    relay: FirestoreTriggerRelay, served: tuple[Target, str]
) -> None:
    target, url = served
    target.statuses[:] = [500] * 10
    relay.forward_to(url)
    post_as_the_emulator(relay, b"\x0a\x00")
    assert relay.wait_idle()
    assert len(target.received) == 3  # the first try and two retries
    assert (relay.delivered, relay.dropped) == (0, 1)
