from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from functions.core.activity import (
    Activity,
    ActivityContent,
    ActivityException,
    ActivityStatus,
    AllDay,
    Attendee,
    InvalidActivity,
    Origin,
    ResponseStatus,
    Timed,
    Transparency,
    Visibility,
    check_all_day,
    check_exceptions,
    check_recurrence,
    check_timed,
)

MADRID_SUMMER = timezone(timedelta(hours=2))
T0 = datetime(2026, 5, 1, 10, 0, tzinfo=MADRID_SUMMER)


def test_timed_times_are_kept_in_utc_to_the_second() -> None:
    time = Timed(T0.replace(microsecond=123456), T0 + timedelta(hours=1), "Europe/Madrid")
    assert time.start == datetime(2026, 5, 1, 8, 0, tzinfo=UTC) and time.start.tzinfo is UTC
    assert time.end == datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    assert time == Timed(datetime(2026, 5, 1, 8, tzinfo=UTC), datetime(2026, 5, 1, 9, tzinfo=UTC), "Europe/Madrid")


@pytest.mark.parametrize(
    ("start", "end", "zone", "problem"),
    [
        (T0.replace(tzinfo=None), T0, "Europe/Madrid", "start must carry a UTC offset"),
        (T0, T0.replace(tzinfo=None), "Europe/Madrid", "end must carry a UTC offset"),
        (date(2026, 5, 1), T0, "Europe/Madrid", "start must be a datetime"),
        (T0, T0 - timedelta(minutes=1), "Europe/Madrid", "end is before start"),
        (T0, T0, None, "time_zone is required"),
        (T0, T0, "", "time_zone is required"),
        (T0, T0, "Mars/Olympus_Mons", "is not an IANA time zone name"),
        (T0, T0, "+02:00", "is not an IANA time zone name"),
        (T0, T0, "Europe", "is not an IANA time zone name"),  # a directory of the zone database
        (T0, T0, "europe/madrid", "is not an IANA time zone name"),
        (T0, T0, "localtime", "is not an IANA time zone name"),
    ],
)
def test_a_bad_timed_span_is_refused_with_its_problem_named(start, end, zone, problem: str) -> None:
    assert problem in (check_timed(start, end, zone) or "")
    with pytest.raises(InvalidActivity, match=problem.split(" (")[0]):
        Timed(start, end, zone)


@pytest.mark.parametrize(
    ("start_date", "end_date", "problem"),
    [
        (T0, date(2026, 5, 1), "start_date must be a date"),  # a datetime is a date subclass: still refused
        (date(2026, 5, 1), T0, "end_date must be a date"),
        (date(2026, 5, 2), date(2026, 5, 1), "end_date is before start_date"),
        ("2026-05-01", date(2026, 5, 1), "start_date must be a date"),
    ],
)
def test_a_bad_all_day_span_is_refused_with_its_problem_named(start_date, end_date, problem: str) -> None:
    assert problem in (check_all_day(start_date, end_date) or "")
    with pytest.raises(InvalidActivity, match=problem):
        AllDay(start_date, end_date)


def test_one_all_day_day_has_equal_start_and_end() -> None:
    assert check_all_day(date(2026, 5, 1), date(2026, 5, 1)) is None
    assert AllDay(date(2026, 5, 1), date(2026, 5, 1)).end_date == date(2026, 5, 1)


def test_content_refuses_a_time_that_is_neither_timed_nor_all_day() -> None:
    with pytest.raises(InvalidActivity, match="Timed or AllDay"):
        ActivityContent("x", time=(T0, T0))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        (("DTSTART:20260501T100000Z", "RRULE:FREQ=DAILY"), "not RRULE, EXRULE, RDATE or EXDATE"),
        (("FREQ=DAILY",), "not an iCalendar property line"),
        (["RRULE:FREQ=DAILY"], "must be a tuple"),
    ],
)
def test_recurrence_takes_only_the_lines_google_takes(lines, problem: str) -> None:
    assert problem in (check_recurrence(lines) or "")
    with pytest.raises(InvalidActivity, match=problem):
        ActivityContent("x", AllDay(date(2026, 5, 1), date(2026, 5, 1)), recurrence=lines)


def test_recurrence_lines_with_parameters_are_accepted() -> None:
    lines = ("RRULE:FREQ=WEEKLY;BYDAY=MO", "EXDATE;TZID=Europe/Madrid:20260511T100000", "RDATE;VALUE=DATE:20260513")
    assert check_recurrence(lines) is None


def test_exceptions_are_keyed_like_their_series() -> None:
    all_day = AllDay(date(2026, 5, 4), date(2026, 5, 4))
    timed = Timed(T0, T0 + timedelta(hours=1), "Europe/Madrid")
    weekly = ("RRULE:FREQ=WEEKLY",)
    by_date = ActivityException(date(2026, 5, 11), cancelled=True)
    by_instant = ActivityException(T0 + timedelta(days=7), cancelled=True)
    assert check_exceptions(all_day, weekly, (by_date,)) is None
    assert check_exceptions(timed, weekly, (by_instant,)) is None
    assert "keyed by a date" in (check_exceptions(all_day, weekly, (by_instant,)) or "")
    assert "keyed by an aware datetime" in (check_exceptions(timed, weekly, (by_date,)) or "")
    assert "need a recurrence" in (check_exceptions(timed, (), (by_instant,)) or "")
    assert "two exceptions" in (check_exceptions(all_day, weekly, (by_date, by_date)) or "")
    with pytest.raises(InvalidActivity, match="keyed by a date"):
        ActivityContent("x", all_day, recurrence=weekly, exceptions=(by_instant,))


def test_an_exception_is_either_cancelled_or_overriding() -> None:
    with pytest.raises(InvalidActivity, match="cancelled instance carries no overrides"):
        ActivityException(date(2026, 5, 11), cancelled=True, subject="moved")
    with pytest.raises(InvalidActivity, match="UTC offset"):
        ActivityException(T0.replace(tzinfo=None))
    moved = ActivityException(T0, subject="Moved")
    assert moved.original_start == datetime(2026, 5, 1, 8, tzinfo=UTC) and not moved.cancelled


def test_closed_sets_are_string_enums_with_the_stored_values() -> None:
    activity = Activity(
        "a1", "u1", "Meeting", ActivityContent("x", AllDay(date(2026, 5, 1), date(2026, 5, 1))), status="Not Held"
    )
    assert activity.status is ActivityStatus.NOT_HELD and activity.status == "Not Held"
    assert activity.origin is Origin.CRM and activity.read_only is False and activity.sync is None
    assert activity.content.visibility is Visibility.DEFAULT and activity.content.transparency is Transparency.OPAQUE
    assert [str(s) for s in ActivityStatus] == ["Planned", "Held", "Not Held"]
    with pytest.raises(ValueError):
        Activity("a1", "u1", "Meeting", activity.content, status="Done")
    with pytest.raises(ValueError):
        ActivityContent("x", activity.content.time, visibility="secret")


def test_attendees_need_an_email_and_a_known_answer() -> None:
    assert Attendee("ana@example.com", response_status="accepted").response_status is ResponseStatus.ACCEPTED
    with pytest.raises(InvalidActivity, match="not an email address"):
        Attendee("Ana")
    with pytest.raises(ValueError):
        Attendee("ana@example.com", response_status="maybe")
