import re
from datetime import UTC, date, datetime

import pytest

from functions.core.activity import (
    NO_TITLE,
    Activity,
    ActivityContent,
    ActivitySync,
    AllDay,
    Attendee,
    Origin,
    ResponseStatus,
    Timed,
    Transparency,
    Visibility,
)
from functions.core.event_mapping import (
    ACTIVITY_ID_KEY,
    NotAnActivity,
    activity_to_event,
    content_hash,
    event_id_for,
    event_to_activity,
    imported_activity_id,
    skip_reason,
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def read(event: dict, calendar_time_zone: str = "Europe/Madrid") -> Activity:
    return event_to_activity(event, calendar_time_zone=calendar_time_zone, owner_uid="u1", activity_type="Meeting")


def google_event(**fields: object) -> dict:
    """An event as Google answers it: what calbridge does not own included."""
    return {
        "kind": "calendar#event",
        "etag": '"3390000000000000"',
        "id": "7lq0v6l2nbi2k1c0c3s5ttv2ou",
        "status": "confirmed",
        "htmlLink": "https://www.google.com/calendar/event?eid=N2xx",
        "created": "2026-04-01T09:00:00.000Z",
        "updated": "2026-04-02T09:00:00.000Z",
        "creator": {"email": "ana@example.com", "self": True},
        "organizer": {"email": "ana@example.com", "self": True},
        "iCalUID": "7lq0v6l2nbi2k1c0c3s5ttv2ou@google.com",
        "sequence": 0,
        "reminders": {"useDefault": True},
        "eventType": "default",
        **fields,
    }


def activity(time: object, subject: str = "Kick-off", **content: object) -> Activity:
    return Activity("act-0001", "u1", "Meeting", ActivityContent(subject, time, **content))


# --- event ids --------------------------------------------------------------------------------------------------


def test_event_ids_are_base32hex_of_the_activity_id() -> None:
    assert event_id_for("abc") == "c5h66"  # RFC 4648 base32hex of b"abc" is C5H66===
    assert event_id_for("Z8kR2mX1pQ7tL0aB3cD4") == event_id_for("Z8kR2mX1pQ7tL0aB3cD4")
    assert re.fullmatch(r"[0-9a-v]{5,1024}", event_id_for("ñ/ü 会议" * 10))
    assert len(event_id_for("x" * 640)) == 1024


@pytest.mark.parametrize("activity_id", ["", "ab", "x" * 641])
def test_ids_that_cannot_make_a_valid_event_id_are_refused(activity_id: str) -> None:
    with pytest.raises(ValueError, match="3 to 640"):
        event_id_for(activity_id)


# --- export ----------------------------------------------------------------------------------------------------


def test_a_timed_activity_is_sent_in_its_own_zone_with_the_activity_id() -> None:
    body = activity(Timed(utc(2026, 5, 1, 8), utc(2026, 5, 1, 9, 30), "Europe/Madrid"), location="Sala 1")
    assert activity_to_event(body) == {
        "id": event_id_for("act-0001"),
        "summary": "Kick-off",
        "description": "",
        "location": "Sala 1",
        "start": {"dateTime": "2026-05-01T10:00:00+02:00", "timeZone": "Europe/Madrid"},
        "end": {"dateTime": "2026-05-01T11:30:00+02:00", "timeZone": "Europe/Madrid"},
        "recurrence": [],
        "visibility": "default",
        "transparency": "opaque",
        "extendedProperties": {"private": {ACTIVITY_ID_KEY: "act-0001"}},
    }


def test_all_day_end_becomes_exclusive_on_the_way_out() -> None:
    one_day = activity_to_event(activity(AllDay(date(2026, 5, 1), date(2026, 5, 1))))
    assert (one_day["start"], one_day["end"]) == ({"date": "2026-05-01"}, {"date": "2026-05-02"})
    three_days = activity_to_event(activity(AllDay(date(2026, 12, 30), date(2027, 1, 1))))
    assert (three_days["start"], three_days["end"]) == ({"date": "2026-12-30"}, {"date": "2027-01-02"})


def test_the_body_never_carries_what_google_holds_and_the_crm_does_not_own() -> None:
    body = activity_to_event(activity(AllDay(date(2026, 5, 1), date(2026, 5, 1))))
    for field in ("reminders", "conferenceData", "eventType", "attendees", "status", "colorId", "organizer"):
        assert field not in body
    assert len(ACTIVITY_ID_KEY) <= 44


def test_attendees_go_without_their_answers() -> None:
    guests = (Attendee("ana@example.com", "Ana", response_status=ResponseStatus.ACCEPTED),
              Attendee("bo@example.com", optional=True))
    body = activity_to_event(activity(AllDay(date(2026, 5, 1), date(2026, 5, 1)), attendees=guests))
    assert body["attendees"] == [
        {"email": "ana@example.com", "displayName": "Ana", "optional": False},
        {"email": "bo@example.com", "optional": True},
    ]


def test_an_event_google_already_knows_keeps_its_id() -> None:
    linked = Activity("act-0001", "u1", "Meeting", activity(AllDay(date(2026, 5, 1), date(2026, 5, 1))).content,
                      sync=ActivitySync(event_id="7lq0v6l2nbi2k1c0c3s5ttv2ou"))
    assert activity_to_event(linked)["id"] == "7lq0v6l2nbi2k1c0c3s5ttv2ou"


# --- import: times ---------------------------------------------------------------------------------------------

TIMED_CASES = [
    pytest.param(
        {"dateTime": "2026-05-01T10:00:00+02:00", "timeZone": "Europe/Madrid"},
        {"dateTime": "2026-05-01T11:00:00+02:00", "timeZone": "Europe/Madrid"},
        "America/New_York", utc(2026, 5, 1, 8), utc(2026, 5, 1, 9), "Europe/Madrid", id="with-timeZone",
    ),
    pytest.param(
        {"dateTime": "2026-05-01T10:00:00+02:00"}, {"dateTime": "2026-05-01T11:00:00+02:00"},
        "Europe/Madrid", utc(2026, 5, 1, 8), utc(2026, 5, 1, 9), "Europe/Madrid", id="no-timeZone-calendar-zone",
    ),
    pytest.param(
        {"dateTime": "2026-05-01T08:00:00Z"}, {"dateTime": "2026-05-01T09:00:00.000Z"},
        "Asia/Tokyo", utc(2026, 5, 1, 8), utc(2026, 5, 1, 9), "Asia/Tokyo", id="utc-z-calendar-zone",
    ),
    pytest.param(
        {"dateTime": "2026-05-01T10:00:00", "timeZone": "America/New_York"},
        {"dateTime": "2026-05-01T11:00:00", "timeZone": "America/New_York"},
        "Europe/Madrid", utc(2026, 5, 1, 14), utc(2026, 5, 1, 15), "America/New_York", id="floating-with-timeZone",
    ),
    pytest.param(
        {"dateTime": "2026-05-01T10:00:00"}, {"dateTime": "2026-05-01T11:00:00"},
        "Europe/Madrid", utc(2026, 5, 1, 8), utc(2026, 5, 1, 9), "Europe/Madrid", id="floating-calendar-zone",
    ),
    pytest.param(
        {"dateTime": "2026-05-01T08:00:00Z", "timeZone": "Not/AZone"}, {"dateTime": "2026-05-01T09:00:00Z"},
        "Europe/Madrid", utc(2026, 5, 1, 8), utc(2026, 5, 1, 9), "Europe/Madrid", id="unknown-zone-calendar-zone",
    ),
    # Europe/Madrid springs forward on 2026-03-29 at 02:00 -> 03:00: an hour across it is 01:30+01 -> 03:30+02.
    pytest.param(
        {"dateTime": "2026-03-29T01:30:00+01:00", "timeZone": "Europe/Madrid"},
        {"dateTime": "2026-03-29T03:30:00+02:00", "timeZone": "Europe/Madrid"},
        "UTC", utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1, 30), "Europe/Madrid", id="madrid-spring-forward",
    ),
    # A floating time inside the skipped hour is read with the offset before the change (zoneinfo, fold=0).
    pytest.param(
        {"dateTime": "2026-03-29T02:30:00", "timeZone": "Europe/Madrid"},
        {"dateTime": "2026-03-29T04:00:00", "timeZone": "Europe/Madrid"},
        "UTC", utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 2), "Europe/Madrid", id="madrid-floating-in-the-gap",
    ),
    # Madrid falls back on 2026-10-25 at 03:00 -> 02:00: 02:30 happens twice; the offset says which.
    pytest.param(
        {"dateTime": "2026-10-25T02:30:00+02:00", "timeZone": "Europe/Madrid"},
        {"dateTime": "2026-10-25T02:30:00+01:00", "timeZone": "Europe/Madrid"},
        "UTC", utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30), "Europe/Madrid", id="madrid-repeated-hour",
    ),
    pytest.param(
        {"dateTime": "2026-03-08T01:30:00-05:00", "timeZone": "America/New_York"},
        {"dateTime": "2026-03-08T03:30:00-04:00", "timeZone": "America/New_York"},
        "UTC", utc(2026, 3, 8, 6, 30), utc(2026, 3, 8, 7, 30), "America/New_York", id="new-york-spring-forward",
    ),
    pytest.param(
        {"dateTime": "2026-11-01T01:30:00", "timeZone": "America/New_York"},
        {"dateTime": "2026-11-01T01:30:00-05:00", "timeZone": "America/New_York"},
        "UTC", utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30), "America/New_York", id="new-york-fall-back-floating",
    ),
]


@pytest.mark.parametrize(("start", "end", "calendar_zone", "want_start", "want_end", "want_zone"), TIMED_CASES)
def test_timed_events_become_instants_in_a_zone(start, end, calendar_zone, want_start, want_end, want_zone) -> None:
    imported = read(google_event(summary="Call", start=start, end=end), calendar_zone)
    assert imported.content.time == Timed(want_start, want_end, want_zone)


def test_the_repeated_hour_goes_back_out_with_the_right_offsets() -> None:
    event = activity_to_event(activity(Timed(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30), "Europe/Madrid")))
    assert event["start"]["dateTime"] == "2026-10-25T02:30:00+02:00"
    assert event["end"]["dateTime"] == "2026-10-25T02:30:00+01:00"


@pytest.mark.parametrize(
    ("start", "end", "want"),
    [
        ({"date": "2026-05-01"}, {"date": "2026-05-02"}, AllDay(date(2026, 5, 1), date(2026, 5, 1))),
        ({"date": "2026-12-30"}, {"date": "2027-01-02"}, AllDay(date(2026, 12, 30), date(2027, 1, 1))),
        ({"date": "2028-02-28"}, {"date": "2028-03-01"}, AllDay(date(2028, 2, 28), date(2028, 2, 29))),
        ({"date": "2026-05-01"}, None, AllDay(date(2026, 5, 1), date(2026, 5, 1))),  # no end: one day
        ({"date": "2026-05-01"}, {"date": "2026-05-01"}, AllDay(date(2026, 5, 1), date(2026, 5, 1))),  # empty: one
    ],
)
def test_all_day_events_lose_the_exclusive_day(start: dict, end: dict | None, want: AllDay) -> None:
    assert read(google_event(summary="Holiday", start=start, end=end)).content.time == want


def test_all_day_dates_do_not_move_with_the_calendar_zone() -> None:
    event = google_event(summary="Holiday", start={"date": "2026-05-01"}, end={"date": "2026-05-02"})
    for zone in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC"):
        assert read(event, zone).content.time == AllDay(date(2026, 5, 1), date(2026, 5, 1))


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ({"date": "2026-05-01"}, {"dateTime": "2026-05-01T10:00:00Z"}, "mix a date and a dateTime"),
        ({"dateTime": "yesterday"}, {"dateTime": "2026-05-01T10:00:00Z"}, "not RFC 3339"),
        ({"dateTime": "2026-05-01T10:00:00Z"}, {"dateTime": "2026-05-01T09:00:00Z"}, "end is before start"),
    ],
)
def test_malformed_times_are_not_activities(start: dict, end: dict, message: str) -> None:
    with pytest.raises(NotAnActivity, match=message):
        read(google_event(summary="Bad", start=start, end=end))


# --- import: the rest ------------------------------------------------------------------------------------------

ALL_DAY = {"start": {"date": "2026-05-01"}, "end": {"date": "2026-05-02"}}


def test_an_imported_event_is_a_read_only_google_activity() -> None:
    imported = read(google_event(summary="Call", **ALL_DAY))
    assert (imported.origin, imported.read_only, imported.sync) == (Origin.GOOGLE, True, None)
    assert (imported.owner_uid, imported.activity_type, imported.google_event_type) == ("u1", "Meeting", "default")
    assert imported.id == imported_activity_id("u1", "7lq0v6l2nbi2k1c0c3s5ttv2ou")
    assert imported.id != imported_activity_id("u2", "7lq0v6l2nbi2k1c0c3s5ttv2ou")  # two users invited


def test_an_event_calbridge_wrote_comes_back_as_its_activity() -> None:
    event = google_event(summary="Call", extendedProperties={"private": {ACTIVITY_ID_KEY: "act-0001"}}, **ALL_DAY)
    assert read(event).id == "act-0001"


@pytest.mark.parametrize("summary", [None, "", "   "])
def test_an_event_without_title_is_named_as_google_shows_it(summary: str | None) -> None:
    event = google_event(**ALL_DAY) if summary is None else google_event(summary=summary, **ALL_DAY)
    assert read(event).content.subject == NO_TITLE == "(No title)"


def test_an_event_with_only_attendees_keeps_them_and_their_answers() -> None:
    event = google_event(
        start={"dateTime": "2026-05-01T10:00:00+02:00"},
        end={"dateTime": "2026-05-01T10:30:00+02:00"},
        attendees=[
            {"email": "ana@example.com", "organizer": True, "self": True, "responseStatus": "accepted"},
            {"email": "bo@example.com", "displayName": "Bo", "optional": True, "responseStatus": "tentative"},
            {"email": "room-1@resource.calendar.google.com", "resource": True, "responseStatus": "declined"},
            {"displayName": "No email", "responseStatus": "needsAction"},
            {"email": "cy@example.com", "responseStatus": "somethingNew"},
        ],
    )
    content = read(event).content
    assert content.subject == NO_TITLE and content.description == "" and content.location == ""
    assert content.attendees == (
        Attendee("ana@example.com", None, False, ResponseStatus.ACCEPTED),
        Attendee("bo@example.com", "Bo", True, ResponseStatus.TENTATIVE),
        Attendee("room-1@resource.calendar.google.com", None, False, ResponseStatus.DECLINED),
        Attendee("cy@example.com", None, False, ResponseStatus.NEEDS_ACTION),
    )


def test_unicode_and_html_text_is_kept_verbatim_both_ways() -> None:
    description = '<p>Réunion <b>très</b> importante&nbsp;&amp; 会议 🎉</p><br><a href="https://x.test/?a=1&b=2">x</a>'
    event = google_event(summary="Ωmega — «review» <b>", description=description, location="Zürich, Straße 1",
                         **ALL_DAY)
    content = read(event).content
    assert (content.subject, content.description, content.location) == (
        "Ωmega — «review» <b>", description, "Zürich, Straße 1")
    body = activity_to_event(Activity("act-0001", "u1", "Meeting", content))
    assert (body["summary"], body["description"], body["location"]) == (
        "Ωmega — «review» <b>", description, "Zürich, Straße 1")


@pytest.mark.parametrize(
    ("fields", "visibility", "transparency"),
    [
        ({}, Visibility.DEFAULT, Transparency.OPAQUE),
        ({"visibility": "private", "transparency": "transparent"}, Visibility.PRIVATE, Transparency.TRANSPARENT),
        ({"visibility": "confidential"}, Visibility.CONFIDENTIAL, Transparency.OPAQUE),
        ({"visibility": "somethingNew", "transparency": "somethingNew"}, Visibility.DEFAULT, Transparency.OPAQUE),
    ],
)
def test_visibility_and_transparency(fields: dict, visibility: Visibility, transparency: Transparency) -> None:
    content = read(google_event(summary="x", **ALL_DAY, **fields)).content
    assert (content.visibility, content.transparency) == (visibility, transparency)


def test_recurrence_lines_come_in_as_google_sends_them() -> None:
    lines = [
        "RRULE:FREQ=WEEKLY;WKST=MO;UNTIL=20260630T215959Z;BYDAY=MO,WE",
        "EXDATE;TZID=Europe/Madrid:20260511T100000",
        "RDATE;TZID=Europe/Madrid:20260516T100000",
    ]
    event = google_event(summary="Stand-up", recurrence=lines,
                         start={"dateTime": "2026-05-04T10:00:00+02:00", "timeZone": "Europe/Madrid"},
                         end={"dateTime": "2026-05-04T10:15:00+02:00", "timeZone": "Europe/Madrid"})
    imported = read(event, "UTC")
    assert imported.content.recurrence == tuple(lines) and imported.content.exceptions == ()
    assert activity_to_event(imported)["recurrence"] == lines


@pytest.mark.parametrize(
    ("event_type", "properties"),
    [
        ("outOfOffice", {"outOfOfficeProperties": {"autoDeclineMode": "declineAllConflictingInvitations"}}),
        ("focusTime", {"focusTimeProperties": {"chatStatus": "doNotDisturb"}}),
        ("fromGmail", {}),
    ],
)
def test_out_of_office_focus_time_and_gmail_events_are_imported_with_their_type(event_type: str,
                                                                                 properties: dict) -> None:
    event = google_event(summary="Away", eventType=event_type, transparency="opaque",
                         start={"dateTime": "2026-05-01T09:00:00+02:00", "timeZone": "Europe/Madrid"},
                         end={"dateTime": "2026-05-01T17:00:00+02:00", "timeZone": "Europe/Madrid"}, **properties)
    assert skip_reason(event) is None
    imported = read(event)
    assert imported.google_event_type == event_type
    body = activity_to_event(imported)
    assert "eventType" not in body and not any(key.endswith("Properties") and key != "extendedProperties"
                                               for key in body)


@pytest.mark.parametrize(
    ("event", "reason"),
    [
        ({"id": "gone1", "status": "cancelled"}, "cancelled"),
        (google_event(status="cancelled", summary="Deleted on the organizer's calendar", **ALL_DAY), "cancelled"),
        (google_event(summary="x", recurringEventId="series1", originalStartTime={"date": "2026-05-01"}, **ALL_DAY),
         "instance of a recurring event"),
        (google_event(summary="Office", eventType="workingLocation", **ALL_DAY), "working-location"),
        (google_event(summary="Ana's birthday", eventType="birthday", recurrence=["RRULE:FREQ=YEARLY"], **ALL_DAY),
         "birthday"),
        (google_event(summary="No time"), "no start time"),
        (google_event(summary="Empty", start={}, end={}), "no start time"),
    ],
)
def test_what_import_skips_and_why(event: dict, reason: str) -> None:
    assert reason in (skip_reason(event) or "")
    with pytest.raises(NotAnActivity, match=reason):
        read(event)


# --- content hash ----------------------------------------------------------------------------------------------

BASE = google_event(
    summary="Review", description="Line 1\nLine 2", location="Room",
    start={"dateTime": "2026-03-29T10:00:00+02:00", "timeZone": "Europe/Madrid"},
    end={"dateTime": "2026-03-29T11:00:00+02:00", "timeZone": "Europe/Madrid"},
    attendees=[{"email": "ana@example.com", "responseStatus": "needsAction"},
               {"email": "bo@example.com", "displayName": "Bo", "responseStatus": "needsAction"}],
    recurrence=["RRULE:FREQ=WEEKLY", "EXDATE;TZID=Europe/Madrid:20260405T100000"],
)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"etag": '"999"', "updated": "2026-06-01T00:00:00Z", "sequence": 3, "htmlLink": "h"}, id="meta"),
        pytest.param({"reminders": {"useDefault": False, "overrides": [{"method": "popup", "minutes": 5}]}},
                     id="reminders"),
        pytest.param({"conferenceData": {"conferenceId": "abc-defg-hij"}, "colorId": "5"}, id="conference-color"),
        pytest.param({"creator": {"email": "x@example.com"}, "organizer": {"email": "x@example.com"}}, id="creator"),
        pytest.param({"start": {"dateTime": "2026-03-29T08:00:00Z", "timeZone": "Europe/Madrid"},
                      "end": {"dateTime": "2026-03-29T05:00:00-04:00", "timeZone": "Europe/Madrid"}},
                     id="same-instant-other-offset"),
        pytest.param({"attendees": [{"email": "Bo@Example.com", "displayName": "Bo", "responseStatus": "accepted"},
                                    {"email": "ana@example.com", "responseStatus": "declined"}]},
                     id="attendee-answers-order-case"),
        pytest.param({"recurrence": ["EXDATE;TZID=Europe/Madrid:20260405T100000", "RRULE:FREQ=WEEKLY"]},
                     id="recurrence-order"),
        pytest.param({"description": "Line 1\r\nLine 2"}, id="crlf"),
    ],
)
def test_the_hash_ignores_what_is_not_a_change_of_owned_content(changes: dict) -> None:
    assert content_hash({**BASE, **changes}) == content_hash(BASE)


@pytest.mark.parametrize(
    "changes",
    [
        {"summary": "Review!"},
        {"description": "Line 1"},
        {"location": ""},
        {"start": {"dateTime": "2026-03-29T10:30:00+02:00", "timeZone": "Europe/Madrid"}},
        {"start": {"dateTime": "2026-03-29T10:00:00+02:00", "timeZone": "Europe/Paris"}},  # same instant, other zone
        {"attendees": [{"email": "ana@example.com"}]},
        {"attendees": [{"email": "ana@example.com", "optional": True}, {"email": "bo@example.com",
                                                                        "displayName": "Bo"}]},
        {"recurrence": ["RRULE:FREQ=DAILY"]},
        {"visibility": "private"},
        {"transparency": "transparent"},
    ],
)
def test_the_hash_moves_with_each_owned_field(changes: dict) -> None:
    assert content_hash({**BASE, **changes}) != content_hash(BASE)


def test_the_hash_is_the_same_from_the_activity_and_from_its_event() -> None:
    imported = read(BASE)
    assert content_hash(imported) == content_hash(imported.content) == content_hash(BASE)
    assert content_hash(activity_to_event(imported)) == content_hash(BASE)
    assert re.fullmatch(r"[0-9a-f]{64}", content_hash(BASE))


def test_a_blank_subject_hashes_as_the_title_it_comes_back_with() -> None:
    untitled = activity(AllDay(date(2026, 5, 1), date(2026, 5, 1)), subject="")
    body = activity_to_event(untitled)
    assert body["summary"] == ""
    assert read(body).content.subject == NO_TITLE
    assert content_hash(untitled) == content_hash(body)


def test_an_untitled_event_added_into_the_crm_stays_untitled_in_google() -> None:
    added = read(google_event(**ALL_DAY))
    assert added.content.subject == NO_TITLE
    assert activity_to_event(added)["summary"] == ""


def test_an_event_without_time_zone_hashes_with_the_calendar_zone() -> None:
    event = google_event(summary="x", start={"dateTime": "2026-05-01T10:00:00+02:00"},
                         end={"dateTime": "2026-05-01T11:00:00+02:00"})
    madrid = activity(Timed(utc(2026, 5, 1, 8), utc(2026, 5, 1, 9), "Europe/Madrid"), subject="x")
    assert content_hash(event, calendar_time_zone="Europe/Madrid") == content_hash(madrid)
    assert content_hash(event, calendar_time_zone="Europe/Paris") != content_hash(madrid)
