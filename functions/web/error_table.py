"""The one table that turns a domain error into an HTTP status and an error code."""

from __future__ import annotations

from functions.services import errors as e

ERROR_TABLE: dict[type[e.DomainError], tuple[int, str]] = {
    e.InvalidLink: (400, "invalid_link"),
    e.InvalidSettings: (400, "invalid_settings"),
    e.InvalidActivityTypes: (400, "invalid_activity_types"),
    e.InvalidActivityInput: (400, "invalid_activity"),
    e.InvalidNotification: (400, "invalid_notification"),
    e.InvalidInput: (400, "invalid_request"),
    e.UnknownActivity: (404, "unknown_activity"),
    e.UnknownGroup: (404, "unknown_group"),
    e.UnknownGoogleEvent: (404, "unknown_google_event"),
    e.AlreadyAdded: (409, "already_added"),
    e.ReadOnlyActivity: (409, "read_only_activity"),
    e.ActivityBeingDeleted: (409, "activity_being_deleted"),
    e.NotAllowed: (403, "forbidden"),
    e.ForgedNotification: (403, "forbidden"),
    e.UnknownActivityType: (404, "unknown_activity_type"),
    e.UnknownUser: (404, "unknown_user"),
    e.UnknownLink: (404, "unknown_link"),
    e.LinkPaused: (409, "link_paused"),
    e.RateLimited: (429, "rate_limited"),
    e.UnknownCalendar: (422, "unknown_calendar"),
    e.CalendarInUse: (409, "calendar_in_use"),
    e.NotConfigured: (409, "not_configured"),
    e.NotConnected: (409, "not_connected"),
    e.NeedsReauth: (409, "needs_reauth"),
    e.ClientRejected: (422, "client_rejected"),
    e.GoogleRefusedClient: (502, "client_rejected"),
    e.GoogleUnavailable: (502, "google_unavailable"),
    e.DomainError: (400, "bad_request"),
}


def status_and_code(error: e.DomainError) -> tuple[int, str]:
    """The status and code of the most specific class of ``error`` in the table."""
    for klass in type(error).__mro__:
        if klass in ERROR_TABLE:
            return ERROR_TABLE[klass]
    return ERROR_TABLE[e.DomainError]
