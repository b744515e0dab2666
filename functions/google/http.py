"""HTTP to Google over requests (the OAuth endpoints), with the shared RetryPolicy: bounded
retries with full-jitter backoff on 429, 403 rate limits, 5xx and connection failures; any
other failure is raised at once, typed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from functions.google.errors import TransportError, error_from_response
from functions.google.retry import RetryPolicy

DEFAULT_TIMEOUT = 30.0


@dataclass
class GoogleHttp:
    """A requests session plus the retry policy."""

    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float = DEFAULT_TIMEOUT
    session: requests.Session = field(default_factory=requests.Session)

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """The response (status < 400), or the typed GoogleError after the retries."""
        kwargs.setdefault("timeout", self.timeout)
        return self.retry.call(lambda: self._once(method, url, kwargs))

    def _once(self, method: str, url: str, kwargs: dict[str, Any]) -> requests.Response:
        try:
            response = self.session.request(method, url, **kwargs)
        except requests.RequestException as exc:
            raise TransportError(f"could not reach Google ({type(exc).__name__}): {exc}") from exc
        if response.status_code >= 400:
            raise error_from_response(response)
        return response


_default: GoogleHttp | None = None


def default_http() -> GoogleHttp:
    """The process-wide client (built on first use)."""
    global _default
    if _default is None:
        _default = GoogleHttp()
    return _default
