"""The latency bench's code path on the test stack, with two samples each way: it completes and reports every
figure (times are never asserted; ``python -m bench.latency`` prints them)."""

from __future__ import annotations

from typing import Any

from bench.latency import run

KEYS = {"samples", "google_to_crm_median_s", "google_to_crm_p95_s", "crm_to_google_median_s", "crm_to_google_p95_s"}


def test_the_bench_measures_both_directions(stack: Any, functions_url: str, pubsub_pump: Any,
                                            export_on_write: Any) -> None:
    lines: list[str] = []
    figures = run(stack, functions_url, 2, out=lines.append)
    assert set(figures) == KEYS and figures["samples"] == 2
    assert sum(line.startswith("google_to_crm  sample") for line in lines) == 2
    assert sum(line.startswith("crm_to_google  sample") for line in lines) == 2
    assert pubsub_pump.delivered >= 3  # the first import and two edits went through Pub/Sub and sync_worker
