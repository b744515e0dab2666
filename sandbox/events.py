"""Calendar and event semantics: validation, storage, expansion, listing, sync tokens.

All functions expect the caller to hold ``state.lock``.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from . import errors
from .errors import ApiError
from .recurrence import Series, instance_suffix, parse_instance_suffix
from .state import State, random_token
from .timeutil import format_datetime, format_updated, get_zone, parse_date, parse_rfc3339

BASE32HEX = "0123456789abcdefghijklmnopqrstuv"
_ID_RE = re.compile(r"^[a-v0-9]{5,1024}$")
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_SOURCE_URL_RE = re.compile(r"^https?://[^\s/?#]+", re.IGNORECASE)
MAX_REMINDER_OVERRIDES = 5

WRITABLE = (
    "summary",
    "description",
    "location",
    "colorId",
    "start",
    "end",
    "recurrence",
    "status",
    "transparency",
    "visibility",
    "attendees",
    "reminders",
    "extendedProperties",
    "source",
    "guestsCanInviteOthers",
    "guestsCanModify",
    "guestsCanSeeOtherGuests",
    "anyoneCanAddSelf",
    "sequence",
    "endTimeUnspecified",
    "locked",
    "attachments",
    "conferenceData",
    "eventType",
)
ENUMS = {
    "status": ("confirmed", "tentative", "cancelled"),
    "transparency": ("opaque", "transparent"),
    "visibility": ("default", "public", "private", "confidential"),
    # Google takes these through the API too (outOfOffice / focusTime / workingLocation: primary calendars only,
    # not checked here); birthday and fromGmail events are made by Google itself.
    "eventType": ("default", "outOfOffice", "focusTime", "workingLocation"),
}
SYNC_FORBIDDEN = (
    "iCalUID",
    "orderBy",
    "privateExtendedProperty",
    "q",
    "sharedExtendedProperty",
    "timeMin",
    "timeMax",
    "updatedMin",
)

MAX_PAGE = 2500

Notifier = Callable[[str], None]


def _check_sync_token_params(params: dict[str, Any]) -> None:
    """400 for the parameters the reference forbids together with ``syncToken``."""
    for name in SYNC_FORBIDDEN:
        if name in params:
            raise errors.invalid_parameter(name, f"The parameter {name} cannot be combined with syncToken.")
    if params.get("showDeleted") is False:
        raise errors.invalid_parameter("showDeleted", "showDeleted may not be false together with syncToken.")


def new_event_id() -> str:
    return random_token(26, BASE32HEX)


def public(record: dict[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in record.items() if not k.startswith("_")}


# ---------------------------------------------------------------------------- time helpers


def spec_value(spec: dict[str, Any]) -> dt.datetime | dt.date:
    """The start/end value of a stored (already validated) EventDateTime."""
    if "date" in spec:
        d = parse_date(spec["date"])
        assert d is not None
        return d
    value = parse_rfc3339(spec["dateTime"])
    assert value is not None
    return value


def instant(value: dt.datetime | dt.date, cal_tz: dt.tzinfo) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    return dt.datetime.combine(value, dt.time()).replace(tzinfo=cal_tz)


def render_spec(spec: dict[str, Any], out_tz: dt.tzinfo) -> dict[str, Any]:
    if "date" in spec:
        return {"date": spec["date"]}
    out: dict[str, Any] = {"dateTime": format_datetime(spec_value(spec), out_tz)}  # type: ignore[arg-type]
    if spec.get("timeZone"):
        out["timeZone"] = spec["timeZone"]
    return out


def make_spec(value: dt.datetime | dt.date, tz_name: str | None) -> dict[str, Any]:
    if isinstance(value, dt.datetime):
        zone = get_zone(tz_name) if tz_name else None
        out: dict[str, Any] = {"dateTime": format_datetime(value, zone)}
        if tz_name:
            out["timeZone"] = tz_name
        return out
    return {"date": value.isoformat()}


# ---------------------------------------------------------------------------- validation


def _normalize_spec(spec: Any, which: str, recurring: bool) -> dict[str, Any]:
    if spec is None or spec == {}:
        raise errors.required(f"Missing {which} time.")
    if not isinstance(spec, dict):
        raise errors.invalid(f"Invalid {which} time.")
    has_date = spec.get("date") is not None
    has_dt = spec.get("dateTime") is not None
    tz_name = spec.get("timeZone")
    if has_date and has_dt:
        raise errors.invalid(f"Invalid {which} time.")
    if not has_date and not has_dt:
        raise errors.required(f"Missing {which} time.")
    if tz_name is not None and get_zone(tz_name) is None:
        raise errors.invalid(f"Invalid time zone definition for {which} time.")
    if has_date:
        if parse_date(spec["date"]) is None:
            raise errors.invalid(f"Invalid {which} time.")
        return {"date": spec["date"]}
    value = parse_rfc3339(spec["dateTime"], require_offset=False)
    if value is None:
        raise errors.invalid(f"Invalid {which} time.")
    if value.tzinfo is None:
        if not tz_name:
            raise errors.required(f"Missing time zone definition for {which} time.")
        value = value.replace(tzinfo=get_zone(tz_name))
    if recurring and not tz_name:
        raise errors.required(f"Missing time zone definition for {which} time.")
    out: dict[str, Any] = {"dateTime": format_datetime(value, get_zone(tz_name) if tz_name else None)}
    if tz_name:
        out["timeZone"] = tz_name
    return out


def _validate_ext(ext: Any) -> dict[str, Any]:
    if not isinstance(ext, dict):
        raise errors.invalid("Invalid value for: extendedProperties")
    out: dict[str, Any] = {}
    total = 0
    for scope in ("private", "shared"):
        props = ext.get(scope)
        if props is None:
            continue
        if not isinstance(props, dict):
            raise errors.invalid(f"Invalid value for: extendedProperties.{scope}")
        clean: dict[str, str] = {}
        for k, v in props.items():
            if v is None:
                continue
            if not isinstance(v, str):
                raise errors.invalid(f"Invalid value for: extendedProperties.{scope}.{k}")
            if not k or len(k) > 44:
                raise errors.invalid("Invalid extended property name (at most 44 characters).")
            if len(v) > 1024:
                raise errors.invalid("Invalid extended property value (at most 1024 characters).")
            clean[k] = v
            total += len(k) + len(v)
        if clean:
            out[scope] = clean
    count = sum(len(v) for v in out.values())
    if count > 300 or total > 32 * 1024:
        raise errors.invalid("Too many extended properties.")
    return out


def _validate_attendees(attendees: list[Any]) -> list[Any]:
    for a in attendees:
        if not isinstance(a, dict) or not a.get("email"):
            raise errors.required("Missing attendee email.")
        if not _EMAIL_RE.match(a["email"]):
            raise errors.invalid("Invalid attendee email.")
    return attendees


def _validate_reminders(rem: dict[str, Any]) -> dict[str, Any]:
    overrides = rem.get("overrides") or []
    if rem.get("useDefault") and overrides:
        raise errors.invalid("Cannot specify both default reminders and overrides at the same time.")
    if len(overrides) > MAX_REMINDER_OVERRIDES:
        raise errors.invalid(f"Too many reminder overrides (at most {MAX_REMINDER_OVERRIDES}).")
    for o in overrides:
        if o.get("method") not in ("email", "popup") or not isinstance(o.get("minutes"), int):
            raise errors.invalid("Invalid value for: reminders.overrides")
        if not 0 <= o["minutes"] <= 40320:
            raise errors.invalid("Invalid reminder minutes.")
    return rem


def _validate_source(source: dict[str, Any]) -> dict[str, Any]:
    url = source.get("url")
    if url is not None and not _SOURCE_URL_RE.match(url):
        raise errors.invalid("Invalid source URL: the scheme must be http or https.")
    return source


def validate_event(ev: dict[str, Any], is_instance: bool) -> dict[str, Any]:
    """Validate the writable part of an event; return the normalized writable fields."""
    recurring = bool(ev.get("recurrence"))
    out: dict[str, Any] = {}
    start = _normalize_spec(ev.get("start"), "start", recurring)
    end = _normalize_spec(ev.get("end"), "end", recurring)
    if ("date" in start) != ("date" in end):
        raise errors.invalid("Start and end times must either both be date or both be dateTime.")
    s, e = spec_value(start), spec_value(end)
    if ("date" in start and e <= s) or ("date" not in start and e < s):  # type: ignore[operator]
        raise errors.time_range_empty()
    out["start"], out["end"] = start, end
    for key in ("status", "transparency", "visibility", "eventType"):
        if ev.get(key) is not None:
            if ev[key] not in ENUMS[key]:
                raise errors.invalid(f"Invalid value for: {key}")
            out[key] = ev[key]
    if recurring:
        if is_instance:
            raise errors.invalid("Invalid recurrence rule.")
        if not isinstance(ev["recurrence"], list):
            raise errors.invalid("Invalid recurrence rule.")
        zone = get_zone(start["timeZone"]) if "timeZone" in start else None
        Series(ev["recurrence"], s, zone)  # raises on invalid lines
        out["recurrence"] = list(ev["recurrence"])
    if ev.get("extendedProperties") is not None:
        ext = _validate_ext(ev["extendedProperties"])
        if ext:
            out["extendedProperties"] = ext
    if ev.get("attendees") is not None:
        out["attendees"] = _validate_attendees(ev["attendees"])
    if ev.get("reminders") is not None:
        out["reminders"] = _validate_reminders(ev["reminders"])
    if ev.get("source") is not None:
        out["source"] = _validate_source(ev["source"])
    for key in WRITABLE:
        if (
            key not in out
            and ev.get(key) is not None
            and key not in ("start", "end", "recurrence", "extendedProperties")
        ):
            out[key] = ev[key]
    return out


def merge_patch(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """PATCH semantics: objects merge field by field (start/end too), arrays replace, null clears."""
    out = copy.deepcopy(base)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge_patch(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


MISSING: Any = object()
# Fields an exception takes from its series unless it overrides them (its times are its own).
FOLLOWS_SERIES = tuple(k for k in WRITABLE if k not in ("start", "end", "recurrence", "sequence"))


def follow_series(old: Any, new: Any, mine: Any) -> Any:
    """An exception's value after its series went from ``old`` to ``new`` (``MISSING`` = unset).

    Not overridden (equal to the series' old value): take the new one. Objects are compared
    member by member, so an exception that overrides one extended property still follows the others.
    """
    if mine == old:
        return new if new is MISSING else copy.deepcopy(new)
    if not (isinstance(old, dict) and isinstance(new, dict) and isinstance(mine, dict)):
        return mine
    out: dict[str, Any] = {}
    for key in [*mine, *(k for k in new if k not in mine)]:
        value = follow_series(old.get(key, MISSING), new.get(key, MISSING), mine.get(key, MISSING))
        if value is not MISSING:
            out[key] = value
    return out


class SeriesFilter:
    """Restricts a listing to one series' instances (``events.instances``), optionally to the
    one whose original start is ``original_start``."""

    def __init__(self, event_id: str, original_start: dt.datetime | dt.date | None) -> None:
        self.event_id = event_id
        self.original_start = original_start

    def related(self, rec: dict[str, Any]) -> bool:
        """The series itself (expanded by the caller) or one of its exceptions."""
        if rec["id"] == self.event_id:
            return True
        return rec.get("recurringEventId") == self.event_id and self.wanted(rec)

    def wanted(self, instance: dict[str, Any]) -> bool:
        if self.original_start is None:
            return True
        original = spec_value(instance["originalStartTime"])
        return type(original) is type(self.original_start) and original == self.original_start


def _parse_original_start(value: str | None) -> dt.datetime | dt.date | None:
    """``originalStart`` of events.instances: an RFC 3339 date-time (with offset) or a date."""
    if value is None:
        return None
    parsed = parse_rfc3339(value) or parse_date(value)
    if parsed is None:
        raise errors.invalid_parameter("originalStart", f"Invalid value for originalStart: {value}")
    return parsed


# ---------------------------------------------------------------------------- service


class CalendarService:
    """Calendar v3 semantics over ``State``. Call with ``state.lock`` held."""

    def __init__(self, state: State, notify: Notifier | None = None) -> None:
        self.state = state
        self.notify = notify or (lambda cal_id: None)

    # ------------------------------------------------------------ accounts / calendars
    def create_account(self, email: str, name: str | None = None, time_zone: str = "UTC") -> dict[str, Any]:
        """An account whose primary calendar (id = email) is in the account's ``time_zone``."""
        st = self.state
        if not isinstance(email, str) or not re.match(r"^[^@\s/]+@[^@\s/]+\.[^@\s/]+$", email):
            raise ValueError("malformed email")
        if email in st.accounts:
            raise ValueError("account exists")
        if get_zone(time_zone) is None:
            raise ValueError("unknown time zone")
        st.accounts[email] = {
            "email": email,
            "name": name or email.split("@")[0],
            "time_zone": time_zone,
            "calendars": [],
        }
        self._add_calendar(email, email, name or email, time_zone, primary=True)
        return dict(st.accounts[email])

    def create_calendar(self, email: str, summary: str, time_zone: str | None = None) -> dict[str, Any]:
        """A secondary calendar in ``time_zone`` (default: the account's zone)."""
        account = self.state.accounts.get(email)
        if account is None:
            raise KeyError("unknown account")
        time_zone = time_zone or account.get("time_zone", "UTC")
        if get_zone(time_zone) is None:
            raise ValueError("unknown time zone")
        cal_id = random_token(26, "0123456789abcdefghijklmnopqrstuvwxyz") + "@group.calendar.google.com"
        return self._add_calendar(email, cal_id, summary, time_zone, primary=False)

    def _add_calendar(self, email: str, cal_id: str, summary: str, tz: str, primary: bool) -> dict[str, Any]:
        st = self.state
        seq, us = st.stamp()
        cal = {
            "id": cal_id,
            "owner": email,
            "summary": summary,
            "timeZone": tz,
            "primary": primary,
            "etag": f'"{us}"',
            "_seq": seq,
            "_order": st.next_order(),
        }
        st.calendars[cal_id] = cal
        st.events[cal_id] = {}
        st.accounts[email]["calendars"].append(cal_id)
        return dict(cal)

    def resolve_calendar(self, email: str, cal_id: str) -> dict[str, Any]:
        if cal_id == "primary":
            cal_id = email
        cal = self.state.calendars.get(cal_id)
        if cal is None or cal["owner"] != email:
            raise errors.not_found()
        return cal

    def calendar_resource(self, cal: dict[str, Any]) -> dict[str, Any]:
        return {
            "kind": "calendar#calendar",
            "etag": cal["etag"],
            "id": cal["id"],
            "summary": cal["summary"],
            "timeZone": cal["timeZone"],
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        }

    def calendar_list_entry(self, cal: dict[str, Any]) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "kind": "calendar#calendarListEntry",
            "etag": cal["etag"],
            "id": cal["id"],
            "summary": cal["summary"],
            "timeZone": cal["timeZone"],
            "colorId": "14" if cal["primary"] else "7",
            "backgroundColor": "#9fe1e7" if cal["primary"] else "#42d692",
            "foregroundColor": "#000000",
            "selected": True,
            "accessRole": "owner",
            "defaultReminders": [{"method": "popup", "minutes": 10}] if cal["primary"] else [],
            "conferenceProperties": {"allowedConferenceSolutionTypes": ["hangoutsMeet"]},
        }
        if cal["primary"]:
            entry["notificationSettings"] = {
                "notifications": [
                    {"type": "eventCreation", "method": "email"},
                    {"type": "eventChange", "method": "email"},
                    {"type": "eventCancellation", "method": "email"},
                    {"type": "eventResponse", "method": "email"},
                ]
            }
            entry["primary"] = True
        return entry

    def calendar_list(self, email: str, params: dict[str, Any]) -> dict[str, Any]:
        st = self.state
        # Google caps a calendarList page at 250 entries whatever maxResults asks for.
        max_results = min(params.get("maxResults", 100), 250)
        cals = [st.calendars[c] for c in st.accounts[email]["calendars"]]
        since = None
        if "syncToken" in params:
            tok = st.sync_tokens.get(params["syncToken"])
            if tok is None or tok.get("list") != email:
                raise errors.full_sync_required()
            since = tok["seq"]
            cals = [c for c in cals if c["_seq"] > since]
        start = 0
        if "pageToken" in params:
            pt = st.page_tokens.get(params["pageToken"])
            if pt is None or pt.get("list") != email:
                raise errors.invalid_parameter("pageToken", "Invalid page token")
            start = pt["offset"]
        page = cals[start : start + max_results]
        out: dict[str, Any] = {
            "kind": "calendar#calendarList",
            "etag": f'"p{st.last_us}"',
            "items": [self.calendar_list_entry(c) for c in page],
        }
        if start + max_results < len(cals):
            tok = random_token(32)
            st.remember(st.page_tokens, tok, {"list": email, "offset": start + max_results})
            out["nextPageToken"] = tok
        else:
            tok = "C" + random_token(30)
            st.remember(st.sync_tokens, tok, {"list": email, "seq": st.seq, "calendar_id": None}, limit=100000)
            out["nextSyncToken"] = tok
        return out

    # ------------------------------------------------------------ event lookup
    def _series_of(self, cal: dict[str, Any], parent: dict[str, Any]) -> Series:
        start = spec_value(parent["start"])
        zone = get_zone(parent["start"]["timeZone"]) if "timeZone" in parent["start"] else None
        return Series(parent["recurrence"], start, zone)

    def _split_instance_id(self, cal: dict[str, Any], event_id: str) -> tuple[dict[str, Any], Any] | None:
        if "_" not in event_id:
            return None
        parent_id, suffix = event_id.rsplit("_", 1)
        parent = self.state.events[cal["id"]].get(parent_id)
        if parent is None or not parent.get("recurrence"):
            return None
        original = parse_instance_suffix(suffix)
        if original is None:
            return None
        series = self._series_of(cal, parent)
        if not series.is_occurrence(original):
            return None
        return parent, original

    def _virtual_instance(self, cal: dict[str, Any], parent: dict[str, Any], original: Any) -> dict[str, Any]:
        inst = {k: copy.deepcopy(v) for k, v in parent.items() if k not in ("recurrence",)}
        start_v = spec_value(parent["start"])
        end_v = spec_value(parent["end"])
        duration = end_v - start_v  # type: ignore[operator]
        tz_name = parent["start"].get("timeZone")
        end_tz_name = parent["end"].get("timeZone")
        if isinstance(original, dt.datetime):
            zone = get_zone(tz_name) if tz_name else None
            local = original.astimezone(zone) if zone else original
            new_start: Any = local
            new_end: Any = (local + duration).astimezone(get_zone(end_tz_name)) if end_tz_name else local + duration
        else:
            new_start, new_end = original, original + duration
        inst["id"] = f"{parent['id']}_{instance_suffix(original)}"
        inst["start"] = make_spec(new_start, tz_name)
        inst["end"] = make_spec(new_end, end_tz_name)
        inst["recurringEventId"] = parent["id"]
        inst["originalStartTime"] = make_spec(original, tz_name)
        inst["_virtual"] = True
        return inst

    def find(self, cal: dict[str, Any], event_id: str) -> dict[str, Any] | None:
        """A stored event, an exception, or a virtual instance; None if unknown."""
        rec = self.state.events[cal["id"]].get(event_id)
        if rec is not None:
            return rec
        split = self._split_instance_id(cal, event_id)
        if split is None:
            return None
        parent, original = split
        inst = self._virtual_instance(cal, parent, original)
        return inst

    def render(
        self, rec: dict[str, Any], cal: dict[str, Any], out_tz: dt.tzinfo, max_attendees: int | None = None
    ) -> dict[str, Any]:
        ev = public(rec)
        for key in ("start", "end", "originalStartTime"):
            if key in ev:
                ev[key] = render_spec(ev[key], out_tz)
        if max_attendees is not None and len(ev.get("attendees", [])) > max_attendees:
            ev["attendees"] = ev["attendees"][:max_attendees]
            ev["attendeesOmitted"] = True
        return ev

    def tombstone(self, rec: dict[str, Any], out_tz: dt.tzinfo) -> dict[str, Any]:
        out = {"kind": "calendar#event", "etag": rec["etag"], "id": rec["id"], "status": "cancelled"}
        if rec.get("recurringEventId"):
            out["recurringEventId"] = rec["recurringEventId"]
            out["originalStartTime"] = render_spec(rec["originalStartTime"], out_tz)
        return out

    def get(
        self, cal: dict[str, Any], event_id: str, out_tz: dt.tzinfo | None = None, max_attendees: int | None = None
    ) -> dict[str, Any]:
        rec = self.find(cal, event_id)
        if rec is None:
            raise errors.not_found()
        return self.render(rec, cal, out_tz or get_zone(cal["timeZone"]), max_attendees)  # type: ignore[arg-type]

    # ------------------------------------------------------------ writes
    def _touch(self, cal: dict[str, Any], rec: dict[str, Any]) -> None:
        seq, us = self.state.stamp()
        rec["_seq"] = seq
        rec["_us"] = us
        rec["updated"] = format_updated(us)
        rec["etag"] = f'"{us * 2}"'

    def _check_etag(self, rec: dict[str, Any], if_match: str | None) -> None:
        if if_match is None:
            return
        wanted = [t.strip() for t in if_match.split(",")]
        if "*" in wanted:
            return
        if rec["etag"] not in wanted and rec["etag"].strip('"') not in wanted:
            raise errors.condition_not_met()

    def _html_link(self, cal_id: str, event_id: str) -> str:
        eid = base64.urlsafe_b64encode(f"{event_id} {cal_id}".encode()).decode().rstrip("=")
        return f"https://www.google.com/calendar/event?eid={eid}"

    def insert(self, cal: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        store = self.state.events[cal["id"]]
        event_id = body.get("id")
        if event_id is not None:
            if not isinstance(event_id, str) or not _ID_RE.match(event_id):
                raise errors.invalid("Invalid resource id value.")
            if event_id in store:
                raise errors.duplicate()
        else:
            event_id = new_event_id()
            while event_id in store:
                event_id = new_event_id()
        fields = validate_event(body, is_instance=False)
        seq_val = fields.pop("sequence", 0)
        if not isinstance(seq_val, int) or seq_val < 0:
            raise errors.invalid("Invalid sequence value.")
        rec: dict[str, Any] = {
            "kind": "calendar#event",
            "etag": "",
            "id": event_id,
            "status": "confirmed",
            "htmlLink": self._html_link(cal["id"], event_id),
            "created": "",
            "updated": "",
            "creator": {"email": cal["owner"], "self": True},
            "organizer": self._organizer(cal),
            "iCalUID": f"{event_id}@google.com",
            "sequence": seq_val,
            "reminders": {"useDefault": True},
            "eventType": "default",
        }
        rec.update(fields)
        rec["_order"] = self.state.next_order()
        self._touch(cal, rec)
        rec["created"] = rec["updated"]
        store[event_id] = rec
        self.notify(cal["id"])
        return rec

    def _organizer(self, cal: dict[str, Any]) -> dict[str, Any]:
        org: dict[str, Any] = {"email": cal["id"], "self": True}
        if not cal["primary"]:
            org["displayName"] = cal["summary"]
        return org

    def _materialize(self, cal: dict[str, Any], event_id: str) -> dict[str, Any]:
        """The stored record for event_id, creating an exception record for an instance."""
        rec = self.find(cal, event_id)
        if rec is None:
            raise errors.not_found()
        if rec.get("_virtual"):
            rec = {k: v for k, v in rec.items() if k != "_virtual"}
            rec["_order"] = self.state.events[cal["id"]][rec["recurringEventId"]]["_order"]
            rec["_exception"] = True
            self.state.events[cal["id"]][event_id] = rec
        return rec

    def write(
        self, cal: dict[str, Any], event_id: str, body: dict[str, Any], patch: bool, if_match: str | None
    ) -> dict[str, Any]:
        existing = self.find(cal, event_id)
        if existing is None:
            raise errors.not_found()
        self._check_etag(existing, if_match)
        is_instance = bool(existing.get("recurringEventId"))
        current = {k: existing[k] for k in WRITABLE if k in existing}
        if patch:
            merged = merge_patch(current, {k: v for k, v in body.items() if k in WRITABLE})
        else:
            merged = {k: v for k, v in body.items() if k in WRITABLE}
            if "status" not in merged:
                merged["status"] = existing["status"] if existing["status"] != "cancelled" else "confirmed"
        fields = validate_event(merged, is_instance=is_instance)
        new_seq = fields.pop("sequence", None)
        old_seq = existing.get("sequence", 0)
        if new_seq is not None and (not isinstance(new_seq, int) or new_seq < old_seq):
            raise errors.invalid(
                "Invalid sequence value. The specified sequence number is below the current "
                "sequence number of the resource."
            )
        significant = any(fields.get(k) != current.get(k) for k in ("start", "end", "recurrence"))
        old_series = copy.deepcopy(current) if existing.get("recurrence") else None
        rec = self._materialize(cal, event_id)
        for k in WRITABLE:
            rec.pop(k, None)
        rec.update(fields)
        rec.setdefault("status", "confirmed")
        rec.setdefault("eventType", "default")
        if "reminders" not in rec:
            rec["reminders"] = {"useDefault": True}
        if new_seq is not None and new_seq > old_seq:
            rec["sequence"] = new_seq
        else:
            rec["sequence"] = old_seq + (1 if significant else 0)
        self._touch(cal, rec)
        if old_series is not None:
            self._follow_series(cal, old_series, rec)
        self.notify(cal["id"])
        return rec

    def _follow_series(self, cal: dict[str, Any], old: dict[str, Any], parent: dict[str, Any]) -> None:
        """Carry a series edit to its live exceptions, field by field, where they did not override it."""
        for rec in self.state.events[cal["id"]].values():
            if rec.get("recurringEventId") != parent["id"] or rec["status"] == "cancelled":
                continue
            changed = False
            for key in FOLLOWS_SERIES:
                value = follow_series(old.get(key, MISSING), parent.get(key, MISSING), rec.get(key, MISSING))
                if value is MISSING and key in rec:
                    del rec[key]
                    changed = True
                elif value is not MISSING and rec.get(key, MISSING) != value:
                    rec[key] = value
                    changed = True
            if changed:
                self._touch(cal, rec)

    def delete(self, cal: dict[str, Any], event_id: str, if_match: str | None) -> None:
        existing = self.find(cal, event_id)
        if existing is None:
            raise errors.not_found()
        if existing["status"] == "cancelled":
            raise errors.deleted()
        self._check_etag(existing, if_match)
        rec = self._materialize(cal, event_id)
        rec["status"] = "cancelled"
        self._touch(cal, rec)
        if rec.get("recurrence"):
            for other in self.state.events[cal["id"]].values():
                if other.get("recurringEventId") == rec["id"] and other["status"] != "cancelled":
                    other["status"] = "cancelled"
                    self._touch(cal, other)
        self.notify(cal["id"])

    def move(self, cal: dict[str, Any], event_id: str, dest: dict[str, Any]) -> dict[str, Any]:
        """events.move: the event (a series with its exceptions) changes calendar, keeping its id.

        The source keeps a cancelled record (so incremental sync reports the removal); the
        destination gets new records (reported as new). Only default events; not instances.
        """
        rec = self._movable(cal, event_id)
        if dest["id"] == cal["id"]:
            return rec
        moving = [rec] + [r for r in self.state.events[cal["id"]].values() if r.get("recurringEventId") == event_id]
        target = self.state.events[dest["id"]]
        if any(r["id"] in target and not target[r["id"]].get("_moved_out") for r in moving):
            raise errors.duplicate()
        order = self.state.next_order()
        for old in moving:
            new = {k: copy.deepcopy(v) for k, v in old.items() if k != "_moved_out"}
            new.update(organizer=self._organizer(dest), htmlLink=self._html_link(dest["id"], new["id"]), _order=order)
            target[new["id"]] = new
            self._touch(dest, new)
            old["status"] = "cancelled"
            old["_moved_out"] = True
            self._touch(cal, old)
        self.notify(cal["id"])
        self.notify(dest["id"])
        return target[event_id]

    def _movable(self, cal: dict[str, Any], event_id: str) -> dict[str, Any]:
        rec = self.state.events[cal["id"]].get(event_id)
        if rec is None and self._split_instance_id(cal, event_id) is None:
            raise errors.not_found()
        if rec is None or rec.get("recurringEventId"):
            raise ApiError(
                400, "cannotChangeOrganizerOfInstance", "Cannot change the organizer of an instance.", domain="calendar"
            )
        if rec["status"] == "cancelled":
            raise errors.deleted()
        if rec.get("eventType", "default") != "default":
            raise ApiError(400, "eventTypeRestriction", "Only events of type default can be moved.", domain="calendar")
        return rec

    # ------------------------------------------------------------ listing
    def list_events(
        self, cal: dict[str, Any], params: dict[str, Any], series_filter: SeriesFilter | None = None
    ) -> dict[str, Any]:
        """events.list; with ``series_filter``, events.instances (one series' occurrences, no sync token)."""
        st = self.state
        store = st.events[cal["id"]]
        cal_tz = get_zone(cal["timeZone"])
        assert cal_tz is not None
        out_tz = cal_tz
        if "timeZone" in params:
            z = get_zone(params["timeZone"])
            if z is None:
                raise errors.invalid_parameter("timeZone", "Invalid time zone: " + params["timeZone"])
            out_tz = z
        # Google never returns more than 2500 events a page, whatever maxResults asks for.
        max_results = min(params.get("maxResults", 250), MAX_PAGE)
        sync_token = params.get("syncToken")
        if sync_token is not None:
            _check_sync_token_params(params)
        self._check_updated_min(params.get("updatedMin"))
        single = params.get("singleEvents", False)
        show_deleted = params.get("showDeleted", False)
        order_by = params.get("orderBy")
        if order_by == "startTime" and not single:
            raise ApiError(400, "badRequest", "The requested ordering is not available for the particular query.")
        t_min = params.get("timeMin")
        t_max = params.get("timeMax")
        if t_min is not None and t_max is not None and t_max <= t_min:
            raise errors.time_range_empty("timeMax")
        updated_min = params.get("updatedMin")

        fingerprint = {
            k: (v.isoformat() if isinstance(v, dt.datetime) else v)
            for k, v in params.items()
            if k
            not in (
                "pageToken",
                "maxResults",
                "fields",
                "prettyPrint",
                "alt",
                "quotaUser",
                "key",
                "oauth_token",
                "access_token",
                "userIp",
            )
        }
        if series_filter is not None:
            fingerprint["_series"] = series_filter.event_id
        since: int | None = None
        if sync_token is not None:
            tok = st.sync_tokens.get(sync_token)
            if tok is None or tok.get("calendar_id") != cal["id"]:
                raise errors.full_sync_required()
            since = tok["seq"]
        last_key: list[Any] | None = None
        started_seq = st.seq
        if "pageToken" in params:
            pt = st.page_tokens.get(params["pageToken"])
            if pt is None or pt.get("fp") != fingerprint or pt.get("calendar_id") != cal["id"]:
                raise errors.invalid_parameter("pageToken", "Invalid page token")
            last_key = pt["last"]
            started_seq = pt["started_seq"]

        items: list[tuple[list[Any], dict[str, Any], bool]] = []  # (key, record, tombstone?)

        def window_ok(rec: dict[str, Any]) -> bool:
            if t_min is None and t_max is None:
                return True
            s = instant(spec_value(rec["start"]), cal_tz)
            e = instant(spec_value(rec["end"]), cal_tz)
            if t_min is not None and not e > t_min:
                return False
            return not (t_max is not None and not s < t_max)

        def filters_ok(rec: dict[str, Any]) -> bool:
            if "iCalUID" in params and rec.get("iCalUID") != params["iCalUID"]:
                return False
            if "eventTypes" in params and rec.get("eventType", "default") not in params["eventTypes"]:
                return False
            for scope, pname in (("private", "privateExtendedProperty"), ("shared", "sharedExtendedProperty")):
                for cond in params.get(pname, []):
                    if "=" not in cond:
                        raise errors.invalid_parameter(pname)
                    k, v = cond.split("=", 1)
                    if rec.get("extendedProperties", {}).get(scope, {}).get(k) != v:
                        return False
            if "q" in params:
                words = params["q"].lower().split()
                text = " ".join(str(rec.get(f, "")) for f in ("summary", "description", "location")).lower()
                text += (
                    " "
                    + " ".join(
                        a.get("email", "") + " " + a.get("displayName", "") for a in rec.get("attendees", [])
                    ).lower()
                )
                if not all(w in text for w in words):
                    return False
            return True

        def visible_cancelled(rec: dict[str, Any]) -> bool:
            if since is not None or show_deleted:
                return True
            if updated_min is not None:
                return True
            # Google: cancelled instances of a live series still appear when both
            # showDeleted and singleEvents are false.
            if not single and rec.get("recurringEventId"):
                parent = store.get(rec["recurringEventId"])
                return parent is not None and parent["status"] != "cancelled"
            return False

        def sort_key(rec: dict[str, Any], base_order: int) -> list[Any]:
            s = instant(spec_value(rec["start"]), cal_tz).timestamp() if "start" in rec else 0.0
            if order_by == "startTime":
                return [s, rec["id"]]
            if order_by == "updated":
                return [rec.get("_us", 0), rec["id"]]
            orig = rec.get("originalStartTime")
            o = instant(spec_value(orig), cal_tz).timestamp() if orig else s
            return [base_order, o, rec["id"]]

        for rec in store.values():
            if series_filter is not None and not series_filter.related(rec):
                continue
            if since is not None and rec["_seq"] <= since:
                continue
            if updated_min is not None and rec.get("_us", 0) < updated_min.timestamp() * 1_000_000:
                continue
            cancelled = rec["status"] == "cancelled"
            if cancelled:
                if not visible_cancelled(rec):
                    continue
                if t_min is not None or t_max is not None:
                    if rec.get("recurrence"):
                        pass
                    elif not window_ok(rec):
                        continue
                if not filters_ok(rec):
                    continue
                items.append((sort_key(rec, rec["_order"]), rec, True))
                continue
            if not filters_ok(rec):
                continue
            if rec.get("recurrence"):
                series = self._series_of(cal, rec)
                duration = spec_value(rec["end"]) - spec_value(rec["start"])  # type: ignore[operator]
                starts = series.starts(t_min, t_max, duration)
                if single:
                    for original in starts:
                        inst_id = f"{rec['id']}_{instance_suffix(original)}"
                        if inst_id in store:
                            continue  # the exception record stands for it
                        inst = self._virtual_instance(cal, rec, original)
                        if window_ok(inst) and (series_filter is None or series_filter.wanted(inst)):
                            items.append((sort_key(inst, rec["_order"]), inst, False))
                else:
                    if t_min is None and t_max is None:
                        items.append((sort_key(rec, rec["_order"]), rec, False))
                    else:
                        for original in starts:
                            if window_ok(self._virtual_instance(cal, rec, original)):
                                items.append((sort_key(rec, rec["_order"]), rec, False))
                                break
                continue
            if window_ok(rec):
                items.append((sort_key(rec, rec["_order"]), rec, False))

        items.sort(key=lambda t: t[0])
        if last_key is not None:
            items = [t for t in items if t[0] > last_key]
        page = items[:max_results]
        more = len(items) > max_results
        result: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": f'"p{st.last_us}"',
            "summary": cal["summary"],
            "description": "",
            "updated": format_updated(max([r.get("_us", 0) for r in store.values()] + [cal.get("_us", st.last_us)])),
            "timeZone": params.get("timeZone", cal["timeZone"]),
            "accessRole": "owner",
            "defaultReminders": [{"method": "popup", "minutes": 10}] if cal["primary"] else [],
            "items": [
                self.tombstone(rec, out_tz) if tomb else self.render(rec, cal, out_tz, params.get("maxAttendees"))
                for _, rec, tomb in page
            ],
        }
        if not result["description"]:
            del result["description"]
        if more:
            tok = random_token(40)
            st.remember(
                st.page_tokens,
                tok,
                {
                    "fp": fingerprint,
                    "calendar_id": cal["id"],
                    "last": page[-1][0],
                    "started_seq": started_seq,
                },
            )
            result["nextPageToken"] = tok
        elif series_filter is None and not any(
            k in params
            for k in ("orderBy", "q", "iCalUID", "privateExtendedProperty", "sharedExtendedProperty", "updatedMin")
        ):
            tok = "CP" + random_token(30) + "="
            st.remember(st.sync_tokens, tok, {"calendar_id": cal["id"], "seq": started_seq}, limit=100000)
            result["nextSyncToken"] = tok
        return result

    def _check_updated_min(self, updated_min: dt.datetime | None) -> None:
        """410 when ``updatedMin`` lies before the horizon deleted events are kept for."""
        if updated_min is None:
            return
        horizon = dt.datetime.now(dt.UTC) - dt.timedelta(days=self.state.updated_min_horizon_days)
        if updated_min < horizon:
            raise errors.updated_min_too_long_ago()

    def instances(self, cal: dict[str, Any], event_id: str, params: dict[str, Any]) -> dict[str, Any]:
        """events.instances: the occurrences of a series, as ``singleEvents=true`` lists them."""
        parent = self.state.events[cal["id"]].get(event_id)
        if parent is None:
            raise errors.not_found()
        if parent["status"] == "cancelled":
            raise errors.deleted()
        if not parent.get("recurrence"):
            raise errors.invalid(f"Event {event_id} is not a recurring event: it has no instances.")
        only = SeriesFilter(event_id, _parse_original_start(params.get("originalStart")))
        return self.list_events(cal, {**params, "singleEvents": True}, series_filter=only)

    def expire_sync_tokens(self, email: str | None = None, calendar_id: str | None = None) -> int:
        st = self.state
        gone = []
        for tok, info in st.sync_tokens.items():
            cid = info.get("calendar_id")
            if calendar_id is not None and cid != calendar_id:
                continue
            if email is not None:
                owner = st.calendars.get(cid, {}).get("owner") if cid else info.get("list")
                if owner != email:
                    continue
            gone.append(tok)
        for tok in gone:
            del st.sync_tokens[tok]
        return len(gone)
