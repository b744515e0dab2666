"""The dev command, as a newcomer runs it: everything comes up, every function answers,
and Ctrl-C leaves no process behind."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from devstack.processes import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def _listening(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, int(port))) == 0


def _processes_mentioning(needle: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if needle in cmdline:
            found.append(int(entry.name))
    return found


def test_dev_command_serves_every_function_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_EMULATOR_HOST")}
    log_path = tmp_path / "dev.log"
    with open(log_path, "wb") as log:
        dev = subprocess.Popen(
            [sys.executable, "-m", "devstack", "--port", str(port), "--no-ticker"],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 150
        while "calbridge is running" not in log_path.read_text(errors="replace"):
            assert dev.poll() is None, log_path.read_text(errors="replace")
            assert time.monotonic() < deadline, "dev command not up in time:\n" + log_path.read_text()
            time.sleep(0.5)
        banner = log_path.read_text()
        base = f"http://127.0.0.1:{port}/"
        addresses = {
            name: re.search(rf"{name} emulator\s+(\S+)", banner).group(1)  # type: ignore[union-attr]
            for name in ("Firestore", "Pub/Sub", "Auth")
        }
        sandbox = re.search(r"Google sandbox \(API\)\s+http://(\S+?)/", banner).group(1)  # type: ignore[union-attr]
        addresses["sandbox"] = sandbox
        assert "Demo admin  admin@example.com" in banner
        assert f"{base}pages/" in banner

        functions = requests.get(base, timeout=10).json()["functions"]
        assert {"api", "pages", "oauth_callback", "calendar_webhook", "activities", "sync_worker"} <= set(functions)
        for name in functions:
            answer = requests.get(base + name, timeout=30)
            # Every mounted function answers: no crash (501 marks one whose issue has not landed).
            assert answer.status_code < 500 or answer.status_code == 501, (name, answer.status_code, answer.text)
        for address in addresses.values():
            assert _listening(address)
        assert requests.get(f"http://{sandbox}/_sandbox/health", timeout=5).ok
    finally:
        dev.send_signal(signal.SIGINT)  # what Ctrl-C sends
        dev.wait(timeout=60)

    assert dev.returncode == 0
    for name, address in addresses.items():
        assert not _listening(address), f"{name} still listening on {address}"
        assert _processes_mentioning(f"--port={address.rsplit(':', 1)[1]}") == [], f"{name} process left behind"
    assert not _listening(f"127.0.0.1:{port}")
