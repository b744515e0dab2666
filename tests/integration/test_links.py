"""Links: one activity type -> one of the user's calendars; a calendar used by one type only."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import Api, SignedIn


def put(api: Api, user: SignedIn, activity_type: str, **body: Any) -> Any:
    return api.call("PUT", f"links/{activity_type}", user.token, body)


def test_a_user_maps_activity_types_to_their_calendars(
    api: Api, connected_user: SignedIn, calendars_of: Any
) -> None:
    calendars = calendars_of(connected_user)
    answer = put(api, connected_user, "Meeting", calendar_id=calendars["CRM Meetings"], export=True, **{"import": True})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "activity_type": "Meeting",
        "calendar_id": calendars["CRM Meetings"],
        "calendar_summary": "CRM Meetings",
        "export": True,
        "import": True,
        "import_existing": False,
        "last_export": None,
        "last_import": None,
        "last_error": None,
        "paused_reason": None,
        "privacy": {"level": "full", "fields": ["subject", "description", "location", "attendees"]},
        "status": {"state": "synced", "reason": None, "message": None, "fix": None},
        "resync": None,
        "push": {"state": "live", "expires_at": answer.json()["push"]["expires_at"], "error": None},
    }
    assert answer.json()["push"]["expires_at"] is not None
    changed = put(api, connected_user, "Meeting", calendar_id=calendars["CRM Meetings"], export=False)
    assert (changed.json()["export"], changed.json()["import"]) == (False, False)
    assert changed.json()["push"] == {"state": "off", "expires_at": None, "error": None}  # import off: stopped
    assert put(api, connected_user, "Call", calendar_id=calendars["CRM Calls"], export=True).status_code == 200

    links = api.call("GET", "links", connected_user.token).json()["links"]
    assert [(lk["activity_type"], lk["calendar_summary"]) for lk in links] == [
        ("Call", "CRM Calls"),
        ("Meeting", "CRM Meetings"),
    ]
    status = api.call("GET", "status", connected_user.token).json()
    assert [lk["activity_type"] for lk in status["links"]] == ["Call", "Meeting"]

    assert api.call("DELETE", "links/Call", connected_user.token).status_code == 204
    assert [lk["activity_type"] for lk in api.call("GET", "links", connected_user.token).json()["links"]] == ["Meeting"]


def test_a_calendar_serves_only_one_activity_type(api: Api, connected_user: SignedIn, calendars_of: Any) -> None:
    calendars = calendars_of(connected_user)
    assert put(api, connected_user, "Meeting", calendar_id=calendars["CRM Meetings"], export=True).status_code == 200

    answer = put(api, connected_user, "Call", calendar_id=calendars["CRM Meetings"], export=False)

    assert answer.status_code == 409
    error = answer.json()["error"]
    assert error["code"] == "calendar_in_use"
    assert error["details"]["activity_type"] == "Meeting"
    assert [lk["activity_type"] for lk in api.call("GET", "links", connected_user.token).json()["links"]] == ["Meeting"]
    # Moving Meeting to another calendar frees the first one.
    assert put(api, connected_user, "Meeting", calendar_id=calendars["CRM Calls"]).status_code == 200
    assert put(api, connected_user, "Call", calendar_id=calendars["CRM Meetings"]).status_code == 200


def test_link_refusals(api: Api, connected_user: SignedIn, calendars_of: Any) -> None:
    calendar_id = calendars_of(connected_user)["CRM Meetings"]

    unknown_type = put(api, connected_user, "Lunch", calendar_id=calendar_id)
    assert (unknown_type.status_code, unknown_type.json()["error"]["code"]) == (404, "unknown_activity_type")

    bad = put(api, connected_user, "Meeting", calendar_id="", export="yes")
    assert (bad.status_code, bad.json()["error"]["code"]) == (400, "invalid_link")
    assert set(bad.json()["error"]["details"]["fields"]) == {"calendar_id", "export"}

    foreign = put(api, connected_user, "Meeting", calendar_id="someone-else@example.com", export=True)
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (422, "unknown_calendar")

    assert api.call("GET", "links", connected_user.token).json()["links"] == []


def test_links_need_a_connected_account(api: Api, configured: SignedIn, user: SignedIn) -> None:
    answer = put(api, user, "Meeting", calendar_id=user.email, export=True)
    assert (answer.status_code, answer.json()["error"]["code"]) == (409, "not_connected")


def test_activity_types_are_configured_by_the_admin(api: Api, admin: SignedIn, user: SignedIn) -> None:
    assert api.call("GET", "activity-types", user.token).json() == {"activity_types": ["Call", "Meeting", "Task"]}
    answer = api.call("PUT", "admin/activity-types", admin.token, {"activity_types": ["Call", "Meeting", "Demo"]})
    assert answer.status_code == 200
    assert api.call("GET", "activity-types", user.token).json() == {"activity_types": ["Call", "Meeting", "Demo"]}
    for wrong in ([], ["Call", "call"], ["..", "Call"], ["Tab\there"], "Call"):
        refused = api.call("PUT", "admin/activity-types", admin.token, {"activity_types": wrong})
        assert (refused.status_code, refused.json()["error"]["code"]) == (400, "invalid_activity_types"), wrong
    assert api.call("PUT", "admin/activity-types", user.token, {"activity_types": ["X"]}).status_code == 403


def test_import_existing_is_refused_without_import(api: Api, connected_user: SignedIn, calendars_of: Any) -> None:
    calendar_id = calendars_of(connected_user)["CRM Meetings"]
    answer = put(api, connected_user, "Meeting", calendar_id=calendar_id, import_existing=True)
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "invalid_link")
    assert list(answer.json()["error"]["details"]["fields"]) == ["import_existing"]
    assert api.call("GET", "links", connected_user.token).json()["links"] == []
    both = put(api, connected_user, "Meeting", calendar_id=calendar_id, import_existing=True, **{"import": True})
    assert both.status_code == 200 and both.json()["import_existing"] is True


def test_any_printable_activity_type_name_links_and_keeps_its_name(
    api: Api, admin: SignedIn, connected_user: SignedIn, calendars_of: Any, firestore_db: Any
) -> None:
    from urllib.parse import quote

    from functions.core.link_rules import activity_type_doc_id

    names = ["Réunion", "Google/events", "会議", "__x__"]
    saved = api.call("PUT", "admin/activity-types", admin.token, {"activity_types": names})
    assert saved.status_code == 200, saved.text
    assert saved.json()["activity_types"] == names
    calendars = calendars_of(connected_user)
    for name, calendar in (("Réunion", "CRM Meetings"), ("Google/events", "CRM Calls")):
        answer = put(api, connected_user, quote(name, safe=""), calendar_id=calendars[calendar], export=True)
        assert answer.status_code == 200, answer.text
        assert answer.json()["activity_type"] == name
    links = api.call("GET", "links", connected_user.token).json()["links"]
    assert [lk["activity_type"] for lk in links] == ["Google/events", "Réunion"]

    stored = {s.id: s.to_dict()["activity_type"]
              for s in firestore_db.collection(f"users/{connected_user.uid}/links").stream()}
    assert stored == {activity_type_doc_id(name): name for name in ("Réunion", "Google/events")}
    assert all("/" not in doc_id and doc_id.isascii() for doc_id in stored)

    assert api.call("DELETE", "links/" + quote("Google/events", safe=""), connected_user.token).status_code == 204
    assert [lk["activity_type"] for lk in api.call("GET", "links", connected_user.token).json()["links"]] == ["Réunion"]
