"""``python -m devstack.token EMAIL`` prints an ID token from the running stack that opens the API."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_the_token_command_prints_a_working_id_token(functions_url: str, make_user: Any, firestore_db: Any) -> None:
    uid, _ = make_user("hand@example.com", password="hand-password")
    done = subprocess.run(
        [sys.executable, "-m", "devstack.token", "hand@example.com", "--password", "hand-password",
         "--url", functions_url],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip()
    assert "\n" not in token and token.count(".") == 2  # one JWT, nothing else on stdout
    me = requests.get(functions_url + "api/me", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert me.status_code == 200 and me.json()["uid"] == uid


def test_the_token_command_says_what_is_wrong(functions_url: str, make_user: Any) -> None:
    make_user("hand@example.com", password="hand-password")
    wrong = subprocess.run([sys.executable, "-m", "devstack.token", "hand@example.com", "--url", functions_url],
                           cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert wrong.returncode != 0 and "cannot sign in hand@example.com" in wrong.stderr
    nothing = subprocess.run([sys.executable, "-m", "devstack.token", "x@example.com", "--url", "http://127.0.0.1:9/"],
                             cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert nothing.returncode != 0 and "no dev stack answers" in nothing.stderr
