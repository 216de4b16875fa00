"""Fixtures shared by several test modules, and the rule that keeps the fast tier free of programs outside Python.

``make check`` runs the fast tier (``pytest -m "not slow"``), ``make test`` everything. A test is ``slow`` when it is
marked so by hand or when it uses a fixture of :data:`NEEDS_PROGRAM`, which start Debian's chromium or a Dask
cluster: those are marked here, so a new browser or cluster test cannot land in the fast tier by mistake. They also get the time their set-up may take (installing chromium with apt-get) instead of
the default per-test timeout of pyproject.toml, unless they set their own.

Marked by hand: what took 2 s or more (set-up, call and teardown) in a run of the whole suite with
``--durations=0 -n 2`` on a busy two-core machine, except the golden outputs, the layering and the schema checks,
which the edit loop should keep; a new test that takes as long should be marked too (make test prints the 15
slowest).
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from .browser import find_chromium
from .helpers import last_line

APT_TIMEOUT_S = 1200

# fixture -> the per-test timeout (s) of a test using it: its set-up included
NEEDS_PROGRAM = {
    "chromium": APT_TIMEOUT_S + 300,  # may install Debian's chromium first
    "scheduler_address": 600,         # `dask scheduler` and two `dask worker` processes
    "local_client": 600,              # a distributed LocalCluster
}


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        needs = [NEEDS_PROGRAM[f] for f in getattr(item, "fixturenames", ()) if f in NEEDS_PROGRAM]
        if needs:
            item.add_marker(pytest.mark.slow)
            if item.get_closest_marker("timeout") is None:
                item.add_marker(pytest.mark.timeout(max(needs)))


# --------------------------------------------------------------------------------------------- chromium
def _apt(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(["apt-get", *args], capture_output=True, text=True, timeout=APT_TIMEOUT_S, env=env)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of Debian's chromium, installed with apt-get when absent; skip with the reason if that fails."""
    found = find_chromium()
    if found:
        return found
    if shutil.which("apt-get") is None:
        pytest.skip("chromium is not installed and this system has no apt-get to install it (Debian's package)")
    if os.geteuid() != 0:
        pytest.skip("chromium is not installed and installing it with apt-get needs root; "
                    "run `apt-get update && apt-get install -y chromium` as root")
    try:
        update = _apt("update")
        install = _apt("install", "-y", "chromium") if update.returncode == 0 else update
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"chromium is not installed and apt-get could not run: {exc}")
    found = shutil.which("chromium")
    if install.returncode != 0 or not found:
        pytest.skip(f"chromium is not installed and `apt-get install -y chromium` failed: "
                    f"{last_line(install.stderr or install.stdout)}")
    return found
