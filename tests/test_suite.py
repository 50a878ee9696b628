"""The test suite's own shape: test modules share helpers through support.py, never through each other, and
the fast set (`pytest -m "not slow"`) starts nothing."""

from __future__ import annotations

import ast
import socket
import subprocess
import sys
from pathlib import Path

import pytest

TEST_MODULES = sorted(Path(__file__).resolve().parent.glob("test_*.py"))


def shared_imports(source: str) -> set[str]:
    """The test modules and conftest that *source* imports, at any depth (imports inside functions too)."""
    tree = ast.parse(source)
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    return {name for name in names if name.split(".")[0].startswith(("test_", "conftest"))}


def test_the_check_finds_every_kind_of_import() -> None:
    source = "import test_a\nfrom test_b import X\ndef f():\n    from conftest import Y\nfrom support import Z\n"
    assert shared_imports(source) == {"test_a", "test_b", "conftest"}
    assert len(TEST_MODULES) > 20


@pytest.mark.parametrize("path", TEST_MODULES, ids=lambda path: path.name)
def test_no_test_module_imports_another(path: Path) -> None:
    shared = shared_imports(path.read_text(encoding="utf-8"))
    assert not shared, f"tests/{path.name} imports {sorted(shared)}: move what they share to tests/support.py"


def test_a_fast_test_that_starts_a_process_or_a_server_fails() -> None:
    with pytest.raises(pytest.fail.Exception, match="not marked slow"):
        subprocess.run([sys.executable, "-c", "pass"])
    with socket.socket() as server, pytest.raises(pytest.fail.Exception, match="starts a server"):
        server.bind(("127.0.0.1", 0))
        server.listen()
