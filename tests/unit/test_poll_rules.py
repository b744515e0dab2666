"""When the scheduled import looks at a link: live channel -> the safety net; none -> every tick."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from functions.core.models import Link
from functions.core.poll_rules import CHANNEL_MARGIN, SAFETY_NET, channel_live, next_poll_at

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def link(**fields: object) -> Link:
    return Link(activity_type="Call", calendar_id="cal", **fields)  # type: ignore[arg-type]


def test_import_off_or_paused_is_never_polled() -> None:
    assert next_poll_at(link(import_=False), NOW) is None
    assert next_poll_at(link(import_=True, paused_reason="calendar_missing"), NOW) is None


def test_without_a_live_channel_the_link_is_due_now() -> None:
    assert next_poll_at(link(import_=True), NOW) == NOW
    expiring = link(import_=True, channel_id="ch", channel_expiry=NOW + CHANNEL_MARGIN - timedelta(seconds=1))
    assert not channel_live(expiring, NOW)
    assert next_poll_at(expiring, NOW) == NOW


def test_a_live_channel_defers_the_poll_to_the_safety_net() -> None:
    live = link(import_=True, channel_id="ch", channel_expiry=NOW + timedelta(days=6))
    assert channel_live(live, NOW)
    assert next_poll_at(live, NOW) == NOW + SAFETY_NET
