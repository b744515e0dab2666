"""The one RetryPolicy: full-jitter backoff, bounded attempts, retryable typed errors only."""

from __future__ import annotations

import pytest

from functions.google import errors
from functions.google.retry import RetryPolicy


def failing(*outcomes: object):
    calls: list[int] = []

    def fn() -> object:
        calls.append(1)
        outcome = outcomes[len(calls) - 1]
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    return fn, calls


def policy(max_attempts: int = 5) -> tuple[RetryPolicy, list[float]]:
    sleeps: list[float] = []
    return RetryPolicy(max_attempts=max_attempts, sleep=sleeps.append, jitter=lambda lo, hi: hi), sleeps


def test_retryable_errors_are_retried_with_doubling_capped_waits() -> None:
    retry, sleeps = policy(max_attempts=8)
    retry.max_delay = 3.0
    fn, calls = failing(errors.RateLimited("429", 429), errors.ServerError("503", 503),
                        errors.TransportError("refused"), errors.ServerError("500", 500), "ok")
    assert retry.call(fn) == "ok"
    assert len(calls) == 5 and sleeps == [0.5, 1.0, 2.0, 3.0]


def test_attempts_are_bounded() -> None:
    retry, sleeps = policy(max_attempts=3)
    fn, calls = failing(*[errors.ServerError("500", 500)] * 5)
    with pytest.raises(errors.ServerError):
        retry.call(fn)
    assert len(calls) == 3 and len(sleeps) == 2


@pytest.mark.parametrize("error", [errors.PreconditionFailed("412", 412), errors.InvalidGrant("x"),
                                   errors.InvalidSyncToken("410", 410), errors.Conflict("409", 409)])
def test_other_errors_are_raised_at_once(error: errors.GoogleError) -> None:
    retry, sleeps = policy()
    fn, calls = failing(error)
    with pytest.raises(type(error)):
        retry.call(fn)
    assert (len(calls), sleeps) == (1, [])


def test_full_jitter_stays_under_the_ceiling_and_retry_after_is_a_floor() -> None:
    retry = RetryPolicy(base_delay=0.5, max_delay=16.0)
    assert all(0 <= retry.backoff(3) <= 4.0 for _ in range(200))
    assert retry.backoff(0, retry_after=5) >= 5
    assert retry.backoff(0, retry_after=60) <= 16.0
