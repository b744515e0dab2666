"""The import bench's counts on a smaller run (times are never asserted): pages of 2,500, one list call and
two Firestore operations per changed event incrementally, nothing written when nothing changed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_bench_counts_meet_the_targets() -> None:
    result = subprocess.run([sys.executable, "-m", "bench.import", "--events", "2600"], cwd=REPO,
                            capture_output=True, text=True, timeout=900, check=True)
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["initial_created"] == 2600
    assert figures["initial_list_calls"] == 2  # 2,500 + 100
    assert figures["initial_firestore_writes"] <= 2600 + 3  # + the lease, the link, the lease's release
    assert figures["incremental_updated"] == 10 and figures["incremental_list_calls"] == 1
    assert figures["firestore_ops_per_changed_event"] <= 2
    assert (figures["idle_list_calls"], figures["idle_writes"]) == (1, 0)
