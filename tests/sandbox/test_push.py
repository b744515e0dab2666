"""Push: watch creates a channel; notifications arrive with Google's headers; retries; stop; expiry."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from sandbox.control import SandboxControl

from .conftest import ALICE, Api, timed

EV = timed("2024-03-01T10:00:00Z", "2024-03-01T11:00:00Z", summary="x")


class Receiver:
    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.fail_next = 0
        self.cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                with receiver.cond:
                    if receiver.fail_next:
                        receiver.fail_next -= 1
                        status = 503
                    else:
                        status = 200
                    receiver.received.append({"headers": dict(self.headers), "body": body, "status": status})
                    receiver.cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def ok(self) -> list[dict[str, Any]]:
        return [r for r in self.received if r["status"] == 200]

    def wait_for(self, n: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        deadline = time.time() + timeout
        with self.cond:
            while len(self.ok()) < n and time.time() < deadline:
                self.cond.wait(timeout=deadline - time.time())
            return self.ok()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def watch(api: Api, address: str, chan_id: str = "chan-1", **extra: Any) -> dict[str, Any]:
    body = {"id": chan_id, "type": "web_hook", "address": address, **extra}
    resp = api.call("calendar.events.watch", "POST", "calendars/primary/events/watch", json=body)
    assert resp.status_code == 200, resp.text
    return resp.json()


def test_watch_sync_then_exists_with_headers(api: Api, receiver: Receiver, sandbox: SandboxControl) -> None:
    ch = watch(api, receiver.url, token="secret-token", params={"ttl": "3600"})
    assert ch["kind"] == "api#channel" and ch["id"] == "chan-1" and ch["token"] == "secret-token"
    assert isinstance(ch["expiration"], str) and int(ch["expiration"]) > time.time() * 1000 + 3500_000
    first = receiver.wait_for(1)
    assert first[0]["headers"]["X-Goog-Resource-State"] == "sync"
    api.insert(EV)
    sandbox.owner_insert_event(ALICE, ALICE, EV)
    got = receiver.wait_for(3)
    assert [g["headers"]["X-Goog-Resource-State"] for g in got] == ["sync", "exists", "exists"]
    numbers = [int(g["headers"]["X-Goog-Message-Number"]) for g in got]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    for g in got:
        h = g["headers"]
        assert g["body"] == b""
        assert h["X-Goog-Channel-ID"] == "chan-1"
        assert h["X-Goog-Channel-Token"] == "secret-token"
        assert h["X-Goog-Resource-ID"] == ch["resourceId"]
        assert h["X-Goog-Resource-URI"] == ch["resourceUri"]
        assert h["X-Goog-Channel-Expiration"].endswith(" GMT")
    assert [c["id"] for c in sandbox.channels()] == ["chan-1"]
    dup = api.call(
        "calendar.events.watch",
        "POST",
        "calendars/primary/events/watch",
        json={"id": "chan-1", "type": "web_hook", "address": receiver.url},
    )
    assert dup.status_code == 400


def test_retries_on_5xx(api: Api, receiver: Receiver, sandbox: SandboxControl) -> None:
    sandbox.configure(push_retry_base_seconds=0.05)
    receiver.fail_next = 2
    watch(api, receiver.url)
    got = receiver.wait_for(1)
    assert got[0]["headers"]["X-Goog-Resource-State"] == "sync"
    assert [r["status"] for r in receiver.received] == [503, 503, 200]


def test_stop_and_expiry_end_notifications(api: Api, receiver: Receiver, sandbox: SandboxControl) -> None:
    ch = watch(api, receiver.url)
    receiver.wait_for(1)
    bad = api.call("calendar.channels.stop", "POST", "channels/stop", json={"id": ch["id"], "resourceId": "wrong"})
    assert bad.status_code == 404
    stop = api.call(
        "calendar.channels.stop", "POST", "channels/stop", json={"id": ch["id"], "resourceId": ch["resourceId"]}
    )
    assert stop.status_code == 204
    api.insert(EV)
    ch2 = watch(api, receiver.url, chan_id="chan-2")
    receiver.wait_for(2)
    sandbox.expire_channels("chan-2")
    assert sandbox.channels() == []
    api.insert(EV)
    time.sleep(0.3)
    assert [r["headers"]["X-Goog-Channel-ID"] for r in receiver.ok()] == ["chan-1", "chan-2"]
    gone = api.call(
        "calendar.channels.stop", "POST", "channels/stop", json={"id": ch2["id"], "resourceId": ch2["resourceId"]}
    )
    assert gone.status_code == 404


def test_resource_id_is_the_watched_resources_and_stop_needs_the_pair(
    api: Api, receiver: Receiver, sandbox: SandboxControl
) -> None:
    old = watch(api, receiver.url, chan_id="chan-old")
    new = watch(api, receiver.url, chan_id="chan-new")  # renewal overlap: same calendar, same resource
    assert old["resourceId"] == new["resourceId"]
    other_cal = sandbox.create_calendar(ALICE, "Other")
    body = {"id": "chan-other", "type": "web_hook", "address": receiver.url}
    other = api.call("calendar.events.watch", "POST", f"calendars/{other_cal['id']}/events/watch", json=body).json()
    assert other["resourceId"] != old["resourceId"]
    receiver.wait_for(3)
    wrong_pair = api.call(
        "calendar.channels.stop", "POST", "channels/stop", json={"id": old["id"], "resourceId": other["resourceId"]}
    )
    assert wrong_pair.status_code == 404
    stop = api.call(
        "calendar.channels.stop", "POST", "channels/stop", json={"id": old["id"], "resourceId": old["resourceId"]}
    )
    assert stop.status_code == 204
    api.insert(EV)
    got = receiver.wait_for(4)
    assert got[-1]["headers"]["X-Goog-Channel-ID"] == "chan-new"
    assert got[-1]["headers"]["X-Goog-Resource-ID"] == old["resourceId"]


@pytest.mark.parametrize("address", ["http://calbridge.example.com/calendar_webhook", "ftp://127.0.0.1/x",
                                     "https:///no-host", "http://10.0.0.8/calendar_webhook"])
def test_watch_refuses_an_address_google_would_not_deliver_to(api: Api, sandbox: SandboxControl, address: str) -> None:
    body = {"id": "chan-http", "type": "web_hook", "address": address}
    resp = api.call("calendar.events.watch", "POST", "calendars/primary/events/watch", json=body)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"]["errors"][0]["reason"] == "push.webhookUrlNotHttps"
    assert sandbox.channels() == []


def test_https_and_loopback_http_are_accepted(api: Api, sandbox: SandboxControl, receiver: Receiver) -> None:
    watch(api, "https://calbridge.example.com/calendar_webhook", chan_id="chan-https")
    watch(api, receiver.url.replace("127.0.0.1", "localhost"), chan_id="chan-loopback")
    assert sorted(c["id"] for c in sandbox.channels()) == ["chan-https", "chan-loopback"]


def test_a_calendar_without_push_refuses_watch(api: Api, sandbox: SandboxControl, receiver: Receiver) -> None:
    cal = sandbox.create_calendar(ALICE, "Holidays", push_supported=False)
    body = {"id": "chan-holidays", "type": "web_hook", "address": receiver.url}
    resp = api.call("calendar.events.watch", "POST", f"calendars/{cal['id']}/events/watch", json=body)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"]["errors"][0]["reason"] == "pushNotSupportedForRequestedResource"
    assert sandbox.channels() == []


def test_with_push_switched_off_every_calendar_refuses_watch_until_reset(
    api: Api, sandbox: SandboxControl, receiver: Receiver
) -> None:
    assert sandbox.configure(push_supported=False)["push_supported"] is False
    body = {"id": "chan-off", "type": "web_hook", "address": receiver.url}
    resp = api.call("calendar.events.watch", "POST", "calendars/primary/events/watch", json=body)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"]["errors"][0]["reason"] == "pushNotSupportedForRequestedResource"
    sandbox.reset()
    assert sandbox.configure()["push_supported"] is True
