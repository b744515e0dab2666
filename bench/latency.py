"""How long a change takes to cross: Google -> CRM through push, and CRM -> Google through the API.

Starts what it needs itself (the Firestore, Pub/Sub and Auth emulators and the sandbox through devstack, the
functions server in this process, the Pub/Sub pump that plays Eventarc for ``sync_worker`` and the Firestore
trigger relay for ``on_activity_write``: the dev command's wiring) and stops it all at the end. No scheduled
job runs: every change travels on its own.

Setup (not measured): one connected user (tokens stored as after *Authorize and Connect*), ``Meeting`` linked to
*CRM Meetings* with import on, through the API (so the link watches the calendar: a live channel at the
sandbox whose address is the server's ``calendar_webhook``), and ``Call`` linked to *CRM Calls* with export on.

- **google_to_crm**: the event is edited in the sandbox as the user, through the Calendar API (``events.patch``
  with the user's access token); the clock starts when that call returns. The sandbox POSTs its notification to
  ``calendar_webhook``, which publishes an IMPORT task to the Pub/Sub emulator; the pump delivers it to
  ``sync_worker``, whose incremental import updates the activity. The clock stops when the activity document in
  the Firestore emulator has the new subject (read every ``POLL_S``).
- **crm_to_google**: the activity is edited through the ``activities`` API (``PATCH``); the clock starts when the
  request is sent and stops when the Google event in the sandbox has the new summary (read every ``POLL_S``).

Samples run one after the other. The LAST line printed is one JSON object:
``{"samples", "google_to_crm_median_s", "google_to_crm_p95_s", "crm_to_google_median_s", "crm_to_google_p95_s"}``.
Run: ``.venv/bin/python -m bench.latency [--samples N]``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import requests

POLL_S = 0.02
TIMEOUT_S = 60.0
EMAIL = "latency@example.com"
PASSWORD = "latency-bench"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=20, help="samples of each direction (default 20)")
    args = parser.parse_args(argv)
    quiet_logs()

    from devstack.server import LocalServer, PubSubPump
    from devstack.stack import LocalStack

    saved = dict(os.environ)
    stack = LocalStack().start()
    server = pump = None
    try:
        stack.export()
        server = LocalServer().start()
        stack.export(public_base_url=server.url)
        from functions.config import get_settings

        pump = PubSubPump(server.url, stack.project_id, get_settings().sync_topic).start()
        assert stack.firestore_trigger is not None
        stack.firestore_trigger.forward_to(server.url)
        figures = run(stack, server.url, max(args.samples, 1))
    finally:
        if stack.firestore_trigger is not None:
            stack.firestore_trigger.wait_idle()  # the last edit's trigger, before the server goes
        if pump is not None:
            pump.stop()
        if server is not None:
            server.stop()
        stack.stop()
        os.environ.clear()
        os.environ.update(saved)
    print(json.dumps(figures))
    return 0


def quiet_logs() -> None:
    """Only warnings, on stderr: the server runs in this process, and stdout is for the figures."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    logging.getLogger().addHandler(handler)


def run(stack: Any, server_url: str, samples: int, out: Callable[[str], None] = print) -> dict[str, Any]:
    """Measure on a running stack (the pump and the trigger relay forwarding to ``server_url``); the figures."""
    world = setup(stack, server_url)
    google_to_crm = [world.google_to_crm(i) for i in range(samples)]
    for i, seconds in enumerate(google_to_crm):
        out(f"google_to_crm  sample {i + 1:2d}: {seconds:.3f} s")
    crm_to_google = [world.crm_to_google(i) for i in range(samples)]
    for i, seconds in enumerate(crm_to_google):
        out(f"crm_to_google  sample {i + 1:2d}: {seconds:.3f} s")
    figures = {
        "samples": samples,
        "google_to_crm_median_s": round(statistics.median(google_to_crm), 3),
        "google_to_crm_p95_s": round(percentile(google_to_crm, 95), 3),
        "crm_to_google_median_s": round(statistics.median(crm_to_google), 3),
        "crm_to_google_p95_s": round(percentile(crm_to_google, 95), 3),
    }
    out(f"{samples} samples each (target: medians under 2 s; times are not asserted anywhere)")
    out(f"  Google -> CRM (sandbox edit -> push -> webhook -> Pub/Sub -> sync_worker -> Firestore): "
        f"median {figures['google_to_crm_median_s']:.3f} s, p95 {figures['google_to_crm_p95_s']:.3f} s")
    out(f"  CRM -> Google (PATCH /activities -> export -> Google event):                         "
        f"median {figures['crm_to_google_median_s']:.3f} s, p95 {figures['crm_to_google_p95_s']:.3f} s")
    return figures


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 20 samples is the 19th smallest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


class World:
    """The user, their two links, one imported event and one exported activity."""

    def __init__(self, stack: Any, server_url: str) -> None:
        from google.cloud import firestore

        from devstack.auth_emulator import AuthEmulator
        from functions.store.firestore_stores import FirestoreStores
        from sandbox.control import SandboxControl
        from tests.export_world import CLIENT_ID, SCOPE, configure_client, connect_user

        self.sandbox_url = stack.url("sandbox")
        self.control = SandboxControl(self.sandbox_url)
        self.control.reset()
        stack.clear_firestore()
        stack.clear_auth()
        auth = AuthEmulator(stack.processes["auth"].address, stack.project_id)
        uid = auth.create_user(EMAIL, PASSWORD)
        self.id_token = auth.sign_in(EMAIL, PASSWORD)
        self.db = firestore.Client(project=stack.project_id)
        stores = FirestoreStores(self.db)
        configure_client(stores, self.control)
        user = connect_user(stores, self.control, uid, EMAIL,
                            {"CRM Meetings": "Europe/Madrid", "CRM Calls": "Europe/Madrid"})
        self.uid, self.meetings, self.calls = uid, user.calendars["CRM Meetings"], user.calendars["CRM Calls"]
        self.google_token = self.control.issue_access_token(EMAIL, CLIENT_ID, [SCOPE])["access_token"]
        self.base = server_url
        self.http = requests.Session()

    def api(self, method: str, path: str, body: Any = None) -> requests.Response:
        return self.http.request(method, self.base + path, json=body, timeout=60,
                                 headers={"Authorization": f"Bearer {self.id_token}"})

    def calendar(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        """The Calendar API as the user (a client of theirs other than calbridge)."""
        answer = requests.request(method, f"{self.sandbox_url}calendar/v3/{path}", json=body, timeout=30,
                                  headers={"Authorization": f"Bearer {self.google_token}"})
        assert answer.status_code < 300, answer.text
        return answer.json() if answer.content else {}

    def link(self, activity_type: str, calendar_id: str, **flags: bool) -> dict[str, Any]:
        answer = self.api("PUT", f"api/links/{activity_type}", {"calendar_id": calendar_id, **flags})
        assert answer.status_code == 200, answer.text
        return answer.json()

    def prepare(self) -> None:
        from urllib.parse import quote

        meetings = self.link("Meeting", self.meetings, **{"import": True, "import_existing": True, "export": False})
        assert meetings["push"]["state"] == "live", meetings["push"]
        self.link("Call", self.calls, **{"import": False, "export": True})
        self.events_path = f"calendars/{quote(self.meetings, safe='')}/events"
        event = self.calendar("POST", self.events_path, {
            "summary": "Latency g0", "start": {"dateTime": "2027-03-01T09:00:00+01:00"},
            "end": {"dateTime": "2027-03-01T10:00:00+01:00"}})
        self.event_id = event["id"]
        self.imported = wait_for(lambda: self._activity_with_subject("Latency g0"), "the event imported by push")
        created = self.api("POST", "activities/", {
            "activity_type": "Call", "subject": "Latency c0", "start": "2027-03-02T09:00:00+01:00",
            "end": "2027-03-02T09:30:00+01:00", "time_zone": "Europe/Madrid"})
        assert created.status_code == 201, created.text
        self.activity_id = created.json()["id"]
        from functions.core.event_mapping import event_id_for

        self.exported_path = f"calendars/{quote(self.calls, safe='')}/events/{event_id_for(self.activity_id)}"
        wait_for(lambda: self.calendar("GET", self.exported_path).get("summary") == "Latency c0",
                 "the activity exported")

    def _activity_with_subject(self, subject: str) -> str | None:
        from google.cloud.firestore_v1.base_query import FieldFilter

        query = self.db.collection("activities").where(filter=FieldFilter("owner_uid", "==", self.uid))
        found = [d.id for d in query.stream() if (d.to_dict() or {}).get("subject") == subject]
        return found[0] if found else None

    def google_to_crm(self, index: int) -> float:
        subject = f"Latency g{index + 1}"
        self.calendar("PATCH", f"{self.events_path}/{self.event_id}", {"summary": subject})
        began = time.perf_counter()
        ref = self.db.collection("activities").document(self.imported)
        wait_for(lambda: (ref.get().to_dict() or {}).get("subject") == subject, f"the edit {subject!r} imported")
        return time.perf_counter() - began

    def crm_to_google(self, index: int) -> float:
        subject = f"Latency c{index + 1}"
        began = time.perf_counter()
        answer = self.api("PATCH", f"activities/{self.activity_id}", {"subject": subject})
        assert answer.status_code == 200, answer.text
        wait_for(lambda: self.calendar("GET", self.exported_path).get("summary") == subject,
                 f"the edit {subject!r} exported")
        return time.perf_counter() - began


def setup(stack: Any, server_url: str) -> World:
    world = World(stack, server_url)
    world.prepare()
    return world


def wait_for(check: Callable[[], Any], what: str, timeout: float = TIMEOUT_S) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout:.0f} s")
        time.sleep(POLL_S)


if __name__ == "__main__":
    sys.exit(main())
