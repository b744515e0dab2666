import pytest

from functions.core.link_rules import access_errors, check_link_body, conflicting_link, find_calendar
from functions.core.models import CalendarEntry, Link

CALENDARS = (
    CalendarEntry("me@example.com", "Me", primary=True, access_role="owner"),
    CalendarEntry("team@group.calendar.google.com", "Team", access_role="reader"),
    CalendarEntry("busy@group.calendar.google.com", "Busy", access_role="freeBusyReader"),
)


def test_missing_flags_are_off() -> None:
    link, errors = check_link_body({"calendar_id": "me@example.com"})
    assert errors == {} and link is not None
    assert (link.export, link.import_, link.import_existing) == (False, False, False)


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"calendar_id"}),
        ({"calendar_id": "  "}, {"calendar_id"}),
        ({"calendar_id": 3}, {"calendar_id"}),
        ({"calendar_id": "c", "export": "true"}, {"export"}),
        ({"calendar_id": "c", "import": 1, "import_existing": "no"}, {"import", "import_existing"}),
    ],
)
def test_bad_bodies_name_their_fields(body: dict, fields: set) -> None:
    link, errors = check_link_body(body)
    assert link is None and set(errors) == fields


def test_access_roles_limit_the_flags() -> None:
    def wanted(**flags: bool):
        return check_link_body({"calendar_id": "x", **flags})[0]

    owner, reader, busy = CALENDARS
    assert access_errors(owner, wanted(export=True, **{"import": True})) == {}
    assert set(access_errors(reader, wanted(export=True))) == {"export"}
    assert access_errors(reader, wanted(**{"import": True})) == {}
    assert set(access_errors(busy, wanted(**{"import": True}))) == {"import"}


def test_a_calendar_serves_one_activity_type() -> None:
    links = [Link("Meeting", "me@example.com"), Link("Call", "team@group.calendar.google.com")]
    assert conflicting_link(links, "Task", "me@example.com") == links[0]
    assert conflicting_link(links, "Meeting", "me@example.com") is None  # its own link
    assert conflicting_link(links, "Task", "other") is None
    assert find_calendar(CALENDARS, "team@group.calendar.google.com") == CALENDARS[1]
    assert find_calendar(CALENDARS, "nope") is None
