"""The fan-out's pure decisions: tasks per user, whom the worker skips, the chain bound, the poll write."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from functions.core.activity import Activity, ActivityContent, Timed
from functions.core.fanout_rules import (
    MAX_GENERATIONS,
    export_tasks,
    import_skip_reason,
    import_tasks,
    may_continue,
    poll_write_needed,
)
from functions.core.models import CONNECTED, NEEDS_REAUTH, Connection, Link, UserRecord
from functions.core.sync_task import SyncTask, TaskKind

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def activity(activity_id: str, owner: str) -> Activity:
    return Activity(activity_id, owner, "Meeting", ActivityContent("x", Timed(NOW, NOW + timedelta(hours=1), "UTC")))


def test_one_export_task_per_owner_in_the_order_they_wait() -> None:
    pending = [activity("1", "bob"), activity("2", "ann"), activity("3", "bob"), activity("4", "bob")]
    assert export_tasks(pending) == [SyncTask(TaskKind.EXPORT, "bob", reason="scheduled"),
                                     SyncTask(TaskKind.EXPORT, "ann", reason="scheduled")]
    assert export_tasks([]) == []


def test_one_import_task_per_user_naming_the_link_when_only_one_is_due() -> None:
    meeting, call = Link("Meeting", "c1", import_=True), Link("Call", "c2", import_=True)
    due = [("ann", meeting), ("bob", meeting), ("ann", call), ("cy", replace(call, paused_reason="calendar_missing")),
           ("dee", replace(call, import_=False))]
    assert import_tasks(due) == [SyncTask(TaskKind.IMPORT, "ann", None, "scheduled"),
                                 SyncTask(TaskKind.IMPORT, "bob", "Meeting", "scheduled")]


def test_the_import_skips_users_who_cannot_sync() -> None:
    connected = UserRecord(uid="u", connection=Connection(status=CONNECTED))
    assert import_skip_reason(connected) is None
    assert import_skip_reason(None) == "no_user"
    assert import_skip_reason(UserRecord(uid="u")) == "not_connected"
    assert import_skip_reason(replace(connected, connection=Connection(status=NEEDS_REAUTH))) == "needs_reauth"
    assert import_skip_reason(replace(connected, calendars_error="Google answered 503")) == "calendars_error"


def test_a_chain_of_continuations_is_bounded() -> None:
    assert may_continue(SyncTask(TaskKind.EXPORT, "u", generation=MAX_GENERATIONS - 1))
    assert not may_continue(SyncTask(TaskKind.EXPORT, "u", generation=MAX_GENERATIONS))


def test_next_poll_at_is_written_only_when_being_due_changes() -> None:
    past, later = NOW - timedelta(minutes=5), NOW + timedelta(hours=6)
    assert not poll_write_needed(past, NOW, NOW)  # no channel: due before, due after, no write
    assert poll_write_needed(past, later, NOW)  # a live channel's safety-net run: pushed out once
    assert not poll_write_needed(later, later + timedelta(minutes=1), NOW)  # a push-triggered run: still not due
    assert poll_write_needed(None, NOW, NOW)  # a link saved before next_poll_at existed
    assert poll_write_needed(later, NOW, NOW)  # the channel is gone: due now
    assert poll_write_needed(past, None, NOW) and not poll_write_needed(None, None, NOW)
