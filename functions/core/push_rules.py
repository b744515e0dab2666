"""Push channels and notifications: the pure rules (docs/push.md).

A channel watches one linked calendar's events for one user. Its token travels to Google and back
in every notification; calbridge stores only its SHA-256 and compares in constant time. A
notification names work to look at (an incremental import of that calendar), never state to apply.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from functions.core.models import Link
from functions.core.poll_rules import channel_live

CHANNEL_TTL = timedelta(days=7)  # what calbridge asks for; Google's maximum for events is about a week
RENEW_MARGIN = timedelta(hours=12)  # renew_channels (hourly) re-watches channels expiring sooner than this
RENEWALS_PER_RUN = 200  # channels one renew_channels run takes on; the rest wait for the next run
QUEUED_STALE = timedelta(minutes=15)  # a queued import that never started (lost task) no longer holds the burst
PUSH_QUIET = 0.3  # seconds: a push import waits for this much quiet after the channel's last notification
PUSH_MAX_WAIT = 3.0  # seconds: ... but never longer than this after it was asked for

MAX_HEADER_CHARS = 256  # every X-Goog header calbridge reads; longer is garbage
RESOURCE_STATES = ("sync", "exists", "not_exists")
CHANNEL_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


class PushState(StrEnum):
    LIVE = "live"  # a channel watches the calendar: Google's changes arrive within seconds
    REFUSED = "refused"  # Google refused a channel: the scheduled import brings the changes
    OFF = "off"  # no channel (import off, paused, not yet watched, or expired)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str | None, stored_hash: str) -> bool:
    """Constant time: whether ``token`` is the one whose hash is stored."""
    if not token or not stored_hash:
        return False
    return hmac.compare_digest(token_hash(token), stored_hash)


def push_state(link: Link, now: datetime) -> PushState:
    if link.channel_error and not link.channel_id:
        return PushState.REFUSED
    if link.import_ and not link.paused_reason and link.channel_id and link.channel_expiry \
            and link.channel_expiry > now:
        return PushState.LIVE
    return PushState.OFF


def wants_channel(link: Link) -> bool:
    """A link whose calendar should be watched."""
    return bool(link.import_ and not link.paused_reason and link.calendar_id)


def needs_renewal(link: Link, now: datetime) -> bool:
    return wants_channel(link) and not channel_live(link, now + RENEW_MARGIN)


def may_queue(queued_at: datetime | None, now: datetime) -> bool:
    """Whether a notification queues an import: not while one is queued and not yet started."""
    return queued_at is None or queued_at <= now - QUEUED_STALE


def queued_import_wait(queued_at: datetime | None, notified_at: datetime | None, now: datetime) -> float:
    """Seconds a queued push import still waits before it starts: until ``PUSH_QUIET`` after the last
    notification, but never past ``PUSH_MAX_WAIT`` after the import was queued. 0: start now (also when no
    import is queued: a task delivered again, or the marker cleared)."""
    if queued_at is None:
        return 0.0
    last = max(notified_at or queued_at, queued_at)
    start = min(last + timedelta(seconds=PUSH_QUIET), queued_at + timedelta(seconds=PUSH_MAX_WAIT))
    return max(0.0, (start - now).total_seconds())


class NotificationError(ValueError):
    """A request that is not a well-formed Google push notification; the text names the header."""


@dataclass(frozen=True)
class Notification:
    channel_id: str
    token: str | None
    resource_id: str | None
    resource_state: str
    message_number: int | None


def _header(headers: Mapping[str, str], name: str, required: bool) -> str | None:
    value = headers.get(name)
    if value is None or value == "":
        if required:
            raise NotificationError(f"the {name} header is missing")
        return None
    if len(value) > MAX_HEADER_CHARS:
        raise NotificationError(f"the {name} header is longer than {MAX_HEADER_CHARS} characters")
    if not value.isprintable() or not value.isascii():
        raise NotificationError(f"the {name} header has characters that are not printable ASCII")
    return value


def parse_notification(headers: Mapping[str, str]) -> Notification:
    """The X-Goog headers of a notification, checked; NotificationError names the first bad one."""
    channel_id = _header(headers, "X-Goog-Channel-ID", True) or ""
    if not set(channel_id) <= CHANNEL_ID_CHARS:
        raise NotificationError("the X-Goog-Channel-ID header is not a channel id")
    state = _header(headers, "X-Goog-Resource-State", True) or ""
    if state not in RESOURCE_STATES:
        raise NotificationError(f"the X-Goog-Resource-State header must be one of {', '.join(RESOURCE_STATES)}")
    number_text = _header(headers, "X-Goog-Message-Number", False)
    number: int | None = None
    if number_text is not None:
        if not number_text.isdigit() or len(number_text) > 20:
            raise NotificationError("the X-Goog-Message-Number header is not a number")
        number = int(number_text)
    return Notification(
        channel_id=channel_id,
        token=_header(headers, "X-Goog-Channel-Token", False),
        resource_id=_header(headers, "X-Goog-Resource-ID", False),
        resource_state=state,
        message_number=number,
    )
