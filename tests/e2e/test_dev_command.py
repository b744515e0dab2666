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
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests

from devstack.__main__ import GOOGLE_URL_VARIABLES
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


def _children_of(pid: int) -> list[str]:
    """Command lines of the processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == pid:
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except (OSError, ValueError, IndexError):
            continue
    return found


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a newcomer's shell: none of the variables a test session exported."""
    env = {k: v for k, v in os.environ.items()
           if not k.endswith("_EMULATOR_HOST") and k not in GOOGLE_URL_VARIABLES}
    env.update(extra)
    return env


def start_dev(tmp_path: Path, port: int, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """Run the dev command as a newcomer does; answer it and its banner once it is up."""
    log_path = tmp_path / "dev.log"
    with open(log_path, "wb") as log:
        dev = subprocess.Popen(
            [sys.executable, "-m", "devstack", "--port", str(port), "--no-ticker"],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 150
    while "calbridge is running" not in log_path.read_text(errors="replace"):
        if dev.poll() is not None or time.monotonic() > deadline:
            dev.send_signal(signal.SIGINT)
            dev.wait(timeout=60)
            pytest.fail("dev command not up:\n" + log_path.read_text(errors="replace"))
        time.sleep(0.5)
    return dev, log_path.read_text()


def _a_write_straight_to_the_emulator_reaches_the_trigger(firestore_address: str) -> bool:
    """A document written to the dev command's Firestore emulator reaches on_activity_write, whose export
    records that it has nowhere to go (the demo user has no link): sync.state not_exported."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import firestore

    saved = os.environ.get("FIRESTORE_EMULATOR_HOST")
    os.environ["FIRESTORE_EMULATOR_HOST"] = firestore_address
    try:
        client = firestore.Client(project="demo-calbridge", credentials=AnonymousCredentials())
    finally:
        if saved is None:
            del os.environ["FIRESTORE_EMULATOR_HOST"]
        else:
            os.environ["FIRESTORE_EMULATOR_HOST"] = saved
    start = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)
    ref = client.collection("activities").document("written-in-the-console")
    ref.set({"owner_uid": "nobody-linked", "activity_type": "Meeting", "origin": "crm", "subject": "Console",
             "all_day": False, "start": start, "end": start, "time_zone": "UTC", "range_start": start,
             "range_end": start})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if (ref.get().to_dict().get("sync") or {}).get("state") == "not_exported":
            return True
        time.sleep(0.3)
    return False


def test_dev_command_serves_every_function_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    port = free_port()
    dev, banner = start_dev(tmp_path, port, clean_env())
    try:
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
        assert "Export on write" in banner
        assert _a_write_straight_to_the_emulator_reaches_the_trigger(addresses["Firestore"])
    finally:
        dev.send_signal(signal.SIGINT)  # what Ctrl-C sends
        dev.wait(timeout=60)

    assert dev.returncode == 0
    for name, address in addresses.items():
        assert not _listening(address), f"{name} still listening on {address}"
        assert _processes_mentioning(f"--port={address.rsplit(':', 1)[1]}") == [], f"{name} process left behind"
    assert not _listening(f"127.0.0.1:{port}")


def test_dev_command_uses_the_google_it_is_given_and_starts_no_sandbox(tmp_path: Path) -> None:
    """Another Google (here a second sandbox on its own port, standing in for accounts.google.com):
    the whole connect goes through it, and the dev command starts no sandbox of its own."""
    from devstack.emulators import start_sandbox
    from devstack.token import id_token
    from sandbox.control import SandboxControl
    from tests.integration.conftest import Api, ConnectFlow, query_of

    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    other_google = start_sandbox()
    try:
        other_google.wait_http("_sandbox/health", timeout=30, expect="ok")
        google = other_google.url
        control = SandboxControl(google)
        client_id, secret = "555000111222-mine.apps.googleusercontent.com", "GOCSPX-my-own-client"
        control.create_oauth_client(client_id, secret, [base + "oauth_callback"])
        control.create_account("user@example.com", "Una User")
        control.create_calendar("user@example.com", "Only In The Other Google", time_zone="Europe/Madrid")

        env = clean_env(GOOGLE_API_BASE_URL=google, GOOGLE_OAUTH_AUTHORIZE_URL=google + "o/oauth2/v2/auth",
                        GOOGLE_OAUTH_TOKEN_URL=google + "token", GOOGLE_OAUTH_REVOKE_URL=google + "revoke")
        dev, banner = start_dev(tmp_path, port, env)
        try:
            assert "Google sandbox" not in banner and "no sandbox" in banner
            assert f"Google consent         {google}o/oauth2/v2/auth" in banner
            assert f"Redirect URL                 {base}oauth_callback" in banner
            started = _children_of(dev.pid)
            assert any("CloudFirestore" in cmdline for cmdline in started), started  # it did start the emulators
            assert not any("-m sandbox" in cmdline for cmdline in started), started  # but no sandbox

            api = Api(base + "api/")
            admin_token = id_token("admin@example.com", "calbridge-demo", base)
            saved = api.call("PUT", "admin/settings", admin_token, {
                "api_key": "AIza" + "M" * 35, "client_id": client_id, "client_secret": secret,
                "redirect_url": base + "oauth_callback"})
            assert saved.status_code == 200, saved.text  # the other Google's token endpoint knew the client

            user_token = id_token("user@example.com", "calbridge-demo", base)
            flow = ConnectFlow(api)
            authorize_url, session = flow.start(user_token)
            assert authorize_url.startswith(google + "o/oauth2/v2/auth?")
            landing = flow.land(session, flow.consent(authorize_url, "user@example.com"))
            assert query_of(landing) == {"connect": "success"}, landing
            me = api.call("GET", "me", user_token).json()
            assert me["connection"]["status"] == "connected"
            assert "Only In The Other Google" in [c["summary"] for c in me["calendars"]]
        finally:
            dev.send_signal(signal.SIGINT)
            dev.wait(timeout=60)
        assert dev.returncode == 0
    finally:
        other_google.stop()
