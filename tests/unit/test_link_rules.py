import pytest

from functions.core.link_rules import (
    access_errors,
    activity_type_doc_id,
    check_link_body,
    conflicting_link,
    find_calendar,
)
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
        ({"calendar_id": "c", "import_existing": True}, {"import_existing"}),
        ({"calendar_id": "c", "import": False, "import_existing": True}, {"import_existing"}),
    ],
)
def test_bad_bodies_name_their_fields(body: dict, fields: set) -> None:
    link, errors = check_link_body(body)
    assert link is None and set(errors) == fields


def test_access_roles_limit_the_flags() -> None:
    def wanted(**flags: bool):
        return check_link_body({"calendar_id": "x", **flags})[0]

    owner, reader, busy = CALENDARS
    assert access_errors(owner, wanted(export=True, **{"import": True, "import_existing": True})) == {}
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


def test_import_existing_comes_with_import() -> None:
    link, errors = check_link_body({"calendar_id": "c", "import_existing": True})
    assert link is None and "Import" in errors["import_existing"]
    link, errors = check_link_body({"calendar_id": "c", "import": True, "import_existing": True})
    assert errors == {} and link is not None and link.import_existing


NAMES = ["Call", "Meeting", "Task", "Google events", "call", "Réunion", "Reunion", "Réunion!", "会議", "予定",
         "a/b", "a-b", "a b", ".", "..", "__x__", "__.__", "x" * 64, "é" * 64, "Démo #1 (é)", "Demo #1 (e)", "~"]


def test_plain_names_are_their_own_document_ids() -> None:
    for name in ("Call", "Meeting", "Task", "Google events", "call-2", "A_b"):
        assert activity_type_doc_id(name) == name


@pytest.mark.parametrize("name", NAMES)
def test_document_ids_are_safe_for_firestore(name: str) -> None:
    doc_id = activity_type_doc_id(name)
    assert "/" not in doc_id and doc_id not in (".", "..")
    assert not (doc_id.startswith("__") and doc_id.endswith("__"))
    assert doc_id.isascii() and doc_id.isprintable() and 0 < len(doc_id.encode()) <= 100
    assert activity_type_doc_id(name) == doc_id  # stable


def test_document_ids_are_readable_and_distinct() -> None:
    assert activity_type_doc_id("Réunion").startswith("Reunion~")
    assert activity_type_doc_id("a/b").startswith("a-b~")
    ids = [activity_type_doc_id(name) for name in NAMES]
    assert len(set(ids)) == len(NAMES)
