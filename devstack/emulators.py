"""The real emulators: Firestore and Pub/Sub (Google Cloud CLI) and Firebase Auth (firebase-tools).

Each starts on a free loopback port in its own process group; ``*_EMULATOR_HOST`` variables
are exported by :class:`devstack.stack.LocalStack`. A missing prerequisite stops with a
message that names what to install; there is never a fallback to a mock.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from devstack.processes import ManagedProcess, StackError, free_port

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
# Where the Google Cloud CLI usually lives when `gcloud` is not on the PATH.
USUAL_SDK_ROOTS = (Path("/usr/lib/google-cloud-sdk"), Path.home() / "google-cloud-sdk")

INSTALL_GCLOUD = (
    "Install the Google Cloud CLI (https://cloud.google.com/sdk/docs/install), then "
    "`gcloud components install cloud-firestore-emulator pubsub-emulator` "
    "(on Debian/Ubuntu with Google's apt repository: "
    "`apt-get install google-cloud-cli-firestore-emulator google-cloud-cli-pubsub-emulator`), "
    "or set CLOUDSDK_ROOT to the SDK's root folder."
)


@dataclass(frozen=True)
class Machine:
    """What this machine offers: programs on the PATH, the environment, where things usually live.
    The defaults are the real machine; a test hands in another to see what a bare one is told."""

    which: Callable[[str], str | None] = shutil.which
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    repo_root: Path = REPO_ROOT
    usual_sdk_roots: tuple[Path, ...] = USUAL_SDK_ROOTS


THIS_MACHINE = Machine()


def require_java(machine: Machine = THIS_MACHINE) -> str:
    java = machine.which("java")
    if not java:
        raise StackError(
            "Java is missing: the Firestore and Pub/Sub emulators need Java 17 or newer "
            "(Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`)."
        )
    return java


def gcloud_sdk_root(machine: Machine = THIS_MACHINE) -> Path:
    """The Google Cloud CLI's root folder (holds ``platform/``); looked up once on the real machine."""
    return _this_machines_sdk_root() if machine is THIS_MACHINE else _find_sdk_root(machine)


@lru_cache(maxsize=1)
def _this_machines_sdk_root() -> Path:
    return _find_sdk_root(THIS_MACHINE)


def _find_sdk_root(machine: Machine) -> Path:
    candidates: list[Path] = []
    if machine.environ.get("CLOUDSDK_ROOT"):
        candidates.append(Path(machine.environ["CLOUDSDK_ROOT"]))
    gcloud = machine.which("gcloud")
    if gcloud:
        # <root>/bin/gcloud, usually behind a symlink such as /usr/bin/gcloud.
        candidates.append(Path(os.path.realpath(gcloud)).parent.parent)
    candidates += machine.usual_sdk_roots
    for root in candidates:
        if (root / "platform").is_dir():
            return root
    if gcloud:
        try:
            out = subprocess.run(
                [gcloud, "info", "--format=value(installation.sdk_root)"],
                capture_output=True, text=True, timeout=60, check=True,
            ).stdout.strip()
            if out and (Path(out) / "platform").is_dir():
                return Path(out)
        except (subprocess.SubprocessError, OSError):
            pass
    raise StackError("The Google Cloud CLI was not found. " + INSTALL_GCLOUD)


def firestore_jar(machine: Machine = THIS_MACHINE) -> Path:
    jar = gcloud_sdk_root(machine) / "platform" / "cloud-firestore-emulator" / "cloud-firestore-emulator.jar"
    if not jar.is_file():
        raise StackError(f"The Firestore emulator is missing ({jar}). " + INSTALL_GCLOUD)
    return jar


def pubsub_script(machine: Machine = THIS_MACHINE) -> Path:
    script = gcloud_sdk_root(machine) / "platform" / "pubsub-emulator" / "bin" / "cloud-pubsub-emulator"
    if not script.is_file():
        raise StackError(f"The Pub/Sub emulator is missing ({script}). " + INSTALL_GCLOUD)
    return script


def firebase_cli(machine: Machine = THIS_MACHINE) -> Path:
    cli = machine.repo_root / "node_modules" / ".bin" / "firebase"
    if not cli.exists():
        raise StackError(
            "firebase-tools is not installed in this checkout: run `npm ci` in the repository "
            "(needs Node.js 20 or newer and npm; the README's setup does it for you)."
        )
    if not machine.which("node"):
        raise StackError("Node.js is missing: the Firebase Auth emulator needs Node.js 20 or newer.")
    return cli


def start_firestore(
    project_id: str, rules_path: Path | None = None, functions_emulator: str | None = None
) -> ManagedProcess:
    """``functions_emulator`` (host:port): where the emulator POSTs document events for registered
    triggers (devstack/firestore_trigger.py listens there)."""
    java = require_java()
    port = free_port()
    argv = [
        java, "-cp", str(firestore_jar()),
        "com.google.cloud.datastore.emulator.firestore.CloudFirestore",
        f"--host={HOST}", f"--port={port}",
    ]
    if rules_path is not None:
        argv.append(f"--rules={rules_path}")
    if functions_emulator is not None:
        argv.append(f"--functions_emulator={functions_emulator}")
    proc = ManagedProcess("Firestore emulator", argv, HOST, port).start()
    proc.project_id = project_id  # type: ignore[attr-defined]
    return proc


def start_pubsub(project_id: str) -> ManagedProcess:
    require_java()
    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="calbridge-pubsub-")
    argv = [str(pubsub_script()), f"--host={HOST}", f"--port={port}", f"--data-dir={data_dir}"]
    return ManagedProcess("Pub/Sub emulator", argv, HOST, port).start()


def start_auth(project_id: str) -> ManagedProcess:
    cli = firebase_cli()
    port = free_port()
    config_dir = Path(tempfile.mkdtemp(prefix="calbridge-auth-"))
    config = {
        "emulators": {
            "auth": {"host": HOST, "port": port},
            "hub": {"host": HOST, "port": free_port()},
            "logging": {"host": HOST, "port": free_port()},
            "ui": {"enabled": False},
            "singleProjectMode": True,
        }
    }
    (config_dir / "firebase.json").write_text(json.dumps(config))
    argv = [str(cli), "emulators:start", "--only", "auth", "--project", project_id,
            "--config", str(config_dir / "firebase.json")]
    env = {"FIREBASE_CLI_DISABLE_UPDATE_CHECK": "true", "CI": os.environ.get("CI", "true")}
    return ManagedProcess("Firebase Auth emulator", argv, HOST, port, env=env, cwd=str(config_dir)).start()


def start_sandbox(access_token_ttl: int = 3600, snapshot: Path | None = None) -> ManagedProcess:
    port = free_port()
    argv = [sys.executable, "-m", "sandbox", "--host", HOST, "--port", str(port),
            "--access-token-ttl", str(access_token_ttl)]
    if snapshot is not None:
        argv += ["--snapshot", str(snapshot)]
    return ManagedProcess("Google sandbox", argv, HOST, port, cwd=str(REPO_ROOT)).start()
