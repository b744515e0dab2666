"""What the reliability machine (and ``bench.soak``) wraps around the real parts to make them fail.

- :class:`CrashSwitch`: armed with ``n``, the n-th *write point* from now raises :class:`Crash` and the
  "process" stays dead (every later write point raises too) until the driver catches it and revives it,
  as a Cloud Function instance that died and is started again. Write points are every store write (a
  unit of work's commit and the stores' single-document writes), checked *before* the write, and every
  Calendar write request, checked *after* Google handled it (Google accepted it; we never heard).
- :class:`crashing_stores`: the real stores (in-memory or Firestore) with those write points.
- :class:`FaultyHttp`: the in-process sandbox transport with timeouts that happen after Google handled
  the request (the answer is lost, the client's retry policy sends it again).
- :class:`MachineGateway`: the real Google gateway over those transports, with a retry policy that
  records its waits instead of sleeping.
- :class:`LogCapture`: every log line as production formats it (JSON, redacted), to look for secrets.

``Crash`` is a ``BaseException``: the services' ``except Exception`` (one bad activity never stops a run)
must not swallow a dying process.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from functions.google.gateway import HttpGoogleGateway, in_process_gateway
from functions.google.retry import RetryPolicy

# Store methods that write (everything else reads or only stages on a unit of work).
STORE_WRITES = frozenset({
    "create", "save_edit", "save_sync", "delete", "acquire", "release", "mark_needs_reauth",
    "save_access_token", "put_link_checked", "delete_link", "save_channel", "delete_group",
    "record_failed_attempt", "create_state", "consume_state", "claim_import", "clear_import_claim",
})
GOOGLE_WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


class Crash(BaseException):  # noqa: N818 - it is not an error of the code under test: the process died
    """The function instance died here (injected)."""


class CrashSwitch:
    """Counts write points; the armed one (and every one after it, until revived) raises Crash."""

    def __init__(self) -> None:
        self.countdown: int | None = None
        self.dead = False
        self.points = 0  # write points passed (for the report)
        self.crashes = 0
        self.where: str | None = None
        self.lock = threading.Lock()

    def arm(self, n: int) -> None:
        with self.lock:
            self.countdown = max(1, n)

    def disarm(self) -> None:
        with self.lock:
            self.countdown = None

    def revive(self) -> None:
        with self.lock:
            self.dead = False
            self.countdown = None

    def tick(self, where: str) -> None:
        with self.lock:
            if self.dead:
                raise Crash(f"dead (after {self.where})")
            self.points += 1
            if self.countdown is None:
                return
            self.countdown -= 1
            if self.countdown > 0:
                return
            self.countdown = None
            self.dead = True
            self.crashes += 1
            self.where = where
        raise Crash(where)


class _CrashingStore:
    """One store with a write point before each of its writes; reads and staging pass through."""

    def __init__(self, store: Any, switch: CrashSwitch, name: str) -> None:
        self._store = store
        self._switch = switch
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        value = getattr(self._store, attr)
        if attr in STORE_WRITES and callable(value):
            def write(*args: Any, **kwargs: Any) -> Any:
                self._switch.tick(f"{self._name}.{attr}")
                return value(*args, **kwargs)

            return write
        return value


class crashing_stores:  # noqa: N801 - reads as a wrapper
    """The stores with write points; the store objects themselves are the real ones underneath."""

    FAMILIES = ("config", "users", "links", "channels", "oauth_states", "revocations", "activities", "groups",
                "google_events", "leases")

    def __init__(self, stores: Any, switch: CrashSwitch) -> None:
        self.inner = stores
        self.switch = switch
        for family in self.FAMILIES:
            if hasattr(stores, family):
                setattr(self, family, _CrashingStore(getattr(stores, family), switch, family))

    def unit_of_work(self) -> Any:
        uow = self.inner.unit_of_work()
        commit = uow.commit
        switch = self.switch

        def crashing_commit() -> None:
            switch.tick("unit_of_work.commit")
            commit()

        uow.commit = crashing_commit  # the same object: stores accept it as their own backend's
        return uow

    def __getattr__(self, attr: str) -> Any:
        return getattr(self.inner, attr)


class FaultyHttp:
    """The Calendar transport: requests reach the sandbox, then may time out or kill the process.

    ``timeouts``: how many of the next Calendar requests time out *after* the sandbox handled them.
    Every write request is a crash write point once the sandbox answered it.
    """

    def __init__(self, inner: Any, switch: CrashSwitch) -> None:
        self.inner = inner
        self.switch = switch
        self.timeouts = 0
        self.timed_out = 0
        self.requests = 0
        self.lock = threading.Lock()

    @property
    def timeout(self) -> Any:
        return getattr(self.inner, "timeout", None)

    def request(self, uri: str, method: str = "GET", body: Any = None, headers: Any = None, **kwargs: Any) -> Any:
        if self.switch.dead:
            raise Crash("dead")
        answer = self.inner.request(uri, method=method, body=body, headers=headers, **kwargs)
        with self.lock:
            self.requests += 1
            lose = self.timeouts > 0
            if lose:
                self.timeouts -= 1
                self.timed_out += 1
        if method.upper() in GOOGLE_WRITE_METHODS:
            self.switch.tick(f"google {method} {uri.split('?')[0][-60:]}")
        if lose:
            raise TimeoutError("timed out (injected, after Google handled the request)")
        return answer


class MachineGateway(HttpGoogleGateway):
    """The real gateway over the in-process sandbox, through :class:`FaultyHttp`, never sleeping."""

    def __init__(self, sandbox: Any, switch: CrashSwitch) -> None:
        base = in_process_gateway(sandbox)
        self.faulty = FaultyHttp(sandbox.http(), switch)
        super().__init__(endpoints=base.endpoints, api_base_url=base.api_base_url, http=base._http,
                         transport=self.faulty, auth_request=base._auth_request)
        self.waits: list[float] = []

    def calendar_api(self, secrets: Any, client: Any, on_refresh: Any = None) -> Any:
        api = super().calendar_api(secrets, client, on_refresh)
        api.retry = RetryPolicy(sleep=self.waits.append)
        return api


class LogCapture(logging.Handler):
    """Every record, formatted as production writes it (observability's JSON formatter)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        from functions.observability import JsonFormatter

        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception as exc:  # noqa: BLE001 - a record that cannot be formatted is a finding too
            self.lines.append(f"<unformattable record {record.msg!r}: {exc}>")

    def __enter__(self) -> LogCapture:
        root = logging.getLogger()
        self._level = root.level
        root.addHandler(self)
        root.setLevel(logging.INFO)  # production level: the libraries' DEBUG chatter is not emitted there
        return self

    def __exit__(self, *exc: object) -> None:
        root = logging.getLogger()
        root.removeHandler(self)
        root.setLevel(self._level)
