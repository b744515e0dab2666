"""``POST /batch/calendar/v3``: multipart/mixed in, multipart/mixed out.

Each part is dispatched through the whole app (auth, faults, request log), so every
sub-request counts as a call, plus one ``batch`` entry for the envelope.
"""

from __future__ import annotations

import email.parser
import email.policy
import re
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, request
from werkzeug.test import EnvironBuilder, run_wsgi_app

from . import errors
from .app import apply_faults, json_response, set_method
from .state import random_token

bp = Blueprint("batch", __name__)
MAX_PARTS = 1000
_REQUEST_LINE = re.compile(r"^([A-Z]+) (\S+)(?: HTTP/\d\.\d)?$")


def _parse_parts(body: bytes, content_type: str) -> list[Any]:
    raw = b"Content-Type: " + content_type.encode() + b"\r\nMIME-Version: 1.0\r\n\r\n" + body
    msg = email.parser.BytesParser(policy=email.policy.compat32).parsebytes(raw)
    if not msg.is_multipart():
        raise errors.invalid("Bad multipart request", reason="badRequest")
    return msg.get_payload()  # type: ignore[return-value]


def _split_http(payload: bytes) -> tuple[str, str, list[tuple[str, str]], bytes]:
    payload = payload.lstrip(b"\r\n")
    candidates = [(i, n) for i, n in ((payload.find(b"\r\n\r\n"), 4), (payload.find(b"\n\n"), 2)) if i >= 0]
    if candidates:
        idx, n = min(candidates)
        head, body = payload[:idx], payload[idx + n :]
    else:
        head, body = payload, b""
    lines = head.decode("utf-8", "replace").replace("\r\n", "\n").split("\n")
    m = _REQUEST_LINE.match(lines[0].strip())
    if not m:
        raise ValueError("bad request line")
    headers = []
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers.append((k.strip(), v.strip()))
    for k, v in headers:
        if k.lower() == "content-length" and v.isdigit():
            body = body[: int(v)]
    return m.group(1), m.group(2), headers, body


@bp.route("/batch/calendar/v3", methods=["POST"])
def batch() -> Response:
    set_method("batch")
    apply_faults(is_api_call=False)
    ctype = request.headers.get("Content-Type", "")
    if not ctype.startswith("multipart/mixed") or "boundary=" not in ctype:
        raise errors.invalid("Content-Type must be multipart/mixed with a boundary", reason="badContent")
    parts = _parse_parts(request.get_data(), ctype)
    if len(parts) > MAX_PARTS:
        raise errors.invalid(f"A batch request cannot contain more than {MAX_PARTS} requests.", reason="badRequest")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    outer_auth = request.headers.get("Authorization")
    boundary = "batch_" + random_token(24)
    chunks: list[bytes] = []
    for part in parts:
        content_id = part.get("Content-ID", "")
        resp_id = "<response-" + content_id.strip().lstrip("<").rstrip(">") + ">" if content_id else None
        payload = part.get_payload(decode=False)
        if isinstance(payload, list):
            status, headers, body = (
                400,
                [("Content-Type", "application/json; charset=UTF-8")],
                json_response(errors.invalid("Nested multipart not supported", reason="badRequest").body()).get_data(),
            )
        else:
            data = payload.encode("latin-1", "replace") if isinstance(payload, str) else payload
            status, headers, body = _dispatch(app, data, outer_auth)
        out = "Content-Type: application/http\r\n"
        if resp_id:
            out += f"Content-ID: {resp_id}\r\n"
        out += "\r\n"
        reason = _REASONS.get(status, "")
        out += f"HTTP/1.1 {status} {reason}\r\n"
        for k, v in headers:
            if k.lower() in ("content-type", "etag", "www-authenticate", "content-length"):
                out += f"{k}: {v}\r\n"
        if not any(k.lower() == "content-length" for k, _ in headers):
            out += f"Content-Length: {len(body)}\r\n"
        out += "\r\n"
        chunks.append(f"--{boundary}\r\n".encode() + out.encode() + body + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return Response(b"".join(chunks), status=200, content_type=f"multipart/mixed; boundary={boundary}")


_REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    410: "Gone",
    412: "Precondition Failed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}


def _dispatch(app: Any, data: bytes, outer_auth: str | None) -> tuple[int, list[tuple[str, str]], bytes]:
    try:
        method, target, headers, body = _split_http(data)
    except ValueError:
        err = errors.invalid("Bad request in batch part", reason="badRequest")
        return 400, [("Content-Type", "application/json; charset=UTF-8")], json_response(err.body(), 400).get_data()
    split = urlsplit(target)
    if not split.path.startswith("/calendar/v3/"):
        err = errors.ApiError(404, "notFound", "Not Found")
        return 404, [("Content-Type", "application/json; charset=UTF-8")], json_response(err.body(), 404).get_data()
    hdrs = {k: v for k, v in headers if k.lower() not in ("host", "content-length", "content-transfer-encoding")}
    if outer_auth and not any(k.lower() == "authorization" for k in hdrs):
        hdrs["Authorization"] = outer_auth
    builder = EnvironBuilder(
        path=split.path,
        query_string=split.query,
        method=method,
        headers=hdrs,
        data=body if body else None,
        base_url=request.host_url,
    )
    environ = builder.get_environ()
    builder.close()
    app_iter, status, resp_headers = run_wsgi_app(app, environ, buffered=True)
    content = b"".join(app_iter)
    if hasattr(app_iter, "close"):
        app_iter.close()
    code = int(status.split(" ", 1)[0])
    return code, list(resp_headers.items()), content
