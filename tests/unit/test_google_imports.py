"""Cold starts: importing the Google modules loads none of Google's client libraries (they load on first use)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("googleapiclient", "google.auth", "google.oauth2", "google_auth_httplib2", "httplib2")


def test_google_modules_import_no_client_library() -> None:
    code = (
        "import sys\n"
        "import functions.google.calendar_api, functions.google.calendar_port, functions.google.session\n"
        "import functions.google.retry, functions.google.http, functions.google.oauth_client\n"
        f"print(sorted(m for m in sys.modules if m.startswith({HEAVY!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
