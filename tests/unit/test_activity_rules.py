"""The activities API's input rules: a clear message naming each wrong field."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from functions.core.activity import Activity, AllDay, Timed
from functions.core.activity_rules import (
    MAX_SUBJECT,
    check_activity_body,
    check_range,
    merge_edit,
)

TYPES = ["Call", "Meeting"]
TIMED = {"activity_type": "Meeting", "subject": "Kick-off", "start": "2026-12-07T09:00:00+01:00",
         "end": "2026-12-07T10:00:00+01:00", "time_zone": "Europe/Madrid"}


def errors_of(**changes) -> dict[str, str]:
    body = {k: v for k, v in {**TIMED, **changes}.items() if v is not None}
    wanted, errors = check_activity_body(body, TYPES)
    assert (wanted is None) == bool(errors)
    return errors


def test_a_timed_activity_is_read_in_utc_with_its_zone() -> None:
    wanted, errors = check_activity_body(TIMED, TYPES)
    assert errors == {}
    assert wanted.content.time == Timed(datetime(2026, 12, 7, 8, tzinfo=UTC), datetime(2026, 12, 7, 9, tzinfo=UTC),
                                        "Europe/Madrid")


def test_an_all_day_activity_uses_dates_and_one_day_needs_only_the_start() -> None:
    body = {"activity_type": "Call", "subject": "Off", "all_day": True, "start_date": "2026-12-24"}
    wanted, errors = check_activity_body(body, TYPES)
    assert errors == {} and wanted.content.time == AllDay(date(2026, 12, 24), date(2026, 12, 24))
    assert "start_date" in check_activity_body({**body, "start_date": "2026-12-24T00:00:00Z"}, TYPES)[1]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"subject": None}, "subject"),
        ({"subject": "  "}, "subject"),
        ({"subject": "x" * (MAX_SUBJECT + 1)}, "subject"),
        ({"end": "2026-12-07T08:00:00+01:00"}, "end"),
        ({"end": "2026-12-07T09:00:00+01:00"}, "end"),
        ({"start": "2026-12-07T09:00:00"}, "start"),
        ({"time_zone": "CET/Nowhere"}, "time_zone"),
        ({"time_zone": None}, "time_zone"),
        ({"status": "Done"}, "status"),
        ({"activity_type": "Party"}, "activity_type"),
        ({"description": "d" * 8001}, "description"),
        ({"location": "l" * 256}, "location"),
        ({"attendees": [{"email": "nobody"}]}, "attendees[0]"),
        ({"attendees": [{"email": f"a{i}@x.org"} for i in range(101)]}, "attendees"),
        ({"recurrence": ["DTSTART:20261207T090000Z"]}, "recurrence"),
        ({"recurrence": ["RRULE:FREQ=DAILY"] * 11}, "recurrence"),
        ({"exceptions": [{"original_start": "2026-12-14T09:00:00+01:00", "cancelled": True}]}, "exceptions"),
        ({"sync": {"state": "synced"}}, "sync"),
        ({"read_only": False}, "read_only"),
        ({"origin": "crm"}, "origin"),
        ({"owner_uid": "bob"}, "owner_uid"),
        ({"colour": "red"}, "colour"),
        ({"all_day": "yes"}, "all_day"),
    ],
)
def test_each_wrong_field_is_named(changes: dict, field: str) -> None:
    assert field in errors_of(**changes)


def test_a_weekly_series_with_an_exception() -> None:
    body = {**TIMED, "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"], "exceptions": [
        {"original_start": "2026-12-14T09:00:00+01:00", "subject": "Moved", "start": "2026-12-15T09:00:00+01:00",
         "end": "2026-12-15T10:00:00+01:00"},
        {"original_start": "2026-12-21T09:00:00+01:00", "cancelled": True},
    ]}
    wanted, errors = check_activity_body(body, TYPES)
    assert errors == {}
    moved, cancelled = wanted.content.exceptions
    assert moved.subject == "Moved" and moved.time.time_zone == "Europe/Madrid" and cancelled.cancelled


def test_an_edit_is_partial_and_time_fields_go_together() -> None:
    wanted, _ = check_activity_body({**TIMED, "description": "keep me"}, TYPES)
    current = Activity("a1", "alice", "Meeting", wanted.content)
    renamed = merge_edit(current, {"subject": "Renamed"})
    assert renamed["subject"] == "Renamed" and renamed["description"] == "keep me"
    assert check_activity_body(renamed, TYPES)[1] == {}
    to_all_day = merge_edit(current, {"all_day": True, "start_date": "2026-12-08", "end_date": "2026-12-09"})
    edited, errors = check_activity_body(to_all_day, TYPES)
    assert errors == {} and edited.content.time == AllDay(date(2026, 12, 8), date(2026, 12, 9))
    longer = check_activity_body(merge_edit(current, {"end": "2026-12-07T11:00:00+01:00"}), TYPES)[0]
    assert longer.content.time == Timed(datetime(2026, 12, 7, 8, tzinfo=UTC), datetime(2026, 12, 7, 10, tzinfo=UTC),
                                        "Europe/Madrid")


def test_a_list_range_is_bounded() -> None:
    assert check_range("2026-12-01", "2027-01-01")[0] == (datetime(2026, 12, 1, tzinfo=UTC),
                                                          datetime(2027, 1, 1, tzinfo=UTC))
    assert "start" in check_range(None, "2027-01-01")[1]
    assert "end" in check_range("2026-12-01", "2026-11-01")[1]
    assert "end" in check_range("2026-01-01", "2027-06-01")[1]
