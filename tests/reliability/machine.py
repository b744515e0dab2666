"""The Hypothesis state machine over :class:`tests.reliability.world.SyncWorld` (issue 11).

Each rule is one thing a user, Google, the platform or the network does: CRM creates, edits, deletes, type and
owner changes and series exceptions through the activities service; Google-side creates, edits, deletes and
instance edits in the sandbox; sync-token expiry; 429/500/503 faults and timeouts; export and import runs, each
optionally dying at its n-th write point and retried. ``settle_and_check`` (a rule, and the teardown) turns
faults off, runs export and import until nothing changes, and fails with every broken promise listed.

The system is also driven as production drives it (the world's services have an ``InMemoryTaskQueue`` and a push
address, and every calendar with import on has a channel at the sandbox):
- ``webhook``: Google's notification for one of a user's channels, with that channel's headers (``NotificationService``
  publishes a push import task or coalesces it); a run that dies is delivered again, as Google retries a 500;
- ``webhook_forged``: a wrong, missing or another channel's token, another resource id, or a channel id that names
  nothing: refused or unknown, and nothing queued, no channel record or activity changed (``world.problems``);
- ``scheduled_tick``: ``FanoutService.export_tick`` / ``import_tick`` publish one task per user with work;
- ``deliver_task``: Pub/Sub hands one published task to ``WorkerService.handle``; a run that dies, or raises
  ``RetryLater``, leaves the task to be delivered again; ``twice`` delivers an acknowledged task once more;
- ``deliver_write``: Eventarc hands one Firestore-write event of the CRM's saves to ``ActivityWriteService``
  (export on write), maybe dying, maybe twice.
Settling delivers every task and event still waiting before it runs export and import. The invariants are the same;
one more is checked at every step: no forged notification changed anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from sandbox.inprocess import InProcessSandbox
from tests.reliability.world import SyncWorld

_shared: list[InProcessSandbox] = []
_worlds: list[int] = []  # worlds made so far: each gets its own id prefix (the emulator is not cleared between)


def _sandbox() -> InProcessSandbox:
    """One in-process sandbox for every example, reset by each new world."""
    if not _shared:
        _shared.append(InProcessSandbox())
    return _shared[0]

picks = st.integers(min_value=0, max_value=50)
small = st.integers(min_value=0, max_value=9)
crash_points = st.none() | st.integers(min_value=1, max_value=12)
early_crash_points = st.none() | st.integers(min_value=1, max_value=4)  # a task or event has few write points
subjects = st.sampled_from(["Kick-off", "Review", "Réunion ☕", "Ünïcødé / slash", "1:1", "(No title)"])
summaries = st.sampled_from(["Dentist", "Réunion ☕", "", "  ", "Ünïcødé / slash"])  # Google takes untitled events


class SyncMachine(RuleBasedStateMachine):
    """Build with ``machine_for(make_stores)``: the stores factory decides the profile (memory or emulator)."""

    make_stores: Callable[[], Any]

    def __init__(self) -> None:
        super().__init__()
        _worlds.append(len(_worlds))
        self.world = SyncWorld(self.make_stores(), sandbox=_sandbox(), prefix=f"w{len(_worlds)}-")
        self.capture = self.world.logs.__enter__()

    def teardown(self) -> None:
        try:
            self._settle_and_check()
        finally:
            self.world.logs.__exit__(None, None, None)
            self.world.close()

    def _settle_and_check(self) -> None:
        self.world.settle()
        problems = self.world.violations()
        assert not problems, "invariants broken once settled:\n  " + "\n  ".join(problems)

    # ------------------------------------------------------------------ the CRM
    @rule(owner=small, type_index=small, day=st.integers(0, 20), hour=st.integers(0, 9), all_day=st.booleans(),
          recurring=st.booleans(), subject=subjects)
    def crm_create(self, **kw: Any) -> None:
        self.world.crm_create(**kw)

    @rule(pick=picks, subject=subjects, day=st.integers(0, 20), hour=st.integers(0, 9), all_day=st.booleans())
    def crm_edit(self, **kw: Any) -> None:
        self.world.crm_edit(**kw)

    @rule(pick=picks, type_index=small)
    def crm_retype(self, **kw: Any) -> None:
        self.world.crm_retype(**kw)

    @rule(pick=picks, owner=small)
    def crm_reown(self, **kw: Any) -> None:
        self.world.crm_reown(**kw)

    @rule(pick=picks, instance=small, kind=small)
    def crm_exception(self, **kw: Any) -> None:
        self.world.crm_exception(**kw)

    @rule(pick=picks)
    def crm_delete(self, pick: int) -> None:
        self.world.crm_delete(pick)

    @rule(pick=picks)
    def crm_mark_held(self, pick: int) -> None:
        self.world.crm_mark_held(pick)

    # ------------------------------------------------------------------ Google, by the calendar's owner
    @rule(owner=small, import_type=small, day=st.integers(0, 20), hour=st.integers(0, 9), all_day=st.booleans(),
          recurring=st.booleans(), summary=summaries)
    def google_create(self, **kw: Any) -> None:
        self.world.google_create(**kw)

    @rule(pick=picks, summary=summaries, shift_hours=st.integers(0, 2))
    def google_edit(self, **kw: Any) -> None:
        self.world.google_edit(**kw)

    @rule(pick=picks)
    def google_delete(self, pick: int) -> None:
        self.world.google_delete(pick)

    @rule(pick=picks, instance=small, cancel=st.booleans())
    def google_edit_instance(self, **kw: Any) -> None:
        self.world.google_edit_instance(**kw)

    @rule()
    def confirm_paused_links(self) -> None:
        self.world.confirm_paused_links()

    @rule()
    def expire_sync_tokens(self) -> None:
        self.world.expire_sync_tokens()

    # ------------------------------------------------------------------ faults
    @rule(status=st.sampled_from([429, 500, 503]), count=st.integers(1, 8))
    def inject_fault(self, status: int, count: int) -> None:
        self.world.inject_fault(status, count)

    @rule(count=st.integers(1, 4))
    def inject_timeouts(self, count: int) -> None:
        self.world.inject_timeouts(count)

    # ------------------------------------------------------------------ runs
    @rule(crash_at=crash_points, retry=st.booleans(), minutes=st.integers(0, 90))
    def run_export(self, crash_at: int | None, retry: bool, minutes: int) -> None:
        self.world.tick(minutes)
        self.world.run_export(crash_at, retry)

    @rule(pick=picks, crash_at=crash_points, retry=st.booleans())
    def run_export_one(self, pick: int, crash_at: int | None, retry: bool) -> None:
        self.world.run_export_one(pick, crash_at, retry)

    @rule(crash_at=crash_points, retry=st.booleans(), minutes=st.integers(0, 90))
    def run_import(self, crash_at: int | None, retry: bool, minutes: int) -> None:
        self.world.tick(minutes)
        self.world.run_import(crash_at, retry)

    @rule(owner=small, crash_at=crash_points)
    def run_import_one(self, owner: int, crash_at: int | None) -> None:
        self.world.run_import_one(owner, crash_at)

    # ------------------------------------------------------------------ as production drives it
    @rule(owner=small, import_type=small, crash_at=st.none() | st.integers(1, 2))
    def webhook(self, owner: int, import_type: int, crash_at: int | None) -> None:
        self.world.webhook(owner, import_type, crash_at)

    @rule(owner=small, import_type=small, how=small)
    def webhook_forged(self, owner: int, import_type: int, how: int) -> None:
        self.world.webhook_forged(owner, import_type, how)

    @rule(export=st.booleans(), minutes=st.integers(0, 90))
    def scheduled_tick(self, export: bool, minutes: int) -> None:
        self.world.tick(minutes)
        self.world.scheduled_tick(export)

    @precondition(lambda self: self.world.waiting_tasks() > 0)
    @rule(pick=picks, crash_at=early_crash_points, twice=st.booleans())
    def deliver_task(self, pick: int, crash_at: int | None, twice: bool) -> None:
        self.world.deliver_task(pick, crash_at, twice)

    @precondition(lambda self: bool(self.world.writes))
    @rule(pick=picks, crash_at=early_crash_points, twice=st.booleans())
    def deliver_write(self, pick: int, crash_at: int | None, twice: bool) -> None:
        self.world.deliver_write(pick, crash_at, twice)

    @precondition(lambda self: self.world.stats.crm_writes + self.world.stats.google_writes > 0)
    @rule()
    def settle_and_check(self) -> None:
        self._settle_and_check()

    # ------------------------------------------------------------------ true at every step, not only settled
    @invariant()
    def no_event_linked_twice(self) -> None:
        problems = self.world.link_problems() + self.world.problems
        assert not problems, "\n".join(problems)


def machine_for(make_stores: Callable[[], Any]) -> type[SyncMachine]:
    return type("SyncMachineOn", (SyncMachine,), {"make_stores": staticmethod(make_stores)})
