"""CRM activities: create, read, list by time range, edit, delete; every write asks for export.

The owner is the caller; an admin may act for anyone (``owner_uid``). A write is exported right
after it is saved, best effort: the answer does not wait for Google to be up (the activity stays
pending and the sweep retries). Deleting an activity deletes its Google copies first (docs/export.md).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from functions.core.activity import Activity, ActivitySync, SyncState
from functions.core.activity_rules import ActivityInput, check_activity_body, check_range, merge_edit
from functions.core.group import Group
from functions.core.models import Identity
from functions.services.errors import (
    ActivityBeingDeleted,
    InvalidActivityInput,
    InvalidInput,
    NotAllowed,
    ReadOnlyActivity,
    UnknownActivity,
    UnknownGroup,
    field_errors,
)
from functions.services.export_service import ExportService
from functions.services.ports import Adapters

log = logging.getLogger(__name__)

MAX_LIST = 500  # activities one list answer holds at most
MAX_GROUP_ACTIVITIES = 450  # activities a group edit marks for export in one unit of work
MAX_GROUP_MEMBERS = 200


def new_activity_id() -> str:
    return secrets.token_hex(10)


@dataclass(frozen=True)
class Deletion:
    """The outcome of a delete: gone, or still there (``activity``) while its Google copies cannot be deleted."""

    done: bool
    activity: Activity | None = None


class ActivityService:
    def __init__(
        self, adapters: Adapters, export: ExportService, new_id: Callable[[], str] = new_activity_id
    ) -> None:
        self.stores = adapters.stores
        self.now = adapters.now
        self.export = export
        self.new_id = new_id

    # ------------------------------------------------------------------ helpers
    def _owner(self, identity: Identity, requested: object) -> str:
        if requested is None or requested == identity.uid:
            return identity.uid
        if not identity.admin:
            raise NotAllowed("Only an admin may act for another user (owner_uid).")
        if not isinstance(requested, str) or not requested.strip():
            raise InvalidActivityInput("The activity is not valid.", field_errors({"owner_uid": "a user's uid"}))
        return requested

    def _visible(self, identity: Identity, activity_id: str) -> Activity:
        activity = self.stores.activities.get(activity_id)
        if activity is None or not (identity.admin or activity.owner_uid == identity.uid):
            raise UnknownActivity(f"No activity {activity_id!r}.")
        return activity

    def _checked(self, body: Mapping[str, Any]) -> ActivityInput:
        wanted, errors = check_activity_body(body, self.stores.config.load_activity_types())
        if wanted is None:
            raise InvalidActivityInput("The activity is not valid.", field_errors(errors))
        if wanted.group_id is not None and self.stores.groups.get_group(wanted.group_id) is None:
            raise UnknownGroup(f"No group {wanted.group_id!r}.", field_errors({"group_id": "no such group"}))
        return wanted

    def _export_now(self, activity_id: str) -> Activity | None:
        """Export right after a save, best effort: a failure leaves the activity pending for the sweep."""
        try:
            self.export.export_activity(activity_id)
        except Exception:  # noqa: BLE001 - the save stands; the sweep retries
            log.exception("export of %s right after its save failed; the sweep will retry", activity_id)
        return self.stores.activities.get(activity_id)

    # ------------------------------------------------------------------ use cases
    def create(self, identity: Identity, body: Mapping[str, Any]) -> Activity:
        fields = dict(body)
        owner_uid = self._owner(identity, fields.pop("owner_uid", None))
        wanted = self._checked(fields)
        now = self.now()
        activity = Activity(
            id=self.new_id(), owner_uid=owner_uid, activity_type=wanted.activity_type, content=wanted.content,
            status=wanted.status, group_id=wanted.group_id, created_at=now, updated_at=now,
            sync=ActivitySync(SyncState.PENDING, due_at=now),
        )
        created = self.stores.activities.create(activity)
        return self._export_now(created.id) or created

    def get(self, identity: Identity, activity_id: str) -> Activity:
        return self._visible(identity, activity_id)

    def list(self, identity: Identity, start: object, end: object, owner_uid: object = None) -> list[Activity]:
        """The owner's activities meeting ``[start, end)`` (a series if any instance may), by start; bounded."""
        owner = self._owner(identity, owner_uid)
        bounds, errors = check_range(start, end)
        if bounds is None:
            raise InvalidInput("The time range is not valid.", field_errors(errors))
        found = self.stores.activities.list_for_owner(owner, bounds[0], bounds[1], MAX_LIST)
        return [activity for activity in found if not activity.deleted]

    def update(self, identity: Identity, activity_id: str, patch: Mapping[str, Any]) -> Activity:
        """A partial edit: the given fields replace the stored ones, then the whole is checked."""
        current = self._editable(identity, activity_id)
        fields = dict(patch)
        owner_uid = self._owner(identity, fields.pop("owner_uid", current.owner_uid))
        if owner_uid != current.owner_uid and not identity.admin:
            raise NotAllowed("Only an admin may give an activity to another user.")
        wanted = self._checked(merge_edit(current, fields))
        edited = replace(
            current, owner_uid=owner_uid, activity_type=wanted.activity_type, content=wanted.content,
            status=wanted.status, group_id=wanted.group_id, updated_at=self.now(),
        )
        self.stores.activities.save_edit(edited, self.now())
        return self._export_now(activity_id) or edited

    def delete(self, identity: Identity, activity_id: str) -> Deletion:
        """Delete the Google copies, then the activity. If Google fails, the activity stays (marked
        deleted, pending) and the sweep finishes the deletion."""
        current = self._editable(identity, activity_id)
        self.stores.activities.save_edit(replace(current, deleted=True, updated_at=self.now()), self.now())
        remaining = self._export_now(activity_id)
        return Deletion(remaining is None, remaining)

    def _editable(self, identity: Identity, activity_id: str) -> Activity:
        current = self._visible(identity, activity_id)
        if current.read_only:
            raise ReadOnlyActivity("This activity was imported from Google and is edited in Google, not in the CRM.")
        if current.deleted:
            raise ActivityBeingDeleted("This activity is being deleted (its Google events go first).")
        return current


class GroupService:
    """Admin-managed groups; a change of members re-exports the group's activities."""

    def __init__(self, adapters: Adapters) -> None:
        self.stores = adapters.stores
        self.now = adapters.now

    def list_groups(self) -> list[Group]:
        return self.stores.groups.list_groups()

    def put_group(self, identity: Identity, group_id: str, body: Mapping[str, Any]) -> Group:
        name, members = body.get("name"), body.get("member_uids", [])
        errors: dict[str, str] = {}
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            errors["name"] = "name is required (at most 100 characters)."
        if (
            not isinstance(members, list) or len(members) > MAX_GROUP_MEMBERS
            or not all(isinstance(m, str) and m.strip() for m in members)
        ):
            errors["member_uids"] = f"member_uids is a list of at most {MAX_GROUP_MEMBERS} user ids."
        if len(group_id) > 100 or "/" in group_id:
            errors["group_id"] = "a group id is at most 100 characters, without '/'."
        if errors:
            raise InvalidInput("The group is not valid.", field_errors(errors))
        group = Group(group_id, str(name).strip(), tuple(dict.fromkeys(members)), self.now(), identity.uid)
        self._save_and_reexport(group_id, group)
        return group

    def delete_group(self, identity: Identity, group_id: str) -> None:
        if self.stores.groups.get_group(group_id) is None:
            raise UnknownGroup(f"No group {group_id!r}.")
        self._save_and_reexport(group_id, None)

    def _save_and_reexport(self, group_id: str, group: Group | None) -> None:
        """The group written (or deleted) and its activities marked for export together."""
        activities = self.stores.activities.list_by_group(group_id, MAX_GROUP_ACTIVITIES)
        now: datetime = self.now()
        uow = self.stores.unit_of_work()
        if group is not None:
            self.stores.groups.stage_group(uow, group)
        self.stores.activities.stage_pending(uow, [a.id for a in activities if not a.read_only], now)
        uow.commit()
        if group is None:
            self.stores.groups.delete_group(group_id)
