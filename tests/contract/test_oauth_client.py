"""OAuthClient's checks of the admin's settings go through GoogleHttp (retries, typed errors), on both backends."""

from __future__ import annotations

import pytest
import requests

from functions.google import errors
from functions.google.http import GoogleHttp
from functions.google.oauth_client import OAuthClient, OAuthEndpoints
from functions.google.retry import RetryPolicy

from .conftest import CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, Backend


@pytest.fixture(params=["http_backend", "inprocess_backend"])
def backend(request: pytest.FixtureRequest) -> Backend:
    backend: Backend = request.getfixturevalue(request.param)
    backend.control.reset()
    backend.control.create_oauth_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT_URI])
    return backend


def client(backend: Backend, client_id: str = CLIENT_ID, redirect_url: str = REDIRECT_URI,
           secret: str = CLIENT_SECRET) -> OAuthClient:
    session = backend.make_requests_session() if backend.make_requests_session else requests.Session()
    http = GoogleHttp(retry=RetryPolicy(max_attempts=2, sleep=lambda _: None), session=session)
    base = backend.base_url
    endpoints = OAuthEndpoints(base + "o/oauth2/v2/auth", base + "token", base + "revoke")
    return OAuthClient(client_id, secret, redirect_url, endpoints, http=http)


def test_a_registered_redirect_url_passes(backend: Backend) -> None:
    client(backend).check_redirect_url()
    client(backend).check_client()


def test_an_unregistered_redirect_url_is_a_mismatch(backend: Backend) -> None:
    with pytest.raises(errors.RedirectUriMismatch):
        client(backend, redirect_url="http://127.0.0.1:9/elsewhere").check_redirect_url()


def test_an_unknown_client_is_left_to_the_client_check(backend: Backend) -> None:
    unknown = client(backend, client_id="999999999999-unknown.apps.googleusercontent.com")
    unknown.check_redirect_url()
    with pytest.raises(errors.InvalidClient):
        unknown.check_client()
    with pytest.raises(errors.InvalidClient):
        client(backend, secret="wrong").check_client()


def test_a_consent_endpoint_failure_is_retried_then_typed(backend: Backend) -> None:
    backend.control.inject_fault(status=503, count=5, path_contains="/o/oauth2/v2/auth")
    with pytest.raises(errors.ServerError):
        client(backend).check_redirect_url()
    assert backend.control.request_counts()["oauth.authorize"] == 2
