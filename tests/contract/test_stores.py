"""One contract for every store, run on both backends: Firestore (the emulator, the truth) and
in-memory (the fast twin). A backend's test class is a few lines at the bottom; if the two
disagree on anything here, the in-memory store is wrong.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from functions.core.connection_rules import CLIENT_CHANGED, INVALID_GRANT, revocation_id
from functions.core.link_rules import CALENDAR_MISSING
from functions.core.models import (
    CONNECTED,
    DISCONNECTED,
    NEEDS_REAUTH,
    CalendarEntry,
    ChannelRecord,
    GoogleClientSettings,
    Identity,
    Link,
    OAuthState,
    PendingRevocation,
    ResyncInfo,
    ResyncState,
    TokenSet,
)
from functions.core.oauth_state_rules import EXPIRED_STATE, INVALID_STATE, new_oauth_state
from functions.core.privacy import Privacy, PrivacyLevel
from functions.core.settings_rules import DEFAULT_ACTIVITY_TYPES
from functions.store.errors import AlreadyExists, MissingDocument, UnitOfWorkError
from functions.store.ports import Stores

NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
CLIENT_ID = "client-1.apps.googleusercontent.com"
ALICE = Identity(uid="alice-uid", email="alice@example.com", admin=False, display_name="Alice")
BOB = Identity(uid="bob-uid", email="bob@example.com", admin=False)
CALENDARS = [
    CalendarEntry("alice@example.com", "Alice", primary=True, access_role="owner", time_zone="Europe/Madrid"),
    CalendarEntry("crm@group.calendar.google.com", "CRM", access_role="writer", time_zone="UTC"),
]


def tokens(access: str = "access-1", refresh: str | None = "refresh-1", minutes: int = 60) -> TokenSet:
    return TokenSet(access, NOW + timedelta(minutes=minutes), refresh, ("https://www.googleapis.com/auth/calendar",))


def link(activity_type: str = "Meeting", calendar_id: str = "crm@group.calendar.google.com", **extra) -> Link:
    return Link(activity_type=activity_type, calendar_id=calendar_id, calendar_summary="CRM", export=True, **extra)


def channel(channel_id: str = "chan-1", uid: str = ALICE.uid) -> ChannelRecord:
    return ChannelRecord(channel_id, uid, "crm@group.calendar.google.com", "res-1", "hash", NOW + timedelta(days=7))


def save_connection(
    stores: Stores,
    uid: str,
    token_set: TokenSet,
    calendars: list[CalendarEntry] | None,
    google_email: str | None,
    client_id: str | None = CLIENT_ID,
    calendars_error: str | None = None,
) -> None:
    uow = stores.unit_of_work()
    stores.users.stage_connection(uow, uid, token_set, calendars, google_email, client_id, NOW, calendars_error)
    uow.commit()


def connected(stores: Stores, identity: Identity = ALICE) -> None:
    stores.users.ensure_user(identity, NOW)
    save_connection(stores, identity.uid, tokens(), CALENDARS, "alice@example.com")


def pending(token: str = "refresh-old", uid: str = ALICE.uid, due_in: timedelta = timedelta(0)) -> PendingRevocation:
    return PendingRevocation(
        id=revocation_id(token),
        uid=uid,
        refresh_token=token,
        created_at=NOW,
        next_attempt_at=NOW + due_in,
        attempts=1,
        last_attempt_at=NOW,
        last_error="Google server error 503",
        google_email="alice@example.com",
        client_id=CLIENT_ID,
    )


class StoreContract:
    """Subclasses provide the ``stores`` fixture: empty stores of one backend."""

    # --- config ------------------------------------------------------------------------
    def test_config_is_empty_before_the_admin_saves(self, stores: Stores) -> None:
        assert stores.config.load_google_settings() == GoogleClientSettings()
        assert not stores.config.load_google_settings().configured
        assert stores.config.load_activity_types() == list(DEFAULT_ACTIVITY_TYPES)

    def test_client_settings_round_trip_with_the_secret(self, stores: Stores) -> None:
        saved = GoogleClientSettings("AIza-key", "id.apps", "s3cret", "https://x/oauth_callback", NOW, "admin-uid")
        stores.config.save_google_settings(saved)
        assert stores.config.load_google_settings() == saved

    def test_client_settings_without_a_secret_are_refused(self, stores: Stores) -> None:
        with pytest.raises(ValueError, match="client secret"):
            stores.config.save_google_settings(GoogleClientSettings("k", "id", None, "https://x/cb"))
        assert stores.config.load_google_settings() == GoogleClientSettings()

    def test_activity_types_round_trip(self, stores: Stores) -> None:
        stores.config.save_activity_types(["Call", "Réunion"], "admin-uid", NOW)
        assert stores.config.load_activity_types() == ["Call", "Réunion"]

    # --- users ---------------------------------------------------------------------------
    def test_an_unknown_user_is_none(self, stores: Stores) -> None:
        assert stores.users.get_user("nobody") is None
        assert stores.users.get_secrets("nobody") is None
        assert stores.users.list_users() == []

    def test_ensure_user_creates_a_disconnected_user_then_follows_the_token(self, stores: Stores) -> None:
        created = stores.users.ensure_user(ALICE, NOW)
        assert (created.uid, created.email, created.display_name) == (ALICE.uid, ALICE.email, "Alice")
        assert created.connection.status == DISCONNECTED
        renamed = stores.users.ensure_user(Identity(ALICE.uid, "alice@new.example", False, None), NOW)
        assert (renamed.email, renamed.display_name) == ("alice@new.example", "Alice")
        assert stores.users.get_user(ALICE.uid) == renamed

    def test_save_connection_keeps_tokens_calendars_and_account(self, stores: Stores) -> None:
        connected(stores)
        user = stores.users.get_user(ALICE.uid)
        assert user is not None
        assert user.connection.status == CONNECTED
        assert user.connection.google_email == "alice@example.com"
        assert user.connection.connected_at == NOW
        assert user.calendars == tuple(CALENDARS)
        assert user.calendars_read_at == NOW
        assert user.calendars_error is None
        assert user.connection.client_id == CLIENT_ID
        secrets = stores.users.get_secrets(ALICE.uid)
        assert secrets is not None
        assert (secrets.refresh_token, secrets.access_token, secrets.access_token_expiry) == (
            "refresh-1", "access-1", NOW + timedelta(minutes=60))

    def test_a_connection_without_a_refresh_token_writes_nothing(self, stores: Stores) -> None:
        stores.users.ensure_user(ALICE, NOW)
        with pytest.raises(ValueError, match="refresh token"):
            save_connection(stores, ALICE.uid, tokens(refresh=None), CALENDARS, None)
        assert stores.users.get_secrets(ALICE.uid) is None
        assert stores.users.get_user(ALICE.uid).connection.status == DISCONNECTED

    def test_a_connection_whose_calendar_list_failed_clears_the_old_list_and_says_why(self, stores: Stores) -> None:
        connected(stores)
        save_connection(stores, ALICE.uid, tokens("access-2", "refresh-2"), None, None, calendars_error="503")
        user = stores.users.get_user(ALICE.uid)
        assert (user.calendars, user.calendars_read_at) == ((), None)
        assert (user.calendars_error, user.calendars_error_at) == ("503", NOW)
        assert (user.connection.status, user.connection.google_email) == (CONNECTED, None)
        assert stores.users.get_secrets(ALICE.uid).refresh_token == "refresh-2"

    def test_a_successful_read_replaces_the_list_clears_the_error_and_fills_in_the_account(
        self, stores: Stores
    ) -> None:
        stores.users.ensure_user(ALICE, NOW)
        save_connection(stores, ALICE.uid, tokens(), None, None, calendars_error="503")
        later = NOW + timedelta(hours=1)
        uow = stores.unit_of_work()
        stores.users.stage_calendars(uow, ALICE.uid, CALENDARS, "alice@example.com", later)
        assert stores.users.get_user(ALICE.uid).calendars_error == "503"  # staged, not applied
        uow.commit()
        user = stores.users.get_user(ALICE.uid)
        assert (user.calendars, user.calendars_read_at, user.calendars_error) == (tuple(CALENDARS), later, None)
        assert (user.connection.status, user.connection.google_email) == (CONNECTED, "alice@example.com")
        assert user.connection.client_id == CLIENT_ID

    def test_a_refreshed_access_token_keeps_the_refresh_token_unless_rotated(self, stores: Stores) -> None:
        connected(stores)
        stores.users.save_access_token(ALICE.uid, tokens("access-2", None), "refresh-1", NOW)
        assert stores.users.get_secrets(ALICE.uid).refresh_token == "refresh-1"
        assert stores.users.get_secrets(ALICE.uid).access_token == "access-2"
        stores.users.save_access_token(ALICE.uid, tokens("access-3", "refresh-new"), "refresh-1", NOW)
        assert stores.users.get_secrets(ALICE.uid).refresh_token == "refresh-new"

    def test_save_calendars_replaces_the_list(self, stores: Stores) -> None:
        connected(stores)
        later = NOW + timedelta(hours=1)
        uow = stores.unit_of_work()
        stores.users.stage_calendars(uow, ALICE.uid, CALENDARS[:1], None, later)
        uow.commit()
        user = stores.users.get_user(ALICE.uid)
        assert (user.calendars, user.calendars_read_at) == (tuple(CALENDARS[:1]), later)
        assert user.connection.google_email == "alice@example.com"

    def test_needs_reauth_keeps_the_error_and_when(self, stores: Stores) -> None:
        connected(stores)
        stores.users.mark_needs_reauth(ALICE.uid, "invalid_grant: revoked", INVALID_GRANT, NOW)
        connection = stores.users.get_user(ALICE.uid).connection
        assert (connection.status, connection.error, connection.error_at) == (
            NEEDS_REAUTH, "invalid_grant: revoked", NOW)
        assert connection.reauth_reason == INVALID_GRANT
        assert (connection.google_email, connection.client_id) == ("alice@example.com", CLIENT_ID)

    def test_reconnecting_clears_the_reauth_reason(self, stores: Stores) -> None:
        connected(stores)
        stores.users.mark_needs_reauth(ALICE.uid, "unauthorized_client", CLIENT_CHANGED, NOW)
        save_connection(stores, ALICE.uid, tokens("a2", "r2"), CALENDARS, "alice@example.com", client_id="client-2")
        connection = stores.users.get_user(ALICE.uid).connection
        assert (connection.status, connection.reauth_reason, connection.error) == (CONNECTED, None, None)
        assert connection.client_id == "client-2"

    def test_needs_reauth_of_an_unknown_user_fails(self, stores: Stores) -> None:
        with pytest.raises(MissingDocument):
            stores.users.mark_needs_reauth("nobody", "x", INVALID_GRANT, NOW)
        assert stores.users.get_user("nobody") is None

    def test_list_users(self, stores: Stores) -> None:
        stores.users.ensure_user(ALICE, NOW)
        stores.users.ensure_user(BOB, NOW)
        assert sorted(u.uid for u in stores.users.list_users()) == [ALICE.uid, BOB.uid]

    # --- links ---------------------------------------------------------------------------
    def test_links_round_trip_per_user(self, stores: Stores) -> None:
        assert stores.links.list_links(ALICE.uid) == []
        written = stores.links.put_link_checked(ALICE.uid, "Meeting", lambda current: link(sync_token="tok"))
        stores.links.put_link_checked(BOB.uid, "Call", lambda current: link("Call", "bob@example.com"))
        assert stores.links.list_links(ALICE.uid) == [written]
        everyone = stores.links.list_all_links()
        assert sorted(everyone) == [ALICE.uid, BOB.uid]
        assert [lk.activity_type for lk in everyone[BOB.uid]] == ["Call"]

    def test_put_link_decides_from_the_current_links(self, stores: Stores) -> None:
        stores.links.put_link_checked(ALICE.uid, "Meeting", lambda current: link())
        seen: list[list[str]] = []

        def decide(current: list[Link]) -> Link:
            seen.append([lk.activity_type for lk in current])
            return link("Call", "alice@example.com")

        stores.links.put_link_checked(ALICE.uid, "Call", decide)
        assert seen[-1] == ["Meeting"]
        assert sorted(lk.activity_type for lk in stores.links.list_links(ALICE.uid)) == ["Call", "Meeting"]

    def test_a_refusing_decision_writes_nothing(self, stores: Stores) -> None:
        def refuse(current: list[Link]) -> Link:
            raise LookupError("calendar in use")

        with pytest.raises(LookupError):
            stores.links.put_link_checked(ALICE.uid, "Meeting", refuse)
        assert stores.links.list_links(ALICE.uid) == []

    def test_delete_link_answers_what_it_removed(self, stores: Stores) -> None:
        written = stores.links.put_link_checked(ALICE.uid, "Meeting", lambda current: link())
        assert stores.links.delete_link(ALICE.uid, "Meeting") == written
        assert stores.links.delete_link(ALICE.uid, "Meeting") is None
        assert stores.links.list_links(ALICE.uid) == []

    def test_pausing_and_resuming_links_changes_only_the_pause(self, stores: Stores) -> None:
        written = stores.links.put_link_checked(ALICE.uid, "Meeting", lambda current: link(sync_token="tok"))
        stores.links.put_link_checked(ALICE.uid, "Call", lambda current: link("Call", "alice@example.com"))
        later = NOW + timedelta(hours=1)
        uow = stores.unit_of_work()
        stores.links.stage_paused(uow, ALICE.uid, {"Meeting": CALENDAR_MISSING}, later)
        assert stores.links.list_links(ALICE.uid)[0].paused_reason is None  # staged, not applied
        uow.commit()
        by_type = {lk.activity_type: lk for lk in stores.links.list_links(ALICE.uid)}
        assert by_type["Meeting"] == replace(written, paused_reason=CALENDAR_MISSING, updated_at=later)
        assert by_type["Call"].paused_reason is None
        uow = stores.unit_of_work()
        stores.links.stage_paused(uow, ALICE.uid, {"Meeting": None}, later)
        uow.commit()
        assert {lk.activity_type: lk.paused_reason for lk in stores.links.list_links(ALICE.uid)} == {
            "Meeting": None, "Call": None}

    def test_a_pause_parks_the_links_poll_and_a_resume_sets_it_again(self, stores: Stores) -> None:
        written = stores.links.put_link_checked(
            ALICE.uid, "Meeting", lambda current: replace(link(), import_=True, next_poll_at=NOW))
        uow = stores.unit_of_work()
        stores.links.stage_paused(uow, ALICE.uid, {"Meeting": CALENDAR_MISSING}, NOW, {"Meeting": None})
        uow.commit()
        assert stores.links.list_links(ALICE.uid) == [
            replace(written, paused_reason=CALENDAR_MISSING, next_poll_at=None, updated_at=NOW)]
        assert stores.links.list_due_links(NOW, 10) == []
        later = NOW + timedelta(minutes=5)
        uow = stores.unit_of_work()
        stores.links.stage_paused(uow, ALICE.uid, {"Meeting": None}, later, {"Meeting": later})
        uow.commit()
        assert [lk.next_poll_at for _, lk in stores.links.list_due_links(later, 10)] == [later]

    def test_every_users_links_are_paged_in_order_and_each_once(self, stores: Stores) -> None:
        for uid in (BOB.uid, ALICE.uid):
            for index, activity_type in enumerate(("Meeting", "Call", "Visit")):
                calendar = f"cal-{index}@group.calendar.google.com"
                stores.links.put_link_checked(
                    uid, activity_type, lambda current, t=activity_type, c=calendar: link(t, c))
        seen: list[tuple[str, str]] = []
        cursor: str | None = None
        pages = 0
        while True:
            page, cursor = stores.links.page_links(cursor, 4)
            pages += 1
            seen += [(uid, lk.activity_type) for uid, lk in page]
            if cursor is None:
                break
        assert pages == 2
        assert seen == [(ALICE.uid, "Call"), (ALICE.uid, "Meeting"), (ALICE.uid, "Visit"),
                        (BOB.uid, "Call"), (BOB.uid, "Meeting"), (BOB.uid, "Visit")]

    def test_the_poll_backfill_writes_next_poll_at_alone_and_only_where_it_is_missing(self, stores: Stores) -> None:
        legacy = stores.links.put_link_checked(
            ALICE.uid, "Meeting", lambda current: link(import_=True, sync_token="tok", last_error="old"))
        stores.links.put_link_checked(ALICE.uid, "Call", lambda current: link("Call", "b@x", import_=True,
                                                                               next_poll_at=NOW))
        later = NOW + timedelta(hours=1)
        assert stores.links.backfill_poll(ALICE.uid, "Meeting", lambda current: later) == later
        assert stores.links.backfill_poll(ALICE.uid, "Call", lambda current: later) is None  # set: kept
        assert stores.links.backfill_poll(ALICE.uid, "Gone", lambda current: later) is None
        assert stores.links.backfill_poll(ALICE.uid, "Meeting", lambda current: NOW) is None  # set now: idempotent
        by_type = {lk.activity_type: lk for lk in stores.links.list_links(ALICE.uid)}
        assert by_type["Meeting"] == replace(legacy, next_poll_at=later)
        assert by_type["Call"].next_poll_at == NOW
        assert stores.links.list_links(BOB.uid) == []

    def test_pausing_a_missing_link_applies_nothing(self, stores: Stores) -> None:
        stores.links.put_link_checked(ALICE.uid, "Meeting", lambda current: link())
        uow = stores.unit_of_work()
        stores.links.stage_paused(uow, ALICE.uid, {"Meeting": CALENDAR_MISSING, "Gone": CALENDAR_MISSING}, NOW)
        with pytest.raises(MissingDocument):
            uow.commit()
        assert stores.links.list_links(ALICE.uid)[0].paused_reason is None

    def test_privacy_and_resync_round_trip_and_resync_is_staged_alone(self, stores: Stores) -> None:
        subset = Privacy(PrivacyLevel.SUBSET, ("subject", "location"))
        written = stores.links.put_link_checked(
            ALICE.uid, "Meeting", lambda current: replace(link(sync_token="tok"), privacy=subset))
        assert stores.links.list_links(ALICE.uid) == [written]
        info = ResyncInfo(ResyncState.DONE, requested_at=NOW, started_at=NOW, finished_at=NOW,
                          recreate_deleted=True, imported=2, checked=5, missing=1, recreated=1, error=None)
        uow = stores.unit_of_work()
        stores.links.stage_resync(uow, ALICE.uid, "Meeting", info)
        assert stores.links.list_links(ALICE.uid) == [written]  # staged, not applied
        uow.commit()
        assert stores.links.list_links(ALICE.uid) == [replace(written, resync=info)]
        uow = stores.unit_of_work()
        stores.links.stage_resync(uow, ALICE.uid, "Gone", info)
        with pytest.raises(MissingDocument):
            uow.commit()

    # --- pending revocations ---------------------------------------------------------------
    def test_a_pending_revocation_round_trips_per_user(self, stores: Stores) -> None:
        assert stores.revocations.list_pending(ALICE.uid) == []
        uow = stores.unit_of_work()
        stores.revocations.stage_pending(uow, pending())
        stores.revocations.stage_pending(uow, pending("refresh-bob", uid=BOB.uid))
        assert stores.revocations.list_pending(ALICE.uid) == []  # staged, not applied
        uow.commit()
        assert stores.revocations.list_pending(ALICE.uid) == [pending()]
        assert stores.revocations.list_pending(BOB.uid) == [pending("refresh-bob", uid=BOB.uid)]

    def test_a_pending_revocation_needs_a_token(self, stores: Stores) -> None:
        with pytest.raises(ValueError, match="token"):
            stores.revocations.stage_pending(stores.unit_of_work(), replace(pending(), refresh_token=None))

    def test_due_revocations_across_users_most_overdue_first_and_bounded(self, stores: Stores) -> None:
        connected(stores)  # the user's own tokens live beside them and are never due
        uow = stores.unit_of_work()
        stores.revocations.stage_pending(uow, pending("a", due_in=timedelta(minutes=-5)))
        stores.revocations.stage_pending(uow, pending("b", uid=BOB.uid, due_in=timedelta(minutes=-30)))
        stores.revocations.stage_pending(uow, pending("c", due_in=timedelta(minutes=30)))
        uow.commit()
        assert [r.refresh_token for r in stores.revocations.list_due(NOW, 10)] == ["b", "a"]
        assert [(r.uid, r.refresh_token) for r in stores.revocations.list_due(NOW, 1)] == [(BOB.uid, "b")]
        assert [r.refresh_token for r in stores.revocations.list_due(NOW + timedelta(hours=1), 10)] == [
            "b", "a", "c"]

    def test_a_failed_attempt_is_recorded_and_a_confirmed_one_deleted(self, stores: Stores) -> None:
        uow = stores.unit_of_work()
        stores.revocations.stage_pending(uow, pending())
        uow.commit()
        later, retry_at = NOW + timedelta(minutes=15), NOW + timedelta(minutes=45)
        revocation = revocation_id("refresh-old")
        stores.revocations.record_failed_attempt(ALICE.uid, revocation, 2, "503 again", later, retry_at)
        (kept,) = stores.revocations.list_pending(ALICE.uid)
        assert (kept.attempts, kept.last_error, kept.last_attempt_at, kept.next_attempt_at) == (
            2, "503 again", later, retry_at)
        assert (kept.refresh_token, kept.created_at, kept.google_email) == ("refresh-old", NOW, "alice@example.com")
        stores.revocations.delete(ALICE.uid, kept.id)
        assert stores.revocations.list_pending(ALICE.uid) == []
        with pytest.raises(MissingDocument):
            stores.revocations.record_failed_attempt(ALICE.uid, kept.id, 3, "x", later, retry_at)
        stores.revocations.delete(ALICE.uid, kept.id)  # deleting again is fine

    def test_disconnect_keeps_the_pending_revocation_in_the_same_unit_of_work(self, stores: Stores) -> None:
        connected(stores)
        uow = stores.unit_of_work()
        stores.users.stage_disconnected(uow, ALICE.uid, NOW)
        stores.revocations.stage_pending(uow, pending("refresh-1"))
        stores.links.stage_sync_cleared(uow, ALICE.uid, ["NoSuchLink"], NOW)
        with pytest.raises(MissingDocument):
            uow.commit()
        assert stores.revocations.list_pending(ALICE.uid) == []
        assert stores.users.get_secrets(ALICE.uid) is not None
        uow = stores.unit_of_work()
        stores.users.stage_disconnected(uow, ALICE.uid, NOW)
        stores.revocations.stage_pending(uow, pending("refresh-1"))
        uow.commit()
        assert stores.users.get_secrets(ALICE.uid) is None
        assert [r.refresh_token for r in stores.revocations.list_pending(ALICE.uid)] == ["refresh-1"]
        uow = stores.unit_of_work()
        stores.revocations.stage_deleted(uow, ALICE.uid, [revocation_id("refresh-1")])
        uow.commit()
        assert stores.revocations.list_pending(ALICE.uid) == []

    # --- channels ------------------------------------------------------------------------
    def test_channels_round_trip(self, stores: Stores) -> None:
        assert stores.channels.get_channel("chan-1") is None
        assert stores.channels.resource_id("chan-1") is None
        stores.channels.save_channel(channel())
        assert stores.channels.get_channel("chan-1") == channel()
        assert stores.channels.resource_id("chan-1") == "res-1"

    def test_channel_debounce_marker_is_claimed_once_until_cleared_or_stale(self, stores: Stores) -> None:
        assert stores.channels.claim_import("chan-1", NOW, NOW - timedelta(minutes=15)) is False  # unknown
        stores.channels.save_channel(channel())
        assert stores.channels.claim_import("chan-1", NOW, NOW - timedelta(minutes=15)) is True
        assert stores.channels.get_channel("chan-1").import_queued_at == NOW
        assert stores.channels.get_channel("chan-1").notified_at == NOW
        later = NOW + timedelta(seconds=5)
        assert stores.channels.claim_import("chan-1", later, later - timedelta(minutes=15)) is False
        coalesced = stores.channels.get_channel("chan-1")  # still the first import's marker, the latest notice
        assert (coalesced.import_queued_at, coalesced.notified_at) == (NOW, later)
        stores.channels.clear_import_claim("chan-1")
        assert stores.channels.get_channel("chan-1").import_queued_at is None
        assert stores.channels.claim_import("chan-1", later, later - timedelta(minutes=15)) is True
        much_later = NOW + timedelta(minutes=20)  # the queued task was lost: a new one may go
        assert stores.channels.claim_import("chan-1", much_later, much_later - timedelta(minutes=15)) is True
        stores.channels.clear_import_claim("unknown")  # no error
        record = stores.channels.get_channel("chan-1")
        assert (record.uid, record.token_hash, record.resource_id) == (ALICE.uid, "hash", "res-1")

    def test_a_retired_channel_is_kept_but_no_longer_listed_for_its_user(self, stores: Stores) -> None:
        stores.channels.retire_channel("unknown", NOW)  # no error, nothing written
        assert stores.channels.get_channel("unknown") is None
        stores.channels.save_channel(channel("chan-1"))
        stores.channels.save_channel(channel("chan-2"))
        assert stores.channels.claim_import("chan-1", NOW, NOW - timedelta(minutes=15)) is True
        stores.channels.retire_channel("chan-1", NOW)
        retired = stores.channels.get_channel("chan-1")
        assert retired == replace(channel("chan-1"), retired_at=NOW, notified_at=NOW)  # uid, resource, hash kept
        assert stores.channels.resource_id("chan-1") == "res-1"
        assert [c.channel_id for c in stores.channels.list_for_user(ALICE.uid)] == ["chan-2"]
        expiring = stores.channels.list_expiring(NOW + timedelta(days=8), 10)  # renewal sees (and drops) tombstones
        assert sorted(c.channel_id for c in expiring) == ["chan-1", "chan-2"]
        stores.channels.delete_channel("chan-1")
        assert stores.channels.get_channel("chan-1") is None

    def test_channels_by_user_and_by_expiry(self, stores: Stores) -> None:
        for i, days in enumerate((3, 1, 9)):
            stores.channels.save_channel(replace(channel(f"chan-{i}"), expires_at=NOW + timedelta(days=days)))
        stores.channels.save_channel(replace(channel("chan-bob", uid=BOB.uid), expires_at=NOW + timedelta(hours=1)))
        soon = stores.channels.list_expiring(NOW + timedelta(days=4), 10)
        assert [c.channel_id for c in soon] == ["chan-bob", "chan-1", "chan-0"]
        first_two = stores.channels.list_expiring(NOW + timedelta(days=4), 2)
        assert [c.channel_id for c in first_two] == ["chan-bob", "chan-1"]
        assert sorted(c.channel_id for c in stores.channels.list_for_user(ALICE.uid)) == ["chan-0", "chan-1", "chan-2"]
        stores.channels.delete_channel("chan-1")
        stores.channels.delete_channel("chan-1")  # already gone: no error
        assert sorted(c.channel_id for c in stores.channels.list_for_user(ALICE.uid)) == ["chan-0", "chan-2"]
        pending = replace(channel("chan-pending"), resource_id="")  # saved before Google answered the watch
        stores.channels.save_channel(pending)
        assert stores.channels.resource_id("chan-pending") is None
        assert stores.channels.get_channel("chan-pending") == pending

    def test_update_channel_writes_only_channel_fields_and_only_on_the_same_calendar(self, stores: Stores) -> None:
        stores.links.put_link_checked(ALICE.uid, "Meeting", lambda current: link(sync_token="tok", import_=True))
        expiry = NOW + timedelta(days=7)
        written = stores.links.update_channel(
            ALICE.uid, "Meeting", "crm@group.calendar.google.com",
            lambda cur: replace(cur, channel_id="chan-1", channel_expiry=expiry, channel_error=None,
                                next_poll_at=NOW + timedelta(hours=6), sync_token="IGNORED", export=False))
        (stored,) = stores.links.list_links(ALICE.uid)
        assert stored == written
        assert (stored.channel_id, stored.channel_expiry, stored.next_poll_at) == ("chan-1", expiry,
                                                                                   NOW + timedelta(hours=6))
        assert (stored.sync_token, stored.export) == ("tok", True)  # not channel fields: untouched
        assert stores.links.update_channel(ALICE.uid, "Meeting", "other@group.calendar.google.com",
                                           lambda cur: replace(cur, channel_id=None)) is None
        assert stores.links.update_channel(ALICE.uid, "Call", "crm@group.calendar.google.com",
                                           lambda cur: replace(cur, channel_id=None)) is None
        assert stores.links.list_links(ALICE.uid)[0].channel_id == "chan-1"
        uow = stores.unit_of_work()
        stores.links.stage_sync_cleared(uow, ALICE.uid, ["Meeting"], NOW, {"Meeting": NOW})
        uow.commit()
        (cleared,) = stores.links.list_links(ALICE.uid)
        assert (cleared.channel_id, cleared.channel_expiry, cleared.channel_error, cleared.next_poll_at) == (
            None, None, None, NOW)

    # --- OAuth states -------------------------------------------------------------------
    def test_a_state_is_consumed_once(self, stores: Stores) -> None:
        state = new_oauth_state(ALICE.uid, "v" * 43, "nonce", NOW)
        stores.oauth_states.create_state(state)
        first, refusal = stores.oauth_states.consume_state(state.state, NOW)
        assert (first, refusal) == (state, None)
        again, refusal = stores.oauth_states.consume_state(state.state, NOW)
        assert again is not None and again.used
        assert refusal == INVALID_STATE

    def test_an_expired_or_unknown_or_malformed_state_is_refused(self, stores: Stores) -> None:
        state = new_oauth_state(ALICE.uid, "v" * 43, "nonce", NOW)
        stores.oauth_states.create_state(state)
        assert stores.oauth_states.consume_state(state.state, state.expires_at)[1] == EXPIRED_STATE
        assert stores.oauth_states.consume_state("x" * 40, NOW) == (None, INVALID_STATE)
        assert stores.oauth_states.consume_state("../users/x", NOW) == (None, INVALID_STATE)

    def test_a_state_cannot_be_created_twice(self, stores: Stores) -> None:
        state = new_oauth_state(ALICE.uid, "v" * 43, "nonce", NOW)
        stores.oauth_states.create_state(state)
        other = OAuthState(state.state, BOB.uid, "w" * 43, "other", NOW, NOW + timedelta(minutes=5))
        with pytest.raises(AlreadyExists):
            stores.oauth_states.create_state(other)
        assert stores.oauth_states.consume_state(state.state, NOW)[0].uid == ALICE.uid

    # --- the unit of work ---------------------------------------------------------------
    def test_disconnect_writes_land_together_at_commit(self, stores: Stores) -> None:
        connected(stores)
        stores.links.put_link_checked(
            ALICE.uid, "Meeting", lambda current: link(sync_token="tok", channel_id="chan-1", channel_expiry=NOW))
        stores.channels.save_channel(channel())
        uow = stores.unit_of_work()
        stores.users.stage_disconnected(uow, ALICE.uid, NOW)
        stores.links.stage_sync_cleared(uow, ALICE.uid, ["Meeting"], NOW)
        stores.channels.stage_deleted(uow, ["chan-1"])
        assert stores.users.get_user(ALICE.uid).connection.status == CONNECTED  # staged, not applied
        assert stores.channels.get_channel("chan-1") is not None
        uow.commit()
        user = stores.users.get_user(ALICE.uid)
        assert user.connection.status == DISCONNECTED
        assert user.connection.google_email is None
        assert stores.users.get_secrets(ALICE.uid) is None
        (kept,) = stores.links.list_links(ALICE.uid)
        assert (kept.calendar_id, kept.export) == ("crm@group.calendar.google.com", True)
        assert (kept.sync_token, kept.channel_id, kept.channel_expiry) == (None, None, None)
        assert stores.channels.get_channel("chan-1") is None

    def test_disconnect_forgets_a_failed_calendar_read(self, stores: Stores) -> None:
        stores.users.ensure_user(ALICE, NOW)
        save_connection(stores, ALICE.uid, tokens(), None, None, calendars_error="503")
        uow = stores.unit_of_work()
        stores.users.stage_disconnected(uow, ALICE.uid, NOW)
        uow.commit()
        user = stores.users.get_user(ALICE.uid)
        assert (user.connection.status, user.calendars_error, user.calendars_error_at) == (DISCONNECTED, None, None)

    def test_a_failing_unit_of_work_applies_nothing(self, stores: Stores) -> None:
        connected(stores)
        stores.channels.save_channel(channel())
        uow = stores.unit_of_work()
        stores.users.stage_disconnected(uow, ALICE.uid, NOW)
        stores.channels.stage_deleted(uow, ["chan-1"])
        stores.links.stage_sync_cleared(uow, ALICE.uid, ["NoSuchLink"], NOW)
        with pytest.raises(MissingDocument):
            uow.commit()
        assert stores.users.get_user(ALICE.uid).connection.status == CONNECTED
        assert stores.users.get_secrets(ALICE.uid) is not None
        assert stores.channels.get_channel("chan-1") is not None

    def test_a_unit_of_work_commits_once(self, stores: Stores) -> None:
        uow = stores.unit_of_work()
        stores.channels.stage_deleted(uow, ["chan-1"])
        uow.commit()
        with pytest.raises(UnitOfWorkError):
            uow.commit()

    def test_an_empty_unit_of_work_commits(self, stores: Stores) -> None:
        stores.unit_of_work().commit()


class TestFirestoreStores(StoreContract):
    @pytest.fixture
    def stores(self, firestore_db) -> Stores:
        from functions.store.firestore_stores import FirestoreStores

        return FirestoreStores(firestore_db)

    def test_a_store_refuses_another_backends_unit_of_work(self, stores: Stores) -> None:
        from functions.store.memory import InMemoryStores

        with pytest.raises(UnitOfWorkError):
            stores.channels.stage_deleted(InMemoryStores().unit_of_work(), ["chan-1"])


class TestInMemoryStores(StoreContract):
    @pytest.fixture
    def stores(self) -> Stores:
        from functions.store.memory import InMemoryStores

        return InMemoryStores()
