"""Fixtures shared by several test modules (plain helpers are in helpers.py): test modules never import each other."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from .browser import find_chromium
from .helpers import last_line

APT_TIMEOUT_S = 1200


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
