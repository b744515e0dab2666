"""One user's Google session for one run: google-auth credentials built once from the stored
tokens, refreshed once on a 401 (or when expired), with ``on_refresh`` told the new tokens.

google-auth and httplib2 are imported on first use (cold starts), never at module import.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from functions.core.models import GoogleClientSettings, GoogleSecrets, TokenSet
from functions.google.errors import InvalidClient, InvalidGrant

if TYPE_CHECKING:
    from google.auth.transport import Request
    from google.oauth2.credentials import Credentials

DEFAULT_TIMEOUT = 30.0
TokenListener = Callable[[TokenSet], None]


class GoogleSession:
    """The credentials, the raw HTTP transport (``httplib2.Http`` or compatible) and the token endpoint's
    transport (a ``google.auth.transport.Request``) of one user. Build with :meth:`from_tokens` or
    :meth:`from_secrets`; hand ``authorized_http()`` to google-api-python-client.
    """

    def __init__(
        self,
        credentials: Credentials,
        transport: Any,
        auth_request: Request,
        on_refresh: TokenListener | None = None,
    ) -> None:
        self.credentials = credentials
        self.transport = transport
        self.auth_request = auth_request
        self.on_refresh = on_refresh
        self.refresh_count = 0
        self._authorized: AuthorizedTransport | None = None

    @classmethod
    def from_tokens(
        cls,
        *,
        refresh_token: str,
        client_id: str,
        client_secret: str,
        token_uri: str,
        access_token: str | None = None,
        expires_at: datetime | None = None,
        on_refresh: TokenListener | None = None,
        transport: Any = None,
        auth_request: Request | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> GoogleSession:
        """A session from stored tokens. ``token_uri`` is the configured token endpoint (never Google's default)."""
        import google_auth_httplib2
        import httplib2
        from google.oauth2.credentials import Credentials

        if transport is None:
            transport = httplib2.Http(timeout=timeout)
        if auth_request is None:
            auth_request = google_auth_httplib2.Request(transport)
        credentials = Credentials(
            token=access_token,
            refresh_token=refresh_token,
            client_id=client_id,
            client_secret=client_secret,
            token_uri=token_uri,
            expiry=_naive_utc(expires_at),
        )
        return cls(credentials, transport, auth_request, on_refresh)

    @classmethod
    def from_secrets(
        cls,
        secrets: GoogleSecrets,
        client: GoogleClientSettings,
        *,
        token_uri: str | None = None,
        on_refresh: TokenListener | None = None,
        transport: Any = None,
        auth_request: Request | None = None,
    ) -> GoogleSession:
        """A session from ``users/{uid}/secrets/google`` and the admin's client settings (one token read).

        Raises InvalidGrant without a refresh token, InvalidClient without client settings.
        """
        if not secrets.refresh_token:
            raise InvalidGrant("no usable refresh token is stored", None, "invalid_grant")
        if not client.client_id or not client.client_secret:
            raise InvalidClient("the Google client settings are incomplete", None, "invalid_client")
        if token_uri is None:
            from functions.config import get_settings

            token_uri = get_settings().oauth_token_url
        return cls.from_tokens(
            refresh_token=secrets.refresh_token,
            client_id=client.client_id,
            client_secret=client.client_secret,
            token_uri=token_uri,
            access_token=secrets.access_token,
            expires_at=secrets.access_token_expiry,
            on_refresh=on_refresh,
            transport=transport,
            auth_request=auth_request,
        )

    @property
    def access_token(self) -> str | None:
        return self.credentials.token

    def authorized_http(self) -> AuthorizedTransport:
        """The httplib2-compatible object that signs requests and refreshes once on a 401."""
        if self._authorized is None:
            self._authorized = AuthorizedTransport(self)
        return self._authorized

    def ensure_valid(self) -> None:
        """Refresh now if there is no access token or it expires within google-auth's margin."""
        from google.auth.credentials import TokenState

        if self.credentials.token_state != TokenState.FRESH:
            self.refresh()

    def refresh(self) -> TokenSet:
        """A new access token from the token endpoint; ``on_refresh`` gets it. Raises InvalidGrant,
        InvalidClient, OAuthError, ServerError or TransportError."""
        from functions.google.library_errors import LIBRARY_ERRORS, typed_error

        try:
            self.credentials.refresh(self.auth_request)
        except LIBRARY_ERRORS as exc:
            raise typed_error(exc) from exc
        self.refresh_count += 1
        tokens = self.token_set()
        if self.on_refresh is not None:
            self.on_refresh(tokens)
        return tokens

    def token_set(self) -> TokenSet:
        """The current tokens (the refresh token included) as a TokenSet."""
        expiry = self.credentials.expiry
        expires_at = expiry.replace(tzinfo=UTC) if expiry else datetime.now(UTC) + timedelta(hours=1)
        return TokenSet(
            access_token=self.credentials.token or "",
            expires_at=expires_at,
            refresh_token=self.credentials.refresh_token,
            scopes=tuple(self.credentials.granted_scopes or ()),
        )


class AuthorizedTransport:
    """Like ``google_auth_httplib2.AuthorizedHttp``: adds the bearer token, refreshes when expired, and on a
    401 refreshes once and sends again. Refreshes go through the session (one path, ``on_refresh`` called).

    It deliberately has no ``credentials`` attribute: google-api-python-client's batch would otherwise refresh
    per failed part over a fresh socket ``httplib2.Http``; the Calendar adapter handles 401 parts itself.
    """

    def __init__(self, session: GoogleSession) -> None:
        self.session = session

    def request(
        self,
        uri: str,
        method: str = "GET",
        body: Any = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> tuple[Any, bytes]:
        self.session.ensure_valid()
        response, content = self._send(uri, method, body, headers, kwargs)
        if int(response.status) == 401:
            self.session.refresh()
            response, content = self._send(uri, method, body, headers, kwargs)
        return response, content

    def _send(
        self, uri: str, method: str, body: Any, headers: dict[str, str] | None, kwargs: dict[str, Any]
    ) -> tuple[Any, bytes]:
        signed = dict(headers or {})
        self.session.credentials.apply(signed)
        return self.session.transport.request(uri, method=method, body=body, headers=signed, **kwargs)


def _naive_utc(value: datetime | None) -> datetime | None:
    """google-auth compares expiry with a naive UTC now."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)
