"""``on_activity_write``: Eventarc's Firestore event for ``activities/{id}`` -> export on write.

Thin: decode (``firestore_event``), hand the write to ``ActivityWriteService``, log one line. A
malformed event is logged and acknowledged (a redelivery would fail the same way: no retry storm); a
transient Google failure raises ``RetryLater`` so the function fails and Eventarc delivers the event
again (its retry policy); everything else is acknowledged.
"""

from __future__ import annotations

import logging
from typing import Any

from functions.core.activity_write import WriteAction, decide
from functions.events.firestore_event import MalformedEvent, decode_activity_write

log = logging.getLogger("calbridge.on_activity_write")


class RetryLater(RuntimeError):
    """Google failed for now: fail the delivery so that Eventarc retries it."""


def handle(cloud_event: Any) -> None:
    from functions import observability
    from functions.bootstrap import services

    try:
        write = decode_activity_write(cloud_event)
    except MalformedEvent as error:
        log.error("on_activity_write: event %s acknowledged, not handled: %s", _id(cloud_event), error)
        return
    decision = decide(write)
    if decision.action == WriteAction.IGNORE:  # the export's own writes land here: no run, no summary line
        log.debug("on_activity_write %s: ignored (%s)", write.activity_id, decision.reason)
        return
    with observability.sync_run("export_on_write") as run:
        outcome = services().activity_writes.handle(write)
        report = outcome.report
        run.count(str(outcome.decision.action))
        if report is not None:
            for name in ("synced", "deleted", "pending", "errors", "superseded", "not_exported"):
                run.count(name, getattr(report, name))
        if outcome.problem:
            run.count("errors")
        log.info("activities/%s: %s (%s)", write.activity_id, outcome.decision.action, outcome.decision.reason,
                 extra={"activity_id": write.activity_id, "event_id": write.event_id})
    if outcome.retry:
        raise RetryLater(f"activities/{write.activity_id}: Google failed for now; Eventarc will deliver it again")


def _id(cloud_event: Any) -> str:
    try:
        return str(cloud_event["id"])
    except (KeyError, TypeError):
        return "?"
