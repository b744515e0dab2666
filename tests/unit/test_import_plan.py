"""The import planner: what one listed event does, given the stored side and the link's policy."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from functions.core.activity import (
    Activity,
    ActivityStatus,
    ActivitySync,
    Origin,
    SyncState,
    SyncTarget,
    TargetState,
)
from functions.core.event_mapping import content_hash, event_id_for, event_to_activity, imported_activity_id
from functions.core.import_plan import (
    DRIFT_MARK,
    ImportContext,
    Kind,
    activity_id_from_event_id,
    candidate_ids,
    emptied,
    plan_event,
    plan_instance,
)

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=1)
CTX = ImportContext("alice", "Google", "cal-1", "Europe/Madrid", True, SINCE, NOW)


def event(event_id: str = "ev1", summary: str = "Lunch", created: datetime = NOW, **extra) -> dict:
    return {"id": event_id, "etag": '"1"', "status": "confirmed", "summary": summary,
            "created": created.isoformat().replace("+00:00", "Z"),
            "start": {"dateTime": "2026-12-10T09:00:00+01:00", "timeZone": "Europe/Madrid"},
            "end": {"dateTime": "2026-12-10T10:00:00+01:00", "timeZone": "Europe/Madrid"}, **extra}


def imported(ev: dict) -> Activity:
    action = plan_event(ev, CTX, {})
    assert action.kind == Kind.CREATE
    return action.activity


def crm_activity(activity_id: str = "crm-1") -> tuple[Activity, dict]:
    ev = event(event_id_for(activity_id), extendedProperties={"private": {"calbridge_activity_id": activity_id}})
    read = event_to_activity(ev, calendar_time_zone="Europe/Madrid", owner_uid="alice", activity_type="Google")
    target = SyncTarget("alice", "cal-1", ev["id"], etag='"1"', content_hash=content_hash(read))
    return replace(read, origin=Origin.CRM, read_only=False, sync=ActivitySync(SyncState.SYNCED, (target,))), ev


def test_a_new_event_becomes_a_read_only_activity_with_its_target() -> None:
    activity = imported(event())
    assert activity.id == imported_activity_id("alice", "ev1")
    assert (activity.origin, activity.read_only, activity.sync.state) == (Origin.GOOGLE, True, SyncState.NOT_EXPORTED)
    assert [(t.calendar_id, t.event_id, t.etag) for t in activity.sync.targets] == [("cal-1", "ev1", '"1"')]


def test_import_existing_off_lists_what_predates_the_switch() -> None:
    ctx = replace(CTX, import_existing=False)
    old = plan_event(event(created=SINCE - timedelta(hours=1)), ctx, {})
    assert old.kind == Kind.LIST and old.row.summary == "Lunch"
    assert plan_event(event(created=SINCE + timedelta(hours=1)), ctx, {}).kind == Kind.CREATE


def test_an_edit_updates_unless_held_and_an_etag_only_change_is_nothing() -> None:
    activity = imported(event())
    found = {activity.id: activity}
    assert plan_event(event(summary="Lunch v2", etag='"2"'), CTX, found).kind == Kind.UPDATE
    assert plan_event(event(etag='"2"'), CTX, found).kind == Kind.NOTHING
    held = {activity.id: replace(activity, status=ActivityStatus.HELD)}
    assert plan_event(event(summary="Lunch v2", etag='"2"'), CTX, held).kind == Kind.NOTHING


def test_a_deletion_unlinks_and_keeps_the_activity() -> None:
    activity = imported(event())
    action = plan_event({"id": "ev1", "status": "cancelled"}, CTX, {activity.id: activity})
    assert action.kind == Kind.UNLINK and action.activity.sync.targets[0].state == TargetState.UNLINKED
    assert plan_event({"id": "ev9", "status": "cancelled"}, CTX, {}).kind == Kind.UNLIST


def test_our_own_export_is_no_echo_and_a_real_edit_is_drift() -> None:
    activity, ev = crm_activity()
    found = {activity.id: activity}
    assert plan_event(ev, CTX, found).kind == Kind.NOTHING
    assert plan_event({**ev, "etag": '"2"'}, CTX, found).kind == Kind.NOTHING  # etag moved, content did not
    action = plan_event({**ev, "etag": '"2"', "summary": "Changed"}, CTX, found)
    assert action.kind == Kind.DRIFT and action.activity.content.subject == "Lunch"
    assert action.activity.sync.state == SyncState.PENDING and action.activity.sync.targets[0].etag == '"2"'
    # a deleted copy is found from its client-chosen id alone
    assert activity.id in candidate_ids({"id": ev["id"], "status": "cancelled"}, "alice")
    assert activity_id_from_event_id(ev["id"]) == "crm-1" and activity_id_from_event_id("zz") is None


def test_a_tagged_event_not_linked_here_is_never_imported() -> None:
    _, ev = crm_activity()
    assert plan_event(ev, CTX, {}).kind == Kind.SKIP


def test_skips_have_reasons_and_the_window_holds() -> None:
    assert "no start" in plan_event({"id": "x", "status": "confirmed", "summary": "?"}, CTX, {}).reason
    far = event(start={"date": "2040-01-01"}, end={"date": "2040-01-02"})
    assert "10 years" in plan_event(far, CTX, {}).reason
    old = event(start={"date": "2025-01-01"}, end={"date": "2025-01-02"})
    assert "window" in plan_event(old, CTX, {}).reason
    assert plan_event(event(summary=""), CTX, {}).activity.content.subject == "(No title)"


def test_instances_become_exceptions_or_drift() -> None:
    series = imported(event(recurrence=["RRULE:FREQ=DAILY;COUNT=3"]))
    cancelled = {"id": "ev1_20261211T080000Z", "status": "cancelled", "recurringEventId": "ev1",
                 "originalStartTime": {"dateTime": "2026-12-11T09:00:00+01:00", "timeZone": "Europe/Madrid"}}
    action = plan_instance(cancelled, CTX, series)
    assert action.kind == Kind.UPDATE and action.activity.content.exceptions[0].cancelled
    assert plan_instance(cancelled, CTX, action.activity).kind == Kind.NOTHING
    crm, ev = crm_activity()
    crm = replace(crm, content=replace(crm.content, recurrence=("RRULE:FREQ=DAILY;COUNT=3",)))
    drift = plan_instance({**cancelled, "recurringEventId": ev["id"]}, CTX, crm)
    assert drift.kind == Kind.DRIFT and drift.activity.sync.targets[0].exceptions_hash == DRIFT_MARK
    assert plan_instance(cancelled, CTX, None).kind == Kind.SKIP


def test_the_emptied_stop() -> None:
    assert emptied(True, 0, 3) and not emptied(False, 0, 3) and not emptied(True, 0, 0) and not emptied(True, 1, 3)
