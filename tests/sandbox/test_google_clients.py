"""google-api-python-client (batch included) and google-auth work against the sandbox unchanged."""

from __future__ import annotations

import json

import google.auth.transport.requests
import google_auth_httplib2
import httplib2
import pytest
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError
from googleapiclient.http import BatchHttpRequest

from sandbox.control import SandboxControl

from .conftest import ALICE, CLIENT_ID, CLIENT_SECRET, timed
from .discovery_schema import DISCOVERY

EV = timed("2024-03-01T10:00:00Z", "2024-03-01T11:00:00Z", summary="lib")


def service_for(sandbox_url: str, creds: Credentials, via_root_url: bool = False):
    """Either override the endpoint (``api_endpoint``), or point the document's rootUrl at the sandbox."""
    http = google_auth_httplib2.AuthorizedHttp(creds, http=httplib2.Http(timeout=10))
    if via_root_url:
        doc = json.loads(DISCOVERY.read_text())
        doc["rootUrl"] = sandbox_url
        return build_from_document(doc, http=http)
    return build_from_document(
        DISCOVERY.read_text(), http=http, client_options={"api_endpoint": sandbox_url + "calendar/v3/"}
    )


def creds_for(sandbox_url: str, tokens: dict) -> Credentials:
    return Credentials(
        token=tokens.get("access_token"),
        refresh_token=tokens["refresh_token"],
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        token_uri=sandbox_url + "token",
    )


def test_google_auth_refresh(sandbox_url: str, sandbox: SandboxControl, alice: dict) -> None:
    creds = creds_for(sandbox_url, {"refresh_token": alice["refresh_token"]})
    creds.refresh(google.auth.transport.requests.Request())
    assert creds.token and creds.token.startswith("ya29.") and creds.expiry is not None
    sandbox.revoke_grant(ALICE, CLIENT_ID)
    with pytest.raises(google.auth.exceptions.RefreshError) as info:
        creds.refresh(google.auth.transport.requests.Request())
    assert "invalid_grant" in str(info.value)


def test_discovery_client_crud_list_and_errors(sandbox_url: str, sandbox: SandboxControl, alice: dict) -> None:
    svc = service_for(sandbox_url, creds_for(sandbox_url, alice))
    cals = svc.calendarList().list().execute()
    assert cals["items"][0]["id"] == ALICE
    ev = svc.events().insert(calendarId="primary", body={**EV, "id": "abcdef12345"}).execute()
    assert ev["id"] == "abcdef12345"
    svc.events().patch(calendarId="primary", eventId=ev["id"], body={"summary": "patched"}).execute()
    listing = svc.events().list(calendarId="primary", singleEvents=True, maxResults=10).execute()
    assert [e["summary"] for e in listing["items"]] == ["patched"]
    with pytest.raises(HttpError) as info:
        svc.events().insert(calendarId="primary", body={**EV, "id": "abcdef12345"}).execute()
    assert info.value.status_code == 409
    assert info.value.error_details[0]["reason"] == "duplicate"
    svc.events().delete(calendarId="primary", eventId=ev["id"]).execute()
    with pytest.raises(HttpError) as info:
        svc.events().delete(calendarId="primary", eventId=ev["id"]).execute()
    assert info.value.status_code == 410


def test_expired_access_token_is_refreshed_by_the_library(
    sandbox_url: str, sandbox: SandboxControl, alice: dict
) -> None:
    svc = service_for(sandbox_url, creds_for(sandbox_url, alice))
    svc.events().list(calendarId="primary").execute()
    sandbox.expire_access_tokens()
    svc.events().list(calendarId="primary").execute()  # 401 -> refresh -> retry, inside the library
    counts = sandbox.request_counts()
    assert counts["oauth.token"] == 1 and counts["calendar.events.list"] == 3


def test_batch_through_the_library(sandbox_url: str, sandbox: SandboxControl, alice: dict) -> None:
    svc = service_for(sandbox_url, creds_for(sandbox_url, alice), via_root_url=True)
    sandbox.clear_request_log()
    results: dict[str, object] = {}

    def cb(request_id: str, response: object, exception: Exception | None) -> None:
        results[request_id] = exception if exception is not None else response

    batch = svc.new_batch_http_request(callback=cb)  # batch URI derived from rootUrl
    assert isinstance(batch, BatchHttpRequest)
    for i in range(3):
        batch.add(svc.events().insert(calendarId="primary", body={**EV, "id": f"batch{i:05d}"}), request_id=f"r{i}")
    batch.add(svc.events().get(calendarId="primary", eventId="missing000"), request_id="missing")
    batch.execute()
    assert {k: v["id"] for k, v in results.items() if isinstance(v, dict)} == {
        "r0": "batch00000",
        "r1": "batch00001",
        "r2": "batch00002",
    }
    assert isinstance(results["missing"], HttpError) and results["missing"].status_code == 404
    counts = sandbox.request_counts()
    assert counts["batch"] == 1 and counts["calendar.events.insert"] == 3 and counts["calendar.events.get"] == 1

    explicit = BatchHttpRequest(callback=cb, batch_uri=sandbox_url + "batch/calendar/v3")
    explicit.add(svc.events().list(calendarId="primary"), request_id="list")
    explicit.execute(http=svc._http)
    assert len(results["list"]["items"]) == 3


def test_raw_batch_limits_and_auth(sandbox_url: str, alice: dict) -> None:
    import requests

    def part(i: int) -> str:
        return (
            f"--b\r\nContent-Type: application/http\r\nContent-ID: <item{i}>\r\n\r\n"
            "GET /calendar/v3/users/me/calendarList HTTP/1.1\r\n\r\n"
        )

    url = sandbox_url + "batch/calendar/v3"
    headers = {"Content-Type": "multipart/mixed; boundary=b", "Authorization": "Bearer " + alice["access_token"]}
    ok = requests.post(url, data="".join(part(i) for i in range(2)) + "--b--\r\n", headers=headers, timeout=10)
    assert ok.status_code == 200 and ok.headers["Content-Type"].startswith("multipart/mixed; boundary=")
    assert ok.text.count("Content-ID: <response-item") == 2 and ok.text.count("HTTP/1.1 200 OK") == 2
    body = ok.text.split("HTTP/1.1 200 OK", 1)[1].split("\r\n\r\n", 1)[1].split("\r\n--", 1)[0]
    assert json.loads(body)["kind"] == "calendar#calendarList"
    too_many = requests.post(url, data="".join(part(i) for i in range(1001)) + "--b--\r\n", headers=headers, timeout=30)
    assert too_many.status_code == 400
    noauth = requests.post(
        url, data=part(0) + "--b--\r\n", headers={"Content-Type": "multipart/mixed; boundary=b"}, timeout=10
    )
    assert noauth.status_code == 200 and "HTTP/1.1 401" in noauth.text
