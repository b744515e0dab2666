"""Pure rules of the sync controls (issue 13): privacy, a link's one status, which copies are calbridge's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from functions.core.activity import (
    Activity,
    ActivityContent,
    ActivityException,
    ActivitySync,
    Attendee,
    Origin,
    SyncState,
    SyncTarget,
    TargetState,
    Timed,
)
from functions.core.event_mapping import activity_to_event, content_hash, event_id_for
from functions.core.link_copies import cleanup_candidates, link_copies
from functions.core.link_status import LinkState, link_status
from functions.core.models import NEEDS_REAUTH, ConnectionStatus, Link, ResyncInfo, ResyncState, RunInfo
from functions.core.privacy import BUSY, FULL, Privacy, PrivacyLevel, check_privacy, redact

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def activity(activity_id: str = "act-1", **extra) -> Activity:
    content = ActivityContent("Secret deal", Timed(START, START + timedelta(hours=1), "UTC"), description="terms",
                              location="HQ", attendees=(Attendee("a@example.com"),),
                              recurrence=("RRULE:FREQ=DAILY;COUNT=3",),
                              exceptions=(ActivityException(START + timedelta(days=1), subject="Secret, moved",
                                                            location="Cafe"),))
    return Activity(activity_id, "alice", "Meeting", content, **extra)


def test_busy_event_body_carries_no_detail_but_the_same_times() -> None:
    full, busy = activity_to_event(activity()), activity_to_event(activity(), BUSY)
    assert (busy["summary"], busy["description"], busy["location"], busy["attendees"]) == ("Busy", "", "", [])
    assert (busy["start"], busy["end"], busy["transparency"], busy["recurrence"]) == (
        full["start"], full["end"], full["transparency"], full["recurrence"])
    [exception] = redact(activity(), BUSY).content.exceptions
    assert (exception.subject, exception.location) == (None, None)  # the instance shows the series' "Busy"


def test_the_hash_follows_the_privacy_so_a_change_re_exports() -> None:
    subset = Privacy(PrivacyLevel.SUBSET, ("location",))
    hashes = {content_hash(redact(activity(), p)) for p in (FULL, BUSY, subset)}
    assert len(hashes) == 3
    assert content_hash(redact(activity(), FULL)) == content_hash(activity())


@pytest.mark.parametrize(("body", "field"), [
    ("busy", "privacy"),
    ({"level": "hidden"}, "privacy.level"),
    ({"level": "subset", "fields": "subject"}, "privacy.fields"),
    ({"level": "subset", "fields": ["subject", "notes"]}, "privacy.fields"),
    ({"level": "busy", "fields": ["subject"]}, "privacy.fields"),
    ({"level": "full", "extra": 1}, "privacy"),
])
def test_a_wrong_privacy_names_its_field(body: object, field: str) -> None:
    privacy, errors = check_privacy(body)
    assert privacy is None and field in errors


def test_a_subset_keeps_only_the_chosen_details_in_a_fixed_order() -> None:
    privacy, errors = check_privacy({"level": "subset", "fields": ["attendees", "subject"]})
    assert errors == {} and privacy == Privacy(PrivacyLevel.SUBSET, ("subject", "attendees"))


def link(**extra) -> Link:
    return Link("Meeting", "cal", export=True, **extra)


@pytest.mark.parametrize(("made", "connection", "state", "reason"), [
    (link(), None, LinkState.SYNCED, None),
    (link(), NEEDS_REAUTH, LinkState.ERROR, "needs_reauth"),
    (link(), ConnectionStatus.DISCONNECTED, LinkState.PAUSED, "not_connected"),
    (link(paused_reason="calendar_missing"), None, LinkState.PAUSED, "calendar_missing"),
    (Link("Meeting", "cal"), None, LinkState.PAUSED, "sync_off"),
    (link(resync=ResyncInfo(ResyncState.RUNNING)), None, LinkState.SYNCING, "resync"),
    (link(last_export=RunInfo(error="Google answered 403 forbidden")), None, LinkState.ERROR, "export_failed"),
    (link(last_error="the calendar refused writes"), None, LinkState.ERROR, "link_error"),
    (link(resync=ResyncInfo(ResyncState.FAILED, error="boom")), None, LinkState.ERROR, "resync_failed"),
    (link(resync=ResyncInfo(ResyncState.DONE)), ConnectionStatus.CONNECTED, LinkState.SYNCED, None),
])
def test_one_status_per_link(made: Link, connection, state: LinkState, reason: str | None) -> None:
    status = link_status(made, connection)
    assert (status.state, status.reason) == (state, reason)
    assert status.needs_attention == (state in (LinkState.PAUSED, LinkState.ERROR))
    if state in (LinkState.PAUSED, LinkState.ERROR):
        assert status.message and status.fix


def test_an_error_status_carries_the_message() -> None:
    assert "403 forbidden" in link_status(link(last_export=RunInfo(error="Google answered 403 forbidden"))).message


def test_cleanup_takes_only_live_copies_calbridge_created() -> None:
    def synced(activity_id: str, event_id: str, state: TargetState = TargetState.SYNCED, **extra) -> Activity:
        target = SyncTarget("alice", "cal", event_id, state=state)
        return activity(activity_id, sync=ActivitySync(SyncState.SYNCED, targets=(target,)), **extra)

    ours = synced("ours", event_id_for("ours"))
    added = synced("added", "googleid123")  # added into the CRM from Google: its own id
    imported = synced("imp", event_id_for("imp"), origin=Origin.GOOGLE, read_only=True)
    unlinked = synced("gone", event_id_for("gone"), TargetState.UNLINKED)
    elsewhere = synced("other", event_id_for("other"))
    copies = link_copies([ours, added, imported, unlinked, elsewhere], "alice", "Meeting", "cal")
    assert {c.activity.id for c in copies} == {"ours", "added", "gone", "other"}
    assert {c.activity.id for c in cleanup_candidates(copies)} == {"ours", "other"}
    assert link_copies([ours], "bob", "Meeting", "cal") == []
    assert link_copies([ours], "alice", "Call", "cal") == []
