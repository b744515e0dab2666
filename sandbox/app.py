"""The WSGI app: wiring, request hooks (faults, request log), error rendering."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from .errors import ApiError, fault_error
from .events import CalendarService
from .push import PushManager
from .state import State

ENV_METHOD = "sandbox.method"


class Sandbox:
    """Process-wide objects shared by the blueprints."""

    def __init__(self, state: State) -> None:
        self.state = state
        self.push = PushManager(state)
        self.service = CalendarService(state, notify=self.push.notify_calendar)


def sandbox() -> Sandbox:
    return current_app.extensions["sandbox"]


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    pretty = request.args.get("prettyPrint", "true") != "false" if request else True
    text = json.dumps(body, indent=1 if pretty else None, ensure_ascii=False)
    resp = Response(text, status=status, mimetype="application/json")
    resp.headers["Content-Type"] = "application/json; charset=UTF-8"
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def set_method(name: str) -> None:
    request.environ[ENV_METHOD] = name


def apply_faults(is_api_call: bool) -> None:
    """Raise the injected error (or sleep the injected delay) for this request, if any."""
    sb = sandbox()
    delay = 0.0
    err: ApiError | None = None
    with sb.state.lock:
        for fault in sb.state.faults:
            pc = fault.get("path_contains")
            if pc is not None:
                if pc not in request.full_path:
                    continue
            elif not is_api_call:
                continue
            if fault.get("count") is not None:
                if fault["count"] <= 0:
                    continue
                fault["count"] -= 1
            elif random.random() >= float(fault.get("rate", 1.0)):
                continue
            fault["hits"] = fault.get("hits", 0) + 1
            if fault.get("delay_seconds"):
                delay += float(fault["delay_seconds"])
                continue
            err = fault_error(int(fault["status"]), fault.get("reason"))
            break
    if delay:
        time.sleep(delay)
    if err is not None:
        raise err


def create_app(
    access_token_ttl: int = 3600,
    snapshot_path: str | None = None,
    push_retry_base: float | None = None,
) -> Flask:
    """Build the sandbox WSGI app (state in memory, optional JSON snapshot)."""
    app = Flask("sandbox", template_folder=str(Path(__file__).parent / "templates"), static_folder=None)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.url_map.strict_slashes = True
    state = State(access_token_ttl=access_token_ttl, snapshot_path=snapshot_path)
    if push_retry_base is not None:
        state.push_retry_base = state.default_push_retry_base = push_retry_base
    sb = Sandbox(state)
    app.extensions["sandbox"] = sb

    from .batch import bp as batch_bp
    from .calendar_api import bp as calendar_bp
    from .control_api import bp as control_bp
    from .oauth import bp as oauth_bp

    app.register_blueprint(calendar_bp)
    app.register_blueprint(batch_bp)
    app.register_blueprint(oauth_bp)
    app.register_blueprint(control_bp)

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return json_response(exc.body(), exc.code, exc.headers)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        code = exc.code or 500
        if request.path.startswith("/_sandbox/"):
            return json_response({"error": exc.description}, code)
        if code == 404:
            return json_response(ApiError(404, "notFound", "Not Found").body(), 404)
        if code == 405:
            return json_response(ApiError(405, "httpMethodNotAllowed", "Method Not Allowed").body(), 405)
        return json_response(ApiError(code, "badRequest", exc.name).body(), code)

    @app.after_request
    def _log(resp: Response) -> Response:
        if request.path.startswith("/_sandbox/"):
            if state.dirty and state.snapshot_path:
                state.save()
            return resp
        name = request.environ.get(ENV_METHOD, "unknown")
        state.record(name, request.method, request.path, resp.status_code)
        if state.dirty and state.snapshot_path:
            state.save()
        return resp

    return app
