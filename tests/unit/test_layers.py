"""The import contract of the layers (docs/architecture.md): core does no I/O, services reach I/O only
through ports, web never reaches a store. Checked on the source, so a violation fails before it runs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"

FORBIDDEN: dict[str, tuple[str, ...]] = {
    "core": (
        "requests", "google", "googleapiclient", "firebase_admin", "flask", "werkzeug", "functions_framework",
        "socket", "urllib.request", "httplib2", "functions.store", "functions.google", "functions.services",
        "functions.web", "functions.config", "functions.bootstrap", "functions.messaging",
    ),
    "services": (
        "flask", "werkzeug", "firebase_admin", "google.cloud", "googleapiclient", "google.auth", "google.oauth2",
        "requests", "functions.web",
    ),
    "web": ("functions.store", "google.cloud", "googleapiclient"),
    "store": ("functions.services", "functions.web", "functions.google", "flask"),
    "google": ("functions.services", "functions.web", "functions.store", "flask"),
    "messaging": ("functions.services", "functions.web", "functions.store", "functions.google", "flask"),
    "events": ("functions.web", "functions.store", "functions.google", "flask", "werkzeug", "googleapiclient"),
}


def imported_names(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    names = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    names += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 0]
    return names


CASES = [(layer, path) for layer in FORBIDDEN for path in sorted((FUNCTIONS / layer).rglob("*.py"))]


@pytest.mark.parametrize(("layer", "path"), CASES, ids=[f"{lay}/{p.name}" for lay, p in CASES])
def test_layer_imports_only_what_it_may(layer: str, path: Path) -> None:
    bad = [name for name in imported_names(path) for f in FORBIDDEN[layer] if name == f or name.startswith(f + ".")]
    assert bad == [], f"{path.relative_to(FUNCTIONS)} imports {bad}"
