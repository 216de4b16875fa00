"""The resource guard (sim/experiments/guard.py): its estimate against measured runs, and the CLI's refusal above the caps."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.experiments import guard
from sim.interfaces import cli
from sim.scenario.schema import load_scenario

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "default.yaml"
NATIONAL = ROOT / "scenarios" / "national_chain.yaml"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "overrides"),
    [(DEFAULT, {"horizon_days": 3, "warmup_days": 1}), (NATIONAL, {"horizon_days": 3, "warmup_days": 1})],
    ids=["small", "moderate"],
)
def test_the_estimate_is_within_a_factor_of_two_of_a_measured_run(path, overrides):
    """CPU time (process_time in a fresh process, not wall time: the CI machine is shared) and peak memory."""
    est = guard.estimate(load_scenario(path, overrides))
    got = guard.measure(str(path), overrides)
    for name, estimated, measured in [("journeys", est.journeys, got["journeys"]), ("cpu_s", est.cpu_s, got["cpu_s"]),
                                      ("memory_mb", est.memory_mb, got["peak_mb"]),
                                      ("events", est.events, got["events"])]:
        assert measured / 2 <= estimated <= measured * 2, f"{name}: estimated {estimated:.3g}, measured {measured:.3g}"


def test_every_library_scenario_runs_without_force():
    for f in sorted((ROOT / "scenarios").glob("*.yaml")):
        est = guard.estimate(load_scenario(f))
        assert not est.too_big, (f.name, est.describe())


def test_validate_prints_the_estimate(capsys):
    assert cli.main(["validate", str(NATIONAL)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].startswith("estimate: about ") and "journeys" in out[1] and "CPU" in out[1] and "MB" in out[1]


HUGE = ["--set", "customers_per_day=5000000"]


@pytest.mark.parametrize("command", ["run", "compare", "check-plausibility"])
def test_a_run_above_the_caps_is_refused_in_one_line(tmp_path, capsys, command):
    argv = [command, str(NATIONAL), *HUGE]
    if command == "compare":
        argv += ["--out", str(tmp_path / "out")]
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert "estimated about" in err and "GB of memory" in err and "--force" in err
    assert not (tmp_path / "out").exists()


def test_a_sweep_above_the_caps_names_the_design_point(tmp_path, capsys):
    exp = tmp_path / "e.yaml"
    exp.write_text(f"name: big\nscenario: {DEFAULT}\ndesign: {{kind: grid, factors: {{customers_per_day: "
                   "{levels: [1000, 9000000]}}}\n", encoding="utf-8")
    assert cli.main(["sweep", str(exp), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "design point 1: estimated" in err and "--force" in err
    assert not (tmp_path / "o").exists()


def test_force_goes_on_with_a_note(monkeypatch, capsys):
    monkeypatch.setattr(guard, "MAX_CPU_S", 1e-6)
    short = ["--set", "horizon_days=1", "--set", "warmup_days=0", "--set", "customers_per_day=300"]
    assert cli.main(["run", str(DEFAULT), *short]) == 2
    capsys.readouterr()
    assert cli.main(["run", str(DEFAULT), *short, "--force"]) == 0
    err = capsys.readouterr().err
    assert "note: estimated" in err and "running anyway (--force)" in err
