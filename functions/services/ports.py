"""What the services need besides the stores: Google clients and the clock, handed in by
``functions.bootstrap`` (the real ones) or by a test (others)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from functions.core import clock
from functions.core.models import AuthUser, GoogleClientSettings, GoogleSecrets, Identity, TokenSet
from functions.core.sync_task import SyncTask
from functions.google.calendar_port import CalendarApi
from functions.store.ports import Stores


class OAuthPort(Protocol):
    """One OAuth client (the admin's settings) at Google's token, consent and revoke endpoints."""

    def authorize_url(self, state: str, code_challenge: str) -> str: ...

    def exchange_code(self, code: str, code_verifier: str, now: datetime) -> TokenSet: ...

    def refresh(self, refresh_token: str, now: datetime) -> TokenSet: ...

    def revoke(self, token: str) -> bool: ...

    def check_client(self) -> None: ...

    def check_redirect_url(self) -> None: ...


class GoogleGateway(Protocol):
    """Builds the Google clients: OAuth from the admin's settings, Calendar from a user's tokens."""

    def oauth(self, client: GoogleClientSettings) -> OAuthPort: ...

    def calendar_api(
        self,
        secrets: GoogleSecrets,
        client: GoogleClientSettings,
        on_refresh: Callable[[TokenSet], None] | None = None,
    ) -> CalendarApi:
        """One session: the stored tokens read once, refreshed once on a 401 (``on_refresh`` gets the new ones)."""
        ...

    def calendar_api_for_tokens(self, tokens: TokenSet, client: GoogleClientSettings) -> CalendarApi: ...


class IdentityPort(Protocol):
    """Firebase Authentication: sign-in tokens, users, the admin claim (functions/identity/)."""

    def verify_id_token(self, token: str) -> Identity: ...

    def get_user(self, uid: str) -> AuthUser: ...

    def get_user_by_email(self, email: str) -> AuthUser: ...

    def list_users(self) -> Iterable[AuthUser]: ...

    def set_admin_claim(self, uid: str, admin: bool) -> None: ...


class TaskQueue(Protocol):
    """Where per-user sync work goes (Pub/Sub topic ``CALBRIDGE_SYNC_TOPIC``; ``sync_worker`` takes it)."""

    def publish(self, task: SyncTask) -> None: ...


@dataclass(frozen=True)
class Adapters:
    """Everything with I/O that the services use."""

    stores: Stores
    google: GoogleGateway
    now: Callable[[], datetime] = clock.now
    identity: IdentityPort | None = None  # only the admin use cases and sign-in need it
    queue: TaskQueue | None = None  # per-user work (fan-out, push, resync); None = run work inline
    push_address: str | None = None  # the calendar_webhook URL Google notifies; None = no push channels
