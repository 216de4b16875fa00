"""The shape of the suite: modules share fixtures through conftest.py only."""

from __future__ import annotations

import ast

from .reference import ROOT

TESTS = ROOT / "tests"


def test_no_test_module_imports_another():
    """Fixtures come from conftest.py, plain helpers from helpers.py: importing a test module would also run
    its module-level set-up and tie the two modules' tiers together."""
    found = []
    for path in sorted(TESTS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [(node.module or "").split(".")[-1], *(a.name for a in node.names if not node.module)]
            elif isinstance(node, ast.Import):
                names = [a.name.split(".")[-1] for a in node.names]
            else:
                continue
            found += [f"{path.name}:{node.lineno} imports {n}" for n in names if n.startswith(("test_", "conftest"))]
    assert not found, found
