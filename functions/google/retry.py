"""One retry policy for every call to Google: bounded attempts, exponential backoff with full
jitter, on the retryable typed errors only (429, 403 rate limits, 5xx, transport failures)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from functions.google.errors import GoogleError, is_retryable

T = TypeVar("T")


@dataclass
class RetryPolicy:
    """``call(fn)`` runs ``fn`` until it returns, raises a non-retryable GoogleError, or runs out of attempts.

    ``sleep`` is injectable so tests record the waits instead of sleeping.
    """

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 16.0
    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[float, float], float] = random.uniform

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait after failed attempt ``attempt`` (0-based): full jitter, capped; at least Retry-After."""
        ceiling = min(self.max_delay, self.base_delay * (2**attempt))
        delay = self.jitter(0, ceiling)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_delay))
        return delay

    def should_retry(self, error: GoogleError, attempt: int) -> bool:
        """Whether to try again after ``attempt`` (1-based) attempts ended in ``error``."""
        return is_retryable(error) and attempt < self.max_attempts

    def call(self, fn: Callable[[], T]) -> T:
        attempt = 0
        while True:
            try:
                return fn()
            except GoogleError as error:
                attempt += 1
                if not self.should_retry(error, attempt):
                    raise
                self.sleep(self.backoff(attempt - 1, error.retry_after))
