"""Typed client for the sandbox control API (``/_sandbox/``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

import requests


class SandboxError(RuntimeError):
    """A control call failed; ``status`` and ``body`` hold the answer."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"sandbox control call failed: {status} {body}")
        self.status = status
        self.body = body


def _q(value: str) -> str:
    return quote(value, safe="")


class SandboxControl:
    """One method per control endpoint. ``base_url`` like ``http://127.0.0.1:PORT/``."""

    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout
        self.session = requests.Session()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        resp = self.session.request(method, self.base_url + "_sandbox/" + path, json=body, timeout=self.timeout)
        try:
            data = resp.json()
        except ValueError:
            data = resp.text
        if resp.status_code >= 400:
            raise SandboxError(resp.status_code, data)
        return data

    # ------------------------------------------------------------ lifecycle
    def health(self) -> dict[str, Any]:
        return self._call("GET", "health")

    def reset(self) -> None:
        """Wipe accounts, calendars, events, clients, tokens, channels, faults and the log."""
        self._call("POST", "reset")

    def configure(
        self,
        push_retry_base_seconds: float | None = None,
        push_max_attempts: int | None = None,
        access_token_ttl: int | None = None,
        updated_min_horizon_days: float | None = None,
        push_supported: bool | None = None,
    ) -> dict[str, Any]:
        """Tune push retry backoff / attempts, the TTL of access tokens issued from now on, how
        far back ``updatedMin`` may reach (days; older answers 410 ``updatedMinTooLongAgo``), and whether
        any calendar accepts ``events.watch`` (False: all refuse it as Google's holiday calendars do; reset
        sets it back)."""
        body: dict[str, Any] = {}
        if push_supported is not None:
            body["push_supported"] = push_supported
        if push_retry_base_seconds is not None:
            body["push_retry_base_seconds"] = push_retry_base_seconds
        if push_max_attempts is not None:
            body["push_max_attempts"] = push_max_attempts
        if access_token_ttl is not None:
            body["access_token_ttl"] = access_token_ttl
        if updated_min_horizon_days is not None:
            body["updated_min_horizon_days"] = updated_min_horizon_days
        return self._call("POST", "config", body)

    # ------------------------------------------------------------ OAuth
    def create_oauth_client(self, client_id: str, client_secret: str, redirect_uris: list[str]) -> dict[str, Any]:
        return self._call(
            "POST",
            "oauth-clients",
            {"client_id": client_id, "client_secret": client_secret, "redirect_uris": redirect_uris},
        )

    def issue_access_token(self, email: str, client_id: str, scopes: list[str] | None = None) -> dict[str, Any]:
        """A grant made without the consent page: ``access_token``, ``refresh_token``, ``expires_in``, ``scope``."""
        return self._call("POST", "tokens", {"email": email, "client_id": client_id, "scopes": scopes})

    def revoke_grant(self, email: str, client_id: str) -> int:
        """Revoke every grant of email to client_id: refresh -> invalid_grant, access -> 401."""
        return self._call("POST", "revoke-grant", {"email": email, "client_id": client_id})["revoked"]

    def expire_access_tokens(self, email: str | None = None) -> int:
        return self._call("POST", "expire-access-tokens", {"email": email})["expired"]

    def consent_page_url(
        self,
        client_id: str,
        redirect_uri: str,
        scopes: list[str],
        state: str | None = None,
        access_type: str = "offline",
        prompt: str | None = "consent",
        code_challenge: str | None = None,
        code_challenge_method: str | None = None,
    ) -> str:
        params: dict[str, str] = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "access_type": access_type,
        }
        for k, v in (
            ("state", state),
            ("prompt", prompt),
            ("code_challenge", code_challenge),
            ("code_challenge_method", code_challenge_method),
        ):
            if v is not None:
                params[k] = v
        return self.base_url + "o/oauth2/v2/auth?" + urlencode(params)

    # ------------------------------------------------------------ accounts and calendars
    def create_account(self, email: str, name: str | None = None, time_zone: str | None = None) -> dict[str, Any]:
        """Create an account and its primary calendar (id = email) in ``time_zone`` (IANA name,
        default UTC): the account's zone, as on Google."""
        body: dict[str, Any] = {"email": email, "name": name}
        if time_zone is not None:
            body["time_zone"] = time_zone
        return self._call("POST", "accounts", body)

    def accounts(self) -> list[dict[str, Any]]:
        return self._call("GET", "accounts")

    def create_calendar(
        self, email: str, summary: str, time_zone: str | None = None, push_supported: bool = True
    ) -> dict[str, Any]:
        """A secondary calendar ``<random>@group.calendar.google.com`` in email's calendarList,
        in ``time_zone`` (default: the account's zone). ``push_supported=False``: ``events.watch`` on it
        answers 400 ``pushNotSupportedForRequestedResource``, as Google does for some calendars."""
        body: dict[str, Any] = {"summary": summary, "time_zone": time_zone}
        if not push_supported:
            body["push_supported"] = False
        return self._call("POST", f"accounts/{_q(email)}/calendars", body)

    # ------------------------------------------------------------ owner edits (as in Google's UI)
    def owner_insert_event(self, email: str, calendar_id: str, event: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", f"accounts/{_q(email)}/calendars/{_q(calendar_id)}/events", event)

    def owner_patch_event(self, email: str, calendar_id: str, event_id: str, patch: dict[str, Any]) -> dict[str, Any]:
        return self._call("PATCH", f"accounts/{_q(email)}/calendars/{_q(calendar_id)}/events/{_q(event_id)}", patch)

    def owner_delete_event(self, email: str, calendar_id: str, event_id: str) -> None:
        self._call("DELETE", f"accounts/{_q(email)}/calendars/{_q(calendar_id)}/events/{_q(event_id)}")

    def owner_get_event(self, email: str, calendar_id: str, event_id: str) -> dict[str, Any]:
        return self._call("GET", f"accounts/{_q(email)}/calendars/{_q(calendar_id)}/events/{_q(event_id)}")

    def owner_list_events(self, email: str, calendar_id: str) -> list[dict[str, Any]]:
        """Every stored event (parents, exceptions, tombstones), unexpanded."""
        return self._call("GET", f"accounts/{_q(email)}/calendars/{_q(calendar_id)}/events")

    def expire_sync_tokens(self, email: str | None = None, calendar_id: str | None = None) -> int:
        """Invalidate sync tokens (all, one account's, or one calendar's): next use answers 410."""
        return self._call("POST", "expire-sync-tokens", {"email": email, "calendar_id": calendar_id})["expired"]

    # ------------------------------------------------------------ faults
    def inject_fault(
        self,
        status: int | None = None,
        delay_seconds: float | None = None,
        count: int | None = None,
        rate: float | None = None,
        path_contains: str | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        """Next ``count`` (default 1) or a ``rate`` of Calendar calls answer ``status`` or wait ``delay_seconds``."""
        body = {
            "status": status,
            "delay_seconds": delay_seconds,
            "count": count,
            "rate": rate,
            "path_contains": path_contains,
            "reason": reason,
        }
        return self._call("POST", "faults", body)

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "faults")

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    # ------------------------------------------------------------ request log
    def request_log(self) -> list[dict[str, Any]]:
        """Entries ``{method, http_method, path, status, ts}``, oldest first."""
        return self._call("GET", "request-log")

    def request_counts(self) -> dict[str, int]:
        return self._call("GET", "request-counts")

    def clear_request_log(self) -> None:
        self._call("DELETE", "request-log")

    # ------------------------------------------------------------ push channels
    def channels(self) -> list[dict[str, Any]]:
        """Live (unexpired, unstopped) channels."""
        return self._call("GET", "channels")

    def expire_channels(self, channel_id: str | None = None) -> int:
        return self._call("POST", "expire-channels", {"channel_id": channel_id})["expired"]
