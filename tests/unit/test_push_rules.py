"""The pure push rules: notification headers, the token check, the link's push state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.core.models import Link
from functions.core.push_rules import (
    PUSH_MAX_WAIT,
    PUSH_QUIET,
    QUEUED_STALE,
    NotificationError,
    PushState,
    may_queue,
    needs_renewal,
    parse_notification,
    push_state,
    queued_import_wait,
    token_hash,
    token_matches,
    wants_channel,
)

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
GOOD = {"X-Goog-Channel-ID": "abc_DEF-123", "X-Goog-Channel-Token": "tok", "X-Goog-Resource-ID": "res",
        "X-Goog-Resource-State": "exists", "X-Goog-Message-Number": "42"}


def test_a_notification_is_read_from_googles_headers() -> None:
    note = parse_notification(GOOD)
    assert (note.channel_id, note.token, note.resource_id, note.resource_state, note.message_number) == (
        "abc_DEF-123", "tok", "res", "exists", 42)
    bare = parse_notification({"X-Goog-Channel-ID": "c", "X-Goog-Resource-State": "sync"})
    assert (bare.token, bare.resource_id, bare.message_number) == (None, None, None)


@pytest.mark.parametrize(("change", "named"), [
    ({"X-Goog-Channel-ID": None}, "X-Goog-Channel-ID header is missing"),
    ({"X-Goog-Resource-State": None}, "X-Goog-Resource-State header is missing"),
    ({"X-Goog-Resource-State": "EXISTS"}, "X-Goog-Resource-State header must be one of"),
    ({"X-Goog-Channel-ID": "a/b"}, "X-Goog-Channel-ID header is not a channel id"),
    ({"X-Goog-Channel-Token": "x" * 257}, "X-Goog-Channel-Token header is longer than 256"),
    ({"X-Goog-Resource-ID": "r\tx"}, "X-Goog-Resource-ID header has characters"),
    ({"X-Goog-Message-Number": "4e2"}, "X-Goog-Message-Number header is not a number"),
    ({"X-Goog-Message-Number": "9" * 21}, "X-Goog-Message-Number header is not a number"),
])
def test_a_bad_header_is_named(change: dict[str, str | None], named: str) -> None:
    headers = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    with pytest.raises(NotificationError, match=named):
        parse_notification(headers)


def test_the_token_is_checked_against_its_hash_only() -> None:
    stored = token_hash("s3cret")
    assert stored != "s3cret" and len(stored) == 64
    assert token_matches("s3cret", stored)
    assert not token_matches("s3cret ", stored) and not token_matches(None, stored) and not token_matches("", stored)
    assert not token_matches("s3cret", "")


def test_push_state_of_a_link() -> None:
    importing = Link("Meeting", "cal", import_=True)
    assert push_state(importing, NOW) == PushState.OFF and wants_channel(importing)
    live = Link("Meeting", "cal", import_=True, channel_id="c", channel_expiry=NOW + timedelta(days=6))
    assert push_state(live, NOW) == PushState.LIVE and not needs_renewal(live, NOW)
    assert needs_renewal(live, NOW + timedelta(days=6) - timedelta(hours=3))
    assert push_state(Link("Meeting", "cal", import_=True, channel_error="refused"), NOW) == PushState.REFUSED
    assert push_state(Link("Meeting", "cal", import_=True, channel_id="c", channel_expiry=NOW), NOW) == PushState.OFF
    paused = Link("Meeting", "cal", import_=True, paused_reason="calendar_missing")
    assert not wants_channel(paused) and not wants_channel(Link("Meeting", "cal", export=True))


def test_a_queued_import_holds_the_burst_until_it_goes_stale() -> None:
    assert may_queue(None, NOW)
    assert not may_queue(NOW - timedelta(seconds=1), NOW)
    assert may_queue(NOW - QUEUED_STALE, NOW)


def test_a_queued_push_import_waits_for_quiet_but_not_past_the_bound() -> None:
    seconds = timedelta(seconds=1)
    assert queued_import_wait(None, NOW, NOW) == 0.0  # nothing queued (delivered again, marker cleared)
    assert queued_import_wait(NOW, NOW, NOW) == pytest.approx(PUSH_QUIET)  # just notified
    assert queued_import_wait(NOW, None, NOW + PUSH_QUIET * seconds) == 0.0  # quiet long enough
    later = NOW + 1.0 * seconds  # the burst goes on: quiet counts from the last notification
    assert queued_import_wait(NOW, later, later + 0.1 * seconds) == pytest.approx(PUSH_QUIET - 0.1)
    endless = NOW + (PUSH_MAX_WAIT - 0.1) * seconds  # notified all along: the import goes at the bound anyway
    assert queued_import_wait(NOW, endless, endless) == pytest.approx(0.1)
    assert queued_import_wait(NOW, endless, NOW + PUSH_MAX_WAIT * seconds) == 0.0
