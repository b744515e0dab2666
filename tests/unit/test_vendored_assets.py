"""The calendar widget the pages serve is the one package.json pins, byte for byte.

FullCalendar's standard bundle is committed under functions/web/static/vendor/ (node_modules is not
deployed); scripts/vendor-assets copies it from node_modules after the pinned version changes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
VENDOR = REPO_ROOT / "functions" / "web" / "static" / "vendor"
BUNDLE = VENDOR / "fullcalendar.min.js"


def pinned_version() -> str:
    version = json.loads((REPO_ROOT / "package.json").read_text())["devDependencies"]["fullcalendar"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"fullcalendar must be pinned exactly, not {version!r}"
    return version


def test_the_committed_bundle_is_the_pinned_version_with_its_license() -> None:
    version = pinned_version()
    header = BUNDLE.read_text(encoding="utf-8")[:300]  # text: the deploy zip takes text files only
    assert header.startswith("/*!\nFullCalendar Standard Bundle v" + version + "\n"), header
    lock = json.loads((REPO_ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/fullcalendar"]["version"] == version
    assert "MIT" in (VENDOR / "fullcalendar.LICENSE.md").read_text()


def test_the_committed_bundle_matches_node_modules() -> None:
    installed = REPO_ROOT / "node_modules" / "fullcalendar"
    if not (installed / "index.global.min.js").exists():
        pytest.skip("node_modules/fullcalendar is not installed (scripts/setup installs it)")
    assert json.loads((installed / "package.json").read_text())["version"] == pinned_version(), (
        "node_modules is not the pinned version: run scripts/setup")
    assert BUNDLE.read_bytes() == (installed / "index.global.min.js").read_bytes(), (
        "functions/web/static/vendor/fullcalendar.min.js differs from the pinned package: run scripts/vendor-assets")
    assert (VENDOR / "fullcalendar.LICENSE.md").read_bytes() == (installed / "LICENSE.md").read_bytes()
