"""The pure core against hostile activity bodies (Hypothesis): whatever a client sends, validation answers
with field errors or a valid activity, and a valid activity always has a storable range, a Google event body
and a content hash: no exception escapes to become a 500."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from functions.core.activity import Activity
from functions.core.activity_range import activity_range
from functions.core.activity_rules import check_activity_body
from functions.core.event_mapping import activity_to_event, content_hash

GOOD: dict[str, Any] = {"activity_type": "Meeting", "subject": "Kick-off", "start": "2026-12-07T09:00:00+01:00",
                        "end": "2026-12-07T10:00:00+01:00", "time_zone": "Europe/Madrid"}

_years = st.sampled_from(["0000", "0001", "1969", "2026", "9999", "10000"])
_offsets = st.sampled_from(["Z", "+00:00", "+14:00", "-12:00", "+23:59", "", "+25:00"])
_instants = st.builds(lambda y, m, d, o: f"{y}-{m}-{d}T00:30:00{o}", _years,
                      st.sampled_from(["01", "02", "12", "13"]), st.sampled_from(["01", "29", "31", "32"]), _offsets)
_days = st.builds(lambda y, m, d: f"{y}-{m}-{d}", _years, st.sampled_from(["01", "02", "12"]),
                  st.sampled_from(["01", "30", "31"]))
_untils = st.sampled_from(["20270101", "20270101T000000Z", "99991231", "99991230T235959Z", "00010101", "2027",
                           "20271399", "x", ""])
_rules = st.one_of(
    st.builds(lambda u: f"RRULE:FREQ=DAILY;UNTIL={u}", _untils),
    st.sampled_from(["RRULE:FREQ=WEEKLY;COUNT=3", "EXDATE:20261208T080000Z", "DTSTART:20260101", "RRULE", ":"]),
    st.text(max_size=30),
)
_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                          max_size=3), max_leaves=10)
HOSTILE: dict[str, st.SearchStrategy[Any]] = {
    "subject": st.one_of(st.text(max_size=300), _json),
    "description": st.one_of(st.text(max_size=50), _json),
    "start": st.one_of(_instants, _json),
    "end": st.one_of(_instants, _json),
    "time_zone": st.one_of(st.sampled_from(["UTC", "Europe/Madrid", "Pacific/Kiritimati", "Etc/GMT+12", "Mars/X",
                                            "", "utc", "../x"]), _json),
    "all_day": st.one_of(st.booleans(), _json),
    "start_date": st.one_of(_days, _json),
    "end_date": st.one_of(_days, _json),
    "recurrence": st.one_of(st.lists(_rules, max_size=3), _json),
    "exceptions": st.one_of(st.lists(st.fixed_dictionaries(
        {"original_start": _instants, "cancelled": st.booleans()}, optional={"start": _instants, "end": _instants,
                                                                             "original_date": _days}), max_size=2),
                            _json),
    "attendees": st.one_of(st.lists(st.fixed_dictionaries({"email": st.sampled_from(
        ["a@example.com", "not an email", "", "a@b"])}, optional={"display_name": _json, "optional": _json}),
        max_size=3), _json),
    "status": st.one_of(st.sampled_from(["Planned", "Held", "Not Held", "Done"]), _json),
    "group_id": _json,
}
_one_change = st.sampled_from(sorted(HOSTILE)).flatmap(lambda name: HOSTILE[name].map(lambda value: {name: value}))
# One or two hostile fields on an otherwise good body, so the valid outcomes (the deeper code) are common too.
bodies = st.lists(_one_change, min_size=1, max_size=2).map(lambda changes: {**GOOD, **changes[0], **changes[-1]})


@settings(max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies)
# What this test found (500s before): a series whose UNTIL is no date or ends after 9999-12-30 ...
@example(body={**GOOD, "recurrence": ["RRULE:FREQ=DAILY;UNTIL=20271399"]})
@example(body={**GOOD, "recurrence": ["RRULE:FREQ=DAILY;UNTIL=99991231T235959Z"]})
# ... and instants whose UTC day leaves the calendar (year 1 east of UTC, 9999 west of it), an all-day 31 Dec 9999.
@example(body={**GOOD, "start": "0001-01-01T00:30:00+01:00", "end": "0001-01-01T02:00:00+01:00"})
@example(body={**GOOD, "start": "9999-12-31T20:00:00-05:00", "end": "9999-12-31T21:00:00-05:00"})
@example(body={"activity_type": "Meeting", "subject": "x", "all_day": True, "start_date": "9999-12-31"})
def test_any_body_is_refused_with_field_errors_or_yields_a_whole_activity(body: dict[str, Any]) -> None:
    wanted, errors = check_activity_body(body, ["Meeting"])
    if wanted is None:
        assert errors and all(isinstance(k, str) and isinstance(v, str) for k, v in errors.items())
        return
    now = datetime(2026, 12, 3, tzinfo=UTC)
    activity = Activity(id="activity-0001", owner_uid="u1", activity_type=wanted.activity_type, content=wanted.content,
                        status=wanted.status, group_id=wanted.group_id, created_at=now, updated_at=now)
    low, high = activity_range(activity)
    assert low <= high
    assert activity_to_event(activity)["summary"] is not None
    assert content_hash(activity)
