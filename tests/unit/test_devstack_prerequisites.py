"""A machine without Java, the emulators or Node gets a message naming what to install."""

from __future__ import annotations

from pathlib import Path

import pytest

from devstack import emulators
from devstack.processes import StackError


@pytest.fixture
def no_tools(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """No java, gcloud or node on the PATH, and no SDK in the usual places."""
    monkeypatch.setattr(emulators.shutil, "which", lambda name: None)
    monkeypatch.setenv("CLOUDSDK_ROOT", str(tmp_path / "no-sdk"))
    monkeypatch.setattr(emulators, "USUAL_SDK_ROOTS", ())
    emulators.gcloud_sdk_root.cache_clear()
    yield
    emulators.gcloud_sdk_root.cache_clear()


def test_missing_java_says_what_to_install(no_tools) -> None:
    with pytest.raises(StackError, match="Java is missing.*openjdk-17-jre-headless"):
        emulators.require_java()


def test_missing_cloud_sdk_says_what_to_install(no_tools) -> None:
    with pytest.raises(StackError, match="Google Cloud CLI was not found.*cloud-firestore-emulator"):
        emulators.firestore_jar()


def test_missing_firebase_tools_says_to_run_npm_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(emulators, "REPO_ROOT", tmp_path)
    with pytest.raises(StackError, match="npm ci"):
        emulators.firebase_cli()


def test_missing_node_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "node_modules" / ".bin").mkdir(parents=True)
    (tmp_path / "node_modules" / ".bin" / "firebase").write_text("")
    monkeypatch.setattr(emulators, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(emulators.shutil, "which", lambda name: None)
    with pytest.raises(StackError, match="Node.js is missing"):
        emulators.firebase_cli()
