"""Pure rules of the connect failure paths: client change, revocation backoff, pausing links."""

from datetime import UTC, datetime, timedelta

import pytest

from functions.core.connection_rules import (
    REVOCATION_MAX_DELAY,
    is_client_change,
    next_revocation_attempt,
    revocation_id,
)
from functions.core.link_rules import CALENDAR_MISSING, calendar_pause_changes
from functions.core.models import CalendarEntry, Link

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("saved", "current", "oauth_error", "changed"),
    [
        ("old.apps", "new.apps", "unauthorized_client", True),
        ("old.apps", "new.apps", "invalid_client", True),
        ("same.apps", "same.apps", "invalid_client", False),  # the admin's secret is wrong: their matter
        ("same.apps", "same.apps", "unauthorized_client", False),
        (None, "new.apps", "unauthorized_client", True),  # connected before the client id was recorded
        (None, "new.apps", "invalid_client", False),
    ],
)
def test_a_refused_refresh_is_a_client_change_only_when_the_grant_belongs_to_another_client(
    saved: str | None, current: str, oauth_error: str, changed: bool
) -> None:
    assert is_client_change(saved, current, oauth_error) is changed


def test_revocation_retries_back_off_exponentially_up_to_a_day() -> None:
    delays = [next_revocation_attempt(n, NOW) - NOW for n in range(1, 12)]
    assert delays[:4] == [timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2)]
    assert all(a <= b for a, b in zip(delays, delays[1:], strict=False))
    assert delays[-1] == REVOCATION_MAX_DELAY
    assert next_revocation_attempt(10_000, NOW) - NOW == REVOCATION_MAX_DELAY


def test_a_revocation_id_is_stable_per_token_and_does_not_show_it() -> None:
    token = "1//0secret-refresh-token"
    assert revocation_id(token) == revocation_id(token) != revocation_id(token + "x")
    assert revocation_id(token).startswith("pending_revocation_")
    assert "secret" not in revocation_id(token)


def test_links_whose_calendar_left_the_list_are_paused_and_resume_when_it_is_back() -> None:
    calendars = [CalendarEntry("me@example.com", "Me", primary=True), CalendarEntry("team@group", "Team")]
    links = [
        Link("Call", "me@example.com"),
        Link("Meeting", "old@group"),  # another account's calendar: pause
        Link("Task", "team@group", paused_reason=CALENDAR_MISSING),  # back: resume
        Link("Demo", "old2@group", paused_reason=CALENDAR_MISSING),  # still missing: no change
        Link("Visit", "old3@group", paused_reason="calendar_empty"),  # another reason: left alone
    ]
    assert calendar_pause_changes(links, calendars) == {"Meeting": CALENDAR_MISSING, "Task": None}
    assert calendar_pause_changes([], calendars) == {}
