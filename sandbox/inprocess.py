"""The sandbox in-process: the same WSGI app, reached without a socket.

For fast tests, Google's own client libraries talk to ``create_app()`` directly:

* :class:`InProcessHttp` — an ``httplib2.Http`` look-alike for google-api-python-client
  (``request(uri, method, body, headers, ...) -> (httplib2.Response, content)``);
* :class:`InProcessAuthRequest` — a ``google.auth.transport.Request`` for google-auth's token refreshes;
* :class:`WsgiAdapter` — a requests adapter, so ``SandboxControl`` (and any requests-based client)
  reaches the same app;
* :class:`InProcessSandbox` — one app plus a made-up base URL and the three transports above.

The base URL (``http://sandbox.invalid/`` by default) never resolves: nothing can leak to a network.
Redirects are returned, not followed (the Calendar API does not redirect). Push deliveries still go
from the sandbox's background threads to whatever address a channel names.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import google.auth.transport
import httplib2
import requests
import requests.adapters
from flask import Flask
from requests.structures import CaseInsensitiveDict
from werkzeug.test import EnvironBuilder, run_wsgi_app

from .app import create_app
from .control import SandboxControl

DEFAULT_BASE_URL = "http://sandbox.invalid/"


@dataclass(frozen=True)
class WsgiAnswer:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    content: bytes


def call_app(
    app: Any, method: str, url: str, body: bytes | str | None = None, headers: dict[str, str] | None = None
) -> WsgiAnswer:
    """Run one HTTP request through the WSGI ``app`` and collect the whole answer."""
    split = urlsplit(url)
    data = body.encode("utf-8") if isinstance(body, str) else body
    builder = EnvironBuilder(
        path=split.path or "/",
        query_string=split.query,
        method=method.upper(),
        headers=dict(headers or {}),
        data=data or None,
        base_url=f"{split.scheme}://{split.netloc}/",
    )
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    app_iter, status, response_headers = run_wsgi_app(app, environ, buffered=True)
    try:
        content = b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()
    code, _, reason = status.partition(" ")
    return WsgiAnswer(int(code), reason, list(response_headers.items()), content)


class InProcessHttp:
    """What google-api-python-client needs of ``httplib2.Http``, answered by the WSGI app."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.timeout = None

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        redirections: int = httplib2.DEFAULT_MAX_REDIRECTS,
        connection_type: Any = None,
    ) -> tuple[httplib2.Response, bytes]:
        answer = call_app(self.app, method, uri, body, headers)
        info: dict[str, str] = {}
        for name, value in answer.headers:
            key = name.lower()
            info[key] = f"{info[key]}, {value}" if key in info else value
        info["status"] = str(answer.status)
        response = httplib2.Response(info)
        response.reason = answer.reason
        return response, answer.content


class _AuthResponse(google.auth.transport.Response):
    def __init__(self, answer: WsgiAnswer) -> None:
        self._answer = answer

    @property
    def status(self) -> int:
        return self._answer.status

    @property
    def headers(self) -> dict[str, str]:
        return dict(self._answer.headers)

    @property
    def data(self) -> bytes:
        return self._answer.content


class InProcessAuthRequest(google.auth.transport.Request):
    """google-auth's transport (token endpoint calls) answered by the WSGI app."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(
        self,
        url: str,
        method: str = "GET",
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> google.auth.transport.Response:
        return _AuthResponse(call_app(self.app, method, url, body, headers))


class WsgiAdapter(requests.adapters.BaseAdapter):
    """A requests transport adapter answered by the WSGI app (mount it on the sandbox's base URL)."""

    def __init__(self, app: Any) -> None:
        super().__init__()
        self.app = app

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        answer = call_app(self.app, request.method or "GET", request.url or "/", request.body, dict(request.headers))
        response = requests.Response()
        response.status_code = answer.status
        response.reason = answer.reason
        response.headers = CaseInsensitiveDict(answer.headers)
        response._content = answer.content
        response._content_consumed = True
        response.raw = io.BytesIO(answer.content)
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        pass


class InProcessSandbox:
    """One sandbox app in this process, under a base URL that no socket ever serves."""

    def __init__(self, app: Flask | None = None, base_url: str = DEFAULT_BASE_URL, **app_options: Any) -> None:
        self.app = app if app is not None else create_app(**app_options)
        self.base_url = base_url.rstrip("/") + "/"

    def url(self, path: str = "") -> str:
        return self.base_url + path.lstrip("/")

    def http(self) -> InProcessHttp:
        return InProcessHttp(self.app)

    def auth_request(self) -> InProcessAuthRequest:
        return InProcessAuthRequest(self.app)

    def requests_session(self) -> requests.Session:
        session = requests.Session()
        session.mount(self.base_url, WsgiAdapter(self.app))
        return session

    def deliver_push_to(self, base_url: str, app: Any) -> None:
        """Push notifications to addresses under ``base_url`` go to the WSGI ``app`` in this process
        (no socket), e.g. a test's receiver; other addresses are posted over the network as usual."""
        self.app.extensions["sandbox"].push.session.mount(base_url, WsgiAdapter(app))

    def control(self) -> SandboxControl:
        """The control client (``/_sandbox/``), in-process."""
        control = SandboxControl(self.base_url)
        control.session = self.requests_session()
        return control
