"""Google errors typed in one place; bounded retries with backoff on the retryable ones."""

import json
from datetime import UTC, datetime

import pytest
import requests

from functions.google import errors
from functions.google.http import GoogleHttp
from functions.google.oauth_client import OAuthClient, OAuthEndpoints, token_set_from_answer
from functions.google.retry import RetryPolicy


def response(status: int, body: object = None, headers: dict | None = None) -> requests.Response:
    r = requests.Response()
    r.status_code = status
    r._content = json.dumps(body).encode() if body is not None else b""
    r.headers.update(headers or {})
    return r


def api_error(status: int, reason: str) -> dict:
    return {"error": {"errors": [{"domain": "global", "reason": reason, "message": reason}], "code": status,
                      "message": reason}}


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (400, {"error": "invalid_grant", "error_description": "Token expired or revoked."}, errors.InvalidGrant),
        (401, {"error": "invalid_client", "error_description": "Client not found."}, errors.InvalidClient),
        (401, {"error": "unauthorized_client"}, errors.InvalidClient),
        (400, {"error": "redirect_uri_mismatch"}, errors.RedirectUriMismatch),
        (400, {"error": "invalid_token"}, errors.OAuthError),
        (401, api_error(401, "authError"), errors.AuthError),
        (403, api_error(403, "rateLimitExceeded"), errors.RateLimited),
        (403, api_error(403, "userRateLimitExceeded"), errors.RateLimited),
        (403, api_error(403, "forbidden"), errors.Forbidden),
        (429, api_error(429, "rateLimitExceeded"), errors.RateLimited),
        (500, api_error(500, "backendError"), errors.ServerError),
        (503, None, errors.ServerError),
        (404, api_error(404, "notFound"), errors.NotFound),
        (410, api_error(410, "fullSyncRequired"), errors.InvalidSyncToken),
        (410, api_error(410, "deleted"), errors.Gone),
        (412, api_error(412, "conditionNotMet"), errors.PreconditionFailed),
        (409, api_error(409, "duplicate"), errors.Conflict),
    ],
)
def test_answers_become_typed_errors(status: int, body: object, kind: type) -> None:
    error = errors.error_from_response(response(status, body))
    assert type(error) is kind
    assert isinstance(error, errors.GoogleError) and error.status == status


class FakeSession:
    def __init__(self, answers: list) -> None:
        self.answers = list(answers)
        self.calls: list[tuple] = []

    def request(self, method: str, url: str, **kwargs: object) -> requests.Response:
        self.calls.append((method, url, kwargs))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def http_with(answers: list, max_attempts: int = 4) -> tuple[GoogleHttp, FakeSession, list[float]]:
    sleeps: list[float] = []
    session = FakeSession(answers)
    http = GoogleHttp(retry=RetryPolicy(max_attempts=max_attempts, sleep=sleeps.append), session=session)  # type: ignore[arg-type]
    return http, session, sleeps


def test_retryable_failures_are_retried_with_growing_capped_jittered_waits() -> None:
    http, session, sleeps = http_with(
        [response(503), response(429), response(403, api_error(403, "rateLimitExceeded")), response(200, {"ok": 1})]
    )
    assert http.request("GET", "https://x/").json() == {"ok": 1}
    assert len(session.calls) == 4
    assert [s <= c for s, c in zip(sleeps, (0.5, 1.0, 2.0), strict=True)] == [True, True, True]


def test_retries_are_bounded() -> None:
    http, session, _ = http_with([response(500)] * 10, max_attempts=3)
    with pytest.raises(errors.ServerError):
        http.request("GET", "https://x/")
    assert len(session.calls) == 3


def test_connection_failures_are_retried_then_typed() -> None:
    http, session, _ = http_with([requests.ConnectionError("refused")] * 3, max_attempts=3)
    with pytest.raises(errors.TransportError):
        http.request("GET", "https://x/")
    assert len(session.calls) == 3


def test_other_failures_are_not_retried() -> None:
    http, session, sleeps = http_with([response(400, {"error": "invalid_grant"})])
    with pytest.raises(errors.InvalidGrant):
        http.request("POST", "https://x/token")
    assert (len(session.calls), sleeps) == (1, [])


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    http, _, sleeps = http_with([response(429, headers={"Retry-After": "3"}), response(200, {})])
    http.request("GET", "https://x/")
    assert sleeps[0] >= 3


def test_the_consent_url_asks_for_offline_calendar_access_with_pkce() -> None:
    from urllib.parse import parse_qs, urlsplit

    endpoints = OAuthEndpoints("https://sandbox.test/o/oauth2/v2/auth", "https://sandbox.test/token", "https://sandbox.test/revoke")
    client = OAuthClient("1-a.apps.googleusercontent.com", "s", "https://cb.test/oauth_callback", endpoints)
    url = client.authorize_url("the-state", "the-challenge")
    assert url.startswith("https://sandbox.test/o/oauth2/v2/auth?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    assert query == {
        "response_type": "code",
        "client_id": "1-a.apps.googleusercontent.com",
        "redirect_uri": "https://cb.test/oauth_callback",
        "scope": "https://www.googleapis.com/auth/calendar",
        "state": "the-state",
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
        "code_challenge": "the-challenge",
        "code_challenge_method": "S256",
    }


def test_token_answers_are_read_with_their_expiry() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    tokens = token_set_from_answer(
        {"access_token": "ya29.x", "expires_in": 3599, "refresh_token": "1//0r", "scope": "a b"}, now
    )
    assert (tokens.access_token, tokens.refresh_token, tokens.scopes) == ("ya29.x", "1//0r", ("a", "b"))
    assert (tokens.expires_at - now).total_seconds() == 3599
    with pytest.raises(errors.OAuthError):
        token_set_from_answer({"expires_in": 5}, now)


def test_the_client_check_uses_the_configured_token_url_and_reads_invalid_grant_as_fine() -> None:
    http, session, _ = http_with([response(400, {"error": "invalid_grant"})])
    endpoints = OAuthEndpoints("https://sandbox.test/auth", "https://sandbox.test/token", "https://sandbox.test/revoke")
    OAuthClient("1-a.apps.googleusercontent.com", "s", "https://cb.test/cb", endpoints, http=http).check_client()
    method, url, kwargs = session.calls[0]
    assert (method, url) == ("POST", "https://sandbox.test/token")
    assert kwargs["data"]["grant_type"] == "authorization_code"

    http, _, _ = http_with([response(401, {"error": "invalid_client"})])
    with pytest.raises(errors.InvalidClient):
        OAuthClient("1-a.apps.googleusercontent.com", "s", "https://cb.test/cb", endpoints, http=http).check_client()
