"""Cloud Functions entry points. Thin: each hands off to functions.services at once.

HTTP functions are deployed one per name below; ``sync_worker`` is the Pub/Sub worker.
Nothing here builds a client at import time (cold starts): each entry point imports its
handler module on first call, so a function loads only what it uses.
"""

from __future__ import annotations

from typing import Any

import functions_framework
from flask import Request, Response, request

from functions import observability
from functions.config import get_settings
from functions.web.errors import error_response, json_errors


@functions_framework.errorhandler(404)
def _no_route(error: Exception) -> Response:
    """A path functions-framework's own routing refuses (e.g. with a newline in it): JSON, like the rest."""
    return error_response(404, "not_found", f"No route {request.method} {request.path}.")


observability.install()  # structured JSON log lines for Cloud Logging; stdlib only, no I/O

# Every entry point and its trigger type, for the local server and the deployment (infra/);
# tests/unit/test_entry_points.py checks it against the functions defined below.
SIGNATURES: dict[str, str] = {
    "api": "http",
    "pages": "http",
    "oauth_callback": "http",
    "calendar_webhook": "http",
    "activities": "http",
    "export_activities": "http",
    "import_events": "http",
    "renew_channels": "http",
    "sync_worker": "cloudevent",
    "on_activity_write": "cloudevent",  # Eventarc: google.cloud.firestore.document.v1.written on activities/{id}
}


@functions_framework.http
@json_errors
def api(request: Request) -> Response:
    """JSON API of the settings pages: admin settings, connect, links, status."""
    from functions.web import api_routes

    return api_routes.handle(request)


@functions_framework.http
@json_errors
def pages(request: Request) -> Response:
    """Server-rendered settings pages."""
    from functions.web import pages as settings_pages

    return settings_pages.handle(request)


@functions_framework.http
@json_errors
def oauth_callback(request: Request) -> Response:
    """Google's OAuth redirect lands here (no Firebase token: the state authenticates it)."""
    from functions.web import callback

    return callback.handle(request)


@functions_framework.http
@json_errors
def calendar_webhook(request: Request) -> Response:
    """Google push notifications for watched calendars (authenticated by channel token)."""
    from functions.web import webhook

    return webhook.handle(request)


@functions_framework.http
@json_errors
def activities(request: Request) -> Response:
    """CRM activities API: create, read, list, edit, delete activities (and the admin's groups)."""
    from functions.web import activities_routes

    return activities_routes.handle(request)


@functions_framework.http
@json_errors
def export_activities(request: Request) -> Response:
    """Cloud Scheduler job: one Pub/Sub task per user with pending activities (docs/fanout.md)."""
    from functions.web import activities_routes

    return activities_routes.export_job(request)


@functions_framework.http
@json_errors
def import_events(request: Request) -> Response:
    """Cloud Scheduler job: one Pub/Sub task per user with a link due for import (docs/fanout.md)."""
    from functions.web import activities_routes

    return activities_routes.import_job(request)


@functions_framework.http
@json_errors
def renew_channels(request: Request) -> Response:
    """Cloud Scheduler job (hourly): retry the Google revocations that are due, and renew the push
    channels that expire soon (a new channel first, then the old one stopped)."""
    from functions.bootstrap import services
    from functions.web.errors import json_response

    run = services().connect.retry_revocations()
    renewal = services().channels.renew()
    return json_response(
        {
            "revocations": {"due": run.due, "revoked": run.revoked, "failed": run.failed, "dropped": run.dropped},
            "channels": {"due": renewal.due, "renewed": renewal.renewed, "failed": renewal.failed,
                         "stopped": renewal.stopped},
        }
    )


@functions_framework.cloud_event
def sync_worker(cloud_event: Any) -> None:
    """Pub/Sub worker: one user's export, import or resync task, bounded (returns: acknowledged; raises:
    Pub/Sub delivers it again)."""
    get_settings()  # refuses an unsafe configuration (emulators outside a demo- project)
    from functions.web import worker

    worker.handle(cloud_event)


@functions_framework.cloud_event
def on_activity_write(cloud_event: Any) -> None:
    """Firestore write of ``activities/{id}`` (Eventarc, protobuf DocumentEventData): export it when a
    field that reaches Google changed; the export's own writes are no-ops (docs/triggers.md)."""
    get_settings()  # refuses an unsafe configuration (emulators outside a demo- project)
    from functions.events import activity_trigger

    activity_trigger.handle(cloud_event)
