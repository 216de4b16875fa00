"""Ctrl-C and a second writer (issue 14): an interrupted command says so in one line and exits 130, leaves no
output folder (compare) and a consistent, resumable results store (sweep); a second sweep on a store another
process is writing is refused in one line. These start the real command and send it a real SIGINT."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sim.interfaces import cli

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "default.yaml"
SHORT = ["--set", "horizon_days=2", "--set", "warmup_days=0", "--set", "customers_per_day=1500"]

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="process groups (POSIX)")


# The command as a shell starts it: Ctrl-C handled as Python does by default. A process inherits an ignored SIGINT
# (an xdist worker may have one, from a library that set it), and Python then never raises KeyboardInterrupt.
# a terminal's foreground job: SIGINT and SIGHUP at their defaults, whatever this test run inherited (a background
# job ignores SIGINT, `nohup make test` SIGHUP; the command rightly keeps a signal it was started ignoring)
AS_FROM_A_SHELL = ("import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
                   "signal.signal(signal.SIGHUP, signal.SIG_DFL); "
                   "sys.argv[0] = 'omnisim'; runpy.run_module('sim.interfaces.cli', run_name='__main__', alter_sys=True)")


def start(argv: list[str], cwd: Path) -> subprocess.Popen:
    """The command in its own process group, as a shell runs a foreground job (Ctrl-C reaches every process)."""
    return subprocess.Popen([sys.executable, "-c", AS_FROM_A_SHELL, *argv], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


def wait_for(condition, proc: subprocess.Popen, timeout: float = 120) -> None:
    t0 = time.monotonic()
    while not condition():
        assert proc.poll() is None, f"finished before the interrupt: {proc.communicate()}"
        assert time.monotonic() - t0 < timeout, "never started working"
        time.sleep(0.1)


def children(pid: int) -> list[str]:
    try:
        return (Path(f"/proc/{pid}/task/{pid}/children").read_text().split())
    except OSError:
        return []


def ctrl_c(proc: subprocess.Popen, again_after: float | None = None) -> tuple[str, str]:
    """Ctrl-C to the command's process group; with ``again_after``, a second Ctrl-C if it still runs then (a
    user pressing again: one that lands in the instant a worker is being started is not seen, sim/experiments/batch.py)."""
    os.killpg(proc.pid, signal.SIGINT)
    if again_after is not None:
        try:
            proc.wait(timeout=again_after)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    return out, err


def rows(store: Path) -> int:
    if not store.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=1) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0])
    except sqlite3.Error:
        return 0


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc to see the workers start")
@pytest.mark.parametrize("settle", [0.0, 1.0], ids=["workers-starting", "workers-simulating"])
def test_ctrl_c_during_compare_leaves_nothing(tmp_path, settle):
    out = tmp_path / "cmp"
    # far more work than the time to the interrupt, however fast the model gets (it is stopped early)
    proc = start(["compare", str(DEFAULT), *SHORT, "--replications", "500", "--workers", "2", "--no-progress",
                  "--out", str(out)], tmp_path)
    # at once: a worker still importing must not print its own traceback; after a second: they simulate
    wait_for(lambda: len(children(proc.pid)) >= 1, proc)
    time.sleep(settle)
    stdout, err = ctrl_c(proc, again_after=5.0 if settle == 0 else None)
    assert err.strip().splitlines() == ["omnisim: interrupted; nothing written"], err
    assert stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no output folder, no staging folder


@pytest.mark.slow
def test_ctrl_c_during_sweep_keeps_a_consistent_store_and_a_second_writer_is_refused(tmp_path, capsys):
    exp = tmp_path / "e.yaml"
    exp.write_text(f"name: interrupt-me\nscenario: {DEFAULT}\nreplications: 1000\nseed: 3\n"  # stopped early
                   "overrides: {horizon_days: 2, warmup_days: 0, customers_per_day: 1500}\n", encoding="utf-8")
    out = tmp_path / "sw"
    store = out / "results.sqlite"
    proc = start(["sweep", str(exp), "--workers", "2", "--no-progress", "--out", str(out)], tmp_path)
    try:
        wait_for(lambda: rows(store) >= 1, proc)
        # a second sweep on the same store, while the first one writes: refused in one line, nothing touched
        assert cli.main(["sweep", str(exp), "--workers", "1", "--no-progress", "--out", str(out)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "another sweep is writing this results store (pid " in err[0], err
    finally:
        stdout, err = ctrl_c(proc)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("omnisim: interrupted; the results store keeps"), err
    assert "Traceback" not in err
    with sqlite3.connect(store) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        done = conn.execute("SELECT COUNT(*) FROM runs WHERE status = 'ok'").fetchone()[0]
        kpis = conn.execute("SELECT COUNT(DISTINCT run) FROM kpis").fetchone()[0]
    assert 1 <= done < 3000 and kpis == done  # every stored replication is whole
    assert not [p for p in out.iterdir() if ".partial-" in p.name]


def test_interrupt_in_process_compare(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("sim.interfaces.cli.replicate_results", interrupted)
    out = tmp_path / "cmp"
    assert cli.main(["compare", str(DEFAULT), *SHORT, "--replications", "2", "--no-progress", "--out", str(out)]) == 130
    assert capsys.readouterr().err == "omnisim: interrupted; nothing written\n"
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_store_is_one_line(tmp_path, capsys):
    exp = tmp_path / "e.yaml"
    exp.write_text(f"name: x\nscenario: {DEFAULT}\nreplications: 2\n", encoding="utf-8")
    out = tmp_path / "sw"
    out.mkdir()
    (out / "results.sqlite").write_bytes(b"this is not a database" * 100)
    assert cli.main(["sweep", str(exp), "--no-progress", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a usable results store" in err[0]


def test_scheduler_without_dask_is_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if Dask were not installed
    out = tmp_path / "cmp"
    argv = ["compare", str(DEFAULT), *SHORT, "--replications", "2", "--no-progress", "--scheduler",
            "tcp://127.0.0.1:1", "--out", str(out)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Dask is not installed" in err[0] and "omnisim[cluster]" in err[0]
    assert not out.exists()


def group_left(pgid: int) -> list[str]:
    """Processes of process group ``pgid`` still alive (zombies, already ended and waiting for init, excepted)."""
    left = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) ": state, ppid, pgrp, ...
        if int(fields[2]) == pgid and fields[0] != "Z":
            left.append(text[:text.rindex(")") + 1])
    return left


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find the process group")
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGHUP"])
def test_a_signal_to_the_parent_alone_stops_the_sweep_with_no_orphan_and_it_resumes(tmp_path, sig):
    """SIGTERM (`kill PID`, what `timeout` and batch schedulers send) or SIGHUP to the parent only: its pool
    workers and the multiprocessing resource tracker end with it, exit 128 + the signal, the store resumes."""
    exp = tmp_path / "e.yaml"
    exp.write_text(f"name: kill-me\nscenario: {DEFAULT}\nreplications: 24\nseed: 5\nsetups: [multichannel]\n"
                   "overrides: {horizon_days: 2, warmup_days: 0, customers_per_day: 1500}\n", encoding="utf-8")
    out = tmp_path / "sw"
    store = out / "results.sqlite"
    argv = ["sweep", str(exp), "--workers", "2", "--no-progress", "--out", str(out)]
    proc = start(argv, tmp_path)
    try:
        wait_for(lambda: rows(store) >= 1 and len(children(proc.pid)) >= 2, proc)
        os.kill(proc.pid, getattr(signal, sig))  # the parent alone, not its group
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 128 + getattr(signal, sig), err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"omnisim: interrupted ({sig}); the results store keeps"), err
    assert "grace period" in lines[0] and "in flight" in lines[0]
    t0 = time.monotonic()
    while (left := group_left(proc.pid)) and time.monotonic() - t0 < 5:
        time.sleep(0.1)
    if left:  # leave no orphan behind a failing test either
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert left == [], f"orphans of the stopped sweep: {left}"
    with sqlite3.connect(store) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        done = conn.execute("SELECT COUNT(*) FROM runs WHERE status = 'ok'").fetchone()[0]
        assert conn.execute("SELECT COUNT(DISTINCT run) FROM kpis").fetchone()[0] == done
    assert 1 <= done < 24
    resumed = start(argv, tmp_path)
    _, err = resumed.communicate(timeout=240)
    assert resumed.returncode == 0, err
    assert f"{done} were already stored" in err and "24 of 24 replications stored" in err, err
