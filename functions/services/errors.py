"""The refusals of the use cases, as typed domain errors. They carry a readable message and
details, never an HTTP status: ``functions/web/error_table.py`` maps each to a status and code."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A use case refused; ``message`` is for the user, ``details`` for the caller's code."""

    def __init__(self, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidInput(DomainError):
    """Bad input; ``details`` is ``{"fields": {name: message}}`` where a field is at fault."""


class InvalidLink(InvalidInput):
    """A link body that is not valid."""


class InvalidSettings(InvalidInput):
    """Admin client settings that are not valid."""


class InvalidActivityTypes(InvalidInput):
    """A list of activity types that is not valid."""


class UnknownActivityType(DomainError):
    """An activity type that the admin did not configure."""


class UnknownCalendar(DomainError):
    """A calendar that is not in the user's current Google calendar list."""


class UnknownUser(DomainError):
    """No such user (Firebase Auth)."""


class CalendarInUse(DomainError):
    """The calendar is linked to another activity type of the same user."""


class NotConfigured(DomainError):
    """The admin has not saved the Google client settings yet."""


class NotConnected(DomainError):
    """The user has not connected a Google account."""


class NeedsReauth(DomainError):
    """Google no longer accepts the user's grant; they must connect again."""


class ClientRejected(DomainError):
    """Google refused the client settings the admin entered (checked when saving)."""


class GoogleRefusedClient(DomainError):
    """Google refused the saved client settings while working for a user (admin must check them)."""


class GoogleUnavailable(DomainError):
    """Google could not be reached or failed; try again later."""


def field_errors(fields: dict[str, str]) -> dict[str, Any]:
    return {"fields": fields}


class InvalidActivityInput(InvalidInput):
    """An activity body that is not valid; ``details.fields`` names each wrong field."""


class UnknownActivity(DomainError):
    """No such activity (or not one the caller may see)."""


class UnknownGroup(DomainError):
    """No such group."""


class ReadOnlyActivity(DomainError):
    """An imported activity: it is edited in Google, not in the CRM."""


class ActivityBeingDeleted(DomainError):
    """The activity's deletion is under way (its Google copies go first); it cannot be edited."""


class NotAllowed(DomainError):
    """The caller may not do this (e.g. act for another user without being an admin)."""


class UnknownGoogleEvent(DomainError):
    """No such not-imported Google event of the caller (or it was deleted in Google)."""


class AlreadyAdded(DomainError):
    """The Google event is in the CRM already (added or imported)."""


class UnknownLink(DomainError):
    """The caller has no link for this activity type."""


class LinkPaused(DomainError):
    """The link is paused (details: ``paused_reason``): what was asked needs its calendar readable first."""


class RateLimited(DomainError):
    """Asked again too soon (details: ``retry_after`` seconds)."""
class InvalidNotification(InvalidInput):
    """A request to the push webhook that is not a well-formed Google notification."""


class ForgedNotification(DomainError):
    """A push notification whose channel token does not match the channel's."""
