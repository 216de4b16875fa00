"""The omnisim command line (sim.interfaces.cli); the runner behind `compare` and `sweep` is tested in test_experiment.py.

These run the real model on the default scenario cut to a short horizon.
"""

from __future__ import annotations

import html
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import sim
from sim.interfaces import cli
from sim.outputs.results import COMPARE_FILES

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "default.yaml"
# two days, a quarter of the default traffic: seconds per run, still every mechanism exercised
SHORT_OVERRIDES = {"horizon_days": 2, "warmup_days": 0, "customers_per_day": 1500}
SHORT = [arg for key, value in SHORT_OVERRIDES.items() for arg in ("--set", f"{key}={value}")]


def write_variant(tmp_path: Path, change) -> Path:
    """Write default.yaml after ``change(data)`` has edited its parsed mapping; return the new file."""
    data = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def leftovers(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if ".partial-" in p.name]


# --------------------------------------------------------------------------------------------- validate
def test_validate_default_ok(capsys):
    assert cli.main(["validate", str(DEFAULT)]) == 0
    out = capsys.readouterr().out.strip()
    name = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))["name"]
    assert out.startswith(f"OK: {name} (")
    assert " stores, " in out and " SKUs, setups: multichannel, cross-channel, omnichannel" in out


def test_python_dash_m_sim_is_the_command_line():
    done = subprocess.run([sys.executable, "-m", "sim", "validate", str(DEFAULT)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("OK: "), done.stderr
    bad = subprocess.run([sys.executable, "-m", "sim", "nope"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "invalid choice: 'nope'" in bad.stderr


def _negative_rate(d):
    d["customers_per_day"] = -5


def _missing_field(d):
    del d["horizon_days"]


def _wrong_type(d):
    d["horizon_days"] = "ten"


def _unknown_key(d):
    d["horizon_dayz"] = 3


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (_negative_rate, "customers_per_day", "must be at least 0"),
        (_missing_field, "horizon_days", "missing"),
        (_wrong_type, "horizon_days", "number"),
        (_unknown_key, "horizon_dayz", "unknown field"),
    ],
    ids=["negative-rate", "missing-field", "wrong-type", "unknown-key"],
)
def test_validate_bad_file(tmp_path, capsys, change, field, words):
    path = write_variant(tmp_path, change)
    assert cli.main(["validate", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert lines and all(line.startswith(f"{path}: ") for line in lines)
    hit = [line for line in lines if f": {field}: " in line]
    assert hit and words in hit[0], captured.err
    assert "Traceback" not in captured.err


def test_validate_reports_nested_path_from_set(capsys):
    assert cli.main(["validate", str(DEFAULT), "--set", "stores.0.staff=-1"]) == 2
    err = capsys.readouterr().err
    assert f"{DEFAULT}: stores.0.staff: " in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "words"),
    [(None, "cannot read"), ("name: [unclosed\nhorizon_days: 1\n", "not valid YAML")],
    ids=["missing-file", "yaml-syntax"],
)
def test_validate_unreadable_file(tmp_path, capsys, content, words):
    path = tmp_path / "scenario.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert cli.main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert words in err and str(path) in err and "Traceback" not in err


@pytest.mark.slow
def test_validate_in_a_subprocess_has_no_traceback(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "sim.interfaces.cli", "validate", str(DEFAULT)], cwd=ROOT,
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0 and ok.stdout.startswith("OK: "), ok.stderr
    bad = write_variant(tmp_path, _wrong_type)
    res = subprocess.run([sys.executable, "-m", "sim.interfaces.cli", "validate", str(bad)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and "horizon_days" in res.stderr and "Traceback" not in res.stderr


# --------------------------------------------------------------------------------------------- bad options
@pytest.mark.parametrize(
    ("argv", "option", "allowed"),
    [
        (["run", str(DEFAULT), "--setup", "hybrid"], "--setup", "allowed: multichannel, cross-channel, omnichannel"),
        (["compare", str(DEFAULT), "--setups", "multichannel,hybrid"], "--setups", "allowed: multichannel"),
        (["compare", str(DEFAULT), "--replications", "1"], "--replications", ">= 2"),
        (["compare", str(DEFAULT), "--replications", "ten"], "--replications", ">= 2"),
        (["compare", str(DEFAULT), "--workers", "0"], "--workers", ">= 1"),
        (["run", str(DEFAULT), "--seed", "-3"], "--seed", ">= 0"),
        (["validate", str(DEFAULT), "--set", "horizon_days"], "--set", "KEY=VALUE"),
    ],
    ids=["setup", "setups", "replications", "replications-text", "workers", "seed", "set-syntax"],
)
def test_bad_option_is_one_clear_line(tmp_path, capsys, argv, option, allowed):
    out = tmp_path / "out"
    if argv[0] == "compare":
        argv = [*argv, "--out", str(out)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert option in err and allowed in err
    assert not out.exists() and not leftovers(tmp_path)


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["run", str(DEFAULT), "--setup", "hybrid"],
         "omnisim: --setup: unknown setup 'hybrid'; allowed: multichannel, cross-channel, omnichannel"),
        (["check-plausibility", str(DEFAULT), "--setup", "hybrid"],
         "omnisim: --setup: unknown setup 'hybrid'; allowed: multichannel, cross-channel, omnichannel"),
        (["compare", str(DEFAULT), "--setups", "hybrid,omnichannel,hybrid"],
         "omnisim: --setups: unknown setup 'hybrid'; allowed: multichannel, cross-channel, omnichannel"),
        (["compare", str(DEFAULT), "--setups", "omnichannel,multichannel,omnichannel"],
         "omnisim: --setups: setup 'omnichannel' given more than once"),
        (["compare", str(DEFAULT), "--setups", "omnichannel", "--assumptions", "3"],  # one setup runs, alone
         "omnisim: --assumptions: needs at least two setups, the first the baseline (got 'omnichannel')"),
    ],
    ids=["run-unknown", "plausibility-unknown", "compare-unknown-first", "compare-repeated", "compare-one"],
)
def test_setup_problems_are_worded_for_the_option(tmp_path, capsys, argv, line):
    """The library checks the names (sim.experiments.replicate.check_setups); the CLI words its problem for the option."""
    if argv[0] == "compare":
        argv = [*argv, "--out", str(tmp_path / "out")]
    assert cli.main(argv) == 2
    assert capsys.readouterr().err == line + "\n"
    assert not (tmp_path / "out").exists()


def test_unreachable_scheduler_is_one_line(tmp_path, capsys, monkeypatch):
    """The library connects (sim.experiments.batch.dask_client) and raises SchedulerError; the CLI maps it to exit 2."""
    pytest.importorskip("distributed")
    import socket

    monkeypatch.setattr("sim.experiments.batch.DASK_CONNECT_TIMEOUT", "1s")
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{sock.getsockname()[1]}"
    out = tmp_path / "cmp"
    argv = ["compare", str(DEFAULT), *SHORT, "--replications", "2", "--no-progress", "--scheduler", address,
            "--out", str(out)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"omnisim: --scheduler {address}: cannot connect to a Dask scheduler (")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists() and not leftovers(tmp_path)


# --------------------------------------------------------------------------------------------- run
def test_run_prints_kpis_and_writes_csvs(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["run", str(DEFAULT), *SHORT, "--setup", "multichannel", "--seed", "3", "--out", str(out)]) == 0
    stdout = capsys.readouterr().out
    assert "conversion_rate" in stdout and "fill_rate" in stdout
    kpis = pd.read_csv(out / "kpis.csv")
    assert list(kpis.columns) == ["kpi", "value"] and "conversion_rate" in set(kpis["kpi"])
    daily = pd.read_csv(out / "daily.csv")
    assert daily.columns[0] == "day" and list(daily["day"]) == [1, 2]
    assert str((out / "kpis.csv").resolve()) in stdout


# --------------------------------------------------------------------------------------------- compare
@pytest.mark.slow
def test_compare_writes_all_outputs_and_prints_the_decision_first(tmp_path, capsys):
    out = tmp_path / "results" / "cmp"
    argv = ["compare", str(DEFAULT), *SHORT, "--replications", "2", "--out", str(out), "--no-progress", "--all"]
    assert cli.main(argv) == 0
    stdout = capsys.readouterr().out
    names = ["breakdown.csv", "changes.png", "channel_flows.png", "daily.csv", "decision.json", "differences.png",
             "funnel.png", "kpis.png", "meta.json", "queue_waits.png", "runs.csv", "scenario.yaml",
             "stock_over_time.png", "summary.csv"]
    assert sorted(p.name for p in out.iterdir()) == names
    for name in names:
        assert str(out / name) in stdout  # absolute paths printed
    assert (out / "kpis.png").read_bytes()[:4] == b"\x89PNG"
    summary = pd.read_csv(out / "summary.csv")
    assert list(pd.unique(summary["setup"])) == ["multichannel", "cross-channel", "omnichannel"]
    runs = pd.read_csv(out / "runs.csv")
    assert list(runs.columns) == ["setup", "replication", "kpi", "value"]
    assert set(runs["replication"]) == {0, 1}
    # the decision first (sentences, then the deciding KPIs with labels and verdicts), the full table after it
    # (after the caution a 2-day horizon earns: less than a weekly cycle)
    body = stdout[stdout.index("\n", stdout.index("Caution")) + 1:] if stdout.startswith("Caution") else stdout
    body = "\n".join(line for line in body.splitlines() if not line.startswith(("  ", "Caution")))
    assert body.startswith("Cross-channel, against multichannel") or body.startswith("No difference")
    full = " ± "  # the full table's cells (mean ± half-width); the cautions' half-widths read "(±23 %)"
    assert stdout.index("verdict") < stdout.index(full) and "basket_units" in stdout
    assert "e+0" not in stdout.split(full)[0] and "e-0" not in stdout.split(full)[0]
    assert not leftovers(out.parent)


@pytest.mark.slow
def test_compare_json_is_the_decision_summary(tmp_path, capsys):
    import json

    out = tmp_path / "cmp"
    argv = ["compare", str(DEFAULT), *SHORT, "--replications", "2", "--setups", "multichannel,omnichannel",
            "--out", str(out), "--no-progress", "--json"]
    assert cli.main(argv) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)  # nothing but the JSON on standard output
    assert doc == json.loads((out / "decision.json").read_text(encoding="utf-8"))
    assert doc["baseline"] == "multichannel" and doc["sentences"]
    kpis = {c["kpi"] for c in doc["changes"]}
    assert {"revenue", "stockout_rate", "satisfaction"} <= kpis
    assert all(c["setup"] == "omnichannel" and c["verdict"] in ("clear gain", "clear loss", "no detectable difference",
                                                                "no data") for c in doc["changes"])
    assert doc["payback"][0]["setup"] == "omnichannel"
    assert str(out / "summary.csv") in captured.err


@pytest.mark.slow
def test_compare_failure_leaves_no_output(tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full while drawing")

    monkeypatch.setattr("sim.outputs.plots.paired_differences", broken)
    out = tmp_path / "cmp"
    argv = ["compare", str(DEFAULT), *SHORT, "--replications", "2", "--out", str(out), "--no-progress"]
    with pytest.raises(RuntimeError, match="disk full"):
        cli.main(argv)
    assert not out.exists()
    assert not leftovers(tmp_path)


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


@pytest.mark.parametrize("command", ["compare", "run"])
def test_out_on_a_non_empty_folder_without_force_exits_2_and_touches_nothing(tmp_path, capsys, command):
    out = tmp_path / "cmp"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "report.html").write_text("<html>an older run</html>", encoding="utf-8")
    before = _snapshot(out)
    argv = [command, str(DEFAULT), *SHORT, "--out", str(out)]
    if command == "compare":
        argv += ["--replications", "2", "--no-progress"]
    assert cli.main(argv) == 2
    out_text, err = capsys.readouterr()
    assert out_text == "" and len(err.strip().splitlines()) == 1
    assert "not empty (2 entries: notes.txt, report.html)" in err and "--force" in err
    assert _snapshot(out) == before and sorted(p.name for p in tmp_path.iterdir()) == ["cmp"]


@pytest.mark.slow
def test_out_with_force_replaces_the_folder_whole_no_stale_file(tmp_path):
    out = tmp_path / "cmp"
    out.mkdir()
    (out / "report.html").write_text("<html>an older run</html>", encoding="utf-8")
    (out / "old.png").write_bytes(b"png")
    argv = ["compare", str(DEFAULT), *SHORT, "--replications", "2", "--setups", "multichannel,omnichannel",
            "--out", str(out), "--no-progress", "--force"]
    assert cli.main(argv) == 0
    names = {p.name for p in out.iterdir()}
    assert "summary.csv" in names and "report.html" not in names and "old.png" not in names
    assert names <= set(COMPARE_FILES)
    assert [p.name for p in tmp_path.iterdir()] == ["cmp"]  # no staging or old folder left beside it


@pytest.mark.slow
def test_report_on_a_sweep_folder_asks_for_a_point_then_reports_it(tmp_path, capsys):
    exp = tmp_path / "grid.yaml"
    exp.write_text(f"""name: tiny-grid
scenario: {DEFAULT}
overrides: {{horizon_days: 1, warmup_days: 0, customers_per_day: 600}}
setups: [multichannel, omnichannel]
replications: 2
seed: 1
design:
  kind: grid
  factors:
    stores.0.staff: {{levels: [3, 6]}}
""", encoding="utf-8")
    out = tmp_path / "sweep"
    assert cli.main(["sweep", str(exp), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    (out / "stale.csv").write_text("x\n", encoding="utf-8")
    # a sweep folder resumes without --force; the previous run's exports are replaced, the store kept
    assert cli.main(["sweep", str(exp), "--out", str(out), "--workers", "1", "--no-progress"]) == 0
    assert not (out / "stale.csv").exists() and (out / "results.sqlite").exists()
    capsys.readouterr()
    assert cli.main(["report", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "2 design points" in err[0] and "--point N" in err[0]
    assert cli.main(["report", str(out), "--point", "5"]) == 2
    assert "no design point 5" in capsys.readouterr().err
    assert cli.main(["report", str(out), "--point", "1"]) == 0
    page = (out / "report-point-1.html").read_text(encoding="utf-8")
    assert "tiny-grid, design point 1 (stores.0.staff = 6)" in page and "not recorded" not in page
    assert "Return on investment" in page  # the measured days of the point are known: the payback is there


@pytest.mark.slow
def test_calibrate_command_writes_a_scenario_on_target(tmp_path, capsys):
    from sim.experiments.calibration import MARKET_TARGETS, measured
    from sim.interfaces.cli import main

    out = tmp_path / "fitted.yaml"
    assert main(["calibrate", "scenarios/default.yaml", "--out", str(out)]) == 0
    assert "ropo_share" in capsys.readouterr().out
    sc = sim.load_scenario(out, {"horizon_days": 6, "warmup_days": 2})
    figs = measured(sim.run(sc, "omnichannel", seed=3), MARKET_TARGETS)
    assert abs(figs["ropo_share"] - MARKET_TARGETS["ropo_share"]) < 0.02


@pytest.mark.slow
def test_calibrate_with_a_channel_target_fits_only_that_and_keeps_the_file(tmp_path, capsys):
    """A client's own figure (web used by 80 % of buyers): only the touchpoint mixes move; the purchase channels
    the user set, the mean touchpoints, every comment and every other line stay byte for byte."""
    targets = tmp_path / "client-targets.yaml"
    targets.write_text("# the client's analytics\nusage: {web: 0.80}\n", encoding="utf-8")
    out = tmp_path / "fitted.yaml"
    assert cli.main(["calibrate", str(DEFAULT), "--targets", str(targets), "--out", str(out)]) == 0
    before = DEFAULT.read_text(encoding="utf-8").splitlines()
    after = out.read_text(encoding="utf-8").splitlines()
    assert len(after) == len(before)
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(changed) == 3 and all(a.strip().startswith("touchpoint_mix:") for a, _ in changed)
    old, new = sim.load_scenario(DEFAULT), sim.load_scenario(out)
    for a, b in zip(old.segments, new.segments, strict=True):
        assert a.channels == b.channels and a.journey.mean_touchpoints == b.journey.mean_touchpoints
        assert a.journey.touchpoint_mix != b.journey.touchpoint_mix
        assert set(a.journey.touchpoint_mix) == set(b.journey.touchpoint_mix)
    assert "usage web" in capsys.readouterr().out
    # asked for: the purchase channels are fitted too, still in place
    out2 = tmp_path / "refit.yaml"
    assert cli.main(["calibrate", str(DEFAULT), "--targets", str(targets), "--refit", "channels",
                     "--out", str(out2)]) == 0
    refit = sim.load_scenario(out2)
    assert any(a.channels != b.channels for a, b in zip(old.segments, refit.segments, strict=True))
    assert len(out2.read_text(encoding="utf-8").splitlines()) == len(before)
    capsys.readouterr()
    # an existing --out is refused without --force (one line, the file untouched), replaced with it
    kept = out2.read_bytes()
    assert cli.main(["calibrate", str(DEFAULT), "--targets", str(targets), "--out", str(out2)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"omnisim: --out {out2}: exists; give a new file, or --force to overwrite it"]
    assert out2.read_bytes() == kept
    assert cli.main(["calibrate", str(DEFAULT), "--targets", str(targets), "--out", str(out2), "--force"]) == 0
    assert out2.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "words"),
    [("usage: {web: 92}\n", "usage.web: a share between 0 and 1 (got 92; give shares, e.g. 0.92 for 92 %)"),
     ("ropo: 0.7\n", "ropo: unknown figure; allowed: touchpoints_per_journey, usage, ropo_share"),
     ("usage: {tiktok: 0.5}\n", "targets.usage.tiktok: unknown touchpoint"),
     ("usage: {}\n", "usage: a mapping of touchpoint to share"),
     ("ropo_share: -0.1\n", "ropo_share: a share between 0 and 1"),
     ("{}\n", "name at least one figure"),
     ("usage: {web: 0.8}\nusage: {web: 0.7}\n", "duplicate key 'usage'"),
     ("touchpoints_per_journey: ten\n", "touchpoints_per_journey: a number from 1 to 100")],
    ids=["percent", "unknown-key", "unknown-touchpoint", "empty-usage", "negative", "nothing", "duplicate", "text"],
)
def test_bad_targets_file_is_one_line_and_writes_nothing(tmp_path, capsys, text, words):
    targets = tmp_path / "t.yaml"
    targets.write_text(text, encoding="utf-8")
    out = tmp_path / "x.yaml"
    assert cli.main(["calibrate", str(DEFAULT), "--targets", str(targets), "--out", str(out)]) == 2
    stdout, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1 and words in err, err
    assert "Traceback" not in err and not out.exists() and not stdout


def test_calibrate_from_a_journey_log_and_bad_logs(tmp_path, capsys):
    from sim.experiments.calibration import journey_log
    from sim.interfaces.cli import main

    log = tmp_path / "log.csv"
    journey_log(sim.load_scenario("scenarios/default.yaml"), days=1, seed=1).to_csv(log, index=False)
    out = tmp_path / "from-log.yaml"
    assert main(["calibrate", "scenarios/default.yaml", "--log", str(log), "--segment", "store-loyal",
                 "--out", str(out)]) == 0
    sc = sim.load_scenario(out)
    assert sc.segments[0].journey.chain is not None and sc.segments[1].journey.chain is None
    bad = tmp_path / "bad.csv"
    bad.write_text("who,when\n1,2\n")
    capsys.readouterr()
    assert main(["calibrate", "scenarios/default.yaml", "--log", str(bad), "--out", str(tmp_path / "x.yaml")]) == 2
    err = capsys.readouterr().err
    assert "missing column" in err and "Traceback" not in err
    assert not (tmp_path / "x.yaml").exists()


@pytest.mark.slow
def test_compare_then_report(tmp_path, capsys):
    from sim.interfaces.cli import main

    out = tmp_path / "cmp"
    assert main(["compare", "scenarios/default.yaml", "--replications", "2", "--workers", "1", "--no-progress",
                 "--set", "horizon_days=1", "--set", "warmup_days=0", "--set", "customers_per_day=800",
                 "--out", str(out)]) == 0
    assert (out / "scenario.yaml").is_file() and (out / "meta.json").is_file()
    assert main(["report", str(out)]) == 0
    html = (out / "report.html").read_text()
    assert "data:image/png;base64" in html and "fashion-default" in html
    assert main(["report", str(tmp_path / "nothing")]) == 2


def test_check_plausibility_names_the_figure_that_left_real_retail(capsys):
    """An under-staffed call centre: the check prints every benchmark with its verdict, says on stderr which
    figure is out of range, and exits 1; a figure the scenario declares out on purpose does not fail it."""
    short = ["--replications", "1", "--days", "2", "--warmup", "1", "--workers", "1"]
    argv = ["check-plausibility", str(DEFAULT), *short, "--set", "call_centre.agents=2"]
    assert cli.main(argv) == 1
    out, err = capsys.readouterr()
    assert "call_abandon_rate" in out and "OUT" in out and "on_time_rate" in out
    assert "call_abandon_rate:" in err and "OUTSIDE the plausible range [0.02, 0.1]" in err
    outside = [line.split(":")[1].strip() for line in err.splitlines() if "OUTSIDE" in line]
    excused = [f"--set=benchmark_exceptions.{kpi}=understaffed on purpose" for kpi in outside]
    assert cli.main([*argv, *excused]) == 0
    assert "out (expected)" in capsys.readouterr().out


# --------------------------------------------------------------------------------------------- kpis
def test_kpis_prints_the_glossary_and_rewrites_it_between_markers(capsys, tmp_path):
    from sim.core.kpis import GLOSSARY_END, GLOSSARY_START, KPIS

    assert cli.main(["kpis"]) == 0
    out = capsys.readouterr().out
    assert all(f"| `{k.name}` | {k.label} | {k.unit} |" in out for k in KPIS)
    doc = tmp_path / "doc.md"
    doc.write_text(f"intro\n{GLOSSARY_START}\nOLD TABLE\n{GLOSSARY_END}\nend\n", encoding="utf-8")
    assert cli.main(["kpis", "--readme", str(doc)]) == 0
    text = doc.read_text(encoding="utf-8")
    assert "OLD TABLE" not in text and text.startswith("intro\n") and text.endswith("end\n") and out.strip() in text
    plain = tmp_path / "plain.md"
    plain.write_text("no markers here\n", encoding="utf-8")
    assert cli.main(["kpis", "--readme", str(plain)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no glossary markers" in err[0]
    assert plain.read_text(encoding="utf-8") == "no markers here\n"


@pytest.mark.slow
def test_a_horizon_under_a_week_is_flagged_in_the_cli_the_report_and_the_decision(tmp_path, capsys):
    """Two measured days: the decision opens with a caution in the CLI, in decision.json, in the HTML report and
    in the decision summary the notebooks print; the payback is refused (not whole weeks). Two replications
    leave the paired differences too wide to decide on (t with one degree of freedom): the second caution names
    the changes and their half-widths, in the same places."""
    from sim.outputs.decision import decision_summary

    out = tmp_path / "cmp"
    argv = ["compare", str(DEFAULT), *SHORT, "--replications", "2", "--setups", "multichannel,omnichannel",
            "--out", str(out), "--no-progress"]
    assert cli.main(argv) == 0
    stdout = capsys.readouterr().out
    first = stdout.splitlines()[0]
    assert first.startswith("Caution: this rests on 2 measured days, less than a weekly cycle")
    assert "no payback computed" in stdout
    wide = "Caution: the interval of the change against multichannel is too wide to decide on omnichannel's revenue (±"
    assert wide in " ".join(line.strip() for line in stdout.splitlines())
    decision = json.loads((out / "decision.json").read_text(encoding="utf-8"))
    assert any("less than a weekly cycle" in w for w in decision["warnings"])
    assert any(w.startswith(wide) and 'criterion="paired"' in w for w in decision["warnings"])
    assert cli.main(["report", str(out)]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "less than a weekly cycle" in page and "No return on investment" in page
    assert html.escape(wide) in page
    summary, runs = pd.read_csv(out / "summary.csv"), pd.read_csv(out / "runs.csv")
    notebook = decision_summary(summary, 0.95, 2, runs)  # what the strategist notebook prints
    assert notebook.sentences[0].startswith("Caution:") and notebook.warnings
    assert notebook.sentences[1].startswith(wide)
    assert not decision_summary(summary, 0.95, 14, runs).sentences[0].startswith("Caution: this rests")


@pytest.mark.slow
def test_calibrate_writes_overrides_over_every_store_and_into_absent_sections(tmp_path, capsys):
    """``--set`` with calibrate takes the reference's notation like every other command: ``stores.*.staff`` sets
    every store of the written file, and a section the file leaves out (``channel_mix``) is added (both were a
    traceback, found writing the consultant's tutorial); the file loads as the fitted scenario."""
    targets = tmp_path / "targets.yaml"
    targets.write_text("usage: {web: 0.80}\n", encoding="utf-8")
    out = tmp_path / "fitted.yaml"
    assert cli.main(["calibrate", str(DEFAULT), "--targets", str(targets), "--out", str(out),
                     "--set", "stores.*.staff=2", "--set", "channel_mix.online_share=0.4"]) == 0
    fitted = sim.load_scenario(out)
    assert [s.staff for s in fitted.stores] == [2] * len(fitted.stores)
    assert fitted.channel_mix is not None and fitted.channel_mix.online_share == 0.4
    assert "channel_mix:" in out.read_text(encoding="utf-8")
