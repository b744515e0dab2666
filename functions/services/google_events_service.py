"""The Google events list (events import saw but did not import) and *Add into CRM* (rule 4).

Adding turns a listed event into a CRM-owned activity linked to the same Google event (no copy): the
activity's id is the row's (``imported_activity_id``), ``sync.event_id`` is Google's id and
``sync.targets`` holds that event with its etag, so the export patches it from then on.
"""

from __future__ import annotations

from dataclasses import replace

from functions.core.activity import Activity, ActivitySync, Origin, SyncState, SyncTarget
from functions.core.activity_rules import check_range
from functions.core.event_mapping import NotAnActivity, content_hash, event_to_activity
from functions.core.export_plan import exceptions_hash
from functions.core.google_event_row import GoogleEventRow
from functions.core.models import Identity
from functions.google.errors import Gone, NotFound
from functions.services.calendar_access import CalendarAccess
from functions.services.errors import AlreadyAdded, InvalidInput, UnknownGoogleEvent, field_errors
from functions.services.export_service import ExportService
from functions.services.ports import Adapters
from functions.store.errors import AlreadyExists

MAX_LIST = 500


class GoogleEventsService:
    def __init__(self, adapters: Adapters, access: CalendarAccess, export: ExportService) -> None:
        self.stores = adapters.stores
        self.now = adapters.now
        self.access = access
        self.export = export

    def list(self, identity: Identity, start: object, end: object) -> list[GoogleEventRow]:
        """The caller's not-imported events meeting ``[start, end)``, by start (added ones left out)."""
        bounds, errors = check_range(start, end)
        if bounds is None:
            raise InvalidInput("The time range is not valid.", field_errors(errors))
        rows = self.stores.google_events.list_for_owner(identity.uid, bounds[0], bounds[1], MAX_LIST)
        added = self.stores.activities.get_many(r.id for r in rows)  # imported or added since: not listed
        return [row for row in rows if row.id not in added]

    def add(self, identity: Identity, row_id: str) -> Activity:
        """Add into CRM: 409 if added (or imported) already; 404 if the row or the Google event is gone."""
        existing = self.stores.activities.get(row_id)
        if existing is not None and existing.owner_uid == identity.uid:
            raise AlreadyAdded("This Google event is in the CRM already.", {"activity_id": row_id})
        row = self.stores.google_events.get(row_id)
        if row is None or row.owner_uid != identity.uid or existing is not None:
            raise UnknownGoogleEvent(f"No Google event {row_id!r} to add.")
        with self.access.calendar(identity.uid) as api:
            try:
                event = api.get_event(row.calendar_id, row.event_id)
            except (NotFound, Gone):
                event = {"status": "cancelled"}
        if event.get("status") == "cancelled":
            self._drop(row_id)
            raise UnknownGoogleEvent("This event was deleted in Google.")
        user = self.stores.users.get_user(identity.uid)
        entry = next((c for c in user.calendars if c.id == row.calendar_id), None) if user else None
        try:
            read = event_to_activity(event, calendar_time_zone=(entry.time_zone if entry else None) or "UTC",
                                     owner_uid=identity.uid, activity_type=row.activity_type, activity_id=row_id)
        except NotAnActivity as error:
            raise UnknownGoogleEvent(f"This event cannot become an activity: {error}") from error
        now = self.now()
        activity = replace(read, origin=Origin.CRM, read_only=False, created_at=now, updated_at=now)
        target = SyncTarget(identity.uid, row.calendar_id, row.event_id, etag=event.get("etag"),
                            content_hash=content_hash(activity), exceptions_hash=exceptions_hash(activity),
                            synced_at=now)
        # pending: the first export stamps the calbridge id on the event (a patch of the same content)
        activity = replace(activity, sync=ActivitySync(SyncState.PENDING, (target,), event_id=row.event_id,
                                                       due_at=now))
        uow = self.stores.unit_of_work()
        self.stores.activities.stage_create(uow, activity)
        self.stores.google_events.stage_deleted(uow, [row_id])
        try:
            uow.commit()
        except AlreadyExists as exc:
            raise AlreadyAdded("This Google event is in the CRM already.", {"activity_id": row_id}) from exc
        try:
            self.export.export_activity(row_id)
        except Exception:  # noqa: BLE001 - the add stands; the sweep retries
            pass
        return self.stores.activities.get(row_id) or activity

    def _drop(self, row_id: str) -> None:
        uow = self.stores.unit_of_work()
        self.stores.google_events.stage_deleted(uow, [row_id])
        uow.commit()
