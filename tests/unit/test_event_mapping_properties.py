"""Properties of the mapping over generated activities: what calbridge owns survives a trip through Google's JSON."""

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.core.activity import (
    Activity,
    ActivityContent,
    ActivityException,
    ActivityTime,
    AllDay,
    Attendee,
    Origin,
    ResponseStatus,
    Timed,
    Transparency,
    Visibility,
    is_iana_zone,
)
from functions.core.event_mapping import (
    activity_to_event,
    content_hash,
    event_id_for,
    event_to_activity,
    exception_hash,
    exception_to_instance,
    instance_slot,
    instance_to_exception,
)

SETTINGS = settings(max_examples=100, deadline=None)

ZONES = st.sampled_from(
    ["UTC", "Europe/Madrid", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "Pacific/Chatham",
     "America/St_Johns", "Asia/Kathmandu", "Pacific/Kiritimati", "America/Sao_Paulo", "Africa/Casablanca"]
) | st.timezone_keys().filter(is_iana_zone)
DST_CHANGES = [  # instants when Madrid, New York, Lord Howe (half an hour) and Chatham change offset
    datetime(2026, 3, 29, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC),
    datetime(2026, 4, 4, 15, tzinfo=UTC), datetime(2026, 9, 26, 14, 45, tzinfo=UTC),
]
NEAR_DST = st.builds(lambda base, minutes: base + timedelta(minutes=minutes), st.sampled_from(DST_CHANGES),
                     st.integers(-360, 360))
ANY_INSTANT = st.datetimes(datetime(1980, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC))
INSTANTS = (NEAR_DST | ANY_INSTANT).map(lambda value: value.replace(microsecond=0))
DATES = st.dates(date(1980, 1, 1), date(2100, 1, 1))

TEXT = st.text(max_size=40) | st.sampled_from(
    ["<b>bold</b> & <i>it</i>", "<p>Réunion&nbsp;très</p><br>", "会议 🎉 Ωmega — «x»", "a\r\nb\nc", "  padded  "]
)
SUBJECTS = TEXT.filter(str.strip)
RECURRENCE = st.lists(
    st.sampled_from(["RRULE:FREQ=WEEKLY;BYDAY=MO,WE", "RRULE:FREQ=DAILY;COUNT=10", "EXRULE:FREQ=MONTHLY",
                     "EXDATE;VALUE=DATE:20260511", "RDATE;TZID=Europe/Madrid:20260516T100000",
                     "EXDATE:20260518T080000Z"]),
    max_size=3, unique=True,
).map(tuple)
ATTENDEES = st.lists(
    st.builds(Attendee, st.emails(), st.none() | TEXT, st.booleans(), st.sampled_from(list(ResponseStatus))),
    max_size=4, unique_by=lambda attendee: attendee.email.lower(),
).map(tuple)
ACTIVITY_IDS = st.text(min_size=3, max_size=60).filter(lambda value: len(value.encode()) <= 640)


@st.composite
def timed(draw: st.DrawFn) -> Timed:
    start = draw(INSTANTS)
    return Timed(start, start + timedelta(seconds=draw(st.integers(0, 3 * 86400))), draw(ZONES))


@st.composite
def all_day(draw: st.DrawFn) -> AllDay:
    start = draw(DATES)
    return AllDay(start, start + timedelta(days=draw(st.sampled_from([0, 0, 1, 2, 6, 30]))))


TIMES = timed() | all_day()


@st.composite
def contents(draw: st.DrawFn, times: st.SearchStrategy[ActivityTime] = TIMES) -> ActivityContent:
    return ActivityContent(
        subject=draw(SUBJECTS),
        time=draw(times),
        description=draw(TEXT),
        location=draw(TEXT),
        visibility=draw(st.sampled_from(list(Visibility))),
        transparency=draw(st.sampled_from(list(Transparency))),
        attendees=draw(ATTENDEES),
        recurrence=draw(RECURRENCE),
    )


ACTIVITIES = st.builds(Activity, ACTIVITY_IDS, st.just("u1"), st.just("Meeting"), contents())


def as_sent(content: ActivityContent) -> ActivityContent:
    """What comes back from Google: attendees' answers are theirs (never sent); exceptions travel as instances."""
    attendees = tuple(replace(a, response_status=ResponseStatus.NEEDS_ACTION) for a in content.attendees)
    return replace(content, attendees=attendees, exceptions=())


@SETTINGS
@given(ACTIVITIES, ZONES)
def test_activity_to_event_to_activity_keeps_every_owned_field(activity: Activity, calendar_zone: str) -> None:
    event = json.loads(json.dumps(activity_to_event(activity)))  # what goes over the wire is JSON
    back = event_to_activity(event, calendar_time_zone=calendar_zone, owner_uid="u1", activity_type="Meeting")
    assert back.content == as_sent(activity.content)
    assert (back.id, back.origin, back.read_only) == (activity.id, Origin.GOOGLE, True)


@SETTINGS
@given(ACTIVITIES, ZONES)
def test_the_content_hash_is_the_same_from_the_activity_and_from_its_event(activity: Activity, zone: str) -> None:
    assert content_hash(activity) == content_hash(activity_to_event(activity), calendar_time_zone=zone)


@SETTINGS
@given(ACTIVITY_IDS, ACTIVITY_IDS)
def test_event_ids_are_valid_base32hex_and_distinct_for_distinct_activities(first: str, second: str) -> None:
    assert re.fullmatch(r"[0-9a-v]{5,1024}", event_id_for(first))
    assert (event_id_for(first) == event_id_for(second)) == (first == second)


@st.composite
def series_with_exceptions(draw: st.DrawFn) -> ActivityContent:
    series = draw(contents(times=timed() | all_day()))
    series = replace(series, recurrence=series.recurrence or ("RRULE:FREQ=WEEKLY",))
    weeks = draw(st.lists(st.integers(1, 60), max_size=4, unique=True))
    exceptions = []
    for week in weeks:
        if isinstance(series.time, Timed):
            original_start: date | datetime = series.time.start + timedelta(weeks=week)
            moved: ActivityTime = draw(timed())
        else:
            original_start = series.time.start_date + timedelta(weeks=week)
            moved = draw(all_day())
        if draw(st.booleans()):
            exceptions.append(ActivityException(original_start, cancelled=True))
            continue
        exceptions.append(ActivityException(
            original_start,
            time=draw(st.none() | st.just(moved)),
            subject=draw(st.none() | TEXT),
            description=draw(st.none() | TEXT),
            location=draw(st.none() | TEXT),
        ))
    return replace(series, exceptions=tuple(exceptions))


def canonical(exception: ActivityException, series: ActivityContent) -> ActivityException:
    """An override equal to the series' value (or a time equal to the instance's own slot) means "as the series"."""
    if exception.cancelled:
        return exception
    time = exception.time
    if time is not None:
        slot = instance_slot(series.time, exception.original_start)
        same = (time.start, time.end) == (slot.start, slot.end) if isinstance(time, Timed) else time == slot
        time = None if same else time
    return ActivityException(
        exception.original_start,
        time=time,
        subject=None if exception.subject == series.subject else exception.subject,
        description=None if exception.description == series.description else exception.description,
        location=None if exception.location == series.location else exception.location,
    )


@SETTINGS
@given(series_with_exceptions(), ZONES)
def test_exceptions_survive_a_trip_through_their_google_instances(series: ActivityContent, zone: str) -> None:
    activity = Activity("act-0001", "u1", "Meeting", series)
    series_event_id = event_id_for(activity.id)
    series_zone = series.time.time_zone if isinstance(series.time, Timed) else zone
    for exception in series.exceptions:
        instance_id, body = exception_to_instance(series_event_id, activity, exception)
        assert instance_id.startswith(series_event_id + "_") and body["id"] == instance_id
        back = instance_to_exception(json.loads(json.dumps(body)), series_zone, series=series)
        assert back == canonical(exception, series)
        assert exception_hash(back) == exception_hash(canonical(exception, series))
