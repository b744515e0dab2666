"""openapi.yaml and the app agree both ways: the same routes, and real answers fit the schemas."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from functions.web import activities_routes, api_routes, callback, webhook
from tests.integration.conftest import Api, SignedIn

SPEC_PATH = Path(__file__).resolve().parents[2] / "openapi.yaml"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@lru_cache(maxsize=1)
def spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text())


def spec_operations(prefix: str) -> set[tuple[str, str]]:
    return {
        (method, path)
        for path, item in spec()["paths"].items()
        if path.split("/")[1] == prefix
        for method in item
        if method in METHODS
    }


def app_operations() -> dict[str, set[tuple[str, str]]]:
    """The routes each function answers, from the routers' own tables."""
    return {
        "api": {(r.method.lower(), "/api" + r.path) for r in api_routes.ROUTES},
        "oauth_callback": {(m.lower(), "/oauth_callback" + p) for m, p in callback.ROUTES},
        "activities": {(r.method.lower(), "/activities" + r.path) for r in activities_routes.ROUTES},
        "calendar_webhook": {(m.lower(), "/calendar_webhook" + p) for m, p in webhook.ROUTES},
    }


@pytest.mark.parametrize("function", ["api", "oauth_callback", "activities", "calendar_webhook"])
def test_the_spec_and_the_routers_list_the_same_routes(function: str) -> None:
    in_app = app_operations()[function]
    in_spec = spec_operations(function)
    assert in_app - in_spec == set(), "routes missing from openapi.yaml"
    assert in_spec - in_app == set(), "openapi.yaml routes the app does not have"


def test_the_spec_only_describes_http_functions_of_main() -> None:
    from devstack.server import function_signatures

    http_functions = {name for name, kind in function_signatures().items() if kind == "http"}
    described = {path.split("/")[1] for path in spec()["paths"]}
    assert described == {"api", "oauth_callback", "pages", "activities", "calendar_webhook"}
    assert described <= http_functions


def test_every_operation_is_complete_and_every_ref_resolves() -> None:
    document = spec()
    assert document["openapi"].startswith("3.1")
    ids = []
    for path, item in document["paths"].items():
        for method, operation in item.items():
            ids.append(operation["operationId"])
            assert operation["responses"], (method, path)
            params = set(re.findall(r"\{(\w+)\}", path))
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert params == declared, (method, path)
            if path.startswith(("/api/", "/activities/")):
                assert operation["security"] == [{"firebase": []}]
                assert "401" in operation["responses"], (method, path)
                if path.startswith("/api/"):
                    assert ("403" in operation["responses"]) == path.startswith("/api/admin/"), (method, path)
    assert len(ids) == len(set(ids))
    text = json.dumps(document)
    for target in set(re.findall(r'"\$ref": "#/([^"]+)"', text)):
        node: Any = document
        for part in target.split("/"):
            node = node[part]


def test_every_pages_route_of_the_spec_answers_and_others_do_not(functions_url: str) -> None:
    import requests

    for method, path in spec_operations("pages"):
        url = functions_url + path.lstrip("/").replace("{file}", "app.js")
        assert requests.request(method, url, timeout=10).status_code == 200, path
    assert requests.get(functions_url + "pages/undeclared", timeout=10).status_code == 404


def validate(body: Any, schema_name: str) -> None:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec()["components"]}
    jsonschema.Draft202012Validator(schema).validate(body)


def test_real_answers_fit_the_schemas(
    api: Api, connected_user: SignedIn, configured: SignedIn, calendars_of: Any
) -> None:
    user, admin = connected_user, configured
    link_body = {"calendar_id": calendars_of(user)["CRM Meetings"], "export": True, "import": True}
    link = api.call("PUT", "links/Meeting", user.token, link_body)
    answers = {
        "Link": link,
        "Me": api.call("GET", "me", user.token),
        "ActivityTypes": api.call("GET", "activity-types", user.token),
        "Links": api.call("GET", "links", user.token),
        "Status": api.call("GET", "status", user.token),
        "Calendars": api.call("POST", "calendars/refresh", user.token),
        "Settings": api.call("GET", "admin/settings", admin.token),
        "AdminStatus": api.call("GET", "admin/status", admin.token),
    }
    for schema_name, answer in answers.items():
        assert answer.status_code == 200, (schema_name, answer.text)
        validate(answer.json(), schema_name)
    errors = [
        api.call("GET", "me"),
        api.call("GET", "admin/status", user.token),
        api.call("PUT", "admin/settings", admin.token, {"client_id": "x"}),
        api.call("PUT", "links/Call", user.token, link_body),
        api.call("PUT", "links/Nope", user.token, link_body),
    ]
    assert [e.status_code for e in errors] == [401, 403, 400, 409, 404]
    for answer in errors:
        validate(answer.json(), "Error")
    connect = api.call("POST", "connect", user.token, {})
    validate(connect.json(), "ConnectAnswer")
    validate(api.call("POST", "disconnect", user.token).json(), "DisconnectAnswer")


def test_activity_answers_fit_the_schemas(
    functions_url: str, api: Api, connected_user: SignedIn, configured: SignedIn, calendars_of: Any
) -> None:
    activities = Api(functions_url + "activities/")
    user, admin = connected_user, configured
    link_body = {"calendar_id": calendars_of(user)["CRM Meetings"], "export": True}
    assert api.call("PUT", "links/Meeting", user.token, link_body).status_code == 200
    timed = {"activity_type": "Meeting", "subject": "Kick-off", "start": "2026-12-07T09:00:00+01:00",
             "end": "2026-12-07T10:00:00+01:00", "time_zone": "Europe/Madrid",
             "attendees": [{"email": "guest@example.com"}], "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=2"]}
    created = activities.call("POST", "", user.token, timed)
    all_day = activities.call("POST", "", user.token, {"activity_type": "Call", "subject": "Off", "all_day": True,
                                                       "start_date": "2026-12-08", "end_date": "2026-12-08"})
    assert (created.status_code, all_day.status_code) == (201, 201), (created.text, all_day.text)
    answers = {
        "Activity": created,
        "Activities": activities.call("GET", "?start=2026-12-01&end=2026-12-31", user.token),
        "Group": activities.call("PUT", "groups/sales", admin.token, {"name": "Sales", "member_uids": [user.uid]}),
        "Groups": activities.call("GET", "groups", admin.token),
    }
    validate(all_day.json(), "Activity")
    for schema_name, answer in answers.items():
        assert answer.status_code == 200 or schema_name == "Activity", (schema_name, answer.text)
        validate(answer.json(), schema_name)
    errors = [
        activities.call("POST", "", user.token, {**timed, "subject": ""}),
        activities.call("GET", "nope", user.token),
        activities.call("GET", "?start=2026-12-01&end=2026-12-31&owner_uid=someone", user.token),
        activities.call("GET", "groups", user.token),
    ]
    assert [e.status_code for e in errors] == [400, 404, 403, 403]
    for answer in errors:
        validate(answer.json(), "Error")
