"""Hostile input at the edge: 4xx JSON errors naming the problem, never a 500."""

from __future__ import annotations

import functions_framework
import pytest
from flask import Flask, Response

from functions.web.errors import json_errors
from functions.web.router import MAX_BODY_BYTES, PUBLIC, Route, Router, json_body

APP = Flask("limits")


def echo(request, identity, **params):  # noqa: ANN001, ANN201
    return Response(repr(sorted(json_body(request))))


ROUTER = Router([Route("PUT", "/things/{name}", echo, PUBLIC), Route("DELETE", "/things/{name}", echo, PUBLIC)])
HANDLER = json_errors(ROUTER.dispatch)


def call(method: str, path: str, data: bytes | str = b"", **kwargs: object) -> Response:
    with APP.test_request_context(path, method=method, data=data, content_type="application/json", **kwargs):
        from flask import request

        return HANDLER(request)


@pytest.fixture(autouse=True)
def demo_project(monkeypatch: pytest.MonkeyPatch):
    from functions.config import get_settings

    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo-limits")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def error_of(answer: Response) -> dict:
    assert answer.mimetype == "application/json"
    return answer.get_json()["error"]


@pytest.mark.parametrize("body", ["[" * 10_000, '{"a":' * 10_000, "[" * 60_000])
def test_deeply_nested_json_is_a_400(body: str) -> None:
    answer = call("PUT", "/things/x", body)
    assert answer.status_code == 400
    assert error_of(answer)["code"] == "invalid_json" and "nested" in error_of(answer)["message"]


@pytest.mark.parametrize(("body", "words"), [("{", "not valid JSON"), (b"\xff\xfe", "not UTF-8"),
                                             ("[1]", "JSON object"), ("", "JSON object")])
def test_malformed_bodies_say_why(body: str, words: str) -> None:
    answer = call("PUT", "/things/x", body)
    assert (answer.status_code, error_of(answer)["code"]) == (400, "invalid_json")
    assert words in error_of(answer)["message"]


def test_bodies_over_the_limit_are_a_413_before_any_parsing() -> None:
    assert call("PUT", "/things/x", '{"a": "' + "x" * (MAX_BODY_BYTES - 20) + '"}').status_code == 200
    for size in (MAX_BODY_BYTES + 1, 20 * 1024 * 1024):
        answer = call("PUT", "/things/x", b"{" + b" " * (size - 2) + b"}")
        assert answer.status_code == 413
        assert error_of(answer)["code"] == "payload_too_large" and "64 KiB" in error_of(answer)["message"]


def test_a_body_without_content_length_is_bounded_too() -> None:
    body = b'{"a": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}'
    with APP.test_request_context("/things/x", method="PUT", input_stream=__import__("io").BytesIO(body),
                                  headers={"Transfer-Encoding": "chunked"},
                                  environ_overrides={"wsgi.input_terminated": True}):
        from flask import request

        answer = HANDLER(request)
    assert answer.status_code == 413


def test_405_names_the_allowed_methods_in_the_allow_header() -> None:
    answer = call("POST", "/things/x", "{}")
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "PUT, DELETE"
    assert error_of(answer)["code"] == "method_not_allowed"


def test_json_answers_are_not_sniffed_or_cached() -> None:
    for answer in (call("PUT", "/things/x", "["), call("GET", "/nowhere"), call("POST", "/things/x")):
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/me%0A", "/links/Meeting%0A", "/%0A%0D", "/me%0Aextra"])
def test_paths_with_newlines_get_the_json_404(path: str) -> None:
    client = functions_framework.create_app(target="api", source="main.py").test_client()
    answer = client.get(path)
    assert answer.status_code == 404
    assert error_of(answer)["code"] == "not_found"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
