from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from functions.core.activity import Activity, ActivityContent, ActivityException, AllDay, Timed
from functions.core.event_mapping import (
    NotAnActivity,
    exception_hash,
    exception_to_instance,
    instance_event_id,
    instance_to_exception,
)

SERIES_ID = "c5h66p35co"
WEEKLY = ("RRULE:FREQ=WEEKLY;BYDAY=MO", "EXDATE;TZID=Europe/Madrid:20260413T100000")
# Mondays at 10:00 Madrid from 2026-03-23 (CET, +01:00); Madrid switches to CEST (+02:00) on 2026-03-29.
STAND_UP = ActivityContent(
    "Stand-up",
    Timed(datetime(2026, 3, 23, 9, tzinfo=UTC), datetime(2026, 3, 23, 9, 15, tzinfo=UTC), "Europe/Madrid"),
    description="Daily <b>sync</b>",
    location="Sala 2",
    recurrence=WEEKLY,
)
HOLIDAY = ActivityContent("Away", AllDay(date(2026, 8, 3), date(2026, 8, 4)), recurrence=("RRULE:FREQ=WEEKLY;COUNT=3",))
AFTER_DST = datetime(2026, 3, 30, 8, tzinfo=UTC)  # the second Monday: 10:00 CEST


def series(content: ActivityContent) -> Activity:
    return Activity("abcdef", "u1", "Meeting", content)


@pytest.mark.parametrize(
    ("original_start", "want"),
    [
        (date(2026, 8, 10), "c5h66p35co_20260810"),
        (AFTER_DST, "c5h66p35co_20260330T080000Z"),
        (datetime(2026, 3, 30, 10, tzinfo=ZoneInfo("Europe/Madrid")), "c5h66p35co_20260330T080000Z"),
    ],
)
def test_instance_ids_follow_google(original_start: date | datetime, want: str) -> None:
    assert instance_event_id(SERIES_ID, original_start) == want


def test_a_naive_original_start_has_no_instance_id() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        instance_event_id(SERIES_ID, datetime(2026, 3, 30, 10))


def test_a_cancelled_instance_is_sent_as_a_cancellation_of_its_original_start() -> None:
    instance_id, body = exception_to_instance(SERIES_ID, series(STAND_UP), ActivityException(AFTER_DST, cancelled=True))
    assert instance_id == "c5h66p35co_20260330T080000Z"
    assert body == {
        "id": instance_id,
        "recurringEventId": SERIES_ID,
        "originalStartTime": {"dateTime": "2026-03-30T10:00:00+02:00", "timeZone": "Europe/Madrid"},
        "status": "cancelled",
    }


def test_a_moved_instance_carries_its_new_time_and_the_series_values_it_does_not_override() -> None:
    moved = ActivityException(
        AFTER_DST,
        time=Timed(AFTER_DST + timedelta(hours=2), AFTER_DST + timedelta(hours=2, minutes=30), "Europe/Madrid"),
        location="Online",
    )
    _, body = exception_to_instance(SERIES_ID, series(STAND_UP), moved)
    assert body["status"] == "confirmed"
    assert (body["start"], body["end"]) == (
        {"dateTime": "2026-03-30T12:00:00+02:00", "timeZone": "Europe/Madrid"},
        {"dateTime": "2026-03-30T12:30:00+02:00", "timeZone": "Europe/Madrid"},
    )
    assert (body["summary"], body["description"], body["location"]) == ("Stand-up", "Daily <b>sync</b>", "Online")


def test_an_instance_retitled_only_keeps_its_slot_across_the_dst_change() -> None:
    _, body = exception_to_instance(SERIES_ID, series(STAND_UP), ActivityException(AFTER_DST, subject="Retro"))
    assert body["summary"] == "Retro"
    assert body["start"]["dateTime"] == "2026-03-30T10:00:00+02:00"
    assert body["end"]["dateTime"] == "2026-03-30T10:15:00+02:00"


def test_an_untitled_series_keeps_its_instances_untitled() -> None:
    untitled = replace(STAND_UP, subject="(No title)")
    _, body = exception_to_instance(SERIES_ID, series(untitled), ActivityException(AFTER_DST, location="x"))
    assert body["summary"] == ""
    assert instance_to_exception(body, "UTC", series=untitled) == ActivityException(AFTER_DST, location="x")


def test_an_all_day_series_instance_keeps_its_length() -> None:
    instance_id, body = exception_to_instance(SERIES_ID, series(HOLIDAY), ActivityException(date(2026, 8, 10),
                                                                                             subject="Away (half)"))
    assert instance_id == "c5h66p35co_20260810"
    assert body["originalStartTime"] == {"date": "2026-08-10"}
    assert (body["start"], body["end"]) == ({"date": "2026-08-10"}, {"date": "2026-08-12"})


# --- instances Google sends ------------------------------------------------------------------------------------

MOVED_INSTANCE = {
    "kind": "calendar#event",
    "etag": '"3390000000000001"',
    "id": "c5h66p35co_20260330T080000Z",
    "status": "confirmed",
    "summary": "Stand-up",
    "description": "Daily <b>sync</b>",
    "location": "Sala 2",
    "start": {"dateTime": "2026-03-30T12:00:00+02:00", "timeZone": "Europe/Madrid"},
    "end": {"dateTime": "2026-03-30T12:15:00+02:00", "timeZone": "Europe/Madrid"},
    "recurringEventId": SERIES_ID,
    "originalStartTime": {"dateTime": "2026-03-30T10:00:00+02:00", "timeZone": "Europe/Madrid"},
    "reminders": {"useDefault": True},
}
CANCELLED_INSTANCE = {  # all Google guarantees for a cancelled instance
    "id": "c5h66p35co_20260330T080000Z",
    "status": "cancelled",
    "recurringEventId": SERIES_ID,
    "originalStartTime": {"dateTime": "2026-03-30T10:00:00+02:00", "timeZone": "Europe/Madrid"},
}
MOVED_TIME = Timed(datetime(2026, 3, 30, 10, tzinfo=UTC), datetime(2026, 3, 30, 10, 15, tzinfo=UTC), "Europe/Madrid")


def test_a_moved_instance_becomes_an_exception_keyed_by_its_original_start() -> None:
    exception = instance_to_exception(MOVED_INSTANCE, "Europe/Madrid", series=STAND_UP)
    assert exception == ActivityException(AFTER_DST, time=MOVED_TIME)


def test_without_the_series_every_value_of_the_instance_is_an_override() -> None:
    exception = instance_to_exception(MOVED_INSTANCE, "Europe/Madrid")
    assert exception == ActivityException(AFTER_DST, time=MOVED_TIME, subject="Stand-up",
                                          description="Daily <b>sync</b>", location="Sala 2")


def test_a_cancelled_instance_becomes_a_cancelled_exception() -> None:
    assert instance_to_exception(CANCELLED_INSTANCE, "Europe/Madrid") == ActivityException(AFTER_DST, cancelled=True)


def test_a_floating_original_start_is_read_in_the_series_zone() -> None:
    instance = {**CANCELLED_INSTANCE, "originalStartTime": {"dateTime": "2026-03-30T10:00:00"}}
    assert instance_to_exception(instance, "Europe/Madrid").original_start == AFTER_DST
    assert instance_to_exception(instance, "UTC").original_start == datetime(2026, 3, 30, 10, tzinfo=UTC)


def test_an_all_day_instance_is_keyed_by_its_date() -> None:
    instance = {"id": "c5h66p35co_20260810", "status": "confirmed", "recurringEventId": SERIES_ID,
                "originalStartTime": {"date": "2026-08-10"}, "summary": "Away",
                "start": {"date": "2026-08-11"}, "end": {"date": "2026-08-13"}}
    exception = instance_to_exception(instance, "Europe/Madrid", series=HOLIDAY)
    assert exception == ActivityException(date(2026, 8, 10), time=AllDay(date(2026, 8, 11), date(2026, 8, 12)))


def test_a_cleared_description_is_an_override_not_as_the_series() -> None:
    instance = {**MOVED_INSTANCE, "start": {"dateTime": "2026-03-30T10:00:00+02:00", "timeZone": "Europe/Madrid"},
                "end": {"dateTime": "2026-03-30T10:15:00+02:00", "timeZone": "Europe/Madrid"}}
    del instance["description"]
    assert instance_to_exception(instance, "Europe/Madrid", series=STAND_UP) == ActivityException(
        AFTER_DST, description="")


def test_a_single_event_is_not_an_instance() -> None:
    with pytest.raises(NotAnActivity, match="not an instance"):
        instance_to_exception({"id": "x", "start": {"date": "2026-08-10"}}, "UTC")


def test_exceptions_round_trip_through_their_instance_bodies() -> None:
    exceptions = (
        ActivityException(AFTER_DST, cancelled=True),
        ActivityException(AFTER_DST + timedelta(weeks=1), time=Timed(
            AFTER_DST + timedelta(weeks=1, hours=3), AFTER_DST + timedelta(weeks=1, hours=4), "America/New_York")),
        ActivityException(AFTER_DST + timedelta(weeks=3), subject="", description="Notas: ñ 会议", location=""),
    )
    content = replace(STAND_UP, exceptions=exceptions)
    for exception in exceptions:
        _, body = exception_to_instance(SERIES_ID, series(content), exception)
        back = instance_to_exception(body, "UTC", series=content)
        assert back == exception
        assert exception_hash(back) == exception_hash(exception)


def test_the_exception_hash_moves_with_each_override() -> None:
    base = ActivityException(AFTER_DST, subject="Retro")
    assert exception_hash(base) != exception_hash(ActivityException(AFTER_DST, subject="Retro 2"))
    assert exception_hash(base) != exception_hash(ActivityException(AFTER_DST, subject="Retro", location="x"))
    assert exception_hash(base) != exception_hash(ActivityException(AFTER_DST, cancelled=True))
    assert exception_hash(base) != exception_hash(ActivityException(AFTER_DST + timedelta(weeks=1), subject="Retro"))
