"""Huge and malformed activity bodies over HTTP: every refusal is a 4xx in the documented error shape that
names the wrong field, and leaves the store and Google exactly as they were (nothing half-written); text
that is merely unusual (right-to-left, emoji, combining marks) is kept and reaches Google unchanged."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from functions.core.activity_rules import MAX_DESCRIPTION
from functions.web.router import MAX_BODY_BYTES
from tests.integration.conftest import Api, SignedIn
from tests.integration.test_openapi import validate

GOOD = {"activity_type": "Meeting", "subject": "Kick-off", "start": "2026-12-07T09:00:00+01:00",
        "end": "2026-12-07T10:00:00+01:00", "time_zone": "Europe/Madrid"}


@dataclass(frozen=True)
class Bad:
    label: str
    body: Any  # a dict (merged into GOOD for a create, sent alone as a patch; None drops a field) or raw bytes
    status: int
    code: str
    field: str | None = None  # the field details.fields must name


def _with(**changes: Any) -> dict[str, Any]:
    return changes


NESTED = "[" * 20_000 + "]" * 20_000  # within the body cap, deeper than any parser's stack
BAD: list[Bad] = [
    # sizes
    Bad("1 MB description", _with(description="x" * 1_000_000), 413, "payload_too_large"),
    Bad("description one over the limit", _with(description="x" * (MAX_DESCRIPTION + 1)), 400, "invalid_activity",
        "description"),
    Bad("emoji description one over the limit", _with(description="\U0001f600" * (MAX_DESCRIPTION + 1)), 400,
        "invalid_activity", "description"),
    Bad("subject of 256", _with(subject="s" * 256), 400, "invalid_activity", "subject"),
    Bad("101 attendees", _with(attendees=[{"email": f"g{i}@example.com"} for i in range(101)]), 400,
        "invalid_activity", "attendees"),
    # unicode that cannot be stored or sent
    Bad("lone surrogate in the subject", _with(subject="a\ud800b"), 400, "invalid_json", "subject"),
    Bad("lone surrogate in the description", _with(description="\udfff"), 400, "invalid_json", "description"),
    Bad("lone surrogate in a time zone", _with(time_zone="Europe/Madrid\ud800"), 400, "invalid_json", "time_zone"),
    Bad("lone surrogate in an attendee", _with(attendees=[{"email": "a@example.com", "display_name": "\ud83d"}]),
        400, "invalid_json", "attendees[0].display_name"),
    Bad("lone surrogate in a field name", _with(**{"x\udc00": 1}), 400, "invalid_json", "x?"),
    Bad("NUL in the subject", _with(subject="a\x00b"), 400, "invalid_json", "subject"),
    Bad("NUL in the location", _with(location="Room\x001"), 400, "invalid_json", "location"),
    Bad("not UTF-8", b'{"subject": "\xff\xfe"}', 400, "invalid_json"),
    # dates out of range or impossible
    Bad("year 0", _with(start="0000-01-01T09:00:00+00:00", end="0000-01-01T10:00:00+00:00"), 400,
        "invalid_activity", "start"),
    Bad("year 10000", _with(start="10000-01-01T09:00:00+00:00", end="10000-01-01T10:00:00+00:00"), 400,
        "invalid_activity", "start"),
    Bad("year 1 east of UTC", _with(start="0001-01-01T00:30:00+01:00", end="0001-01-01T02:00:00+01:00"), 400,
        "invalid_activity", "start"),
    Bad("year 9999 west of UTC", _with(start="9999-12-31T20:00:00-05:00", end="9999-12-31T21:00:00-05:00"), 400,
        "invalid_activity", "start"),
    Bad("31 February", _with(start="2027-02-31T09:00:00+01:00", end="2027-02-31T10:00:00+01:00"), 400,
        "invalid_activity", "start"),
    Bad("end before start", _with(end="2026-12-07T08:00:00+01:00"), 400, "invalid_activity", "end"),
    Bad("no offset", _with(start="2026-12-07T09:00:00", end="2026-12-07T10:00:00"), 400, "invalid_activity",
        "start"),
    Bad("a time zone that does not exist", _with(time_zone="Mars/Olympus_Mons"), 400, "invalid_activity",
        "time_zone"),
    Bad("a time zone as a path", _with(time_zone="../../etc/passwd"), 400, "invalid_activity", "time_zone"),
    Bad("all-day 30 February", _with(all_day=True, start_date="2027-02-30", end_date="2027-02-30", start=None,
                                     end=None, time_zone=None), 400, "invalid_activity", "start_date"),
    Bad("all-day year 0", _with(all_day=True, start_date="0000-01-01", end_date="0000-01-01", start=None, end=None,
                                time_zone=None), 400, "invalid_activity", "start_date"),
    Bad("all-day end before start", _with(all_day=True, start_date="2027-01-02", end_date="2027-01-01", start=None,
                                          end=None, time_zone=None), 400, "invalid_activity", "end_date"),
    Bad("all-day on 31 December 9999", _with(all_day=True, start_date="9999-12-31", end_date="9999-12-31",
                                             start=None, end=None, time_zone=None), 400, "invalid_activity",
        "end_date"),
    # wrong types
    Bad("subject a number", _with(subject=42), 400, "invalid_activity", "subject"),
    Bad("subject NaN", b'{"activity_type": "Meeting", "subject": NaN}', 400, "invalid_json"),
    Bad("subject Infinity", b'{"activity_type": "Meeting", "subject": Infinity}', 400, "invalid_json"),
    Bad("subject an object", _with(subject={"text": "x"}), 400, "invalid_activity", "subject"),
    Bad("all_day a string", _with(all_day="yes"), 400, "invalid_activity", "all_day"),
    Bad("start a number", _with(start=1764000000), 400, "invalid_activity", "start"),
    Bad("attendees a string", _with(attendees="a@example.com"), 400, "invalid_activity", "attendees"),
    Bad("an attendee a number", _with(attendees=[42]), 400, "invalid_activity", "attendees[0]"),
    Bad("an attendee not an email", _with(attendees=[{"email": "not an email"}]), 400, "invalid_activity",
        "attendees[0]"),
    Bad("recurrence a string", _with(recurrence="RRULE:FREQ=DAILY"), 400, "invalid_activity", "recurrence"),
    Bad("recurrence nested", _with(recurrence=[["RRULE:FREQ=DAILY"]]), 400, "invalid_activity", "recurrence"),
    Bad("recurrence UNTIL 99 December", _with(recurrence=["RRULE:FREQ=DAILY;UNTIL=20261299"]), 400,
        "invalid_activity", "recurrence"),
    Bad("recurrence UNTIL at the end of time", _with(recurrence=["RRULE:FREQ=DAILY;UNTIL=99991231T235959Z"]), 400,
        "invalid_activity", "recurrence"),
    Bad("recurrence UNTIL year 0", _with(recurrence=["RRULE:FREQ=DAILY;UNTIL=00000101"]), 400, "invalid_activity",
        "recurrence"),
    Bad("status unknown", _with(status="Done"), 400, "invalid_activity", "status"),
    Bad("sync from the client", _with(sync={"state": "synced"}), 400, "invalid_activity", "sync"),
    Bad("owner_uid by a user", _with(owner_uid="someone-else"), 403, "forbidden"),
    # nesting and shapes
    Bad("deeply nested", ('{"subject": ' + NESTED + "}").encode(), 400, "invalid_json"),
    Bad("nested in a field", _with(description={"a": [[[[[[[[[[{"b": [1]}]]]]]]]]]]}), 400, "invalid_activity",
        "description"),
    Bad("an array", b"[]", 400, "invalid_json"),
    Bad("a string", b'"Kick-off"', 400, "invalid_json"),
    Bad("null", b"null", 400, "invalid_json"),
    Bad("truncated", b'{"subject": "Kick', 400, "invalid_json"),
    Bad("over the body cap as a chunked stream", b"{" + b" " * (MAX_BODY_BYTES + 10) + b"}", 413,
        "payload_too_large"),
]


def _create_body(bad: Bad) -> Any:
    if isinstance(bad.body, bytes):
        return bad.body
    return {k: v for k, v in {**GOOD, **bad.body}.items() if v is not None}


def _patch_body(bad: Bad) -> Any:
    if isinstance(bad.body, bytes):
        return bad.body
    return {k: v for k, v in bad.body.items() if v is not None}


def send(url: str, method: str, token: str, body: Any, chunked: bool = False) -> requests.Response:
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode("utf-8", "backslashreplace")
    if chunked:
        data = iter([data])  # no Content-Length: the server must bound the read itself
    return requests.request(method, url, data=data, timeout=60,
                            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})


@dataclass
class Setup:
    url: str
    user: SignedIn
    activity_id: str
    calendar_id: str


@pytest.fixture
def setup(functions_url: str, api: Api, connected_user: SignedIn,
          calendars_of: Callable[[SignedIn], dict[str, str]]) -> Setup:
    calendar = calendars_of(connected_user)["CRM Meetings"]
    link = api.call("PUT", "links/Meeting", connected_user.token, {"calendar_id": calendar, "export": True})
    assert link.status_code == 200, link.text
    created = send(functions_url + "activities/", "POST", connected_user.token, GOOD)
    assert created.status_code == 201 and created.json()["sync"]["state"] == "synced", created.text
    return Setup(functions_url + "activities/", connected_user, created.json()["id"], calendar)


def world(firestore_db: Any, sandbox: Any, setup: Setup) -> tuple[Any, Any]:
    docs = {d.id: d.to_dict() for d in firestore_db.collection("activities").stream()}
    return docs, sandbox.owner_list_events(setup.user.email, setup.calendar_id)


def check_refusal(answer: requests.Response, bad: Bad) -> str | None:
    """Why the answer is not the expected refusal, or None."""
    try:
        body = answer.json()
        validate(body, "Error")
    except Exception as exc:  # noqa: BLE001 - reported with the case
        return f"{answer.status_code} not the error shape ({str(exc)[:80]}): {answer.text[:200]}"
    got = (answer.status_code, body["error"]["code"])
    if got != (bad.status, bad.code):
        return f"answered {got}, expected {(bad.status, bad.code)}: {answer.text[:300]}"
    fields = body["error"].get("details", {}).get("fields", {})
    if bad.field and bad.field not in fields:
        return f"details.fields {sorted(fields)} does not name {bad.field}"
    return None


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_every_bad_body_is_refused_naming_the_problem_and_nothing_changes(
    setup: Setup, firestore_db: Any, sandbox: Any, method: str
) -> None:
    before = world(firestore_db, sandbox, setup)
    problems = []
    for bad in BAD:
        if method == "PATCH" and bad.label in ("owner_uid by a user",):
            continue  # a patch naming another owner is refused too, but as the admin-only move (test_activities)
        url = setup.url if method == "POST" else setup.url + setup.activity_id
        body = _create_body(bad) if method == "POST" else _patch_body(bad)
        answer = send(url, method, setup.user.token, body, chunked="chunked" in bad.label)
        problem = check_refusal(answer, bad)
        if problem:
            problems.append(f"{method} {bad.label}: {problem}")
    assert not problems, "\n".join(problems)
    assert world(firestore_db, sandbox, setup) == before, "a refused write changed the store or Google"


UNUSUAL = {
    "subject": "\u202eevil\u202c \u0645\u0631\u062d\u0628\u0627 \U0001f469\u200d\U0001f469\u200d\U0001f467 e\u0301",
    "description": "\U0001f600" * MAX_DESCRIPTION,  # at the limit, in characters beyond the BMP
    "location": "\u05d9\u05e8\u05d5\u05e9\u05dc\u05d9\u05dd\t\u00a0\n2nd floor",
}


def test_unusual_but_valid_text_is_kept_and_reaches_google_unchanged(setup: Setup, sandbox: Any) -> None:
    created = send(setup.url, "POST", setup.user.token, {**GOOD, **UNUSUAL})
    assert created.status_code == 201, created.text
    assert created.json()["sync"]["state"] == "synced", created.json()["sync"]
    for name, value in UNUSUAL.items():
        assert created.json()[name] == value, name
    read = requests.get(setup.url + created.json()["id"], timeout=30,
                        headers={"Authorization": f"Bearer {setup.user.token}"}).json()
    assert {name: read[name] for name in UNUSUAL} == UNUSUAL
    events = [e for e in sandbox.owner_list_events(setup.user.email, setup.calendar_id)
              if e.get("summary") == UNUSUAL["subject"]]
    assert len(events) == 1
    assert (events[0]["description"], events[0]["location"]) == (UNUSUAL["description"], UNUSUAL["location"])
