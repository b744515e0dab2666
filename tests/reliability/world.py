"""The reliability world: two connected users, their linked calendars, the real services over crashing stores
and a faulty Google, a simple model of what the sync rules promise, and the invariants that compare them.

Driven by ``tests/reliability/test_state_machine.py`` (Hypothesis picks the steps) and by ``bench.soak``
(random steps, many users). Every action is a plain method taking small numbers and choices, so either
driver can call it; ``settle()`` turns faults and crashes off and runs export and import until nothing
changes, and ``violations()`` says what breaks a promise.

The model (``Expect*``) is deliberately simple and independent of the code under test: it records what the
CRM wrote, what was done in Google, and which promise follows from each (docs/export.md, docs/import.md,
/work/shared/docs/design.md sync rules 1-9, 13, 16):

- a CRM-owned activity not deleted in the CRM keeps the content the CRM last gave it (import never changes it),
  and exactly one live Google event carries it, in the calendar of its owner's link for its type when that
  link exports (none elsewhere: a move or an owner change deletes the old copy), equal in the fields calbridge
  owns (series and exceptions); unless the event was deleted in Google (rule 6: unlinked, 0 events allowed,
  the activity stays) or edited in Google on a calendar with no import (nothing can see that edit);
- with no export calendar (type or owner changed to one without export), copies of the owner are left as they
  were (export stops, deletes nothing) and no other user keeps one;
- a CRM-deleted activity is gone from the store and from every calendar;
- a Google-created event on a calendar with import on becomes one read-only activity equal to it
  (``imported_activity_id``), unless that activity is Held (then it keeps what it had); deleted in Google, the
  activity (if it was imported) stays, unlinked; calbridge never deletes a Google-created event;
- an activity that existed stays unless the CRM deleted it; no Google event is linked by two activities;
  no secret reaches a log line.

Production's drivers are steps too: ``webhook`` / ``webhook_forged`` (``calendar_webhook``'s use case with a
channel's real or forged headers), ``scheduled_tick`` (the fan-out jobs publishing tasks), ``deliver_task`` (the
worker taking a task from the queue: redelivered after a crash or ``RetryLater``, or delivered twice) and
``deliver_write`` (export on write with the document write the CRM's save made). They only add steps; the one
promise they add, that a forged notification changes nothing, is recorded in ``problems``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from functions.bootstrap import Services, build_services
from functions.core.activity import (
    Activity,
    ActivityException,
    ActivityStatus,
    Origin,
    SyncState,
    TargetState,
    Timed,
)
from functions.core.activity_write import DocumentWrite
from functions.core.content_hash import exception_hash
from functions.core.event_mapping import (
    ACTIVITY_ID_KEY,
    content_hash,
    event_id_for,
    imported_activity_id,
    instance_event_id,
    instance_to_exception,
)
from functions.core.models import Identity, Link
from functions.core.poll_rules import next_poll_at
from functions.core.sync_task import SyncTask
from functions.messaging.memory_queue import InMemoryTaskQueue
from functions.services.errors import ForgedNotification
from functions.services.ports import Adapters
from functions.services.worker_service import RetryLater
from functions.store.activity_codec import activity_to_doc
from sandbox.control import SandboxError
from sandbox.inprocess import InProcessSandbox
from tests.export_world import CLIENT_SECRET, configure_client, connect_user
from tests.reliability.harness import Crash, CrashSwitch, LogCapture, MachineGateway, crashing_stores

ADMIN = Identity("admin", "admin@example.com", True)
TYPES = ("Meeting", "Call", "Task")
# activity type -> (calendar summary, export, import): Meeting both ways, Call export only, Task import only
LINKS = {"Meeting": ("Meetings", True, True), "Call": ("Calls", True, False), "Task": ("Tasks", False, True)}
ZONES = ("Europe/Madrid", "America/New_York", "Asia/Tokyo", "UTC")
RRULE = "RRULE:FREQ=WEEKLY;COUNT=4"
SETTLE_ROUNDS = 8
HOOK_BASE = "https://calbridge.test/"
PUSH_ADDRESS = HOOK_BASE + "calendar_webhook"  # the sandbox's own deliveries go to a sink: the machine delivers


@dataclass
class ExpectCrm:
    """A CRM-owned activity as the model knows it."""

    id: str
    owner: str
    type: str
    activity: Activity  # as the CRM last saved it (content, owner, type)
    deleted: bool = False
    google_deleted: set[str] = field(default_factory=set)  # calendars where Google deleted its copy
    google_dirty: set[str] = field(default_factory=set)  # edited in Google where no import can see it
    stale_ok: set[str] = field(default_factory=set)  # calendars whose copy export left alone (no export calendar)


@dataclass
class ExpectGoogle:
    """An event made in Google on a calendar with import on."""

    uid: str
    calendar_id: str
    event_id: str
    type: str
    recurring: bool
    deleted: bool = False
    held: Activity | None = None  # the activity as it was when the CRM marked it Held

    @property
    def activity_id(self) -> str:
        return imported_activity_id(self.uid, self.event_id)


@dataclass
class Stats:
    steps: int = 0
    crm_writes: int = 0
    google_writes: int = 0
    runs: int = 0
    crashes: int = 0
    faults: int = 0
    timeouts: int = 0
    errors: int = 0  # runs that reported an error (before settling)
    notifications: int = 0  # webhook calls with the channel's own headers
    forged: int = 0  # webhook calls with forged headers (refused)
    tasks: int = 0  # tasks the worker took from the queue (redeliveries and duplicates included)
    redelivered: int = 0  # tasks left in the queue by a crash or RetryLater, to be delivered again
    duplicates: int = 0  # tasks delivered again after they were acknowledged
    trigger_events: int = 0  # Firestore-write events the export-on-write trigger handled
    synced: int = 0  # activities the exports left synced
    safety_stops: int = 0  # calendar_emptied pauses the users confirmed


@dataclass
class User:
    uid: str
    email: str
    zone: str
    calendars: dict[str, str]  # activity type -> calendar id

    def calendar(self, activity_type: str) -> str:
        return self.calendars[activity_type]


class SyncWorld:
    """One world: build it, call actions, then ``settle()`` and ``violations()``."""

    def __init__(self, stores: Any, users: int = 2, start: datetime | None = None, seed: int = 0,
                 sandbox: InProcessSandbox | None = None, prefix: str = "") -> None:
        self.prefix = prefix  # user and activity ids start with it: worlds can share a database uncleared
        self.raw_stores = stores
        self.switch = CrashSwitch()
        self.stores = crashing_stores(stores, self.switch)
        self.sandbox = sandbox or InProcessSandbox()
        self.control = self.sandbox.control()
        self.control.session.trust_env = False  # no proxy lookup in the environment for each in-process call
        if sandbox is not None:
            self.control.reset()  # a sandbox reused from an earlier world (building one costs ~150 ms)
        self.gateway = MachineGateway(self.sandbox, self.switch)
        moment = start or datetime.now(UTC)
        self.clock = [moment.replace(microsecond=0)]
        self.rng = random.Random(seed)
        self.stats = Stats()
        self.crm: dict[str, ExpectCrm] = {}
        self.google: dict[tuple[str, str, str], ExpectGoogle] = {}
        self.ever_seen: set[str] = set()
        self.users: list[User] = []
        self.secrets: set[str] = {CLIENT_SECRET}
        self.logs = LogCapture()
        configure_client(self.raw_stores, self.control)
        for index in range(users):
            self._add_user(index)
        self.queue = InMemoryTaskQueue()
        self.inbox: list[SyncTask] = []  # published and not acknowledged yet (Pub/Sub's subscription)
        self.writes: list[DocumentWrite] = []  # Firestore-write events not yet handled by the trigger (Eventarc)
        self.problems: list[str] = []  # broken promises seen at a step (a forged notification that did something)
        self.sandbox.deliver_push_to(HOOK_BASE, _push_sink)  # Google's own deliveries: dropped (see webhook())
        self.services: Services = build_services(Adapters(self.stores, self.gateway, now=lambda: self.clock[0],
                                                          queue=self.queue, push_address=PUSH_ADDRESS))
        self.services.worker.sleep = lambda seconds: self.tick(seconds / 60)  # a push import waits on our clock
        ids = iter(range(1, 10**9))
        self.services.activities.new_id = lambda: f"{prefix}crm-{next(ids):05d}"  # the same ids in every replay
        for user in self.users:  # as connect does: a channel on every calendar with import on
            self.services.channels.watch_links(user.uid)

    # ------------------------------------------------------------------ setup
    def _add_user(self, index: int) -> None:
        uid = f"{self.prefix}user{index}"
        email = f"{uid}@example.com"
        zone = ZONES[index % len(ZONES)]
        summaries = {summary: zone for summary, _, _ in LINKS.values()}
        connected = connect_user(self.raw_stores, self.control, uid, email, summaries, self.clock[0])
        calendars = {t: connected.calendars[summary] for t, (summary, _, _) in LINKS.items()}
        for activity_type, (_summary, export, import_) in LINKS.items():
            cal = calendars[activity_type]
            link = Link(activity_type, cal, activity_type, export=export, import_=import_, import_existing=import_,
                        import_since=self.clock[0] if import_ else None, updated_at=self.clock[0])
            link = replace(link, next_poll_at=next_poll_at(link, self.clock[0]))
            self.raw_stores.links.put_link_checked(uid, activity_type, lambda _current, lk=link: lk)
        secrets = self.raw_stores.users.get_secrets(uid)
        self.secrets.update(s for s in (secrets.refresh_token, secrets.access_token) if s)
        self.users.append(User(uid, email, zone, calendars))

    def close(self) -> None:
        """Unlink this world's users, so the next world on the same database does not import for them."""
        for user in self.users:
            for link in self.raw_stores.links.list_links(user.uid):
                self.raw_stores.links.delete_link(user.uid, link.activity_type)

    def now(self) -> datetime:
        return self.clock[0]

    def tick(self, minutes: float = 1) -> None:
        self.clock[0] += timedelta(minutes=minutes)

    def user(self, uid: str) -> User:
        return next(u for u in self.users if u.uid == uid)

    def export_calendar(self, uid: str, activity_type: str) -> str | None:
        _summary, export, _import = LINKS[activity_type]
        return self.user(uid).calendar(activity_type) if export else None

    def zone_of(self, calendar_id: str) -> str:
        return next(u.zone for u in self.users if calendar_id in u.calendars.values())

    def owner_of_calendar(self, calendar_id: str) -> User:
        return next(u for u in self.users if calendar_id in u.calendars.values())

    @contextmanager
    def capturing(self) -> Iterator[LogCapture]:
        with self.logs:
            yield self.logs

    # ------------------------------------------------------------------ content the CRM writes
    def _start(self, day: int, hour: int) -> datetime:
        base = self.clock[0].replace(hour=0, minute=0, second=0)
        return base + timedelta(days=1 + day, hours=8 + hour)

    def _time_body(self, zone: str, day: int, hour: int, all_day: bool, minutes: int = 60) -> dict[str, Any]:
        start = self._start(day, hour)
        if all_day:
            first = start.date()
            return {"all_day": True, "start_date": first.isoformat(), "end_date": (first + timedelta(days=day % 2))
                    .isoformat()}
        return {"all_day": False, "start": start.isoformat(), "end": (start + timedelta(minutes=minutes)).isoformat(),
                "time_zone": zone}

    # ------------------------------------------------------------------ CRM actions (the activities API's service)
    def crm_create(self, owner: int, type_index: int, day: int, hour: int, all_day: bool, recurring: bool,
                   subject: str) -> str:
        user = self.users[owner % len(self.users)]
        activity_type = TYPES[type_index % len(TYPES)]
        body: dict[str, Any] = {"activity_type": activity_type, "subject": subject, "owner_uid": user.uid,
                                "location": f"Room {hour}", **self._time_body(user.zone, day, hour, all_day)}
        if recurring:
            body["recurrence"] = [RRULE]
        created = self.services.activities.create(ADMIN, body)
        self._written(created.id, None)
        self.crm[created.id] = ExpectCrm(created.id, user.uid, activity_type, created)
        self.stats.crm_writes += 1
        return created.id

    def _live_crm(self, pick: int, recurring: bool | None = None) -> ExpectCrm | None:
        live = [e for e in self.crm.values() if not e.deleted
                and (recurring is None or bool(e.activity.content.recurrence) == recurring)]
        return live[pick % len(live)] if live else None

    def _crm_update(self, expect: ExpectCrm, patch: dict[str, Any]) -> None:
        before = content_hash(expect.activity), _exceptions_of(expect.activity)
        old_doc = self._doc(expect.id)
        updated = self.services.activities.update(ADMIN, expect.id, patch)
        self._written(expect.id, old_doc)
        new_cal = self.export_calendar(updated.owner_uid, updated.activity_type)
        old_cal = self.export_calendar(expect.owner, expect.type)
        if new_cal is None and (updated.owner_uid, updated.activity_type) != (expect.owner, expect.type):
            if updated.owner_uid == expect.owner and old_cal is not None:
                expect.stale_ok.add(old_cal)  # export stops there and deletes nothing
            if updated.owner_uid != expect.owner:
                expect.stale_ok.clear()
        if new_cal is not None:
            expect.stale_ok.clear()
        if (content_hash(updated), _exceptions_of(updated)) != before:
            expect.google_dirty.clear()  # the export patches every copy with the CRM's content
        expect.owner, expect.type, expect.activity = updated.owner_uid, updated.activity_type, updated
        self.stats.crm_writes += 1

    def crm_edit(self, pick: int, subject: str, day: int, hour: int, all_day: bool) -> None:
        expect = self._live_crm(pick)
        if expect is None:
            return
        patch: dict[str, Any] = {"subject": subject, "description": f"edited at {self.now():%H:%M}"}
        if not expect.activity.content.exceptions:  # moving a series with exceptions would orphan them
            zone = expect.activity.content.time.time_zone if isinstance(expect.activity.content.time, Timed) \
                else self.user(expect.owner).zone
            patch.update(self._time_body(zone, day, hour, all_day))
        self._crm_update(expect, patch)

    def crm_retype(self, pick: int, type_index: int) -> None:
        expect = self._live_crm(pick)
        if expect is not None:
            self._crm_update(expect, {"activity_type": TYPES[type_index % len(TYPES)]})

    def crm_reown(self, pick: int, owner: int) -> None:
        expect = self._live_crm(pick)
        if expect is not None:
            self._crm_update(expect, {"owner_uid": self.users[owner % len(self.users)].uid})

    def crm_exception(self, pick: int, instance: int, kind: int) -> None:
        """Add, change or remove an exception of a CRM series: kind 0 moves an instance an hour later,
        1 cancels it, 2 retitles it, 3 removes the exception of that instance."""
        expect = self._live_crm(pick, recurring=True)
        if expect is None:
            return
        time = expect.activity.content.time
        index = instance % 4
        if isinstance(time, Timed):
            original: date | datetime = time.start + timedelta(weeks=index)
            key = {"original_start": original.isoformat()}
        else:
            original = time.start_date + timedelta(weeks=index)
            key = {"original_date": original.isoformat()}
        kept = [e for e in _exceptions_json(expect.activity)
                if _point(e.get("original_start") or e.get("original_date")) != original]
        if kind % 4 == 0 and isinstance(time, Timed):
            moved = original + timedelta(hours=1)
            kept.append({**key, "start": moved.isoformat(), "end": (moved + (time.end - time.start)).isoformat(),
                         "time_zone": time.time_zone})
        elif kind % 4 == 1:
            kept.append({**key, "cancelled": True})
        elif kind % 4 == 2 or kind % 4 == 0:
            kept.append({**key, "subject": f"instance {index} retitled"})
        self._crm_update(expect, {"exceptions": kept})

    def crm_delete(self, pick: int) -> None:
        expect = self._live_crm(pick)
        if expect is None:
            return
        old_doc = self._doc(expect.id)
        self.services.activities.delete(ADMIN, expect.id)
        self._written(expect.id, old_doc)
        expect.deleted = True
        self.stats.crm_writes += 1

    def crm_mark_held(self, pick: int) -> None:
        """The CRM marks an imported activity Held (a direct write: the API keeps imported ones read-only)."""
        imported = [e for e in self.google.values() if not e.deleted and e.held is None]
        if not imported:
            return
        expect = imported[pick % len(imported)]
        current = self.raw_stores.activities.get(expect.activity_id)
        if current is None:
            return  # not imported yet
        held = replace(current, status=ActivityStatus.HELD)
        uow = self.raw_stores.unit_of_work()
        self.raw_stores.activities.stage_put(uow, held)
        uow.commit()
        expect.held = held
        self.stats.crm_writes += 1

    # ------------------------------------------------------------------ Google actions (the owner, in Google's UI)
    def google_create(self, owner: int, import_type: int, day: int, hour: int, all_day: bool, recurring: bool,
                      summary: str) -> None:
        user = self.users[owner % len(self.users)]
        importing = [t for t, (_s, _e, imp) in LINKS.items() if imp]
        activity_type = importing[import_type % len(importing)]
        cal = user.calendar(activity_type)
        start = self._start(day, hour)
        event: dict[str, Any] = {"summary": summary, "location": "Google side"}
        if all_day:
            event["start"] = {"date": start.date().isoformat()}
            event["end"] = {"date": (start.date() + timedelta(days=1)).isoformat()}
        else:
            event["start"] = {"dateTime": start.isoformat(), "timeZone": user.zone}
            event["end"] = {"dateTime": (start + timedelta(minutes=45)).isoformat(), "timeZone": user.zone}
        if recurring:
            event["recurrence"] = [RRULE]
        made = self.control.owner_insert_event(user.email, cal, event)
        self.google[(user.uid, cal, made["id"])] = ExpectGoogle(user.uid, cal, made["id"], activity_type, recurring)
        self.stats.google_writes += 1

    def _google_events(self, pick: int, recurring: bool | None = None) -> tuple[User, str, dict[str, Any]] | None:
        found = []
        for user in self.users:
            for cal in user.calendars.values():
                for event in self.control.owner_list_events(user.email, cal):
                    if event.get("status") == "cancelled" or event.get("recurringEventId"):
                        continue
                    if recurring is not None and bool(event.get("recurrence")) != recurring:
                        continue
                    found.append((user, cal, event))
        return found[pick % len(found)] if found else None

    def _crm_expect_for(self, event: dict[str, Any]) -> ExpectCrm | None:
        tag = ((event.get("extendedProperties") or {}).get("private") or {}).get(ACTIVITY_ID_KEY)
        return self.crm.get(tag) if tag else None

    def google_edit(self, pick: int, summary: str, shift_hours: int) -> None:
        found = self._google_events(pick)
        if found is None:
            return
        user, cal, event = found
        patch: dict[str, Any] = {"summary": summary, "location": f"moved {shift_hours}h in Google"}
        if shift_hours and "dateTime" in event.get("start", {}):
            def shifted(point: dict[str, Any]) -> dict[str, Any]:
                moment = datetime.fromisoformat(point["dateTime"].replace("Z", "+00:00"))
                return {**point, "dateTime": (moment + timedelta(hours=shift_hours)).isoformat()}
            patch["start"], patch["end"] = shifted(event["start"]), shifted(event["end"])
        self.control.owner_patch_event(user.email, cal, event["id"], patch)
        crm = self._crm_expect_for(event)
        if crm is not None and not LINKS[self._type_of(user, cal)][2]:
            crm.google_dirty.add(cal)  # no import on this calendar: nothing sees the edit
        self.stats.google_writes += 1

    def google_delete(self, pick: int) -> None:
        found = self._google_events(pick)
        if found is None:
            return
        user, cal, event = found
        self.control.owner_delete_event(user.email, cal, event["id"])
        crm = self._crm_expect_for(event)
        if crm is not None:
            crm.google_deleted.add(cal)
        known = self.google.get((user.uid, cal, event["id"]))
        if known is not None:
            known.deleted = True
        self.stats.google_writes += 1

    def google_edit_instance(self, pick: int, instance: int, cancel: bool) -> None:
        found = self._google_events(pick, recurring=True)
        if found is None:
            return
        user, cal, event = found
        start = event["start"]
        if "dateTime" in start:
            original: date | datetime = datetime.fromisoformat(start["dateTime"].replace("Z", "+00:00")) \
                + timedelta(weeks=instance % 4)
        else:
            original = date.fromisoformat(start["date"]) + timedelta(weeks=instance % 4)
        instance_id = instance_event_id(event["id"], original)
        try:
            if cancel:
                self.control.owner_delete_event(user.email, cal, instance_id)
            else:
                self.control.owner_patch_event(user.email, cal, instance_id,
                                               {"summary": f"instance {instance % 4} in G"})
        except SandboxError:
            return  # that instance is cancelled already (or was moved away): Google's UI offers nothing to do
        crm = self._crm_expect_for(event)
        if crm is not None and not LINKS[self._type_of(user, cal)][2]:
            crm.google_dirty.add(cal)
        self.stats.google_writes += 1

    def _type_of(self, user: User, calendar_id: str) -> str:
        return next(t for t, cal in user.calendars.items() if cal == calendar_id)

    def confirm_paused_links(self) -> int:
        """Each user saves again every link import paused as ``calendar_emptied`` (rule 16's safety stop: the
        page asks them to confirm that the calendar really is empty); how many there were."""
        confirmed = 0
        for user in self.users:
            for link in self.raw_stores.links.list_links(user.uid):
                if link.paused_reason != "calendar_emptied":
                    continue
                body = {"calendar_id": link.calendar_id, "export": link.export, "import": link.import_,
                        "import_existing": link.import_existing}
                self.services.links.put_link(Identity(user.uid, user.email, False), link.activity_type, body)
                confirmed += 1
        self.stats.safety_stops += confirmed
        return confirmed

    def expire_sync_tokens(self) -> None:
        self.control.expire_sync_tokens()

    # ------------------------------------------------------------------ faults
    def inject_fault(self, status: int, count: int) -> None:
        self.control.inject_fault(status=status, count=count)
        self.stats.faults += count

    def inject_timeouts(self, count: int) -> None:
        self.gateway.faulty.timeouts += count
        self.stats.timeouts += count

    def clear_faults(self) -> None:
        self.control.clear_faults()
        self.gateway.faulty.timeouts = 0

    # ------------------------------------------------------------------ runs (as the scheduler / Pub/Sub run them)
    def _run(self, run: Callable[[], Any], crash_at: int | None, retry: bool = True) -> Any:
        """One run; with ``crash_at`` the process dies at that write point and, with ``retry``, the run is
        retried once, as Cloud Functions and Pub/Sub retry a failed invocation (after the lease a dead run held
        expired). Without ``retry`` the next scheduled run (or the settling) finds what it left."""
        self.stats.runs += 1
        if crash_at is None:
            return run()
        self.switch.arm(crash_at)
        try:
            return run()
        except Crash:
            self.stats.crashes += 1
        finally:
            self.switch.revive()
        if not retry:
            return None
        self.tick(11)  # Pub/Sub's retry comes later; a dead import's lease (10 min) has expired by then
        self.stats.runs += 1
        return run()

    def run_export(self, crash_at: int | None = None, retry: bool = True) -> None:
        report = self._run(self.services.export.sweep, crash_at, retry)
        if report is not None:
            self.stats.errors += report.errors
            self.stats.synced += report.synced

    def run_export_one(self, pick: int, crash_at: int | None = None, retry: bool = True) -> None:
        ids = sorted(self.crm)
        if ids:
            self._run(lambda: self.services.export.export_activity(ids[pick % len(ids)]), crash_at, retry)

    def run_import(self, crash_at: int | None = None, retry: bool = True) -> None:
        summary = self._run(self.services.imports.run_all, crash_at, retry)
        if summary is not None:
            self.stats.errors += summary.get("failed", 0)

    def run_import_one(self, owner: int, crash_at: int | None = None) -> None:
        """One calendar's import (what a webhook notification or a per-user Pub/Sub task runs)."""
        user = self.users[owner % len(self.users)]
        self._run(lambda: self.services.imports.import_calendar(user.uid, "Meeting"), crash_at)

    # ------------------------------------------------------------------ webhook, scheduled ticks, worker, trigger
    def _doc(self, activity_id: str) -> dict[str, Any] | None:
        activity = self.raw_stores.activities.get(activity_id)
        return activity_to_doc(activity) if activity is not None else None

    def _written(self, activity_id: str, old: dict[str, Any] | None) -> None:
        """The CRM wrote ``activities/{id}``: Eventarc holds one event for ``on_activity_write``."""
        self.writes.append(DocumentWrite(activity_id, old, self._doc(activity_id), f"w{len(self.writes)}"))

    def channel_headers(self, owner: int, import_type: int) -> tuple[str, dict[str, str]] | None:
        """The headers Google sends for the current channel of a user's calendar with import on (None: none)."""
        user = self.users[owner % len(self.users)]
        importing = [t for t, (_s, _e, imp) in LINKS.items() if imp]
        activity_type = importing[import_type % len(importing)]
        link = next((lk for lk in self.raw_stores.links.list_links(user.uid) if lk.activity_type == activity_type),
                    None)
        live = {ch["id"]: ch for ch in self.control.channels() if ch.get("calendar_id") == user.calendar(activity_type)}
        channel = live.get(link.channel_id) if link is not None and link.channel_id else None
        channel = channel or (live[sorted(live)[0]] if live else None)  # an older one: answered as unknown
        if channel is None:
            return None
        return channel["id"], {"X-Goog-Channel-ID": channel["id"], "X-Goog-Channel-Token": channel.get("token") or "",
                               "X-Goog-Resource-ID": channel["resourceId"], "X-Goog-Resource-State": "exists",
                               "X-Goog-Message-Number": str(self.stats.notifications + 2)}

    def webhook(self, owner: int, import_type: int, crash_at: int | None = None) -> str | None:
        """Google notifies a change on one of the user's calendars (``calendar_webhook``); a run that dies answers
        500 and Google delivers the notification again."""
        found = self.channel_headers(owner, import_type)
        if found is None:
            return None
        _channel_id, headers = found
        self.stats.notifications += 1
        receipt = self._run(lambda: self.services.notifications.receive(headers), crash_at)
        return receipt.result if receipt is not None else None

    def webhook_forged(self, owner: int, import_type: int, how: int) -> None:
        """Someone else posts to the webhook: a wrong, missing or another channel's token, another resource id, or
        a channel id that names nothing. Refused (or unknown); nothing queued, no channel or activity changed."""
        found = self.channel_headers(owner, import_type)
        if found is None:
            return
        channel_id, headers = found
        other = next((ch for ch in self.control.channels() if ch["id"] != channel_id), None)
        token = headers["X-Goog-Channel-Token"]
        forged = dict(headers)
        kind = how % 5
        if kind == 0:
            forged["X-Goog-Channel-Token"] = token[:-1] + ("A" if token[-1:] != "A" else "B")
        elif kind == 1:
            del forged["X-Goog-Channel-Token"]
        elif kind == 2 and other is not None:
            forged["X-Goog-Channel-Token"] = other.get("token") or ""
        elif kind == 3 and other is not None:
            forged["X-Goog-Resource-ID"] = other["resourceId"]
        else:
            forged["X-Goog-Channel-ID"] = "forged" + channel_id[6:]
        self.stats.forged += 1
        before = self._forgery_witness(channel_id)
        try:
            receipt = self.services.notifications.receive(forged)
            if receipt.result != "unknown_channel":
                self.problems.append(f"a forged notification ({kind}) for channel {channel_id} was accepted: "
                                     f"{receipt.result}")
        except ForgedNotification:
            pass
        after = self._forgery_witness(channel_id)
        if after != before:
            self.problems.append(f"a forged notification ({kind}) for channel {channel_id} changed something: "
                                 f"{before} -> {after}")

    def _forgery_witness(self, channel_id: str) -> tuple[Any, ...]:
        """What a notification for this channel could change: the queue, the channel's record (its debounce
        marker) and the activities of the channel's calendar."""
        channel = self.raw_stores.channels.get_channel(channel_id)
        acts: tuple[Any, ...] = ()
        if channel is not None and channel.activity_type is not None:
            acts = tuple(sorted((a.id, repr(a.sync), content_hash(a)) for a in
                                self.raw_stores.activities.list_by_type(channel.uid, channel.activity_type, 10000)))
        return len(self.queue.published), channel, acts

    def scheduled_tick(self, export: bool) -> None:
        """Cloud Scheduler's ``export_activities`` / ``import_events``: one task per user with work, published."""
        self.stats.runs += 1
        if export:
            self.services.fanout.export_tick()
        else:
            self.services.fanout.import_tick()

    def waiting_tasks(self) -> int:
        """How many published tasks wait for a delivery."""
        self.inbox.extend(self.queue.drain())
        return len(self.inbox)

    def deliver_task(self, pick: int, crash_at: int | None = None, twice: bool = False) -> None:
        """Pub/Sub hands one published task to ``sync_worker``. A run that dies, or raises RetryLater, leaves the
        task to be delivered again; ``twice``: an acknowledged task is delivered once more (at-least-once)."""
        self.inbox.extend(self.queue.drain())
        if not self.inbox:
            return
        task = self.inbox[pick % len(self.inbox)]
        if not self._handle_task(task, crash_at):
            self.stats.redelivered += 1
            self.tick(1)  # Pub/Sub's backoff before the next delivery
            return
        self.inbox.remove(task)
        if twice:
            self.stats.duplicates += 1
            if not self._handle_task(task, None):
                self.inbox.append(task)

    def _handle_task(self, task: SyncTask, crash_at: int | None) -> bool:
        """One delivery; whether the task was acknowledged."""
        self.stats.runs += 1
        self.stats.tasks += 1
        if crash_at is not None:
            self.switch.arm(crash_at)
        try:
            self.services.worker.handle(task)
            return True
        except Crash:
            self.stats.crashes += 1
            return False
        except RetryLater:
            self.stats.errors += 1
            return False
        finally:
            self.switch.revive()

    def deliver_write(self, pick: int, crash_at: int | None = None, twice: bool = False) -> None:
        """Eventarc hands one Firestore-write event to ``on_activity_write``; a run that dies or asks for a retry
        leaves it to be delivered again; ``twice``: delivered once more after it was handled."""
        if not self.writes:
            return
        write = self.writes[pick % len(self.writes)]
        for delivery in range(2 if twice else 1):
            self.stats.runs += 1
            self.stats.trigger_events += 1
            if crash_at is not None and delivery == 0:
                self.switch.arm(crash_at)
            try:
                outcome = self.services.activity_writes.handle(write)
            except Crash:
                self.stats.crashes += 1
                self.tick(1)
                return
            finally:
                self.switch.revive()
            if outcome.retry:
                return
            if delivery == 0:
                self.writes.remove(write)

    def drain_deliveries(self) -> None:
        """Every task and trigger event still waiting is delivered until acknowledged (no faults, no crashes); the
        tasks waiting at first are delivered twice (Pub/Sub delivers at least once)."""
        for attempt in range(3):
            self.inbox.extend(self.queue.drain())
            for task in list(self.inbox):
                if self._handle_task(task, None):
                    self.inbox.remove(task)
                    if attempt == 0:
                        self.stats.duplicates += 1
                        if not self._handle_task(task, None):
                            self.inbox.append(task)
            for write in list(self.writes):
                if not self.services.activity_writes.handle(write).retry:
                    self.writes.remove(write)
            if not self.inbox and not self.writes:
                break

    # ------------------------------------------------------------------ settling
    def all_activities(self) -> dict[str, Activity]:
        found: dict[str, Activity] = {}
        for user in self.users:
            for activity_type in TYPES:
                for activity in self.raw_stores.activities.list_by_type(user.uid, activity_type, 10000):
                    found[activity.id] = activity
        return found

    def google_state(self) -> dict[str, list[dict[str, Any]]]:
        return {cal: self.control.owner_list_events(user.email, cal)
                for user in self.users for cal in user.calendars.values()}

    def fingerprint(self) -> tuple[Any, ...]:
        acts = tuple(sorted((a.id, repr(a.sync), content_hash(a), str(a.status), a.deleted)
                            for a in self.all_activities().values()))
        events = tuple(sorted((cal, e["id"], e.get("etag"), e.get("status"))
                              for cal, items in self.google_state().items() for e in items))
        links = tuple(sorted((u.uid, lk.activity_type, lk.sync_token, lk.paused_reason, lk.empty_accepted,
                              lk.last_import.error)
                             for u in self.users for lk in self.raw_stores.links.list_links(u.uid)))
        return acts, events, links

    def settle(self) -> int:
        """Faults and crashes off, then export and import until a round changes nothing; the rounds it took."""
        self.clear_faults()
        self.switch.revive()
        before = self.fingerprint()
        for rounds in range(1, SETTLE_ROUNDS + 1):
            self.tick(7 * 60)  # past every backoff (6 h at most) and every lease
            self.drain_deliveries()
            self.services.export.sweep()
            self.services.imports.run_all()
            self.confirm_paused_links()
            self.services.export.sweep()
            after = self.fingerprint()
            if after == before:
                return rounds
            before = after
        return SETTLE_ROUNDS + 1

    # ------------------------------------------------------------------ the invariants
    def violations(self) -> list[str]:
        problems: list[str] = list(self.problems)
        activities = self.all_activities()
        google = self.google_state()
        problems += self._no_duplicates(activities, google)
        problems += self._crm_promises(activities, google)
        problems += self._import_promises(activities, google)
        for activity_id in sorted(self.ever_seen - set(activities)):
            expect = self.crm.get(activity_id)
            if expect is None or not expect.deleted:
                problems.append(f"activity {activity_id} existed and is gone, and the CRM did not delete it")
        self.ever_seen |= set(activities)
        for user in self.users:
            for link in self.raw_stores.links.list_links(user.uid):
                if link.paused_reason or link.last_import.error:
                    problems.append(f"link {user.uid}/{link.activity_type} after settling: paused "
                                    f"{link.paused_reason}, last import error {link.last_import.error}")
        problems += self._no_secrets()
        return problems

    def link_problems(self) -> list[str]:
        """True at every step, settled or not: no Google event is linked by two activities."""
        return self._linked_twice(self.all_activities())

    def _linked_twice(self, activities: dict[str, Activity]) -> list[str]:
        problems = []
        linked: dict[tuple[str, str, str], str] = {}
        for activity in activities.values():
            for target in activity.sync.targets if activity.sync else ():
                if target.state == TargetState.UNLINKED:
                    continue
                key = (target.uid, target.calendar_id, target.event_id)
                if key in linked and linked[key] != activity.id:
                    problems.append(f"Google event {key} linked by {linked[key]} and {activity.id}")
                linked[key] = activity.id
        return problems

    def _no_duplicates(self, activities: dict[str, Activity], google: dict[str, list[dict[str, Any]]]) -> list[str]:
        problems = self._linked_twice(activities)
        for cal, events in google.items():
            seen: dict[str, str] = {}
            for event in events:
                if event.get("status") == "cancelled" or event.get("recurringEventId"):
                    continue
                tag = ((event.get("extendedProperties") or {}).get("private") or {}).get(ACTIVITY_ID_KEY)
                if tag and tag in seen:
                    problems.append(f"activity {tag} has two events in calendar {cal}: {seen[tag]}, {event['id']}")
                if tag:
                    seen[tag] = event["id"]
        return problems

    def _copies(self, activity_id: str, google: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
        """Live series events carrying the activity (by calbridge id or by its client-chosen event id)."""
        own_id = event_id_for(activity_id)
        found: dict[str, list[dict[str, Any]]] = {}
        for cal, events in google.items():
            for event in events:
                if event.get("status") == "cancelled" or event.get("recurringEventId"):
                    continue
                tag = ((event.get("extendedProperties") or {}).get("private") or {}).get(ACTIVITY_ID_KEY)
                if tag == activity_id or event["id"] == own_id:
                    found.setdefault(cal, []).append(event)
        return found

    def _crm_promises(self, activities: dict[str, Activity], google: dict[str, list[dict[str, Any]]]) -> list[str]:
        problems = []
        for expect in self.crm.values():
            stored = activities.get(expect.id)
            copies = self._copies(expect.id, google)
            name = f"CRM activity {expect.id} ({expect.activity.content.subject!r}, {expect.owner}/{expect.type})"
            if expect.deleted:
                if stored is not None:
                    problems.append(f"{name}: deleted in the CRM but still stored ({stored.sync})")
                if copies:
                    problems.append(f"{name}: deleted in the CRM but still in Google: {sorted(copies)}")
                continue
            if stored is None:
                problems.append(f"{name}: lost from the store")
                continue
            if (stored.owner_uid, stored.activity_type, stored.origin) != (expect.owner, expect.type, Origin.CRM):
                problems.append(f"{name}: stored as {stored.owner_uid}/{stored.activity_type}/{stored.origin}")
            if stored.content != expect.activity.content:
                problems.append(f"{name}: the CRM's content was changed: {stored.content} != {expect.activity.content}")
            cal = self.export_calendar(expect.owner, expect.type)
            wanted_state = SyncState.SYNCED if cal else SyncState.NOT_EXPORTED
            if stored.sync is None or stored.sync.state != wanted_state:
                problems.append(f"{name}: sync is {stored.sync and stored.sync.state} "
                                f"({stored.sync and stored.sync.last_error}), not {wanted_state}")
            owner_cals = set(self.user(expect.owner).calendars.values())
            for where, events in copies.items():
                if len(events) > 1:
                    problems.append(f"{name}: {len(events)} events in calendar {where}")
                if where != cal and where not in (expect.stale_ok if cal is None else ()) and not (
                        cal is None and where in owner_cals and where in expect.stale_ok):
                    problems.append(f"{name}: a copy left in calendar {where} (export calendar {cal})")
            if cal is None:
                continue
            here = copies.get(cal, [])
            if not here and cal not in expect.google_deleted:
                problems.append(f"{name}: no event in its export calendar {cal}")
            if here and cal not in expect.google_dirty:
                problems += self._same_as_google(name, stored, here[0], cal, google[cal])
        return problems

    def _same_as_google(self, name: str, activity: Activity, event: dict[str, Any], cal: str,
                        events: list[dict[str, Any]]) -> list[str]:
        problems = []
        zone = self.zone_of(cal)
        if content_hash(event, calendar_time_zone=zone) != content_hash(activity):
            problems.append(f"{name}: Google's event differs in calbridge's fields: {_owned(event)} vs "
                            f"{activity.content.subject!r} {activity.content.time} {activity.content.location!r}")
        if activity.content.recurrence:
            google_side = _google_exceptions(event, events, activity, zone)
            crm_side = _exceptions_of(activity)
            if google_side != crm_side:
                problems.append(f"{name}: the series' instances differ: Google {sorted(google_side.values())} vs "
                                f"CRM {sorted(crm_side.values())}")
        return problems

    def _import_promises(self, activities: dict[str, Activity], google: dict[str, list[dict[str, Any]]]) -> list[str]:
        problems = []
        for expect in self.google.values():
            stored = activities.get(expect.activity_id)
            event = next((e for e in google[expect.calendar_id] if e["id"] == expect.event_id), None)
            name = f"Google event {expect.event_id} of {expect.uid}/{expect.type}"
            if expect.deleted:
                if stored is not None and stored.sync and any(
                        t.event_id == expect.event_id and t.state != TargetState.UNLINKED for t in stored.sync.targets):
                    problems.append(f"{name}: deleted in Google but its activity is still linked")
                continue
            if event is None or event.get("status") == "cancelled":
                problems.append(f"{name}: made in Google, deleted by calbridge")
                continue
            if stored is None:
                problems.append(f"{name}: not imported")
                continue
            if stored.origin != Origin.GOOGLE or not stored.read_only:
                problems.append(f"{name}: imported as origin {stored.origin}, read_only {stored.read_only}")
            if expect.held is not None:
                if stored.content != expect.held.content:
                    problems.append(f"{name}: Held, but import changed it")
                continue
            zone = self.zone_of(expect.calendar_id)
            if content_hash(event, calendar_time_zone=zone) != content_hash(stored):
                problems.append(f"{name}: the imported activity differs from Google: {_owned(event)} vs "
                                f"{stored.content.subject!r} {stored.content.time} {stored.content.location!r}")
            if expect.recurring:
                google_side = _google_exceptions(event, google[expect.calendar_id], stored, zone)
                if google_side != _exceptions_of(stored):
                    problems.append(f"{name}: the imported series' exceptions differ: Google "
                                    f"{sorted(google_side.values())} vs CRM {sorted(_exceptions_of(stored).values())}")
        return problems

    def _no_secrets(self) -> list[str]:
        current = set(self.secrets)
        for user in self.users:
            secrets = self.raw_stores.users.get_secrets(user.uid)
            if secrets is not None:
                current.update(s for s in (secrets.refresh_token, secrets.access_token) if s)
        self.secrets = current
        leaks = []
        for line in self.logs.lines:
            for secret in current:
                if secret and secret in line:
                    leaks.append(f"a secret ({secret[:4]}...) in a log line: {line[:200]}")
        return leaks


def _push_sink(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Where the sandbox's own push deliveries land: answered and dropped. The machine delivers notifications
    itself (``SyncWorld.webhook``), at the steps Hypothesis picks, so that every example replays the same."""
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b"{}"]


# ---------------------------------------------------------------------- comparisons
def _owned(event: dict[str, Any]) -> str:
    return f"{event.get('summary')!r} {event.get('start')} {event.get('end')} {event.get('location')!r}"


def _exceptions_of(activity: Activity) -> dict[str, str]:
    """The series' real exceptions (an exception that overrides nothing is no exception), by original start."""
    return {_key(e.original_start): exception_hash(e) for e in activity.content.exceptions
            if e != ActivityException(e.original_start)}


def _google_exceptions(series: dict[str, Any], events: list[dict[str, Any]], activity: Activity,
                       calendar_zone: str) -> dict[str, str]:
    """Google's modified or cancelled instances of ``series``, read as exceptions of the activity's series."""
    time = activity.content.time
    zone = time.time_zone if isinstance(time, Timed) else calendar_zone
    found = {}
    for event in events:
        if event.get("recurringEventId") != series["id"]:
            continue
        exception = instance_to_exception(event, zone, series=activity.content)
        if exception != ActivityException(exception.original_start):
            found[_key(exception.original_start)] = exception_hash(exception)
    return found


def _key(original: date | datetime) -> str:
    return original.astimezone(UTC).isoformat() if isinstance(original, datetime) else original.isoformat()


def _point(text: str) -> date | datetime:
    return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)


def _exceptions_json(activity: Activity) -> list[dict[str, Any]]:
    from functions.core.activity_rules import activity_to_body

    return list(activity_to_body(activity).get("exceptions") or [])


# ---------------------------------------------------------------------- a random driver (bench.soak, bug hunting)
def random_step(world: SyncWorld, rng: random.Random, crash_rate: float = 0.3) -> str:
    """One random action, as the state machine's rules would pick it; returns what it did."""
    n = rng.randrange
    crash = n(1, 12) if rng.random() < crash_rate else None
    subject = rng.choice(["Kick-off", "Review", "Réunion ☕", "Ünïcødé / slash", "1:1"])
    steps: list[tuple[str, tuple[Any, ...]]] = [
        ("crm_create", (n(10), n(10), n(21), n(10), rng.random() < 0.3, rng.random() < 0.3, subject)),
        ("crm_create", (n(10), n(10), n(21), n(10), rng.random() < 0.3, rng.random() < 0.3, subject)),
        ("crm_edit", (n(50), subject, n(21), n(10), rng.random() < 0.2)),
        ("crm_retype", (n(50), n(10))),
        ("crm_reown", (n(50), n(10))),
        ("crm_exception", (n(50), n(10), n(10))),
        ("crm_delete", (n(50),)),
        ("crm_mark_held", (n(50),)),
        ("google_create", (n(10), n(10), n(21), n(10), rng.random() < 0.3, rng.random() < 0.3, subject)),
        ("google_edit", (n(50), subject, n(3))),
        ("google_delete", (n(50),)),
        ("google_edit_instance", (n(50), n(10), rng.random() < 0.5)),
        ("expire_sync_tokens", ()),
        ("confirm_paused_links", ()),
        ("inject_fault", (rng.choice([429, 500, 503]), n(1, 9))),
        ("inject_timeouts", (n(1, 5),)),
        ("run_export", (crash, rng.random() < 0.5)),
        ("run_export", (crash, rng.random() < 0.5)),
        ("run_export_one", (n(50), crash, rng.random() < 0.5)),
        ("run_import", (crash, rng.random() < 0.5)),
        ("run_import", (crash, rng.random() < 0.5)),
        ("run_import_one", (n(10), crash)),
        ("webhook", (n(10), n(10), crash if crash is None else n(1, 4))),
        ("webhook_forged", (n(10), n(10), n(10))),
        ("scheduled_tick", (rng.random() < 0.5,)),
        ("deliver_task", (n(50), crash, rng.random() < 0.3)),
        ("deliver_task", (n(50), crash, rng.random() < 0.3)),
        ("deliver_write", (n(50), crash, rng.random() < 0.3)),
    ]
    name, args = rng.choice(steps)
    getattr(world, name)(*args)
    world.tick(n(0, 30))
    world.stats.steps += 1
    return f"{name}{args}"
