"""The ``calendar_webhook`` function: Google's push notifications (authenticated by the channel token,
not by a Firebase token). Only POST; every answer is JSON, 4xx for what is not a notification."""

from __future__ import annotations

import threading

from flask import Request, Response

from functions.bootstrap import services
from functions.services.errors import DomainError
from functions.web.error_table import status_and_code
from functions.web.errors import ApiError, json_response

# (method, path) pairs this function answers, for the OpenAPI check.
ROUTES: tuple[tuple[str, str], ...] = (("POST", "/"),)
MAX_BODY = 4096  # Google's notifications have an empty body


def handle(request: Request) -> Response:
    if (request.path or "/") != "/":
        raise ApiError(404, "not_found", f"No route {request.method} {request.path}.")
    if request.method != "POST":
        raise ApiError(405, "method_not_allowed", "Only POST: Google posts push notifications here.",
                       headers={"Allow": "POST"})
    if (request.content_length or 0) > MAX_BODY:
        raise ApiError(413, "payload_too_large", f"A push notification has no body; at most {MAX_BODY} bytes.",
                       {"max_bytes": MAX_BODY})
    try:
        receipt = services().notifications.receive(request.headers)
    except DomainError as exc:
        status, code = status_and_code(exc)
        raise ApiError(status, code, exc.message, exc.details) from exc
    if receipt.after is not None:
        # No queue (the dev stack, tests): the import runs in this process, beside the answer, so Google's next
        # notification is answered at once (and coalesced) instead of waiting behind it on the connection.
        threading.Thread(target=receipt.after, name="calbridge-push-import", daemon=True).start()
    return json_response({"result": receipt.result})
