"""The upgrade backfill of ``links.next_poll_at`` (``admin_cli backfill-poll``) on the in-memory stores: links
saved before the field existed become visible to the scheduled import, exactly those the poll rule polls,
and a second run writes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from functions.core.poll_rules import SAFETY_NET
from tests.services.test_fanout import Fleet, make_fleet


def legacy(fleet: Fleet) -> None:
    """Every link as an older release left it: no next_poll_at."""
    for uid in fleet.stores.links.links:
        fleet.set_link(uid, next_poll_at=None)


def test_the_backfill_makes_legacy_links_due_by_the_poll_rule_and_a_second_run_writes_nothing() -> None:
    fleet = make_fleet()
    legacy(fleet)
    fleet.set_link("ben", channel_id="ch-ben", channel_expiry=fleet.now() + timedelta(days=6))  # live push
    fleet.set_link("cleo", paused_reason="calendar_missing")
    fleet.stores.users.mark_needs_reauth("dan", "Token has been expired or revoked.", "invalid_grant", fleet.now())
    before = {uid: fleet.link(uid) for uid in ("ben", "cleo", "dan")}
    assert fleet.services.fanout.import_tick()["due_links"] == 0  # what the upgrade leaves: nobody is imported

    first = fleet.services.poll_backfill.run(page_size=3)

    assert first.as_dict() == {"links": 4, "written": 2, "already_set": 0, "not_polled": 2, "raced": 0}
    assert fleet.link("ana").next_poll_at == fleet.now()
    assert fleet.link("ben") == replace(before["ben"], next_poll_at=fleet.now() + SAFETY_NET)  # that field only
    assert (fleet.link("cleo"), fleet.link("dan")) == (before["cleo"], before["dan"])
    assert fleet.services.fanout.import_tick()["due_links"] == 1  # ana; ben at his safety net

    again = fleet.services.poll_backfill.run()
    assert again.as_dict() == {"links": 4, "written": 0, "already_set": 2, "not_polled": 2, "raced": 0}


def test_a_dry_run_counts_and_writes_nothing() -> None:
    fleet = make_fleet()
    legacy(fleet)
    assert fleet.services.poll_backfill.run(dry_run=True).written == 4
    assert all(fleet.link(uid).next_poll_at is None for uid in fleet.stores.links.links)
