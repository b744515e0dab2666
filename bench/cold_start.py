"""Cold-start import time of the functions: ``python -X importtime -c "import main"``.

Prints the cumulative import time of ``main`` (what a fresh Cloud Functions instance pays
before its first request) as the median of several fresh interpreters, and the heaviest
imports. Target: under 0.6 s on the 2-core dev machine. Run: ``.venv/bin/python -m bench.cold_start``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
# What an HTTP function imports on its first request, on top of main (handlers load lazily).
HANDLER_MODULES = ("functions.web.api_routes", "functions.web.callback", "functions.web.pages")
LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def measure_once() -> tuple[float, list[tuple[float, str]]]:
    """One fresh interpreter: (cumulative seconds for ``main``, top-level imports by cost)."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import main"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )
    # importtime prints children before their parent, two spaces deeper per level.
    total = 0.0
    block: list[tuple[float, str]] = []
    for line in result.stderr.splitlines():
        match = LINE.match(line)
        if not match:
            continue
        cumulative_us, indent, name = int(match.group(2)), len(match.group(3)), match.group(4)
        if indent == 1:
            if name == "main":
                total = cumulative_us / 1e6
                break
            block = []
        elif indent == 3:
            block.append((cumulative_us / 1e6, name))
    return total, sorted(block, reverse=True)


def handler_import_seconds() -> dict[str, float]:
    """Extra import time each handler module costs on its function's first request."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import main, " + ", ".join(HANDLER_MODULES)],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )
    found: dict[str, float] = {}
    for line in result.stderr.splitlines():
        match = LINE.match(line)
        if match and len(match.group(3)) == 1 and match.group(4) in HANDLER_MODULES:
            found[match.group(4)] = int(match.group(2)) / 1e6
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    runs = [measure_once() for _ in range(args.runs)]
    totals = [total for total, _ in runs]
    median = statistics.median(totals)
    print(f"cold-start import of main: median {median:.3f} s over {args.runs} runs "
          f"(min {min(totals):.3f} s, max {max(totals):.3f} s; target < 0.600 s)")
    print("heaviest imports made by main.py (last run):")
    for seconds, name in runs[-1][1][:8]:
        print(f"  {seconds:.3f} s  {name}")
    print("first request of a function: its handler's imports on top of main")
    print("(one run; an import shared with an earlier line counts there):")
    for name, seconds in handler_import_seconds().items():
        print(f"  {seconds:.3f} s  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
