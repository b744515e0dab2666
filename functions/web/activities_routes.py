"""The ``activities`` function's routes (docs/http-api.md): the CRM's activities and the admin's groups."""

from __future__ import annotations

from typing import Any

from flask import Request, Response

from functions.bootstrap import services
from functions.core.activity import Activity, SyncTarget
from functions.core.activity_rules import activity_to_body
from functions.core.clock import isoformat
from functions.core.google_event_row import GoogleEventRow
from functions.core.group import Group
from functions.core.models import Identity
from functions.web.errors import json_response
from functions.web.router import ADMIN, USER, Route, Router, json_body


def target_view(target: SyncTarget) -> dict[str, Any]:
    return {
        "uid": target.uid,
        "calendar_id": target.calendar_id,
        "event_id": target.event_id,
        "state": str(target.state),
        "last_error": target.last_error,
        "synced_at": isoformat(target.synced_at),
    }


def activity_view(activity: Activity) -> dict[str, Any]:
    """An activity as the API answers it: its fields, and its export state for the calendar page."""
    sync = activity.sync
    return {
        "id": activity.id,
        "owner_uid": activity.owner_uid,
        **activity_to_body(activity),
        "origin": str(activity.origin),
        "read_only": activity.read_only,
        "deleted": activity.deleted,
        "created_at": isoformat(activity.created_at),
        "updated_at": isoformat(activity.updated_at),
        "sync": {
            "state": str(sync.state) if sync else "pending",
            "last_error": sync.last_error if sync else None,
            "attempts": sync.attempts if sync else 0,
            "next_attempt_at": isoformat(sync.due_at) if sync else None,
            "synced_at": isoformat(sync.synced_at) if sync else None,
            "targets": [target_view(t) for t in sync.targets] if sync else [],
        },
    }


def group_view(group: Group) -> dict[str, Any]:
    return {"id": group.id, "name": group.name, "member_uids": list(group.member_uids),
            "updated_at": isoformat(group.updated_at)}


def list_activities(request: Request, identity: Identity) -> Response:
    args = request.args
    found = services().activities.list(identity, args.get("start"), args.get("end"), args.get("owner_uid"))
    return json_response({"activities": [activity_view(a) for a in found]})


def post_activity(request: Request, identity: Identity) -> Response:
    return json_response(activity_view(services().activities.create(identity, json_body(request))), status=201)


def get_activity(request: Request, identity: Identity, activity_id: str) -> Response:
    return json_response(activity_view(services().activities.get(identity, activity_id)))


def patch_activity(request: Request, identity: Identity, activity_id: str) -> Response:
    return json_response(activity_view(services().activities.update(identity, activity_id, json_body(request))))


def delete_activity(request: Request, identity: Identity, activity_id: str) -> Response:
    deletion = services().activities.delete(identity, activity_id)
    if deletion.done or deletion.activity is None:
        return Response(status=204)
    return json_response(activity_view(deletion.activity), status=202)


def google_event_view(row: GoogleEventRow) -> dict[str, Any]:
    """A Google event not imported, as the calendar page lists it (with *Add into CRM*)."""
    return {
        "id": row.id, "event_id": row.event_id, "calendar_id": row.calendar_id, "activity_type": row.activity_type,
        "summary": row.summary, "all_day": row.all_day,
        **({"start_date": row.start, "end_date": row.end} if row.all_day
           else {"start": row.start, "end": row.end, "time_zone": row.time_zone}),
        "location": row.location, "recurring": row.recurring, "html_link": row.html_link, "reason": row.reason,
    }


def list_google_events(request: Request, identity: Identity) -> Response:
    args = request.args
    rows = services().google_events.list(identity, args.get("start"), args.get("end"))
    return json_response({"google_events": [google_event_view(r) for r in rows]})


def add_google_event(request: Request, identity: Identity, row_id: str) -> Response:
    return json_response(activity_view(services().google_events.add(identity, row_id)), status=201)


def list_groups(request: Request, identity: Identity) -> Response:
    return json_response({"groups": [group_view(g) for g in services().groups.list_groups()]})


def put_group(request: Request, identity: Identity, group_id: str) -> Response:
    return json_response(group_view(services().groups.put_group(identity, group_id, json_body(request))))


def delete_group(request: Request, identity: Identity, group_id: str) -> Response:
    services().groups.delete_group(identity, group_id)
    return Response(status=204)


ROUTES: tuple[Route, ...] = (
    Route("GET", "/groups", list_groups, ADMIN),  # before /{activity_id}: "groups" is never an activity id
    Route("PUT", "/groups/{group_id}", put_group, ADMIN),
    Route("DELETE", "/groups/{group_id}", delete_group, ADMIN),
    Route("GET", "/google-events", list_google_events, USER),  # before /{activity_id}, as groups
    Route("POST", "/google-events/{row_id}/add", add_google_event, USER),
    Route("GET", "/", list_activities, USER),
    Route("POST", "/", post_activity, USER),
    Route("GET", "/{activity_id}", get_activity, USER),
    Route("PATCH", "/{activity_id}", patch_activity, USER),
    Route("DELETE", "/{activity_id}", delete_activity, USER),
)

router = Router(ROUTES)


def handle(request: Request) -> Response:
    """Entry of the ``activities`` function."""
    return router.dispatch(request)


def export_job(request: Request) -> Response:
    """Entry of ``export_activities`` (Cloud Scheduler): one EXPORT task per owner of pending work
    (inline, one bounded sweep, when no queue is configured)."""
    return json_response(services().fanout.export_tick())


def import_job(request: Request) -> Response:
    """Entry of ``import_events`` (Cloud Scheduler): one IMPORT task per user with a due link
    (inline, bounded, when no queue is configured)."""
    return json_response(services().fanout.import_tick())
