"""RFC 3339 parsing/formatting and time zone validation (stdlib zoneinfo)."""

from __future__ import annotations

import datetime as dt
import re
import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC = dt.UTC

_RFC3339 = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_rfc3339(value: str, require_offset: bool = True) -> dt.datetime | None:
    """Parse an RFC 3339 timestamp; ``None`` when malformed (an offset is mandatory)."""
    if not isinstance(value, str):
        return None
    m = _RFC3339.match(value)
    if not m:
        if require_offset:
            return None
        # dateTime without offset, only acceptable together with a timeZone
        m2 = re.match(r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?$", value)
        if not m2:
            return None
        try:
            return dt.datetime.fromisoformat(value.upper())
        except ValueError:
            return None
    text = value.upper().replace("Z", "+00:00")
    frac = m.group(7)
    if frac and len(frac) > 7:  # python handles up to 6 digits
        text = text.replace(frac, frac[:7])
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def parse_date(value: str) -> dt.date | None:
    if not isinstance(value, str) or not _DATE.match(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def get_zone(name: str) -> dt.tzinfo | None:
    if not isinstance(name, str) or not name or name.startswith("/") or ".." in name:
        return None
    if name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError, OSError):
        return None


def format_datetime(value: dt.datetime, zone: dt.tzinfo | None = None) -> str:
    """Seconds precision, offset ``Z`` for UTC (as Google writes event times)."""
    if zone is not None:
        value = value.astimezone(zone)
    value = value.replace(microsecond=0)
    off = value.utcoffset()
    if off == dt.timedelta(0):
        return value.replace(tzinfo=None).isoformat() + "Z"
    return value.isoformat()


def format_updated(micros: int) -> str:
    """``updated``/``created``: UTC with milliseconds."""
    d = dt.datetime.fromtimestamp(micros / 1_000_000, tz=UTC)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


def now_micros() -> int:
    return time.time_ns() // 1000


def http_date(ms: int) -> str:
    d = dt.datetime.fromtimestamp(ms / 1000, tz=UTC)
    return d.strftime("%a, %d %b %Y %H:%M:%S GMT")
