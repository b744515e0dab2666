"""HTTP to Google with bounded retries (exponential backoff, full jitter) on 429, 403 rate
limits, 5xx and connection failures; any other failure is raised at once, typed."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from functions.google.errors import GoogleError, TransportError, error_from_response, is_retryable

DEFAULT_TIMEOUT = 30.0


@dataclass
class GoogleHttp:
    """A requests session plus the retry policy."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 16.0
    timeout: float = DEFAULT_TIMEOUT
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session = field(default_factory=requests.Session)

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt ``attempt + 1`` (full jitter, capped)."""
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        delay = random.uniform(0, ceiling)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_delay))
        return delay

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """The response (status < 400), or the typed GoogleError after the retries."""
        kwargs.setdefault("timeout", self.timeout)
        attempt = 0
        while True:
            try:
                response = self.session.request(method, url, **kwargs)
            except requests.RequestException as exc:
                error: GoogleError = TransportError(f"could not reach Google ({type(exc).__name__}): {exc}")
                retry_after = None
            else:
                if response.status_code < 400:
                    return response
                error = error_from_response(response)
                retry_after = _retry_after(response)
            attempt += 1
            if not is_retryable(error) or attempt >= self.max_attempts:
                raise error
            self.sleep(self.backoff(attempt - 1, retry_after))


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value and value.isdigit():
        return float(value)
    return None


_default: GoogleHttp | None = None


def default_http() -> GoogleHttp:
    """The process-wide client (built on first use)."""
    global _default
    if _default is None:
        _default = GoogleHttp()
    return _default
