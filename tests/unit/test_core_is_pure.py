"""functions/core holds no I/O: its modules import only the standard library, cryptography and core."""

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "functions" / "core"
FORBIDDEN = (
    "requests", "google", "firebase_admin", "flask", "werkzeug", "functions_framework", "socket", "urllib.request",
    "functions.store", "functions.google", "functions.services", "functions.web", "functions.config",
)


@pytest.mark.parametrize("module", sorted(p.name for p in CORE.glob("*.py")))
def test_core_module_imports_nothing_that_does_io(module: str) -> None:
    tree = ast.parse((CORE / module).read_text())
    imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    bad = [name for name in imported for f in FORBIDDEN if name == f or name.startswith(f + ".")]
    assert bad == []
