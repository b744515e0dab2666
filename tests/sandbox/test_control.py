"""Control API: clients, faults, request log, reset, owner edits, schema helper."""

from __future__ import annotations

import time

import jsonschema
import pytest

from sandbox.control import SandboxControl, SandboxError

from .conftest import ALICE, Api, timed
from .discovery_schema import validate

EV = timed("2024-03-01T10:00:00Z", "2024-03-01T11:00:00Z", summary="x")


def test_oauth_client_ids_must_look_like_googles(sandbox: SandboxControl) -> None:
    for bad in (
        "client",
        "abc-def.apps.googleusercontent.com",
        "123-abc.example.com",
        "123-ABC.apps.googleusercontent.com",
    ):
        with pytest.raises(SandboxError) as info:
            sandbox.create_oauth_client(bad, "s", ["http://localhost/cb"])
        assert info.value.status == 400


@pytest.mark.parametrize(
    ("status", "reason", "domain"),
    [
        (429, "rateLimitExceeded", "usageLimits"),
        (403, "rateLimitExceeded", "usageLimits"),
        (500, "backendError", "global"),
        (503, "backendError", "global"),
    ],
)
def test_faults_next_n_calls(api: Api, sandbox: SandboxControl, status: int, reason: str, domain: str) -> None:
    sandbox.inject_fault(status=status, count=2)
    for _ in range(2):
        resp = api.list()
        assert resp.status_code == status
        err = resp.json()["error"]["errors"][0]
        assert (err["reason"], err["domain"]) == (reason, domain)
    assert api.list().status_code == 200


def test_fault_reason_rate_path_and_delay(api: Api, sandbox: SandboxControl) -> None:
    sandbox.inject_fault(status=403, reason="userRateLimitExceeded")
    resp = api.list()
    assert resp.json()["error"]["errors"][0]["reason"] == "userRateLimitExceeded"
    sandbox.inject_fault(status=500, rate=1.0, path_contains="/events/")
    assert api.list().status_code == 200  # path does not contain /events/
    assert api.get("someid00").status_code == 500
    sandbox.clear_faults()
    assert api.get("someid00").status_code == 404
    sandbox.inject_fault(status=503, rate=0.0)
    assert all(api.list().status_code == 200 for _ in range(5))
    sandbox.clear_faults()
    sandbox.inject_fault(delay_seconds=0.3, count=1)
    t = time.time()
    assert api.list().status_code == 200
    assert time.time() - t >= 0.3
    with pytest.raises(SandboxError):
        sandbox.inject_fault(status=418)


def test_request_log_and_counts(api: Api, sandbox: SandboxControl) -> None:
    sandbox.clear_request_log()
    ev = api.insert(EV).json()
    api.patch(ev["id"], {"summary": "y"})
    api.list()
    api.get("nope0000")
    log = sandbox.request_log()
    assert [e["method"] for e in log] == [
        "calendar.events.insert",
        "calendar.events.patch",
        "calendar.events.list",
        "calendar.events.get",
    ]
    assert log[0]["http_method"] == "POST" and log[0]["path"] == "/calendar/v3/calendars/primary/events"
    assert log[-1]["status"] == 404 and isinstance(log[0]["ts"], float)
    assert sandbox.request_counts() == {
        "calendar.events.insert": 1,
        "calendar.events.patch": 1,
        "calendar.events.list": 1,
        "calendar.events.get": 1,
    }
    sandbox.clear_request_log()
    assert sandbox.request_log() == []


def test_reset_wipes_everything(api: Api, sandbox: SandboxControl) -> None:
    api.insert(EV)
    sandbox.inject_fault(status=500, count=5)
    sandbox.reset()
    assert sandbox.accounts() == [] and sandbox.faults() == [] and sandbox.request_log() == []
    assert api.list().status_code == 401  # tokens are gone too


def test_owner_edits(api: Api, sandbox: SandboxControl) -> None:
    cal = sandbox.create_calendar(ALICE, "Team", "America/New_York")
    ev = sandbox.owner_insert_event(ALICE, cal["id"], EV)
    assert ev["start"]["dateTime"] == "2024-03-01T05:00:00-05:00"
    assert api.get(ev["id"], cal=cal["id"]).json()["etag"] == ev["etag"]
    patched = sandbox.owner_patch_event(ALICE, cal["id"], ev["id"], {"summary": "z"})
    assert patched["etag"] != ev["etag"] and patched["summary"] == "z"
    sandbox.owner_delete_event(ALICE, cal["id"], ev["id"])
    assert api.get(ev["id"], cal=cal["id"]).json()["status"] == "cancelled"
    with pytest.raises(SandboxError) as info:
        sandbox.owner_delete_event(ALICE, cal["id"], ev["id"])
    assert info.value.status == 410
    assert len(sandbox.owner_list_events(ALICE, cal["id"])) == 1


def test_schema_helper_rejects_wrong_types() -> None:
    validate("Event", {"id": "a", "sequence": 1, "start": {"dateTime": "2024-01-01T00:00:00Z"}})
    for bad in (
        {"sequence": "1"},
        {"start": {"dateTime": "yesterday"}},
        {"summary": 3},
        {"bogus": True},
        {"attendees": [{"email": 1}]},
    ):
        with pytest.raises(jsonschema.ValidationError):
            validate("Event", bad)
    with pytest.raises(jsonschema.ValidationError):
        validate("Channel", {"expiration": 123})
