"""The use cases over the fast adapters: in-memory stores and the sandbox in-process (the same
google-api-python-client and google-auth, no socket). Proves the wiring seam: nothing here needs
an emulator, a port or a module global, and the services behave as over Firestore and HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from functions.bootstrap import Services, build_services
from functions.core.models import CONNECTED, DISCONNECTED, NEEDS_REAUTH, GoogleClientSettings, Identity, Link
from functions.google.gateway import in_process_gateway
from functions.services.errors import CalendarInUse, NeedsReauth, NotConfigured, UnknownCalendar
from functions.services.ports import Adapters
from functions.store.memory import InMemoryStores
from sandbox.inprocess import InProcessSandbox
from tests.support.consent import consent, query_of

CLIENT_ID = "123456789012-fast.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-fast-secret"
REDIRECT = "https://calbridge.example/oauth_callback"
ALICE = Identity(uid="alice-uid", email="alice@example.com", admin=False)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def sandbox() -> InProcessSandbox:
    sandbox = InProcessSandbox()
    control = sandbox.control()
    control.create_oauth_client(CLIENT_ID, CLIENT_SECRET, [REDIRECT])
    control.create_account(ALICE.email or "", "Alice", time_zone="Europe/Madrid")
    control.create_calendar(ALICE.email or "", "CRM Meetings")
    control.create_calendar(ALICE.email or "", "CRM Calls")
    return sandbox


@pytest.fixture
def stores() -> InMemoryStores:
    stores = InMemoryStores()
    stores.config.save_google_settings(GoogleClientSettings("AIza-key", CLIENT_ID, CLIENT_SECRET, REDIRECT))
    return stores


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def services(stores: InMemoryStores, sandbox: InProcessSandbox, clock: Clock) -> Iterator[Services]:
    yield build_services(Adapters(stores=stores, google=in_process_gateway(sandbox), now=clock))


def connect(services: Services, sandbox: InProcessSandbox, identity: Identity = ALICE) -> str | None:
    started = services.connect.start(identity)
    back = consent(sandbox.requests_session(), started.authorize_url, identity.email or "")
    return services.connect.finish(query_of(back), started.browser_nonce)


def calendar_id(services: Services, summary: str) -> str:
    user = services.status.me(ALICE)
    return next(c.id for c in user.calendars if c.summary == summary)


def test_connect_reads_the_calendar_list_and_keeps_the_tokens(services: Services, sandbox, stores) -> None:
    assert connect(services, sandbox) is None
    user = stores.users.get_user(ALICE.uid)
    assert user.connection.status == CONNECTED
    assert user.connection.google_email == ALICE.email
    assert {c.summary for c in user.calendars} == {"Alice", "CRM Meetings", "CRM Calls"}
    assert {c.time_zone for c in user.calendars} == {"Europe/Madrid"}
    assert stores.users.get_secrets(ALICE.uid).refresh_token


def test_connect_needs_the_admins_settings_first(sandbox, clock) -> None:
    services = build_services(Adapters(stores=InMemoryStores(), google=in_process_gateway(sandbox), now=clock))
    with pytest.raises(NotConfigured):
        services.connect.start(ALICE)


def test_links_refuse_a_calendar_in_use_and_one_not_in_the_list(services: Services, sandbox) -> None:
    connect(services, sandbox)
    meetings = calendar_id(services, "CRM Meetings")
    link = services.links.put_link(ALICE, "Meeting", {"calendar_id": meetings, "export": True})
    assert (link.calendar_id, link.export) == (meetings, True)
    with pytest.raises(CalendarInUse):
        services.links.put_link(ALICE, "Call", {"calendar_id": meetings, "export": True})
    with pytest.raises(UnknownCalendar):
        services.links.put_link(ALICE, "Call", {"calendar_id": "someone-else@example.com", "export": True})


def test_an_expired_access_token_is_refreshed_once_and_saved(services: Services, sandbox, stores, clock) -> None:
    connect(services, sandbox)
    before = stores.users.get_secrets(ALICE.uid)
    sandbox.control().expire_access_tokens(ALICE.email)
    clock.now += timedelta(minutes=5)
    sandbox.control().clear_request_log()
    services.connect.refresh_calendars(ALICE)
    after = stores.users.get_secrets(ALICE.uid)
    assert after.access_token != before.access_token
    assert after.refresh_token == before.refresh_token
    assert sandbox.control().request_counts().get("oauth.token", 0) == 1


def test_a_revoked_grant_turns_the_user_needs_reauth(services: Services, sandbox, stores) -> None:
    connect(services, sandbox)
    sandbox.control().revoke_grant(ALICE.email, CLIENT_ID)
    with pytest.raises(NeedsReauth):
        services.connect.refresh_calendars(ALICE)
    assert stores.users.get_user(ALICE.uid).connection.status == NEEDS_REAUTH


def test_disconnect_revokes_clears_the_secrets_and_keeps_the_links(services: Services, sandbox, stores) -> None:
    connect(services, sandbox)
    services.links.put_link(ALICE, "Meeting", {"calendar_id": calendar_id(services, "CRM Meetings"), "export": True})
    done = services.connect.disconnect(ALICE)
    assert done.revoked
    assert done.connection.status == DISCONNECTED
    assert stores.users.get_secrets(ALICE.uid) is None
    assert [lk.activity_type for lk in stores.links.list_links(ALICE.uid)] == ["Meeting"]


def unlinked_after_the_first_read(monkeypatch: pytest.MonkeyPatch, stores: InMemoryStores, activity_type: str) -> None:
    """The user unlinks ``activity_type`` (another tab) right after the service's first read of their links."""
    read = stores.links.list_links
    done: list[bool] = []

    def list_links(uid: str) -> list[Link]:
        links = read(uid)
        if not done:
            done.append(True)
            assert stores.links.delete_link(uid, activity_type) is not None
        return links

    monkeypatch.setattr(stores.links, "list_links", list_links)


def linked_with_a_vanished_calendar(services: Services, sandbox, stores) -> None:  # noqa: ANN001
    assert connect(services, sandbox) is None
    services.links.put_link(ALICE, "Meeting", {"calendar_id": calendar_id(services, "CRM Meetings"), "import": True})
    stores.links.put_link_checked(  # its calendar is no longer in Google's list: the next read pauses it
        ALICE.uid, "Call", lambda current: Link("Call", "deleted@group.calendar.google.com", "Old", export=True))


@pytest.mark.parametrize("action", ["refresh", "reconnect", "disconnect"])
def test_a_link_removed_while_its_pause_is_written_is_left_alone(
    services: Services, sandbox, stores, monkeypatch: pytest.MonkeyPatch, action: str  # noqa: ANN001
) -> None:
    linked_with_a_vanished_calendar(services, sandbox, stores)
    unlinked_after_the_first_read(monkeypatch, stores, "Call")

    if action == "refresh":
        services.connect.refresh_calendars(ALICE)
    elif action == "reconnect":
        assert connect(services, sandbox) is None
    else:
        services.connect.disconnect(ALICE)

    assert [lk.activity_type for lk in stores.links.list_links(ALICE.uid)] == ["Meeting"]  # not recreated
    status = stores.users.get_user(ALICE.uid).connection.status
    assert status == (DISCONNECTED if action == "disconnect" else CONNECTED)
