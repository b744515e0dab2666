"""Recurrence expansion with python-dateutil's rrule (no hand-written date math).

An event's ``recurrence`` holds RRULE / EXRULE / RDATE / EXDATE lines (no DTSTART); the
series starts at the event's ``start``. Timed series expand in ``start.timeZone``
(wall-clock, DST-aware); all-day series expand on dates.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from dateutil import rrule

from .errors import ApiError
from .timeutil import UTC, get_zone

# Horizon for unbounded expansion (no timeMax): Google expands far; we stop here.
HORIZON = dt.timedelta(days=2 * 366)
MAX_INSTANCES = 5000

_LINE = re.compile(r"^(RRULE|EXRULE|RDATE|EXDATE)([;:].*)$", re.IGNORECASE)
_VAL_DT = re.compile(r"^(\d{8})T(\d{6})(Z?)$")
_VAL_D = re.compile(r"^(\d{8})$")


def _bad() -> ApiError:
    return ApiError(400, "invalid", "Invalid recurrence rule.")


class Series:
    """A parsed recurring event."""

    def __init__(self, recurrence: list[str], start: dt.datetime | dt.date, tz: dt.tzinfo | None) -> None:
        self.all_day = not isinstance(start, dt.datetime)
        self.tz = tz
        if self.all_day:
            self.dtstart = dt.datetime.combine(start, dt.time())  # naive midnight
        else:
            assert tz is not None
            self.dtstart = start.astimezone(tz)
        self.set = rrule.rruleset()
        self.exdates_by_date: set[dt.date] = set()
        has_rule = False
        for raw in recurrence:
            if not isinstance(raw, str):
                raise _bad()
            line = raw.strip()
            m = _LINE.match(line)
            if not m:
                raise _bad()
            name = m.group(1).upper()
            if name in ("RRULE", "EXRULE"):
                rule = self._parse_rule(line)
                if name == "RRULE":
                    self.set.rrule(rule)
                    has_rule = True
                else:
                    self.set.exrule(rule)
            else:
                for value in self._parse_dates(m.group(2)):
                    if name == "RDATE":
                        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                            value = self._from_date(value)
                        self.set.rdate(value)
                        has_rule = True
                    elif isinstance(value, dt.datetime):
                        self.set.exdate(value)
                    else:
                        if self.all_day:
                            self.set.exdate(self._from_date(value))
                        else:
                            self.exdates_by_date.add(value)
        if not has_rule:
            raise _bad()

    def _from_date(self, d: dt.date) -> dt.datetime:
        if self.all_day:
            return dt.datetime.combine(d, dt.time())
        assert self.tz is not None
        return dt.datetime.combine(d, self.dtstart.timetz().replace(tzinfo=None)).replace(tzinfo=self.tz)

    def _parse_rule(self, line: str) -> rrule.rrule:
        body = line.split(":", 1)[1] if ":" in line else ""
        if not body or "DTSTART" in body.upper():
            raise _bad()
        parts = []
        for part in body.split(";"):
            if "=" not in part:
                raise _bad()
            key, val = part.split("=", 1)
            if key.upper() == "UNTIL":
                val = self._fix_until(val)
            parts.append(f"{key.upper()}={val}")
        try:
            rule = rrule.rrulestr("RRULE:" + ";".join(parts), dtstart=self.dtstart, forceset=False)
        except (ValueError, TypeError, KeyError) as exc:
            raise _bad() from exc
        if not isinstance(rule, rrule.rrule):
            raise _bad()
        return rule

    def _fix_until(self, val: str) -> str:
        m = _VAL_DT.match(val)
        d = _VAL_D.match(val)
        if self.all_day:
            if m:
                return m.group(1)
            if d:
                return val
            raise _bad()
        assert self.tz is not None
        if m and m.group(3):
            return val
        if m:
            local = dt.datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S").replace(tzinfo=self.tz)
        elif d:
            local = dt.datetime.strptime(val + "235959", "%Y%m%d%H%M%S").replace(tzinfo=self.tz)
        else:
            raise _bad()
        return local.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")

    def _parse_dates(self, rest: str) -> list[dt.date | dt.datetime]:
        if ":" not in rest:
            raise _bad()
        params, values = rest.split(":", 1)
        zone = self.tz
        value_type = None
        for p in params.split(";")[1:] if params.startswith(";") else []:
            if "=" not in p:
                raise _bad()
            k, v = p.split("=", 1)
            k = k.upper()
            if k == "TZID":
                zone = get_zone(v)
                if zone is None:
                    raise _bad()
            elif k == "VALUE":
                value_type = v.upper()
                if value_type not in ("DATE", "DATE-TIME"):
                    raise _bad()
            else:
                raise _bad()
        out: list[dt.date | dt.datetime] = []
        for v in values.split(","):
            v = v.strip()
            m = _VAL_DT.match(v)
            d = _VAL_D.match(v)
            if m and value_type != "DATE":
                naive = dt.datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S")
                if self.all_day:
                    out.append(dt.datetime.combine(naive.date(), dt.time()))
                elif m.group(3):
                    out.append(naive.replace(tzinfo=UTC))
                else:
                    out.append(naive.replace(tzinfo=zone))
            elif d:
                out.append(dt.datetime.strptime(v, "%Y%m%d").date())
            else:
                raise _bad()
        return out

    def starts(self, lo: dt.datetime | None, hi: dt.datetime | None, duration: dt.timedelta) -> list[Any]:
        """Original start times (aware datetimes, or dates for all-day) of occurrences that may
        overlap [lo, hi); the caller filters exactly. ``lo``/``hi`` are aware instants."""
        slack = dt.timedelta(days=2)
        if hi is None:
            base = max(dt.datetime.now(tz=UTC), self._aware(self.dtstart))
            hi = base + HORIZON
        lo_gen = (lo - duration - slack) if lo is not None else None
        hi_gen = hi + slack
        if self.all_day:
            lo_b = lo_gen.replace(tzinfo=None) if lo_gen else None
            hi_b = hi_gen.replace(tzinfo=None)
        else:
            lo_b, hi_b = lo_gen, hi_gen
        out: list[Any] = []
        for occ in self.set:
            if hi_b is not None and occ >= hi_b:
                break
            if lo_b is not None and occ < lo_b:
                continue
            if self.exdates_by_date and occ.date() in self.exdates_by_date:
                continue
            out.append(occ.date() if self.all_day else occ)
            if len(out) >= MAX_INSTANCES:
                break
        return out

    def _aware(self, value: dt.datetime) -> dt.datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    def is_occurrence(self, original: dt.datetime | dt.date) -> bool:
        if self.all_day:
            if isinstance(original, dt.datetime):
                return False
            probe = dt.datetime.combine(original, dt.time())
        else:
            if not isinstance(original, dt.datetime):
                return False
            probe = original.astimezone(self.tz)
            if probe.date() in self.exdates_by_date:
                return False
        for occ in self.set.xafter(probe - dt.timedelta(seconds=1), count=2, inc=True):
            if occ == probe:
                return True
            if occ > probe:
                return False
        return False


def instance_suffix(original: dt.datetime | dt.date) -> str:
    if isinstance(original, dt.datetime):
        return original.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return original.strftime("%Y%m%d")


def parse_instance_suffix(suffix: str) -> dt.datetime | dt.date | None:
    m = _VAL_DT.match(suffix)
    if m and m.group(3):
        return dt.datetime.strptime(m.group(1) + m.group(2), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    if _VAL_D.match(suffix):
        try:
            return dt.datetime.strptime(suffix, "%Y%m%d").date()
        except ValueError:
            return None
    return None
