"""The export bench's counts on a small run (times are never asserted): batched Google requests, one Calendar
call and one Firestore write per activity, one read per activity plus the run's few fixed reads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_bench_counts_meet_the_targets() -> None:
    result = subprocess.run([sys.executable, "-m", "bench.export", "--activities", "120"], cwd=REPO,
                            capture_output=True, text=True, timeout=600, check=True)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["synced"] == figures["google_events"] == figures["activities"] == 120
    assert figures["google_http_requests"] == 3  # 50 + 50 + 20 calls, no token refresh
    assert figures["calendar_api_calls"] == 120
    assert figures["firestore_writes"] == 120
    assert 120 <= figures["firestore_reads"] <= 120 + 5  # user, secrets, client settings, links (+ the query)
