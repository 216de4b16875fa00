"""The shape of the suite: modules share fixtures through conftest.py only, every test has a timeout, and the fast
tier (make check: ``-m "not slow"``) needs neither chromium nor a Dask cluster."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

from .reference import ROOT

TESTS = ROOT / "tests"


def _pytest(*args: str, cwd: Path = ROOT, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


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


def test_the_default_timeout_is_configured(pytestconfig):
    assert float(pytestconfig.getini("timeout")) == 300


def test_a_test_over_its_timeout_fails_and_a_marker_gives_more(tmp_path):
    """The ini timeout stops a hung test (and the run goes on); ``@pytest.mark.timeout`` lifts it for one test."""
    (tmp_path / "pytest.ini").write_text("[pytest]\ntimeout = 0.5\n")
    (tmp_path / "test_hang.py").write_text(textwrap.dedent("""
        import time
        import pytest

        def test_hangs():
            time.sleep(30)

        @pytest.mark.timeout(10)
        def test_slow_but_allowed():
            time.sleep(1)
    """))
    done = _pytest("-q", cwd=tmp_path, timeout=60)
    assert "1 failed, 1 passed" in done.stdout, done.stdout[-2000:]
    assert "Timeout (>0.5s" in done.stdout, done.stdout[-2000:]


def _collected(*args: str) -> set[str]:
    done = _pytest("--collect-only", "-q", *args)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return {line.split("::", 1)[1] for line in done.stdout.splitlines() if "::" in line}


def test_tests_needing_chromium_or_a_cluster_are_slow_with_their_own_timeout():
    """Selected through the markers as make check deselects: the browser and cluster tests are slow and carry the
    longer timeout; their neighbours that need neither are not."""
    selected = _collected("-m", "slow and timeout", "tests/test_dashboard.py", "tests/test_dask.py")
    assert {"test_a_comparison_runs_through_the_page", "test_a_broken_upload_shows_the_field_path_in_the_page",
            "test_scheduler_and_workers_sweep_equals_serial", "test_local_cluster_sweep_equals_serial"} <= selected
    assert not {"test_levers_become_overrides_the_loader_checks", "test_bad_scheduler_address_is_one_line"} & selected
