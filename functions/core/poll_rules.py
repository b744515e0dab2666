"""When the scheduled import looks at a link (pure).

Push notifications bring Google's changes within seconds; the scheduled ``import_events`` job is
the safety net. It finds its work by one query on ``links.next_poll_at <= now`` (a collection-group
query), so idle users with live channels cost no read that grows with their number and no Calendar
call: their ``next_poll_at`` lies ``SAFETY_NET`` ahead. A link with import on and no live channel
(never watched, refused, expiring) is due at once, every tick. Import off or paused: never polled.
Neither is a link of a user who is not connected (disconnected, or needs_reauth: Google refuses the
grant): the worker would skip it at every tick, so it is *parked* (None) until the user connects again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from functions.core.models import Link

SAFETY_NET = timedelta(hours=6)  # a link with a live channel is still imported this often
CHANNEL_MARGIN = timedelta(hours=2)  # a channel expiring sooner than this does not count as live


def channel_live(link: Link, now: datetime) -> bool:
    return bool(link.channel_id and link.channel_expiry and link.channel_expiry > now + CHANNEL_MARGIN)


def next_poll_at(link: Link, now: datetime, connected: bool = True) -> datetime | None:
    """The value ``links.next_poll_at`` should hold after ``link`` was (re)written at ``now``; ``connected``
    False (the user is disconnected or needs reauth): None, parked."""
    if not connected or not link.import_ or link.paused_reason:
        return None
    return now + SAFETY_NET if channel_live(link, now) else now


def poll_changes_due(stored: datetime | None, wanted: datetime | None) -> bool:
    """Whether a stored ``next_poll_at`` must be rewritten to park (None) or unpark a link: only when one of
    them is None and the other is not (a live channel's safety-net time is left as it is)."""
    return (stored is None) != (wanted is None)
