"""Start, wait for and stop local services by process group, so nothing is left behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests


class StackError(RuntimeError):
    """A local service could not be found or started; the message says what to do."""


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ManagedProcess:
    """One service started in its own process group, with its output in a log file."""

    name: str
    argv: list[str]
    host: str
    port: int
    env: dict[str, str] | None = None
    cwd: str | None = None
    log_path: Path = field(default_factory=lambda: Path(tempfile.mkstemp(prefix="calbridge-", suffix=".log")[1]))
    popen: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}/"

    def start(self) -> ManagedProcess:
        log = open(self.log_path, "wb")  # noqa: SIM115 - kept open for the child's lifetime
        env = dict(os.environ)
        env.update(self.env or {})
        self.popen = subprocess.Popen(
            self.argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=self.cwd,
            start_new_session=True,  # own process group: stopping it stops the whole tree
        )
        log.close()
        return self

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_until(self, ready: Callable[[], bool], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen is not None and self.popen.poll() is not None:
                raise StackError(
                    f"{self.name} exited with code {self.popen.returncode} before it was ready. "
                    f"Its log ({self.log_path}) ends:\n{self.log_tail()}"
                )
            try:
                if ready():
                    return
            except (requests.RequestException, OSError):
                pass
            time.sleep(0.2)
        self.stop()
        raise StackError(
            f"{self.name} was not ready after {timeout:.0f} s. Its log ({self.log_path}) ends:\n{self.log_tail()}"
        )

    def wait_http(self, path: str = "", timeout: float = 60.0, expect: str | None = None) -> None:
        def ready() -> bool:
            response = requests.get(self.url + path.lstrip("/"), timeout=2)
            if expect is not None:
                return expect in response.text
            return response.status_code < 500

        self.wait_until(ready, timeout)

    def wait_log(self, marker: str, timeout: float = 60.0) -> None:
        self.wait_until(lambda: marker in self.log_path.read_text(errors="replace"), timeout)

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self, grace: float = 5.0) -> None:
        """Stop the whole process group: TERM, then KILL after a grace period."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            _signal_group(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        # Children (e.g. the Java of the Pub/Sub wrapper script) may outlive the leader.
        _signal_group(self.popen.pid, signal.SIGKILL)
        try:
            self.popen.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass
