"""The export planner: what calls bring an activity's Google copies in line with it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from functions.core.activity import (
    Activity,
    ActivityContent,
    ActivitySync,
    SyncState,
    SyncTarget,
    TargetState,
    Timed,
)
from functions.core.event_mapping import content_hash, event_id_for
from functions.core.export_plan import (
    MAX_ATTEMPTS,
    Failure,
    plan_export,
    recipients_of,
    retry_delay,
    settle,
)

T0 = datetime(2026, 12, 7, 9, tzinfo=UTC)
EVENT = event_id_for("act-1")


def activity(*targets: SyncTarget, **extra) -> Activity:
    content = ActivityContent("Kick-off", Timed(T0, T0 + timedelta(hours=1), "Europe/Madrid"))
    return Activity("act-1", "alice", "Meeting", content, sync=ActivitySync(targets=targets), **extra)


def copy(uid: str = "alice", calendar_id: str = "cal-a", **extra) -> SyncTarget:
    values = {"etag": '"1"', "content_hash": content_hash(activity()), **extra}
    return SyncTarget(uid, calendar_id, EVENT, **values)


def kinds(plan) -> list[tuple[str, str, str]]:
    return [(a.kind.value, a.uid, a.calendar_id) for a in plan.writes + plan.deletes]


def test_a_new_activity_is_inserted_with_its_own_event_id() -> None:
    plan = plan_export(activity(), {"alice": "cal-a"}, content_hash(activity()))
    assert kinds(plan) == [("insert", "alice", "cal-a")]
    assert plan.writes[0].event_id == EVENT and plan.exporting


def test_in_sync_is_nothing_and_a_changed_hash_is_a_patch() -> None:
    current = activity(copy())
    assert plan_export(current, {"alice": "cal-a"}, content_hash(current)).in_sync
    plan = plan_export(current, {"alice": "cal-a"}, "another hash")
    assert kinds(plan) == [("patch", "alice", "cal-a")] and plan.writes[0].target == copy()
    failed = activity(copy(state=TargetState.FAILED))
    assert kinds(plan_export(failed, {"alice": "cal-a"}, content_hash(failed))) == [("patch", "alice", "cal-a")]


def test_a_changed_calendar_inserts_there_then_deletes_here() -> None:
    plan = plan_export(activity(copy()), {"alice": "cal-b"}, "h")
    assert kinds(plan) == [("insert", "alice", "cal-b"), ("delete", "alice", "cal-a")]
    assert plan.deletes[0].after_insert


def test_a_recipient_gone_or_a_deleted_activity_deletes_the_copies() -> None:
    group = activity(copy(), copy("bob", "cal-bob"), group_id="g")
    assert kinds(plan_export(group, {"alice": "cal-a"}, content_hash(group))) == [("delete", "bob", "cal-bob")]
    gone = replace(group, deleted=True)
    assert kinds(plan_export(gone, {"alice": "cal-a", "bob": "cal-bob"}, "h")) == [
        ("delete", "alice", "cal-a"), ("delete", "bob", "cal-bob")]
    assert not plan_export(gone, {"alice": "cal-a"}, "h").exporting


def test_a_member_joining_gets_an_insert() -> None:
    plan = plan_export(activity(copy(), group_id="g"), {"alice": "cal-a", "carol": "cal-c"}, content_hash(activity()))
    assert kinds(plan) == [("insert", "carol", "cal-c")]


def test_export_off_deletes_nothing_and_writes_nothing() -> None:
    plan = plan_export(activity(copy()), {"alice": None}, "changed")
    assert plan.in_sync and plan.kept == (copy(),) and not plan.exporting


def test_a_copy_marked_deleting_is_deleted_and_an_unlinked_one_is_left_alone() -> None:
    moving = activity(copy("alice", "cal-b"), copy(state=TargetState.DELETING))
    assert kinds(plan_export(moving, {"alice": "cal-b"}, content_hash(moving))) == [("delete", "alice", "cal-a")]
    unlinked = activity(copy(state=TargetState.UNLINKED))
    plan = plan_export(unlinked, {"alice": "cal-a"}, "changed")
    assert plan.in_sync and plan.kept == (copy(state=TargetState.UNLINKED),)


def test_recipients_are_the_owner_then_the_members_once() -> None:
    assert recipients_of(activity(), ["bob", "alice", "carol"]) == ("alice", "bob", "carol")


def test_settle_counts_attempts_backs_off_and_gives_up() -> None:
    ok = settle(ActivitySync(attempts=3), (copy(),), [], True, T0)
    assert (ok.state, ok.attempts, ok.due_at, ok.synced_at) == (SyncState.SYNCED, 0, None, T0)
    later = settle(ActivitySync(attempts=2), (), [Failure("503", True)], True, T0)
    assert (later.state, later.attempts, later.due_at) == (SyncState.PENDING, 3, T0 + retry_delay(3))
    assert retry_delay(1) == timedelta(minutes=1) and retry_delay(30) == timedelta(hours=6)
    spent = settle(ActivitySync(attempts=MAX_ATTEMPTS - 1), (), [Failure("503", True)], True, T0)
    assert spent.state == SyncState.ERROR and spent.due_at is None
    refused = settle(None, (), [Failure("400 bad", False)], True, T0)
    assert (refused.state, refused.last_error) == (SyncState.ERROR, "400 bad")
    assert settle(None, (), [], False, T0).state == SyncState.NOT_EXPORTED


def test_a_change_of_the_exceptions_alone_is_a_patch() -> None:
    from functions.core.activity import ActivityException
    from functions.core.export_plan import exceptions_hash

    series = replace(activity(copy()), content=replace(activity().content, recurrence=("RRULE:FREQ=WEEKLY",)))
    synced = replace(series, sync=ActivitySync(targets=(copy(content_hash=content_hash(series)),)))
    assert exceptions_hash(synced) is None
    assert plan_export(synced, {"alice": "cal-a"}, content_hash(synced), exceptions_hash(synced)).in_sync
    cancelled = replace(synced, content=replace(synced.content,
                                                exceptions=(ActivityException(T0 + timedelta(days=7), True),)))
    assert content_hash(cancelled) == content_hash(synced)  # the series hash does not see it...
    plan = plan_export(cancelled, {"alice": "cal-a"}, content_hash(cancelled), exceptions_hash(cancelled))
    assert kinds(plan) == [("patch", "alice", "cal-a")]  # ...the exceptions hash does
