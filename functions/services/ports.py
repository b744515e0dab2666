"""What the services need besides the stores: Google clients and the clock, handed in by
``functions.bootstrap`` (the real ones) or by a test (others)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from functions.core import clock
from functions.core.models import CalendarEntry, GoogleClientSettings, TokenSet
from functions.store.ports import Stores


class OAuthPort(Protocol):
    """One OAuth client (the admin's settings) at Google's token, consent and revoke endpoints."""

    def authorize_url(self, state: str, code_challenge: str) -> str: ...

    def exchange_code(self, code: str, code_verifier: str, now: datetime) -> TokenSet: ...

    def refresh(self, refresh_token: str, now: datetime) -> TokenSet: ...

    def revoke(self, token: str) -> bool: ...

    def check_client(self) -> None: ...

    def check_redirect_url(self) -> None: ...


class CalendarListPort(Protocol):
    """The Calendar calls the settings need, with one access token."""

    def list_calendars(self) -> list[CalendarEntry]: ...

    def stop_channel(self, channel_id: str, resource_id: str) -> None: ...


class GoogleGateway(Protocol):
    """Builds the Google clients from the admin's settings and a user's access token."""

    def oauth(self, client: GoogleClientSettings) -> OAuthPort: ...

    def calendar(self, access_token: str) -> CalendarListPort: ...


@dataclass(frozen=True)
class Adapters:
    """Everything with I/O that the services use."""

    stores: Stores
    google: GoogleGateway
    now: Callable[[], datetime] = clock.now
